//! The Shiroi demo: fixtures compiled into the binary, loaded into an empty database.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::import::import;
use crate::domain::auth::{Role, TokenRecord};
use crate::domain::incident::StoredCheck;
use crate::domain::plan::PlanInput;
use crate::domain::{ChildProps, PowerPointProps, ShelterProps};
use crate::http::hash_token;
use crate::planning::area::IndexedArea;
use crate::planning::incident_input::{Problems, parse_check, parse_incident, parse_outages};
use crate::planning::outage::parse_area;
use crate::store::{Store, WriteMode};

const POWER_POINTS: &str = include_str!("../../fixtures/shiroi/power_points.geojson");
const SHELTERS: &str = include_str!("../../fixtures/shiroi/shelters.geojson");
const CHILDREN: &str = include_str!("../../fixtures/shiroi/children.geojson");
const PLANS: &str = include_str!("../../fixtures/shiroi/plans.json");
const SCENARIOS: &str = include_str!("../../fixtures/shiroi/scenarios.geojson");
const HAZARD_ZONES: &str = include_str!("../../fixtures/shiroi/hazard_zones.geojson");

/// The id of the demo's open incident.
pub const DEMO_INCIDENT: &str = "demo-typhoon";

/// The demo tokens of the contract: (role, secret). They exist only in demo mode.
pub const DEMO_TOKENS: [(Role, &str); 3] =
    [(Role::Planner, "demo-planner"), (Role::Coordinator, "demo-coordinator"), (Role::Family, "demo-family")];

/// Loads the fixtures if the database holds nothing yet, and (re)creates the demo tokens;
/// `demo-family` is bound to the first demo child. Returns (role, token) to print.
pub async fn load_demo(store: &Store, now: OffsetDateTime) -> Result<Vec<(&'static str, &'static str)>> {
    let empty = store.resources().load_all::<PowerPointProps>().await?.is_empty()
        && store.resources().load_all::<ShelterProps>().await?.is_empty()
        && store.resources().load_all::<ChildProps>().await?.is_empty();
    let children: Value = serde_json::from_str(CHILDREN)?;
    if empty {
        import::<PowerPointProps>(
            store,
            &serde_json::from_str(POWER_POINTS)?,
            Path::new("fixtures/shiroi/power_points.geojson"),
            false,
        )
        .await?;
        import::<ShelterProps>(
            store,
            &serde_json::from_str(SHELTERS)?,
            Path::new("fixtures/shiroi/shelters.geojson"),
            false,
        )
        .await?;
        import::<ChildProps>(store, &children, Path::new("fixtures/shiroi/children.geojson"), true).await?;
        load_plans(store).await?;
        load_zones(store).await?;
        load_incident(store, &children, now).await?;
    }
    let first_child = children["features"][0]["id"].as_str().unwrap_or("child-001").to_owned();
    for (role, secret) in DEMO_TOKENS {
        let child_ids = if role == Role::Family { vec![first_child.clone()] } else { Vec::new() };
        let name = format!("demo-{}", role.as_str());
        store.tokens().create(&TokenRecord { hash: hash_token(secret), name, role, child_ids }, true).await?;
    }
    Ok(DEMO_TOKENS.iter().map(|(r, s)| (r.as_str(), *s)).collect())
}

/// Stores the demo hazard zones (fictional shapes; see fixtures/shiroi/README.md).
async fn load_zones(store: &Store) -> Result<()> {
    let body: Value = serde_json::from_str(HAZARD_ZONES)?;
    let (zones, _) = crate::planning::hazard::parse_zones(&body, Default::default()).map_err(|problems| {
        let (i, e) = &problems[0];
        anyhow::anyhow!("fixtures/shiroi/hazard_zones.geojson: feature {i}: {}: {}", e.field, e.message)
    })?;
    store.hazard_zones().write(&zones, true).await?;
    Ok(())
}

/// Stores the demo plans (keys starting with `_` are comments), each as version 1 by "demo".
async fn load_plans(store: &Store) -> Result<()> {
    let plans: serde_json::Map<String, Value> = serde_json::from_str(PLANS)?;
    for (child_id, body) in plans.iter().filter(|(k, _)| !k.starts_with('_')) {
        let input: PlanInput = serde_json::from_value(body.clone())?;
        if let Err(errors) = input.validate() {
            anyhow::bail!("fixtures/shiroi/plans.json: {child_id}: {}: {}", errors[0].field, errors[0].message);
        }
        store.plans().put(child_id, 0, &input.into_body(), "demo", &[]).await?;
    }
    Ok(())
}

fn demo_problem(what: &str, problems: Problems) -> anyhow::Error {
    let detail = problems.first().map(|(_, e)| format!("{}: {}", e.field, e.message)).unwrap_or_default();
    anyhow::anyhow!("demo incident: {what}: {detail}")
}

/// The demo's open incident, so a newcomer sees the desk working: a typhoon has darkened
/// north Shiroi (the 市北部 preset area) since two hours before start-up, and the desk has
/// reached one family in it and failed to reach another. Fictional, like every fixture.
async fn load_incident(store: &Store, children: &Value, now: OffsetDateTime) -> Result<()> {
    let presets: Value = serde_json::from_str(SCENARIOS)?;
    let north = presets["features"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["id"] == "north-72h"))
        .context("fixtures/shiroi/scenarios.geojson has no north-72h")?;
    let at = |hours_ago: f64| (now - time::Duration::seconds_f64(hours_ago * 3600.0)).format(&Rfc3339);
    let since = at(2.0)?;
    let incident = parse_incident(&json!({"id": DEMO_INCIDENT, "name": "台風（デモ） 市北部停電",
        "started_at": since, "notes": "デモ用の架空の発災です。"}))
    .map_err(|p| demo_problem("incident", p))?;
    store.incidents().create(&incident).await?;
    let area = json!({"type": "Feature", "geometry": north["geometry"],
                      "properties": {"since": since, "source": "drawn", "households": 5200}});
    let (areas, _) = parse_outages(DEMO_INCIDENT, &area).map_err(|p| demo_problem("outage", p))?;
    store.incidents().add_outages(DEMO_INCIDENT, &areas, WriteMode::CreateOnly).await?;
    let shape = parse_area(&north["geometry"]).map_err(|e| anyhow::anyhow!("demo incident area: {}", e.0))?;
    let index = IndexedArea::new(&shape);
    let dark: Vec<&str> = children["features"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| {
            let c = &f["geometry"]["coordinates"];
            index.covers(c[0].as_f64().unwrap_or(0.0), c[1].as_f64().unwrap_or(0.0))
        })
        .filter_map(|f| f["id"].as_str())
        .collect();
    let checks = [
        json!({"child_id": dark.first(), "at": at(1.5)?, "channel": "phone", "reached": true,
               "status": "safe_at_home", "battery_h_left": 5.0, "note": "母親と通話。外部バッテリーあり。"}),
        json!({"child_id": dark.get(1), "at": at(0.5)?, "channel": "phone", "reached": false, "note": "留守電"}),
    ];
    for (n, body) in checks.iter().enumerate().filter(|(_, b)| b["child_id"].is_string()) {
        let (child_id, check) = parse_check(body, now).map_err(|p| demo_problem("check", p))?;
        let stored = StoredCheck {
            id: format!("demo-check-{n}"),
            incident_id: DEMO_INCIDENT.to_owned(),
            child_id,
            check,
            token_name: "demo-planner".into(),
            role: Role::Planner.as_str().into(),
        };
        store.incidents().add_check(&stored, &[]).await?;
    }
    Ok(())
}
