// The planner view (危機管理課): every layer, an outage area drawn or chosen, the scenario run,
// at-risk children in red and the optimal assignment as lines, saved scenarios, GeoJSON export.
// This file wires the page; markers.js draws the layers, scenario.js runs and shows scenarios.
import { api, loadConfig, migrateLegacyToken, token } from "../api.js";
import { currentLang, t } from "../i18n.js";
import { addHazardOverlays } from "../layers.js";
import { addLegend, createMap } from "../map.js";
import { setMessage, showDemoTokens, showError, wireLang, wireTokenBox } from "../common.js";
import { showOpenIncidents } from "../incidents-open.js";
import * as markers from "./markers.js";
import * as scenario from "./scenario.js";

const $ = (id) => document.getElementById(id);

/** Everything the page shows. */
const state = {
  map: null,
  legend: null,
  data: { points: [], shelters: [], children: [], presets: [] },
  area: null, // GeoJSON geometry of the outage area
  lastResult: null,
};
const areaLayer = L.geoJSON(null, { style: { color: "#b3261e", weight: 2, fillOpacity: 0.08 } });

function toggle(id, layer) {
  const apply = () => ($(id).checked ? layer.addTo(state.map) : layer.remove());
  $(id).addEventListener("change", apply);
  apply();
}

async function loadData() {
  setMessage("");
  showOpenIncidents($("incident-banner"));
  const { data } = state;
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
      await scenario.loadSaved();
    } catch (e) {
      showError(e);
    }
  } else {
    setMessage(t("needToken"));
  }
  fillPresets();
  markers.render(state);
  document.body.dataset.markers = String(data.points.length + data.shelters.length + data.children.length);
}

function fillPresets() {
  const sel = $("preset-select");
  const current = sel.value;
  sel.querySelectorAll("option[data-preset]").forEach((o) => o.remove());
  for (const f of state.data.presets) {
    const o = document.createElement("option");
    o.value = f.id;
    o.dataset.preset = "1";
    o.textContent = f.properties.name;
    sel.appendChild(o);
  }
  sel.value = current;
}

function setArea(geometry) {
  state.area = geometry;
  document.body.dataset.area = geometry ? JSON.stringify(geometry) : "";
  areaLayer.clearLayers();
  if (geometry) areaLayer.addData({ type: "Feature", geometry, properties: {} });
}

async function run() {
  if (!(await scenario.run(state))) return;
  scenario.render(state);
  markers.render(state);
}

function wireArea() {
  const { map } = state;
  map.pm.addControls({ position: "topleft", drawMarker: false, drawCircleMarker: false, drawPolyline: false, drawCircle: false, drawText: false, cutPolygon: false, rotateMode: false, editMode: false, dragMode: false, removalMode: false });
  map.pm.setLang(currentLang());
  map.on("pm:create", (e) => {
    $("preset-select").value = "";
    setArea(e.layer.toGeoJSON().geometry);
    e.layer.remove();
  });
  $("preset-select").addEventListener("change", () => {
    const f = state.data.presets.find((p) => p.id === $("preset-select").value);
    setArea(f ? f.geometry : null);
    if (f) {
      $("hours-input").value = f.properties.hours;
      map.fitBounds(areaLayer.getBounds(), { maxZoom: 15, paddingTopLeft: [state.legend.width(), 20] });
    }
  });
}

async function main() {
  const redrawMarkers = () => markers.render(state);
  wireLang(() => {
    markers.renderFilters(redrawMarkers);
    scenario.render(state);
    state.legend.render();
    markers.layers.children.refreshClusters();
    state.map.pm.setLang(currentLang());
    showOpenIncidents($("incident-banner"));
  });
  await migrateLegacyToken();
  const config = await loadConfig();
  state.map = createMap($("map"), config);
  state.legend = addLegend(state.map, ["child", "atRisk", "cluster", "clusterRisk", "runtime", "zoneWater", "zoneSlope"], { openWide: false });
  await addHazardOverlays(state.map, config);
  areaLayer.addTo(state.map);
  scenario.resultLayer.addTo(state.map);
  markers.renderFilters(redrawMarkers);
  toggle("show-power", markers.layers.power);
  toggle("show-shelters", markers.layers.shelters);
  toggle("show-children", markers.layers.children);
  $("hazard-select").addEventListener("change", redrawMarkers);
  wireArea();
  $("run-btn").addEventListener("click", run);
  $("export-btn").addEventListener("click", () => scenario.exportAssignment(state));
  wireTokenBox(() => loadData().catch(showError));
  showDemoTokens(config, () => loadData().catch(showError));
  await loadData();
  window.powermap = { map: state.map };
  window.powermapReady = true;
}

main().catch(showError);
