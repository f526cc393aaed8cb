-- bomiljo schema, version 13: saved siting scenarios. A scenario is a named set of planned sites
-- for one matrix group, saved by an analyst so that a link restores it; an adopted scenario's
-- sites count as planned homes in the need balance (`bomiljo need`, GET /api/need).
-- Ids come from a sequence: a deleted scenario's id is never given to another (a shared link
-- to it answers 404, not someone else's plan).
CREATE SEQUENCE scenario_ids START 1;
CREATE TABLE scenarios (
    id           BIGINT PRIMARY KEY,
    name         VARCHAR NOT NULL,
    matrix_group TINYINT NOT NULL,
    sites        VARCHAR NOT NULL,  -- JSON: [{"label", "x", "y", "units"}], EPSG:25832
    adopted      BOOLEAN NOT NULL,  -- the plan (counted as planned), not an alternative
    created_by   VARCHAR NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
