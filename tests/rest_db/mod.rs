//! The data sources REST scenarios run on: the memory connector and, when
//! `LOOPBACK_TEST_POSTGRES_URL` is set, PostgreSQL in a schema of the scenario's own
//! ([`on_every_connector!`] runs a scenario on each). A test binary using it declares
//! `#[cfg(feature = "postgres")] mod pg_db;` next to `#[macro_use] mod rest_db;`.

#![allow(dead_code)] // each test binary uses its own part

use std::sync::Arc;

use loopback::auth::AuthOptions;
use loopback::{connectors, App, Connector, ModelDefinition};
use serde_json::Value as Json;

#[cfg(feature = "postgres")]
use super::pg_db;

/// A data source a scenario runs on; a PostgreSQL schema is dropped with it.
pub struct Db {
    connector: Arc<dyn Connector>,
    sql: bool,
    #[cfg(feature = "postgres")]
    _schema: Option<pg_db::TestSchema>,
}

impl Db {
    /// A fresh memory data source.
    pub fn memory() -> Db {
        Db {
            connector: connectors::memory(),
            sql: false,
            #[cfg(feature = "postgres")]
            _schema: None,
        }
    }

    /// A fresh PostgreSQL schema, or `None` when the server's URL is not set.
    #[cfg(feature = "postgres")]
    pub async fn postgres() -> Option<Db> {
        let (connector, schema) = pg_db::TestSchema::create().await?;
        Some(Db {
            connector,
            sql: true,
            _schema: Some(schema),
        })
    }

    /// Whether this is a SQL database (properties never set read back as `null`).
    pub fn is_sql(&self) -> bool {
        self.sql
    }

    /// Runs a native SQL statement on a SQL database, with `{schema}` replaced by the
    /// scenario's schema (e.g. `ALTER TABLE "{schema}".accesstoken ...`).
    pub async fn execute(&self, sql: &str) {
        assert!(self.sql, "native SQL on a SQL database only");
        #[cfg(feature = "postgres")]
        let sql = match &self._schema {
            Some(s) => sql.replace("{schema}", &s.name),
            None => sql.to_owned(),
        };
        #[cfg(not(feature = "postgres"))]
        let sql = sql.to_owned();
        self.connector
            .execute(&sql, &[], &loopback::Options::new())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Another, empty, data source of the same kind.
    pub async fn fresh(&self) -> Db {
        #[cfg(feature = "postgres")]
        if self.sql {
            return Db::postgres().await.expect("PostgreSQL was reachable");
        }
        Db::memory()
    }

    /// An application on this data source with auth enabled (the built-ins attached to it)
    /// and the models of `defs` (LB3 JSON) defined in order; on a SQL database the tables of
    /// every model are created.
    pub async fn app(&self, defs: Vec<Json>) -> App {
        self.build(Vec::new(), true, defs).await
    }

    /// As [`Db::app`], with the models of `before` defined before auth is enabled (built-ins
    /// replaced by the application's own).
    pub async fn app_with(&self, before: Vec<Json>, defs: Vec<Json>) -> App {
        self.build(before, true, defs).await
    }

    /// As [`Db::app`], without access control.
    pub async fn app_without_auth(&self, defs: Vec<Json>) -> App {
        self.build(Vec::new(), false, defs).await
    }

    async fn build(&self, before: Vec<Json>, auth: bool, defs: Vec<Json>) -> App {
        let app = App::new();
        app.data_source("db", self.connector.clone());
        let define = |def: Json| {
            let app = app.clone();
            async move {
                app.define(ModelDefinition::from_lb3_json(&def).unwrap(), "db")
                    .await
                    .unwrap();
            }
        };
        for def in before {
            define(def).await;
        }
        if auth {
            app.enable_auth_with(AuthOptions::new().data_source("db"))
                .await
                .unwrap();
        }
        for def in defs {
            define(def).await;
        }
        if self.sql {
            let defs: Vec<_> = app.models().iter().map(|m| m.definition()).collect();
            self.connector.automigrate(&defs).await.unwrap();
        }
        app
    }
}

/// One `#[tokio::test]` per connector for each scenario `async fn name(db: Db)`: module
/// `name` holds `memory` and (with the `postgres` feature) `postgres`.
macro_rules! on_every_connector {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn memory() {
                super::$name(crate::rest_db::Db::memory()).await;
            }

            #[cfg(feature = "postgres")]
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = crate::rest_db::Db::postgres().await {
                    super::$name(db).await;
                }
            }
        }
    )*};
}
