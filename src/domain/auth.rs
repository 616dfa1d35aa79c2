//! Who may do what, and the access log's vocabulary: plain types shared by the store (which
//! keeps them), the HTTP layer (which checks them) and the command line.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Who may do what; stored with each token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A household: its own children only.
    Family,
    /// 医療的ケア児等コーディネーター, 障害福祉課.
    Coordinator,
    /// 危機管理課: everything.
    Planner,
}

impl Role {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Family => "family",
            Role::Coordinator => "coordinator",
            Role::Planner => "planner",
        }
    }

    /// Parses a stored or typed role name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "family" => Some(Role::Family),
            "coordinator" => Some(Role::Coordinator),
            "planner" => Some(Role::Planner),
            _ => None,
        }
    }
}

/// A token as stored: the secret itself is never kept.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRecord {
    /// SHA-256 of the secret, hex.
    pub hash: String,
    /// Who holds it (shown in the access log).
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// Children a family token is bound to.
    pub child_ids: Vec<String>,
}

/// What was done to a child's data: one closed list, so a typo cannot invent an action the
/// log's readers do not know. Serialised (and stored) as the snake_case names used so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// One child read.
    Read,
    /// A child in a list answer.
    List,
    /// A child created.
    Create,
    /// A child replaced.
    Update,
    /// A child deleted.
    Delete,
    /// The nearest power for a child.
    NearestPower,
    /// A child's current plan read.
    PlanRead,
    /// A child's plan history read.
    PlanHistory,
    /// A new plan version written.
    PlanWrite,
    /// The printable plan sheet.
    PlanSheet,
    /// A child in a plan audit.
    Audit,
    /// A child affected in an outage scenario run.
    Scenario,
    /// A child in a saved scenario read again.
    ScenarioRead,
    /// A child in a command-line export.
    Export,
    /// A child's plan in a command-line export.
    ExportPlan,
    /// A child written by a command-line import.
    Import,
}

impl Action {
    /// Every action, for decoding and documentation.
    pub const ALL: [Action; 16] = [
        Action::Read,
        Action::List,
        Action::Create,
        Action::Update,
        Action::Delete,
        Action::NearestPower,
        Action::PlanRead,
        Action::PlanHistory,
        Action::PlanWrite,
        Action::PlanSheet,
        Action::Audit,
        Action::Scenario,
        Action::ScenarioRead,
        Action::Export,
        Action::ExportPlan,
        Action::Import,
    ];

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::List => "list",
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::NearestPower => "nearest_power",
            Action::PlanRead => "plan_read",
            Action::PlanHistory => "plan_history",
            Action::PlanWrite => "plan_write",
            Action::PlanSheet => "plan_sheet",
            Action::Audit => "audit",
            Action::Scenario => "scenario",
            Action::ScenarioRead => "scenario_read",
            Action::Export => "export",
            Action::ExportPlan => "export_plan",
            Action::Import => "import",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// One line of the access log.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AccessEntry {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Token name, or `cli` for the command line.
    pub token_name: String,
    /// Role of the accessor (a token's role, `anonymous` or `cli`).
    pub role: String,
    /// What was done.
    pub action: Action,
    /// Which child.
    pub child_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_serialise_as_their_stored_names_and_parse_back() {
        for a in Action::ALL {
            assert_eq!(serde_json::to_value(a).unwrap(), serde_json::Value::String(a.as_str().to_owned()));
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        assert_eq!(Action::parse("nearest-power"), None);
    }
}
