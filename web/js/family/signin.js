// Sign-in by QR: the plan sheet's code opens `/#token=SECRET`. A fragment is never sent to the
// server (so no access log or proxy sees the secret); on first load it is saved as this
// browser's family token and taken out of the address bar, so the history, a bookmark or a
// shared screenshot does not carry it.
import { setToken } from "../api.js";

/**
 * Moves a `#token=` fragment into the family token's storage and removes it from the address
 * bar (other fragment parameters stay). Returns whether a token was taken.
 */
export function takeTokenFromFragment(loc = window.location, hist = window.history) {
  if (!loc.hash.startsWith("#")) return false;
  const params = new URLSearchParams(loc.hash.slice(1));
  if (!params.has("token")) return false;
  const secret = (params.get("token") || "").trim();
  params.delete("token");
  const rest = params.toString();
  hist.replaceState(hist.state, "", `${loc.pathname}${loc.search}${rest ? `#${rest}` : ""}`);
  if (!secret) return false;
  setToken(secret);
  return true;
}
