//! 個別避難計画: versions, optimistic concurrency, the audit and its CSV, the sheet.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

fn plan(version: i64, power: &str) -> Value {
    json!({"version": version, "status": "agreed", "power_point_id": power, "shelter_id": "s1", "transport": "family_car",
           "supporters": [{"name": "支援 花子", "relation": "近隣", "phone": "090-0000-0000"}],
           "reviewed_at": "2026-10-01", "next_review_due": "2027-10-01"})
}

async fn seeded() -> TestApp {
    let app = TestApp::new().await;
    let mut p = power_point("p1", 140.057, 35.792, 2, 1500.0, true);
    p["properties"]["last_verified"] = json!("2026-09-01");
    app.seed("/api/v1/power-points", p).await;
    app.seed("/api/v1/shelters", shelter("s1", 140.056, 35.793, &["flood", "earthquake"], &["p1"])).await;
    let mut a = child("child-a", 140.0559, 35.7912, "白井", 6.0);
    a["properties"]["consent_to_share"] = json!(true);
    a["properties"]["name"] = json!("山田, \"はると\"（架空）");
    app.seed("/api/v1/children", fc(vec![a, child("child-b", 140.06, 35.80, "復", 6.0)])).await;
    app
}

#[tokio::test]
async fn plans_are_versioned_and_a_stale_put_is_refused() {
    let app = seeded().await;
    let url = "/api/v1/children/child-a/plan";
    assert_eq!(app.get(url, Some(COORDINATOR)).await.0, StatusCode::NOT_FOUND);
    let (status, v1) = app.put(url, Some(COORDINATOR), &plan(0, "p1")).await;
    assert_eq!(status, StatusCode::OK, "{v1}");
    assert_eq!((v1["version"].as_i64(), v1["author"].as_str()), (Some(1), Some("t-coordinator-name")));
    let (_, v2) = app.put(url, Some(PLANNER), &plan(1, "p1")).await;
    assert_eq!(v2["version"], 2);

    // Based on version 1 while 2 is current: 409, and nothing changes.
    let (status, answer) = app.put(url, Some(COORDINATOR), &plan(1, "other")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&answer, "version_conflict");
    let (_, current) = app.get(url, Some(COORDINATOR)).await;
    assert_eq!(current, v2);
    let (_, history) = app.get("/api/v1/children/child-a/plan/history", Some(FAMILY)).await;
    let versions: Vec<i64> = history.as_array().unwrap().iter().map(|p| p["version"].as_i64().unwrap()).collect();
    assert_eq!(versions, [2, 1]);
}

#[tokio::test]
async fn plan_rights_follow_the_roles() {
    let app = seeded().await;
    assert_eq!(app.put("/api/v1/children/child-a/plan", Some(FAMILY), &plan(0, "p1")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.put("/api/v1/children/child-a/plan", None, &plan(0, "p1")).await.0, StatusCode::UNAUTHORIZED);
    app.put("/api/v1/children/child-b/plan", Some(COORDINATOR), &plan(0, "p1")).await;
    assert_eq!(app.get("/api/v1/children/child-b/plan", Some(FAMILY)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/plans/audit", Some(FAMILY)).await.0, StatusCode::FORBIDDEN);
    let (status, answer) = app
        .put("/api/v1/children/child-a/plan", Some(COORDINATOR), &json!({"version": 0, "transport": "rocket"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["error"]["details"][0]["field"], "transport");
    let (_, log) = app.get("/api/v1/access-log?child_id=child-b", Some(PLANNER)).await;
    assert_eq!(log[0]["action"], "plan_write", "{log}");
}

#[tokio::test]
async fn audit_reports_findings_per_child_and_district() {
    let app = seeded().await;
    app.put("/api/v1/children/child-a/plan", Some(COORDINATOR), &plan(0, "p1")).await;
    let (status, report) = app.get("/api/v1/plans/audit", Some(COORDINATOR)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["children"], 2);
    let found: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["child_id"].as_str().unwrap().into(), f["rule"].as_str().unwrap().into()))
        .collect();
    // child-a's plan is clean; child-b has no plan and no consent.
    assert_eq!(found, [("child-b".into(), "no_plan".into()), ("child-b".into(), "no_consent".into())]);
    let (_, only_shiroi) = app.get("/api/v1/plans/audit?district=%E7%99%BD%E4%BA%95", Some(COORDINATOR)).await;
    assert_eq!(only_shiroi["children"], 1);
    assert_eq!(only_shiroi["findings"], json!([]));
}

#[tokio::test]
async fn audit_csv_opens_in_excel_with_japanese_intact() {
    let app = seeded().await;
    // A plan that names a missing power point, so child-a (whose name has a comma and quotes) appears.
    app.put("/api/v1/children/child-a/plan", Some(COORDINATOR), &plan(0, "gone")).await;
    let (status, body) = app.get("/api/v1/plans/audit?format=csv", Some(COORDINATOR)).await;
    assert_eq!(status, StatusCode::OK);
    let text = body.as_str().unwrap();
    assert!(text.starts_with('\u{feff}'), "UTF-8 BOM first");
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    assert_eq!(reader.headers().unwrap(), vec!["児童ID", "氏名", "地区", "重要度", "ルール", "内容"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let a = rows.iter().find(|r| &r[0] == "child-a").unwrap();
    assert_eq!(&a[1], "山田, \"はると\"（架空）", "quoting survives the round trip");
    assert_eq!((&a[3], &a[4]), ("エラー", "destination_missing"));
    assert!(a[5].contains("電源ポイント gone"));
    assert!(text.contains("\r\n") && !text.replace("\r\n", "").contains('\n'), "RFC 4180 line ends");
    assert_eq!(app.get("/api/v1/plans/audit?format=xml", Some(COORDINATOR)).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn audit_csv_cells_are_never_run_as_formulas() {
    let app = seeded().await;
    let mut c = child("child-x", 140.06, 35.80, "白井", 6.0);
    c["properties"]["name"] = json!("=HYPERLINK(\"http://example.invalid\",\"x\")");
    app.seed("/api/v1/children", c).await;
    let (_, body) = app.get("/api/v1/plans/audit?format=csv", Some(COORDINATOR)).await;
    let text = body.as_str().unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let x = rows.iter().find(|r| &r[0] == "child-x").unwrap();
    assert_eq!(&x[1], "'=HYPERLINK(\"http://example.invalid\",\"x\")", "shown as text, not evaluated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_plan_writes_get_one_success_and_conflicts_never_a_500() {
    let app = seeded().await;
    let url = "/api/v1/children/child-a/plan";
    let body = serde_json::to_vec(&plan(0, "p1")).unwrap();
    let writes: Vec<_> = (0..12)
        .map(|_| tokio::spawn(send(app.router.clone(), "PUT", url, Some(COORDINATOR), Some(body.clone()))))
        .collect();
    let mut statuses = Vec::new();
    for w in writes {
        statuses.push(w.await.unwrap().0);
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT), "{statuses:?}");
    let (_, history) = app.get("/api/v1/children/child-a/plan/history", Some(COORDINATOR)).await;
    assert_eq!(history.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn plan_bodies_must_be_objects_with_known_fields() {
    let app = seeded().await;
    let url = "/api/v1/children/child-a/plan";
    let (status, answer) = app.put(url, Some(COORDINATOR), &json!([0, "agreed"])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"]["details"][0]["field"], "body");
    let (status, answer) = app.put(url, Some(COORDINATOR), &json!({"version": 0, "powerpoint_id": "p1"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a misspelt field is not silently dropped");
    assert!(answer["error"]["message"].as_str().unwrap().contains("powerpoint_id"), "{answer}");
    let (status, _) = app.put(url, Some(COORDINATOR), &json!({"version": 0, "child_id": "child-b"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // What GET answered can be sent back as the base of an edit.
    let (_, v1) = app.put(url, Some(COORDINATOR), &plan(0, "p1")).await;
    let (status, v2) = app.put(url, Some(COORDINATOR), &v1).await;
    assert_eq!((status, v2["version"].as_i64()), (StatusCode::OK, Some(2)), "{v2}");
    assert_eq!(
        app.get("/api/v1/children/child-a/plan/history", Some(COORDINATOR)).await.1.as_array().map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn a_deleted_child_takes_its_plans_and_family_binding_along() {
    let app = seeded().await;
    app.put("/api/v1/children/child-a/plan", Some(COORDINATOR), &plan(0, "p1")).await;
    assert_eq!(app.get("/api/v1/children/child-a", Some(FAMILY)).await.0, StatusCode::OK);
    assert_eq!(app.call("DELETE", "/api/v1/children/child-a", Some(PLANNER), None).await.0, StatusCode::NO_CONTENT);
    // Another child later registered under the same id inherits nothing.
    app.seed("/api/v1/children", child("child-a", 140.07, 35.81, "白井", 4.0)).await;
    assert_eq!(app.get("/api/v1/children/child-a/plan", Some(COORDINATOR)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/children/child-a/plan/history", Some(COORDINATOR)).await.1, json!([]));
    assert_eq!(app.get("/api/v1/children/child-a", Some(FAMILY)).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_plan_sheet_is_printable_html_in_japanese() {
    let app = seeded().await;
    app.put("/api/v1/children/child-a/plan", Some(COORDINATOR), &plan(0, "p1")).await;
    let (status, body) = app.get("/api/v1/children/child-a/plan/sheet", Some(FAMILY)).await;
    assert_eq!(status, StatusCode::OK);
    let html = body.as_str().unwrap();
    assert!(html.contains("<html lang=\"ja\">") && html.contains("size: A4"));
    // Escaped either way HTML allows (askama writes &#34;), or left as is in text.
    assert!(["&quot;", "&#34;", "\""].iter().any(|q| html.contains(&format!("山田, {q}はると{q}（架空）"))), "{html}");
    assert!(html.contains("人工呼吸器") && html.contains("アンビューバッグ") && html.contains("電源 p1"));
    assert!(html.contains("<svg"), "a map that needs no tiles");
    assert_eq!(app.get("/api/v1/children/child-b/plan/sheet", Some(FAMILY)).await.0, StatusCode::NOT_FOUND);
}

/// The sheet's page as text, for a caller.
async fn sheet_of(app: &TestApp, child: &str, token: &str) -> String {
    let (status, body) = app.get(&format!("/api/v1/children/{child}/plan/sheet"), Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_child_without_a_plan_gets_the_nearest_compatible_point_and_shelter_suggested() {
    let app = seeded().await;
    // Nearer than p1 and s1, but no use: no pure sine for the ventilator, and an open-air
    // 指定緊急避難場所 is no place to stay with one.
    app.seed("/api/v1/power-points", power_point("p-square", 140.0560, 35.7913, 2, 1500.0, false)).await;
    let mut site = shelter("e1", 140.0560, 35.7913, &["earthquake"], &[]);
    site["properties"]["kind"] = json!("emergency_site");
    app.seed("/api/v1/shelters", site).await;

    let html = sheet_of(&app, "child-a", FAMILY).await;
    assert!(html.contains("計画未作成のため、近くの候補を表示しています"), "{html}");
    assert!(html.contains("電源（候補）") && html.contains("<b>電源 p1</b>"), "{html}");
    assert!(html.contains("避難所（候補）") && html.contains("<b>避難所 s1</b>"), "{html}");
    assert!(!html.contains("電源 p-square") && !html.contains("避難所 e1"), "{html}");
    assert_eq!(html.matches("class=\"num\"").count(), 2, "two numbered rows");
    assert_eq!(html.matches("<circle ").count(), 2, "two markers on the map");
    // About 130 m away: metres to the ten, whole minutes, no decimals.
    assert!(html.contains("130 m・車で約1分"), "{html}");
    assert!(!html.contains("未登録"), "suggestions are registered places");

    // A plan that names no destination still gets suggestions, said so.
    let empty = json!({"version": 0, "status": "draft", "transport": "walk"});
    assert_eq!(app.put("/api/v1/children/child-a/plan", Some(COORDINATOR), &empty).await.0, StatusCode::OK);
    let html = sheet_of(&app, "child-a", FAMILY).await;
    assert!(html.contains("計画に行き先がないため、近くの候補を表示しています"), "{html}");
    assert!(html.contains("130 m・徒歩で約3分") && html.contains("<b>電源 p1</b>"), "on foot now: {html}");

    // Once the plan names its destinations, they are printed and nothing is suggested.
    app.put("/api/v1/children/child-a/plan", Some(COORDINATOR), &plan(1, "p1")).await;
    let html = sheet_of(&app, "child-a", FAMILY).await;
    assert!(!html.contains("近くの候補") && !html.contains("（候補）"), "{html}");
    assert!(html.contains("電源（第1）") && html.contains("避難所（第1）"), "{html}");
}

#[tokio::test]
async fn the_family_copy_of_the_sheet_carries_nothing_for_staff_only() {
    let app = seeded().await;
    let mut c = child("child-a", 140.0559, 35.7912, "白井", 6.0);
    c["properties"]["sources"] = json!(["健康課"]);
    c["properties"]["external_ids"] = json!(["健康課:H-0042"]);
    let (status, answer) = app.put("/api/v1/children/child-a", Some(PLANNER), &c).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (_, stored) = app.get("/api/v1/children/child-a", Some(COORDINATOR)).await;
    assert_eq!(stored["properties"]["external_ids"], json!(["健康課:H-0042"]), "{stored}");
    app.put("/api/v1/children/child-a/plan", Some(COORDINATOR), &plan(0, "p1")).await;

    let family = sheet_of(&app, "child-a", FAMILY).await;
    let staff = sheet_of(&app, "child-a", COORDINATOR).await;
    // The plan's author is a token name: a credential's label, for staff.
    assert!(staff.contains("作成 t-coordinator-name"), "{staff}");
    assert!(!family.contains("t-coordinator-name") && !family.contains("作成 "), "{family}");
    for sheet in [&family, &staff] {
        assert!(!sheet.contains("H-0042") && !sheet.contains("健康課"), "{sheet}");
        assert!(sheet.contains("支援 花子") && sheet.contains("電源 p1"), "the plan itself is on both");
    }
    assert_eq!(staff.replace("　作成 t-coordinator-name", ""), family, "nothing else differs");
}

#[tokio::test]
async fn audit_keeps_only_the_asked_severities_in_json_and_csv() {
    let app = seeded().await;
    // child-b: no_plan (error) and no_consent (warning).
    let (_, all) = app.get("/api/v1/plans/audit", Some(COORDINATOR)).await;
    let severities = |r: &Value| -> Vec<String> {
        r["findings"].as_array().unwrap().iter().map(|f| f["severity"].as_str().unwrap().to_owned()).collect()
    };
    assert!(severities(&all).contains(&"error".into()) && severities(&all).contains(&"warning".into()));
    let (status, errors) = app.get("/api/v1/plans/audit?severity=error", Some(COORDINATOR)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!severities(&errors).is_empty() && severities(&errors).iter().all(|s| s == "error"), "{errors}");
    assert_eq!(errors["children"], all["children"], "every child is still audited");
    let (_, both) = app.get("/api/v1/plans/audit?severity=error,warning", Some(COORDINATOR)).await;
    assert_eq!(both["findings"], all["findings"]);
    let (_, csv_text) = app.get("/api/v1/plans/audit?format=csv&severity=warning", Some(COORDINATOR)).await;
    let text = csv_text.as_str().unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(!rows.is_empty() && rows.iter().all(|r| &r[3] == "警告"), "{text}");
    let (status, bad) = app.get("/api/v1/plans/audit?severity=error,fatal", Some(COORDINATOR)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad["error"]["message"].as_str().unwrap().contains("severity"), "{bad}");
    let (_, log) = app.get("/api/v1/access-log", Some(PLANNER)).await;
    let audits = log.as_array().unwrap().iter().filter(|e| e["action"] == "audit").count();
    assert_eq!(audits, 4 * 2, "four audits of two children; the refused one read nothing");
}

/// A plan `PUT` whose body arrives only once `go` fires, after telling `started` that the
/// handler has begun reading it (its role and child checks are behind it by then).
fn slow_plan_put(
    router: axum::Router,
    body: Vec<u8>,
    started: tokio::sync::oneshot::Sender<()>,
    go: tokio::sync::oneshot::Receiver<()>,
) -> tokio::task::JoinHandle<StatusCode> {
    let stream = futures_util::stream::once(async move {
        let _ = started.send(());
        let _ = go.await;
        Ok::<_, std::io::Error>(body)
    });
    let request =
        request("PUT", "/api/v1/children/child-a/plan", Some(COORDINATOR), axum::body::Body::from_stream(stream));
    tokio::spawn(async move { tower::ServiceExt::oneshot(router, request).await.unwrap().status() })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_writes_racing_the_childs_delete_leave_nothing_for_a_new_child_of_that_id() {
    let app = seeded().await;
    let body = serde_json::to_vec(&plan(0, "p1")).unwrap();
    // Eight writes are past their checks and reading their bodies when the child is deleted.
    let (mut gates, mut writes) = (Vec::new(), Vec::new());
    for _ in 0..8 {
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let (go_tx, go_rx) = tokio::sync::oneshot::channel();
        writes.push(slow_plan_put(app.router.clone(), body.clone(), started_tx, go_rx));
        started_rx.await.unwrap();
        gates.push(go_tx);
    }
    assert_eq!(app.call("DELETE", "/api/v1/children/child-a", Some(PLANNER), None).await.0, StatusCode::NO_CONTENT);
    gates.into_iter().for_each(|go| go.send(()).unwrap());
    for w in writes {
        assert_eq!(w.await.unwrap(), StatusCode::NOT_FOUND, "a plan was written for a deleted child");
    }
    // A new child under the same id inherits no plan.
    app.seed("/api/v1/children", child("child-a", 140.07, 35.81, "白井", 4.0)).await;
    assert_eq!(app.get("/api/v1/children/child-a/plan", Some(COORDINATOR)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/children/child-a/plan/history", Some(COORDINATOR)).await.1, json!([]));
}
