//! Who may do what, and the access log's vocabulary: plain types shared by the store (which
//! keeps them), the HTTP layer (which checks them) and the command line.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::hours::JST;

/// The change feed's name for tokens: a revocation is recorded under it with the token's id,
/// so every instance drops its cached copy as soon as its follower reads the change.
pub const TOKEN_CHANGES: &str = "tokens";

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

/// What a stored token's validity depends on besides its secret: kept beside the
/// [`TokenRecord`] in each instance's cache and checked on every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenStanding {
    /// The token's public id (listed, revoked by; never derived from the secret).
    pub id: String,
    /// The last day (in Japan) on which it is accepted; `None`: no expiry.
    pub expires_on: Option<Date>,
    /// When it was revoked; `None` while it is live.
    pub revoked_at: Option<OffsetDateTime>,
}

/// Why a known token is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Revoked (by `powermap token revoke`, a planner, or a newer QR sign-in for the child).
    #[error("this token was revoked; ask the city office for a new one")]
    Revoked,
    /// Past its last day.
    #[error("this token expired after {0} (Japan time); ask the city office for a new one")]
    Expired(Date),
}

impl TokenStanding {
    /// Whether the token is accepted at `at`: not revoked, and `at` falls on or before its
    /// expiry date in Japan time (`--expires 2027-03-31` still works all of that day, JST).
    pub fn check(&self, at: OffsetDateTime) -> Result<(), Refusal> {
        if self.revoked_at.is_some() {
            return Err(Refusal::Revoked);
        }
        match self.expires_on {
            Some(last) if date_in_japan(at) > last => Err(Refusal::Expired(last)),
            _ => Ok(()),
        }
    }
}

/// The date in Japan (UTC+9, no daylight saving) at `at`.
pub fn date_in_japan(at: OffsetDateTime) -> Date {
    at.to_offset(JST).date()
}

/// Parses an expiry date typed as `YYYY-MM-DD`; `today` (in Japan) or later, since a token
/// that expired before it was made is a typo.
pub fn parse_expiry(text: &str, today: Date) -> Result<Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = Date::parse(text.trim(), format)
        .map_err(|_| format!("must be a date as YYYY-MM-DD (e.g. 2027-03-31), not {text:?}"))?;
    if date < today {
        return Err(format!("{date} is already past (today is {today} in Japan)"));
    }
    Ok(date)
}

/// A token as listed (`powermap token list`, `GET /api/v1/tokens`): everything but the
/// secret and its hash, which never leave the store.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TokenInfo {
    /// Public id, to revoke by.
    pub id: String,
    /// Who holds it.
    pub name: String,
    /// What it may do.
    #[schema(value_type = String, example = "family")]
    pub role: Role,
    /// Children a family token is bound to.
    pub child_ids: Vec<String>,
    /// When it was made (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String)]
    pub created_at: OffsetDateTime,
    /// Its last day in Japan time (inclusive), or null.
    #[schema(value_type = Option<String>, example = "2027-03-31")]
    pub expires_on: Option<Date>,
    /// When it was revoked (RFC 3339), or null while live.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>)]
    pub revoked_at: Option<OffsetDateTime>,
    /// When it was last used (RFC 3339, to the minute: uses are recorded in batches), or null.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>)]
    pub last_used_at: Option<OffsetDateTime>,
    /// For a family token issued as a QR sign-in: the child it was issued for (a newer
    /// issue for that child revokes it).
    pub sign_in_child_id: Option<String>,
}

impl TokenInfo {
    /// `live`, `revoked` or `expired` at `at`.
    pub fn state(&self, at: OffsetDateTime) -> &'static str {
        let standing = TokenStanding { id: self.id.clone(), expires_on: self.expires_on, revoked_at: self.revoked_at };
        match standing.check(at) {
            Ok(()) => "live",
            Err(Refusal::Revoked) => "revoked",
            Err(Refusal::Expired(_)) => "expired",
        }
    }
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
    /// A family token bound to the child issued (a QR sign-in, or by a planner).
    TokenIssue,
    /// A child named in an incident's call list (JSON or CSV).
    IncidentList,
    /// A child's battery clock in one incident (`/children/{id}/incident`).
    IncidentRead,
    /// A welfare check recorded for a child.
    CheckWrite,
    /// A child's welfare checks read.
    CheckRead,
    /// A child in the plan priority list (作成優先度).
    PlanPriority,
}

impl Action {
    /// Every action, for decoding and documentation.
    pub const ALL: [Action; 22] = [
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
        Action::TokenIssue,
        Action::IncidentList,
        Action::IncidentRead,
        Action::CheckWrite,
        Action::CheckRead,
        Action::PlanPriority,
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
            Action::TokenIssue => "token_issue",
            Action::IncidentList => "incident_list",
            Action::IncidentRead => "incident_read",
            Action::CheckWrite => "check_write",
            Action::CheckRead => "check_read",
            Action::PlanPriority => "plan_priority",
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

    fn standing(expires_on: Option<Date>, revoked: bool) -> TokenStanding {
        let revoked_at = revoked.then_some(time::macros::datetime!(2026-12-01 00:00 UTC));
        TokenStanding { id: "tok-1".into(), expires_on, revoked_at }
    }

    #[test]
    fn a_token_works_all_of_its_last_day_in_japan_and_not_a_minute_after() {
        let last = time::macros::date!(2027 - 03 - 31);
        let t = standing(Some(last), false);
        // 2027-03-31 23:59 JST is 14:59 UTC the same day; midnight JST is 15:00 UTC.
        assert_eq!(t.check(time::macros::datetime!(2027-03-31 14:59:59 UTC)), Ok(()));
        assert_eq!(t.check(time::macros::datetime!(2027-03-31 15:00 UTC)), Err(Refusal::Expired(last)));
        // 2027-03-30 20:00 UTC is already 03-31 in Japan: still accepted.
        assert_eq!(t.check(time::macros::datetime!(2027-03-30 20:00 UTC)), Ok(()));
        assert_eq!(standing(None, false).check(time::macros::datetime!(2099-01-01 00:00 UTC)), Ok(()));
    }

    #[test]
    fn a_revoked_token_is_refused_whatever_its_expiry() {
        let at = time::macros::datetime!(2026-12-03 00:00 UTC);
        assert_eq!(standing(None, true).check(at), Err(Refusal::Revoked));
        assert_eq!(standing(Some(time::macros::date!(2099 - 01 - 01)), true).check(at), Err(Refusal::Revoked));
    }

    #[test]
    fn expiry_dates_are_iso_and_not_in_the_past() {
        let today = time::macros::date!(2026 - 12 - 03);
        assert_eq!(parse_expiry("2027-03-31", today), Ok(time::macros::date!(2027 - 03 - 31)));
        assert_eq!(parse_expiry("2026-12-03", today), Ok(today), "today is allowed: it works until midnight JST");
        assert!(parse_expiry("2026-12-02", today).unwrap_err().contains("already past"));
        for bad in ["2027/03/31", "2027-02-30", "31-03-2027", "tomorrow", ""] {
            assert!(parse_expiry(bad, today).unwrap_err().contains("YYYY-MM-DD"), "{bad}");
        }
    }
}
