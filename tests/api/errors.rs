//! Every bad input of the contract's error section: its status, a JSON body, nothing written.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn coordinates_out_of_range_are_400_invalid_coordinates() {
    let app = TestApp::new().await;
    for q in ["lat=95&lon=140", "lat=35&lon=181", "lat=abc&lon=140", "lon=140", "lat=NaN&lon=140"] {
        let (status, answer) = app.get(&format!("/api/v1/nearest/power?{q}"), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}");
        assert_error(&answer, "invalid_coordinates");
    }
    let (_, answer) = app.get("/api/v1/nearest/power?lat=95&lon=140", None).await;
    assert_eq!(answer["error"]["message"], "lat must be between -90 and 90");
}

#[tokio::test]
async fn bad_parameters_are_400_naming_the_parameter() {
    let app = TestApp::new().await;
    for (q, name) in [
        ("k=0", "k"),
        ("k=101", "k"),
        ("outlet=ac200v", "outlet"),
        ("min_w=x", "min_w"),
        ("pure_sine=yes", "pure_sine"),
    ] {
        let (status, answer) = app.get(&format!("/api/v1/nearest/power?lat=35.79&lon=140.05&{q}"), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}");
        assert_error(&answer, "invalid_parameter");
        assert!(answer["error"]["message"].as_str().unwrap().starts_with(name), "{answer}");
    }
    let (status, answer) = app.get("/api/v1/power-points?bbox=1,2,3", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&answer, "invalid_bbox");
}

#[tokio::test]
async fn malformed_json_is_400_and_invalid_feature_is_422() {
    let app = TestApp::new().await;
    let (status, answer) = app.call("POST", "/api/v1/power-points", Some(PLANNER), Some(b"{not json".to_vec())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&answer, "invalid_json");

    let mut f = power_point("p1", 140.0, 35.8, 1, 100.0, true);
    f["properties"]["name"] = json!("あ".repeat(201));
    let (status, answer) = app.post("/api/v1/power-points", Some(PLANNER), &f).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["error"]["details"][0]["field"], "properties.name");
}

#[tokio::test]
async fn a_bulk_load_with_one_bad_feature_stores_nothing() {
    let app = TestApp::new().await;
    let mut features: Vec<_> =
        (0..10).map(|i| power_point(&format!("p{i}"), 140.0 + i as f64 * 0.01, 35.8, 2, 500.0, true)).collect();
    features[7]["properties"]["outlets"] = json!([]);
    let (status, answer) = app.post("/api/v1/power-points", Some(PLANNER), &fc(features)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&answer, "invalid_feature");
    assert_eq!(
        answer["error"]["details"],
        json!([{"index": 7, "field": "properties.outlets", "message": "must list at least one outlet"}])
    );
    let (_, list) = app.get("/api/v1/power-points", None).await;
    assert!(ids(&list).is_empty(), "nothing may be stored: {list}");
    assert!(app.store.resources().load_all::<powermap::domain::PowerPointProps>().await.unwrap().is_empty());
}

#[tokio::test]
async fn duplicate_ids_conflict_and_store_nothing_new() {
    let app = TestApp::new().await;
    app.seed("/api/v1/power-points", power_point("p1", 140.0, 35.8, 1, 100.0, true)).await;
    let again =
        fc(vec![power_point("p2", 140.0, 35.8, 1, 100.0, true), power_point("p1", 140.1, 35.8, 1, 100.0, true)]);
    let (status, answer) = app.post("/api/v1/power-points", Some(PLANNER), &again).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&answer, "already_exists");
    let (_, list) = app.get("/api/v1/power-points", None).await;
    assert_eq!(ids(&list), ["p1"]);

    let twice =
        fc(vec![power_point("p3", 140.0, 35.8, 1, 100.0, true), power_point("p3", 140.0, 35.8, 1, 100.0, true)]);
    let (status, answer) = app.post("/api/v1/power-points", Some(PLANNER), &twice).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["error"]["details"][0]["index"], 1);
}

#[tokio::test]
async fn a_body_over_64_mib_is_413_with_json() {
    let app = TestApp::new().await;
    let body = vec![b' '; 64 * 1024 * 1024 + 1];
    let (status, answer) = app.call("POST", "/api/v1/power-points", Some(PLANNER), Some(body)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&answer, "payload_too_large");
}

#[tokio::test]
async fn missing_resources_and_bad_ids() {
    let app = TestApp::new().await;
    let (status, answer) = app.get("/api/v1/power-points/nope", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&answer, "not_found");
    let (status, answer) = app.get("/api/v1/shelters/bad%20id", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&answer, "invalid_id");
    let (status, answer) = app.get("/api/v1/no-such-thing", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&answer, "not_found");
}

#[tokio::test]
async fn put_body_id_must_match_the_path() {
    let app = TestApp::new().await;
    let (status, answer) =
        app.put("/api/v1/power-points/p9", Some(PLANNER), &power_point("p8", 140.0, 35.8, 1, 100.0, true)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["error"]["details"][0]["field"], "id");
}

#[tokio::test]
async fn writes_check_the_role_before_reading_the_body() {
    let app = TestApp::new().await;
    for (path, method) in
        [("/api/v1/power-points", "POST"), ("/api/v1/children", "POST"), ("/api/v1/children/child-a/plan", "PUT")]
    {
        let (status, answer) = app.call(method, path, None, Some(b"{not json".to_vec())).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {answer}");
        let (status, _) = app.call(method, path, Some(FAMILY), Some(b"{not json".to_vec())).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
    }
}

#[tokio::test]
async fn errors_axum_writes_itself_are_json_too() {
    let app = TestApp::new().await;
    let (status, answer) = app.call("PATCH", "/api/v1/power-points/p1", Some(PLANNER), None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_error(&answer, "method_not_allowed");
    let (status, answer) = app.get("/api/v1/power-points/%FF", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&answer, "invalid_id");
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = TestApp::new().await;
    let req = |scheme: &str| {
        axum::http::Request::get("/api/v1/access-log")
            .header("authorization", format!("{scheme} {COORDINATOR}"))
            .body(axum::body::Body::empty())
            .unwrap()
    };
    use tower::ServiceExt;
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let res = app.router.clone().oneshot(req(scheme)).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{scheme}");
    }
    let res = app.router.clone().oneshot(req("Basic")).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn nested_text_and_numbers_are_bounded_with_422() {
    let app = TestApp::new().await;
    let mut c = child("c1", 140.05, 35.79, "白井", 6.0);
    c["properties"]["contacts"] = json!([{"name": "母", "relation": "x".repeat(2001)}]);
    let (status, answer) = app.post("/api/v1/children", Some(PLANNER), &c).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["error"]["details"][0]["field"], "properties.contacts[0].relation");
    let mut p = power_point("p1", 140.05, 35.79, 1, 100.0, true);
    p["properties"]["outlets"][0]["count"] = json!(4_294_967_295u64);
    let (status, answer) = app.post("/api/v1/power-points", Some(PLANNER), &p).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["error"]["details"][0]["field"], "properties.outlets[0].count");
    assert_eq!(app.get("/api/v1/power-points", None).await.1["features"], json!([]));
}

/// Sends raw bytes to a real listener serving the app; returns the status and the body.
async fn raw_exchange(app: &TestApp, request: Vec<u8>) -> (u16, serde_json::Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(powermap::http::serve(listener, app.router.clone(), async {
        let _ = stopped.await;
    }));
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    // The server may answer and close before it has read everything: a failed write is fine.
    let _ = stream.write_all(&request).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, serde_json::from_str(body).unwrap_or(serde_json::Value::String(body.to_owned())))
}

#[tokio::test]
async fn errors_hyper_writes_before_the_router_are_json_too() {
    let app = TestApp::new().await;
    let long_query = format!("GET /api/v1/power-points?bbox={} HTTP/1.1\r\nhost: x\r\n\r\n", "1".repeat(200_000));
    let (status, body) = raw_exchange(&app, long_query.into_bytes()).await;
    assert_eq!(status, 414, "{body}");
    assert_error(&body, "uri_too_long");
    let big_header = format!("GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n", "a".repeat(1_000_000));
    let (status, body) = raw_exchange(&app, big_header.into_bytes()).await;
    assert_eq!(status, 431, "{body}");
    assert_error(&body, "headers_too_large");
    let control = b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-bad: a\x01b\r\n\r\n".to_vec();
    let (status, body) = raw_exchange(&app, control).await;
    assert_eq!(status, 400, "{body}");
    assert_error(&body, "invalid_request");
    // And a good request on the same listener is answered normally.
    let (status, body) =
        raw_exchange(&app, b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".to_vec()).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
}
