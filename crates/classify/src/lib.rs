//! The classify engine: control status of chips under dated rule sets (ECCN 3A090/4A090),
//! license determination by destination and party, foundry due diligence and threshold stress
//! tests. Pure: rule data and items in, explained decisions out.

pub mod control;
pub mod foundry;
pub mod license;
pub mod metrics;
pub mod rules;
pub mod stress;

pub use control::{Classification, Status, ThresholdCheck, classify, classify_system, classify_with};
pub use foundry::{Design, DesignError, FoundryAssessment, assess, parse_design};
pub use license::{LicenseDetermination, LicenseQuery, determine};
pub use metrics::{Metric, Metrics};
pub use rules::{CountryGroups, RuleBook, RuleSet, RulesError};
pub use stress::{NearMiss, StressReport, Undetermined, stress, stress_report};
