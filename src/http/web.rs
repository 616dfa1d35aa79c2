//! The web pages and the browser builds of Leaflet they load: built into the binary, so one
//! copied file serves the whole map from any directory, or read from `--web DIR` for editing.
//!
//! Caching: the pages (HTML) are revalidated every time (`no-cache` with an ETag); the
//! scripts, styles and images they load are linked under `/v/<version>/…`, where the version
//! is a hash of every embedded file, so they can be cached for a year: a new build links new
//! URLs. Files read from disk are never versioned, so an edit shows on the next reload.

use std::borrow::Cow;
use std::path::Path;
use std::sync::OnceLock;

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Router, body::Body};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

use super::{AppState, Error};

/// The files the pages need, and nothing else of `web/` (no tests, no screenshots, no npm
/// packages but the three browser builds; globs match at any depth, so pages are named).
/// Debug builds read them from the source tree.
#[derive(RustEmbed)]
#[folder = "web/"]
#[include = "index.html"]
#[include = "planner.html"]
#[include = "coordinator.html"]
#[include = "desk.html"]
#[include = "favicon.svg"]
#[include = "css/*.css"]
#[include = "js/*.js"]
#[include = "js/**/*.js"]
#[include = "node_modules/leaflet/dist/leaflet.js"]
#[include = "node_modules/leaflet/dist/leaflet.css"]
#[include = "node_modules/leaflet/dist/images/*.png"]
#[include = "node_modules/leaflet.markercluster/dist/*.css"]
#[include = "node_modules/leaflet.markercluster/dist/leaflet.markercluster.js"]
#[include = "node_modules/@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css"]
#[include = "node_modules/@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.min.js"]
#[exclude = "tests/*"]
#[exclude = "screenshots/*"]
struct Embedded;

/// npm packages whose `dist/` folders the pages load; nothing else under `node_modules` is served.
const BROWSER_PACKAGES: [&str; 3] = ["leaflet", "leaflet.markercluster", "@geoman-io/leaflet-geoman-free"];

/// A year: what "cache forever" means to browsers and proxies.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Kept, but asked about again before each use.
const REVALIDATE: &str = "no-cache";

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|s: State<AppState>, h: HeaderMap| page(s, h, "index.html")))
        .route("/planner", get(|s: State<AppState>, h: HeaderMap| page(s, h, "planner.html")))
        .route("/coordinator", get(|s: State<AppState>, h: HeaderMap| page(s, h, "coordinator.html")))
        .route("/desk", get(|s: State<AppState>, h: HeaderMap| page(s, h, "desk.html")))
        .route("/v/{version}/{*path}", get(versioned))
        .fallback(get(unversioned))
}

/// The version of the embedded files: a hash of all of them, computed once.
pub fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut names: Vec<Cow<'static, str>> = Embedded::iter().collect();
        names.sort();
        let mut hash = Sha256::new();
        for name in names {
            hash.update(name.as_bytes());
            if let Some(file) = Embedded::get(&name) {
                hash.update(file.metadata.sha256_hash());
            }
        }
        hex::encode(&hash.finalize()[..6])
    })
}

/// Whether a path of `web/` is one the pages may load.
fn servable(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    if parts.iter().any(|p| p.is_empty() || *p == "." || *p == ".." || p.contains('\\')) {
        return false;
    }
    match parts.as_slice() {
        ["tests", ..] | ["screenshots", ..] => false,
        [last] => !last.starts_with("package") && !last.starts_with('.'),
        ["node_modules", ..] => BROWSER_PACKAGES.iter().any(|p| path.starts_with(&format!("node_modules/{p}/dist/"))),
        _ => true,
    }
}

/// A file of `web/`, from disk under `--web DIR` or else from the binary.
fn read(state: &AppState, path: &str) -> Option<Cow<'static, [u8]>> {
    if !servable(path) {
        return None;
    }
    match &state.config.web_dir {
        Some(dir) => std::fs::read(Path::new(dir).join(path)).ok().map(Cow::Owned),
        None => Embedded::get(path).map(|f| f.data),
    }
}

async fn page(State(state): State<AppState>, headers: HeaderMap, name: &str) -> Response {
    let Some(html) = read(&state, name) else { return not_found() };
    let text = String::from_utf8_lossy(&html);
    let text = if state.config.web_dir.is_some() { text.into_owned() } else { link_versioned(&text, version()) };
    respond(&headers, name, text.into_bytes().into(), REVALIDATE)
}

/// Points a page's links to the scripts, styles and npm builds at their versioned URLs;
/// modules the scripts import by relative path follow along.
fn link_versioned(html: &str, version: &str) -> String {
    ["/js/", "/css/", "/node_modules/"]
        .iter()
        .fold(html.to_owned(), |text, dir| text.replace(&format!("=\"{dir}"), &format!("=\"/v/{version}{dir}")))
}

async fn versioned(
    State(state): State<AppState>,
    headers: HeaderMap,
    UrlPath((asked, path)): UrlPath<(String, String)>,
) -> Response {
    let Some(data) = read(&state, &path) else { return not_found() };
    // A page of another build may still ask for its version: it gets today's file, uncached.
    let current = state.config.web_dir.is_none() && asked == version();
    respond(&headers, &path, data, if current { IMMUTABLE } else { REVALIDATE })
}

async fn unversioned(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let Some(data) = read(&state, path) else { return not_found() };
    respond(&headers, path, data, REVALIDATE)
}

/// The file with its type, cache policy and ETag; 304 when the client has it already.
fn respond(headers: &HeaderMap, path: &str, data: Cow<'static, [u8]>, cache: &'static str) -> Response {
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&data)[..12]));
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let mut response = if fresh { StatusCode::NOT_MODIFIED.into_response() } else { Body::from(data).into_response() };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if !fresh && let Ok(v) = HeaderValue::from_str(mime.essence_str()) {
        h.insert(header::CONTENT_TYPE, v);
    }
    response
}

fn not_found() -> Response {
    Error::NotFound("no such path".into()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_file_is_servable_and_the_map_is_there() {
        let names: Vec<_> = Embedded::iter().collect();
        assert!(names.iter().all(|n| servable(n)), "{names:?}");
        for needed in ["index.html", "planner.html", "js/api.js", "node_modules/leaflet/dist/leaflet.js"] {
            assert!(names.iter().any(|n| n == needed), "{needed} is not embedded");
        }
    }

    #[test]
    fn only_page_files_are_servable() {
        for ok in ["index.html", "js/map.js", "node_modules/leaflet/dist/images/marker-icon.png"] {
            assert!(servable(ok), "{ok}");
        }
        for bad in [
            "package.json",
            "tests/browser.mjs",
            "node_modules/playwright-core/package.json",
            "node_modules/leaflet/package.json",
            "js/../package.json",
            "js//x.js",
        ] {
            assert!(!servable(bad), "{bad}");
        }
    }

    #[test]
    fn pages_link_versioned_assets() {
        let html = r#"<link href="/css/app.css"><script src="/node_modules/leaflet/dist/leaflet.js"></script><a href="/planner">"#;
        assert_eq!(
            link_versioned(html, "abc"),
            r#"<link href="/v/abc/css/app.css"><script src="/v/abc/node_modules/leaflet/dist/leaflet.js"></script><a href="/planner">"#
        );
    }
}
