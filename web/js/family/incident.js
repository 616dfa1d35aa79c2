// During an outage (an open incident where the child's home is dark): the battery countdown
// the server computes, the nearest points that are up, whether the plan's destinations are,
// and three buttons for the family to tell the desk how they are (a check with channel self).
import { api } from "../api.js";
import { t } from "../i18n.js";
import { escapeHtml } from "../map.js";
import { fmtDistance, fmtDuration, fmtTime, showError } from "../common.js";
import { label } from "../vocab.js";

const $ = (id) => document.getElementById(id);
const REPORTS = ["safe_at_home", "needs_power", "needs_rescue"];

/** Reads the open incidents for the shown child (none without a family token). */
export async function load(state) {
  state.incidents = [];
  if (state.child) {
    try {
      state.incidents = await api(`/api/v1/children/${encodeURIComponent(state.child.id)}/incident`);
    } catch (e) {
      showError(e);
    }
  }
  render(state);
}

/** The countdown line, in plain words. */
export function countdown(i) {
  if (i.on_power) return t("familyOnPower");
  if (i.remaining_min == null) return t("familyNoClock");
  if (i.remaining_min <= 0) return t("familyDepleted");
  return t("familyRemaining", { d: fmtDuration(i.remaining_min), at: fmtTime(i.depletes_at) });
}

function incidentHtml(state, i) {
  const name = (id) => escapeHtml(state.places?.get(id) ?? id);
  const near = (i.nearest_power || []).map((p) => `<li>${name(p.id)} ${escapeHtml(fmtDistance(p.distance_m))}（${escapeHtml(t("aboutMinutes", { m: Math.ceil(p.travel_min) }))}）</li>`).join("");
  const dests = (i.plan_destinations || []).map((d) => `<li>${name(d.id)}：<b class="${d.up ? "ok" : "bad"}">${escapeHtml(t(d.up ? "destUp" : "destDown"))}</b></li>`).join("");
  const buttons = REPORTS.map((s) => `<button type="button" class="report ${s}" data-incident="${escapeHtml(i.incident_id)}" data-status="${s}">${escapeHtml(t(`report_${s}`))}</button>`).join("");
  return `<h2>${escapeHtml(t("outageNow", { name: i.name }))}</h2>
    <p class="countdown">${escapeHtml(countdown(i))}</p>
    ${near ? `<h3>${escapeHtml(t("nearestUpTitle"))}</h3><ul>${near}</ul>` : `<p>${escapeHtml(t("noPowerUp"))}</p>`}
    ${dests ? `<h3>${escapeHtml(t("planDestinations"))}</h3><ul>${dests}</ul>` : ""}
    <h3>${escapeHtml(t("tellTheCity"))}</h3><div class="reports">${buttons}</div>
    <p class="report-sent" role="status" data-incident="${escapeHtml(i.incident_id)}"></p>`;
}

export function render(state) {
  const box = $("incident-box");
  const list = state.incidents || [];
  box.hidden = !list.length;
  box.innerHTML = list.map((i) => `<section>${incidentHtml(state, i)}</section>`).join("");
  document.body.dataset.incidents = String(list.length);
}

/** One tap sends how the family is; the desk sees it at once. */
export function wire(state) {
  $("incident-box").addEventListener("click", async (e) => {
    const b = e.target.closest("button.report");
    if (!b || !state.child) return;
    b.disabled = true;
    try {
      const body = { child_id: state.child.id, channel: "self", reached: true, status: b.dataset.status };
      await api(`/api/v1/incidents/${encodeURIComponent(b.dataset.incident)}/checks`, { method: "POST", body });
      const sent = $("incident-box").querySelector(`.report-sent[data-incident="${CSS.escape(b.dataset.incident)}"]`);
      if (sent) sent.textContent = t("reportSent", { what: label("check_statuses", b.dataset.status), at: fmtTime(new Date().toISOString()) });
    } catch (err) {
      showError(err);
    } finally {
      b.disabled = false;
    }
  });
}
