//! Travel-time estimates: road distance is longer than geodesic, and disaster traffic slow.

use serde::Serialize;
use utoipa::ToSchema;

use super::plan::Transport;

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

/// The contract's default walking speed with equipment, km/h.
pub const DEFAULT_WALK_KMH: f64 = 3.0;
/// The contract's default driving speed in disaster traffic, km/h.
pub const DEFAULT_DRIVE_KMH: f64 = 20.0;
/// The contract's default road distance ÷ geodesic distance.
pub const DEFAULT_DETOUR_FACTOR: f64 = 1.3;

impl Default for TravelModel {
    /// The contract's defaults: ×1.3 detour, 3 km/h walking, 20 km/h driving.
    fn default() -> Self {
        Self { detour_factor: DEFAULT_DETOUR_FACTOR, walk_kmh: DEFAULT_WALK_KMH, drive_kmh: DEFAULT_DRIVE_KMH }
    }
}

/// How a family travels, as far as the estimate is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// On foot.
    Walk,
    /// By any vehicle.
    Drive,
}

impl Mode {
    /// The contract's rule: walk if the plan says so, else drive; drive when there is no plan.
    pub fn of(transport: Option<Transport>) -> Self {
        if transport == Some(Transport::Walk) { Self::Walk } else { Self::Drive }
    }

    /// The word answers use (`travel_mode`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Walk => "walk",
            Self::Drive => "drive",
        }
    }

    /// The word the sheet and the audit use (徒歩 / 車).
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Walk => "徒歩",
            Self::Drive => "車",
        }
    }
}

impl TravelModel {
    /// Minutes for a geodesic distance in metres, travelling as the plan's `transport` says
    /// (the one rule every answer uses, so the map, the sheet and the audit agree).
    pub fn minutes(&self, distance_m: f64, transport: Option<Transport>) -> f64 {
        self.minutes_by(distance_m, Mode::of(transport))
    }

    /// Minutes for a geodesic distance in metres in a given mode.
    pub fn minutes_by(&self, distance_m: f64, mode: Mode) -> f64 {
        let kmh = match mode {
            Mode::Walk => self.walk_kmh,
            Mode::Drive => self.drive_kmh,
        };
        distance_m * self.detour_factor / (kmh * 1000.0 / 60.0)
    }
}

/// Rounds to one decimal, as the contract does for metres and minutes.
pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// A duration as people read it on paper: whole minutes, hours once past an hour
/// (「50分」, 「1時間20分」, 「3時間」); a trip that takes any time at all is at least 「1分」.
/// Callers say 「約」: a travel estimate is never exact to the minute.
///
/// # Example
/// ```
/// use powermap::domain::travel::duration_ja;
/// assert_eq!(duration_ja(50.3), "50分");
/// assert_eq!(duration_ja(80.0), "1時間20分");
/// ```
pub fn duration_ja(minutes: f64) -> String {
    // Float-to-integer casts saturate (and NaN is 0), so no input panics or wraps.
    let whole = if minutes > 0.0 { minutes.round().max(1.0) as u64 } else { 0 };
    match (whole / 60, whole % 60) {
        (0, m) => format!("{m}分"),
        (h, 0) => format!("{h}時間"),
        (h, m) => format!("{h}時間{m}分"),
    }
}

/// A distance as people read it: metres to the nearest 10 below a kilometre, kilometres with
/// one decimal below 10 km and whole kilometres beyond (「850 m」, 「5.2 km」, 「12 km」).
///
/// # Example
/// ```
/// use powermap::domain::travel::distance_ja;
/// assert_eq!(distance_ja(5198.3), "5.2 km");
/// assert_eq!(distance_ja(843.0), "840 m");
/// ```
pub fn distance_ja(distance_m: f64) -> String {
    let m = distance_m.max(0.0);
    if m < 995.0 {
        format!("{} m", (m / 10.0).round() * 10.0)
    } else if m < 9_950.0 {
        format!("{:.1} km", m / 1000.0)
    } else {
        format!("{:.0} km", m / 1000.0)
    }
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
        assert!((t.minutes_by(1000.0, Mode::Walk) - 26.0).abs() < 1e-9);
        assert!((t.minutes_by(1000.0, Mode::Drive) - 3.9).abs() < 1e-9);
        assert_eq!(round1(3.94999), 3.9);
        assert_eq!(round1(123.45001), 123.5);
    }

    #[test]
    fn walk_only_when_the_plan_says_so() {
        let t = TravelModel::default();
        assert!((t.minutes(1000.0, Some(Transport::Walk)) - 26.0).abs() < 1e-9);
        for other in [None, Some(Transport::FamilyCar), Some(Transport::Ambulance), Some(Transport::Other)] {
            assert!((t.minutes(1000.0, other) - 3.9).abs() < 1e-9, "{other:?}");
        }
    }

    #[test]
    fn durations_read_as_whole_minutes_and_hours() {
        assert_eq!(duration_ja(50.3), "50分");
        assert_eq!(duration_ja(49.5), "50分");
        assert_eq!(duration_ja(0.2), "1分", "a trip is never 0 minutes");
        assert_eq!(duration_ja(0.0), "0分");
        assert_eq!(duration_ja(59.6), "1時間");
        assert_eq!(duration_ja(80.4), "1時間20分");
        assert_eq!(duration_ja(180.0), "3時間");
        assert_eq!(duration_ja(15.0), "15分");
    }

    #[test]
    fn distances_read_as_metres_or_kilometres() {
        assert_eq!(distance_ja(5198.3), "5.2 km");
        assert_eq!(distance_ja(1935.5), "1.9 km");
        assert_eq!(distance_ja(843.0), "840 m");
        assert_eq!(distance_ja(4.0), "0 m");
        assert_eq!(distance_ja(994.9), "990 m");
        assert_eq!(distance_ja(995.0), "1.0 km");
        assert_eq!(distance_ja(9_949.0), "9.9 km");
        assert_eq!(distance_ja(12_345.0), "12 km");
    }

    #[test]
    fn half_the_battery_is_the_limit() {
        assert!(within_battery(60.0, Some(2.0)));
        assert!(!within_battery(60.1, Some(2.0)));
        assert!(!within_battery(0.1, Some(0.0)));
        assert!(within_battery(1e6, None));
    }
}
