//! Plain types and rules of the domain: no I/O, so every rule is reachable from a unit test.
//!
//! Resources arrive as GeoJSON Features; [`feature`] turns them into typed values and
//! field-level errors, the per-resource modules hold the types and their validation,
//! [`compat`] answers "can this point run these devices", [`travel`] the time estimates.

pub mod child;
pub mod compat;
pub mod feature;
pub mod intake;
pub mod plan;
pub mod power_point;
pub mod shelter;
pub mod travel;

pub use child::{Child, ChildProps, Conflict, Contact, Device, DeviceKind, Hospital};
pub use feature::{FieldError, Located, Resource, parse_feature, validate_id};
pub use power_point::{Outlet, OutletType, PowerPoint, PowerPointKind, PowerPointProps, Status};
pub use shelter::{Hazard, Shelter, ShelterKind, ShelterProps};

/// Longest `name` the contract allows, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest other text field the contract allows, in characters.
pub const MAX_TEXT_CHARS: usize = 2_000;
/// Most features one collection may hold.
pub const MAX_FEATURES: usize = 1_000_000;

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

    /// Requires a non-empty name of at most [`MAX_NAME_CHARS`].
    pub fn name(&mut self, field: &str, value: &str) {
        if value.trim().is_empty() {
            self.fail(field, "must not be empty");
        } else if value.chars().count() > MAX_NAME_CHARS {
            self.fail(field, format!("must be at most {MAX_NAME_CHARS} characters"));
        }
    }

    /// Bounds an optional free-text field to [`MAX_TEXT_CHARS`].
    pub fn text(&mut self, field: &str, value: Option<&str>) {
        if let Some(v) = value
            && v.chars().count() > MAX_TEXT_CHARS
        {
            self.fail(field, format!("must be at most {MAX_TEXT_CHARS} characters"));
        }
    }

    /// Requires a finite number strictly above zero.
    pub fn positive(&mut self, field: &str, value: f64) {
        if !(value.is_finite() && value > 0.0) {
            self.fail(field, "must be a number greater than 0");
        }
    }

    /// Requires a finite number at or above zero.
    pub fn non_negative(&mut self, field: &str, value: f64) {
        if !(value.is_finite() && value >= 0.0) {
            self.fail(field, "must be a number 0 or greater");
        }
    }

    /// Requires an optional number, when present, to be finite and at or above zero.
    pub fn opt_non_negative(&mut self, field: &str, value: Option<f64>) {
        if let Some(v) = value {
            self.non_negative(field, v);
        }
    }

    /// Turns the collected errors into a result.
    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.errors.is_empty() { Ok(()) } else { Err(self.errors) }
    }
}
