// Map creation, base tiles with an offline notice, marker icons, the legend. Uses global L (Leaflet UMD).
import { t } from "./i18n.js";
import { label, values } from "./vocab.js";

const LETTERS = { generator: "G", charging_station: "C", ev_supply: "E", battery_station: "B", facility_outlet: "F", hospital: "H" };
const COLORS = { available: "#1b7f3b", limited: "#c77700", unavailable: "#6b6b6b", unknown: "#3b5bdb" };

/**
 * The map with GSI tiles. When tiles fail (no network) a small notice at the top says the
 * base map is offline; it can be closed, and it goes away by itself once tiles load again.
 */
export function createMap(el, config) {
  const map = L.map(el, { maxZoom: 18, minZoom: 5, zoomControl: true }).setView(config.center, config.zoom);
  // Leaflet's zoom buttons speak English; these follow the language switch like every string.
  for (const [cls, key] of [["in", "zoomIn"], ["out", "zoomOut"]]) {
    const button = el.querySelector(`.leaflet-control-zoom-${cls}`);
    button.dataset.i18nAria = key;
    button.dataset.i18nTitle = key;
    button.setAttribute("aria-label", t(key));
    button.title = t(key);
  }
  const tiles = L.tileLayer(config.tiles_url, { attribution: config.tiles_attribution, maxZoom: 18 });
  const notice = document.getElementById("offline-notice");
  let dismissed = false;
  notice?.querySelector("button")?.addEventListener("click", () => {
    dismissed = true;
    notice.hidden = true;
  });
  // A failure only counts if its request started after the newest tile that did load:
  // requests still hanging from before the network came back must not bring the notice back.
  const started = new WeakMap();
  let newestLoaded = -Infinity;
  tiles.on("tileloadstart", (e) => started.set(e.tile, performance.now()));
  tiles.on("tileerror", (e) => {
    if (notice && !dismissed && (started.get(e.tile) ?? Infinity) > newestLoaded) notice.hidden = false;
  });
  tiles.on("tileload", (e) => {
    newestLoaded = Math.max(newestLoaded, started.get(e.tile) ?? -Infinity);
    if (notice) notice.hidden = true;
  });
  tiles.addTo(map);
  return map;
}

/**
 * Fits the map to `bounds` even while a zoom animation runs: Leaflet drops a new view asked
 * for mid-animation, which left fresh results off screen after a quick second search.
 */
export function fitWhenIdle(map, bounds, options) {
  whenIdle(map, () => map.fitBounds(bounds, options));
}

/** Runs `move` now, or after the zoom animation under way (see `fitWhenIdle`). */
export function whenIdle(map, move) {
  if (map._animatingZoom) map.once("zoomend", move);
  else move();
}

/** A round marker for a power point: colour by status, letter by kind. */
export function powerIcon(props) {
  const letter = LETTERS[props.kind] || "?";
  const color = COLORS[props.status] || COLORS.unknown;
  return L.divIcon({ className: "pm-icon", html: `<span style="background:${color}">${letter}</span>`, iconSize: [26, 26], iconAnchor: [13, 13] });
}

export function shelterIcon() {
  return L.divIcon({ className: "pm-icon pm-shelter", html: "<span>避</span>", iconSize: [24, 24], iconAnchor: [12, 12] });
}

/** A child's home: its own colour and shape, red when the battery will not last. */
export function childIcon(atRisk = false) {
  return L.divIcon({ className: `pm-icon pm-child${atRisk ? " at-risk" : ""}`, html: "<span>児</span>", iconSize: [26, 26], iconAnchor: [13, 13] });
}

/**
 * Cluster icons that never hide an emergency: a cluster holding markers flagged `atRisk`
 * turns red and shows how many of them it holds.
 */
export function clusterIcon(cluster) {
  const markers = cluster.getAllChildMarkers();
  const atRisk = markers.filter((m) => m.options.atRisk).length;
  const total = markers.length;
  const title = atRisk ? t("clusterAtRisk", { n: atRisk, total }) : t("clusterTitle", { n: total });
  const html = atRisk
    ? `<div title="${escapeHtml(title)}" aria-label="${escapeHtml(title)}" data-at-risk="${atRisk}"><span>${atRisk}</span></div>`
    : `<div title="${escapeHtml(title)}" aria-label="${escapeHtml(title)}" data-at-risk="0"><span>${total}</span></div>`;
  return L.divIcon({ html, className: `marker-cluster pm-cluster ${atRisk ? "at-risk" : total < 10 ? "marker-cluster-small" : "marker-cluster-medium"}`, iconSize: [40, 40] });
}

export function escapeHtml(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

const swatch = (cls, inner, style = "") => `<span class="pm-icon ${cls}"><span style="${style}">${inner}</span></span>`;

/**
 * The legend as a Leaflet control: power point kinds and status colours always, and the
 * `extras` a view draws ("child", "atRisk", "cluster", "origin", "home", "rank", "selected", "plan").
 * Folded on phones, and on wide screens unless `openWide`; the user's choice is remembered per
 * page. Call the returned `render()` after a language switch.
 */
export function addLegend(map, extras = [], { openWide = true } = {}) {
  const control = L.control({ position: "bottomleft" });
  const box = L.DomUtil.create("details", "legend");
  const key = `powermap.legend.${document.body.dataset.view || "family"}`;
  const saved = localStorage.getItem(key);
  box.open = saved ? saved === "open" : openWide && !window.matchMedia("(max-width: 700px)").matches;
  box.addEventListener("toggle", () => localStorage.setItem(key, box.open ? "open" : "closed"));
  L.DomEvent.disableClickPropagation(box);
  L.DomEvent.disableScrollPropagation(box);
  const rows = {
    child: () => [swatch("pm-child", "児"), t("legendChild")],
    atRisk: () => [swatch("pm-child at-risk", "児"), t("legendAtRisk")],
    cluster: () => [`<span class="legend-cluster">3</span>`, t("legendCluster")],
    clusterRisk: () => [`<span class="legend-cluster at-risk">2</span>`, t("legendClusterRisk")],
    origin: () => [swatch("pm-origin", "●"), t("legendOrigin")],
    home: () => [swatch("pm-home", "家"), t("legendHome")],
    rank: () => [swatch("pm-rank", "1"), t("legendRank")],
    selected: () => [`<span class="legend-ring"></span>`, t("legendSelected")],
    plan: () => [`<span class="legend-line"></span>`, t("legendPlan")],
    open: () => [`<span class="badge ok">時</span>`, t("legendOpen")],
    closed: () => [`<span class="badge bad">×</span>`, t("legendClosed")],
    runtime: () => [`<span class="badge">h</span>`, t("legendRuntime")],
    zoneWater: () => [`<span class="legend-zone" style="background:linear-gradient(90deg,#f7f5a9,#ffb7b7,#dc7adc)"></span>`, t("legendZoneWater")],
    zoneSlope: () => [`<span class="legend-zone" style="background:linear-gradient(90deg,#f2d600 50%,#e60000 50%)"></span>`, t("legendZoneSlope")],
  };
  const li = ([icon, text]) => `<li>${icon}<span>${escapeHtml(text)}</span></li>`;
  const render = () => {
    box.innerHTML = `<summary>${escapeHtml(t("legend"))}</summary>
      <p>${escapeHtml(t("legendPowerKinds"))}</p>
      <ul>${values("power_point_kinds").map((k) => li([swatch("", LETTERS[k] || "?", "background:#555"), label("power_point_kinds", k)])).join("")}</ul>
      <p>${escapeHtml(t("legendStatus"))}</p>
      <ul>${values("statuses").map((s) => li([swatch("", "", `background:${COLORS[s] || COLORS.unknown}`), label("statuses", s)])).join("")}</ul>
      <ul class="extras">${li([swatch("pm-shelter", "避"), t("legendShelter")])}${extras.map((e) => li(rows[e]())).join("")}</ul>`;
  };
  render();
  control.onAdd = () => box;
  control.addTo(map);
  /** How much of the map's left edge the open legend covers, for fitting answers beside it. */
  const width = () => (box.open ? box.offsetWidth + 20 : 30);
  return { render, width };
}
