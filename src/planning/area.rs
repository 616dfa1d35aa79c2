//! Outage areas: parsed from GeoJSON, checked in O(n log n) rather than geo's quadratic
//! validation (a municipal boundary has tens of thousands of positions), and indexed so
//! that testing thousands of homes against them is cheap.

use geo::algorithm::indexed::IntervalTreeMultiPolygon;
use geo::coordinate_position::CoordPos;
use geo::line_intersection::line_intersection;
use geo::{
    BoundingRect, Contains, Coord, CoordinatePosition, Intersects, Line, LineIntersection, LineString, MultiPolygon,
    Orient, Polygon, orient::Direction,
};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree, RTreeObject};
use serde_json::Value;

/// Most positions an area may have: the largest municipal boundaries have tens of thousands;
/// past this the check and the index would take seconds.
pub const MAX_AREA_POSITIONS: usize = 100_000;

/// Candidate segment pairs the self-intersection check may test before it gives up: real
/// boundaries need a few per segment; only contrived shapes come near.
const MAX_PAIR_CHECKS: usize = 20_000_000;

/// Why an area was refused; the message names the problem for the planner.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct AreaError(pub String);

fn refuse<T>(message: impl Into<String>) -> Result<T, AreaError> {
    Err(AreaError(message.into()))
}

/// The geometry inside a bare geometry, a Feature, or a FeatureCollection of exactly one
/// feature — the shapes a GIS tool exports.
fn geometry_of(value: &Value) -> Result<&Value, AreaError> {
    match value.get("type").and_then(Value::as_str) {
        Some("Feature") => match value.get("geometry") {
            Some(g) if g.is_object() => Ok(g),
            _ => refuse("area is a Feature without a geometry"),
        },
        Some("FeatureCollection") => match value.get("features").and_then(Value::as_array).map(Vec::as_slice) {
            Some([one]) => geometry_of(one),
            Some(many) => refuse(format!(
                "area is a FeatureCollection of {} features; it must hold exactly one Polygon or MultiPolygon",
                many.len()
            )),
            None => refuse("area is a FeatureCollection without a features array"),
        },
        _ => Ok(value),
    }
}

/// Parses a GeoJSON Polygon or MultiPolygon (bare, as a Feature, or as a FeatureCollection of
/// one) and checks it: closed rings of at least four positions, coordinates in range, at most
/// [`MAX_AREA_POSITIONS`] positions, no ring without area, no self-intersection, holes inside
/// their polygon, polygons not overlapping.
pub fn parse_area(value: &Value) -> Result<MultiPolygon<f64>, AreaError> {
    let geometry = geometry_of(value)?;
    let kind = geometry.get("type").and_then(Value::as_str).unwrap_or("");
    let coords = geometry.get("coordinates").ok_or_else(|| AreaError("area needs coordinates".into()))?;
    let polygons: Vec<&Value> = match kind {
        "Polygon" => vec![coords],
        "MultiPolygon" => coords.as_array().map(|a| a.iter().collect()).unwrap_or_default(),
        other => return refuse(format!("area must be a GeoJSON Polygon or MultiPolygon, not {other:?}")),
    };
    if polygons.is_empty() {
        return refuse("area has no polygon");
    }
    let positions: usize =
        polygons.iter().filter_map(|p| p.as_array()).flatten().map(|ring| ring.as_array().map_or(0, Vec::len)).sum();
    if positions > MAX_AREA_POSITIONS {
        return refuse(format!(
            "area has {positions} positions; at most {MAX_AREA_POSITIONS} are accepted (simplify the boundary)"
        ));
    }
    let mut out = Vec::new();
    for (pi, poly) in polygons.iter().enumerate() {
        let rings =
            poly.as_array().filter(|r| !r.is_empty()).ok_or_else(|| AreaError(format!("polygon {pi} has no rings")))?;
        let mut parsed = Vec::new();
        for (ri, ring) in rings.iter().enumerate() {
            let pts: Vec<(f64, f64)> = ring
                .as_array()
                .map(|r| r.iter().filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?))).collect())
                .unwrap_or_default();
            let len = ring.as_array().map_or(0, Vec::len);
            if pts.len() != len || len < 4 {
                return refuse(format!("polygon {pi} ring {ri} needs at least 4 [lon, lat] positions"));
            }
            if pts.first() != pts.last() {
                return refuse(format!("polygon {pi} ring {ri} is not closed (first and last positions differ)"));
            }
            if let Some((lon, lat)) =
                pts.iter().find(|(lon, lat)| crate::domain::feature::validate_lon_lat(*lon, *lat).is_err())
            {
                return refuse(format!("polygon {pi} ring {ri} has a position out of range: [{lon}, {lat}]"));
            }
            if collinear(&pts) {
                return refuse(format!("polygon {pi} ring {ri} has no area (its positions are collinear)"));
            }
            let ring = LineString::from(pts);
            parsed.push(ring);
        }
        let exterior = parsed.remove(0);
        out.push(Polygon::new(exterior, parsed));
    }
    let area = MultiPolygon::new(out);
    check_topology(&area)?;
    Ok(area)
}

/// Whether every position lies on one line (a ring with no area at all).
fn collinear(pts: &[(f64, f64)]) -> bool {
    let (ax, ay) = pts[0];
    let Some(&(bx, by)) = pts.iter().find(|p| **p != pts[0]) else { return true };
    pts.iter().all(|&(x, y)| (bx - ax) * (y - ay) == (by - ay) * (x - ax))
}

/// A ring's place: polygon, ring within it (0 = exterior).
#[derive(Debug, Clone, Copy, PartialEq)]
struct RingId {
    polygon: usize,
    ring: usize,
}

impl std::fmt::Display for RingId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "polygon {} ring {}", self.polygon, self.ring)
    }
}

fn rings(area: &MultiPolygon<f64>) -> impl Iterator<Item = (RingId, &LineString<f64>)> {
    area.0.iter().enumerate().flat_map(|(polygon, p)| {
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .enumerate()
            .map(move |(ring, r)| (RingId { polygon, ring }, r))
    })
}

/// One boundary segment: its ring, its index along the ring (repeated positions skipped), and
/// how many segments the ring has.
struct Segment {
    line: Line<f64>,
    ring: RingId,
    index: usize,
    of: usize,
}

fn envelope(line: &Line<f64>) -> Rectangle<[f64; 2]> {
    Rectangle::from_corners([line.start.x, line.start.y], [line.end.x, line.end.y])
}

/// An R-tree over every boundary segment (by bounding box), for the crossing check and for
/// "is this home on the boundary".
fn segment_tree(segments: &[Segment]) -> RTree<GeomWithData<Rectangle<[f64; 2]>, usize>> {
    RTree::bulk_load(segments.iter().enumerate().map(|(i, s)| GeomWithData::new(envelope(&s.line), i)).collect())
}

fn segments(area: &MultiPolygon<f64>) -> Vec<Segment> {
    let mut out = Vec::new();
    for (ring, line_string) in rings(area) {
        let lines: Vec<Line<f64>> = line_string.lines().filter(|l| l.start != l.end).collect();
        let of = lines.len();
        out.extend(lines.into_iter().enumerate().map(|(index, line)| Segment { line, ring, index, of }));
    }
    out
}

/// OGC validity, in O(n log n) for real boundaries: no two segments cross or overlap (only
/// neighbours along a ring may meet, at their shared position; different rings may touch at a
/// point), every hole lies inside its exterior and outside the other holes, and no polygon
/// lies inside another's area.
fn check_topology(area: &MultiPolygon<f64>) -> Result<(), AreaError> {
    let segments = segments(area);
    let tree = segment_tree(&segments);
    let mut checks = 0_usize;
    for (i, a) in segments.iter().enumerate() {
        let env = envelope(&a.line).envelope();
        for hit in tree.locate_in_envelope_intersecting(env) {
            let j = hit.data;
            if j <= i {
                continue;
            }
            checks += 1;
            if checks > MAX_PAIR_CHECKS {
                return refuse("area is too intricate to check (simplify the boundary)");
            }
            let b = &segments[j];
            let Some(meet) = line_intersection(a.line, b.line) else { continue };
            let same_ring = a.ring == b.ring;
            let neighbours = same_ring && (j == i + 1 || (a.index == 0 && b.index + 1 == b.of));
            match meet {
                LineIntersection::SinglePoint { is_proper: false, .. } if neighbours || !same_ring => {}
                LineIntersection::SinglePoint { intersection, .. } if same_ring => {
                    return refuse(format!(
                        "area is not a valid polygon: {} crosses or touches itself at [{}, {}]",
                        a.ring, intersection.x, intersection.y
                    ));
                }
                LineIntersection::SinglePoint { intersection, .. } => {
                    return refuse(format!(
                        "area is not a valid polygon: {} and {} cross at [{}, {}]",
                        a.ring, b.ring, intersection.x, intersection.y
                    ));
                }
                LineIntersection::Collinear { intersection } => {
                    let what = if same_ring {
                        format!("{} runs back on itself", a.ring)
                    } else {
                        format!("{} and {} share an edge", a.ring, b.ring)
                    };
                    return refuse(format!(
                        "area is not a valid polygon: {what} at [{}, {}]",
                        intersection.start.x, intersection.start.y
                    ));
                }
            }
        }
    }
    check_nesting(area, &segments, &tree)
}

/// With no crossings, each ring lies wholly inside or outside each other ring; one position of
/// it that is not on the other's boundary tells which. Holes must lie inside their exterior
/// and outside their polygon's other holes; a polygon inside another's exterior must lie in
/// one of its holes.
fn check_nesting(
    area: &MultiPolygon<f64>,
    segments: &[Segment],
    tree: &RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
) -> Result<(), AreaError> {
    let all: Vec<(RingId, &LineString<f64>)> = rings(area).collect();
    let shapes: Vec<Polygon<f64>> = all.iter().map(|(_, r)| Polygon::new((*r).clone(), vec![])).collect();
    let boxes: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>> = RTree::bulk_load(
        shapes
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let r = s.bounding_rect()?;
                Some(GeomWithData::new(Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]), i))
            })
            .collect(),
    );
    let index_of = |id: RingId| all.iter().position(|(o, _)| *o == id);
    let mut work = 0_usize;
    for (i, (id, ring)) in all.iter().enumerate() {
        let on_ring = |c: Coord<f64>, j: usize| {
            tree.locate_in_envelope_intersecting(AABB::from_point([c.x, c.y]))
                .any(|h| segments[h.data].ring == all[j].0 && segments[h.data].line.intersects(&c))
        };
        let mut inside = |j: usize| -> Result<bool, AreaError> {
            work += all[j].1.0.len();
            if work > MAX_PAIR_CHECKS {
                return refuse("area is too intricate to check (simplify the boundary)");
            }
            // A position of this ring off the other's boundary: one exists, as they share no edge.
            let mut probes = ring.0.iter().copied().chain(ring.lines().map(|l| (l.start + l.end) / 2.0));
            Ok(probes.find(|&c| !on_ring(c, j)).is_some_and(|p| shapes[j].coordinate_position(&p) == CoordPos::Inside))
        };
        let first = AABB::from_point([ring.0[0].x, ring.0[0].y]);
        let around: Vec<usize> =
            boxes.locate_in_envelope_intersecting(first).map(|h| h.data).filter(|&j| j != i).collect();
        if id.ring > 0 {
            let exterior = index_of(RingId { polygon: id.polygon, ring: 0 }).unwrap_or(i);
            if !inside(exterior)? {
                return refuse(format!("area is not a valid polygon: {id} is a hole outside its polygon's exterior"));
            }
            for &j in &around {
                let other = all[j].0;
                if other.polygon == id.polygon && other.ring > 0 && inside(j)? {
                    return refuse(format!("area is not a valid polygon: {id} lies inside {other}"));
                }
            }
        } else {
            for &j in &around {
                let other = all[j].0;
                if other.polygon == id.polygon || other.ring > 0 || !inside(j)? {
                    continue;
                }
                // Inside another polygon's exterior: allowed only inside one of its holes.
                let holes = (1..=area.0[other.polygon].interiors().len())
                    .filter_map(|ring| index_of(RingId { polygon: other.polygon, ring }));
                let mut in_a_hole = false;
                for h in holes {
                    if inside(h)? {
                        in_a_hole = true;
                        break;
                    }
                }
                if !in_a_hole {
                    return refuse(format!("area is not a valid polygon: {id} lies inside polygon {}", other.polygon));
                }
            }
        }
    }
    Ok(())
}

/// A checked area, indexed: an interval tree answers "strictly inside" and the segment R-tree
/// "on the boundary" (which counts as inside, as `Intersects` does), each in about log n.
pub struct IndexedArea {
    inside: IntervalTreeMultiPolygon<f64>,
    segments: Vec<Segment>,
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
    /// (min lon, min lat, max lon, max lat).
    pub bbox: (f64, f64, f64, f64),
}

impl IndexedArea {
    /// Builds the indexes (O(n log n)).
    pub fn new(area: &MultiPolygon<f64>) -> Self {
        let segments = segments(area);
        let tree = segment_tree(&segments);
        let bbox = area.bounding_rect().map_or((0.0, 0.0, 0.0, 0.0), |r| (r.min().x, r.min().y, r.max().x, r.max().y));
        // The interval tree counts winding numbers: holes must turn against their exterior.
        let oriented = area.orient(Direction::Default);
        IndexedArea { inside: IntervalTreeMultiPolygon::new(&oriented), segments, tree, bbox }
    }

    /// Whether the position is inside the area or on its boundary.
    pub fn covers(&self, lon: f64, lat: f64) -> bool {
        let c = Coord { x: lon, y: lat };
        self.inside.contains(&c)
            || self
                .tree
                .locate_in_envelope_intersecting(AABB::from_point([lon, lat]))
                .any(|h| self.segments[h.data].line.intersects(&c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn square(w: f64, s: f64, e: f64, n: f64) -> Vec<[f64; 2]> {
        vec![[w, s], [e, s], [e, n], [w, n], [w, s]]
    }

    #[test]
    fn areas_are_checked() {
        let sq = json!({"type": "Polygon", "coordinates": [square(140.0, 35.7, 140.1, 35.8)]});
        assert!(parse_area(&sq).is_ok());
        assert!(parse_area(&json!({"type": "Feature", "geometry": sq, "properties": {}})).is_ok());
        let open =
            json!({"type": "Polygon", "coordinates": [[[140.0, 35.7], [140.1, 35.7], [140.1, 35.8], [140.0, 35.8]]]});
        assert!(parse_area(&open).unwrap_err().0.contains("not closed"));
        let bowtie = json!({"type": "Polygon", "coordinates": [[[140.0, 35.7], [140.1, 35.8], [140.1, 35.7], [140.0, 35.8], [140.0, 35.7]]]});
        assert!(parse_area(&bowtie).unwrap_err().0.contains("not a valid polygon"));
        assert!(parse_area(&json!({"type": "Point", "coordinates": [140.0, 35.7]})).unwrap_err().0.contains("Polygon"));
        let far =
            json!({"type": "Polygon", "coordinates": [[[140.0, 95.0], [140.1, 35.7], [140.1, 35.8], [140.0, 95.0]]]});
        assert!(parse_area(&far).unwrap_err().0.contains("out of range"));
    }

    #[test]
    fn a_feature_collection_of_one_polygon_is_its_polygon_and_of_two_is_refused() {
        let f = json!({"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [square(140.0, 35.7, 140.1, 35.8)]}});
        assert!(parse_area(&json!({"type": "FeatureCollection", "features": [f]})).is_ok());
        let two = parse_area(&json!({"type": "FeatureCollection", "features": [f, f]})).unwrap_err();
        assert!(two.0.contains("2 features"), "{two}");
        let none = parse_area(&json!({"type": "Feature", "properties": {}, "geometry": null})).unwrap_err();
        assert!(none.0.contains("without a geometry"), "{none}");
    }

    #[test]
    fn collinear_rings_have_no_area_and_are_refused() {
        let flat =
            json!({"type": "Polygon", "coordinates": [[[140.0, 35.7], [140.1, 35.7], [140.2, 35.7], [140.0, 35.7]]]});
        assert!(parse_area(&flat).unwrap_err().0.contains("no area"));
    }

    #[test]
    fn holes_must_lie_inside_their_polygon_and_polygons_must_not_overlap() {
        let outer = square(140.0, 35.7, 140.1, 35.8);
        let ok = json!({"type": "Polygon", "coordinates": [outer, square(140.02, 35.72, 140.04, 35.74)]});
        assert!(parse_area(&ok).is_ok());
        let outside = json!({"type": "Polygon", "coordinates": [outer, square(140.2, 35.72, 140.3, 35.74)]});
        assert!(parse_area(&outside).unwrap_err().0.contains("outside its polygon"));
        let crossing = json!({"type": "Polygon", "coordinates": [outer, square(140.05, 35.72, 140.15, 35.74)]});
        assert!(parse_area(&crossing).unwrap_err().0.contains("cross"));
        let nested_holes = json!({"type": "Polygon", "coordinates": [outer, square(140.01, 35.71, 140.09, 35.79), square(140.02, 35.72, 140.04, 35.74)]});
        assert!(parse_area(&nested_holes).unwrap_err().0.contains("inside"));
        let overlapping =
            json!({"type": "MultiPolygon", "coordinates": [[outer], [square(140.02, 35.72, 140.04, 35.74)]]});
        assert!(parse_area(&overlapping).unwrap_err().0.contains("inside polygon 0"));
        // An island in a lake is fine: inside the hole, not the land.
        let island = json!({"type": "MultiPolygon", "coordinates": [
            [outer, square(140.02, 35.72, 140.08, 35.78)], [square(140.03, 35.73, 140.05, 35.75)]]});
        assert!(parse_area(&island).is_ok());
        let adjacent = json!({"type": "MultiPolygon", "coordinates": [[outer], [square(140.1, 35.7, 140.2, 35.8)]]});
        assert!(parse_area(&adjacent).unwrap_err().0.contains("share an edge"));
    }

    /// A ring of `n` positions around a wavy circle, the shape of a real boundary.
    fn wavy(n: usize) -> Vec<[f64; 2]> {
        let mut ring: Vec<[f64; 2]> = (0..n)
            .map(|i| {
                let t = i as f64 / n as f64 * std::f64::consts::TAU;
                let r = 0.05 * (1.0 + 0.1 * (t * 37.0).sin());
                [140.05 + r * t.cos(), 35.8 + r * t.sin()]
            })
            .collect();
        ring.push(ring[0]);
        ring
    }

    #[test]
    fn a_boundary_of_thirty_thousand_positions_is_checked_in_well_under_a_second() {
        let area = json!({"type": "Polygon", "coordinates": [wavy(30_000)]});
        let started = std::time::Instant::now();
        let parsed = parse_area(&area);
        let took = started.elapsed();
        assert!(parsed.is_ok(), "{parsed:?}");
        // Debug build: the quadratic check took minutes for this; release takes milliseconds.
        assert!(took < std::time::Duration::from_secs(3), "took {took:?}");
        let mut crossing = wavy(30_000);
        crossing.swap(100, 15_100);
        assert!(parse_area(&json!({"type": "Polygon", "coordinates": [crossing]})).unwrap_err().0.contains("cross"));
    }

    #[test]
    fn more_positions_than_the_limit_are_refused_before_any_work() {
        let area = json!({"type": "Polygon", "coordinates": [wavy(MAX_AREA_POSITIONS)]});
        assert!(parse_area(&area).unwrap_err().0.contains("at most 100000"));
    }

    #[test]
    fn the_index_agrees_with_geo_inside_outside_and_on_the_boundary() {
        let outer = square(140.0, 35.7, 140.1, 35.8);
        let area =
            parse_area(&json!({"type": "Polygon", "coordinates": [outer, square(140.02, 35.72, 140.04, 35.74)]}))
                .unwrap();
        let index = IndexedArea::new(&area);
        for (lon, lat) in
            [(140.05, 35.75), (140.03, 35.73), (140.2, 35.75), (140.0, 35.75), (140.02, 35.73), (140.1, 35.8)]
        {
            assert_eq!(index.covers(lon, lat), area.intersects(&geo::Point::new(lon, lat)), "({lon}, {lat})");
        }
        // A wavy boundary with a hole, on a grid that also hits some vertices exactly.
        let hole = square(140.04, 35.79, 140.06, 35.81);
        let area = parse_area(&json!({"type": "Polygon", "coordinates": [wavy(2_000), hole]})).unwrap();
        let index = IndexedArea::new(&area);
        for i in 0..=60 {
            for j in 0..=60 {
                let (lon, lat) = (139.99 + 0.002 * f64::from(i), 35.74 + 0.002 * f64::from(j));
                assert_eq!(index.covers(lon, lat), area.intersects(&geo::Point::new(lon, lat)), "({lon}, {lat})");
            }
        }
    }
}
