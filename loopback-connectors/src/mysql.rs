//! The MySQL / MariaDB connector (`"connector": "mysql"`), over sqlx.
//!
//! Each model is one table ([`crate::sql::MySqlDialect`] describes names and types); the
//! statements come from the shared [`crate::sql`] builders, with every value bound as a
//! parameter (MySQL reads backslashes in string literals as escapes, so nothing a caller gives
//! ever becomes SQL text). Configure it as in a LoopBack 3 `datasources.json` entry:
//!
//! ```json
//! { "db": { "connector": "mysql", "host": "127.0.0.1", "port": 3306, "database": "app",
//!           "user": "app", "password": "secret", "connectionLimit": 10 } }
//! ```
//!
//! | key | meaning |
//! |---|---|
//! | `url` | `mysql://user:password@host:port/database?…`; the other keys override its parts |
//! | `host` or `hostname` | server host (default `localhost`) |
//! | `port` | server port (default 3306) |
//! | `socketPath` | a Unix socket instead of host and port |
//! | `database` or `db` | the database (schema) |
//! | `user` or `username`, `password` | credentials |
//! | `connectionLimit` | pool size (default 10) |
//! | `connectTimeout` or `acquireTimeout` | milliseconds to wait for a connection before failing with 503 (default 10000) |
//! | `charset` | connection character set (default `utf8mb4`); a collation name such as `utf8mb4_general_ci` is accepted too, as LoopBack 3 does |
//! | `collation` | connection collation |
//! | `name`, `connector`, `debug` | accepted and ignored, as LoopBack passes them to every connector |
//!
//! Any other key is an error naming it. Numbers may be given as strings. Every connection uses
//! UTC (`time_zone = '+00:00'`), so dates are stored in UTC, and reports matched rather than
//! changed rows for `UPDATE`.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{NaiveDateTime, TimeZone, Utc};
use loopback_core::connector::{Capabilities, Connector, IsolationLevel, Options, Transaction};
use loopback_core::filter::{Filter, Where};
use loopback_core::model::ModelDefinition;
use loopback_core::{Error, Record, Result, Value};
use sqlx::mysql::{
    MySql, MySqlArguments, MySqlConnectOptions, MySqlDatabaseError, MySqlPool, MySqlPoolOptions,
    MySqlQueryResult, MySqlRow,
};
use sqlx::{Column, Decode, Executor, Row, TypeInfo, ValueRef};

use crate::sql::{self, ddl, Dialect, ErrorContext, MySqlDialect, Statement, TableMapping, Write};
use crate::sql::{Conn, MigrationPhase, MigrationPlan, MigrationStep, SqlTransaction, TableCache};

/// LoopBack 3's MySQL connector (`"connector": "mysql"`), for MySQL 5.7+ and MariaDB 10.3+.
///
/// Cheap to share: one instance per data source (`Arc<MySqlConnector>`), backed by a pool of
/// connections that replaces broken ones. Creating it opens nothing; the first operation
/// connects. Operations run on a Tokio runtime with timers enabled.
///
/// ```no_run
/// use loopback_connectors::mysql::MySqlConnector;
///
/// let db = MySqlConnector::from_settings(&serde_json::json!({
///     "connector": "mysql", "host": "127.0.0.1", "database": "app", "user": "root"
/// }))?;
/// # Ok::<(), loopback_core::Error>(())
/// ```
pub struct MySqlConnector {
    pool: MySqlPool,
    dialect: MySqlDialect,
    capabilities: Capabilities,
    tables: TableCache,
    location: String,
}

impl fmt::Debug for MySqlConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = self.tables.model_names();
        f.debug_struct("MySqlConnector")
            .field("server", &self.location)
            .field("models", &names)
            .finish()
    }
}

/// Settings accepted in a data source entry, for the error that names an unknown one.
const SETTINGS: &[&str] = &[
    "name",
    "connector",
    "debug",
    "url",
    "host",
    "hostname",
    "port",
    "socketPath",
    "database",
    "db",
    "user",
    "username",
    "password",
    "connectionLimit",
    "connectTimeout",
    "acquireTimeout",
    "charset",
    "collation",
];

const DEFAULT_POOL_SIZE: u32 = 10;
const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// MySQL error numbers meaning the server is unreachable, overloaded or going away: too many
/// connections, out of memory, shutdown, lock wait timeout, deadlock, lost or killed
/// connections, read-only server.
const UNAVAILABLE_ERRORS: &[u16] = &[
    1037, 1038, 1040, 1041, 1053, 1077, 1078, 1079, 1080, 1152, 1153, 1154, 1155, 1156, 1157, 1158,
    1159, 1160, 1161, 1205, 1213, 1290, 1927, 2002, 2003, 2006, 2013,
];

/// MySQL error numbers for values the column cannot hold (strict mode): too long, out of
/// range, wrong type or date.
const BAD_VALUE_ERRORS: &[u16] = &[1264, 1265, 1292, 1366, 1367, 1406, 1411, 3140];

impl MySqlConnector {
    /// A connector for a `mysql://user:password@host:port/database` URL.
    pub fn from_url(url: &str) -> Result<Self> {
        Self::from_settings(&serde_json::json!({ "url": url }))
    }

    /// A connector configured by a LoopBack 3 data source entry (see the module docs for the
    /// keys). Fails with [`Error::Connector`] naming the first unknown or invalid key.
    pub fn from_settings(settings: &serde_json::Value) -> Result<Self> {
        let bad = |key: &str, why: String| {
            Error::Connector(format!("mysql data source setting `{key}`: {why}"))
        };
        let empty = serde_json::Map::new();
        let map = match settings {
            serde_json::Value::Object(m) => m,
            serde_json::Value::Null => &empty,
            other => {
                return Err(Error::Connector(format!(
                    "mysql data source settings must be an object, not {other}"
                )))
            }
        };
        if let Some(key) = map.keys().find(|k| !SETTINGS.contains(&k.as_str())) {
            return Err(Error::Connector(format!(
                "unknown mysql data source setting `{key}`; expected one of: {}",
                SETTINGS.join(", ")
            )));
        }
        let text = |keys: &[&str]| -> Result<Option<String>> {
            for key in keys {
                match map.get(*key) {
                    None | Some(serde_json::Value::Null) => {}
                    Some(serde_json::Value::String(s)) => return Ok(Some(s.clone())),
                    Some(other) => {
                        return Err(bad(key, format!("expected a string, found {other}")))
                    }
                }
            }
            Ok(None)
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
        let mut options = match text(&["url"])? {
            Some(url) => {
                if !(url.starts_with("mysql:") || url.starts_with("mariadb:")) {
                    return Err(bad("url", format!("`{url}` is not a `mysql://` URL")));
                }
                let url = url.replacen("mariadb:", "mysql:", 1);
                MySqlConnectOptions::from_str(&url).map_err(|e| bad("url", e.to_string()))?
            }
            None => MySqlConnectOptions::new(),
        };
        if let Some(host) = text(&["host", "hostname"])? {
            options = options.host(&host);
        }
        if let Some(port) = number(&["port"])? {
            let port = u16::try_from(port)
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| bad("port", format!("{port} is not a port number")))?;
            options = options.port(port);
        }
        if let Some(path) = text(&["socketPath"])? {
            options = options.socket(path);
        }
        if let Some(db) = text(&["database", "db"])? {
            options = options.database(&db);
        }
        if let Some(user) = text(&["user", "username"])? {
            options = options.username(&user);
        }
        if let Some(password) = text(&["password"])? {
            options = options.password(&password);
        }
        match text(&["charset"])? {
            // mysqljs takes a collation name here too.
            Some(c) if c.contains('_') => {
                let c = c.to_ascii_lowercase();
                let charset = c.split('_').next().unwrap_or_default().to_owned();
                options = options.charset(&charset).collation(&c);
            }
            Some(c) => options = options.charset(&c.to_ascii_lowercase()),
            None => options = options.charset("utf8mb4"),
        }
        if let Some(c) = text(&["collation"])? {
            options = options.collation(&c.to_ascii_lowercase());
        }
        let pool_size = match number(&["connectionLimit"])? {
            Some(0) => return Err(bad("connectionLimit", "must be at least 1".into())),
            Some(n) => u32::try_from(n).unwrap_or(u32::MAX),
            None => DEFAULT_POOL_SIZE,
        };
        let acquire = number(&["connectTimeout", "acquireTimeout"])?
            .map_or(DEFAULT_ACQUIRE_TIMEOUT, Duration::from_millis);
        let location = match options.get_socket() {
            Some(path) => path.display().to_string(),
            None => format!("{}:{}", options.get_host(), options.get_port()),
        };
        let location = match options.get_database() {
            Some(db) => format!("{location}/{db}"),
            None => location,
        };
        Ok(Self::with_options(options, pool_size, acquire, location))
    }

    fn with_options(
        options: MySqlConnectOptions,
        pool_size: u32,
        acquire: Duration,
        location: String,
    ) -> Self {
        let options = options.timezone(Some("+00:00".to_owned()));
        // No idle or lifetime limit, so the pool needs no background task (nor a runtime to
        // create it); connections are pinged before use, so dead ones are replaced.
        let pool = MySqlPoolOptions::new()
            .max_connections(pool_size)
            .min_connections(0)
            .idle_timeout(None)
            .max_lifetime(None)
            .test_before_acquire(true)
            .acquire_timeout(acquire)
            .connect_lazy_with(options);
        MySqlConnector {
            pool,
            dialect: MySqlDialect,
            capabilities: mysql_capabilities(),
            tables: TableCache::new(),
            location,
        }
    }

    /// The connection pool, for work this connector does not cover.
    pub fn pool(&self) -> &MySqlPool {
        &self.pool
    }

    /// Closes every connection; later operations fail with 503.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The table mapping of a model: the cached one when it still fits the definition.
    fn mapping(&self, def: &ModelDefinition) -> Result<Arc<TableMapping>> {
        self.tables.get(def, |d| self.table_mapping(d))
    }

    fn table_mapping(&self, def: &ModelDefinition) -> Result<TableMapping> {
        TableMapping::new(&self.dialect, def)
    }

    fn remap(&self, def: &ModelDefinition) -> Result<Arc<TableMapping>> {
        Ok(self.tables.insert(&def.name, self.table_mapping(def)?))
    }

    /// Classifies a driver error: first by MySQL error number for what the shared
    /// classification cannot know (transient server states, values a column cannot hold),
    /// then by sqlx's error kind.
    fn classify(&self, e: sqlx::Error, cx: ErrorContext<'_>) -> Error {
        if let sqlx::Error::Database(db) = &e {
            if let Some(my) = db.try_downcast_ref::<MySqlDatabaseError>() {
                let number = my.number();
                if UNAVAILABLE_ERRORS.contains(&number) {
                    return Error::Unavailable(format!(
                        "the MySQL server is unavailable: {}",
                        my.message()
                    ));
                }
                if BAD_VALUE_ERRORS.contains(&number) {
                    let column = quoted_name(my.message())
                        .and_then(|name| cx.table.and_then(|t| t.column_named(name)));
                    return Error::bad_request(match column {
                        Some(c) => format!(
                            "`{}` has a value that its column cannot hold: {}",
                            c.property,
                            my.message()
                        ),
                        None => format!("a value does not fit its column: {}", my.message()),
                    });
                }
            }
        }
        sql::classify(&self.dialect, e, cx)
    }

    fn decode_row(&self, t: &TableMapping, row: &MySqlRow, columns: &[usize]) -> Result<Record> {
        let mut out = Record::with_capacity(columns.len());
        for (i, &pos) in columns.iter().enumerate() {
            let c = &t.columns[pos];
            out.insert(c.key.clone(), self.dialect.decode(c, raw_value(row, i)?));
        }
        Ok(out)
    }

    /// The connection for an operation with `options`: its transaction's, else a pooled one.
    async fn conn<'a>(&self, options: &'a Options) -> Result<Conn<'a, MySql>> {
        sql::connection(
            &self.pool,
            options,
            "mysql",
            self as *const Self as usize,
            |e| self.classify(e, ErrorContext::default()),
        )
        .await
    }

    async fn count_rows(
        &self,
        conn: &mut sqlx::mysql::MySqlConnection,
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
        conn: &mut sqlx::mysql::MySqlConnection,
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

    /// Runs schema statements one after the other on one connection (MySQL commits DDL as it
    /// goes, so a transaction would not make them atomic).
    async fn run_ddl(&self, t: &TableMapping, stmts: &[Statement]) -> Result<()> {
        let cx = ErrorContext {
            table: Some(t),
            values: None,
        };
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(|e| self.classify(e, cx))?;
        for stmt in stmts {
            bind(&stmt.sql, &stmt.params)
                .persistent(false)
                .execute(&mut *conn)
                .await
                .map_err(|e| self.classify(e, cx))?;
        }
        Ok(())
    }

    /// The first column of every row of a catalog query, as strings.
    async fn names(&self, stmt: &Statement, t: &TableMapping) -> Result<Vec<String>> {
        let rows = fetch_all(&self.pool, stmt).await.map_err(|e| {
            self.classify(
                e,
                ErrorContext {
                    table: Some(t),
                    values: None,
                },
            )
        })?;
        rows.iter()
            .map(|r| {
                Ok(match raw_value(r, 0)? {
                    Value::String(s) => s,
                    Value::Buffer(b) => String::from_utf8_lossy(&b).into_owned(),
                    other => other.to_string(),
                })
            })
            .collect()
    }
}

/// The first `'quoted'` name in a MySQL message ("Data too long for column 'x' at row 1").
fn quoted_name(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once('\'')?;
    rest.split_once('\'').map(|(name, _)| name)
}

fn mysql_capabilities() -> Capabilities {
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

type Query<'q> = sqlx::query::Query<'q, MySql, MySqlArguments>;

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
            // DATETIME has no time zone: the UTC wall-clock time is stored.
            Value::Date(d) => q.bind(d.naive_utc()),
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
) -> std::result::Result<MySqlQueryResult, sqlx::Error>
where
    E: Executor<'e, Database = MySql>,
{
    bind(&stmt.sql, &stmt.params).execute(e).await
}

async fn fetch_all<'e, E>(
    e: E,
    stmt: &'e Statement,
) -> std::result::Result<Vec<MySqlRow>, sqlx::Error>
where
    E: Executor<'e, Database = MySql>,
{
    bind(&stmt.sql, &stmt.params).fetch_all(e).await
}

async fn fetch_one<'e, E>(e: E, stmt: &'e Statement) -> std::result::Result<MySqlRow, sqlx::Error>
where
    E: Executor<'e, Database = MySql>,
{
    bind(&stmt.sql, &stmt.params).fetch_one(e).await
}

/// A result column as the driver gives it: null, integer, double, decimal (as a number),
/// date-time (UTC), text (any value that is valid UTF-8) or bytes.
fn raw_value(row: &MySqlRow, i: usize) -> Result<Value> {
    let v = row
        .try_get_raw(i)
        .map_err(|e| Error::Connector(e.to_string()))?;
    if v.is_null() {
        return Ok(Value::Null);
    }
    let failed =
        |e: sqlx::error::BoxDynError| Error::Connector(format!("cannot read column {i}: {e}"));
    let kind = v.type_info().name().to_owned();
    Ok(match kind.as_str() {
        "BIGINT UNSIGNED" => {
            let n = <u64 as Decode<MySql>>::decode(v).map_err(failed)?;
            i64::try_from(n).map_or(Value::Float(n as f64), Value::Int)
        }
        "BOOLEAN" | "TINYINT" | "SMALLINT" | "INT" | "MEDIUMINT" | "BIGINT"
        | "TINYINT UNSIGNED" | "SMALLINT UNSIGNED" | "INT UNSIGNED" | "MEDIUMINT UNSIGNED"
        | "YEAR" => Value::Int(<i64 as Decode<MySql>>::decode(v).map_err(failed)?),
        "FLOAT" => Value::Float(f64::from(
            <f32 as Decode<MySql>>::decode(v).map_err(failed)?,
        )),
        "DOUBLE" => Value::Float(<f64 as Decode<MySql>>::decode(v).map_err(failed)?),
        "DECIMAL" => {
            let s = <&str as Decode<MySql>>::decode(v).map_err(failed)?;
            match s.parse::<i64>() {
                Ok(n) => Value::Int(n),
                Err(_) => s
                    .parse::<f64>()
                    .map_or_else(|_| Value::String(s.to_owned()), Value::Float),
            }
        }
        "DATETIME" | "TIMESTAMP" => {
            let d = <NaiveDateTime as Decode<MySql>>::decode(v).map_err(failed)?;
            Value::Date(Utc.from_utc_datetime(&d))
        }
        "DATE" => {
            let d = <chrono::NaiveDate as Decode<MySql>>::decode(v).map_err(failed)?;
            Value::Date(Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN)))
        }
        "TIME" => {
            let t = <chrono::NaiveTime as Decode<MySql>>::decode(v).map_err(failed)?;
            Value::String(t.to_string())
        }
        "BIT" | "GEOMETRY" => Value::Buffer(<Vec<u8> as Decode<MySql>>::decode(v).map_err(failed)?),
        // The protocol flags text in a binary collation (`utf8mb4_bin`, the collation of the
        // tables this connector creates) as binary, and never says its character set: what
        // is valid UTF-8 is read as text, anything else as bytes.
        _ => {
            let bytes = <&[u8] as Decode<MySql>>::decode(v).map_err(failed)?;
            match std::str::from_utf8(bytes) {
                Ok(s) => Value::String(s.to_owned()),
                Err(_) => Value::Buffer(bytes.to_vec()),
            }
        }
    })
}

#[async_trait]
impl Connector for MySqlConnector {
    fn name(&self) -> &str {
        "mysql"
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
        let done = execute(&mut *conn, &insert.statement)
            .await
            .map_err(|e| self.classify(e, cx))?;
        if let Some(id) = insert.id {
            return Ok(id);
        }
        match (t.id_column(), done.last_insert_id()) {
            (Some(c), n) if n > 0 => Ok(self
                .dialect
                .decode(c, Value::Int(i64::try_from(n).unwrap_or(i64::MAX)))),
            _ => Ok(Value::Null),
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

    /// Begins a transaction on one pooled connection: `SET TRANSACTION ISOLATION LEVEL …`
    /// (for the next transaction only), then `START TRANSACTION`. Needs transactional tables
    /// (InnoDB, the default engine).
    async fn begin_transaction(
        &self,
        isolation: IsolationLevel,
        timeout: Option<Duration>,
    ) -> Result<Arc<dyn Transaction>> {
        let _ = timeout;
        let tx = self
            .pool
            .begin_with(format!(
                "SET TRANSACTION ISOLATION LEVEL {}; START TRANSACTION",
                isolation.as_sql()
            ))
            .await
            .map_err(|e| self.classify(e, ErrorContext::default()))?;
        Ok(Arc::new(SqlTransaction::new(
            "mysql",
            self as *const Self as usize,
            tx,
        )))
    }

    /// Drops and re-creates each model's table and indexes, then adds the declared foreign
    /// keys: the statements of [`crate::sql::Discovery::automigrate_plan`].
    async fn automigrate(&self, models: &[Arc<ModelDefinition>]) -> Result<()> {
        let plan = crate::sql::Discovery::automigrate_plan(self, models).await?;
        crate::sql::Discovery::apply_migration(self, &plan, &mut |_, _| {}).await
    }

    /// Creates missing tables, and adds to existing ones the columns and indexes they lack,
    /// then the missing declared foreign keys. Nothing is dropped or changed, so stored data
    /// stays. The statements are those of [`crate::sql::Discovery::autoupdate_plan`].
    async fn autoupdate(&self, models: &[Arc<ModelDefinition>]) -> Result<()> {
        let plan = crate::sql::Discovery::autoupdate_plan(self, models).await?;
        crate::sql::Discovery::apply_migration(self, &plan, &mut |_, _| {}).await
    }

    /// Runs one native statement with `?` parameters. Rows come back with the driver's types:
    /// integers, doubles, decimals as numbers, `DATETIME`/`TIMESTAMP` as dates (UTC), text
    /// and binary values as strings when they are valid UTF-8 and as buffers otherwise (the
    /// protocol does not tell text in a binary collation from bytes).
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
                let mut out = Record::with_capacity(row.len());
                for (i, c) in row.columns().iter().enumerate() {
                    out.insert(c.name().to_owned(), raw_value(row, i)?);
                }
                Ok(out)
            })
            .collect()
    }
}

/// Discovery (tables, columns, keys, LoopBack 3 model definitions) and `isActual`, through
/// this connector's catalog queries.
#[async_trait]
impl crate::sql::Discovery for MySqlConnector {
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

    /// Per model: `DROP TABLE IF EXISTS`, `CREATE TABLE` and its indexes; then every declared
    /// foreign key.
    async fn automigrate_plan(&self, models: &[Arc<ModelDefinition>]) -> Result<MigrationPlan> {
        let mut plan = MigrationPlan::default();
        for m in models {
            let t = self.remap(m)?;
            let mut statements = vec![ddl::drop_table(&self.dialect, &t)];
            statements.extend(ddl::create_table(&self.dialect, &t));
            plan.steps.push(MigrationStep {
                model: m.name.clone(),
                table: t,
                phase: MigrationPhase::Table,
                statements,
            });
        }
        plan.steps
            .extend(crate::sql::Discovery::foreign_key_steps(self, models, true).await?);
        Ok(plan)
    }

    /// Per model: `CREATE TABLE` and its indexes when the table is missing, else the columns
    /// and indexes it lacks; then the missing declared foreign keys.
    async fn autoupdate_plan(&self, models: &[Arc<ModelDefinition>]) -> Result<MigrationPlan> {
        let mut plan = MigrationPlan::default();
        for m in models {
            let t = self.remap(m)?;
            let exists = !self
                .names(&self.dialect.table_exists_query(&t), &t)
                .await?
                .is_empty();
            let mut statements: Vec<Statement> = Vec::new();
            if !exists {
                statements.extend(ddl::create_table(&self.dialect, &t));
            } else {
                let columns = self
                    .names(&self.dialect.table_columns_query(&t), &t)
                    .await?;
                statements.extend(
                    t.columns
                        .iter()
                        .filter(|c| !columns.iter().any(|n| n.eq_ignore_ascii_case(&c.name)))
                        .map(|c| ddl::add_column(&self.dialect, &t, c)),
                );
                let indexes = self
                    .names(&self.dialect.table_indexes_query(&t), &t)
                    .await?;
                statements.extend(
                    t.indexes
                        .iter()
                        .filter(|i| !indexes.iter().any(|n| n.eq_ignore_ascii_case(&i.name)))
                        .map(|i| self.dialect.create_index(&t, i)),
                );
            }
            plan.steps.push(MigrationStep {
                model: m.name.clone(),
                table: t,
                phase: MigrationPhase::Table,
                statements,
            });
        }
        plan.steps
            .extend(crate::sql::Discovery::foreign_key_steps(self, models, false).await?);
        Ok(plan)
    }

    /// Runs the plan's statements one after the other (MySQL commits DDL as it goes, so a
    /// transaction would not make them atomic).
    async fn apply_migration(
        &self,
        plan: &MigrationPlan,
        progress: &mut (dyn for<'s> FnMut(usize, &'s MigrationStep) + Send),
    ) -> Result<()> {
        for (i, step) in plan.steps.iter().enumerate() {
            self.run_ddl(&step.table, &step.statements).await?;
            progress(i, step);
        }
        Ok(())
    }
}
