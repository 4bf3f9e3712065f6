-- Usage records, compact (metering benchmark, docs/benchmarks.md): one B-tree keyed by record id
-- (WITHOUT ROWID) instead of a table plus an index on the key; times as integer nanoseconds since
-- 1970 (exact: RFC 3339 text of any precision converts without loss) instead of text that every
-- report had to parse; the source file and time of an ingest stored once, not on every row.
CREATE TABLE usage_ingests (
    id     INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    at     TEXT NOT NULL,
    UNIQUE (source, at)
);
INSERT INTO usage_ingests (source, at) SELECT DISTINCT source, ingested_at FROM usage_records;

CREATE TABLE usage_records_compact (
    record_id     TEXT PRIMARY KEY CHECK (record_id <> ''),
    account       TEXT NOT NULL CHECK (account <> ''),
    chip_model    TEXT NOT NULL,
    chip_id       TEXT NOT NULL,
    chips         REAL NOT NULL CHECK (chips > 0),
    start_ns      INTEGER NOT NULL CHECK (typeof(start_ns) = 'integer'),
    end_ns        INTEGER NOT NULL CHECK (typeof(end_ns) = 'integer' AND end_ns > start_ns),
    utilization   REAL CHECK (utilization IS NULL OR (utilization >= 0 AND utilization <= 1)),
    tensor_active REAL CHECK (tensor_active IS NULL OR (tensor_active >= 0 AND tensor_active <= 1)),
    run_id        TEXT,
    ingest_id     INTEGER NOT NULL REFERENCES usage_ingests (id)
) WITHOUT ROWID;

-- The stored text is jiff's RFC 3339 form, `YYYY-MM-DDTHH:MM:SS[.fraction]Z`: whole seconds from
-- its first 19 characters, nanoseconds from the fraction's digits padded to nine.
INSERT INTO usage_records_compact
SELECT u.record_id, u.account, u.chip_model, u.chip_id, u.chips,
       unixepoch(substr(u.start, 1, 19)) * 1000000000
         + CASE WHEN substr(u.start, 20, 1) = '.'
                THEN CAST(substr(substr(u.start, 21, length(u.start) - 21) || '000000000', 1, 9) AS INTEGER)
                ELSE 0 END,
       unixepoch(substr(u."end", 1, 19)) * 1000000000
         + CASE WHEN substr(u."end", 20, 1) = '.'
                THEN CAST(substr(substr(u."end", 21, length(u."end") - 21) || '000000000', 1, 9) AS INTEGER)
                ELSE 0 END,
       u.utilization, u.tensor_active, u.run_id,
       (SELECT i.id FROM usage_ingests i WHERE i.source = u.source AND i.at = u.ingested_at)
FROM usage_records u;

DROP TRIGGER usage_records_no_update;
DROP TABLE usage_records;
ALTER TABLE usage_records_compact RENAME TO usage_records;

-- Usage records are records: never rewritten.
CREATE TRIGGER usage_records_no_update BEFORE UPDATE ON usage_records
BEGIN
    SELECT RAISE(ABORT, 'usage records are never rewritten');
END;
