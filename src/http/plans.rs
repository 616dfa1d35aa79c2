//! 個別避難計画: versioned plans, the audit (JSON or CSV) and the printable sheet.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::extract::{JsonBody, Params};
use super::resources::path_id;
use super::{AppState, Caller, Detail, Error, Result};
use crate::domain::auth::{Action, Role};
use crate::domain::plan::{Plan, PlanInput};
use crate::domain::{ChildProps, spreadsheet};
use crate::planning::audit::{Ctx, Finding, Severity, audit};
use crate::spatial::Entry;
use crate::store::now_rfc3339;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/children/{id}/plan", get(read).put(write))
        .route("/api/v1/children/{id}/plan/history", get(history))
        .route("/api/v1/children/{id}/plan/sheet", get(sheet))
        .route("/api/v1/plans/audit", get(run_audit))
}

/// The child, after the caller's right to read it is checked.
fn readable_child(state: &AppState, caller: &Caller, id: &str) -> Result<Entry<ChildProps>> {
    path_id(id)?;
    caller.may_read_child(id)?;
    state.catalog.get::<ChildProps>(id).ok_or_else(|| Error::NotFound(format!("no child {id}")))
}

async fn read(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Plan>> {
    readable_child(&state, &caller, &id)?;
    state.store.access_log().append(&[caller.log_entry(Action::PlanRead, &id)]).await?;
    let plan = state
        .store
        .plans()
        .current(&id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("child {id} has no plan yet")))?;
    Ok(Json(plan))
}

async fn history(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Vec<Plan>>> {
    readable_child(&state, &caller, &id)?;
    state.store.access_log().append(&[caller.log_entry(Action::PlanHistory, &id)]).await?;
    Ok(Json(state.store.plans().history(&id).await?))
}

async fn write(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Json<Plan>> {
    let token = caller.require(&[Role::Coordinator, Role::Planner])?;
    readable_child(&state, &caller, &id)?;
    let input = parse_plan(&id, body.read().await?)?;
    let based_on = input.version;
    let plan = state
        .store
        .plans()
        .put(&id, based_on, &input.into_body(), &token.name, &[caller.log_entry(Action::PlanWrite, &id)])
        .await?;
    Ok(Json(plan))
}

/// A plan body with field-named 422s, like every other write.
///
/// The body must be an object (serde would also fill the struct from an array) and may
/// carry only the plan's fields; the read-only ones a client echoes back from `GET`
/// (`child_id`, `author`, `created_at`) are ignored, but a `child_id` must be this child.
fn parse_plan(child_id: &str, mut body: Value) -> Result<PlanInput> {
    let unprocessable = |field: String, message: String| Error::Unprocessable {
        message: format!("{field}: {message}"),
        details: vec![Detail { index: 0, field, message }],
    };
    let Some(fields) = body.as_object_mut() else {
        return Err(unprocessable("body".into(), "must be a JSON object".into()));
    };
    if let Some(given) = fields.remove("child_id")
        && given.as_str() != Some(child_id)
    {
        return Err(unprocessable("child_id".into(), format!("must be {child_id}, the child in the path")));
    }
    fields.remove("author");
    fields.remove("created_at");
    let input: PlanInput = serde_path_to_error::deserialize(&body).map_err(|e| {
        let path = e.path().to_string();
        unprocessable(if path == "." { "body".into() } else { path }, e.inner().to_string())
    })?;
    input.validate().map_err(|errors| Error::Unprocessable {
        message: errors.first().map(|e| format!("{}: {}", e.field, e.message)).unwrap_or_default(),
        details: errors.into_iter().map(|e| Detail::at(0, e)).collect(),
    })?;
    Ok(input)
}

/// The audit answer of the contract.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditReport {
    /// When the audit ran (RFC 3339).
    pub generated_at: String,
    /// Children audited.
    pub children: usize,
    /// Findings, errors first.
    pub findings: Vec<Finding>,
}

async fn run_audit(State(state): State<AppState>, caller: Caller, params: Params) -> Result<Response> {
    caller.require(&[Role::Coordinator, Role::Planner])?;
    let csv = match params.str("format") {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => return Err(Error::param(format!("format must be json or csv, not {other}"))),
    };
    let district = params.str("district");
    // Checked before any child is read, so a bad filter logs no access.
    let keep = severities(&params)?;
    let children: Vec<Entry<ChildProps>> = state
        .catalog
        .list::<ChildProps>(None)
        .into_iter()
        .filter(|c| district.is_none_or(|d| c.props.district.as_deref() == Some(d)))
        .collect();
    let plans = state.store.plans().all_current().await?;
    let log: Vec<_> = children.iter().map(|c| caller.log_entry(Action::Audit, &c.id)).collect();
    state.store.access_log().append(&log).await?;
    let ctx =
        Ctx { catalog: &state.catalog, travel: state.config.travel, today: crate::planning::audit::today_in_japan() };
    let mut findings = audit(&ctx, &children, &plans);
    findings.retain(|f| keep.as_ref().is_none_or(|k| k.contains(&f.severity)));
    let report = AuditReport { generated_at: now_rfc3339(), children: children.len(), findings };
    if csv { csv_response(&report, &children, ctx.today) } else { Ok(Json(report).into_response()) }
}

/// The audit as a CSV download named by its date.
fn csv_response(report: &AuditReport, children: &[Entry<ChildProps>], today: time::Date) -> Result<Response> {
    let text = audit_csv(report, children).map_err(|e| Error::param(e.to_string()))?;
    let filename = format!("attachment; filename=\"plan-audit-{today}.csv\"");
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, filename)], text)
        .into_response())
}

/// The `severity=error,warning` filter of the audit; `None` keeps every finding.
fn severities(params: &Params) -> Result<Option<Vec<Severity>>> {
    let Some(list) = params.str("severity") else { return Ok(None) };
    list.split(',')
        .map(|name| {
            serde_json::from_value(Value::String(name.trim().to_owned()))
                .map_err(|_| Error::param(format!("severity must list error, warning or info, not {name}")))
        })
        .collect::<Result<Vec<Severity>>>()
        .map(Some)
}

/// The audit as CSV for Excel: UTF-8 with a BOM, Japanese headers, RFC 4180 quoting and
/// no cell Excel would evaluate.
pub fn audit_csv(report: &AuditReport, children: &[Entry<ChildProps>]) -> std::result::Result<String, csv::Error> {
    let by_id: std::collections::HashMap<&str, &ChildProps> =
        children.iter().map(|c| (c.id.as_str(), &c.props)).collect();
    let mut w = spreadsheet::writer();
    w.write_record(["児童ID", "氏名", "地区", "重要度", "ルール", "内容"])?;
    for f in &report.findings {
        let child = by_id.get(f.child_id.as_str());
        let name = child.map(|c| c.name.as_str()).unwrap_or("");
        let district = child.and_then(|c| c.district.as_deref()).unwrap_or("");
        let cells = [f.child_id.as_str(), name, district, f.severity.label_ja(), f.rule, f.message.as_str()];
        w.write_record(cells.map(|cell| spreadsheet::text_cell(cell).into_owned()))?;
    }
    spreadsheet::finish(w)
}

async fn sheet(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Html<String>> {
    let child = readable_child(&state, &caller, &id)?;
    state.store.access_log().append(&[caller.log_entry(Action::PlanSheet, &id)]).await?;
    let plan = state.store.plans().current(&id).await?;
    Ok(Html(super::sheet::render(&state, &child, plan.as_ref())))
}
