//! The hazard zones' index: an R-tree of their lon/lat envelopes, and the exact
//! point-in-polygon test (holes count) on the few whose envelope holds the point.

use std::collections::HashMap;
use std::sync::Arc;

use geo::{BoundingRect, Coord, Intersects, Point, Rect};
use rstar::{AABB, RTree, RTreeObject};

use crate::domain::hazard_zone::HazardZone;

/// One zone in the tree, under its envelope.
#[derive(Debug, Clone)]
struct Boxed {
    envelope: AABB<[f64; 2]>,
    zone: Arc<HazardZone>,
}

impl RTreeObject for Boxed {
    type Envelope = AABB<[f64; 2]>;

    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

impl PartialEq for Boxed {
    fn eq(&self, other: &Self) -> bool {
        self.zone.id == other.zone.id
    }
}

fn boxed(zone: Arc<HazardZone>) -> Option<Boxed> {
    let rect = zone.geometry.bounding_rect()?;
    let envelope = AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
    Some(Boxed { envelope, zone })
}

/// Zones by envelope and by id.
#[derive(Debug, Default)]
pub struct ZoneIndex {
    tree: RTree<Boxed>,
    by_id: HashMap<String, Boxed>,
}

impl ZoneIndex {
    /// An index of `zones` (start-up), by rstar's bulk load.
    pub fn bulk_load(zones: Vec<HazardZone>) -> Self {
        let boxes: Vec<Boxed> = zones.into_iter().filter_map(|z| boxed(Arc::new(z))).collect();
        let by_id = boxes.iter().map(|b| (b.zone.id.clone(), b.clone())).collect();
        ZoneIndex { tree: RTree::bulk_load(boxes), by_id }
    }

    /// Adds or replaces a zone.
    pub fn upsert(&mut self, zone: HazardZone) {
        self.remove(&zone.id);
        if let Some(b) = boxed(Arc::new(zone)) {
            self.by_id.insert(b.zone.id.clone(), b.clone());
            self.tree.insert(b);
        }
    }

    /// Removes a zone; nothing if it is not there.
    pub fn remove(&mut self, id: &str) {
        if let Some(old) = self.by_id.remove(id) {
            self.tree.remove(&old);
        }
    }

    /// How many zones are indexed.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// One zone by id.
    pub fn get(&self, id: &str) -> Option<Arc<HazardZone>> {
        self.by_id.get(id).map(|b| Arc::clone(&b.zone))
    }

    /// The zones covering (lon, lat), on the boundary included, most severe first.
    pub fn at(&self, lon: f64, lat: f64) -> Vec<Arc<HazardZone>> {
        let p = Point::new(lon, lat);
        let mut out: Vec<Arc<HazardZone>> = self
            .tree
            .locate_in_envelope_intersecting(AABB::from_point([lon, lat]))
            .filter(|b| b.zone.geometry.intersects(&p))
            .map(|b| Arc::clone(&b.zone))
            .collect();
        out.sort_by(|a, b| HazardZone::most_severe_first(a, b));
        out
    }

    /// Every zone, or those touching a lon/lat box, ordered by id.
    pub fn list(&self, bbox: Option<[f64; 4]>) -> Vec<Arc<HazardZone>> {
        let mut out: Vec<Arc<HazardZone>> = match bbox {
            Some([min_lon, min_lat, max_lon, max_lat]) => {
                let rect = Rect::new(Coord { x: min_lon, y: min_lat }, Coord { x: max_lon, y: max_lat });
                let query = AABB::from_corners([min_lon, min_lat], [max_lon, max_lat]);
                self.tree
                    .locate_in_envelope_intersecting(query)
                    .filter(|b| b.zone.geometry.intersects(&rect))
                    .map(|b| Arc::clone(&b.zone))
                    .collect()
            }
            None => self.by_id.values().map(|b| Arc::clone(&b.zone)).collect(),
        };
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Hazard;
    use crate::domain::hazard_zone::ZoneProps;
    use geo::{LineString, MultiPolygon, Point, Polygon};

    fn ring(x0: f64, y0: f64, x1: f64, y1: f64) -> LineString<f64> {
        LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)])
    }

    fn zone(id: &str, level: u8, polygon: Polygon<f64>) -> HazardZone {
        let props = ZoneProps { hazard: Hazard::Flood, level, depth_m: None, name: None, source: None };
        HazardZone { id: id.into(), props, geometry: MultiPolygon(vec![polygon]) }
    }

    /// Every zone whose polygon covers the point, by brute force.
    fn covering(zones: &[HazardZone], lon: f64, lat: f64) -> Vec<String> {
        let p = Point::new(lon, lat);
        let mut ids: Vec<String> = zones.iter().filter(|z| z.geometry.intersects(&p)).map(|z| z.id.clone()).collect();
        ids.sort();
        ids
    }

    #[test]
    fn a_point_in_a_hole_is_outside_and_the_index_agrees_with_brute_force() {
        let donut = Polygon::new(ring(0.0, 0.0, 4.0, 4.0), vec![ring(1.0, 1.0, 3.0, 3.0)]);
        let mut zones = vec![zone("donut", 3, donut)];
        let mut seed = 7_u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for i in 0..60 {
            let (x, y) = (next() * 10.0, next() * 10.0);
            let (w, h) = (0.2 + next() * 3.0, 0.2 + next() * 3.0);
            let polygon = if i % 2 == 0 {
                Polygon::new(ring(x, y, x + w, y + h), vec![])
            } else {
                // A star-shaped 30-gon: concave, with slanted edges.
                let pts: Vec<(f64, f64)> = (0..=30)
                    .map(|k| {
                        let a = std::f64::consts::TAU * f64::from(k % 30) / 30.0;
                        let r = if k % 2 == 0 { w } else { w * 0.4 };
                        (x + r * a.cos(), y + r * a.sin())
                    })
                    .collect();
                Polygon::new(LineString::from(pts), vec![])
            };
            zones.push(zone(&format!("z{i:02}"), 1 + (i % 6) as u8, polygon));
        }
        // A zone of two polygons.
        let mut two = zone("two", 2, Polygon::new(ring(11.0, 11.0, 11.5, 11.5), vec![]));
        two.geometry.0.push(Polygon::new(ring(11.7, 11.0, 12.0, 11.5), vec![]));
        zones.push(two);
        let mut index = ZoneIndex::bulk_load(zones.clone());
        assert!(index.at(2.0, 2.0).iter().all(|z| z.id != "donut"), "the hole is not in the zone");
        assert!(index.at(0.5, 2.0).iter().any(|z| z.id == "donut"));
        // The boundary is inside: an outer edge, a vertex, and the hole's edge.
        for (x, y) in [(0.0, 2.0), (4.0, 4.0), (1.0, 2.0), (2.0, 3.0)] {
            assert!(index.at(x, y).iter().any(|z| z.id == "donut"), "({x}, {y}) is on the boundary");
        }
        for _ in 0..2_000 {
            let (lon, lat) = (next() * 12.0, next() * 12.0);
            let mut got: Vec<String> = index.at(lon, lat).iter().map(|z| z.id.clone()).collect();
            let levels: Vec<u8> = index.at(lon, lat).iter().map(|z| z.props.level).collect();
            assert!(levels.windows(2).all(|w| w[0] >= w[1]), "most severe first: {levels:?}");
            got.sort();
            assert_eq!(got, covering(&zones, lon, lat), "at {lon}, {lat}");
        }
        // Writes: a replaced zone is found at its new place only, a removed one nowhere.
        index.upsert(zone("z00", 1, Polygon::new(ring(20.0, 20.0, 21.0, 21.0), vec![])));
        assert_eq!(index.at(20.5, 20.5).len(), 1);
        index.remove("z00");
        assert!(index.at(20.5, 20.5).is_empty());
        assert_eq!(index.len(), 61);
        assert_eq!(index.list(Some([19.0, 19.0, 22.0, 22.0])).len(), 0);
    }
}
