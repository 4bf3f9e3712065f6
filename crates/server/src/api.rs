//! The handlers, one module per engine, plus the operations endpoints.

pub mod cases;
pub mod classify;
pub mod ledger;
pub mod locate;
pub mod meter;
pub mod ops;
pub mod registry;
pub mod screen;
