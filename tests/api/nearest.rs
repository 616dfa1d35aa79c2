//! Nearest answers: order, fields, filters, the child rule and within_battery.

use axum::http::StatusCode;
use geo::{Distance, Geodesic, Point};
use serde_json::{Value, json};

use crate::common::*;

const ORIGIN: (f64, f64) = (140.0559, 35.7912); // (lon, lat), Shiroi city hall

fn geodesic(lon: f64, lat: f64) -> f64 {
    Geodesic.distance(Point::new(ORIGIN.0, ORIGIN.1), Point::new(lon, lat))
}

fn nearest_url(extra: &str) -> String {
    format!("/api/v1/nearest/power?lat={}&lon={}{extra}", ORIGIN.1, ORIGIN.0)
}

#[tokio::test]
async fn nearest_power_is_ordered_by_geodesic_distance_with_travel_estimates() {
    let app = TestApp::new().await;
    let places = [("far", 140.10, 35.82), ("near", 140.057, 35.792), ("mid", 140.03, 35.78), ("mid2", 140.07, 35.80)];
    app.seed(
        "/api/v1/power-points",
        fc(places.iter().map(|(id, lon, lat)| power_point(id, *lon, *lat, 2, 900.0, true)).collect()),
    )
    .await;
    let (status, answer) = app.get(&nearest_url("&k=3"), None).await;
    assert_eq!(status, StatusCode::OK);

    let mut expected: Vec<(f64, &str)> = places.iter().map(|(id, lon, lat)| (geodesic(*lon, *lat), *id)).collect();
    expected.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert_eq!(ids(&answer), expected.iter().take(3).map(|e| e.1).collect::<Vec<_>>());
    for (feature, (d, _)) in answer["features"].as_array().unwrap().iter().zip(&expected) {
        let p = &feature["properties"];
        let rounded = (d * 10.0).round() / 10.0;
        assert_eq!(p["distance_m"].as_f64().unwrap(), rounded);
        assert_eq!(p["walk_min"].as_f64().unwrap(), (d * 1.3 / 50.0 * 10.0).round() / 10.0);
        assert_eq!(p["drive_min"].as_f64().unwrap(), (d * 1.3 / (20_000.0 / 60.0) * 10.0).round() / 10.0);
        let bearing = p["bearing_deg"].as_f64().unwrap();
        assert!((0.0..360.0).contains(&bearing));
    }
    assert_eq!(answer["query"]["walk_kmh"], 3.0);
    assert_eq!(answer["query"]["drive_kmh"], 20.0);
    assert_eq!(answer["query"]["detour_factor"], 1.3);
    assert_eq!(answer["query"]["k"], 3);
}

#[tokio::test]
async fn bearing_points_the_right_way() {
    let app = TestApp::new().await;
    app.seed("/api/v1/power-points", fc(vec![power_point("north", ORIGIN.0, ORIGIN.1 + 0.01, 1, 100.0, true)])).await;
    let (_, answer) = app.get(&nearest_url(""), None).await;
    let bearing = answer["features"][0]["properties"]["bearing_deg"].as_f64().unwrap();
    assert!(!(0.5..=359.5).contains(&bearing), "due north, got {bearing}");
}

#[tokio::test]
async fn ties_are_broken_by_id() {
    let app = TestApp::new().await;
    app.seed(
        "/api/v1/power-points",
        fc(["b", "c", "a"].iter().map(|id| power_point(id, 140.06, 35.79, 1, 100.0, true)).collect()),
    )
    .await;
    let (_, answer) = app.get(&nearest_url(""), None).await;
    assert_eq!(ids(&answer), ["a", "b", "c"]);
}

#[tokio::test]
async fn filters_follow_the_contract() {
    let app = TestApp::new().await;
    let mut usb = power_point("usb", 140.056, 35.7913, 1, 100.0, false);
    usb["properties"]["outlets"] = json!([{"type": "usb", "count": 4, "max_w": 15}]);
    usb["properties"]["capacity_w"] = json!(60);
    let mut down = power_point("down", 140.0561, 35.7913, 4, 1500.0, true);
    down["properties"]["status"] = json!("unavailable");
    let square = power_point("square", 140.0562, 35.7914, 2, 900.0, false);
    let small = power_point("small", 140.0565, 35.7915, 1, 300.0, true);
    let big = power_point("big", 140.07, 35.80, 2, 1500.0, true);
    app.seed("/api/v1/power-points", fc(vec![usb, down, square, small, big])).await;

    let cases: [(&str, &[&str]); 7] = [
        ("", &["usb", "square", "small", "big"]),
        ("&include_unavailable=true", &["usb", "down", "square", "small", "big"]),
        ("&outlet=usb", &["usb"]),
        ("&outlet=ac100v&min_w=500", &["square", "big"]),
        ("&pure_sine=true", &["small", "big"]),
        ("&min_w=1000", &["big"]),
        ("&max_distance_m=100", &["usb", "square", "small"]),
    ];
    for (q, want) in cases {
        let (status, answer) = app.get(&nearest_url(q), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ids(&answer), want, "{q}");
    }
}

async fn child_app() -> TestApp {
    let app = TestApp::new().await;
    let mut charge_only = power_point("charge-only", 140.0560, 35.7913, 2, 1500.0, true);
    charge_only["properties"]["charge_only"] = json!(true);
    let one_outlet = power_point("one-outlet", 140.0561, 35.7913, 1, 1500.0, true);
    let square = power_point("square-wave", 140.0562, 35.7913, 2, 1500.0, false);
    let fits_near = power_point("fits-near", 140.0570, 35.7920, 2, 300.0, true);
    let fits_far = power_point("fits-far", 140.10, 35.82, 2, 1500.0, true);
    app.seed("/api/v1/power-points", fc(vec![charge_only, one_outlet, square, fits_near, fits_far])).await;
    // Ventilator battery 0.2 h → 6 min to spare by car → about 1.5 km of geodesic distance.
    app.seed("/api/v1/children", child("child-a", ORIGIN.0, ORIGIN.1, "白井", 0.2)).await;
    app
}

#[tokio::test]
async fn child_nearest_power_runs_all_life_critical_devices() {
    let app = child_app().await;
    let (status, answer) = app.get("/api/v1/children/child-a/nearest-power?k=5", Some(FAMILY)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(ids(&answer), ["fits-near", "fits-far"]);
    let within: Vec<&Value> =
        answer["features"].as_array().unwrap().iter().map(|f| &f["properties"]["within_battery"]).collect();
    assert_eq!(within, [&json!(true), &json!(false)]);
    assert_eq!(answer["query"]["critical_load_w"], 230.0);

    let (_, with_charge) =
        app.get("/api/v1/children/child-a/nearest-power?include_charge_only=true", Some(COORDINATOR)).await;
    assert_eq!(ids(&with_charge), ["charge-only", "fits-near", "fits-far"]);
}

#[tokio::test]
async fn child_nearest_power_can_be_measured_from_where_the_family_is_now() {
    let app = child_app().await;
    // Beside fits-far, 5 km from home: fits-far comes first and is now within battery.
    let (lat, lon) = (35.8201, 140.1001);
    let url = format!("/api/v1/children/child-a/nearest-power?k=5&lat={lat}&lon={lon}");
    let (status, answer) = app.get(&url, Some(FAMILY)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(ids(&answer), ["fits-far", "fits-near"], "still only points that run every life-critical device");
    let first = &answer["features"][0]["properties"];
    let d = Geodesic.distance(Point::new(lon, lat), Point::new(140.10, 35.82));
    assert_eq!(first["distance_m"].as_f64().unwrap(), (d * 10.0).round() / 10.0);
    assert_eq!(first["within_battery"], json!(true));
    assert_eq!(answer["features"][1]["properties"]["within_battery"], json!(false));
    assert_eq!((&answer["query"]["lat"], &answer["query"]["lon"]), (&json!(lat), &json!(lon)));
    assert_eq!(answer["query"]["origin"], "query");

    let (_, from_home) = app.get("/api/v1/children/child-a/nearest-power?k=5", Some(FAMILY)).await;
    assert_eq!(from_home["query"]["origin"], "home");
    assert_eq!((&from_home["query"]["lat"], &from_home["query"]["lon"]), (&json!(ORIGIN.1), &json!(ORIGIN.0)));
}

#[tokio::test]
async fn child_nearest_power_origin_is_validated_like_nearest_power() {
    let app = child_app().await;
    for q in ["lat=95&lon=140", "lat=35.8&lon=181", "lat=35.8", "lon=140.1", "lat=north&lon=140.1"] {
        let (status, answer) = app.get(&format!("/api/v1/children/child-a/nearest-power?{q}"), Some(FAMILY)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {answer}");
        assert_error(&answer, "invalid_coordinates");
    }
    // Another family's child stays hidden whatever the origin.
    app.seed("/api/v1/children", child("child-b", ORIGIN.0, ORIGIN.1, "白井", 1.0)).await;
    let (status, _) = app.get("/api/v1/children/child-b/nearest-power?lat=35.8&lon=140.1", Some(FAMILY)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn nearest_shelters_filter_by_hazard_kind_and_power() {
    let app = TestApp::new().await;
    app.seed("/api/v1/power-points", power_point("gen", 140.06, 35.79, 1, 900.0, true)).await;
    app.seed(
        "/api/v1/shelters",
        fc(vec![
            shelter("quake", 140.0560, 35.7913, &["earthquake"], &[]),
            shelter("flood", 140.0561, 35.7914, &["flood", "inland_flood"], &["gen"]),
            shelter("ghost-power", 140.0562, 35.7915, &["flood"], &["missing"]),
        ]),
    )
    .await;
    let url = |q: &str| format!("/api/v1/nearest/shelters?lat={}&lon={}{q}", ORIGIN.1, ORIGIN.0);
    assert_eq!(ids(&app.get(&url(""), None).await.1), ["quake", "flood", "ghost-power"]);
    assert_eq!(ids(&app.get(&url("&hazard=flood"), None).await.1), ["flood", "ghost-power"]);
    assert_eq!(ids(&app.get(&url("&with_power=true"), None).await.1), ["flood"]);
    assert_eq!(ids(&app.get(&url("&kind=welfare"), None).await.1), Vec::<String>::new());
    assert_eq!(app.get(&url("&hazard=meteor"), None).await.0, StatusCode::BAD_REQUEST);
}

/// Three points at increasing distance: school hours, across midnight, and free text.
async fn hours_app() -> TestApp {
    let app = TestApp::new().await;
    let mut school = power_point("school", 140.0570, 35.7920, 2, 900.0, true);
    school["properties"]["hours"] = json!("Mo-Fr 09:00-17:00; PH off");
    let mut night = power_point("night", 140.0600, 35.7950, 2, 900.0, true);
    night["properties"]["hours"] = json!("Mo-Su 22:00-06:00");
    let mut text = power_point("text", 140.0650, 35.7990, 2, 900.0, true);
    text["properties"]["hours"] = json!("平日 9時〜17時（要電話）");
    app.seed("/api/v1/power-points", fc(vec![school, night, text])).await;
    app.seed("/api/v1/children", child("child-a", ORIGIN.0, ORIGIN.1, "白井", 8.0)).await;
    app
}

fn field<'a>(answer: &'a Value, name: &str) -> Vec<&'a Value> {
    answer["features"].as_array().unwrap().iter().map(|f| &f["properties"][name]).collect()
}

#[tokio::test]
async fn nearest_power_says_whether_each_point_is_open_at_the_given_time() {
    let app = hours_app().await;
    // Tuesday 2026-12-01 10:00 JST, given in UTC.
    let (status, answer) = app.get(&nearest_url("&at=2026-12-01T01:00:00Z"), None).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(ids(&answer), ["school", "night", "text"]);
    assert_eq!(field(&answer, "open_now"), [&json!(true), &json!(false), &Value::Null]);
    assert_eq!(field(&answer, "open_until"), [&json!("2026-12-01T17:00:00+09:00"), &Value::Null, &Value::Null]);
    assert_eq!(field(&answer, "opens_at"), [&Value::Null, &json!("2026-12-01T22:00:00+09:00"), &Value::Null]);
    assert_eq!(answer["features"][2]["properties"]["hours"], "平日 9時〜17時（要電話）");
    assert_eq!(answer["query"]["at"], "2026-12-01T10:00:00+09:00");
}

#[tokio::test]
async fn open_now_keeps_open_points_and_unknown_hours() {
    let app = hours_app().await;
    // 20:00 JST: the school is closed, the night point not yet open, the free text unknown.
    let (_, answer) = app.get(&nearest_url("&open=now&at=2026-12-01T20:00:00%2B09:00"), None).await;
    assert_eq!(ids(&answer), ["text"]);
    assert_eq!(field(&answer, "open_now"), [&Value::Null]);
    // 23:00 JST the night point is open.
    let (_, answer) = app.get(&nearest_url("&open=now&at=2026-12-01T23:00:00%2B09:00"), None).await;
    assert_eq!(ids(&answer), ["night", "text"]);
    // A weekday public holiday (2026-11-23 勤労感謝の日, a Monday) at 10:00: the school is off.
    let (_, answer) = app.get(&nearest_url("&open=now&at=2026-11-23T10:00:00%2B09:00"), None).await;
    assert_eq!(ids(&answer), ["text"]);
    let (_, answer) = app.get(&nearest_url("&open=now&at=2026-11-24T10:00:00%2B09:00"), None).await;
    assert_eq!(ids(&answer), ["school", "text"]);
}

#[tokio::test]
async fn child_nearest_power_takes_open_and_at_too() {
    let app = hours_app().await;
    let url = "/api/v1/children/child-a/nearest-power?open=now&at=2026-12-01T20:00:00%2B09:00";
    let (status, answer) = app.get(url, Some(FAMILY)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(ids(&answer), ["text"]);
    assert_eq!(field(&answer, "within_battery"), [&json!(true)]);
    let (_, all) = app.get("/api/v1/children/child-a/nearest-power?at=2026-12-01T20:00:00%2B09:00", Some(FAMILY)).await;
    assert_eq!(field(&all, "open_now"), [&json!(false), &json!(false), &Value::Null]);
}

#[tokio::test]
async fn a_bad_at_or_open_is_a_400_naming_the_parameter() {
    let app = hours_app().await;
    for (q, name) in [("&at=yesterday", "at"), ("&at=2026-12-01", "at"), ("&open=later", "open")] {
        let (status, answer) = app.get(&nearest_url(q), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}");
        assert!(answer["error"]["message"].as_str().unwrap().starts_with(name), "{answer}");
    }
}
