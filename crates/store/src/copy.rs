//! Copying a whole store into an empty one, across backends (`chipwarden migrate`): every table
//! of the schema, row for row, with every id, sequence number and leaf index kept, in one
//! transaction on the target; then the row counts and the ledger's root compared on both sides.
//!
//! The tables are named here, in an order that satisfies their foreign keys ([`TABLES`]); a
//! table of either schema that this list does not name refuses the copy (a migration that adds a
//! table must add it here, and a test holds the list to both schemas). Columns are read from each
//! side's schema, and values converted to the target's column types. What is not copied:
//! `schema_migrations` (each store is migrated when it is opened, and both must be at the same
//! version) and `ledger_serials`, which the target's trigger fills as the ledger entries are
//! inserted (a copy would insert every row twice); it is counted on both sides all the same.

use std::collections::BTreeSet;

use chipwarden_ledger::{Hash, LeafHashes};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use rusqlite::TransactionBehavior;
use rusqlite::types::{ToSqlOutput, ValueRef};

use crate::error::{DriverError, Result, StoreError};
use crate::store::{Backend, Store};

/// One table of the schema and how it is copied.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Table {
    pub name: &'static str,
    /// The order rows are read and inserted in: the primary key (the ledger's trigger wants leaf
    /// indices in order; identities given by default follow insertion order).
    pub order: &'static str,
    /// The column that SQLite keeps as the table's rowid and PostgreSQL as a column of its own
    /// (`account_links.seq`: the order links were added in).
    pub rowid_as: Option<&'static str>,
    /// Filled by a trigger of the target as other rows are inserted: counted, not copied.
    pub by_trigger: bool,
}

const fn copied(name: &'static str, order: &'static str) -> Table {
    Table { name, order, rowid_as: None, by_trigger: false }
}

/// Every table of the schema but `schema_migrations`, parents before the tables that refer to
/// them.
pub(crate) const TABLES: &[Table] = &[
    copied("list_versions", "id"),
    copied("list_entries", "id"),
    copied("parties", "id"),
    copied("screenings", "id"),
    copied("screening_versions", "screening_id, version_id"),
    copied("hits", "id"),
    copied("decisions", "seq"),
    copied("ownership_edges", "id"),
    copied("usage_ingests", "id"),
    copied("usage_accounts", "id"),
    copied("usage_models", "id"),
    copied("usage_records", "record_id"),
    Table { name: "account_links", order: "seq", rowid_as: Some("seq"), by_trigger: false },
    copied("customer_records", "id"),
    copied("ledger_entries", "leaf_index"),
    Table { name: "ledger_serials", order: "leaf_index", rowid_as: None, by_trigger: true },
    copied("ledger_subtrees", "level, start"),
    copied("ledger_checkpoints", "id"),
    copied("api_tokens", "id"),
    copied("agent_parties", "token_id"),
    copied("cases", "id"),
    copied("case_notes", "seq"),
    copied("location_measurements", "id"),
];

/// The table each store records its applied migrations in: not copied.
const MIGRATIONS_TABLE: &str = "schema_migrations";

/// What a copy did, and whether both stores agree afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// `sqlite` or `postgres`.
    pub source_dialect: &'static str,
    pub target_dialect: &'static str,
    /// Every table with its rows in the source (as copied) and in the target (after the commit).
    pub tables: Vec<TableCount>,
    pub ledger: LedgerComparison,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCount {
    pub table: String,
    pub source: u64,
    pub target: u64,
}

/// The custody ledger on both sides: its size and root hash (as the store computes it for
/// proofs and checkpoints).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerComparison {
    pub source_size: u64,
    pub target_size: u64,
    pub source_root: Hash,
    pub target_root: Hash,
}

impl CopyReport {
    /// Whether every table holds as many rows in the target as in the source and the ledgers
    /// have the same size and root.
    pub fn matches(&self) -> bool {
        self.tables.iter().all(|t| t.source == t.target)
            && self.ledger.source_size == self.ledger.target_size
            && self.ledger.source_root == self.ledger.target_root
    }
}

impl Store {
    /// Copies everything this store holds into `target`, a store that holds nothing yet (on the
    /// same backend or the other): every row of every table, ids, sequence numbers and leaf
    /// indices kept, in one transaction on the target (nothing is written if anything fails),
    /// read from one consistent snapshot of this store. On PostgreSQL the identities are then
    /// set past the copied ids, so later inserts take new ones.
    ///
    /// Refused, with nothing written, when the target holds a row in any table
    /// ([`StoreError::TargetNotEmpty`]) or the two schemas differ ([`StoreError::SchemaDiffers`]:
    /// their migrations, or a table this build does not know). After the commit the row counts
    /// and the ledgers' roots of both stores are read again and returned; the caller decides what
    /// a mismatch means ([`CopyReport::matches`]).
    pub fn copy_into(&self, target: &mut Store) -> Result<CopyReport> {
        let source_counts = match &self.backend {
            Backend::Sqlite(s) => {
                // A deferred transaction: one read snapshot for every table (write-ahead log).
                let tx = s.conn.unchecked_transaction().map_err(dbf("start reading the source store"))?;
                let counts = copy_to_target(&mut SqliteReader { conn: &tx }, target)?;
                tx.rollback().map_err(dbf("finish reading the source store"))?;
                counts
            }
            Backend::Postgres(p) => {
                let mut client = p.client()?;
                let tx = client
                    .build_transaction()
                    .isolation_level(postgres::IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start()
                    .map_err(dbf("start reading the source store"))?;
                let mut reader = PgReader { tx };
                let counts = copy_to_target(&mut reader, target)?;
                reader.tx.rollback().map_err(dbf("finish reading the source store"))?;
                counts
            }
        };
        let mut tables = Vec::with_capacity(TABLES.len());
        for (table, source) in TABLES.iter().zip(source_counts) {
            tables.push(TableCount { table: table.name.to_owned(), source, target: count_rows(target, table.name)? });
        }
        let source_size = tables.iter().find(|t| t.table == "ledger_entries").map_or(0, |t| t.source);
        let target_size = target.ledger_size()?;
        let ledger = LedgerComparison {
            source_size,
            target_size,
            source_root: ledger_root(self, source_size)?,
            target_root: ledger_root(target, target_size)?,
        };
        Ok(CopyReport { source_dialect: self.dialect(), target_dialect: target.dialect(), tables, ledger })
    }
}

/// The root of the first `size` entries of `store`'s ledger.
fn ledger_root(store: &Store, size: u64) -> Result<Hash> {
    let leaves = store.ledger_leaves()?;
    if leaves.size() < size {
        return Err(StoreError::Invalid(format!(
            "the ledger holds {} entries, fewer than the {size} copied",
            leaves.size()
        )));
    }
    chipwarden_ledger::root(&leaves, size)
        .map_err(|e| StoreError::Corrupt { what: "ledger".to_owned(), cause: Box::new(e) })
}

/// How many rows `table` of `store` holds.
fn count_rows(store: &Store, table: &str) -> Result<u64> {
    let sql = format!("SELECT count(*) FROM {}", quote(table));
    let action = || format!("count the rows of `{table}`");
    let n: i64 = match &store.backend {
        Backend::Sqlite(s) => s.conn.query_row(&sql, [], |r| r.get(0)).map_err(dbf(action()))?,
        Backend::Postgres(p) => p.client()?.query_one(&sql, &[]).and_then(|r| r.try_get(0)).map_err(dbf(action()))?,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Copies every table from `source` into `target` in one transaction on the target; returns the
/// source's row count of every table of [`TABLES`], in order.
fn copy_to_target(source: &mut dyn Reader, target: &mut Store) -> Result<Vec<u64>> {
    match &mut target.backend {
        Backend::Sqlite(s) => {
            let tx = s
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(dbf("start writing the target store"))?;
            let mut writer = SqliteWriter { tx: &tx };
            let counts = copy_tables(source, &mut writer)?;
            tx.commit().map_err(dbf("commit the copy"))?;
            Ok(counts)
        }
        Backend::Postgres(p) => {
            let mut tx = p.client_mut()?.transaction().map_err(dbf("start writing the target store"))?;
            crate::pg::lock_writes(&mut tx)?;
            let mut writer = PgWriter { tx };
            let counts = copy_tables(source, &mut writer)?;
            writer.set_identities()?;
            writer.tx.commit().map_err(dbf("commit the copy"))?;
            Ok(counts)
        }
    }
}

fn copy_tables(source: &mut dyn Reader, target: &mut dyn Writer) -> Result<Vec<u64>> {
    let (from, to) = (source.migrations()?, target.migrations()?);
    if from != to {
        let last = |m: &[(i64, String)]| m.last().map_or(0, |(v, _)| *v);
        return Err(StoreError::SchemaDiffers(format!(
            "the source store is at schema version {} and the target at {}; open both with the same ChipWarden",
            last(&from),
            last(&to)
        )));
    }
    let known: BTreeSet<&str> = TABLES.iter().map(|t| t.name).chain([MIGRATIONS_TABLE]).collect();
    for (side, tables) in [("source", source.tables()?), ("target", target.tables()?)] {
        if let Some(unknown) = tables.iter().find(|t| !known.contains(t.as_str())) {
            return Err(StoreError::SchemaDiffers(format!(
                "the {side} store has a table `{unknown}` that this build does not know how to copy"
            )));
        }
        if let Some(missing) = known.iter().find(|t| !tables.contains(**t)) {
            return Err(StoreError::SchemaDiffers(format!("the {side} store has no table `{missing}`")));
        }
    }
    for table in TABLES.iter().map(|t| t.name) {
        if target.has_rows(table)? {
            return Err(StoreError::TargetNotEmpty { table: table.to_owned() });
        }
    }
    let mut counts = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        counts.push(source.count(table.name)?);
        if table.by_trigger {
            continue;
        }
        let names = source.columns(table)?;
        let target_columns = target.columns(table)?;
        let mut columns = Vec::with_capacity(names.len());
        for name in &names {
            let Some(column) = target_columns.iter().find(|c| &c.name == name) else {
                return Err(StoreError::SchemaDiffers(format!(
                    "column `{}.{name}` of the source store has no place in the target",
                    table.name
                )));
            };
            columns.push(column.clone());
        }
        target.insert(table, &columns, &mut |sink| source.rows(table, &names, sink))?;
    }
    Ok(counts)
}

/// One value of a row, as either database gives it.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    fn describe(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Integer(_) => "an integer",
            Value::Real(_) => "a real number",
            Value::Text(_) => "text",
            Value::Blob(_) => "a blob",
        }
    }
}

/// The type of a column of the target store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// SQLite: any value is stored as given (the column's affinity decides).
    Any,
    BigInt,
    Int,
    SmallInt,
    Double,
    Float,
    Bool,
    Text,
    Bytes,
}

impl Kind {
    fn postgres(udt: &str) -> Option<Kind> {
        Some(match udt {
            "int8" => Kind::BigInt,
            "int4" => Kind::Int,
            "int2" => Kind::SmallInt,
            "float8" => Kind::Double,
            "float4" => Kind::Float,
            "bool" => Kind::Bool,
            "text" | "varchar" | "bpchar" => Kind::Text,
            "bytea" => Kind::Bytes,
            _ => return None,
        })
    }

    fn pg_type(self) -> Type {
        match self {
            Kind::BigInt => Type::INT8,
            Kind::Int => Type::INT4,
            Kind::SmallInt => Type::INT2,
            Kind::Double => Type::FLOAT8,
            Kind::Float => Type::FLOAT4,
            Kind::Bool => Type::BOOL,
            Kind::Any | Kind::Text => Type::TEXT,
            Kind::Bytes => Type::BYTEA,
        }
    }

    /// `value` as a value of this type, or why it is not one.
    fn convert(self, value: Value) -> std::result::Result<Value, String> {
        let refused = |v: &Value| Err(format!("{} does not fit a column of type {self:?}", v.describe()));
        match (self, value) {
            (Kind::Any, v) | (_, v @ Value::Null) => Ok(v),
            (Kind::BigInt, v @ Value::Integer(_)) => Ok(v),
            (Kind::Int, Value::Integer(i)) if i32::try_from(i).is_ok() => Ok(Value::Integer(i)),
            (Kind::SmallInt, Value::Integer(i)) if i16::try_from(i).is_ok() => Ok(Value::Integer(i)),
            // An integral real in an integer column (SQLite keeps what it was given).
            (Kind::BigInt | Kind::Int | Kind::SmallInt, Value::Real(r)) if r.fract() == 0.0 && r.abs() < 9.0e15 => {
                self.convert(Value::Integer(r as i64))
            }
            (Kind::Double | Kind::Float, Value::Integer(i)) => Ok(Value::Real(i as f64)),
            (Kind::Double | Kind::Float, v @ Value::Real(_)) => Ok(v),
            (Kind::Bool, Value::Integer(i)) if i == 0 || i == 1 => Ok(Value::Integer(i)),
            (Kind::Text, v @ Value::Text(_)) => Ok(v),
            (Kind::Text, Value::Blob(b)) => match String::from_utf8(b) {
                Ok(text) => Ok(Value::Text(text)),
                Err(e) => refused(&Value::Blob(e.into_bytes())),
            },
            (Kind::Bytes, v @ Value::Blob(_)) => Ok(v),
            (Kind::Bytes, Value::Text(t)) => Ok(Value::Blob(t.into_bytes())),
            (_, v) => refused(&v),
        }
    }
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        // Values were converted to their column's kind first (`Kind::convert`).
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Integer(i) if *ty == Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
            Value::Integer(i) if *ty == Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
            Value::Integer(i) if *ty == Type::BOOL => (*i != 0).to_sql(ty, out),
            Value::Integer(i) => i.to_sql(ty, out),
            Value::Real(r) if *ty == Type::FLOAT4 => (*r as f32).to_sql(ty, out),
            Value::Real(r) => r.to_sql(ty, out),
            Value::Text(t) => t.to_sql(ty, out),
            Value::Blob(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> std::result::Result<Value, Box<dyn std::error::Error + Sync + Send>> {
        Ok(match *ty {
            Type::INT8 => Value::Integer(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Integer(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Integer(i16::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::BOOL => Value::Integer(bool::from_sql(ty, raw)?.into()),
            Type::BYTEA => Value::Blob(Vec::<u8>::from_sql(ty, raw)?),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => Value::Text(String::from_sql(ty, raw)?),
            _ => return Err(format!("a column of type {ty} cannot be copied").into()),
        })
    }

    fn from_sql_null(_: &Type) -> std::result::Result<Value, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Value::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(r) => ValueRef::Real(*r),
            Value::Text(t) => ValueRef::Text(t.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

/// A column of the target store.
#[derive(Debug, Clone)]
struct Column {
    name: String,
    kind: Kind,
    /// A PostgreSQL identity: set past the copied values afterwards.
    identity: bool,
}

/// Where the rows of one table go, one at a time.
trait Sink {
    fn push(&mut self, row: Vec<Value>) -> Result<()>;
}

/// The source store, inside its read transaction.
trait Reader {
    fn migrations(&mut self) -> Result<Vec<(i64, String)>>;
    fn tables(&mut self) -> Result<BTreeSet<String>>;
    fn count(&mut self, table: &str) -> Result<u64>;
    /// The table's columns, in the source's order.
    fn columns(&mut self, table: &Table) -> Result<Vec<String>>;
    /// Hands every row of `table` (the values of `columns`) to `sink`, in the table's order.
    fn rows(&mut self, table: &Table, columns: &[String], sink: &mut dyn Sink) -> Result<()>;
}

/// The target store, inside its write transaction.
trait Writer {
    fn migrations(&mut self) -> Result<Vec<(i64, String)>>;
    fn tables(&mut self) -> Result<BTreeSet<String>>;
    fn has_rows(&mut self, table: &str) -> Result<bool>;
    fn columns(&mut self, table: &Table) -> Result<Vec<Column>>;
    /// Inserts into `table` the rows that `fill` pushes (values of `columns`, in order).
    fn insert(
        &mut self,
        table: &Table,
        columns: &[Column],
        fill: &mut dyn FnMut(&mut dyn Sink) -> Result<()>,
    ) -> Result<()>;
}

/// A database error with what the copy was doing.
fn dbf<E: DriverError>(action: impl Into<String>) -> impl FnOnce(E) -> StoreError {
    move |e| StoreError::Database { action: action.into(), cause: e.into_cause() }
}

/// `name` as an SQL identifier (both dialects quote with double quotes).
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn to_count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

// --- SQLite ---

struct SqliteReader<'a> {
    conn: &'a rusqlite::Connection,
}

fn sqlite_migrations(conn: &rusqlite::Connection) -> Result<Vec<(i64, String)>> {
    let action = "read the applied schema migrations";
    let mut stmt = conn.prepare("SELECT version, name FROM schema_migrations ORDER BY version").map_err(dbf(action))?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(dbf(action))?;
    rows.collect::<rusqlite::Result<_>>().map_err(dbf(action))
}

fn sqlite_tables(conn: &rusqlite::Connection) -> Result<BTreeSet<String>> {
    let action = "list the tables";
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
        .map_err(dbf(action))?;
    let rows = stmt.query_map([], |r| r.get(0)).map_err(dbf(action))?;
    rows.collect::<rusqlite::Result<_>>().map_err(dbf(action))
}

/// The columns of `table`, with its rowid under its other name if it has one.
fn sqlite_columns(conn: &rusqlite::Connection, table: &Table) -> Result<Vec<String>> {
    let action = || format!("read the columns of `{}`", table.name);
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid").map_err(dbf(action()))?;
    let rows = stmt.query_map([table.name], |r| r.get(0)).map_err(dbf(action()))?;
    let mut names: Vec<String> = rows.collect::<rusqlite::Result<_>>().map_err(dbf(action()))?;
    if let Some(alias) = table.rowid_as {
        names.push(alias.to_owned());
    }
    Ok(names)
}

/// `column` as SQLite names it in `table`: the rowid under its own name.
fn sqlite_column(table: &Table, column: &str) -> String {
    if table.rowid_as == Some(column) { "rowid".to_owned() } else { quote(column) }
}

fn sqlite_count(conn: &rusqlite::Connection, table: &str) -> Result<u64> {
    let n: i64 = conn
        .query_row(&format!("SELECT count(*) FROM {}", quote(table)), [], |r| r.get(0))
        .map_err(dbf(format!("count the rows of `{table}`")))?;
    Ok(to_count(n))
}

impl Reader for SqliteReader<'_> {
    fn migrations(&mut self) -> Result<Vec<(i64, String)>> {
        sqlite_migrations(self.conn)
    }

    fn tables(&mut self) -> Result<BTreeSet<String>> {
        sqlite_tables(self.conn)
    }

    fn count(&mut self, table: &str) -> Result<u64> {
        sqlite_count(self.conn, table)
    }

    fn columns(&mut self, table: &Table) -> Result<Vec<String>> {
        sqlite_columns(self.conn, table)
    }

    fn rows(&mut self, table: &Table, columns: &[String], sink: &mut dyn Sink) -> Result<()> {
        let list: Vec<String> = columns.iter().map(|c| sqlite_column(table, c)).collect();
        let order: Vec<String> = table.order.split(", ").map(|c| sqlite_column(table, c)).collect();
        let sql = format!("SELECT {} FROM {} ORDER BY {}", list.join(", "), quote(table.name), order.join(", "));
        let action = || format!("read the rows of `{}`", table.name);
        let mut stmt = self.conn.prepare(&sql).map_err(dbf(action()))?;
        let mut rows = stmt.query([]).map_err(dbf(action()))?;
        while let Some(row) = rows.next().map_err(dbf(action()))? {
            let mut values = Vec::with_capacity(columns.len());
            for (i, column) in columns.iter().enumerate() {
                values.push(match row.get_ref(i).map_err(dbf(action()))? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(n) => Value::Integer(n),
                    ValueRef::Real(r) => Value::Real(r),
                    ValueRef::Text(t) => Value::Text(String::from_utf8(t.to_vec()).map_err(|e| {
                        StoreError::Corrupt { what: format!("text in `{}.{column}`", table.name), cause: Box::new(e) }
                    })?),
                    ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                });
            }
            sink.push(values)?;
        }
        Ok(())
    }
}

struct SqliteWriter<'a> {
    tx: &'a rusqlite::Transaction<'a>,
}

struct SqliteSink<'s, 'c> {
    stmt: rusqlite::Statement<'c>,
    table: &'s Table,
}

impl Sink for SqliteSink<'_, '_> {
    fn push(&mut self, row: Vec<Value>) -> Result<()> {
        self.stmt
            .execute(rusqlite::params_from_iter(row.iter()))
            .map_err(dbf(format!("copy a row into `{}`", self.table.name)))?;
        Ok(())
    }
}

impl Writer for SqliteWriter<'_> {
    fn migrations(&mut self) -> Result<Vec<(i64, String)>> {
        sqlite_migrations(self.tx)
    }

    fn tables(&mut self) -> Result<BTreeSet<String>> {
        sqlite_tables(self.tx)
    }

    fn has_rows(&mut self, table: &str) -> Result<bool> {
        self.tx
            .query_row(&format!("SELECT EXISTS (SELECT 1 FROM {})", quote(table)), [], |r| r.get(0))
            .map_err(dbf(format!("look for rows in `{table}`")))
    }

    fn columns(&mut self, table: &Table) -> Result<Vec<Column>> {
        Ok(sqlite_columns(self.tx, table)?
            .into_iter()
            .map(|name| Column { name, kind: Kind::Any, identity: false })
            .collect())
    }

    fn insert(
        &mut self,
        table: &Table,
        columns: &[Column],
        fill: &mut dyn FnMut(&mut dyn Sink) -> Result<()>,
    ) -> Result<()> {
        let list: Vec<String> = columns.iter().map(|c| sqlite_column(table, &c.name)).collect();
        let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        let sql = format!("INSERT INTO {} ({}) VALUES ({})", quote(table.name), list.join(", "), marks.join(", "));
        let stmt = self.tx.prepare(&sql).map_err(dbf(format!("prepare the copy of `{}`", table.name)))?;
        fill(&mut SqliteSink { stmt, table })
    }
}

// --- PostgreSQL ---

struct PgReader<'a> {
    tx: postgres::Transaction<'a>,
}

fn pg_migrations(tx: &mut postgres::Transaction<'_>) -> Result<Vec<(i64, String)>> {
    let action = "read the applied schema migrations";
    let rows = tx.query("SELECT version, name FROM schema_migrations ORDER BY version", &[]).map_err(dbf(action))?;
    rows.iter().map(|r| Ok((r.try_get(0).map_err(dbf(action))?, r.try_get(1).map_err(dbf(action))?))).collect()
}

fn pg_tables(tx: &mut postgres::Transaction<'_>) -> Result<BTreeSet<String>> {
    let action = "list the tables";
    let rows = tx
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            &[],
        )
        .map_err(dbf(action))?;
    rows.iter().map(|r| r.try_get(0).map_err(dbf(action))).collect()
}

fn pg_columns(tx: &mut postgres::Transaction<'_>, table: &str) -> Result<Vec<Column>> {
    let action = || format!("read the columns of `{table}`");
    let rows = tx
        .query(
            "SELECT column_name::text, udt_name::text, is_identity = 'YES' FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            &[&table],
        )
        .map_err(dbf(action()))?;
    let mut columns = Vec::with_capacity(rows.len());
    for row in rows {
        let name: String = row.try_get(0).map_err(dbf(action()))?;
        let udt: String = row.try_get(1).map_err(dbf(action()))?;
        let Some(kind) = Kind::postgres(&udt) else {
            return Err(StoreError::SchemaDiffers(format!(
                "column `{table}.{name}` has the type `{udt}`, which the copy does not know"
            )));
        };
        columns.push(Column { name, kind, identity: row.try_get(2).map_err(dbf(action()))? });
    }
    Ok(columns)
}

fn pg_count(tx: &mut postgres::Transaction<'_>, table: &str) -> Result<u64> {
    let n: i64 = tx
        .query_one(&format!("SELECT count(*) FROM {}", quote(table)), &[])
        .and_then(|r| r.try_get(0))
        .map_err(dbf(format!("count the rows of `{table}`")))?;
    Ok(to_count(n))
}

impl Reader for PgReader<'_> {
    fn migrations(&mut self) -> Result<Vec<(i64, String)>> {
        pg_migrations(&mut self.tx)
    }

    fn tables(&mut self) -> Result<BTreeSet<String>> {
        pg_tables(&mut self.tx)
    }

    fn count(&mut self, table: &str) -> Result<u64> {
        pg_count(&mut self.tx, table)
    }

    fn columns(&mut self, table: &Table) -> Result<Vec<String>> {
        Ok(pg_columns(&mut self.tx, table.name)?.into_iter().map(|c| c.name).collect())
    }

    fn rows(&mut self, table: &Table, columns: &[String], sink: &mut dyn Sink) -> Result<()> {
        let list: Vec<String> = columns.iter().map(|c| quote(c)).collect();
        let order: Vec<String> = table.order.split(", ").map(quote).collect();
        let sql = format!("SELECT {} FROM {} ORDER BY {}", list.join(", "), quote(table.name), order.join(", "));
        let action = || format!("read the rows of `{}`", table.name);
        // Streamed: one row at a time, however many there are.
        let mut rows = self.tx.query_raw(&sql, std::iter::empty::<&dyn ToSql>()).map_err(dbf(action()))?;
        while let Some(row) = rows.next().map_err(dbf(action()))? {
            let mut values = Vec::with_capacity(columns.len());
            for i in 0..columns.len() {
                values.push(row.try_get::<_, Value>(i).map_err(dbf(action()))?);
            }
            sink.push(values)?;
        }
        Ok(())
    }
}

struct PgWriter<'a> {
    tx: postgres::Transaction<'a>,
}

struct PgSink<'w, 's> {
    writer: BinaryCopyInWriter<'w>,
    table: &'s Table,
    columns: &'s [Column],
}

impl Sink for PgSink<'_, '_> {
    fn push(&mut self, row: Vec<Value>) -> Result<()> {
        let mut values = Vec::with_capacity(row.len());
        for (value, column) in row.into_iter().zip(self.columns) {
            values.push(column.kind.convert(value).map_err(|why| {
                StoreError::Invalid(format!("cannot copy a value of `{}.{}`: {why}", self.table.name, column.name))
            })?);
        }
        let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        self.writer.write(&refs).map_err(dbf(format!("copy a row into `{}`", self.table.name)))
    }
}

impl PgWriter<'_> {
    /// Sets every identity of the copied tables past the largest value copied, so that the next
    /// insert takes a new one.
    fn set_identities(&mut self) -> Result<()> {
        for table in TABLES.iter().filter(|t| !t.by_trigger) {
            for column in pg_columns(&mut self.tx, table.name)?.into_iter().filter(|c| c.identity) {
                let name = quote(&column.name);
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max({name}), 1), max({name}) IS NOT NULL)
                     FROM {}",
                    quote(table.name)
                );
                self.tx
                    .query_one(&sql, &[&quote(table.name), &column.name])
                    .map_err(dbf(format!("set the identity of `{}.{}`", table.name, column.name)))?;
            }
        }
        Ok(())
    }
}

impl Writer for PgWriter<'_> {
    fn migrations(&mut self) -> Result<Vec<(i64, String)>> {
        pg_migrations(&mut self.tx)
    }

    fn tables(&mut self) -> Result<BTreeSet<String>> {
        pg_tables(&mut self.tx)
    }

    fn has_rows(&mut self, table: &str) -> Result<bool> {
        self.tx
            .query_one(&format!("SELECT EXISTS (SELECT 1 FROM {})", quote(table)), &[])
            .and_then(|r| r.try_get(0))
            .map_err(dbf(format!("look for rows in `{table}`")))
    }

    fn columns(&mut self, table: &Table) -> Result<Vec<Column>> {
        pg_columns(&mut self.tx, table.name)
    }

    fn insert(
        &mut self,
        table: &Table,
        columns: &[Column],
        fill: &mut dyn FnMut(&mut dyn Sink) -> Result<()>,
    ) -> Result<()> {
        let action = || format!("copy the rows of `{}`", table.name);
        let list: Vec<String> = columns.iter().map(|c| quote(&c.name)).collect();
        // COPY fires the target's row triggers as INSERT does (the ledger's order, its serials).
        let sql = format!("COPY {} ({}) FROM STDIN (FORMAT binary)", quote(table.name), list.join(", "));
        let types: Vec<Type> = columns.iter().map(|c| c.kind.pg_type()).collect();
        let copy = self.tx.copy_in(&sql).map_err(dbf(action()))?;
        let mut sink = PgSink { writer: BinaryCopyInWriter::new(copy, &types), table, columns };
        fill(&mut sink)?;
        sink.writer.finish().map_err(dbf(action()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The list names every table of both schemas but `schema_migrations`, each once, and every
    /// table comes after the tables its foreign keys refer to.
    #[test]
    fn the_tables_are_every_table_of_the_schema_in_foreign_key_order() {
        let names: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        let listed: BTreeSet<String> = names.iter().map(|n| (*n).to_owned()).collect();
        assert_eq!(listed.len(), names.len(), "a table is listed twice");
        crate::testing::each_backend(|db| {
            let store = db.open();
            let mut tables = match &store.backend {
                Backend::Sqlite(s) => sqlite_tables(&s.conn).expect("tables"),
                Backend::Postgres(p) => {
                    let mut client = p.client().expect("client");
                    pg_tables(&mut client.transaction().expect("tx")).expect("tables")
                }
            };
            assert!(tables.remove(MIGRATIONS_TABLE));
            assert_eq!(tables, listed, "TABLES against the {} schema", db.dialect());
        });
        let store = Store::open_in_memory().expect("store");
        let Backend::Sqlite(s) = &store.backend else { panic!("an SQLite store") };
        for (i, table) in TABLES.iter().enumerate() {
            let mut stmt = s.conn.prepare("SELECT \"table\" FROM pragma_foreign_key_list(?1)").expect("keys");
            let parents: Vec<String> = stmt
                .query_map([table.name], |r| r.get(0))
                .expect("keys")
                .collect::<rusqlite::Result<_>>()
                .expect("keys");
            for parent in parents {
                let at = names.iter().position(|n| *n == parent).expect("a listed parent");
                assert!(at < i, "`{}` refers to `{parent}`, which is copied after it", table.name);
            }
        }
    }

    #[test]
    fn values_are_converted_to_the_column_type_or_refused() {
        assert_eq!(Kind::Double.convert(Value::Integer(2)), Ok(Value::Real(2.0)));
        assert_eq!(Kind::BigInt.convert(Value::Real(3.0)), Ok(Value::Integer(3)));
        assert!(Kind::BigInt.convert(Value::Real(3.5)).is_err());
        assert!(Kind::Int.convert(Value::Integer(i64::from(i32::MAX) + 1)).is_err());
        assert_eq!(Kind::Bool.convert(Value::Integer(1)), Ok(Value::Integer(1)));
        assert!(Kind::Bool.convert(Value::Integer(2)).is_err());
        assert_eq!(Kind::Bytes.convert(Value::Text("ab".into())), Ok(Value::Blob(b"ab".to_vec())));
        assert_eq!(Kind::Text.convert(Value::Blob(b"ab".to_vec())), Ok(Value::Text("ab".into())));
        assert!(Kind::Text.convert(Value::Blob(vec![0xff])).is_err());
        assert!(Kind::Text.convert(Value::Integer(1)).is_err());
        assert_eq!(Kind::Text.convert(Value::Null), Ok(Value::Null));
        assert_eq!(Kind::Any.convert(Value::Real(1.5)), Ok(Value::Real(1.5)));
    }

    #[test]
    fn a_report_matches_only_when_every_count_and_the_root_agree() {
        let hash = |b: u8| Hash([b; 32]);
        let report = CopyReport {
            source_dialect: "sqlite",
            target_dialect: "postgres",
            tables: vec![TableCount { table: "parties".into(), source: 2, target: 2 }],
            ledger: LedgerComparison { source_size: 3, target_size: 3, source_root: hash(1), target_root: hash(1) },
        };
        assert!(report.matches());
        let mut fewer = report.clone();
        fewer.tables[0].target = 1;
        assert!(!fewer.matches());
        let mut other_root = report.clone();
        other_root.ledger.target_root = hash(2);
        assert!(!other_root.matches());
        let mut shorter = report;
        shorter.ledger.target_size = 2;
        assert!(!shorter.matches());
    }
}
