// The dispatcher's day: plan (and re-plan) the meal rounds in one click from the day's orders,
// the rounds drawn from their own road geometry (no tiles), the deliveries left unserved with
// why, the kitchen sheet (its own printable page: /kitchen), the day's waste collections and the
// containers' fill with its forecast, and the open welfare checks
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
    await Promise.all([show(), containers(), welfare(), wasteRounds()]);
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

  // Each part of the page shows only the answer to its latest request: an older one (the day
  // shown at login) that comes back later must not overwrite the day asked since.
  const asked = { plan: 0, containers: 0, waste: 0, sheet: 0 };
  const ask = (part) => { asked[part] += 1; const mine = asked[part]; return () => mine === asked[part]; };

  async function show() {
    const current = ask("plan");
    let plan = null;
    try { plan = await api("GET", `/meals/day?date=${$("day").value}`); } catch (error) {
      if (error.status !== 404) throw error;
    }
    if (!current()) return;
    state.plan = plan;
    renderPlan(state.plan);
    await sheet();
  }

  const localClock = (iso) => new Date(iso).toLocaleTimeString("fr-FR",
    { timeZone: "Europe/Paris", hour: "2-digit", minute: "2-digit" });
  const DAY_STATES = { planned: "prévue", started: "en cours", done: "terminée" };
  const CASE_STATES = { calling: "appels en cours", taken: "pris en charge", closed: "clos" };

  // The state routing derives from the marks at the door (a plan just made is "planned").
  function roundState(v) {
    if (v.status === "done") return `terminée à ${localClock(v.finished_at)}`;
    if (v.status === "started") return `en cours, ${v.marked || 0}/${v.stops.length} faits`;
    return "prévue";
  }

  function renderPlan(plan) {
    const rounds = $("rounds");
    const unserved = $("unserved");
    rounds.replaceChildren();
    unserved.replaceChildren();
    $("map").replaceChildren();
    $("day-state").textContent = plan ? `Journée ${DAY_STATES[plan.status || "planned"]}` : "";
    if (!plan) { rounds.append(el("li", "empty", "Aucune tournée repas pour ce jour.")); return; }
    plan.vehicles.forEach((v, i) => {
      const item = el("li", `round-${v.status || "planned"}`,
        `${v.vehicle_id} (${v.driver || "sans chauffeur"}) : ` +
        `${v.stops.length} arrêts, départ ${v.departure}, retour ${v.return_time}, ` +
        `${v.km.toLocaleString("fr-FR")} km — ${roundState(v)}`);
      item.style.borderLeft = `6px solid ${COLOURS[i % COLOURS.length]}`;
      rounds.append(item);
    });
    for (const u of [...plan.unserved, ...(plan.skipped || [])]) {
      unserved.append(el("li", "", `${u.name || u.id} : ${u.detail || u.reason}`));
    }
    if (!unserved.children.length) unserved.append(el("li", "empty", "Aucun."));
    drawMap(plan);
  }

  function drawMap(plan, where = $("map"), label = "tournées") {
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
      role: "img", "aria-label": `Carte des ${plan.vehicles.length} ${label}` });
    lines.forEach((line, i) => {
      if (line.length < 2) return;
      drawing.append(svg("polyline", { class: "road", stroke: COLOURS[i % COLOURS.length],
        points: line.map((p) => project(p).join(",")).join(" ") }));
    });
    plan.vehicles.forEach((v, i) => v.stops.forEach((s) => {
      const [x, y] = project(s.location);
      drawing.append(svg(s.kind === "disposal" ? "rect" : "circle", s.kind === "disposal" ?
        { x: x - 9, y: y - 9, width: 18, height: 18, class: "disposal" } :
        { cx: x, cy: y, r: 9, fill: COLOURS[i % COLOURS.length], class: "stop" }));
    }));
    const caption = el("figcaption", "", "Tracés sur le graphe routier · © OpenStreetMap contributors");
    where.append(drawing, caption);
  }

  // The day's waste collections (planned from the containers' forecasts), beside the meals.
  async function wasteRounds() {
    const list = $("waste-rounds");
    const current = ask("waste");
    const plans = (await api("GET", `/rounds?date=${$("day").value}`))
      .filter((p) => p.kind === "waste");
    if (!current()) return;
    list.replaceChildren();
    $("waste-map").replaceChildren();
    if (!plans.length) { list.append(el("li", "empty", "Aucune collecte pour ce jour.")); return; }
    const latest = plans[plans.length - 1];
    for (const plan of plans) {
      plan.vehicles.forEach((v, i) => {
        const containers = v.stops.filter((s) => s.kind === "container").length;
        const trips = v.stops.filter((s) => s.kind === "disposal").length;
        const item = el("li", "", `${v.vehicle_id} (${v.driver || "sans chauffeur"}) : ` +
          `${containers} conteneur${containers > 1 ? "s" : ""}, ${trips} vidage${trips > 1 ? "s" : ""}, départ ${v.departure}, ` +
          `retour ${v.return_time}, ${v.km.toLocaleString("fr-FR")} km`);
        item.style.borderLeft = `6px solid ${COLOURS[i % COLOURS.length]}`;
        list.append(item);
      });
      for (const u of plan.unserved) list.append(el("li", "", `Non collecté : ${u.name || u.id} — ${u.detail}`));
    }
    drawMap(latest, $("waste-map"), "collectes");
  }

  async function sheet() {
    const body = $("sheet-table").tBodies[0];
    const current = ask("sheet");
    const found = await api("GET", `/meals/kitchen-sheet?date=${$("day").value}`);
    if (!current()) return;
    body.replaceChildren();
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

  const STREAMS = { ordures_menageres: "ordures ménagères", emballages: "emballages",
    verre: "verre", papier: "papier", biodechets: "biodéchets" };
  const VERDICTS = { collect: "à collecter", optional: "si possible", skip: "pas encore" };
  const when = (iso) => new Date(iso).toLocaleString("fr-FR", { timeZone: "Europe/Paris",
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });

  // Every container in service, fullest forecast first (the model the waste rounds use), for
  // the morning collection of the day shown.
  async function containers() {
    const body = $("containers").tBodies[0];
    const current = ask("containers");
    const outlook = await api("GET",
      `/container-forecasts?date=${$("day").value}&collection_time=07:00`);
    if (!current()) return;
    body.replaceChildren();
    $("forecast-at").textContent = `Prévision pour une collecte le ${when(outlook.at)}.`;
    if (!outlook.containers.length) {
      const row = el("tr", "empty");
      const cell = el("td", "", "Aucun conteneur.");
      cell.colSpan = 7;
      row.append(cell);
      body.append(row);
      return;
    }
    for (const c of outlook.containers.slice(0, 200)) {
      const row = el("tr", `verdict-${c.verdict}`);
      row.dataset.container = c.id;
      for (const value of [c.name || c.id, STREAMS[c.stream] || c.stream,
        c.last_level_pct === null ? "—" :
          `${Math.round(c.last_level_pct)} % (${when(c.last_reading_at)})`,
        `${Math.round(c.forecast_pct)} %`,
        `${c.rate_pct_per_day.toLocaleString("fr-FR")} %/jour`,
        c.full_at ? when(c.full_at) : "—", VERDICTS[c.verdict]]) row.append(el("td", "", value));
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
      const item = el("li", found.help_needed ? "help-needed" : "");
      item.dataset.case = found.case_id;
      item.append(el("strong", "", found.senior_name || found.senior_id || found.case_id),
        el("span", "", ` — ${CASE_STATES[found.status] || found.status}`));
      if (found.help_needed) item.append(el("p", "alarm", "Personne n'a pris le cas : appelez les secours."));
      // The last thing that happened: a call, an SMS and whether it reached them (the
      // provider's receipt), a keypress.
      const last = (found.history || [])[found.history.length - 1];
      if (last) item.append(el("p", "last-step", `${localClock(last.at)} · ${last.detail || last.kind}`));
      list.append(item);
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
  $("show").addEventListener("click", () =>
    Promise.all([show(), containers(), wasteRounds()]).catch(explain));
  // The kitchen's own page (printable), for the day shown here, in this tab (same session).
  const kitchenLink = () => { $("kitchen-link").href = `/kitchen?date=${$("day").value}`; };
  $("day").addEventListener("change", kitchenLink);
  $("day").value = new Intl.DateTimeFormat("sv-SE", { timeZone: "Europe/Paris" }).format(new Date());
  kitchenLink();
  setInterval(() => {
    if (!state.token || $("app-view").hidden) return;
    welfare().catch(() => {});
    if (state.plan) show().catch(() => {});  // the rounds' state as the drivers mark the doors
  }, 10000);
  if (state.token) start().catch(explain);
})();
