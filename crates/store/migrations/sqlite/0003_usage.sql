-- Compute usage records and account links for the meter. A record id is counted once: the
-- primary key makes a re-ingested record a no-op.
CREATE TABLE usage_records (
    record_id     TEXT PRIMARY KEY,
    account       TEXT NOT NULL CHECK (account <> ''),
    chip_model    TEXT NOT NULL,
    chip_id       TEXT NOT NULL,
    chips         REAL NOT NULL CHECK (chips > 0),
    start         TEXT NOT NULL,
    "end"         TEXT NOT NULL,
    utilization   REAL CHECK (utilization IS NULL OR (utilization >= 0 AND utilization <= 1)),
    tensor_active REAL CHECK (tensor_active IS NULL OR (tensor_active >= 0 AND tensor_active <= 1)),
    run_id        TEXT,
    source        TEXT NOT NULL,
    ingested_at   TEXT NOT NULL
);
CREATE INDEX usage_records_account ON usage_records (account);

CREATE TABLE account_links (
    account_a TEXT NOT NULL,
    account_b TEXT NOT NULL,
    reason    TEXT NOT NULL,
    evidence  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (account_a, account_b, reason)
);

-- Usage records are records: never rewritten.
CREATE TRIGGER usage_records_no_update BEFORE UPDATE ON usage_records
BEGIN
    SELECT RAISE(ABORT, 'usage records are never rewritten');
END;
