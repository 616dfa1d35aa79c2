//! Hazard zones: stored all or nothing, indexed, answered at a place, shown on homes and
//! shelters as they are now, and the plan priority list built from them.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

/// A square zone around (lon, lat), `half` degrees each way, with an optional hole.
fn zone(id: &str, hazard: &str, level: u8, (lon, lat): (f64, f64), half: f64, hole: bool) -> Value {
    let ring = |h: f64| {
        json!([[lon - h, lat - h], [lon + h, lat - h], [lon + h, lat + h], [lon - h, lat + h], [lon - h, lat - h]])
    };
    let rings = if hole { json!([ring(half), ring(half / 3.0)]) } else { json!([ring(half)]) };
    json!({"type": "Feature", "id": id, "geometry": {"type": "Polygon", "coordinates": rings},
           "properties": {"hazard": hazard, "level": level, "name": format!("区域 {id}"), "source": "test"}})
}

const HOME: (f64, f64) = (140.05, 35.79);

#[tokio::test]
async fn zones_are_stored_all_or_nothing_and_answered_at_a_place_most_severe_first() {
    let app = TestApp::new().await;
    let zones = fc(vec![
        zone("deep", "flood", 4, HOME, 0.01, false),
        zone("shallow", "flood", 1, HOME, 0.02, false),
        zone("ring", "landslide", 2, HOME, 0.03, true),
    ]);
    // Refused as a whole: the family may not write, a broken zone names its feature.
    assert_eq!(app.post("/api/v1/hazard-zones", Some(FAMILY), &zones).await.0, StatusCode::FORBIDDEN);
    let mut bad = zones.clone();
    bad["features"][2]["properties"]["level"] = json!(3);
    let (status, answer) = app.post("/api/v1/hazard-zones", Some(PLANNER), &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(
        answer["error"]["details"][0],
        json!({"index": 2, "field": "properties.level", "message": answer["error"]["details"][0]["message"]})
    );
    assert_eq!(app.get("/api/v1/hazard-zones", None).await.1["features"], json!([]), "nothing was stored");
    let (status, stored) = app.post("/api/v1/hazard-zones", Some(PLANNER), &zones).await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    assert_eq!(stored["features"][0]["properties"]["depth_m"], 5.0, "rank 4's depth is derived");
    assert_eq!(app.post("/api/v1/hazard-zones", Some(PLANNER), &zones).await.0, StatusCode::CONFLICT);
    // At the centre: the landslide ring's hole, so only the two floods, the deeper first.
    let at = |lat: f64, lon: f64| format!("/api/v1/hazards/at?lat={lat}&lon={lon}");
    assert_eq!(ids(&app.get(&at(HOME.1, HOME.0), None).await.1), ["deep", "shallow"]);
    // Beyond the hole, inside the ring and the shallow flood.
    assert_eq!(ids(&app.get(&at(HOME.1 + 0.015, HOME.0), None).await.1), ["ring", "shallow"]);
    assert!(ids(&app.get(&at(HOME.1 + 0.05, HOME.0), None).await.1).is_empty());
    let (status, answer) = app.get(&format!("/api/v1/hazards/at?lat={}", HOME.1), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&answer, "invalid_coordinates");
    // A box away from the deep zone, and delete.
    let bbox = format!("/api/v1/hazard-zones?bbox={},{},{},{}", HOME.0 + 0.015, HOME.1, HOME.0 + 0.025, HOME.1 + 0.001);
    assert_eq!(ids(&app.get(&bbox, None).await.1), ["ring", "shallow"]);
    assert_eq!(app.call("DELETE", "/api/v1/hazard-zones/deep", Some(PLANNER), None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/hazard-zones/deep", None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(ids(&app.get(&at(HOME.1, HOME.0), None).await.1), ["shallow"]);
}

#[tokio::test]
async fn homes_and_shelters_show_the_zones_as_they_are_now() {
    let app = TestApp::new().await;
    app.seed("/api/v1/children", child("c1", HOME.0, HOME.1, "白井", 6.0)).await;
    app.seed("/api/v1/shelters", shelter("s1", HOME.0, HOME.1 + 0.001, &["flood"], &[])).await;
    let exposure = async |path: &str| app.get(path, Some(PLANNER)).await.1["properties"]["hazard_exposure"].clone();
    assert_eq!(exposure("/api/v1/children/c1").await, json!([]));
    app.seed(
        "/api/v1/hazard-zones",
        fc(vec![zone("z3", "flood", 3, HOME, 0.01, false), zone("z1", "flood", 1, HOME, 0.02, false)]),
    )
    .await;
    let want = json!([{"hazard": "flood", "level": 3, "depth_m": 3.0, "zone_id": "z3"}]);
    assert_eq!(exposure("/api/v1/children/c1").await, want, "the most severe zone of each hazard");
    assert_eq!(exposure("/api/v1/shelters/s1").await, want);
    let listed = app.get("/api/v1/shelters", None).await.1;
    assert_eq!(listed["features"][0]["properties"]["hazard_exposure"], want);
    app.call("DELETE", "/api/v1/hazard-zones/z3", Some(PLANNER), None).await;
    assert_eq!(exposure("/api/v1/children/c1").await[0]["zone_id"], "z1", "derived at each read, never a stale copy");
}

#[tokio::test]
async fn the_priority_list_puts_grave_hazard_and_short_battery_first_and_logs_each_child() {
    let app = TestApp::new().await;
    let far = (HOME.0 + 0.2, HOME.1);
    app.seed(
        "/api/v1/children",
        fc(vec![
            child("a-deep", HOME.0, HOME.1, "白井", 24.0),
            child("b-short", far.0, far.1, "白井", 5.0),
            child("c-zone", HOME.0 + 0.015, HOME.1, "復", 30.0),
            child("d-plain", far.0, far.1 + 0.01, "復", 30.0),
        ]),
    )
    .await;
    app.seed(
        "/api/v1/hazard-zones",
        fc(vec![zone("z3", "flood", 3, HOME, 0.01, false), zone("z1", "flood", 1, HOME, 0.02, false)]),
    )
    .await;
    assert_eq!(app.get("/api/v1/plans/priority", Some(FAMILY)).await.0, StatusCode::FORBIDDEN);
    let (status, rows) = app.get("/api/v1/plans/priority", Some(COORDINATOR)).await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    let got: Vec<(&str, u64)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["child_id"].as_str().unwrap(), r["tier"].as_u64().unwrap()))
        .collect();
    // Tier 1 by battery (5 h before 24 h), then tier 2 by battery.
    assert_eq!(got, [("b-short", 1), ("a-deep", 1), ("c-zone", 2), ("d-plain", 2)]);
    assert_eq!(rows[1]["reasons"], json!(["deep_water", "hazard_zone", "life_critical"]));
    assert_eq!(rows[3]["reasons"], json!(["life_critical"]));
    let (_, only) = app.get("/api/v1/plans/priority?district=%E5%BE%A9", Some(PLANNER)).await;
    assert_eq!(only.as_array().unwrap().len(), 2);
    let response = send(app.router.clone(), "GET", "/api/v1/plans/priority?format=csv", Some(PLANNER), None).await;
    assert_eq!(response.0, StatusCode::OK);
    let (_, log) = app.get("/api/v1/access-log?child_id=d-plain", Some(PLANNER)).await;
    let lines = log.as_array().unwrap().iter().filter(|l| l["action"] == "plan_priority").count();
    assert_eq!(lines, 3, "JSON twice (all, the district) and the CSV: {log}");
}

#[tokio::test]
async fn the_priority_csv_opens_in_excel() {
    let app = TestApp::new().await;
    let mut c = child("c1", HOME.0, HOME.1, "白井", 5.0);
    c["properties"]["name"] = json!("=HYPERLINK(\"x\")（架空）");
    app.seed("/api/v1/children", c).await;
    let (status, text) =
        send(app.router.clone(), "GET", "/api/v1/plans/priority?format=csv", Some(PLANNER), None).await;
    assert_eq!(status, StatusCode::OK);
    let text = text.as_str().unwrap();
    assert!(text.starts_with('\u{feff}'), "a BOM, so Excel reads UTF-8");
    assert!(text.contains("優先度"), "{text}");
    assert!(!text.contains(",=HYPERLINK"), "a formula is never a cell's start: {text}");
}

#[tokio::test]
async fn a_shelter_in_a_zone_of_the_searched_hazard_says_so() {
    let app = TestApp::new().await;
    app.seed(
        "/api/v1/shelters",
        fc(vec![
            shelter("wet", HOME.0, HOME.1, &["flood"], &[]),
            shelter("dry", HOME.0 + 0.05, HOME.1, &["flood"], &[]),
        ]),
    )
    .await;
    app.seed("/api/v1/hazard-zones", zone("z", "flood", 2, HOME, 0.01, false)).await;
    let (_, answer) =
        app.get(&format!("/api/v1/nearest/shelters?lat={}&lon={}&hazard=flood", HOME.1, HOME.0), None).await;
    let marks: Vec<(&str, bool)> = answer["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["id"].as_str().unwrap(), f["properties"]["in_hazard_zone"].as_bool().unwrap()))
        .collect();
    assert_eq!(marks, [("wet", true), ("dry", false)]);
    let (_, quake) = app.get(&format!("/api/v1/nearest/shelters?lat={}&lon={}", HOME.1, HOME.0), None).await;
    assert!(quake["features"][0]["properties"].get("in_hazard_zone").is_none(), "no hazard asked, no mark");
    assert_eq!(quake["features"][0]["properties"]["hazard_exposure"][0]["zone_id"], "z");
}

#[tokio::test]
async fn a_scenario_and_the_call_list_show_which_dark_homes_lie_in_a_zone() {
    let app = TestApp::new().await;
    app.seed(
        "/api/v1/children",
        fc(vec![child("wet", HOME.0, HOME.1, "白井", 2.0), child("dry", HOME.0 + 0.05, HOME.1, "白井", 2.0)]),
    )
    .await;
    app.seed("/api/v1/hazard-zones", zone("z", "flood", 3, HOME, 0.01, false)).await;
    let area = zone("area", "flood", 1, HOME, 0.2, false)["geometry"].clone();
    let (status, scenario) =
        app.post("/api/v1/scenarios/outage", Some(PLANNER), &json!({"area": area, "hours": 24})).await;
    assert_eq!(status, StatusCode::OK, "{scenario}");
    assert_eq!(
        scenario["hazard_exposure"],
        json!({"wet": [{"hazard": "flood", "level": 3, "depth_m": 3.0, "zone_id": "z"}]})
    );
    let started = "2026-12-01T00:00:00Z";
    let (_, incident) =
        app.post("/api/v1/incidents", Some(PLANNER), &json!({"name": "台風（テスト）", "started_at": started})).await;
    let id = incident["id"].as_str().unwrap();
    let outage = json!({"type": "Feature", "geometry": area, "properties": {"since": started}});
    assert_eq!(
        app.post(&format!("/api/v1/incidents/{id}/outages"), Some(PLANNER), &outage).await.0,
        StatusCode::CREATED
    );
    let (_, list) = app.get(&format!("/api/v1/incidents/{id}/children?at=2026-12-01T01:00:00Z"), Some(PLANNER)).await;
    let exposure: Vec<(&str, usize)> = list["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["id"].as_str().unwrap(), f["properties"]["hazard_exposure"].as_array().unwrap().len()))
        .collect();
    assert_eq!(exposure.len(), 2, "{list}");
    assert!(exposure.contains(&("wet", 1)) && exposure.contains(&("dry", 0)), "{exposure:?}");
}
