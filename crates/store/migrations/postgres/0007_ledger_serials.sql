-- Which chip each ledger entry is about (PostgreSQL, as SQLite's 0007): filled by a trigger from
-- the entry's canonical JSON (`event.serial`); an entry that is not UTF-8 JSON gets no serial.
CREATE TABLE ledger_serials (
    leaf_index BIGINT PRIMARY KEY REFERENCES ledger_entries (leaf_index),
    serial     TEXT
);
CREATE INDEX ledger_serials_serial ON ledger_serials (serial, leaf_index);

-- The serial of an entry's bytes, or NULL when they are not JSON (or not an event).
CREATE FUNCTION chipwarden_entry_serial(entry BYTEA) RETURNS TEXT LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN convert_from(entry, 'UTF8')::jsonb #>> '{event,serial}';
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;

INSERT INTO ledger_serials (leaf_index, serial)
SELECT leaf_index, chipwarden_entry_serial(entry) FROM ledger_entries;

CREATE FUNCTION chipwarden_ledger_serial() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger_serials (leaf_index, serial) VALUES (NEW.leaf_index, chipwarden_entry_serial(NEW.entry));
    RETURN NULL;
END
$$;
CREATE TRIGGER ledger_entries_serial AFTER INSERT ON ledger_entries FOR EACH ROW
EXECUTE FUNCTION chipwarden_ledger_serial();
CREATE TRIGGER ledger_serials_no_update BEFORE UPDATE ON ledger_serials FOR EACH ROW
EXECUTE FUNCTION chipwarden_refuse('ledger serials are never rewritten');
CREATE TRIGGER ledger_serials_no_delete BEFORE DELETE ON ledger_serials FOR EACH ROW
EXECUTE FUNCTION chipwarden_refuse('ledger serials are never deleted');
CREATE TRIGGER ledger_serials_no_truncate BEFORE TRUNCATE ON ledger_serials FOR EACH STATEMENT
EXECUTE FUNCTION chipwarden_refuse('ledger serials are never deleted');
