//! Makes sure the browser builds of Leaflet and its plugins are in `web/node_modules` before
//! the web pages are built into the binary (`src/http/web.rs`): runs `npm ci` there when the
//! folder is missing or older than `package-lock.json`.

use std::path::Path;
use std::process::Command;

fn main() {
    // Only these decide whether npm must run; the embedded files themselves are tracked by
    // the compiler (rust-embed includes them), so editing Rust alone never reruns this.
    println!("cargo::rerun-if-changed=web/package-lock.json");
    let release = std::env::var("PROFILE").as_deref() == Ok("release");
    if release {
        // New files under these folders must be embedded too: rebuild when one appears.
        for dir in ["web/js", "web/css", "web/index.html", "web/planner.html", "web/coordinator.html"] {
            println!("cargo::rerun-if-changed={dir}");
        }
    }
    let web = Path::new("web");
    if !up_to_date(web) {
        npm_ci(web, release);
    }
    // Watched only once it exists: a path that does not exist would rerun this (and rebuild
    // the crate) on every build where npm is missing.
    if web.join("node_modules/.package-lock.json").exists() {
        println!("cargo::rerun-if-changed=web/node_modules/.package-lock.json");
    }
}

fn npm_ci(web: &Path, release: bool) {
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    match Command::new(npm).args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]).current_dir(web).status() {
        Ok(s) if s.success() => {}
        Ok(s) => stop(release, &format!("`npm ci` in web/ failed ({s}); run it there to see why")),
        Err(_) => stop(
            release,
            "npm is missing: install Node.js 20 or newer with npm (e.g. apt-get install nodejs npm), then build again",
        ),
    }
}

/// Whether `npm ci` has run since the lock file last changed.
fn up_to_date(web: &Path) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (modified(&web.join("node_modules/.package-lock.json")), modified(&web.join("package-lock.json"))) {
        (Some(installed), Some(lock)) => installed >= lock,
        _ => false,
    }
}

/// A release build cannot carry the map without the packages: stop it with one line. Debug
/// builds read the pages from disk at run time, so they warn and go on (tests need no npm).
fn stop(release: bool, line: &str) {
    if release {
        eprintln!("error: {line}");
        std::process::exit(1);
    }
    println!("cargo::warning={line}");
}
