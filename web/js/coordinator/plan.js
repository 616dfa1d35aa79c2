// The open plan: its box beside the table (version, destinations, next review) and the child
// ringed on the map with dashed lines to the destinations the plan names.
import { api } from "../api.js";
import { t } from "../i18n.js";
import { powerLayer, shelterLayer } from "../layers.js";
import { escapeHtml, fitWhenIdle } from "../map.js";
import { label } from "../vocab.js";
import { showError } from "../common.js";
import { childIncidentHtml } from "../incidents-open.js";
import { markSelected } from "./table.js";

const $ = (id) => document.getElementById(id);
const ll = (f) => [f.geometry.coordinates[1], f.geometry.coordinates[0]];
const DESTINATIONS = [
  ["plannedShelter", "shelter_id"],
  ["plannedBackupShelter", "backup_shelter_id"],
  ["plannedPower", "power_point_id"],
  ["plannedBackupPower", "backup_power_point_id"],
];
/** The layer the open plan is drawn in; `main` adds it to the map. */
export const planLayer = L.layerGroup();

/** Opens the plan of `childId`: the newest version from its history (none: `null`). */
export async function open(state, childId) {
  state.selected = childId;
  state.plan = undefined;
  state.incidents = [];
  markSelected(state);
  render(state);
  $("plan-box").scrollIntoView({ block: "nearest" });
  try {
    // The history is empty (not a 404) for a child without a plan; the newest comes first.
    // During an outage the child's battery clock comes with it ([] when its home has power).
    const [history, incidents] = await Promise.all([
      api(`/api/v1/children/${encodeURIComponent(childId)}/plan/history`),
      api(`/api/v1/children/${encodeURIComponent(childId)}/incident`).catch(() => []),
    ]);
    if (state.selected !== childId) return;
    state.plan = history[0] || null;
    state.incidents = incidents;
  } catch (e) {
    if (state.selected !== childId) return;
    state.plan = null;
    showError(e);
  }
  render(state);
  document.body.dataset.planFor = childId;
}

/** Closes the plan box and takes the plan off the map. */
export function close(state) {
  state.selected = null;
  state.plan = undefined;
  markSelected(state);
  render(state);
}

/** The plan box and the plan on the map. */
export function render(state) {
  renderBox(state);
  drawOnMap(state);
}

function placeText(places, id) {
  if (!id) return "—";
  const f = places.get(id);
  return f ? escapeHtml(f.properties.name) : `<span class="bad-text">${escapeHtml(t("notRegistered", { id }))}</span>`;
}

function renderBox({ selected, plan, children, places, incidents }) {
  $("plan-box").hidden = !selected;
  if (!selected) return;
  $("plan-child").textContent = children.get(selected)?.properties.name || selected;
  $("plan-incident").innerHTML = childIncidentHtml(incidents || [], places);
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
    ${DESTINATIONS.filter(([, field]) => !field.startsWith("backup") || b[field]).map(([label, field]) => `<dt>${escapeHtml(t(label))}</dt><dd>${placeText(places, b[field])}</dd>`).join("")}
    <dt>${escapeHtml(t("nextReview"))}</dt><dd>${escapeHtml(b.next_review_due || "—")}</dd></dl>`;
}

/** The chosen child ringed on the map, with dashed lines to the destinations its plan names. */
function drawOnMap({ map, legend, selected, plan, children, places }) {
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
