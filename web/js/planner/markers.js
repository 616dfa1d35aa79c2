// The planner's map layers: power points by kind, shelters by hazard, children (red when the
// scenario puts them at risk, also inside clusters), and the filters that choose them.
import { childLayer, collection, powerLayer, powerPopup, shelterLayer, shelterPopup } from "../layers.js";
import { clusterIcon } from "../map.js";
import { label, values } from "../vocab.js";
import { fillOptions } from "../common.js";

const $ = (id) => document.getElementById(id);

/** The layer groups the page toggles. Children cluster, but a cluster with an at-risk child turns red. */
export const layers = {
  power: L.layerGroup(),
  shelters: L.layerGroup(),
  children: L.markerClusterGroup({ maxClusterRadius: 30, iconCreateFunction: clusterIcon }),
};

/** Power points of the ticked kinds, shelters of the chosen hazard, and every child. */
export function render(state) {
  const { data, lastResult } = state;
  layers.power.clearLayers();
  const kinds = new Set(values("power_point_kinds").filter((k) => $(`kind-${k}`)?.checked));
  powerLayer(collection(data.points), { filter: (f) => kinds.has(f.properties.kind), popup: (p) => powerPopup(p, { capacity: true }) }).addTo(layers.power);
  layers.shelters.clearLayers();
  const hazard = $("hazard-select").value;
  const designated = (f) => !hazard || (f.properties.hazards || []).includes(hazard);
  shelterLayer(collection(data.shelters), { filter: designated, popup: (p) => shelterPopup(p, { hazards: true }) }).addTo(layers.shelters);
  layers.children.clearLayers();
  const atRisk = new Set(lastResult?.at_risk || []);
  layers.children.addLayer(childLayer(collection(data.children), { atRisk }));
  document.body.dataset.atRiskMarkers = String(data.children.filter((f) => atRisk.has(f.id)).length);
}

/** The kind checkboxes and hazard list in the current language, keeping what is chosen; `onChange` redraws. */
export function renderFilters(onChange) {
  const kinds = values("power_point_kinds");
  if (!$("kind-generator")) {
    $("kind-filters").innerHTML = kinds.map((k) => `<label class="check"><input id="kind-${k}" type="checkbox" checked> <span></span></label>`).join("");
    kinds.forEach((k) => $(`kind-${k}`).addEventListener("change", onChange));
  }
  kinds.forEach((k) => ($(`kind-${k}`).nextElementSibling.textContent = label("power_point_kinds", k)));
  fillOptions($("hazard-select"), "hazards");
}
