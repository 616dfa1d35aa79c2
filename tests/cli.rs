#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
//! The binary as an operator uses it: imports, exports, tokens, and a server killed hard.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_powermap");

struct Db {
    dir: tempfile::TempDir,
    url: String,
}

/// A fresh database: a SQLite file, or with `POWERMAP_TEST_BACKEND=postgres` a new database
/// on the server at `POWERMAP_TEST_PG`, so the same tests cover both backends.
fn db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let url = if std::env::var("POWERMAP_TEST_BACKEND").as_deref() == Ok("postgres") {
        let server = std::env::var("POWERMAP_TEST_PG").expect("POWERMAP_TEST_BACKEND=postgres needs POWERMAP_TEST_PG");
        let name = format!("c_{:016x}", rand::random::<u64>());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            use sqlx::Connection;
            let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await.unwrap();
        });
        let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(&server);
        format!("{base}/{name}")
    } else {
        format!("sqlite://{}", dir.path().join("p.db").display())
    };
    Db { dir, url }
}

fn powermap(db: &Db, args: &[&str]) -> std::process::Output {
    Command::new(BIN).arg("--db").arg(&db.url).args(args).env("RUST_LOG", "off").output().unwrap()
}

fn write_file(db: &Db, name: &str, body: &Value) -> String {
    let path = db.dir.path().join(name);
    std::fs::write(&path, serde_json::to_vec(body).unwrap()).unwrap();
    path.display().to_string()
}

fn point(id: &str, outlets: Value) -> Value {
    json!({"type": "Feature", "id": id, "geometry": {"type": "Point", "coordinates": [140.05, 35.79]},
           "properties": {"name": "白井市役所", "kind": "generator", "capacity_w": 900, "outlets": outlets}})
}

fn exported_ids(db: &Db) -> Vec<String> {
    let out = powermap(db, &["export", "power-points"]);
    assert!(out.status.success());
    let fc: Value = serde_json::from_slice(&out.stdout).unwrap();
    fc["features"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn a_bad_import_names_file_and_feature_exits_1_and_writes_nothing() {
    let db = db();
    let good = json!([{"type": "ac100v", "count": 1, "max_w": 900}]);
    let file = write_file(
        &db,
        "bad.geojson",
        &json!({"type": "FeatureCollection", "features": [
        point("ok-1", good.clone()), point("ok-2", good), point("bad-3", json!([]))]}),
    );
    let out = powermap(&db, &["import", "power-points", &file]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("bad.geojson")
            && stderr.contains("feature 2 (id bad-3)")
            && stderr.contains("properties.outlets"),
        "{stderr}"
    );
    assert!(exported_ids(&db).is_empty());
}

#[test]
fn import_then_export_round_trips_and_csv_has_a_bom() {
    let db = db();
    let file = write_file(
        &db,
        "ok.geojson",
        &json!({"type": "FeatureCollection", "features": [
        point("a", json!([{"type": "ac100v", "count": 1, "max_w": 900}]))]}),
    );
    assert!(powermap(&db, &["import", "power-points", &file]).status.success());
    assert!(powermap(&db, &["import", "power-points", &file]).status.success(), "re-import updates, no conflict");
    assert_eq!(exported_ids(&db), ["a"]);
    let csv = powermap(&db, &["export", "power-points", "--format", "csv"]);
    assert!(csv.stdout.starts_with("\u{feff}id,lon,lat,name".as_bytes()), "{}", String::from_utf8_lossy(&csv.stdout));
    assert!(String::from_utf8(csv.stdout).unwrap().contains("白井市役所"));
}

#[test]
fn token_create_checks_role_and_children() {
    let db = db();
    let out = powermap(&db, &["token", "create", "--role", "family", "--name", "山田家"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--child"));
    let out = powermap(&db, &["token", "create", "--role", "family", "--child", "nobody", "--name", "山田家"]);
    assert_eq!(out.status.code(), Some(1));
    let out = powermap(&db, &["token", "create", "--role", "planner", "--name", "危機管理課"]);
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap();
    assert!(token.trim().starts_with("pm_") && token.trim().len() == 67, "{token}");
}

/// Starts `serve` on a free port and returns the process and its address.
fn serve(db: &Db, extra: &[&str]) -> (Child, String, Vec<String>) {
    let mut child = Command::new(BIN)
        .arg("--db")
        .arg(&db.url)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(extra)
        .env("RUST_LOG", "off")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let addr = first.split("http://").nth(1).unwrap().split('/').next().unwrap().to_owned();
    let rest: Vec<String> =
        if extra.contains(&"--demo") { lines.take(3).map(Result::unwrap).collect() } else { Vec::new() };
    (child, addr, rest)
}

/// A minimal HTTP/1.1 exchange: (status, JSON body).
fn http(addr: &str, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> (u16, Value) {
    let mut s = TcpStream::connect(addr).unwrap();
    let body = body.map(|b| serde_json::to_vec(b).unwrap()).unwrap_or_default();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).unwrap();
    s.write_all(&body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8(raw).unwrap();
    let status = text[9..12].parse().unwrap();
    let json = text.split("\r\n\r\n").nth(1).and_then(|b| serde_json::from_str(b).ok()).unwrap_or(Value::Null);
    (status, json)
}

#[test]
fn data_survives_sigkill_right_after_201() {
    let db = db();
    let token =
        String::from_utf8(powermap(&db, &["token", "create", "--role", "planner", "--name", "t"]).stdout).unwrap();
    let (mut server, addr, _) = serve(&db, &[]);
    let body = point("durable", json!([{"type": "ac100v", "count": 1, "max_w": 900}]));
    let (status, _) = http(&addr, "POST", "/api/v1/power-points", Some(token.trim()), Some(&body));
    assert_eq!(status, 201);
    server.kill().unwrap(); // SIGKILL: no shutdown, no flush
    server.wait().unwrap();

    let (mut again, addr, _) = serve(&db, &[]);
    let (status, answer) = http(&addr, "GET", "/api/v1/power-points/durable", None, None);
    again.kill().unwrap();
    again.wait().unwrap();
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["properties"]["name"], "白井市役所");
}

#[test]
fn demo_mode_loads_shiroi_and_its_tokens_exist_only_in_demo_mode() {
    let db = db();
    let (mut server, addr, printed) = serve(&db, &["--demo"]);
    assert!(printed.iter().any(|l| l.contains("demo-family")), "{printed:?}");
    let (_, health) = http(&addr, "GET", "/healthz", Some("demo-planner"), None);
    let (status, family) = http(&addr, "GET", "/api/v1/children", Some("demo-family"), None);
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(health["power_points"].as_u64().unwrap() >= 25, "{health}");
    assert!(health["shelters"].as_u64().unwrap() >= 20, "{health}");
    assert!(health["children"].as_u64().unwrap() >= 12, "{health}");
    assert_eq!(status, 200);
    assert_eq!(family["features"].as_array().unwrap().len(), 1, "demo-family sees exactly its child");

    let (mut plain, addr, _) = serve(&db, &[]);
    let (status, _) = http(&addr, "GET", "/healthz", Some("demo-planner"), None);
    plain.kill().unwrap();
    plain.wait().unwrap();
    assert_eq!(status, 401, "demo tokens are removed outside demo mode");
}

#[test]
fn audit_and_outage_scenario_from_the_command_line_agree_with_the_api() {
    let db = db();
    let presets: Value = serde_json::from_str(include_str!("../fixtures/shiroi/scenarios.geojson")).unwrap();
    let north = presets["features"].as_array().unwrap().iter().find(|f| f["id"] == "north-72h").unwrap().clone();
    let (mut server, addr, _) = serve(&db, &["--demo"]);
    let body = json!({"area": north["geometry"], "hours": 72});
    let (status, api) = http(&addr, "POST", "/api/v1/scenarios/outage", Some("demo-planner"), Some(&body));
    let (_, audit_api) = http(&addr, "GET", "/api/v1/plans/audit", Some("demo-coordinator"), None);
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(status, 200, "{api}");

    // The audit table: every demo finding, one line each, plus the total line.
    let out = powermap(&db, &["audit"]);
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    let findings = audit_api["findings"].as_array().unwrap();
    for f in findings {
        let line = format!("{} ", f["child_id"].as_str().unwrap());
        assert!(
            table.lines().any(|l| l.starts_with(&line) && l.contains(f["rule"].as_str().unwrap())),
            "{f} missing from\n{table}"
        );
    }
    assert!(table.contains(&format!("指摘 {} 件", findings.len())), "{table}");

    // The scenario: same answer as the API, written as GeoJSON lines home → power point.
    let area = write_file(&db, "north.geojson", &json!({"type": "FeatureCollection", "features": [north]}));
    let out_file = db.dir.path().join("assignment.geojson");
    let out =
        powermap(&db, &["scenario", "outage", "--area", &area, "--hours", "72", "--out", out_file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary = String::from_utf8(out.stdout).unwrap();
    assert!(
        summary.contains(&format!("バッテリーが持たない児童 {} 人", api["at_risk"].as_array().unwrap().len())),
        "{summary}"
    );
    let written: Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    let lines: Vec<(String, String)> = written["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["geometry"]["type"] == "LineString")
        .map(|f| {
            (
                f["properties"]["child_id"].as_str().unwrap().into(),
                f["properties"]["power_point_id"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = api["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["child_id"].as_str().unwrap().into(), a["power_point_id"].as_str().unwrap().into()))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(lines, expected);

    // Bad input: one line, exit 1, nothing written.
    let bad =
        write_file(&db, "line.geojson", &json!({"type": "LineString", "coordinates": [[140.0, 35.8], [140.1, 35.8]]}));
    let nothing = db.dir.path().join("nothing.geojson");
    for args in [
        vec!["scenario", "outage", "--area", &bad, "--hours", "72", "--out", nothing.to_str().unwrap()],
        vec!["scenario", "outage", "--area", &area, "--hours", "0", "--out", nothing.to_str().unwrap()],
    ] {
        let out = powermap(&db, &args);
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(String::from_utf8(out.stderr).unwrap().lines().count(), 1);
        assert!(!nothing.exists());
    }
}

/// The demo data in a fresh database, loaded by `serve --demo` and the server stopped.
fn demo_db() -> Db {
    let db = db();
    let (mut server, _, _) = serve(&db, &["--demo"]);
    server.kill().unwrap();
    server.wait().unwrap();
    db
}

/// `powermap ARGS` with extra environment variables, in `dir`.
fn powermap_in(db: &Db, dir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let mut command = Command::new(BIN);
    command.current_dir(dir).arg("--db").arg(&db.url).args(args).env("RUST_LOG", "off");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

/// The `power_unreachable` lines of an audit table.
fn unreachable_lines(out: &std::process::Output) -> usize {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.contains("power_unreachable")).count()
}

#[test]
fn audit_and_scenario_honour_the_travel_options_and_their_environment_variables() {
    let db = demo_db();
    let here = db.dir.path();
    let default = unreachable_lines(&powermap_in(&db, here, &[], &["audit"]));
    let slow = ["--walk-kmh", "0.2", "--drive-kmh", "0.5"];
    let by_flag = unreachable_lines(&powermap_in(&db, here, &[], &[&["audit"], slow.as_slice()].concat()));
    assert!(by_flag > default, "slower travel finds more unreachable points: {by_flag} vs {default}");
    let env = [("POWERMAP_WALK_KMH", "0.2"), ("POWERMAP_DRIVE_KMH", "0.5")];
    assert_eq!(unreachable_lines(&powermap_in(&db, here, &env, &["audit"])), by_flag);
    let before_name = powermap_in(&db, here, &[], &[slow.as_slice(), &["audit"]].concat());
    assert_eq!(unreachable_lines(&before_name), by_flag, "the options also go before the command");

    let presets: Value = serde_json::from_str(include_str!("../fixtures/shiroi/scenarios.geojson")).unwrap();
    let north = presets["features"].as_array().unwrap().iter().find(|f| f["id"] == "north-72h").unwrap().clone();
    let area = write_file(&db, "north.geojson", &json!({"type": "FeatureCollection", "features": [north]}));
    let minutes = |args: &[&str]| -> std::collections::BTreeMap<String, f64> {
        let out =
            powermap_in(&db, here, &[], &[&["scenario", "outage", "--area", &area, "--hours", "72"], args].concat());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let fc: Value = serde_json::from_slice(&out.stdout).unwrap();
        fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["geometry"]["type"] == "LineString")
            .map(|f| {
                (
                    f["properties"]["child_id"].as_str().unwrap().to_owned(),
                    f["properties"]["travel_min"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let (base, doubled) = (minutes(&[]), minutes(&["--detour-factor", "2.6"]));
    assert!(!base.is_empty());
    assert_eq!(base.keys().collect::<Vec<_>>(), doubled.keys().collect::<Vec<_>>());
    for (child, m) in &base {
        assert!((doubled[child] - 2.0 * m).abs() <= 0.15, "{child}: {m} then {}", doubled[child]);
    }

    let out = powermap_in(&db, here, &[], &["audit", "--walk-kmh", "0"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("--walk-kmh must be a number greater than 0"), "{stderr}");
}

#[test]
fn an_outage_scenario_without_out_prints_the_geojson_and_leaves_no_file() {
    let db = demo_db();
    let presets: Value = serde_json::from_str(include_str!("../fixtures/shiroi/scenarios.geojson")).unwrap();
    let north = presets["features"].as_array().unwrap().iter().find(|f| f["id"] == "north-72h").unwrap().clone();
    let area = write_file(&db, "north.geojson", &json!({"type": "FeatureCollection", "features": [north]}));
    let empty = tempfile::tempdir().unwrap();
    let out = powermap_in(&db, empty.path(), &[], &["scenario", "outage", "--area", &area, "--hours", "72"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let fc: Value = serde_json::from_slice(&out.stdout).expect("standard output is the GeoJSON alone");
    assert_eq!(fc["type"], "FeatureCollection");
    assert!(fc["features"].as_array().unwrap().iter().any(|f| f["geometry"]["type"] == "LineString"));
    let summary = String::from_utf8(out.stderr).unwrap();
    assert!(summary.contains("バッテリーが持たない児童"), "the summary goes to standard error: {summary}");
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0, "nothing written in the working directory");
}

/// What `export KIND` prints, as id → properties.
fn exported(db: &Db, kind: &str) -> std::collections::BTreeMap<String, Value> {
    let out = powermap(db, &["export", kind]);
    assert!(out.status.success());
    let fc: Value = serde_json::from_slice(&out.stdout).unwrap();
    fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["id"].as_str().unwrap().to_owned(), f["properties"].clone()))
        .collect()
}

fn shelters_by_id(db: &Db) -> std::collections::BTreeMap<String, Value> {
    exported(db, "shelters")
}

#[test]
fn national_shelter_csv_in_every_layout_and_encoding_and_reimports_update() {
    let db = db();
    let fixture = |name: &str| format!("{}/tests/fixtures/gsi/{name}", env!("CARGO_MANIFEST_DIR"));
    for file in ["emergency_utf8_bom.csv", "designated_sjis.csv", "digital_agency_standard.csv"] {
        let out = powermap(&db, &["import", "gsi-shelters", &fixture(file)]);
        assert!(out.status.success(), "{file}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let stored = shelters_by_id(&db);
    assert_eq!(stored.len(), 6);
    let city_hall = &stored["gsi-12232-001"];
    assert_eq!(city_hall["name"], "白井市役所（テスト）");
    assert_eq!(city_hall["kind"], "emergency_site");
    assert_eq!(city_hall["hazards"], json!(["flood", "earthquake", "fire", "inland_flood"]));
    assert_eq!(stored["gsi-12232-003"]["name"], "桜台センター, 体育館（テスト）", "quoted comma");
    let welfare = &stored["gsi-12232-101"];
    assert_eq!(welfare["kind"], "designated", "Shift_JIS designated-shelter layout");
    assert_eq!(welfare["accepts"], "要配慮者（医療的ケア児を含む）");
    let park = &stored["gsi-122327-0001"];
    assert_eq!(park["hazards"], json!(["earthquake", "fire"]));
    assert_eq!(park["capacity_people"], 1200);

    // Re-import: same 共通ID, same records, no duplicates.
    let out = powermap(&db, &["import", "gsi-shelters", &fixture("emergency_utf8_bom.csv")]);
    assert!(out.status.success());
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(report.contains("新規 0 件、更新 0 件、変更なし 3 件"), "{report}");
    assert!(out.stderr.is_empty(), "the report is on standard output");
    assert_eq!(shelters_by_id(&db), stored);

    // A bad row refuses the whole file with its line (the quoted newline counts), nothing written.
    let bad = db.dir.path().join("bad.csv");
    std::fs::copy(fixture("emergency_bad_line.csv"), &bad).unwrap();
    let fresh = self::db();
    let out = powermap(&fresh, &["import", "gsi-shelters", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("bad.csv: 5 行目: 緯度: 「北緯35度」は数値ではありません"), "{stderr}");
    assert!(shelters_by_id(&fresh).is_empty());
}

fn children_by_id(db: &Db) -> std::collections::BTreeMap<String, Value> {
    exported(db, "children")
}

#[test]
fn children_lists_from_two_divisions_merge_without_duplicates_or_silent_overwrites() {
    let db = db();
    let demo = format!("{}/fixtures/shiroi/children.geojson", env!("CARGO_MANIFEST_DIR"));
    assert!(powermap(&db, &["import", "children", &demo]).status.success());
    let before = children_by_id(&db);
    let header = "外部ID,氏名,ふりがな,生年月日,住所,町字,緯度,経度,保護者氏名,続柄,電話,情報提供の同意,災害リスク,機器1_種類,機器1_定格W,機器1_電源,機器1_バッテリー時間,機器1_生命維持";
    let csv = |rows: &[&str]| format!("\u{feff}{header}\r\n{}\r\n", rows.join("\r\n"));
    let write = |name: &str, body: String| {
        let path = db.dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        path.display().to_string()
    };
    // 健康課 reports child-001 (same kana and birth date) and a new child; one row has no position.
    let health = write(
        "health.csv",
        csv(&[
            "K-1,白井 陽翔（架空）,しろい はると,2019-05-14,,,,,,,,はい,洪水、地震,,,,,",
            "K-2,新規 花（架空）,しんき はな,2021-03-03,千葉県白井市笹塚（架空）,笹塚二丁目,35.80,140.03,新規 母（架空）,母,090-0000-9999,はい,地震,酸素濃縮装置,150,AC100V,4,はい",
            "K-3,位置 不明（架空）,いち ふめい,2022-01-01,,,,,,,,,,吸引器,80,AC100V,1,はい",
        ]),
    );
    let dry = powermap(&db, &["import", "children-csv", &health, "--source", "健康課", "--dry-run"]);
    assert!(dry.status.success());
    let report = String::from_utf8(dry.stdout).unwrap();
    assert!(
        report.contains("新規 1 人、統合 1 人、変更なし 0 人、食い違い 0 件、要確認 0 行、位置不明 1 行"),
        "{report}"
    );
    assert!(report.contains("位置不明 4 行目 位置 不明（架空）: 緯度・経度も住所もありません"), "{report}");
    assert_eq!(children_by_id(&db), before, "--dry-run writes nothing");

    let out = powermap(&db, &["import", "children-csv", &health, "--source", "健康課"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let after = children_by_id(&db);
    assert_eq!(after.len(), before.len() + 1, "one new child, no duplicate of child-001");
    assert_eq!(after["child-001"]["sources"], json!(["障害福祉課", "健康課"]));
    let new = after.values().find(|c| c["name"] == "新規 花（架空）").unwrap();
    assert_eq!(new["sources"], json!(["健康課"]));
    assert_eq!(new["external_ids"], json!(["健康課:K-2"]));

    // The same division reports K-2 again with another birth date: kept, surfaced, not applied.
    let again = write("again.csv", csv(&["K-2,新規 花（架空）,しんき はな,2021-03-04,,,,,,,,,,,,,,"]));
    let out = powermap(&db, &["import", "children-csv", &again, "--source", "健康課"]);
    assert!(out.status.success());
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(report.contains("食い違い 1 件"), "{report}");
    assert!(report.contains("食い違い 2 行目"), "the conflict names its line: {report}");
    let merged = children_by_id(&db);
    let new = merged.values().find(|c| c["name"] == "新規 花（架空）").unwrap();
    assert_eq!(new["birth_date"], "2021-03-03");
    assert_eq!(
        new["conflicts"],
        json!([{"field": "birth_date", "stored": "2021-03-03", "reported": "2021-03-04", "source": "健康課"}])
    );
    assert_eq!(merged.len(), after.len());

    // A bad row refuses the file with its line; nothing is written.
    let bad = write("bad.csv", csv(&["K-9,誤り（架空）,,,,,35.8,140.0,,,,,,人工心臓,50,AC100V,1,はい"]));
    let out = powermap(&db, &["import", "children-csv", &bad, "--source", "教育支援課"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("bad.csv: 2 行目: 機器1_種類: 「人工心臓」は機器の種類にありません"), "{stderr}");
    assert_eq!(children_by_id(&db), merged);
}

/// An HTTP stub (wiremock) on 127.0.0.1 with its runtime; unmatched requests answer 404.
struct Stub {
    server: wiremock::MockServer,
    runtime: tokio::runtime::Runtime,
}

impl Stub {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let server = runtime.block_on(wiremock::MockServer::start());
        Stub { server, runtime }
    }

    /// `GET path` (and, if given, `?q=`) answers `body`; the first mounted match wins.
    fn answer(&self, path: &str, q: Option<&str>, body: Vec<u8>) -> &Self {
        use wiremock::matchers;
        let mut mock = wiremock::Mock::given(matchers::method("GET")).and(matchers::path(path));
        if let Some(q) = q {
            mock = mock.and(matchers::query_param("q", q));
        }
        let priority = if q.is_some() { 1 } else { 5 };
        let mock = mock.respond_with(wiremock::ResponseTemplate::new(200).set_body_bytes(body)).with_priority(priority);
        self.runtime.block_on(mock.mount(&self.server));
        self
    }

    fn uri(&self) -> String {
        self.server.uri()
    }
}

#[test]
fn imports_fetch_urls_and_report_http_errors() {
    let db = db();
    let csv =
        std::fs::read(format!("{}/tests/fixtures/gsi/emergency_utf8_bom.csv", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let stub = Stub::start();
    stub.answer("/hinanbasho/12232.csv", None, csv);
    let base = stub.uri();
    let out = powermap(&db, &["import", "gsi-shelters", &format!("{base}/hinanbasho/12232.csv")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(shelters_by_id(&db).len(), 3);
    let out = powermap(&db, &["import", "shelters", &format!("{base}/missing.geojson")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("missing.geojson: HTTP 404"), "{stderr}");
}

#[test]
fn rows_without_coordinates_are_geocoded_by_the_address_search_or_reported() {
    let db = db();
    let fixture =
        |name: &str| std::fs::read(format!("{}/tests/fixtures/gsi/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let (found, loose) = (fixture("address_search_shiroi_sasazuka.json"), fixture("address_search_loose.json"));
    let stub = Stub::start();
    stub.answer("/address-search/AddressSearch", Some("千葉県白井市笹塚二丁目5-1"), found);
    stub.answer("/address-search/AddressSearch", None, loose);
    let base = stub.uri();
    let file = db.dir.path().join("list.csv");
    std::fs::write(
        &file,
        "氏名,ふりがな,生年月日,住所,機器1_種類,機器1_定格W,機器1_電源,機器1_バッテリー時間,機器1_生命維持\n\
         笹塚 葵（架空）,ささづか あおい,2020-02-02,千葉県白井市笹塚二丁目5-1,吸引器,80,AC100V,1,はい\n\
         遠方 蓮（架空）,えんぽう れん,2020-03-03,どこか遠くの町1-1,吸引器,80,AC100V,1,はい\n",
    )
    .unwrap();
    let url = format!("{base}/address-search/AddressSearch");
    let out = powermap(
        &db,
        &["import", "children-csv", file.to_str().unwrap(), "--source", "保育課", "--geocode", "--geocoder-url", &url],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(report.contains("新規 1 人") && report.contains("位置不明 1 行"), "{report}");
    assert!(report.contains("「千葉県白井市笹塚二丁目」の位置を使います"), "{report}");
    let out = powermap(&db, &["export", "children"]);
    let fc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let features = fc["features"].as_array().unwrap();
    assert_eq!(features.len(), 1, "the loose match was not taken as a guess");
    assert_eq!(features[0]["geometry"]["coordinates"], json!([140.0342, 35.8051]));
}

/// The children's list header the tests write (the README's layout).
const CHILD_HEADER: &str = "外部ID,氏名,ふりがな,生年月日,住所,町字,緯度,経度,保護者氏名,続柄,電話,情報提供の同意,災害リスク,機器1_種類,機器1_定格W,機器1_電源,機器1_バッテリー時間,機器1_生命維持";

/// Writes a text file into the test's directory; returns its path.
fn write_text(db: &Db, name: &str, body: &str) -> String {
    let path = db.dir.path().join(name);
    std::fs::write(&path, body).unwrap();
    path.display().to_string()
}

fn stdout_of(out: &std::process::Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn the_same_child_from_two_divisions_is_one_record_with_both_sources_and_a_birth_date_conflict() {
    let db = db();
    let health = write_text(
        &db,
        "health.csv",
        &format!(
            "{CHILD_HEADER}\nK-2,新規 花（架空）,しんき はな,2021-03-03,千葉県白井市笹塚（架空）,笹塚二丁目,35.80,140.03,新規 母（架空）,母,090-0000-9999,はい,地震,酸素濃縮装置,150,AC100V,4,はい\n"
        ),
    );
    stdout_of(&powermap(&db, &["import", "children-csv", &health, "--source", "健康課"]));
    // 保育課 writes the kana in katakana under フリガナ, a full-width space in the name, and
    // another birth date: the same child, the date kept as a conflict, not a second record.
    let childcare = write_text(
        &db,
        "childcare.csv",
        &format!(
            "{}\nH-9,新規　花（架空）,シンキ ハナ,2021/3/30,,,35.80,140.03,,,,,,,,,,\n",
            CHILD_HEADER.replace("ふりがな", "フリガナ")
        ),
    );
    let report = stdout_of(&powermap(&db, &["import", "children-csv", &childcare, "--source", "保育課"]));
    assert!(report.contains("新規 0 人、統合 1 人、変更なし 0 人、食い違い 1 件、要確認 1 行"), "{report}");
    assert!(
        report.contains("食い違い 2 行目") && report.contains("生年月日: 登録済み「2021-03-03」／保育課「2021-03-30」"),
        "{report}"
    );
    let children = children_by_id(&db);
    assert_eq!(children.len(), 1, "no duplicate: {children:?}");
    let child = children.values().next().unwrap();
    assert_eq!(child["sources"], json!(["健康課", "保育課"]));
    assert_eq!(child["birth_date"], "2021-03-03", "not overwritten");
    assert_eq!(child["external_ids"], json!(["健康課:K-2", "保育課:H-9"]));
    assert_eq!(
        child["conflicts"],
        json!([{"field": "birth_date", "stored": "2021-03-03", "reported": "2021-03-30", "source": "保育課"}])
    );
    // 教育支援課 has no birth date and no coordinates: still the same child, not "unlocated".
    let education =
        write_text(&db, "education.csv", &format!("{CHILD_HEADER}\nE-1,新規 花（架空）,しんき はな,,,,,,,,,,,,,,,\n"));
    let report = stdout_of(&powermap(&db, &["import", "children-csv", &education, "--source", "教育支援課"]));
    assert!(report.contains("統合 1 人") && report.contains("位置不明 0 行"), "{report}");
    let children = children_by_id(&db);
    assert_eq!(children.len(), 1);
    assert_eq!(children.values().next().unwrap()["sources"], json!(["健康課", "保育課", "教育支援課"]));
}

/// Access-log lines with `action` for `child_id`, read through the API as a planner.
fn access_log_count(db: &Db, child_id: &str, action: &str) -> usize {
    let token =
        String::from_utf8(powermap(db, &["token", "create", "--role", "planner", "--name", "t"]).stdout).unwrap();
    let (mut server, addr, _) = serve(db, &[]);
    let (status, log) =
        http(&addr, "GET", &format!("/api/v1/access-log?child_id={child_id}"), Some(token.trim()), None);
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(status, 200, "{log}");
    log.as_array().unwrap().iter().filter(|e| e["action"] == action).count()
}

#[test]
fn a_reimport_that_changes_nothing_is_reported_unchanged_and_not_rewritten() {
    let db = db();
    let list = write_text(
        &db,
        "list.csv",
        &format!(
            "{CHILD_HEADER}\nK-1,変化 なし（架空）,へんか なし,2020-04-04,,,35.80,140.03,,,,はい,,吸引器,80,AC100V,1,はい\n\
             K-2,座標 なし（架空）,ざひょう なし,2020-05-05,千葉県白井市復1（架空）,,,,,,,,,,,,,\n"
        ),
    );
    let first = stdout_of(&powermap(&db, &["import", "children-csv", &list, "--source", "健康課"]));
    assert!(first.contains("新規 1 人"), "{first}");
    assert!(
        first.contains(
            "位置不明 3 行目 座標 なし（架空）: 緯度・経度がありません（--geocode を付けると住所から位置を探します）"
        ),
        "no address lookup is claimed without --geocode: {first}"
    );
    let again = stdout_of(&powermap(&db, &["import", "children-csv", &list, "--source", "健康課"]));
    assert!(again.contains("新規 0 人、統合 0 人、変更なし 1 人"), "{again}");
    let id = children_by_id(&db).into_keys().next().unwrap();
    assert_eq!(access_log_count(&db, &id, "import"), 1, "only the write that created the child is logged");
}

const EMERGENCY_HEADER: &str = "NO,共通ID,施設・場所名,住所,洪水,崖崩れ、土石流及び地滑り,高潮,地震,津波,大規模な火事,内水氾濫,火山現象,指定避難所との住所同一,緯度,経度,備考";
const DESIGNATED_HEADER: &str = "NO,共通ID,施設・場所名,住所,受入対象者,緯度,経度,備考";

#[test]
fn a_national_reimport_keeps_local_edits_and_both_layouts_merge_in_either_order() {
    let db = db();
    let demo = format!("{}/fixtures/shiroi/shelters.geojson", env!("CARGO_MANIFEST_DIR"));
    assert!(powermap(&db, &["import", "shelters", &demo]).status.success());
    let before = shelters_by_id(&db)["sh-001"].clone();
    assert_eq!(before["gsi_id"], "122320001");
    let emergency = write_text(
        &db,
        "emergency.csv",
        &format!(
            "{EMERGENCY_HEADER}\n1,122320001,白井第一小学校（国）,千葉県白井市白井1,,,,1,,,,,1,35.7950,140.0600,\n"
        ),
    );
    let designated = write_text(
        &db,
        "designated.csv",
        &format!(
            "{DESIGNATED_HEADER}\n1,122320001,白井第一小学校（国）,千葉県白井市白井1,要配慮者,35.7950,140.0600,\n"
        ),
    );
    let report = stdout_of(&powermap(&db, &["import", "gsi-shelters", &emergency]));
    assert!(report.contains("新規 0 件、更新 1 件"), "{report}");
    let after = shelters_by_id(&db)["sh-001"].clone();
    assert_eq!(after["name"], "白井第一小学校（国）");
    assert_eq!(after["hazards"], json!(["earthquake"]), "the emergency-site file owns the hazards");
    assert_eq!(after["kind"], "designated", "not downgraded to emergency_site");
    for local in ["power_point_ids", "accessible", "contact", "district", "accepts", "capacity_people"] {
        assert_eq!(after[local], before[local], "{local} survives");
    }
    stdout_of(&powermap(&db, &["import", "gsi-shelters", &designated]));
    let after = shelters_by_id(&db)["sh-001"].clone();
    assert_eq!((after["accepts"].clone(), after["hazards"].clone()), (json!("要配慮者"), json!(["earthquake"])));
    assert_eq!(after["power_point_ids"], before["power_point_ids"]);

    // Fresh registers, both files, either order: one record, designated, hazards and accepts.
    let mut results = Vec::new();
    for order in [[&emergency, &designated], [&designated, &emergency]] {
        let fresh = self::db();
        for file in order {
            stdout_of(&powermap(&fresh, &["import", "gsi-shelters", file]));
        }
        results.push(shelters_by_id(&fresh));
    }
    assert_eq!(results[0], results[1]);
    let site = &results[0]["gsi-122320001"];
    assert_eq!((site["kind"].clone(), site["hazards"].clone()), (json!("designated"), json!(["earthquake"])));
    assert_eq!(site["accepts"], "要配慮者");
}

#[test]
fn gsi_dry_run_reports_without_writing_and_distinct_ids_stay_distinct() {
    let db = db();
    let file = write_text(
        &db,
        "collide.csv",
        &format!(
            "{EMERGENCY_HEADER}\n1,12232 001,空白,住所,1,,,,,,,,,35.79,140.05,\n2,12232_001,下線,住所,1,,,,,,,,,35.79,140.06,\n"
        ),
    );
    let report = stdout_of(&powermap(&db, &["import", "gsi-shelters", &file, "--dry-run"]));
    assert!(report.contains("新規 2 件、更新 0 件、変更なし 0 件（--dry-run: 書き込みません）"), "{report}");
    assert!(shelters_by_id(&db).is_empty());
    stdout_of(&powermap(&db, &["import", "gsi-shelters", &file]));
    let stored = shelters_by_id(&db);
    let names: Vec<_> = stored.values().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 2, "{stored:?}");
    assert!(names.contains(&"空白") && names.contains(&"下線"));
}

#[test]
fn import_options_a_kind_does_not_use_are_refused() {
    let db = db();
    let geojson = write_file(
        &db,
        "p.geojson",
        &json!({"type": "FeatureCollection", "features": [point("a", json!([{"type": "ac100v", "count": 1, "max_w": 900}]))]}),
    );
    let gsi = format!("{}/tests/fixtures/gsi/emergency_utf8_bom.csv", env!("CARGO_MANIFEST_DIR"));
    let children = write_text(&db, "c.csv", &format!("{CHILD_HEADER}\n"));
    for (args, flag) in [
        (vec!["import", "power-points", &geojson, "--dry-run"], "--dry-run"),
        (vec!["import", "power-points", &geojson, "--geocode"], "--geocode"),
        (vec!["import", "gsi-shelters", &gsi, "--source", "健康課"], "--source"),
        (vec!["import", "children-csv", &children, "--geocoder-url", "http://127.0.0.1:9/"], "--geocoder-url"),
    ] {
        let out = powermap(&db, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(flag), "{stderr}");
    }
    assert!(exported_ids(&db).is_empty() && shelters_by_id(&db).is_empty(), "nothing written");
}

#[test]
fn national_rows_without_coordinates_are_refused_or_geocoded() {
    let db = db();
    let found =
        std::fs::read(format!("{}/tests/fixtures/gsi/address_search_shiroi_sasazuka.json", env!("CARGO_MANIFEST_DIR")))
            .unwrap();
    let stub = Stub::start();
    stub.answer("/address-search/AddressSearch", Some("白井市笹塚２丁目5-1"), found);
    let base = stub.uri();
    let file = write_text(
        &db,
        "nolatlon.csv",
        &format!("{EMERGENCY_HEADER}\n1,E-001,笹塚集会所（テスト）,白井市笹塚２丁目5-1,1,,,,,,,,,,,\n"),
    );
    let out = powermap(&db, &["import", "gsi-shelters", &file]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("nolatlon.csv: 2 行目: 緯度・経度がありません"), "{stderr}");
    assert!(shelters_by_id(&db).is_empty());
    let url = format!("{base}/address-search/AddressSearch");
    let report = stdout_of(&powermap(&db, &["import", "gsi-shelters", &file, "--geocode", "--geocoder-url", &url]));
    assert!(
        report.contains("住所検索 2 行目 笹塚集会所（テスト）: 「千葉県白井市笹塚二丁目」の位置を使います"),
        "{report}"
    );
    let out = powermap(&db, &["export", "shelters"]);
    let fc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(fc["features"][0]["geometry"]["coordinates"], json!([140.0342, 35.8051]));
}

#[test]
fn an_unreachable_url_names_the_cause() {
    let db = db();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let list = write_text(
        &db,
        "list.csv",
        &format!("{CHILD_HEADER}\nK-1,遠方（架空）,えんぽう,2020-01-01,白井市復1,,,,,,,,,,,,,\n"),
    );
    for args in [
        vec!["import".to_owned(), "gsi-shelters".into(), format!("http://127.0.0.1:{port}/x.csv")],
        vec![
            "import".to_owned(),
            "children-csv".into(),
            list,
            "--geocode".into(),
            "--geocoder-url".into(),
            format!("http://127.0.0.1:{port}/search"),
        ],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = powermap(&db, &args);
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(&format!("127.0.0.1:{port}")) && stderr.contains("Connection refused"), "{stderr}");
    }
}

#[test]
fn child_reads_beside_a_long_import_are_answered_and_logged_and_api_writes_never_500() {
    let db = db();
    let token =
        String::from_utf8(powermap(&db, &["token", "create", "--role", "planner", "--name", "t"]).stdout).unwrap();
    let token = token.trim();
    let (mut server, addr, _) = serve(&db, &[]);
    let child = json!({"type": "Feature", "id": "child-001", "geometry": {"type": "Point", "coordinates": [140.05, 35.79]},
        "properties": {"name": "テスト（架空）", "devices": [{"id": "v", "kind": "ventilator", "rated_w": 150,
            "input": "ac100v", "battery_h": 6, "life_critical": true}]}});
    assert_eq!(http(&addr, "POST", "/api/v1/children", Some(token), Some(&child)).0, 201);
    let features: Vec<Value> = (0..50_000)
        .map(|i| point(&format!("bulk-{i:06}"), json!([{"type": "ac100v", "count": 1, "max_w": 900}])))
        .collect();
    let file = write_file(&db, "bulk.geojson", &json!({"type": "FeatureCollection", "features": features}));
    let mut import = Command::new(BIN)
        .arg("--db")
        .arg(&db.url)
        .args(["import", "power-points", &file])
        .env("RUST_LOG", "off")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let (mut reads, mut writes) = (0, Vec::new());
    while import.try_wait().unwrap().is_none() {
        let (status, answer) = http(&addr, "GET", "/api/v1/children/child-001", Some(token), None);
        assert_eq!(status, 200, "a child read beside the import: {answer}");
        reads += 1;
        let (status, answer) = http(
            &addr,
            "PUT",
            "/api/v1/power-points/api-write",
            Some(token),
            Some(&point("api-write", json!([{"type": "ac100v", "count": 1, "max_w": 900}]))),
        );
        assert!(matches!(status, 200 | 201 | 503), "an API write beside the import: {status} {answer}");
        writes.push(status);
    }
    assert!(import.wait().unwrap().success());
    let (_, log) = http(&addr, "GET", "/api/v1/access-log?child_id=child-001&limit=100000", Some(token), None);
    server.kill().unwrap();
    server.wait().unwrap();
    let logged = log.as_array().unwrap().iter().filter(|e| e["action"] == "read").count();
    assert_eq!(logged, reads, "every read answered was logged first");
    let busy = writes.iter().filter(|s| **s == 503).count();
    eprintln!("{reads} reads and {} API writes ({busy} answered 503) beside the import", writes.len());
}

/// `token create` with these arguments, insisting on success; returns the secret.
fn new_token(db: &Db, args: &[&str]) -> String {
    let out = powermap(db, &[&["token", "create"], args].concat());
    stdout_of(&out).trim().to_owned()
}

/// `token list --format json`, by name (the tests give each live name once).
fn listed(db: &Db) -> Vec<Value> {
    let out = powermap(db, &["token", "list", "--format", "json"]);
    let list: Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    list.as_array().unwrap().clone()
}

/// Runs a command expected to fail; returns its one-line reason.
#[track_caller]
fn one_line_failure(out: std::process::Output) -> String {
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    stderr
}

#[test]
fn token_list_never_shows_a_secret_and_revoke_takes_an_id_or_an_unambiguous_name() {
    let db = db();
    let demo = format!("{}/fixtures/shiroi/children.geojson", env!("CARGO_MANIFEST_DIR"));
    assert!(powermap(&db, &["import", "children", &demo]).status.success());
    let secrets = [
        new_token(&db, &["--role", "planner", "--name", "危機管理課 当直"]),
        new_token(&db, &["--role", "coordinator", "--name", "障害福祉課", "--expires", "2099-12-31"]),
        new_token(&db, &["--role", "family", "--child", "child-001", "--child", "child-002", "--name", "山田家"]),
        new_token(&db, &["--role", "coordinator", "--name", "障害福祉課"]),
    ];
    let table = stdout_of(&powermap(&db, &["token", "list"]));
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("ID") && lines[0].contains("名前") && lines[0].contains("最終利用"), "{table}");
    assert_eq!(lines.len(), 6, "header, four tokens, count: {table}");
    assert!(
        table.contains("child-001,child-002") && table.contains("2099-12-31") && table.contains("山田家"),
        "{table}"
    );
    // Columns line up as a terminal draws them (Japanese characters are two columns wide).
    let role_column = |line: &str| {
        let at = ["planner", "coordinator", "family", "権限"].iter().filter_map(|r| line.find(r)).min().unwrap();
        unicode_width::UnicodeWidthStr::width(&line[..at])
    };
    assert!(lines[..5].iter().all(|l| role_column(l) == role_column(lines[0])), "{table}");
    let json = serde_json::to_string(&listed(&db)).unwrap();
    for secret in &secrets {
        let hash = powermap::http::hash_token(secret);
        assert!(!table.contains(secret.as_str()) && !table.contains(&hash), "the table shows a secret or its hash");
        assert!(!json.contains(secret.as_str()) && !json.contains(&hash), "the JSON shows a secret or its hash");
    }
    assert!(listed(&db).iter().all(|t| t.get("hash").is_none() && t["id"].as_str().unwrap().starts_with("tok-")));

    let ids = |name: &str| -> Vec<String> {
        listed(&db).iter().filter(|t| t["name"] == name).map(|t| t["id"].as_str().unwrap().to_owned()).collect()
    };
    let twins = ids("障害福祉課");
    let reason = one_line_failure(powermap(&db, &["token", "revoke", "障害福祉課"]));
    assert!(reason.contains(&twins[0]) && reason.contains(&twins[1]), "an ambiguous name lists the ids: {reason}");
    assert!(stdout_of(&powermap(&db, &["token", "revoke", &twins[1]])).contains("失効させました"));
    assert!(stdout_of(&powermap(&db, &["token", "revoke", "障害福祉課"])).contains(&twins[0]), "one live token left");
    assert!(stdout_of(&powermap(&db, &["token", "revoke", "危機管理課 当直"])).contains("失効させました"));
    assert!(
        stdout_of(&powermap(&db, &["token", "revoke", "危機管理課 当直"])).contains("失効済み"),
        "again: no change"
    );
    let reason = one_line_failure(powermap(&db, &["token", "revoke", "nobody"]));
    assert!(reason.contains("nobody"), "{reason}");

    let revoked: Vec<(String, bool)> =
        listed(&db).iter().map(|t| (t["name"].as_str().unwrap().to_owned(), !t["revoked_at"].is_null())).collect();
    assert_eq!(
        revoked,
        [
            ("危機管理課 当直".into(), true),
            ("障害福祉課".into(), true),
            ("山田家".into(), false),
            ("障害福祉課".into(), true)
        ]
    );
    let table = stdout_of(&powermap(&db, &["token", "list"]));
    assert_eq!(table.matches("失効 ").count(), 3, "{table}");
}

#[test]
fn token_names_and_expiry_dates_are_checked_when_made() {
    let db = db();
    for (date, needle) in [("2027/03/31", "YYYY-MM-DD"), ("2027-02-30", "YYYY-MM-DD"), ("2020-01-01", "already past")] {
        let out = powermap(&db, &["token", "create", "--role", "planner", "--name", "x", "--expires", date]);
        let reason = one_line_failure(out);
        assert!(reason.contains("--expires") && reason.contains(needle), "{reason}");
    }
    let reason = one_line_failure(powermap(&db, &["token", "create", "--role", "planner", "--name", "a\nb"]));
    assert!(reason.contains("--name") && reason.contains("control"), "{reason}");
    assert!(listed(&db).is_empty(), "nothing was stored");
}

/// Today's date in Japan, as the server judges expiry.
fn today_in_japan() -> time::Date {
    time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+9)).date()
}

/// Moves a token's last day, as if time had passed (the command refuses past dates).
fn set_expiry(db: &Db, name: &str, last_day: time::Date) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
        let done = sqlx::query("UPDATE tokens SET expires_on = $1 WHERE name = $2")
            .bind(last_day.to_string())
            .bind(name.to_owned())
            .execute(&mut conn)
            .await
            .unwrap();
        assert_eq!(done.rows_affected(), 1);
    });
}

#[test]
fn a_running_server_accepts_a_token_all_of_its_last_day_and_refuses_it_after_or_once_revoked() {
    let db = db();
    let today = today_in_japan().to_string();
    let last_day = new_token(&db, &["--role", "coordinator", "--name", "今日まで", "--expires", &today]);
    let past = new_token(&db, &["--role", "coordinator", "--name", "昨日まで", "--expires", &today]);
    set_expiry(&db, "昨日まで", today_in_japan().previous_day().unwrap());
    let doomed = new_token(&db, &["--role", "coordinator", "--name", "失効予定"]);
    let (mut server, addr, _) = serve(&db, &[]);
    let audit = "/api/v1/plans/audit";
    assert_eq!(http(&addr, "GET", audit, Some(&last_day), None).0, 200, "accepted on its last day");
    let (status, answer) = http(&addr, "GET", audit, Some(&past), None);
    assert_eq!((status, answer["error"]["code"].as_str()), (401, Some("token_expired")), "{answer}");
    assert_eq!(http(&addr, "GET", audit, Some(&doomed), None).0, 200, "cached by the server now");
    assert!(stdout_of(&powermap(&db, &["token", "revoke", "失効予定"])).contains("失効させました"));
    let revoked = std::time::Instant::now();
    let refused = loop {
        let (status, answer) = http(&addr, "GET", audit, Some(&doomed), None);
        if status == 401 || revoked.elapsed() > std::time::Duration::from_secs(3) {
            break (status, answer);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    eprintln!("the server refused the token revoked from the command line after {:?}", revoked.elapsed());
    assert_eq!((refused.0, refused.1["error"]["code"].as_str()), (401, Some("token_revoked")), "{}", refused.1);
    // A graceful stop writes the last uses the background writer has not reached yet.
    let stopped = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(stopped.success());
    assert!(server.wait().unwrap().success());
    let used: Vec<(String, bool)> =
        listed(&db).iter().map(|t| (t["name"].as_str().unwrap().to_owned(), !t["last_used_at"].is_null())).collect();
    assert_eq!(used, [("今日まで".into(), true), ("昨日まで".into(), false), ("失効予定".into(), true)]);
}

/// Runs `f` on the store behind `db` (the command line has no incident creation yet).
fn with_store<T>(db: &Db, f: impl AsyncFnOnce(powermap::store::Store) -> T) -> T {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = powermap::store::Store::connect(&db.url).await.unwrap();
        f(store).await
    })
}

#[test]
fn incident_outages_from_a_file_all_or_nothing_and_again_with_restored_at() {
    let db = db();
    with_store(&db, async |store| {
        let started_at = time::macros::datetime!(2026-09-09 00:00 UTC);
        let incident = powermap::domain::incident::Incident {
            id: "inc-1".into(),
            name: "台風（架空）".into(),
            started_at,
            closed_at: None,
            notes: None,
        };
        store.incidents().create(&incident).await.unwrap();
    });
    let area = |id: &str, restored: Value| {
        let district = if id == "fuku" { "復" } else { "笹塚" };
        json!({"type": "Feature", "id": id, "geometry": null,
               "properties": {"district": district, "since": "2026-09-09T01:00:00+09:00", "restored_at": restored}})
    };
    let stored = |db: &Db| with_store(db, async |store| store.incidents().outages("inc-1").await.unwrap());
    let mut bad = area("fuku", Value::Null);
    bad["properties"]["since"] = json!("yesterday");
    let file = write_file(
        &db,
        "bad.geojson",
        &json!({"type": "FeatureCollection", "features": [area("sasazuka", Value::Null), bad]}),
    );
    let out = powermap(&db, &["incident", "outages", "--incident", "inc-1", &file]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("bad.geojson") && stderr.contains("feature 1") && stderr.contains("properties.since"),
        "{stderr}"
    );
    assert!(stored(&db).is_empty(), "nothing was written");

    let file = write_file(
        &db,
        "out.geojson",
        &json!({"type": "FeatureCollection", "features": [area("sasazuka", Value::Null), area("fuku", Value::Null)]}),
    );
    let out = powermap(&db, &["incident", "outages", "--incident", "inc-1", &file]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stored(&db).len(), 2);
    let file = write_file(&db, "restored.geojson", &area("fuku", json!("2026-09-09T05:00:00+09:00")));
    assert!(powermap(&db, &["incident", "outages", "--incident", "inc-1", &file]).status.success());
    let areas = stored(&db);
    let fuku = areas.iter().find(|a| a.id == "fuku").unwrap();
    assert_eq!(fuku.restored_at, Some(time::macros::datetime!(2026-09-09 05:00 +9)));
    let out = powermap(&db, &["incident", "outages", "--incident", "no-such", &file]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no incident no-such"));
}

/// The utility's XML at one update: (district, households).
fn outage_xml(updated: &str, listed: &[(&str, u64)]) -> Vec<u8> {
    let areas: String = listed
        .iter()
        .enumerate()
        .map(|(i, (name, n))| format!("<エリア コード=\"{i}\"><名前>{name}</名前><停電軒数>{n}</停電軒数></エリア>"))
        .collect();
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><停電情報><更新日時>{updated}</更新日時><エリア一覧>{areas}</エリア一覧></停電情報>")
        .into_bytes()
}

#[test]
fn a_bounded_watch_of_the_utilitys_xml_turns_listed_and_unlisted_into_since_and_restored_at() {
    let db = db();
    with_store(&db, async |store| {
        let started_at = time::macros::datetime!(2026-09-09 00:00 +9);
        let incident = powermap::domain::incident::Incident {
            id: "inc-1".into(),
            name: "台風".into(),
            started_at,
            closed_at: None,
            notes: None,
        };
        store.incidents().create(&incident).await.unwrap();
    });
    let stub = Stub::start();
    let snapshots = [
        outage_xml("202609090100", &[("復", 120), ("根", 40)]),
        outage_xml("202609090130", &[("復", 80), ("根", 40), ("清水口", 5)]),
        outage_xml("202609090200", &[("清水口", 5)]),
    ];
    // One answer each, in order: a mock that has answered once stops matching.
    for (i, body) in snapshots.into_iter().enumerate() {
        let mock = wiremock::Mock::given(wiremock::matchers::path("/outages.xml"))
            .respond_with(wiremock::ResponseTemplate::new(200).set_body_bytes(body))
            .up_to_n_times(1)
            .with_priority(i as u8 + 1);
        stub.runtime.block_on(mock.mount(&stub.server));
    }
    let url = format!("{}/outages.xml", stub.uri());
    let args =
        ["incident", "outages", "--incident", "inc-1", &url, "--format", "tepco-xml", "--watch", "0", "--times", "3"];
    let out = powermap(&db, &args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let areas = with_store(&db, async |store| store.incidents().outages("inc-1").await.unwrap());
    let jst = |hm: &str| {
        time::OffsetDateTime::parse(
            &format!("2026-09-09T{hm}:00+09:00"),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    let mut by: Vec<_> = areas
        .iter()
        .map(|a| (a.district.clone().unwrap(), a.since, a.restored_at, a.households, a.source.clone()))
        .collect();
    by.sort_by(|a, b| a.0.cmp(&b.0));
    let tepco = Some("tepco".to_owned());
    assert_eq!(
        by,
        [
            ("復".to_owned(), jst("01:00"), Some(jst("02:00")), Some(80), tepco.clone()),
            ("根".to_owned(), jst("01:00"), Some(jst("02:00")), Some(40), tepco.clone()),
            ("清水口".to_owned(), jst("01:30"), None, Some(5), tepco.clone()),
        ]
    );
    // The feed now answers 404: a first reading that fails is an error, nothing changes.
    let out = powermap(&db, &["incident", "outages", "--incident", "inc-1", &url, "--format", "tepco-xml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HTTP 404"));
}

/// A square of the national data's flood attributes (A31a) or of the API's own.
fn zone_feature(id: &str, props: Value) -> Value {
    json!({"type": "Feature", "id": id, "properties": props, "geometry": {"type": "Polygon",
           "coordinates": [[[140.04, 35.78], [140.06, 35.78], [140.06, 35.80], [140.04, 35.80], [140.04, 35.78]]]}})
}

#[test]
fn hazard_zones_import_national_attributes_all_or_nothing_and_export() {
    let db = db();
    let bad = json!({"type": "FeatureCollection", "features": [
        zone_feature("ok", json!({"A31a_205": 3})),
        zone_feature("slope", json!({"A33_001": 1, "A33_002": 3})),
    ]});
    let out = powermap(&db, &["import", "hazard-zones", &write_file(&db, "bad.geojson", &bad)]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("record 2") && err.contains("properties.level"), "{err}");
    let exported =
        |db: &Db| -> Value { serde_json::from_slice(&powermap(db, &["export", "hazard-zones"]).stdout).unwrap() };
    assert_eq!(exported(&db)["features"], json!([]), "nothing was imported");
    let good = json!({"type": "FeatureCollection", "features": [
        zone_feature("river", json!({"A31a_205": "4", "A31a_001": "神崎川"})),
        zone_feature("slope", json!({"A33_001": 1, "A33_002": 2})),
        zone_feature("sea", json!({"level": 2})),
    ]});
    let file = write_file(&db, "zones.geojson", &good);
    let out = powermap(&db, &["import", "hazard-zones", &file, "--hazard", "tsunami"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let fc = exported(&db);
    let got: Vec<(String, String, u64)> = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().into(),
                f["properties"]["hazard"].as_str().unwrap().into(),
                f["properties"]["level"].as_u64().unwrap(),
            )
        })
        .collect();
    let want = [("river", "flood", 4), ("sea", "tsunami", 2), ("slope", "landslide", 2)];
    assert_eq!(got, want.map(|(i, h, l)| (i.to_owned(), h.to_owned(), l)));
    // An option another kind uses is refused, not ignored.
    let out = powermap(&db, &["import", "hazard-zones", &file, "--dry-run"]);
    assert_eq!(out.status.code(), Some(1));
    // A corrected file of the same source replaces the whole set: "sea" is gone, "slope" changed;
    // another source's zones stay.
    let other = json!({"type": "FeatureCollection", "features": [zone_feature("city", json!({"hazard": "flood", "level": 1}))]});
    assert!(powermap(&db, &["import", "hazard-zones", &write_file(&db, "city.geojson", &other)]).status.success());
    let corrected = json!({"type": "FeatureCollection", "features": [
        zone_feature("river", json!({"A31a_205": 4})),
        zone_feature("slope", json!({"A33_001": 1, "A33_002": 1})),
    ]});
    std::fs::write(&file, serde_json::to_vec(&corrected).unwrap()).unwrap();
    assert!(powermap(&db, &["import", "hazard-zones", &file]).status.success());
    let fc = exported(&db);
    let levels: Vec<(&str, u64, &str)> = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap(),
                f["properties"]["level"].as_u64().unwrap(),
                f["properties"]["source"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(levels, [("city", 1, "city"), ("river", 4, "zones"), ("slope", 1, "zones")]);
}

/// One Shapefile record: its ring of (lon, lat), name, hazard and level.
type ShapeRecord<'a> = (Vec<(f64, f64)>, &'a str, &'a str, u8);

/// A zipped Shapefile of the given records (a ring of (lon, lat) each, with `name`,
/// `hazard` and `level` columns), its `.dbf` in `encoding`, with a `.cpg` naming it or none.
fn zipped_shapefile(
    db: &Db,
    file: &str,
    records: &[ShapeRecord],
    encoding: &'static encoding_rs::Encoding,
    cpg: Option<&str>,
) -> String {
    use shapefile::dbase::{self, FieldValue};
    let dir = db.dir.path().join(format!("{file}.parts"));
    std::fs::create_dir_all(&dir).unwrap();
    let table = dbase::TableWriterBuilder::with_encoding(dbase::encoding::EncodingRs::from(encoding))
        .add_character_field("name".try_into().unwrap(), 80)
        .add_character_field("hazard".try_into().unwrap(), 20)
        .add_numeric_field("level".try_into().unwrap(), 2, 0);
    {
        let mut writer = shapefile::Writer::from_path(dir.join("zones.shp"), table).unwrap();
        for (ring, name, hazard, level) in records {
            let points = ring.iter().map(|&(x, y)| shapefile::Point::new(x, y)).collect();
            let polygon = shapefile::Polygon::new(shapefile::PolygonRing::Outer(points));
            let mut record = dbase::Record::default();
            record.insert("name".into(), FieldValue::Character(Some((*name).into())));
            record.insert("hazard".into(), FieldValue::Character(Some((*hazard).into())));
            record.insert("level".into(), FieldValue::Numeric(Some(f64::from(*level))));
            writer.write_shape_and_record(&polygon, &record).unwrap();
        }
    }
    let path = db.dir.path().join(file);
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    for ext in ["shp", "shx", "dbf"] {
        zip.start_file(format!("A31a-demo/zones.{ext}"), options).unwrap();
        zip.write_all(&std::fs::read(dir.join(format!("zones.{ext}"))).unwrap()).unwrap();
    }
    if let Some(cpg) = cpg {
        zip.start_file("A31a-demo/zones.cpg", options).unwrap();
        zip.write_all(cpg.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    path.display().to_string()
}

#[test]
fn hazard_zones_import_a_zipped_shapefile_in_shift_jis_or_utf8_and_refuse_a_broken_record() {
    let square = vec![(140.04, 35.78), (140.04, 35.80), (140.06, 35.80), (140.06, 35.78), (140.04, 35.78)];
    let bow_tie = vec![(140.04, 35.78), (140.06, 35.80), (140.06, 35.78), (140.04, 35.80), (140.04, 35.78)];
    for (encoding, cpg) in
        [(encoding_rs::SHIFT_JIS, Some("SJIS")), (encoding_rs::SHIFT_JIS, None), (encoding_rs::UTF_8, Some("UTF-8"))]
    {
        let db = db();
        let records = [(square.clone(), "神崎川（テスト）", "flood", 3), (bow_tie.clone(), "二重川", "flood", 2)];
        let bad = zipped_shapefile(&db, "bad.zip", &records, encoding, cpg);
        let out = powermap(&db, &["import", "hazard-zones", &bad]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("record 2") && err.contains("geometry"), "{cpg:?}: {err}");
        let good = zipped_shapefile(&db, "good.zip", &records[..1], encoding, cpg);
        let out = powermap(&db, &["import", "hazard-zones", &good]);
        assert!(out.status.success(), "{cpg:?}: {}", String::from_utf8_lossy(&out.stderr));
        let fc: Value = serde_json::from_slice(&powermap(&db, &["export", "hazard-zones"]).stdout).unwrap();
        let zone = &fc["features"][0]["properties"];
        assert_eq!(
            (zone["name"].as_str(), zone["level"].as_u64()),
            (Some("神崎川（テスト）"), Some(3)),
            "{cpg:?}: {fc}"
        );
    }
}
