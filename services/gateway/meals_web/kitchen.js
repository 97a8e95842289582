// The kitchen's production sheet: how many of each dish, by diet and texture, for the whole day
// and for each round (what goes into each van), from GET /meals/kitchen-sheet. Made to be
// printed (see kitchen.css). Opened from the dispatcher's page in the same tab, it uses the
// dispatcher's session; else it asks to log in. Text goes in with textContent only.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const TOKEN_KEY = "bocage.dispatch.token";  // the dispatcher's page's session, shared
  const NOT_ON_A_ROUND = "sans tournée";
  const TEXTURES = { normale: "normale", hachee: "hachée", mixee: "mixée" };
  const DIETS = { sans_sel: "sans sel", diabetique: "diabétique", sans_gluten: "sans gluten",
    vegetarien: "végétarien", hypocalorique: "hypocalorique" };
  const state = { token: sessionStorage.getItem(TOKEN_KEY) };
  const api = window.Bocage.client(() => state.token, () => forget());

  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  function notify(text) { $("notice").textContent = text; $("notice").hidden = !text; }

  function forget() {
    state.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    $("app-view").hidden = true;
    $("who").hidden = true;
    $("login-view").hidden = false;
  }

  const longDay = (iso) => new Date(`${iso}T12:00:00`).toLocaleDateString("fr-FR",
    { weekday: "long", day: "numeric", month: "long", year: "numeric" });

  function rows(body, lines) {
    for (const line of lines) {
      const row = el("tr");
      row.append(el("td", "", line.choice_name),
        el("td", "", line.diets.map((d) => DIETS[d] || d).join(", ") || "—"),
        el("td", "", TEXTURES[line.texture] || line.texture),
        el("td", "count", String(line.count)));
      body.append(row);
    }
  }

  function table(lines, total) {
    const node = el("table");
    const head = el("thead");
    const headRow = el("tr");
    for (const [name, cls] of [["Plat"], ["Régime"], ["Texture"], ["Nombre", "count"]]) {
      const th = el("th", cls || "", name);
      th.scope = "col";
      headRow.append(th);
    }
    head.append(headRow);
    const body = el("tbody");
    rows(body, lines);
    const foot = el("tfoot");
    const footRow = el("tr");
    const label = el("td", "", "Total");
    label.colSpan = 3;
    footRow.append(label, el("td", "count", String(total)));
    foot.append(footRow);
    node.append(head, body, foot);
    return node;
  }

  // Which van leaves when, and who drives it (the day's plan), when one is planned.
  async function vans(day) {
    try {
      const plan = await api("GET", `/meals/day?date=${day}`);
      return new Map(plan.vehicles.map((v) => [v.vehicle_id, v]));
    } catch (error) {
      if (error.status === 404) return new Map();
      throw error;
    }
  }

  async function show() {
    const day = $("day").value;
    const [sheet, planned] = await Promise.all([
      api("GET", `/meals/kitchen-sheet?date=${day}`), vans(day)]);
    notify("");
    $("sheet-title").textContent = `Fiche de production du ${longDay(sheet.day)}`;
    $("sheet-meta").textContent = `Établie le ${new Date().toLocaleString("fr-FR",
      { timeZone: "Europe/Paris" })} · ${sheet.groups.length} groupe(s)`;
    $("grand-total").textContent = `${sheet.total} repas`;
    const totals = $("totals");
    totals.tBodies[0].replaceChildren();
    rows(totals.tBodies[0], sheet.totals);
    const groups = $("groups");
    groups.replaceChildren();
    if (!sheet.total) groups.append(el("p", "empty", "Aucun repas commandé pour ce jour."));
    for (const group of sheet.groups) {
      const section = el("section", "group");
      section.dataset.round = group.round;
      const van = planned.get(group.round);
      const title = group.round === NOT_ON_A_ROUND ? "Sans tournée (pas encore planifiés)" :
        `Tournée ${group.round}`;
      section.append(el("h3", "", `${title} — ${group.total} repas`));
      if (van) {
        section.append(el("p", "meta", `Chauffeur : ${van.driver || "—"} · départ ` +
          `${van.departure} · ${van.stops.length} arrêts`));
      }
      section.append(table(group.lines, group.total));
      groups.append(section);
    }
  }

  async function start() {
    const me = await api("GET", "/auth/me");
    $("who").textContent = me.full_name || me.username;
    $("who").hidden = false;
    $("login-view").hidden = true;
    $("app-view").hidden = false;
    await show();
  }

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      state.token = await window.Bocage.logIn(api, $("username").value, $("password").value,
        TOKEN_KEY);
      $("password").value = "";
      await start();
    } catch (error) { notify(`${error.status || ""} ${error.message}`.trim()); }
  });
  $("day-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const url = new URL(window.location.href);
    url.searchParams.set("date", $("day").value);
    window.history.replaceState(null, "", url);
    show().catch((error) => notify(`${error.status || ""} ${error.message}`.trim()));
  });
  $("print").addEventListener("click", () => window.print());
  const asked = new URLSearchParams(window.location.search).get("date");
  $("day").value = /^\d{4}-\d{2}-\d{2}$/.test(asked || "") ? asked :
    new Intl.DateTimeFormat("sv-SE", { timeZone: "Europe/Paris" }).format(new Date());
  if (state.token) start().catch((error) => notify(`${error.status || ""} ${error.message}`.trim()));
  else forget();
})();
