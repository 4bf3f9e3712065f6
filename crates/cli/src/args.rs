//! The command line, as clap types. Flag names here are contracts: add, never rename.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "chipwarden",
    version,
    about = "Compute governance: is this chip controlled, who may have it, where is it, who uses it"
)]
pub struct Cli {
    /// Directory for everything ChipWarden stores.
    #[arg(long, global = true, env = "CHIPWARDEN_DATA_DIR", default_value = "./chipwarden-data")]
    pub data_dir: PathBuf,
    /// The store: a PostgreSQL URL (`postgres://user:password@host:port/database`) or an SQLite
    /// path. Default: `database_url` in the data directory's `chipwarden.toml`, else the SQLite
    /// file `chipwarden.sqlite` in the data directory.
    #[arg(long, global = true, env = "CHIPWARDEN_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Control status of a chip under the rules in force on a date (ECCN 3A090/4A090).
    Classify(ClassifyArgs),
    /// Whether a license is needed to send a chip to a destination and party, and on what terms.
    License(LicenseArgs),
    /// Foundry due diligence for front-end fabricators.
    Foundry {
        #[command(subcommand)]
        command: FoundryCommand,
    },
    /// The rule sets: list them, or stress-test one against the chip market.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// The bundled chip catalog.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Screen parties against the restricted-party lists (exit 0: no hit, 1: hits).
    Screen(ScreenArgs),
    /// Restricted-party lists: import, update, versions, differences.
    Lists {
        #[command(subcommand)]
        command: ListsCommand,
    },
    /// Ownership by listed parties: import edges, check an entity.
    Ownership {
        #[command(subcommand)]
        command: OwnershipCommand,
    },
    /// Fleet capacity: training FLOP per day, the largest run in N days, inference users served.
    Capacity(CapacityArgs),
    /// Compute metering: ingest usage records, report compute per account and linked group.
    Meter {
        #[command(subcommand)]
        command: MeterCommand,
    },
    /// Customer accounts: links between accounts (same owner, payment, IP, affiliate).
    Accounts {
        #[command(subcommand)]
        command: AccountsCommand,
    },
    /// Customer (KYC) records: onboard (store and screen the customer and its owners), list, show.
    Customers {
        #[command(subcommand)]
        command: CustomersCommand,
    },
    /// Location verification: where chips can be, from round-trip times to landmarks.
    Locate {
        #[command(subcommand)]
        command: LocateCommand,
    },
    /// The agent beside a chip: holds the chip's device key and answers landmarks' challenges
    /// over UDP until SIGINT or SIGTERM.
    Agent(AgentArgs),
    /// A landmark at known coordinates: time a chip's agent over UDP and sign the measurement.
    Landmark {
        #[command(subcommand)]
        command: LandmarkCommand,
    },
    /// Ed25519 keys for parties that submit custody events.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// The custody ledger: signed events in a tamper-evident log, checkpoints, proofs, audit,
    /// where the chips are.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Serve the HTTP API (under /api/v1) until SIGINT or SIGTERM.
    Serve(ServeArgs),
    /// API tokens of the HTTP server: create (shown once), list, revoke.
    Tokens {
        #[command(subcommand)]
        command: TokensCommand,
    },
    /// Copy a whole store into a new, empty one (SQLite to PostgreSQL, or back), ids kept; then
    /// compare the row counts and the ledger root of both (exit 5 if they differ).
    Migrate(MigrateArgs),
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The store to copy: `sqlite://PATH`, a path, or `postgres://user:password@host:port/database`.
    /// Only read.
    #[arg(long)]
    pub from: String,
    /// The store to copy into, which must hold no data yet (a new SQLite file is made).
    #[arg(long)]
    pub to: String,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Start on demo data in a new temporary directory (lists from the repository's test data,
    /// an admin token printed once) instead of --data-dir.
    #[arg(long)]
    pub demo: bool,
}

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Make a token and print it, once: only its SHA-256 is stored.
    Create {
        /// A name for the token (who or what uses it); one live token per name.
        #[arg(long)]
        name: String,
        /// admin, analyst, operator or agent.
        #[arg(long)]
        role: String,
        /// For an agent token (required then): the party, as the custody ledger names it, whose
        /// chips the agent submits measurements for; no other chip's.
        #[arg(long)]
        party: Option<String>,
    },
    /// Every token, live and revoked (never the tokens themselves).
    List,
    /// Revoke the live token with this name; it stops working at the next request.
    Revoke {
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Generate an Ed25519 key pair for a submitting party: the private key in `KEY` (mode 0600,
    /// Go note signer-key text), the verifier key in `KEY.pub`.
    Generate {
        /// Where to write the private key (never overwritten).
        #[arg(long)]
        out: PathBuf,
        /// The party's name, as its events will carry it (no spaces, no `+`; default: the file
        /// name of --out without its extension).
        #[arg(long)]
        party: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Sign the events of a JSON Lines file and append them, all or nothing; prints the leaf
    /// index of each. Lines that are already signed entries (`{"event":..,"signature":..}`)
    /// are checked and appended as they are.
    Append {
        #[arg(long)]
        file: PathBuf,
        /// The submitting party's key (from `keys generate`); needed for unsigned events.
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Sign a checkpoint of the log as it is now with the log's key and print the signed note.
    Checkpoint {
        /// The log's origin line, fixed when the log's key is made (default `chipwarden.local/ledger`).
        #[arg(long)]
        origin: Option<String>,
    },
    /// The inclusion proof of an entry in the tree of a given size.
    Prove {
        #[arg(long)]
        index: u64,
        /// The tree size (default: the log's size now).
        #[arg(long)]
        size: Option<u64>,
    },
    /// The consistency proof that the tree of size --to extends the tree of size --from.
    Consistency {
        #[arg(long)]
        from: u64,
        /// Default: the log's size now.
        #[arg(long)]
        to: Option<u64>,
    },
    /// Verify offline, from files only: an entry's inclusion proof against a signed checkpoint,
    /// or (with --old-checkpoint) a consistency proof between two checkpoints.
    VerifyProof {
        /// The signed checkpoint note (for consistency: the newer one).
        #[arg(long)]
        checkpoint: PathBuf,
        /// The log's verifier key, or a file holding it.
        #[arg(long)]
        vkey: String,
        /// The proof, as `ledger prove --json` or `ledger consistency --json` print it.
        #[arg(long)]
        proof: PathBuf,
        /// The older checkpoint: check consistency instead of inclusion.
        #[arg(long)]
        old_checkpoint: Option<PathBuf>,
        /// The entry's bytes from a file (default: the proof's `entry`).
        #[arg(long, conflicts_with = "old_checkpoint")]
        entry: Option<PathBuf>,
    },
    /// Recompute everything from the stored entries (leaf hashes, signatures, custody history,
    /// subtree hashes, every checkpoint's root and signature); exit 5 naming what was altered.
    Audit,
    /// A chip's custody history, with the leaf index of each event.
    History {
        #[arg(long)]
        serial: String,
    },
    /// Chips by current holder or country (all chips without a filter).
    Chips {
        #[arg(long)]
        holder: Option<String>,
        /// ISO 3166-1 alpha-2: chips known to be in this country now.
        #[arg(long)]
        country: Option<String>,
    },
    /// Chips with a gap in custody: shipped and never received, reported lost, or located
    /// somewhere the record does not put them.
    Gaps,
    /// Print the log's verifier key (made with the log's signing key on first use).
    Vkey {
        #[arg(long)]
        origin: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CustomersCommand {
    /// Store customer records from JSON Lines and screen each customer and its beneficial owners
    /// against the imported lists (exit 1 when there are hits).
    #[command(alias = "onboard")]
    Import {
        #[arg(long)]
        file: PathBuf,
        /// Score at or above which a name is a hit (default 0.80).
        #[arg(long)]
        threshold: Option<f64>,
        /// Store the records without screening them.
        #[arg(long)]
        no_screen: bool,
    },
    /// The record in force of every customer.
    List,
    /// One customer: the record in force, its history, its links and its screening hits.
    Show { account: String },
}

#[derive(Debug, Subcommand)]
pub enum MeterCommand {
    /// Ingest usage records; a record id counts once, also across re-runs.
    Ingest {
        file: PathBuf,
        /// csv, jsonl, sacct (Slurm `sacct --parsable2`) or alibaba (the Alibaba 2023 GPU trace).
        #[arg(long)]
        format: String,
        /// Chip model for rows that name none (sacct untyped GPUs, the Alibaba trace).
        #[arg(long)]
        default_model: Option<String>,
        /// UTC offset of sacct's local times, e.g. +08:00 (default +00:00).
        #[arg(long)]
        time_zone: Option<String>,
        /// Write rejected rows (file, line, field, reason) here as CSV.
        #[arg(long)]
        rejects: Option<PathBuf>,
    },
    /// Compute per account and per group of linked accounts over a rolling window.
    Report {
        /// Window length in days.
        #[arg(long, default_value_t = 90)]
        window: u32,
        /// End of the window, RFC 3339 (default: now).
        #[arg(long)]
        as_of: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Add links from a CSV with `account_a, account_b, reason` and optionally `evidence`.
    Link {
        #[arg(long)]
        file: PathBuf,
    },
    /// Groups of linked accounts, explicit links and links derived from customer records, each
    /// with its reason and evidence.
    Groups,
}

#[derive(Debug, Args)]
pub struct CapacityArgs {
    /// A CSV with a header `chip_model,count,country` (chip models as the catalog names them).
    #[arg(long)]
    pub inventory: PathBuf,
    /// Days of training for the largest feasible run.
    #[arg(long, default_value_t = 90.0)]
    pub days: f64,
    /// Utilization for the largest feasible run (0 to 1).
    #[arg(long, default_value_t = 0.4)]
    pub utilization: f64,
    /// Parameters of the model served for inference.
    #[arg(long, default_value_t = 70e9)]
    pub params: f64,
    /// Bytes per parameter (2 for BF16, 1 for FP8).
    #[arg(long, default_value_t = 2.0)]
    pub bytes_per_param: f64,
    /// Tokens per answer.
    #[arg(long, default_value_t = 500.0)]
    pub tokens_per_answer: f64,
    /// Seconds between a user's answers.
    #[arg(long, default_value_t = 60.0)]
    pub seconds_per_answer: f64,
    /// Tokens a reasoning model spends per answer, relative to a plain one.
    #[arg(long, default_value_t = 1.0)]
    pub reasoning_multiplier: f64,
    /// Sequences decoded together per replica (1: the strict memory-bandwidth bound).
    #[arg(long, default_value_t = 1)]
    pub batch: u32,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ScreenArgs {
    #[command(subcommand)]
    pub command: Option<ScreenCommand>,
    /// One name to screen.
    #[arg(long, conflicts_with = "file")]
    pub name: Option<String>,
    /// A CSV of parties with a header containing `name`, optionally `id`, `country`, `address`,
    /// `date` (of birth or incorporation) and `identifier` (several separated by `;`).
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// The party's country (ISO 3166-1 alpha-2), a qualifier.
    #[arg(long)]
    pub country: Option<String>,
    /// Write the results here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Score at or above which a name is a hit (0 to 1).
    #[arg(long)]
    pub threshold: Option<f64>,
}

#[derive(Debug, Subcommand)]
pub enum ScreenCommand {
    /// Score name pairs from a CSV with a header containing `name1`, `name2`, optionally `schema`.
    Pairs {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        threshold: Option<f64>,
    },
    /// Record a review decision on a hit: false positive or confirmed match.
    Review(ReviewArgs),
    /// Re-screen every stored party against the current lists; report only what is new.
    Rescreen {
        #[arg(long)]
        threshold: Option<f64>,
    },
    /// The review decisions, oldest first.
    Decisions,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// The party id (from a screened file) or, for a one-off name, the name screened.
    #[arg(long)]
    pub party: String,
    #[arg(long)]
    pub list: String,
    #[arg(long)]
    pub entry: String,
    /// The listed name that matched.
    #[arg(long)]
    pub matched_name: String,
    /// `false-positive` or `confirmed`.
    #[arg(long)]
    pub decision: String,
    #[arg(long)]
    pub reviewer: String,
    #[arg(long)]
    pub reason: String,
}

#[derive(Debug, Subcommand)]
pub enum ListsCommand {
    /// Import list files as a new version of a source (one transaction).
    Import {
        /// ofac-csv, ofac-xml, csl-csv, csl-json, bis-el-csv, dpl-tsv, un-xml, fr-xml (default: detect).
        #[arg(long)]
        format: Option<String>,
        /// The source name the version belongs to (default: from the format).
        #[arg(long)]
        source: Option<String>,
        /// For ofac-csv: sdn.csv first, then add.csv, alt.csv, sdn_comments.csv in any order.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Accept a version with less than half the entries of the current one, or with other
        /// list codes (normally refused as a wrong or truncated file).
        #[arg(long)]
        allow_shrink: bool,
    },
    /// Download the current lists from their official addresses and import them.
    Update {
        /// A TOML file naming the sources and their addresses (default: the official ones).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// The current version of every source, or the history of one.
    Versions {
        #[arg(long)]
        source: Option<String>,
    },
    /// Every entry of the current versions (or of one version), as JSON lines.
    Entries {
        #[arg(long)]
        version: Option<i64>,
    },
    /// What changed between two versions.
    Diff {
        #[arg(long)]
        from: i64,
        #[arg(long)]
        to: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum OwnershipCommand {
    /// Import ownership edges from a CSV with header `owner,owned,share,source,date`.
    Import {
        #[arg(long)]
        file: PathBuf,
    },
    /// Is this entity caught by ownership rules (OFAC 50%, BIS affiliates) on a date?
    Check {
        #[arg(long)]
        entity: String,
        /// Date of the assessment, YYYY-MM-DD (default: today, UTC).
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct ItemArgs {
    /// A chip from the catalog, by name or alias ("H100", "NVIDIA H100 SXM5 80GB").
    #[arg(long)]
    pub model: Option<String>,
    /// A JSON or TOML file describing an item not in the catalog.
    #[arg(long)]
    pub spec: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    #[command(flatten)]
    pub item: ItemArgs,
    /// Date of the assessment, YYYY-MM-DD (default: today, UTC).
    #[arg(long)]
    pub at: Option<String>,
    /// Show the status under every rule version since 2022.
    #[arg(long, conflicts_with = "at")]
    pub history: bool,
}

#[derive(Debug, Args)]
pub struct LicenseArgs {
    #[command(flatten)]
    pub item: ItemArgs,
    /// Destination country, ISO 3166-1 alpha-2 (e.g. CN, MY, AE).
    #[arg(long)]
    pub destination: String,
    /// Headquarters country of the party or of its ultimate parent.
    #[arg(long)]
    pub party_hq: Option<String>,
    /// Declared end use, in words.
    #[arg(long)]
    pub end_use: Option<String>,
    /// The party is on the Entity List.
    #[arg(long)]
    pub entity_listed: bool,
    /// Date of the assessment, YYYY-MM-DD (default: today, UTC).
    #[arg(long)]
    pub at: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum FoundryCommand {
    /// Check a design at intake: does the 3A090.a presumption apply, and what are the red flags.
    Check {
        /// A JSON or TOML design intake file.
        #[arg(long)]
        design: PathBuf,
        /// Date of the assessment, YYYY-MM-DD (default: today, UTC).
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the bundled rule sets with their dates and sources.
    List,
    /// Every catalog chip within the margin below a threshold, and what it would take to cross.
    Stress {
        /// Use the rule set in force on this date (default: today, UTC).
        #[arg(long, conflicts_with = "rules")]
        at: Option<String>,
        /// Use a rule set from a TOML file (a proposed rule, in the bundled format).
        #[arg(long)]
        rules: Option<PathBuf>,
        /// How far below a threshold counts as near, in percent.
        #[arg(long, default_value_t = 35.0)]
        margin: f64,
    },
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// List every chip with its TPP and key figures.
    List,
    /// Show one chip with every figure and its source.
    Show {
        /// Name, alias or id.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum LocateCommand {
    /// One verdict per target: possible countries, consistency, quarantined landmarks (exit 1:
    /// a target's measurements contradict each other).
    Verify(LocateArgs),
    /// An SVG map of one target's region, the landmarks, their caps and the borders, on standard
    /// output.
    Map {
        #[command(flatten)]
        args: LocateArgs,
        /// The target to draw (needed when the measurements hold several).
        #[arg(long)]
        target: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct LocateArgs {
    /// A CSV with a header `id,lat,lon` (optionally `uncertainty_km`).
    #[arg(long)]
    pub landmarks: PathBuf,
    /// A CSV with a header `target,landmark,rtt_ms`; a target that is also a landmark gives
    /// landmark-to-landmark measurements for vetting.
    #[arg(long, required_unless_present = "records", conflicts_with = "records")]
    pub measurements: Option<PathBuf>,
    /// Signed measurement records (JSON Lines, as `landmark measure` writes them) instead of
    /// --measurements: each landmark's signature, age and coordinates are checked.
    #[arg(long, requires = "landmark_keys")]
    pub records: Option<PathBuf>,
    /// A CSV with a header `landmark,key`: each landmark's public key (64 hex digits, or the
    /// verifier key `keys generate` wrote to KEY.pub).
    #[arg(long, requires = "records")]
    pub landmark_keys: Option<PathBuf>,
    /// Records older than this many hours are refused (default 24: chips move).
    #[arg(long, requires = "records")]
    pub max_age_hours: Option<u32>,
    /// Added to every radius, km (default 50).
    #[arg(long)]
    pub margin_km: Option<f64>,
    /// Countries are grown by this much before they are judged outside, km (default 25).
    #[arg(long)]
    pub buffer_km: Option<f64>,
    /// Use every landmark, even those whose measurements break the physical bound.
    #[arg(long)]
    pub no_vetting: bool,
    /// With `verify`: append each consistent verdict about a chip registered in the custody
    /// ledger (in --data-dir) as a `location_verified` event signed with this party key.
    #[arg(long)]
    pub ledger_key: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct AgentArgs {
    /// The chip's serial: only challenges for this chip are answered.
    #[arg(long)]
    pub serial: String,
    /// The chip's device key (a key file from `keys generate`), registered in the custody ledger.
    #[arg(long)]
    pub key: PathBuf,
    /// UDP address to answer on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:7400")]
    pub listen: String,
    /// Stop after this many answers (default: run until SIGINT or SIGTERM).
    #[arg(long)]
    pub count: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum LandmarkCommand {
    /// Challenge a chip's agent over several rounds, each with a fresh nonce, keep every round
    /// whose answer the chip's device key signed, and print the signed measurement record as one
    /// JSON line (or append it to --out). Exit 3 when no round produced a valid answer.
    Measure(MeasureArgs),
    /// Measure on request: a coordinator connects over TCP, sends one JSON line
    /// `{"agent":"HOST:PORT","serial":"SN"}` and gets back one line with the signed record (device
    /// keys from the custody ledger in --data-dir). Until SIGINT or SIGTERM.
    Serve(LandmarkServeArgs),
}

#[derive(Debug, Args)]
pub struct LandmarkIdentity {
    /// The landmark's id, as the landmarks file of `locate verify` names it.
    #[arg(long)]
    pub id: String,
    /// The landmark's latitude, degrees.
    #[arg(long, allow_negative_numbers = true)]
    pub lat: f64,
    /// The landmark's longitude, degrees.
    #[arg(long, allow_negative_numbers = true)]
    pub lon: f64,
    /// The landmark's signing key (a key file from `keys generate`).
    #[arg(long)]
    pub key: PathBuf,
    /// Challenges per measurement; the record keeps every valid round.
    #[arg(long, default_value_t = 5)]
    pub rounds: u32,
    /// How long to wait for each round's answer, ms.
    #[arg(long, default_value_t = 2000)]
    pub timeout_ms: u64,
}

#[derive(Debug, Args)]
#[group(id = "device", required = true, multiple = false)]
pub struct DeviceKeySource {
    /// The chip's device public key, 64 hex digits.
    #[arg(long)]
    pub device_key: Option<String>,
    /// Take the chip's device public key from its `registered` event in the custody ledger.
    #[arg(long)]
    pub from_ledger: bool,
}

#[derive(Debug, Args)]
pub struct MeasureArgs {
    #[command(flatten)]
    pub landmark: LandmarkIdentity,
    /// The chip's agent, HOST:PORT (UDP).
    #[arg(long)]
    pub agent: String,
    /// The chip's serial.
    #[arg(long)]
    pub serial: String,
    #[command(flatten)]
    pub device: DeviceKeySource,
    /// Append the record to this JSON Lines file instead of printing it.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct LandmarkServeArgs {
    #[command(flatten)]
    pub landmark: LandmarkIdentity,
    /// TCP address to take requests on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:7401")]
    pub listen: String,
    /// Stop after this many requests (default: run until SIGINT or SIGTERM).
    #[arg(long)]
    pub count: Option<u64>,
}
