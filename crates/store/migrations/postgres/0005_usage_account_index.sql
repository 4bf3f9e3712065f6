-- No query reads usage records by account (PostgreSQL, as SQLite's 0005).
DROP INDEX IF EXISTS usage_records_account;
