-- Saved outage scenarios, so a planner can compare "north half, 24 h" with "whole city, 7 days".
CREATE TABLE scenarios (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    hours DOUBLE PRECISION NOT NULL,
    request TEXT NOT NULL,
    result TEXT NOT NULL
);
