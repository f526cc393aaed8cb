-- bomiljo schema, version 1.
-- Geometry is kept in EPSG:25832 (metres): `x`, `y` is a point or a polygon's representative
-- point; `geometry` holds polygons as GeoJSON text (EPSG:25832 coordinates, not WGS84).
-- Every feature table is keyed by (layer, id); a re-import replaces rows with the same key.

CREATE TABLE import_log (
    id          BIGINT PRIMARY KEY,
    layer       VARCHAR NOT NULL,
    file        VARCHAR NOT NULL,
    format      VARCHAR NOT NULL,
    crs         VARCHAR NOT NULL,
    imported_by VARCHAR NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    rows        BIGINT NOT NULL,   -- rows written
    replaced    BIGINT NOT NULL,   -- of which replaced an earlier row with the same id
    unassigned  BIGINT NOT NULL    -- points outside every area of the assignment layer
);

CREATE TABLE areas (
    layer       VARCHAR NOT NULL,
    id          VARCHAR NOT NULL,  -- the area code, e.g. delbydel 0102
    name        VARCHAR,
    parent_code VARCHAR,           -- e.g. the bydel of a delbydel
    population  BIGINT,
    area_m2     DOUBLE NOT NULL,
    x           DOUBLE NOT NULL,
    y           DOUBLE NOT NULL,
    geometry    VARCHAR NOT NULL,
    import_id   BIGINT NOT NULL,
    PRIMARY KEY (layer, id)
);

CREATE TABLE features (
    layer       VARCHAR NOT NULL,
    id          VARCHAR NOT NULL,
    name        VARCHAR,
    category    VARCHAR,
    value       DOUBLE,            -- population for population layers
    x           DOUBLE NOT NULL,
    y           DOUBLE NOT NULL,
    geometry    VARCHAR,           -- NULL for points
    delbydel    VARCHAR,           -- NULL when outside every area
    bydel       VARCHAR,
    import_id   BIGINT NOT NULL
);

CREATE TABLE housing (
    layer          VARCHAR NOT NULL,
    id             VARCHAR NOT NULL,
    units          INTEGER NOT NULL,
    matrix_group   INTEGER,        -- Matrise for rusfeltet group 1-8, when known
    has_staff_base BOOLEAN NOT NULL,
    opened         DATE,
    closed         DATE,
    x              DOUBLE NOT NULL,
    y              DOUBLE NOT NULL,
    delbydel       VARCHAR,
    bydel          VARCHAR,
    import_id      BIGINT NOT NULL
);

CREATE TABLE incidents (
    layer     VARCHAR NOT NULL,
    source    VARCHAR NOT NULL,    -- fire, police, waste, ...
    id        VARCHAR NOT NULL,
    date      DATE NOT NULL,
    year      SMALLINT NOT NULL,
    month     TINYINT NOT NULL,
    category  VARCHAR NOT NULL,
    weight    DOUBLE NOT NULL,
    x         DOUBLE NOT NULL,     -- snapped to the layer's anonymisation grid
    y         DOUBLE NOT NULL,
    delbydel  VARCHAR,
    bydel     VARCHAR,
    import_id BIGINT NOT NULL
);
