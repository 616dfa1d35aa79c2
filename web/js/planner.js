// The planner view (危機管理課): every layer, an outage area drawn or chosen, the scenario run,
// at-risk children in red and the optimal assignment as lines, saved scenarios, GeoJSON export.
import { api, loadConfig, migrateLegacyToken, token } from "./api.js";
import { currentLang, t } from "./i18n.js";
import { childLayer, collection, powerLayer, powerPopup, shelterLayer, shelterPopup } from "./layers.js";
import { addLegend, clusterIcon, createMap, escapeHtml } from "./map.js";
import { download, fillOptions, fmtDistance, fmtMinutes, setMessage, showDemoTokens, showError, wireLang, wireTokenBox } from "./common.js";
import { label, values } from "./vocab.js";

const $ = (id) => document.getElementById(id);

let map;
let data = { points: [], shelters: [], children: [], presets: [] };
let area = null; // GeoJSON geometry of the outage area
let lastResult = null;
let legend;
// Children cluster, but a cluster holding an at-risk child turns red and counts them.
const layers = { power: L.layerGroup(), shelters: L.layerGroup(), children: L.markerClusterGroup({ maxClusterRadius: 30, iconCreateFunction: clusterIcon }) };
const areaLayer = L.geoJSON(null, { style: { color: "#b3261e", weight: 2, fillOpacity: 0.08 } });
const resultLayer = L.layerGroup();

function drawPoints() {
  layers.power.clearLayers();
  const kinds = new Set(values("power_point_kinds").filter((k) => $(`kind-${k}`)?.checked));
  powerLayer(collection(data.points), { filter: (f) => kinds.has(f.properties.kind), popup: (p) => powerPopup(p, { capacity: true }) }).addTo(layers.power);
}

function drawShelters() {
  layers.shelters.clearLayers();
  const hazard = $("hazard-select").value;
  const filter = (f) => !hazard || (f.properties.hazards || []).includes(hazard);
  shelterLayer(collection(data.shelters), { filter, popup: (p) => shelterPopup(p, { hazards: true }) }).addTo(layers.shelters);
}

function drawChildren() {
  layers.children.clearLayers();
  const atRisk = new Set(lastResult?.at_risk || []);
  layers.children.addLayer(childLayer(collection(data.children), { atRisk }));
  document.body.dataset.atRiskMarkers = String(data.children.filter((f) => atRisk.has(f.id)).length);
}

function toggle(id, layer) {
  const apply = () => ($(id).checked ? layer.addTo(map) : layer.remove());
  $(id).addEventListener("change", apply);
  apply();
}

async function loadData() {
  setMessage("");
  const [points, shelters, presets] = await Promise.all([
    api("/api/v1/power-points", { auth: false }),
    api("/api/v1/shelters", { auth: false }),
    api("/api/v1/scenarios/presets", { auth: false }),
  ]);
  data.points = points.features;
  data.shelters = shelters.features;
  data.presets = presets.features;
  data.children = [];
  if (token()) {
    try {
      data.children = (await api("/api/v1/children")).features;
      await loadSaved();
    } catch (e) {
      showError(e);
    }
  } else {
    setMessage(t("needToken"));
  }
  fillPresets();
  drawPoints();
  drawShelters();
  drawChildren();
  document.body.dataset.markers = String(data.points.length + data.shelters.length + data.children.length);
}

function fillPresets() {
  const sel = $("preset-select");
  const current = sel.value;
  sel.querySelectorAll("option[data-preset]").forEach((o) => o.remove());
  for (const f of data.presets) {
    const o = document.createElement("option");
    o.value = f.id;
    o.dataset.preset = "1";
    o.textContent = f.properties.name;
    sel.appendChild(o);
  }
  sel.value = current;
}

function setArea(geometry) {
  area = geometry;
  document.body.dataset.area = geometry ? JSON.stringify(geometry) : "";
  areaLayer.clearLayers();
  if (geometry) areaLayer.addData({ type: "Feature", geometry, properties: {} });
}

async function loadSaved() {
  const saved = await api("/api/v1/scenarios");
  $("saved-list").innerHTML = saved
    .map((s) => `<li><b>${escapeHtml(s.name)}</b> — ${s.hours} h・${escapeHtml(t("atRisk"))} ${s.at_risk}・${escapeHtml(t("assigned"))} ${s.assigned}<br><small>${escapeHtml(s.author)} ${escapeHtml(s.created_at)}</small></li>`)
    .join("");
}

async function run() {
  if (!area) return setMessage(t("noArea"));
  const input = $("hours-input");
  const hours = input.value === "" ? NaN : Number(input.value);
  const bad = input.validity.badInput || !(Number.isFinite(hours) && hours > 0);
  input.setAttribute("aria-invalid", String(bad));
  if (bad) {
    input.focus();
    return setMessage(t("badHours"));
  }
  const body = { area, hours };
  if ($("name-input").value.trim()) body.name = $("name-input").value.trim();
  setMessage("");
  $("run-btn").disabled = true;
  try {
    lastResult = await api("/api/v1/scenarios/outage", { method: "POST", body });
  } catch (e) {
    showError(e);
    return;
  } finally {
    $("run-btn").disabled = false;
  }
  showResult();
  if (body.name) loadSaved().catch(showError);
}

function byId(list) {
  return new Map(list.map((f) => [f.id, f]));
}

function showResult() {
  const r = lastResult;
  if (!r) return;
  resultLayer.clearLayers();
  const children = byId(data.children);
  const points = byId(data.points);
  const ll = (f) => [f.geometry.coordinates[1], f.geometry.coordinates[0]];
  for (const id of r.points_out) {
    const p = points.get(id);
    if (p) L.circleMarker(ll(p), { radius: 16, color: "#444", weight: 3, dashArray: "4 3", fill: false }).bindTooltip(t("pointsOut")).addTo(resultLayer);
  }
  for (const a of r.assignments) {
    const c = children.get(a.child_id);
    const p = points.get(a.power_point_id);
    if (c && p) L.polyline([ll(c), ll(p)], { color: "#0b57d0", weight: 3 }).bindTooltip(() => `${fmtDistance(a.distance_m)}・${fmtMinutes(a.travel_min)} ${t("min")}`).addTo(resultLayer);
  }
  $("totals").hidden = false;
  $("t-affected").textContent = r.affected.length;
  $("t-at-risk").textContent = r.at_risk.length;
  $("t-assigned").textContent = r.assignments.length;
  $("t-unassigned").textContent = r.unassigned.length;
  $("t-points-out").textContent = r.points_out.length;
  $("t-distance").textContent = fmtDistance(r.assignments.reduce((s, a) => s + a.distance_m, 0));
  $("t-optimal").textContent = r.optimal ? t("optimalYes") : t("optimalNo");
  const name = (id, map) => map.get(id)?.properties.name || id;
  $("assignment-list").innerHTML =
    r.assignments.map((a) => `<li data-child="${escapeHtml(a.child_id)}">${escapeHtml(name(a.child_id, children))} → ${escapeHtml(name(a.power_point_id, points))}（${fmtDistance(a.distance_m)}・${fmtMinutes(a.travel_min)} ${escapeHtml(t("min"))}）</li>`).join("") +
    r.unassigned.map((u) => `<li class="bad" data-child="${escapeHtml(u.child_id)}">${escapeHtml(name(u.child_id, children))}: ${escapeHtml(t("reasons." + u.reason))}</li>`).join("");
  drawChildren();
  document.body.dataset.scenario = "done";
}

function exportAssignment() {
  if (!lastResult) return;
  const children = byId(data.children);
  const points = byId(data.points);
  const features = lastResult.assignments.flatMap((a) => {
    const c = children.get(a.child_id);
    const p = points.get(a.power_point_id);
    if (!c || !p) return [];
    return [{ type: "Feature", geometry: { type: "LineString", coordinates: [c.geometry.coordinates, p.geometry.coordinates] }, properties: a }];
  });
  const fc = { type: "FeatureCollection", features };
  download("outage-assignment.geojson", new Blob([JSON.stringify(fc, null, 2)], { type: "application/geo+json" }));
}

/** The kind checkboxes and hazard list in the current language, keeping what is ticked. */
function fillFilters() {
  if (!$("kind-generator")) {
    $("kind-filters").innerHTML = values("power_point_kinds").map((k) => `<label class="check"><input id="kind-${k}" type="checkbox" checked> <span></span></label>`).join("");
    values("power_point_kinds").forEach((k) => $(`kind-${k}`).addEventListener("change", drawPoints));
  }
  values("power_point_kinds").forEach((k) => ($(`kind-${k}`).nextElementSibling.textContent = label("power_point_kinds", k)));
  fillOptions($("hazard-select"), "hazards");
}

async function main() {
  wireLang(() => {
    fillFilters();
    showResult();
    legend.render();
    layers.children.refreshClusters();
    map.pm.setLang(currentLang());
  });
  await migrateLegacyToken();
  const config = await loadConfig();
  map = createMap($("map"), config);
  legend = addLegend(map, ["child", "atRisk", "cluster", "clusterRisk"], { openWide: false });
  areaLayer.addTo(map);
  resultLayer.addTo(map);
  fillFilters();
  toggle("show-power", layers.power);
  toggle("show-shelters", layers.shelters);
  toggle("show-children", layers.children);
  $("hazard-select").addEventListener("change", drawShelters);
  map.pm.addControls({ position: "topleft", drawMarker: false, drawCircleMarker: false, drawPolyline: false, drawCircle: false, drawText: false, cutPolygon: false, rotateMode: false, editMode: false, dragMode: false, removalMode: false });
  map.pm.setLang(currentLang());
  map.on("pm:create", (e) => {
    $("preset-select").value = "";
    setArea(e.layer.toGeoJSON().geometry);
    e.layer.remove();
  });
  $("preset-select").addEventListener("change", () => {
    const f = data.presets.find((p) => p.id === $("preset-select").value);
    setArea(f ? f.geometry : null);
    if (f) {
      $("hours-input").value = f.properties.hours;
      map.fitBounds(areaLayer.getBounds(), { maxZoom: 15, paddingTopLeft: [legend.width(), 20] });
    }
  });
  $("run-btn").addEventListener("click", run);
  $("export-btn").addEventListener("click", exportAssignment);
  wireTokenBox(() => loadData().catch(showError));
  showDemoTokens(config, () => loadData().catch(showError));
  await loadData();
  window.powermap = { map };
  window.powermapReady = true;
}

main().catch(showError);
