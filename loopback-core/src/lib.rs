//! Core of loopback-rs: dynamic values, model definitions, LoopBack's filter language, the
//! connector contract, the operation layer with hooks and validation, and the typed API that
//! `#[derive(Model)]` targets.
//!
//! Most users depend on the `loopback` facade crate instead of this one.

pub mod app;
pub mod auth;
pub mod boot;
pub mod changes;
pub mod connector;
pub mod data;
pub mod error;
pub mod field;
pub mod filter;
pub mod hooks;
mod inflect;
pub mod mail;
pub mod model;
pub mod relation;
pub mod remote;
#[cfg(feature = "rest")]
pub mod rest;
pub mod transaction;
pub mod typed;
pub mod validation;
pub mod value;

pub use app::{App, DataSource, ModelHandle, Upserted};
pub use changes::{Change, ChangeKind, ChangeStream};
pub use connector::{Capabilities, Connector, IsolationLevel, Options, Transaction};
pub use error::{Error, Result};
pub use field::{Buffer, FieldValue};
pub use filter::{
    Column, Condition, Direction, Fields, Filter, Include, Order, ParseOptions, Quantifier,
    QueryLimits, Where,
};
pub use hooks::{HookContext, HookKind, ModelHooks};
pub use model::{
    ModelDefinition, PropertyDefinition, PropertyType, RelationDefinition, RelationKind, Strict,
};
pub use transaction::{TransactionContext, TransactionEvent, TransactionHandle};
pub use typed::{Loaded, Model, PersistedModel, RelationRef, TypedRelated};
pub use validation::{ValidationError, ValidationKind, ValidationRule};
pub use value::{GeoPoint, Key, Record, Value};
