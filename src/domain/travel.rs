//! Travel-time estimates: road distance is longer than geodesic, and disaster traffic slow.

use serde::Serialize;
use utoipa::ToSchema;

/// The assumptions behind every travel estimate, echoed in answers so a reader can judge them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct TravelModel {
    /// Road distance ÷ geodesic distance.
    pub detour_factor: f64,
    /// Walking speed with equipment, km/h.
    pub walk_kmh: f64,
    /// Driving speed in disaster traffic, km/h.
    pub drive_kmh: f64,
}

impl Default for TravelModel {
    /// The contract's defaults: ×1.3 detour, 3 km/h walking, 20 km/h driving.
    fn default() -> Self {
        Self { detour_factor: 1.3, walk_kmh: 3.0, drive_kmh: 20.0 }
    }
}

impl TravelModel {
    /// Minutes on foot for a geodesic distance in metres.
    pub fn walk_min(&self, distance_m: f64) -> f64 {
        self.minutes(distance_m, self.walk_kmh)
    }

    /// Minutes by car for a geodesic distance in metres.
    pub fn drive_min(&self, distance_m: f64) -> f64 {
        self.minutes(distance_m, self.drive_kmh)
    }

    fn minutes(&self, distance_m: f64, kmh: f64) -> f64 {
        distance_m * self.detour_factor / (kmh * 1000.0 / 60.0)
    }
}

/// Rounds to one decimal, as the contract does for metres and minutes.
pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Whether a trip of `travel_min` leaves at least half the battery: the contract's margin,
/// because the family may have to come back or wait. No life-critical device, no limit.
pub fn within_battery(travel_min: f64, autonomy_h: Option<f64>) -> bool {
    autonomy_h.is_none_or(|h| travel_min <= h * 60.0 / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_defaults() {
        let t = TravelModel::default();
        // 1 km × 1.3 at 3 km/h = 26 min; at 20 km/h = 3.9 min.
        assert!((t.walk_min(1000.0) - 26.0).abs() < 1e-9);
        assert!((t.drive_min(1000.0) - 3.9).abs() < 1e-9);
        assert_eq!(round1(3.94999), 3.9);
        assert_eq!(round1(123.45001), 123.5);
    }

    #[test]
    fn half_the_battery_is_the_limit() {
        assert!(within_battery(60.0, Some(2.0)));
        assert!(!within_battery(60.1, Some(2.0)));
        assert!(!within_battery(0.1, Some(0.0)));
        assert!(within_battery(1e6, None));
    }
}
