//! `chipwarden tokens`: API tokens of the HTTP server. A token is drawn from the system's random
//! generator and printed once; the store keeps only its SHA-256. Making and revoking one is
//! logged as an audit entry in the ledger.

use chipwarden_server::Role;

use crate::Failure;
use crate::args::{Cli, TokensCommand};
use crate::exit;
use crate::screening::open_store;

pub fn tokens(cli: &Cli, command: &TokensCommand) -> Result<u8, Failure> {
    match command {
        TokensCommand::Create { name, role, party } => create(cli, name, role, party.as_deref()),
        TokensCommand::List => list(cli),
        TokensCommand::Revoke { name } => revoke(cli, name),
    }
}

fn create(cli: &Cli, name: &str, role: &str, party: Option<&str>) -> Result<u8, Failure> {
    let Some(role) = Role::parse(role) else {
        let roles: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
        return Err(Failure::input(format!("--role `{role}` is not one of {}", roles.join(", "))));
    };
    match (role, party) {
        (Role::Agent, None) => {
            return Err(Failure::input("--role agent needs --party: the party whose chips the agent reports"));
        }
        (Role::Agent, Some(_)) => {}
        (_, Some(_)) => return Err(Failure::input("--party is for agent tokens only")),
        (_, None) => {}
    }
    let token = chipwarden_server::new_token()
        .map_err(|e| Failure::internal(format!("cannot draw a token from the system's random generator: {e}")))?;
    let mut store = open_store(cli)?;
    let auditor = crate::screening::auditor(cli)?;
    let made = match party {
        Some(party) => chipwarden_service::tokens::create_agent(&mut store, &auditor, name, party, &token.hash),
        None => chipwarden_service::tokens::create(&mut store, &auditor, name, role.name(), &token.hash),
    };
    let stored = made.map_err(|e| match e {
        chipwarden_service::ServiceError::Store(chipwarden_store::StoreError::Invalid(message))
        | chipwarden_service::ServiceError::Invalid(message) => Failure::input(format!("--name `{name}`: {message}")),
        other => Failure::from(other),
    })?;
    if cli.json {
        let v = serde_json::json!({
            "name": stored.name, "role": stored.role, "party": party, "created_at": stored.created_at,
            "token": token.token,
        });
        crate::outln!("{v}");
    } else {
        let acting = party.map(|p| format!(", for `{p}`")).unwrap_or_default();
        crate::outln!("token `{}` ({}{acting}), shown this once; only its hash is stored:", stored.name, stored.role);
        crate::outln!("{}", token.token);
    }
    Ok(exit::OK)
}

fn list(cli: &Cli) -> Result<u8, Failure> {
    let store = open_store(cli)?;
    for t in store.tokens()? {
        if cli.json {
            let v = serde_json::json!({
                "name": t.name, "role": t.role, "created_at": t.created_at, "revoked_at": t.revoked_at,
            });
            crate::outln!("{v}");
        } else {
            let state = t.revoked_at.map_or_else(|| "live".to_owned(), |at| format!("revoked {at}"));
            crate::outln!("{}\t{}\tcreated {}\t{state}", t.name, t.role, t.created_at);
        }
    }
    Ok(exit::OK)
}

fn revoke(cli: &Cli, name: &str) -> Result<u8, Failure> {
    let mut store = open_store(cli)?;
    let auditor = crate::screening::auditor(cli)?;
    match chipwarden_service::tokens::revoke(&mut store, &auditor, name)? {
        Some(t) if cli.json => {
            crate::outln!("{}", serde_json::json!({ "name": t.name, "role": t.role, "revoked_at": t.revoked_at }));
        }
        Some(t) => crate::outln!("token `{}` ({}) revoked", t.name, t.role),
        None => return Err(Failure::input(format!("--name `{name}`: no live token has this name"))),
    }
    Ok(exit::OK)
}
