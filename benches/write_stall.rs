#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark, not a request path
//! Nearest latency while a bulk write lands: 100,000 power points indexed, readers asking
//! k = 5 nearest without pause, while the follower applies a 100,000-feature write (the
//! issue 18 case: p99 went from 7.5 ms to 317 ms when the lock was held for the batch).
//! Reproduce with `scripts/bench-write-stall.sh` (or `cargo bench --bench write_stall`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use powermap::domain::{Located, PowerPointProps};
use powermap::spatial::{Catalog, ChangeFeed, Follower, Indexed};

const POINTS: usize = 100_000;
const READERS: usize = 2;

fn point(i: usize, shift: f64) -> Located<PowerPointProps> {
    let lon = 129.0 + (i % 1000) as f64 * 0.017 + shift;
    let lat = 31.0 + (i / 1000) as f64 * 0.14;
    let props = serde_json::json!({"name": format!("電源 {i}"), "kind": "generator", "capacity_w": 1500,
        "pure_sine": true, "status": "available", "outlets": [{"type": "ac100v", "count": 1, "max_w": 1500}]});
    Located { id: format!("pp-{i:06}"), lon, lat, props: serde_json::from_value(props).unwrap() }
}

/// A change feed in memory: one bulk write of every point, moved a little.
struct BulkWrite(Vec<Located<PowerPointProps>>);

impl ChangeFeed for BulkWrite {
    type Error = std::convert::Infallible;

    async fn since(&self, seq: i64, limit: i64) -> Result<Vec<(i64, String, String)>, Self::Error> {
        let from = seq as usize;
        let to = (from + limit as usize).min(self.0.len());
        Ok((from..to).map(|i| (i as i64 + 1, "power_points".to_owned(), self.0[i].id.clone())).collect())
    }

    async fn present<P: Indexed>(&self, ids: &[&str]) -> Result<Vec<Located<P>>, Self::Error> {
        let wanted: std::collections::HashSet<&str> = ids.iter().copied().collect();
        let found = self.0.iter().filter(|p| wanted.contains(p.id.as_str())).cloned();
        // The feed only ever holds power points.
        let typed = |p: Located<PowerPointProps>| Located {
            props: serde_json::from_value(serde_json::to_value(&p.props).unwrap()).unwrap(),
            id: p.id,
            lon: p.lon,
            lat: p.lat,
        };
        Ok(found.map(typed).collect())
    }

    async fn zones(&self, _ids: &[&str]) -> Result<Vec<powermap::domain::hazard_zone::HazardZone>, Self::Error> {
        Ok(Vec::new())
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

fn main() {
    let catalog = Arc::new(Catalog::default());
    catalog.load((0..POINTS).map(|i| point(i, 0.0)).collect());
    let follower = Follower::new(Arc::clone(&catalog), 0);
    let feed = BulkWrite((0..POINTS).map(|i| point(i, 0.001)).collect());
    let writing = Arc::new(AtomicBool::new(true));
    let readers: Vec<_> = (0..READERS)
        .map(|r| {
            let (catalog, writing) = (Arc::clone(&catalog), Arc::clone(&writing));
            std::thread::spawn(move || {
                let mut latencies = Vec::new();
                let mut i = r;
                while writing.load(Ordering::Relaxed) {
                    let (lon, lat) = (129.0 + (i % 997) as f64 * 0.017, 31.0 + (i % 101) as f64 * 0.14);
                    let started = Instant::now();
                    let hits = catalog.power_points.read().nearest(lon, lat, 5, None, |_| true).len();
                    latencies.push(started.elapsed());
                    std::hint::black_box(hits);
                    i += READERS;
                }
                latencies
            })
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let started = Instant::now();
    runtime.block_on(follower.catch_up(&feed)).unwrap();
    let write_took = started.elapsed();
    writing.store(false, Ordering::Relaxed);
    let mut all: Vec<Duration> = readers.into_iter().flat_map(|r| r.join().unwrap()).collect();
    all.sort_unstable();
    println!(
        "bulk write of {POINTS} applied in {:.0} ms; {} nearest queries meanwhile: p50 {:?}, p99 {:?}, max {:?}",
        write_took.as_secs_f64() * 1e3,
        all.len(),
        percentile(&all, 0.50),
        percentile(&all, 0.99),
        all.last().copied().unwrap_or_default()
    );
}
