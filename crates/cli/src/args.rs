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
