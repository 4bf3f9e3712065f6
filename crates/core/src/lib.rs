//! Domain core of ChipWarden: the types every engine shares (chips and their sourced figures,
//! the bundled catalog, item specs, country codes, dates). Pure: no I/O, text in, values out.

pub mod catalog;
pub mod country;
pub mod date;
pub mod item;
pub mod spec;
pub mod textpos;

pub use catalog::{Catalog, CatalogError, Chip, LookupError};
pub use country::{CountryCode, CountryError};
pub use date::{DateError, parse_date};
pub use item::{Figure, Item, ItemKind, Precision};
pub use spec::{Component, Spec, SpecError, SystemSpec, parse_any_spec, parse_spec};
