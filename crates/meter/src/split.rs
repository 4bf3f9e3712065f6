//! Split runs: usage on linked accounts that overlaps in time and together crosses a threshold
//! that no single one of those accounts crosses, with synchronized starts and matching shapes
//! as further evidence.
//!
//! The accounts of a split run are those with a record running at one common instant (records
//! clipped to the window); of all such instants, the one whose accounts together used the most
//! compute (high estimate) is taken. The figures compared with thresholds are those accounts'
//! whole totals over the window, not only the overlapping part: a split run is one training run
//! whose pieces need not all run at once, and the overlap is evidence that they belong together.

use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::aggregate::{MeteredRecord, Totals, Window};
use crate::links::{Group, Link};
use crate::record::seconds_between;
use crate::thresholds::{Crossing, Thresholds, crossings};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplitOptions {
    /// Starts on two accounts within this much of each other are synchronized (default 10 min).
    pub start_tolerance: SignedDuration,
    /// Two accounts' largest records have matching shapes when their chip counts and durations
    /// each differ by at most this fraction of the larger (default 0.1).
    pub shape_tolerance: f64,
}

impl Default for SplitOptions {
    fn default() -> SplitOptions {
        SplitOptions { start_tolerance: SignedDuration::from_mins(10), shape_tolerance: 0.1 }
    }
}

/// One account's part in a split run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountFigures {
    pub account: String,
    pub flop_low: f64,
    pub flop_mid: f64,
    pub flop_high: f64,
    pub records: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SynchronizedStart {
    pub account_a: String,
    pub account_b: String,
    pub start_a: Timestamp,
    pub start_b: Timestamp,
    pub seconds_apart: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchingShape {
    pub account_a: String,
    pub account_b: String,
    pub chips_a: f64,
    pub chips_b: f64,
    pub hours_a: f64,
    pub hours_b: f64,
}

/// The alert: accounts, links, figures, the thresholds only their sum crosses, and evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SplitRun {
    pub accounts: Vec<String>,
    pub links: Vec<Link>,
    /// When all of `accounts` had a record running at once (clipped to the window).
    pub overlap_start: Timestamp,
    pub overlap_end: Timestamp,
    pub flop_low: f64,
    pub flop_mid: f64,
    pub flop_high: f64,
    pub figures: Vec<AccountFigures>,
    /// Crossings of the accounts' sum over thresholds none of them crosses alone on the same
    /// basis (`high` or `low`).
    pub thresholds_crossed: Vec<Crossing>,
    pub synchronized_starts: Vec<SynchronizedStart>,
    pub matching_shapes: Vec<MatchingShape>,
}

/// A record clipped to the window.
#[derive(Debug, Clone, Copy)]
struct Piece<'r> {
    start: Timestamp,
    end: Timestamp,
    metered: &'r MeteredRecord,
}

/// The split run in `group`, if there is one. `records` are the group's records (any others
/// are ignored).
pub fn find_split_run(
    group: &Group,
    records: &[&MeteredRecord],
    thresholds: &Thresholds,
    window: &Window,
    options: &SplitOptions,
) -> Option<SplitRun> {
    let mut totals: BTreeMap<&str, (Totals, usize)> = BTreeMap::new();
    let mut pieces: Vec<Piece<'_>> = Vec::new();
    for &m in records.iter().filter(|m| group.contains(&m.record.account)) {
        let share = window.share(&m.record);
        if share <= 0.0 {
            continue;
        }
        let entry = totals.entry(m.record.account.as_str()).or_default();
        entry.0.add_share(&m.estimate, share);
        entry.1 += 1;
        pieces.push(Piece { start: m.record.start.max(window.start), end: m.record.end.min(window.end), metered: m });
    }
    let chosen = busiest_instant(&pieces, &totals)?;
    let accounts: Vec<&str> = chosen.keys().copied().collect();
    let mut sum = Totals::default();
    for account in &accounts {
        sum.add(&totals[account].0);
    }
    let date = window.date();
    let single: Vec<Crossing> = accounts
        .iter()
        .flat_map(|a| crossings(totals[a].0.flop_low, totals[a].0.flop_high, thresholds, date))
        .collect();
    let crossed: Vec<Crossing> = crossings(sum.flop_low, sum.flop_high, thresholds, date)
        .into_iter()
        .filter(|c| !single.iter().any(|s| s.threshold == c.threshold && s.basis == c.basis))
        .collect();
    if crossed.is_empty() {
        return None;
    }
    let overlap_start = chosen.values().map(|p| p.start).max()?;
    let overlap_end = chosen.values().map(|p| p.end).min()?;
    let members: BTreeSet<&str> = accounts.iter().copied().collect();
    Some(SplitRun {
        accounts: accounts.iter().map(|a| (*a).to_owned()).collect(),
        links: group
            .links
            .iter()
            .filter(|l| members.contains(l.account_a.as_str()) || members.contains(l.account_b.as_str()))
            .cloned()
            .collect(),
        overlap_start,
        overlap_end,
        flop_low: sum.flop_low,
        flop_mid: sum.flop_mid,
        flop_high: sum.flop_high,
        figures: accounts
            .iter()
            .map(|a| AccountFigures {
                account: (*a).to_owned(),
                flop_low: totals[a].0.flop_low,
                flop_mid: totals[a].0.flop_mid,
                flop_high: totals[a].0.flop_high,
                records: totals[a].1,
            })
            .collect(),
        thresholds_crossed: crossed,
        synchronized_starts: synchronized_starts(&accounts, &pieces, options.start_tolerance),
        matching_shapes: matching_shapes(&accounts, &pieces, options.shape_tolerance),
    })
}

/// Among the instants where a piece starts, the one where two or more accounts run at once and
/// their window totals (high) are largest; for each such account, the piece running then.
fn busiest_instant<'r>(
    pieces: &[Piece<'r>],
    totals: &BTreeMap<&str, (Totals, usize)>,
) -> Option<BTreeMap<&'r str, Piece<'r>>> {
    let mut best: Option<(f64, BTreeMap<&'r str, Piece<'r>>)> = None;
    let instants: BTreeSet<Timestamp> = pieces.iter().map(|p| p.start).collect();
    for t in instants {
        let mut running: BTreeMap<&'r str, Piece<'r>> = BTreeMap::new();
        for p in pieces.iter().filter(|p| p.start <= t && t < p.end) {
            // For an account with several pieces running, keep the one ending last.
            let slot = running.entry(p.metered.record.account.as_str()).or_insert(*p);
            if p.end > slot.end {
                *slot = *p;
            }
        }
        if running.len() < 2 {
            continue;
        }
        let weight: f64 = running.keys().map(|a| totals.get(a).map_or(0.0, |t| t.0.flop_high)).sum();
        if best.as_ref().is_none_or(|(w, _)| weight > *w) {
            best = Some((weight, running));
        }
    }
    best.map(|(_, running)| running)
}

fn synchronized_starts(accounts: &[&str], pieces: &[Piece<'_>], tolerance: SignedDuration) -> Vec<SynchronizedStart> {
    let limit = tolerance.as_secs_f64().abs();
    let starts = |account: &str| -> Vec<Timestamp> {
        let mut s: Vec<Timestamp> =
            pieces.iter().filter(|p| p.metered.record.account == account).map(|p| p.metered.record.start).collect();
        s.sort();
        s
    };
    let mut out = Vec::new();
    for (i, a) in accounts.iter().enumerate() {
        for b in &accounts[i + 1..] {
            let (sa, sb) = (starts(a), starts(b));
            // The closest pair of starts, by a merge walk over both sorted lists.
            let (mut x, mut y) = (0, 0);
            let mut closest: Option<(f64, Timestamp, Timestamp)> = None;
            while x < sa.len() && y < sb.len() {
                let gap = seconds_between(sa[x], sb[y]).abs();
                if closest.is_none_or(|c| gap < c.0) {
                    closest = Some((gap, sa[x], sb[y]));
                }
                if sa[x] < sb[y] { x += 1 } else { y += 1 }
            }
            if let Some((gap, start_a, start_b)) = closest.filter(|c| c.0 <= limit) {
                out.push(SynchronizedStart {
                    account_a: (*a).to_owned(),
                    account_b: (*b).to_owned(),
                    start_a,
                    start_b,
                    seconds_apart: gap,
                });
            }
        }
    }
    out
}

fn matching_shapes(accounts: &[&str], pieces: &[Piece<'_>], tolerance: f64) -> Vec<MatchingShape> {
    // Each account's largest record by chip-hours stands for its shape.
    let largest = |account: &str| {
        pieces
            .iter()
            .filter(|p| p.metered.record.account == account)
            .map(|p| &p.metered.record)
            .max_by(|x, y| x.chip_hours().total_cmp(&y.chip_hours()))
    };
    let close = |x: f64, y: f64| (x - y).abs() <= tolerance * x.max(y);
    let mut out = Vec::new();
    for (i, a) in accounts.iter().enumerate() {
        for b in &accounts[i + 1..] {
            let (Some(ra), Some(rb)) = (largest(a), largest(b)) else { continue };
            let (ha, hb) = (ra.duration_seconds() / 3600.0, rb.duration_seconds() / 3600.0);
            if close(ra.chips, rb.chips) && close(ha, hb) {
                out.push(MatchingShape {
                    account_a: (*a).to_owned(),
                    account_b: (*b).to_owned(),
                    chips_a: ra.chips,
                    chips_b: rb.chips,
                    hours_a: ha,
                    hours_b: hb,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::tests::{metered, ts};
    use crate::aggregate::{DEFAULT_WINDOW_DAYS, report};
    use crate::links::{LinkReason, groups};
    use crate::thresholds::Basis;

    fn setup(b_start: &str, b_end: &str) -> Vec<MeteredRecord> {
        vec![
            metered("a1", "acme-1", "2024-05-01T00:00:00Z", "2024-05-21T00:00:00Z", 4096.0, 6e25),
            metered("b1", "acme-2", b_start, b_end, 4096.0, 6e25),
        ]
    }

    fn run(records: &[MeteredRecord], linked: bool) -> crate::aggregate::Report {
        let thresholds = Thresholds::bundled().expect("thresholds");
        // As of a date when EO 14110's 1e26 was in force.
        let window = Window::ending(ts("2024-06-01T00:00:00Z"), DEFAULT_WINDOW_DAYS).expect("window");
        let links = if linked {
            vec![Link {
                account_a: "acme-1".into(),
                account_b: "acme-2".into(),
                reason: LinkReason::SameBeneficialOwner,
                evidence: "both list J. Doe as 100% owner".into(),
            }]
        } else {
            Vec::new()
        };
        report(records, &groups(&links), &thresholds, &window, &SplitOptions::default())
    }

    #[test]
    fn linked_overlapping_accounts_split_a_run_over_1e26() {
        let records = setup("2024-05-01T00:05:00Z", "2024-05-21T00:05:00Z");
        let r = run(&records, true);
        assert!(r.accounts.iter().all(|a| a.thresholds_crossed.iter().all(|c| c.threshold != "eo14110-general")));
        let group = &r.groups[0];
        assert_eq!(group.flop_high, 1.2e26);
        let split = group.split_run.as_ref().expect("split run");
        assert_eq!(split.accounts, ["acme-1", "acme-2"]);
        assert_eq!(split.links[0].reason, LinkReason::SameBeneficialOwner);
        let crossed: Vec<(&str, Basis, bool)> =
            split.thresholds_crossed.iter().map(|c| (c.threshold.as_str(), c.basis, c.in_force)).collect();
        // 1e23 and 1e25 are crossed by each account alone, so only 1e26 makes a split run.
        assert_eq!(crossed, [("eo14110-general", Basis::High, true), ("eo14110-general", Basis::Low, true)]);
        assert_eq!(split.overlap_start, ts("2024-05-01T00:05:00Z"));
        assert_eq!(split.overlap_end, ts("2024-05-21T00:00:00Z"));
        assert_eq!(split.figures[1].flop_mid, 6e25);
        assert_eq!(split.synchronized_starts.len(), 1);
        assert_eq!(split.synchronized_starts[0].seconds_apart, 300.0);
        assert_eq!(split.matching_shapes.len(), 1);
    }

    #[test]
    fn unlinked_accounts_make_no_split_run() {
        let records = setup("2024-05-01T00:05:00Z", "2024-05-21T00:05:00Z");
        assert!(run(&records, false).groups.is_empty());
    }

    #[test]
    fn linked_accounts_that_never_overlap_make_no_split_run() {
        let records = setup("2024-05-22T00:00:00Z", "2024-05-30T00:00:00Z");
        let r = run(&records, true);
        assert_eq!(r.groups[0].flop_high, 1.2e26, "the group still sums both");
        assert!(r.groups[0].split_run.is_none());
    }

    #[test]
    fn late_starts_and_different_shapes_are_not_claimed_as_evidence() {
        let mut records = setup("2024-05-03T00:00:00Z", "2024-05-05T00:00:00Z");
        records[1].record.chips = 512.0;
        let split = run(&records, true).groups[0].split_run.clone().expect("split run");
        assert!(split.synchronized_starts.is_empty());
        assert!(split.matching_shapes.is_empty());
    }
}
