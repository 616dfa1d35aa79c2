//! `powermap token create`: prints a new secret once; only its hash is stored.

use anyhow::{Result, bail};
use clap::Subcommand;

use crate::domain::ChildProps;
use crate::domain::auth::{Role, TokenRecord};
use crate::http::hash_token;
use crate::store::Store;

/// Token actions.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once.
    Create {
        /// family | coordinator | planner
        #[arg(long)]
        role: String,
        /// Child a family token may read (repeatable).
        #[arg(long = "child")]
        children: Vec<String>,
        /// Who holds it; shown in the access log.
        #[arg(long)]
        name: String,
    },
}

pub(super) async fn run(db: &str, action: TokenCommand) -> Result<()> {
    let TokenCommand::Create { role, children, name } = action;
    let Some(role) = Role::parse(&role) else {
        bail!("--role must be family, coordinator or planner, not {role:?}");
    };
    if name.trim().is_empty() {
        bail!("--name must not be empty");
    }
    match (role, children.is_empty()) {
        (Role::Family, true) => bail!("a family token needs at least one --child ID"),
        (Role::Coordinator | Role::Planner, false) => bail!("--child is only for family tokens"),
        _ => {}
    }
    let store = Store::connect(db).await?;
    for child in &children {
        if store.resources().get::<ChildProps>(child).await?.is_none() {
            bail!("no child {child} in the database");
        }
    }
    let secret = new_secret();
    store.tokens().create(&TokenRecord { hash: hash_token(&secret), name, role, child_ids: children }, false).await?;
    println!("{secret}");
    Ok(())
}

/// 256 random bits, hex, with a prefix that makes leaked tokens easy to search for.
fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("pm_{}", hex::encode(bytes))
}
