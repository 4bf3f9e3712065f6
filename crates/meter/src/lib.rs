//! The meter engine: what accounts do with their chips, from usage records to explained figures.
//!
//! Usage records come in through streaming parsers (`ingest`), each record gets a compute
//! estimate with honest bounds (`estimate`), estimates are summed per account, run and group of
//! linked accounts over a rolling window (`aggregate`, `links`), compared with dated, cited
//! thresholds (`thresholds`), and searched for runs split across linked accounts (`split`).
//! `kyc` holds customer records and the links they imply. `capacity` answers what a fleet of chips could do. Pure: bytes in, values out; no storage.

pub mod aggregate;
pub mod capacity;
pub mod error;
pub mod estimate;
pub mod ingest;
pub mod kyc;
pub mod links;
pub mod record;
pub mod split;
pub mod thresholds;

pub use aggregate::{
    AccountReport, AccountSlot, Aggregator, GroupReport, MeteredRecord, Report, RunReport, Totals, Window, report,
    run_reports,
};
pub use capacity::{
    Bound, FleetLine, InferenceCapacity, InferenceModel, Workload, inference_capacity, largest_run_flop,
    training_flop_per_day,
};
pub use error::{MeterError, Reject};
pub use estimate::{Band, Estimate, estimate, estimate_at, peak_rate};
pub use ingest::{AlibabaOptions, SacctOptions, alibaba_pods, csv_records, jsonl_records, sacct_jobs};
pub use kyc::{BeneficialOwner, Customer, Verification, derived_links, parse_customers};
pub use links::{Group, Link, LinkReason, groups, parse_links};
pub use record::{UsageRecord, chip_hours, from_nanos, storable_nanos};
pub use split::{SplitOptions, SplitRun, find_split_run};
pub use thresholds::{Basis, Crossing, Threshold, Thresholds, crossings};
