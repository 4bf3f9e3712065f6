//! The in-memory screening index: every listed name analysed once, candidate generation from
//! token, phonetic-key, prefix and joined-token postings, and explained hits.
//!
//! A query never scans the list: it looks up the postings of its own tokens, ranks the names
//! they reach by the weight of what they share, and compares only the best few hundred in full.

use std::collections::HashMap;

use chipwarden_lists::{EntityKind, ListEntry, NameStrength};
use serde::Serialize;

use crate::analyze::{Lexicon, NameError, NameForm, TokenKind};
use crate::compare::{Aligned, compare};

/// How many names are compared in full per query, at most.
const CANDIDATES: usize = 300;

/// Candidates whose shared postings weigh less than this share of the best candidate's are not
/// compared: they share only a common word with the query.
const CANDIDATE_FLOOR: f64 = 0.0;

/// The most qualifiers can add to a name score (an identifier 0.15, a year 0.05, address and
/// country 0.03 each).
const QUALIFIER_HEADROOM: f64 = 0.26;

/// Postings longer than this share of all names are too common to generate candidates alone.
const COMMON_SHARE: f64 = 0.05;

/// A listed entry as the index holds it: the entry, and which list version it came from.
#[derive(Debug, Clone)]
pub struct Listed {
    pub entry: ListEntry,
    pub source: String,
    pub version: Option<i64>,
}

#[derive(Debug, Clone)]
struct IndexedName {
    entry: u32,
    text: String,
    strength: NameStrength,
    form: NameForm,
}

/// One party to screen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Query {
    /// The caller's identifier for the party (shown as `query` in results when present).
    pub id: Option<String>,
    pub name: String,
    pub country: Option<String>,
    pub address: Option<String>,
    /// Date of birth or incorporation, as written (a year is enough).
    pub date: Option<String>,
    /// Identifiers (passport, registration, IMO numbers), compared without punctuation.
    pub identifiers: Vec<String>,
}

impl Query {
    pub fn name(name: &str) -> Query {
        Query { id: None, name: name.to_owned(), country: None, address: None, date: None, identifiers: Vec::new() }
    }

    pub fn label(&self) -> &str {
        self.id.as_deref().unwrap_or(&self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Qualifier {
    pub kind: &'static str,
    pub effect: f64,
    pub detail: String,
}

/// A hit, explained: what matched, where it is listed, how the names aligned and why the score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub query: String,
    pub query_name: String,
    pub list: String,
    pub source: String,
    pub list_version: Option<i64>,
    /// Other imported sources that carry the same entry (the trade.gov CSL repeats OFAC's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_in: Vec<String>,
    pub entry_id: String,
    pub entry_kind: EntityKind,
    pub primary_name: String,
    pub matched_name: String,
    pub name_strength: NameStrength,
    pub score: f64,
    /// The score from the names alone, before qualifiers.
    pub name_score: f64,
    pub alignment: Vec<Aligned>,
    pub qualifiers: Vec<Qualifier>,
    pub programs: Vec<String>,
    pub matcher_version: &'static str,
}

#[derive(Debug)]
pub struct Screener {
    lexicon: Lexicon,
    listed: Vec<Listed>,
    names: Vec<IndexedName>,
    postings: HashMap<String, Vec<u32>>,
    /// Names that could not be analysed (no letters), with their entry: reported, not indexed.
    skipped: Vec<(String, String)>,
}

fn organization(kind: EntityKind) -> bool {
    kind != EntityKind::Person
}

/// The posting keys of an analysed name: tokens, phonetic keys, 4-letter prefixes, and adjacent
/// tokens joined (so "abdul hai" and "abdulhai" reach each other), in every reading of the name.
fn keys(form: &NameForm) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(alt) = &form.alt {
        out.extend(keys(alt));
    }
    let tokens = &form.tokens;
    for t in tokens {
        if t.kind == TokenKind::LegalForm {
            continue;
        }
        out.push(format!("t:{}", t.text));
        if t.key.len() >= 2 {
            out.push(format!("k:{}", t.key));
        }
        if t.surface.chars().count() >= 5 {
            out.push(format!("p:{}", t.surface.chars().take(4).collect::<String>()));
        }
        for n in &t.nicknames {
            out.push(format!("n:{n}"));
        }
    }
    if form.organization {
        // The acronym of the leading words, so that "PLA" and "People's Liberation Army" meet.
        for acronym in crate::analyze::leading_acronyms(tokens) {
            out.push(format!("t:{acronym}"));
        }
    }
    for join in form.joins.iter().filter(|j| j.len == 2) {
        if tokens[join.start..join.start + 2].iter().all(|t| t.kind != TokenKind::LegalForm) {
            out.push(format!("t:{}", join.text));
            out.push(format!("k:{}", join.key));
        }
    }
    out.sort();
    out.dedup();
    out
}

impl Screener {
    pub fn build(lexicon: Lexicon, listed: Vec<Listed>) -> Screener {
        let mut names = Vec::new();
        let mut postings: HashMap<String, Vec<u32>> = HashMap::new();
        let mut skipped = Vec::new();
        for (e, l) in listed.iter().enumerate() {
            let org = organization(l.entry.kind);
            for name in &l.entry.names {
                match lexicon.analyze(&name.text, org) {
                    Ok(form) => {
                        let id = names.len() as u32;
                        for key in keys(&form) {
                            postings.entry(key).or_default().push(id);
                        }
                        names.push(IndexedName {
                            entry: e as u32,
                            text: name.text.clone(),
                            strength: name.strength,
                            form,
                        });
                    }
                    Err(err) => skipped.push((l.entry.entry_id.clone(), format!("{}: {err}", name.text))),
                }
            }
        }
        Screener { lexicon, listed, names, postings, skipped }
    }

    pub fn entry_count(&self) -> usize {
        self.listed.len()
    }

    pub fn name_count(&self) -> usize {
        self.names.len()
    }

    /// Listed names the analyser refused (e.g. no letters), as (entry id, reason).
    pub fn skipped(&self) -> &[(String, String)] {
        &self.skipped
    }

    pub fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }

    /// Screens one party: every entry with a name scoring at or above `threshold`, best first,
    /// one hit per entry (its best-matching name).
    pub fn screen(&self, query: &Query, threshold: f64) -> Result<Vec<Hit>, NameError> {
        let as_person = self.lexicon.analyze(&query.name, false)?;
        let as_org = self.lexicon.analyze(&query.name, true)?;
        let candidates = self.candidates(&[&as_person, &as_org]);
        let mut best: HashMap<(String, String), Hit> = HashMap::new();
        for id in candidates {
            let name = &self.names[id as usize];
            let listed = &self.listed[name.entry as usize];
            let form = if organization(listed.entry.kind) { &as_org } else { &as_person };
            // Score first, explain only what can reach the threshold: qualifiers move a score by
            // a few points (an identifier by 0.15), so only scores that far below are dropped.
            if !crate::compare::could_reach(form, &name.form, threshold - QUALIFIER_HEADROOM)
                || crate::compare::score(form, &name.form) + QUALIFIER_HEADROOM < threshold
            {
                continue;
            }
            let comparison = compare(form, &name.form);
            let (score, qualifiers) = qualify(comparison.score, name.strength, query, &listed.entry);
            if score < threshold {
                continue;
            }
            let hit = Hit {
                query: query.label().to_owned(),
                query_name: query.name.clone(),
                list: listed.entry.list.to_string(),
                source: listed.source.clone(),
                list_version: listed.version,
                also_in: Vec::new(),
                entry_id: listed.entry.entry_id.clone(),
                entry_kind: listed.entry.kind,
                primary_name: listed.entry.primary_name().to_owned(),
                matched_name: name.text.clone(),
                name_strength: name.strength,
                score,
                name_score: comparison.score,
                alignment: comparison.alignment,
                qualifiers,
                programs: listed.entry.programs.clone(),
                matcher_version: crate::MATCHER_VERSION,
            };
            // One hit per listed party: the same (list, entry id) from several sources is one.
            let key = (hit.list.clone(), hit.entry_id.clone());
            match best.get_mut(&key) {
                Some(existing) if existing.score >= hit.score => {
                    if existing.source != hit.source && !existing.also_in.contains(&hit.source) {
                        existing.also_in.push(hit.source);
                    }
                }
                Some(existing) => {
                    let mut also_in = std::mem::take(&mut existing.also_in);
                    if existing.source != hit.source && !also_in.contains(&existing.source) {
                        also_in.push(existing.source.clone());
                    }
                    *existing = Hit { also_in, ..hit };
                }
                None => {
                    best.insert(key, hit);
                }
            }
        }
        let mut hits: Vec<Hit> = best.into_values().collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.entry_id.cmp(&b.entry_id)));
        Ok(hits)
    }

    /// Names worth comparing in full, ranked by the weight of the postings they share.
    fn candidates(&self, forms: &[&NameForm]) -> Vec<u32> {
        thread_local! {
            // A score per indexed name and the names touched, reused across queries: a dense
            // array is faster than a hash map over thousands of postings, and only the touched
            // entries are reset.
            static SCRATCH: std::cell::RefCell<(Vec<f64>, Vec<u32>)> = const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
        }
        SCRATCH.with(|scratch| {
            let (scores, touched) = &mut *scratch.borrow_mut();
            if scores.len() < self.names.len() {
                scores.resize(self.names.len(), 0.0);
            }
            let add = |id: u32, w: f64, scores: &mut Vec<f64>, touched: &mut Vec<u32>| {
                let slot = &mut scores[id as usize];
                if *slot == 0.0 {
                    touched.push(id);
                }
                *slot += w;
            };
            let total = self.names.len().max(1) as f64;
            let mut common: Vec<&Vec<u32>> = Vec::new();
            let mut seen_keys = Vec::new();
            for form in forms {
                for key in keys(form) {
                    if seen_keys.contains(&key) {
                        continue;
                    }
                    let Some(list) = self.postings.get(&key) else {
                        seen_keys.push(key);
                        continue;
                    };
                    if list.len() as f64 > total * COMMON_SHARE {
                        common.push(list);
                        seen_keys.push(key);
                        continue;
                    }
                    // Rarer postings say more: weigh by inverse frequency.
                    let weight = 1.0 / (1.0 + (list.len() as f64).ln());
                    let boost = if key.starts_with("t:") { 1.0 } else { 0.6 };
                    for &id in list {
                        add(id, weight * boost, scores, touched);
                    }
                    seen_keys.push(key);
                }
            }
            // Only common tokens in the query ("Mohammed Ali"): intersect their postings instead.
            if touched.is_empty() && !common.is_empty() {
                common.sort_by_key(|l| l.len());
                for &id in common[0] {
                    let shared = common[1..].iter().filter(|l| l.binary_search(&id).is_ok()).count();
                    add(id, 1.0 + shared as f64, scores, touched);
                }
            }
            let mut ranked: Vec<(u32, f64)> = touched.iter().map(|&id| (id, scores[id as usize])).collect();
            for &id in touched.iter() {
                scores[id as usize] = 0.0;
            }
            touched.clear();
            let order = |a: &(u32, f64), b: &(u32, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
            // Only the best CANDIDATES need sorting.
            if ranked.len() > CANDIDATES {
                ranked.select_nth_unstable_by(CANDIDATES - 1, order);
                ranked.truncate(CANDIDATES);
            }
            ranked.sort_unstable_by(order);
            let floor = ranked.first().map_or(0.0, |r| r.1 * CANDIDATE_FLOOR);
            ranked.into_iter().take_while(|r| r.1 >= floor).map(|(id, _)| id).collect()
        })
    }
}

/// Qualifiers: weak aliases count less; a country, an address word, a year the party and the
/// entry share count a little for, a country or year they do not share a little against; an
/// identifier they share counts much. The hit lists every qualifier used.
fn qualify(name_score: f64, strength: NameStrength, query: &Query, entry: &ListEntry) -> (f64, Vec<Qualifier>) {
    let mut score = name_score;
    let mut qualifiers = Vec::new();
    let mut note = |kind: &'static str, effect: f64, detail: String| {
        // Weak aliases scale the score; the other qualifiers add or take a few points.
        score = if kind == "weak_alias" { score * (1.0 + effect) } else { (score + effect).min(1.0) };
        qualifiers.push(Qualifier { kind, effect, detail });
    };
    if strength == NameStrength::Weak {
        note("weak_alias", -0.1, "matched a weak alias (too broad to identify on its own)".to_owned());
    }
    if let Some(country) = query.country.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        let listed: Vec<&str> = entry
            .countries
            .iter()
            .map(String::as_str)
            .chain(entry.addresses.iter().filter_map(|a| a.country.as_deref()))
            .collect::<std::collections::BTreeSet<&str>>()
            .into_iter()
            .collect();
        if listed.iter().any(|c| c.eq_ignore_ascii_case(country)) {
            note("country", 0.03, format!("{country} is among the entry's countries"));
        } else if !listed.is_empty() {
            note("country", -0.05, format!("{country} is not among the entry's countries ({})", listed.join(", ")));
        }
    }
    if let Some(address) = query.address.as_deref().filter(|a| !a.trim().is_empty()) {
        // Shared address words that are not numbers or short particles: a city, a street.
        let words = |s: &str| -> Vec<String> {
            crate::analyze::words(&crate::analyze::latin(s))
                .into_iter()
                .filter(|w| w.len() >= 4 && !w.chars().all(|c| c.is_ascii_digit()))
                .collect()
        };
        let ours = words(address);
        let shared = entry
            .addresses
            .iter()
            .flat_map(|a| words(&format!("{} {}", a.text, a.city.as_deref().unwrap_or(""))))
            .find(|w| ours.contains(w));
        if let Some(word) = shared {
            note("address", 0.03, format!("the addresses share `{word}`"));
        }
    }
    // A year is enough; anything not starting with four digits is not a date to compare.
    let year =
        query.date.as_deref().map(str::trim).and_then(|d| d.get(..4)).filter(|y| y.bytes().all(|b| b.is_ascii_digit()));
    if let (Some(year), false) = (year, entry.dates.is_empty()) {
        if entry.dates.iter().any(|d| d.contains(year)) {
            note("date", 0.05, format!("the year {year} is among the entry's dates"));
        } else {
            note("date", -0.1, format!("the year {year} is not among the entry's dates ({})", entry.dates.join(", ")));
        }
    }
    let plain = |s: &str| s.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_uppercase();
    for id in &query.identifiers {
        let wanted = plain(id);
        if wanted.len() >= 4 && entry.identifiers.iter().any(|i| plain(&i.value) == wanted) {
            note("identifier", 0.15, format!("identifier {id} is the entry's"));
        }
    }
    (score.clamp(0.0, 1.0), qualifiers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chipwarden_lists::{ListCode, Name};

    fn entry(id: &str, kind: EntityKind, names: &[&str], countries: &[&str]) -> Listed {
        Listed {
            entry: ListEntry {
                list: ListCode::new("SDN"),
                entry_id: id.to_owned(),
                kind,
                names: names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| Name {
                        text: (*n).to_owned(),
                        strength: if i == 0 { NameStrength::Primary } else { NameStrength::Strong },
                        kind: None,
                    })
                    .collect(),
                addresses: Vec::new(),
                countries: countries.iter().map(|c| (*c).to_owned()).collect(),
                dates: Vec::new(),
                identifiers: Vec::new(),
                programs: vec!["TEST".to_owned()],
                legal: Default::default(),
                remarks: None,
                source_line: None,
            },
            source: "test".to_owned(),
            version: Some(1),
        }
    }

    fn screener() -> Screener {
        Screener::build(
            Lexicon::bundled().expect("lexicon"),
            vec![
                entry(
                    "1",
                    EntityKind::Person,
                    &["PUTIN, Vladimir Vladimirovich", "Путин Владимир Владимирович"],
                    &["RU"],
                ),
                entry("2", EntityKind::Company, &["EMMA LLC"], &["US"]),
                entry("3", EntityKind::Company, &["HUAWEI TECHNOLOGIES CO., LTD.", "华为技术有限公司"], &["CN"]),
                entry("4", EntityKind::Person, &["ZHANG Wei"], &["CN"]),
            ],
        )
    }

    #[test]
    fn finds_and_explains() {
        let s = screener();
        let hits = s.screen(&Query::name("Vladimir Putin"), 0.8).expect("screens");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].entry_id, "1");
        assert!(hits[0].alignment.iter().any(|a| a.query == "putin"));
        let hits = s.screen(&Query::name("Chang Wei"), 0.8).expect("screens");
        assert_eq!(hits.first().map(|h| h.entry_id.as_str()), Some("4"));
        let hits = s.screen(&Query::name("Huawei Technologies Company Limited"), 0.8).expect("screens");
        assert_eq!(hits.first().map(|h| h.entry_id.as_str()), Some("3"));
        assert!(s.screen(&Query::name("emma daniels"), 0.8).expect("screens").is_empty());
    }

    #[test]
    fn the_index_finds_other_scripts_readings_and_acronyms() {
        let s = Screener::build(
            Lexicon::bundled().expect("lexicon"),
            vec![
                entry("10", EntityKind::Person, &["YAMADA, Taro"], &["JP"]),
                entry("11", EntityKind::Organization, &["People's Liberation Army"], &["CN"]),
                entry("12", EntityKind::Company, &["華為技術有限公司"], &["TW"]),
            ],
        );
        let first = |q: &str| s.screen(&Query::name(q), 0.8).expect("screens").first().map(|h| h.entry_id.clone());
        // A Japanese name in kanji reaches the romanised entry through its reading.
        assert_eq!(first("山田太郎").as_deref(), Some("10"));
        // An acronym reaches the words it abbreviates.
        assert_eq!(first("PLA").as_deref(), Some("11"));
        // Simplified characters reach the traditional entry.
        assert_eq!(first("华为技术有限公司").as_deref(), Some("12"));
    }

    #[test]
    fn country_qualifies() {
        let s = screener();
        let mut q = Query::name("Zhang Wei");
        q.country = Some("CN".to_owned());
        let with = s.screen(&q, 0.5).expect("screens");
        q.country = Some("DE".to_owned());
        let without = s.screen(&q, 0.5).expect("screens");
        assert!(with[0].score > without[0].score);
        assert_eq!(without[0].qualifiers[0].kind, "country");
    }

    #[test]
    fn dates_identifiers_and_addresses_qualify() {
        let mut listed = entry("9", EntityKind::Person, &["Ivan Petrov"], &["RU"]);
        listed.entry.dates = vec!["12 Mar 1971".to_owned()];
        listed.entry.identifiers = vec![chipwarden_lists::Identifier {
            scheme: "Passport".to_owned(),
            value: "71 123456".to_owned(),
            country: None,
        }];
        listed.entry.addresses = vec![chipwarden_lists::Address {
            text: "Lubyanka 2".to_owned(),
            city: Some("Moscow".to_owned()),
            country: Some("RU".to_owned()),
        }];
        let s = Screener::build(Lexicon::bundled().expect("lexicon"), vec![listed]);
        let base = s.screen(&Query::name("Ivan Petrov"), 0.5).expect("screens")[0].score;
        let mut q = Query::name("Ivan Petrov");
        q.date = Some("1985-01-01".to_owned());
        let other_year = s.screen(&q, 0.5).expect("screens")[0].clone();
        assert!(other_year.score < base && other_year.qualifiers.iter().any(|x| x.kind == "date"));
        q.date = Some("1971".to_owned());
        q.identifiers = vec!["71-123456".to_owned()];
        q.address = Some("Moscow, Russia".to_owned());
        let confirmed = s.screen(&q, 0.5).expect("screens")[0].clone();
        let kinds: Vec<&str> = confirmed.qualifiers.iter().map(|x| x.kind).collect();
        assert_eq!(kinds, vec!["address", "date", "identifier"]);
        assert!(confirmed.score >= base);
    }

    #[test]
    fn odd_dates_are_ignored_not_a_panic() {
        let mut listed = entry("9", EntityKind::Person, &["Ivan Petrov"], &["RU"]);
        listed.entry.dates = vec!["1971".to_owned()];
        let s = Screener::build(Lexicon::bundled().expect("lexicon"), vec![listed]);
        for date in ["19é7", "é", "abcd-01-01", ""] {
            let mut q = Query::name("Ivan Petrov");
            q.date = Some(date.to_owned());
            assert!(s.screen(&q, 0.5).expect("screens")[0].qualifiers.is_empty(), "{date}");
        }
    }

    #[test]
    fn bad_queries_are_errors() {
        let s = screener();
        assert!(s.screen(&Query::name(""), 0.8).is_err());
        assert!(s.screen(&Query::name("?!"), 0.8).is_err());
    }
}
