//! Roles as extractors: a handler states who may call it in its signature, so the check
//! cannot be forgotten inside the body, and it runs before any body is read.
//!
//! Each extractor answers 401 to a caller without a token and 403 to the wrong role; the
//! route test checks every documented operation with a token requirement against it.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::extract::PathId;
use super::{AppState, Caller, Error, Result};
use crate::domain::auth::{AccessEntry, Action, Role, TokenRecord};

async fn caller(parts: &mut Parts, state: &AppState) -> Result<Caller> {
    Caller::from_request_parts(parts, state).await
}

macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, [$($role:ident),+]) => {
        $(#[$doc])*
        pub struct $name(pub TokenRecord);

        impl $name {
            /// An access-log line for `action` on `child_id` by this caller.
            pub fn log(&self, action: Action, child_id: &str) -> AccessEntry {
                super::auth::access_entry(Some(&self.0), action, child_id)
            }
        }

        impl FromRequestParts<AppState> for $name {
            type Rejection = Error;

            async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
                let caller = caller(parts, state).await?;
                let token = caller.require(&[$(Role::$role),+])?;
                Ok($name(token.clone()))
            }
        }
    };
}

role_extractor!(
    /// 危機管理課: writes every resource, runs everything.
    Planner, [Planner]
);
role_extractor!(
    /// Staff: coordinators and planners, who see all children.
    Staff, [Coordinator, Planner]
);
role_extractor!(
    /// Any token holder: families (their own children only), coordinators and planners.
    Member, [Family, Coordinator, Planner]
);

/// A caller allowed to read the child in the path: staff always, a family only its own
/// (another child is a 404, so existence does not leak). The id is checked first.
pub struct ChildReader {
    /// Who is reading.
    pub caller: Caller,
    /// The child in the path.
    pub id: String,
}

impl ChildReader {
    /// An access-log line for `action` on this child.
    pub fn log(&self, action: Action) -> AccessEntry {
        self.caller.log_entry(action, &self.id)
    }
}

impl FromRequestParts<AppState> for ChildReader {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let caller = caller(parts, state).await?;
        // Authentication before the path: an anonymous caller learns nothing of ids.
        caller.require(&[Role::Family, Role::Coordinator, Role::Planner])?;
        let PathId(id) = PathId::from_request_parts(parts, state).await?;
        caller.may_read_child(&id)?;
        Ok(ChildReader { caller, id })
    }
}
