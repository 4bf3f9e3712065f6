-- Usage records, dictionary-coded (metering benchmark, docs/benchmarks.md): an account and a chip
-- model (the file's spelling with the catalog id it resolved to) are stored once each and
-- numbered; a record holds the numbers. Rows are about half as large, an ingest binds two
-- integers where it bound three strings, and a report reads no text but the record id.
-- Dictionary rows are never rewritten or deleted, so a number always means the same name.
--
-- The numbers are not foreign keys: checking three parent keys (account, model, ingest) on every
-- insert cost about 45% of the ingest's time in SQLite (measured at 3 million records). They are
-- right by construction instead: the store writes only numbers it read from these tables in the
-- same transaction, or committed earlier (dictionary and ingest rows are never deleted, below),
-- and a report that meets a number missing from its dictionary fails as a corrupt store.
--
-- For the same reason the record's values are checked by the store before the insert
-- (`UsageBatch::check`: a non-empty id, chips above zero, the end after the start, fractions
-- within 0-1), not by CHECK constraints evaluated on every row: those cost 12% of an ingest
-- (3.94 s against 3.45 s for 3 million records). PostgreSQL keeps its constraints.
CREATE TABLE usage_accounts (
    id      INTEGER PRIMARY KEY,
    account TEXT NOT NULL UNIQUE CHECK (account <> '')
);
CREATE TABLE usage_models (
    id         INTEGER PRIMARY KEY,
    chip_model TEXT NOT NULL,
    chip_id    TEXT NOT NULL,
    UNIQUE (chip_model, chip_id)
);
INSERT INTO usage_accounts (account) SELECT DISTINCT account FROM usage_records ORDER BY account;
INSERT INTO usage_models (chip_model, chip_id)
SELECT DISTINCT chip_model, chip_id FROM usage_records ORDER BY chip_model, chip_id;

CREATE TABLE usage_records_coded (
    record_id     TEXT PRIMARY KEY,
    account_id    INTEGER NOT NULL,
    model_id      INTEGER NOT NULL,
    chips         REAL NOT NULL,
    start_ns      INTEGER NOT NULL,
    end_ns        INTEGER NOT NULL,
    utilization   REAL,
    tensor_active REAL,
    run_id        TEXT,
    ingest_id     INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO usage_records_coded
SELECT u.record_id, a.id, m.id, u.chips, u.start_ns, u.end_ns, u.utilization, u.tensor_active, u.run_id, u.ingest_id
FROM usage_records u
JOIN usage_accounts a ON a.account = u.account
JOIN usage_models m ON m.chip_model = u.chip_model AND m.chip_id = u.chip_id;

DROP TRIGGER usage_records_no_update;
DROP TABLE usage_records;
ALTER TABLE usage_records_coded RENAME TO usage_records;

-- Usage records are records: never rewritten.
CREATE TRIGGER usage_records_no_update BEFORE UPDATE ON usage_records
BEGIN
    SELECT RAISE(ABORT, 'usage records are never rewritten');
END;
CREATE TRIGGER usage_accounts_no_update BEFORE UPDATE ON usage_accounts
BEGIN
    SELECT RAISE(ABORT, 'usage accounts are never rewritten');
END;
CREATE TRIGGER usage_accounts_no_delete BEFORE DELETE ON usage_accounts
BEGIN
    SELECT RAISE(ABORT, 'usage accounts are never deleted');
END;
CREATE TRIGGER usage_models_no_update BEFORE UPDATE ON usage_models
BEGIN
    SELECT RAISE(ABORT, 'usage models are never rewritten');
END;
CREATE TRIGGER usage_models_no_delete BEFORE DELETE ON usage_models
BEGIN
    SELECT RAISE(ABORT, 'usage models are never deleted');
END;
CREATE TRIGGER usage_ingests_no_update BEFORE UPDATE ON usage_ingests
BEGIN
    SELECT RAISE(ABORT, 'usage ingests are never rewritten');
END;
CREATE TRIGGER usage_ingests_no_delete BEFORE DELETE ON usage_ingests
BEGIN
    SELECT RAISE(ABORT, 'usage ingests are never deleted');
END;
