//! Geodesy for the index: unit vectors for the R-tree, Karney geodesics for the answers.
//!
//! # References
//! C. F. F. Karney, *Algorithms for geodesics*, J. Geodesy 87 (2013) 43–55, as implemented
//! by `geo::Geodesic` (geographiclib-rs).

use std::sync::LazyLock;

use geographiclib_rs::{Geodesic, InverseGeodesic};

/// The WGS 84 ellipsoid's geodesic solver, built once (its series coefficients are not free).
static WGS84: LazyLock<Geodesic> = LazyLock::new(Geodesic::wgs84);

/// The smallest radius of curvature of the WGS 84 ellipsoid, `a(1 − e²)` (the meridional
/// radius at the equator), in metres.
///
/// The ellipsoid's line element is `ds² = M² dφ² + N² cos²φ dλ²` with `M, N ≥` this value,
/// so every path on the ellipsoid is at least this many metres per radian of the great
/// circle between the same latitudes and longitudes on the unit sphere. That makes
/// `distance_m / MIN_RADIUS_M` a safe lower bound for the central angle.
pub const MIN_RADIUS_M: f64 = 6_335_439.327;

/// The largest radius of curvature of WGS 84, `a²/b` (both radii at the poles), in metres:
/// no path on the ellipsoid is longer than this many metres per radian of the unit-sphere
/// great circle between the same coordinates, so `angle × MAX_RADIUS_M` bounds a geodesic.
pub const MAX_RADIUS_M: f64 = 6_399_593.626;

/// Extra safety on top of the proven bound (rounding, and the design's stated 1 %).
pub const MARGIN: f64 = 1.01;

/// WGS 84 geodesic inverse: (distance in metres, initial bearing in degrees in [0, 360)),
/// from one solution of the inverse problem (the same geographiclib-rs that `geo` uses).
///
/// # Units
/// Degrees in, metres and degrees out.
pub fn geodesic_inverse(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> (f64, f64) {
    let (s12, azi1, _azi2, _a12): (f64, f64, f64, f64) = WGS84.inverse(lat1, lon1, lat2, lon2);
    let bearing = azi1.rem_euclid(360.0);
    (s12, if bearing >= 360.0 { 0.0 } else { bearing })
}

/// WGS 84 geodesic distance in metres.
pub fn geodesic_distance_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let s12: f64 = WGS84.inverse(lat1, lon1, lat2, lon2);
    s12
}

/// The point as a unit vector (x towards 0°E on the equator, z towards the north pole).
pub fn unit_vector(lon: f64, lat: f64) -> [f64; 3] {
    let (sin_lat, cos_lat) = lat.to_radians().sin_cos();
    let (sin_lon, cos_lon) = lon.to_radians().sin_cos();
    [cos_lat * cos_lon, cos_lat * sin_lon, sin_lat]
}

/// The largest chord (between unit vectors) a point within `distance_m` of the origin can
/// have: points with a longer chord are certainly farther, so the search may stop there.
pub fn chord_bound(distance_m: f64) -> f64 {
    let angle = distance_m * MARGIN / MIN_RADIUS_M;
    if angle >= std::f64::consts::PI { 2.0 } else { 2.0 * (angle / 2.0).sin() }
}

/// The largest chord a point can have and still be as near, geodesically, as a point at
/// chord `chord`: that point is at most `angle(chord) × MAX_RADIUS_M` away on the ellipsoid,
/// so this is [`chord_bound`] of that distance. Lets the index prune without solving geodesics.
pub fn candidate_chord(chord: f64) -> f64 {
    let angle = 2.0 * (chord / 2.0).min(1.0).asin();
    chord_bound(angle * MAX_RADIUS_M)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn karney_reference_values() {
        // GeographicLib's documented GeodSolve example, JFK to LHR:
        // `echo 40.6 -73.8 51.6 -0.5 | GeodSolve -i` → azi1 51.198882845579, s12 5551759.400319.
        let (d, b) = geodesic_inverse(-73.8, 40.6, -0.5, 51.6);
        assert!((d - 5_551_759.400_319).abs() < 1e-3, "{d}");
        assert!((b - 51.198_882_845_579).abs() < 1e-9, "{b}");
        // One degree of latitude at the equator is 110,574.4 m on WGS 84.
        assert!((geodesic_distance_m(0.0, 0.0, 0.0, 1.0) - 110_574.389).abs() < 0.01);
    }

    #[test]
    fn bearings_are_in_range() {
        let (_, west) = geodesic_inverse(140.05, 35.79, 140.00, 35.79);
        assert!((269.0..271.0).contains(&west), "{west}");
        let (_, north) = geodesic_inverse(140.05, 35.79, 140.05, 35.80);
        assert!((0.0..360.0).contains(&north) && !(0.5..359.5).contains(&north), "{north}");
    }

    #[test]
    fn unit_vectors_are_unit() {
        for (lon, lat) in [(0.0, 0.0), (140.0, 35.8), (-180.0, -90.0), (179.9, 89.9)] {
            let v = unit_vector(lon, lat);
            assert!((v.iter().map(|c| c * c).sum::<f64>() - 1.0).abs() < 1e-12);
        }
    }
}
