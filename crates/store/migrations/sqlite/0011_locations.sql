-- Location verification through the server (issue 7): the party an agent token acts for, the
-- signed measurement records agents submit, and cases for location contradictions and foundry
-- red flags beside screening hits and meter alerts.

-- An agent token submits measurements only for the chips its party holds in the custody ledger.
-- The binding is made with the token, in the same transaction, and never changes.
CREATE TABLE agent_parties (
    token_id INTEGER PRIMARY KEY REFERENCES api_tokens (id),
    party    TEXT NOT NULL CHECK (length(trim(party)) > 0)
);
CREATE TRIGGER agent_parties_no_update BEFORE UPDATE ON agent_parties
BEGIN
    SELECT RAISE(ABORT, 'an agent token''s party never changes');
END;
CREATE TRIGGER agent_parties_no_delete BEFORE DELETE ON agent_parties
BEGIN
    SELECT RAISE(ABORT, 'an agent token''s party never changes');
END;

-- Landmark-signed measurement records as received (the JSON the landmark signed, byte for byte
-- as submitted), checked before they are stored. A record is stored once.
CREATE TABLE location_measurements (
    id           INTEGER PRIMARY KEY,
    serial       TEXT NOT NULL CHECK (length(trim(serial)) > 0),
    landmark     TEXT NOT NULL CHECK (length(trim(landmark)) > 0),
    rtt_ms       REAL NOT NULL CHECK (rtt_ms > 0),
    measured_at  TEXT NOT NULL,
    record       TEXT NOT NULL UNIQUE CHECK (json_valid(record)),
    submitted_by TEXT NOT NULL,
    received_at  TEXT NOT NULL
);
CREATE INDEX location_measurements_by_chip ON location_measurements (serial, measured_at);
CREATE TRIGGER location_measurements_no_update BEFORE UPDATE ON location_measurements
BEGIN
    SELECT RAISE(ABORT, 'measurement records are never rewritten');
END;
CREATE TRIGGER location_measurements_no_delete BEFORE DELETE ON location_measurements
BEGIN
    SELECT RAISE(ABORT, 'measurement records are never deleted');
END;

-- Cases gain the kinds `location` and `foundry`. SQLite cannot change a CHECK constraint in
-- place, so both case tables are rebuilt with every row and id kept (the notes refer to their
-- cases; the triggers of the old tables go with them and are made again).
CREATE TABLE cases_v11 (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('screening', 'meter', 'location', 'foundry')),
    case_key     TEXT NOT NULL UNIQUE,
    -- `party:<id>`, `query:<text>`, `account:<id>`, `group:<accounts>`, `run:<id>`, `chip:<serial>`,
    -- `design:<name>`.
    subject      TEXT NOT NULL CHECK (length(trim(subject)) > 0),
    list         TEXT,
    entry_id     TEXT,
    matched_name TEXT,
    title        TEXT NOT NULL,
    evidence     TEXT NOT NULL CHECK (json_valid(evidence)),
    fingerprint  TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('open', 'under_review', 'cleared', 'escalated')),
    assignee     TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
INSERT INTO cases_v11 SELECT id, kind, case_key, subject, list, entry_id, matched_name, title, evidence, fingerprint,
                             state, assignee, created_at, updated_at FROM cases;
CREATE TABLE case_notes_v11 (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases_v11 (id),
    author  TEXT NOT NULL CHECK (length(trim(author)) > 0),
    at      TEXT NOT NULL,
    text    TEXT NOT NULL CHECK (length(trim(text)) > 0)
);
INSERT INTO case_notes_v11 SELECT seq, case_id, author, at, text FROM case_notes;
-- DROP TABLE fires no trigger; the notes go first, so no note is left without its case.
DROP TABLE case_notes;
DROP TABLE cases;
-- Renaming a table rewrites the references to it: the notes' foreign key follows.
ALTER TABLE cases_v11 RENAME TO cases;
ALTER TABLE case_notes_v11 RENAME TO case_notes;
CREATE INDEX cases_by_state ON cases (state, id);
CREATE INDEX case_notes_by_case ON case_notes (case_id, seq);

CREATE TRIGGER cases_no_delete BEFORE DELETE ON cases
BEGIN
    SELECT RAISE(ABORT, 'cases are never deleted');
END;
CREATE TRIGGER cases_keep_identity BEFORE UPDATE ON cases
WHEN NEW.id IS NOT OLD.id OR NEW.kind IS NOT OLD.kind OR NEW.case_key IS NOT OLD.case_key
  OR NEW.subject IS NOT OLD.subject OR NEW.created_at IS NOT OLD.created_at
BEGIN
    SELECT RAISE(ABORT, 'a case keeps its kind, key, subject and creation time');
END;
-- INVARIANT: notes are append-only.
CREATE TRIGGER case_notes_no_update BEFORE UPDATE ON case_notes
BEGIN
    SELECT RAISE(ABORT, 'case notes are append-only');
END;
CREATE TRIGGER case_notes_no_delete BEFORE DELETE ON case_notes
BEGIN
    SELECT RAISE(ABORT, 'case notes are append-only');
END;
