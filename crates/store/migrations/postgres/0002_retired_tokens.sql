-- API tokens retired by renewal, by token id, until they would have expired anyway (SQLite's
-- migration 6): a renewed token stays refused across restarts and on every Console.
CREATE TABLE retired_tokens (
    jti     TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    expires BIGINT NOT NULL
);
CREATE INDEX retired_tokens_expires ON retired_tokens (expires);
