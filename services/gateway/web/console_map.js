// The console's map: the tenant's communes (their boundaries, from /tenant/communes.geojson) as
// SVG drawn from our own data (no tiles from outside), and the area of the alert being composed:
// the communes ticked, a polygon the mayor draws by clicking, or a Vigicrues reach's flood zone,
// with the number of contacts inside and of those not placed (from the preview).
// The composer asks `window.BocageMap.target(communes)` for the target it sends.
"use strict";

window.BocageMap = (() => {
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const TOKEN_KEY = "bocage.token";
  const WIDTH = 640;
  const view = { west: 0, north: 0, kx: 1, scale: 1, names: {} };
  const drawn = [];  // [lon, lat] vertices of the polygon being drawn

  function mode() {
    const picked = document.querySelector("input[name=area-mode]:checked");
    return picked ? picked.value : "communes";
  }

  function target(communes) {
    if (mode() === "polygon") {
      if (drawn.length < 3) return { communes: [] };
      const ring = [...drawn, drawn[0]];
      return { communes: [], polygon: { type: "Polygon", coordinates: [ring] } };
    }
    if (mode() === "reach") {
      const reach = $("reach-id").value.trim();
      const buffer = Number($("reach-buffer").value) || 500;
      return reach ? { communes: [], vigicrues_reach: reach, reach_buffer_m: buffer } : { communes: [] };
    }
    return { communes };
  }

  // -- projection: equirectangular around the territory's middle latitude ----------------------
  function project([lon, lat]) {
    return [(lon - view.west) * view.kx * view.scale, (view.north - lat) * view.scale];
  }

  function unproject(x, y) {
    return [view.west + x / (view.kx * view.scale), view.north - y / view.scale];
  }

  function rings(geometry) {
    if (!geometry) return [];
    if (geometry.type === "Polygon") return geometry.coordinates;
    if (geometry.type === "MultiPolygon") return geometry.coordinates.flat();
    if (geometry.type === "GeometryCollection") return geometry.geometries.flatMap(rings);
    return [];
  }

  function pathOf(geometry) {
    return rings(geometry).map((ring) =>
      "M" + ring.map((p) => project(p).map((v) => v.toFixed(1)).join(",")).join("L") + "Z").join("");
  }

  function fit(features) {
    const points = features.flatMap((f) => rings(f.geometry).flat());
    const lons = points.map((p) => p[0]);
    const lats = points.map((p) => p[1]);
    const west = Math.min(...lons), east = Math.max(...lons);
    const south = Math.min(...lats), north = Math.max(...lats);
    view.west = west;
    view.north = north;
    view.kx = Math.cos(((south + north) / 2) * Math.PI / 180);
    view.scale = WIDTH / Math.max((east - west) * view.kx, 1e-6);
    return (north - south) * view.scale;
  }

  function element(name, attributes) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
    return node;
  }

  // -- drawing -----------------------------------------------------------------------------------
  async function load() {
    const svg = $("map");
    const response = await fetch("/tenant/communes.geojson",
      { headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` } });
    if (!response.ok) {
      svg.hidden = true;
      $("map-help").textContent = response.status === 404
        ? "Pas encore de limites communales : l'intercommunalité les charge avec « bocage tenant communes »."
        : "La carte n'a pas pu être chargée.";
      return;
    }
    const collection = await response.json();
    const height = fit(collection.features);
    svg.setAttribute("viewBox", `0 0 ${WIDTH} ${Math.ceil(height)}`);
    const communes = element("g", { id: "map-communes" });
    for (const feature of collection.features) {
      const { code, nom } = feature.properties;
      view.names[code] = nom;
      const path = element("path", { d: pathOf(feature.geometry), class: "commune" });
      path.dataset.code = code;
      const title = element("title", {});
      title.textContent = `${nom} (${code})`;
      path.append(title);
      communes.append(path);
    }
    svg.replaceChildren(communes, element("g", { id: "map-area" }));
    svg.hidden = false;
    highlight();
    help();
  }

  function highlight(covered) {
    const ticked = new Set(covered || [...document.querySelectorAll("input[name=commune]:checked")]
      .map((i) => i.value));
    for (const path of document.querySelectorAll("#map-communes path")) {
      path.classList.toggle("chosen", ticked.has(path.dataset.code));
    }
  }

  function drawArea(geometry) {
    const layer = $("map-area");
    if (!layer) return;
    layer.replaceChildren();
    if (geometry) layer.append(element("path", { d: pathOf(geometry), class: "area" }));
    if (mode() === "polygon" && drawn.length) {
      const points = drawn.map((p) => project(p).map((v) => v.toFixed(1)).join(",")).join(" ");
      layer.append(element("polyline", { points: drawn.length > 2 ? `${points} ${points.split(" ")[0]}` : points, class: "drawing" }));
      for (const p of drawn) {
        const [x, y] = project(p);
        layer.append(element("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: 3, class: "vertex" }));
      }
    }
  }

  function help() {
    const texts = {
      communes: "Cochez les communes, ou cliquez sur la carte pour en ajouter ou en retirer une.",
      polygon: "Cliquez sur la carte pour poser les sommets de la zone (trois au moins).",
      reach: "Indiquez le code du tronçon Vigicrues : sa zone inondable s'affiche avec l'aperçu.",
    };
    $("map-help").textContent = texts[mode()];
    $("reach-fields").hidden = mode() !== "reach";
    $("draw-actions").hidden = mode() !== "polygon";
    $("communes-box").hidden = mode() !== "communes";
  }

  function changed() {
    $("compose-form").dispatchEvent(new Event("change", { bubbles: true }));
  }

  // A click's position in map coordinates, whatever the SVG's displayed size.
  function clickLonLat(event) {
    const svg = $("map");
    const point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    const local = point.matrixTransform(svg.getScreenCTM().inverse());
    return unproject(local.x, local.y);
  }

  function onMapClick(event) {
    if (mode() === "polygon") {
      drawn.push(clickLonLat(event).map((v) => Math.round(v * 1e6) / 1e6));
      drawArea(null);
      changed();
      return;
    }
    const code = event.target.dataset && event.target.dataset.code;
    const box = code && document.querySelector(`input[name=commune][value="${code}"]`);
    if (mode() === "communes" && box) {
      box.checked = !box.checked;
      highlight();
      changed();
    }
  }

  // Where a lon/lat falls on screen (for tests and for a keyboard-less demo).
  function screenPoint(lon, lat) {
    const svg = $("map");
    const [x, y] = project([lon, lat]);
    const point = svg.createSVGPoint();
    point.x = x;
    point.y = y;
    const screen = point.matrixTransform(svg.getScreenCTM());
    return { x: screen.x, y: screen.y };
  }

  function showCounts(preview) {
    const out = $("area-counts");
    if (!preview || preview.area_people == null) {
      out.textContent = "";
      return;
    }
    const covered = preview.area_communes || [];
    const names = covered.map((c) => view.names[c] || c).join(", ");
    const where = { communes: "dans les communes cochées", polygon: "dans la zone dessinée",
      reach: "dans la zone inondable" }[mode()];
    out.textContent = `${preview.area_people} contact(s) ${where}` +
      (names ? ` (${names})` : "") +
      ` · ${preview.area_unplaced} non placé(s) sur la carte` +
      (mode() === "communes" ? " (atteints quand même par leur commune)." :
        " : leur adresse n'a pas été trouvée, la zone ne peut pas dire s'ils sont dedans.");
    out.dataset.people = preview.area_people;
    out.dataset.unplaced = preview.area_unplaced;
    if (mode() !== "communes") highlight(covered);
    drawArea(preview.area_geojson || null);
  }

  function reset() {
    drawn.length = 0;
    drawArea(null);
    $("area-counts").textContent = "";
    highlight();
    changed();
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("map").addEventListener("click", onMapClick);
    $("draw-clear").addEventListener("click", reset);
    for (const radio of document.querySelectorAll("input[name=area-mode]")) {
      radio.addEventListener("change", () => { help(); reset(); });
    }
    $("communes").addEventListener("change", () => { if (mode() === "communes") highlight(); });
  });
  document.addEventListener("bocage:console-ready", () => { load().catch(() => {}); });
  document.addEventListener("bocage:preview", (event) => showCounts(event.detail));

  return { target, screenPoint };
})();
