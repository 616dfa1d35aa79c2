//! Create, replace, delete: the store and the live index move together.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn server_assigns_ids_and_answers_the_stored_feature() {
    let app = TestApp::new().await;
    let mut f = power_point("x", 140.05, 35.79, 1, 100.0, true);
    f.as_object_mut().unwrap().remove("id");
    let (status, created) = app.post("/api/v1/power-points", Some(PLANNER), &f).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("pp-"), "{id}");
    assert_eq!(created["properties"]["status"], "available");
    assert_eq!(created["properties"]["charge_only"], false, "defaults are filled in");
    let (status, read) = app.get(&format!("/api/v1/power-points/{id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, created);
    assert_eq!(read["geometry"]["coordinates"], json!([140.05, 35.79]));
}

#[tokio::test]
async fn put_replaces_and_delete_removes_from_nearest_answers() {
    let app = TestApp::new().await;
    app.seed(
        "/api/v1/power-points",
        fc(vec![power_point("a", 140.05, 35.79, 1, 100.0, true), power_point("b", 140.09, 35.81, 1, 100.0, true)]),
    )
    .await;
    let url = "/api/v1/nearest/power?lat=35.79&lon=140.05&k=1";
    assert_eq!(ids(&app.get(url, None).await.1), ["a"]);

    let (status, _) =
        app.put("/api/v1/power-points/a", Some(PLANNER), &power_point("a", 140.12, 35.83, 1, 100.0, true)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&app.get(url, None).await.1), ["b"], "a moved away");

    let (status, _) = app.call("DELETE", "/api/v1/power-points/b", Some(PLANNER), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(ids(&app.get(url, None).await.1), ["a"]);
    assert_eq!(app.call("DELETE", "/api/v1/power-points/b", Some(PLANNER), None).await.0, StatusCode::NOT_FOUND);

    let (status, _) =
        app.put("/api/v1/power-points/c", Some(PLANNER), &power_point("c", 140.05, 35.79, 1, 100.0, true)).await;
    assert_eq!(status, StatusCode::CREATED, "PUT to a new id creates it");
}

#[tokio::test]
async fn lists_filter_by_bbox() {
    let app = TestApp::new().await;
    app.seed(
        "/api/v1/shelters",
        fc(vec![shelter("in", 140.05, 35.79, &[], &[]), shelter("out", 139.70, 35.69, &[], &[])]),
    )
    .await;
    let (_, all) = app.get("/api/v1/shelters", None).await;
    assert_eq!(ids(&all), ["in", "out"]);
    let (_, boxed) = app.get("/api/v1/shelters?bbox=140.0,35.76,140.13,35.83", None).await;
    assert_eq!(ids(&boxed), ["in"]);
}
