//! One function per command: load inputs, call the engine, hand the result to `output`.

use std::path::Path;

use chipwarden_classify::{CountryGroups, RuleBook, RuleSet, determine, license::LicenseQuery};
use chipwarden_core::{Catalog, CountryCode, Item, Spec, parse_any_spec, parse_date};
use chipwarden_service::classify::Subject;
use jiff::civil::Date;

use crate::Failure;
use crate::args::{CatalogCommand, Cli, Command, FoundryCommand, ItemArgs, RulesCommand};
use crate::output;

pub fn run(cli: &Cli) -> Result<u8, Failure> {
    match &cli.command {
        Command::Screen(args) => crate::screening::screen(cli, args),
        Command::Lists { command } => crate::screening::lists(cli, command).map(|()| crate::exit::OK),
        Command::Ownership { command } => crate::screening::ownership(cli, command).map(|()| crate::exit::OK),
        Command::Capacity(args) => crate::capacity::run(cli, args).map(|()| crate::exit::OK),
        Command::Meter { command } => crate::meter::meter(cli, command),
        Command::Accounts { command } => crate::meter::accounts(cli, command).map(|()| crate::exit::OK),
        Command::Customers { command } => crate::customers::customers(cli, command),
        Command::Locate { command } => crate::locate::locate(cli, command),
        Command::Agent(args) => crate::agent::agent(cli, args),
        Command::Landmark { command } => crate::landmark::landmark(cli, command),
        Command::Keys { command } => crate::ledger::keys(cli, command),
        Command::Ledger { command } => crate::ledger::ledger(cli, command),
        Command::Serve(args) => crate::serve::run(cli, args),
        Command::Tokens { command } => crate::tokens::tokens(cli, command),
        Command::Migrate(args) => crate::migrate::run(cli, args),
        _ => run_classify(cli).map(|()| crate::exit::OK),
    }
}

fn run_classify(cli: &Cli) -> Result<(), Failure> {
    match &cli.command {
        Command::Classify(args) => {
            let catalog = catalog()?;
            let book = rule_book()?;
            let item = load_item(&catalog, &args.item)?;
            if args.history {
                let all: Vec<_> = book.sets().iter().map(|rs| item.classify(rs, rs.effective)).collect();
                output::history(cli.json, &all)
            } else {
                let date = date_or_today(args.at.as_deref())?;
                let rules = book.at(date).map_err(Failure::input)?;
                output::classification(cli.json, &item.classify(rules, date))
            }
        }
        Command::License(args) => {
            let catalog = catalog()?;
            let book = rule_book()?;
            let groups = CountryGroups::bundled().map_err(Failure::internal)?;
            let item = load_item(&catalog, &args.item)?;
            let date = date_or_today(args.at.as_deref())?;
            let rules = book.at(date).map_err(Failure::input)?;
            let query = LicenseQuery {
                destination: country("--destination", &args.destination)?,
                party_hq: args.party_hq.as_deref().map(|c| country("--party-hq", c)).transpose()?,
                end_use: args.end_use.clone(),
                entity_listed: args.entity_listed,
            };
            let classification = item.classify(rules, date);
            let result = determine(classification, rules, &groups, &item.metrics(), &query);
            output::license(cli.json, &result)
        }
        Command::Foundry { command: FoundryCommand::Check { design, at } } => {
            let book = rule_book()?;
            let groups = CountryGroups::bundled().map_err(Failure::internal)?;
            let text = read(design)?;
            let design =
                chipwarden_classify::parse_design(&design.display().to_string(), &text).map_err(Failure::input)?;
            let date = date_or_today(at.as_deref())?;
            let rules = book.at(date).map_err(Failure::input)?;
            output::foundry(cli.json, &chipwarden_classify::assess(&design, rules, &groups, date))
        }
        Command::Rules { command: RulesCommand::List } => output::rule_sets(cli.json, rule_book()?.sets()),
        Command::Rules { command: RulesCommand::Stress { at, rules, margin } } => {
            if !(margin.is_finite() && *margin >= 0.0) {
                return Err(Failure::input(format!("--margin `{margin}` must be a percentage of zero or more")));
            }
            let catalog = catalog()?;
            let book = rule_book()?;
            let (set, date): (RuleSet, Date) = match rules {
                Some(path) => {
                    let text = read(path)?;
                    let set = RuleSet::parse(&path.display().to_string(), &text).map_err(Failure::input)?;
                    let date = set.effective;
                    (set, date)
                }
                None => {
                    let date = date_or_today(at.as_deref())?;
                    (book.at(date).map_err(Failure::input)?.clone(), date)
                }
            };
            // A chip released after the assessment date is not part of that day's market.
            let (released, unreleased): (Vec<_>, Vec<_>) =
                catalog.chips().iter().partition(|c| c.release_date.as_deref().is_none_or(|r| released_by(r, date)));
            let items: Vec<Item> = released.iter().map(|c| c.item.clone()).collect();
            let mut report = chipwarden_classify::stress_report(&items, &set, date, *margin);
            report.not_yet_released = unreleased.iter().map(|c| c.name.clone()).collect();
            output::stress(cli.json, &set, &report)
        }
        Command::Catalog { command: CatalogCommand::List } => {
            let catalog = catalog()?;
            output::catalog_list(cli.json, &catalog)
        }
        Command::Catalog { command: CatalogCommand::Show { name } } => {
            let catalog = catalog()?;
            let chip = catalog.lookup(name).map_err(Failure::input)?;
            output::catalog_show(cli.json, chip)
        }
        Command::Screen(_)
        | Command::Lists { .. }
        | Command::Ownership { .. }
        | Command::Capacity(_)
        | Command::Meter { .. }
        | Command::Accounts { .. }
        | Command::Customers { .. }
        | Command::Locate { .. }
        | Command::Agent(_)
        | Command::Landmark { .. }
        | Command::Keys { .. }
        | Command::Ledger { .. }
        | Command::Serve(_)
        | Command::Tokens { .. }
        | Command::Migrate(_) => Err(Failure::internal("screening commands are dispatched in `run`")),
    }
}

fn catalog() -> Result<Catalog, Failure> {
    Catalog::bundled().map_err(Failure::internal)
}

fn rule_book() -> Result<RuleBook, Failure> {
    RuleBook::bundled().map_err(Failure::internal)
}

pub fn read(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| Failure::io(format!("cannot read `{}`: {e}", path.display())))
}

fn load_item(catalog: &Catalog, args: &ItemArgs) -> Result<Subject, Failure> {
    match (&args.model, &args.spec) {
        (Some(model), _) => Ok(Subject::Item(catalog.lookup(model).map_err(Failure::input)?.item.clone())),
        (None, Some(path)) => {
            let file = path.display().to_string();
            match parse_any_spec(&file, &read(path)?).map_err(Failure::input)? {
                Spec::Item(item) => Ok(Subject::Item(item)),
                Spec::System(system) => {
                    let mut parts = Vec::new();
                    for component in &system.components {
                        let chip = catalog
                            .lookup(&component.model)
                            .map_err(|e| Failure::input(format!("spec `{file}`, field `contains`: {e}")))?;
                        parts.push((chip.item.clone(), component.count));
                    }
                    Ok(Subject::System { name: system.name, parts })
                }
            }
        }
        (None, None) => Err(Failure::input("give --model NAME or --spec FILE")),
    }
}

/// Was a chip with this release date ("YYYY-MM-DD" or "YYYY") on the market on `date`?
fn released_by(release: &str, date: Date) -> bool {
    match parse_date(release) {
        Ok(day) => day <= date,
        Err(_) => release.get(..4).and_then(|y| y.parse::<i16>().ok()).is_none_or(|year| year <= date.year()),
    }
}

pub fn date_or_today(text: Option<&str>) -> Result<Date, Failure> {
    match text {
        Some(t) => parse_date(t).map_err(|e| Failure::input(format!("--at: {e}"))),
        None => Ok(jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date()),
    }
}

fn country(flag: &str, text: &str) -> Result<CountryCode, Failure> {
    CountryCode::parse(text).map_err(|e| Failure::input(format!("{flag}: {e}")))
}
