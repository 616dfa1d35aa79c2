//! 個別避難計画: versioned plans, the audit (JSON or CSV) and the printable sheet.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Check, JsonBody, PathId, Query};
use super::sheet::{self, Audience};
use super::{AppState, ChildReader, Detail, Error, Result, Staff};
use crate::domain::auth::Action;
use crate::domain::plan::{Plan, PlanInput};
use crate::domain::{ChildProps, spreadsheet};
use crate::planning::audit::{Ctx, Finding, Severity, audit};
use crate::spatial::Entry;
use crate::store::now_rfc3339;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(read, write))
        .routes(routes!(history))
        .routes(routes!(sheet))
        .routes(routes!(run_audit))
}

/// The child in the path, which the extractor has already allowed the caller to read.
fn readable_child(state: &AppState, id: &str) -> Result<Entry<ChildProps>> {
    state.catalog.get::<ChildProps>(id).ok_or_else(|| Error::NotFound(format!("no child {id}")))
}

/// The child's current 個別避難計画.
#[utoipa::path(get, path = "/api/v1/children/{id}/plan", tag = "plans", security(("bearer" = [])),
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")),
    responses((status = 200, body = Plan), (status = 400), (status = 404)))]
async fn read(State(state): State<AppState>, who: ChildReader) -> Result<Json<Plan>> {
    let id = &who.id;
    readable_child(&state, id)?;
    state.store.access_log().append(&[who.log(Action::PlanRead)]).await?;
    let plan = state.store.plans().current(id).await?;
    Ok(Json(plan.ok_or_else(|| Error::NotFound(format!("child {id} has no plan yet")))?))
}

/// All plan versions, newest first.
#[utoipa::path(get, path = "/api/v1/children/{id}/plan/history", tag = "plans", security(("bearer" = [])),
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")),
    responses((status = 200, body = Vec<Plan>), (status = 400), (status = 404)))]
async fn history(State(state): State<AppState>, who: ChildReader) -> Result<Json<Vec<Plan>>> {
    readable_child(&state, &who.id)?;
    state.store.access_log().append(&[who.log(Action::PlanHistory)]).await?;
    Ok(Json(state.store.plans().history(&who.id).await?))
}

/// Store a new plan version; `version` is the one it was based on (0 for none); stale → 409.
#[utoipa::path(put, path = "/api/v1/children/{id}/plan", tag = "plans", security(("bearer" = [])),
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")), request_body = PlanInput,
    responses((status = 200, body = Plan), (status = 400), (status = 403), (status = 404), (status = 409),
              (status = 413), (status = 422)))]
async fn write(State(state): State<AppState>, who: Staff, PathId(id): PathId, body: JsonBody) -> Result<Json<Plan>> {
    readable_child(&state, &id)?;
    let input = parse_plan(&id, body.read().await?)?;
    let log = [who.log(Action::PlanWrite, &id)];
    let plan = state.store.plans().put(&id, input.version, &input.into_body(), &who.0.name, &log).await?;
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

/// How an answer is written: JSON, or CSV for Excel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// JSON (the default).
    #[default]
    Json,
    /// CSV, UTF-8 with a BOM, for Excel.
    Csv,
}

/// The audit's filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only children of this 町字 (empty: every district).
    #[serde(default, deserialize_with = "super::extract::empty_as_none")]
    pub district: Option<String>,
    /// Comma-separated severities to keep (`error,warning,info`); default (or empty) all.
    #[param(value_type = Option<Vec<Severity>>, style = Form, explode = false)]
    #[serde(default, deserialize_with = "super::extract::empty_as_none")]
    pub severity: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<Format>,
}

impl Check for AuditQuery {
    /// Checked before any child is read, so a bad filter logs no access.
    fn check(&self) -> Result<()> {
        severities(self.severity.as_deref()).map(|_| ())
    }
}

/// Plan audit findings; `format=csv` for Excel (UTF-8 with BOM).
#[utoipa::path(get, path = "/api/v1/plans/audit", tag = "plans", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, content((AuditReport = "application/json"), (String = "text/csv"))), (status = 400), (status = 403)))]
async fn run_audit(State(state): State<AppState>, who: Staff, Query(q): Query<AuditQuery>) -> Result<Response> {
    let keep = severities(q.severity.as_deref())?;
    let district = q.district.as_deref();
    let children: Vec<Entry<ChildProps>> = state
        .catalog
        .list::<ChildProps>(None)
        .into_iter()
        .filter(|c| district.is_none_or(|d| c.props.district.as_deref() == Some(d)))
        .collect();
    let plans = state.store.plans().all_current().await?;
    let log: Vec<_> = children.iter().map(|c| who.log(Action::Audit, &c.id)).collect();
    state.store.access_log().append(&log).await?;
    let ctx =
        Ctx { catalog: &state.catalog, travel: state.config.travel, today: crate::planning::audit::today_in_japan() };
    let mut findings = audit(&ctx, &children, &plans);
    findings.retain(|f| keep.as_ref().is_none_or(|k| k.contains(&f.severity)));
    let report = AuditReport { generated_at: now_rfc3339(), children: children.len(), findings };
    match q.format.unwrap_or_default() {
        Format::Csv => csv_response(&report, &children, ctx.today),
        Format::Json => Ok(Json(report).into_response()),
    }
}

/// The audit as a CSV download named by its date.
fn csv_response(report: &AuditReport, children: &[Entry<ChildProps>], today: time::Date) -> Result<Response> {
    let text = audit_csv(report, children).map_err(|e| Error::param(e.to_string()))?;
    let filename = format!("attachment; filename=\"plan-audit-{today}.csv\"");
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, filename)], text)
        .into_response())
}

/// The `severity=error,warning` filter of the audit; `None` keeps every finding.
fn severities(list: Option<&str>) -> Result<Option<Vec<Severity>>> {
    let Some(list) = list else { return Ok(None) };
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

/// Printable A4 plan sheet (HTML, Japanese). Without a plan (or without destinations) it
/// suggests the nearest compatible power point and shelter; a family's copy leaves out
/// what is for staff only.
#[utoipa::path(get, path = "/api/v1/children/{id}/plan/sheet", tag = "plans", security(("bearer" = [])),
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")),
    responses((status = 200, content_type = "text/html", body = String), (status = 400), (status = 404)))]
async fn sheet(State(state): State<AppState>, who: ChildReader) -> Result<Html<String>> {
    let child = readable_child(&state, &who.id)?;
    state.store.access_log().append(&[who.log(Action::PlanSheet)]).await?;
    let plan = state.store.plans().current(&who.id).await?;
    let audience = Audience::of(who.caller.role());
    let html = sheet::render(&state, &child, plan.as_ref(), audience, time::OffsetDateTime::now_utc())
        .map_err(|e| Error::Internal(format!("the plan sheet did not render: {e}")))?;
    Ok(Html(html))
}
