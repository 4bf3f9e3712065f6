-- Which chip each ledger entry is about, so that an append checks a batch against the histories
-- of its own chips instead of replaying the whole log. Filled by a trigger from the entry's
-- canonical JSON (`event.serial`); an entry that is not such JSON (the store accepts any bytes)
-- gets no serial. A cache of what the entries determine, like the subtree hashes.
CREATE TABLE ledger_serials (
    leaf_index INTEGER PRIMARY KEY REFERENCES ledger_entries (leaf_index),
    serial     TEXT
);
CREATE INDEX ledger_serials_serial ON ledger_serials (serial, leaf_index);

INSERT INTO ledger_serials (leaf_index, serial)
SELECT leaf_index,
       CASE WHEN json_valid(CAST(entry AS TEXT)) THEN json_extract(CAST(entry AS TEXT), '$.event.serial') END
FROM ledger_entries;

CREATE TRIGGER ledger_entries_serial AFTER INSERT ON ledger_entries
BEGIN
    INSERT INTO ledger_serials (leaf_index, serial)
    VALUES (NEW.leaf_index,
            CASE WHEN json_valid(CAST(NEW.entry AS TEXT))
                 THEN json_extract(CAST(NEW.entry AS TEXT), '$.event.serial') END);
END;
CREATE TRIGGER ledger_serials_no_update BEFORE UPDATE ON ledger_serials
BEGIN
    SELECT RAISE(ABORT, 'ledger serials are never rewritten');
END;
CREATE TRIGGER ledger_serials_no_delete BEFORE DELETE ON ledger_serials
BEGIN
    SELECT RAISE(ABORT, 'ledger serials are never deleted');
END;
