//! 個別避難計画 (individual evacuation plans): versioned, never edited in place.

use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::{Checker, Contact, FieldError};

/// How the family plans to travel; decides which travel time counts against the battery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// On foot.
    Walk,
    /// The family's car.
    FamilyCar,
    /// A welfare vehicle.
    WelfareVehicle,
    /// An ambulance.
    Ambulance,
    /// Anything else.
    Other,
}

/// Where a plan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// Being written.
    #[default]
    Draft,
    /// Agreed with the family.
    Agreed,
    /// Something changed; needs another look.
    NeedsReview,
}

/// How urgent an audit finding is; the coordinator's list and CSV filter by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The plan would fail the child.
    Error,
    /// The plan needs attention.
    Warning,
    /// A possible improvement.
    Info,
}

impl Severity {
    /// Japanese label for reports (see [`super::vocabulary`]).
    pub fn label_ja(self) -> &'static str {
        super::vocabulary::Vocabulary::label_ja(self)
    }
}

/// What a coordinator sends with `PUT …/plan`: `version` is the one it was based on.
/// Unknown fields are refused, so a misspelt `powerpoint_id` is not silently stored as none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// The version this edit started from; 0 when the child has no plan yet.
    #[serde(deserialize_with = "super::whole::i64")]
    #[schema(minimum = 0)]
    pub version: i64,
    /// Status.
    #[serde(default)]
    pub status: PlanStatus,
    /// Planned shelter.
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub shelter_id: Option<String>,
    /// Second-choice shelter.
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub backup_shelter_id: Option<String>,
    /// Planned power point.
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub power_point_id: Option<String>,
    /// Second-choice power point.
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub backup_power_point_id: Option<String>,
    /// How the family travels.
    #[serde(default)]
    pub transport: Option<Transport>,
    /// People who help the family move.
    #[serde(default)]
    pub supporters: Vec<Contact>,
    /// Route, free text.
    #[serde(default)]
    pub route_notes: Option<String>,
    /// When the plan was last reviewed with the family.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub reviewed_at: Option<Date>,
    /// When it must be reviewed next.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub next_review_due: Option<Date>,
}

/// A stored plan version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Plan {
    /// Whose plan.
    pub child_id: String,
    /// 1, 2, … — each `PUT` adds one.
    pub version: i64,
    /// The plan's fields.
    #[serde(flatten)]
    pub body: PlanBody,
    /// Token name of whoever stored this version.
    pub author: String,
    /// When this version was stored (RFC 3339).
    pub created_at: String,
}

/// The fields of a plan other than its identity and provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PlanBody {
    /// Status.
    #[serde(default)]
    pub status: PlanStatus,
    /// Planned shelter.
    pub shelter_id: Option<String>,
    /// Second-choice shelter.
    pub backup_shelter_id: Option<String>,
    /// Planned power point.
    pub power_point_id: Option<String>,
    /// Second-choice power point.
    pub backup_power_point_id: Option<String>,
    /// How the family travels.
    pub transport: Option<Transport>,
    /// People who help.
    #[serde(default)]
    pub supporters: Vec<Contact>,
    /// Route, free text.
    pub route_notes: Option<String>,
    /// Last review.
    #[schema(value_type = Option<String>, format = Date)]
    pub reviewed_at: Option<Date>,
    /// Next review due.
    #[schema(value_type = Option<String>, format = Date)]
    pub next_review_due: Option<Date>,
}

impl PlanInput {
    /// Checks ids and text lengths; references to missing sites are an audit finding, not an error.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut check = Checker::default();
        if self.version < 0 {
            check.fail("version", "must be 0 or more");
        }
        for (field, id) in [
            ("shelter_id", &self.shelter_id),
            ("backup_shelter_id", &self.backup_shelter_id),
            ("power_point_id", &self.power_point_id),
            ("backup_power_point_id", &self.backup_power_point_id),
        ] {
            if let Some(id) = id
                && let Err(m) = super::validate_id(id)
            {
                check.fail(field, m);
            }
        }
        for (i, s) in self.supporters.iter().enumerate() {
            check.name(&format!("supporters[{i}].name"), &s.name);
        }
        check.text_limits(self);
        check.finish()
    }

    /// The stored fields of this input.
    pub fn into_body(self) -> PlanBody {
        PlanBody {
            status: self.status,
            shelter_id: self.shelter_id,
            backup_shelter_id: self.backup_shelter_id,
            power_point_id: self.power_point_id,
            backup_power_point_id: self.backup_power_point_id,
            transport: self.transport,
            supporters: self.supporters,
            route_notes: self.route_notes,
            reviewed_at: self.reviewed_at,
            next_review_due: self.next_review_due,
        }
    }
}
