// The family's own children: read with the family token, one shown (a picker for several).
import { api, token, tokenRole } from "../api.js";
import { t } from "../i18n.js";
import { escapeHtml } from "../map.js";
import { label } from "../vocab.js";
import { showError } from "../common.js";

const $ = (id) => document.getElementById(id);
const CHILD_KEY = "powermap.family.child";

/** Reads the token's children into `state`; a staff or unknown token is said so and not used here. */
export async function loadChildren(state) {
  state.children = [];
  state.child = null;
  state.tokenNote = "";
  if (token()) {
    try {
      const role = await tokenRole(token());
      if (role === "invalid") state.tokenNote = "errors.401";
      else if (role === "staff") state.tokenNote = "staffTokenHere";
      else {
        state.children = (await api("/api/v1/children")).features;
        if (!state.children.length) state.tokenNote = "noChildForToken";
      }
    } catch (e) {
      showError(e);
    }
  }
  const saved = localStorage.getItem(CHILD_KEY);
  state.child = state.children.find((c) => c.id === saved) || state.children[0] || null;
}

/** Shows the child picked in the picker and remembers the choice. */
export function pickChild(state, id) {
  state.child = state.children.find((c) => c.id === id) || state.child;
  localStorage.setItem(CHILD_KEY, state.child.id);
}

/** The child's home as a search origin. */
export function home(child) {
  const [lon, lat] = child.geometry.coordinates;
  return { lat, lon, kind: "home" };
}

/** The token note, the picker and the shown child's devices. */
export function render(state) {
  const { children, child, tokenNote } = state;
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
