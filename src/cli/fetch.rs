//! Reading an import's input from a file or an http(s) URL, with timeouts and a size limit,
//! so a city can import straight from where the national data is published.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// The largest input accepted, from a file or a URL.
pub const MAX_BYTES: u64 = 256 * 1024 * 1024;

/// Whether the argument names a URL rather than a file.
pub fn is_url(source: &Path) -> bool {
    source.to_str().is_some_and(|s| s.starts_with("http://") || s.starts_with("https://"))
}

/// The bytes behind `source`: a file, or a URL fetched with reqwest. Errors keep their
/// causes (connection refused, DNS failure, timeout) as context, printed on the one line.
pub async fn read(source: &Path) -> Result<Vec<u8>> {
    if !is_url(source) {
        let len = std::fs::metadata(source).with_context(|| format!("{}: cannot read", source.display()))?.len();
        if len > MAX_BYTES {
            bail!("{}: {len} bytes is over the {MAX_BYTES}-byte limit", source.display());
        }
        return std::fs::read(source).with_context(|| format!("{}: cannot read", source.display()));
    }
    let url = source.to_str().unwrap_or_default();
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(120))
        .user_agent(concat!("powermap/", env!("CARGO_PKG_VERSION")))
        .build()
        .with_context(|| format!("{url}: cannot start the HTTP client"))?;
    let mut response = client
        .get(url)
        .send()
        .await
        .map_err(reqwest::Error::without_url)
        .with_context(|| format!("{url}: cannot fetch"))?;
    if !response.status().is_success() {
        bail!("{url}: HTTP {}", response.status());
    }
    if response.content_length().is_some_and(|n| n > MAX_BYTES) {
        bail!("{url}: over the {MAX_BYTES}-byte limit");
    }
    let mut body = Vec::new();
    while let Some(chunk) =
        response.chunk().await.map_err(reqwest::Error::without_url).with_context(|| format!("{url}: cannot read"))?
    {
        body.extend_from_slice(&chunk);
        if body.len() as u64 > MAX_BYTES {
            bail!("{url}: over the {MAX_BYTES}-byte limit");
        }
    }
    Ok(body)
}
