-- Customer (KYC) records. Each change of a customer's record is a new row: the history of what
-- the operator knew, and when, is kept; the current record is the latest row of its account.
CREATE TABLE customer_records (
    id           INTEGER PRIMARY KEY,
    account      TEXT NOT NULL CHECK (account <> ''),
    legal_name   TEXT NOT NULL CHECK (legal_name <> ''),
    country      TEXT,
    verification TEXT NOT NULL,
    record       TEXT NOT NULL,
    source       TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX customer_records_account ON customer_records (account, id);

CREATE TRIGGER customer_records_no_update BEFORE UPDATE ON customer_records
BEGIN
    SELECT RAISE(ABORT, 'customer records are never rewritten: record a new version');
END;
CREATE TRIGGER customer_records_no_delete BEFORE DELETE ON customer_records
BEGIN
    SELECT RAISE(ABORT, 'customer records are never deleted');
END;
