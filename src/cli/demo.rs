//! The Shiroi demo: fixtures compiled into the binary, loaded into an empty database.

use std::path::Path;

use anyhow::Result;
use serde_json::Value;

use super::import::import;
use crate::domain::auth::{Role, TokenRecord};
use crate::domain::plan::PlanInput;
use crate::domain::{ChildProps, PowerPointProps, ShelterProps};
use crate::http::hash_token;
use crate::store::Store;

const POWER_POINTS: &str = include_str!("../../fixtures/shiroi/power_points.geojson");
const SHELTERS: &str = include_str!("../../fixtures/shiroi/shelters.geojson");
const CHILDREN: &str = include_str!("../../fixtures/shiroi/children.geojson");
const PLANS: &str = include_str!("../../fixtures/shiroi/plans.json");

/// The demo tokens of the contract: (role, secret). They exist only in demo mode.
pub const DEMO_TOKENS: [(Role, &str); 3] =
    [(Role::Planner, "demo-planner"), (Role::Coordinator, "demo-coordinator"), (Role::Family, "demo-family")];

/// Loads the fixtures if the database holds nothing yet, and (re)creates the demo tokens;
/// `demo-family` is bound to the first demo child. Returns (role, token) to print.
pub async fn load_demo(store: &Store) -> Result<Vec<(&'static str, &'static str)>> {
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
    }
    let first_child = children["features"][0]["id"].as_str().unwrap_or("child-001").to_owned();
    for (role, secret) in DEMO_TOKENS {
        let child_ids = if role == Role::Family { vec![first_child.clone()] } else { Vec::new() };
        let name = format!("demo-{}", role.as_str());
        store.tokens().create(&TokenRecord { hash: hash_token(secret), name, role, child_ids }, true).await?;
    }
    Ok(DEMO_TOKENS.iter().map(|(r, s)| (r.as_str(), *s)).collect())
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
