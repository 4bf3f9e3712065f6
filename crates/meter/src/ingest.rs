//! Streaming parsers from usage files (CSV, JSON Lines, Slurm sacct, the Alibaba 2023 GPU trace)
//! to usage records, one row at a time, each bad row a `Reject` naming file, line and field.
//!
//! Every parser is an iterator over a `std::io::Read`: it holds one row in memory at a time, so
//! a file of any size goes through in constant memory. A bad row yields `Err(Reject)` and the
//! iterator carries on with the next row; a bad header (a required column missing) yields one
//! `Reject` on line 1 and ends the iteration, since no row of such a file can be read. Columns
//! the parser does not know are ignored, because operators' exports carry many more.
//!
//! Chip models are resolved through `Catalog::lookup` (names, aliases, ids, vendor prefixes);
//! an unknown model is a rejected row naming the value and the nearest catalog names, never a
//! guess.

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read};

use chipwarden_core::{Catalog, Chip};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::error::Reject;
use crate::record::{UsageRecord, storable_nanos};

/// Columns of the documented CSV and JSON Lines schema. The first six are required.
const REQUIRED: [&str; 6] = ["record_id", "account", "chip_model", "chips", "start", "end"];

/// A CSV reader over the documented schema: `record_id, account, chip_model, chips, start, end`
/// and optionally `utilization`, `tensor_active` (fractions 0..=1) and `run_id`; `start` and
/// `end` are RFC 3339 timestamps with an offset.
pub fn csv_records<'c, R: Read>(file: &str, reader: R, catalog: &'c Catalog) -> CsvRecords<'c, R> {
    CsvRecords { table: Table::new(file, reader, b','), models: Models::new(catalog), columns: None }
}

/// A JSON Lines reader over the same schema as `csv_records`: one object per line, values as
/// strings or numbers; blank lines are skipped.
pub fn jsonl_records<'c, R: Read>(file: &str, reader: R, catalog: &'c Catalog) -> JsonlRecords<'c, R> {
    JsonlRecords {
        file: file.to_owned(),
        reader: BufReader::new(reader),
        models: Models::new(catalog),
        line: 0,
        buf: Vec::new(),
        done: false,
    }
}

/// What `sacct_jobs` needs besides the file: the model of GPUs whose TRES names no type, and the
/// time zone `sacct` printed its local times in (it prints no offset).
#[derive(Debug, Clone)]
pub struct SacctOptions {
    pub default_model: Option<String>,
    pub time_zone: TimeZone,
}

/// A reader of `sacct --parsable2` output (pipe-separated, header first) with at least the
/// columns `Account, JobID, Start, End, AllocTRES`.
///
/// One record per job: steps (`123.batch`, `123.0`, `123.extern`), whose JobID contains a dot,
/// are skipped, because their allocation is the job's and would count it twice. The GPU count
/// is `gres/gpu:MODEL=N` when the TRES names a type (the model is then resolved through the
/// catalog) and `gres/gpu=N` otherwise, with `default_model`. `record_id` is the JobID.
pub fn sacct_jobs<'c, R: Read>(
    file: &str,
    reader: R,
    catalog: &'c Catalog,
    options: &SacctOptions,
) -> SacctJobs<'c, R> {
    SacctJobs { table: Table::new(file, reader, b'|'), catalog, options: options.clone(), columns: None }
}

/// How pods of the Alibaba 2023 GPU trace (`openb_pod_list_*.csv`) become usage records.
///
/// The trace gives times as seconds from an undisclosed trace start and has no user or owner
/// column, so both are choices the caller makes and states:
/// - `epoch`: the instant second 0 maps to. `AlibabaOptions::new` takes 2023-01-01T00:00:00Z, a
///   placeholder: only durations and overlaps in the trace are real, not calendar dates.
/// - `account_prefix`: the account is this prefix followed by the pod's `qos` class
///   (`LS`, `BE`, `Burstable`, `Guaranteed`), the only grouping the trace carries.
/// - `default_model`: the trace's `gpu_spec` is empty on every pod of the default list (the
///   cluster mixes T4, P100, V100 and undisclosed `G1`-`G3` models), so a pod without one takes
///   this model, or is rejected when it is `None`.
#[derive(Debug, Clone)]
pub struct AlibabaOptions {
    pub epoch: Timestamp,
    pub account_prefix: String,
    pub default_model: Option<String>,
}

impl AlibabaOptions {
    /// The documented defaults: epoch 2023-01-01T00:00:00Z, accounts `alibaba-openb/qos:<qos>`.
    pub fn new(default_model: Option<String>) -> AlibabaOptions {
        AlibabaOptions {
            // 1,672,531,200 s after 1970 is 2023-01-01T00:00:00Z, always in range.
            epoch: Timestamp::from_second(1_672_531_200).unwrap_or(Timestamp::UNIX_EPOCH),
            account_prefix: "alibaba-openb/qos:".to_owned(),
            default_model,
        }
    }
}

/// A reader of the Alibaba 2023 pod list. Each pod is one record: `record_id` = pod `name`,
/// chips = `num_gpu` x `gpu_milli` / 1000 (a pod may hold a share of one GPU), start =
/// `scheduled_time`, end = `deletion_time`. Pods with no GPU, never scheduled, or without a
/// deletion time are rejected with the reason. Pods still running when the trace ends carry the
/// trace's end as their deletion time, so their usage is cut there.
pub fn alibaba_pods<'c, R: Read>(
    file: &str,
    reader: R,
    catalog: &'c Catalog,
    options: &AlibabaOptions,
) -> AlibabaPods<'c, R> {
    AlibabaPods { table: Table::new(file, reader, b','), catalog, options: options.clone(), columns: None }
}

/// Rows of a delimited file with a header, with the line each row starts on.
#[derive(Debug)]
struct Table<R: Read> {
    file: String,
    reader: csv::Reader<R>,
    row: csv::StringRecord,
    width: usize,
    done: bool,
}

enum Next {
    Row(u64),
    Reject(Reject),
    End,
}

impl<R: Read> Table<R> {
    fn new(file: &str, reader: R, delimiter: u8) -> Table<R> {
        let reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            // Fields and header names are trimmed (Unicode whitespace, as `csv::Trim::All` does)
            // where they are read ([`Table::field`]): the csv crate's trimming copies every row
            // into a new allocation, a sixth of the parsing time.
            .trim(csv::Trim::None)
            // sacct --parsable2 does not quote; a quote inside a field is data there.
            .quoting(delimiter != b'|')
            .from_reader(reader);
        Table { file: file.to_owned(), reader, row: csv::StringRecord::new(), width: 0, done: false }
    }

    /// The header's column names, or the reject that ends a file without a readable header.
    fn header(&mut self) -> Result<Vec<String>, Reject> {
        match self.reader.headers() {
            Ok(h) => {
                self.width = h.len();
                Ok(h.iter().map(|name| name.trim().to_owned()).collect())
            }
            Err(e) => {
                self.done = true;
                Err(Reject::new(&self.file, 1, "(header)", format!("unreadable header: {e}")))
            }
        }
    }

    fn next_row(&mut self) -> Next {
        if self.done {
            return Next::End;
        }
        match self.reader.read_record(&mut self.row) {
            Ok(false) => {
                self.done = true;
                Next::End
            }
            Ok(true) => {
                let line = self.row.position().map_or(0, |p| p.line());
                if self.row.len() != self.width {
                    let reason = format!("expected {} fields, found {}", self.width, self.row.len());
                    return Next::Reject(Reject::new(&self.file, line, "(row)", reason));
                }
                Next::Row(line)
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    self.done = true;
                }
                Next::Reject(Reject::new(&self.file, line, "(row)", format!("unreadable row: {e}")))
            }
        }
    }

    /// Field `i` of the current row, trimmed.
    fn field(&self, i: usize) -> Option<&str> {
        self.row.get(i).map(str::trim)
    }

    fn missing_column(&mut self, column: &str) -> Reject {
        self.done = true;
        Reject::new(&self.file, 1, column, "required column is missing from the header")
    }
}

fn find(header: &[String], name: &str) -> Option<usize> {
    header.iter().position(|h| h.eq_ignore_ascii_case(name))
}

/// The raw text of one record's fields, from any of the schema formats.
#[derive(Debug, Default)]
struct Fields<'a> {
    values: [Option<Cow<'a, str>>; 9],
}

/// Field order inside `Fields::values`.
const NAMES: [&str; 9] =
    ["record_id", "account", "chip_model", "chips", "start", "end", "utilization", "tensor_active", "run_id"];

impl<'a> Fields<'a> {
    fn get(&self, i: usize) -> Option<&str> {
        self.values[i].as_deref().filter(|v| !v.is_empty())
    }
}

/// Validates one row of the documented schema into a record.
fn validate(file: &str, line: u64, fields: &Fields<'_>, models: &mut Models<'_>) -> Result<UsageRecord, Reject> {
    let reject = |i: usize, reason: String| Reject::new(file, line, NAMES[i], reason);
    let required = |i: usize| fields.get(i).ok_or_else(|| reject(i, "is empty".to_owned()));
    let record_id = required(0)?;
    let account = required(1)?;
    let chip_model = required(2)?;
    let chip = models.resolve(chip_model).map_err(|r| reject(2, r))?;
    let chips = parse_chips(required(3)?).map_err(|r| reject(3, r))?;
    let start = parse_rfc3339(required(4)?).map_err(|r| reject(4, r))?;
    let end = parse_rfc3339(required(5)?).map_err(|r| reject(5, r))?;
    interval(start, end).map_err(|(is_end, r)| reject(if is_end { 5 } else { 4 }, r))?;
    let fraction = |i: usize| fields.get(i).map(parse_fraction).transpose().map_err(|r| reject(i, r));
    let utilization = fraction(6)?;
    let tensor_active = fraction(7)?;
    Ok(UsageRecord {
        record_id: record_id.to_owned(),
        account: account.to_owned(),
        chip_model: chip_model.to_owned(),
        chip_id: chip.id.clone(),
        chips,
        start,
        end,
        utilization,
        tensor_active,
        run_id: fields.get(8).map(str::to_owned),
        source_line: line,
    })
}

fn resolve<'c>(catalog: &'c Catalog, model: &str) -> Result<&'c Chip, String> {
    catalog.lookup(model).map_err(|e| e.to_string())
}

/// The catalog with the models a file has resolved so far: a file names a few models on millions
/// of rows, and each spelling is looked up once (the lookup normalises and hashes the name).
#[derive(Debug)]
struct Models<'c> {
    catalog: &'c Catalog,
    /// Spellings and their chips, the first [`Models::KEPT`] a file used.
    seen: Vec<(String, &'c Chip)>,
}

impl<'c> Models<'c> {
    const KEPT: usize = 32;

    fn new(catalog: &'c Catalog) -> Models<'c> {
        Models { catalog, seen: Vec::new() }
    }

    /// As [`resolve`]: the chip `model` names, or why there is none.
    fn resolve(&mut self, model: &str) -> Result<&'c Chip, String> {
        if let Some((_, chip)) = self.seen.iter().find(|(m, _)| m == model) {
            return Ok(chip);
        }
        let chip = resolve(self.catalog, model)?;
        if self.seen.len() < Models::KEPT {
            self.seen.push((model.to_owned(), chip));
        }
        Ok(chip)
    }
}

fn parse_chips(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        Ok(_) => Err(format!("`{text}` is not a positive number of chips")),
        Err(_) => Err(format!("`{text}` is not a number")),
    }
}

fn parse_fraction(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        Ok(_) => Err(format!("`{text}` is not a fraction between 0 and 1")),
        Err(_) => Err(format!("`{text}` is not a number")),
    }
}

/// Whether a record may run from `start` to `end`: both storable, the end after the start. The
/// error says whether the end (`true`) or the start is at fault, and why.
fn interval(start: Timestamp, end: Timestamp) -> Result<(), (bool, String)> {
    storable_nanos(start).map_err(|r| (false, r))?;
    storable_nanos(end).map_err(|r| (true, r))?;
    if end <= start {
        return Err((true, format!("end `{end}` is not after start `{start}`")));
    }
    Ok(())
}

fn parse_rfc3339(text: &str) -> Result<Timestamp, String> {
    text.parse::<Timestamp>().map_err(|_| format!("`{text}` is not an RFC 3339 timestamp with an offset"))
}

/// Iterator returned by `csv_records`.
#[derive(Debug)]
pub struct CsvRecords<'c, R: Read> {
    table: Table<R>,
    models: Models<'c>,
    columns: Option<[Option<usize>; 9]>,
}

impl<R: Read> Iterator for CsvRecords<'_, R> {
    type Item = Result<UsageRecord, Reject>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.table.done {
            return None;
        }
        let columns = match self.columns {
            Some(c) => c,
            None => {
                let header = match self.table.header() {
                    Ok(h) => h,
                    Err(r) => return Some(Err(r)),
                };
                let columns = NAMES.map(|n| find(&header, n));
                if let Some(missing) = REQUIRED.iter().zip(columns).find(|(_, c)| c.is_none()) {
                    return Some(Err(self.table.missing_column(missing.0)));
                }
                self.columns = Some(columns);
                columns
            }
        };
        let line = match self.table.next_row() {
            Next::Row(line) => line,
            Next::Reject(r) => return Some(Err(r)),
            Next::End => return None,
        };
        let table = &self.table;
        let fields = Fields { values: columns.map(|c| c.and_then(|i| table.field(i)).map(Cow::Borrowed)) };
        Some(validate(&self.table.file, line, &fields, &mut self.models))
    }
}

/// Iterator returned by `jsonl_records`.
#[derive(Debug)]
pub struct JsonlRecords<'c, R: Read> {
    file: String,
    reader: BufReader<R>,
    models: Models<'c>,
    line: u64,
    buf: Vec<u8>,
    done: bool,
}

impl<R: Read> Iterator for JsonlRecords<'_, R> {
    type Item = Result<UsageRecord, Reject>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done {
                return None;
            }
            self.buf.clear();
            self.line += 1;
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => {
                    self.done = true;
                    return None;
                }
                Ok(_) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(Reject::new(&self.file, self.line, "(line)", format!("unreadable: {e}"))));
                }
            }
            let Ok(text) = std::str::from_utf8(&self.buf) else {
                return Some(Err(Reject::new(&self.file, self.line, "(line)", "not valid UTF-8")));
            };
            if text.trim().is_empty() {
                continue;
            }
            return Some(object(&self.file, self.line, &mut self.models, text));
        }
    }
}

/// One line of a JSON Lines file as a record.
fn object(file: &str, line: u64, models: &mut Models<'_>, text: &str) -> Result<UsageRecord, Reject> {
    let reject = |field: &str, reason: String| Reject::new(file, line, field, reason);
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).map_err(|e| reject("(line)", format!("not a JSON object: {e}")))?;
    let mut fields = Fields::default();
    for (i, name) in NAMES.iter().enumerate() {
        fields.values[i] = match object.get(*name) {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(Cow::Borrowed(s.as_str())),
            Some(serde_json::Value::Number(n)) => Some(Cow::Owned(n.to_string())),
            Some(other) => return Err(reject(name, format!("expected a string or a number, found `{other}`"))),
        };
    }
    if let Some(missing) = REQUIRED.iter().find(|n| !object.contains_key(**n)) {
        return Err(reject(missing, "is missing".to_owned()));
    }
    validate(file, line, &fields, models)
}

#[derive(Debug, Clone, Copy)]
struct SacctColumns {
    account: usize,
    job_id: usize,
    start: usize,
    end: usize,
    tres: usize,
}

/// Iterator returned by `sacct_jobs`.
#[derive(Debug)]
pub struct SacctJobs<'c, R: Read> {
    table: Table<R>,
    catalog: &'c Catalog,
    options: SacctOptions,
    columns: Option<SacctColumns>,
}

impl<R: Read> Iterator for SacctJobs<'_, R> {
    type Item = Result<UsageRecord, Reject>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.table.done {
            return None;
        }
        let columns = match self.columns {
            Some(c) => c,
            None => match self.columns() {
                Ok(c) => c,
                Err(r) => return Some(Err(r)),
            },
        };
        loop {
            let line = match self.table.next_row() {
                Next::Row(line) => line,
                Next::Reject(r) => return Some(Err(r)),
                Next::End => return None,
            };
            let job_id = self.table.field(columns.job_id).unwrap_or("");
            // A step's allocation is its job's: counting it would count the job twice.
            if job_id.contains('.') {
                continue;
            }
            return Some(self.job(line, columns));
        }
    }
}

impl<R: Read> SacctJobs<'_, R> {
    fn columns(&mut self) -> Result<SacctColumns, Reject> {
        let header = self.table.header()?;
        let mut get = |name: &str| find(&header, name).ok_or_else(|| self.table.missing_column(name));
        let columns = SacctColumns {
            account: get("Account")?,
            job_id: get("JobID")?,
            start: get("Start")?,
            end: get("End")?,
            tres: get("AllocTRES")?,
        };
        self.columns = Some(columns);
        Ok(columns)
    }

    fn job(&self, line: u64, c: SacctColumns) -> Result<UsageRecord, Reject> {
        let file = &self.table.file;
        let table = &self.table;
        let field = |i: usize| table.field(i).unwrap_or("");
        let reject = |name: &str, reason: String| Reject::new(file, line, name, reason);
        let job_id = field(c.job_id);
        if job_id.is_empty() {
            return Err(reject("JobID", "is empty".to_owned()));
        }
        let account = field(c.account);
        if account.is_empty() {
            return Err(reject("Account", "is empty".to_owned()));
        }
        let start = self.sacct_time(field(c.start)).map_err(|r| reject("Start", r))?;
        let end = self.sacct_time(field(c.end)).map_err(|r| reject("End", r))?;
        interval(start, end).map_err(|(is_end, r)| reject(if is_end { "End" } else { "Start" }, r))?;
        let (chips, typed) = gpu_tres(field(c.tres)).map_err(|r| reject("AllocTRES", r))?;
        let model = match (typed, &self.options.default_model) {
            (Some(m), _) => m,
            (None, Some(d)) => d.as_str(),
            (None, None) => {
                return Err(reject("AllocTRES", "names no GPU model and no default model was given".to_owned()));
            }
        };
        let chip = resolve(self.catalog, model).map_err(|r| reject("AllocTRES", r))?;
        Ok(UsageRecord {
            record_id: job_id.to_owned(),
            account: account.to_owned(),
            chip_model: model.to_owned(),
            chip_id: chip.id.clone(),
            chips,
            start,
            end,
            utilization: None,
            tensor_active: None,
            run_id: None,
            source_line: line,
        })
    }

    /// sacct prints local times without an offset (`2024-03-01T10:00:00`); RFC 3339 is accepted
    /// too. `Unknown` and `None` mean the job has not started or ended.
    fn sacct_time(&self, text: &str) -> Result<Timestamp, String> {
        if text.is_empty() || text == "Unknown" || text == "None" {
            return Err(format!("`{text}`: the job has no such time (not started or not ended)"));
        }
        if let Ok(ts) = text.parse::<Timestamp>() {
            return Ok(ts);
        }
        text.parse::<jiff::civil::DateTime>()
            .ok()
            .and_then(|dt| self.options.time_zone.to_timestamp(dt).ok())
            .ok_or_else(|| format!("`{text}` is not a sacct time (YYYY-MM-DDTHH:MM:SS)"))
    }
}

/// The GPU count in an AllocTRES string and the model when the TRES names one.
fn gpu_tres(tres: &str) -> Result<(f64, Option<&str>), String> {
    let mut untyped: Option<f64> = None;
    let mut typed: Option<(&str, f64)> = None;
    for entry in tres.split(',') {
        let Some((key, value)) = entry.split_once('=') else { continue };
        let Some(rest) = key.trim().strip_prefix("gres/gpu") else { continue };
        let count: f64 = value.trim().parse().map_err(|_| format!("`{entry}`: the GPU count is not a number"))?;
        match rest.strip_prefix(':') {
            None if rest.is_empty() => untyped = Some(count),
            None => {}
            Some(model) => match typed {
                Some((m, _)) if !m.eq_ignore_ascii_case(model) => {
                    return Err(format!("`{tres}` allocates GPUs of several models (`{m}`, `{model}`)"));
                }
                Some((m, n)) => typed = Some((m, n + count)),
                None => typed = Some((model, count)),
            },
        }
    }
    let (count, model) = match typed {
        Some((m, n)) => (n, Some(m)),
        None => (untyped.unwrap_or(0.0), None),
    };
    if count.is_finite() && count > 0.0 { Ok((count, model)) } else { Err(format!("`{tres}` allocates no GPU")) }
}

#[derive(Debug, Clone, Copy)]
struct PodColumns {
    name: usize,
    num_gpu: usize,
    gpu_milli: usize,
    gpu_spec: usize,
    qos: usize,
    scheduled: usize,
    deletion: usize,
}

/// Iterator returned by `alibaba_pods`.
#[derive(Debug)]
pub struct AlibabaPods<'c, R: Read> {
    table: Table<R>,
    catalog: &'c Catalog,
    options: AlibabaOptions,
    columns: Option<PodColumns>,
}

impl<R: Read> Iterator for AlibabaPods<'_, R> {
    type Item = Result<UsageRecord, Reject>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.table.done {
            return None;
        }
        let columns = match self.columns {
            Some(c) => c,
            None => match self.columns() {
                Ok(c) => c,
                Err(r) => return Some(Err(r)),
            },
        };
        match self.table.next_row() {
            Next::Row(line) => Some(self.pod(line, columns)),
            Next::Reject(r) => Some(Err(r)),
            Next::End => None,
        }
    }
}

impl<R: Read> AlibabaPods<'_, R> {
    fn columns(&mut self) -> Result<PodColumns, Reject> {
        let header = self.table.header()?;
        let mut get = |name: &str| find(&header, name).ok_or_else(|| self.table.missing_column(name));
        let columns = PodColumns {
            name: get("name")?,
            num_gpu: get("num_gpu")?,
            gpu_milli: get("gpu_milli")?,
            gpu_spec: get("gpu_spec")?,
            qos: get("qos")?,
            scheduled: get("scheduled_time")?,
            deletion: get("deletion_time")?,
        };
        self.columns = Some(columns);
        Ok(columns)
    }

    fn pod(&self, line: u64, c: PodColumns) -> Result<UsageRecord, Reject> {
        let file = &self.table.file;
        let table = &self.table;
        let field = |i: usize| table.field(i).unwrap_or("");
        let reject = |name: &str, reason: String| Reject::new(file, line, name, reason);
        let name = field(c.name);
        if name.is_empty() {
            return Err(reject("name", "is empty".to_owned()));
        }
        let number = |i: usize, column: &str| -> Result<f64, Reject> {
            let text = field(i);
            text.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| reject(column, format!("`{text}` is not a non-negative number")))
        };
        let num_gpu = number(c.num_gpu, "num_gpu")?;
        if num_gpu == 0.0 {
            return Err(reject("num_gpu", "the pod holds no GPU".to_owned()));
        }
        let gpu_milli = number(c.gpu_milli, "gpu_milli")?;
        if gpu_milli == 0.0 {
            return Err(reject("gpu_milli", "the pod holds no share of a GPU".to_owned()));
        }
        let offset = |i: usize, column: &str, missing: &str| -> Result<Timestamp, Reject> {
            let text = field(i);
            if text.is_empty() {
                return Err(reject(column, missing.to_owned()));
            }
            let seconds = text
                .parse::<i64>()
                .map_err(|_| reject(column, format!("`{text}` is not a whole number of seconds")))?;
            self.options
                .epoch
                .checked_add(jiff::SignedDuration::from_secs(seconds))
                .map_err(|_| reject(column, format!("`{text}` seconds after the epoch is out of range")))
        };
        let start = offset(c.scheduled, "scheduled_time", "the pod was never scheduled, so it has no start")?;
        let end = offset(c.deletion, "deletion_time", "the pod has no deletion time, so it has no end")?;
        interval(start, end)
            .map_err(|(is_end, r)| reject(if is_end { "deletion_time" } else { "scheduled_time" }, r))?;
        let spec = field(c.gpu_spec);
        let (model, chip) = self.pod_model(spec).map_err(|r| reject("gpu_spec", r))?;
        Ok(UsageRecord {
            record_id: name.to_owned(),
            account: format!("{}{}", self.options.account_prefix, field(c.qos)),
            chip_model: model.to_owned(),
            chip_id: chip.id.clone(),
            chips: num_gpu * gpu_milli / 1000.0,
            start,
            end,
            utilization: None,
            tensor_active: None,
            run_id: None,
            source_line: line,
        })
    }

    /// The pod's model: its `gpu_spec` (alternatives separated by `|` must all resolve to one
    /// catalog chip, or the row is ambiguous), else the default model.
    fn pod_model<'s>(&'s self, spec: &'s str) -> Result<(&'s str, &'s Chip), String> {
        if spec.is_empty() {
            let Some(model) = self.options.default_model.as_deref() else {
                return Err("is empty and no default model was given".to_owned());
            };
            return Ok((model, resolve(self.catalog, model)?));
        }
        let mut found: Option<&Chip> = None;
        for alternative in spec.split('|').map(str::trim).filter(|a| !a.is_empty()) {
            let chip = resolve(self.catalog, alternative)?;
            if found.is_some_and(|f| f.id != chip.id) {
                return Err(format!("`{spec}` names several GPU models; the pod's model is not known"));
            }
            found = Some(chip);
        }
        found.map(|chip| (spec, chip)).ok_or_else(|| format!("`{spec}` names no GPU model"))
    }
}
