#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark, not a request path
//! In-process nearest queries at scale: k = 5 at 100,000 and 1,000,000 points, plus the
//! bulk load. Reproduce with `cargo bench --bench nearest`.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use powermap::spatial::SpatialIndex;
use std::hint::black_box;

/// A deterministic xorshift so every run indexes the same points.
struct Rng(u64);
impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    /// A point over Japan's main islands' bounding box.
    fn japan(&mut self) -> (f64, f64) {
        (129.0 + self.next_f64() * 17.0, 31.0 + self.next_f64() * 14.0)
    }
}

fn points(n: usize) -> Vec<(String, f64, f64, u32)> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..n)
        .map(|i| {
            let (lon, lat) = rng.japan();
            (format!("pp-{i}"), lon, lat, i as u32)
        })
        .collect()
}

fn nearest(c: &mut Criterion) {
    let mut group = c.benchmark_group("nearest_k5");
    for n in [100_000usize, 1_000_000] {
        let index = SpatialIndex::bulk_load(points(n));
        let mut rng = Rng(42);
        let queries: Vec<(f64, f64)> = (0..1024).map(|_| rng.japan()).collect();
        let mut i = 0;
        group.bench_with_input(BenchmarkId::from_parameter(n), &index, |b, index| {
            b.iter(|| {
                let (lon, lat) = queries[i % queries.len()];
                i += 1;
                black_box(index.nearest(lon, lat, 5, None, |_| true).len())
            })
        });
        let mut j = 0;
        group.bench_with_input(BenchmarkId::new("filtered_1_in_10", n), &index, |b, index| {
            b.iter(|| {
                let (lon, lat) = queries[j % queries.len()];
                j += 1;
                black_box(index.nearest(lon, lat, 5, None, |t| t % 10 == 0).len())
            })
        });
    }
    group.finish();

    let mut load = c.benchmark_group("bulk_load");
    load.sample_size(10);
    let data = points(1_000_000);
    load.bench_function("1000000", |b| b.iter(|| black_box(SpatialIndex::bulk_load(data.clone()).len())));
    load.finish();
}

criterion_group!(benches, nearest);
criterion_main!(benches);
