// The audit table: findings filtered by severity, sorted by what a column shows (the rule's
// label, not its code), the open child's rows marked.
import { t } from "../i18n.js";
import { escapeHtml } from "../map.js";
import { label } from "../vocab.js";

const $ = (id) => document.getElementById(id);
const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 };

/** The findings shown, sorted by what the column shows (the rule's label, not its code). */
function rows({ report, children, sort }) {
  const sev = $("severity-select").value;
  const list = report.findings
    .filter((f) => !sev || f.severity === sev)
    .map((f) => ({ ...f, child: children.get(f.child_id)?.properties.name || f.child_id, district: children.get(f.child_id)?.properties.district || "" }));
  const shown = { child: (f) => f.child, district: (f) => f.district, rule: (f) => t("rules." + f.rule) }[sort.key];
  list.sort((a, b) => {
    const x = shown ? shown(a).localeCompare(shown(b), "ja") : SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity];
    return x * sort.dir || a.child_id.localeCompare(b.child_id);
  });
  return list;
}

/** The audit table as filtered and sorted; a row (click, Enter, space) calls `onOpen(childId)`. */
export function render(state, onOpen) {
  const { report, sort } = state;
  if (!report) return;
  const list = rows(state);
  $("audit-summary").textContent = `${t("childrenChecked")}: ${report.children}・${t("findings")}: ${list.length}`;
  const body = $("audit-table").querySelector("tbody");
  body.innerHTML = list
    .map((f) => `<tr class="sev-${f.severity}" data-child="${escapeHtml(f.child_id)}" tabindex="0">
      <td><span class="badge sev-${f.severity}">${escapeHtml(label("severities", f.severity))}</span></td>
      <td>${escapeHtml(f.child)}</td><td>${escapeHtml(f.district)}</td>
      <td>${escapeHtml(t("rules." + f.rule))}<br><code>${escapeHtml(f.rule)}</code></td><td>${escapeHtml(f.message)}</td></tr>`)
    .join("");
  openableRows(body, onOpen);
  $("audit-table").querySelectorAll("th[data-sort]").forEach((th) => {
    th.setAttribute("aria-sort", th.dataset.sort === sort.key ? (sort.dir > 0 ? "ascending" : "descending") : "none");
  });
  markSelected(state);
  document.body.dataset.findings = String(list.length);
}

/** Marks the row of the child whose plan is open. */
export function markSelected({ selected }) {
  $("audit-table").querySelectorAll("tbody tr").forEach((tr) => {
    const on = tr.dataset.child === selected;
    tr.classList.toggle("selected", on);
    tr.setAttribute("aria-selected", String(on));
  });
}

/** Each row of `body` opens its child's plan on a click, Enter or space. */
export function openableRows(body, onOpen) {
  body.querySelectorAll("tr").forEach((tr) => {
    const open = () => onOpen(tr.dataset.child);
    tr.addEventListener("click", open);
    tr.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        open();
      }
    });
  });
}
