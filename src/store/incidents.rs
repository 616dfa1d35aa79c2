//! Incidents, their outage areas and welfare checks, and live reports from power points.
//!
//! Every write is one transaction that first checks the incident is stored and open (so a
//! close cannot slip between check and write), then appends to the change feed under the
//! kinds of [`crate::domain::incident::FEED_KINDS`], so other instances and event streams
//! see it. Checks and reports are append-only.

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use super::{BATCH_ROWS, Result, Store, StoreError, WriteMode, child_exists, now_rfc3339, value_groups};
use crate::domain::auth::AccessEntry;
use crate::domain::incident::{Incident, OutageArea, PowerReport, StoredCheck, StoredReport, WelfareCheck};
use crate::domain::{FieldError, LiveStatus, PowerPointProps, Resource};

const INCIDENT: &str = "SELECT id, name, started_at, closed_at, notes FROM incidents";
const OUTAGE: &str =
    "SELECT id, incident_id, geometry, district, since, restored_at, source, households FROM incident_outages";
const CHECK: &str = "SELECT id, incident_id, child_id, body, token_name, role FROM welfare_checks";
const REPORT: &str = "SELECT id, power_point_id, body, reported_by, role FROM power_reports";

/// A time as stored: RFC 3339 in UTC.
fn stamp(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC).format(&Rfc3339).unwrap_or_default()
}

/// A time as Unix milliseconds, the order of the `_ms` columns.
fn millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

fn parse_time(id: &str, text: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|e| StoreError::Corrupt { id: id.to_owned(), reason: e.to_string() })
}

fn corrupt(id: &str) -> impl Fn(serde_json::Error) -> StoreError + '_ {
    move |e| StoreError::Corrupt { id: id.to_owned(), reason: e.to_string() }
}

/// The `incidents`, `incident_outages` and `welfare_checks` tables.
#[derive(Debug, Clone, Copy)]
pub struct Incidents<'a> {
    pub(super) store: &'a Store,
}

impl Incidents<'_> {
    /// Stores a new incident; an id already stored is [`StoreError::AlreadyExists`].
    pub async fn create(&self, incident: &Incident) -> Result<i64> {
        let mut tx = self.store.begin_write().await?;
        if read_incident(&mut tx, &incident.id).await?.is_some() {
            return Err(StoreError::AlreadyExists(incident.id.clone()));
        }
        let now = now_rfc3339();
        sqlx::query(
            "INSERT INTO incidents (id, name, started_at, started_ms, closed_at, notes, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(incident.id.clone())
        .bind(incident.name.clone())
        .bind(stamp(incident.started_at))
        .bind(millis(incident.started_at))
        .bind(incident.closed_at.map(stamp))
        .bind(incident.notes.clone())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let seq = self.store.changes().record(&mut tx, "incident", &[&incident.id]).await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// Every incident, newest start first (ties by id).
    pub async fn list(&self) -> Result<Vec<Incident>> {
        let sql = format!("{INCIDENT} ORDER BY started_ms DESC, id");
        let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(&self.store.pool).await?;
        rows.iter().map(decode_incident).collect()
    }

    /// One incident.
    pub async fn get(&self, id: &str) -> Result<Option<Incident>> {
        let mut conn = self.store.pool.acquire().await?;
        read_incident(&mut conn, id).await
    }

    /// Changes an open incident with `change` (which may refuse with field errors, checked
    /// against the stored row inside the transaction): [`StoreError::NoSuchIncident`],
    /// [`StoreError::IncidentClosed`] or [`StoreError::Invalid`], and nothing written.
    pub async fn update(
        &self,
        id: &str,
        change: impl FnOnce(Incident) -> std::result::Result<Incident, Vec<FieldError>>,
    ) -> Result<(Incident, i64)> {
        let mut tx = self.store.begin_write().await?;
        let current = open_incident(&mut tx, id).await?;
        let next = change(current).map_err(StoreError::Invalid)?;
        sqlx::query("UPDATE incidents SET name = $1, closed_at = $2, notes = $3, updated_at = $4 WHERE id = $5")
            .bind(next.name.clone())
            .bind(next.closed_at.map(stamp))
            .bind(next.notes.clone())
            .bind(now_rfc3339())
            .bind(id.to_owned())
            .execute(&mut *tx)
            .await?;
        let seq = self.store.changes().record(&mut tx, "incident", &[id]).await?;
        tx.commit().await?;
        Ok((next, seq))
    }

    /// Adds outage areas to an open incident, all or nothing. With
    /// [`WriteMode::CreateOnly`] an id already stored is [`StoreError::AlreadyExists`]; with
    /// [`WriteMode::Upsert`] it is replaced, unless it belongs to another incident.
    pub async fn add_outages(&self, incident_id: &str, areas: &[OutageArea], mode: WriteMode) -> Result<i64> {
        let mut tx = self.store.begin_write().await?;
        open_incident(&mut tx, incident_id).await?;
        let existing = outage_owners(&mut tx, areas).await?;
        if let Some(a) = areas
            .iter()
            .find(|a| existing.get(&a.id).is_some_and(|owner| mode == WriteMode::CreateOnly || owner != incident_id))
        {
            return Err(StoreError::AlreadyExists(a.id.clone()));
        }
        for chunk in areas.chunks(BATCH_ROWS) {
            insert_outages(&mut tx, chunk).await?;
        }
        let keys: Vec<String> = areas.iter().map(|a| format!("{incident_id}/{}", a.id)).collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let seq = self.store.changes().record(&mut tx, "outage", &keys).await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// Replaces one outage area of an open incident ([`StoreError::NotFound`] if the
    /// incident has no such area).
    pub async fn replace_outage(&self, area: &OutageArea) -> Result<i64> {
        let mut tx = self.store.begin_write().await?;
        open_incident(&mut tx, &area.incident_id).await?;
        let owners = outage_owners(&mut tx, std::slice::from_ref(area)).await?;
        if owners.get(&area.id) != Some(&area.incident_id) {
            return Err(StoreError::NotFound(format!("outage area {} in incident {}", area.id, area.incident_id)));
        }
        insert_outages(&mut tx, std::slice::from_ref(area)).await?;
        let key = format!("{}/{}", area.incident_id, area.id);
        let seq = self.store.changes().record(&mut tx, "outage", &[&key]).await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// The incident's outage areas, by `since` then id.
    pub async fn outages(&self, incident_id: &str) -> Result<Vec<OutageArea>> {
        let sql = format!("{OUTAGE} WHERE incident_id = $1 ORDER BY since, id");
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(incident_id.to_owned()).fetch_all(&self.store.pool).await?;
        let mut areas: Vec<OutageArea> = rows.iter().map(decode_outage).collect::<Result<_>>()?;
        areas.sort_by(|a, b| a.since.cmp(&b.since).then_with(|| a.id.cmp(&b.id)));
        Ok(areas)
    }

    /// Appends a welfare check to an open incident, with its log lines, in one transaction;
    /// the child must be stored ([`StoreError::NoSuchChild`]).
    pub async fn add_check(&self, check: &StoredCheck, entries: &[AccessEntry]) -> Result<i64> {
        let mut tx = self.store.begin_write().await?;
        open_incident(&mut tx, &check.incident_id).await?;
        if !child_exists(&mut tx, &check.child_id).await? {
            return Err(StoreError::NoSuchChild(check.child_id.clone()));
        }
        sqlx::query(
            "INSERT INTO welfare_checks (id, incident_id, child_id, at_ms, body, token_name, role, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(check.id.clone())
        .bind(check.incident_id.clone())
        .bind(check.child_id.clone())
        .bind(millis(check.check.at))
        .bind(serde_json::to_string(&check.check)?)
        .bind(check.token_name.clone())
        .bind(check.role.clone())
        .bind(now_rfc3339())
        .execute(&mut *tx)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(ref d) if d.is_unique_violation() => StoreError::AlreadyExists(check.id.clone()),
            other => other.into(),
        })?;
        let key = format!("{}/{}", check.incident_id, check.id);
        let seq = self.store.changes().record(&mut tx, "check", &[&key]).await?;
        self.store.access_log().append_with(&mut tx, entries).await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// The incident's checks, newest first (by `at`, then by when they were stored),
    /// optionally of one child.
    pub async fn checks(&self, incident_id: &str, child_id: Option<&str>) -> Result<Vec<StoredCheck>> {
        let pool = &self.store.pool;
        let rows = match child_id {
            Some(child) => {
                let sql = format!("{CHECK} WHERE incident_id = $1 AND child_id = $2 ORDER BY at_ms DESC, seq DESC");
                let q = sqlx::query(AssertSqlSafe(sql)).bind(incident_id.to_owned()).bind(child.to_owned());
                q.fetch_all(pool).await?
            }
            None => {
                let sql = format!("{CHECK} WHERE incident_id = $1 ORDER BY at_ms DESC, seq DESC");
                sqlx::query(AssertSqlSafe(sql)).bind(incident_id.to_owned()).fetch_all(pool).await?
            }
        };
        rows.iter().map(decode_check).collect()
    }
}

/// The incident, if stored, inside the caller's transaction.
async fn read_incident(conn: &mut AnyConnection, id: &str) -> Result<Option<Incident>> {
    let sql = format!("{INCIDENT} WHERE id = $1");
    let row = sqlx::query(AssertSqlSafe(sql)).bind(id.to_owned()).fetch_optional(&mut *conn).await?;
    row.as_ref().map(decode_incident).transpose()
}

/// The incident, which must be stored and open: the check every write to it begins with.
async fn open_incident(conn: &mut AnyConnection, id: &str) -> Result<Incident> {
    match read_incident(conn, id).await? {
        None => Err(StoreError::NoSuchIncident(id.to_owned())),
        Some(i) if i.is_closed() => Err(StoreError::IncidentClosed(id.to_owned())),
        Some(i) => Ok(i),
    }
}

/// Which incident each of these area ids already belongs to.
async fn outage_owners(conn: &mut AnyConnection, areas: &[OutageArea]) -> Result<HashMap<String, String>> {
    let mut owners = HashMap::new();
    for chunk in areas.chunks(BATCH_ROWS) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT id, incident_id FROM incident_outages WHERE id IN ({})", marks.join(","));
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for a in chunk {
            q = q.bind(a.id.clone());
        }
        for row in q.fetch_all(&mut *conn).await? {
            owners.insert(row.try_get(0)?, row.try_get(1)?);
        }
    }
    Ok(owners)
}

async fn insert_outages(conn: &mut AnyConnection, chunk: &[OutageArea]) -> Result<()> {
    let sql = format!(
        "INSERT INTO incident_outages \
         (id, incident_id, geometry, district, since, restored_at, source, households, updated_at) VALUES {} \
         ON CONFLICT (id) DO UPDATE SET geometry = excluded.geometry, district = excluded.district, \
         since = excluded.since, restored_at = excluded.restored_at, source = excluded.source, \
         households = excluded.households, updated_at = excluded.updated_at",
        value_groups(chunk.len(), 9)
    );
    let now = now_rfc3339();
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for a in chunk {
        q = q
            .bind(a.id.clone())
            .bind(a.incident_id.clone())
            .bind(a.geometry.as_ref().map(|g| g.to_string()))
            .bind(a.district.clone())
            .bind(stamp(a.since))
            .bind(a.restored_at.map(stamp))
            .bind(a.source.clone())
            .bind(a.households.map(i64::from))
            .bind(now.clone());
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

fn decode_incident(r: &AnyRow) -> Result<Incident> {
    let id: String = r.try_get(0)?;
    let started: String = r.try_get(2)?;
    let closed: Option<String> = r.try_get(3)?;
    Ok(Incident {
        name: r.try_get(1)?,
        started_at: parse_time(&id, &started)?,
        closed_at: closed.map(|c| parse_time(&id, &c)).transpose()?,
        notes: r.try_get(4)?,
        id,
    })
}

fn decode_outage(r: &AnyRow) -> Result<OutageArea> {
    let id: String = r.try_get(0)?;
    let geometry: Option<String> = r.try_get(2)?;
    let since: String = r.try_get(4)?;
    let restored: Option<String> = r.try_get(5)?;
    let households: Option<i64> = r.try_get(7)?;
    Ok(OutageArea {
        incident_id: r.try_get(1)?,
        geometry: geometry.map(|g| serde_json::from_str(&g)).transpose().map_err(corrupt(&id))?,
        district: r.try_get(3)?,
        since: parse_time(&id, &since)?,
        restored_at: restored.map(|t| parse_time(&id, &t)).transpose()?,
        source: r.try_get(6)?,
        households: households.and_then(|h| u32::try_from(h).ok()),
        id,
    })
}

fn decode_check(r: &AnyRow) -> Result<StoredCheck> {
    let id: String = r.try_get(0)?;
    let body: String = r.try_get(3)?;
    let check: WelfareCheck = serde_json::from_str(&body).map_err(corrupt(&id))?;
    Ok(StoredCheck {
        incident_id: r.try_get(1)?,
        child_id: r.try_get(2)?,
        check,
        token_name: r.try_get(4)?,
        role: r.try_get(5)?,
        id,
    })
}

/// The `power_reports` table.
#[derive(Debug, Clone, Copy)]
pub struct Reports<'a> {
    pub(super) store: &'a Store,
}

impl Reports<'_> {
    /// Appends a report; when it is the point's newest (by `at`; a tie goes to the later
    /// write), the point's `status`, `status_updated_at` and `live` follow it, in the same
    /// transaction, and the point goes on the change feed so every index shows it.
    /// A point that is not stored is [`StoreError::NotFound`].
    pub async fn add(&self, report: &StoredReport) -> Result<i64> {
        let mut tx = self.store.begin_write().await?;
        let id = &report.power_point_id;
        let sql = format!("SELECT properties FROM {} WHERE id = $1", PowerPointProps::COLLECTION);
        let Some(row) = sqlx::query(AssertSqlSafe(sql)).bind(id.clone()).fetch_optional(&mut *tx).await? else {
            return Err(StoreError::NotFound(format!("power point {id}")));
        };
        let text: String = row.try_get(0)?;
        let mut point: PowerPointProps = serde_json::from_str(&text).map_err(corrupt(id))?;
        let newest: Option<i64> = sqlx::query("SELECT MAX(at_ms) FROM power_reports WHERE power_point_id = $1")
            .bind(id.clone())
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        insert_report(&mut tx, report).await?;
        let at = millis(report.report.at);
        if newest.is_none_or(|n| at >= n) {
            apply_report(&mut point, report);
            let sql =
                format!("UPDATE {} SET properties = $1, updated_at = $2 WHERE id = $3", PowerPointProps::COLLECTION);
            let q = sqlx::query(AssertSqlSafe(sql)).bind(serde_json::to_string(&point)?).bind(now_rfc3339());
            q.bind(id.clone()).execute(&mut *tx).await?;
        }
        let seq = self.store.changes().record(&mut tx, PowerPointProps::COLLECTION, &[id]).await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// A point's reports, newest first.
    pub async fn list(&self, power_point_id: &str) -> Result<Vec<StoredReport>> {
        let sql = format!("{REPORT} WHERE power_point_id = $1 ORDER BY at_ms DESC, seq DESC");
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(power_point_id.to_owned()).fetch_all(&self.store.pool).await?;
        rows.iter().map(decode_report).collect()
    }

    /// Per point, its newest report at or before `at`: what the call list as of `at` uses.
    /// One query, reading only each point's newest rows (ties on `at`: the later write wins).
    pub async fn latest_at(&self, at: OffsetDateTime) -> Result<HashMap<String, PowerReport>> {
        let sql = "SELECT r.id, r.power_point_id, r.body, r.reported_by, r.role FROM power_reports r \
                   JOIN (SELECT power_point_id, MAX(at_ms) AS newest FROM power_reports WHERE at_ms <= $1 \
                   GROUP BY power_point_id) n ON r.power_point_id = n.power_point_id AND r.at_ms = n.newest \
                   ORDER BY r.seq";
        let rows = sqlx::query(sql).bind(millis(at)).fetch_all(&self.store.pool).await?;
        let mut latest = HashMap::new();
        for row in &rows {
            let r = decode_report(row)?;
            latest.insert(r.power_point_id, r.report);
        }
        Ok(latest)
    }
}

/// The point as its newest report leaves it.
fn apply_report(point: &mut PowerPointProps, report: &StoredReport) {
    let r = &report.report;
    point.status = r.status;
    point.status_updated_at = Some(r.at);
    point.live = Some(LiveStatus {
        free_outlets: r.free_outlets,
        fuel_h_left: r.fuel_h_left,
        fuel_out_at: r.fuel_out_at(),
        queue_people: r.queue_people,
        reported_at: r.at,
        reported_by: report.role.clone(),
    });
}

async fn insert_report(conn: &mut AnyConnection, report: &StoredReport) -> Result<()> {
    sqlx::query(
        "INSERT INTO power_reports (id, power_point_id, at_ms, body, reported_by, role, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(report.id.clone())
    .bind(report.power_point_id.clone())
    .bind(millis(report.report.at))
    .bind(serde_json::to_string(&report.report)?)
    .bind(report.reported_by.clone().unwrap_or_default())
    .bind(report.role.clone())
    .bind(now_rfc3339())
    .execute(&mut *conn)
    .await
    .map_err(|e| match e {
        sqlx::Error::Database(ref d) if d.is_unique_violation() => StoreError::AlreadyExists(report.id.clone()),
        other => other.into(),
    })?;
    Ok(())
}

fn decode_report(r: &AnyRow) -> Result<StoredReport> {
    let id: String = r.try_get(0)?;
    let body: String = r.try_get(2)?;
    let report: PowerReport = serde_json::from_str(&body).map_err(corrupt(&id))?;
    Ok(StoredReport {
        power_point_id: r.try_get(1)?,
        fuel_out_at: report.fuel_out_at(),
        report,
        reported_by: Some(r.try_get(3)?),
        role: r.try_get(4)?,
        id,
    })
}
