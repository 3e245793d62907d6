-- A scan: regular (all or selected specs), or on demand (one image). At most one regular scan is
-- running at a time; the engine enforces that in the same transaction that creates one.
CREATE TABLE scans (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    kind      TEXT NOT NULL,
    state     TEXT NOT NULL,
    started   TEXT NOT NULL,
    finished  TEXT,
    request   TEXT NOT NULL
);
CREATE INDEX scans_state ON scans (state);

-- Per registry specification of a scan: discovery counters and state.
CREATE TABLE scan_specs (
    scan_id     INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    spec_id     TEXT NOT NULL,
    spec        TEXT NOT NULL,
    state       TEXT NOT NULL,
    repos_total INTEGER NOT NULL DEFAULT 0,
    repos_done  INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    started     TEXT NOT NULL,
    PRIMARY KEY (scan_id, spec_id)
);

-- One image to scan. A node claims jobs by setting a lease; an expired lease (a node that died)
-- makes the job claimable again, which is how a restart resumes and how several nodes share work.
CREATE TABLE scan_jobs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    scan_id     INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    spec_id     TEXT NOT NULL,
    registry    TEXT NOT NULL,
    repo        TEXT NOT NULL,
    tag         TEXT NOT NULL,
    digest      TEXT NOT NULL,
    created     TEXT,
    state       TEXT NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER,
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    UNIQUE (scan_id, spec_id, registry, repo, tag)
);
CREATE INDEX scan_jobs_claim ON scan_jobs (scan_id, spec_id, state);

-- What each layer contributes, by compressed layer digest: analysed once, ever.
CREATE TABLE layer_facts (
    digest  TEXT PRIMARY KEY NOT NULL,
    facts   BLOB NOT NULL,
    created TEXT NOT NULL
);

-- The latest result per image (registry/repo:tag).
CREATE TABLE images (
    key             TEXT PRIMARY KEY NOT NULL,
    registry        TEXT NOT NULL,
    repo            TEXT NOT NULL,
    tag             TEXT NOT NULL,
    manifest_digest TEXT NOT NULL,
    image_id        TEXT NOT NULL,
    spec_id         TEXT NOT NULL,
    scan_time       TEXT NOT NULL,
    first_scan_time TEXT NOT NULL,
    last_seen       TEXT NOT NULL,
    vulns           INTEGER NOT NULL,
    db_version      TEXT NOT NULL,
    inventory       TEXT NOT NULL,
    result          TEXT NOT NULL
);
CREATE INDEX images_repo ON images (repo);
CREATE INDEX images_registry ON images (registry);
CREATE INDEX images_image_id ON images (image_id);

-- The most recent scan errors, for GET /statuses/registry.
CREATE TABLE scan_errors (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    time    TEXT NOT NULL,
    message TEXT NOT NULL
);
