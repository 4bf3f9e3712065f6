//! Links between accounts (same owner, payment instrument, IP/ASN, declared affiliate) and the
//! groups of linked accounts they form, each group carrying the reason for every link.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::error::Reject;

/// Why two accounts are treated as one customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkReason {
    SameBeneficialOwner,
    PaymentInstrument,
    IpOrAsn,
    DeclaredAffiliate,
}

impl LinkReason {
    pub const ALL: [LinkReason; 4] = [
        LinkReason::SameBeneficialOwner,
        LinkReason::PaymentInstrument,
        LinkReason::IpOrAsn,
        LinkReason::DeclaredAffiliate,
    ];

    pub fn name(self) -> &'static str {
        match self {
            LinkReason::SameBeneficialOwner => "same_beneficial_owner",
            LinkReason::PaymentInstrument => "payment_instrument",
            LinkReason::IpOrAsn => "ip_or_asn",
            LinkReason::DeclaredAffiliate => "declared_affiliate",
        }
    }

    /// Reads a reason written as its name or in words (`same beneficial owner`, `payment`,
    /// `ip`, `asn`, `IP/ASN`, `affiliate`), ignoring case and punctuation.
    pub fn parse(text: &str) -> Option<LinkReason> {
        let key: String = text.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
        match key.as_str() {
            "samebeneficialowner" | "beneficialowner" | "owner" | "sameowner" => Some(LinkReason::SameBeneficialOwner),
            "paymentinstrument" | "payment" | "samepaymentinstrument" | "card" => Some(LinkReason::PaymentInstrument),
            "iporasn" | "ipasn" | "ip" | "asn" | "iprange" => Some(LinkReason::IpOrAsn),
            "declaredaffiliate" | "affiliate" => Some(LinkReason::DeclaredAffiliate),
            _ => None,
        }
    }
}

/// An explicit link between two accounts, with the evidence for it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Link {
    pub account_a: String,
    pub account_b: String,
    pub reason: LinkReason,
    #[serde(default)]
    pub evidence: String,
}

/// Linked accounts: every account reachable from another through links, and those links.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// Sorted.
    pub accounts: Vec<String>,
    pub links: Vec<Link>,
}

impl Group {
    pub fn contains(&self, account: &str) -> bool {
        self.accounts.binary_search_by(|a| a.as_str().cmp(account)).is_ok()
    }
}

/// The groups the links form (union-find), each with its links, sorted by first account.
/// Links of an account to itself are ignored.
pub fn groups(links: &[Link]) -> Vec<Group> {
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for link in links.iter().filter(|l| l.account_a != l.account_b) {
        for account in [&link.account_a, &link.account_b] {
            let next = index.len();
            index.entry(account.as_str()).or_insert(next);
        }
    }
    let mut parent: Vec<usize> = (0..index.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for link in links.iter().filter(|l| l.account_a != l.account_b) {
        let (a, b) = (index[link.account_a.as_str()], index[link.account_b.as_str()]);
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        parent[ra.max(rb)] = ra.min(rb);
    }
    let mut members: BTreeMap<usize, (BTreeSet<String>, BTreeSet<Link>)> = BTreeMap::new();
    for (account, &i) in &index {
        let r = root(&mut parent, i);
        members.entry(r).or_default().0.insert((*account).to_owned());
    }
    for link in links.iter().filter(|l| l.account_a != l.account_b) {
        let r = root(&mut parent, index[link.account_a.as_str()]);
        members.entry(r).or_default().1.insert(link.clone());
    }
    let mut out: Vec<Group> = members
        .into_values()
        .map(|(accounts, links)| Group { accounts: accounts.into_iter().collect(), links: links.into_iter().collect() })
        .collect();
    out.sort_by(|a, b| a.accounts.cmp(&b.accounts));
    out
}

/// Links from a CSV file with the columns `account_a, account_b, reason` and optionally
/// `evidence`; one result per row, a bad row a `Reject`.
pub fn parse_links<R: Read>(file: &str, reader: R) -> Vec<Result<Link, Reject>> {
    let mut out = Vec::new();
    let mut csv = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(reader);
    let header: Vec<String> = match csv.headers() {
        Ok(h) => h.iter().map(str::to_ascii_lowercase).collect(),
        Err(e) => return vec![Err(Reject::new(file, 1, "(header)", format!("unreadable header: {e}")))],
    };
    let column = |name: &str| header.iter().position(|h| h == name);
    let (Some(a), Some(b), Some(r)) = (column("account_a"), column("account_b"), column("reason")) else {
        let missing = ["account_a", "account_b", "reason"].into_iter().find(|n| column(n).is_none()).unwrap_or("");
        return vec![Err(Reject::new(file, 1, missing, "required column is missing from the header"))];
    };
    let evidence = column("evidence");
    for row in csv.records() {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                out.push(Err(Reject::new(file, line, "(row)", format!("unreadable row: {e}"))));
                continue;
            }
        };
        let line = row.position().map_or(0, |p| p.line());
        let get = |i: usize| row.get(i).unwrap_or("");
        let link = if get(a).is_empty() {
            Err(Reject::new(file, line, "account_a", "is empty"))
        } else if get(b).is_empty() {
            Err(Reject::new(file, line, "account_b", "is empty"))
        } else if get(a) == get(b) {
            Err(Reject::new(file, line, "account_b", format!("`{}` is linked to itself", get(b))))
        } else {
            LinkReason::parse(get(r))
                .map(|reason| Link {
                    account_a: get(a).to_owned(),
                    account_b: get(b).to_owned(),
                    reason,
                    evidence: evidence.map(get).unwrap_or("").to_owned(),
                })
                .ok_or_else(|| {
                    let known: Vec<&str> = LinkReason::ALL.iter().map(|r| r.name()).collect();
                    let reason = format!("unknown reason `{}`; known: {}", get(r), known.join(", "));
                    Reject::new(file, line, "reason", reason)
                })
        };
        out.push(link);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(a: &str, b: &str, reason: LinkReason) -> Link {
        Link { account_a: a.into(), account_b: b.into(), reason, evidence: String::new() }
    }

    #[test]
    fn union_find_groups_carry_every_link() {
        let links = [
            link("a", "b", LinkReason::SameBeneficialOwner),
            link("c", "d", LinkReason::PaymentInstrument),
            link("b", "e", LinkReason::IpOrAsn),
            link("x", "x", LinkReason::DeclaredAffiliate),
        ];
        let g = groups(&links);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].accounts, ["a", "b", "e"]);
        assert_eq!(g[0].links.len(), 2);
        assert_eq!(g[1].accounts, ["c", "d"]);
        assert_eq!(g[1].links[0].reason, LinkReason::PaymentInstrument);
        assert!(g[0].contains("e") && !g[0].contains("c"));
    }

    #[test]
    fn links_csv_with_bad_rows() {
        let text = "account_a,account_b,reason,evidence\nacme-1,acme-2,same beneficial owner,UBO J. Doe\nacme-2,acme-3,IP/ASN,AS64500\nacme-1,acme-4,cousin,\nacme-5,acme-5,payment,\n";
        let parsed = parse_links("links.csv", text.as_bytes());
        assert_eq!(parsed.len(), 4);
        let first = parsed[0].as_ref().expect("row 2");
        assert_eq!((first.reason, first.evidence.as_str()), (LinkReason::SameBeneficialOwner, "UBO J. Doe"));
        assert_eq!(parsed[1].as_ref().expect("row 3").reason, LinkReason::IpOrAsn);
        let bad = parsed[2].as_ref().expect_err("row 4");
        assert_eq!((bad.line, bad.field.as_str()), (4, "reason"));
        assert!(bad.reason.contains("`cousin`"));
        assert_eq!(parsed[3].as_ref().expect_err("row 5").line, 5);
        let missing = parse_links("l.csv", "account_a,reason\n".as_bytes());
        assert_eq!(missing[0].as_ref().expect_err("header").field, "account_b");
    }
}
