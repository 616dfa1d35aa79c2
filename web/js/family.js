// The family view: pick a point (location or tap), say what the device needs, see the
// nearest power that fits — on the map and as a list with distance, minutes and phone.
import { api, token } from "./api.js";
import { applyStrings, t, toggleLang } from "./i18n.js";
import { createMap, escapeHtml, powerIcon, shelterIcon } from "./map.js";

const $ = (id) => document.getElementById(id);
let map;
let origin = null;
let child = null;
const resultLayer = L.layerGroup();

function setMessage(text) {
  $("message").textContent = text || "";
}

function fmtDistance(m) {
  return m >= 1000 ? `${(m / 1000).toFixed(1)} km` : `${Math.round(m)} m`;
}

function popupHtml(p) {
  return `<b>${escapeHtml(p.name)}</b><br>${escapeHtml(t("kinds." + p.kind))} / ${escapeHtml(t("status." + p.status))}` +
    (p.hours ? `<br>${escapeHtml(t("hours"))}: ${escapeHtml(p.hours)}` : "") +
    (p.contact ? `<br><a class="tel" href="tel:${escapeHtml(p.contact)}">${escapeHtml(p.contact)}</a>` : "");
}

async function drawLayers() {
  const [points, shelters] = await Promise.all([api("/api/v1/power-points", { auth: false }), api("/api/v1/shelters", { auth: false })]);
  const cluster = L.markerClusterGroup({ maxClusterRadius: 40 });
  for (const f of points.features) {
    const [lon, lat] = f.geometry.coordinates;
    cluster.addLayer(L.marker([lat, lon], { icon: powerIcon(f.properties), title: f.properties.name }).bindPopup(popupHtml(f.properties)));
  }
  for (const f of shelters.features) {
    const [lon, lat] = f.geometry.coordinates;
    cluster.addLayer(L.marker([lat, lon], { icon: shelterIcon(), title: f.properties.name }).bindPopup(`<b>${escapeHtml(f.properties.name)}</b><br>${escapeHtml(t("shelter"))}`));
  }
  cluster.addTo(map);
  document.body.dataset.markers = String(points.features.length + shelters.features.length);
}

async function loadChild() {
  child = null;
  $("child-box").hidden = true;
  $("need-box").hidden = false;
  if (!token()) return;
  try {
    const mine = await api("/api/v1/children");
    child = mine.features[0] || null;
  } catch (e) {
    setMessage(`${t("error")}: ${e.message}`);
    return;
  }
  if (!child) return;
  $("child-box").hidden = false;
  $("need-box").hidden = true;
  $("child-devices").innerHTML = child.properties.devices
    .map((d) => `<li>${escapeHtml(t("devices." + d.kind))} ${d.rated_w} W・${escapeHtml(t("battery"))} ${d.battery_h} h${d.life_critical ? ` <span class="badge bad">${escapeHtml(t("lifeCritical"))}</span>` : ""}</li>`)
    .join("");
  const [lon, lat] = child.geometry.coordinates;
  setOrigin(lat, lon, false);
}

function setOrigin(lat, lon, searchNow = true) {
  origin = { lat, lon };
  if (searchNow) search();
}

async function search() {
  if (!origin) return;
  setMessage("");
  let answer;
  try {
    if (child) {
      answer = await api(`/api/v1/children/${encodeURIComponent(child.id)}/nearest-power?k=5`);
    } else {
      const q = new URLSearchParams({ lat: origin.lat, lon: origin.lon, k: 5 });
      if ($("outlet-select").value) q.set("outlet", $("outlet-select").value);
      if ($("min-w").value) q.set("min_w", $("min-w").value);
      if ($("pure-sine").checked) q.set("pure_sine", "true");
      answer = await api(`/api/v1/nearest/power?${q}`, { auth: false });
    }
  } catch (e) {
    setMessage(`${t("error")}: ${e.message}`);
    return;
  }
  showResults(answer);
}

function showResults(answer) {
  resultLayer.clearLayers();
  const from = [origin.lat, origin.lon];
  L.marker(from, { icon: L.divIcon({ className: "pm-icon pm-origin", html: "<span>●</span>", iconSize: [26, 26], iconAnchor: [13, 13] }), title: t("origin") }).addTo(resultLayer);
  const list = $("results");
  list.innerHTML = "";
  for (const f of answer.features) {
    const p = f.properties;
    const [lon, lat] = f.geometry.coordinates;
    L.polyline([from, [lat, lon]], { color: "#0b57d0", weight: 3, dashArray: "6 4" }).addTo(resultLayer);
    const rank = list.children.length + 1;
    L.marker([lat, lon], { icon: L.divIcon({ className: "pm-icon pm-rank", html: `<span>${rank}</span>`, iconSize: [30, 30], iconAnchor: [15, 15] }), title: p.name, zIndexOffset: 1000 })
      .bindPopup(popupHtml(p))
      .addTo(resultLayer);
    const li = document.createElement("li");
    const battery = p.within_battery === undefined ? "" :
      p.within_battery ? `<span class="badge ok">${escapeHtml(t("withinBattery"))}</span>` : `<span class="badge bad">${escapeHtml(t("beyondBattery"))}</span>`;
    li.innerHTML = `<div class="name">${escapeHtml(p.name)}</div>
      <div class="meta">${fmtDistance(p.distance_m)}・${escapeHtml(t("walk"))} ${p.walk_min} ${escapeHtml(t("min"))}・${escapeHtml(t("drive"))} ${p.drive_min} ${escapeHtml(t("min"))}</div>
      <div class="meta">${battery}<span class="badge">${escapeHtml(t("status." + p.status))}</span>${p.requires_registration ? `<span class="badge">${escapeHtml(t("registration"))}</span>` : ""}${p.call_first ? `<span class="badge">${escapeHtml(t("callFirst"))}</span>` : ""}</div>
      ${p.hours ? `<div class="meta">${escapeHtml(t("hours"))}: ${escapeHtml(p.hours)}</div>` : ""}
      ${p.contact ? `<a class="tel" href="tel:${escapeHtml(p.contact)}">☎ ${escapeHtml(p.contact)}</a>` : ""}`;
    li.dataset.id = f.id;
    li.addEventListener("click", () => map.setView([lat, lon], 16));
    list.appendChild(li);
  }
  list.dataset.count = String(answer.features.length);
  if (answer.features.length === 0) setMessage(t("none"));
  const bounds = L.latLngBounds([from, ...answer.features.map((f) => [f.geometry.coordinates[1], f.geometry.coordinates[0]])]);
  map.fitBounds(bounds.pad(0.2), { maxZoom: 16 });
  // On a phone the list sits under the map: bring the answer into view.
  if (window.matchMedia("(max-width: 700px)").matches && answer.features.length) $("results").scrollIntoView({ block: "start" });
}

async function main() {
  applyStrings();
  const config = await api("/api/v1/config", { auth: false });
  map = createMap($("map"), config);
  resultLayer.addTo(map);
  map.on("click", (e) => setOrigin(e.latlng.lat, e.latlng.lng));
  $("locate-btn").addEventListener("click", () => {
    if (!navigator.geolocation) return setMessage(t("geoFailed"));
    navigator.geolocation.getCurrentPosition((pos) => setOrigin(pos.coords.latitude, pos.coords.longitude), () => setMessage(t("geoFailed")), { timeout: 10000 });
  });
  $("search-btn").addEventListener("click", () => (origin ? search() : setMessage(t("tapHint"))));
  $("lang-toggle").addEventListener("click", () => { toggleLang(); applyStrings(); if (origin) search(); });
  $("token-input").value = token();
  $("token-save").addEventListener("click", async () => { localStorage.setItem("powermap.token", $("token-input").value.trim()); await loadChild(); search(); });
  $("token-clear").addEventListener("click", async () => { localStorage.removeItem("powermap.token"); $("token-input").value = ""; await loadChild(); });
  await drawLayers();
  await loadChild();
  const params = new URLSearchParams(location.search);
  if (params.has("lat") && params.has("lon")) setOrigin(Number(params.get("lat")), Number(params.get("lon")));
  else if (child) search();
  window.powermapReady = true;
}

main().catch((e) => setMessage(`${t("error")}: ${e.message}`));
