//! `powermap token create | list | revoke`: a new secret is printed once and only its hash is
//! stored; the list never shows secrets; a revocation reaches every running server on the
//! change feed.

use anyhow::{Result, bail};
use clap::{Subcommand, ValueEnum};
use time::OffsetDateTime;

use crate::domain::ChildProps;
use crate::domain::auth::{Role, TokenInfo, TokenRecord, date_in_japan, parse_expiry};
use crate::domain::hours::JST;
use crate::domain::text::check_name;
use crate::http::{hash_token, new_secret};
use crate::store::{NewToken, Revocation, Store};

/// Token actions.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once.
    Create {
        /// family | coordinator | planner
        #[arg(long)]
        role: String,
        /// Child a family token may read (repeatable).
        #[arg(long = "child")]
        children: Vec<String>,
        /// Who holds it; shown in the access log.
        #[arg(long)]
        name: String,
        /// Last day it is accepted (Japan time, inclusive), e.g. 2027-03-31.
        #[arg(long, value_name = "YYYY-MM-DD")]
        expires: Option<String>,
    },
    /// List tokens: name, role, children, created, expires, last used — never the secret.
    List {
        /// A table for people, or JSON for scripts.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Revoke a token by its id or name: refused from that moment on, on every server.
    Revoke {
        /// The token's id (`tok-…`, from `token list`) or its name.
        token: String,
    },
}

/// How `token list` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Aligned columns with Japanese headers.
    Table,
    /// A JSON array, as `GET /api/v1/tokens` answers.
    Json,
}

pub(super) async fn run(db: &str, action: TokenCommand) -> Result<()> {
    match action {
        TokenCommand::Create { role, children, name, expires } => create(db, &role, children, name, expires).await,
        TokenCommand::List { format } => list(db, format).await,
        TokenCommand::Revoke { token } => revoke(db, &token).await,
    }
}

async fn create(db: &str, role: &str, children: Vec<String>, name: String, expires: Option<String>) -> Result<()> {
    let Some(role) = Role::parse(role) else {
        bail!("--role must be family, coordinator or planner, not {role:?}");
    };
    if let Err(e) = check_name(&name) {
        bail!("--name {e}");
    }
    match (role, children.is_empty()) {
        (Role::Family, true) => bail!("a family token needs at least one --child ID"),
        (Role::Coordinator | Role::Planner, false) => bail!("--child is only for family tokens"),
        _ => {}
    }
    let at = OffsetDateTime::now_utc();
    let expires_on = match expires.as_deref().map(|e| parse_expiry(e, date_in_japan(at))).transpose() {
        Ok(date) => date,
        Err(e) => bail!("--expires {e}"),
    };
    let store = Store::connect(db).await?;
    for child in &children {
        if store.resources().get::<ChildProps>(child).await?.is_none() {
            bail!("no child {child} in the database");
        }
    }
    let secret = new_secret();
    let record = TokenRecord { hash: hash_token(&secret), name, role, child_ids: children };
    store.tokens().create_with(&record, NewToken { expires_on, demo: false }, at).await?;
    println!("{secret}");
    Ok(())
}

async fn list(db: &str, format: ListFormat) -> Result<()> {
    let tokens = Store::connect(db).await?.tokens().list().await?;
    if format == ListFormat::Json {
        println!("{}", serde_json::to_string_pretty(&tokens)?);
        return Ok(());
    }
    let at = OffsetDateTime::now_utc();
    let rows: Vec<Vec<String>> = tokens.iter().map(|t| row(t, at)).collect();
    let headers = ["ID", "名前", "権限", "児童", "作成", "期限", "最終利用", "状態"];
    println!("{}", super::table::render(&headers, &rows));
    println!("{} 件（時刻は日本時間）", tokens.len());
    Ok(())
}

/// A time as people in the office read it: JST, to the minute.
fn jst(t: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    t.to_offset(JST).format(format).unwrap_or_default()
}

fn row(t: &TokenInfo, at: OffsetDateTime) -> Vec<String> {
    let or_dash = |s: Option<String>| s.unwrap_or_else(|| "—".into());
    let state = match t.state(at) {
        "live" => "有効".to_owned(),
        "expired" => "期限切れ".to_owned(),
        _ => format!("失効 {}", t.revoked_at.map(jst).unwrap_or_default()),
    };
    vec![
        t.id.clone(),
        t.name.clone(),
        t.role.as_str().to_owned(),
        if t.child_ids.is_empty() { "—".into() } else { t.child_ids.join(",") },
        jst(t.created_at),
        or_dash(t.expires_on.map(|d| d.to_string())),
        or_dash(t.last_used_at.map(jst)),
        state,
    ]
}

/// Finds the token `wanted` names: an id first, else a name held by exactly one live token.
fn pick<'a>(tokens: &'a [TokenInfo], wanted: &str) -> Result<&'a TokenInfo> {
    if let Some(t) = tokens.iter().find(|t| t.id == wanted) {
        return Ok(t);
    }
    let named: Vec<&TokenInfo> = tokens.iter().filter(|t| t.name == wanted).collect();
    let live: Vec<&TokenInfo> = named.iter().copied().filter(|t| t.revoked_at.is_none()).collect();
    match (live.as_slice(), named.first()) {
        ([one], _) => Ok(one),
        ([], Some(revoked)) => Ok(revoked),
        ([], None) => bail!("トークン「{wanted}」はありません（ID か名前を `powermap token list` で確認してください）"),
        (many, _) => {
            let ids: Vec<&str> = many.iter().map(|t| t.id.as_str()).collect();
            bail!(
                "「{wanted}」という名前の有効なトークンが {} 件あります。ID で指定してください: {}",
                many.len(),
                ids.join(", ")
            )
        }
    }
}

async fn revoke(db: &str, wanted: &str) -> Result<()> {
    let store = Store::connect(db).await?;
    let tokens = store.tokens().list().await?;
    let token = pick(&tokens, wanted)?;
    match store.tokens().revoke(&token.id, OffsetDateTime::now_utc()).await? {
        Some(Revocation::Revoked { .. }) => {
            println!(
                "トークン「{}」（{}）を失効させました。稼働中のすべてのサーバーで拒否されます。",
                token.name, token.id
            )
        }
        Some(Revocation::Already(when)) => {
            println!("トークン「{}」（{}）は {} に失効済みです。", token.name, token.id, jst(when))
        }
        None => bail!("トークン「{wanted}」は失効の前に削除されました"),
    }
    Ok(())
}
