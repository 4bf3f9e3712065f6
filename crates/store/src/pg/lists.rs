//! PostgreSQL: list versions, screened parties, screenings and their hits, review decisions and
//! ownership edges (the SQLite twins are `lists.rs`, `screening.rs`, `decisions.rs` and
//! `ownership.rs`).

use std::collections::{BTreeSet, HashSet};

use chipwarden_lists::{ListCode, ListDiff, ListEntry, ParsedList, diff};
use postgres::{GenericClient, Row};

use super::{PgStore, is_unique_violation, lock_writes};
use crate::error::{DriverError, Result, StoreError, db};
use crate::model::{
    Decision, HitKey, ImportOutcome, ListVersion, OwnershipEdge, Party, RecordedDecision, RecordedHit, Screening,
    StoredEntry, StoredHit, Subject, Verdict, decode_explanation, new_hits, ownership_edge_is_new,
};

const VERSION_COLUMNS: &str = "id, source, format, published, content_hash, imported_at, entry_count";

fn version_from_row(row: &Row) -> Result<ListVersion, postgres::Error> {
    let count: i64 = row.try_get(6)?;
    Ok(ListVersion {
        id: row.try_get(0)?,
        source: row.try_get(1)?,
        format: row.try_get(2)?,
        published: row.try_get(3)?,
        content_hash: row.try_get(4)?,
        imported_at: row.try_get(5)?,
        // The schema holds it to zero or more.
        entry_count: count.unsigned_abs(),
    })
}

fn versions_from(rows: &[Row], action: &'static str) -> Result<Vec<ListVersion>> {
    rows.iter().map(|row| version_from_row(row).map_err(db(action))).collect()
}

fn decode_entry(version_id: i64, json: &str) -> Result<ListEntry> {
    serde_json::from_str(json)
        .map_err(|e| StoreError::Corrupt { what: format!("entry of list version {version_id}"), cause: Box::new(e) })
}

fn current_version(c: &mut impl GenericClient, source: &str) -> Result<Option<ListVersion>> {
    let action = "read the current version of a list";
    let row = c
        .query_opt(
            &format!("SELECT {VERSION_COLUMNS} FROM list_versions WHERE source = $1 ORDER BY id DESC LIMIT 1"),
            &[&source],
        )
        .map_err(db(action))?;
    row.map(|row| version_from_row(&row).map_err(db(action))).transpose()
}

fn version_by_id(c: &mut impl GenericClient, id: i64) -> Result<ListVersion> {
    let action = "read a list version";
    let row = c
        .query_opt(&format!("SELECT {VERSION_COLUMNS} FROM list_versions WHERE id = $1"), &[&id])
        .map_err(db(action))?
        .ok_or(StoreError::UnknownVersion(id))?;
    version_from_row(&row).map_err(db(action))
}

fn entries_of(c: &mut impl GenericClient, version_id: i64) -> Result<Vec<ListEntry>> {
    let action = "read the entries of a list version";
    let rows = c
        .query("SELECT entry FROM list_entries WHERE version_id = $1 ORDER BY id", &[&version_id])
        .map_err(db(action))?;
    rows.iter().map(|row| decode_entry(version_id, row.try_get(0).map_err(db(action))?)).collect()
}

fn require_party(c: &mut impl GenericClient, party_id: &str) -> Result<()> {
    let found = c.query_opt("SELECT 1 FROM parties WHERE id = $1", &[&party_id]).map_err(db("look up a party"))?;
    found.map(drop).ok_or_else(|| StoreError::UnknownParty(party_id.to_owned()))
}

fn upsert_in(c: &mut impl GenericClient, party: &Party) -> Result<()> {
    let identifiers = serde_json::to_string(&party.identifiers).map_err(|e| StoreError::Corrupt {
        what: format!("identifiers of party `{}`", party.id),
        cause: Box::new(e),
    })?;
    c.execute(
        "INSERT INTO parties (id, name, country, address, date, identifiers) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, country = excluded.country,
             address = excluded.address, date = excluded.date, identifiers = excluded.identifiers",
        &[&party.id, &party.name, &party.country, &party.address, &party.date, &identifiers],
    )
    .map_err(db("store a party"))?;
    Ok(())
}

fn record_in(
    c: &mut impl GenericClient,
    party_id: &str,
    hits: &[StoredHit],
    version_ids: &[i64],
    at: &str,
) -> Result<i64> {
    let versions: BTreeSet<i64> = version_ids.iter().copied().collect();
    require_party(c, party_id)?;
    for &version_id in &versions {
        version_by_id(c, version_id)?;
    }
    let versions: Vec<i64> = versions.into_iter().collect();
    let listed = c
        .prepare(
            "SELECT EXISTS (SELECT 1 FROM list_entries WHERE version_id = ANY($1) AND list = $2 AND entry_id = $3)",
        )
        .map_err(db("look up the entry of a hit"))?;
    for hit in hits {
        let found: bool = c
            .query_one(&listed, &[&versions, &hit.list.0, &hit.entry_id])
            .and_then(|row| row.try_get(0))
            .map_err(db("look up the entry of a hit"))?;
        if !found {
            return Err(StoreError::UnknownEntry { list: hit.list.0.clone(), entry_id: hit.entry_id.clone() });
        }
    }
    let screening_id: i64 = c
        .query_one("INSERT INTO screenings (party_id, at) VALUES ($1, $2) RETURNING id", &[&party_id, &at])
        .and_then(|row| row.try_get(0))
        .map_err(db("record a screening"))?;
    c.execute(
        "INSERT INTO screening_versions (screening_id, version_id) SELECT $1, v FROM unnest($2::bigint[]) AS v",
        &[&screening_id, &versions],
    )
    .map_err(db("record the list versions of a screening"))?;
    let insert = c
        .prepare(
            "INSERT INTO hits (screening_id, party_id, list, entry_id, matched_name, score, explanation,
                               matcher_version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .map_err(db("record the hits of a screening"))?;
    for hit in hits {
        c.execute(
            &insert,
            &[
                &screening_id,
                &party_id,
                &hit.list.0,
                &hit.entry_id,
                &hit.matched_name,
                &hit.score,
                &hit.explanation.to_string(),
                &hit.matcher_version,
            ],
        )
        .map_err(db("record the hits of a screening"))?;
    }
    Ok(screening_id)
}

const DECISION_COLUMNS: &str = "seq, party_id, query, list, entry_id, matched_name, decision, reviewer, at, reason";

fn decision_from_row(row: &Row) -> Result<RecordedDecision> {
    let action = "read a review decision";
    let unreadable =
        |message: String| StoreError::Corrupt { what: "review decision".to_owned(), cause: message.into() };
    let party: Option<String> = row.try_get(1).map_err(db(action))?;
    let query: Option<String> = row.try_get(2).map_err(db(action))?;
    let subject = match (party, query) {
        (Some(id), None) => Subject::Party(id),
        (None, Some(text)) => Subject::Query(text),
        _ => return Err(unreadable("a decision must name either a party or a query".to_owned())),
    };
    let verdict_text: String = row.try_get(6).map_err(db(action))?;
    let verdict =
        Verdict::parse(&verdict_text).ok_or_else(|| unreadable(format!("unknown verdict `{verdict_text}`")))?;
    let get = |i: usize| -> Result<String> { row.try_get(i).map_err(db(action)) };
    Ok(RecordedDecision {
        seq: row.try_get(0).map_err(db(action))?,
        decision: Decision {
            key: HitKey { subject, list: ListCode(get(3)?), entry_id: get(4)?, matched_name: get(5)? },
            verdict,
            reviewer: get(7)?,
            at: get(8)?,
            reason: get(9)?,
        },
    })
}

/// Appends a review decision inside the caller's transaction and returns its sequence number.
/// The caller has checked it (`validate::decision`).
pub(super) fn insert_decision(c: &mut impl GenericClient, decision: &Decision) -> Result<i64> {
    if let Subject::Party(id) = &decision.key.subject {
        require_party(c, id)?;
    }
    let key = &decision.key;
    let (party_id, query) = key.subject.columns();
    c.query_one(
        "INSERT INTO decisions (party_id, query, list, entry_id, matched_name, decision, reviewer, at, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq",
        &[
            &party_id,
            &query,
            &key.list.0,
            &key.entry_id,
            &key.matched_name,
            &decision.verdict.as_str(),
            &decision.reviewer,
            &decision.at,
            &decision.reason,
        ],
    )
    .and_then(|row| row.try_get(0))
    .map_err(db("record a review decision"))
}

fn latest_decision(
    c: &mut impl GenericClient,
    subject: &Subject,
    list: &ListCode,
    entry_id: &str,
    matched_name: &str,
) -> Result<Option<RecordedDecision>> {
    let (party_id, query) = subject.columns();
    let row = c
        .query_opt(
            &format!(
                "SELECT {DECISION_COLUMNS} FROM decisions
                 WHERE list = $1 AND entry_id = $2 AND matched_name = $3
                   AND party_id IS NOT DISTINCT FROM $4 AND query IS NOT DISTINCT FROM $5
                 ORDER BY seq DESC LIMIT 1"
            ),
            &[&list.0, &entry_id, &matched_name, &party_id, &query],
        )
        .map_err(db("read the review decision on a hit"))?;
    row.map(|row| decision_from_row(&row)).transpose()
}

impl PgStore {
    pub fn import_list(&mut self, source: &str, parsed: &ParsedList, imported_at: &str) -> Result<ImportOutcome> {
        let entry_count = i64::try_from(parsed.entries.len())
            .map_err(|_| StoreError::Invalid(format!("list `{source}` has too many entries to store")))?;
        let mut tx = self.client_mut()?.transaction().map_err(db("start the list import"))?;
        lock_writes(&mut tx)?;
        let previous = current_version(&mut tx, source)?;
        if let Some(current) = previous.as_ref().filter(|v| v.content_hash == parsed.content_hash) {
            return Ok(ImportOutcome::unchanged(current));
        }
        let old_entries = match &previous {
            Some(version) => entries_of(&mut tx, version.id)?,
            None => Vec::new(),
        };
        let mut seen = HashSet::new();
        let (mut lists, mut ids, mut names, mut jsons) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for entry in &parsed.entries {
            if !seen.insert((&entry.list.0, &entry.entry_id)) {
                return Err(StoreError::DuplicateEntry {
                    list_source: source.to_owned(),
                    list: entry.list.0.clone(),
                    entry_id: entry.entry_id.clone(),
                });
            }
            let json = serde_json::to_string(entry).map_err(|e| {
                StoreError::Invalid(format!(
                    "entry `{}` of list `{}` cannot be written as JSON: {e}",
                    entry.entry_id, entry.list
                ))
            })?;
            lists.push(entry.list.0.as_str());
            ids.push(entry.entry_id.as_str());
            names.push(entry.primary_name());
            jsons.push(json);
        }
        let version_id: i64 = tx
            .query_one(
                "INSERT INTO list_versions (source, format, published, content_hash, imported_at, entry_count)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[&source, &parsed.format, &parsed.published, &parsed.content_hash, &imported_at, &entry_count],
            )
            .and_then(|row| row.try_get(0))
            .map_err(db("store the new list version"))?;
        // One statement for every entry, in file order (their ids keep it).
        tx.execute(
            "INSERT INTO list_entries (version_id, source, list, entry_id, primary_name, entry)
             SELECT $1, $2, l, i, n, j
             FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS e (l, i, n, j, o)
             ORDER BY o",
            &[&version_id, &source, &lists, &ids, &names, &jsons],
        )
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Invalid(format!("list `{source}` names an entry twice; nothing was imported"))
            } else {
                StoreError::Database {
                    action: "store the entries of the new list version".to_owned(),
                    cause: e.into_cause(),
                }
            }
        })?;
        let diff = diff(&old_entries, &parsed.entries);
        tx.commit().map_err(db("commit the list import"))?;
        Ok(ImportOutcome::imported(version_id, source, parsed, imported_at, previous, diff))
    }

    pub fn current_versions(&self) -> Result<Vec<ListVersion>> {
        let action = "read the current list versions";
        let rows = self
            .client()?
            .query(
                &format!(
                    "SELECT {VERSION_COLUMNS} FROM list_versions v
                     WHERE id = (SELECT max(id) FROM list_versions WHERE source = v.source)
                     ORDER BY source COLLATE \"C\""
                ),
                &[],
            )
            .map_err(db(action))?;
        versions_from(&rows, action)
    }

    pub fn versions(&self, source: &str) -> Result<Vec<ListVersion>> {
        let action = "read the versions of a list";
        let rows = self
            .client()?
            .query(&format!("SELECT {VERSION_COLUMNS} FROM list_versions WHERE source = $1 ORDER BY id"), &[&source])
            .map_err(db(action))?;
        versions_from(&rows, action)
    }

    pub fn entries(&self, version_id: i64) -> Result<Vec<ListEntry>> {
        let mut client = self.client()?;
        version_by_id(&mut *client, version_id)?;
        entries_of(&mut *client, version_id)
    }

    pub fn current_entries(&self) -> Result<Vec<StoredEntry>> {
        let action = "read the entries of the current list versions";
        let rows = self
            .client()?
            .query(
                "SELECT e.source, e.version_id, e.entry
                 FROM list_entries e
                 JOIN (SELECT max(id) AS id FROM list_versions GROUP BY source) c ON e.version_id = c.id
                 ORDER BY e.source COLLATE \"C\", e.id",
                &[],
            )
            .map_err(db(action))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let source: String = row.try_get(0).map_err(db(action))?;
            let version_id: i64 = row.try_get(1).map_err(db(action))?;
            let json: &str = row.try_get(2).map_err(db(action))?;
            out.push(StoredEntry { entry: decode_entry(version_id, json)?, source, version_id });
        }
        Ok(out)
    }

    pub fn list_codes(&self, version_id: i64) -> Result<BTreeSet<String>> {
        let action = "read the list codes of a version";
        let rows = self
            .client()?
            .query("SELECT DISTINCT list FROM list_entries WHERE version_id = $1", &[&version_id])
            .map_err(db(action))?;
        rows.iter().map(|row| row.try_get(0).map_err(db(action))).collect()
    }

    pub fn diff_versions(&self, a: i64, b: i64) -> Result<ListDiff> {
        let mut client = self.client()?;
        let (version_a, version_b) = (version_by_id(&mut *client, a)?, version_by_id(&mut *client, b)?);
        if version_a.source != version_b.source {
            return Err(StoreError::DifferentSources { a, a_source: version_a.source, b, b_source: version_b.source });
        }
        Ok(diff(&entries_of(&mut *client, a)?, &entries_of(&mut *client, b)?))
    }

    pub fn upsert_party(&mut self, party: &Party) -> Result<()> {
        upsert_in(self.client_mut()?, party)
    }

    pub fn parties(&self) -> Result<Vec<Party>> {
        let action = "read the parties";
        let rows = self
            .client()?
            .query("SELECT id, name, country, address, date, identifiers FROM parties ORDER BY id COLLATE \"C\"", &[])
            .map_err(db(action))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: String = row.try_get(0).map_err(db(action))?;
            let identifiers: &str = row.try_get(5).map_err(db(action))?;
            let identifiers = serde_json::from_str(identifiers).map_err(|e| StoreError::Corrupt {
                what: format!("identifiers of party `{id}`"),
                cause: Box::new(e),
            })?;
            out.push(Party {
                name: row.try_get(1).map_err(db(action))?,
                country: row.try_get(2).map_err(db(action))?,
                address: row.try_get(3).map_err(db(action))?,
                date: row.try_get(4).map_err(db(action))?,
                identifiers,
                id,
            });
        }
        Ok(out)
    }

    pub fn record_hits(&mut self, party_id: &str, hits: &[StoredHit], version_ids: &[i64], at: &str) -> Result<i64> {
        let mut tx = self.client_mut()?.transaction().map_err(db("start recording a screening"))?;
        let screening_id = record_in(&mut tx, party_id, hits, version_ids, at)?;
        tx.commit().map_err(db("commit the screening"))?;
        Ok(screening_id)
    }

    pub fn record_batch(
        &mut self,
        batch: &[(Party, Vec<StoredHit>)],
        version_ids: &[i64],
        at: &str,
    ) -> Result<Vec<i64>> {
        let mut tx = self.client_mut()?.transaction().map_err(db("start recording a batch of screenings"))?;
        let mut ids = Vec::with_capacity(batch.len());
        for (party, hits) in batch {
            upsert_in(&mut tx, party)?;
            ids.push(record_in(&mut tx, &party.id, hits, version_ids, at)?);
        }
        tx.commit().map_err(db("commit the batch of screenings"))?;
        Ok(ids)
    }

    pub fn screenings(&self, party_id: &str) -> Result<Vec<Screening>> {
        let mut client = self.client()?;
        require_party(&mut *client, party_id)?;
        let action = "read the screenings of a party";
        let rows = client
            .query(
                "SELECT s.id, s.at, v.version_id FROM screenings s
                 JOIN screening_versions v ON v.screening_id = s.id
                 WHERE s.party_id = $1 ORDER BY s.id, v.version_id",
                &[&party_id],
            )
            .map_err(db(action))?;
        let mut out: Vec<Screening> = Vec::new();
        for row in &rows {
            let id: i64 = row.try_get(0).map_err(db(action))?;
            let version_id: i64 = row.try_get(2).map_err(db(action))?;
            Screening::push_row(&mut out, party_id, id, row.try_get(1).map_err(db(action))?, version_id);
        }
        Ok(out)
    }

    pub fn hits_for(&self, party_id: &str) -> Result<Vec<RecordedHit>> {
        let mut client = self.client()?;
        require_party(&mut *client, party_id)?;
        let action = "read the hits of a party";
        let rows = client
            .query(
                "SELECT h.screening_id, s.at, h.list, h.entry_id, h.matched_name, h.score, h.explanation,
                        h.matcher_version
                 FROM hits h JOIN screenings s ON s.id = h.screening_id
                 WHERE h.party_id = $1 ORDER BY h.id",
                &[&party_id],
            )
            .map_err(db(action))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let explanation: &str = row.try_get(6).map_err(db(action))?;
            let explanation = decode_explanation(party_id, explanation)?;
            out.push(RecordedHit {
                screening_id: row.try_get(0).map_err(db(action))?,
                party_id: party_id.to_owned(),
                screened_at: row.try_get(1).map_err(db(action))?,
                hit: StoredHit {
                    list: ListCode(row.try_get(2).map_err(db(action))?),
                    entry_id: row.try_get(3).map_err(db(action))?,
                    matched_name: row.try_get(4).map_err(db(action))?,
                    score: row.try_get(5).map_err(db(action))?,
                    explanation,
                    matcher_version: row.try_get(7).map_err(db(action))?,
                },
            });
        }
        Ok(out)
    }

    pub fn new_hits(&self, party_id: &str, hits: &[StoredHit]) -> Result<Vec<StoredHit>> {
        let mut client = self.client()?;
        require_party(&mut *client, party_id)?;
        let action = "look up earlier hits of a party";
        let recorded = client
            .prepare(
                "SELECT EXISTS (SELECT 1 FROM hits
                                WHERE party_id = $1 AND list = $2 AND entry_id = $3 AND matched_name = $4)",
            )
            .map_err(db(action))?;
        new_hits(
            &mut *client,
            party_id,
            hits,
            |client, hit| {
                client
                    .query_one(&recorded, &[&party_id, &hit.list.0, &hit.entry_id, &hit.matched_name])
                    .and_then(|row| row.try_get(0))
                    .map_err(db(action))
            },
            |client, subject, hit| latest_decision(client, subject, &hit.list, &hit.entry_id, &hit.matched_name),
        )
    }

    pub fn record_decision(&mut self, decision: &Decision) -> Result<i64> {
        insert_decision(self.client_mut()?, decision)
    }

    pub fn decision_for(&self, key: &HitKey) -> Result<Option<RecordedDecision>> {
        latest_decision(&mut *self.client()?, &key.subject, &key.list, &key.entry_id, &key.matched_name)
    }

    pub fn decisions(&self) -> Result<Vec<RecordedDecision>> {
        let rows = self
            .client()?
            .query(&format!("SELECT {DECISION_COLUMNS} FROM decisions ORDER BY seq"), &[])
            .map_err(db("read the review decisions"))?;
        rows.iter().map(decision_from_row).collect()
    }

    pub fn import_ownership(&mut self, edges: &[OwnershipEdge]) -> Result<usize> {
        let action = "store an ownership edge";
        let mut tx = self.client_mut()?.transaction().map_err(db("start the ownership import"))?;
        lock_writes(&mut tx)?;
        let stored = tx
            .prepare("SELECT share FROM ownership_edges WHERE owner = $1 AND owned = $2 AND source = $3 AND date = $4")
            .map_err(db(action))?;
        let insert = tx
            .prepare("INSERT INTO ownership_edges (owner, owned, share, source, date) VALUES ($1, $2, $3, $4, $5)")
            .map_err(db(action))?;
        let mut added = 0;
        for (index, edge) in edges.iter().enumerate() {
            let found = tx
                .query_opt(&stored, &[&edge.owner, &edge.owned, &edge.source, &edge.date])
                .map_err(db(action))?
                .map(|row| row.try_get::<_, f64>(0))
                .transpose()
                .map_err(db(action))?;
            if ownership_edge_is_new(index + 1, edge, found)? {
                tx.execute(&insert, &[&edge.owner, &edge.owned, &edge.share, &edge.source, &edge.date]).map_err(
                    |e| StoreError::Database {
                        action: format!("store ownership row {}", index + 1),
                        cause: e.into_cause(),
                    },
                )?;
                added += 1;
            }
        }
        tx.commit().map_err(db("commit the ownership import"))?;
        Ok(added)
    }

    pub fn ownership_edges(&self) -> Result<Vec<OwnershipEdge>> {
        let action = "read the ownership edges";
        let rows = self
            .client()?
            .query("SELECT owner, owned, share, source, date FROM ownership_edges ORDER BY id", &[])
            .map_err(db(action))?;
        let edge = |row: &Row| -> Result<OwnershipEdge, postgres::Error> {
            Ok(OwnershipEdge {
                owner: row.try_get(0)?,
                owned: row.try_get(1)?,
                share: row.try_get(2)?,
                source: row.try_get(3)?,
                date: row.try_get(4)?,
            })
        };
        rows.iter().map(|row| edge(row).map_err(db(action))).collect()
    }
}
