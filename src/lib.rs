//! # loopback-rs
//!
//! LoopBack 3 rebuilt in Rust: declare models once, get a persisted, validated,
//! access-controlled data layer with LoopBack's filter language and operation hooks.
//!
//! ```
//! use loopback::prelude::*;
//!
//! #[derive(Model, Debug, Clone, PartialEq)]
//! #[model(plural = "books")]
//! struct Book {
//!     #[model(id, generated)]
//!     id: Option<i64>,
//!     title: String,
//!     price: f64,
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let app = App::new();
//! app.data_source("db", loopback::connectors::memory());
//! let books = app.register::<Book>("db").await?;
//! books.create(&Book { id: None, title: "Dune".into(), price: 9.5 }).await?;
//! let cheap = books.find(Filter::with_where(Book::price().lt(10.0))).await?;
//! assert_eq!(cheap[0].title, "Dune");
//! # Ok::<(), loopback::Error>(())
//! # }).unwrap();
//! ```
#![doc = include_str!("../docs/overview.md")]

pub mod boot;

/// Sending email (LB3's `Email` model and `mail` connector). See `docs/mail.md` ([`guide::mail`]).
pub use loopback_core::mail;
pub use loopback_core::{
    app, auth, changes, connector, data, error, field, filter, hooks, model, record, relation,
    remote, transaction, typed, validation, value,
};
pub use loopback_core::{
    App, Buffer, Capabilities, Change, ChangeKind, ChangeStream, Column, Condition, Connector,
    DataSource, Direction, Error, FieldValue, Fields, Filter, GeoPoint, HookContext, HookKind,
    Include, Loaded, Model, ModelDefinition, ModelHandle, ModelHooks, Options, Order, ParseOptions,
    PersistedModel, PropertyDefinition, PropertyType, Quantifier, QueryLimits, Record,
    RelationDefinition, RelationKind, RelationRef, Result, Strict, TypedRelated, Upserted,
    ValidationError, ValidationKind, ValidationRule, Value, Where,
};
pub use loopback_core::{
    IsolationLevel, Transaction, TransactionContext, TransactionEvent, TransactionHandle,
};

/// LoopBack 3's REST API over hyper: [`rest::RestApi`] (a tower `Service`) and [`rest::serve`].
/// See `docs/rest.md` ([`guide::rest`]).
#[cfg(feature = "rest")]
pub mod rest {
    pub use loopback_core::rest::{
        http, serve, sign_cookie, Compression, Cors, Frameguard, RestApi, RestApiBuilder, RestBody,
        Route, SecurityHeaders, TokenLookup,
    };
}

/// `#[derive(Model)]`: see `docs/derive.md`.
#[cfg(feature = "derive")]
pub use loopback_derive::Model;

/// The long-form guides from `docs/`, rendered as part of the API documentation.
pub mod guide {
    #[doc = include_str!("../docs/derive.md")]
    pub mod derive {}
    #[doc = include_str!("../docs/filters.md")]
    pub mod filters {}
    #[doc = include_str!("../docs/hooks.md")]
    pub mod hooks {}
    #[doc = include_str!("../docs/relations.md")]
    pub mod relations {}
    #[doc = include_str!("../docs/validation.md")]
    pub mod validation {}
    #[doc = include_str!("../docs/connectors.md")]
    pub mod connectors {}
    #[doc = include_str!("../docs/rest.md")]
    pub mod rest {}
    #[doc = include_str!("../docs/remote-methods.md")]
    pub mod remote_methods {}
    #[doc = include_str!("../docs/auth.md")]
    pub mod auth {}
    #[doc = include_str!("../docs/compatibility.md")]
    pub mod compatibility {}
    #[doc = include_str!("../docs/mail.md")]
    pub mod mail {}
    #[doc = include_str!("../docs/boot.md")]
    pub mod boot {}
}

/// Connectors shipped with loopback-rs.
pub mod connectors {
    use std::sync::Arc;

    use loopback_core::{Connector, Error};

    /// Builds the connector a LoopBack 3 `datasources.json` entry names with its `connector` key
    /// (`memory`, `transient`, `sqlite3`, `postgresql`, `mysql`, also in their
    /// `loopback-connector-<name>` long form), configured with the entry's other keys. A connector whose feature is not
    /// compiled in, an unknown connector or an unknown setting is an error naming it.
    pub fn from_settings(
        settings: &serde_json::Value,
    ) -> loopback_core::Result<Arc<dyn Connector>> {
        let obj = settings.as_object().ok_or_else(|| {
            Error::definition("datasource", "a data source entry must be a JSON object")
        })?;
        let name = obj
            .get("connector")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| {
                Error::definition(
                    "datasource.connector",
                    "a data source needs a `connector` name",
                )
            })?;
        let short = name.strip_prefix("loopback-connector-").unwrap_or(name);
        // Unused when every connector feature is on.
        #[allow(unused_variables)]
        let missing = |feature: &str| {
            Error::definition(
                "datasource.connector",
                format!("connector `{name}` is not compiled in; enable the `{feature}` feature of loopback"),
            )
        };
        match short {
            "memory" => {
                #[cfg(feature = "memory")]
                {
                    for key in obj.keys() {
                        if !matches!(key.as_str(), "name" | "connector" | "file") {
                            return Err(Error::definition(
                                format!("datasource.{key}"),
                                format!("unknown setting `{key}` for the memory connector; it takes `file`"),
                            ));
                        }
                    }
                    match obj.get("file") {
                        None | Some(serde_json::Value::Null) => Ok(memory()),
                        Some(serde_json::Value::String(path)) => {
                            Ok(Arc::new(MemoryConnector::with_file(path)?))
                        }
                        Some(_) => Err(Error::definition(
                            "datasource.file",
                            "`file` must be a path",
                        )),
                    }
                }
                #[cfg(not(feature = "memory"))]
                Err(missing("memory"))
            }
            "sqlite3" | "sqlite" => {
                #[cfg(feature = "sqlite")]
                {
                    sqlite(settings.clone())
                }
                #[cfg(not(feature = "sqlite"))]
                Err(missing("sqlite"))
            }
            "postgresql" | "postgres" => {
                #[cfg(feature = "postgres")]
                {
                    postgres(settings.clone())
                }
                #[cfg(not(feature = "postgres"))]
                Err(missing("postgres"))
            }
            "mysql" => {
                #[cfg(feature = "mysql")]
                {
                    mysql(settings.clone())
                }
                #[cfg(not(feature = "mysql"))]
                Err(missing("mysql"))
            }
            "transient" => {
                if let Some(key) = obj
                    .keys()
                    .find(|k| !matches!(k.as_str(), "name" | "connector"))
                {
                    return Err(Error::definition(
                        format!("datasource.{key}"),
                        format!(
                            "unknown setting `{key}` for the transient connector; it takes none"
                        ),
                    ));
                }
                Ok(transient())
            }
            other => Err(Error::definition(
                "datasource.connector",
                format!(
                    "unknown connector `{other}`; expected memory, transient, sqlite3, \
                     postgresql or mysql"
                ),
            )),
        }
    }

    pub use loopback_connectors::transient::TransientConnector;

    /// LoopBack 3's `transient` connector, which stores nothing: for models that only shape
    /// data, such as the targets of embedded relations.
    pub fn transient() -> Arc<dyn Connector> {
        TransientConnector::shared()
    }

    #[cfg(feature = "memory")]
    pub use loopback_connectors::memory::MemoryConnector;

    /// A fresh in-memory connector, shareable as a data source.
    #[cfg(feature = "memory")]
    pub fn memory() -> std::sync::Arc<dyn loopback_core::Connector> {
        std::sync::Arc::new(MemoryConnector::new())
    }

    #[cfg(feature = "sqlite")]
    pub use loopback_connectors::sqlite::SqliteConnector;

    /// A SQLite connector configured as a LoopBack 3 `sqlite3` data source entry:
    /// `sqlite(json!({"file": "app.db"}))`, or `json!({})` for a private in-memory database.
    /// Unknown keys are an error naming them; see `docs/connectors.md` for the keys.
    #[cfg(feature = "sqlite")]
    pub fn sqlite(
        settings: serde_json::Value,
    ) -> loopback_core::Result<std::sync::Arc<dyn loopback_core::Connector>> {
        Ok(std::sync::Arc::new(SqliteConnector::from_settings(
            &settings,
        )?))
    }

    /// Discovery of tables, columns and keys, LoopBack 3 model definitions built from them, and
    /// `is_actual`, on the SQL connectors: see the Discovery section of `docs/connectors.md`.
    #[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
    pub use loopback_connectors::sql::discovery;
    /// How long a SQL connector's pooled connection may sit idle and still be used without a
    /// ping first (see `docs/connectors.md`, Connections).
    #[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
    pub use loopback_connectors::sql::PING_AFTER_IDLE;
    #[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
    pub use loopback_connectors::sql::{
        DiscoverOptions, Discovery, MigrationPhase, MigrationPlan, MigrationStep,
    };

    /// The [`Discovery`] side of a connector: discovery, `is_actual` and migration plans
    /// (`automigrate_plan`, `autoupdate_plan`) of the SQL connectors compiled in
    /// ([`SqliteConnector`], [`PostgresConnector`], [`MySqlConnector`]); `None` for any other
    /// connector (memory, transient, a third-party one).
    ///
    /// ```
    /// # #[cfg(all(feature = "sqlite", feature = "memory"))] {
    /// let db = loopback::connectors::sqlite(serde_json::json!({})).unwrap();
    /// assert!(loopback::connectors::discovery_of(&*db).is_some());
    /// assert!(loopback::connectors::discovery_of(&*loopback::connectors::memory()).is_none());
    /// # }
    /// ```
    #[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
    pub fn discovery_of(connector: &dyn Connector) -> Option<&dyn Discovery> {
        let any = connector.as_any()?;
        #[cfg(feature = "sqlite")]
        if let Some(c) = any.downcast_ref::<SqliteConnector>() {
            return Some(c);
        }
        #[cfg(feature = "postgres")]
        if let Some(c) = any.downcast_ref::<PostgresConnector>() {
            return Some(c);
        }
        #[cfg(feature = "mysql")]
        if let Some(c) = any.downcast_ref::<MySqlConnector>() {
            return Some(c);
        }
        None
    }

    #[cfg(feature = "mysql")]
    pub use loopback_connectors::mysql::MySqlConnector;

    /// A MySQL / MariaDB connector configured as a LoopBack 3 `mysql` data source entry:
    /// `mysql(json!({"host": "127.0.0.1", "database": "app", "user": "app"}))` or
    /// `mysql(json!({"url": "mysql://app@127.0.0.1/app"}))`. Nothing connects until the first
    /// operation. Unknown keys are an error naming them; see `docs/connectors.md` for the keys.
    #[cfg(feature = "mysql")]
    pub fn mysql(
        settings: serde_json::Value,
    ) -> loopback_core::Result<std::sync::Arc<dyn loopback_core::Connector>> {
        Ok(std::sync::Arc::new(MySqlConnector::from_settings(
            &settings,
        )?))
    }

    #[cfg(feature = "postgres")]
    pub use loopback_connectors::postgres::PostgresConnector;

    /// A PostgreSQL connector configured as a LoopBack 3 `postgresql` data source entry:
    /// `postgres(json!({"url": "postgres://app@localhost/app", "schema": "shop"}))` or
    /// `host`/`port`/`database`/`user`/`password`. Unknown keys are an error naming them; see
    /// `docs/connectors.md` for the keys. Connects on first use.
    #[cfg(feature = "postgres")]
    pub fn postgres(
        settings: serde_json::Value,
    ) -> loopback_core::Result<std::sync::Arc<dyn loopback_core::Connector>> {
        Ok(std::sync::Arc::new(PostgresConnector::from_settings(
            &settings,
        )?))
    }
}

/// The names most programs need: `use loopback::prelude::*;`.
pub mod prelude {
    pub use crate::boot::AppBoot;
    pub use loopback_core::{
        record, App, Direction, Filter, GeoPoint, HookContext, HookKind, Model, Options,
        PersistedModel, Record, Value, Where,
    };
    #[cfg(feature = "derive")]
    pub use loopback_derive::Model;
}

/// Items used by code that `#[derive(Model)]` generates. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use loopback_core::data::{prepare, WriteKind};
    pub use loopback_core::field::FieldValue;
    pub use loopback_core::filter::Column;
    pub use loopback_core::hooks::{register_model_hooks, ModelHooks, Observers};
    pub use loopback_core::model::{
        AclEntry, DefaultValue, IndexDefinition, ModelDefinition, PropertyDefinition,
        PropertyIndex, PropertyType, RelationDefinition, RelationKind, Strict,
    };
    pub use loopback_core::typed::{field_error, Model, RelationRef};
    pub use loopback_core::validation::{ValidationKind, ValidationRule};
    pub use loopback_core::value::{Record, Value};
    pub use loopback_core::{Error, Result};
    pub use serde_json;
    pub use std::sync::{Arc, OnceLock};
}
