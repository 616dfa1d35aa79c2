// 作成優先度: the order in which plans should be made or renewed (hazard at home, then the
// battery), from the server; a row opens the child's plan like an audit row.
import { api, apiBlob } from "../api.js";
import { t } from "../i18n.js";
import { escapeHtml } from "../map.js";
import { label } from "../vocab.js";
import { download, showError } from "../common.js";
import { openableRows } from "./table.js";

const $ = (id) => document.getElementById(id);

/** Asks for the list (the district filter applies) and draws it. */
export async function load(state, onOpen) {
  const q = $("district-select").value ? `?district=${encodeURIComponent($("district-select").value)}` : "";
  state.priority = await api(`/api/v1/plans/priority${q}`);
  render(state, onOpen);
}

/** The rows in the server's order; a row (click, Enter, space) calls `onOpen(childId)`. */
export function render(state, onOpen) {
  const body = $("priority-table").querySelector("tbody");
  if (!state.priority) return;
  body.innerHTML = state.priority
    .map((r) => {
      const child = state.children.get(r.child_id)?.properties;
      const reasons = r.reasons.map((x) => label("priority_reasons", x)).join("・") || "—";
      const battery = r.autonomy_h == null ? "—" : t("hoursShort", { h: r.autonomy_h });
      const status = r.plan_status ? label("plan_statuses", r.plan_status) : t("planNone");
      return `<tr class="tier-${r.tier}" data-child="${escapeHtml(r.child_id)}" tabindex="0">
        <td><span class="tier">${r.tier}</span></td><td>${escapeHtml(child?.name || r.child_id)}</td>
        <td>${escapeHtml(child?.district || "")}</td><td>${escapeHtml(reasons)}</td>
        <td>${escapeHtml(battery)}</td><td>${escapeHtml(status)}</td></tr>`;
    })
    .join("");
  openableRows(body, onOpen);
}

/** The list as the server's CSV (Excel-safe), with the district filter. */
export async function downloadCsv() {
  const q = new URLSearchParams({ format: "csv" });
  if ($("district-select").value) q.set("district", $("district-select").value);
  try {
    download(`plan-priority-${new Date().toISOString().slice(0, 10)}.csv`, await apiBlob(`/api/v1/plans/priority?${q}`));
  } catch (e) {
    showError(e);
  }
}
