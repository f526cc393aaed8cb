-- bomiljo schema, version 8: honest release figures and a ledger that never goes backwards.
-- A release stores, per unit, the noisy measurement (differentially private) and the unbiased
-- least-squares estimate; `count` stays as the estimate shown as a whole number. Releases built
-- before this version lack both and are rebuilt (in the round their data were measured in).
ALTER TABLE release_counts ADD COLUMN measured DOUBLE;
ALTER TABLE release_counts ADD COLUMN estimate DOUBLE;

-- Every measurement of every source-year, for ever: rounds only grow, ρ only adds up.
CREATE TABLE release_ledger (
    source  VARCHAR NOT NULL,
    year    SMALLINT NOT NULL,
    round   INTEGER NOT NULL,
    rho     DOUBLE NOT NULL,
    hash    VARCHAR NOT NULL,      -- of the true tallies and the budget measured; never published
    version BIGINT NOT NULL,       -- the release that first showed it
    built_at TIMESTAMP NOT NULL
);
