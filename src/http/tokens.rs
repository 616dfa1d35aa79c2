//! Tokens for staff in the browser (planner: list, create, revoke) and the family sign-in by
//! QR code (coordinator, planner).
//!
//! A secret is answered once, when it is made, and never again: the store keeps its hash.
//! The sign-in URL carries the secret in the fragment (`/#token=…`), which browsers never send
//! to a server, so it reaches no access log or proxy; the family page moves it into local
//! storage and out of the address bar on first load (`web/js/family/signin.js`).
//!
//! The plan sheet shows the QR code when it is asked for at issue time:
//! `POST /api/v1/children/{id}/family-token?sheet=true` answers the printable sheet with the
//! code on it instead of JSON. A `GET` of the sheet cannot show it (the secret is not kept),
//! and issuing on a `GET` would let a link prefetch revoke a family's code.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Check, JsonBody, PathId, Query};
use super::{AppState, Detail, Error, Planner, Result, Staff, hash_token, new_secret};
use crate::domain::auth::{Action, Role, TokenInfo, TokenRecord, date_in_japan, parse_expiry};
use crate::domain::text::check_name;
use crate::domain::{ChildProps, FieldError};
use crate::store::{NewToken, Revocation};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(revoke)).routes(routes!(family_token))
}

/// A 422 naming `field`.
fn invalid(field: &str, message: impl std::fmt::Display) -> Error {
    let message = message.to_string();
    Error::Unprocessable {
        message: format!("{field}: {message}"),
        details: vec![Detail::at(0, FieldError::new(field, message))],
    }
}

/// A body as `T`, every failure a 422 naming the field (unknown fields included).
fn parse<T: serde::de::DeserializeOwned>(body: Value) -> Result<T> {
    if !body.is_object() {
        return Err(invalid("body", "must be a JSON object"));
    }
    serde_path_to_error::deserialize(&body).map_err(|e| {
        let path = e.path().to_string();
        invalid(if path == "." { "body" } else { &path }, e.inner())
    })
}

/// The optional `expires_on` of a body: `YYYY-MM-DD`, today in Japan or later.
fn expiry(text: Option<&str>, at: OffsetDateTime) -> Result<Option<Date>> {
    text.map(|t| parse_expiry(t, date_in_japan(at)).map_err(|e| invalid("expires_on", e))).transpose()
}

/// Every token, oldest first: never a secret or a hash.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", security(("bearer" = [])),
    responses((status = 200, body = Vec<TokenInfo>), (status = 403)))]
async fn list(State(state): State<AppState>, _who: Planner) -> Result<Json<Vec<TokenInfo>>> {
    Ok(Json(state.store.tokens().list().await?))
}

/// A token as a planner asks for it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenBody {
    /// Who holds it (shown in the access log); one line, at most 200 characters.
    pub name: String,
    /// `family`, `coordinator` or `planner`.
    #[schema(pattern = "^(family|coordinator|planner)$")]
    pub role: String,
    /// The children a family token may read (at least one; none for staff).
    #[serde(default)]
    pub child_ids: Vec<String>,
    /// Its last day, Japan time (`YYYY-MM-DD`, inclusive); absent: no expiry.
    #[schema(format = Date)]
    pub expires_on: Option<String>,
}

/// A token just made: as listed, and its secret, which is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedToken {
    /// The token as `GET /api/v1/tokens` lists it.
    pub token: TokenInfo,
    /// The secret, for `Authorization: Bearer …`; not retrievable later.
    pub secret: String,
}

/// The token `body` asks for, checked; every problem a 422 naming its field.
fn checked(state: &AppState, body: NewTokenBody) -> Result<(TokenRecord, Option<String>)> {
    check_name(&body.name).map_err(|e| invalid("name", e))?;
    let role = Role::parse(&body.role).ok_or_else(|| invalid("role", "must be family, coordinator or planner"))?;
    match (role, body.child_ids.is_empty()) {
        (Role::Family, true) => return Err(invalid("child_ids", "a family token needs at least one child")),
        (Role::Coordinator | Role::Planner, false) => {
            return Err(invalid("child_ids", "only family tokens name children"));
        }
        _ => {}
    }
    for (i, child) in body.child_ids.iter().enumerate() {
        if state.catalog.get::<ChildProps>(child).is_none() {
            return Err(invalid(&format!("child_ids[{i}]"), format!("no child {child}")));
        }
    }
    let record = TokenRecord { hash: String::new(), name: body.name, role, child_ids: body.child_ids };
    Ok((record, body.expires_on))
}

/// Make a token; its secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", security(("bearer" = [])), request_body = NewTokenBody,
    responses((status = 201, body = IssuedToken), (status = 400), (status = 403), (status = 422)))]
async fn create(
    State(state): State<AppState>,
    who: Planner,
    body: JsonBody,
) -> Result<(StatusCode, Json<IssuedToken>)> {
    let at = OffsetDateTime::now_utc();
    let (mut record, expires) = checked(&state, parse(body.read().await?)?)?;
    let expires_on = expiry(expires.as_deref(), at)?;
    let secret = new_secret();
    record.hash = hash_token(&secret);
    let log: Vec<_> = record.child_ids.iter().map(|c| who.log(Action::TokenIssue, c)).collect();
    state.store.access_log().append(&log).await?;
    let id = state.store.tokens().create_with(&record, NewToken { expires_on, demo: false }, at).await?;
    let token = state.store.tokens().get(&id).await?.ok_or_else(|| Error::Internal(format!("token {id} vanished")))?;
    Ok((StatusCode::CREATED, Json(IssuedToken { token, secret })))
}

/// Revoke a token: refused from now on, on every instance. Revoking twice changes nothing.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", security(("bearer" = [])),
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$")),
    responses((status = 200, body = TokenInfo), (status = 400), (status = 403), (status = 404)))]
async fn revoke(State(state): State<AppState>, _who: Planner, PathId(id): PathId) -> Result<Json<TokenInfo>> {
    match state.store.tokens().revoke(&id, OffsetDateTime::now_utc()).await? {
        None => return Err(Error::NotFound(format!("no token {id}"))),
        // This instance's cache drops it when its follower applies the change: wait for that.
        Some(Revocation::Revoked { seq }) => state.seen(seq).await,
        Some(Revocation::Already(_)) => {}
    }
    let token = state.store.tokens().get(&id).await?.ok_or_else(|| Error::NotFound(format!("no token {id}")))?;
    Ok(Json(token))
}

/// What a family sign-in may say.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FamilyTokenBody {
    /// The token's name in the access log; default `家族 {child id}（QR）`.
    pub name: Option<String>,
    /// Its last day, Japan time (`YYYY-MM-DD`, inclusive); absent: no expiry.
    #[schema(format = Date)]
    pub expires_on: Option<String>,
}

/// How the sign-in is answered.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FamilyTokenQuery {
    /// `true`: answer the printable plan sheet (HTML) with the QR code on it, not JSON.
    pub sheet: Option<bool>,
}

impl Check for FamilyTokenQuery {}

/// A family sign-in just issued.
#[derive(Debug, Serialize, ToSchema)]
pub struct FamilySignIn {
    /// The new token's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The child it is bound to.
    pub child_id: String,
    /// The secret, shown this once.
    pub secret: String,
    /// What the QR code opens: the family page with the secret in the fragment. Absolute
    /// when the request said where it came from (`Origin`, else `Host`), else `/#token=…`.
    pub url: String,
    /// The QR code of `url`, as an SVG document.
    pub qr_svg: String,
    /// Its last day (Japan time), or null.
    #[schema(value_type = Option<String>)]
    pub expires_on: Option<Date>,
    /// The earlier sign-ins for this child, revoked by this one.
    pub revoked: Vec<String>,
}

/// Issue a family sign-in for the child: a family token bound to it, with a QR code that
/// opens the family page signed in. Earlier sign-ins issued this way for the child are
/// revoked. `?sheet=true` answers the plan sheet with the code printed on it.
#[utoipa::path(post, path = "/api/v1/children/{id}/family-token", tag = "tokens", security(("bearer" = [])),
    params(("id" = String, Path, pattern = "^[A-Za-z0-9._-]{1,64}$"), FamilyTokenQuery), request_body = FamilyTokenBody,
    responses((status = 201, description = "JSON, or with sheet=true the plan sheet (text/html)",
               content((FamilySignIn = "application/json"), (String = "text/html"))),
              (status = 400), (status = 403), (status = 404), (status = 422)))]
async fn family_token(
    State(state): State<AppState>,
    who: Staff,
    PathId(id): PathId,
    Query(q): Query<FamilyTokenQuery>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response> {
    let child = state.catalog.get::<ChildProps>(&id).ok_or_else(|| Error::NotFound(format!("no child {id}")))?;
    let body: FamilyTokenBody = parse(body.read().await?)?;
    let at = OffsetDateTime::now_utc();
    let sign_in = issue(&state, &who, &id, body, at, public_origin(&headers)).await?;
    if q.sheet != Some(true) {
        return Ok((StatusCode::CREATED, Json(sign_in)).into_response());
    }
    state.store.access_log().append(&[who.log(Action::PlanSheet, &id)]).await?;
    let plan = state.store.plans().current(&id).await?;
    // The family's copy: it is printed to be handed to the family with its key on it.
    let sheet = super::sheet::render(&state, &child, plan.as_ref(), super::sheet::Audience::Family, at)
        .map_err(|e| Error::Internal(format!("the plan sheet did not render: {e}")))?;
    let sheet = with_sign_in(sheet, &sign_in);
    Ok((StatusCode::CREATED, [(header::CACHE_CONTROL, "no-store")], Html(sheet)).into_response())
}

/// Stores the sign-in (revoking the child's earlier ones) and makes its URL and QR code.
async fn issue(
    state: &AppState,
    who: &Staff,
    child_id: &str,
    body: FamilyTokenBody,
    at: OffsetDateTime,
    origin: Option<String>,
) -> Result<FamilySignIn> {
    let name = body.name.unwrap_or_else(|| format!("家族 {child_id}（QR）"));
    check_name(&name).map_err(|e| invalid("name", e))?;
    let expires_on = expiry(body.expires_on.as_deref(), at)?;
    let secret = new_secret();
    let url = format!("{}/#token={secret}", origin.unwrap_or_default());
    let qr_svg = qr_svg(&url)?;
    let record = TokenRecord {
        hash: hash_token(&secret),
        name: name.clone(),
        role: Role::Family,
        child_ids: vec![child_id.to_owned()],
    };
    state.store.access_log().append(&[who.log(Action::TokenIssue, child_id)]).await?;
    let issued = state.store.tokens().issue_sign_in(child_id, &record, expires_on, at).await?;
    if issued.seq > 0 {
        state.seen(issued.seq).await; // this instance refuses the old codes before we answer
    }
    Ok(FamilySignIn {
        id: issued.id,
        name,
        child_id: child_id.to_owned(),
        secret,
        url,
        qr_svg,
        expires_on,
        revoked: issued.revoked,
    })
}

/// The origin the caller reached us at, for an absolute sign-in URL: a browser's `Origin`,
/// else `X-Forwarded-Host`/`Host` with `X-Forwarded-Proto` (default `http`). Only a plain
/// `scheme://host[:port]` is taken, so a header cannot smuggle a path or a second URL in.
fn public_origin(headers: &HeaderMap) -> Option<String> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let origin = match text("origin").filter(|o| *o != "null") {
        Some(o) => o.to_owned(),
        None => {
            let host = text("x-forwarded-host").or_else(|| text("host"))?;
            format!("{}://{host}", text("x-forwarded-proto").unwrap_or("http"))
        }
    };
    let host = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"))?;
    let plain = !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
    plain.then_some(origin)
}

/// A QR code (error correction M: a smudged print still reads) of `text`, as SVG.
fn qr_svg(text: &str) -> Result<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| Error::Internal(format!("QR code: {e}")))?;
    Ok(code.render::<svg::Color>().min_dimensions(240, 240).quiet_zone(true).build())
}

/// The sheet with the sign-in printed at its foot, as a strip a family can cut off and keep
/// apart from the sheet they post on the wall: the code opens their child's data.
fn with_sign_in(sheet: String, sign_in: &FamilySignIn) -> String {
    let svg = sign_in.qr_svg.find("<svg").map_or(sign_in.qr_svg.as_str(), |at| &sign_in.qr_svg[at..]);
    let site = sign_in.url.split("/#").next().unwrap_or("");
    let expiry = sign_in.expires_on.map(|d| format!("有効期限 {d}（この日まで）。")).unwrap_or_default();
    let block = format!(
        r#"<div class="sign-in" style="display:flex;gap:4mm;align-items:center;margin-top:3mm;padding-top:2mm;border-top:1px dashed #000;page-break-inside:avoid">
<div style="width:32mm;height:32mm;flex:none">{svg}</div>
<div><b>家族用ページへのログイン（QRコード）</b><br>スマートフォンのカメラで読み取ると、この子の家族用ページがログインした状態で開きます（{site}/）。{expiry}<br>
<small>このコードは家の鍵と同じです。人に見せたり写真を送ったりしないでください。切り取って別に保管できます。なくしたときは市の担当者に連絡してください。新しいコードを発行すると、古いコードは使えなくなります。</small></div></div>
<style>.sign-in svg {{ width: 32mm; height: 32mm; }}</style>
"#,
        site = html_escape::encode_text(site),
    );
    match sheet.rfind("</body>") {
        Some(at) => format!("{}{block}{}", &sheet[..at], &sheet[at..]),
        None => sheet + &block,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(*name, value.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_sign_in_url_takes_a_plain_origin_and_nothing_else() {
        assert_eq!(
            public_origin(&headers(&[("origin", "https://map.example.jp")])).as_deref(),
            Some("https://map.example.jp")
        );
        assert_eq!(public_origin(&headers(&[("host", "127.0.0.1:8080")])).as_deref(), Some("http://127.0.0.1:8080"));
        let proxied =
            headers(&[("host", "10.0.0.5"), ("x-forwarded-host", "map.example.jp"), ("x-forwarded-proto", "https")]);
        assert_eq!(public_origin(&proxied).as_deref(), Some("https://map.example.jp"));
        for bad in ["https://evil.example/path", "javascript:alert(1)", "https://a b", "null", "ftp://x"] {
            assert_eq!(public_origin(&headers(&[("origin", bad)])), None, "{bad}");
        }
        assert_eq!(public_origin(&HeaderMap::new()), None);
    }
}
