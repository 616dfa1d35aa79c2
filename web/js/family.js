// The family view: pick a point (location, tap, or the map centre), say what the device needs,
// see the nearest power that fits — on the map and as a list with distance, minutes and phone.
// With a family token the child's own devices set the need, measured from home or from here.
import { api, loadConfig, migrateLegacyToken, token, tokenRole } from "./api.js";
import { t } from "./i18n.js";
import { powerLayer, powerPopup, shelterLayer } from "./layers.js";
import { addLegend, clusterIcon, createMap, escapeHtml, fitWhenIdle, whenIdle } from "./map.js";
import { label } from "./vocab.js";
import { fillOptions, fmtDistance, fmtMinutes, setMessage, showError, wireLang, wireTokenBox } from "./common.js";

const $ = (id) => document.getElementById(id);
const CHILD_KEY = "powermap.family.child";
const phone = () => window.matchMedia("(max-width: 700px)").matches;

let map;
let legend;
let cluster;
let origin = null; // { lat, lon, kind: "home" | "here" | "picked" }
let children = []; // the children bound to the token
let child = null; // the one shown
let tokenNote = ""; // i18n key of a note about the saved token
let last = null; // the last answer, redrawn on a language switch
let asked = 0; // answers to older questions are dropped
const resultLayer = L.layerGroup();

async function drawLayers() {
  const [points, shelters] = await Promise.all([api("/api/v1/power-points", { auth: false }), api("/api/v1/shelters", { auth: false })]);
  // Clusters only when zoomed far out: on a phone a tap should reach a point, not a bubble.
  cluster = L.markerClusterGroup({ maxClusterRadius: 40, disableClusteringAtZoom: 14, iconCreateFunction: clusterIcon });
  cluster.addLayer(powerLayer(points));
  cluster.addLayer(shelterLayer(shelters));
  cluster.addTo(map);
  document.body.dataset.markers = String(points.features.length + shelters.features.length);
}

/** Reads the token's children; a staff or unknown token is said so and not used here. */
async function loadChildren() {
  children = [];
  child = null;
  tokenNote = "";
  if (token()) {
    try {
      const role = await tokenRole(token());
      if (role === "invalid") tokenNote = "errors.401";
      else if (role === "staff") tokenNote = "staffTokenHere";
      else {
        children = (await api("/api/v1/children")).features;
        if (!children.length) tokenNote = "noChildForToken";
      }
    } catch (e) {
      showError(e);
    }
  }
  const saved = localStorage.getItem(CHILD_KEY);
  child = children.find((c) => c.id === saved) || children[0] || null;
  renderChild();
}

function renderChild() {
  $("token-note").hidden = !tokenNote;
  $("token-note").textContent = tokenNote ? t(tokenNote) : "";
  $("child-box").hidden = !child;
  $("need-box").hidden = Boolean(child);
  $("child-pick").hidden = children.length < 2;
  $("child-select").innerHTML = children.map((c) => `<option value="${escapeHtml(c.id)}">${escapeHtml(c.properties.name)}</option>`).join("");
  if (child) $("child-select").value = child.id;
  $("child-devices").innerHTML = (child?.properties.devices || [])
    .map((d) => `<li>${escapeHtml(label("device_kinds", d.kind))} ${d.rated_w} W・${escapeHtml(t("battery"))} ${d.battery_h} h${d.life_critical ? ` <span class="badge bad">${escapeHtml(t("lifeCritical"))}</span>` : ""}</li>`)
    .join("");
}

function home() {
  const [lon, lat] = child.geometry.coordinates;
  return { lat, lon, kind: "home" };
}

/** Sets where distances are measured from and searches; `user` is false for what the page does by itself. */
function setOrigin(next, user = true) {
  origin = next;
  return search(user);
}

/** The family's need from the form, or null after saying what is wrong with it. */
function readNeed() {
  const input = $("min-w");
  const w = input.value === "" ? null : Number(input.value);
  const bad = input.validity.badInput || (w !== null && !(Number.isFinite(w) && w >= 0));
  input.setAttribute("aria-invalid", String(bad));
  if (bad) {
    setMessage(t("badW"));
    input.focus();
    return null;
  }
  const q = new URLSearchParams();
  if ($("outlet-select").value) q.set("outlet", $("outlet-select").value);
  if (w !== null) q.set("min_w", String(w));
  if ($("pure-sine").checked) q.set("pure_sine", "true");
  return q;
}

async function search(user = true) {
  if (!origin) return setMessage(t("tapHint"));
  setMessage("");
  const mine = ++asked;
  let answer;
  try {
    if (child) {
      const q = new URLSearchParams({ k: 5 });
      if (origin.kind !== "home") {
        q.set("lat", origin.lat);
        q.set("lon", origin.lon);
      }
      answer = await api(`/api/v1/children/${encodeURIComponent(child.id)}/nearest-power?${q}`);
    } else {
      const q = readNeed();
      if (!q) return;
      q.set("lat", origin.lat);
      q.set("lon", origin.lon);
      q.set("k", 5);
      answer = await api(`/api/v1/nearest/power?${q}`, { auth: false });
    }
  } catch (e) {
    if (mine === asked) showError(e);
    return;
  }
  if (mine !== asked) return;
  last = { answer, origin, child };
  showResults({ fit: true, user });
}

/** The outlets that matter to this search, with their watts, and the point's total. */
function outletsText(p, need) {
  const minW = need.child ? 0 : Number($("min-w").value) || 0;
  const types = need.child
    ? new Set(need.child.properties.devices.filter((d) => d.life_critical).map((d) => d.input))
    : $("outlet-select").value ? new Set([$("outlet-select").value]) : null;
  const outlets = (p.outlets || []).filter((o) => (!types || types.has(o.type)) && o.max_w >= minW);
  return [...outlets.map((o) => t("outletLine", { type: label("outlet_types", o.type), w: o.max_w, n: o.count })), t("capacityLine", { w: p.capacity_w })].join("・");
}

const ORIGIN_TEXT = { home: "originHome", here: "originHere", picked: "originPicked" };

function showResults({ fit, user }) {
  const { answer, origin: from, child: forChild } = last;
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
      p.within_battery ? `<span class="badge ok">${escapeHtml(t("withinBattery"))}</span>` : `<span class="badge bad">${escapeHtml(t("beyondBattery"))}</span>`;
    const li = document.createElement("li");
    li.dataset.id = f.id;
    li.innerHTML = `<button type="button" class="result-name name">${escapeHtml(p.name)}</button>
      <div class="meta">${fmtDistance(p.distance_m)}・${escapeHtml(t("walk"))} ${fmtMinutes(p.walk_min)} ${escapeHtml(t("min"))}・${escapeHtml(t("drive"))} ${fmtMinutes(p.drive_min)} ${escapeHtml(t("min"))}</div>
      <div class="meta outlets">${escapeHtml(outletsText(p, { child: forChild }))}</div>
      <div class="meta">${battery}<span class="badge">${escapeHtml(label("statuses", p.status))}</span>${p.requires_registration ? `<span class="badge">${escapeHtml(t("registration"))}</span>` : ""}${p.call_first ? `<span class="badge">${escapeHtml(t("callFirst"))}</span>` : ""}</div>
      ${p.hours ? `<div class="meta">${escapeHtml(t("hours"))}: ${escapeHtml(p.hours)}</div>` : ""}
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

function redraw() {
  fillOptions($("outlet-select"), "outlet_types");
  renderChild();
  if (last) showResults({ fit: false, user: false });
  legend.render();
  cluster?.refreshClusters();
}

async function main() {
  wireLang(redraw);
  await migrateLegacyToken();
  const config = await loadConfig();
  fillOptions($("outlet-select"), "outlet_types");
  map = createMap($("map"), config);
  legend = addLegend(map, ["cluster", "home", "origin", "rank"]);
  resultLayer.addTo(map);
  map.on("click", (e) => setOrigin({ lat: e.latlng.lat, lon: e.latlng.lng, kind: "picked" }));
  $("here-btn").addEventListener("click", () => {
    const c = map.getCenter();
    setOrigin({ lat: c.lat, lon: c.lng, kind: "picked" });
  });
  $("locate-btn").addEventListener("click", () => {
    if (!navigator.geolocation) return setMessage(t("geoFailed"));
    navigator.geolocation.getCurrentPosition(
      (pos) => setOrigin({ lat: pos.coords.latitude, lon: pos.coords.longitude, kind: "here" }),
      () => setMessage(t("geoFailed")),
      { timeout: 10000 },
    );
  });
  $("home-btn").addEventListener("click", () => child && setOrigin(home()));
  $("search-btn").addEventListener("click", () => search(true));
  $("child-select").addEventListener("change", () => {
    child = children.find((c) => c.id === $("child-select").value) || child;
    localStorage.setItem(CHILD_KEY, child.id);
    renderChild();
    setOrigin(origin && origin.kind !== "home" ? origin : home());
  });
  wireTokenBox(async () => {
    await loadChildren();
    if (child) setOrigin(home());
  });
  await drawLayers();
  await loadChildren();
  const params = new URLSearchParams(location.search);
  if (params.has("lat") && params.has("lon")) await setOrigin({ lat: Number(params.get("lat")), lon: Number(params.get("lon")), kind: "picked" }, false);
  else if (child) await setOrigin(home(), false);
  window.powermap = { map };
  window.powermapReady = true;
}

main().catch(showError);
