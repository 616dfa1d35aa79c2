// The coordinator view: the 個別避難計画 audit as a sortable, filterable table; a row marks the
// child on the map, draws the planned destinations and shows the plan; CSV download (as
// filtered) and the printable sheet, both with the token.
import { api, apiBlob, loadConfig, migrateLegacyToken, token } from "./api.js";
import { t } from "./i18n.js";
import { childLayer, powerLayer, shelterLayer } from "./layers.js";
import { addLegend, createMap, escapeHtml, fitWhenIdle } from "./map.js";
import { download, fillOptions, setMessage, showDemoTokens, showError, wireLang, wireTokenBox } from "./common.js";
import { label } from "./vocab.js";

const $ = (id) => document.getElementById(id);
const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 };
const DESTINATIONS = [
  ["plannedShelter", "shelter_id"],
  ["plannedBackupShelter", "backup_shelter_id"],
  ["plannedPower", "power_point_id"],
  ["plannedBackupPower", "backup_power_point_id"],
];
let map;
let legend;
let children = new Map();
let report = null;
let sort = { key: "severity", dir: 1 };
let selected = null; // the child whose plan is open
let plan; // its current plan: null when it has none, undefined while loading
let places = new Map(); // power points and shelters by id
const childMarkers = L.layerGroup();
const planLayer = L.layerGroup();
const ll = (f) => [f.geometry.coordinates[1], f.geometry.coordinates[0]];

async function loadChildren() {
  children = new Map();
  childMarkers.clearLayers();
  const fc = await api("/api/v1/children");
  for (const f of fc.features) children.set(f.id, f);
  childLayer(fc, { onClick: openPlan }).addTo(childMarkers);
  if (fc.features.length) map.fitBounds(L.latLngBounds(fc.features.map(ll)).pad(0.1));
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
  report = await api(`/api/v1/plans/audit${q}`);
  renderTable();
}

/** The findings shown, sorted by what the column shows (the rule's label, not its code). */
function rows() {
  const sev = $("severity-select").value;
  const list = report.findings
    .filter((f) => !sev || f.severity === sev)
    .map((f) => ({ ...f, child: children.get(f.child_id)?.properties.name || f.child_id, district: children.get(f.child_id)?.properties.district || "" }));
  const shown = { child: (f) => f.child, district: (f) => f.district, rule: (f) => t("rules." + f.rule) }[sort.key];
  list.sort((a, b) => {
    const x = shown ? shown(a).localeCompare(shown(b), "ja") : SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity];
    return x * sort.dir || a.child_id.localeCompare(b.child_id);
  });
  return list;
}

function renderTable() {
  if (!report) return;
  const list = rows();
  $("audit-summary").textContent = `${t("childrenChecked")}: ${report.children}・${t("findings")}: ${list.length}`;
  const body = $("audit-table").querySelector("tbody");
  body.innerHTML = list
    .map((f) => `<tr class="sev-${f.severity}" data-child="${escapeHtml(f.child_id)}" tabindex="0">
      <td><span class="badge sev-${f.severity}">${escapeHtml(label("severities", f.severity))}</span></td>
      <td>${escapeHtml(f.child)}</td><td>${escapeHtml(f.district)}</td>
      <td>${escapeHtml(t("rules." + f.rule))}<br><code>${escapeHtml(f.rule)}</code></td><td>${escapeHtml(f.message)}</td></tr>`)
    .join("");
  body.querySelectorAll("tr").forEach((tr) => {
    const open = () => openPlan(tr.dataset.child);
    tr.addEventListener("click", open);
    tr.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        open();
      }
    });
  });
  $("audit-table").querySelectorAll("th[data-sort]").forEach((th) => {
    th.setAttribute("aria-sort", th.dataset.sort === sort.key ? (sort.dir > 0 ? "ascending" : "descending") : "none");
  });
  markSelected();
  document.body.dataset.findings = String(list.length);
}

function markSelected() {
  $("audit-table").querySelectorAll("tbody tr").forEach((tr) => {
    const on = tr.dataset.child === selected;
    tr.classList.toggle("selected", on);
    tr.setAttribute("aria-selected", String(on));
  });
}

async function openPlan(childId) {
  selected = childId;
  plan = undefined;
  markSelected();
  renderPlan();
  drawPlan();
  $("plan-box").scrollIntoView({ block: "nearest" });
  try {
    // The history is empty (not a 404) for a child without a plan; the newest comes first.
    const history = await api(`/api/v1/children/${encodeURIComponent(childId)}/plan/history`);
    if (selected !== childId) return;
    plan = history[0] || null;
  } catch (e) {
    if (selected !== childId) return;
    plan = null;
    showError(e);
  }
  renderPlan();
  drawPlan();
  document.body.dataset.planFor = childId;
}

function placeText(id) {
  if (!id) return "—";
  const f = places.get(id);
  return f ? escapeHtml(f.properties.name) : `<span class="bad-text">${escapeHtml(t("notRegistered", { id }))}</span>`;
}

function renderPlan() {
  $("plan-box").hidden = !selected;
  if (!selected) return;
  $("plan-child").textContent = children.get(selected)?.properties.name || selected;
  if (plan === undefined) {
    $("plan-body").innerHTML = "";
    return;
  }
  if (plan === null) {
    $("plan-body").innerHTML = `<p>${escapeHtml(t("noPlanYet"))}</p>`;
    return;
  }
  const b = plan.body || plan;
  $("plan-body").innerHTML = `<dl class="totals">
    <dt>${escapeHtml(t("version"))}</dt><dd>${plan.version}（${escapeHtml(label("plan_statuses", b.status || "draft"))}）</dd>
    ${DESTINATIONS.filter(([, field]) => !field.startsWith("backup") || b[field]).map(([label, field]) => `<dt>${escapeHtml(t(label))}</dt><dd>${placeText(b[field])}</dd>`).join("")}
    <dt>${escapeHtml(t("nextReview"))}</dt><dd>${escapeHtml(b.next_review_due || "—")}</dd></dl>`;
}

/** The chosen child ringed on the map, with dashed lines to the destinations its plan names. */
function drawPlan() {
  planLayer.clearLayers();
  const child = children.get(selected);
  if (!child) return;
  const home = ll(child);
  L.circleMarker(home, { radius: 15, color: "#f59f00", weight: 4, fill: false, className: "pm-selected", interactive: false }).addTo(planLayer);
  const b = plan ? plan.body || plan : {};
  const ends = [];
  for (const [what, field] of DESTINATIONS) {
    const f = places.get(b[field]);
    if (!f) continue;
    ends.push(ll(f));
    L.polyline([home, ll(f)], { color: "#e8590c", weight: 3, dashArray: "6 4", className: "pm-plan-line", interactive: false }).addTo(planLayer);
    const layer = field.includes("power") ? powerLayer : shelterLayer;
    layer(f, { zIndexOffset: 1000, tooltip: (p) => `${t(what)}: ${p.name}` }).addTo(planLayer);
  }
  if (plan === undefined) return; // the view moves once, when the plan is in
  fitWhenIdle(map, L.latLngBounds([home, ...ends]).pad(ends.length ? 0.2 : 0), { maxZoom: ends.length ? 16 : 15, paddingTopLeft: [legend.width(), 20] });
}

async function main() {
  wireLang(() => {
    fillOptions($("severity-select"), "severities");
    renderTable();
    renderPlan();
    legend.render();
  });
  await migrateLegacyToken();
  const config = await loadConfig();
  fillOptions($("severity-select"), "severities");
  map = createMap($("map"), config);
  legend = addLegend(map, ["child", "selected", "plan"], { openWide: false });
  childMarkers.addTo(map);
  planLayer.addTo(map);
  const [points, shelters] = await Promise.all([api("/api/v1/power-points", { auth: false }), api("/api/v1/shelters", { auth: false })]);
  places = new Map([...points.features, ...shelters.features].map((f) => [f.id, f]));
  $("severity-select").addEventListener("change", renderTable);
  $("district-select").addEventListener("change", () => loadAudit().catch(showError));
  $("audit-table").querySelectorAll("th[data-sort] button").forEach((button) =>
    button.addEventListener("click", () => {
      const key = button.parentElement.dataset.sort;
      sort = { key, dir: sort.key === key ? -sort.dir : 1 };
      renderTable();
    }),
  );
  $("plan-close").addEventListener("click", () => {
    selected = null;
    plan = undefined;
    markSelected();
    renderPlan();
    planLayer.clearLayers();
  });
  $("csv-btn").addEventListener("click", async () => {
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
  });
  $("sheet-btn").addEventListener("click", async () => {
    if (!selected) return;
    const win = window.open("", "_blank");
    try {
      const blob = await apiBlob(`/api/v1/children/${encodeURIComponent(selected)}/plan/sheet`);
      const url = URL.createObjectURL(new Blob([blob], { type: "text/html" }));
      if (win) win.location = url;
      else location.href = url;
    } catch (e) {
      win?.close();
      showError(e);
    }
  });
  const reload = async () => {
    setMessage("");
    report = null;
    selected = null;
    renderPlan();
    planLayer.clearLayers();
    $("audit-table").querySelector("tbody").innerHTML = "";
    if (!token()) return setMessage(t("needToken"));
    try {
      await loadChildren();
      await loadAudit();
    } catch (e) {
      showError(e);
    }
  };
  wireTokenBox(reload);
  showDemoTokens(config, reload);
  await reload();
  window.powermap = { map };
  window.powermapReady = true;
}

main().catch(showError);
