//! ChipWarden storage: list versions, screened parties, review decisions and ownership in SQLite.
