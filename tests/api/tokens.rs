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
