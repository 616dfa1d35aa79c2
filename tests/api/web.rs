//! The web pages built into the binary: served from any directory, with cache headers that
//! let browsers keep the scripts for a year and still see a new build at once.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::common::*;

async fn fetch(app: &TestApp, path: &str, if_none_match: Option<&str>) -> (StatusCode, HeaderMap, String) {
    let mut req = Request::builder().uri(path);
    if let Some(tag) = if_none_match {
        req = req.header(header::IF_NONE_MATCH, tag);
    }
    let res = app.router.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&bytes).into_owned())
}

fn header_of(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn pages_are_revalidated_and_link_assets_by_version() {
    let app = TestApp::new().await;
    for path in ["/", "/planner", "/coordinator"] {
        let (status, headers, html) = fetch(&app, path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(header_of(&headers, header::CONTENT_TYPE), "text/html", "{path}");
        assert_eq!(header_of(&headers, header::CACHE_CONTROL), "no-cache", "{path}");
        assert!(html.contains("src=\"/v/") && !html.contains("src=\"/js/"), "{path}: {html}");
        let etag = header_of(&headers, header::ETAG).to_owned();
        let (again, _, body) = fetch(&app, path, Some(&etag)).await;
        assert_eq!((again, body.as_str()), (StatusCode::NOT_MODIFIED, ""), "{path} revalidates with its ETag");
    }
}

#[tokio::test]
async fn versioned_assets_are_immutable_and_other_versions_are_not() {
    let app = TestApp::new().await;
    let (_, _, html) = fetch(&app, "/", None).await;
    let script = html.split("src=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    assert!(script.starts_with("/v/") && script.ends_with("leaflet.js"), "{script}");
    let (status, headers, body) = fetch(&app, &script, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_of(&headers, header::CACHE_CONTROL), "public, max-age=31536000, immutable");
    assert_eq!(header_of(&headers, header::CONTENT_TYPE), "text/javascript");
    assert!(body.contains("Leaflet"), "the browser build of Leaflet is served");
    let version = script.split('/').nth(2).unwrap();
    let stale = script.replace(version, "000000000000");
    let (status, headers, _) = fetch(&app, &stale, None).await;
    assert_eq!((status, header_of(&headers, header::CACHE_CONTROL)), (StatusCode::OK, "no-cache"));
    let (status, headers, _) = fetch(&app, "/js/api.js", None).await;
    assert_eq!((status, header_of(&headers, header::CACHE_CONTROL)), (StatusCode::OK, "no-cache"));
}

#[tokio::test]
async fn only_what_the_pages_load_is_served() {
    let app = TestApp::new().await;
    for path in [
        "/package.json",
        "/tests/browser.mjs",
        "/node_modules/playwright-core/package.json",
        "/node_modules/leaflet/package.json",
        "/v/x/node_modules/leaflet/package.json",
        "/js/../package.json",
        "/nothing-here",
    ] {
        let (status, headers, _) = fetch(&app, path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(header_of(&headers, header::CONTENT_TYPE).starts_with("application/json"), "{path}");
    }
    assert_eq!(fetch(&app, "/node_modules/leaflet/dist/leaflet.css", None).await.0, StatusCode::OK);
    assert_eq!(fetch(&app, "/favicon.svg", None).await.0, StatusCode::OK);
}
