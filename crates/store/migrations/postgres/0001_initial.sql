-- The PostgreSQL schema: the same tables and meaning as SQLite's migrations 0001–0005, in one
-- step. Text that is sorted or compared by range (ids, names, RFC 3339 times) is COLLATE "C",
-- so the order is byte order as in SQLite whatever the database's locale. Documents stay TEXT,
-- not JSONB: what a client stored is given back with the same bytes.

-- Console users. Passwords are argon2 PHC strings.
CREATE TABLE users (
    username      TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    created       TEXT NOT NULL
);

-- Credentials: the Prisma document as JSON with every secret sealed (never a plain value).
CREATE TABLE credentials (
    id   TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    doc  TEXT NOT NULL
);

-- Registry specifications in the order the client gave them.
CREATE TABLE registry_specs (
    position      BIGINT PRIMARY KEY NOT NULL,
    id            TEXT COLLATE "C" NOT NULL UNIQUE,
    credential_id TEXT COLLATE "C" NOT NULL,
    doc           TEXT NOT NULL
);
CREATE INDEX registry_specs_credential ON registry_specs (credential_id);

-- Small named settings (webhook and Harbor suffixes, the master key check, …).
CREATE TABLE settings (
    key   TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- Named JSON documents by kind (policies, collections, …).
CREATE TABLE documents (
    kind TEXT COLLATE "C" NOT NULL,
    id   TEXT COLLATE "C" NOT NULL,
    doc  TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);

-- A scan: regular (all or selected specs), or on demand (one image).
CREATE TABLE scans (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind              TEXT NOT NULL,
    state             TEXT NOT NULL,
    started           TEXT NOT NULL,
    finished          TEXT,
    request           TEXT NOT NULL,
    -- TRUE once an on-demand scan's finished progress was reported.
    progress_reported BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX scans_state ON scans (state);
-- At most one regular scan runs at a time, whichever node creates it.
CREATE UNIQUE INDEX scans_one_running_regular ON scans (kind) WHERE kind = 'regular' AND state = 'running';

-- Per registry specification of a scan: discovery counters and state. `seq` keeps the order
-- records were first written (SQLite's rowid).
CREATE TABLE scan_specs (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY,
    scan_id     BIGINT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    spec_id     TEXT COLLATE "C" NOT NULL,
    spec        TEXT NOT NULL,
    state       TEXT NOT NULL,
    repos_total BIGINT NOT NULL DEFAULT 0,
    repos_done  BIGINT NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    started     TEXT NOT NULL,
    PRIMARY KEY (scan_id, spec_id)
);

-- One image to scan. A node claims jobs by setting a lease (`FOR UPDATE SKIP LOCKED`); an
-- expired lease makes the job claimable again. `not_before` (Unix seconds): a retry is not
-- claimed before it; NULL: at once.
CREATE TABLE scan_jobs (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scan_id     BIGINT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    spec_id     TEXT COLLATE "C" NOT NULL,
    registry    TEXT COLLATE "C" NOT NULL,
    repo        TEXT COLLATE "C" NOT NULL,
    tag         TEXT COLLATE "C" NOT NULL,
    digest      TEXT NOT NULL,
    created     TEXT,
    state       TEXT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    attempts    BIGINT NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    not_before  BIGINT,
    UNIQUE (scan_id, spec_id, registry, repo, tag)
);
CREATE INDEX scan_jobs_claim ON scan_jobs (scan_id, spec_id, state);

-- What each layer contributes, by compressed layer digest: analysed once, ever.
CREATE TABLE layer_facts (
    digest  TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    facts   BYTEA NOT NULL,
    created TEXT NOT NULL
);

-- The latest result per image (registry/repo:tag).
CREATE TABLE images (
    key             TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    registry        TEXT COLLATE "C" NOT NULL,
    repo            TEXT COLLATE "C" NOT NULL,
    tag             TEXT COLLATE "C" NOT NULL,
    manifest_digest TEXT NOT NULL,
    image_id        TEXT COLLATE "C" NOT NULL,
    spec_id         TEXT NOT NULL,
    scan_time       TEXT COLLATE "C" NOT NULL,
    first_scan_time TEXT NOT NULL,
    last_seen       TEXT COLLATE "C" NOT NULL,
    vulns           BIGINT NOT NULL,
    db_version      TEXT NOT NULL,
    inventory       TEXT NOT NULL,
    result          TEXT NOT NULL
);
CREATE INDEX images_repo ON images (repo);
CREATE INDEX images_registry ON images (registry);
CREATE INDEX images_image_id ON images (image_id);

-- The most recent scan errors, for GET /statuses/registry.
CREATE TABLE scan_errors (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time    TEXT NOT NULL,
    message TEXT NOT NULL
);
