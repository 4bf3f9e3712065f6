//! KYC onboarding: customer records stored as new versions, each customer and its beneficial
//! owners registered as screened parties (so re-screening and review decisions cover them),
//! screened, and the links their records imply.
//!
//! The meter engine does not know the screen engine; this module is where they meet.

use std::collections::BTreeMap;

use chipwarden_meter::{Customer, Link};
use chipwarden_screen::{Hit, Screener};
use chipwarden_store::{CustomerRecord, CustomersRecorded, Party, Store};
use serde::Serialize;

use crate::screening::screen_and_record;
use crate::{ServiceError, ServiceResult};

/// The screened party id of a customer's legal name.
pub fn customer_party(account: &str) -> String {
    format!("kyc:{account}")
}

/// The screened party id of one of a customer's beneficial owners.
pub fn owner_party(account: &str, owner: &str) -> String {
    format!("kyc:{account}/owner:{owner}")
}

/// The parties onboarding screens for a customer: the customer itself, then each owner.
pub fn screened_parties(c: &Customer) -> Vec<Party> {
    let mut out = vec![Party {
        id: customer_party(&c.account),
        name: c.legal_name.clone(),
        country: c.country.clone(),
        address: c.address.clone(),
        date: None,
        identifiers: vec![],
    }];
    for o in &c.beneficial_owners {
        out.push(Party {
            id: owner_party(&c.account, &o.name),
            name: o.name.clone(),
            country: o.country.clone(),
            address: o.address.clone(),
            date: None,
            identifiers: o.identifier.iter().cloned().collect(),
        });
    }
    out
}

/// Every customer in force in the store, as the meter engine reads them.
pub fn stored(store: &Store) -> ServiceResult<Vec<Customer>> {
    store
        .customers()?
        .into_iter()
        .map(|s| {
            serde_json::from_value::<Customer>(s.customer.record).map_err(|e| {
                ServiceError::internal(format!(
                    "stored customer record `{}` (version {}): {e}",
                    s.customer.account, s.version
                ))
            })
        })
        .collect()
}

/// The links customer records imply that touch `account`.
pub fn links_of(links: &[Link], account: &str) -> Vec<Link> {
    links.iter().filter(|l| l.account_a == account || l.account_b == account).cloned().collect()
}

fn record(c: &Customer) -> ServiceResult<CustomerRecord> {
    Ok(CustomerRecord {
        account: c.account.clone(),
        legal_name: c.legal_name.clone(),
        country: c.country.clone(),
        verification: serde_json::to_value(c.verification)
            .map_err(ServiceError::internal)?
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        record: serde_json::to_value(c).map_err(ServiceError::internal)?,
    })
}

/// One customer's outcome: the fields of a `customers import --json` line.
#[derive(Debug, Serialize)]
pub struct Onboarded {
    pub account: String,
    pub legal_name: String,
    /// `new`, `changed` or `unchanged` against the record in force before.
    pub record: &'static str,
    /// False when no list is imported or screening was not asked for.
    pub screened: bool,
    pub hits: Vec<Hit>,
    /// Links to other customers that this customer's record implies.
    pub links: Vec<Link>,
}

/// A party that could not be screened (it stays unrecorded until the next re-screening).
#[derive(Debug)]
pub struct Unscreened {
    pub id: String,
    pub name: String,
    pub reason: String,
}

/// What onboarding did.
#[derive(Debug)]
pub struct Onboarding {
    pub recorded: CustomersRecorded,
    /// Whether the parties were screened (asked for, and a list is imported).
    pub screened: bool,
    /// How many parties (customers and owners) onboarding registered.
    pub parties: usize,
    pub hit_count: usize,
    pub unscreened: Vec<Unscreened>,
    /// Every customer, in the order given.
    pub customers: Vec<Onboarded>,
}

/// Stores `customers` (from `source`) and registers each customer and owner as a party; when
/// `screen` and the index holds entries, screens them at `threshold` and records the hits
/// against `versions`, else registers them unscreened.
#[allow(clippy::too_many_arguments)]
pub fn onboard(
    store: &mut Store,
    screener: &Screener,
    versions: &[i64],
    customers: &[Customer],
    source: &str,
    threshold: f64,
    screen: bool,
    auditor: &crate::audit::Auditor,
    on_each: &(dyn Fn() + Sync),
) -> ServiceResult<Onboarding> {
    let records = customers.iter().map(record).collect::<ServiceResult<Vec<_>>>()?;
    let at = crate::now();
    let recorded = store.record_customers(&records, source, &at)?;
    let status: BTreeMap<&str, &'static str> = recorded
        .new
        .iter()
        .map(|a| (a.as_str(), "new"))
        .chain(recorded.changed.iter().map(|a| (a.as_str(), "changed")))
        .chain(recorded.unchanged.iter().map(|a| (a.as_str(), "unchanged")))
        .collect();

    // Onboarding screening: the customer and every owner, against every list in force. The
    // parties stay registered, so re-screening covers them after each list update.
    let parties: Vec<Party> = customers.iter().flat_map(screened_parties).collect();
    let screening = screen && screener.entry_count() > 0;
    let mut hits_by_party: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
    let mut unscreened = Vec::new();
    if screening {
        let refs: Vec<&Party> = parties.iter().collect();
        let done = screen_and_record(store, screener, versions, &refs, threshold, &at, auditor, on_each)?;
        for (party, result) in parties.iter().zip(done.results) {
            match result {
                Ok(hits) => {
                    hits_by_party.insert(party.id.clone(), hits);
                }
                Err(reason) => unscreened.push(Unscreened { id: party.id.clone(), name: party.name.clone(), reason }),
            }
        }
    } else {
        for party in &parties {
            store.upsert_party(party)?;
        }
    }

    let links = chipwarden_meter::derived_links(&stored(store)?);
    let mut hit_count = 0;
    let mut out = Vec::with_capacity(customers.len());
    for c in customers {
        let hits: Vec<Hit> =
            screened_parties(c).iter().flat_map(|p| hits_by_party.get(&p.id).into_iter().flatten().cloned()).collect();
        hit_count += hits.len();
        out.push(Onboarded {
            account: c.account.clone(),
            legal_name: c.legal_name.clone(),
            record: status.get(c.account.as_str()).copied().unwrap_or("new"),
            screened: screening,
            hits,
            links: links_of(&links, &c.account),
        });
    }
    Ok(Onboarding { recorded, screened: screening, parties: parties.len(), hit_count, unscreened, customers: out })
}
