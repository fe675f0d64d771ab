//! Connectors of loopback-rs: the storage backends a data source can use.
//!
//! Each connector implements [`loopback_core::Connector`] and lives in its own module behind a
//! capability-named feature:
//!
//! - [`memory`] (feature `memory`, on by default): LoopBack 3's in-memory store, optionally
//!   persisted to a JSON file in LoopBack's format. The embedded default, needing nothing.
//! - [`transient`] (always built): LoopBack 3's `transient` connector, which stores nothing;
//!   for models that only shape data, such as embedded ones.
//! - [`sqlite`] (feature `sqlite`): LoopBack 3's `sqlite3` connector, over sqlx, with SQLite
//!   built in.
//! - [`postgres`] (feature `postgres`): LoopBack 3's `postgresql` connector, over sqlx.
//! - [`mysql`] (feature `mysql`): LoopBack 3's `mysql` connector for MySQL and MariaDB, over
//!   sqlx.
//!
//! The SQL connectors share [`sql`] (feature `sql`, enabled by each of them): the table
//! mapping, the statement builders, the `Dialect` trait that holds how each database spells
//! SQL, and `SqlConnector<B>`, every operation written once over a `Backend` (the driver's part,
//! which each SQL connector module implements).
//!
//! The contract every connector follows, and what the operation layer guarantees to it, is
//! described in `docs/connectors.md`.

#[cfg(feature = "memory")]
pub mod memory;

#[cfg(feature = "sql")]
pub mod sql;

pub mod transient;

#[cfg(feature = "sqlite")]
pub mod sqlite;

#[cfg(feature = "postgres")]
pub mod postgres;

#[cfg(feature = "mysql")]
pub mod mysql;
