-- Hazard zones (国土数値情報 A31a / A33 / A49 / A40, or a city's own): a polygon and its
-- hazard, level and depth. Properties as one JSON document, the shape as GeoJSON text; the
-- servers index them in memory, fed by the change feed like the points.
CREATE TABLE hazard_zones (
    id TEXT PRIMARY KEY NOT NULL,
    properties TEXT NOT NULL,
    geometry TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
