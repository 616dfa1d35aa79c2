//! Several instances on one database: a write through one shows in the other's answers.

use std::future::Future;
use std::time::{Duration, Instant};

use axum::http::StatusCode;

use crate::common::*;

/// Polls `check` until it holds or `limit` passes; returns how long it took.
async fn within(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check().await {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// On PostgreSQL the fallback poll is 30 s, so only NOTIFY can deliver within a second;
/// SQLite has no NOTIFY and relies on a short poll.
fn poll() -> Duration {
    if on_postgres() { Duration::from_secs(30) } else { Duration::from_millis(200) }
}

const NEAREST: &str = "/api/v1/nearest/power?lat=35.79&lon=140.05&k=1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_and_a_delete_through_one_instance_reach_the_other_within_a_second() {
    let (a, b, _) = TestApp::pair(poll()).await;
    tokio::time::sleep(Duration::from_millis(200)).await; // let B's listener start
    a.seed("/api/v1/power-points", power_point("p1", 140.05, 35.79, 1, 100.0, true)).await;
    let seen = within(Duration::from_secs(1), async || ids(&b.get(NEAREST, None).await.1) == ["p1"]).await;
    assert!(seen.is_some(), "instance B never saw the write");

    assert_eq!(a.call("DELETE", "/api/v1/power-points/p1", Some(PLANNER), None).await.0, StatusCode::NO_CONTENT);
    let gone = within(Duration::from_secs(1), async || ids(&b.get(NEAREST, None).await.1).is_empty()).await;
    assert!(gone.is_some(), "instance B still answers with a deleted point");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_cut_off_from_the_database_catches_up_after_reconnecting() {
    if !on_postgres() {
        return; // connection loss is a PostgreSQL matter; the SQLite pass has nothing to cut
    }
    let (a, b, url) = TestApp::pair(poll()).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Cut every other connection to this database (B's listener among them), then write
    // while B is away: its NOTIFY is lost, so only the catch-up can bring it.
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    let cut: i64 = sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert!(cut >= 1, "nothing was cut");
    a.seed("/api/v1/power-points", power_point("while-away", 140.05, 35.79, 1, 100.0, true)).await;
    let seen = within(Duration::from_secs(5), async || ids(&b.get(NEAREST, None).await.1) == ["while-away"]).await;
    assert!(seen.is_some(), "instance B did not catch up after reconnecting");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_committed_write_notifies_with_the_changed_ids() {
    if !on_postgres() {
        return; // NOTIFY is PostgreSQL's
    }
    let (a, _b, url) = TestApp::pair(poll()).await;
    let mut listener = sqlx::postgres::PgListener::connect(&url).await.unwrap();
    listener.listen("powermap_changes").await.unwrap();
    a.seed("/api/v1/power-points", power_point("notified", 140.05, 35.79, 1, 100.0, true)).await;
    let note = tokio::time::timeout(Duration::from_secs(2), listener.recv()).await.unwrap().unwrap();
    let payload: serde_json::Value = serde_json::from_str(note.payload()).unwrap();
    assert_eq!(payload, serde_json::json!({"collection": "power_points", "ids": ["notified"]}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_load_through_one_instance_reaches_the_other_whole() {
    let (a, b, _) = TestApp::pair(poll()).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // More than one batch of the catch-up's reads, and past NOTIFY's payload limit.
    let features: Vec<_> = (0..1_200)
        .map(|i| power_point(&format!("bulk-{i:04}"), 140.0 + i as f64 * 1e-4, 35.79, 1, 100.0, true))
        .collect();
    a.seed("/api/v1/power-points", fc(features)).await;
    let seen = within(Duration::from_secs(3), async || b.get("/healthz", None).await.1["power_points"] == 1_200).await;
    assert!(seen.is_some(), "instance B did not index the whole bulk load");
    assert_eq!(a.call("DELETE", "/api/v1/power-points/bulk-0000", Some(PLANNER), None).await.0, StatusCode::NO_CONTENT);
    let gone = within(Duration::from_secs(3), async || b.get("/healthz", None).await.1["power_points"] == 1_199).await;
    assert!(gone.is_some());
}

/// The name of power point `id` as stored.
async fn stored_name(app: &TestApp, id: &str) -> Option<String> {
    let p = app.store.resources().get::<powermap::domain::PowerPointProps>(id).await.unwrap();
    p.map(|p| p.props.name)
}

fn named(name: &str) -> serde_json::Value {
    let mut p = power_point("p", 140.05, 35.79, 1, 100.0, true);
    p["properties"]["name"] = serde_json::json!(name);
    p
}

/// A's `PUT` of `name`, driven by hand with a waker that does nothing until its
/// transaction has committed, then left suspended before its answer. `None` when it ran to
/// its end in the same poll that committed (A's follower tick came in between), so the
/// caller tries again rather than test nothing.
async fn held_put(
    a: &TestApp,
    name: &str,
) -> Option<std::pin::Pin<Box<impl Future<Output = (StatusCode, serde_json::Value)> + use<>>>> {
    let body = serde_json::to_vec(&named(name)).unwrap();
    let mut put = Box::pin(send(a.router.clone(), "PUT", "/api/v1/power-points/p", Some(PLANNER), Some(body)));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    while stored_name(a, "p").await.as_deref() != Some(name) {
        if put.as_mut().poll(&mut cx).is_ready() {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Some(put)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_resumed_after_a_newer_write_from_another_instance_leaves_the_newer_indexed() {
    let (a, b, _) = TestApp::pair(poll()).await;
    a.seed("/api/v1/power-points", named("first")).await;
    let mut held = None;
    for attempt in 0..10 {
        held = held_put(&a, &format!("older-{attempt}")).await;
        if held.is_some() {
            break;
        }
    }
    let put = held.expect("the PUT finished before it could be held, ten times");
    // Meanwhile B writes a newer version, and A's follower indexes it.
    assert_eq!(b.put("/api/v1/power-points/p", Some(PLANNER), &named("newer")).await.0, StatusCode::OK);
    let name = async || a.get("/api/v1/power-points/p", None).await.1["properties"]["name"] == "newer";
    assert!(within(Duration::from_secs(5), name).await.is_some(), "A never indexed B's write");
    // A's PUT now finishes: its own copy must not overwrite the newer write in A's index.
    assert_eq!(put.await.0, StatusCode::OK);
    let (_, answer) = a.get("/api/v1/power-points/p", None).await;
    assert_eq!(answer["properties"]["name"], "newer", "A's index went back to its own older write");
}
