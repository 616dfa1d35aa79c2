// The answer on the map (origin, numbered points, lines) and as the list beside it.
import { t } from "../i18n.js";
import { liveLine, openBadge, powerPopup, runtimeText } from "../layers.js";
import { escapeHtml, fitWhenIdle, whenIdle } from "../map.js";
import { label } from "../vocab.js";
import { fmtDistance, fmtMinutes, setMessage } from "../common.js";

const $ = (id) => document.getElementById(id);
const phone = () => window.matchMedia("(max-width: 700px)").matches;
/** The layer the answer is drawn in; `main` adds it to the map. */
export const resultLayer = L.layerGroup();

/** The outlets that matter to this search, with their watts, and the point's total. */
function outletsText(p, need) {
  const minW = need.child ? 0 : Number($("min-w").value) || 0;
  const types = need.child
    ? new Set(need.child.properties.devices.filter((d) => d.life_critical).map((d) => d.input))
    : $("outlet-select").value ? new Set([$("outlet-select").value]) : null;
  const outlets = (p.outlets || []).filter((o) => (!types || types.has(o.type)) && o.max_w >= minW);
  return [...outlets.map((o) => t("outletLine", { type: label("outlet_types", o.type), w: o.max_w, n: o.count })), t("capacityLine", { w: p.capacity_w })].join("・");
}

/** Hours as written, how long the point runs in an outage, and its latest live report. */
function timesLine(p) {
  const parts = [p.hours ? `${t("hours")}: ${p.hours}` : "", runtimeText(p), liveLine(p.live)].filter(Boolean);
  return parts.length ? `<div class="meta times">${escapeHtml(parts.join("・"))}</div>` : "";
}

const ORIGIN_TEXT = { home: "originHome", here: "originHere", picked: "originPicked" };

export function render(state, { fit, user }) {
  const { map, legend } = state;
  const { answer, origin: from, child: forChild } = state.last;
  resultLayer.clearLayers();
  const at = [from.lat, from.lon];
  const fromIcon = from.kind === "home"
    ? L.divIcon({ className: "pm-icon pm-home", html: "<span>家</span>", iconSize: [28, 28], iconAnchor: [14, 14] })
    : L.divIcon({ className: "pm-icon pm-origin", html: "<span>●</span>", iconSize: [26, 26], iconAnchor: [13, 13] });
  L.marker(at, { icon: fromIcon, title: t(ORIGIN_TEXT[from.kind]), zIndexOffset: 900 }).addTo(resultLayer);
  const list = $("results");
  list.innerHTML = "";
  answer.features.forEach((f, i) => {
    const p = f.properties;
    const [lon, lat] = f.geometry.coordinates;
    L.polyline([at, [lat, lon]], { color: "#0b57d0", weight: 3, dashArray: "6 4", interactive: false }).addTo(resultLayer);
    const marker = L.marker([lat, lon], { icon: L.divIcon({ className: "pm-icon pm-rank", html: `<span>${i + 1}</span>`, iconSize: [30, 30], iconAnchor: [15, 15] }), title: p.name, zIndexOffset: 1000 })
      .bindPopup(() => powerPopup(p))
      .addTo(resultLayer);
    const battery = p.within_battery === undefined ? "" :
      p.within_battery ? `<span class="badge ok battery">${escapeHtml(t("withinBattery"))}</span>` : `<span class="badge bad battery">${escapeHtml(t("beyondBattery"))}</span>`;
    const li = document.createElement("li");
    li.dataset.id = f.id;
    li.innerHTML = `<button type="button" class="result-name name">${escapeHtml(p.name)}</button>
      <div class="meta">${fmtDistance(p.distance_m)}・${escapeHtml(t("walk"))} ${fmtMinutes(p.walk_min)} ${escapeHtml(t("min"))}・${escapeHtml(t("drive"))} ${fmtMinutes(p.drive_min)} ${escapeHtml(t("min"))}</div>
      <div class="meta outlets">${escapeHtml(outletsText(p, { child: forChild }))}</div>
      <div class="meta">${battery}${openBadge(p)}<span class="badge">${escapeHtml(label("statuses", p.status))}</span>${p.requires_registration ? `<span class="badge">${escapeHtml(t("registration"))}</span>` : ""}${p.call_first ? `<span class="badge">${escapeHtml(t("callFirst"))}</span>` : ""}</div>
      ${timesLine(p)}
      ${p.contact ? `<a class="tel" href="tel:${escapeHtml(p.contact)}">☎ ${escapeHtml(p.contact)}</a>` : ""}`;
    li.querySelector("button").addEventListener("click", () => {
      whenIdle(map, () => {
        map.setView([lat, lon], 16);
        marker.openPopup();
      });
      if (phone()) $("map").scrollIntoView({ block: "nearest" });
    });
    list.appendChild(li);
  });
  list.dataset.count = String(answer.features.length);
  $("origin-label").hidden = false;
  $("origin-label").textContent = t(ORIGIN_TEXT[from.kind]);
  $("origin-label").dataset.kind = from.kind;
  if (answer.features.length === 0) setMessage(t("none"));
  if (fit) {
    const bounds = L.latLngBounds([at, ...answer.features.map((f) => [f.geometry.coordinates[1], f.geometry.coordinates[0]])]);
    // Room for the legend, the offline notice above and the "search here" button below.
    fitWhenIdle(map, bounds, { maxZoom: 16, paddingTopLeft: [legend.width(), 56], paddingBottomRight: [30, 80] });
  }
  // On a phone the list sits under the map: bring the answer into view, but only when asked.
  if (user && phone() && answer.features.length) $("results-title").scrollIntoView({ block: "start", behavior: "smooth" });
}

