//! Compute usage records and account links: idempotent ingest (a record id counts once, across
//! re-runs too), each batch one transaction.

use std::collections::HashMap;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use serde::Serialize;

use crate::error::{Result, StoreError, db};
use crate::sqlite::SqliteStore;

/// A usage record as stored. Times are nanoseconds since 1970-01-01T00:00:00Z (the years 1677
/// to 2262; the meter's parsers refuse anything outside).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredUsage {
    pub record_id: String,
    pub account: String,
    pub chip_model: String,
    pub chip_id: String,
    pub chips: f64,
    pub start_ns: i64,
    pub end_ns: i64,
    pub utilization: Option<f64>,
    pub tensor_active: Option<f64>,
    pub run_id: Option<String>,
}

/// A usage record as read by [`Store::for_each_usage`], borrowing its text from the cursor; also
/// what [`UsageBatch::push`] takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UsageRow<'a> {
    pub record_id: &'a str,
    pub account: &'a str,
    pub chip_model: &'a str,
    pub chip_id: &'a str,
    pub chips: f64,
    pub start_ns: i64,
    pub end_ns: i64,
    pub utilization: Option<f64>,
    pub tensor_active: Option<f64>,
    pub run_id: Option<&'a str>,
}

/// The accounts and chip models of the usage records, numbered: what [`CodedUsage::account`]
/// and [`CodedUsage::model`] index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageNames {
    pub accounts: Vec<String>,
    pub models: Vec<UsageModel>,
}

/// A chip model as a usage file spelled it and the catalog id it resolved to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UsageModel {
    pub chip_model: String,
    pub chip_id: String,
}

/// A usage record as read by [`Store::scan_usage`]: its account and chip model as indices into
/// the [`UsageNames`] handed over before the first record, its text borrowed from the cursor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CodedUsage<'a> {
    pub record_id: &'a str,
    pub account: usize,
    pub model: usize,
    pub chips: f64,
    pub start_ns: i64,
    pub end_ns: i64,
    pub utilization: Option<f64>,
    pub tensor_active: Option<f64>,
    pub run_id: Option<&'a str>,
}

/// Usage records on their way into the store, gathered without an allocation per record: the
/// record ids and run ids in one text buffer, accounts and chip models numbered within the
/// batch. The store counts each record id once, the first of a batch when it holds several.
#[derive(Debug, Clone, Default)]
pub struct UsageBatch {
    text: String,
    rows: Vec<BatchRow>,
    accounts: Vec<String>,
    models: Vec<UsageModel>,
    account_codes: HashMap<String, u32>,
    /// Keyed by `chip_model` and `chip_id` joined with a NUL (neither holds one: they come from
    /// text files and the catalog; a NUL inside would only cost a second entry, never a mix-up,
    /// since the pair is compared in full on a hit).
    model_codes: HashMap<String, u32>,
    key: String,
    /// The rows are in record id order (see [`UsageBatch::sort_by_record_id`]).
    sorted: bool,
}

#[derive(Debug, Clone, Copy)]
struct BatchRow {
    id: (usize, usize),
    run: Option<(usize, usize)>,
    account: u32,
    model: u32,
    chips: f64,
    start_ns: i64,
    end_ns: i64,
    utilization: Option<f64>,
    tensor_active: Option<f64>,
}

impl UsageBatch {
    /// Up to this many models, a record's model is found by comparing names, not by hashing.
    const FEW_MODELS: usize = 8;

    pub fn new() -> UsageBatch {
        UsageBatch::default()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Adds a record (copying its text; an account or model already in the batch is not copied
    /// again).
    pub fn push(&mut self, r: &UsageRow<'_>) {
        self.sorted = false;
        let id = self.add_text(r.record_id);
        let run = r.run_id.map(|run| self.add_text(run));
        let account = match self.account_codes.get(r.account) {
            Some(&code) => code,
            None => {
                let code = u32::try_from(self.accounts.len()).expect("fewer than 2^32 accounts in a batch");
                self.accounts.push(r.account.to_owned());
                self.account_codes.insert(r.account.to_owned(), code);
                code
            }
        };
        let same = |m: &UsageModel| m.chip_model == r.chip_model && m.chip_id == r.chip_id;
        // A file names a few models: compared in turn, hashed only past a handful.
        let known = if self.models.len() <= UsageBatch::FEW_MODELS {
            self.models.iter().position(same).map(|i| i as u32)
        } else {
            self.key.clear();
            self.key.push_str(r.chip_model);
            self.key.push('\0');
            self.key.push_str(r.chip_id);
            self.model_codes.get(self.key.as_str()).copied().filter(|&code| same(&self.models[code as usize]))
        };
        let model = match known {
            Some(code) => code,
            None => {
                let code = u32::try_from(self.models.len()).expect("fewer than 2^32 models in a batch");
                self.models.push(UsageModel { chip_model: r.chip_model.to_owned(), chip_id: r.chip_id.to_owned() });
                self.key.clear();
                self.key.push_str(r.chip_model);
                self.key.push('\0');
                self.key.push_str(r.chip_id);
                self.model_codes.insert(self.key.clone(), code);
                code
            }
        };
        self.rows.push(BatchRow {
            id,
            run,
            account,
            model,
            chips: r.chips,
            start_ns: r.start_ns,
            end_ns: r.end_ns,
            utilization: r.utilization,
            tensor_active: r.tensor_active,
        });
    }

    fn add_text(&mut self, text: &str) -> (usize, usize) {
        let start = self.text.len();
        self.text.push_str(text);
        (start, self.text.len())
    }

    /// The batch's accounts: a record's `account` indexes this.
    pub(crate) fn accounts(&self) -> &[String] {
        &self.accounts
    }

    /// The batch's chip models: a record's `model` indexes this.
    pub(crate) fn models(&self) -> &[UsageModel] {
        &self.models
    }

    /// The records, their account and model as the batch numbers them (indices into
    /// `accounts()` and `models()`).
    pub(crate) fn records(&self) -> impl ExactSizeIterator<Item = CodedUsage<'_>> + '_ {
        self.rows.iter().map(|r| CodedUsage {
            record_id: &self.text[r.id.0..r.id.1],
            account: r.account as usize,
            model: r.model as usize,
            chips: r.chips,
            start_ns: r.start_ns,
            end_ns: r.end_ns,
            utilization: r.utilization,
            tensor_active: r.tensor_active,
            run_id: r.run.map(|(s, e)| &self.text[s..e]),
        })
    }

    /// Puts the records in record id order, the first of equal ids first (the one a store
    /// counts). A SQLite store inserts a batch in this order, so that its B-tree keyed by record id
    /// takes the batch page by page; a producer on another thread may sort first and spare the
    /// store's writer the work.
    pub fn sort_by_record_id(&mut self) {
        if !self.sorted {
            let text = &self.text;
            self.rows.sort_by(|a, b| text[a.id.0..a.id.1].cmp(&text[b.id.0..b.id.1]));
            self.sorted = true;
        }
    }

    /// Whether the records are in record id order.
    pub(crate) fn is_sorted(&self) -> bool {
        self.sorted
    }

    /// Refuses a record the store must not hold, naming it and its field: an empty id or
    /// account, chips not above zero, an end not after the start, a fraction outside 0-1. The
    /// meter's parsers refuse all of these first; this guards the store against any other caller
    /// (SQLite's table has no CHECK constraints, for speed: see migration 0012).
    pub fn check(&self) -> Result<()> {
        let invalid = |id: &str, why: String| Err(StoreError::Invalid(format!("usage record `{id}`: {why}")));
        if let Some(empty) = self.accounts.iter().position(String::is_empty) {
            let id = self.records().find(|r| r.account == empty).map_or("", |r| r.record_id);
            return invalid(id, "the account is empty".to_owned());
        }
        for r in self.records() {
            if r.record_id.is_empty() {
                return invalid(r.record_id, "the record id is empty".to_owned());
            }
            if !(r.chips > 0.0 && r.chips.is_finite()) {
                return invalid(r.record_id, format!("chips {} is not a number above zero", r.chips));
            }
            if r.end_ns <= r.start_ns {
                return invalid(r.record_id, "the end is not after the start".to_owned());
            }
            for (field, value) in [("utilization", r.utilization), ("tensor_active", r.tensor_active)] {
                if value.is_some_and(|v| !(0.0..=1.0).contains(&v)) {
                    return invalid(
                        r.record_id,
                        format!("{field} {} is not between 0 and 1", value.unwrap_or_default()),
                    );
                }
            }
        }
        Ok(())
    }

    /// The records as [`UsageRow`]s, in the batch's order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = UsageRow<'_>> + '_ {
        self.records().map(|r| {
            let model = &self.models[r.model];
            UsageRow {
                record_id: r.record_id,
                account: &self.accounts[r.account],
                chip_model: &model.chip_model,
                chip_id: &model.chip_id,
                chips: r.chips,
                start_ns: r.start_ns,
                end_ns: r.end_ns,
                utilization: r.utilization,
                tensor_active: r.tensor_active,
                run_id: r.run_id,
            }
        })
    }
}

impl From<&[StoredUsage]> for UsageBatch {
    fn from(records: &[StoredUsage]) -> UsageBatch {
        let mut batch = UsageBatch::new();
        for r in records {
            batch.push(&r.as_row());
        }
        batch
    }
}

impl StoredUsage {
    /// The record as a borrowed row.
    pub fn as_row(&self) -> UsageRow<'_> {
        UsageRow {
            record_id: &self.record_id,
            account: &self.account,
            chip_model: &self.chip_model,
            chip_id: &self.chip_id,
            chips: self.chips,
            start_ns: self.start_ns,
            end_ns: self.end_ns,
            utilization: self.utilization,
            tensor_active: self.tensor_active,
            run_id: self.run_id.as_deref(),
        }
    }
}

/// Dictionary numbers as stored (an `INTEGER PRIMARY KEY` or an identity) to indices into
/// [`UsageNames`]: a table when the numbers are dense, as they are unless many inserts failed.
#[derive(Debug)]
pub(crate) enum Numbering {
    Dense(Vec<u32>),
    Sparse(HashMap<i64, u32>),
}

impl Numbering {
    /// The numbering of `ids`, the `i`-th name's number at `ids[i]`.
    pub(crate) fn new(ids: &[i64]) -> Numbering {
        let max = ids.iter().copied().max().unwrap_or(0);
        let dense = ids.iter().all(|&id| id >= 0)
            && usize::try_from(max).is_ok_and(|max| max <= 4 * ids.len() + 1024)
            && ids.len() < u32::MAX as usize;
        let index = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        if dense {
            let mut table = vec![u32::MAX; usize::try_from(max).unwrap_or(0) + 1];
            for (i, &id) in ids.iter().enumerate() {
                table[usize::try_from(id).unwrap_or(0)] = index(i);
            }
            Numbering::Dense(table)
        } else {
            Numbering::Sparse(ids.iter().enumerate().map(|(i, &id)| (id, index(i))).collect())
        }
    }

    /// The index of number `id`, or why there is none (a record pointing at no dictionary row).
    pub(crate) fn index(&self, id: i64, what: &str) -> Result<usize> {
        let found = match self {
            Numbering::Dense(table) => usize::try_from(id).ok().and_then(|i| table.get(i)).copied(),
            Numbering::Sparse(map) => map.get(&id).copied(),
        };
        match found {
            Some(i) if i != u32::MAX => Ok(i as usize),
            _ => Err(StoreError::Corrupt {
                what: "usage record".to_owned(),
                cause: format!("{what} number {id} is not in the store's dictionary").into(),
            }),
        }
    }
}

/// The store's numbers of the names an SQLite connection has stored or read: a batch looks its
/// accounts and models up here instead of in the database. Dictionary rows are never rewritten
/// or deleted, so a number, once committed, stays right.
#[derive(Debug, Default)]
pub(crate) struct KnownNames {
    accounts: HashMap<String, i64>,
    models: HashMap<UsageModel, i64>,
}

/// An explicit link between two accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredLink {
    pub account_a: String,
    pub account_b: String,
    pub reason: String,
    pub evidence: String,
}

/// What an ingest did: records new to the store, and records it had already counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Ingested {
    pub inserted: usize,
    pub already_counted: usize,
}

/// A REAL column's value (SQLite may hand back an integral one as an integer).
fn real(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<f64> {
    match v {
        rusqlite::types::ValueRef::Integer(i) => Ok(i as f64),
        other => other.as_f64(),
    }
}

fn real_or_null(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Option<f64>> {
    match v {
        rusqlite::types::ValueRef::Null => Ok(None),
        other => real(other).map(Some),
    }
}

/// Which records of a scan: all, those with a record id below a key, or the rest.
#[derive(Debug, Clone, Copy)]
enum Part<'a> {
    All,
    Below(&'a str),
    From(&'a str),
}

/// Runs a scan (`scan(names, f)`) into one state: `start` makes it from the names, `add` adds
/// each record.
pub(crate) fn one_part<S, E: From<StoreError>>(
    scan: impl FnOnce(
        &mut dyn FnMut(UsageNames) -> std::result::Result<(), E>,
        &mut dyn FnMut(&CodedUsage<'_>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E>,
    start: impl Fn(UsageNames) -> std::result::Result<S, E>,
    add: impl Fn(&mut S, &CodedUsage<'_>) -> std::result::Result<(), E>,
) -> std::result::Result<Vec<S>, E> {
    let state = std::cell::RefCell::new(None);
    scan(
        &mut |names| {
            *state.borrow_mut() = Some(start(names)?);
            Ok(())
        },
        &mut |u| match state.borrow_mut().as_mut() {
            Some(s) => add(s, u),
            None => Err(StoreError::Invalid("a usage record came before the names".to_owned()).into()),
        },
    )?;
    Ok(state.into_inner().into_iter().collect())
}

/// Reads the dictionaries and then the records of `part`, in the transaction open on `conn`.
fn scan_in<E: From<StoreError>>(
    conn: &Connection,
    part: Part<'_>,
    names: impl FnOnce(UsageNames) -> std::result::Result<(), E>,
    mut f: impl FnMut(&CodedUsage<'_>) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let action = "read usage records";
    let (mut account_ids, mut model_ids) = (Vec::new(), Vec::new());
    let mut dictionary = UsageNames::default();
    {
        let mut stmt = conn.prepare("SELECT id, account FROM usage_accounts ORDER BY id").map_err(db(action))?;
        let mut rows = stmt.query([]).map_err(db(action))?;
        while let Some(row) = rows.next().map_err(db(action))? {
            account_ids.push(row.get::<_, i64>(0).map_err(db(action))?);
            dictionary.accounts.push(row.get(1).map_err(db(action))?);
        }
        let mut stmt =
            conn.prepare("SELECT id, chip_model, chip_id FROM usage_models ORDER BY id").map_err(db(action))?;
        let mut rows = stmt.query([]).map_err(db(action))?;
        while let Some(row) = rows.next().map_err(db(action))? {
            model_ids.push(row.get::<_, i64>(0).map_err(db(action))?);
            dictionary.models.push(UsageModel {
                chip_model: row.get(1).map_err(db(action))?,
                chip_id: row.get(2).map_err(db(action))?,
            });
        }
    }
    let (accounts, models) = (Numbering::new(&account_ids), Numbering::new(&model_ids));
    names(dictionary)?;
    let columns = "SELECT record_id, account_id, model_id, chips, start_ns, end_ns, utilization, tensor_active, run_id
                   FROM usage_records";
    let (sql, key) = match part {
        Part::All => (columns.to_owned(), None),
        Part::Below(key) => (format!("{columns} WHERE record_id < ?1"), Some(key)),
        Part::From(key) => (format!("{columns} WHERE record_id >= ?1"), Some(key)),
    };
    let mut stmt = conn.prepare(&sql).map_err(db(action))?;
    let mut rows = match key {
        Some(key) => stmt.query([key]),
        None => stmt.query([]),
    }
    .map_err(db(action))?;
    while let Some(row) = rows.next().map_err(db(action))? {
        let read = || -> Result<CodedUsage<'_>> {
            let value = |i: usize| row.get_ref(i).map_err(db(action));
            let typed = |e: rusqlite::types::FromSqlError| StoreError::Database {
                action: action.to_owned(),
                cause: Box::new(e),
            };
            Ok(CodedUsage {
                record_id: value(0)?.as_str().map_err(typed)?,
                account: accounts.index(value(1)?.as_i64().map_err(typed)?, "account")?,
                model: models.index(value(2)?.as_i64().map_err(typed)?, "chip model")?,
                chips: real(value(3)?).map_err(typed)?,
                start_ns: value(4)?.as_i64().map_err(typed)?,
                end_ns: value(5)?.as_i64().map_err(typed)?,
                utilization: real_or_null(value(6)?).map_err(typed)?,
                tensor_active: real_or_null(value(7)?).map_err(typed)?,
                run_id: value(8)?.as_str_or_null().map_err(typed)?,
            })
        };
        f(&read()?)?;
    }
    Ok(())
}

impl SqliteStore {
    pub fn ingest_usage(&mut self, batch: &UsageBatch, source: &str, at: &str) -> Result<Ingested> {
        let action = "store usage records";
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db("start an ingest"))?;
        let known = &mut self.usage_names;
        let mut inserted = 0;
        // Names new to this connection: known once the transaction has committed.
        let mut new_accounts: Vec<(String, i64)> = Vec::new();
        let mut new_models: Vec<(UsageModel, i64)> = Vec::new();
        {
            // The source and time of an ingest are stored once, however many batches it takes.
            tx.prepare_cached("INSERT OR IGNORE INTO usage_ingests (source, at) VALUES (?1, ?2)")
                .and_then(|mut s| s.execute((source, at)))
                .map_err(db(action))?;
            let ingest_id: i64 = tx
                .prepare_cached("SELECT id FROM usage_ingests WHERE source = ?1 AND at = ?2")
                .and_then(|mut s| s.query_row((source, at), |row| row.get(0)))
                .map_err(db(action))?;
            let mut accounts = Vec::with_capacity(batch.accounts().len());
            for account in batch.accounts() {
                accounts.push(match known.accounts.get(account) {
                    Some(&id) => id,
                    None => {
                        tx.prepare_cached("INSERT OR IGNORE INTO usage_accounts (account) VALUES (?1)")
                            .and_then(|mut s| s.execute([account]))
                            .map_err(db(action))?;
                        let id: i64 = tx
                            .prepare_cached("SELECT id FROM usage_accounts WHERE account = ?1")
                            .and_then(|mut s| s.query_row([account], |row| row.get(0)))
                            .map_err(db(action))?;
                        new_accounts.push((account.clone(), id));
                        id
                    }
                });
            }
            let mut models = Vec::with_capacity(batch.models().len());
            for model in batch.models() {
                models.push(match known.models.get(model) {
                    Some(&id) => id,
                    None => {
                        let key = (&model.chip_model, &model.chip_id);
                        tx.prepare_cached("INSERT OR IGNORE INTO usage_models (chip_model, chip_id) VALUES (?1, ?2)")
                            .and_then(|mut s| s.execute(key))
                            .map_err(db(action))?;
                        let id: i64 = tx
                            .prepare_cached("SELECT id FROM usage_models WHERE chip_model = ?1 AND chip_id = ?2")
                            .and_then(|mut s| s.query_row(key, |row| row.get(0)))
                            .map_err(db(action))?;
                        new_models.push((model.clone(), id));
                        id
                    }
                });
            }
            // In record id order (the first of equal ids first, so it is the one counted): the
            // B-tree keyed by record id then takes the batch page by page instead of at random.
            let mut sorted: Vec<CodedUsage<'_>> = Vec::new();
            let records: &mut dyn Iterator<Item = CodedUsage<'_>> = if batch.is_sorted() {
                &mut batch.records()
            } else {
                sorted.extend(batch.records());
                sorted.sort_by(|a, b| a.record_id.cmp(b.record_id));
                &mut sorted.iter().copied()
            };
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO usage_records (record_id, account_id, model_id, chips, start_ns, end_ns,
                         utilization, tensor_active, run_id, ingest_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .map_err(db(action))?;
            insert.raw_bind_parameter(10, ingest_id).map_err(db(action))?;
            for r in records {
                let mut store = || -> rusqlite::Result<usize> {
                    insert.raw_bind_parameter(1, r.record_id)?;
                    insert.raw_bind_parameter(2, accounts[r.account])?;
                    insert.raw_bind_parameter(3, models[r.model])?;
                    insert.raw_bind_parameter(4, r.chips)?;
                    insert.raw_bind_parameter(5, r.start_ns)?;
                    insert.raw_bind_parameter(6, r.end_ns)?;
                    insert.raw_bind_parameter(7, r.utilization)?;
                    insert.raw_bind_parameter(8, r.tensor_active)?;
                    insert.raw_bind_parameter(9, r.run_id)?;
                    insert.raw_execute()
                };
                inserted += store().map_err(db(action))?;
            }
        }
        tx.commit().map_err(db("commit an ingest"))?;
        known.accounts.extend(new_accounts);
        known.models.extend(new_models);
        Ok(Ingested { inserted, already_counted: batch.len() - inserted })
    }

    pub fn scan_usage<E: From<StoreError>>(
        &self,
        names: impl FnOnce(UsageNames) -> std::result::Result<(), E>,
        f: impl FnMut(&CodedUsage<'_>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        // One snapshot for the names and the records: an ingest may add both meanwhile.
        let tx = self.conn.unchecked_transaction().map_err(db("read usage records"))?;
        scan_in(&tx, Part::All, names, f)
    }

    /// As `scan_usage`, in two parts read at once on two connections of their own, when the
    /// store file is larger than `split_above` bytes: the records below the median record id in
    /// one part, the rest in the other, both from one snapshot. `start` makes each part's state
    /// from the names, `add` adds a record to it; the states come back in record id order. A
    /// store in memory or a small one is read in one part.
    pub fn scan_usage_parts<S: Send, E: From<StoreError> + Send>(
        &self,
        split_above: u64,
        start: impl Fn(UsageNames) -> std::result::Result<S, E> + Sync,
        add: impl Fn(&mut S, &CodedUsage<'_>) -> std::result::Result<(), E> + Sync,
    ) -> std::result::Result<Vec<S>, E> {
        let action = "read usage records";
        let size: i64 = self
            .conn
            .query_row("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()", [], |r| r.get(0))
            .map_err(db(action))?;
        let path = self.conn.path().filter(|p| !p.is_empty()).map(str::to_owned);
        let (Some(path), true) = (path, u64::try_from(size).unwrap_or(0) > split_above) else {
            return one_part(|names, f| self.scan_usage(names, f), start, add);
        };
        let open = || -> Result<Connection> {
            let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
            let conn = Connection::open_with_flags(&path, flags).map_err(db(action))?;
            conn.busy_timeout(crate::sqlite::BUSY_TIMEOUT).map_err(db(action))?;
            Ok(conn)
        };
        let (low, high) = (open()?, open()?);
        // One snapshot for both parts: while this connection holds the write lock no ingest can
        // commit, so the two read transactions begun meanwhile see the same records. The lock
        // is held for the few statements that begin them, not for the reading.
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(db(action))?;
        // A read transaction's snapshot is taken by its first read.
        let begun = [&low, &high].into_iter().try_for_each(|conn| -> Result<()> {
            conn.execute_batch("BEGIN").map_err(db(action))?;
            conn.query_row("SELECT count(*) FROM usage_ingests", [], |r| r.get::<_, i64>(0)).map_err(db(action))?;
            Ok(())
        });
        self.conn.execute_batch("ROLLBACK").map_err(db(action))?;
        begun?;
        // The median record id: counting reads page headers only, skipping steps over keys.
        let median: Option<String> = low
            .query_row(
                "SELECT record_id FROM usage_records ORDER BY record_id
                 LIMIT 1 OFFSET (SELECT count(*) / 2 FROM usage_records)",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(db(action))?;
        let Some(mid) = median else {
            return one_part(|names, f| scan_in(&low, Part::All, names, f), start, add);
        };
        std::thread::scope(|scope| {
            let (start, add, mid) = (&start, &add, mid.as_str());
            let upper = scope.spawn(move || one_part(|names, f| scan_in(&high, Part::From(mid), names, f), start, add));
            let lower = one_part(|names, f| scan_in(&low, Part::Below(mid), names, f), start, add);
            let upper = upper.join().unwrap_or_else(|_| {
                Err(StoreError::Database { action: action.to_owned(), cause: "a reading thread panicked".into() }
                    .into())
            });
            let mut parts = lower?;
            parts.extend(upper?);
            Ok(parts)
        })
    }

    pub fn usage_mark(&self) -> Result<i64> {
        self.conn
            .query_row("SELECT coalesce(max(id), 0) FROM usage_ingests", [], |row| row.get(0))
            .map_err(db("read the last usage ingest"))
    }

    pub fn add_links(&mut self, links: &[StoredLink]) -> Result<usize> {
        let tx =
            self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db("start adding links"))?;
        let mut added = 0;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO account_links (account_a, account_b, reason, evidence) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(db("store account links"))?;
            for l in links {
                added += insert
                    .execute((&l.account_a, &l.account_b, &l.reason, &l.evidence))
                    .map_err(db("store account links"))?;
            }
        }
        tx.commit().map_err(db("commit account links"))?;
        Ok(added)
    }

    pub fn links(&self) -> Result<Vec<StoredLink>> {
        let action = "read account links";
        let mut stmt = self
            .conn
            .prepare("SELECT account_a, account_b, reason, evidence FROM account_links ORDER BY rowid")
            .map_err(db(action))?;
        let rows = stmt
            .query_map([], |row| {
                Ok(StoredLink {
                    account_a: row.get(0)?,
                    account_b: row.get(1)?,
                    reason: row.get(2)?,
                    evidence: row.get(3)?,
                })
            })
            .map_err(db(action))?;
        rows.collect::<rusqlite::Result<_>>().map_err(db(action))
    }
}
