//! The screening commands: `screen`, `lists` and `ownership`. Load from the store and files,
//! call the screen engine, record what the engine found, print.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chipwarden_lists::{ListCode, ParsedList};
use chipwarden_screen::{DEFAULT_THRESHOLD, Hit, Lexicon, Query, Screener};
use chipwarden_service::screening::{CHUNK, screen_all, screen_and_record, stored};
use chipwarden_store::{Decision, HitKey, ImportStatus, OwnershipEdge, Party, Store, StoredHit, Subject, Verdict};
use serde::Serialize;

use crate::Failure;
use crate::args::{Cli, ListsCommand, OwnershipCommand, ReviewArgs, ScreenArgs, ScreenCommand};
use crate::commands::{date_or_today, read};
use crate::exit;

pub(crate) fn now() -> String {
    jiff::Timestamp::now().to_string()
}

pub fn open_store(cli: &Cli) -> Result<Store, Failure> {
    std::fs::create_dir_all(&cli.data_dir)
        .map_err(|e| Failure::io(format!("cannot create the data directory `{}`: {e}", cli.data_dir.display())))?;
    let location = chipwarden_service::config::store_location(&cli.data_dir, cli.database_url.as_deref())?;
    Store::open_url(&location).map_err(Failure::io)
}

/// A country given on the command line, as an ISO 3166-1 alpha-2 code.
fn country_code(text: &str) -> Result<String, Failure> {
    chipwarden_core::CountryCode::parse(text)
        .map(|c| c.to_string())
        .map_err(|e| Failure::input(format!("--country: {e}")))
}

pub(crate) fn threshold(value: Option<f64>) -> Result<f64, Failure> {
    let t = value.unwrap_or(DEFAULT_THRESHOLD);
    if !(0.0..=1.0).contains(&t) {
        return Err(Failure::input(format!("--threshold `{t}` must be between 0 and 1")));
    }
    Ok(t)
}

fn lexicon() -> Result<Lexicon, Failure> {
    Lexicon::bundled().map_err(Failure::internal)
}

/// The index over every current list version in the store.
pub(crate) fn screener(store: &Store) -> Result<(Screener, Vec<i64>), Failure> {
    Ok(chipwarden_service::screening::screener(store, lexicon()?)?)
}

/// A writer for results: the --out file, or standard output.
fn sink(out: Option<&PathBuf>) -> Result<Box<dyn Write>, Failure> {
    match out {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|e| Failure::io(format!("cannot write `{}`: {e}", path.display())))?;
            Ok(Box::new(std::io::BufWriter::new(file)))
        }
        None => Ok(Box::new(std::io::BufWriter::new(std::io::stdout()))),
    }
}

fn write_line(w: &mut dyn Write, line: &str) -> Result<(), Failure> {
    writeln!(w, "{line}").map_err(io_failure)
}

/// A closed pipe ends the program quietly; any other write error is an I/O failure. What
/// `screen` writes are hits, so a reader that stopped early (`| head`) still gets the "hits" code.
fn io_failure(e: std::io::Error) -> Failure {
    closed_pipe(exit::HITS)(e)
}

/// The same, for output that is not hits: a closed pipe ends with `code`.
fn closed_pipe(code: u8) -> impl Fn(std::io::Error) -> Failure {
    move |e| {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(i32::from(code));
        }
        Failure::io(format!("cannot write results: {e}"))
    }
}

/// The JSON line of one hit. `Hit` carries the contract fields (`query`, `entry_id`, `list`,
/// `score`, `matched_name`) itself, each once, then the explanation.
pub(crate) fn hit_json(hit: &Hit) -> Result<String, Failure> {
    serde_json::to_string(hit).map_err(Failure::internal)
}

/// One line of an alignment: which words met, how, and how well.
fn aligned_text(a: &chipwarden_screen::Aligned) -> String {
    match (a.query.is_empty(), a.candidate.is_empty()) {
        (false, false) => format!("{} = {} ({:?} {:.2})", a.query, a.candidate, a.how, a.similarity),
        (false, true) => format!("{} = (none)", a.query),
        _ => format!("(none) = {}", a.candidate),
    }
}

/// Hits of one query as a table, for people.
fn hit_table(hits: &[Hit]) -> comfy_table::Table {
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_width(140)
        .set_header(vec!["score", "list", "entry", "matched name", "how the names aligned", "qualifiers"]);
    for hit in hits {
        let aligned: Vec<String> = hit.alignment.iter().map(aligned_text).collect();
        let mut list = format!("{} (version {})", hit.list, hit.list_version.map_or("?".to_owned(), |v| v.to_string()));
        if !hit.also_in.is_empty() {
            list.push_str(&format!("\nalso in {}", hit.also_in.join(", ")));
        }
        t.add_row(vec![
            format!("{:.3}", hit.score),
            list,
            hit.entry_id.clone(),
            format!("{}\n({:?}; primary: {})", hit.matched_name, hit.name_strength, hit.primary_name),
            aligned.join("\n"),
            hit.qualifiers.iter().map(|q| q.detail.clone()).collect::<Vec<_>>().join("\n"),
        ]);
    }
    t
}

/// The header of the tab-separated lines `hit_text` writes for files.
const TEXT_HEADER: &str = "query\tscore\tlisted entry\tmatched name\talignment\tqualifiers";

pub(crate) fn hit_text(hit: &Hit) -> String {
    let aligned: Vec<String> = hit.alignment.iter().map(aligned_text).collect();
    format!(
        "{}\t{:.3}\t{} {} (list version {})\t{}\t[{}]\t{}",
        hit.query,
        hit.score,
        hit.list,
        hit.entry_id,
        hit.list_version.map_or("?".to_owned(), |v| v.to_string()),
        hit.matched_name,
        aligned.join(", "),
        hit.qualifiers.iter().map(|q| q.detail.clone()).collect::<Vec<_>>().join("; ")
    )
}

/// Drops hits a reviewer marked as false positives; returns how many were dropped.
fn suppress(store: &Store, subject: &Subject, hits: &mut Vec<Hit>) -> Result<usize, Failure> {
    Ok(chipwarden_service::screening::suppress(store, subject, hits)?)
}

pub fn screen(cli: &Cli, args: &ScreenArgs) -> Result<u8, Failure> {
    match &args.command {
        Some(ScreenCommand::Pairs { file, threshold: t }) => return pairs(cli, file, threshold(*t)?),
        Some(ScreenCommand::Review(review)) => return record_review(cli, review),
        Some(ScreenCommand::Rescreen { threshold: t }) => return rescreen(cli, threshold(*t)?),
        Some(ScreenCommand::Decisions) => return decisions(cli),
        None => {}
    }
    let threshold = threshold(args.threshold)?;
    let mut store = open_store(cli)?;
    let (screener, versions) = screener(&store)?;
    if screener.entry_count() == 0 {
        return Err(Failure::input(
            "no list is imported yet: run `chipwarden lists import` or `chipwarden lists update` first",
        ));
    }
    let mut out = sink(args.out.as_ref())?;
    match (&args.name, &args.file) {
        (Some(name), _) => {
            let mut query = Query::name(name);
            query.country = args.country.as_deref().map(country_code).transpose()?;
            let mut hits = screener.screen(&query, threshold).map_err(|e| Failure::input(format!("--name: {e}")))?;
            let suppressed = suppress(&store, &Subject::Query(name.clone()), &mut hits)?;
            if cli.json {
                for hit in &hits {
                    write_line(&mut *out, &hit_json(hit)?)?;
                }
            } else if !hits.is_empty() {
                write_line(&mut *out, &hit_table(&hits).to_string())?;
            }
            out.flush().map_err(io_failure)?;
            if !cli.json {
                eprintln!(
                    "{} hit(s) at or above {threshold} against {} entries ({} names){}",
                    hits.len(),
                    screener.entry_count(),
                    screener.name_count(),
                    if suppressed > 0 {
                        format!("; {suppressed} suppressed by review decisions")
                    } else {
                        String::new()
                    }
                );
            }
            Ok(if hits.is_empty() { exit::OK } else { exit::HITS })
        }
        (None, Some(file)) => screen_file(cli, &mut store, &screener, &versions, file, threshold, &mut *out),
        (None, None) => Err(Failure::input(
            "give --name TEXT or --file PARTIES.csv (or a subcommand: pairs, review, rescreen, decisions)",
        )),
    }
}

/// One row of a parties file, or why it cannot be screened.
struct Row {
    line: u64,
    party: Result<Party, String>,
}

fn read_parties(path: &Path) -> Result<Vec<Row>, Failure> {
    let bytes = std::fs::read(path).map_err(|e| Failure::io(format!("cannot read `{}`: {e}", path.display())))?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes.as_slice());
    let headers = reader.byte_headers().map_err(|e| Failure::input(format!("`{}`: {e}", path.display())))?.clone();
    let col = |name: &str| headers.iter().position(|h| String::from_utf8_lossy(h).trim().eq_ignore_ascii_case(name));
    let Some(name_col) = col("name") else {
        return Err(Failure::input(format!("`{}` line 1: the header has no `name` column", path.display())));
    };
    let (id_col, country_col, address_col) = (col("id"), col("country"), col("address"));
    // Optional qualifiers: a date of birth or incorporation, identifiers separated by `;`.
    let (date_col, identifier_col) =
        (col("date").or_else(|| col("dob")), col("identifier").or_else(|| col("identifiers")));
    let mut rows = Vec::new();
    let mut seen: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    for (i, record) in reader.byte_records().enumerate() {
        let line = i as u64 + 2;
        let party = match record {
            Err(e) => Err(format!("unreadable CSV record: {e}")),
            Ok(r) => {
                let field = |c: Option<usize>, label: &str| -> Result<Option<String>, String> {
                    match c.and_then(|c| r.get(c)) {
                        None => Ok(None),
                        Some(bytes) => std::str::from_utf8(bytes)
                            .map(|s| Some(s.trim().to_owned()).filter(|s| !s.is_empty()))
                            .map_err(|_| format!("field `{label}` is not valid UTF-8")),
                    }
                };
                (|| {
                    let name = field(Some(name_col), "name")?.ok_or("field `name` is empty")?;
                    let id = field(id_col, "id")?.unwrap_or_else(|| name.clone());
                    Ok(Party {
                        id,
                        name,
                        country: field(country_col, "country")?
                            .map(|c| {
                                chipwarden_core::CountryCode::parse(&c)
                                    .map(|code| code.to_string())
                                    .map_err(|e| format!("field `country`: {e}"))
                            })
                            .transpose()?,
                        address: field(address_col, "address")?,
                        date: field(date_col, "date")?,
                        identifiers: field(identifier_col, "identifier")?
                            .map(|s| s.split(';').map(|x| x.trim().to_owned()).filter(|x| !x.is_empty()).collect())
                            .unwrap_or_default(),
                    })
                })()
            }
        };
        // An id names one party: a second row with the same id is refused, not merged.
        let party = party.and_then(|p| match seen.get(&p.id) {
            Some(first) => Err(format!("field `id`: `{}` is already the id of line {first}", p.id)),
            None => {
                seen.insert(p.id.clone(), line);
                Ok(p)
            }
        });
        rows.push(Row { line, party });
    }
    Ok(rows)
}

pub(crate) fn progress(len: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(Some(len as u64), indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} parties, {per_sec}, eta {eta}") {
        bar.set_style(style);
    }
    if len < 1_000 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar
}

fn screen_file(
    cli: &Cli,
    store: &mut Store,
    screener: &Screener,
    versions: &[i64],
    path: &Path,
    threshold: f64,
    out: &mut dyn Write,
) -> Result<u8, Failure> {
    let rows = read_parties(path)?;
    if !cli.json {
        write_line(out, TEXT_HEADER)?;
    }
    let auditor = auditor(cli)?;
    let bar = progress(rows.len());
    let (mut screened, mut total_hits, mut bad_rows, mut suppressed) = (0usize, 0usize, 0usize, 0usize);
    let at = now();
    for chunk in rows.chunks(CHUNK) {
        let good: Vec<&Party> = chunk.iter().filter_map(|r| r.party.as_ref().ok()).collect();
        let done = screen_and_record(store, screener, versions, &good, threshold, &at, &auditor, &|| bar.inc(1))?;
        suppressed += done.suppressed;
        let mut results = done.results.into_iter();
        for row in chunk {
            if let Err(why) = &row.party {
                bad_rows += 1;
                bar.suspend(|| eprintln!("error: `{}` line {}: {why}; row skipped", path.display(), row.line));
                continue;
            }
            let hits = match results.next() {
                Some(Ok(hits)) => hits,
                Some(Err(why)) => {
                    bad_rows += 1;
                    bar.suspend(|| {
                        eprintln!("error: `{}` line {}, field `name`: {why}; row skipped", path.display(), row.line)
                    });
                    continue;
                }
                None => return Err(Failure::internal("screening returned fewer results than parties")),
            };
            for hit in &hits {
                write_line(out, &if cli.json { hit_json(hit)? } else { hit_text(hit) })?;
            }
            total_hits += hits.len();
            screened += 1;
        }
    }
    bar.finish_and_clear();
    out.flush().map_err(io_failure)?;
    eprintln!(
        "{screened} parties screened, {total_hits} hit(s) at or above {threshold}, {bad_rows} row(s) rejected, {suppressed} hit(s) suppressed by review decisions",
    );
    // Hits come first (they need review); otherwise rejected rows make the run an input error.
    Ok(match (total_hits, bad_rows) {
        (0, 0) => exit::OK,
        (0, _) => exit::INPUT,
        _ => exit::HITS,
    })
}

#[derive(Serialize)]
struct PairLine<'a> {
    name1: &'a str,
    name2: &'a str,
    schema: &'a str,
    score: f64,
    #[serde(rename = "match")]
    is_match: bool,
    alignment: &'a [chipwarden_screen::Aligned],
    matcher_version: &'a str,
}

fn pairs(cli: &Cli, path: &Path, threshold: f64) -> Result<u8, Failure> {
    let lex = lexicon()?;
    let bytes = std::fs::read(path).map_err(|e| Failure::io(format!("cannot read `{}`: {e}", path.display())))?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes.as_slice());
    let headers = reader.headers().map_err(|e| Failure::input(format!("`{}`: {e}", path.display())))?.clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(c1), Some(c2)) = (col("name1"), col("name2")) else {
        return Err(Failure::input(format!(
            "`{}` line 1: the header needs `name1` and `name2` columns",
            path.display()
        )));
    };
    let schema_col = col("schema");
    let mut out = std::io::BufWriter::new(std::io::stdout());
    let (mut n, mut bad) = (0usize, 0usize);
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let r = match record {
            Ok(r) => r,
            Err(e) => {
                bad += 1;
                eprintln!("error: `{}` line {line}: {e}; row skipped", path.display());
                continue;
            }
        };
        let schema = schema_col.and_then(|c| r.get(c)).unwrap_or("").trim();
        // Without a schema a name may be a person's or an organisation's: take the better reading.
        let readings: &[bool] = match schema {
            "" => &[false, true],
            s if s.eq_ignore_ascii_case("person") => &[false],
            _ => &[true],
        };
        let (a, b) = (r.get(c1).unwrap_or(""), r.get(c2).unwrap_or(""));
        let mut best: Option<chipwarden_screen::Comparison> = None;
        let mut failure = None;
        for &organization in readings {
            match (lex.analyze(a, organization), lex.analyze(b, organization)) {
                (Ok(fa), Ok(fb)) => {
                    let c = chipwarden_screen::compare(&fa, &fb);
                    if best.as_ref().is_none_or(|x| c.score > x.score) {
                        best = Some(c);
                    }
                }
                (Err(e), _) => failure = Some(("name1", e)),
                (_, Err(e)) => failure = Some(("name2", e)),
            }
        }
        let comparison = match (best, failure) {
            (Some(c), _) => c,
            (None, Some((field, e))) => {
                bad += 1;
                eprintln!("error: `{}` line {line}, field `{field}`: {e}; row skipped", path.display());
                continue;
            }
            (None, None) => return Err(Failure::internal("no reading of a pair")),
        };
        n += 1;
        let is_match = comparison.score >= threshold;
        let text = if cli.json {
            serde_json::to_string(&PairLine {
                name1: a,
                name2: b,
                schema,
                score: comparison.score,
                is_match,
                alignment: &comparison.alignment,
                matcher_version: chipwarden_screen::MATCHER_VERSION,
            })
            .map_err(Failure::internal)?
        } else {
            format!("{:.4}\t{}\t{a}\t{b}", comparison.score, if is_match { "match" } else { "no-match" })
        };
        writeln!(out, "{text}").map_err(closed_pipe(exit::OK))?;
    }
    out.flush().map_err(closed_pipe(exit::OK))?;
    eprintln!("{n} pair(s) scored at threshold {threshold}, {bad} row(s) rejected");
    Ok(exit::OK)
}

fn record_review(cli: &Cli, r: &ReviewArgs) -> Result<u8, Failure> {
    let verdict = match r.decision.as_str() {
        "false-positive" | "false_positive" => Verdict::FalsePositive,
        "confirmed" | "confirmed-match" | "confirmed_match" => Verdict::ConfirmedMatch,
        other => return Err(Failure::input(format!("--decision `{other}` must be `false-positive` or `confirmed`"))),
    };
    if r.reason.trim().is_empty() || r.reviewer.trim().is_empty() {
        return Err(Failure::input(
            "--reviewer and --reason must not be empty: an auditor must be able to read who decided and why",
        ));
    }
    let mut store = open_store(cli)?;
    // The decision must name a listed entry and one of its names exactly, or it would never
    // match a hit and would suppress nothing: look both up and use the list's own spelling.
    let list = r.list.trim().to_ascii_uppercase();
    let entries = store.current_entries().map_err(Failure::io)?;
    let Some(entry) = entries.iter().find(|e| e.entry.list.0 == list && e.entry.entry_id == r.entry) else {
        return Err(Failure::input(format!(
            "--list `{}` --entry `{}`: no such entry in the current list versions",
            r.list, r.entry
        )));
    };
    let Some(matched_name) =
        entry.entry.names.iter().find(|n| n.text.trim().eq_ignore_ascii_case(r.matched_name.trim()))
    else {
        let names: Vec<&str> = entry.entry.names.iter().map(|n| n.text.as_str()).collect();
        return Err(Failure::input(format!(
            "--matched-name `{}` is not a name of {list} {}; its names are: {}",
            r.matched_name,
            r.entry,
            names.join(" | ")
        )));
    };
    let matched_name = matched_name.text.clone();
    let is_party = store.parties().map_err(Failure::io)?.iter().any(|p| p.id == r.party);
    let subject = if is_party { Subject::Party(r.party.clone()) } else { Subject::Query(r.party.clone()) };
    let decision = Decision {
        key: HitKey { subject, list: ListCode::new(&list), entry_id: r.entry.clone(), matched_name },
        verdict,
        reviewer: r.reviewer.clone(),
        at: now(),
        reason: r.reason.clone(),
    };
    let seq = chipwarden_service::screening::review(&mut store, &auditor(cli)?, &decision)?;
    if cli.json {
        crate::outln!("{}", serde_json::json!({ "seq": seq, "decision": decision }));
    } else {
        crate::outln!("decision {seq} recorded: {:?} by {} at {}", decision.verdict, decision.reviewer, decision.at);
    }
    Ok(exit::OK)
}

fn decisions(cli: &Cli) -> Result<u8, Failure> {
    let store = open_store(cli)?;
    let all = store.decisions().map_err(Failure::io)?;
    for d in &all {
        if cli.json {
            crate::outln!("{}", serde_json::to_string(d).map_err(Failure::internal)?);
        } else {
            crate::outln!(
                "{}\t{}\t{:?}\t{} {}\t{}\t{}\t{}",
                d.seq,
                d.decision.at,
                d.decision.verdict,
                d.decision.key.list,
                d.decision.key.entry_id,
                d.decision.key.matched_name,
                d.decision.reviewer,
                d.decision.reason
            );
        }
    }
    Ok(exit::OK)
}

/// The log's key acting as the operating-system user who runs the command.
pub fn auditor(cli: &Cli) -> Result<chipwarden_service::audit::Auditor, Failure> {
    let user = std::env::var("USER").ok().filter(|u| !u.trim().is_empty()).unwrap_or_else(|| "unknown".to_owned());
    Ok(chipwarden_service::audit::Auditor::open(&cli.data_dir, &format!("cli:{}", user.trim()))?)
}

fn rescreen(cli: &Cli, threshold: f64) -> Result<u8, Failure> {
    let mut store = open_store(cli)?;
    let (screener, versions) = screener(&store)?;
    let parties = store.parties().map_err(Failure::io)?;
    let refs: Vec<&Party> = parties.iter().collect();
    let bar = progress(refs.len());
    let results = screen_all(&screener, &refs, threshold, &|| bar.inc(1));
    bar.finish_and_clear();
    let at = now();
    let mut new_total = 0;
    let mut batch: Vec<(Party, Vec<StoredHit>)> = Vec::with_capacity(parties.len());
    let mut every_hit: Vec<(Subject, Hit)> = Vec::new();
    let mut out = std::io::BufWriter::new(std::io::stdout());
    for (party, result) in parties.iter().zip(results) {
        let Ok(hits) = result else { continue };
        every_hit.extend(hits.iter().map(|h| (Subject::Party(party.id.clone()), h.clone())));
        let all: Vec<StoredHit> = hits.iter().map(stored).collect::<Result<_, _>>()?;
        let fresh = store.new_hits(&party.id, &all).map_err(Failure::io)?;
        batch.push((party.clone(), all));
        for f in &fresh {
            if let Some(hit) =
                hits.iter().find(|h| h.entry_id == f.entry_id && h.list == f.list.0 && h.matched_name == f.matched_name)
            {
                writeln!(out, "{}", if cli.json { hit_json(hit)? } else { hit_text(hit) }).map_err(io_failure)?;
            }
        }
        new_total += fresh.len();
    }
    store.record_batch(&batch, &versions, &at).map_err(Failure::io)?;
    // Every hit's case: a hit changed by the list update reopens its cleared case.
    let refs: Vec<(Subject, &Hit)> = every_hit.iter().map(|(s, h)| (s.clone(), h)).collect();
    let outcomes = chipwarden_service::cases::record_hits(&mut store, &auditor(cli)?, &refs)?;
    let reopened = outcomes.iter().filter(|(_, o)| *o == chipwarden_store::CaseOutcome::Reopened).count();
    out.flush().map_err(io_failure)?;
    eprintln!(
        "{} parties re-screened against list versions {:?}: {new_total} new hit(s), {reopened} cleared case(s) reopened",
        parties.len(),
        versions
    );
    Ok(if new_total == 0 { exit::OK } else { exit::HITS })
}

pub fn lists(cli: &Cli, command: &ListsCommand) -> Result<(), Failure> {
    match command {
        ListsCommand::Import { format, source, files, allow_shrink } => {
            let parts: Vec<(String, Vec<u8>)> = files
                .iter()
                .map(|p| {
                    std::fs::read(p)
                        .map(|b| (p.display().to_string(), b))
                        .map_err(|e| Failure::io(format!("cannot read `{}`: {e}", p.display())))
                })
                .collect::<Result<_, _>>()?;
            let parsed = crate::listfiles::parse(format.as_deref(), &parts)?;
            let source = source.clone().unwrap_or_else(|| crate::listfiles::default_source(&parsed, &parts));
            import(cli, &source, &parsed, (!*allow_shrink).then_some(DEFAULT_MIN_SHARE))
        }
        ListsCommand::Update { config } => crate::listfiles::update(cli, config.as_deref()),
        ListsCommand::Versions { source } => {
            let store = open_store(cli)?;
            let versions = match source {
                Some(s) => store.versions(s),
                None => store.current_versions(),
            }
            .map_err(Failure::io)?;
            if cli.json {
                crate::outln!("{}", serde_json::to_string_pretty(&versions).map_err(Failure::internal)?);
            } else {
                for v in &versions {
                    crate::outln!(
                        "{}\t{}\t{}\tpublished {}\t{} entries\timported {}\tsha256 {}",
                        v.id,
                        v.source,
                        v.format,
                        v.published.as_deref().unwrap_or("?"),
                        v.entry_count,
                        v.imported_at,
                        v.content_hash
                    );
                }
            }
            Ok(())
        }
        ListsCommand::Entries { version } => {
            let store = open_store(cli)?;
            let entries: Vec<(String, i64, chipwarden_lists::ListEntry)> = match version {
                Some(v) => {
                    store.entries(*v).map_err(Failure::input)?.into_iter().map(|e| (String::new(), *v, e)).collect()
                }
                None => store
                    .current_entries()
                    .map_err(Failure::io)?
                    .into_iter()
                    .map(|e| (e.source, e.version_id, e.entry))
                    .collect(),
            };
            let mut out = std::io::BufWriter::new(std::io::stdout());
            for (source, version, entry) in &entries {
                let line = serde_json::json!({ "source": source, "version": version, "entry": entry });
                writeln!(out, "{line}").map_err(closed_pipe(exit::OK))?;
            }
            out.flush().map_err(closed_pipe(exit::OK))
        }
        ListsCommand::Diff { from, to } => {
            let store = open_store(cli)?;
            let diff = store.diff_versions(*from, *to).map_err(Failure::input)?;
            print_diff(cli, &diff)
        }
    }
}

/// The share of the current version's entries below which a new version is refused.
pub const DEFAULT_MIN_SHARE: f64 = 0.5;

/// Imports a parsed list as a new version of `source`. With `min_share`, a version with fewer
/// than that share of the current version's entries, or with other list codes, is refused.
pub fn import(cli: &Cli, source: &str, parsed: &ParsedList, min_share: Option<f64>) -> Result<(), Failure> {
    let mut store = open_store(cli)?;
    // A new version that loses most entries, or carries other lists, is more likely a wrong or
    // truncated file than a real publication: refuse it unless told otherwise.
    if let (Some(min_share), Some(current)) = (min_share, store.versions(source).map_err(Failure::io)?.last()) {
        let old_lists = store.list_codes(current.id).map_err(Failure::io)?;
        let new_lists: std::collections::BTreeSet<String> = parsed.entries.iter().map(|e| e.list.0.clone()).collect();
        if (parsed.entries.len() as f64) < current.entry_count as f64 * min_share {
            return Err(Failure::input(format!(
                "source `{source}`: the new file has {} entries against {} in version {}; refusing what looks like a wrong or truncated list (use --allow-shrink if it is right)",
                parsed.entries.len(),
                current.entry_count,
                current.id
            )));
        }
        if !new_lists.is_empty() && old_lists.is_disjoint(&new_lists) {
            return Err(Failure::input(format!(
                "source `{source}`: the new file holds lists {new_lists:?}, version {} holds {old_lists:?}; give --source to import it as its own source (or --allow-shrink)",
                current.id
            )));
        }
    }
    let outcome = store.import_list(source, parsed, &now()).map_err(Failure::io)?;
    if cli.json {
        crate::outln!("{}", serde_json::to_string_pretty(&outcome).map_err(Failure::internal)?);
        return Ok(());
    }
    match outcome.status {
        ImportStatus::Unchanged => {
            crate::outln!("{source}: unchanged (same content as version {})", outcome.version.id)
        }
        ImportStatus::Imported => {
            crate::outln!(
                "{source}: version {} imported ({} entries, {}, sha256 {}); was version {}",
                outcome.version.id,
                outcome.version.entry_count,
                parsed.format,
                outcome.version.content_hash,
                outcome.previous_version_id.map_or("none".to_owned(), |v| v.to_string())
            );
            print_diff(cli, &outcome.diff)?;
        }
    }
    Ok(())
}

fn print_diff(cli: &Cli, diff: &chipwarden_lists::ListDiff) -> Result<(), Failure> {
    if cli.json {
        crate::outln!("{}", serde_json::to_string_pretty(diff).map_err(Failure::internal)?);
        return Ok(());
    }
    crate::outln!("{} added, {} removed, {} changed", diff.added.len(), diff.removed.len(), diff.changed.len());
    for (label, changes) in [("+", &diff.added), ("-", &diff.removed), ("~", &diff.changed)] {
        for c in changes.iter().take(50) {
            let fields = if c.fields.is_empty() { String::new() } else { format!(" ({})", c.fields.join(", ")) };
            crate::outln!("  {label} {} {} {}{fields}", c.list, c.entry_id, c.name);
        }
        if changes.len() > 50 {
            crate::outln!("  {label} ... and {} more", changes.len() - 50);
        }
    }
    Ok(())
}

/// Name score at which an owner in an ownership graph is taken as listed.
const OWNERSHIP_LISTING_THRESHOLD: f64 = 0.9;

pub fn ownership(cli: &Cli, command: &OwnershipCommand) -> Result<(), Failure> {
    match command {
        OwnershipCommand::Import { file } => {
            let edges = read_edges(file)?;
            let mut store = open_store(cli)?;
            let n = store.import_ownership(&edges).map_err(|e| {
                Failure::input(format!("`{}`: {e} (row 1 is the line after the header)", file.display()))
            })?;
            crate::outln!("{n} ownership edge(s) imported from `{}`", file.display());
            Ok(())
        }
        OwnershipCommand::Check { entity, at } => {
            let date = date_or_today(at.as_deref())?;
            let store = open_store(cli)?;
            let edges: Vec<chipwarden_screen::ownership::Edge> = store
                .ownership_edges()
                .map_err(Failure::io)?
                .into_iter()
                .map(|e| chipwarden_screen::ownership::Edge {
                    owner: e.owner,
                    owned: e.owned,
                    share: e.share,
                    source: e.source,
                    date: Some(e.date),
                })
                .collect();
            // Which parties in the ownership graph are listed: screen every name in it, at a
            // stricter threshold than ordinary screening, since a listing here is asserted, not
            // queued for review; the evidence is printed with the finding.
            let (screener, _) = screener(&store)?;
            if screener.entry_count() == 0 {
                return Err(Failure::input(
                    "no list is imported: without lists no owner can be found listed; run `chipwarden lists import` first",
                ));
            }
            let mut listed: BTreeMap<String, Vec<String>> = BTreeMap::new();
            let mut names: Vec<&str> = edges
                .iter()
                .flat_map(|e| [e.owner.as_str(), e.owned.as_str()])
                .chain(std::iter::once(entity.as_str()))
                .collect();
            names.sort_unstable();
            names.dedup();
            let mut evidence = Vec::new();
            let mut dismissed = 0;
            for name in names {
                if let Ok(mut hits) = screener.screen(&Query::name(name), OWNERSHIP_LISTING_THRESHOLD) {
                    // A hit a reviewer dismissed as a false positive does not make an owner listed.
                    dismissed += suppress(&store, &Subject::Query(name.to_owned()), &mut hits)?;
                    for hit in hits {
                        listed.entry(name.to_owned()).or_default().push(hit.list.clone());
                        evidence.push(serde_json::json!({"party": name, "list": hit.list, "entry_id": hit.entry_id, "matched_name": hit.matched_name, "score": hit.score}));
                    }
                }
            }
            let rules = chipwarden_screen::ownership::parse_rules(chipwarden_screen::ownership::BUNDLED_RULES)
                .map_err(Failure::internal)?;
            let report = chipwarden_screen::ownership::assess(entity, &edges, &listed, &rules, date);
            if cli.json {
                crate::outln!(
                    "{}",
                    serde_json::json!({ "report": report, "listing_evidence": evidence, "dismissed_by_review": dismissed })
                );
                return Ok(());
            }
            crate::outln!(
                "{} on {}: listed on {}",
                report.entity,
                report.date,
                if report.listed_on.is_empty() { "no list".to_owned() } else { report.listed_on.join(", ") }
            );
            for f in &report.findings {
                crate::outln!(
                    "{}: {} (aggregate {:.1}% held by listed or caught owners){}",
                    f.rule,
                    match (f.in_force, f.caught) {
                        (true, true) => "CAUGHT",
                        (true, false) => "not caught",
                        (false, true) => "would be caught, but the rule is not in force",
                        (false, false) => "not caught (rule not in force)",
                    },
                    (f.aggregate_share * 100.0).max(0.0),
                    f.status_note.as_ref().map(|n| format!(" - {n}")).unwrap_or_default()
                );
                for l in &f.chain {
                    crate::outln!(
                        "    {} holds {:.1}% of {} ({}; source: {})",
                        l.owner,
                        l.share * 100.0,
                        l.owned,
                        l.owner_status,
                        l.source
                    );
                }
                crate::outln!("    rests on: {}", f.citation);
            }
            for m in &report.missing {
                crate::outln!("missing: {m}");
            }
            if dismissed > 0 {
                crate::outln!(
                    "{dismissed} name match(es) not counted as listings: dismissed as false positives by review"
                );
            }
            for e in &evidence {
                crate::outln!(
                    "listing evidence: `{}` matched {} {} `{}` at {:.3} (name match, threshold {OWNERSHIP_LISTING_THRESHOLD}; review it)",
                    e["party"].as_str().unwrap_or(""),
                    e["list"].as_str().unwrap_or(""),
                    e["entry_id"].as_str().unwrap_or(""),
                    e["matched_name"].as_str().unwrap_or(""),
                    e["score"].as_f64().unwrap_or(0.0)
                );
            }
            Ok(())
        }
    }
}

fn read_edges(path: &Path) -> Result<Vec<OwnershipEdge>, Failure> {
    let text = read(path)?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| Failure::input(format!("`{}`: {e}", path.display())))?.clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let cols = [col("owner"), col("owned"), col("share"), col("source"), col("date")];
    let [Some(owner), Some(owned), Some(share), Some(source), Some(date)] = cols else {
        return Err(Failure::input(format!(
            "`{}` line 1: the header needs owner, owned, share, source, date",
            path.display()
        )));
    };
    let mut edges = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let r = record.map_err(|e| Failure::input(format!("`{}` line {line}: {e}", path.display())))?;
        let text_share = r.get(share).unwrap_or("").trim().trim_end_matches('%');
        let value: f64 = text_share.parse().map_err(|_| {
            Failure::input(format!("`{}` line {line}, field `share`: `{text_share}` is not a number", path.display()))
        })?;
        // Shares may be written as fractions (0.5) or percentages (50 or 50%).
        let fraction = if value > 1.0 || r.get(share).is_some_and(|s| s.contains('%')) { value / 100.0 } else { value };
        edges.push(OwnershipEdge {
            owner: r.get(owner).unwrap_or("").trim().to_owned(),
            owned: r.get(owned).unwrap_or("").trim().to_owned(),
            share: fraction,
            source: r.get(source).unwrap_or("").trim().to_owned(),
            date: r.get(date).unwrap_or("").trim().to_owned(),
        });
    }
    Ok(edges)
}
