//! ChipWarden screen engine: explainable restricted-party name matching across scripts, and
//! ownership. Pure: list entries and names in, scored and explained hits out.

pub mod analyze;
pub mod compare;
pub mod index;
pub mod ownership;

pub use analyze::{Lexicon, NameError, NameForm, Token, TokenKind};
pub use compare::{Aligned, Comparison, DEFAULT_THRESHOLD, How, compare, could_reach, score, score_bound};
pub use index::{Hit, Listed, Qualifier, Query, Screener};

/// Bumped whenever analysis or scoring changes, and stored with every hit.
pub const MATCHER_VERSION: &str = "chipwarden-matcher/5";
