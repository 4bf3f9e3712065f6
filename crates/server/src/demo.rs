//! Demo data for `chipwarden serve --demo`, every byte from files in the repository (nothing from
//! the network), put through the same service calls as real data:
//! - real list excerpts (the trade.gov CSL 2025 sample and the OFAC SDN subset of July 2021, both
//!   US government work) imported into a fresh store;
//! - demo KYC customers (`demo/customers.jsonl`) onboarded and screened: two are linked (shared
//!   owner and payment card), one has an owner on the SDN list, which opens a screening case;
//! - real usage: the Alibaba 2023 GPU trace sample through the meter's `alibaba_pods` parser,
//!   its QoS classes mapped to demo customer accounts, its times placed to end at the start;
//! - a custody ledger (`demo/custody.jsonl`) signed with party keys drawn at start, chips
//!   registered with device keys drawn at start, checked and appended as `ledger append` does;
//!   then a signed checkpoint;
//! - landmarks at real WonderProxy server sites (`demo/landmarks.csv`) with keys drawn at start,
//!   and measurement records they sign from the real round trips between those sites
//!   (`demo/landmark_pings.csv`): DEMO-H100-0001 answers from the Washington site, beside its
//!   recorded installation in the US; DEMO-H100-0002, on record in the same US data centre,
//!   answers from the Malaysian site, which opens a location case; DEMO-H100-0003 answers from
//!   Malaysia, where it is installed;
//! - an admin token, shown once.
//!
//! The files under `crates/server/demo/` say where they come from in their README.

use std::path::Path;

use chipwarden_core::Catalog;
use chipwarden_ledger::{EventDraft, EventKind, PartyKey, SignedEvent};
use chipwarden_lists::ofac_csv::{OfacCsvParts, Part};
use chipwarden_meter::{AlibabaOptions, Customer, UsageRecord};
use chipwarden_screen::{DEFAULT_THRESHOLD, Lexicon};
use chipwarden_service::ServiceError;
use chipwarden_service::audit::Auditor;
use chipwarden_service::ledger::{check_and_append, random_seed};
use chipwarden_store::Store;
use serde::Deserialize;

use crate::state::{STORE_FILE, now};

const CSL_2025: &[u8] = include_bytes!("../../lists/test_data/csl_2025_sample.csv");
const SDN: &[u8] = include_bytes!("../../lists/test_data/ofac_sdn_2021/sdn.csv");
const SDN_ADD: &[u8] = include_bytes!("../../lists/test_data/ofac_sdn_2021/add.csv");
const SDN_ALT: &[u8] = include_bytes!("../../lists/test_data/ofac_sdn_2021/alt.csv");
const SDN_COMMENTS: &[u8] = include_bytes!("../../lists/test_data/ofac_sdn_2021/sdn_comments.csv");
const ALIBABA: &[u8] = include_bytes!("../../meter/test_data/alibaba_v2023_openb_pod_sample.csv");
const CUSTOMERS: &[u8] = include_bytes!("../demo/customers.jsonl");
const CUSTODY: &str = include_str!("../demo/custody.jsonl");
const LANDMARKS: &str = include_str!("../demo/landmarks.csv");
const LANDMARK_PINGS: &str = include_str!("../demo/landmark_pings.csv");
/// The demo chips the landmarks measure, and the site of `demo/landmark_pings.csv` each answers
/// from.
pub const MEASURED: &[(&str, &str)] =
    &[("DEMO-H100-0001", "Washington"), ("DEMO-H100-0002", "Malaysia"), ("DEMO-H100-0003", "Malaysia")];

/// The name of the demo's admin token.
pub const ADMIN_TOKEN_NAME: &str = "demo-admin";
/// Who the demo's own writes (onboarding, its cases) are logged as.
pub const DEMO_ACTOR: &str = "demo-setup";
/// The chip model the trace's pods are taken to use: the trace names none, and its cluster mixes
/// T4, P100, V100 and undisclosed models.
pub const TRACE_MODEL: &str = "V100";
/// The trace's QoS classes and the demo customer accounts their usage is put under.
pub const QOS_ACCOUNTS: &[(&str, &str)] = &[("LS", "aurora"), ("BE", "harbor-lane"), ("Burstable", "kestrel")];

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot create the demo data directory `{path}`: {cause}")]
    Dir { path: String, cause: std::io::Error },
    #[error(transparent)]
    Store(#[from] chipwarden_store::StoreError),
    #[error(transparent)]
    Service(Box<ServiceError>),
    #[error("a bundled demo list does not parse: {0}")]
    List(#[from] chipwarden_lists::ParseError),
    #[error("bundled demo data: {0}")]
    Bundled(String),
    #[error("cannot draw a token: {0}")]
    Random(String),
}

impl From<ServiceError> for DemoError {
    fn from(e: ServiceError) -> DemoError {
        DemoError::Service(Box::new(e))
    }
}

/// What the demo set up.
#[derive(Debug)]
pub struct Demo {
    /// The admin token, shown once.
    pub admin_token: String,
    /// `(source, entries)` of each list imported.
    pub lists: Vec<(String, u64)>,
    /// Customers onboarded, and the screening hits their onboarding found.
    pub customers: usize,
    pub customer_hits: usize,
    /// Usage records stored from the trace, and the trace's rows the parser rejected.
    pub usage_records: usize,
    pub usage_rejected: usize,
    /// Custody events appended, and the log's size after the checkpoint.
    pub custody_events: usize,
    /// Measurement records stored, and the location cases they opened.
    pub measurements: usize,
    pub location_cases: usize,
    pub ledger_size: u64,
}

/// Fills the data directory `dir` (made if needed) with the demo data and an admin token.
pub fn prepare(dir: &Path) -> Result<Demo, DemoError> {
    let (mut store, lists, admin_token) = open_with_lists(dir)?;
    let at = now();
    let catalog = Catalog::bundled().map_err(|e| DemoError::Bundled(e.to_string()))?;
    let auditor = Auditor::open(dir, DEMO_ACTOR)?;
    let (customers, customer_hits) = onboard(&mut store, &auditor)?;
    let (usage_records, usage_rejected) = usage(&mut store, &catalog, &at)?;
    let custody_events = custody(&mut store, &at)?;
    let (measurements, location_cases) = locations(&mut store, dir, &auditor)?;
    let signer = chipwarden_service::ledger::log_key(dir, None)?;
    let issued = chipwarden_service::ledger::checkpoint(&mut store, &signer, &at)?;
    Ok(Demo {
        admin_token,
        lists,
        customers,
        customer_hits,
        usage_records,
        usage_rejected,
        custody_events,
        measurements,
        location_cases,
        ledger_size: issued.tree_size,
    })
}

/// The demo lists and an admin token only (no customers, usage or ledger): a store the API
/// tests start from. Returns the admin token.
pub fn prepare_lists(dir: &Path) -> Result<String, DemoError> {
    Ok(open_with_lists(dir)?.2)
}

/// The store, the lists imported (`(source, entries)`) and the admin token.
type Opened = (Store, Vec<(String, u64)>, String);

fn open_with_lists(dir: &Path) -> Result<Opened, DemoError> {
    std::fs::create_dir_all(dir).map_err(|cause| DemoError::Dir { path: dir.display().to_string(), cause })?;
    let mut store = Store::open(dir.join(STORE_FILE))?;
    let at = now();
    let lists = import_lists(&mut store, &at)?;
    let token = crate::auth::new_token().map_err(|e| DemoError::Random(e.to_string()))?;
    store.create_token(ADMIN_TOKEN_NAME, crate::Role::Admin.name(), &token.hash, &at)?;
    Ok((store, lists, token.token))
}

fn import_lists(store: &mut Store, at: &str) -> Result<Vec<(String, u64)>, DemoError> {
    let csl = chipwarden_lists::parse_file(chipwarden_lists::csl_csv::FORMAT, "csl_2025_sample.csv", CSL_2025)?;
    let sdn = chipwarden_lists::ofac_csv::parse(&OfacCsvParts {
        primary: Part { file: "sdn.csv", bytes: SDN },
        addresses: Some(Part { file: "add.csv", bytes: SDN_ADD }),
        aliases: Some(Part { file: "alt.csv", bytes: SDN_ALT }),
        comments: Some(Part { file: "sdn_comments.csv", bytes: SDN_COMMENTS }),
    })?;
    let mut lists = Vec::new();
    for (source, parsed) in [("csl", &csl), ("ofac-sdn", &sdn)] {
        let outcome = store.import_list(source, parsed, at)?;
        lists.push((source.to_owned(), outcome.version.entry_count));
    }
    Ok(lists)
}

/// Onboards the demo customers with screening, as `customers import` does.
fn onboard(store: &mut Store, auditor: &Auditor) -> Result<(usize, usize), DemoError> {
    let customers: Vec<Customer> = chipwarden_meter::parse_customers("demo/customers.jsonl", CUSTOMERS)
        .into_iter()
        .collect::<Result<_, _>>()
        .map_err(|r| DemoError::Bundled(format!("line {}, field `{}`: {}", r.line, r.field, r.reason)))?;
    let lexicon = Lexicon::bundled().map_err(|e| DemoError::Bundled(e.to_string()))?;
    let (screener, versions) = chipwarden_service::screening::screener(store, lexicon)?;
    let done = chipwarden_service::customers::onboard(
        store,
        &screener,
        &versions,
        &customers,
        "demo/customers.jsonl",
        DEFAULT_THRESHOLD,
        true,
        auditor,
        &|| {},
    )?;
    Ok((done.customers.len(), done.hit_count))
}

/// The trace's pods as usage of the demo accounts, ending now.
fn usage(store: &mut Store, catalog: &Catalog, at: &str) -> Result<(usize, usize), DemoError> {
    let file = "alibaba_v2023_openb_pod_sample.csv";
    let read = |options: &AlibabaOptions| {
        let mut good: Vec<UsageRecord> = Vec::new();
        let mut rejected = 0;
        for item in chipwarden_meter::alibaba_pods(file, ALIBABA, catalog, options) {
            match item {
                Ok(record) => good.push(record),
                Err(_) => rejected += 1,
            }
        }
        (good, rejected)
    };
    // The trace's times are seconds after an unpublished start: read it once to find its end,
    // then again with the start placed so that the trace ends now.
    let mut options = AlibabaOptions::new(Some(TRACE_MODEL.to_owned()));
    options.account_prefix = String::new();
    let (first, _) = read(&options);
    let end = first.iter().map(|r| r.end).max().ok_or_else(|| DemoError::Bundled(format!("`{file}` holds no pod")))?;
    let length = end.duration_since(options.epoch);
    options.epoch = jiff::Timestamp::now()
        .checked_sub(length)
        .map_err(|e| DemoError::Bundled(format!("cannot place the trace: {e}")))?;
    let (mut records, rejected) = read(&options);
    for record in &mut records {
        let account = QOS_ACCOUNTS.iter().find(|(qos, _)| *qos == record.account).map(|(_, account)| *account);
        record.account = account
            .ok_or_else(|| DemoError::Bundled(format!("`{file}`: QoS class `{}` has no demo account", record.account)))?
            .to_owned();
    }
    let (inserted, _) = chipwarden_service::meter::ingest(store, &records, &format!("demo/{file}"), at)?;
    Ok((inserted, rejected))
}

/// One line of `demo/custody.jsonl`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CustodyLine {
    party: String,
    #[serde(default)]
    device_key: bool,
    event: serde_json::Value,
}

/// Signs the demo's custody events with party keys drawn now and appends them through the
/// checks of `ledger append`.
fn custody(store: &mut Store, at: &str) -> Result<usize, DemoError> {
    let mut keys: Vec<PartyKey> = Vec::new();
    let mut parsed: Vec<(usize, Result<SignedEvent, String>)> = Vec::new();
    for (number, text) in CUSTODY.lines().enumerate().map(|(i, line)| (i + 1, line.trim())) {
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let bad = |e: String| DemoError::Bundled(format!("demo/custody.jsonl line {number}: {e}"));
        let line: CustodyLine = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        let mut draft = EventDraft::from_json(&line.event.to_string()).map_err(|e| bad(e.to_string()))?;
        if line.device_key
            && let EventKind::Registered { device_public_key, .. } = &mut draft.kind
        {
            let device = PartyKey::from_seed(&draft.serial, &random_seed()?).map_err(|e| bad(e.to_string()))?;
            *device_public_key = Some(device.public_key());
        }
        let key = match keys.iter().position(|k| k.party() == line.party) {
            Some(i) => &keys[i],
            None => {
                keys.push(PartyKey::from_seed(&line.party, &random_seed()?).map_err(|e| bad(e.to_string()))?);
                &keys[keys.len() - 1]
            }
        };
        let signed = key.sign_draft(draft);
        parsed.push((number, signed.verify().map(|()| signed).map_err(|e| e.to_string())));
    }
    Ok(check_and_append(store, parsed, at)?.len())
}

/// The demo's landmarks with their signing keys, each derived from one secret drawn at start
/// (SHA-256 of the secret and the landmark's id), so that a test can make the same keys.
#[derive(Debug)]
pub struct DemoLandmarks {
    pub landmarks: Vec<chipwarden_locate::Landmark>,
    keys: Vec<ed25519_dalek::SigningKey>,
}

impl DemoLandmarks {
    pub fn new(secret: &[u8; 32]) -> Result<DemoLandmarks, DemoError> {
        use sha2::{Digest, Sha256};
        let landmarks = chipwarden_locate::parse_landmarks("demo/landmarks.csv", LANDMARKS)
            .map_err(|e| DemoError::Bundled(e.to_string()))?;
        let keys = landmarks
            .iter()
            .map(|l| {
                let seed: [u8; 32] = Sha256::new().chain_update(secret).chain_update(l.id.as_bytes()).finalize().into();
                ed25519_dalek::SigningKey::from_bytes(&seed)
            })
            .collect();
        Ok(DemoLandmarks { landmarks, keys })
    }

    /// Writes `landmarks.csv` and `landmark_keys.csv` (public keys only) into `dir`, where a
    /// server finds them.
    pub fn write(&self, dir: &Path) -> Result<(), DemoError> {
        use chipwarden_service::measurements::{LANDMARK_KEYS_FILE, LANDMARKS_FILE};
        let mut keys = String::from("landmark,key\n");
        for (l, k) in self.landmarks.iter().zip(&self.keys) {
            let public: String = k.verifying_key().to_bytes().iter().map(|b| format!("{b:02x}")).collect();
            keys.push_str(&format!("{},{public}\n", l.id));
        }
        for (file, text) in [(LANDMARKS_FILE, LANDMARKS.to_owned()), (LANDMARK_KEYS_FILE, keys)] {
            let path = dir.join(file);
            std::fs::write(&path, text).map_err(|cause| DemoError::Dir { path: path.display().to_string(), cause })?;
        }
        Ok(())
    }

    /// Records signed by every landmark with a round trip to `site` in `demo/landmark_pings.csv`,
    /// as if chip `serial` answered from there, measured at `at`.
    pub fn records(
        &self,
        serial: &str,
        site: &str,
        at: jiff::Timestamp,
    ) -> Result<Vec<chipwarden_locate::protocol::MeasurementRecord>, DemoError> {
        let mut out = Vec::new();
        for (number, line) in LANDMARK_PINGS.lines().enumerate().skip(1) {
            let bad = |why: &str| DemoError::Bundled(format!("demo/landmark_pings.csv line {}: {why}", number + 1));
            let mut fields = line.split(',');
            let (Some(host), Some(landmark), Some(rtt)) = (fields.next(), fields.next(), fields.next()) else {
                return Err(bad("expected host,landmark,rtt_ms"));
            };
            if host != site {
                continue;
            }
            let rtt: f64 = rtt.parse().map_err(|_| bad("rtt_ms is not a number"))?;
            let i = self.landmarks.iter().position(|l| l.id == landmark).ok_or_else(|| bad("unknown landmark"))?;
            let l = &self.landmarks[i];
            let record =
                chipwarden_locate::protocol::sign_record(&l.id, (l.lat, l.lon), serial, &[rtt], at, &self.keys[i])
                    .map_err(|e| bad(&e.to_string()))?;
            out.push(record);
        }
        if out.is_empty() {
            return Err(DemoError::Bundled(format!("demo/landmark_pings.csv has no round trip from `{site}`")));
        }
        Ok(out)
    }
}

/// The demo's landmarks written into `dir`, and the records of [`MEASURED`] submitted as each
/// chip's holder's agent would: `(records stored, location cases opened)`.
fn locations(store: &mut Store, dir: &Path, auditor: &Auditor) -> Result<(usize, usize), DemoError> {
    let demo = DemoLandmarks::new(&random_seed()?)?;
    demo.write(dir)?;
    let set = chipwarden_service::measurements::LandmarkSet::load(dir)?
        .ok_or_else(|| DemoError::Bundled("the demo's landmark files were not written".to_owned()))?;
    let borders = crate::map::borders().map_err(DemoError::Bundled)?;
    let verifier = auditor.party_key()?;
    let now = jiff::Timestamp::now();
    let (mut stored, mut cases) = (0, 0);
    for (serial, site) in MEASURED {
        let holder = chipwarden_service::locate::chip_record(store, serial)?
            .ok_or_else(|| DemoError::Bundled(format!("demo chip `{serial}` is not in the demo ledger")))?
            .holder;
        let who = chipwarden_service::measurements::Submitter { name: "demo-agent", party: Some(&holder) };
        let done = chipwarden_service::measurements::submit(
            store,
            &set,
            borders,
            &demo.records(serial, site, now)?,
            who,
            auditor,
            &verifier,
            now,
            chipwarden_locate::protocol::DEFAULT_MAX_AGE,
        )?;
        stored += done.stored;
        cases += done.chips.iter().filter(|c| c.case_id.is_some()).count();
    }
    Ok((stored, cases))
}
