-- bomiljo schema, version 2: API tokens. Only a SHA-256 hash of each token is stored.
CREATE TABLE tokens (
    id           BIGINT PRIMARY KEY,
    name         VARCHAR NOT NULL,
    role         VARCHAR NOT NULL,   -- public, analyst, admin
    hash         VARCHAR NOT NULL UNIQUE,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP,
    revoked      BOOLEAN NOT NULL DEFAULT false
);
