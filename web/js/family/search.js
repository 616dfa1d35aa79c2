// The question a family asks: the nearest power for the child (with a family token) or for
// the need typed in the form, from the chosen origin. Answers to older questions are dropped.
import { api } from "../api.js";
import { t } from "../i18n.js";
import { jstHour, pageAt, pageNow, setMessage, showError } from "../common.js";

const $ = (id) => document.getElementById(id);

/** The family's need from the form, or null after saying what is wrong with it. */
export function readNeed() {
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

/** Night in Japan time (18:00–7:00), when most points are closed and a closed one is a wasted trip. */
export const isNight = (date = pageNow()) => jstHour(date) >= 18 || jstHour(date) < 7;

/** Sets the 「いま開いている所だけ」 box as the hour suggests; at night the page says why it is on. */
export function presetOpenNow() {
  const night = isNight();
  $("open-now").checked = night;
  $("open-note").hidden = !night;
}

/** `open` and `at` for any search: the family's choice, and the page's clock when it is fixed. */
function timeQuery(q) {
  if ($("open-now").checked) q.set("open", "now");
  const at = pageAt();
  if (at) q.set("at", at);
  return q;
}

/** Asks the API; the answer (kept as `state.last`), or nothing when it was superseded or failed. */
export async function ask(state) {
  const { origin, child } = state;
  if (!origin) return setMessage(t("tapHint"));
  setMessage("");
  const mine = ++state.asked;
  let answer;
  try {
    if (child) {
      const q = new URLSearchParams({ k: 5 });
      if (origin.kind !== "home") {
        q.set("lat", origin.lat);
        q.set("lon", origin.lon);
      }
      answer = await api(`/api/v1/children/${encodeURIComponent(child.id)}/nearest-power?${timeQuery(q)}`);
    } else {
      const q = readNeed();
      if (!q) return;
      q.set("lat", origin.lat);
      q.set("lon", origin.lon);
      q.set("k", 5);
      answer = await api(`/api/v1/nearest/power?${timeQuery(q)}`, { auth: false });
    }
  } catch (e) {
    if (mine === state.asked) showError(e);
    return;
  }
  if (mine !== state.asked) return;
  state.last = { answer, origin, child };
  return state.last;
}

