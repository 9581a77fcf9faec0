-- Named, time-limited ownerships (see leases.go): who holds the name, the
-- epoch of that holding (one more each time the name changes hands, so a
-- former holder's writes can be told apart and refused), and when it ends,
-- in milliseconds of the database's clock. A released lease keeps its row
-- with an expiry of 0, so that its epoch keeps counting up.
CREATE TABLE leases (
    name   TEXT PRIMARY KEY,
    owner  TEXT NOT NULL,
    epoch  BIGINT NOT NULL,
    expiry BIGINT NOT NULL
);
