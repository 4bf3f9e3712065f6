//! The custody state machine: each chip's holder, place and status, built by feeding events in
//! log order, refusing any event that would make a chip's history impossible, and showing the
//! gaps (shipments never received, chips reported lost, locations that contradict the record).
//!
//! The rules, per chip:
//! - a history starts with exactly one `registered` event; any other event for an unknown chip
//!   is refused, as is a second registration;
//! - events come in time order (equal times are allowed), and nothing follows `destroyed`;
//! - `shipped` and `transferred` must name the current holder as `from`; `received` must be by
//!   the consignee of a shipment in transit, and moves the chip to the shipment's destination;
//! - nothing but `received`, `location_verified`, `reported_lost` and `destroyed` happens to a
//!   chip in transit (installed before received is refused);
//! - `installed` must be in the country the chip is known to be in;
//! - after `reported_lost` only `location_verified` and `destroyed` are accepted (recovering a
//!   lost chip needs an event type of its own, not yet defined).

use std::collections::BTreeMap;
use std::fmt;

use chipwarden_core::country::CountryCode;
use jiff::Timestamp;

use crate::error::LedgerError;
use crate::event::{CustodyEvent, EventKind};
use crate::signature::{PublicKey, SignedEvent};

/// Where a chip stands in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChipStatus {
    /// With its holder, not in service (just registered, received, or taken out of a site).
    Held,
    /// Shipped and not yet received. The shipper stays the holder until the consignee receives it.
    InTransit {
        from: String,
        to: String,
        destination: CountryCode,
        export_license: Option<String>,
        since: Timestamp,
    },
    Installed {
        site: String,
        country: CountryCode,
        cluster: Option<String>,
        since: Timestamp,
    },
    Decommissioned {
        since: Timestamp,
    },
    Lost {
        since: Timestamp,
        reported_by: String,
    },
    Destroyed {
        at: Timestamp,
    },
}

impl fmt::Display for ChipStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChipStatus::Held => f.write_str("held, not installed"),
            ChipStatus::InTransit { to, destination, since, .. } => {
                write!(f, "in transit to `{to}` in {destination} since {since}")
            }
            ChipStatus::Installed { site, country, .. } => write!(f, "installed at `{site}` in {country}"),
            ChipStatus::Decommissioned { since } => write!(f, "decommissioned since {since}"),
            ChipStatus::Lost { since, .. } => write!(f, "reported lost since {since}"),
            ChipStatus::Destroyed { at } => write!(f, "destroyed at {at}"),
        }
    }
}

/// The latest location check of a chip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationCheck {
    pub verifier: String,
    pub region: String,
    pub possible_countries: Vec<CountryCode>,
    pub measured_at: Timestamp,
}

/// Everything known about one chip, and the events it was built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChipRecord {
    pub serial: String,
    pub model: String,
    pub manufacturer: Option<String>,
    pub device_public_key: Option<PublicKey>,
    pub registered_at: Timestamp,
    /// Who has custody: the registrant, then each consignee or transferee in turn.
    pub holder: String,
    /// The last country the chip was known to be in (None until a registration, receipt or
    /// installation names one). See [`ChipRecord::current_country`] for where it is now.
    pub country: Option<CountryCode>,
    pub status: ChipStatus,
    pub last_check: Option<LocationCheck>,
    /// When the chip last arrived where it is (registration, receipt or installation): a
    /// location check before that says nothing about the present place.
    pub settled_at: Timestamp,
    /// The chip's events in the order they were applied.
    pub history: Vec<CustodyEvent>,
}

impl ChipRecord {
    /// The country the chip is in now, if known: none while in transit, lost or destroyed.
    pub fn current_country(&self) -> Option<CountryCode> {
        match self.status {
            ChipStatus::InTransit { .. } | ChipStatus::Lost { .. } | ChipStatus::Destroyed { .. } => None,
            _ => self.country,
        }
    }

    /// The time of the chip's last event.
    pub fn last_time(&self) -> Timestamp {
        self.history.last().map_or(self.registered_at, |event| event.time)
    }
}

/// Why an event was refused (shown after the chip's serial: "chip `SN1`: ...").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("`{kind}` event for a chip that is not registered (a history starts with `registered`)")]
    Unregistered { kind: &'static str },
    #[error("registered a second time (first registered at {registered_at})")]
    AlreadyRegistered { registered_at: Timestamp },
    #[error("`{kind}` event at {time} is earlier than the chip's last event at {last}")]
    TimeWentBackwards { kind: &'static str, time: Timestamp, last: Timestamp },
    #[error("`{kind}` event after the chip was destroyed at {at}")]
    AfterDestroyed { kind: &'static str, at: Timestamp },
    #[error("`{kind}` event names `{claimed}` as the holder, but the chip is held by `{holder}`")]
    NotHolder { kind: &'static str, claimed: String, holder: String },
    #[error("received by `{holder}`, but the shipment is consigned to `{consignee}`")]
    NotConsignee { holder: String, consignee: String },
    #[error(
        "`{kind}` event while the chip is in transit to `{to}` in {destination} (shipped at {since}, not received)"
    )]
    InTransit { kind: &'static str, to: String, destination: CountryCode, since: Timestamp },
    #[error("received, but the chip was never shipped (it is {status})")]
    NotShipped { status: String },
    #[error("installed in {installed_in}, but the chip is in {located_in} and no shipment moved it")]
    WrongCountry { installed_in: CountryCode, located_in: CountryCode },
    #[error("transferred from `{holder}` to `{holder}`: the holder does not change")]
    SameHolder { holder: String },
    #[error("`{kind}` event while the chip is {status}")]
    NotAllowed { kind: &'static str, status: String },
}

/// A gap in a chip's custody, for the "where are the chips" question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub serial: String,
    /// The holder on record (for a shipment in transit: the shipper).
    pub holder: String,
    pub kind: GapKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GapKind {
    /// Shipped at `since` and never received.
    InTransit { from: String, to: String, destination: CountryCode, since: Timestamp },
    /// Reported lost at `since`; `last_country` is the last place it was known to be.
    ReportedLost { since: Timestamp, reported_by: String, last_country: Option<CountryCode> },
    /// The latest location check, made after the chip arrived where the record puts it, rules
    /// that country out.
    LocationMismatch { recorded_country: CountryCode, possible_countries: Vec<CountryCode>, measured_at: Timestamp },
}

/// The custody state of every chip in a log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Custody {
    chips: BTreeMap<String, ChipRecord>,
}

impl Custody {
    pub fn new() -> Custody {
        Custody::default()
    }

    /// Builds the state from events in log order, stopping at the first one refused (returned
    /// with its position in `events`).
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a CustodyEvent>) -> Result<Custody, (usize, LedgerError)> {
        let mut custody = Custody::new();
        for (position, event) in events.into_iter().enumerate() {
            custody.apply(event).map_err(|error| (position, error))?;
        }
        Ok(custody)
    }

    /// Whether `event` would be accepted now, without applying it.
    pub fn check(&self, event: &CustodyEvent) -> Result<(), LedgerError> {
        validate(self.chips.get(&event.serial), event)
            .map_err(|reason| LedgerError::Custody { serial: event.serial.clone(), reason })
    }

    /// Applies one event, or refuses it and changes nothing.
    pub fn apply(&mut self, event: &CustodyEvent) -> Result<(), LedgerError> {
        self.check(event)?;
        match self.chips.get_mut(&event.serial) {
            Some(record) => update(record, event),
            None => {
                if let Some(record) = register(event) {
                    self.chips.insert(event.serial.clone(), record);
                }
            }
        }
        Ok(())
    }

    /// Checks the event's signature, then applies it.
    pub fn apply_signed(&mut self, signed: &SignedEvent) -> Result<(), LedgerError> {
        signed.verify()?;
        self.apply(&signed.event)
    }

    /// Applies a batch all or nothing: if any event is refused (returned with its position in
    /// `events`), the state is as it was before the batch.
    pub fn apply_batch(&mut self, events: &[CustodyEvent]) -> Result<(), (usize, LedgerError)> {
        // Only the chips the batch touches are saved, so a batch costs what it touches.
        let mut saved: BTreeMap<String, Option<ChipRecord>> = BTreeMap::new();
        for (position, event) in events.iter().enumerate() {
            if !saved.contains_key(&event.serial) {
                saved.insert(event.serial.clone(), self.chips.get(&event.serial).cloned());
            }
            if let Err(error) = self.apply(event) {
                for (serial, record) in saved {
                    match record {
                        Some(record) => self.chips.insert(serial, record),
                        None => self.chips.remove(&serial),
                    };
                }
                return Err((position, error));
            }
        }
        Ok(())
    }

    pub fn chip(&self, serial: &str) -> Option<&ChipRecord> {
        self.chips.get(serial)
    }

    /// A chip's events in order, or `None` for a chip never registered.
    pub fn history(&self, serial: &str) -> Option<&[CustodyEvent]> {
        self.chips.get(serial).map(|record| record.history.as_slice())
    }

    /// Every chip, by serial.
    pub fn chips(&self) -> impl Iterator<Item = &ChipRecord> {
        self.chips.values()
    }

    pub fn len(&self) -> usize {
        self.chips.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chips.is_empty()
    }

    /// Chips whose holder on record is `holder`, destroyed chips left out.
    pub fn held_by<'a>(&'a self, holder: &'a str) -> impl Iterator<Item = &'a ChipRecord> + 'a {
        self.chips
            .values()
            .filter(move |record| record.holder == holder && !matches!(record.status, ChipStatus::Destroyed { .. }))
    }

    /// Chips that are in `country` now (see [`ChipRecord::current_country`]).
    pub fn in_country(&self, country: CountryCode) -> impl Iterator<Item = &ChipRecord> + '_ {
        self.chips.values().filter(move |record| record.current_country() == Some(country))
    }

    /// Every gap in custody, by serial.
    pub fn gaps(&self) -> Vec<Gap> {
        self.chips.values().filter_map(gap).collect()
    }
}

fn gap(record: &ChipRecord) -> Option<Gap> {
    let kind = match &record.status {
        ChipStatus::InTransit { from, to, destination, since, .. } => {
            GapKind::InTransit { from: from.clone(), to: to.clone(), destination: *destination, since: *since }
        }
        ChipStatus::Lost { since, reported_by } => {
            GapKind::ReportedLost { since: *since, reported_by: reported_by.clone(), last_country: record.country }
        }
        _ => {
            let country = record.current_country()?;
            let check = record.last_check.as_ref()?;
            if check.measured_at < record.settled_at || check.possible_countries.contains(&country) {
                return None;
            }
            GapKind::LocationMismatch {
                recorded_country: country,
                possible_countries: check.possible_countries.clone(),
                measured_at: check.measured_at,
            }
        }
    };
    Some(Gap { serial: record.serial.clone(), holder: record.holder.clone(), kind })
}

fn validate(record: Option<&ChipRecord>, event: &CustodyEvent) -> Result<(), Rejection> {
    let kind = event.kind.name();
    let Some(record) = record else {
        return match event.kind {
            EventKind::Registered { .. } => Ok(()),
            _ => Err(Rejection::Unregistered { kind }),
        };
    };
    if let EventKind::Registered { .. } = event.kind {
        return Err(Rejection::AlreadyRegistered { registered_at: record.registered_at });
    }
    if let ChipStatus::Destroyed { at } = record.status {
        return Err(Rejection::AfterDestroyed { kind, at });
    }
    let last = record.last_time();
    if event.time < last {
        return Err(Rejection::TimeWentBackwards { kind, time: event.time, last });
    }
    let status = &record.status;
    let not_allowed = || Rejection::NotAllowed { kind, status: status.to_string() };
    match &event.kind {
        EventKind::Registered { .. } | EventKind::LocationVerified { .. } | EventKind::Destroyed => return Ok(()),
        EventKind::Received { holder } => {
            return match status {
                ChipStatus::InTransit { to, .. } if to == holder => Ok(()),
                ChipStatus::InTransit { to, .. } => {
                    Err(Rejection::NotConsignee { holder: holder.clone(), consignee: to.clone() })
                }
                _ => Err(Rejection::NotShipped { status: status.to_string() }),
            };
        }
        EventKind::ReportedLost => {
            return match status {
                ChipStatus::Lost { .. } => Err(not_allowed()),
                _ => Ok(()),
            };
        }
        _ => {}
    }
    // What is left (shipped, transferred, installed, decommissioned) needs a chip at rest.
    match status {
        ChipStatus::Lost { .. } => return Err(not_allowed()),
        ChipStatus::InTransit { to, destination, since, .. } => {
            return Err(Rejection::InTransit { kind, to: to.clone(), destination: *destination, since: *since });
        }
        _ => {}
    }
    let holder_is = |claimed: &str| {
        if claimed == record.holder {
            Ok(())
        } else {
            Err(Rejection::NotHolder { kind, claimed: claimed.to_owned(), holder: record.holder.clone() })
        }
    };
    match &event.kind {
        EventKind::Shipped { from, .. } => holder_is(from),
        EventKind::Transferred { from, to } => {
            holder_is(from)?;
            if from == to {
                return Err(Rejection::SameHolder { holder: from.clone() });
            }
            Ok(())
        }
        EventKind::Installed { country, .. } => match record.country {
            Some(located_in) if located_in != *country => {
                Err(Rejection::WrongCountry { installed_in: *country, located_in })
            }
            _ => Ok(()),
        },
        EventKind::Decommissioned if matches!(status, ChipStatus::Decommissioned { .. }) => Err(not_allowed()),
        _ => Ok(()),
    }
}

fn register(event: &CustodyEvent) -> Option<ChipRecord> {
    let EventKind::Registered { model, manufacturer, holder, country, device_public_key } = &event.kind else {
        return None;
    };
    Some(ChipRecord {
        serial: event.serial.clone(),
        model: model.clone(),
        manufacturer: manufacturer.clone(),
        device_public_key: *device_public_key,
        registered_at: event.time,
        holder: holder.clone(),
        country: *country,
        status: ChipStatus::Held,
        last_check: None,
        settled_at: event.time,
        history: vec![event.clone()],
    })
}

/// Applies an event that `validate` accepted.
fn update(record: &mut ChipRecord, event: &CustodyEvent) {
    let time = event.time;
    match &event.kind {
        EventKind::Registered { .. } => {}
        EventKind::Shipped { from, to, destination, export_license } => {
            record.status = ChipStatus::InTransit {
                from: from.clone(),
                to: to.clone(),
                destination: *destination,
                export_license: export_license.clone(),
                since: time,
            };
        }
        EventKind::Received { holder } => {
            if let ChipStatus::InTransit { destination, .. } = record.status {
                record.country = Some(destination);
            }
            record.holder = holder.clone();
            record.status = ChipStatus::Held;
            record.settled_at = time;
        }
        EventKind::Installed { site, country, cluster } => {
            record.country = Some(*country);
            record.status =
                ChipStatus::Installed { site: site.clone(), country: *country, cluster: cluster.clone(), since: time };
            record.settled_at = time;
        }
        EventKind::Transferred { to, .. } => record.holder = to.clone(),
        EventKind::LocationVerified { verifier, region, possible_countries, measured_at } => {
            record.last_check = Some(LocationCheck {
                verifier: verifier.clone(),
                region: region.clone(),
                possible_countries: possible_countries.clone(),
                measured_at: *measured_at,
            });
        }
        EventKind::Decommissioned => record.status = ChipStatus::Decommissioned { since: time },
        EventKind::Destroyed => record.status = ChipStatus::Destroyed { at: time },
        EventKind::ReportedLost => {
            record.status = ChipStatus::Lost { since: time, reported_by: event.submitter.party.clone() }
        }
    }
    record.history.push(event.clone());
}
