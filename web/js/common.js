// Pieces every view shares: the token box, the language toggle, formatting, downloads.
import { token } from "./api.js";
import { applyStrings, toggleLang } from "./i18n.js";

const $ = (id) => document.getElementById(id);

/** Wires the token box; `onChange` runs after the token is saved or removed. */
export function wireTokenBox(onChange) {
  $("token-input").value = token();
  $("token-box").open = !token();
  $("token-save").addEventListener("click", () => {
    localStorage.setItem("powermap.token", $("token-input").value.trim());
    onChange();
  });
  $("token-clear").addEventListener("click", () => {
    localStorage.removeItem("powermap.token");
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
