//! During an outage: incidents, outage areas, welfare checks, the call list and live reports,
//! every time fixed (`at=`), on SQLite and on PostgreSQL alike.

use axum::http::StatusCode;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::common::*;

const T0: &str = "2026-09-09T00:00:00Z";

fn t(hours: f64) -> OffsetDateTime {
    OffsetDateTime::parse(T0, &Rfc3339).unwrap() + time::Duration::seconds((hours * 3600.0).round() as i64)
}

fn stamp(hours: f64) -> String {
    t(hours).format(&Rfc3339).unwrap()
}

fn time_of(v: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")), &Rfc3339).unwrap()
}

/// The north square: 140.00–140.10 E, 35.80–35.90 N.
fn north(since_h: f64, restored_h: Option<f64>) -> Value {
    json!({"type": "Feature", "id": "north", "geometry": {"type": "Polygon", "coordinates": [[[140.0, 35.8],
        [140.1, 35.8], [140.1, 35.9], [140.0, 35.9], [140.0, 35.8]]]},
        "properties": {"since": stamp(since_h), "restored_at": restored_h.map(stamp), "source": "drawn"}})
}

fn district(id: &str, name: &str, since_h: f64) -> Value {
    json!({"type": "Feature", "id": id, "geometry": null,
           "properties": {"district": name, "since": stamp(since_h), "source": "tepco", "households": 120}})
}

/// child-a (6 h) in the north square; child-b (3 h) in 復, far south; child-c (8 h) elsewhere.
/// A grid point inside the square and a generator south of it.
async fn city() -> TestApp {
    let app = TestApp::new().await;
    let mut gen_south = power_point("p-gen", 140.05, 35.79, 2, 1500.0, true);
    gen_south["properties"]["grid_independent"] = json!(true);
    app.seed("/api/v1/power-points", fc(vec![power_point("p-grid", 140.05, 35.851, 2, 1500.0, true), gen_south])).await;
    let mut a = child("child-a", 140.05, 35.85, "笹塚", 6.0);
    a["properties"]["contacts"] = json!([{"name": "母", "relation": "母", "phone": "090-0000-0001"}]);
    let children = vec![a, child("child-b", 140.05, 35.70, "復", 3.0), child("child-c", 140.20, 35.70, "冨士", 8.0)];
    app.seed("/api/v1/children", fc(children)).await;
    app
}

/// A new incident started an hour before T0; its id.
async fn incident(app: &TestApp) -> String {
    let (status, body) =
        app.post("/api/v1/incidents", Some(PLANNER), &json!({"name": "台風（架空）", "started_at": stamp(-1.0)})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn dark_city() -> (TestApp, String) {
    let app = city().await;
    let id = incident(&app).await;
    let body = fc(vec![north(0.0, None), district("fuku", "復", 1.0)]);
    let (status, answer) = app.post(&format!("/api/v1/incidents/{id}/outages"), Some(PLANNER), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    (app, id)
}

async fn call_list(app: &TestApp, id: &str, at_h: f64) -> Value {
    let (status, body) =
        app.get(&format!("/api/v1/incidents/{id}/children?at={}&margin_min=60", stamp(at_h)), Some(COORDINATOR)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn incidents_are_listed_newest_first_and_only_planners_write() {
    let app = TestApp::new().await;
    let (status, first) = app
        .post("/api/v1/incidents", Some(PLANNER), &json!({"name": "一", "started_at": stamp(0.0), "notes": "n"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!((first["closed_at"].clone(), first["notes"].clone()), (Value::Null, json!("n")));
    let (_, second) =
        app.post("/api/v1/incidents", Some(PLANNER), &json!({"name": "二", "started_at": stamp(5.0)})).await;
    let (status, list) = app.get("/api/v1/incidents", Some(COORDINATOR)).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["二", "一"]);
    let path = format!("/api/v1/incidents/{}", second["id"].as_str().unwrap());
    assert_eq!(app.get(&path, Some(COORDINATOR)).await.1, second);
    let body = json!({"name": "三", "started_at": stamp(0.0)});
    assert_eq!(app.post("/api/v1/incidents", Some(COORDINATOR), &body).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/incidents", Some(FAMILY)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/incidents", None).await.0, StatusCode::UNAUTHORIZED);
    let (status, answer) = app.post("/api/v1/incidents", Some(PLANNER), &json!({"name": "x"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["error"]["details"][0]["field"], "started_at", "{answer}");
    assert_eq!(app.get("/api/v1/incidents/no-such", Some(PLANNER)).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_closed_incident_refuses_every_write_with_409() {
    let (app, id) = dark_city().await;
    let path = format!("/api/v1/incidents/{id}");
    let (status, answer) = app.put(&path, Some(PLANNER), &json!({"closed_at": stamp(-2.0)})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "closing before the start: {answer}");
    assert_eq!(answer["error"]["details"][0]["field"], "closed_at");
    let (status, closed) = app.put(&path, Some(PLANNER), &json!({"closed_at": stamp(30.0), "notes": "復旧"})).await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!((closed["closed_at"].as_str(), closed["notes"].as_str()), (Some(stamp(30.0).as_str()), Some("復旧")));
    let check = json!({"child_id": "child-a", "channel": "phone", "reached": false});
    let writes = [
        ("PUT", path.clone(), json!({"name": "再開"})),
        ("POST", format!("{path}/outages"), district("more", "中", 3.0)),
        ("PUT", format!("{path}/outages/north"), north(0.0, Some(3.0))),
        ("POST", format!("{path}/checks"), check),
    ];
    for (method, url, body) in writes {
        let (status, answer) = app.call(method, &url, Some(PLANNER), Some(serde_json::to_vec(&body).unwrap())).await;
        assert_eq!(status, StatusCode::CONFLICT, "{method} {url}: {answer}");
        assert_error(&answer, "conflict");
    }
    let (_, outages) = app.get(&format!("{path}/outages"), Some(PLANNER)).await;
    assert_eq!(ids(&outages), ["north", "fuku"], "nothing was added");
    let (_, checks) = app.get(&format!("{path}/checks"), Some(PLANNER)).await;
    assert_eq!(checks, json!([]));
}

#[tokio::test]
async fn outages_are_all_or_nothing_and_replaced_one_by_one() {
    let app = city().await;
    let id = incident(&app).await;
    let url = format!("/api/v1/incidents/{id}/outages");
    let mut open_ring = north(0.0, None);
    open_ring["id"] = json!("broken");
    open_ring["geometry"]["coordinates"][0].as_array_mut().unwrap().pop();
    let (status, answer) = app.post(&url, Some(PLANNER), &fc(vec![district("ok", "復", 0.0), open_ring])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(
        (answer["error"]["details"][0]["index"].as_u64(), answer["error"]["details"][0]["field"].as_str()),
        (Some(1), Some("geometry"))
    );
    let mut no_since = district("nosince", "復", 0.0);
    no_since["properties"].as_object_mut().unwrap().remove("since");
    let (status, answer) = app.post(&url, Some(PLANNER), &no_since).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["error"]["details"][0]["field"], "properties.since", "{answer}");
    let nameless = json!({"type": "Feature", "geometry": null, "properties": {"since": stamp(0.0)}});
    assert_eq!(app.post(&url, Some(PLANNER), &nameless).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get(&url, Some(PLANNER)).await.1["features"], json!([]), "nothing was stored");
    assert_eq!(app.post(&url, Some(COORDINATOR), &north(0.0, None)).await.0, StatusCode::FORBIDDEN);

    let (status, one) = app.post(&url, Some(PLANNER), &north(0.0, None)).await;
    assert_eq!((status, one["id"].as_str()), (StatusCode::CREATED, Some("north")), "{one}");
    assert_eq!(app.post(&url, Some(PLANNER), &north(0.0, None)).await.0, StatusCode::CONFLICT, "id taken");
    let (status, replaced) = app.put(&format!("{url}/north"), Some(PLANNER), &north(0.0, Some(4.0))).await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    let (_, listed) = app.get(&url, Some(COORDINATOR)).await;
    assert_eq!(listed["features"][0]["properties"]["restored_at"], stamp(4.0));
    assert_eq!(
        app.put(&format!("{url}/elsewhere"), Some(PLANNER), &north(0.0, None)).await.0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "body id differs from the path"
    );
    let mut other = north(0.0, None);
    other.as_object_mut().unwrap().remove("id");
    assert_eq!(app.put(&format!("{url}/elsewhere"), Some(PLANNER), &other).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_call_list_follows_the_dark_rule_and_orders_by_must_leave_by() {
    let (app, id) = dark_city().await;
    assert_eq!(call_list(&app, &id, -0.5).await["features"], json!([]), "before any area went dark");
    // 0.5 h: only the square is dark.
    assert_eq!(ids(&call_list(&app, &id, 0.5).await), ["child-a"]);
    let list = call_list(&app, &id, 2.0).await;
    assert_eq!(ids(&list), ["child-b", "child-a"], "b runs out at 4 h, a at 6 h; c has power");
    let b = &list["features"][0]["properties"];
    assert_eq!(time_of(&b["power_lost_at"]), t(1.0), "復 went dark at 1 h");
    assert_eq!(time_of(&b["depletes_at"]), t(4.0));
    assert_eq!(b["remaining_min"], 120);
    assert_eq!(b["autonomy_h"], 3.0);
    assert_eq!(b["nearest_power"]["id"], "p-gen", "the grid point inside the square is out");
    let travel_s = (b["nearest_power"]["travel_min"].as_f64().unwrap() * 60.0).round() as i64;
    assert_eq!(time_of(&b["must_leave_by"]), t(4.0) - time::Duration::seconds(travel_s) - time::Duration::minutes(60));
    assert_eq!((b["on_power"].as_bool(), b["visit_needed"].as_bool()), (Some(false), Some(true)), "120 min left");
    assert_eq!((b["check_status"].as_str(), b["attempts"].as_u64()), (Some("unknown"), Some(0)));
    let a = &list["features"][1]["properties"];
    assert_eq!((a["remaining_min"].as_i64(), a["visit_needed"].as_bool()), (Some(240), Some(false)));
    assert_eq!(a["contacts"][0]["phone"], "090-0000-0001");
    assert_eq!(list["features"][1]["geometry"]["coordinates"], json!([140.05, 35.85]));
    // Six hours on, a's batteries are 15 minutes past empty.
    assert_eq!(call_list(&app, &id, 6.25).await["features"][1]["properties"]["remaining_min"], -15);
    // The square restored at 3 h: at 3.5 h only child-b is dark.
    app.put(&format!("/api/v1/incidents/{id}/outages/north"), Some(PLANNER), &north(0.0, Some(3.0))).await;
    assert_eq!(ids(&call_list(&app, &id, 3.5).await), ["child-b"]);
    assert_eq!(ids(&call_list(&app, &id, 2.5).await), ["child-b", "child-a"], "still dark as of 2.5 h");
    assert_eq!(app.get(&format!("/api/v1/incidents/{id}/children"), Some(FAMILY)).await.0, StatusCode::FORBIDDEN);
    let bad = format!("/api/v1/incidents/{id}/children?margin_min=-5");
    assert_eq!(app.get(&bad, Some(COORDINATOR)).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn checks_reset_or_stop_the_clock_and_a_failed_call_counts_as_an_attempt() {
    let (app, id) = dark_city().await;
    let url = format!("/api/v1/incidents/{id}/checks");
    let reached = json!({"child_id": "child-a", "at": stamp(1.0), "channel": "phone", "reached": true,
                         "status": "safe_at_home", "battery_h_left": 1.5});
    let (status, stored) = app.post(&url, Some(COORDINATOR), &reached).await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    assert_eq!(
        (stored["token_name"].as_str(), stored["role"].as_str()),
        (Some("t-coordinator-name"), Some("coordinator"))
    );
    assert!(stored["id"].as_str().is_some_and(|i| !i.is_empty()));
    let failed = json!({"child_id": "child-b", "at": stamp(1.5), "channel": "phone", "reached": false});
    app.post(&url, Some(COORDINATOR), &failed).await;
    let list = call_list(&app, &id, 2.0).await;
    // a: 1 h + 1.5 h left = 2.5 h, now first; b: one failed call, 120 min left.
    assert_eq!(ids(&list), ["child-a", "child-b"]);
    let a = &list["features"][0]["properties"];
    assert_eq!((time_of(&a["depletes_at"]), a["remaining_min"].as_i64()), (t(2.5), Some(30)));
    assert_eq!((a["check_status"].as_str(), a["visit_needed"].as_bool()), (Some("safe_at_home"), Some(false)));
    let b = &list["features"][1]["properties"];
    assert_eq!((b["check_status"].as_str(), b["attempts"].as_u64()), (Some("unreached"), Some(1)));
    assert_eq!(time_of(&b["last_check_at"]), t(1.5));
    // At a power point: the clock stops.
    let at_point = json!({"child_id": "child-a", "at": stamp(2.2), "channel": "visit", "reached": true,
                          "status": "at_power_point", "location_id": "p-gen"});
    assert_eq!(app.post(&url, Some(PLANNER), &at_point).await.0, StatusCode::CREATED);
    let list = call_list(&app, &id, 3.0).await;
    assert_eq!(ids(&list), ["child-b", "child-a"], "on power: no must_leave_by, last");
    let a = &list["features"][1]["properties"];
    assert_eq!(
        (a["on_power"].as_bool(), a["depletes_at"].clone(), a["must_leave_by"].clone()),
        (Some(true), Value::Null, Value::Null)
    );
    // A reached check without a status: 422, nothing stored.
    let bad = json!({"child_id": "child-a", "channel": "phone", "reached": true});
    let (status, answer) = app.post(&url, Some(COORDINATOR), &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["error"]["details"][0]["field"], "status");
    let bad = json!({"child_id": "child-a", "channel": "fax", "reached": false});
    assert_eq!(app.post(&url, Some(COORDINATOR), &bad).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, checks) = app.get(&format!("{url}?child_id=child-a"), Some(COORDINATOR)).await;
    let times: Vec<OffsetDateTime> = checks.as_array().unwrap().iter().map(|c| time_of(&c["at"])).collect();
    assert_eq!(times, [t(2.2), t(1.0)], "newest first, the refused ones absent");
    let ahead = json!({"child_id": "child-a", "channel": "phone", "reached": true, "status": "safe_at_home",
                       "at": "2099-01-01T00:00:00Z"});
    let (status, answer) = app.post(&url, Some(COORDINATOR), &ahead).await;
    assert_eq!(
        (status, answer["error"]["details"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("at"))
    );
    let unknown = json!({"child_id": "no-such-child", "channel": "phone", "reached": false});
    assert_eq!(app.post(&url, Some(COORDINATOR), &unknown).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_family_reports_only_itself_for_its_own_child() {
    let (app, id) = dark_city().await;
    let url = format!("/api/v1/incidents/{id}/checks");
    let own = json!({"child_id": "child-a", "channel": "self", "reached": true, "status": "needs_power",
                     "at": stamp(2.0), "note": "電源が必要"});
    let (status, stored) = app.post(&url, Some(FAMILY), &own).await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    assert_eq!((stored["role"].as_str(), stored["channel"].as_str()), (Some("family"), Some("self")));
    let mut by_phone = own.clone();
    by_phone["channel"] = json!("phone");
    assert_eq!(app.post(&url, Some(FAMILY), &by_phone).await.0, StatusCode::FORBIDDEN);
    let mut other = own.clone();
    other["child_id"] = json!("child-b");
    let (status, answer) = app.post(&url, Some(FAMILY), &other).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another family's child does not exist for this token");
    assert_error(&answer, "not_found");
    assert_eq!(app.get(&format!("{url}?child_id=child-b"), Some(FAMILY)).await.0, StatusCode::NOT_FOUND);
    app.post(&url, Some(COORDINATOR), &json!({"child_id": "child-b", "channel": "phone", "reached": false})).await;
    let (_, mine) = app.get(&url, Some(FAMILY)).await;
    let children: Vec<&str> = mine.as_array().unwrap().iter().map(|c| c["child_id"].as_str().unwrap()).collect();
    assert_eq!(children, ["child-a"], "the family sees only its own child's checks");
    let (_, all) = app.get(&url, Some(PLANNER)).await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    // The desk sees the self-report.
    let list = call_list(&app, &id, 2.5).await;
    let a = list["features"].as_array().unwrap().iter().find(|f| f["id"] == "child-a").unwrap();
    assert_eq!(a["properties"]["check_status"], "needs_power");
}

#[tokio::test]
async fn the_family_sees_its_countdown_and_the_points_that_are_up() {
    let (app, id) = dark_city().await;
    let plan =
        json!({"version": 0, "power_point_id": "p-grid", "backup_power_point_id": "p-gen", "transport": "family_car"});
    assert_eq!(app.put("/api/v1/children/child-a/plan", Some(COORDINATOR), &plan).await.0, StatusCode::OK);
    let (status, mine) = app.get(&format!("/api/v1/children/child-a/incident?at={}", stamp(2.0)), Some(FAMILY)).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let one = &mine[0];
    assert_eq!((one["incident_id"].as_str(), one["remaining_min"].as_i64()), (Some(id.as_str()), Some(240)));
    assert_eq!(time_of(&one["power_lost_at"]), t(0.0));
    let near: Vec<&str> = one["nearest_power"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert_eq!(near, ["p-gen"], "the grid point in the dark square is not offered");
    assert_eq!(
        one["plan_destinations"],
        json!([{"id": "p-grid", "kind": "power_point", "up": false},
                                                 {"id": "p-gen", "kind": "power_point", "up": true}])
    );
    assert_eq!(app.get("/api/v1/children/child-b/incident", Some(FAMILY)).await.0, StatusCode::NOT_FOUND);
    let (_, lit) = app.get(&format!("/api/v1/children/child-c/incident?at={}", stamp(2.0)), Some(PLANNER)).await;
    assert_eq!(lit, json!([]), "child-c has power and no check");
    app.put(&format!("/api/v1/incidents/{id}"), Some(PLANNER), &json!({"closed_at": stamp(5.0)})).await;
    let (_, after) = app.get(&format!("/api/v1/children/child-a/incident?at={}", stamp(2.0)), Some(FAMILY)).await;
    assert_eq!(after, json!([]), "closed incidents are not shown");
}

#[tokio::test]
async fn the_call_list_as_csv_for_the_phone_desk() {
    let (app, id) = dark_city().await;
    let url = format!("/api/v1/incidents/{id}/children?at={}&format=csv", stamp(2.0));
    let (status, body) = app.get(&url, Some(COORDINATOR)).await;
    assert_eq!(status, StatusCode::OK);
    let text = body.as_str().unwrap();
    assert!(text.starts_with('\u{feff}'), "a BOM, so Excel reads UTF-8");
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "a header and one row per child: {text}");
    assert!(
        lines[0].starts_with("順,児童ID,氏名,地区,住所,連絡先,停電開始,電池切れ予定,残り（分）,出発期限"),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with("1,child-b,"), "{}", lines[1]);
    // 復 went dark at 1 h UTC = 10:00 JST; b runs out at 4 h UTC = 13:00 JST.
    assert!(lines[1].contains(",2026-09-09 10:00,2026-09-09 13:00,120,"), "{}", lines[1]);
    assert!(lines[2].contains("母 母 090-0000-0001"), "{}", lines[2]);
    assert!(lines[1].ends_with(",未確認,0,,要訪問"), "{}", lines[1]);
}

#[tokio::test]
async fn every_child_named_gets_an_access_log_line() {
    let (app, id) = dark_city().await;
    let count = |log: &Value, action: &str| log.as_array().unwrap().iter().filter(|l| l["action"] == action).count();
    call_list(&app, &id, 2.0).await;
    app.get(&format!("/api/v1/incidents/{id}/children?at={}&format=csv", stamp(2.0)), Some(PLANNER)).await;
    for child in ["child-a", "child-b"] {
        let (_, log) = app.get(&format!("/api/v1/access-log?child_id={child}"), Some(PLANNER)).await;
        assert_eq!(count(&log, "incident_list"), 2, "{child}: JSON and CSV each log: {log}");
    }
    let (_, log) = app.get("/api/v1/access-log?child_id=child-c", Some(PLANNER)).await;
    assert_eq!(count(&log, "incident_list"), 0, "child-c was not named");
    let url = format!("/api/v1/incidents/{id}/checks");
    app.post(&url, Some(COORDINATOR), &json!({"child_id": "child-c", "channel": "phone", "reached": false})).await;
    app.get(&url, Some(COORDINATOR)).await;
    app.get("/api/v1/children/child-a/incident", Some(FAMILY)).await;
    let (_, log) = app.get("/api/v1/access-log?child_id=child-c", Some(PLANNER)).await;
    assert_eq!((count(&log, "check_write"), count(&log, "check_read")), (1, 1), "{log}");
    let (_, log) = app.get("/api/v1/access-log?child_id=child-a", Some(PLANNER)).await;
    assert_eq!(log[0]["action"], "incident_read");
    assert_eq!(log[0]["token_name"], "t-family-name");
}

#[tokio::test]
async fn a_points_reports_set_its_live_status_and_empty_fuel_takes_it_out_of_answers() {
    let (app, id) = dark_city().await;
    let url = "/api/v1/power-points/p-gen/reports";
    let report =
        json!({"at": stamp(1.0), "status": "limited", "free_outlets": 1, "fuel_h_left": 2.0, "queue_people": 4});
    assert_eq!(app.post(url, Some(FAMILY), &report).await.0, StatusCode::FORBIDDEN);
    let (status, stored) = app.post(url, Some(COORDINATOR), &report).await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    assert_eq!(time_of(&stored["fuel_out_at"]), t(3.0));
    let (_, point) = app.get("/api/v1/power-points/p-gen", None).await;
    let p = &point["properties"];
    assert_eq!((p["status"].as_str(), time_of(&p["status_updated_at"])), (Some("limited"), t(1.0)));
    assert_eq!((p["live"]["free_outlets"].as_u64(), p["live"]["queue_people"].as_u64()), (Some(1), Some(4)));
    assert_eq!((time_of(&p["live"]["fuel_out_at"]), p["live"]["reported_by"].as_str()), (t(3.0), Some("coordinator")));
    let (_, public) = app.get(url, None).await;
    assert_eq!(public[0]["reported_by"], Value::Null, "who reported is for staff: {public}");
    let (_, staff) = app.get(url, Some(PLANNER)).await;
    assert_eq!(staff[0]["reported_by"], "t-coordinator-name");
    // Before the fuel runs out the generator is child-b's nearest; after, nothing is up.
    let near = |list: &Value| list["features"][0]["properties"]["nearest_power"]["id"].clone();
    assert_eq!(near(&call_list(&app, &id, 2.0).await), json!("p-gen"));
    assert_eq!(near(&call_list(&app, &id, 3.0).await), Value::Null, "out of fuel at 3 h; p-grid is dark");
    let nearest = |at_h: f64| format!("/api/v1/nearest/power?lat=35.79&lon=140.05&k=5&at={}", stamp(at_h));
    assert_eq!(ids(&app.get(&nearest(2.9), None).await.1)[0], "p-gen");
    assert!(!ids(&app.get(&nearest(3.0), None).await.1).contains(&"p-gen".to_owned()), "counts as unavailable");
    // An older report does not overwrite the newest.
    let older = json!({"at": stamp(0.5), "status": "unavailable"});
    assert_eq!(app.post(url, Some(PLANNER), &older).await.0, StatusCode::CREATED);
    let (_, point) = app.get("/api/v1/power-points/p-gen", None).await;
    assert_eq!(point["properties"]["status"], "limited");
    // As of 0.75 h the older report is the newest: p-gen was unavailable, child-a had nowhere.
    let a_near = |list: &Value| list["features"][0]["properties"]["nearest_power"]["id"].clone();
    assert_eq!(a_near(&call_list(&app, &id, 0.75).await), Value::Null);
    assert_eq!(near(&call_list(&app, &id, 2.0).await), json!("p-gen"), "the 1 h report rules at 2 h");
    let (_, listed) = app.get(url, None).await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(time_of(&listed[0]["at"]), t(1.0), "newest first");
    let bad = json!({"status": "limited", "fuel_h_left": -1});
    assert_eq!(app.post(url, Some(PLANNER), &bad).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.post("/api/v1/power-points/none/reports", Some(PLANNER), &report).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_written_through_one_instance_is_announced_on_the_others_stream_within_a_second() {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    // On PostgreSQL only NOTIFY can wake B within a second (its poll is 30 s).
    let poll = if on_postgres() { std::time::Duration::from_secs(30) } else { std::time::Duration::from_millis(200) };
    let (a, b, _) = TestApp::pair(poll).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await; // let B's listener start
    a.seed("/api/v1/children", child("child-a", 140.05, 35.85, "笹塚", 6.0)).await;
    let id = incident(&a).await;
    let other = incident(&a).await;
    let req = request("GET", &format!("/api/v1/incidents/{id}/events"), Some(COORDINATOR), axum::body::Body::empty());
    let res = b.router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut body = res.into_body();
    let check = json!({"child_id": "child-a", "channel": "phone", "reached": false});
    let (_, elsewhere) = a.post(&format!("/api/v1/incidents/{other}/checks"), Some(COORDINATOR), &check).await;
    let started = std::time::Instant::now();
    let (status, stored) = a.post(&format!("/api/v1/incidents/{id}/checks"), Some(COORDINATOR), &check).await;
    assert_eq!(status, StatusCode::CREATED);
    let wanted = stored["id"].as_str().unwrap();
    let mut text = String::new();
    while !text.contains(wanted) {
        let left = std::time::Duration::from_secs(1).saturating_sub(started.elapsed());
        let frame = tokio::time::timeout(left, body.frame()).await;
        let frame = frame.unwrap_or_else(|_| panic!("no event within a second; got {text:?}")).unwrap().unwrap();
        if let Ok(data) = frame.into_data() {
            text.push_str(&String::from_utf8_lossy(&data));
        }
    }
    assert!(text.contains("event: change"), "{text}");
    assert!(text.contains(&format!(r#"data: {{"kind":"check","id":"{wanted}"}}"#)), "{text}");
    assert!(!text.contains(elsewhere["id"].as_str().unwrap()), "another incident's check is not announced");
    assert_eq!(b.get(&format!("/api/v1/incidents/{id}/events"), Some(FAMILY)).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_demo_has_an_open_incident_with_the_desk_at_work() {
    let app = TestApp::new().await;
    let now = t(0.0);
    powermap::cli::load_demo(&app.store, now).await.unwrap();
    // The demo was written to the store directly: wait for this instance's indexes to show it.
    let mut list = Value::Null;
    for _ in 0..50 {
        let (status, answer) =
            app.get(&format!("/api/v1/incidents/demo-typhoon/children?at={}", stamp(0.0)), Some(PLANNER)).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        list = answer;
        if list["features"].as_array().is_some_and(|f| f.len() >= 3) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let rows = list["features"].as_array().unwrap();
    assert!(rows.len() >= 3, "north Shiroi holds several demo children: {list}");
    let (_, incident) = app.get("/api/v1/incidents/demo-typhoon", Some(PLANNER)).await;
    assert_eq!(incident["closed_at"], Value::Null);
    assert_eq!(time_of(&incident["started_at"]), t(-2.0));
    let statuses: Vec<&str> = rows.iter().filter_map(|f| f["properties"]["check_status"].as_str()).collect();
    assert!(statuses.contains(&"safe_at_home") && statuses.contains(&"unreached"), "{statuses:?}");
    // The reached family reported 5 h of battery 1.5 h before `now`: 3.5 h are left.
    let reached = rows.iter().find(|f| f["properties"]["check_status"] == "safe_at_home").unwrap();
    assert_eq!(reached["properties"]["remaining_min"], 210);
}
