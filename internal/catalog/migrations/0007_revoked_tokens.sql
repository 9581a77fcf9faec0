-- Tokens revoked before they expire, by the SHA-256 of the token; a row
-- is useless once the token would have expired anyway.
CREATE TABLE revoked_tokens (
    digest     TEXT PRIMARY KEY,
    expires_ms BIGINT NOT NULL
);
