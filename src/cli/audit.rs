//! `powermap audit [--district D]`: the findings table on standard output.

use anyhow::Result;

use crate::config::Settings;
use crate::domain::ChildProps;
use crate::domain::auth::{AccessEntry, Action};
use crate::planning::audit::{Ctx, audit};
use crate::spatial::Catalog;
use crate::store::Store;

pub(super) async fn run(settings: &Settings, district: Option<&str>) -> Result<()> {
    let store = Store::connect(&settings.db).await?;
    let catalog = Catalog::default();
    catalog.load(store.resources().load_all::<crate::domain::PowerPointProps>().await?);
    catalog.load(store.resources().load_all::<crate::domain::ShelterProps>().await?);
    catalog.load(store.resources().load_all::<ChildProps>().await?);
    catalog.load_zones(store.hazard_zones().load_all().await?);
    let children: Vec<_> = catalog
        .list::<ChildProps>(None)
        .into_iter()
        .filter(|c| district.is_none_or(|d| c.props.district.as_deref() == Some(d)))
        .collect();
    let log: Vec<AccessEntry> = super::cli_log(Action::Audit, children.iter().map(|c| &c.id));
    store.access_log().append(&log).await?;
    let plans = store.plans().all_current().await?;
    let ctx = Ctx { catalog: &catalog, travel: settings.travel, today: crate::planning::audit::today_in_japan() };
    let findings = audit(&ctx, &children, &plans);
    println!("{:<12} {:<6} {:<22} 内容", "児童ID", "重要度", "ルール");
    for f in &findings {
        println!("{:<12} {:<6} {:<22} {}", f.child_id, f.severity.label_ja(), f.rule, f.message);
    }
    println!("対象 {} 人、指摘 {} 件", children.len(), findings.len());
    Ok(())
}
