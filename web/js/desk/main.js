// The incident desk (発災時対応): the call list ordered by when each child must leave, the dark
// areas and the children on the map coloured by battery time left, a one-click check form,
// and live updates from the server's event stream (another desk's checks appear by themselves).
import { ApiError, api, apiBlob, loadConfig, token } from "../api.js";
import { t } from "../i18n.js";
import { createMap, escapeHtml } from "../map.js";
import { addHazardOverlays, powerLayer, powerPopup, zoneText } from "../layers.js";
import { download, fmtDistance, fmtTime, setMessage, showDemoTokens, showError, wireLang, wireTokenBox } from "../common.js";
import { batteryText } from "../incidents-open.js";
import { label, values } from "../vocab.js";
import { followEvents } from "./events.js";

const $ = (id) => document.getElementById(id);
const state = { map: null, incidents: [], rows: [], at: null, selected: null, stopEvents: null };
const darkLayer = L.geoJSON(null, { style: { color: "#5b1a14", weight: 1, fillColor: "#1b1b1b", fillOpacity: 0.25 } });
const childLayer = L.layerGroup();
const pointLayer = L.layerGroup();


/** How urgent a row is, for its colour: out, under 3 h, under 6 h, fine, on power. */
export function urgency(p) {
  if (p.on_power) return "on-power";
  if (p.remaining_min == null) return "none";
  if (p.remaining_min <= 0) return "out";
  if (p.remaining_min <= 180) return "urgent";
  return p.remaining_min <= 360 ? "soon" : "ok";
}

const COLOURS = { out: "#5b1a14", urgent: "#b3261e", soon: "#b86e00", ok: "#2e7d32", "on-power": "#1a5fb4", none: "#6b6b6b" };

function query() {
  const margin = $("margin-input").value === "" ? 60 : Number($("margin-input").value);
  const params = new URLSearchParams({ margin_min: String(margin) });
  if (state.at) params.set("at", state.at.toISOString());
  return params;
}

async function loadIncidents() {
  state.incidents = token() ? await api("/api/v1/incidents") : [];
  const sel = $("incident-select");
  const keep = sel.value;
  sel.innerHTML = state.incidents
    .map((i) => `<option value="${escapeHtml(i.id)}">${escapeHtml(i.name)}（${escapeHtml(fmtTime(i.started_at))}${i.closed_at ? "・" + escapeHtml(t("closed")) : ""}）</option>`)
    .join("");
  // A link from another page (/desk?incident=…) chooses the incident the first time.
  const wanted = keep || new URLSearchParams(location.search).get("incident");
  if (state.incidents.some((i) => i.id === wanted)) sel.value = wanted;
  if (!state.incidents.length) setMessage(token() ? t("noIncident") : t("needToken"));
}

/** Reads the call list and the dark areas for the chosen incident and time; draws both. The
 * power points (a national list can be large) are read again only when `points` says so. */
async function loadList({ points: withPoints = true } = {}) {
  const id = $("incident-select").value;
  if (!id) return;
  const margin = $("margin-input");
  const bad = margin.value !== "" && !(Number(margin.value) >= 0);
  margin.setAttribute("aria-invalid", String(bad));
  if (bad) return setMessage(t("badMargin"));
  const [list, outages, points] = await Promise.all([
    api(`/api/v1/incidents/${encodeURIComponent(id)}/children?${query()}`),
    api(`/api/v1/incidents/${encodeURIComponent(id)}/outages`),
    withPoints ? api("/api/v1/power-points") : null,
  ]);
  // Points with their live status (free outlets, fuel, queue).
  if (points) {
    pointLayer.clearLayers();
    pointLayer.addLayer(powerLayer(points, { popup: (p) => powerPopup(p, { capacity: true }) }));
  }
  state.rows = list.features;
  darkLayer.clearLayers();
  darkLayer.addData({ type: "FeatureCollection", features: outages.features.filter((f) => f.geometry && !f.properties.restored_at) });
  setMessage("");
  render();
  // The first list of an incident brings its children into view; later updates keep the view.
  if (state.rows.length && state.fitted !== id) {
    state.fitted = id;
    state.map.fitBounds(L.latLngBounds(state.rows.map((f) => [f.geometry.coordinates[1], f.geometry.coordinates[0]])), { maxZoom: 15, padding: [24, 24] });
  }
}

function rowHtml(f) {
  const p = f.properties;
  const np = p.nearest_power;
  const status = p.check_status === "unknown" ? t("notYetChecked") : p.check_status === "unreached" ? t("unreached", { n: p.attempts }) : label("check_statuses", p.check_status);
  return `<button type="button" class="call ${urgency(p)}" data-id="${escapeHtml(f.id)}" aria-pressed="${state.selected === f.id}">
    <span class="who"><b>${escapeHtml(p.name)}</b> <small>${escapeHtml(p.district ?? "")}</small>${p.visit_needed ? ` <span class="badge visit">${escapeHtml(t("visitNeeded"))}</span>` : ""}${(p.hazard_exposure || []).map((e) => ` <span class="badge zone">${escapeHtml(zoneText({ ...e, name: null }))}</span>`).join("")}</span>
    <span class="battery">${escapeHtml(batteryText(p))}</span>
    <span>${escapeHtml(t("leaveBy"))}: <b>${escapeHtml(fmtTime(p.must_leave_by))}</b></span>
    <span>${np ? escapeHtml(t("nearestUp", { d: fmtDistance(np.distance_m), m: Math.ceil(np.travel_min) })) : escapeHtml(t("noPowerUp"))}</span>
    <span class="status">${escapeHtml(status)}${p.last_check_at ? ` <small>${escapeHtml(fmtTime(p.last_check_at))}</small>` : ""}</span>
  </button>`;
}

function render() {
  $("call-count").textContent = t("people", { n: state.rows.length });
  $("call-list").innerHTML = state.rows.map((f) => `<li>${rowHtml(f)}</li>`).join("");
  childLayer.clearLayers();
  for (const f of state.rows) {
    const p = f.properties;
    const [lon, lat] = f.geometry.coordinates;
    L.circleMarker([lat, lon], { radius: p.visit_needed ? 11 : 8, weight: p.visit_needed ? 4 : 2, color: COLOURS[urgency(p)], fillOpacity: 0.7 })
      .bindTooltip(`${escapeHtml(p.name)} — ${escapeHtml(batteryText(p))}`)
      .on("click", () => openCheck(f.id))
      .addTo(childLayer);
  }
  document.body.dataset.calls = state.rows.map((f) => f.id).join(",");
}

function openCheck(id) {
  const f = state.rows.find((r) => r.id === id);
  if (!f) return;
  state.selected = id;
  $("check-title").textContent = t("checkFor", { name: f.properties.name });
  $("check-form").hidden = false;
  $("check-form").reset();
  $("channel-select").value = "phone";
  for (const e of ["status-error", "battery-error"]) $(e).textContent = "";
  render();
  $("check-form").querySelector("input[name=reached]").focus();
}

function fillSelects() {
  const fill = (sel, name, skip = []) => {
    sel.innerHTML = values(name).filter((v) => !skip.includes(v)).map((v) => `<option value="${escapeHtml(v)}">${escapeHtml(label(name, v))}</option>`).join("");
  };
  fill($("channel-select"), "check_channels", ["self"]);
  fill($("status-select"), "check_statuses");
}

/** The check the form describes, or null with the error shown next to its field. */
function readCheck() {
  const reached = $("check-form").querySelector("input[name=reached]:checked").value === "true";
  const body = { child_id: state.selected, channel: $("channel-select").value, reached };
  if (reached) body.status = $("status-select").value;
  const battery = $("battery-input");
  if (battery.value !== "" || battery.validity.badInput) {
    const h = Number(battery.value);
    if (battery.validity.badInput || !(h >= 0)) {
      $("battery-error").textContent = t("badBattery");
      battery.setAttribute("aria-invalid", "true");
      battery.focus();
      return null;
    }
    body.battery_h_left = h;
  }
  if ($("note-input").value.trim()) body.note = $("note-input").value.trim();
  return body;
}

async function saveCheck(event) {
  event.preventDefault();
  const body = readCheck();
  if (!body) return;
  $("check-save").disabled = true;
  try {
    await api(`/api/v1/incidents/${encodeURIComponent($("incident-select").value)}/checks`, { method: "POST", body });
    $("check-form").hidden = true;
    state.selected = null;
    await loadList({ points: false });
    setMessage(t("checkSaved"));
  } catch (e) {
    if (e instanceof ApiError && e.status === 422 && /status/.test(e.message)) $("status-error").textContent = e.message;
    showError(e);
  } finally {
    $("check-save").disabled = false;
  }
}

function follow() {
  state.stopEvents?.();
  const id = $("incident-select").value;
  if (!id) return;
  let timer = null;
  let points = false; // a point changed since the last reload
  state.stopEvents = followEvents(`/api/v1/incidents/${encodeURIComponent(id)}/events`, {
    onChange: (change) => {
      points ||= !change || change.kind === "power_point";
      clearTimeout(timer);
      timer = setTimeout(() => {
        loadList({ points }).catch(showError);
        points = false;
      }, 300);
    },
    onStatus: (live) => ($("live-status").textContent = live ? t("liveOn") : t("liveOff")),
  });
}

function setAt(date) {
  state.at = date;
  const local = date ? new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 16) : "";
  $("at-input").value = local;
  loadList().catch(showError);
}

function wire() {
  $("call-list").addEventListener("click", (e) => {
    const b = e.target.closest("button.call");
    if (b) openCheck(b.dataset.id);
  });
  $("check-form").addEventListener("submit", saveCheck);
  $("check-cancel").addEventListener("click", () => {
    $("check-form").hidden = true;
    state.selected = null;
    render();
  });
  $("incident-select").addEventListener("change", () => {
    loadList().catch(showError);
    follow();
  });
  $("at-input").addEventListener("change", () => setAt($("at-input").value ? new Date($("at-input").value) : null));
  $("margin-input").addEventListener("change", () => loadList().catch(showError));
  $("now-btn").addEventListener("click", () => setAt(null));
  $("plus2-btn").addEventListener("click", () => setAt(new Date((state.at ?? new Date()).getTime() + 2 * 3600e3)));
  $("csv-btn").addEventListener("click", async () => {
    const id = $("incident-select").value;
    if (!id) return;
    const params = query();
    params.set("format", "csv");
    try {
      download(`call-list-${id}.csv`, await apiBlob(`/api/v1/incidents/${encodeURIComponent(id)}/children?${params}`));
    } catch (e) {
      showError(e);
    }
  });
}

async function reload() {
  await loadIncidents();
  await loadList();
  follow();
}

async function main() {
  wireLang(() => {
    fillSelects();
    render();
  });
  const config = await loadConfig();
  state.map = createMap($("map"), config);
  await addHazardOverlays(state.map, config);
  darkLayer.addTo(state.map);
  pointLayer.addTo(state.map);
  childLayer.addTo(state.map);
  fillSelects();
  wire();
  wireTokenBox(() => reload().catch(showError));
  showDemoTokens(config, () => reload().catch(showError));
  await reload();
  window.powermap = { map: state.map };
  window.powermapReady = true;
}

main().catch(showError);
