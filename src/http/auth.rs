//! Who is calling: bearer tokens, looked up by their SHA-256 hash.
//!
//! Authentication is an extractor, so a handler that needs a role says so by calling
//! [`Caller::require`]; a missing token is "anonymous", an unknown, revoked or expired one
//! is a 401 (codes `unauthorized`, `token_revoked`, `token_expired`).

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use super::token_cache::Cached;
use super::{AppState, Error, Result};
use crate::domain::auth::{AccessEntry, Action, Refusal, Role, TokenRecord};
use crate::store::now_rfc3339;

/// How long a token read from the database is trusted before it is read again. Revocations
/// and unbound children reach every instance's cache on the change feed at once (see
/// `token_cache`); this is only the safety net for a follower that cannot read the feed.
const TOKEN_CACHE_TTL: Duration = Duration::from_secs(30);

/// Hex SHA-256 of a token secret: the only form in which tokens are stored.
pub fn hash_token(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new token secret: 256 random bits, hex, with a prefix that makes leaked tokens easy
/// to search for (in logs, in code).
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("pm_{}", hex::encode(bytes))
}

/// The caller of a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Caller {
    /// No token: public data only.
    Anonymous,
    /// A known token.
    Token(TokenRecord),
}

impl Caller {
    /// The caller's role, if any.
    pub fn role(&self) -> Option<Role> {
        match self {
            Caller::Anonymous => None,
            Caller::Token(t) => Some(t.role),
        }
    }

    /// Requires one of `roles`: 401 for anonymous callers, 403 for the wrong role.
    pub fn require(&self, roles: &[Role]) -> Result<&TokenRecord> {
        match self {
            Caller::Anonymous => Err(Error::Unauthorized("this needs a bearer token".into())),
            Caller::Token(t) if roles.contains(&t.role) => Ok(t),
            Caller::Token(t) => Err(Error::Forbidden(format!("the {} role may not do this", t.role.as_str()))),
        }
    }

    /// Coordinators and planners see exact figures and all children.
    pub fn is_staff(&self) -> bool {
        matches!(self.role(), Some(Role::Coordinator | Role::Planner))
    }

    /// Whether the caller may read this child: staff always, a family only its own.
    /// A family asking for another child gets 404, so existence does not leak.
    pub fn may_read_child(&self, child_id: &str) -> Result<()> {
        let token = self.require(&[Role::Family, Role::Coordinator, Role::Planner])?;
        if token.role == Role::Family && !token.child_ids.iter().any(|c| c == child_id) {
            return Err(Error::NotFound(format!("no child {child_id}")));
        }
        Ok(())
    }

    /// An access-log line for `action` on `child_id` by this caller.
    pub fn log_entry(&self, action: Action, child_id: &str) -> AccessEntry {
        match self {
            Caller::Anonymous => access_entry(None, action, child_id),
            Caller::Token(t) => access_entry(Some(t), action, child_id),
        }
    }
}

/// An access-log line for `action` on `child_id` by `token` (`None`: anonymous).
pub fn access_entry(token: Option<&TokenRecord>, action: Action, child_id: &str) -> AccessEntry {
    let (name, role) = match token {
        None => ("anonymous".to_owned(), "anonymous"),
        Some(t) => (t.name.clone(), t.role.as_str()),
    };
    AccessEntry {
        at: now_rfc3339(),
        token_name: name,
        role: role.to_owned(),
        action,
        child_id: Some(child_id.to_owned()),
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let Some(header) = parts.headers.get(AUTHORIZATION) else {
            return Ok(Caller::Anonymous);
        };
        let secret = header
            .to_str()
            .ok()
            .and_then(|h| h.split_once(' '))
            // RFC 7235: the scheme name is case-insensitive.
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::Unauthorized("Authorization must be \"Bearer <token>\"".into()))?;
        let hash = hash_token(secret);
        let at = OffsetDateTime::now_utc();
        let cached = state.tokens.read().get(&hash).filter(|(_, c)| c.read_at.elapsed() < TOKEN_CACHE_TTL).cloned();
        let (record, cached) = match cached {
            Some(entry) => entry,
            None => read_token(state, &hash).await?.ok_or_else(|| Error::Unauthorized("unknown token".into()))?,
        };
        cached.standing.check(at).map_err(|refusal| {
            let code = match refusal {
                Refusal::Revoked => "token_revoked",
                Refusal::Expired(_) => "token_expired",
            };
            Error::TokenRefused { code, message: refusal.to_string() }
        })?;
        state.token_state.note_use(&cached.standing.id, at);
        Ok(Caller::Token(record))
    }
}

/// Reads a token from the database and caches it (revoked ones too: a revocation is final).
/// Tokens made by `powermap token create` while we run are found on first use.
async fn read_token(state: &AppState, hash: &str) -> Result<Option<(TokenRecord, Cached)>> {
    let generation = state.token_state.generation();
    match state.store.tokens().lookup(hash).await? {
        Some((record, standing)) => {
            let entry = (record, Cached { standing, read_at: Instant::now() });
            state.token_state.remember(&state.tokens, hash, entry.clone(), generation);
            Ok(Some(entry))
        }
        None => {
            state.tokens.write().remove(hash);
            Ok(None)
        }
    }
}

/// Checks any bearer token on every route, public ones included, so an unknown or
/// malformed token is a 401 everywhere (the contract) and not silently "anonymous".
pub async fn authenticate(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (mut parts, body) = request.into_parts();
    match Caller::from_request_parts(&mut parts, &state).await {
        Ok(caller) => {
            parts.extensions.insert(caller);
            next.run(axum::extract::Request::from_parts(parts, body)).await
        }
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn family_may_read_only_its_own_children() {
        let family = Caller::Token(TokenRecord {
            hash: String::new(),
            name: "f".into(),
            role: Role::Family,
            child_ids: vec!["c1".into()],
        });
        assert!(family.may_read_child("c1").is_ok());
        assert!(matches!(family.may_read_child("c2"), Err(Error::NotFound(_))));
        assert!(matches!(Caller::Anonymous.may_read_child("c1"), Err(Error::Unauthorized(_))));
        assert!(matches!(family.require(&[Role::Planner]), Err(Error::Forbidden(_))));
    }
}
