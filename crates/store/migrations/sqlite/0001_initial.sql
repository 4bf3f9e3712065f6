-- 0001 initial: list versions and their entries, screened parties, screenings and their hits,
-- review decisions (append-only) and ownership edges.
--
-- Applied once, in a transaction, by src/migrate.rs, which records it in `schema_migrations`.
-- Never edit this file after it has shipped: add a new numbered file instead.

-- One row per imported snapshot of a list source. The current version of a source is the one
-- with the highest id.
CREATE TABLE list_versions (
    id           INTEGER PRIMARY KEY,
    source       TEXT    NOT NULL CHECK (source <> ''),
    format       TEXT    NOT NULL CHECK (format <> ''),
    published    TEXT,
    content_hash TEXT    NOT NULL CHECK (content_hash <> ''),
    imported_at  TEXT    NOT NULL CHECK (imported_at <> ''),
    entry_count  INTEGER NOT NULL CHECK (entry_count >= 0),
    -- The target of list_entries' (version_id, source) key, so that an entry's source always
    -- agrees with its version's.
    UNIQUE (id, source)
);
CREATE INDEX list_versions_by_source ON list_versions (source, id);

CREATE TABLE list_entries (
    id           INTEGER PRIMARY KEY,
    version_id   INTEGER NOT NULL,
    source       TEXT    NOT NULL,
    list         TEXT    NOT NULL CHECK (list <> ''),
    entry_id     TEXT    NOT NULL CHECK (entry_id <> ''),
    primary_name TEXT    NOT NULL,
    -- The whole `ListEntry` as JSON, so that a version can be read back exactly as imported.
    entry        TEXT    NOT NULL CHECK (json_valid(entry)),
    FOREIGN KEY (version_id, source) REFERENCES list_versions (id, source),
    -- INVARIANT: (list, entry_id) names at most one entry of a version; diffs, hits and review
    -- decisions all key on it.
    UNIQUE (version_id, list, entry_id)
);
-- Reads a version's entries in file order (the index holds them by version, then rowid).
CREATE INDEX list_entries_by_version ON list_entries (version_id);

-- A version is evidence of what a list said when it was imported: it is never rewritten.
CREATE TRIGGER list_versions_are_snapshots BEFORE UPDATE ON list_versions
BEGIN
    SELECT RAISE(ABORT, 'list versions are snapshots and cannot be changed; import a new version');
END;
CREATE TRIGGER list_entries_are_snapshots BEFORE UPDATE ON list_entries
BEGIN
    SELECT RAISE(ABORT, 'list entries are snapshots and cannot be changed; import a new version');
END;

CREATE TABLE parties (
    id      TEXT PRIMARY KEY CHECK (id <> ''),
    name    TEXT NOT NULL CHECK (name <> ''),
    country TEXT,
    address TEXT
);

-- One row per screening of a party: when it ran and (in screening_versions) against which
-- list versions, so that an auditor can re-run it.
CREATE TABLE screenings (
    id       INTEGER PRIMARY KEY,
    party_id TEXT NOT NULL REFERENCES parties (id),
    at       TEXT NOT NULL CHECK (at <> ''),
    -- The target of hits' (screening_id, party_id) key.
    UNIQUE (id, party_id)
);
CREATE INDEX screenings_by_party ON screenings (party_id);

CREATE TABLE screening_versions (
    screening_id INTEGER NOT NULL REFERENCES screenings (id),
    version_id   INTEGER NOT NULL REFERENCES list_versions (id),
    PRIMARY KEY (screening_id, version_id)
) WITHOUT ROWID;

CREATE TABLE hits (
    id              INTEGER PRIMARY KEY,
    screening_id    INTEGER NOT NULL,
    -- Repeated from the screening (and held to it by the key below) so that the re-screening
    -- query finds a party's earlier hits through one index.
    party_id        TEXT    NOT NULL,
    list            TEXT    NOT NULL CHECK (list <> ''),
    entry_id        TEXT    NOT NULL CHECK (entry_id <> ''),
    matched_name    TEXT    NOT NULL CHECK (matched_name <> ''),
    score           REAL    NOT NULL,
    explanation     TEXT    NOT NULL CHECK (json_valid(explanation)),
    matcher_version TEXT    NOT NULL CHECK (matcher_version <> ''),
    FOREIGN KEY (screening_id, party_id) REFERENCES screenings (id, party_id),
    UNIQUE (screening_id, list, entry_id, matched_name)
);
CREATE INDEX hits_by_party_key ON hits (party_id, list, entry_id, matched_name);

CREATE TRIGGER screenings_are_records BEFORE UPDATE ON screenings
BEGIN
    SELECT RAISE(ABORT, 'screenings are records of what was screened and cannot be changed');
END;
CREATE TRIGGER hits_are_records BEFORE UPDATE ON hits
BEGIN
    SELECT RAISE(ABORT, 'hits are records of what a screening found and cannot be changed');
END;

-- Review decisions on hits, append-only: a later decision on the same hit supersedes an earlier
-- one, and both stay. The hit is named by its subject (a stored party or a free-text query,
-- exactly one of them), the list, the entry id and the name that matched. AUTOINCREMENT keeps
-- sequence numbers from ever being reused, so the order of decisions is beyond doubt.
CREATE TABLE decisions (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    party_id     TEXT REFERENCES parties (id),
    query        TEXT CHECK (query <> ''),
    list         TEXT NOT NULL CHECK (list <> ''),
    entry_id     TEXT NOT NULL CHECK (entry_id <> ''),
    matched_name TEXT NOT NULL CHECK (matched_name <> ''),
    decision     TEXT NOT NULL CHECK (decision IN ('false_positive', 'confirmed_match')),
    reviewer     TEXT NOT NULL CHECK (reviewer <> ''),
    at           TEXT NOT NULL CHECK (at <> ''),
    reason       TEXT NOT NULL CHECK (reason <> ''),
    CHECK ((party_id IS NULL) <> (query IS NULL))
);
CREATE INDEX decisions_by_hit ON decisions (list, entry_id, matched_name, party_id, query, seq);

-- INVARIANT: decisions are append-only. These triggers hold it against any writer, not only
-- this crate.
CREATE TRIGGER decisions_are_append_only_update BEFORE UPDATE ON decisions
BEGIN
    SELECT RAISE(ABORT, 'review decisions are append-only: record a new decision instead of changing one');
END;
CREATE TRIGGER decisions_are_append_only_delete BEFORE DELETE ON decisions
BEGIN
    SELECT RAISE(ABORT, 'review decisions are append-only: record a new decision instead of deleting one');
END;

-- Who owns what share of whom, as a source stated it on a date. Shares are fractions.
CREATE TABLE ownership_edges (
    id     INTEGER PRIMARY KEY,
    owner  TEXT NOT NULL CHECK (owner <> ''),
    owned  TEXT NOT NULL CHECK (owned <> ''),
    share  REAL NOT NULL CHECK (share >= 0 AND share <= 1),
    source TEXT NOT NULL CHECK (source <> ''),
    date   TEXT NOT NULL CHECK (date <> ''),
    CHECK (owner <> owned),
    -- INVARIANT: one share per (owner, owned, source, date), so that importing the same file
    -- twice cannot double a share and push a holding over a threshold.
    UNIQUE (owner, owned, source, date)
);
CREATE INDEX ownership_edges_by_owned ON ownership_edges (owned);
