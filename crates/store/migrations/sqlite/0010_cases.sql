-- Cases: screening hits and meter alerts that a person must look at, one per thing to decide
-- (`case_key`: for a hit, the subject, the list and the entry id), with its evidence as the engine
-- explained it, its state and assignee, and notes that are only ever added. A case row changes
-- (state, assignee, evidence when the hit changes); what happened to it is in its notes and in
-- the audit entries of the custody ledger, appended in the same transaction.
CREATE TABLE cases (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('screening', 'meter')),
    case_key     TEXT NOT NULL UNIQUE,
    -- `party:<id>`, `query:<text>`, `account:<id>`, `group:<accounts>`, `run:<id>`.
    subject      TEXT NOT NULL CHECK (length(trim(subject)) > 0),
    list         TEXT,
    entry_id     TEXT,
    matched_name TEXT,
    title        TEXT NOT NULL,
    -- The hit's or alert's JSON as the engine explained it.
    evidence     TEXT NOT NULL CHECK (json_valid(evidence)),
    -- What a change of the hit changes (list version, score): a new fingerprint reopens a
    -- cleared case.
    fingerprint  TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('open', 'under_review', 'cleared', 'escalated')),
    assignee     TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX cases_by_state ON cases (state, id);

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

CREATE TABLE case_notes (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    author  TEXT NOT NULL CHECK (length(trim(author)) > 0),
    at      TEXT NOT NULL,
    text    TEXT NOT NULL CHECK (length(trim(text)) > 0)
);
CREATE INDEX case_notes_by_case ON case_notes (case_id, seq);

-- INVARIANT: notes are append-only.
CREATE TRIGGER case_notes_no_update BEFORE UPDATE ON case_notes
BEGIN
    SELECT RAISE(ABORT, 'case notes are append-only');
END;
CREATE TRIGGER case_notes_no_delete BEFORE DELETE ON case_notes
BEGIN
    SELECT RAISE(ABORT, 'case notes are append-only');
END;
