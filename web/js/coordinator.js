// The coordinator view: the 個別避難計画 audit as a sortable, filterable table; a row flies
// to the child and opens the plan; CSV download and the printable sheet, both with the token.
import { api, token } from "./api.js";
import { t } from "./i18n.js";
import { createMap, escapeHtml } from "./map.js";
import { download, setMessage, wireLang, wireTokenBox } from "./common.js";

const $ = (id) => document.getElementById(id);
const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 };
let map;
let children = new Map();
let report = null;
let sort = { key: "severity", dir: 1 };
let selected = null;
let places = new Map(); // power point and shelter names by id, for the plan panel
const childLayer = L.layerGroup();

function authHeaders() {
  return { Authorization: `Bearer ${token()}` };
}

async function loadChildren() {
  children = new Map();
  childLayer.clearLayers();
  const fc = await api("/api/v1/children");
  for (const f of fc.features) {
    children.set(f.id, f);
    const [lon, lat] = f.geometry.coordinates;
    L.circleMarker([lat, lon], { radius: 8, color: "#5f3dc4", weight: 2, fillOpacity: 0.6 })
      .bindTooltip(f.properties.name)
      .on("click", () => openPlan(f.id))
      .addTo(childLayer);
  }
  if (fc.features.length) map.fitBounds(L.latLngBounds(fc.features.map((f) => [f.geometry.coordinates[1], f.geometry.coordinates[0]])).pad(0.1));
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

function rows() {
  const sev = $("severity-select").value;
  const list = report.findings
    .filter((f) => !sev || f.severity === sev)
    .map((f) => ({ ...f, child: children.get(f.child_id)?.properties.name || f.child_id, district: children.get(f.child_id)?.properties.district || "" }));
  const key = sort.key;
  list.sort((a, b) => {
    const x = key === "severity" ? SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] : String(a[key]).localeCompare(String(b[key]), "ja");
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
      <td><span class="badge sev-${f.severity}">${escapeHtml(t("sev." + f.severity))}</span></td>
      <td>${escapeHtml(f.child)}</td><td>${escapeHtml(f.district)}</td>
      <td>${escapeHtml(t("rules." + f.rule))}<br><code>${escapeHtml(f.rule)}</code></td><td>${escapeHtml(f.message)}</td></tr>`)
    .join("");
  body.querySelectorAll("tr").forEach((tr) => {
    const open = () => openPlan(tr.dataset.child);
    tr.addEventListener("click", open);
    tr.addEventListener("keydown", (e) => e.key === "Enter" && open());
  });
  $("audit-table").querySelectorAll("th[data-sort]").forEach((th) => {
    th.classList.toggle("sorted", th.dataset.sort === sort.key);
    th.dataset.dir = th.dataset.sort === sort.key ? (sort.dir > 0 ? "▲" : "▼") : "";
  });
  document.body.dataset.findings = String(list.length);
}

async function openPlan(childId) {
  selected = childId;
  const child = children.get(childId);
  if (child) {
    const [lon, lat] = child.geometry.coordinates;
    map.setView([lat, lon], 15);
  }
  $("plan-box").hidden = false;
  $("plan-child").textContent = child?.properties.name || childId;
  $("plan-body").innerHTML = "";
  try {
    const plan = await api(`/api/v1/children/${encodeURIComponent(childId)}/plan`);
    const b = plan.body || plan;
    $("plan-body").innerHTML = `<dl class="totals">
      <dt>${escapeHtml(t("version"))}</dt><dd>${plan.version}（${escapeHtml(t("planStatus." + (b.status || "draft")))}）</dd>
      <dt>${escapeHtml(t("plannedShelter"))}</dt><dd>${escapeHtml(places.get(b.shelter_id) || b.shelter_id || "—")}</dd>
      <dt>${escapeHtml(t("plannedPower"))}</dt><dd>${escapeHtml(places.get(b.power_point_id) || b.power_point_id || "—")}</dd>
      <dt>${escapeHtml(t("nextReview"))}</dt><dd>${escapeHtml(b.next_review_due || "—")}</dd></dl>`;
  } catch (e) {
    $("plan-body").textContent = e.status === 404 ? t("noPlanYet") : `${t("error")}: ${e.message}`;
  }
}

async function fetchBlob(path) {
  const res = await fetch(path, { headers: authHeaders() });
  if (!res.ok) throw new Error(`${res.status}`);
  return res.blob();
}

async function main() {
  wireLang(renderTable);
  const config = await api("/api/v1/config", { auth: false });
  map = createMap($("map"), config);
  childLayer.addTo(map);
  const [points, shelters] = await Promise.all([api("/api/v1/power-points", { auth: false }), api("/api/v1/shelters", { auth: false })]);
  places = new Map([...points.features, ...shelters.features].map((f) => [f.id, f.properties.name]));
  $("severity-select").addEventListener("change", renderTable);
  $("district-select").addEventListener("change", () => loadAudit().catch((e) => setMessage(`${t("error")}: ${e.message}`)));
  $("audit-table").querySelectorAll("th[data-sort]").forEach((th) =>
    th.addEventListener("click", () => {
      sort = { key: th.dataset.sort, dir: sort.key === th.dataset.sort ? -sort.dir : 1 };
      renderTable();
    }),
  );
  $("csv-btn").addEventListener("click", async () => {
    const q = new URLSearchParams({ format: "csv" });
    if ($("district-select").value) q.set("district", $("district-select").value);
    try {
      download(`plan-audit-${new Date().toISOString().slice(0, 10)}.csv`, await fetchBlob(`/api/v1/plans/audit?${q}`));
    } catch (e) {
      setMessage(`${t("error")}: ${e.message}`);
    }
  });
  $("sheet-btn").addEventListener("click", async () => {
    if (!selected) return;
    const win = window.open("", "_blank");
    try {
      const blob = await fetchBlob(`/api/v1/children/${encodeURIComponent(selected)}/plan/sheet`);
      const url = URL.createObjectURL(new Blob([blob], { type: "text/html" }));
      if (win) win.location = url;
      else location.href = url;
    } catch (e) {
      win?.close();
      setMessage(`${t("error")}: ${e.message}`);
    }
  });
  const reload = async () => {
    setMessage("");
    report = null;
    $("audit-table").querySelector("tbody").innerHTML = "";
    if (!token()) return setMessage(t("needToken"));
    try {
      await loadChildren();
      await loadAudit();
    } catch (e) {
      setMessage(`${t("error")}: ${e.message}`);
    }
  };
  wireTokenBox(reload);
  await reload();
  window.powermapReady = true;
}

main().catch((e) => setMessage(`${t("error")}: ${e.message}`));
