//! Rendering: every result as a readable table, or as JSON with `--json`.

use chipwarden_classify::control::num;
use chipwarden_classify::foundry::FoundryAssessment;
use chipwarden_classify::{Classification, LicenseDetermination, Metrics, RuleSet, Status, StressReport};
use chipwarden_core::{Catalog, Chip};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;

use crate::Failure;

fn json<T: Serialize + ?Sized>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(Failure::internal)?;
    crate::outln!("{text}");
    Ok(())
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic).set_width(120);
    if !header.is_empty() {
        t.set_header(header.to_vec());
    }
    t
}

fn opt(value: Option<f64>) -> String {
    value.map_or_else(|| "unknown".to_owned(), num)
}

fn bullets(title: &str, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    crate::outln!("{title}:");
    for line in lines {
        crate::outln!("  - {line}");
    }
}

fn eccn_text(c: &Classification) -> String {
    match (&c.eccn, c.status) {
        (Some(e), _) => format!("{e} (met: {})", c.matched_prongs.join(", ")),
        (None, Status::Undetermined) => "undetermined (a needed figure is unknown)".to_owned(),
        (None, _) => "not controlled by 3A090/4A090".to_owned(),
    }
}

pub fn classification(as_json: bool, c: &Classification) -> Result<(), Failure> {
    if as_json {
        return json(c);
    }
    crate::outln!("{} on {} under rule set {}", c.item, c.date, c.ruleset);
    let mut t = table(&[]);
    t.add_row(vec!["ECCN".to_owned(), eccn_text(c)]);
    if let Some(a) = &c.assembly_eccn {
        t.add_row(vec!["Systems containing it".to_owned(), a.clone()]);
    }
    let precision = c.tpp_precision.map(|p| format!(" ({p})")).unwrap_or_default();
    t.add_row(vec!["TPP".to_owned(), format!("{}{precision}", opt(c.tpp))]);
    t.add_row(vec!["Performance density".to_owned(), opt(c.performance_density)]);
    if c.memory_bandwidth_density.is_some() {
        t.add_row(vec!["Memory bandwidth density".to_owned(), opt(c.memory_bandwidth_density)]);
    }
    t.add_row(vec![
        "Datacenter item".to_owned(),
        c.datacenter.map_or("unknown (assessed as datacenter)".to_owned(), |d| if d { "yes" } else { "no" }.to_owned()),
    ]);
    t.add_row(vec!["Rule set".to_owned(), format!("{}: {}", c.ruleset, c.ruleset_title)]);
    crate::outln!("{t}");
    let mut th = table(&["ECCN", "prong", "test", "value", "margin", "met"]);
    for check in &c.thresholds {
        th.add_row(vec![
            check.eccn.clone(),
            check.prong.clone(),
            format!("{} {} {}", check.metric.name(), check.op, num(check.threshold)),
            opt(check.value),
            check.margin_pct.map_or("n/a".to_owned(), |m| format!("{}{}%", if m >= 0.0 { "+" } else { "" }, num(m))),
            check.met.map_or("?".to_owned(), |m| if m { "yes" } else { "no" }.to_owned()),
        ]);
    }
    crate::outln!("Thresholds (margin: how far the value is above (+) or below (-) the line):\n{th}");
    bullets("Reasons", &c.reasons);
    bullets("Missing figures", &c.missing);
    bullets("Citations", &c.citations);
    Ok(())
}

pub fn history(as_json: bool, all: &[Classification]) -> Result<(), Failure> {
    if as_json {
        return json(all);
    }
    if let Some(first) = all.first() {
        crate::outln!("{}: control status under each rule version", first.item);
    }
    let mut t = table(&["rule set", "in force from", "ECCN", "TPP", "PD", "title"]);
    for c in all {
        t.add_row(vec![
            c.ruleset.clone(),
            c.date.to_string(),
            eccn_text(c),
            opt(c.tpp),
            opt(c.performance_density),
            c.ruleset_title.clone(),
        ]);
    }
    crate::outln!("{t}");
    Ok(())
}

pub fn license(as_json: bool, l: &LicenseDetermination) -> Result<(), Failure> {
    if as_json {
        return json(l);
    }
    crate::outln!(
        "{} to {}{} on {} under rule set {}",
        l.item,
        l.destination,
        l.party_hq.map(|h| format!(" (party headquartered in {h})")).unwrap_or_default(),
        l.date,
        l.ruleset
    );
    let mut t = table(&[]);
    t.add_row(vec!["License required".to_owned(), if l.license_required { "yes" } else { "no" }.to_owned()]);
    t.add_row(vec!["Review policy".to_owned(), l.policy.map_or("n/a".to_owned(), |p| p.name().to_owned())]);
    t.add_row(vec![
        "License exceptions".to_owned(),
        if l.exceptions.is_empty() {
            "none".to_owned()
        } else {
            format!(
                "{}: may be used instead of a license, on its conditions",
                l.exceptions
                    .iter()
                    .map(|e| format!("{}{}", e.code, if e.notification { " (prior notification to BIS)" } else { "" }))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
    ]);
    t.add_row(vec!["ECCN".to_owned(), eccn_text(&l.classification)]);
    crate::outln!("{t}");
    let mut steps = table(&["step", "outcome", "rests on"]);
    for s in &l.steps {
        steps.add_row(vec![s.step.clone(), s.outcome.clone(), s.citation.clone()]);
    }
    crate::outln!("{steps}");
    bullets("Reasons", &l.reasons);
    bullets("Warnings", &l.warnings);
    Ok(())
}

pub fn foundry(as_json: bool, f: &FoundryAssessment) -> Result<(), Failure> {
    if as_json {
        return json(f);
    }
    crate::outln!("Design {} on {} under rule set {}", f.design, f.date, f.ruleset);
    let mut t = table(&[]);
    t.add_row(vec![
        "Applicable advanced logic IC".to_owned(),
        f.applicable_advanced_logic
            .map_or("unknown (treated as yes)".to_owned(), |a| if a { "yes" } else { "no" }.to_owned()),
    ]);
    t.add_row(vec![
        "Presumption of 3A090.a".to_owned(),
        if f.presumption_applies {
            "applies: license required worldwide".to_owned()
        } else {
            "does not apply".to_owned()
        },
    ]);
    if let Some(how) = &f.overcome_by {
        t.add_row(vec!["Overcome by".to_owned(), how.clone()]);
    }
    t.add_row(vec!["Red flags".to_owned(), f.red_flags.len().to_string()]);
    crate::outln!("{t}");
    if !f.red_flags.is_empty() {
        let mut rf = table(&["red flag", "what", "basis"]);
        for flag in &f.red_flags {
            rf.add_row(vec![flag.id.clone(), flag.text.clone(), flag.basis.clone()]);
        }
        crate::outln!("{rf}");
    }
    bullets("Reasons", &f.reasons);
    bullets("Warnings", &f.warnings);
    Ok(())
}

pub fn rule_sets(as_json: bool, sets: &[RuleSet]) -> Result<(), Failure> {
    if as_json {
        return json(sets);
    }
    let mut t = table(&["id", "effective", "until", "title", "source"]);
    for s in sets {
        t.add_row(vec![
            s.id.clone(),
            s.effective.to_string(),
            s.until.map_or("in force".to_owned(), |u| u.to_string()),
            s.title.clone(),
            s.citation(),
        ]);
    }
    crate::outln!("{t}");
    Ok(())
}

pub fn stress(as_json: bool, rules: &RuleSet, report: &StressReport) -> Result<(), Failure> {
    if as_json {
        return json(report);
    }
    crate::outln!(
        "Rule set {} ({}): {} chip/prong pairs within {}% below a line",
        rules.id,
        rules.title,
        report.near_misses.len(),
        num(report.margin_pct)
    );
    let mut t = table(&["chip", "now", "prong", "would be", "what would have to change"]);
    for m in &report.near_misses {
        t.add_row(vec![
            m.chip.clone(),
            m.current_eccn.clone().unwrap_or_else(|| "not controlled".to_owned()),
            m.prong.clone(),
            m.would_be_eccn.clone(),
            m.changes.iter().map(|c| c.describe()).collect::<Vec<_>>().join("\n"),
        ]);
    }
    crate::outln!("{t}");
    if !report.undetermined.is_empty() {
        let mut u = table(&["undetermined chip", "missing figures"]);
        for chip in &report.undetermined {
            u.add_row(vec![chip.chip.clone(), chip.missing.join("; ")]);
        }
        crate::outln!("Not placed, for want of a figure:\n{u}");
    }
    if !report.not_yet_released.is_empty() {
        crate::outln!("Left out, released after the rule set's date: {}", report.not_yet_released.join(", "));
    }
    Ok(())
}

#[derive(Serialize)]
struct ChipRow<'a> {
    id: &'a str,
    name: &'a str,
    vendor: &'a str,
    release_date: Option<&'a str>,
    tpp: Option<f64>,
    performance_density: Option<f64>,
    datacenter: Option<bool>,
}

pub fn catalog_list(as_json: bool, catalog: &Catalog) -> Result<(), Failure> {
    let rows: Vec<ChipRow<'_>> = catalog
        .chips()
        .iter()
        .map(|c| {
            let m = Metrics::of(&c.item);
            ChipRow {
                id: &c.id,
                name: &c.name,
                vendor: &c.vendor,
                release_date: c.release_date.as_deref(),
                tpp: m.tpp.map(|t| t.value),
                performance_density: m.performance_density,
                datacenter: c.item.datacenter.as_ref().map(|d| d.value),
            }
        })
        .collect();
    if as_json {
        return json(&rows);
    }
    let mut t = table(&["name", "released", "TPP", "PD", "datacenter"]);
    for r in &rows {
        t.add_row(vec![
            r.name.to_owned(),
            r.release_date.unwrap_or("").to_owned(),
            opt(r.tpp),
            opt(r.performance_density),
            r.datacenter.map_or("unknown", |d| if d { "yes" } else { "no" }).to_owned(),
        ]);
    }
    crate::outln!("{t}");
    crate::outln!("{} chips. {}", rows.len(), catalog.attribution());
    Ok(())
}

pub fn catalog_show(as_json: bool, chip: &Chip) -> Result<(), Failure> {
    if as_json {
        return json(chip);
    }
    crate::outln!("{} (id `{}`, vendor {})", chip.name, chip.id, chip.vendor);
    if !chip.aliases.is_empty() {
        crate::outln!("aliases: {}", chip.aliases.join(", "));
    }
    let mut t = table(&["figure", "value", "source"]);
    let item = &chip.item;
    let mut add = |name: String, value: String, source: &str, note: Option<&String>| {
        let source = match note {
            Some(n) => format!("{source} (note: {n})"),
            None => source.to_owned(),
        };
        t.add_row(vec![name, value, source]);
    };
    if let Some(f) = &item.datacenter {
        add("datacenter".into(), f.value.to_string(), &f.source, f.note.as_ref());
    }
    for (p, f) in &item.dense_tops {
        add(format!("dense {p} TOPS"), num(f.value), &f.source, f.note.as_ref());
    }
    for (name, f) in [
        ("die area (mm²)", &item.die_area_mm2),
        ("transistors (billion)", &item.transistors_billion),
        ("process (nm)", &item.process_nm),
        ("memory bandwidth (GB/s)", &item.memory_bandwidth_gbps),
        ("interconnect, bidirectional (GB/s)", &item.interconnect_gbps),
        ("reported TPP", &item.reported_tpp),
        ("memory (GB)", &chip.memory_gb),
        ("TDP (W)", &chip.tdp_w),
        ("Epoch AI TPP", &chip.reference_tpp),
    ] {
        if let Some(f) = f {
            add(name.into(), num(f.value), &f.source, f.note.as_ref());
        }
    }
    for (name, f) in [("process", &chip.process), ("memory type", &chip.memory_type)] {
        if let Some(f) = f {
            add(name.into(), f.value.clone(), &f.source, f.note.as_ref());
        }
    }
    crate::outln!("{t}");
    Ok(())
}
