//! Small helpers: a fresh app on its own database, requests, and test data builders.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use powermap::config::ServeConfig;
use powermap::domain::auth::{Role, TokenRecord};
use powermap::http::{AppState, app, hash_token};
use powermap::store::Store;
use serde_json::{Value, json};
use tower::ServiceExt;

/// A running app with its database, and tokens for each role.
pub struct TestApp {
    pub router: Router,
    pub store: Store,
    /// The database's URL.
    pub url: String,
    /// Whether the family token has been bound to `child-a` (on its first seeding).
    family_bound: std::sync::atomic::AtomicBool,
    _dir: tempfile::TempDir,
}

pub const PLANNER: &str = "t-planner";
pub const COORDINATOR: &str = "t-coordinator";
pub const FAMILY: &str = "t-family";

impl TestApp {
    /// A new app on an empty SQLite file, with a planner, a coordinator and a family
    /// token, bound to `child-a` when [`TestApp::seed`] first stores it (a binding refers
    /// to a stored child).
    pub async fn new() -> Self {
        Self::pair_with_sync(None).await.0
    }

    /// Two instances on one database, each following changes (poll interval `poll`), plus the URL.
    pub async fn pair(poll: std::time::Duration) -> (Self, Self, String) {
        let (a, url) = Self::pair_with_sync(Some(poll)).await;
        let store = Store::connect(&url).await.unwrap();
        let state = AppState::load(store.clone(), ServeConfig::default()).await.unwrap();
        state.follow(&url, poll);
        let b = Self {
            router: app(state),
            store,
            url: url.clone(),
            family_bound: true.into(),
            _dir: tempfile::tempdir().unwrap(),
        };
        (a, b, url)
    }

    async fn pair_with_sync(poll: Option<std::time::Duration>) -> (Self, String) {
        let dir = tempfile::tempdir().unwrap();
        let url = database_url(&dir).await;
        let store = Store::connect(&url).await.unwrap();
        for (secret, role, children) in
            [(PLANNER, Role::Planner, vec![]), (COORDINATOR, Role::Coordinator, vec![]), (FAMILY, Role::Family, vec![])]
        {
            let t = TokenRecord { hash: hash_token(secret), name: format!("{secret}-name"), role, child_ids: children };
            store.tokens().create(&t, false).await.unwrap();
        }
        let state = AppState::load(store.clone(), ServeConfig::default()).await.unwrap();
        // Every instance runs its follower: it is the only writer of the indexes. Alone, a
        // local write wakes it at once, so a long poll changes nothing.
        state.follow(&url, poll.unwrap_or(std::time::Duration::from_secs(1)));
        (Self { router: app(state), store, url: url.clone(), family_bound: false.into(), _dir: dir }, url)
    }

    /// Sends a request; returns the status and the JSON body (`Null` when empty).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> (StatusCode, Value) {
        send(self.router.clone(), method, path, token, body).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call("GET", path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
        self.call("POST", path, token, Some(serde_json::to_vec(body).unwrap())).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
        self.call("PUT", path, token, Some(serde_json::to_vec(body).unwrap())).await
    }

    /// Posts as planner and insists on 201; the first `child-a` stored is bound to the
    /// family token.
    pub async fn seed(&self, path: &str, body: Value) {
        let (status, answer) = self.post(path, Some(PLANNER), &body).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let has_child_a = answer["id"] == "child-a"
            || answer["features"].as_array().is_some_and(|f| f.iter().any(|f| f["id"] == "child-a"));
        if path == "/api/v1/children"
            && has_child_a
            && !self.family_bound.swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            let t = TokenRecord {
                hash: hash_token(FAMILY),
                name: format!("{FAMILY}-name"),
                role: Role::Family,
                child_ids: vec!["child-a".into()],
            };
            self.store.tokens().create(&t, false).await.unwrap();
        }
    }
}

/// Sends a request to a router (owned, so it can run in a spawned task); returns the status
/// and the JSON body (`Null` when empty, a string when not JSON).
pub async fn send(
    router: Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Vec<u8>>,
) -> (StatusCode, Value) {
    let req = match body {
        Some(body) => request(method, path, token, Body::from(body)),
        None => request(method, path, token, Body::empty()),
    };
    let res = router.oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    (status, json)
}

/// A request with an optional bearer token; a non-empty body is sent as JSON.
pub fn request(method: &str, path: &str, token: Option<&str>, body: Body) -> Request<Body> {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if axum::body::HttpBody::size_hint(&body).upper() != Some(0) {
        req = req.header("content-type", "application/json");
    }
    req.body(body).unwrap()
}

/// Whether this pass runs on PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("POWERMAP_TEST_BACKEND").as_deref() == Ok("postgres")
}

/// A fresh database for one test: a SQLite file, or with `POWERMAP_TEST_BACKEND=postgres`
/// a new database on the server at `POWERMAP_TEST_PG`, so tests never share state.
pub async fn database_url(dir: &tempfile::TempDir) -> String {
    if !on_postgres() {
        return format!("sqlite://{}", dir.path().join("test.db").display());
    }
    let server = std::env::var("POWERMAP_TEST_PG").expect("POWERMAP_TEST_BACKEND=postgres needs POWERMAP_TEST_PG");
    let name = format!("t_{:016x}", rand::random::<u64>());
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await.unwrap();
    let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(&server);
    format!("{base}/{name}")
}

/// A FeatureCollection of the given features.
pub fn fc(features: Vec<Value>) -> Value {
    json!({"type": "FeatureCollection", "features": features})
}

/// A power point with one group of AC outlets.
pub fn power_point(id: &str, lon: f64, lat: f64, outlets: u32, max_w: f64, pure_sine: bool) -> Value {
    json!({"type": "Feature", "id": id, "geometry": {"type": "Point", "coordinates": [lon, lat]},
           "properties": {"name": format!("電源 {id}"), "kind": "generator", "capacity_w": max_w * outlets as f64,
                          "pure_sine": pure_sine, "status": "available", "district": "白井",
                          "outlets": [{"type": "ac100v", "count": outlets, "max_w": max_w}]}})
}

/// A shelter.
pub fn shelter(id: &str, lon: f64, lat: f64, hazards: &[&str], power: &[&str]) -> Value {
    json!({"type": "Feature", "id": id, "geometry": {"type": "Point", "coordinates": [lon, lat]},
           "properties": {"name": format!("避難所 {id}"), "kind": "designated", "hazards": hazards,
                          "power_point_ids": power, "district": "白井"}})
}

/// A child with a ventilator (150 W, pure sine) and a suction unit (80 W).
pub fn child(id: &str, lon: f64, lat: f64, district: &str, battery_h: f64) -> Value {
    json!({"type": "Feature", "id": id, "geometry": {"type": "Point", "coordinates": [lon, lat]},
           "properties": {"name": format!("テスト {id}（架空）"), "district": district, "devices": [
               {"id": "v", "kind": "ventilator", "rated_w": 150, "draw_w": 25, "input": "ac100v", "battery_h": battery_h,
                "pure_sine_required": true, "life_critical": true, "manual_alternative": "アンビューバッグ"},
               {"id": "s", "kind": "suction", "rated_w": 80, "input": "ac100v", "battery_h": battery_h * 2.0, "life_critical": true}]}})
}

/// The ids of a FeatureCollection's features, in order.
pub fn ids(fc: &Value) -> Vec<String> {
    fc["features"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect()
}

/// Asserts the contract's error shape and code.
#[track_caller]
pub fn assert_error(answer: &Value, code: &str) {
    assert_eq!(answer["error"]["code"], code, "{answer}");
    assert!(answer["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{answer}");
}
