//! The chip registry: where the chips of the custody ledger are now, who holds them, how many
//! are in each country, and the gaps in their custody, read from the stored log replayed
//! through the custody state machine (the questions of `ledger chips` and `ledger gaps`).

use std::collections::BTreeMap;

use chipwarden_ledger::{ChipStatus, GapKind, format_time};
use chipwarden_store::Store;
use serde::Serialize;
use serde_json::{Value, json};

use crate::ServiceResult;

/// One chip as the ledger has it now.
#[derive(Debug, Clone, Serialize)]
pub struct ChipView {
    pub serial: String,
    pub model: String,
    pub manufacturer: Option<String>,
    pub holder: String,
    /// Where the chip is now: none while in transit, lost or destroyed.
    pub country: Option<String>,
    /// `held`, `in_transit`, `installed`, `decommissioned`, `lost` or `destroyed`.
    pub status: &'static str,
    /// The status in words (`installed at `Site` in MY`).
    pub status_text: String,
    /// Whether the chip was registered with its own attestation key.
    pub device_key: bool,
    pub events: usize,
    pub last_event: String,
}

/// A count of chips under one name (a holder or a country).
#[derive(Debug, Clone, Serialize)]
pub struct Count {
    pub name: String,
    pub chips: usize,
}

/// A gap in custody, with the fields of `ledger gaps --json` and the gap in words.
#[derive(Debug, Clone, Serialize)]
pub struct GapView {
    pub serial: String,
    pub holder: String,
    /// `in_transit`, `reported_lost` or `location_mismatch`.
    pub gap: &'static str,
    pub text: String,
    pub detail: Value,
}

/// The registry: every chip, the counts by current holder and by country, the gaps.
#[derive(Debug, Clone, Serialize)]
pub struct Registry {
    /// Entries in the log, audit entries included.
    pub ledger_size: u64,
    pub chips: Vec<ChipView>,
    /// Chips by the holder on record, destroyed chips left out; most first.
    pub holders: Vec<Count>,
    /// Chips by the country they are in now (chips in transit, lost or destroyed have none);
    /// most first.
    pub countries: Vec<Count>,
    pub gaps: Vec<GapView>,
}

fn status_name(status: &ChipStatus) -> &'static str {
    match status {
        ChipStatus::Held => "held",
        ChipStatus::InTransit { .. } => "in_transit",
        ChipStatus::Installed { .. } => "installed",
        ChipStatus::Decommissioned { .. } => "decommissioned",
        ChipStatus::Lost { .. } => "lost",
        ChipStatus::Destroyed { .. } => "destroyed",
    }
}

fn counts(map: BTreeMap<String, usize>) -> Vec<Count> {
    let mut out: Vec<Count> = map.into_iter().map(|(name, chips)| Count { name, chips }).collect();
    out.sort_by(|a, b| b.chips.cmp(&a.chips).then_with(|| a.name.cmp(&b.name)));
    out
}

/// A gap as the CLI and the dashboard show it: its kind, the gap in words and its details.
pub fn gap_view(gap: &chipwarden_ledger::Gap) -> GapView {
    let (kind, text, detail) = match &gap.kind {
        GapKind::InTransit { from, to, destination, since } => (
            "in_transit",
            format!("shipped by `{from}` to `{to}` in {destination} at {since}, never received"),
            json!({ "from": from, "to": to, "destination": destination.to_string(), "since": since.to_string() }),
        ),
        GapKind::ReportedLost { since, reported_by, last_country } => (
            "reported_lost",
            format!(
                "reported lost by `{reported_by}` at {since}; last known in {}",
                last_country.map_or("an unknown country".to_owned(), |c| c.to_string())
            ),
            json!({ "since": since.to_string(), "reported_by": reported_by, "last_country": last_country.map(|c| c.to_string()) }),
        ),
        GapKind::LocationMismatch { recorded_country, possible_countries, measured_at } => {
            let possible: Vec<String> = possible_countries.iter().map(ToString::to_string).collect();
            (
                "location_mismatch",
                format!(
                    "recorded in {recorded_country}, but a check at {measured_at} places it in {}",
                    possible.join(", ")
                ),
                json!({ "recorded_country": recorded_country.to_string(), "possible_countries": possible, "measured_at": measured_at.to_string() }),
            )
        }
    };
    GapView { serial: gap.serial.clone(), holder: gap.holder.clone(), gap: kind, text, detail }
}

/// The registry of the stored log.
pub fn registry(store: &Store) -> ServiceResult<Registry> {
    let replayed = crate::ledger::replay(store)?;
    let custody = &replayed.custody;
    let mut holders: BTreeMap<String, usize> = BTreeMap::new();
    let mut countries: BTreeMap<String, usize> = BTreeMap::new();
    let mut chips = Vec::new();
    for chip in custody.chips() {
        let country = chip.current_country().map(|c| c.to_string());
        if !matches!(chip.status, ChipStatus::Destroyed { .. }) {
            *holders.entry(chip.holder.clone()).or_default() += 1;
        }
        if let Some(country) = &country {
            *countries.entry(country.clone()).or_default() += 1;
        }
        chips.push(ChipView {
            serial: chip.serial.clone(),
            model: chip.model.clone(),
            manufacturer: chip.manufacturer.clone(),
            holder: chip.holder.clone(),
            country,
            status: status_name(&chip.status),
            status_text: chip.status.to_string(),
            device_key: chip.device_public_key.is_some(),
            events: chip.history.len(),
            last_event: format_time(chip.last_time()),
        });
    }
    Ok(Registry {
        ledger_size: replayed.size,
        chips,
        holders: counts(holders),
        countries: counts(countries),
        gaps: custody.gaps().iter().map(gap_view).collect(),
    })
}
