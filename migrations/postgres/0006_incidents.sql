-- Incidents (発災時対応): a real outage with a clock. Times are RFC 3339 text as everywhere;
-- the `_ms` columns (Unix milliseconds) order them, since text with offsets or fractions
-- does not sort as time does.
CREATE TABLE incidents (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    started_at TEXT NOT NULL,
    started_ms BIGINT NOT NULL,
    closed_at TEXT,
    notes TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Dark areas of an incident: a checked GeoJSON Polygon/MultiPolygon, or a district (町字).
-- Replaced in place (restored_at is set later), so a row is the area as it stands.
CREATE TABLE incident_outages (
    id TEXT PRIMARY KEY NOT NULL,
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    geometry TEXT,
    district TEXT,
    since TEXT NOT NULL,
    restored_at TEXT,
    source TEXT,
    households BIGINT,
    updated_at TEXT NOT NULL,
    CHECK (geometry IS NOT NULL OR district IS NOT NULL)
);
CREATE INDEX incident_outages_incident ON incident_outages (incident_id);

-- 安否確認: append-only, never updated; the latest relevant one wins when read.
CREATE TABLE welfare_checks (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    child_id TEXT NOT NULL REFERENCES children (id) ON DELETE CASCADE,
    at_ms BIGINT NOT NULL,
    body TEXT NOT NULL,
    token_name TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX welfare_checks_incident_child ON welfare_checks (incident_id, child_id, at_ms);

-- Live reports from power points: append-only; the newest sets the point's status and `live`.
CREATE TABLE power_reports (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    power_point_id TEXT NOT NULL REFERENCES power_points (id) ON DELETE CASCADE,
    at_ms BIGINT NOT NULL,
    body TEXT NOT NULL,
    reported_by TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX power_reports_point ON power_reports (power_point_id, at_ms);
CREATE INDEX power_reports_at ON power_reports (at_ms);
