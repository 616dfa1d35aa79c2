//! Roles and the access log: child data is 要配慮個人情報.

use axum::http::StatusCode;

use crate::common::*;

async fn with_children() -> TestApp {
    let app = TestApp::new().await;
    app.seed(
        "/api/v1/children",
        fc(vec![child("child-a", 140.05, 35.79, "白井", 6.0), child("child-b", 140.06, 35.80, "復", 6.0)]),
    )
    .await;
    app
}

#[tokio::test]
async fn anonymous_cannot_read_children() {
    let app = with_children().await;
    for path in ["/api/v1/children", "/api/v1/children/child-a", "/api/v1/children/child-a/nearest-power"] {
        let (status, answer) = app.get(path, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_error(&answer, "unauthorized");
    }
}

#[tokio::test]
async fn unknown_token_is_401_not_anonymous() {
    let app = with_children().await;
    let (status, answer) = app.get("/api/v1/power-points", Some("no-such-token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&answer, "unauthorized");
}

#[tokio::test]
async fn family_token_reads_only_its_own_child() {
    let app = with_children().await;
    let (status, list) = app.get("/api/v1/children", Some(FAMILY)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&list), ["child-a"]);
    assert_eq!(app.get("/api/v1/children/child-a", Some(FAMILY)).await.0, StatusCode::OK);
    // Another family's child is "not found", so its existence does not leak.
    let (status, answer) = app.get("/api/v1/children/child-b", Some(FAMILY)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&answer, "not_found");
    assert_eq!(app.get("/api/v1/children/child-b/nearest-power", Some(FAMILY)).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn staff_read_all_children_and_only_planners_write() {
    let app = with_children().await;
    let (_, list) = app.get("/api/v1/children", Some(COORDINATOR)).await;
    assert_eq!(ids(&list), ["child-a", "child-b"]);
    let (status, answer) =
        app.post("/api/v1/children", Some(COORDINATOR), &child("child-c", 140.0, 35.8, "中", 3.0)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&answer, "forbidden");
    let (status, _) =
        app.post("/api/v1/power-points", Some(FAMILY), &power_point("p", 140.0, 35.8, 1, 100.0, true)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.post("/api/v1/power-points", None, &power_point("p", 140.0, 35.8, 1, 100.0, true)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_child_read_and_write_appears_in_the_access_log() {
    let app = with_children().await;
    app.get("/api/v1/children/child-a", Some(FAMILY)).await;
    app.get("/api/v1/children", Some(COORDINATOR)).await;
    app.get("/api/v1/children/child-a/nearest-power", Some(FAMILY)).await;

    let (status, log) = app.get("/api/v1/access-log?child_id=child-a", Some(COORDINATOR)).await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<(String, String, String)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["child_id"], "child-a");
            assert!(e["at"].as_str().unwrap().ends_with('Z'));
            (
                e["token_name"].as_str().unwrap().into(),
                e["role"].as_str().unwrap().into(),
                e["action"].as_str().unwrap().into(),
            )
        })
        .collect();
    // Newest first: the three reads, then the planner's create.
    let expected = [
        ("t-family-name", "family", "nearest_power"),
        ("t-coordinator-name", "coordinator", "list"),
        ("t-family-name", "family", "read"),
        ("t-planner-name", "planner", "create"),
    ];
    let expected: Vec<(String, String, String)> =
        expected.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect();
    assert_eq!(actions, expected);

    // The family may not read the log; a refused read is not logged as a read.
    assert_eq!(app.get("/api/v1/access-log", Some(FAMILY)).await.0, StatusCode::FORBIDDEN);
    app.get("/api/v1/children/child-b", Some(FAMILY)).await;
    let (_, log_b) = app.get("/api/v1/access-log?child_id=child-b", Some(PLANNER)).await;
    assert_eq!(log_b.as_array().unwrap().len(), 2, "create + coordinator list only: {log_b}");
}

/// Holds the main database's write lock, as a long import does, until dropped: SQLite's
/// write lock (`BEGIN IMMEDIATE`), PostgreSQL writers' advisory lock.
async fn hold_write_lock(url: &str) -> sqlx::AnyConnection {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let begin = if on_postgres() { "BEGIN; SELECT pg_advisory_xact_lock(7403)" } else { "BEGIN IMMEDIATE" };
    sqlx::raw_sql(begin).execute(&mut conn).await.unwrap();
    conn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_reads_are_answered_and_logged_while_a_long_write_holds_the_database() {
    let app = with_children().await;
    let _import = hold_write_lock(&app.url).await;
    let (status, answer) = app.get("/api/v1/children/child-a", Some(FAMILY)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, log) = app.get("/api/v1/access-log?child_id=child-a", Some(PLANNER)).await;
    assert_eq!(status, StatusCode::OK, "{log}");
    assert_eq!(log[0]["action"], "read", "the read was logged before it was answered: {log}");
    assert_eq!(log[0]["token_name"], "t-family-name");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_cannot_get_the_database_in_time_is_503_with_retry_after_not_500() {
    if on_postgres() {
        return; // PostgreSQL writers queue on the advisory lock; SQLite's wait has a timeout
    }
    let app = with_children().await;
    let import = hold_write_lock(&app.url).await;
    let body = serde_json::to_vec(&child("child-a", 140.05, 35.79, "白井", 5.0)).unwrap();
    let request = request("PUT", "/api/v1/children/child-a", Some(PLANNER), axum::body::Body::from(body));
    let response = tower::ServiceExt::oneshot(app.router.clone(), request).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "5");
    let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    assert_error(&serde_json::from_slice(&bytes).unwrap(), "unavailable");
    drop(import);
    let (_, stored) = app.get("/api/v1/children/child-a", Some(PLANNER)).await;
    assert_eq!(stored["properties"]["devices"][0]["battery_h"], 6.0, "nothing was written");
}
