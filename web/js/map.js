// Map creation, base tiles with an offline notice, and marker helpers. Uses global L (Leaflet UMD).
import { t } from "./i18n.js";

export function createMap(el, config) {
  const map = L.map(el, { maxZoom: 18, minZoom: 5, zoomControl: true }).setView(config.center, config.zoom);
  const tiles = L.tileLayer(config.tiles_url, { attribution: config.tiles_attribution, maxZoom: 18 });
  let failed = 0;
  tiles.on("tileerror", () => {
    failed += 1;
    const notice = document.getElementById("offline-notice");
    if (notice && failed >= 1) {
      notice.textContent = t("offline");
      notice.hidden = false;
    }
  });
  tiles.addTo(map);
  return map;
}

const COLORS = { available: "#1b7f3b", limited: "#c77700", unavailable: "#888888", unknown: "#3b5bdb" };

/** A round marker for a power point: colour by status, letter by kind. */
export function powerIcon(props) {
  const letter = { generator: "G", charging_station: "C", ev_supply: "E", battery_station: "B", facility_outlet: "F", hospital: "H" }[props.kind] || "?";
  const color = COLORS[props.status] || COLORS.unknown;
  return L.divIcon({ className: "pm-icon", html: `<span style="background:${color}">${letter}</span>`, iconSize: [26, 26], iconAnchor: [13, 13] });
}

export function shelterIcon() {
  return L.divIcon({ className: "pm-icon pm-shelter", html: "<span>避</span>", iconSize: [24, 24], iconAnchor: [12, 12] });
}

export function escapeHtml(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
