// The dispatcher's day: plan (and re-plan) the meal rounds in one click from the day's orders,
// the rounds drawn from their own road geometry (no tiles), the deliveries left unserved with
// why, the kitchen sheet (prints alone), the containers' fill, and the open welfare checks
// (an empty state while that service part is absent). Text goes in with textContent.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const TOKEN_KEY = "bocage.dispatch.token";
  const COLOURS = ["#0b5cad", "#b42318", "#1a7f37", "#9a6700", "#6f42c1", "#0a7d8c"];
  const state = { token: sessionStorage.getItem(TOKEN_KEY), plan: null };
  const api = window.Bocage.client(() => state.token, () => forget());

  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const svg = (tag, attributes) => {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
    return node;
  };
  function notify(text) { $("notice").textContent = text; $("notice").hidden = !text; }
  function explain(error) { notify(`${error.status || ""} ${error.message}`.trim()); }

  function forget() {
    state.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
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
    await Promise.all([show(), containers(), welfare()]);
  }

  function vans() {
    return $("vans").value.split("\n").map((line) => line.split(",").map((p) => p.trim()))
      .filter((parts) => parts[0])
      .map(([id, driver, capacity]) => ({ id, driver: driver || null,
        capacity: Number(capacity || 20), shift_start: "10:00", shift_end: "14:30" }));
  }

  async function plan(event) {
    event.preventDefault();
    $("plan").disabled = true;
    notify("Planification en cours…");
    try {
      const [lat, lon] = $("kitchen").value.split(",").map(Number);
      state.plan = await api("POST", "/meals/day", { date: $("day").value, kitchen: [lat, lon],
        vehicles: vans(), time_limit_s: 3 });
      notify(`Tournées planifiées (${state.plan.round_id}).`);
      renderPlan(state.plan);
      await sheet();
    } catch (error) { explain(error); } finally { $("plan").disabled = false; }
  }

  async function show() {
    try { state.plan = await api("GET", `/meals/day?date=${$("day").value}`); } catch (error) {
      if (error.status !== 404) throw error;
      state.plan = null;
    }
    renderPlan(state.plan);
    await sheet();
  }

  function renderPlan(plan) {
    const rounds = $("rounds");
    const unserved = $("unserved");
    rounds.replaceChildren();
    unserved.replaceChildren();
    $("map").replaceChildren();
    if (!plan) { rounds.append(el("li", "empty", "Aucune tournée repas pour ce jour.")); return; }
    plan.vehicles.forEach((v, i) => {
      const item = el("li", "", `${v.vehicle_id} (${v.driver || "sans chauffeur"}) : ` +
        `${v.stops.length} arrêts, départ ${v.departure}, retour ${v.return_time}, ` +
        `${v.km.toLocaleString("fr-FR")} km`);
      item.style.borderLeft = `6px solid ${COLOURS[i % COLOURS.length]}`;
      rounds.append(item);
    });
    for (const u of [...plan.unserved, ...(plan.skipped || [])]) {
      unserved.append(el("li", "", `${u.name || u.id} : ${u.detail || u.reason}`));
    }
    if (!unserved.children.length) unserved.append(el("li", "empty", "Aucun."));
    drawMap(plan);
  }

  function drawMap(plan) {
    const lines = plan.vehicles.map((v) =>
      ((v.geometry && v.geometry.geometry && v.geometry.geometry.coordinates) || [])
        .map(([lon, lat]) => [lat, lon]));
    const points = lines.flat().concat(plan.vehicles.flatMap((v) => v.stops.map((s) => s.location)));
    if (!points.length) return;
    const lats = points.map((p) => p[0]);
    const lons = points.map((p) => p[1]);
    const kx = Math.cos(((Math.min(...lats) + Math.max(...lats)) / 2) * Math.PI / 180);
    const spanX = Math.max((Math.max(...lons) - Math.min(...lons)) * kx, 1e-4);
    const spanY = Math.max(Math.max(...lats) - Math.min(...lats), 1e-4);
    const scale = Math.min(900 / spanX, 500 / spanY);
    const project = ([lat, lon]) => [50 + (lon - Math.min(...lons)) * kx * scale,
      50 + (Math.max(...lats) - lat) * scale];
    const drawing = svg("svg", { viewBox: `0 0 1000 ${Math.round(100 + spanY * scale)}`,
      role: "img", "aria-label": `Carte des ${plan.vehicles.length} tournées` });
    lines.forEach((line, i) => {
      if (line.length < 2) return;
      drawing.append(svg("polyline", { class: "road", stroke: COLOURS[i % COLOURS.length],
        points: line.map((p) => project(p).join(",")).join(" ") }));
    });
    plan.vehicles.forEach((v, i) => v.stops.forEach((s) => {
      const [x, y] = project(s.location);
      drawing.append(svg("circle", { cx: x, cy: y, r: 9, fill: COLOURS[i % COLOURS.length],
        class: "stop" }));
    }));
    const caption = el("figcaption", "", "Tracés sur le graphe routier · © OpenStreetMap contributors");
    $("map").append(drawing, caption);
  }

  async function sheet() {
    const body = $("sheet-table").tBodies[0];
    body.replaceChildren();
    const found = await api("GET", `/meals/kitchen-sheet?date=${$("day").value}`);
    for (const group of found.groups) {
      for (const line of group.lines) {
        const row = el("tr");
        for (const value of [group.round, line.choice_name, line.diets.join(", ") || "—",
          line.texture, String(line.count)]) row.append(el("td", "", value));
        body.append(row);
      }
    }
    const total = el("tr");
    total.append(el("td", "", "Total"), el("td"), el("td"), el("td"), el("td", "", String(found.total)));
    body.append(total);
  }

  async function containers() {
    const body = $("containers").tBodies[0];
    body.replaceChildren();
    const all = (await api("GET", "/containers")).filter((c) => !c.retired).slice(0, 100);
    if (!all.length) { body.append(el("tr", "empty", "Aucun conteneur.")); return; }
    for (const container of all) {
      const detail = await api("GET", `/containers/${encodeURIComponent(container.id)}`);
      const last = detail.readings[detail.readings.length - 1];
      const row = el("tr");
      for (const value of [container.name || container.id, container.stream,
        last ? `${Math.round(last.level_pct)} %` : "—",
        last ? new Date(last.at).toLocaleString("fr-FR") : "—"]) row.append(el("td", "", value));
      body.append(row);
    }
  }

  // The welfare checks are the alerts service's; the route may not exist yet: an empty state.
  async function welfare() {
    const list = $("welfare");
    list.replaceChildren();
    let cases = [];
    try { cases = await api("GET", "/welfare-cases?status=open"); } catch (error) {
      if (error.status !== 404 && error.status !== 405) throw error;
    }
    if (!Array.isArray(cases) || !cases.length) {
      list.append(el("li", "empty", "Aucune vérification en cours."));
      return;
    }
    for (const found of cases) {
      list.append(el("li", "", `${found.senior_name || found.senior_id || found.case_id} — ` +
        `${found.status || "ouvert"}`));
    }
  }

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
  $("plan-form").addEventListener("submit", plan);
  $("show").addEventListener("click", () => show().catch(explain));
  $("print").addEventListener("click", () => window.print());
  $("day").value = new Intl.DateTimeFormat("sv-SE", { timeZone: "Europe/Paris" }).format(new Date());
  setInterval(() => { if (state.token && !$("app-view").hidden) welfare().catch(() => {}); }, 10000);
  if (state.token) start().catch(explain);
})();
