-- Qualifiers a party may carry besides its name: a date of birth or incorporation and
-- identifiers (passport, registration or IMO numbers), used to confirm or weaken a name hit.
ALTER TABLE parties ADD COLUMN date TEXT;
ALTER TABLE parties ADD COLUMN identifiers TEXT NOT NULL DEFAULT '[]';
