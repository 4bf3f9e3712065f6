//! `chipwarden customers`: KYC records in through the meter engine's parser and into the store,
//! onboarding screening of each customer and its beneficial owners through the screen engine.

use std::path::Path;

use chipwarden_meter::{Customer, Link};
use chipwarden_service::customers::{screened_parties, stored as stored_customers};

use crate::Failure;
use crate::args::{Cli, CustomersCommand};
use crate::exit;
use crate::screening::{hit_text, open_store, progress, screener, threshold};

pub fn customers(cli: &Cli, command: &CustomersCommand) -> Result<u8, Failure> {
    match command {
        CustomersCommand::Import { file, threshold: t, no_screen } => import(cli, file, threshold(*t)?, *no_screen),
        CustomersCommand::List => list(cli).map(|()| exit::OK),
        CustomersCommand::Show { account } => show(cli, account).map(|()| exit::OK),
    }
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
    let (screener, versions) = screener(&store)?;
    let bar = progress(good.iter().map(|c| 1 + c.beneficial_owners.len()).sum());
    let onboarding = chipwarden_service::customers::onboard(
        &mut store,
        &screener,
        &versions,
        &good,
        &name,
        threshold,
        !no_screen,
        &crate::screening::auditor(cli)?,
        &|| bar.inc(1),
    )?;
    bar.finish_and_clear();
    for u in &onboarding.unscreened {
        eprintln!("warning: party `{}` (`{}`) could not be screened: {}", u.id, u.name, u.reason);
    }
    let screening = onboarding.screened;
    for line in &onboarding.customers {
        if cli.json {
            crate::outln!("{}", serde_json::to_string(line).map_err(Failure::internal)?);
        } else {
            let verdict = match (screening, line.hits.len()) {
                (false, _) => "not screened".to_owned(),
                (true, 0) => "clear".to_owned(),
                (true, n) => format!("{n} HIT(S): review them (`chipwarden screen review`)"),
            };
            crate::outln!("{} ({}): record {}, {verdict}", line.account, line.legal_name, line.record);
            for hit in &line.hits {
                crate::outln!("  hit\t{}", hit_text(hit));
            }
            for l in &line.links {
                crate::outln!("  link\t{} - {}: {} ({})", l.account_a, l.account_b, l.reason.name(), l.evidence);
            }
        }
    }
    let (recorded, total_hits) = (&onboarding.recorded, onboarding.hit_count);
    eprintln!(
        "{name}: {} new, {} changed, {} unchanged, {rejected} rejected; {}",
        recorded.new.len(),
        recorded.changed.len(),
        recorded.unchanged.len(),
        if screening {
            format!(
                "{} parties (customers and owners) screened at {threshold} against list versions {versions:?}: {total_hits} hit(s)",
                onboarding.parties
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
    let links: Vec<Link> = chipwarden_service::customers::links_of(&chipwarden_meter::derived_links(&all), account);
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
