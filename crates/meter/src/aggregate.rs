//! Sums of estimated compute per account, per run and per group of linked accounts over a
//! rolling window, with threshold crossings: the report the CLI prints as JSON.
//!
//! A record partly inside the window counts pro rata by time: a record of 10 days of which 4 lie
//! in the window contributes 40% of its low, mid and high figures.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::error::MeterError;
use crate::estimate::Estimate;
use crate::links::{Group, Link};
use crate::record::{UsageRecord, seconds_between};
use crate::split::{SplitOptions, SplitRun, find_split_run};
use crate::thresholds::{Crossing, Thresholds, crossings};

/// The default rolling window, in days.
pub const DEFAULT_WINDOW_DAYS: u32 = 90;

/// A usage record with its estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeteredRecord {
    pub record: UsageRecord,
    pub estimate: Estimate,
}

/// The interval `[start, end)` of `days` days ending at `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub days: u32,
    pub start: Timestamp,
    pub end: Timestamp,
}

impl Window {
    /// The window of `days` days (at least one) ending at `as_of`.
    pub fn ending(as_of: Timestamp, days: u32) -> Result<Window, MeterError> {
        let start = (days > 0)
            .then(|| as_of.checked_sub(SignedDuration::from_hours(24 * i64::from(days))).ok())
            .flatten()
            .ok_or_else(|| MeterError::Parameter {
                parameter: "window",
                message: format!("`{days}` days before `{as_of}` is not a window"),
            })?;
        Ok(Window { days, start, end: as_of })
    }

    /// The share (0..=1) of the record's time that lies inside the window.
    pub fn share(&self, record: &UsageRecord) -> f64 {
        self.share_of(record.start, record.end)
    }

    /// The share (0..=1) of the time from `start` to `end` that lies inside the window.
    pub fn share_of(&self, start: Timestamp, end: Timestamp) -> f64 {
        let duration = seconds_between(start, end);
        if duration <= 0.0 {
            return 0.0;
        }
        let inside = seconds_between(start.max(self.start), end.min(self.end));
        (inside / duration).clamp(0.0, 1.0)
    }

    /// The UTC date of the window's end: the date thresholds are judged in force on.
    pub fn date(&self) -> Date {
        TimeZone::UTC.to_datetime(self.end).date()
    }
}

/// Low, mid and high FLOP.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Totals {
    pub flop_low: f64,
    pub flop_mid: f64,
    pub flop_high: f64,
}

impl Totals {
    pub fn add_share(&mut self, estimate: &Estimate, share: f64) {
        self.flop_low += estimate.flop_low * share;
        self.flop_mid += estimate.flop_mid * share;
        self.flop_high += estimate.flop_high * share;
    }

    pub fn add(&mut self, other: &Totals) {
        self.flop_low += other.flop_low;
        self.flop_mid += other.flop_mid;
        self.flop_high += other.flop_high;
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountReport {
    pub account: String,
    pub flop_low: f64,
    pub flop_mid: f64,
    pub flop_high: f64,
    pub thresholds_crossed: Vec<Crossing>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupReport {
    pub accounts: Vec<String>,
    pub flop_low: f64,
    pub flop_mid: f64,
    pub flop_high: f64,
    pub thresholds_crossed: Vec<Crossing>,
    pub split_run: Option<SplitRun>,
    pub links: Vec<Link>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    pub run_id: String,
    pub accounts: Vec<String>,
    pub flop_low: f64,
    pub flop_mid: f64,
    pub flop_high: f64,
    pub thresholds_crossed: Vec<Crossing>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub window_days: u32,
    pub as_of: Timestamp,
    /// Every account with usage in the window, by name.
    pub accounts: Vec<AccountReport>,
    /// Every group of two or more linked accounts, by first account.
    pub groups: Vec<GroupReport>,
    /// Every run (records carrying a `run_id`) with usage in the window, by run id.
    pub runs: Vec<RunReport>,
}

/// Builds a [`Report`] from records fed one at a time, so that a store of any size can be
/// reported on without holding it in memory: it keeps a sum per account and per run, and the
/// records themselves only for accounts in a linked group (split-run detection needs their
/// times). Records outside the window are dropped on arrival.
///
/// Accounts are numbered as they are first seen ([`Aggregator::account`]); a caller that knows
/// its accounts by number can add records by [`AccountSlot`] ([`Aggregator::add_parts`]) and so
/// look no name up per record.
#[derive(Debug)]
pub struct Aggregator {
    window: Window,
    grouped: HashSet<String>,
    slots: HashMap<String, AccountSlot>,
    accounts: Vec<AccountSum>,
    runs: HashMap<String, (Totals, BTreeSet<String>)>,
    kept: Vec<MeteredRecord>,
}

/// An account as an [`Aggregator`] numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountSlot(usize);

#[derive(Debug)]
struct AccountSum {
    name: String,
    /// `None` until a record with time in the window arrives: only such accounts are reported.
    totals: Option<Totals>,
    grouped: bool,
}

impl Aggregator {
    pub fn new(window: Window, groups: &[Group]) -> Aggregator {
        let grouped = groups.iter().filter(|g| g.accounts.len() > 1).flat_map(|g| g.accounts.iter().cloned()).collect();
        Aggregator {
            window,
            grouped,
            slots: HashMap::new(),
            accounts: Vec::new(),
            runs: HashMap::new(),
            kept: Vec::new(),
        }
    }

    /// Whether a record of `start..end` has any time inside the window: a caller can skip
    /// estimating records that do not.
    pub fn overlaps(&self, start: Timestamp, end: Timestamp) -> bool {
        start < self.window.end && end > self.window.start
    }

    /// The number of `account`, given it now if it has none.
    /// Adds what another aggregator over the same window and groups gathered: a later part of
    /// the same records (a scan in parts). Accounts meet by name and runs by id; its kept records
    /// follow this one's, their `source_line` moved past this part's `lines_before` records.
    pub fn merge(&mut self, other: Aggregator, lines_before: u64) {
        for sum in other.accounts {
            let slot = self.account(&sum.name);
            if let Some(t) = sum.totals {
                self.accounts[slot.0].totals.get_or_insert_with(Totals::default).add(&t);
            }
        }
        for (run, (totals, accounts)) in other.runs {
            let entry = self.runs.entry(run).or_default();
            entry.0.add(&totals);
            entry.1.extend(accounts);
        }
        self.kept.extend(other.kept.into_iter().map(|mut m| {
            m.record.source_line += lines_before;
            m
        }));
    }

    pub fn account(&mut self, account: &str) -> AccountSlot {
        if let Some(&slot) = self.slots.get(account) {
            return slot;
        }
        let slot = AccountSlot(self.accounts.len());
        self.accounts.push(AccountSum {
            name: account.to_owned(),
            totals: None,
            grouped: self.grouped.contains(account),
        });
        self.slots.insert(account.to_owned(), slot);
        slot
    }

    pub fn add(&mut self, m: MeteredRecord) {
        if self.tally(&m) {
            self.kept.push(m);
        }
    }

    /// Adds a record of the account numbered `slot` from its parts: its time, estimate and run.
    /// `record` gives the whole record, and is called only if the record must be kept (its
    /// account is in a linked group and it has time in the window).
    pub fn add_parts(
        &mut self,
        slot: AccountSlot,
        (start, end): (Timestamp, Timestamp),
        estimate: &Estimate,
        run_id: Option<&str>,
        record: impl FnOnce() -> UsageRecord,
    ) {
        if self.tally_parts(slot, start, end, estimate, run_id) {
            self.kept.push(MeteredRecord { record: record(), estimate: *estimate });
        }
    }

    /// Adds the record's share to its account and run; whether the record itself must be kept
    /// (its account is in a linked group).
    fn tally(&mut self, m: &MeteredRecord) -> bool {
        let slot = self.account(&m.record.account);
        self.tally_parts(slot, m.record.start, m.record.end, &m.estimate, m.record.run_id.as_deref())
    }

    fn tally_parts(
        &mut self,
        slot: AccountSlot,
        start: Timestamp,
        end: Timestamp,
        estimate: &Estimate,
        run_id: Option<&str>,
    ) -> bool {
        let share = self.window.share_of(start, end);
        if share <= 0.0 {
            return false;
        }
        let account = &mut self.accounts[slot.0];
        account.totals.get_or_insert_with(Totals::default).add_share(estimate, share);
        if let Some(run) = run_id {
            let entry = match self.runs.get_mut(run) {
                Some(entry) => entry,
                None => self.runs.entry(run.to_owned()).or_default(),
            };
            entry.0.add_share(estimate, share);
            if !entry.1.contains(&account.name) {
                entry.1.insert(account.name.clone());
            }
        }
        account.grouped
    }

    /// As [`Aggregator::add`] for a borrowed record: cloned only if it must be kept.
    pub fn add_ref(&mut self, m: &MeteredRecord) {
        if self.tally(m) {
            self.kept.push(m.clone());
        }
    }

    /// Every account with time in the window and its totals, by name.
    fn totals(accounts: Vec<AccountSum>) -> BTreeMap<String, Totals> {
        accounts.into_iter().filter_map(|a| a.totals.map(|t| (a.name, t))).collect()
    }

    /// The report: accounts, groups with their split runs, runs.
    pub fn finish(self, groups: &[Group], thresholds: &Thresholds, split: &SplitOptions) -> Report {
        let window = self.window;
        let date = window.date();
        let totals = Aggregator::totals(self.accounts);
        let accounts = totals
            .iter()
            .map(|(account, t)| AccountReport {
                account: account.clone(),
                flop_low: t.flop_low,
                flop_mid: t.flop_mid,
                flop_high: t.flop_high,
                thresholds_crossed: crossings(t.flop_low, t.flop_high, thresholds, date),
            })
            .collect();
        let groups = groups
            .iter()
            .filter(|g| g.accounts.len() > 1)
            .map(|group| {
                let mut sum = Totals::default();
                for account in &group.accounts {
                    if let Some(t) = totals.get(account) {
                        sum.add(t);
                    }
                }
                let members: Vec<&MeteredRecord> =
                    self.kept.iter().filter(|m| group.contains(&m.record.account)).collect();
                GroupReport {
                    accounts: group.accounts.clone(),
                    flop_low: sum.flop_low,
                    flop_mid: sum.flop_mid,
                    flop_high: sum.flop_high,
                    thresholds_crossed: crossings(sum.flop_low, sum.flop_high, thresholds, date),
                    split_run: find_split_run(group, &members, thresholds, &window, split),
                    links: group.links.clone(),
                }
            })
            .collect();
        let runs: BTreeMap<String, (Totals, BTreeSet<String>)> = self.runs.into_iter().collect();
        let runs = runs
            .into_iter()
            .map(|(run_id, (t, accounts))| RunReport {
                run_id,
                accounts: accounts.into_iter().collect(),
                flop_low: t.flop_low,
                flop_mid: t.flop_mid,
                flop_high: t.flop_high,
                thresholds_crossed: crossings(t.flop_low, t.flop_high, thresholds, date),
            })
            .collect();
        Report { window_days: window.days, as_of: window.end, accounts, groups, runs }
    }
}

/// Per-account totals over the window.
pub fn account_totals(records: &[MeteredRecord], window: &Window) -> BTreeMap<String, Totals> {
    let mut aggregator = Aggregator::new(*window, &[]);
    for m in records {
        aggregator.tally(m);
    }
    Aggregator::totals(aggregator.accounts)
}

/// The report over `window`: accounts, groups of linked accounts and split runs in them, runs.
pub fn report(
    records: &[MeteredRecord],
    groups: &[Group],
    thresholds: &Thresholds,
    window: &Window,
    split: &SplitOptions,
) -> Report {
    let mut aggregator = Aggregator::new(*window, groups);
    for m in records {
        aggregator.add_ref(m);
    }
    aggregator.finish(groups, thresholds, split)
}

/// Per-run totals over the window, for records that carry a `run_id`, by run id.
pub fn run_reports(records: &[MeteredRecord], thresholds: &Thresholds, window: &Window) -> Vec<RunReport> {
    report(records, &[], thresholds, window, &SplitOptions::default()).runs
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::thresholds::Basis;
    use chipwarden_core::Precision;

    pub(crate) fn ts(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    /// A record whose estimate is `flop` at low, mid and high alike, to test sums exactly.
    pub(crate) fn metered(id: &str, account: &str, start: &str, end: &str, chips: f64, flop: f64) -> MeteredRecord {
        let record = UsageRecord {
            record_id: id.into(),
            account: account.into(),
            chip_model: "H100".into(),
            chip_id: "nvidia-h100-sxm5-80gb".into(),
            chips,
            start: ts(start),
            end: ts(end),
            utilization: None,
            tensor_active: None,
            run_id: None,
            source_line: 2,
        };
        let estimate = Estimate {
            flop_low: flop,
            flop_mid: flop,
            flop_high: flop,
            chip_hours: record.chip_hours(),
            peak_flops: 989.4e12,
            precision: Precision::Bf16,
            band: (0.3, 0.5),
            measured: false,
        };
        MeteredRecord { record, estimate }
    }

    #[test]
    fn two_parts_merged_report_what_one_pass_reports() {
        let thresholds = Thresholds::bundled().expect("thresholds");
        let window = Window::ending(ts("2024-06-01T00:00:00Z"), DEFAULT_WINDOW_DAYS).expect("window");
        let mut records = vec![
            metered("r1", "a", "2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z", 8.0, 2e25),
            metered("r2", "b", "2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z", 8.0, 6e24),
            metered("r3", "c", "2024-05-10T00:00:00Z", "2024-05-11T00:00:00Z", 8.0, 1e22),
            metered("r4", "a", "2024-05-20T00:00:00Z", "2024-05-21T00:00:00Z", 8.0, 3e24),
            metered("r5", "d", "2024-05-20T00:00:00Z", "2024-05-21T00:00:00Z", 8.0, 1e23),
        ];
        records[0].record.run_id = Some("run-7".into());
        records[3].record.run_id = Some("run-7".into());
        records[4].record.run_id = Some("run-7".into());
        for (i, m) in records.iter_mut().enumerate() {
            m.record.source_line = i as u64 + 1;
        }
        let links = [Link {
            account_a: "a".into(),
            account_b: "b".into(),
            reason: crate::links::LinkReason::PaymentInstrument,
            evidence: "card ending 4242".into(),
        }];
        let groups = crate::links::groups(&links);
        let mut whole = Aggregator::new(window, &groups);
        for m in &records {
            whole.add(m.clone());
        }
        let (mut first, mut second) = (Aggregator::new(window, &groups), Aggregator::new(window, &groups));
        for m in &records[..2] {
            first.add(m.clone());
        }
        // The second part numbers its records from 1 again, as a scan of its own does.
        for m in &records[2..] {
            let mut m = m.clone();
            m.record.source_line -= 2;
            second.add(m);
        }
        first.merge(second, 2);
        assert_eq!(
            first.finish(&groups, &thresholds, &SplitOptions::default()),
            whole.finish(&groups, &thresholds, &SplitOptions::default())
        );
    }

    #[test]
    fn records_partly_in_the_window_count_pro_rata() {
        let window = Window::ending(ts("2024-04-01T00:00:00Z"), 10).expect("window");
        assert_eq!(window.start, ts("2024-03-22T00:00:00Z"));
        let records = [
            // 10 days, 4 of them in the window.
            metered("r1", "a", "2024-03-16T00:00:00Z", "2024-03-26T00:00:00Z", 8.0, 1e20),
            // Wholly inside.
            metered("r2", "a", "2024-03-30T00:00:00Z", "2024-03-31T00:00:00Z", 8.0, 1e20),
            // Wholly before the window.
            metered("r3", "b", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", 8.0, 1e20),
        ];
        let totals = account_totals(&records, &window);
        assert!((totals["a"].flop_mid - 1.4e20).abs() < 1e8, "{:?}", totals["a"]);
        assert!(!totals.contains_key("b"));
    }

    #[test]
    fn report_sums_per_account_and_group_and_run() {
        let thresholds = Thresholds::bundled().expect("thresholds");
        let window = Window::ending(ts("2024-06-01T00:00:00Z"), DEFAULT_WINDOW_DAYS).expect("window");
        let mut records = vec![
            metered("r1", "a", "2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z", 8.0, 2e25),
            metered("r2", "b", "2024-05-10T00:00:00Z", "2024-05-11T00:00:00Z", 8.0, 5e24),
            metered("r3", "c", "2024-05-10T00:00:00Z", "2024-05-11T00:00:00Z", 8.0, 1e22),
        ];
        records[0].record.run_id = Some("run-7".into());
        records[1].record.run_id = Some("run-7".into());
        records[0].estimate.flop_low = 5e24;
        let links = [Link {
            account_a: "a".into(),
            account_b: "b".into(),
            reason: crate::links::LinkReason::PaymentInstrument,
            evidence: "card ending 4242".into(),
        }];
        let r = report(&records, &crate::links::groups(&links), &thresholds, &window, &SplitOptions::default());
        assert_eq!(r.window_days, 90);
        assert_eq!(r.accounts.len(), 3);
        let a = &r.accounts[0];
        let eu: Vec<Basis> =
            a.thresholds_crossed.iter().filter(|c| c.threshold == "eu-ai-act-art51").map(|c| c.basis).collect();
        assert_eq!(eu, [Basis::High], "only the high estimate of `a` crosses 1e25");
        assert_eq!(r.groups.len(), 1);
        assert_eq!(r.groups[0].accounts, ["a", "b"]);
        assert!((r.groups[0].flop_high - 2.5e25).abs() < 1e12);
        assert_eq!(r.groups[0].links[0].evidence, "card ending 4242");
        let json = serde_json::to_value(&r).expect("json");
        for key in ["window_days", "as_of", "accounts", "groups"] {
            assert!(json.get(key).is_some(), "{key}");
        }
        for key in ["accounts", "flop_low", "flop_mid", "flop_high", "thresholds_crossed", "split_run", "links"] {
            assert!(json["groups"][0].get(key).is_some(), "{key}");
        }
        let runs = run_reports(&records, &thresholds, &window);
        assert_eq!(r.runs, runs, "the report carries the runs");
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].accounts, ["a", "b"]);
        assert!((runs[0].flop_high - 2.5e25).abs() < 1e12);
    }

    #[test]
    fn a_window_of_zero_days_is_refused() {
        assert!(Window::ending(ts("2024-06-01T00:00:00Z"), 0).is_err());
    }
}
