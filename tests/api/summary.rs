//! Area summary suppression, health, and the OpenAPI description.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

#[tokio::test]
async fn public_summary_suppresses_one_to_nine_children() {
    let app = TestApp::new().await;
    let mut children: Vec<_> = (0..3).map(|i| child(&format!("few-{i}"), 140.05, 35.79, "白井", 6.0)).collect();
    children.extend((0..10).map(|i| child(&format!("many-{i:02}"), 140.06, 35.80, "復", 6.0)));
    children.extend((0..12).map(|i| child(&format!("more-{i:02}"), 140.06, 35.80, "中", 6.0)));
    children.push(child("free-text", 140.06, 35.80, "評価1-2-3 山田花子方", 6.0));
    app.seed("/api/v1/children", fc(children)).await;
    app.seed("/api/v1/power-points", power_point("p", 140.05, 35.79, 1, 100.0, true)).await;

    let (status, public) = app.get("/api/v1/areas/summary", None).await;
    assert_eq!(status, StatusCode::OK);
    let district = |body: &serde_json::Value, name: &str| {
        body["districts"].as_array().unwrap().iter().find(|d| d["district"] == name).unwrap().clone()
    };
    let names: Vec<&str> =
        public["districts"].as_array().unwrap().iter().map(|d| d["district"].as_str().unwrap()).collect();
    assert!(!public.to_string().contains("山田"), "free text is never a district name: {names:?}");
    let shiroi = district(&public, "白井");
    assert!(shiroi["children"].is_null());
    assert_eq!(shiroi["suppressed"], true);
    assert!(shiroi["by_device_kind"].is_null(), "a suppressed district shows nothing per kind: {shiroi}");
    assert_eq!(shiroi["power_points"], 1);
    let other = district(&public, "その他");
    assert!(other["children"].is_null() && other["by_device_kind"].is_null(), "{other}");
    // 白井 and その他 hide each other; 復 and 中 are published, kinds and all.
    let (fuku, naka) = (district(&public, "復"), district(&public, "中"));
    assert_eq!((fuku["children"].as_u64(), naka["by_device_kind"]["suction"].as_u64()), (Some(10), Some(12)));

    let (_, staff) = app.get("/api/v1/areas/summary", Some(COORDINATOR)).await;
    assert_eq!(staff["exact"], true);
    assert_eq!(district(&staff, "白井")["children"], 3);
    assert_eq!(district(&staff, "白井")["by_device_kind"]["suction"], 3);
    assert_eq!(district(&staff, "白井")["by_device_kind"]["oxygen_concentrator"], 0);
    assert_eq!(district(&staff, "復")["children"], 10);
    assert_eq!(district(&staff, "その他")["children"], 1);
    assert!(!staff.to_string().contains("山田"), "staff see the same rows");
}

#[tokio::test]
async fn one_suppressed_district_hides_another_so_the_city_total_gives_nothing_away() {
    let app = TestApp::new().await;
    let mut children: Vec<_> = (0..3).map(|i| child(&format!("few-{i}"), 140.05, 35.79, "白井", 6.0)).collect();
    children.extend((0..10).map(|i| child(&format!("many-{i:02}"), 140.06, 35.80, "復", 6.0)));
    children.extend((0..12).map(|i| child(&format!("more-{i:02}"), 140.06, 35.80, "中", 6.0)));
    app.seed("/api/v1/children", fc(children)).await;
    let (_, public) = app.get("/api/v1/areas/summary", None).await;
    let rows = public["districts"].as_array().unwrap();
    let hidden: Vec<&str> =
        rows.iter().filter(|d| d["children"].is_null()).map(|d| d["district"].as_str().unwrap()).collect();
    assert_eq!(hidden, ["復", "白井"], "the smallest other district is hidden too: {public}");
    assert!(rows.iter().filter(|d| d["children"].is_null()).all(|d| d["by_device_kind"].is_null()));
    let naka = rows.iter().find(|d| d["district"] == "中").unwrap();
    assert_eq!(naka["children"], 12);
}

#[tokio::test]
async fn healthz_counts_children_only_for_staff() {
    let app = TestApp::new().await;
    app.seed("/api/v1/children", child("child-a", 140.05, 35.79, "白井", 6.0)).await;
    app.seed("/api/v1/shelters", shelter("s", 140.05, 35.79, &[], &[])).await;
    let (status, public) = app.get("/healthz", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(public, serde_json::json!({"status": "ok", "power_points": 0, "shelters": 1}));
    let (_, staff) = app.get("/healthz", Some(PLANNER)).await;
    assert_eq!(staff["children"], 1);
}

#[tokio::test]
async fn openapi_describes_every_contract_path_and_the_router_serves_them() {
    let app = TestApp::new().await;
    let (status, doc) = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let contract = [
        ("/api/v1/power-points", ["get", "post"].as_slice()),
        ("/api/v1/power-points/{id}", &["get", "put", "delete"]),
        ("/api/v1/shelters", &["get", "post"]),
        ("/api/v1/shelters/{id}", &["get", "put", "delete"]),
        ("/api/v1/children", &["get", "post"]),
        ("/api/v1/children/{id}", &["get", "put", "delete"]),
        ("/api/v1/nearest/power", &["get"]),
        ("/api/v1/nearest/shelters", &["get"]),
        ("/api/v1/children/{id}/nearest-power", &["get"]),
        ("/api/v1/areas/summary", &["get"]),
        ("/api/v1/access-log", &["get"]),
        ("/healthz", &["get"]),
        ("/api/v1/openapi.json", &["get"]),
        ("/api/v1/children/{id}/plan", &["get", "put"]),
        ("/api/v1/children/{id}/plan/history", &["get"]),
        ("/api/v1/plans/audit", &["get"]),
        ("/api/v1/scenarios/outage", &["post"]),
        ("/api/v1/scenarios", &["get"]),
        ("/api/v1/scenarios/{id}", &["get"]),
        ("/api/v1/scenarios/presets", &["get"]),
        ("/api/v1/children/{id}/plan/sheet", &["get"]),
        ("/api/v1/config", &["get"]),
        ("/api/v1/me", &["get"]),
        ("/readyz", &["get"]),
    ];
    for (path, methods) in contract {
        for m in methods {
            assert!(doc["paths"][path][m].is_object(), "{m} {path} missing from openapi.json");
        }
    }
    // Every documented path is routed (no "no such endpoint" 404 from the API fallback).
    for path in doc["paths"].as_object().unwrap().keys() {
        let concrete = path
            .replace("{id}", "zz")
            .replace("nearest/power", "nearest/power?lat=35&lon=140")
            .replace("nearest/shelters", "nearest/shelters?lat=35&lon=140");
        let (_, answer) = app.get(&concrete, Some(PLANNER)).await;
        assert!(
            !answer["error"]["message"].as_str().unwrap_or("").starts_with("no such endpoint"),
            "{path} is documented but not routed"
        );
    }
}

#[tokio::test]
async fn openapi_states_security_limits_and_answer_shapes() {
    let app = TestApp::new().await;
    let (_, doc) = app.get("/api/v1/openapi.json", None).await;
    assert!(doc["components"]["schemas"]["PowerPointProps"]["properties"]["outlets"].is_object());
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(op["responses"]["401"].is_object(), "{method} {path}: an unknown token is a 401 everywhere");
            let security = op["security"].as_array().unwrap_or_else(|| panic!("{method} {path} has no security"));
            assert!(security.contains(&json!({"bearer": []})), "{method} {path}");
        }
    }
    assert!(!doc["paths"]["/api/v1/children"]["get"]["security"].as_array().unwrap().contains(&json!({})));
    assert!(doc["paths"]["/api/v1/nearest/power"]["get"]["security"].as_array().unwrap().contains(&json!({})));
    // A parameter's schema, following a `$ref` to the components (enums are shared there).
    let param =
        |path: &str, name: &str| -> Value {
            let schema =
                doc["paths"][path]["get"]["parameters"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap()
                    ["schema"]
                    .clone();
            match schema["$ref"].as_str().or_else(|| schema["oneOf"][0]["$ref"].as_str()) {
                Some(r) => doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")].clone(),
                None => schema,
            }
        };
    assert_eq!(param("/api/v1/nearest/power", "k")["maximum"], 100.0);
    assert_eq!(param("/api/v1/nearest/power", "k")["default"], 5);
    assert_eq!(param("/api/v1/nearest/power", "outlet")["enum"], json!(["ac100v", "dc12v", "usb"]));
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["ChildProps"]["properties"]["name"]["maxLength"], 200);
    assert_eq!(schemas["ChildProps"]["properties"]["address"]["maxLength"], 2000);
    assert_eq!(schemas["Contact"]["properties"]["relation"]["maxLength"], 2000);
    assert_eq!(schemas["ChildProps"]["properties"]["sources"]["items"]["maxLength"], 2000);
    assert_eq!(schemas["Outlet"]["properties"]["count"]["minimum"], 1);
    // An explicit null counts as "not given" for optional properties, and the document says so;
    // a required one (the name) stays non-null.
    assert_eq!(schemas["ChildProps"]["properties"]["devices"]["type"], json!(["array", "null"]));
    assert_eq!(schemas["ShelterProps"]["properties"]["power_point_ids"]["type"], json!(["array", "null"]));
    assert_eq!(schemas["ChildProps"]["properties"]["name"]["type"], "string");
    assert_eq!(
        doc["paths"]["/api/v1/nearest/power"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/NearestPowerCollection"
    );
    let answer_fields = |feature: &str| -> Vec<String> {
        schemas[feature]["properties"]["properties"]["allOf"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|part| {
                part["properties"].as_object().map(|m| m.keys().cloned().collect::<Vec<_>>()).unwrap_or_default()
            })
            .collect()
    };
    assert!(answer_fields("NearestPowerFeature").contains(&"walk_min".to_owned()));
    assert!(answer_fields("ChildNearestPowerFeature").contains(&"within_battery".to_owned()));
    assert!(answer_fields("ChildFeature").contains(&"critical_load_w".to_owned()));
    // Every $ref points at a schema the document defines.
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 20);
    for r in all {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("unexpected $ref {r}"));
        assert!(doc["components"]["schemas"][name].is_object(), "dangling $ref {r}");
    }
}

#[tokio::test]
async fn config_lists_every_vocabulary_with_both_labels_and_no_demo_tokens_outside_demo() {
    let app = TestApp::new().await;
    let (status, config) = app.get("/api/v1/config", None).await;
    assert_eq!(status, StatusCode::OK);
    let vocab = &config["vocabularies"];
    for name in [
        "power_point_kinds",
        "shelter_kinds",
        "hazards",
        "outlet_types",
        "device_kinds",
        "statuses",
        "severities",
        "plan_statuses",
        "transports",
    ] {
        let terms = vocab[name].as_array().unwrap_or_else(|| panic!("{name} missing: {vocab}"));
        assert!(terms.iter().all(|t| t["value"].is_string() && t["ja"].is_string() && t["en"].is_string()), "{name}");
    }
    assert_eq!(vocab["power_point_kinds"][0], json!({"value": "generator", "ja": "発電機", "en": "Generator"}));
    assert_eq!(vocab["hazards"].as_array().unwrap().len(), 8);
    assert_eq!(config["demo"], false);
    assert!(config.get("demo_tokens").is_none(), "{config}");
}

#[tokio::test]
async fn me_names_the_role_from_the_token() {
    let app = TestApp::new().await;
    // A family token is bound only to a stored child: storing child-a binds it.
    app.seed("/api/v1/children", child("child-a", 140.07, 35.81, "白井", 4.0)).await;
    let (status, anonymous) = app.get("/api/v1/me", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(anonymous, json!({"role": null, "name": null, "child_ids": []}));
    let (_, family) = app.get("/api/v1/me", Some(FAMILY)).await;
    assert_eq!(family, json!({"role": "family", "name": "t-family-name", "child_ids": ["child-a"]}));
    let (_, planner) = app.get("/api/v1/me", Some(PLANNER)).await;
    assert_eq!((&planner["role"], &planner["child_ids"]), (&json!("planner"), &json!([])));
    let (status, unknown) = app.get("/api/v1/me", Some("nobody")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&unknown, "unauthorized");
}

/// Every body has a shape in the document, the incident routes' too, with what their parsers
/// require; what the server writes itself is not for a body; ids in lists are ids.
#[tokio::test]
async fn openapi_describes_every_request_body_as_the_parsers_read_it() {
    let app = TestApp::new().await;
    let (_, doc) = app.get("/api/v1/openapi.json", None).await;
    let schemas = &doc["components"]["schemas"];
    let body = |path: &str, method: &str| {
        doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"].clone()
    };
    for (path, method, name) in [
        ("/api/v1/incidents", "post", "NewIncident"),
        ("/api/v1/incidents/{id}", "put", "IncidentChange"),
        ("/api/v1/incidents/{id}/outages", "post", "OutageBody"),
        ("/api/v1/incidents/{id}/outages/{oid}", "put", "OutageFeature"),
        ("/api/v1/incidents/{id}/checks", "post", "CheckBody"),
        ("/api/v1/power-points/{id}/reports", "post", "ReportBody"),
    ] {
        assert_eq!(body(path, method), json!(format!("#/components/schemas/{name}")), "{method} {path}");
    }
    let required = |name: &str| schemas[name]["required"].clone();
    assert_eq!(required("CheckBody"), json!(["child_id", "channel", "reached"]));
    assert_eq!(required("ReportBody"), json!(["status"]));
    assert_eq!(required("OutageProperties"), json!(["since"]));
    assert_eq!(schemas["IncidentChange"]["additionalProperties"], false);
    assert_eq!(schemas["PowerPointProps"]["properties"]["live"]["readOnly"], true);
    assert_eq!(schemas["NewTokenBody"]["properties"]["child_ids"]["items"]["pattern"], "^[A-Za-z0-9._-]{1,64}$");
    assert_eq!(schemas["ShelterProps"]["properties"]["power_point_ids"]["items"]["pattern"], "^[A-Za-z0-9._-]{1,64}$");
    assert_eq!(schemas["Device"]["properties"]["draw_w"]["exclusiveMinimum"], 0);
}
