//! Token life: revocation on every instance at once, expiry in Japan time, last-used times
//! written in batches, and the planner's token endpoints.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use powermap::config::ServeConfig;
use powermap::domain::auth::{Role, TokenRecord};
use powermap::http::{AppState, app, hash_token};
use powermap::store::{NewToken, Revocation, Store};
use time::OffsetDateTime;

use crate::common::*;

/// Stores a staff token with this secret; returns its id.
async fn staff_token(store: &Store, secret: &str, expires_on: Option<time::Date>) -> String {
    let t = TokenRecord {
        hash: hash_token(secret),
        name: format!("{secret}-name"),
        role: Role::Coordinator,
        child_ids: vec![],
    };
    store.tokens().create_with(&t, NewToken { expires_on, demo: false }, OffsetDateTime::now_utc()).await.unwrap()
}

/// On PostgreSQL the fallback poll is 30 s (longer than the cache's TTL), so only the change
/// feed's NOTIFY can deliver a revocation within a second; SQLite polls.
fn poll() -> Duration {
    if on_postgres() { Duration::from_secs(30) } else { Duration::from_millis(200) }
}

/// Asks `app` with `token` until it answers 401 or `limit` after `since` passes; returns how
/// long after `since` it refused, and the answer.
async fn refused_within(
    app: &TestApp,
    token: &str,
    since: Instant,
    limit: Duration,
) -> Option<(Duration, serde_json::Value)> {
    while since.elapsed() < limit {
        let (status, answer) = app.get("/api/v1/me", Some(token)).await;
        if status == StatusCode::UNAUTHORIZED {
            return Some((since.elapsed(), answer));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_through_one_instance_is_refused_by_the_other_at_once() {
    let (a, b, _) = TestApp::pair(poll()).await;
    tokio::time::sleep(Duration::from_millis(200)).await; // let B's listener start
    let id = staff_token(&a.store, "t-held", None).await;
    // Both instances have the token cached (for 30 s, were it not for the feed).
    assert_eq!(a.get("/api/v1/me", Some("t-held")).await.0, StatusCode::OK);
    assert_eq!(b.get("/api/v1/me", Some("t-held")).await.0, StatusCode::OK);
    let revoked = Instant::now();
    assert!(matches!(
        a.store.tokens().revoke(&id, OffsetDateTime::now_utc()).await.unwrap(),
        Some(Revocation::Revoked { .. })
    ));
    for (instance, app) in [("B", &b), ("A", &a)] {
        let (after, answer) = refused_within(app, "t-held", revoked, Duration::from_secs(1))
            .await
            .unwrap_or_else(|| panic!("instance {instance} still accepted the revoked token a second later"));
        assert_error(&answer, "token_revoked");
        eprintln!("instance {instance} refused the revoked token {after:?} after the revocation");
    }
    // Revoking again changes nothing and says when it happened.
    assert!(matches!(
        a.store.tokens().revoke(&id, OffsetDateTime::now_utc()).await.unwrap(),
        Some(Revocation::Already(_))
    ));
    assert_eq!(a.store.tokens().revoke("tok-nobody", OffsetDateTime::now_utc()).await.unwrap(), None);
}

#[tokio::test]
async fn a_token_past_its_last_day_is_refused_with_its_own_code() {
    let app = TestApp::new().await;
    staff_token(&app.store, "t-expired", Some(time::macros::date!(2020 - 03 - 31))).await;
    staff_token(&app.store, "t-valid", Some(time::macros::date!(2099 - 12 - 31))).await;
    let (status, answer) = app.get("/api/v1/plans/audit", Some("t-expired")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&answer, "token_expired");
    assert!(answer["error"]["message"].as_str().unwrap().contains("2020-03-31"), "{answer}");
    // Public routes refuse it too: a dead token is never silently "anonymous".
    assert_eq!(app.get("/api/v1/power-points", Some("t-expired")).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/plans/audit", Some("t-valid")).await.0, StatusCode::OK);
    let (status, answer) = app.get("/api/v1/me", Some("t-unknown")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&answer, "unauthorized");
}

#[tokio::test]
async fn last_used_times_are_written_in_a_batch_not_per_request() {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(&dir).await;
    let store = Store::connect(&url).await.unwrap();
    let id = staff_token(&store, "t-busy", None).await;
    let state = AppState::load(store.clone(), ServeConfig::default()).await.unwrap();
    let router = app(state.clone()); // no follower and no background writer: we flush by hand
    let before = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    for _ in 0..50 {
        assert_eq!(send(router.clone(), "GET", "/api/v1/me", Some("t-busy"), None).await.0, StatusCode::OK);
    }
    let last_used =
        async || store.tokens().list().await.unwrap().into_iter().find(|t| t.id == id).unwrap().last_used_at;
    assert_eq!(last_used().await, None, "fifty requests wrote nothing yet");
    assert_eq!(state.flush_token_uses().await.unwrap(), 1, "one row for fifty uses");
    let used = last_used().await.expect("the flush wrote the use");
    assert!(used >= before && used <= OffsetDateTime::now_utc(), "{used}");
    assert_eq!(state.flush_token_uses().await.unwrap(), 0, "nothing new to write within the minute");
}

#[tokio::test]
async fn planners_list_make_and_revoke_tokens_and_no_answer_shows_a_stored_secret() {
    let app = TestApp::new().await;
    assert_eq!(app.get("/api/v1/tokens", None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/tokens", Some(COORDINATOR)).await.0, StatusCode::FORBIDDEN);
    let (status, list) = app.get("/api/v1/tokens", Some(PLANNER)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let text = list.to_string();
    for secret in [PLANNER, COORDINATOR, FAMILY] {
        assert!(!text.contains(&hash_token(secret)), "a hash in the list: {text}");
    }
    assert!(list.as_array().unwrap().iter().any(|t| t["name"] == "t-planner-name" && t["role"] == "planner"));

    let body = serde_json::json!({"name": "夜間当直", "role": "coordinator", "expires_on": "2099-12-31"});
    let (status, made) = app.post("/api/v1/tokens", Some(PLANNER), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let secret = made["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("pm_") && made["token"]["expires_on"] == "2099-12-31", "{made}");
    assert_eq!(app.get("/api/v1/plans/audit", Some(&secret)).await.0, StatusCode::OK, "the new secret works");
    let (_, list) = app.get("/api/v1/tokens", Some(PLANNER)).await;
    assert!(!list.to_string().contains(&secret), "the list never shows the secret again");

    let id = made["token"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.call("DELETE", &format!("/api/v1/tokens/{id}"), Some(COORDINATOR), None).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, revoked) = app.call("DELETE", &format!("/api/v1/tokens/{id}"), Some(PLANNER), None).await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    let (status, answer) = app.get("/api/v1/plans/audit", Some(&secret)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "refused by this instance as soon as the DELETE answered");
    assert_error(&answer, "token_revoked");
    let (status, again) = app.call("DELETE", &format!("/api/v1/tokens/{id}"), Some(PLANNER), None).await;
    assert_eq!(
        (status, &again["revoked_at"]),
        (StatusCode::OK, &revoked["revoked_at"]),
        "revoking twice changes nothing"
    );
    let (status, answer) = app.call("DELETE", "/api/v1/tokens/tok-nobody", Some(PLANNER), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&answer, "not_found");
}

#[tokio::test]
async fn a_bad_token_request_is_a_422_naming_the_field_and_stores_nothing() {
    let app = TestApp::new().await;
    app.seed("/api/v1/children", child("child-a", 140.05, 35.79, "白井", 4.0)).await;
    let before = app.get("/api/v1/tokens", Some(PLANNER)).await.1.as_array().unwrap().len();
    let cases = [
        (serde_json::json!({"name": "a\u{7}b", "role": "planner"}), "name"),
        (serde_json::json!({"name": "", "role": "planner"}), "name"),
        (serde_json::json!({"name": "x".repeat(201), "role": "planner"}), "name"),
        (serde_json::json!({"name": "x", "role": "admin"}), "role"),
        (serde_json::json!({"name": "x", "role": "family"}), "child_ids"),
        (serde_json::json!({"name": "x", "role": "planner", "child_ids": ["child-a"]}), "child_ids"),
        (serde_json::json!({"name": "x", "role": "family", "child_ids": ["child-a", "nobody"]}), "child_ids[1]"),
        (serde_json::json!({"name": "x", "role": "planner", "expires_on": "2020-01-01"}), "expires_on"),
        (serde_json::json!({"name": "x", "role": "planner", "expires_on": "31/03/2027"}), "expires_on"),
        (serde_json::json!({"name": 7, "role": "planner"}), "name"),
        (serde_json::json!(["x"]), "body"),
    ];
    for (body, field) in cases {
        let (status, answer) = app.post("/api/v1/tokens", Some(PLANNER), &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(answer["error"]["details"][0]["field"], field, "{body}: {answer}");
    }
    let (status, answer) = app
        .post("/api/v1/tokens", Some(PLANNER), &serde_json::json!({"name": "x", "role": "planner", "hash": "00"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["error"]["details"][0]["field"], "hash", "an unknown field is named: {answer}");
    let (status, answer) = app.call("POST", "/api/v1/tokens", Some(PLANNER), Some(b"{".to_vec())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&answer, "invalid_json");
    let after = app.get("/api/v1/tokens", Some(PLANNER)).await.1.as_array().unwrap().len();
    assert_eq!(before, after, "nothing was stored");
}

/// The modules of a QR code drawn by the `qrcode` crate's SVG renderer (a white rect, then
/// one path of `M{x} {y}h{w}v{h}H{x}V{y}` rectangles), rasterised and decoded with rqrr.
fn decode_qr(svg: &str) -> String {
    let attr = |name: &str| -> usize {
        let at = svg.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        svg[at..at + svg[at..].find('"').unwrap()].parse().unwrap()
    };
    let (w, h) = (attr("width"), attr("height"));
    let mut dark = vec![vec![false; w]; h];
    let d_at = svg.find(" d=\"").unwrap() + 4;
    let d = &svg[d_at..d_at + svg[d_at..].find('"').unwrap()];
    for rect in d.split('M').filter(|r| !r.is_empty()) {
        let nums: Vec<usize> =
            rect.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect();
        let [x, y, rw, rh, ..] = nums[..] else { panic!("rect {rect}") };
        for row in dark.iter_mut().skip(y).take(rh) {
            row[x..x + rw].iter_mut().for_each(|px| *px = true);
        }
    }
    let mut image = rqrr::PreparedImage::prepare_from_bitmap(w, h, |x, y| dark[y][x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the SVG");
    grids[0].decode().unwrap().1
}

/// Issues a family sign-in for `child` from `origin`; returns the status and the JSON answer.
async fn sign_in(app: &TestApp, child: &str, query: &str, body: &serde_json::Value) -> (StatusCode, serde_json::Value) {
    let path = format!("/api/v1/children/{child}/family-token{query}");
    let mut req = request("POST", &path, Some(COORDINATOR), axum::body::Body::from(serde_json::to_vec(body).unwrap()));
    req.headers_mut().insert("origin", "https://map.example.jp".parse().unwrap());
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let res = app.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

#[tokio::test]
async fn a_family_qr_signs_in_to_that_child_only_and_issuing_again_revokes_the_old_code() {
    let app = TestApp::new().await;
    app.seed(
        "/api/v1/children",
        fc(vec![child("child-a", 140.05, 35.79, "白井", 4.0), child("child-b", 140.06, 35.80, "白井", 4.0)]),
    )
    .await;
    let (status, first) = sign_in(&app, "child-b", "", &serde_json::json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let secret = first["secret"].as_str().unwrap().to_owned();
    assert_eq!(first["url"], format!("https://map.example.jp/#token={secret}"));
    assert_eq!(decode_qr(first["qr_svg"].as_str().unwrap()), first["url"].as_str().unwrap(), "the QR code is the URL");
    let (_, me) = app.get("/api/v1/me", Some(&secret)).await;
    assert_eq!((me["role"].as_str(), &me["child_ids"]), (Some("family"), &serde_json::json!(["child-b"])), "{me}");
    assert_eq!(app.get("/api/v1/children/child-b", Some(&secret)).await.0, StatusCode::OK);
    assert_eq!(app.get("/api/v1/children/child-a", Some(&secret)).await.0, StatusCode::NOT_FOUND);

    let (status, second) = sign_in(&app, "child-b", "", &serde_json::json!({"expires_on": "2099-03-31"})).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(second["revoked"], serde_json::json!([first["id"]]));
    let (status, answer) = app.get("/api/v1/children/child-b", Some(&secret)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old code is refused at once");
    assert_error(&answer, "token_revoked");
    let newer = second["secret"].as_str().unwrap();
    assert_eq!(app.get("/api/v1/children/child-b", Some(newer)).await.0, StatusCode::OK);
    // Tokens made otherwise are not the sign-in's to revoke; nor are another child's codes.
    assert_eq!(sign_in(&app, "child-a", "", &serde_json::json!({})).await.0, StatusCode::CREATED);
    assert_eq!(app.get("/api/v1/children/child-a", Some(FAMILY)).await.0, StatusCode::OK);
    assert_eq!(app.get("/api/v1/children/child-b", Some(newer)).await.0, StatusCode::OK);
    let log = app.get("/api/v1/access-log?child_id=child-b", Some(PLANNER)).await.1;
    assert_eq!(log.as_array().unwrap().iter().filter(|e| e["action"] == "token_issue").count(), 2, "{log}");
}

#[tokio::test]
async fn the_plan_sheet_asked_for_at_issue_carries_a_qr_code_that_signs_in() {
    let app = TestApp::new().await;
    app.seed("/api/v1/children", child("child-a", 140.05, 35.79, "白井", 4.0)).await;
    let (status, sheet) = sign_in(&app, "child-a", "?sheet=true", &serde_json::json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let html = sheet.as_str().unwrap();
    assert!(html.contains("個別避難計画") && html.contains("家族用ページへのログイン（QRコード）"), "{html}");
    let svg = &html[html.find("<svg xmlns").unwrap()..];
    let url = decode_qr(&svg[..svg.find("</svg>").unwrap() + 6]);
    let secret = url.strip_prefix("https://map.example.jp/#token=").expect(&url);
    assert!(!html.contains(secret), "the secret is in the code only, not printed as text");
    assert_eq!(app.get("/api/v1/me", Some(secret)).await.1["child_ids"], serde_json::json!(["child-a"]));
}

#[tokio::test]
async fn a_family_sign_in_is_for_staff_and_checks_its_child_and_body() {
    let app = TestApp::new().await;
    app.seed("/api/v1/children", child("child-a", 140.05, 35.79, "白井", 4.0)).await;
    let path = "/api/v1/children/child-a/family-token";
    let empty = serde_json::json!({});
    assert_eq!(app.post(path, None, &empty).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.post(path, Some(FAMILY), &empty).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.post("/api/v1/children/nobody/family-token", Some(PLANNER), &empty).await.0, StatusCode::NOT_FOUND);
    for (body, field) in [
        (serde_json::json!({"expires_on": "2001-01-01"}), "expires_on"),
        (serde_json::json!({"name": "山田\n家"}), "name"),
        (serde_json::json!({"role": "planner"}), "role"),
    ] {
        let (status, answer) = app.post(path, Some(PLANNER), &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(answer["error"]["details"][0]["field"], field, "{body}: {answer}");
    }
    let (status, answer) = app.post(&format!("{path}?sheet=maybe"), Some(PLANNER), &empty).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(answer["error"]["message"].as_str().unwrap().contains("sheet"), "{answer}");
    // Without an Origin or Host header the URL is the path alone.
    let (status, answer) = app.post(path, Some(PLANNER), &empty).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(answer["url"].as_str().unwrap().starts_with("/#token=pm_"), "{answer}");
    let listed = app.get("/api/v1/tokens", Some(PLANNER)).await.1;
    let sign_ins: Vec<_> = listed.as_array().unwrap().iter().filter(|t| t["sign_in_child_id"] == "child-a").collect();
    assert_eq!(sign_ins.len(), 1, "the refused requests stored nothing: {listed}");
    assert_eq!(sign_ins[0]["name"], "家族 child-a（QR）");
}
