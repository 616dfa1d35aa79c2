// The family view: pick a point (location, tap, or the map centre), say what the device needs,
// see the nearest power that fits — on the map and as a list with distance, minutes and phone.
// With a family token the child's own devices set the need, measured from home or from here.
// This file wires the page; child.js, search.js and results.js each own one part of it.
import { api, loadConfig, migrateLegacyToken } from "../api.js";
import { t } from "../i18n.js";
import { addHazardOverlays, powerLayer, shelterLayer } from "../layers.js";
import { addLegend, clusterIcon, createMap } from "../map.js";
import { fillOptions, setMessage, showError, wireLang, wireTokenBox } from "../common.js";
import * as childBox from "./child.js";
import * as incident from "./incident.js";
import * as results from "./results.js";
import { ask, presetOpenNow } from "./search.js";
import { takeTokenFromFragment } from "./signin.js";

const $ = (id) => document.getElementById(id);

/** Everything the page shows, redrawn from here on a language switch. */
const state = {
  map: null,
  legend: null,
  cluster: null,
  origin: null, // { lat, lon, kind: "home" | "here" | "picked" }
  children: [], // the children bound to the token
  child: null, // the one shown
  tokenNote: "", // i18n key of a note about the saved token
  last: null, // the last answer
  asked: 0, // answers to older questions are dropped
};

async function drawLayers() {
  const [points, shelters] = await Promise.all([api("/api/v1/power-points", { auth: false }), api("/api/v1/shelters", { auth: false })]);
  state.places = new Map([...points.features, ...shelters.features].map((f) => [f.id, f.properties.name]));
  // Clusters only when zoomed far out: on a phone a tap should reach a point, not a bubble.
  state.cluster = L.markerClusterGroup({ maxClusterRadius: 40, disableClusteringAtZoom: 14, iconCreateFunction: clusterIcon });
  state.cluster.addLayer(powerLayer(points));
  state.cluster.addLayer(shelterLayer(shelters));
  state.cluster.addTo(state.map);
  document.body.dataset.markers = String(points.features.length + shelters.features.length);
}

/** Searches again; `user` is false for what the page does by itself (no scrolling then). */
async function search(user = true) {
  if (await ask(state)) results.render(state, { fit: true, user });
}

/** Sets where distances are measured from and searches. */
function setOrigin(next, user = true) {
  state.origin = next;
  return search(user);
}

async function loadChildren() {
  await childBox.loadChildren(state);
  childBox.render(state);
  await incident.load(state);
}

function redraw() {
  fillOptions($("outlet-select"), "outlet_types");
  childBox.render(state);
  incident.render(state);
  if (state.last) results.render(state, { fit: false, user: false });
  state.legend.render();
  state.cluster?.refreshClusters();
}

function wire() {
  const { map } = state;
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
  $("home-btn").addEventListener("click", () => state.child && setOrigin(childBox.home(state.child)));
  $("search-btn").addEventListener("click", () => search(true));
  $("open-now").addEventListener("change", () => {
    $("open-note").hidden = true; // the family chose: the night note no longer explains the box
    if (state.origin) search(true);
  });
  $("child-select").addEventListener("change", () => {
    childBox.pickChild(state, $("child-select").value);
    childBox.render(state);
    incident.load(state);
    setOrigin(state.origin && state.origin.kind !== "home" ? state.origin : childBox.home(state.child));
  });
  wireTokenBox(async () => {
    await loadChildren();
    if (state.child) setOrigin(childBox.home(state.child));
  });
}

async function main() {
  takeTokenFromFragment(); // first: before anything reads the saved token
  wireLang(redraw);
  await migrateLegacyToken();
  const config = await loadConfig();
  fillOptions($("outlet-select"), "outlet_types");
  state.map = createMap($("map"), config);
  state.legend = addLegend(state.map, ["cluster", "home", "origin", "rank", "open", "closed", "runtime", "zoneWater", "zoneSlope"]);
  // A family's map stays plain: the zones are there to switch on.
  await addHazardOverlays(state.map, config, { on: false });
  presetOpenNow();
  results.resultLayer.addTo(state.map);
  wire();
  incident.wire(state);
  await drawLayers();
  await loadChildren();
  const params = new URLSearchParams(location.search);
  if (params.has("lat") && params.has("lon")) await setOrigin({ lat: Number(params.get("lat")), lon: Number(params.get("lon")), kind: "picked" }, false);
  else if (state.child) await setOrigin(childBox.home(state.child), false);
  window.powermap = { map: state.map };
  window.powermapReady = true;
}

main().catch(showError);
