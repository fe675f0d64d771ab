//! The SQLite connector (`"connector": "sqlite3"`), over sqlx.
//!
//! Each model is one table ([`crate::sql::SqliteDialect`] describes names and types); the
//! statements come from the shared [`crate::sql`] builders, with every value bound as a
//! parameter. Configure it as in a LoopBack 3 `datasources.json` entry:
//!
//! ```json
//! { "db": { "connector": "sqlite3", "file": "data/app.db", "connectionLimit": 4 } }
//! ```
//!
//! | key | meaning |
//! |---|---|
//! | `file` or `database` | the database file, created when missing; `:memory:` (the default) for a private in-memory database |
//! | `url` | instead of `file`: `sqlite://path/to.db`, `sqlite::memory:`, with SQLite URI parameters (`?mode=ro`) |
//! | `connectionLimit` or `max` | pool size for files (default 4); an in-memory database always has one connection, so every operation sees the same data |
//! | `connectTimeout` or `acquireTimeout` | milliseconds to wait for a free connection before failing with 503 (default 30000) |
//! | `busyTimeout` | milliseconds a statement waits for a lock held by another connection or process (default 5000) |
//! | `readonly` | open the file read-only |
//! | `name`, `connector`, `debug` | accepted and ignored, as LoopBack passes them to every connector |
//!
//! Any other key is an error naming it. Numbers may be given as strings.
//!
//! Every connection turns `PRAGMA case_sensitive_like` on, so `like` is case-sensitive as on
//! the memory connector (`ilike` is the case-insensitive form), registers the `REGEXP` function
//! (Rust's `regex` crate), and enforces foreign keys.

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use loopback_core::connector::{Capabilities, Connector, IsolationLevel, Options, Transaction};
use loopback_core::filter::{Filter, Where};
use loopback_core::model::ModelDefinition;
use loopback_core::{Error, Record, Result, Value};
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteConnection, SqlitePool, SqlitePoolOptions,
    SqliteQueryResult, SqliteRow,
};
use sqlx::{Column, Decode, Executor, Row, Sqlite, TypeInfo, ValueRef};

use crate::sql::{
    self, ddl, Conn, Dialect, ErrorContext, MigrationPhase, MigrationPlan, MigrationStep,
    SqlTransaction, SqliteDialect, Statement, TableCache, TableMapping, Write,
};

/// LoopBack 3's SQLite connector (`"connector": "sqlite3"`).
///
/// Cheap to share: one instance per data source (`Arc<SqliteConnector>`), backed by a pool of
/// connections. Creating it opens nothing; the first operation connects. Operations run on a
/// Tokio runtime with timers enabled (as `#[tokio::main]` builds it).
///
/// ```
/// use std::sync::Arc;
/// use loopback_connectors::sqlite::SqliteConnector;
/// use loopback_core::{record, App, Connector, Filter, Options, Where};
/// use loopback_core::model::ModelDefinition;
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let db = Arc::new(SqliteConnector::in_memory());
/// let app = App::new();
/// app.data_source("db", db.clone());
/// let def = ModelDefinition::from_lb3_json(&serde_json::json!({
///     "name": "Book", "properties": {"title": "string"}
/// }))?;
/// let books = app.define(def, "db").await?;
/// db.automigrate(&[books.definition()]).await?;
/// books.create(record! {"title" => "Dune"}, &Options::new()).await?;
/// let found = books.find(Filter::with_where(Where::eq("title", "Dune")), &Options::new()).await?;
/// assert_eq!(found[0].get("id"), Some(&1.into()));
/// # Ok::<(), loopback_core::Error>(())
/// # }).unwrap();
/// ```
pub struct SqliteConnector {
    pool: SqlitePool,
    dialect: SqliteDialect,
    capabilities: Capabilities,
    tables: TableCache,
    location: String,
}

impl fmt::Debug for SqliteConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = self.tables.model_names();
        f.debug_struct("SqliteConnector")
            .field("database", &self.location)
            .field("models", &names)
            .finish()
    }
}

/// Settings accepted in a data source entry, for the error that names an unknown one.
const SETTINGS: &[&str] = &[
    "name",
    "connector",
    "debug",
    "file",
    "database",
    "url",
    "connectionLimit",
    "max",
    "connectTimeout",
    "acquireTimeout",
    "busyTimeout",
    "readonly",
];

const DEFAULT_POOL_SIZE: u32 = 4;
const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

impl SqliteConnector {
    /// A private in-memory database, gone when the connector is dropped.
    pub fn in_memory() -> Self {
        let options =
            SqliteConnectOptions::from_str("sqlite::memory:").expect("a valid in-memory URL");
        Self::with_options(options, 1, DEFAULT_ACQUIRE_TIMEOUT, ":memory:".into())
    }

    /// A database file, created when missing.
    pub fn open(path: impl AsRef<Path>) -> Self {
        let path = path.as_ref();
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        Self::with_options(
            options,
            DEFAULT_POOL_SIZE,
            DEFAULT_ACQUIRE_TIMEOUT,
            path.display().to_string(),
        )
    }

    /// A connector configured by a LoopBack 3 data source entry (see the module docs for the
    /// keys). Fails with [`Error::Connector`] naming the first unknown or invalid key.
    pub fn from_settings(settings: &serde_json::Value) -> Result<Self> {
        let bad = |key: &str, why: String| {
            Error::Connector(format!("sqlite3 data source setting `{key}`: {why}"))
        };
        let map = match settings {
            serde_json::Value::Object(m) => m,
            serde_json::Value::Null => &serde_json::Map::new(),
            other => {
                return Err(Error::Connector(format!(
                    "sqlite3 data source settings must be an object, not {other}"
                )))
            }
        };
        if let Some(key) = map.keys().find(|k| !SETTINGS.contains(&k.as_str())) {
            return Err(Error::Connector(format!(
                "unknown sqlite3 data source setting `{key}`; expected one of: {}",
                SETTINGS.join(", ")
            )));
        }
        let text = |key: &str| -> Result<Option<String>> {
            match map.get(key) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(bad(key, format!("expected a string, found {other}"))),
            }
        };
        let number = |keys: &[&str]| -> Result<Option<u64>> {
            let Some((key, v)) = keys
                .iter()
                .find_map(|k| map.get(*k).filter(|v| !v.is_null()).map(|v| (*k, v)))
            else {
                return Ok(None);
            };
            let n = match v {
                serde_json::Value::Number(n) => n.as_u64(),
                serde_json::Value::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            n.map(Some).ok_or_else(|| {
                bad(
                    key,
                    format!("expected a non-negative whole number, found {v}"),
                )
            })
        };
        let readonly = match map.get("readonly") {
            None | Some(serde_json::Value::Null) => false,
            Some(serde_json::Value::Bool(b)) => *b,
            Some(serde_json::Value::String(s)) if s == "true" || s == "false" => s == "true",
            Some(other) => {
                return Err(bad(
                    "readonly",
                    format!("expected true or false, found {other}"),
                ))
            }
        };
        let file = text("file")?;
        let database = text("database")?;
        let url = text("url")?;
        let path = match (file, database) {
            (Some(f), Some(d)) if f != d => {
                return Err(bad(
                    "database",
                    format!("names `{d}` but `file` names `{f}`; give one of them"),
                ))
            }
            (f, d) => f.or(d),
        };
        let (mut options, location) = match (path, url) {
            (Some(_), Some(_)) => {
                return Err(bad(
                    "url",
                    "give either `url` or `file`/`database`, not both".into(),
                ))
            }
            (None, Some(url)) => {
                if !url.starts_with("sqlite:") {
                    return Err(bad("url", format!("`{url}` is not a `sqlite:` URL")));
                }
                let options =
                    SqliteConnectOptions::from_str(&url).map_err(|e| bad("url", e.to_string()))?;
                (options, url)
            }
            (Some(p), None) if p != ":memory:" => (
                SqliteConnectOptions::new()
                    .filename(&p)
                    .create_if_missing(!readonly),
                p,
            ),
            _ => (
                SqliteConnectOptions::from_str("sqlite::memory:")
                    .map_err(|e| bad("file", e.to_string()))?,
                ":memory:".into(),
            ),
        };
        if readonly {
            options = options.read_only(true);
        }
        if let Some(ms) = number(&["busyTimeout"])? {
            options = options.busy_timeout(Duration::from_millis(ms));
        }
        let in_memory = location == ":memory:"
            || location.contains(":memory:")
            || location.contains("mode=memory");
        let pool_size = match number(&["connectionLimit", "max"])? {
            Some(0) => return Err(bad("connectionLimit", "must be at least 1".into())),
            // One connection holds a private in-memory database; more would see others.
            _ if in_memory => 1,
            Some(n) => u32::try_from(n).unwrap_or(u32::MAX),
            None => DEFAULT_POOL_SIZE,
        };
        let acquire = number(&["connectTimeout", "acquireTimeout"])?
            .map_or(DEFAULT_ACQUIRE_TIMEOUT, Duration::from_millis);
        Ok(Self::with_options(options, pool_size, acquire, location))
    }

    fn with_options(
        options: SqliteConnectOptions,
        pool_size: u32,
        acquire: Duration,
        location: String,
    ) -> Self {
        let options = options
            .pragma("case_sensitive_like", "ON")
            .foreign_keys(true)
            .with_regexp();
        // No idle or lifetime limit: an in-memory database lives as long as its connection,
        // and without them the pool needs no background task (nor a runtime to create it).
        let pool = SqlitePoolOptions::new()
            .max_connections(pool_size)
            .min_connections(0)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(acquire)
            .connect_lazy_with(options);
        SqliteConnector {
            pool,
            dialect: SqliteDialect,
            capabilities: sqlite_capabilities(),
            tables: TableCache::new(),
            location,
        }
    }

    /// The connection pool, for work this connector does not cover.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The table mapping of a model: the cached one when it still fits the definition.
    fn mapping(&self, def: &ModelDefinition) -> Result<Arc<TableMapping>> {
        self.tables.get(def, |d| self.table_mapping(d))
    }

    /// The `foreignKeys` a model declares, each with the mapping of the table it references
    /// (among `models`, or known to the connector); keys to unknown models are skipped, as
    /// LoopBack 3's SQL connectors skip them.
    fn foreign_keys_of(
        &self,
        def: &ModelDefinition,
        models: &[Arc<ModelDefinition>],
    ) -> Result<Vec<(ddl::ForeignKeySpec, Arc<TableMapping>)>> {
        let mut out = Vec::new();
        for fk in ddl::foreign_keys(def)? {
            let entity = match models.iter().find(|m| m.name == fk.entity) {
                Some(m) => self.remap(m)?,
                None => match crate::sql::Discovery::known_mapping(self, &fk.entity) {
                    Some(e) => e,
                    None => continue,
                },
            };
            out.push((fk, entity));
        }
        Ok(out)
    }

    fn table_mapping(&self, def: &ModelDefinition) -> Result<TableMapping> {
        TableMapping::new(&self.dialect, def)
    }

    fn remap(&self, def: &ModelDefinition) -> Result<Arc<TableMapping>> {
        Ok(self.tables.insert(&def.name, self.table_mapping(def)?))
    }

    fn classify(&self, e: sqlx::Error, cx: ErrorContext<'_>) -> Error {
        sql::classify(&self.dialect, e, cx)
    }

    fn decode_row(&self, t: &TableMapping, row: &SqliteRow, columns: &[usize]) -> Result<Record> {
        let mut out = Record::with_capacity(columns.len());
        for (i, &pos) in columns.iter().enumerate() {
            let c = &t.columns[pos];
            out.insert(c.key.clone(), self.dialect.decode(c, raw_value(row, i)?));
        }
        Ok(out)
    }

    /// The connection for an operation with `options`: its transaction's, else a pooled one.
    async fn conn<'a>(&self, options: &'a Options) -> Result<Conn<'a, Sqlite>> {
        sql::connection(
            &self.pool,
            options,
            "sqlite3",
            self as *const Self as usize,
            |e| self.classify(e, ErrorContext::default()),
        )
        .await
    }

    async fn count_rows(
        &self,
        conn: &mut SqliteConnection,
        stmt: &Statement,
        t: &TableMapping,
    ) -> Result<u64> {
        let row = fetch_one(conn, stmt).await.map_err(|e| {
            self.classify(
                e,
                ErrorContext {
                    table: Some(t),
                    values: None,
                },
            )
        })?;
        Ok(raw_value(&row, 0)?
            .as_i64()
            .map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    }

    async fn write(
        &self,
        conn: &mut SqliteConnection,
        w: Write,
        t: &TableMapping,
        values: Option<&Record>,
    ) -> Result<u64> {
        match w {
            Write::Execute(stmt) => execute(conn, &stmt)
                .await
                .map(|r| r.rows_affected())
                .map_err(|e| {
                    self.classify(
                        e,
                        ErrorContext {
                            table: Some(t),
                            values,
                        },
                    )
                }),
            Write::Count(stmt) => self.count_rows(conn, &stmt, t).await,
        }
    }
}

fn sqlite_capabilities() -> Capabilities {
    Capabilities {
        ilike: true,
        regexp: true,
        regexp_flags: true,
        geo_point: false,
        nested_property: false,
        transactions: true,
        native_sql: true,
        migration: true,
        arrays: false,
        adhoc_sort: false,
        free_form_properties: false,
        inq_limit: 1000,
        related_where: true,
    }
}

type Query<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>;

fn bind<'q>(sql: &'q str, params: &'q [Value]) -> Query<'q> {
    let mut q = sqlx::query(sql);
    for v in params {
        q = match v {
            Value::Null => q.bind(None::<i64>),
            Value::Bool(b) => q.bind(*b),
            Value::Int(i) => q.bind(*i),
            Value::Float(f) => q.bind(*f),
            Value::String(s) => q.bind(s.as_str()),
            Value::Buffer(b) => q.bind(b.as_slice()),
            Value::Date(d) => q.bind(d.timestamp_millis()),
            Value::GeoPoint(_) | Value::Array(_) | Value::Object(_) => {
                q.bind(v.to_json().to_string())
            }
        };
    }
    q
}

async fn execute<'e, E>(
    e: E,
    stmt: &'e Statement,
) -> std::result::Result<SqliteQueryResult, sqlx::Error>
where
    E: Executor<'e, Database = Sqlite>,
{
    bind(&stmt.sql, &stmt.params).execute(e).await
}

async fn fetch_all<'e, E>(
    e: E,
    stmt: &'e Statement,
) -> std::result::Result<Vec<SqliteRow>, sqlx::Error>
where
    E: Executor<'e, Database = Sqlite>,
{
    bind(&stmt.sql, &stmt.params).fetch_all(e).await
}

async fn fetch_one<'e, E>(e: E, stmt: &'e Statement) -> std::result::Result<SqliteRow, sqlx::Error>
where
    E: Executor<'e, Database = Sqlite>,
{
    bind(&stmt.sql, &stmt.params).fetch_one(e).await
}

/// A result column as SQLite stored it: null, integer, real, text or blob.
fn raw_value(row: &SqliteRow, i: usize) -> Result<Value> {
    let v = row
        .try_get_raw(i)
        .map_err(|e| Error::Connector(e.to_string()))?;
    if v.is_null() {
        return Ok(Value::Null);
    }
    let failed =
        |e: sqlx::error::BoxDynError| Error::Connector(format!("cannot read column {i}: {e}"));
    // The storage class, without allocating: the type info is a small value.
    let type_info = v.type_info().into_owned();
    Ok(match type_info.name() {
        "INTEGER" => Value::Int(<i64 as Decode<Sqlite>>::decode(v).map_err(failed)?),
        "REAL" => Value::Float(<f64 as Decode<Sqlite>>::decode(v).map_err(failed)?),
        "BLOB" => Value::Buffer(<Vec<u8> as Decode<Sqlite>>::decode(v).map_err(failed)?),
        _ => Value::String(<String as Decode<Sqlite>>::decode(v).map_err(failed)?),
    })
}

#[async_trait]
impl Connector for SqliteConnector {
    fn name(&self) -> &str {
        "sqlite3"
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// This connector, for downcasting to its own API (pool, discovery).
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    async fn define(&self, model: &Arc<ModelDefinition>) -> Result<()> {
        self.remap(model).map(drop)
    }

    async fn create(
        &self,
        model: &ModelDefinition,
        data: Record,
        options: &Options,
    ) -> Result<Value> {
        let t = self.mapping(model)?;
        let mut conn = self.conn(options).await?;
        let mut data = data;
        sql::assign_generated_id(&t, &mut data);
        let insert = sql::insert(&self.dialect, &t, &data)?;
        let cx = ErrorContext {
            table: Some(&t),
            values: Some(&data),
        };
        match insert.returning {
            Some(pos) => {
                let row = fetch_one(&mut *conn, &insert.statement)
                    .await
                    .map_err(|e| self.classify(e, cx))?;
                Ok(self.dialect.decode(&t.columns[pos], raw_value(&row, 0)?))
            }
            None => {
                execute(&mut *conn, &insert.statement)
                    .await
                    .map_err(|e| self.classify(e, cx))?;
                Ok(insert.id.unwrap_or(Value::Null))
            }
        }
    }

    async fn find(
        &self,
        model: &ModelDefinition,
        filter: &Filter,
        options: &Options,
    ) -> Result<Vec<Record>> {
        let t = self.mapping(model)?;
        let select = sql::select(&self.dialect, &t, filter)?;
        let mut conn = self.conn(options).await?;
        let rows = fetch_all(&mut *conn, &select.statement)
            .await
            .map_err(|e| {
                self.classify(
                    e,
                    ErrorContext {
                        table: Some(&t),
                        values: None,
                    },
                )
            })?;
        rows.iter()
            .map(|row| self.decode_row(&t, row, &select.columns))
            .collect()
    }

    async fn count(
        &self,
        model: &ModelDefinition,
        where_: Option<&Where>,
        options: &Options,
    ) -> Result<u64> {
        let t = self.mapping(model)?;
        let stmt = sql::count(&self.dialect, &t, where_)?;
        let mut conn = self.conn(options).await?;
        self.count_rows(&mut conn, &stmt, &t).await
    }

    async fn update_all(
        &self,
        model: &ModelDefinition,
        where_: Option<&Where>,
        data: Record,
        options: &Options,
    ) -> Result<u64> {
        let t = self.mapping(model)?;
        let w = sql::update(&self.dialect, &t, where_, &data)?;
        let mut conn = self.conn(options).await?;
        self.write(&mut conn, w, &t, Some(&data)).await
    }

    async fn destroy_all(
        &self,
        model: &ModelDefinition,
        where_: Option<&Where>,
        options: &Options,
    ) -> Result<u64> {
        let t = self.mapping(model)?;
        let stmt = sql::delete(&self.dialect, &t, where_)?;
        let mut conn = self.conn(options).await?;
        self.write(&mut conn, Write::Execute(stmt), &t, None).await
    }

    async fn replace_by_id(
        &self,
        model: &ModelDefinition,
        id: &Value,
        data: Record,
        options: &Options,
    ) -> Result<bool> {
        let t = self.mapping(model)?;
        let w = sql::replace_by_id(&self.dialect, &t, id, &data)?;
        let mut conn = self.conn(options).await?;
        Ok(self.write(&mut conn, w, &t, Some(&data)).await? > 0)
    }

    /// Begins a transaction on one pooled connection (`BEGIN`). SQLite transactions are always
    /// serializable: every isolation level is accepted and gives that behaviour. An in-memory
    /// database has one connection, so operations outside the transaction wait for its end.
    async fn begin_transaction(
        &self,
        isolation: IsolationLevel,
        timeout: Option<Duration>,
    ) -> Result<Arc<dyn Transaction>> {
        let _ = (isolation, timeout);
        let tx = self
            .pool
            .begin()
            .await
            .map_err(|e| self.classify(e, ErrorContext::default()))?;
        Ok(Arc::new(SqlTransaction::new(
            "sqlite3",
            self as *const Self as usize,
            tx,
        )))
    }

    /// Drops and re-creates each model's table and indexes, in one transaction per call: the
    /// statements of [`crate::sql::Discovery::automigrate_plan`].
    async fn automigrate(&self, models: &[Arc<ModelDefinition>]) -> Result<()> {
        let plan = crate::sql::Discovery::automigrate_plan(self, models).await?;
        crate::sql::Discovery::apply_migration(self, &plan, &mut |_, _| {}).await
    }

    /// Creates missing tables, and adds to existing ones the columns and indexes they lack.
    /// Nothing is dropped or changed, so stored data stays. The statements are those of
    /// [`crate::sql::Discovery::autoupdate_plan`].
    async fn autoupdate(&self, models: &[Arc<ModelDefinition>]) -> Result<()> {
        let plan = crate::sql::Discovery::autoupdate_plan(self, models).await?;
        crate::sql::Discovery::apply_migration(self, &plan, &mut |_, _| {}).await
    }

    /// Runs one native statement with `?` parameters. Dates are bound as epoch milliseconds
    /// (as they are stored), booleans as 0/1, objects, arrays and points as JSON text. Rows
    /// come back as records keyed by result column name, with SQLite's own types: integers,
    /// reals, text, blobs (as buffers) and nulls.
    async fn execute(
        &self,
        statement: &str,
        params: &[Value],
        options: &Options,
    ) -> Result<Vec<Record>> {
        let mut conn = self.conn(options).await?;
        let rows = bind(statement, params)
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| self.classify(e, ErrorContext::default()))?;
        rows.iter()
            .map(|row| {
                let mut r = Record::with_capacity(row.len());
                for (i, c) in row.columns().iter().enumerate() {
                    r.insert(c.name().to_owned(), raw_value(row, i)?);
                }
                Ok(r)
            })
            .collect()
    }
}

/// Discovery (tables, columns, keys, LoopBack 3 model definitions) and `isActual`, through
/// this connector's catalog queries.
#[async_trait]
impl crate::sql::Discovery for SqliteConnector {
    fn discovery_connector(&self) -> &dyn Connector {
        self
    }

    fn discovery_dialect(&self) -> &dyn crate::sql::Dialect {
        &self.dialect
    }

    fn discovery_mapping(&self, def: &ModelDefinition) -> Result<Arc<TableMapping>> {
        self.remap(def)
    }

    fn known_mapping(&self, model: &str) -> Option<Arc<TableMapping>> {
        self.tables.known(model)
    }

    /// Per model: `DROP TABLE IF EXISTS`, then `CREATE TABLE` with the declared foreign keys
    /// inside it (SQLite cannot add them later) and its indexes.
    async fn automigrate_plan(&self, models: &[Arc<ModelDefinition>]) -> Result<MigrationPlan> {
        let mut plan = MigrationPlan::default();
        for def in models {
            let t = self.remap(def)?;
            let mut statements = vec![ddl::drop_table(&self.dialect, &t)];
            statements.extend(ddl::create_table_with_foreign_keys(
                &self.dialect,
                &t,
                &self.foreign_keys_of(def, models)?,
            ));
            plan.steps.push(MigrationStep {
                model: def.name.clone(),
                table: t,
                phase: MigrationPhase::Table,
                statements,
            });
        }
        Ok(plan)
    }

    /// Per model: `CREATE TABLE` (with its foreign keys) and its indexes when the table is
    /// missing, else `ALTER TABLE … ADD COLUMN` and `CREATE INDEX` for what it lacks. An
    /// existing table without a declared foreign key column is [`Error::NotSupported`].
    async fn autoupdate_plan(&self, models: &[Arc<ModelDefinition>]) -> Result<MigrationPlan> {
        let mut plan = MigrationPlan::default();
        for def in models {
            let t = self.remap(def)?;
            let cx = ErrorContext {
                table: Some(&t),
                values: None,
            };
            let exists = !fetch_all(&self.pool, &self.dialect.table_exists_query(&t))
                .await
                .map_err(|e| self.classify(e, cx))?
                .is_empty();
            let mut stmts = Vec::new();
            let fks = self.foreign_keys_of(def, models)?;
            if !exists {
                stmts.extend(ddl::create_table_with_foreign_keys(&self.dialect, &t, &fks));
            } else {
                if !fks.is_empty() {
                    let present: Vec<String> =
                        fetch_all(&self.pool, &self.dialect.foreign_key_columns_query(&t))
                            .await
                            .map_err(|e| self.classify(e, cx))?
                            .iter()
                            .map(|r| {
                                raw_value(r, 0).map(|v| v.as_str().unwrap_or_default().to_owned())
                            })
                            .collect::<Result<_>>()?;
                    for (fk, _) in &fks {
                        let column = t
                            .column(&fk.foreign_key)
                            .map_or(fk.foreign_key.as_str(), |c| c.name.as_str());
                        if !present.iter().any(|p| p.eq_ignore_ascii_case(column)) {
                            return Err(Error::NotSupported {
                                connector: "sqlite3".into(),
                                feature: format!(
                                    "adding foreign key `{}` to the existing table `{}` (SQLite cannot alter constraints; automigrate re-creates the table with it)",
                                    fk.name, t.table
                                ),
                            });
                        }
                    }
                }
                let names = |rows: Vec<SqliteRow>| -> Result<Vec<String>> {
                    rows.iter()
                        .map(|r| {
                            raw_value(r, 0)
                                .map(|v| v.as_str().unwrap_or_default().to_ascii_lowercase())
                        })
                        .collect()
                };
                let columns = names(
                    fetch_all(&self.pool, &self.dialect.table_columns_query(&t))
                        .await
                        .map_err(|e| self.classify(e, cx))?,
                )?;
                let indexes = names(
                    fetch_all(&self.pool, &self.dialect.table_indexes_query(&t))
                        .await
                        .map_err(|e| self.classify(e, cx))?,
                )?;
                for c in &t.columns {
                    if !columns.contains(&c.name.to_ascii_lowercase()) {
                        stmts.push(ddl::add_column(&self.dialect, &t, c));
                    }
                }
                for i in &t.indexes {
                    if !indexes.contains(&i.name.to_ascii_lowercase()) {
                        stmts.push(self.dialect.create_index(&t, i));
                    }
                }
            }
            plan.steps.push(MigrationStep {
                model: def.name.clone(),
                table: t,
                phase: MigrationPhase::Table,
                statements: stmts,
            });
        }
        Ok(plan)
    }

    /// Runs the plan in one transaction.
    async fn apply_migration(
        &self,
        plan: &MigrationPlan,
        progress: &mut (dyn for<'s> FnMut(usize, &'s MigrationStep) + Send),
    ) -> Result<()> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| self.classify(e, ErrorContext::default()))?;
        for (i, step) in plan.steps.iter().enumerate() {
            let cx = ErrorContext {
                table: Some(&step.table),
                values: None,
            };
            for stmt in &step.statements {
                execute(&mut *tx, stmt)
                    .await
                    .map_err(|e| self.classify(e, cx))?;
            }
            progress(i, step);
        }
        tx.commit()
            .await
            .map_err(|e| self.classify(e, ErrorContext::default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loopback_core::filter::Direction;
    use loopback_core::{record, App};
    use serde_json::json;

    fn model(j: serde_json::Value) -> Arc<ModelDefinition> {
        let mut d = ModelDefinition::from_lb3_json(&j).unwrap();
        d.inject_id();
        Arc::new(d)
    }

    fn opts() -> Options {
        Options::new()
    }

    async fn migrated(db: &SqliteConnector, j: serde_json::Value) -> Arc<ModelDefinition> {
        let m = model(j);
        db.define(&m).await.unwrap();
        db.automigrate(std::slice::from_ref(&m)).await.unwrap();
        m
    }

    #[tokio::test]
    async fn declared_foreign_keys_are_created_with_the_table() {
        let db = SqliteConnector::in_memory();
        let author = model(json!({"name": "Author", "properties": {"name": "string"}}));
        let book = model(json!({"name": "Book", "properties": {"authorId": "number"},
            "foreignKeys": {"fk_book_author": {"entity": "Author", "foreignKey": "authorId",
                "entityKey": "id", "onDelete": "CASCADE"}}}));
        for m in [&author, &book] {
            db.define(m).await.unwrap();
        }
        db.automigrate(&[book.clone(), author.clone()])
            .await
            .unwrap();
        let a = db
            .create(&author, record! {"name" => "A"}, &opts())
            .await
            .unwrap();
        db.create(&book, record! {"authorId" => a}, &opts())
            .await
            .unwrap();
        let e = db
            .create(&book, record! {"authorId" => 99}, &opts())
            .await
            .unwrap_err();
        assert_eq!(e.status(), 409, "{e:?}");
        // ON DELETE CASCADE took effect.
        db.destroy_all(&author, None, &opts()).await.unwrap();
        assert_eq!(db.count(&book, None, &opts()).await.unwrap(), 0);
        // autoupdate of the existing tables finds the key in place.
        db.autoupdate(&[author.clone(), book.clone()])
            .await
            .unwrap();
        // A key declared later cannot be added to the existing table: a clear error.
        let book2 = model(
            json!({"name": "Book", "properties": {"authorId": "number", "editorId": "number"},
            "foreignKeys": {"fk_book_author": {"entity": "Author", "foreignKey": "authorId"},
                            "fk_book_editor": {"entity": "Author", "foreignKey": "editorId"}}}),
        );
        db.define(&book2).await.unwrap();
        let e = db.autoupdate(&[book2]).await.unwrap_err();
        assert!(matches!(e, Error::NotSupported { .. }), "{e:?}");
        assert!(e.to_string().contains("fk_book_editor"), "{e}");
    }

    #[tokio::test]
    async fn autoupdate_adds_columns_and_indexes_and_keeps_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.db");
        let v1 =
            json!({"name": "Note", "properties": {"title": {"type": "string", "required": true}}});
        {
            let db = SqliteConnector::open(&path);
            let m = migrated(&db, v1.clone()).await;
            db.create(&m, record! {"title" => "kept"}, &opts())
                .await
                .unwrap();
        }
        // A new property with an index, and a model-level index, on a reopened file.
        let db = SqliteConnector::open(&path);
        let mut v2 = v1.clone();
        v2["properties"]["body"] = json!({"type": "string", "index": true});
        v2["properties"]["stars"] = json!({"type": "number", "sqlite3": {"dataType": "INTEGER"}});
        v2["indexes"] = json!({"by_stars": {"keys": {"stars": -1}}});
        let m2 = model(v2);
        db.autoupdate(std::slice::from_ref(&m2)).await.unwrap();
        let rows = db.find(&m2, &Filter::new(), &opts()).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].get("title"), Some(&Value::from("kept")));
        assert_eq!(rows[0].get("body"), Some(&Value::Null));
        db.create(
            &m2,
            record! {"title" => "new", "body" => "b", "stars" => 5},
            &opts(),
        )
        .await
        .unwrap();
        let indexes = db
            .execute(
                "SELECT name FROM pragma_index_list('Note') ORDER BY name",
                &[],
                &opts(),
            )
            .await
            .unwrap();
        let names: Vec<_> = indexes
            .iter()
            .filter_map(|r| r.get("name").and_then(Value::as_str))
            .collect();
        assert_eq!(names, ["Note_body", "by_stars"]);
        // Running it again changes nothing; a missing table is created.
        db.autoupdate(std::slice::from_ref(&m2)).await.unwrap();
        let other = model(json!({"name": "Other", "properties": {"x": "string"}}));
        db.autoupdate(std::slice::from_ref(&other)).await.unwrap();
        assert_eq!(db.count(&other, None, &opts()).await.unwrap(), 0);
        assert_eq!(db.count(&m2, None, &opts()).await.unwrap(), 2);
        // automigrate starts over.
        db.automigrate(std::slice::from_ref(&m2)).await.unwrap();
        assert_eq!(db.count(&m2, None, &opts()).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn execute_runs_native_statements_with_parameters() {
        let db = SqliteConnector::in_memory();
        let m = migrated(&db, json!({"name": "Event", "properties": {"title": "string", "at": "date", "ok": "boolean"}})).await;
        let at = loopback_core::value::parse_date("2020-01-01T00:00:00Z").unwrap();
        db.create(
            &m,
            record! {"title" => "a", "at" => Value::Date(at), "ok" => true},
            &opts(),
        )
        .await
        .unwrap();
        let rows = db
            .execute(
                r#"SELECT id, title, at, ok, 1.5 AS f, x'00ff' AS b, NULL AS n FROM "Event" WHERE at = ? AND title = ? AND ok = ?"#,
                &[Value::Date(at), Value::from("a"), Value::Bool(true)],
                &opts(),
            )
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(
            r.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
            ["id", "title", "at", "ok", "f", "b", "n"]
        );
        assert_eq!(
            r.get("at"),
            Some(&Value::Int(at.timestamp_millis())),
            "driver types: dates are stored as epoch ms"
        );
        assert_eq!(r.get("ok"), Some(&Value::Int(1)));
        assert_eq!(r.get("f"), Some(&Value::Float(1.5)));
        assert_eq!(r.get("b"), Some(&Value::Buffer(vec![0, 255])));
        assert_eq!(r.get("n"), Some(&Value::Null));
        let none = db
            .execute(
                r#"UPDATE "Event" SET title = ?"#,
                &[Value::from("b")],
                &opts(),
            )
            .await
            .unwrap();
        assert!(none.is_empty());
        let e = db
            .execute("SELEC nonsense", &[], &opts())
            .await
            .unwrap_err();
        assert_eq!(e.status(), 500, "{e:?}");
    }

    #[tokio::test]
    async fn unique_violations_are_422_naming_the_property() {
        let app = App::new();
        let db = Arc::new(SqliteConnector::in_memory());
        app.data_source("db", db.clone());
        let def = ModelDefinition::from_lb3_json(&json!({
            "name": "Account",
            "properties": {"email": {"type": "string", "index": {"unique": true}}, "org": "string", "n": "number"},
            "indexes": {"org_n": {"keys": {"org": 1, "n": 1}, "options": {"unique": true}}}
        }))
        .unwrap();
        let accounts = app.define(def, "db").await.unwrap();
        db.automigrate(&[accounts.definition()]).await.unwrap();
        accounts
            .create(record! {"email" => "a@x", "org" => "o", "n" => 1}, &opts())
            .await
            .unwrap();
        // No uniqueness validation is declared: the database's index catches it.
        let e = accounts
            .create(record! {"email" => "a@x"}, &opts())
            .await
            .unwrap_err();
        assert_eq!(e.status(), 422, "{e:?}");
        let v = e.as_validation().unwrap();
        assert_eq!(
            v.codes(),
            json!({"email": ["uniqueness"]})
                .as_object()
                .unwrap()
                .clone()
        );
        assert_eq!(
            e.to_string(),
            "The `Account` instance is not valid. Details: `email` is not unique (value: \"a@x\")."
        );
        let e = accounts
            .create(record! {"org" => "o", "n" => 1}, &opts())
            .await
            .unwrap_err();
        assert_eq!(
            e.as_validation().unwrap().codes(),
            json!({"org": ["uniqueness"], "n": ["uniqueness"]})
                .as_object()
                .unwrap()
                .clone()
        );
        // Duplicate primary keys too, on updates as well as creates.
        let id = accounts.find(Filter::new(), &opts()).await.unwrap()[0]
            .get("id")
            .cloned()
            .unwrap();
        let e = db
            .create(
                &accounts.definition(),
                record! {"id" => id, "email" => "other"},
                &opts(),
            )
            .await
            .unwrap_err();
        assert_eq!(
            e.as_validation().unwrap().codes(),
            json!({"id": ["uniqueness"]}).as_object().unwrap().clone()
        );
        accounts
            .create(record! {"email" => "b@x"}, &opts())
            .await
            .unwrap();
        let e = accounts
            .update_all(
                Some(Where::eq("email", "b@x")),
                record! {"email" => "a@x"},
                &opts(),
            )
            .await
            .unwrap_err();
        assert_eq!(e.status(), 422);
        assert_eq!(accounts.count(None, &opts()).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn not_null_violations_are_4xx() {
        let db = SqliteConnector::in_memory();
        let m = migrated(&db, json!({"name": "Person", "properties": {"name": {"type": "string", "required": true}, "nick": {"type": "string", "sqlite3": {"nullable": false}}}})).await;
        // Straight to the connector: the operation layer would refuse it first.
        let e = db
            .create(&m, record! {"nick" => "n"}, &opts())
            .await
            .unwrap_err();
        assert_eq!(e.status(), 422, "{e:?}");
        assert_eq!(
            e.as_validation().unwrap().codes(),
            json!({"name": ["presence"]}).as_object().unwrap().clone()
        );
        let e = db
            .create(&m, record! {"name" => "a", "nick" => Value::Null}, &opts())
            .await
            .unwrap_err();
        assert_eq!(
            e.as_validation().unwrap().codes(),
            json!({"nick": ["presence"]}).as_object().unwrap().clone()
        );
        db.create(&m, record! {"name" => "a", "nick" => "n"}, &opts())
            .await
            .unwrap();
        let e = db
            .update_all(&m, None, record! {"name" => Value::Null}, &opts())
            .await
            .unwrap_err();
        assert!((400..500).contains(&e.status()), "{e:?}");
        // Through native SQL there is no model: still a 4xx.
        let e = db
            .execute(r#"INSERT INTO "Person" (nick) VALUES ('x')"#, &[], &opts())
            .await
            .unwrap_err();
        assert_eq!(e.status(), 400, "{e:?}");
        let e = db
            .execute(
                r#"INSERT INTO "Person" (id, name, nick) VALUES (1, 'a', 'b')"#,
                &[],
                &opts(),
            )
            .await
            .unwrap_err();
        assert_eq!(e.status(), 409, "{e:?}");
    }

    #[tokio::test]
    async fn foreign_key_violations_are_409() {
        let db = SqliteConnector::in_memory();
        db.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)", &[], &opts())
            .await
            .unwrap();
        db.execute(
            "CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent(id))",
            &[],
            &opts(),
        )
        .await
        .unwrap();
        let e = db
            .execute(
                "INSERT INTO child (parent) VALUES (?)",
                &[Value::Int(5)],
                &opts(),
            )
            .await
            .unwrap_err();
        assert_eq!(e.status(), 409, "{e:?}");
    }

    #[test]
    fn settings_are_checked() {
        for (settings, key) in [
            (json!({"connector": "sqlite3", "fiel": "x.db"}), "fiel"),
            (json!({"file": 3}), "file"),
            (json!({"file": "a.db", "database": "b.db"}), "database"),
            (json!({"file": "a.db", "url": "sqlite://b.db"}), "url"),
            (json!({"connectionLimit": "many"}), "connectionLimit"),
            (json!({"max": 0}), "connectionLimit"),
            (json!({"busyTimeout": -5}), "busyTimeout"),
            (json!({"readonly": "maybe"}), "readonly"),
            (json!({"url": "postgres://x"}), "url"),
        ] {
            let e = SqliteConnector::from_settings(&settings).unwrap_err();
            assert!(matches!(e, Error::Connector(_)), "{settings}: {e:?}");
            assert!(
                e.to_string().contains(&format!("`{key}`")),
                "{settings}: {e}"
            );
        }
        for ok in [
            json!(null),
            json!({"name": "db", "connector": "sqlite3", "debug": true}),
            json!({"file": ":memory:", "connectionLimit": 8}),
            json!({"database": "x.db", "max": "2", "connectTimeout": 1000, "busyTimeout": "250", "readonly": false}),
            json!({"url": "sqlite::memory:"}),
        ] {
            SqliteConnector::from_settings(&ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
    }

    #[tokio::test]
    async fn memory_databases_are_shared_by_all_operations_and_private_to_the_connector() {
        let a = Arc::new(
            SqliteConnector::from_settings(&json!({"file": ":memory:", "connectionLimit": 8}))
                .unwrap(),
        );
        let b = SqliteConnector::in_memory();
        let m = migrated(&a, json!({"name": "Item", "properties": {"n": "number"}})).await;
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let (a, m) = (Arc::clone(&a), Arc::clone(&m));
                tokio::spawn(async move {
                    a.create(&m, record! {"n" => i}, &Options::new())
                        .await
                        .unwrap()
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(a.count(&m, None, &opts()).await.unwrap(), 8);
        assert!(
            b.count(&m, None, &opts()).await.is_err(),
            "another connector has its own database"
        );
    }

    #[tokio::test]
    async fn files_are_shared_across_pool_connections() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pool.db");
        let db = Arc::new(
            SqliteConnector::from_settings(
                &json!({"file": path.to_str().unwrap(), "connectionLimit": 3}),
            )
            .unwrap(),
        );
        let m = migrated(&db, json!({"name": "Item", "properties": {"n": "number"}})).await;
        let tasks: Vec<_> = (0..6)
            .map(|i| {
                let (db, m) = (Arc::clone(&db), Arc::clone(&m));
                tokio::spawn(async move {
                    db.create(&m, record! {"n" => i}, &Options::new())
                        .await
                        .unwrap();
                    db.count(&m, None, &Options::new()).await.unwrap()
                })
            })
            .collect();
        for t in tasks {
            assert!(t.await.unwrap() >= 1);
        }
        let rows = db
            .find(&m, &Filter::new().order_by("n", Direction::Desc), &opts())
            .await
            .unwrap();
        assert_eq!(rows.len(), 6);
        assert_eq!(rows[0].get("n"), Some(&Value::Int(5)));
        let ro = SqliteConnector::from_settings(
            &json!({"file": path.to_str().unwrap(), "readonly": true}),
        )
        .unwrap();
        assert_eq!(ro.count(&m, None, &opts()).await.unwrap(), 6);
        let e = ro
            .create(&m, record! {"n" => 1}, &opts())
            .await
            .unwrap_err();
        assert!(e.status() >= 500, "{e:?}");
    }

    #[tokio::test]
    async fn unreachable_files_are_503() {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteConnector::open(dir.path().join("missing-dir").join("x.db"));
        let m = model(json!({"name": "Item", "properties": {"n": "number"}}));
        let e = db.count(&m, None, &opts()).await.unwrap_err();
        assert_eq!(e.status(), 503, "{e:?}");
    }

    #[tokio::test]
    async fn integers_keep_64_bits_and_numbers_are_doubles() {
        let db = SqliteConnector::in_memory();
        let m = migrated(
            &db,
            json!({"name": "Big", "properties": {
                "exact": {"type": "number", "sqlite3": {"dataType": "BIGINT"}},
                "plain": "number"
            }}),
        )
        .await;
        let big = (1_i64 << 53) + 1;
        let id = db
            .create(&m, record! {"exact" => big, "plain" => 2.5}, &opts())
            .await
            .unwrap();
        db.create(&m, record! {"exact" => i64::MIN, "plain" => 3}, &opts())
            .await
            .unwrap();
        let got = db
            .find(&m, &Filter::with_where(Where::eq("id", id)), &opts())
            .await
            .unwrap();
        assert!(matches!(got[0].get("exact"), Some(Value::Int(n)) if *n == big));
        assert!(matches!(got[0].get("plain"), Some(Value::Float(f)) if *f == 2.5));
        let by_value = db
            .find(&m, &Filter::with_where(Where::eq("exact", big)), &opts())
            .await
            .unwrap();
        assert_eq!(by_value.len(), 1);
        assert_eq!(
            db.count(&m, Some(&Where::eq("exact", big - 1)), &opts())
                .await
                .unwrap(),
            0
        );
        let min = db
            .find(&m, &Filter::with_where(Where::eq("plain", 3)), &opts())
            .await
            .unwrap();
        assert!(matches!(min[0].get("exact"), Some(Value::Int(i64::MIN))));
        assert!(
            matches!(min[0].get("plain"), Some(Value::Int(3))),
            "whole doubles come back as integers"
        );
    }

    #[tokio::test]
    async fn mappings_follow_redefinitions() {
        let db = SqliteConnector::in_memory();
        let v1 = migrated(&db, json!({"name": "Thing", "properties": {"a": "string"}})).await;
        db.create(&v1, record! {"a" => "x"}, &opts()).await.unwrap();
        // Another definition of the same model, never passed to `define`: not served by the
        // cached mapping.
        let v2 = model(json!({"name": "Thing", "properties": {"a": "string", "b": "string"}}));
        db.autoupdate(std::slice::from_ref(&v2)).await.unwrap();
        let rows = db.find(&v1, &Filter::new(), &opts()).await.unwrap();
        assert_eq!(rows[0].keys().collect::<Vec<_>>(), ["id", "a"]);
        let rows = db.find(&v2, &Filter::new(), &opts()).await.unwrap();
        assert_eq!(rows[0].keys().collect::<Vec<_>>(), ["id", "a", "b"]);
        assert!(format!("{db:?}").contains("Thing"));
    }
}
