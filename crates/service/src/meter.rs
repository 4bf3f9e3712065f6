//! Metering over the store: usage records as the store keeps them, every link between accounts
//! (explicit and KYC-derived), and the report over a window.

use std::collections::HashMap;

use chipwarden_core::{Catalog, Chip};
use chipwarden_meter::{Link, Report, UsageRecord, Window};
use chipwarden_store::{Store, StoredLink, StoredUsage};

use crate::{ServiceError, ServiceResult};

/// Usage records are committed in batches of this many; each batch is one transaction, and a
/// re-run after a crash counts every record once because record ids are keys.
pub const BATCH: usize = 50_000;

/// A usage record as the store keeps it (times as nanoseconds since 1970; the meter's parsers
/// refuse times the store cannot hold, so this fails only on a record built elsewhere).
pub fn stored(r: &UsageRecord) -> ServiceResult<StoredUsage> {
    let nanos = |t| {
        chipwarden_meter::storable_nanos(t)
            .map_err(|why| ServiceError::internal(format!("record `{}`: {why}", r.record_id)))
    };
    Ok(StoredUsage {
        record_id: r.record_id.clone(),
        account: r.account.clone(),
        chip_model: r.chip_model.clone(),
        chip_id: r.chip_id.clone(),
        chips: r.chips,
        start_ns: nanos(r.start)?,
        end_ns: nanos(r.end)?,
        utilization: r.utilization,
        tensor_active: r.tensor_active,
        run_id: r.run_id.clone(),
    })
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

/// Compute per account, group and run over `window`, from every stored usage record that
/// overlaps it, against the bundled thresholds.
pub fn report(store: &Store, catalog: &Catalog, window: Window) -> ServiceResult<Report> {
    let groups = groups(store)?;
    let mut aggregator = chipwarden_meter::Aggregator::new(window, &groups);
    // A few chip models serve millions of records: resolve each id once.
    let mut chips: HashMap<String, &Chip> = HashMap::new();
    let band = chipwarden_meter::Band::default();
    let mut line = 0u64;
    store.for_each_usage(|u| -> ServiceResult<()> {
        line += 1;
        let (start, end) = (chipwarden_meter::from_nanos(u.start_ns), chipwarden_meter::from_nanos(u.end_ns));
        if !aggregator.overlaps(start, end) {
            return Ok(());
        }
        let chip = match chips.get(u.chip_id) {
            Some(chip) => *chip,
            None => {
                let chip = catalog.lookup(u.chip_id).map_err(ServiceError::internal)?;
                chips.insert(u.chip_id.to_owned(), chip);
                chip
            }
        };
        let record = UsageRecord {
            record_id: u.record_id.to_owned(),
            account: u.account.to_owned(),
            chip_model: u.chip_model.to_owned(),
            chip_id: u.chip_id.to_owned(),
            chips: u.chips,
            start,
            end,
            utilization: u.utilization,
            tensor_active: u.tensor_active,
            run_id: u.run_id.map(str::to_owned),
            source_line: line,
        };
        let estimate = chipwarden_meter::estimate(&record, chip, band).map_err(ServiceError::Estimate)?;
        aggregator.add(chipwarden_meter::MeteredRecord { record, estimate });
        Ok(())
    })?;
    let thresholds = chipwarden_meter::Thresholds::bundled().map_err(ServiceError::internal)?;
    Ok(aggregator.finish(&groups, &thresholds, &chipwarden_meter::SplitOptions::default()))
}

/// Stores parsed usage records from `source` in batches of [`BATCH`] (one transaction each):
/// `(inserted, already_counted)`.
pub fn ingest(store: &mut Store, records: &[UsageRecord], source: &str, at: &str) -> ServiceResult<(usize, usize)> {
    let (mut inserted, mut already_counted) = (0, 0);
    for chunk in records.chunks(BATCH) {
        let batch = chunk.iter().map(stored).collect::<ServiceResult<Vec<_>>>()?;
        let done = store.ingest_usage(&batch, source, at)?;
        inserted += done.inserted;
        already_counted += done.already_counted;
    }
    Ok((inserted, already_counted))
}
