-- bomiljo schema, version 12: housing need from the annual housing-need surveys
-- (boligbehovskartlegging), one row per survey year, bydel and housing type as reported.
-- A need row has no geometry: it names its bydel. `housing_type` is the label as the survey
-- wrote it; `matrix_group` the group of Matrise for rusfeltet it maps to (the layer file's
-- [category_labels]). A re-import replaces the survey years the file holds; earlier rows move
-- to `need_history` like every layer's.
CREATE TABLE need (
    layer        VARCHAR NOT NULL,
    id           VARCHAR NOT NULL,  -- year:bydel:housing type, normalised
    year         SMALLINT NOT NULL, -- the survey year
    bydel        VARCHAR NOT NULL,  -- bydel code, two digits
    matrix_group TINYINT NOT NULL,  -- 1-8
    housing_type VARCHAR NOT NULL,  -- as written in the survey
    units        INTEGER NOT NULL,  -- homes needed
    import_id    BIGINT NOT NULL
);
CREATE TABLE need_history AS SELECT *, CAST(NULL AS BIGINT) AS superseded_by FROM need LIMIT 0;
