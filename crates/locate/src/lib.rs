//! The locate engine (issue 6): where a chip can be, from round-trip times to landmarks, judged
//! country by country against the borders, soundly.
//!
//! A signal in fibre travels at most about 2/3 of the speed of light, so a target that answers a
//! landmark within `rtt` ms is within `rtt / 2 x 199.86 km` of it (plus margins): a spherical cap.
//! Delay can be added but never removed, so the caps always hold the target, provided the
//! landmarks do not lie about where they are (`vet` catches those that measure faster than
//! physics allows) and no speed below 2/3 c is ever used to exclude. The intersection of the caps
//! is the feasible region; a country is provably outside only if its buffered territory misses
//! the region entirely (`region` explains why the search never errs the other way).
//!
//! Modules along the data flow: `input` (CSV in), `geo` (sphere, constants with their sources),
//! `borders` (TopoJSON in), `vet` (landmarks against each other), `region` (the search),
//! `verify` (the entry point and the verdict), `svg` (a map of a verdict), `protocol` (the signed
//! challenge, answer and measurement record between landmarks and chip agents). No I/O: parsers take
//! `(origin, text)`.

pub mod borders;
pub mod error;
pub mod geo;
pub mod input;
mod iso;
pub mod protocol;
pub mod region;
pub mod svg;
pub mod verify;
pub mod vet;

pub use borders::{Borders, Country};
pub use error::LocateError;
pub use geo::{Cap, LatLon, distance_km};
pub use input::{parse_landmarks, parse_measurements};
pub use region::{CellBox, region_cells};
pub use svg::render_svg;
pub use verify::{CapUsed, Landmark, MAX_RTT_MS, Measurement, Options, TargetVerdict, VettingMode, verify};
pub use vet::{Quarantine, Vetting, Violation, vet};
