// A family's page: the linked seniors only (the API decides), the week's menu and orders with
// why a day can no longer change, and today's delivery (or `?date=`'s) followed live
// (Server-Sent Events): "n arrêts avant le vôtre", the ETA, and the van on a small map with the
// road it has left to drive, only once it heads here.
// No framework, no external script; text goes in with textContent.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const TOKEN_KEY = "bocage.family.token";
  const STATUS = { not_ordered: "Pas de repas commandé aujourd'hui.",
    not_planned: "Le repas est commandé ; la tournée n'est pas encore partie.",
    delivered: "Le repas a été livré.", absent: "Personne n'a ouvert : le service est prévenu.",
    refused: "Le repas a été refusé." };
  const state = { token: sessionStorage.getItem(TOKEN_KEY), seniors: [], stream: null };
  const api = window.Bocage.client(() => state.token, () => forget());

  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const today = () => new Intl.DateTimeFormat("sv-SE", { timeZone: "Europe/Paris" })
    .format(new Date());
  // The day followed: today, or the one in the address (`/family?date=YYYY-MM-DD`).
  const asked = new URLSearchParams(window.location.search).get("date");
  const followed = () => (/^\d{4}-\d{2}-\d{2}$/.test(asked || "") ? asked : today());
  const time = (iso) => new Date(iso).toLocaleTimeString("fr-FR",
    { hour: "2-digit", minute: "2-digit", timeZone: "Europe/Paris" });

  function notify(text) { $("notice").textContent = text; $("notice").hidden = !text; }
  function explain(error) { notify(`${error.status || ""} ${error.message}`.trim()); }

  function forget() {
    state.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    if (state.stream) state.stream.close();
    $("app-view").hidden = true;
    $("who").hidden = $("logout").hidden = true;
    $("login-view").hidden = false;
  }

  async function start() {
    const me = await api("GET", "/auth/me");
    $("who").textContent = me.full_name || me.username;
    $("who").hidden = $("logout").hidden = false;
    $("login-view").hidden = true;
    $("app-view").hidden = false;
    if (followed() !== today()) {
      $("tracking-title").textContent = "La livraison du " + new Date(`${followed()}T12:00:00`)
        .toLocaleDateString("fr-FR", { weekday: "long", day: "numeric", month: "long" });
    }
    state.seniors = await api("GET", "/seniors");
    $("senior").replaceChildren(...state.seniors.map((s) => {
      const option = el("option", "", `${s.first_name} ${s.last_name}`);
      option.value = s.id;
      return option;
    }));
    if (!state.seniors.length) notify("Aucune personne n'est reliée à votre compte.");
    else await load();
  }

  function senior() { return state.seniors.find((s) => s.id === $("senior").value); }

  async function load() {
    notify("");
    const who = senior();
    const week = $("week").value || today();
    let menu = null;
    try { menu = await api("GET", `/menus?week=${week}`); } catch (error) {
      if (error.status !== 404) throw error;
    }
    const orders = await api("GET", `/seniors/${encodeURIComponent(who.id)}/orders?week=${week}`);
    renderDays(who, menu, orders);
    follow(who);
  }

  function renderDays(who, menu, orders) {
    const days = $("days");
    days.replaceChildren();
    if (!menu) { days.append(el("p", "card", "Le menu de cette semaine n'est pas publié.")); return; }
    const byDay = new Map(orders.map((o) => [o.day, o]));
    for (const menuDay of menu.days) {
      const card = el("article", "card day");
      card.dataset.day = menuDay.day;
      const label = new Date(`${menuDay.day}T12:00:00`).toLocaleDateString("fr-FR",
        { weekday: "long", day: "numeric", month: "long" });
      card.append(el("h3", "", label));
      const order = byDay.get(menuDay.day);
      if (order && order.status === "placed") card.append(el("p", "ordered", `Commandé : ${order.choice_name}`));
      else if (order) card.append(el("p", "state", "Commande annulée"));
      if (order && !order.editable) {
        card.append(el("p", "closed", order.read_only_reason));
      } else {
        const select = el("select");
        select.setAttribute("aria-label", `Plat du ${label}`);
        for (const choice of menuDay.choices) {
          const option = el("option", "", choice.name);
          option.value = choice.id;
          select.append(option);
        }
        const order_ = el("button", "small", "Commander");
        order_.type = "button";
        order_.addEventListener("click", () => place(who, menuDay.day, select.value));
        card.append(select, order_);
        if (order && order.status === "placed") {
          const cancel = el("button", "secondary small", "Annuler");
          cancel.type = "button";
          cancel.addEventListener("click", () => cancelDay(who, menuDay.day));
          card.append(cancel);
        }
      }
      days.append(card);
    }
  }

  async function place(who, day, choiceId) {
    try {
      await api("PUT", `/seniors/${encodeURIComponent(who.id)}/orders/${day}`, { choice_id: choiceId });
      await load();
      notify("Commande enregistrée.");
    } catch (error) { explain(error); }
  }

  async function cancelDay(who, day) {
    try {
      await api("DELETE", `/seniors/${encodeURIComponent(who.id)}/orders/${day}`);
      await load();
      notify("Commande annulée.");
    } catch (error) { explain(error); }
  }

  // -- live tracking -------------------------------------------------------------------------
  // EventSource cannot send headers, and the token must never sit in a URL (logs, history):
  // each stream opens with its own one-time ticket. A dropped stream cannot reuse it, so the
  // page opens a new one itself while the meal is still on its way.
  async function follow(who) {
    if (state.stream) state.stream.close();
    state.stream = null;
    const path = `/seniors/${encodeURIComponent(who.id)}/tracking/live`;
    let ticket;
    try {
      ticket = await api("POST", "/auth/stream-ticket", { path });
    } catch (error) { explain(error); return; }
    const stream = new EventSource(
      `${path}?date=${followed()}&ticket=${encodeURIComponent(ticket.ticket)}`);
    state.stream = stream;
    let last = null;
    stream.addEventListener("tracking", (event) => {
      last = JSON.parse(event.data);
      renderTracking(who, last);
    });
    stream.addEventListener("error", () => {
      stream.close();
      const onItsWay = !last || last.status === "pending" || last.status === "not_planned";
      if (state.stream === stream && onItsWay) setTimeout(() => follow(who), 5000);
    });
  }

  function renderTracking(who, seen) {
    let text = STATUS[seen.status] || "";
    if (seen.status === "not_ordered" && followed() !== today()) text = "Pas de repas commandé ce jour-là.";
    if (seen.status === "pending") {
      if (seen.stops_before === null || seen.stops_before === undefined) {
        text = "La tournée n'a pas encore démarré.";
      } else {
        const n = seen.stops_before;
        text = n === 0 ? "Le chauffeur arrive chez vous." :
          `${n} arrêt${n > 1 ? "s" : ""} avant le vôtre.`;
        if (seen.eta) text += ` Arrivée prévue vers ${time(seen.eta)}.`;
      }
    }
    $("tracking-status").textContent = text;
    renderMap(who, seen.vehicle, seen.path || []);
  }

  // The van, the road it has left to the senior's home (from our road graph), and the home:
  // no other address is ever drawn.
  function renderMap(who, vehicle, road) {
    const figure = $("tracking-map");
    figure.replaceChildren();
    figure.hidden = !vehicle;
    if (!vehicle) return;
    const points = [who.location, vehicle, ...road];
    const lats = points.map((p) => p[0]);
    const lons = points.map((p) => p[1]);
    const kx = Math.cos((lats[0] * Math.PI) / 180);
    const span = Math.max((Math.max(...lons) - Math.min(...lons)) * kx,
      Math.max(...lats) - Math.min(...lats), 1e-3);
    const project = ([lat, lon]) => [40 + ((lon - Math.min(...lons)) * kx / span) * 320,
      40 + ((Math.max(...lats) - lat) / span) * 220];
    const drawing = document.createElementNS(SVG, "svg");
    drawing.setAttribute("viewBox", "0 0 400 300");
    drawing.setAttribute("role", "img");
    drawing.setAttribute("aria-label", "Le véhicule en route vers votre parent");
    const [hx, hy] = project(who.location);
    const [vx, vy] = project(vehicle);
    const line = document.createElementNS(SVG, "polyline");
    line.setAttribute("class", "road");
    line.setAttribute("points", road.map((p) => project(p).join(",")).join(" "));
    const home = document.createElementNS(SVG, "circle");
    Object.entries({ cx: hx, cy: hy, r: 12, class: "home" }).forEach(([k, v]) => home.setAttribute(k, v));
    const van = document.createElementNS(SVG, "circle");
    Object.entries({ cx: vx, cy: vy, r: 12, class: "van" }).forEach(([k, v]) => van.setAttribute(k, v));
    van.id = "van";
    drawing.append(line, home, van);
    const caption = el("figcaption", "", "● bleu : le domicile · ● rouge : le véhicule · " +
      "trait : la route qui lui reste · © OpenStreetMap contributors");
    figure.append(drawing, caption);
  }

  // -- wiring --------------------------------------------------------------------------------
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      state.token = await window.Bocage.logIn(api, $("username").value, $("password").value, TOKEN_KEY);
      $("password").value = "";
      await start();
    } catch (error) { explain(error); }
  });
  $("logout").addEventListener("click", async () => {
    try { await api("POST", "/auth/logout"); } catch (_) { /* dropped anyway */ }
    forget();
  });
  $("pick").addEventListener("submit", (event) => { event.preventDefault(); load().catch(explain); });
  $("week").value = followed();
  if (state.token) start().catch(explain);
})();
