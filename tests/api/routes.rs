//! The router and the OpenAPI document come from one list: every documented operation is
//! routed with its method, and its documented security is what the handler enforces.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

/// A concrete request for a documented path: ids filled in, required queries given.
fn concrete(path: &str) -> String {
    path.replace("{id}", "zz")
        .replace("{oid}", "zz")
        .replace("nearest/power", "nearest/power?lat=35&lon=140")
        .replace("nearest/shelters", "nearest/shelters?lat=35&lon=140")
}

#[tokio::test]
async fn every_documented_operation_is_routed_and_guarded_as_documented() {
    let app = TestApp::new().await;
    let (_, doc) = app.get("/api/v1/openapi.json", None).await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let method = method.to_uppercase();
            let public = op["security"].as_array().unwrap().contains(&json!({}));
            let body = (method == "POST" || method == "PUT").then(|| b"{}".to_vec());
            // A planner may call everything: the answer must come from the handler, not from
            // the router's fallback (404 "no such endpoint") or a missing method (405).
            let (status, answer) = app.call(&method, &concrete(path), Some(PLANNER), body.clone()).await;
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path} is documented but not routed");
            let message = answer["error"]["message"].as_str().unwrap_or("");
            assert!(!message.starts_with("no such endpoint"), "{method} {path} is documented but not routed");
            // Without a token: exactly the operations documented as needing one refuse.
            let (anonymous, _) = app.call(&method, &concrete(path), None, body).await;
            if public {
                assert_ne!(anonymous, StatusCode::UNAUTHORIZED, "{method} {path} is documented as public");
            } else {
                assert_eq!(anonymous, StatusCode::UNAUTHORIZED, "{method} {path} documents a token requirement");
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} operations documented");
}

#[tokio::test]
async fn undocumented_api_paths_and_methods_are_json_errors() {
    let app = TestApp::new().await;
    let (status, answer) = app.call("DELETE", "/api/v1/scenarios/outage", Some(PLANNER), None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_error(&answer, "method_not_allowed");
    let (status, answer) = app.get("/api/v1/no-such-thing", Some(PLANNER)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&answer, "not_found");
}

#[tokio::test]
async fn typed_queries_name_the_parameter_and_keep_the_contract_codes() {
    let app = TestApp::new().await;
    let cases: [(&str, &str, &str); 6] = [
        ("/api/v1/nearest/power?lat=abc&lon=140", "invalid_coordinates", "lat"),
        ("/api/v1/nearest/power?lat=95&lon=140", "invalid_coordinates", "lat"),
        ("/api/v1/nearest/power?lat=35&lon=140&k=0", "invalid_parameter", "k"),
        ("/api/v1/nearest/power?lat=35&lon=140&outlet=ac200v", "invalid_parameter", "outlet"),
        ("/api/v1/nearest/power?lat=35&lon=140&pure_sine=yes", "invalid_parameter", "pure_sine"),
        ("/api/v1/nearest/power?lat=35&lon=140&at=yesterday", "invalid_parameter", "at"),
    ];
    for (path, code, field) in cases {
        let (status, answer) = app.get(path, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
        assert_error(&answer, code);
        assert!(answer["error"]["message"].as_str().unwrap().contains(field), "{path}: {answer}");
    }
    // An empty number or choice is refused as the document's types say, naming it; an empty
    // text filter means no filter, as an HTML form's 「すべて」 sends it.
    for (path, field) in
        [("/api/v1/nearest/power?lat=35&lon=140&k=", "k"), ("/api/v1/nearest/power?lat=35&lon=140&outlet=", "outlet")]
    {
        let (status, answer) = app.get(path, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
        assert!(answer["error"]["message"].as_str().unwrap().contains(field), "{path}: {answer}");
    }
    app.post("/api/v1/children", Some(PLANNER), &child("c1", 140.05, 35.79, "白井", 6.0)).await;
    let everyone = app.get("/api/v1/plans/audit", Some(PLANNER)).await.1;
    assert!(!everyone["findings"].as_array().unwrap().is_empty(), "a child without a plan is a finding");
    let (status, empty) = app.get("/api/v1/plans/audit?district=&severity=", Some(PLANNER)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(empty["findings"], everyone["findings"]);
    let (status, answer) = app.get("/api/v1/access-log?limit=0", Some(PLANNER)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer["error"]["message"].as_str().unwrap().contains("limit"));
}

#[tokio::test]
async fn put_refuses_an_id_that_is_not_a_string() {
    let app = TestApp::new().await;
    for id in [json!(17), json!({}), json!(["p"])] {
        let mut feature = power_point("p", 140.05, 35.79, 1, 100.0, true);
        feature["id"] = id.clone();
        let (status, answer) = app.put("/api/v1/power-points/p", Some(PLANNER), &feature).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "id {id}: {answer}");
        assert_eq!(answer["error"]["details"][0]["field"], "id");
    }
    let (status, _): (StatusCode, Value) = app.get("/api/v1/power-points/p", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing was stored");
}
