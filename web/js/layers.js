// Every marker of the maps, made here by L.geoJSON layer factories: power points, shelters,
// children. A page says what to show and what a click does; the look is decided once.
import { api } from "./api.js";
import { fmtClock, fmtTime } from "./common.js";
import { t } from "./i18n.js";
import { childIcon, escapeHtml, powerIcon, shelterIcon } from "./map.js";
import { label } from "./vocab.js";

/** The point's latest live report (free outlets, fuel, queue), when there is one. */
export function liveLine(live) {
  if (!live) return "";
  const parts = [];
  if (live.free_outlets != null) parts.push(t("liveFree", { n: live.free_outlets }));
  if (live.fuel_out_at) parts.push(t("liveFuel", { at: fmtTime(live.fuel_out_at) }));
  if (live.queue_people != null) parts.push(t("liveQueue", { n: live.queue_people }));
  if (live.reported_at) parts.push(t("liveReported", { at: fmtTime(live.reported_at) }));
  return parts.join("・");
}

/**
 * What a point's hours mean now, as a badge: 「17:00まで」 (open, until when), 「営業時間外」 with
 * when it opens, or nothing when the answer does not say (`open_now` absent or null).
 */
export function openBadge(p) {
  if (p.open_now === true) {
    const text = p.open_until ? t("openUntil", { at: fmtClock(p.open_until) }) : t("openNow");
    return `<span class="badge ok open">${escapeHtml(text)}</span>`;
  }
  if (p.open_now === false) {
    const opens = p.opens_at ? t("opensAt", { at: fmtClock(p.opens_at) }) : "";
    return `<span class="badge bad open">${escapeHtml(t("closedNow"))}${opens ? `（${escapeHtml(opens)}）` : ""}</span>`;
  }
  return "";
}

/** How long the point's own power lasts once the grid is down: 「停電時 約5時間」; "" when it lasts. */
export function runtimeText(p) {
  return p.fuel_h != null ? t("runtime", { h: p.fuel_h }) : "";
}

/** Popup text of a power point: name, kind, status, and the details a family needs. */
export function powerPopup(p, { capacity = false } = {}) {
  const live = liveLine(p.live);
  return `<b>${escapeHtml(p.name)}</b><br>${escapeHtml(label("power_point_kinds", p.kind))} / ${escapeHtml(label("statuses", p.status))}` +
    (live ? `<br><span class="live">${escapeHtml(live)}</span>` : "") +
    (capacity ? `<br>${p.capacity_w} W` : "") +
    (p.hours ? `<br>${escapeHtml(t("hours"))}: ${escapeHtml(p.hours)}` : "") +
    (runtimeText(p) ? `<br>${escapeHtml(runtimeText(p))}` : "") +
    (p.contact ? `<br><a class="tel" href="tel:${escapeHtml(p.contact)}">${escapeHtml(p.contact)}</a>` : "");
}

/** Binds a tooltip when `tooltip` is given, else the popup. */
const explain = (popup, tooltip) => (f, layer) =>
  tooltip ? layer.bindTooltip(() => tooltip(f.properties)) : layer.bindPopup(() => popup(f.properties));

/**
 * Power points, coloured by status and lettered by kind; `filter(feature)` keeps some,
 * `popup(props)` or `tooltip(props)` says what a marker tells.
 */
export function powerLayer(fc, { filter, popup = (p) => powerPopup(p), tooltip, zIndexOffset = 0 } = {}) {
  return L.geoJSON(fc, {
    filter,
    pointToLayer: (f, at) => L.marker(at, { icon: powerIcon(f.properties), title: f.properties.name, zIndexOffset }),
    onEachFeature: explain(popup, tooltip),
  });
}

/** Popup text of a shelter: its name and what it is designated for (`hazards`) or just "shelter". */
export function shelterPopup(p, { hazards = false } = {}) {
  const line = hazards ? (p.hazards || []).map((h) => label("hazards", h)).join("・") : t("shelter");
  return `<b>${escapeHtml(p.name)}</b><br>${escapeHtml(line)}`;
}

/** Shelters; `filter(feature)` keeps some. */
export function shelterLayer(fc, { filter, popup = (p) => shelterPopup(p), tooltip, zIndexOffset = 0 } = {}) {
  return L.geoJSON(fc, {
    filter,
    pointToLayer: (f, at) => L.marker(at, { icon: shelterIcon(), title: f.properties.name, zIndexOffset }),
    onEachFeature: explain(popup, tooltip),
  });
}

/**
 * Children's homes; those in `atRisk` (a Set of ids) are red and carry `atRisk` for the
 * cluster icons. `onClick(id)` replaces the popup when given.
 */
export function childLayer(fc, { atRisk = new Set(), onClick } = {}) {
  const devices = (p) => (p.devices || []).map((d) => escapeHtml(label("device_kinds", d.kind))).join("・");
  return L.geoJSON(fc, {
    pointToLayer: (f, at) => {
      const risky = atRisk.has(f.id);
      return L.marker(at, { icon: childIcon(risky), title: f.properties.name, atRisk: risky, zIndexOffset: risky ? 1000 : 0 });
    },
    onEachFeature: (f, layer) => {
      if (onClick) layer.on("click", () => onClick(f.id));
      else layer.bindPopup(() => `<b>${escapeHtml(f.properties.name)}</b><br>${escapeHtml(f.properties.district || "")}<br>${devices(f.properties)}`);
    },
  });
}

/** A FeatureCollection of `features`, for the factories above. */
export const collection = (features) => ({ type: "FeatureCollection", features });

/**
 * A zone's colour: water by depth rank in the national legend's colours (国土交通省「水害ハザード
 * マップ作成の手引き」: < 0.5 m … ≥ 20 m), slopes yellow (警戒区域) or red (特別警戒区域).
 */
export function zoneColor(p) {
  if (p.hazard === "landslide") return p.level >= 2 ? "#e60000" : "#f2d600";
  return ["#f7f5a9", "#ffd8c0", "#ffb7b7", "#ff9191", "#f285c9", "#dc7adc"][Math.min(Math.max(p.level, 1), 6) - 1];
}

/** Hazard zones, under everything else, each saying what it is on hover. */
export function zoneLayer(fc) {
  return L.geoJSON(fc, {
    interactive: true,
    style: (f) => ({ color: "#8a5a00", weight: 1, opacity: 0.6, fillColor: zoneColor(f.properties), fillOpacity: 0.5 }),
    onEachFeature: (f, layer) => layer.bindTooltip(() => zoneText(f.properties), { sticky: true }),
  });
}

/** 「洪水 ランク3（3m以上）神崎川…」: what a zone is, in words. */
export function zoneText(p) {
  const depth = p.depth_m != null ? t("zoneDepth", { m: p.depth_m }) : "";
  return `${label("hazards", p.hazard)} ${t(p.hazard === "landslide" ? (p.level >= 2 ? "zoneRed" : "zoneYellow") : "zoneRank", { n: p.level })}${depth}${p.name ? " " + p.name : ""}`;
}

/**
 * The map's overlay switch: the imported hazard zones (shown at once when `on`) and the
 * national hazard-map tiles the server names (off until chosen). Returns the zones layer.
 */
export async function addHazardOverlays(map, config, { on = true } = {}) {
  const zones = zoneLayer(await api("/api/v1/hazard-zones", { auth: false }));
  const overlays = { [t("overlayZones")]: zones };
  for (const tiles of config.hazard_tiles || []) {
    overlays[tiles.name] = L.tileLayer(tiles.url, { attribution: tiles.attribution, opacity: 0.7, maxZoom: 17, maxNativeZoom: 17 });
  }
  L.control.layers(null, overlays, { collapsed: true, position: "bottomright" }).addTo(map);
  if (on) zones.addTo(map);
  zones.bringToBack?.();
  return zones;
}
