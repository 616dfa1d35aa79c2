// Pieces every view shares: the token box, the language toggle, formatting, messages, downloads.
import { describeError, setToken, token, tokenKind } from "./api.js";
import { applyStrings, toggleLang } from "./i18n.js";

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
