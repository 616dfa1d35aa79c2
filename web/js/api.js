// Thin fetch wrapper: JSON in and out, the token header, errors people can read.
import { currentLang, t } from "./i18n.js";
import { setVocabularies } from "./vocab.js";

// One saved token per kind of page: a coordinator's token must never turn the family page
// into "the first child's" page, and a family token is not what the staff pages want.
const KEYS = { family: "powermap.token.family", staff: "powermap.token.staff" };
const LEGACY_KEY = "powermap.token";

/** Which token this page uses: the staff pages say so on <body data-view>. */
export function tokenKind() {
  return ["planner", "coordinator", "desk"].includes(document.body.dataset.view) ? "staff" : "family";
}

export function token() {
  return localStorage.getItem(KEYS[tokenKind()]) || "";
}

export function setToken(value) {
  if (value) localStorage.setItem(KEYS[tokenKind()], value);
  else localStorage.removeItem(KEYS[tokenKind()]);
}

/** An API failure: `status` 0 when the server could not be reached. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function request(path, { method = "GET", body, auth = true, bearer } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const secret = bearer ?? (auth ? token() : "");
  if (secret) headers.Authorization = `Bearer ${secret}`;
  try {
    return await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, "network", e.message);
  }
}

export async function api(path, options = {}) {
  const res = await request(path, options);
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    if (res.ok) throw new ApiError(res.status, "invalid_json", "the answer is not JSON");
  }
  if (!res.ok) throw new ApiError(res.status, data?.error?.code || "", data?.error?.message || `${res.status}`);
  return data;
}

/** The answer as a Blob (CSV, HTML sheet), with the same errors as `api`. */
export async function apiBlob(path) {
  const res = await request(path);
  if (!res.ok) throw new ApiError(res.status, "", `${res.status}`);
  return res.blob();
}

/** A failure in the user's language; the server's own (English) words only in English. */
export function describeError(e) {
  const status = e?.status;
  const key = status === 0 ? "network" : status >= 500 ? "server" : status;
  const text = t(`errors.${key}`);
  if (typeof text !== "string" || text.startsWith("errors.")) return `${t("error")}: ${e?.message ?? e}`;
  return currentLang() === "en" && status >= 400 && status < 500 && e.message ? `${text} (${e.message})` : text;
}

/**
 * Who a token belongs to, from GET /api/v1/me: `{ role, name, child_ids }` (role null without
 * a token), or null when the server does not know the token.
 */
export async function whoIs(secret) {
  try {
    return await api("/api/v1/me", { bearer: secret, auth: false });
  } catch (e) {
    if (e.status === 401) return null;
    throw e;
  }
}

/** "staff", "family" or "invalid": which pages a token is for. */
export async function tokenRole(secret) {
  const me = await whoIs(secret);
  if (!me?.role) return "invalid";
  return me.role === "family" ? "family" : "staff";
}

/** The front-end settings, with the server's vocabularies kept for `label()`. */
export async function loadConfig() {
  const config = await api("/api/v1/config", { auth: false });
  setVocabularies(config.vocabularies);
  return config;
}

/** Moves a token saved by an older version (one key for every page) to the key its role belongs to. */
export async function migrateLegacyToken() {
  const legacy = localStorage.getItem(LEGACY_KEY);
  if (!legacy) return;
  localStorage.removeItem(LEGACY_KEY);
  const role = await tokenRole(legacy).catch(() => "invalid");
  const key = role === "staff" ? KEYS.staff : role === "family" ? KEYS.family : null;
  if (key && !localStorage.getItem(key)) localStorage.setItem(key, legacy);
}
