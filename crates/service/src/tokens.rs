//! API tokens made and revoked with their audit entries: an administrative action is never
//! recorded without its entry in the log.

use chipwarden_store::{Store, StoredToken};

use crate::ServiceResult;
use crate::audit::Auditor;

/// Records a new token by its hash (the token itself is shown once by the caller), logged as
/// `token.created`.
pub fn create(
    store: &mut Store,
    auditor: &Auditor,
    name: &str,
    role: &str,
    token_hash: &str,
) -> ServiceResult<StoredToken> {
    let entry = auditor.entry("token.created", &format!("token:{}", name.trim()), &format!("role {role}"))?;
    Ok(store.create_token_audited(name, role, token_hash, &crate::now(), &entry)?)
}

/// Records a new `agent` token acting for `party` (it submits measurements only for the chips
/// that party holds), logged as `token.created`.
pub fn create_agent(
    store: &mut Store,
    auditor: &Auditor,
    name: &str,
    party: &str,
    token_hash: &str,
) -> ServiceResult<StoredToken> {
    let entry =
        auditor.entry("token.created", &format!("token:{}", name.trim()), &format!("role agent, for party {party}"))?;
    Ok(store.create_agent_token_audited(name, party, token_hash, &crate::now(), &entry)?)
}

/// Revokes the live token named `name`, logged as `token.revoked`; `None` when there is none
/// (nothing logged).
pub fn revoke(store: &mut Store, auditor: &Auditor, name: &str) -> ServiceResult<Option<StoredToken>> {
    let entry = auditor.entry("token.revoked", &format!("token:{}", name.trim()), "")?;
    Ok(store.revoke_token_audited(name, &crate::now(), &entry)?)
}
