//! Connectors of loopback-rs: the storage backends a data source can use.
//!
//! Each connector implements [`loopback_core::Connector`] and lives in its own module behind a
//! capability-named feature:
//!
//! - [`memory`] (feature `memory`, on by default): LoopBack 3's in-memory store, optionally
//!   persisted to a JSON file in LoopBack's format. The embedded default, needing nothing.
//!
//! The contract every connector follows, and what the operation layer guarantees to it, is
//! described in `docs/connectors.md`.

#[cfg(feature = "memory")]
pub mod memory;
