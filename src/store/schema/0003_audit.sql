-- bomiljo schema, version 3: the audit log. Who did what, when, and how much: imports,
-- exports, reports, token management and every request made with a token.
CREATE TABLE audit (
    id      BIGINT PRIMARY KEY,
    happened_at TIMESTAMP NOT NULL,
    actor   VARCHAR NOT NULL,   -- token name, or cli:<user>
    role    VARCHAR NOT NULL,
    action  VARCHAR NOT NULL,   -- import, export, report, token, request
    target  VARCHAR NOT NULL,   -- layer, file, route
    amount  BIGINT              -- rows, bytes or items, when it applies
);
CREATE SEQUENCE audit_id START 1;
