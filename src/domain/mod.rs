//! Plain types and rules of the domain: no I/O, so every rule is reachable from a unit test.
//!
//! Resources arrive as GeoJSON Features; [`feature`] turns them into typed values and
//! field-level errors, the per-resource modules hold the types and their validation,
//! [`compat`] answers "can this point run these devices", [`travel`] the time estimates.

pub mod auth;
pub mod child;
pub mod compat;
pub mod district;
pub mod feature;
pub mod hazard_zone;
pub mod hours;
pub mod incident;
pub mod intake;
pub mod outage_feed;
pub mod plan;
pub mod power_point;
pub mod shelter;
pub mod spreadsheet;
pub mod text;
pub mod travel;
pub mod vocabulary;
pub mod whole;

pub use child::{Child, ChildProps, Conflict, Contact, Device, DeviceKind, Hospital};
pub use feature::{FieldError, Located, Resource, parse_feature, validate_id};
pub use power_point::{LiveStatus, Outlet, OutletType, PowerPoint, PowerPointKind, PowerPointProps, Status};
pub use shelter::{Hazard, Shelter, ShelterKind, ShelterProps};

/// Longest `name` the contract allows, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest other text field the contract allows, in characters.
pub const MAX_TEXT_CHARS: usize = 2_000;
/// Most features one collection may hold.
pub const MAX_FEATURES: usize = 1_000_000;
/// Largest power any field may state, watts (10 MW: past any site a city lists), so sums
/// stay finite and a typo is refused rather than trusted.
pub const MAX_WATTS: f64 = 10_000_000.0;
/// Longest duration any field may state, hours (over eleven years).
pub const MAX_HOURS: f64 = 100_000.0;
/// Most outlets one outlet group may count: sums over many points stay far from overflow.
pub const MAX_OUTLETS: u32 = 1_000;

/// Collects field errors while validating, so a client sees every problem at once.
#[derive(Debug, Default)]
pub struct Checker {
    /// The errors found so far, with field paths relative to the Feature.
    pub errors: Vec<FieldError>,
}

impl Checker {
    /// Records one problem with `field`.
    pub fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// Requires a name that is not blank (its length is bounded by [`Checker::text_limits`]).
    pub fn name(&mut self, field: &str, value: &str) {
        if value.trim().is_empty() {
            self.fail(field, "must not be empty");
        }
    }

    /// Bounds every string of `value`, however deeply nested, as the contract says: a
    /// `name` to [`MAX_NAME_CHARS`], any other text to [`MAX_TEXT_CHARS`]. Walking the
    /// serialized form means a field added later is bounded without being listed here.
    pub fn text_limits(&mut self, value: &impl serde::Serialize) {
        if let Ok(tree) = serde_json::to_value(value) {
            let mut path = Vec::new();
            self.walk_text(&tree, None, &mut path);
        }
    }

    fn walk_text<'v>(&mut self, value: &'v serde_json::Value, key: Option<&'v str>, path: &mut Vec<PathStep<'v>>) {
        use serde_json::Value;
        match value {
            Value::String(s) => {
                let limit = if key == Some("name") { MAX_NAME_CHARS } else { MAX_TEXT_CHARS };
                if s.len() > limit && s.chars().count() > limit {
                    self.fail(render_path(path), format!("must be at most {limit} characters"));
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(PathStep::Index(i));
                    self.walk_text(item, key, path);
                    path.pop();
                }
            }
            Value::Object(map) => {
                for (k, item) in map {
                    path.push(PathStep::Key(k));
                    self.walk_text(item, Some(k), path);
                    path.pop();
                }
            }
            _ => {}
        }
    }

    /// Requires a power in watts: finite, above zero, at most [`MAX_WATTS`].
    pub fn watts(&mut self, field: &str, value: f64) {
        if !(value.is_finite() && value > 0.0) {
            self.fail(field, "must be a number greater than 0");
        } else if value > MAX_WATTS {
            self.fail(field, format!("must be at most {MAX_WATTS} W"));
        }
    }

    /// Requires an optional duration, when present, to be finite, 0 or more and at most `max`.
    pub fn duration(&mut self, field: &str, value: Option<f64>, max: f64) {
        if let Some(v) = value {
            if !(v.is_finite() && v >= 0.0) {
                self.fail(field, "must be a number 0 or greater");
            } else if v > max {
                self.fail(field, format!("must be at most {max}"));
            }
        }
    }

    /// Refuses a value listed twice in `items` (a hazard, say), naming the later one.
    pub fn unique<T: PartialEq>(&mut self, field: &str, items: &[T]) {
        for (i, item) in items.iter().enumerate() {
            if items[..i].contains(item) {
                self.fail(format!("{field}[{i}]"), "listed twice");
            }
        }
    }

    /// Turns the collected errors into a result.
    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.errors.is_empty() { Ok(()) } else { Err(self.errors) }
    }
}

/// One step of a field path while walking a document.
enum PathStep<'v> {
    Key(&'v str),
    Index(usize),
}

/// `contacts[0].relation` from its steps.
fn render_path(path: &[PathStep<'_>]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            PathStep::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            PathStep::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}
