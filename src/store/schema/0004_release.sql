-- bomiljo schema, version 4: the public release.
-- Every public figure is read from the newest release: noisy, post-processed counts for fixed
-- units (city, bydel, delbydel, SSB 250 m cell; category and month per delbydel), per source
-- and year. Raw incidents never reach a public output.

CREATE TABLE release_secret (
    secret VARCHAR NOT NULL        -- hex key of the noise generator; never leaves the database
);

CREATE TABLE release_meta (
    version    BIGINT PRIMARY KEY,
    built_at   TIMESTAMP NOT NULL,
    built_by   VARCHAR NOT NULL,
    settings   VARCHAR NOT NULL,   -- JSON: budget, shares, scales, before/after result
    spent      VARCHAR NOT NULL    -- JSON: per source-year, the hash of the true tallies and the rounds spent
);

CREATE TABLE release_counts (
    version BIGINT NOT NULL,
    source  VARCHAR NOT NULL,
    year    SMALLINT NOT NULL,
    level   VARCHAR NOT NULL,      -- city, bydel, delbydel, category, month, cell
    unit    VARCHAR NOT NULL,      -- '' for the city, an area code, or an SSB cell id
    detail  VARCHAR NOT NULL,      -- the category or month ('' otherwise)
    count   BIGINT NOT NULL
);
