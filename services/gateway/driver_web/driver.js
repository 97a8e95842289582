// The driver's page: their rounds of the day from GET /me/round, the next stop first, a map drawn
// from the round's own road geometry (no tiles), and a sheet that only shows when printed.
// No framework and no external script; text is inserted with textContent, never as HTML.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const TOKEN_KEY = "bocage.driver.token";
  // Failure reports sent from this tab: such a stop is not done, but the driver has moved on.
  const REPORTED_KEY = "bocage.driver.reported";
  const KIND_LABELS = { delivery: "Livraison", container: "Conteneur", disposal: "Vidage" };

  // Positions not sent yet (no network in the countryside): kept here, sent when back.
  const QUEUE_KEY = "bocage.driver.positions";
  const POSITION_EVERY_MS = 5000;
  const OUTCOMES = [["delivered", "Livré", ""], ["absent", "Absent", "danger"],
    ["refused", "Refusé", "secondary"]];

  const state = { token: sessionStorage.getItem(TOKEN_KEY), communes: [], pending: null,
    reported: new Set(JSON.parse(sessionStorage.getItem(REPORTED_KEY) || "[]")),
    views: new Map(), tracking: null, lastFix: null,
    queue: JSON.parse(localStorage.getItem(QUEUE_KEY) || "[]") };

  const api = window.Bocage.client(() => state.token, () => forget());

  function notify(text) {
    $("notice").textContent = text;
    $("notice").hidden = !text;
  }

  function explain(error) {
    const prefix = { 401: "Connexion", 403: "Refusé", 404: "Introuvable",
      422: "Saisie invalide", 503: "Service indisponible" }[error.status];
    notify(prefix ? `${prefix} : ${error.message}` : `Erreur : ${error.message}`);
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svg(tag, attributes) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    return node;
  }

  // -- session -------------------------------------------------------------------------------
  function forget() {
    state.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    $("app-view").hidden = true;
    $("who").hidden = $("logout").hidden = true;
    $("login-view").hidden = false;
  }

  async function start() {
    const me = await api("GET", "/auth/me");
    if (me.role !== "driver") {
      forget();
      notify("Cette page est réservée aux chauffeurs.");
      return;
    }
    $("who").textContent = me.full_name || me.username;
    $("who").hidden = $("logout").hidden = false;
    $("login-view").hidden = true;
    $("app-view").hidden = false;
    const tenant = await api("GET", "/tenant");
    state.communes = tenant.communes;
    await load();
  }

  async function load() {
    const day = $("day").value;
    const plans = await api("GET", day ? `/me/round?date=${encodeURIComponent(day)}` : "/me/round");
    state.views.clear();
    for (const plan of plans.filter((p) => p.kind === "meals")) {
      for (const vehicle of plan.vehicles) {
        const path = `/meal-rounds/${encodeURIComponent(plan.round_id)}/` +
          encodeURIComponent(vehicle.vehicle_id);
        try {
          state.views.set(`${plan.round_id}/${vehicle.vehicle_id}`, await api("GET", path));
        } catch (error) { if (error.status !== 404) throw error; }
      }
    }
    render(plans);
  }

  // -- rendering -----------------------------------------------------------------------------
  function stopTitle(stop) {
    if (stop.kind === "delivery") return stop.recipient_name || stop.id;
    return `${KIND_LABELS[stop.kind] || stop.kind} ${stop.kind === "container" ? stop.id : ""}`
      .trim();
  }

  // A done stop's times are no longer planned (the plan carries a placeholder then).
  function clock(value) {
    return /^\d\d:\d\d$/.test(value || "") ? value : "—";
  }

  // A meal stop marked at the door (livré, absent, refusé) is done for the driver.
  function mealStop(plan, vehicle, stop) {
    const view = state.views.get(`${plan.round_id}/${vehicle.vehicle_id}`);
    return view && view.stops.find((s) => s.delivery_id === stop.id);
  }

  function handled(roundId, stop) {
    return stop.done || stop.marked || state.reported.has(`${roundId}/${stop.id}`);
  }

  function render(plans) {
    notify("");
    const rounds = $("rounds");
    rounds.replaceChildren();
    let count = 0;
    for (const plan of plans) {
      for (const vehicle of plan.vehicles) {
        rounds.append(renderRound(plan, vehicle));
        count += 1;
      }
    }
    $("empty").hidden = count > 0;
    $("print").disabled = count === 0;
  }

  function renderRound(plan, vehicle) {
    const section = el("section", "round");
    const titleId = `round-${plan.round_id}-${vehicle.vehicle_id}`;
    section.setAttribute("aria-labelledby", titleId);
    const title = el("h2", "round-title",
      `${plan.kind === "meals" ? "Repas" : "Collecte"} — ${vehicle.vehicle_id} — ` +
      `départ ${vehicle.departure}, retour ${vehicle.return_time}`);
    title.id = titleId;

    for (const stop of vehicle.stops) {
      const seen = mealStop(plan, vehicle, stop);
      if (seen) Object.assign(stop, { marked: seen.status !== "pending", meal: seen.meal,
        texture: seen.texture, door_notes: seen.door_notes, status: seen.status });
    }
    const done = vehicle.stops.filter((stop) => stop.done || stop.marked);
    const ahead = vehicle.stops.filter((stop) => !stop.done && !stop.marked);
    const next = ahead.find((stop) => !handled(plan.round_id, stop));
    const position = new Map(vehicle.stops.map((stop, i) => [stop.id, i + 1]));

    const view = state.views.get(`${plan.round_id}/${vehicle.vehicle_id}`);
    if (view) section.append(startButton(plan, vehicle, view));
    section.append(renderNext(plan, vehicle, next, position, view), title);
    section.append(renderMap(vehicle, next, position));
    const rest = ahead.filter((stop) => stop !== next);
    if (rest.length) {
      const list = el("ol", "stops");
      list.setAttribute("aria-label", "Arrêts suivants, dans l'ordre");
      for (const stop of rest) list.append(renderStop(plan, stop, position));
      section.append(list);
    }
    if (done.length) {
      const details = el("details", "done-stops");
      details.append(el("summary", "", `Arrêts effectués (${done.length})`));
      const list = el("ol", "stops");
      for (const stop of done) list.append(renderStop(plan, stop, position));
      details.append(list);
      section.append(details);
    }
    section.append(renderTotals(vehicle), renderSheet(plan, vehicle));
    return section;
  }

  // "HH:MM" of a moment, in the territory's time zone.
  function localClock(iso) {
    return new Date(iso).toLocaleTimeString("fr-FR", { timeZone: "Europe/Paris",
      hour: "2-digit", minute: "2-digit" });
  }

  function renderNext(plan, vehicle, stop, position, view) {
    const card = el("article", "card next");
    card.setAttribute("aria-label", "Prochain arrêt");
    if (!stop) {
      card.classList.add("finished");
      // The round is done when the service says so (every door marked), not from this tab.
      const done = view && view.status === "done" && view.finished_at;
      card.append(el("p", "who-name", done ?
        `Tournée terminée à ${localClock(view.finished_at)}` : "Tournée terminée"),
      el("p", "address", `Retour prévu au dépôt à ${vehicle.return_time}.`));
      return card;
    }
    card.append(el("span", "label", `Prochain arrêt · n° ${position.get(stop.id)}`),
      el("p", "who-name", stopTitle(stop)), el("p", "address", stop.address || ""));
    const times = el("dl", "times");
    const pairs = [["Arrivée prévue", stop.arrival]];
    // A later start of service means the van waits for the delivery's window to open.
    if (stop.service_start !== stop.arrival) pairs.push(["Créneau ouvre à", stop.service_start]);
    // Shown only when the plan carries the delivery's window (the contract may add it).
    if (stop.window_start && stop.window_end) {
      pairs.push(["Créneau", `${stop.window_start}–${stop.window_end}`]);
    }
    for (const [term, value] of pairs) {
      const pair = el("div");
      pair.append(el("dt", "", term), el("dd", "", value));
      times.append(pair);
    }
    card.append(times);
    // A senior's ordered meal is marked at the door; a delivery planned without an order (a
    // list the dispatcher posted) keeps the plain "nobody answered" report.
    if (stop.meal) {
      card.append(el("p", "meal", `Repas : ${stop.meal} (${stop.texture})`));
      if (stop.door_notes) card.append(el("p", "door-notes", `À la porte : ${stop.door_notes}`));
      card.append(outcomeButtons(stop));
    } else if (stop.kind === "delivery") card.append(failureButton(plan, stop));
    return card;
  }

  function renderStop(plan, stop, position) {
    const item = el("li", "stop");
    const reported = state.reported.has(`${plan.round_id}/${stop.id}`);
    if (reported) item.classList.add("reported");
    const num = el("span", "num", String(position.get(stop.id)));
    num.setAttribute("aria-label", `Arrêt n° ${position.get(stop.id)}`);
    const line1 = el("div", "line1", stopTitle(stop));
    line1.prepend(el("span", "time", clock(stop.arrival)));
    item.append(num, line1, el("div", "line2", stop.address || ""));
    if (stop.marked) item.append(el("div", "line2", { delivered: "Livré", absent: "Absent",
      refused: "Refusé" }[stop.status]));
    else if (stop.done) item.append(el("div", "line2", "Effectué"));
    else if (reported) item.append(el("div", "state", "Absence signalée"));
    else if (stop.kind === "delivery") item.append(failureButton(plan, stop));
    return item;
  }

  // -- meals: start, mark at the door, positions -------------------------------------------
  function startButton(plan, vehicle, view) {
    const label = view.status === "done" ? "Tournée terminée" :
      view.started ? "Tournée démarrée" : "Démarrer la tournée";
    const button = el("button", view.started ? "secondary small" : "", label);
    button.type = "button";
    button.id = "start-round";
    button.disabled = view.started || view.status === "done";
    // A finished round sends no more positions (the families' page stops following the van).
    if (view.status === "done") {
      if (state.tracking && state.tracking.roundId === plan.round_id &&
        state.tracking.vehicleId === vehicle.vehicle_id) state.tracking.done = true;
      return button;
    }
    button.addEventListener("click", async () => {
      try {
        await api("POST", `/meal-rounds/${encodeURIComponent(plan.round_id)}/` +
          `${encodeURIComponent(vehicle.vehicle_id)}/start`);
        track(plan, vehicle);
        await load();
      } catch (error) { explain(error); }
    });
    if (view.started && !state.tracking) track(plan, vehicle);
    return button;
  }

  function outcomeButtons(stop) {
    const box = el("div", "actions outcomes");
    for (const [outcome, label, style] of OUTCOMES) {
      const button = el("button", style, label);
      button.type = "button";
      button.setAttribute("aria-label", `${label} chez ${stopTitle(stop)}`);
      button.addEventListener("click", () => mark(stop, outcome, label));
      box.append(button);
    }
    return box;
  }

  async function mark(stop, outcome, label) {
    try {
      await api("POST", `/meal-deliveries/${encodeURIComponent(stop.id)}/mark`,
        { outcome, at: new Date().toISOString() });
      await load();
      notify(`${stopTitle(stop)} : ${label.toLowerCase()}.`);
    } catch (error) { explain(error); }
  }

  // Every few seconds while the round runs; queued while offline, in order, sent when back.
  function track(plan, vehicle) {
    if (state.tracking) return;
    state.tracking = { roundId: plan.round_id, vehicleId: vehicle.vehicle_id };
    if (navigator.geolocation) {
      navigator.geolocation.watchPosition((fix) => {
        state.lastFix = [fix.coords.latitude, fix.coords.longitude];
      }, () => {}, { enableHighAccuracy: true, maximumAge: 5000 });
    }
    setInterval(() => {
      if (!state.lastFix || state.tracking.done) return;
      state.queue.push({ round_id: state.tracking.roundId, vehicle_id: state.tracking.vehicleId,
        location: state.lastFix, at: new Date().toISOString() });
      state.queue = state.queue.slice(-500);
      flush();
    }, POSITION_EVERY_MS);
  }

  async function flush() {
    while (state.queue.length) {
      const { round_id: roundId, ...position } = state.queue[0];
      try {
        await api("POST", `/meal-rounds/${encodeURIComponent(roundId)}/positions`, position);
      } catch (error) {
        if (!error.status) break;  // no network: keep it for later
      }
      state.queue.shift();
    }
    localStorage.setItem(QUEUE_KEY, JSON.stringify(state.queue));
  }

  function failureButton(plan, stop) {
    const button = el("button", "secondary small", "Personne n'a répondu");
    button.type = "button";
    button.setAttribute("aria-label", `Personne n'a répondu chez ${stopTitle(stop)}`);
    button.addEventListener("click", () => askFailure(plan, stop));
    return button;
  }

  function renderTotals(vehicle) {
    const card = el("div", "card");
    const totals = el("dl", "totals");
    totals.setAttribute("aria-label", "Totaux de la tournée");
    for (const [term, value] of totalsOf(vehicle)) {
      totals.append(el("dt", "", term), el("dd", "", value));
    }
    card.append(totals);
    return card;
  }

  function totalsOf(vehicle) {
    const fr = (value, digits) => value.toLocaleString("fr-FR", { maximumFractionDigits: digits });
    return [
      ["Distance", `${fr(vehicle.km, 1)} km`],
      ["Conduite", `${fr(vehicle.driving_minutes, 0)} min`],
      ["Temps de travail", `${fr(vehicle.working_minutes, 0)} min`],
      ["CO₂ estimé", `${fr(vehicle.co2_kg, 1)} kg`],
    ];
  }

  // -- the map: equirectangular projection of the round's own geometry -----------------------
  function renderMap(vehicle, next, position) {
    const figure = el("figure", "map");
    const line = (vehicle.geometry && vehicle.geometry.geometry &&
      vehicle.geometry.geometry.coordinates) || [];  // GeoJSON: [lon, lat]
    const points = line.map(([lon, lat]) => [lat, lon])
      .concat(vehicle.stops.map((stop) => stop.location));  // stops: [lat, lon]
    if (!points.length) return figure;
    const lats = points.map((p) => p[0]);
    const lons = points.map((p) => p[1]);
    const midLat = (Math.min(...lats) + Math.max(...lats)) / 2;
    // Shrinking longitudes by cos(latitude) keeps distances roughly true at this scale.
    const kx = Math.cos((midLat * Math.PI) / 180);
    const spanX = Math.max((Math.max(...lons) - Math.min(...lons)) * kx, 1e-4);
    const spanY = Math.max(Math.max(...lats) - Math.min(...lats), 1e-4);
    const width = 1000;
    const height = Math.round(Math.min(Math.max((width * spanY) / spanX, 450), 1300));
    const pad = 50;
    const scale = Math.min((width - 2 * pad) / spanX, (height - 2 * pad) / spanY);
    const offX = (width - spanX * scale) / 2;
    const offY = (height - spanY * scale) / 2;
    const west = Math.min(...lons);
    const north = Math.max(...lats);
    const project = ([lat, lon]) => [
      (offX + (lon - west) * kx * scale).toFixed(1),
      (offY + (north - lat) * scale).toFixed(1),
    ];

    const drawing = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
    const label = `Carte de la tournée ${vehicle.vehicle_id} : ${vehicle.stops.length} arrêts`;
    drawing.setAttribute("aria-label", label);
    drawing.append(svg("title", {}));
    drawing.firstChild.textContent = label;
    if (line.length > 1) {
      drawing.append(svg("polyline", {
        class: "road", "stroke-width": "7",
        points: line.map(([lon, lat]) => project([lat, lon]).join(",")).join(" "),
      }));
      const [dx, dy] = project([line[0][1], line[0][0]]);
      drawing.append(svg("rect", { class: "depot", x: dx - 14, y: dy - 14, width: 28, height: 28 }));
    }
    // Later stops first, so that the earlier ones (and the next one) are drawn on top.
    for (const stop of [...vehicle.stops].reverse()) {
      const [x, y] = project(stop.location);
      const kind = stop === next ? " next" : stop.done ? " done" : "";
      const radius = stop === next ? 34 : 26;
      drawing.append(svg("circle", { class: `pin${kind}`, cx: x, cy: y, r: radius,
        "stroke-width": "4" }));
      const text = svg("text", { class: "pin-label", x, y, "font-size": stop === next ? 34 : 28 });
      text.textContent = String(position.get(stop.id));
      drawing.append(text);
    }
    const caption = el("figcaption");
    caption.append(el("span", "", "■ dépôt · ● arrêts (rouge : le prochain)"),
      el("span", "attribution", "© OpenStreetMap contributors"));
    figure.append(drawing, caption);
    return figure;
  }

  // -- the printed sheet ---------------------------------------------------------------------
  function renderSheet(plan, vehicle) {
    const sheet = el("section", "sheet");
    sheet.setAttribute("aria-label", `Feuille de route ${vehicle.vehicle_id}`);
    sheet.append(el("h2", "", `Feuille de route — ${plan.kind === "meals" ? "repas" : "collecte"}` +
      ` du ${plan.date} — véhicule ${vehicle.vehicle_id}`));
    sheet.append(el("p", "", `Départ ${vehicle.departure} · retour ${vehicle.return_time} · ` +
      `tournée ${plan.round_id} (version ${plan.version})`));
    const table = el("table");
    const head = el("tr");
    for (const name of ["N°", "Arrivée", "Passage", "Destinataire", "Adresse", "Fait"]) {
      const th = el("th", "", name);
      th.scope = "col";
      head.append(th);
    }
    table.append(el("thead"));
    table.tHead.append(head);
    const body = el("tbody");
    vehicle.stops.forEach((stop, i) => {
      const row = el("tr");
      for (const value of [String(i + 1), clock(stop.arrival), clock(stop.service_start),
        stopTitle(stop),
        stop.address || ""]) row.append(el("td", "", value));
      row.append(el("td", "box", stop.done ? "✓" : "☐"));
      body.append(row);
    });
    table.append(body);
    const foot = el("tfoot");
    const row = el("tr");
    const cell = el("td", "", totalsOf(vehicle).map(([t, v]) => `${t} : ${v}`).join(" · "));
    cell.colSpan = 6;
    row.append(cell);
    foot.append(row);
    table.append(foot);
    sheet.append(table);
    return sheet;
  }

  // -- failure report ------------------------------------------------------------------------
  function askFailure(plan, stop) {
    state.pending = { plan, stop };
    $("failure-who").textContent = `${stopTitle(stop)} — ${stop.address || ""}`;
    const select = $("failure-commune");
    select.replaceChildren(...state.communes.map((commune) => {
      const option = el("option", "", `${commune.name} (${commune.code})`);
      option.value = commune.code;
      return option;
    }));
    $("failure-note").value = "";
    $("failure-dialog").showModal();
  }

  async function sendFailure(event) {
    event.preventDefault();
    const { plan, stop } = state.pending;
    $("failure-send").disabled = true;
    try {
      await api("POST", `/deliveries/${encodeURIComponent(stop.id)}/failure`, {
        commune: $("failure-commune").value,
        recipient_name: stop.recipient_name || stop.id,
        reason: "no_answer",
        attempted_at: new Date().toISOString(),
        note: $("failure-note").value,
      });
      state.reported.add(`${plan.round_id}/${stop.id}`);
      sessionStorage.setItem(REPORTED_KEY, JSON.stringify([...state.reported]));
      $("failure-dialog").close();
      await load();
      notify(`Absence signalée pour ${stopTitle(stop)} : le service est prévenu.`);
    } catch (error) {
      $("failure-dialog").close();
      explain(error);
    } finally {
      $("failure-send").disabled = false;
    }
  }

  // -- wiring --------------------------------------------------------------------------------
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      state.token = await window.Bocage.logIn(
        api, $("username").value, $("password").value, TOKEN_KEY);
      $("password").value = "";
      await start();
    } catch (error) {
      explain(error);
    }
  });
  $("logout").addEventListener("click", async () => {
    try { await api("POST", "/auth/logout"); } catch (_) { /* the token is dropped anyway */ }
    forget();
  });
  $("day-form").addEventListener("submit", (event) => {
    event.preventDefault();
    load().catch(explain);
  });
  $("print").addEventListener("click", () => window.print());
  window.addEventListener("online", () => flush());
  $("failure-form").addEventListener("submit", sendFailure);
  $("failure-cancel").addEventListener("click", () => $("failure-dialog").close());

  // The same default day as the server's: today in Europe/Paris.
  $("day").value = new Intl.DateTimeFormat("sv-SE", { timeZone: "Europe/Paris" }).format(new Date());
  if (state.token) start().catch(explain);
})();
