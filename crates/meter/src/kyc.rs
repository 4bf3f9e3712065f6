//! Customer (KYC) records with the identification fields of the proposed IaaS rule, and the
//! account links they imply (a shared beneficial owner, payment instrument or admin address).
//!
//! Fields follow the customer identification program of the proposed rule for IaaS providers
//! (FR Doc 2024-01580, 89 FR 5698, 2024-01-29; proposed 15 CFR 7.302(b)): the customer's name and
//! address, the means and source of payment for each account, e-mail and telephone, the IP
//! addresses used to access or administer the account, the beneficial owners of a customer that
//! is not a natural person, and the verification of the identity.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::net::IpAddr;

use chipwarden_core::CountryCode;
use ipnet::IpNet;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::error::Reject;
use crate::links::{Link, LinkReason};

/// Where the verification of a customer's identity stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    #[default]
    Unverified,
    Pending,
    Verified,
    Failed,
}

/// A person or company owning or controlling the customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BeneficialOwner {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Share of ownership or control, 0 to 1, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// Passport, national id or company registration number; the strongest evidence that two
    /// records name the same owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
}

/// One customer record, keyed by the account it identifies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    pub account: String,
    pub legal_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// ISO 3166-1 alpha-2, upper case once validated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default)]
    pub beneficial_owners: Vec<BeneficialOwner>,
    /// Payment instruments as the operator identifies them (a card fingerprint, an IBAN, a
    /// billing account), never a full card number.
    #[serde(default)]
    pub payment_means: Vec<String>,
    /// Addresses or CIDR ranges used to administer the account.
    #[serde(default)]
    pub admin_ips: Vec<String>,
    /// Autonomous systems the admin addresses belong to; recorded, not linked on (a large ASN
    /// holds millions of unrelated customers).
    #[serde(default)]
    pub admin_asns: Vec<u32>,
    /// Accounts the customer declares as its affiliates.
    #[serde(default)]
    pub affiliates: Vec<String>,
    #[serde(default)]
    pub verification: Verification,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_on: Option<Date>,
}

impl Customer {
    /// Checks the fields a parser cannot: non-empty names, country codes, shares, addresses,
    /// and a date for a verified identity. The error names the field.
    pub fn validate(&mut self) -> Result<(), (String, String)> {
        let fail = |field: &str, why: String| Err((field.to_owned(), why));
        if self.account.trim().is_empty() {
            return fail("account", "is empty".into());
        }
        if self.legal_name.trim().is_empty() {
            return fail("legal_name", "is empty".into());
        }
        if let Some(c) = &self.country {
            match CountryCode::parse(c) {
                Ok(code) => self.country = Some(code.to_string()),
                Err(e) => return fail("country", e.to_string()),
            }
        }
        for (i, owner) in self.beneficial_owners.iter_mut().enumerate() {
            let field = |name: &str| format!("beneficial_owners[{i}].{name}");
            if owner.name.trim().is_empty() {
                return fail(&field("name"), "is empty".into());
            }
            if let Some(c) = &owner.country {
                match CountryCode::parse(c) {
                    Ok(code) => owner.country = Some(code.to_string()),
                    Err(e) => return fail(&field("country"), e.to_string()),
                }
            }
            if let Some(share) = owner.share
                && !(0.0..=1.0).contains(&share)
            {
                return fail(&field("share"), format!("{share} is not a fraction between 0 and 1"));
            }
        }
        for (i, ip) in self.admin_ips.iter().enumerate() {
            if ip_range(ip).is_none() {
                return fail(&format!("admin_ips[{i}]"), format!("`{ip}` is not an IP address or CIDR range"));
            }
        }
        for (i, p) in self.payment_means.iter().enumerate() {
            if instrument_key(p).is_empty() {
                return fail(&format!("payment_means[{i}]"), "is empty".into());
            }
        }
        if let Some(i) = self.affiliates.iter().position(|a| a.trim().is_empty()) {
            return fail(&format!("affiliates[{i}]"), "is empty".into());
        }
        if self.verification == Verification::Verified && self.verified_on.is_none() {
            return fail("verified_on", "a verified identity needs the date it was verified".into());
        }
        Ok(())
    }
}

/// An address or a range, as a network (a single address is a /32 or /128).
fn ip_range(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>().ok().or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from)).map(|n| n.trunc())
}

/// A payment instrument compared without spaces, dashes or case.
fn instrument_key(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric() || *c == ':').flat_map(char::to_lowercase).collect()
}

/// An owner's name compared without case, punctuation or word order ("LI Wei" = "Wei, Li").
fn owner_key(name: &str) -> String {
    let mut words: Vec<String> = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().flat_map(char::to_lowercase).collect())
        .collect();
    words.sort();
    words.join(" ")
}

/// Customer records from JSON Lines (one object per line; blank lines and lines starting with
/// `#` are skipped). One result per record; a bad record is a `Reject` naming the line and field.
pub fn parse_customers<R: BufRead>(file: &str, reader: R) -> Vec<Result<Customer, Reject>> {
    let mut out = Vec::new();
    // An account names one customer: a second record for it in the same file is refused.
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for (i, line) in reader.lines().enumerate() {
        let n = i as u64 + 1;
        let line = match line {
            Ok(line) => line,
            Err(e) => {
                out.push(Err(Reject::new(file, n, "(line)", format!("unreadable line: {e}"))));
                continue;
            }
        };
        let text = line.trim();
        // `#` comments and blank lines let a hand-kept file carry notes.
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let parsed = serde_json::from_str::<Customer>(text)
            .map_err(|e| {
                // serde_json counts lines within the record (always 1 here): keep only the column.
                let message = e.to_string();
                let message = match message.rsplit_once(" at line ") {
                    Some((head, _)) => format!("{head} (column {})", e.column()),
                    None => message,
                };
                Reject::new(file, n, &json_field(&message), message)
            })
            .and_then(|mut c| c.validate().map(|()| c).map_err(|(field, why)| Reject::new(file, n, &field, why)))
            .and_then(|c| match seen.get(&c.account) {
                Some(first) => Err(Reject::new(
                    file,
                    n,
                    "account",
                    format!("`{}` is already the account of line {first}; one record per account", c.account),
                )),
                None => {
                    seen.insert(c.account.clone(), n);
                    Ok(c)
                }
            });
        out.push(parsed);
    }
    out
}

/// The field a serde_json message names (`missing field `x``, `unknown field `x``), if any.
fn json_field(message: &str) -> String {
    for marker in ["missing field `", "unknown field `", "duplicate field `"] {
        if let Some(rest) = message.split(marker).nth(1)
            && let Some(end) = rest.find('`')
        {
            return rest[..end].to_owned();
        }
    }
    "(record)".to_owned()
}

/// The links customer records imply, each with its evidence:
/// - `same_beneficial_owner`: both records name an owner with the same identifier, or the same
///   name (compared without case, punctuation or word order) when neither gives an identifier;
/// - `payment_instrument`: both records list the same payment instrument;
/// - `ip_or_asn`: an admin address or range of one record overlaps one of the other's;
/// - `declared_affiliate`: a record names the other account as its affiliate.
///
/// Sorted and without duplicates: one link per pair and reason, the first evidence found.
pub fn derived_links(customers: &[Customer]) -> Vec<Link> {
    let mut links: BTreeMap<(String, String, LinkReason), String> = BTreeMap::new();
    let mut add = |a: &str, b: &str, reason: LinkReason, evidence: String| {
        if a == b {
            return;
        }
        let (x, y) = if a < b { (a, b) } else { (b, a) };
        links.entry((x.to_owned(), y.to_owned(), reason)).or_insert(evidence);
    };
    // Indexes from a shared value to the accounts that list it keep this linear in the records.
    let mut owners: BTreeMap<String, Vec<(&str, &str)>> = BTreeMap::new();
    let mut payments: BTreeMap<String, Vec<(&str, &str)>> = BTreeMap::new();
    for c in customers {
        for o in &c.beneficial_owners {
            let key = match &o.identifier {
                Some(id) if !instrument_key(id).is_empty() => format!("id:{}", instrument_key(id)),
                _ => format!("name:{}", owner_key(&o.name)),
            };
            owners.entry(key).or_default().push((&c.account, &o.name));
        }
        for p in &c.payment_means {
            payments.entry(instrument_key(p)).or_default().push((&c.account, p));
        }
        for affiliate in &c.affiliates {
            add(
                &c.account,
                affiliate.trim(),
                LinkReason::DeclaredAffiliate,
                format!("KYC: `{}` declares `{}` as its affiliate", c.account, affiliate.trim()),
            );
        }
    }
    for (key, holders) in &owners {
        for (i, (a, name_a)) in holders.iter().enumerate() {
            for (b, name_b) in &holders[i + 1..] {
                let how = if key.starts_with("id:") { "with the same identifier" } else { "by name" };
                add(
                    a,
                    b,
                    LinkReason::SameBeneficialOwner,
                    format!("KYC: beneficial owner `{name_a}` of `{a}` and `{name_b}` of `{b}` match {how}"),
                );
            }
        }
    }
    for holders in payments.values() {
        for (i, (a, p)) in holders.iter().enumerate() {
            for (b, _) in &holders[i + 1..] {
                add(a, b, LinkReason::PaymentInstrument, format!("KYC: `{a}` and `{b}` both pay with `{p}`"));
            }
        }
    }
    // Ranges sorted by start address: an overlap is found by scanning forward while the next
    // range starts inside the current one.
    let mut ranges: Vec<(IpNet, &str, &str)> = customers
        .iter()
        .flat_map(|c| {
            c.admin_ips.iter().filter_map(|ip| ip_range(ip).map(|net| (net, c.account.as_str(), ip.as_str())))
        })
        .collect();
    ranges.sort_by_key(|r| (r.0.network(), r.0.broadcast()));
    for (i, (net, a, ip_a)) in ranges.iter().enumerate() {
        for (other, b, ip_b) in &ranges[i + 1..] {
            if other.network() > net.broadcast() || !same_family(net, other) {
                break;
            }
            add(a, b, LinkReason::IpOrAsn, format!("KYC: admin address `{ip_a}` of `{a}` overlaps `{ip_b}` of `{b}`"));
        }
    }
    links
        .into_iter()
        .map(|((account_a, account_b, reason), evidence)| Link { account_a, account_b, reason, evidence })
        .collect()
}

fn same_family(a: &IpNet, b: &IpNet) -> bool {
    matches!((a, b), (IpNet::V4(_), IpNet::V4(_)) | (IpNet::V6(_), IpNet::V6(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(account: &str) -> Customer {
        Customer {
            account: account.into(),
            legal_name: format!("{account} Ltd"),
            address: None,
            country: None,
            email: None,
            phone: None,
            beneficial_owners: vec![],
            payment_means: vec![],
            admin_ips: vec![],
            admin_asns: vec![],
            affiliates: vec![],
            verification: Verification::Unverified,
            verified_on: None,
        }
    }

    #[test]
    fn overlapping_ranges_link_accounts_and_disjoint_ones_do_not() {
        let mut a = customer("a");
        a.admin_ips = vec!["203.0.113.0/24".into()];
        let mut b = customer("b");
        b.admin_ips = vec!["203.0.113.77".into()];
        let mut c = customer("c");
        c.admin_ips = vec!["203.0.114.1".into(), "2001:db8::/32".into()];
        let mut d = customer("d");
        d.admin_ips = vec!["2001:db8:1::5".into()];
        let links = derived_links(&[a, b, c, d]);
        let pairs: Vec<(&str, &str)> = links.iter().map(|l| (l.account_a.as_str(), l.account_b.as_str())).collect();
        assert_eq!(pairs, [("a", "b"), ("c", "d")]);
        assert!(links.iter().all(|l| l.reason == LinkReason::IpOrAsn));
        assert!(links[0].evidence.contains("203.0.113.0/24") && links[0].evidence.contains("203.0.113.77"));
    }

    #[test]
    fn owners_match_by_identifier_or_by_name_in_any_order() {
        let owner = |name: &str, id: Option<&str>| BeneficialOwner {
            name: name.into(),
            country: None,
            address: None,
            share: None,
            identifier: id.map(str::to_owned),
        };
        let mut a = customer("a");
        a.beneficial_owners = vec![owner("LI Wei", None)];
        let mut b = customer("b");
        b.beneficial_owners = vec![owner("Wei, Li", None)];
        let mut c = customer("c");
        c.beneficial_owners = vec![owner("Zhang San", Some("E-1234 567"))];
        let mut d = customer("d");
        d.beneficial_owners = vec![owner("San Zhang-Chen", Some("e1234567"))];
        let links = derived_links(&[a, b, c, d]);
        assert_eq!(links.len(), 2, "{links:?}");
        assert!(links.iter().all(|l| l.reason == LinkReason::SameBeneficialOwner));
        assert!(links[1].evidence.contains("same identifier"));
    }

    #[test]
    fn jsonl_rejects_name_line_and_field() {
        let text = r#"{"account":"a","legal_name":"A Ltd","country":"sg","payment_means":["card:4242"]}
# comment

{"account":"b","legal_name":"B Ltd","country":"S1"}
{"account":"c","legal_name":"C Ltd","admin_ips":["300.1.1.1"]}
{"account":"d","legal_name":"D Ltd","verification":"verified"}
{"account":"e","legal_name":"E Ltd","beneficial_owners":[{"name":"X","share":1.5}]}
{"account":"f"}
{"account":"g","legal_name":"G Ltd","colour":"red"}
{"account":"a","legal_name":"A again"}
"#;
        let parsed = parse_customers("kyc.jsonl", text.as_bytes());
        assert_eq!(parsed.len(), 8);
        let first = parsed[0].as_ref().expect("line 1");
        assert_eq!(first.country.as_deref(), Some("SG"));
        let errs: Vec<(u64, &str)> =
            parsed[1..].iter().map(|r| r.as_ref().expect_err("bad")).map(|e| (e.line, e.field.as_str())).collect();
        assert_eq!(
            errs,
            [
                (4, "country"),
                (5, "admin_ips[0]"),
                (6, "verified_on"),
                (7, "beneficial_owners[0].share"),
                (8, "legal_name"),
                (9, "colour"),
                (10, "account"),
            ]
        );
    }
}
