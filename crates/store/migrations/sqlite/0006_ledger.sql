-- The custody ledger (issue 5): an append-only RFC 9162 Merkle log.
--
-- Leaf i of the tree is the row with leaf_index = i, numbered from 0 without gaps; `entry` holds
-- the canonical entry bytes exactly as logged and `leaf_hash` their RFC 9162 leaf hash
-- (SHA-256 of 0x00 || entry). The same entry is never logged twice.
CREATE TABLE ledger_entries (
    leaf_index  INTEGER PRIMARY KEY CHECK (leaf_index >= 0),
    entry       BLOB NOT NULL,
    leaf_hash   BLOB NOT NULL CHECK (length(leaf_hash) = 32),
    appended_at TEXT NOT NULL
);
CREATE UNIQUE INDEX ledger_entries_leaf_hash ON ledger_entries (leaf_hash);

CREATE TRIGGER ledger_entries_in_order BEFORE INSERT ON ledger_entries
WHEN NEW.leaf_index IS NOT coalesce((SELECT max(leaf_index) FROM ledger_entries), -1) + 1
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are appended in order, without gaps');
END;
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are never rewritten');
END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are never deleted');
END;

-- The hash of every complete subtree of two leaves or more: leaves start .. start + 2^level,
-- start a multiple of 2^level. Written as the tree grows, so that a proof reads O(log n) rows
-- instead of every leaf. A cache of what the entries determine: `ledger audit` recomputes it.
CREATE TABLE ledger_subtrees (
    level INTEGER NOT NULL CHECK (level >= 1),
    start INTEGER NOT NULL CHECK (start >= 0),
    hash  BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, start)
) WITHOUT ROWID;

CREATE TRIGGER ledger_subtrees_no_update BEFORE UPDATE ON ledger_subtrees
BEGIN
    SELECT RAISE(ABORT, 'ledger subtree hashes are never rewritten');
END;
CREATE TRIGGER ledger_subtrees_no_delete BEFORE DELETE ON ledger_subtrees
BEGIN
    SELECT RAISE(ABORT, 'ledger subtree hashes are never deleted');
END;

-- Signed checkpoints (C2SP tlog-checkpoint in a signed note) of the log, as issued.
CREATE TABLE ledger_checkpoints (
    id        INTEGER PRIMARY KEY,
    tree_size INTEGER NOT NULL CHECK (tree_size >= 0),
    root_hash BLOB NOT NULL CHECK (length(root_hash) = 32),
    note      TEXT NOT NULL,
    signed_at TEXT NOT NULL
);

CREATE TRIGGER ledger_checkpoints_no_update BEFORE UPDATE ON ledger_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'ledger checkpoints are never rewritten');
END;
CREATE TRIGGER ledger_checkpoints_no_delete BEFORE DELETE ON ledger_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'ledger checkpoints are never deleted');
END;
