//! The `Store` handle: the one public type of the crate, opening a store on SQLite (a file or
//! memory) or PostgreSQL (a `postgres://` URL), and handing every operation to that backend.

use std::path::Path;

use chipwarden_ledger::Hash;
use chipwarden_lists::{ListDiff, ListEntry, ParsedList};

use crate::cases::{AuditEntries, Case, CaseOutcome, CaseState, CaseUpdate, NewCase};
use crate::customers::{CustomerRecord, CustomersRecorded, StoredCustomer};
use crate::error::{Result, StoreError};
use crate::ledger::{LedgerLeaves, StoredCheckpoint};
use crate::locations::{NewMeasurement, StoredMeasurement};
use crate::model::{
    Decision, HitKey, ImportOutcome, ListVersion, OwnershipEdge, Party, RecordedDecision, RecordedHit, Screening,
    StoredEntry, StoredHit,
};
use crate::pg::PgStore;
use crate::sqlite::SqliteStore;
use crate::tokens::StoredToken;
use crate::usage::{CodedUsage, Ingested, StoredLink, StoredUsage, UsageBatch, UsageNames, UsageRow};
use crate::validate;

/// The store: list versions, screened parties, screenings and hits, review decisions, ownership
/// edges, usage records, customer records, the custody ledger, API tokens and cases, in one SQLite
/// file or one PostgreSQL database.
///
/// Reads take `&self`; writes take `&mut self` and are each one transaction, so a failed write
/// leaves nothing behind. A server shares a `Store` behind a mutex and calls it from
/// `spawn_blocking`: the PostgreSQL backend's client blocks on its own runtime and must not be
/// called from an async task.
#[derive(Debug)]
pub struct Store {
    pub(crate) backend: Backend,
}

#[derive(Debug)]
pub(crate) enum Backend {
    Sqlite(SqliteStore),
    // Boxed: its client and connection settings are several times the size of an SQLite handle.
    Postgres(Box<PgStore>),
}

/// Calls the method of whichever backend the store is on.
macro_rules! dispatch {
    ($self:ident, mut $method:ident($($arg:expr),*)) => {
        match &mut $self.backend {
            Backend::Sqlite(s) => s.$method($($arg),*),
            Backend::Postgres(p) => p.$method($($arg),*),
        }
    };
    ($self:ident, $method:ident($($arg:expr),*)) => {
        match &$self.backend {
            Backend::Sqlite(s) => s.$method($($arg),*),
            Backend::Postgres(p) => p.$method($($arg),*),
        }
    };
}

impl Store {
    /// Opens the SQLite store file at `path`, creating the file (not its directory) if it does
    /// not exist, and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        Ok(Store { backend: Backend::Sqlite(SqliteStore::open(path)?) })
    }

    /// A store that lives in memory and vanishes when dropped: for tests of other crates.
    pub fn open_in_memory() -> Result<Store> {
        Ok(Store { backend: Backend::Sqlite(SqliteStore::open_in_memory()?) })
    }

    /// Opens the store that `location` names: a PostgreSQL database for a `postgres://` or
    /// `postgresql://` URL (its schema brought up to date), an SQLite file for a `sqlite://` URL
    /// or a plain path. A database that cannot be reached or refuses the credentials is a
    /// [`StoreError::Open`] naming the URL without its password.
    pub fn open_url(location: &str) -> Result<Store> {
        if crate::pg::is_postgres_url(location) {
            return Ok(Store { backend: Backend::Postgres(Box::new(PgStore::open(location)?)) });
        }
        let path = location.strip_prefix("sqlite://").unwrap_or(location);
        if path.is_empty() {
            return Err(StoreError::Invalid("the store location is empty".to_owned()));
        }
        Store::open(path)
    }

    /// Which database the store is on: `sqlite` or `postgres`.
    pub fn dialect(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    // --- lists ---

    /// Stores `parsed` as a new version of the list source `source` (e.g. `ofac-sdn`, `csl`),
    /// which becomes its current version, and returns what changed against the version that was
    /// current before.
    ///
    /// The import is one transaction: if anything fails (two entries with the same list code and
    /// entry id, a full disk), nothing is written and the previous version stays current. If the
    /// content hash equals the current version's, nothing is written and the outcome says
    /// `Unchanged`. A hash equal to an older, superseded version is a new version: the list went
    /// back to an earlier state, and that state must become current again.
    pub fn import_list(&mut self, source: &str, parsed: &ParsedList, imported_at: &str) -> Result<ImportOutcome> {
        validate::import(source, parsed, imported_at)?;
        dispatch!(self, mut import_list(source, parsed, imported_at))
    }

    /// The current (latest) version of every list source, by source name.
    pub fn current_versions(&self) -> Result<Vec<ListVersion>> {
        dispatch!(self, current_versions())
    }

    /// Every version of `source`, oldest first (the last is current); empty for a source never
    /// imported.
    pub fn versions(&self, source: &str) -> Result<Vec<ListVersion>> {
        dispatch!(self, versions(source))
    }

    /// The entries of one version, in the order of the file they were imported from.
    pub fn entries(&self, version_id: i64) -> Result<Vec<ListEntry>> {
        dispatch!(self, entries(version_id))
    }

    /// The entries of the current version of every source, by source and then in file order:
    /// what the matcher indexes.
    pub fn current_entries(&self) -> Result<Vec<StoredEntry>> {
        dispatch!(self, current_entries())
    }

    /// The list codes (SDN, EL, ...) a version holds, without reading its entries.
    pub fn list_codes(&self, version_id: i64) -> Result<std::collections::BTreeSet<String>> {
        dispatch!(self, list_codes(version_id))
    }

    /// What changed from version `a` to version `b` of the same list source.
    pub fn diff_versions(&self, a: i64, b: i64) -> Result<ListDiff> {
        dispatch!(self, diff_versions(a, b))
    }

    // --- screening ---

    /// Adds the party, or replaces the name, country and address of the party with its id.
    pub fn upsert_party(&mut self, party: &Party) -> Result<()> {
        validate::party(party)?;
        dispatch!(self, mut upsert_party(party))
    }

    /// Every party, by id.
    pub fn parties(&self) -> Result<Vec<Party>> {
        dispatch!(self, parties())
    }

    /// Records a screening of `party_id` at `at` against the list versions `version_ids`, with
    /// the hits it found (none is fine), and returns the screening's id.
    ///
    /// Every hit must name an entry (list code and entry id) of one of those versions, so that
    /// the screening can be re-run and each hit traced to what the list said. One transaction.
    pub fn record_hits(&mut self, party_id: &str, hits: &[StoredHit], version_ids: &[i64], at: &str) -> Result<i64> {
        validate::hits(party_id, hits, version_ids, at)?;
        dispatch!(self, mut record_hits(party_id, hits, version_ids, at))
    }

    /// Stores a batch of parties with their screenings, all in one transaction (a file of
    /// parties is screened as one act: either all of it is recorded or none). Returns the
    /// screening ids in order.
    pub fn record_batch(
        &mut self,
        batch: &[(Party, Vec<StoredHit>)],
        version_ids: &[i64],
        at: &str,
    ) -> Result<Vec<i64>> {
        for (party, hits) in batch {
            validate::party(party)?;
            validate::hits(&party.id, hits, version_ids, at)?;
        }
        dispatch!(self, mut record_batch(batch, version_ids, at))
    }

    /// Every screening of a party, oldest first.
    pub fn screenings(&self, party_id: &str) -> Result<Vec<Screening>> {
        dispatch!(self, screenings(party_id))
    }

    /// Every hit recorded for a party, oldest first.
    pub fn hits_for(&self, party_id: &str) -> Result<Vec<RecordedHit>> {
        dispatch!(self, hits_for(party_id))
    }

    /// Of a re-screening's `hits` for `party_id`, those that need a reviewer's eyes: not already
    /// recorded for the party (by list code, entry id and matched name) and not dismissed, that
    /// is, the latest review decision on that key is not a false positive. A confirmed match
    /// suppresses nothing. Hits come back in the order given, each key once.
    pub fn new_hits(&self, party_id: &str, hits: &[StoredHit]) -> Result<Vec<StoredHit>> {
        dispatch!(self, new_hits(party_id, hits))
    }

    // --- decisions ---

    /// Appends a review decision and returns its sequence number. Decisions are never changed or
    /// deleted (the schema refuses it too); a later decision on the same hit key supersedes this
    /// one, and both stay in the history.
    pub fn record_decision(&mut self, decision: &Decision) -> Result<i64> {
        validate::decision(decision)?;
        dispatch!(self, mut record_decision(decision))
    }

    /// The decision in force on `key` (the latest recorded), if any.
    pub fn decision_for(&self, key: &HitKey) -> Result<Option<RecordedDecision>> {
        dispatch!(self, decision_for(key))
    }

    /// The whole history of review decisions, in the order they were recorded.
    pub fn decisions(&self) -> Result<Vec<RecordedDecision>> {
        dispatch!(self, decisions())
    }

    // --- ownership ---

    /// Adds `edges` in one transaction and returns how many were new. An edge already stored
    /// with the same owner, owned party, source, date and share is skipped, so re-importing a
    /// file changes nothing; the same edge with another share is refused, naming the row
    /// (numbered from 1), and nothing is imported.
    pub fn import_ownership(&mut self, edges: &[OwnershipEdge]) -> Result<usize> {
        validate::ownership(edges)?;
        dispatch!(self, mut import_ownership(edges))
    }

    /// Every ownership edge, in the order imported.
    pub fn ownership_edges(&self) -> Result<Vec<OwnershipEdge>> {
        dispatch!(self, ownership_edges())
    }

    // --- usage ---

    /// Stores a batch of usage records in one transaction. A record id already stored is not
    /// stored again (and not updated): re-running an ingest counts nothing twice.
    pub fn ingest_usage(&mut self, batch: &[StoredUsage], source: &str, at: &str) -> Result<Ingested> {
        self.ingest_usage_batch(&UsageBatch::from(batch), source, at)
    }

    /// As [`Store::ingest_usage`], for records gathered in a [`UsageBatch`] (no allocation per
    /// record): one transaction; a record id already stored, or earlier in the batch, is not
    /// stored again.
    pub fn ingest_usage_batch(&mut self, batch: &UsageBatch, source: &str, at: &str) -> Result<Ingested> {
        batch.check()?;
        dispatch!(self, mut ingest_usage(batch, source, at))
    }

    /// Calls `f` with every usage record, by record id, without collecting them: a report
    /// over millions of records holds one row at a time. The row borrows from the cursor.
    pub fn for_each_usage<E: From<StoreError>>(
        &self,
        mut f: impl FnMut(&UsageRow<'_>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let dictionary = std::cell::OnceCell::new();
        self.scan_usage(
            |names: UsageNames| {
                let _ = dictionary.set(names);
                Ok(())
            },
            |u| {
                let dictionary = dictionary.get_or_init(UsageNames::default);
                let model = &dictionary.models[u.model];
                f(&UsageRow {
                    record_id: u.record_id,
                    account: &dictionary.accounts[u.account],
                    chip_model: &model.chip_model,
                    chip_id: &model.chip_id,
                    chips: u.chips,
                    start_ns: u.start_ns,
                    end_ns: u.end_ns,
                    utilization: u.utilization,
                    tensor_active: u.tensor_active,
                    run_id: u.run_id,
                })
            },
        )
    }

    /// Every usage record, by record id, as [`Store::for_each_usage`], with its account and chip
    /// model as numbers: `names` gets the accounts and models they index (one consistent
    /// snapshot with the records) before `f` gets the first record. A report need compare no
    /// text per record.
    pub fn scan_usage<E: From<StoreError>>(
        &self,
        names: impl FnOnce(UsageNames) -> std::result::Result<(), E>,
        f: impl FnMut(&CodedUsage<'_>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        dispatch!(self, scan_usage(names, f))
    }

    /// As [`Store::scan_usage`], read in parts at once where that pays: a SQLite store file
    /// larger than `split_above` bytes is read in two parts split at the median record id, on two
    /// connections of its own and in one snapshot (`start` makes each part's state from the
    /// names, `add` adds a record to it); the states come back in record id order. Anything else
    /// is one part.
    pub fn scan_usage_parts<S: Send, E: From<StoreError> + Send>(
        &self,
        split_above: u64,
        start: impl Fn(UsageNames) -> std::result::Result<S, E> + Sync,
        add: impl Fn(&mut S, &CodedUsage<'_>) -> std::result::Result<(), E> + Sync,
    ) -> std::result::Result<Vec<S>, E> {
        match &self.backend {
            Backend::Sqlite(s) => s.scan_usage_parts(split_above, start, add),
            Backend::Postgres(p) => crate::usage::one_part(|names, f| p.scan_usage(names, f), start, add),
        }
    }

    /// Every usage record, by record id.
    pub fn usage(&self) -> Result<Vec<StoredUsage>> {
        let mut out = Vec::new();
        self.for_each_usage(|u| -> Result<()> {
            out.push(StoredUsage {
                record_id: u.record_id.to_owned(),
                account: u.account.to_owned(),
                chip_model: u.chip_model.to_owned(),
                chip_id: u.chip_id.to_owned(),
                chips: u.chips,
                start_ns: u.start_ns,
                end_ns: u.end_ns,
                utilization: u.utilization,
                tensor_active: u.tensor_active,
                run_id: u.run_id.map(str::to_owned),
            });
            Ok(())
        })?;
        Ok(out)
    }

    /// A number that grows with every ingest (the last ingest's id; 0 before any): whoever watches
    /// for new usage compares it with the one it saw.
    pub fn usage_mark(&self) -> Result<i64> {
        dispatch!(self, usage_mark())
    }

    /// Adds links (one transaction); a link already stored is kept once. Returns how many were new.
    pub fn add_links(&mut self, links: &[StoredLink]) -> Result<usize> {
        dispatch!(self, mut add_links(links))
    }

    pub fn links(&self) -> Result<Vec<StoredLink>> {
        dispatch!(self, links())
    }

    // --- customers ---

    /// Stores customer records in one transaction: a record identical to the account's version in
    /// force is not stored again; a different one becomes the new version in force.
    pub fn record_customers(
        &mut self,
        records: &[CustomerRecord],
        source: &str,
        at: &str,
    ) -> Result<CustomersRecorded> {
        dispatch!(self, mut record_customers(records, source, at))
    }

    /// The version in force of every customer, by account.
    pub fn customers(&self) -> Result<Vec<StoredCustomer>> {
        dispatch!(self, customers())
    }

    /// Every version of one customer's record, oldest first.
    pub fn customer_history(&self, account: &str) -> Result<Vec<StoredCustomer>> {
        dispatch!(self, customer_history(account))
    }

    // --- ledger ---

    /// How many entries the log holds.
    pub fn ledger_size(&self) -> Result<u64> {
        dispatch!(self, ledger_size())
    }

    /// Appends a batch of entries in one transaction and returns the leaf index of the first.
    /// All or nothing: an entry already in the log (or twice in the batch) refuses the batch.
    /// Once this returns, the entries are durable (synchronous FULL, write-ahead log).
    pub fn ledger_append<E: AsRef<[u8]>>(&mut self, entries: &[E], at: &str) -> Result<u64> {
        dispatch!(self, mut ledger_append(entries, at))
    }

    /// As [`Store::ledger_append`], but only if the log still holds `expected_size` entries:
    /// the caller checked the batch against that log, and a log that grew in the meantime (another
    /// process appended) must be checked again. Nothing is appended otherwise.
    pub fn ledger_append_after<E: AsRef<[u8]>>(&mut self, expected_size: u64, entries: &[E], at: &str) -> Result<u64> {
        dispatch!(self, mut ledger_append_after(expected_size, entries, at))
    }

    /// The bytes of entry `index`, or `None` past the end of the log.
    pub fn ledger_entry(&self, index: u64) -> Result<Option<Vec<u8>>> {
        dispatch!(self, ledger_entry(index))
    }

    /// The last `limit` entries whose bytes start with `prefix` (the audit entries, for one),
    /// newest first, with their leaf indices. The store does not read the entries; the prefix is
    /// the caller's.
    pub fn ledger_latest_with_prefix(&self, prefix: &[u8], limit: u64) -> Result<Vec<(u64, Vec<u8>)>> {
        dispatch!(self, ledger_latest_with_prefix(prefix, limit))
    }

    /// The index of the entry with this leaf hash, if the log holds it.
    pub fn ledger_find(&self, leaf: &Hash) -> Result<Option<u64>> {
        dispatch!(self, ledger_find(leaf))
    }

    /// The log's leaf hashes as of now, for building proofs and tree heads.
    pub fn ledger_leaves(&self) -> Result<LedgerLeaves<'_>> {
        dispatch!(self, ledger_leaves())
    }

    /// Calls `f` with every entry in leaf order: its index, its bytes and its stored leaf hash
    /// (as stored: an audit compares it with the hash of the bytes, so it is not checked here).
    pub fn for_each_ledger_entry<E: From<StoreError>>(
        &self,
        f: impl FnMut(u64, &[u8], &[u8]) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        dispatch!(self, for_each_ledger_entry(f))
    }

    /// The entries about the chips `serials` (as their canonical JSON names them), in leaf
    /// order: what an append needs to check a batch against those chips' histories.
    pub fn ledger_entries_for_serials(&self, serials: &[&str]) -> Result<Vec<(u64, Vec<u8>)>> {
        dispatch!(self, ledger_entries_for_serials(serials))
    }

    /// Calls `f` with every stored subtree hash: its level (width `2^level`), its first leaf and
    /// the hash as stored.
    pub fn for_each_ledger_subtree<E: From<StoreError>>(
        &self,
        f: impl FnMut(u32, u64, &[u8]) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        dispatch!(self, for_each_ledger_subtree(f))
    }

    /// Records a signed checkpoint issued over the first `tree_size` entries.
    pub fn ledger_record_checkpoint(&mut self, tree_size: u64, root: &Hash, note: &str, at: &str) -> Result<i64> {
        dispatch!(self, mut ledger_record_checkpoint(tree_size, root, note, at))
    }

    /// The checkpoint issued last, if any.
    pub fn ledger_latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>> {
        dispatch!(self, ledger_latest_checkpoint())
    }

    /// Every checkpoint, in the order they were issued.
    pub fn ledger_checkpoints(&self) -> Result<Vec<StoredCheckpoint>> {
        dispatch!(self, ledger_checkpoints())
    }

    // --- tokens ---

    /// Records a new token by its hash. Refused (nothing written) when the name is empty or
    /// already names a live token, the role is unknown, or the hash is not 64 lowercase hex
    /// digits or is already stored.
    pub fn create_token(&mut self, name: &str, role: &str, token_hash: &str, at: &str) -> Result<StoredToken> {
        self.create_token_in(name, role, token_hash, at, None, None)
    }

    /// As [`Store::create_token`], appending `audit_entry` (the caller's audit entry of the
    /// creation) to the ledger in the same transaction.
    pub fn create_token_audited(
        &mut self,
        name: &str,
        role: &str,
        token_hash: &str,
        at: &str,
        audit_entry: &[u8],
    ) -> Result<StoredToken> {
        self.create_token_in(name, role, token_hash, at, Some(audit_entry), None)
    }

    /// As [`Store::create_token_audited`], for an `agent` token acting for `party`: the token
    /// submits measurements only for the chips that party holds. The binding is made in the same
    /// transaction and never changes.
    pub fn create_agent_token_audited(
        &mut self,
        name: &str,
        party: &str,
        token_hash: &str,
        at: &str,
        audit_entry: &[u8],
    ) -> Result<StoredToken> {
        if party.trim().is_empty() {
            return Err(StoreError::Invalid("an agent token needs the party it acts for".to_owned()));
        }
        self.create_token_in(name, "agent", token_hash, at, Some(audit_entry), Some(party))
    }

    /// Checks a new token, then has the backend store it (with its audit entry and party
    /// binding, if any) in one transaction.
    fn create_token_in(
        &mut self,
        name: &str,
        role: &str,
        token_hash: &str,
        at: &str,
        audit_entry: Option<&[u8]>,
        party: Option<&str>,
    ) -> Result<StoredToken> {
        validate::token(name, role, token_hash)?;
        let id = dispatch!(self, mut create_token(name, role, token_hash, at, audit_entry, party))?;
        Ok(StoredToken {
            id,
            name: name.to_owned(),
            role: role.to_owned(),
            token_hash: token_hash.to_owned(),
            created_at: at.to_owned(),
            revoked_at: None,
        })
    }

    /// The party an agent token acts for; `None` for other tokens.
    pub fn token_party(&self, token_id: i64) -> Result<Option<String>> {
        dispatch!(self, token_party(token_id))
    }

    /// Stores measurement records in one transaction; a record already stored (the same bytes)
    /// is not stored again. Returns how many were new.
    pub fn record_measurements(&mut self, records: &[NewMeasurement], submitted_by: &str, at: &str) -> Result<usize> {
        dispatch!(self, mut record_measurements(records, submitted_by, at))
    }

    /// The records about chip `serial` measured at or after `since` (RFC 3339, UTC), oldest
    /// first.
    pub fn measurements_since(&self, serial: &str, since: &str) -> Result<Vec<StoredMeasurement>> {
        dispatch!(self, measurements_since(serial, since))
    }

    /// The chips with a record measured at or after `since`, in order.
    pub fn measured_chips(&self, since: &str) -> Result<Vec<String>> {
        dispatch!(self, measured_chips(since))
    }

    /// The live (not revoked) token with this hash.
    pub fn find_token(&self, token_hash: &str) -> Result<Option<StoredToken>> {
        dispatch!(self, find_token(token_hash))
    }

    /// Every token, live and revoked, oldest first.
    pub fn tokens(&self) -> Result<Vec<StoredToken>> {
        dispatch!(self, tokens())
    }

    /// Revokes the live token with this name; `None` when no live token has it.
    pub fn revoke_token(&mut self, name: &str, at: &str) -> Result<Option<StoredToken>> {
        self.revoke_token_in(name, at, None)
    }

    /// As [`Store::revoke_token`], appending `audit_entry` to the ledger in the same
    /// transaction (nothing is appended when no live token has the name).
    pub fn revoke_token_audited(&mut self, name: &str, at: &str, audit_entry: &[u8]) -> Result<Option<StoredToken>> {
        self.revoke_token_in(name, at, Some(audit_entry))
    }

    /// The backend revokes the live token named `name` and returns it as it was found.
    fn revoke_token_in(&mut self, name: &str, at: &str, audit_entry: Option<&[u8]>) -> Result<Option<StoredToken>> {
        let found = dispatch!(self, mut revoke_token(name, at, audit_entry))?;
        Ok(found.map(|token| StoredToken { revoked_at: Some(at.to_owned()), ..token }))
    }

    // --- cases ---

    /// Opens a case for each new key, updates the evidence of a known key whose fingerprint
    /// changed (reopening it, with a note saying why, if it was cleared), and leaves the same hit
    /// seen again alone; `author` signs the notes. One transaction with the audit entries of
    /// every change. Returns each case's id and what happened to it, in order.
    pub fn record_cases(
        &mut self,
        cases: &[NewCase],
        author: &str,
        at: &str,
        entries: AuditEntries<'_>,
    ) -> Result<Vec<(i64, CaseOutcome)>> {
        crate::cases::check_new(cases)?;
        dispatch!(self, mut record_cases(cases, author, at, entries))
    }

    /// Applies `update` to case `id` in one transaction with `decision` (a review decision the
    /// new state implies, if any) and the audit entry of every change; `None` if there is no
    /// such case (nothing written).
    pub fn update_case(
        &mut self,
        id: i64,
        update: &CaseUpdate,
        decision: Option<&Decision>,
        at: &str,
        entries: AuditEntries<'_>,
    ) -> Result<Option<Case>> {
        crate::cases::check_author(update)?;
        dispatch!(self, mut update_case(id, update, decision, at, entries))
    }

    /// Case `id` with its notes.
    pub fn case(&self, id: i64) -> Result<Option<Case>> {
        dispatch!(self, case(id))
    }

    /// Cases in `state` (every case when `None`), newest first, without their notes.
    pub fn cases(&self, state: Option<CaseState>) -> Result<Vec<Case>> {
        dispatch!(self, cases(state))
    }

    /// How many cases there are per (kind, state).
    pub fn case_counts(&self) -> Result<Vec<(String, CaseState, u64)>> {
        dispatch!(self, case_counts())
    }

    /// Appends audit entries (made by the caller) to the ledger together with a review decision,
    /// in one transaction: a review is never recorded without its audit entry.
    pub fn record_decision_audited(&mut self, decision: &Decision, audit_entry: &[u8], at: &str) -> Result<i64> {
        validate::decision(decision)?;
        dispatch!(self, mut record_decision_audited(decision, audit_entry, at))
    }
}
