// Pieces every view shares: the token box, the language toggle, formatting, messages, downloads.
import { describeError, setToken, token, tokenKind } from "./api.js";
import { applyStrings, t, toggleLang } from "./i18n.js";
import { escapeHtml } from "./map.js";
import { label, values } from "./vocab.js";

const $ = (id) => document.getElementById(id);

/** Wires the token box; `onChange` runs after the token is saved or removed. */
export function wireTokenBox(onChange) {
  $("token-input").value = token();
  // Staff pages need the token to show anything; families find the box when they need it.
  $("token-box").open = !token() && tokenKind() === "staff";
  $("token-save").addEventListener("click", () => {
    setToken($("token-input").value.trim());
    onChange();
  });
  $("token-clear").addEventListener("click", () => {
    setToken("");
    $("token-input").value = "";
    onChange();
  });
}

/** Wires the language button; `onChange` redraws what is not marked with data-i18n. */
export function wireLang(onChange) {
  applyStrings();
  $("lang-toggle").addEventListener("click", () => {
    toggleLang();
    applyStrings();
    onChange();
  });
}

export function fmtDistance(m) {
  return m >= 1000 ? `${(m / 1000).toFixed(1)} km` : `${Math.round(m)} m`;
}

const JST = new Intl.DateTimeFormat("ja-JP", { timeZone: "Asia/Tokyo", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });

/** A time as people here read it, in Japan time: 「12/3 18:40」; 「—」 for none. */
export const fmtTime = (iso) => (iso ? JST.format(new Date(iso)) : "—");

const JST_DAY = new Intl.DateTimeFormat("ja-JP", { timeZone: "Asia/Tokyo", year: "numeric", month: "numeric", day: "numeric" });
const JST_CLOCK = new Intl.DateTimeFormat("ja-JP", { timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit" });

/** A time of `now`'s day as 「17:00」, of another day as 「12/3 9:00」: what a closing time needs. */
export function fmtClock(iso, now = pageNow()) {
  const d = new Date(iso);
  return JST_DAY.format(d) === JST_DAY.format(now) ? JST_CLOCK.format(d) : JST.format(d);
}

/** The hour (0–23) in Japan time. */
export const jstHour = (date) => Number(new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Tokyo", hour: "2-digit", hourCycle: "h23" }).format(date));

/**
 * The page's "now": the `at` of the address (RFC 3339) when given — a planner's link for
 * "what would a family see at 21:00", and the tests' fixed clock — else the device's clock.
 */
export function pageNow() {
  const at = pageAt();
  return at ? new Date(at) : new Date();
}

/** The address's `at`, when it is a valid time; the API is then asked as of it too. */
export function pageAt() {
  const at = new URLSearchParams(location.search).get("at");
  return at && !Number.isNaN(Date.parse(at)) ? at : null;
}

/** Minutes as people say them: 「3時間20分」 (the sign is dropped; the sentence says which way). */
export function fmtDuration(min) {
  const m = Math.abs(Math.trunc(min));
  const h = Math.floor(m / 60);
  return h ? t("hoursMinutes", { h, m: m % 60 }) : t("minutesOnly", { m });
}

/** Whole minutes, rounded up: "0.4 min" would promise too much to someone in a hurry. */
export function fmtMinutes(min) {
  return String(Math.ceil(min - 1e-9));
}

/** Saves `blob` as a file, so exports work without a second authenticated request. */
export function download(filename, blob) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function setMessage(text) {
  $("message").textContent = text || "";
}

/** Shows a failure in the user's language. */
export function showError(e) {
  setMessage(describeError(e));
}

/**
 * In demo mode (the config says so) a small 「デモ用トークン」 hint in a staff page's token box
 * lists the staff demo tokens; a click on one saves it, so a newcomer need not look in the
 * terminal. The family token belongs to the family page and is not offered here.
 */
export function showDemoTokens(config, onChange) {
  const staff = { planner: "navPlanner", coordinator: "navCoordinator" };
  const tokens = (config.demo && config.demo_tokens || []).filter(({ role }) => role in staff);
  if (!tokens.length) return;
  const hint = document.createElement("p");
  hint.id = "demo-tokens";
  hint.className = "hint demo-tokens";
  hint.innerHTML = `<span data-i18n="demoTokens"></span>` + tokens
    .map(({ role, token: secret }) => ` <button type="button" data-token="${escapeHtml(secret)}"><code>${escapeHtml(secret)}</code> <span data-i18n="${staff[role]}"></span></button>`)
    .join("");
  hint.querySelectorAll("button").forEach((b) => b.addEventListener("click", () => {
    setToken(b.dataset.token);
    $("token-input").value = b.dataset.token;
    onChange();
  }));
  $("token-box").appendChild(hint);
  applyStrings(hint);
  if (!token()) $("token-box").open = true;
}

/**
 * Fills `select` with one option per value of vocabulary `name` after the options already in
 * the page ("any", "all"), in the current language, keeping the choice. Call again after a
 * language switch.
 */
export function fillOptions(select, name) {
  const current = select.value;
  select.querySelectorAll("option[data-vocab]").forEach((o) => o.remove());
  for (const value of values(name)) {
    const o = document.createElement("option");
    o.value = value;
    o.dataset.vocab = name;
    o.textContent = label(name, value);
    select.appendChild(o);
  }
  select.value = current;
}
