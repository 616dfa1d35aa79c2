// The coordinator view: the 個別避難計画 audit as a sortable, filterable table; a row marks the
// child on the map, draws the planned destinations and shows the plan; CSV download (as
// filtered, by the server) and the printable sheet, both with the token.
// This file wires the page; table.js draws the table, plan.js the open plan.
import { api, apiBlob, loadConfig, migrateLegacyToken, token } from "../api.js";
import { t } from "../i18n.js";
import { addHazardOverlays, childLayer } from "../layers.js";
import { addLegend, createMap } from "../map.js";
import { download, fillOptions, setMessage, showDemoTokens, showError, wireLang, wireTokenBox } from "../common.js";
import { showOpenIncidents } from "../incidents-open.js";
import * as plan from "./plan.js";
import * as priority from "./priority.js";
import * as table from "./table.js";

const $ = (id) => document.getElementById(id);
const ll = (f) => [f.geometry.coordinates[1], f.geometry.coordinates[0]];

/** Everything the page shows. */
const state = {
  map: null,
  legend: null,
  children: new Map(),
  report: null,
  sort: { key: "severity", dir: 1 },
  selected: null, // the child whose plan is open
  plan: undefined, // its current plan: null when it has none, undefined while loading
  places: new Map(), // power points and shelters by id
};
const childMarkers = L.layerGroup();
const openPlan = (id) => plan.open(state, id);
const renderTable = () => table.render(state, openPlan);

async function loadChildren() {
  state.children = new Map();
  childMarkers.clearLayers();
  const fc = await api("/api/v1/children");
  for (const f of fc.features) state.children.set(f.id, f);
  childLayer(fc, { onClick: openPlan }).addTo(childMarkers);
  if (fc.features.length) state.map.fitBounds(L.latLngBounds(fc.features.map(ll)).pad(0.1));
  const districts = [...new Set(fc.features.map((f) => f.properties.district).filter(Boolean))].sort((a, b) => a.localeCompare(b, "ja"));
  const sel = $("district-select");
  sel.querySelectorAll("option[data-d]").forEach((o) => o.remove());
  for (const d of districts) {
    const o = document.createElement("option");
    o.value = d;
    o.dataset.d = "1";
    o.textContent = d;
    sel.appendChild(o);
  }
}

async function loadAudit() {
  const q = $("district-select").value ? `?district=${encodeURIComponent($("district-select").value)}` : "";
  state.report = await api(`/api/v1/plans/audit${q}`);
  renderTable();
  await priority.load(state, openPlan);
}

async function downloadCsv() {
  // The download holds what the table shows: the server filters by severity too.
  const q = new URLSearchParams({ format: "csv" });
  if ($("district-select").value) q.set("district", $("district-select").value);
  const sev = $("severity-select").value;
  if (sev) q.set("severity", sev);
  try {
    const blob = await apiBlob(`/api/v1/plans/audit?${q}`);
    download(`plan-audit-${new Date().toISOString().slice(0, 10)}${sev ? "-" + sev : ""}.csv`, blob);
  } catch (e) {
    showError(e);
  }
}

async function openSheet() {
  if (!state.selected) return;
  const win = window.open("", "_blank");
  try {
    const blob = await apiBlob(`/api/v1/children/${encodeURIComponent(state.selected)}/plan/sheet`);
    const url = URL.createObjectURL(new Blob([blob], { type: "text/html" }));
    if (win) win.location = url;
    else location.href = url;
  } catch (e) {
    win?.close();
    showError(e);
  }
}

async function reload() {
  setMessage("");
  state.report = null;
  plan.close(state);
  $("audit-table").querySelector("tbody").innerHTML = "";
  $("priority-table").querySelector("tbody").innerHTML = "";
  state.priority = null;
  if (!token()) return setMessage(t("needToken"));
  showOpenIncidents($("incident-banner"));
  try {
    await loadChildren();
    await loadAudit();
  } catch (e) {
    showError(e);
  }
}

function wire() {
  $("severity-select").addEventListener("change", renderTable);
  $("district-select").addEventListener("change", () => loadAudit().catch(showError));
  $("audit-table").querySelectorAll("th[data-sort] button").forEach((button) =>
    button.addEventListener("click", () => {
      const key = button.parentElement.dataset.sort;
      state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : 1 };
      renderTable();
    }),
  );
  $("plan-close").addEventListener("click", () => plan.close(state));
  $("csv-btn").addEventListener("click", downloadCsv);
  $("priority-csv-btn").addEventListener("click", priority.downloadCsv);
  $("sheet-btn").addEventListener("click", openSheet);
}

async function main() {
  wireLang(() => {
    fillOptions($("severity-select"), "severities");
    renderTable();
    priority.render(state, openPlan);
    plan.render(state);
    state.legend.render();
    showOpenIncidents($("incident-banner"));
  });
  await migrateLegacyToken();
  const config = await loadConfig();
  fillOptions($("severity-select"), "severities");
  state.map = createMap($("map"), config);
  state.legend = addLegend(state.map, ["child", "selected", "plan", "zoneWater", "zoneSlope"], { openWide: false });
  await addHazardOverlays(state.map, config);
  childMarkers.addTo(state.map);
  plan.planLayer.addTo(state.map);
  const [points, shelters] = await Promise.all([api("/api/v1/power-points", { auth: false }), api("/api/v1/shelters", { auth: false })]);
  state.places = new Map([...points.features, ...shelters.features].map((f) => [f.id, f]));
  wire();
  wireTokenBox(reload);
  showDemoTokens(config, reload);
  await reload();
  window.powermap = { map: state.map };
  window.powermapReady = true;
}

main().catch(showError);
