-- Console users. Passwords are argon2 PHC strings.
CREATE TABLE users (
    username      TEXT PRIMARY KEY NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    created       TEXT NOT NULL
);

-- Credentials: the Prisma document as JSON with every secret sealed (never a plain value).
CREATE TABLE credentials (
    id   TEXT PRIMARY KEY NOT NULL,
    doc  TEXT NOT NULL
);

-- Registry specifications in the order the client gave them.
CREATE TABLE registry_specs (
    position      INTEGER PRIMARY KEY NOT NULL,
    id            TEXT NOT NULL UNIQUE,
    credential_id TEXT NOT NULL,
    doc           TEXT NOT NULL
);
CREATE INDEX registry_specs_credential ON registry_specs (credential_id);

-- Small named settings (webhook and Harbor suffixes, …).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- Scan requests recorded by the API; the scan engine consumes them.
CREATE TABLE scan_requests (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    kind      TEXT NOT NULL,
    body      TEXT NOT NULL,
    requested TEXT NOT NULL,
    state     TEXT NOT NULL DEFAULT 'pending'
);
