//! Metering over the store: usage records as the store keeps them, every link between accounts
//! (explicit and KYC-derived), and the report over a window.

use chipwarden_core::{Catalog, Chip, Precision};
use chipwarden_meter::{AccountSlot, Link, Report, UsageRecord, Window};
use chipwarden_store::{CodedUsage, Store, StoredLink, UsageBatch, UsageNames, UsageRow};

use crate::{ServiceError, ServiceResult};

/// Usage records are committed in batches of this many; each batch is one transaction, and a
/// re-run after a crash counts every record once because record ids are keys.
pub const BATCH: usize = 50_000;

/// Adds a usage record to a batch for the store (times as nanoseconds since 1970; the meter's
/// parsers refuse times the store cannot hold, so this fails only on a record built elsewhere).
pub fn push(batch: &mut UsageBatch, r: &UsageRecord) -> ServiceResult<()> {
    let nanos = |t| {
        chipwarden_meter::storable_nanos(t)
            .map_err(|why| ServiceError::internal(format!("record `{}`: {why}", r.record_id)))
    };
    batch.push(&UsageRow {
        record_id: &r.record_id,
        account: &r.account,
        chip_model: &r.chip_model,
        chip_id: &r.chip_id,
        chips: r.chips,
        start_ns: nanos(r.start)?,
        end_ns: nanos(r.end)?,
        utilization: r.utilization,
        tensor_active: r.tensor_active,
        run_id: r.run_id.as_deref(),
    });
    Ok(())
}

/// Explicit links and the links customer records imply, together.
pub fn all_links(store: &Store) -> ServiceResult<Vec<Link>> {
    let mut links = Vec::new();
    for l in store.links()? {
        let reason = chipwarden_meter::LinkReason::parse(&l.reason)
            .ok_or_else(|| ServiceError::internal(format!("stored link reason `{}` is unknown", l.reason)))?;
        links.push(Link { account_a: l.account_a, account_b: l.account_b, reason, evidence: l.evidence });
    }
    links.extend(chipwarden_meter::derived_links(&crate::customers::stored(store)?));
    Ok(links)
}

/// Stores explicit links between accounts (one transaction; a link already stored counts once):
/// how many were new. Each link is checked first (both accounts named, not the same account);
/// any bad link refuses them all, the first named as `links[i].field`.
pub fn add_links(store: &mut Store, links: &[Link]) -> ServiceResult<usize> {
    for (i, l) in links.iter().enumerate() {
        let field = if l.account_a.trim().is_empty() {
            Some(("account_a", "is empty".to_owned()))
        } else if l.account_b.trim().is_empty() {
            Some(("account_b", "is empty".to_owned()))
        } else if l.account_a == l.account_b {
            Some(("account_b", format!("`{}` is linked to itself", l.account_b)))
        } else {
            None
        };
        if let Some((field, why)) = field {
            return Err(ServiceError::Invalid(format!("`links[{i}].{field}`: {why}")));
        }
    }
    let stored: Vec<StoredLink> = links
        .iter()
        .map(|l| StoredLink {
            account_a: l.account_a.clone(),
            account_b: l.account_b.clone(),
            reason: l.reason.name().to_owned(),
            evidence: l.evidence.clone(),
        })
        .collect();
    Ok(store.add_links(&stored)?)
}

/// Groups of linked accounts, each with its links and their evidence.
pub fn groups(store: &Store) -> ServiceResult<Vec<chipwarden_meter::Group>> {
    Ok(chipwarden_meter::groups(&all_links(store)?))
}

/// A store file above this many bytes (about 1.5 million usage records) is read in two parts.
const SPLIT_ABOVE: u64 = 64 << 20;

/// Compute per account, group and run over `window`, from every stored usage record that
/// overlaps it, against the bundled thresholds.
///
/// A large store is read in two parts at once (see [`Store::scan_usage_parts`]), each into an
/// aggregator of its own, merged in record id order.
pub fn report(store: &Store, catalog: &Catalog, window: Window) -> ServiceResult<Report> {
    let groups = groups(store)?;
    let thresholds = chipwarden_meter::Thresholds::bundled().map_err(ServiceError::internal)?;
    let parts = store.scan_usage_parts(
        SPLIT_ABOVE,
        |names| {
            let mut scan = Scan {
                aggregator: chipwarden_meter::Aggregator::new(window, &groups),
                catalog,
                names: UsageNames::default(),
                slots: Vec::new(),
                peaks: Vec::new(),
                band: chipwarden_meter::Band::default(),
                line: 0,
            };
            scan.start(names)?;
            Ok::<_, ServiceError>(scan)
        },
        |scan, u| scan.add(u),
    )?;
    let mut parts = parts.into_iter();
    let mut aggregator = chipwarden_meter::Aggregator::new(window, &groups);
    let mut lines = 0;
    if let Some(first) = parts.next() {
        (aggregator, lines) = (first.aggregator, first.line);
    }
    for part in parts {
        aggregator.merge(part.aggregator, lines);
        lines += part.line;
    }
    Ok(aggregator.finish(&groups, &thresholds, &chipwarden_meter::SplitOptions::default()))
}

/// A report's pass over the stored records: accounts and chip models are numbered by the store,
/// so each record costs no name lookup, and each model's chip and peak rate are resolved once.
#[derive(Debug)]
struct Scan<'c> {
    aggregator: chipwarden_meter::Aggregator,
    catalog: &'c Catalog,
    names: UsageNames,
    /// The aggregator's number of each stored account.
    slots: Vec<AccountSlot>,
    /// Each stored model's peak rate, once a record in the window needed it.
    peaks: Vec<Option<(f64, Precision)>>,
    band: chipwarden_meter::Band,
    /// Records read so far (the `source_line` of a kept record).
    line: u64,
}

impl Scan<'_> {
    fn start(&mut self, names: UsageNames) -> ServiceResult<()> {
        self.slots = names.accounts.iter().map(|a| self.aggregator.account(a)).collect();
        self.peaks = vec![None; names.models.len()];
        self.names = names;
        Ok(())
    }

    fn add(&mut self, u: &CodedUsage<'_>) -> ServiceResult<()> {
        self.line += 1;
        let (start, end) = (chipwarden_meter::from_nanos(u.start_ns), chipwarden_meter::from_nanos(u.end_ns));
        if !self.aggregator.overlaps(start, end) {
            return Ok(());
        }
        let peak = match self.peaks[u.model] {
            Some(peak) => peak,
            None => {
                let chip: &Chip =
                    self.catalog.lookup(&self.names.models[u.model].chip_id).map_err(ServiceError::internal)?;
                let peak = chipwarden_meter::peak_rate(chip).map_err(ServiceError::Estimate)?;
                self.peaks[u.model] = Some(peak);
                peak
            }
        };
        let measurement = u.tensor_active.or(u.utilization);
        let chip_hours = chipwarden_meter::chip_hours(u.chips, start, end);
        let estimate = chipwarden_meter::estimate_at(chip_hours, measurement, peak, self.band);
        let (names, line) = (&self.names, self.line);
        self.aggregator.add_parts(self.slots[u.account], (start, end), &estimate, u.run_id, || {
            let model = &names.models[u.model];
            UsageRecord {
                record_id: u.record_id.to_owned(),
                account: names.accounts[u.account].clone(),
                chip_model: model.chip_model.clone(),
                chip_id: model.chip_id.clone(),
                chips: u.chips,
                start,
                end,
                utilization: u.utilization,
                tensor_active: u.tensor_active,
                run_id: u.run_id.map(str::to_owned),
                source_line: line,
            }
        });
        Ok(())
    }
}

/// Stores parsed usage records from `source` in batches of [`BATCH`] (one transaction each):
/// `(inserted, already_counted)`.
pub fn ingest(store: &mut Store, records: &[UsageRecord], source: &str, at: &str) -> ServiceResult<(usize, usize)> {
    let (mut inserted, mut already_counted) = (0, 0);
    for chunk in records.chunks(BATCH) {
        let mut batch = UsageBatch::new();
        for r in chunk {
            push(&mut batch, r)?;
        }
        let done = store.ingest_usage_batch(&batch, source, at)?;
        inserted += done.inserted;
        already_counted += done.already_counted;
    }
    Ok((inserted, already_counted))
}
