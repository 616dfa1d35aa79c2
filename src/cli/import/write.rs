//! The one write every import ends with: a transaction, with a spinner when it is long.

use anyhow::Result;

use crate::domain::Resource;
use crate::domain::auth::AccessEntry;
use crate::store::{Store, WriteMode};

/// One transaction, with a spinner when it is long.
pub(crate) async fn write<P: Resource>(
    store: &Store,
    items: &[crate::domain::Located<P>],
    log: &[AccessEntry],
) -> Result<()> {
    let writing = crate::cli::progress::writing(items.len());
    store.resources().write(items, WriteMode::Upsert, log).await?;
    writing.finish_and_clear();
    Ok(())
}
