-- API tokens retired by renewal, by token id, until they would have expired anyway: a renewed
-- token must stay refused across restarts (and on every Console sharing the database).
CREATE TABLE retired_tokens (
    jti     TEXT PRIMARY KEY NOT NULL,
    expires INTEGER NOT NULL
);
CREATE INDEX retired_tokens_expires ON retired_tokens (expires);
