// Staff pages during an outage: one line per open incident, with a link to its call list on
// the desk (/desk?incident=…). Only the incidents are read, not their children, so opening a
// page logs no child read.
import { api, token } from "./api.js";
import { escapeHtml } from "./map.js";
import { t } from "./i18n.js";
import { fmtDuration, fmtTime } from "./common.js";

/** Fills `el` with the open incidents (hidden when there are none or no staff token). */
export async function showOpenIncidents(el) {
  el.hidden = true;
  if (!token()) return;
  let open = [];
  try {
    open = (await api("/api/v1/incidents")).filter((i) => !i.closed_at);
  } catch {
    return; // a family token or an expired one: the page's own loading says what is wrong
  }
  el.innerHTML = open
    .map((i) => `<p><b>${escapeHtml(t("incidentOpen", { name: i.name, since: fmtTime(i.started_at) }))}</b>
      <a href="/desk?incident=${encodeURIComponent(i.id)}">${escapeHtml(t("openCallList"))}</a></p>`)
    .join("");
  el.hidden = !open.length;
}

/** A child's incident line for a staff page: battery left, when to leave, nearest power up. */
export function childIncidentHtml(rows, places) {
  return rows
    .map((i) => {
      const near = i.nearest_power?.[0];
      const nearText = near
        ? t("nearestUp", { d: places.get(near.id)?.properties.name ?? near.id, m: Math.ceil(near.travel_min) })
        : t("noPowerUp");
      return `<div class="incident-line" data-incident="${escapeHtml(i.incident_id)}">
        <h3>${escapeHtml(t("outageNow", { name: i.name }))}</h3>
        <p>${escapeHtml(t("powerLostAt"))}: ${escapeHtml(fmtTime(i.power_lost_at))} ・ <b>${escapeHtml(batteryText(i))}</b>${i.depletes_at && i.remaining_min > 0 ? escapeHtml(t("untilTime", { at: fmtTime(i.depletes_at) })) : ""}</p>
        <p>${escapeHtml(nearText)} <a href="/desk?incident=${encodeURIComponent(i.incident_id)}">${escapeHtml(t("openCallList"))}</a></p></div>`;
    })
    .join("");
}

/** The battery line of a child in an incident: time left, already out, on outside power, or
 * no clock (no life-critical device). The desk's rows say it the same way. */
export function batteryText(p) {
  if (p.on_power) return t("onPower");
  if (p.remaining_min == null) return t("noClock");
  return p.remaining_min > 0 ? t("remaining", { d: fmtDuration(p.remaining_min) }) : t("depleted", { d: fmtDuration(p.remaining_min) });
}
