-- Qualifiers a party may carry besides its name (PostgreSQL): a date of birth or incorporation
-- and identifiers (passport, registration or IMO numbers), as JSON text.
ALTER TABLE parties ADD COLUMN date TEXT;
ALTER TABLE parties ADD COLUMN identifiers TEXT NOT NULL DEFAULT '[]';
