//! The data sources REST scenarios run on: the memory connector, SQLite (an in-memory
//! database), and, when `LOOPBACK_TEST_POSTGRES_URL` / `LOOPBACK_TEST_MYSQL_URL` are set,
//! PostgreSQL in a schema and MySQL in a database of the scenario's own
//! ([`on_every_connector!`] runs a scenario on each). A test binary using it declares
//! `#[cfg(feature = "postgres")] mod pg_db;` and `#[cfg(feature = "mysql")] mod mysql_db;`
//! next to `#[macro_use] mod rest_db;`.

#![allow(dead_code, unused_macros)] // each test binary uses its own part

use std::sync::Arc;

use loopback::auth::AuthOptions;
use loopback::{connectors, App, Connector, ModelDefinition};
use serde_json::Value as Json;

#[cfg(feature = "mysql")]
use super::mysql_db;
#[cfg(feature = "postgres")]
use super::pg_db;

/// Which connector a [`Db`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Memory,
    Sqlite,
    Postgres,
    Mysql,
}

/// A data source a scenario runs on; a PostgreSQL schema or a MySQL database is dropped with
/// it.
pub struct Db {
    connector: Arc<dyn Connector>,
    kind: Kind,
    #[cfg(feature = "postgres")]
    _schema: Option<pg_db::TestSchema>,
    #[cfg(feature = "mysql")]
    _database: Option<mysql_db::TestDb>,
}

impl Db {
    fn of(connector: Arc<dyn Connector>, kind: Kind) -> Db {
        Db {
            connector,
            kind,
            #[cfg(feature = "postgres")]
            _schema: None,
            #[cfg(feature = "mysql")]
            _database: None,
        }
    }

    /// A fresh memory data source.
    pub fn memory() -> Db {
        Db::of(connectors::memory(), Kind::Memory)
    }

    /// A fresh in-memory SQLite database.
    #[cfg(feature = "sqlite")]
    pub fn sqlite() -> Db {
        let connector = connectors::sqlite(serde_json::json!({"file": ":memory:"}))
            .expect("an in-memory SQLite database");
        Db::of(connector, Kind::Sqlite)
    }

    /// A fresh PostgreSQL schema, or `None` when the server's URL is not set.
    #[cfg(feature = "postgres")]
    pub async fn postgres() -> Option<Db> {
        let (connector, schema) = pg_db::TestSchema::create().await?;
        let mut db = Db::of(connector, Kind::Postgres);
        db._schema = Some(schema);
        Some(db)
    }

    /// A fresh MySQL database, or `None` when the server's URL is not set.
    #[cfg(feature = "mysql")]
    pub async fn mysql() -> Option<Db> {
        let (connector, database) = mysql_db::TestDb::create().await?;
        let mut db = Db::of(connector, Kind::Mysql);
        db._database = Some(database);
        Some(db)
    }

    /// Which connector this is.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Whether this is a SQL database (properties never set read back as `null`).
    pub fn is_sql(&self) -> bool {
        self.kind != Kind::Memory
    }

    /// Runs a native SQL statement on a SQL database, with `{schema}` replaced by the
    /// scenario's schema (e.g. `ALTER TABLE "{schema}".accesstoken ...`).
    pub async fn execute(&self, sql: &str) {
        assert!(self.is_sql(), "native SQL on a SQL database only");
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

    /// Drops a column of a table, in the database's own SQL (`{schema}` as in
    /// [`Db::execute`]); `table` and `column` as the connector names them.
    pub async fn drop_column(&self, table: &str, column: &str) {
        let sql = match self.kind {
            Kind::Postgres => {
                format!(r#"ALTER TABLE "{{schema}}"."{table}" DROP COLUMN "{column}""#)
            }
            Kind::Mysql => format!("ALTER TABLE `{table}` DROP COLUMN `{column}`"),
            _ => format!(r#"ALTER TABLE "{table}" DROP COLUMN "{column}""#),
        };
        self.execute(&sql).await
    }

    /// Another, empty, data source of the same kind.
    pub async fn fresh(&self) -> Db {
        match self.kind {
            #[cfg(feature = "postgres")]
            Kind::Postgres => Db::postgres().await.expect("PostgreSQL was reachable"),
            #[cfg(feature = "mysql")]
            Kind::Mysql => Db::mysql().await.expect("MySQL was reachable"),
            #[cfg(feature = "sqlite")]
            Kind::Sqlite => Db::sqlite(),
            _ => Db::memory(),
        }
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
        if self.is_sql() {
            let defs: Vec<_> = app.models().iter().map(|m| m.definition()).collect();
            self.connector.automigrate(&defs).await.unwrap();
        }
        app
    }
}

/// One `#[tokio::test]` per connector for each scenario `async fn name(db: Db)`: module
/// `name` holds `memory` and, with their features, `sqlite`, `postgres` and `mysql`.
macro_rules! on_every_connector {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn memory() {
                super::$name(crate::rest_db::Db::memory()).await;
            }
            connector_tests!(@sqlite $name);
            connector_tests!(@servers $name);
        }
    )*};
}

/// [`on_every_connector`] without the memory connector; with `servers:`, only PostgreSQL
/// and MySQL.
macro_rules! on_sql_connectors {
    (servers: $($name:ident),* $(,)?) => {$(
        mod $name {
            connector_tests!(@servers $name);
        }
    )*};
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            connector_tests!(@sqlite $name);
            connector_tests!(@servers $name);
        }
    )*};
}

/// The tests of one scenario on SQLite (`@sqlite`) or on the database servers (`@servers`).
macro_rules! connector_tests {
    (@sqlite $name:ident) => {
        #[cfg(feature = "sqlite")]
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn sqlite() {
            super::$name(crate::rest_db::Db::sqlite()).await;
        }
    };
    (@servers $name:ident) => {
        #[cfg(feature = "postgres")]
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn postgres() {
            if let Some(db) = crate::rest_db::Db::postgres().await {
                super::$name(db).await;
            }
        }

        #[cfg(feature = "mysql")]
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn mysql() {
            if let Some(db) = crate::rest_db::Db::mysql().await {
                super::$name(db).await;
            }
        }
    };
}
