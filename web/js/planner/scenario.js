// The outage scenario: run it for the chosen area, show its totals, assignment and lines,
// list the saved ones, export the assignment.
import { api } from "../api.js";
import { t } from "../i18n.js";
import { escapeHtml } from "../map.js";
import { runtimeText, zoneText } from "../layers.js";
import { download, fmtDistance, fmtMinutes, setMessage, showError } from "../common.js";

const $ = (id) => document.getElementById(id);
/** The layer the result is drawn in; `main` adds it to the map. */
export const resultLayer = L.layerGroup();

/** The saved scenarios, newest first. */
export async function loadSaved() {
  const saved = await api("/api/v1/scenarios");
  $("saved-list").innerHTML = saved
    .map((s) => `<li><b>${escapeHtml(s.name)}</b> — ${s.hours} h・${escapeHtml(t("atRisk"))} ${s.at_risk}・${escapeHtml(t("assigned"))} ${s.assigned}<br><small>${escapeHtml(s.author)} ${escapeHtml(s.created_at)}</small></li>`)
    .join("");
}

/** Runs the scenario of the chosen area and hours; the result in `state.lastResult`, or nothing. */
export async function run(state) {
  const { area } = state;
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
    state.lastResult = await api("/api/v1/scenarios/outage", { method: "POST", body });
  } catch (e) {
    showError(e);
    return;
  } finally {
    $("run-btn").disabled = false;
  }
  if (body.name) loadSaved().catch(showError);
  return state.lastResult;
}

function byId(list) {
  return new Map(list.map((f) => [f.id, f]));
}

/** Totals, the assignment list, points out and lines of the last result. */
export function render(state) {
  const { data, lastResult: r } = state;
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
  $("t-second-move").textContent = (r.needs_second_move || []).length;
  $("t-second-move").classList.toggle("bad", (r.needs_second_move || []).length > 0);
  $("t-optimal").textContent = optimality(r);
  $("t-optimal").title = r.model || "";
  const name = (id, map) => map.get(id)?.properties.name || id;
  $("assignment-list").innerHTML =
    r.assignments.map((a) => `<li data-child="${escapeHtml(a.child_id)}"${a.holds_h != null ? ' class="warn"' : ""}>${escapeHtml(name(a.child_id, children))} → ${escapeHtml(name(a.power_point_id, points))}（${fmtDistance(a.distance_m)}・${fmtMinutes(a.travel_min)} ${escapeHtml(t("min"))}${runtimeOf(points.get(a.power_point_id))}）${a.holds_h != null ? `<br><b class="holds">${escapeHtml(t("holdsFor", { h: a.holds_h }))}</b>` : ""}${zoneBadges(r, a.child_id)}</li>`).join("") +
    r.unassigned.map((u) => `<li class="bad" data-child="${escapeHtml(u.child_id)}">${escapeHtml(name(u.child_id, children))}: ${escapeHtml(t("reasons." + u.reason))}</li>`).join("");
  document.body.dataset.scenario = "done";
}

/** The hazard zones at the child's home, as badges (the answer's `hazard_exposure`). */
function zoneBadges(r, childId) {
  return ((r.hazard_exposure || {})[childId] || []).map((e) => ` <span class="badge zone">${escapeHtml(zoneText({ ...e, name: null }))}</span>`).join("");
}

/** 「・停電時 約72時間」 for a point that runs on its own fuel or battery; "" for one that lasts. */
function runtimeOf(point) {
  const text = point ? runtimeText(point.properties) : "";
  return text ? `・${escapeHtml(text)}` : "";
}

/** The optimality line: proven, or how far from the lower bound the answer may be. */
function optimality(r) {
  if (r.optimal) return t("optimalYes");
  if (r.gap == null || !Number.isFinite(r.gap)) return t("optimalNo");
  return t("optimalGap", { gap: (Math.ceil(r.gap * 1000) / 10).toFixed(1), bound: fmtDistance(r.lower_bound_m) });
}

/** Saves the assignment as GeoJSON lines from each child to its power point. */
export function exportAssignment(state) {
  const { data, lastResult } = state;
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
