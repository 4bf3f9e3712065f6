//! `chipwarden customers`: KYC records in through the meter engine's parser and into the store,
//! onboarding screening of each customer and its beneficial owners through the screen engine.

use std::collections::BTreeMap;
use std::path::Path;

use chipwarden_meter::{Customer, Link};
use chipwarden_screen::Hit;
use chipwarden_store::{CustomerRecord, Party, Store, StoredHit, Subject};
use serde::Serialize;

use crate::Failure;
use crate::args::{Cli, CustomersCommand};
use crate::exit;
use crate::screening::{hit_text, now, open_store, progress, screen_all, screener, stored, suppress, threshold};

pub fn customers(cli: &Cli, command: &CustomersCommand) -> Result<u8, Failure> {
    match command {
        CustomersCommand::Import { file, threshold: t, no_screen } => import(cli, file, threshold(*t)?, *no_screen),
        CustomersCommand::List => list(cli).map(|()| exit::OK),
        CustomersCommand::Show { account } => show(cli, account).map(|()| exit::OK),
    }
}

/// The screened party id of a customer's legal name.
fn customer_party(account: &str) -> String {
    format!("kyc:{account}")
}

/// The screened party id of one of a customer's beneficial owners.
fn owner_party(account: &str, owner: &str) -> String {
    format!("kyc:{account}/owner:{owner}")
}

/// The parties onboarding screens for a customer: the customer itself, then each owner.
fn screened_parties(c: &Customer) -> Vec<Party> {
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
pub fn stored_customers(store: &Store) -> Result<Vec<Customer>, Failure> {
    store
        .customers()
        .map_err(Failure::io)?
        .into_iter()
        .map(|s| {
            serde_json::from_value::<Customer>(s.customer.record).map_err(|e| {
                Failure::internal(format!(
                    "stored customer record `{}` (version {}): {e}",
                    s.customer.account, s.version
                ))
            })
        })
        .collect()
}

#[derive(Serialize)]
struct Onboarded<'a> {
    account: &'a str,
    legal_name: &'a str,
    /// `new`, `changed` or `unchanged` against the record in force before.
    record: &'static str,
    /// False when no list is imported or `--no-screen` was given.
    screened: bool,
    hits: Vec<&'a Hit>,
    /// Links to other customers that this customer's record implies.
    links: Vec<&'a Link>,
}

fn import(cli: &Cli, path: &Path, threshold: f64, no_screen: bool) -> Result<u8, Failure> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Failure::io(format!("cannot read `{name}`: {e}")))?;
    let mut good = Vec::new();
    let mut rejected = 0usize;
    for result in chipwarden_meter::parse_customers(&name, std::io::BufReader::new(file)) {
        match result {
            Ok(c) => good.push(c),
            Err(reject) => {
                rejected += 1;
                eprintln!("rejected: {reject}");
            }
        }
    }
    let mut store = open_store(cli)?;
    let records = good
        .iter()
        .map(|c| {
            Ok(CustomerRecord {
                account: c.account.clone(),
                legal_name: c.legal_name.clone(),
                country: c.country.clone(),
                verification: serde_json::to_value(c.verification)
                    .map_err(Failure::internal)?
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                record: serde_json::to_value(c).map_err(Failure::internal)?,
            })
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    let at = now();
    let recorded = store.record_customers(&records, &name, &at).map_err(Failure::io)?;
    let status: BTreeMap<&str, &'static str> = recorded
        .new
        .iter()
        .map(|a| (a.as_str(), "new"))
        .chain(recorded.changed.iter().map(|a| (a.as_str(), "changed")))
        .chain(recorded.unchanged.iter().map(|a| (a.as_str(), "unchanged")))
        .collect();

    // Onboarding screening: the customer and every owner, against every list in force. The
    // parties stay registered, so `screen rescreen` covers them after each list update.
    let parties: Vec<Party> = good.iter().flat_map(screened_parties).collect();
    let (screener, versions) = screener(&store)?;
    let screening = !no_screen && screener.entry_count() > 0;
    let mut hits_by_party: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
    if screening {
        let refs: Vec<&Party> = parties.iter().collect();
        let bar = progress(refs.len());
        let results = screen_all(&screener, &refs, threshold, &bar);
        bar.finish_and_clear();
        let mut batch: Vec<(Party, Vec<StoredHit>)> = Vec::with_capacity(parties.len());
        for (party, result) in parties.iter().zip(results) {
            let mut hits = match result {
                Ok(hits) => hits,
                Err(why) => {
                    eprintln!("warning: party `{}` (`{}`) could not be screened: {why}", party.id, party.name);
                    continue;
                }
            };
            suppress(&store, &Subject::Party(party.id.clone()), &mut hits)?;
            batch.push((party.clone(), hits.iter().map(stored).collect::<Result<_, _>>()?));
            hits_by_party.insert(party.id.clone(), hits);
        }
        store.record_batch(&batch, &versions, &at).map_err(Failure::io)?;
    } else {
        for party in &parties {
            store.upsert_party(party).map_err(Failure::io)?;
        }
    }

    let all = stored_customers(&store)?;
    let links = chipwarden_meter::derived_links(&all);
    let mut total_hits = 0;
    for c in &good {
        let hits: Vec<&Hit> =
            screened_parties(c).iter().flat_map(|p| hits_by_party.get(&p.id).into_iter().flatten()).collect();
        total_hits += hits.len();
        let own: Vec<&Link> = links.iter().filter(|l| l.account_a == c.account || l.account_b == c.account).collect();
        let line = Onboarded {
            account: &c.account,
            legal_name: &c.legal_name,
            record: status.get(c.account.as_str()).copied().unwrap_or("new"),
            screened: screening,
            hits,
            links: own,
        };
        if cli.json {
            crate::outln!("{}", serde_json::to_string(&line).map_err(Failure::internal)?);
        } else {
            let verdict = match (screening, line.hits.len()) {
                (false, _) => "not screened".to_owned(),
                (true, 0) => "clear".to_owned(),
                (true, n) => format!("{n} HIT(S): review them (`chipwarden screen review`)"),
            };
            crate::outln!("{} ({}): record {}, {verdict}", c.account, c.legal_name, line.record);
            for hit in &line.hits {
                crate::outln!("  hit\t{}", hit_text(hit));
            }
            for l in &line.links {
                crate::outln!("  link\t{} - {}: {} ({})", l.account_a, l.account_b, l.reason.name(), l.evidence);
            }
        }
    }
    eprintln!(
        "{name}: {} new, {} changed, {} unchanged, {rejected} rejected; {}",
        recorded.new.len(),
        recorded.changed.len(),
        recorded.unchanged.len(),
        if screening {
            format!(
                "{} parties (customers and owners) screened at {threshold} against list versions {versions:?}: {total_hits} hit(s)",
                parties.len()
            )
        } else if no_screen {
            "not screened (--no-screen)".to_owned()
        } else {
            "NOT SCREENED: no list is imported; import lists, then run `chipwarden screen rescreen`".to_owned()
        }
    );
    Ok(if total_hits > 0 {
        exit::HITS
    } else if rejected > 0 && good.is_empty() {
        exit::INPUT
    } else {
        exit::OK
    })
}

fn list(cli: &Cli) -> Result<(), Failure> {
    let store = open_store(cli)?;
    let stored = store.customers().map_err(Failure::io)?;
    if cli.json {
        for s in &stored {
            crate::outln!("{}", serde_json::to_string(s).map_err(Failure::internal)?);
        }
        return Ok(());
    }
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED).set_header(vec![
        "account",
        "legal name",
        "country",
        "verification",
        "version",
        "recorded",
    ]);
    for s in &stored {
        t.add_row(vec![
            s.customer.account.clone(),
            s.customer.legal_name.clone(),
            s.customer.country.clone().unwrap_or_default(),
            s.customer.verification.clone(),
            s.version.to_string(),
            format!("{} ({})", s.recorded_at, s.source),
        ]);
    }
    crate::outln!("{t}");
    Ok(())
}

fn show(cli: &Cli, account: &str) -> Result<(), Failure> {
    let store = open_store(cli)?;
    let history = store.customer_history(account).map_err(Failure::io)?;
    let Some(current) = history.last() else {
        return Err(Failure::input(format!("no customer record for account `{account}`")));
    };
    let customer: Customer = serde_json::from_value(current.customer.record.clone()).map_err(Failure::internal)?;
    let all = stored_customers(&store)?;
    let links: Vec<Link> = chipwarden_meter::derived_links(&all)
        .into_iter()
        .filter(|l| l.account_a == account || l.account_b == account)
        .collect();
    // The hits of each party's latest screening.
    let mut hits = Vec::new();
    for party in screened_parties(&customer) {
        let Some(latest) = store.screenings(&party.id).map_err(Failure::io)?.last().map(|s| s.id) else {
            continue;
        };
        hits.extend(store.hits_for(&party.id).map_err(Failure::io)?.into_iter().filter(|h| h.screening_id == latest));
    }
    if cli.json {
        let value = serde_json::json!({
            "account": account,
            "record": current.customer.record,
            "history": history.iter().map(|h| serde_json::json!({
                "version": h.version, "recorded_at": h.recorded_at, "source": h.source, "record": h.customer.record,
            })).collect::<Vec<_>>(),
            "links": links,
            "hits": hits,
        });
        crate::outln!("{}", serde_json::to_string_pretty(&value).map_err(Failure::internal)?);
        return Ok(());
    }
    crate::outln!("{}", serde_json::to_string_pretty(&current.customer.record).map_err(Failure::internal)?);
    crate::outln!("{} version(s); in force since {} from `{}`", history.len(), current.recorded_at, current.source);
    for l in &links {
        crate::outln!("link\t{} - {}: {} ({})", l.account_a, l.account_b, l.reason.name(), l.evidence);
    }
    for h in &hits {
        crate::outln!(
            "hit\t{}\t{:.3}\t{} {}\t{}",
            h.party_id,
            h.hit.score,
            h.hit.list,
            h.hit.entry_id,
            h.hit.matched_name
        );
    }
    if hits.is_empty() {
        crate::outln!("no hit in the latest screening of the customer and its owners");
    }
    Ok(())
}
