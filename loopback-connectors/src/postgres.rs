//! The PostgreSQL connector (`"connector": "postgresql"`), over sqlx.
//!
//! Each model is one table ([`crate::sql::PostgresDialect`] describes names and types); the
//! statements come from the shared [`crate::sql`] builders, with every value bound as a
//! parameter of its own PostgreSQL type. Configure it as in a LoopBack 3 `datasources.json`
//! entry:
//!
//! ```json
//! { "db": { "connector": "postgresql", "host": "localhost", "port": 5432,
//!           "database": "app", "user": "app", "password": "secret", "schema": "shop" } }
//! ```
//!
//! | key | meaning |
//! |---|---|
//! | `url` or `connectionString` | `postgres://user:password@host:port/database?…`; the other connection keys override its parts |
//! | `host` / `hostname`, `port` | the server (default `localhost:5432`); a host starting with `/` is a Unix socket directory |
//! | `database` / `db` | the database |
//! | `user` / `username`, `password` | credentials |
//! | `schema` | the schema of every model that has no `postgresql.schema` setting; also the connections' `search_path`, so native statements find the tables unqualified |
//! | `max` / `connectionLimit` | pool size (default 10) |
//! | `min` | connections kept open (default 0) |
//! | `connectTimeout` / `connectionTimeoutMillis` / `acquireTimeout` | milliseconds to wait for a connection before failing with 503 (default 10000) |
//! | `idleTimeout` / `idleTimeoutMillis` | milliseconds after which an idle connection is closed (default: never) |
//! | `name`, `connector`, `debug` | accepted and ignored, as LoopBack passes them to every connector |
//!
//! Any other key is an error naming it. Numbers may be given as strings. Creating the
//! connector opens nothing; the first operation connects, and a server that cannot be reached
//! is an [`Error::Unavailable`] (503) until it can: the pool reconnects by itself.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::TryStreamExt;
use loopback_core::connector::{Capabilities, Connector, IsolationLevel, Options, Transaction};
use loopback_core::filter::{Condition, Filter, RelatedWhere, Where};
use loopback_core::model::{ModelDefinition, PropertyType};
use loopback_core::validation::ValidationError;
use loopback_core::value::GeoPoint;
use loopback_core::{Error, Record, Result, Value};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::types::Oid;
use sqlx::postgres::{
    PgArgumentBuffer, PgArguments, PgConnectOptions, PgDatabaseError, PgPool, PgPoolOptions,
    PgQueryResult, PgRow, PgTypeInfo, PgTypeKind, PgValueRef,
};
use sqlx::{Column, Decode, Encode, Executor, Postgres, Row, Type, TypeInfo, ValueRef};

use crate::sql::{
    self, ddl, ColumnKind, Dialect, ErrorContext, PostgresDialect, Statement, TableMapping, Write,
};
use crate::sql::{Conn, MigrationPhase, MigrationPlan, MigrationStep, SqlTransaction, TableCache};

/// LoopBack 3's PostgreSQL connector (`"connector": "postgresql"`).
///
/// Cheap to share: one instance per data source (`Arc<PostgresConnector>`), backed by a pool
/// of connections. Creating it opens nothing; the first operation connects. Operations run on
/// a Tokio runtime with I/O and timers enabled.
pub struct PostgresConnector {
    pool: PgPool,
    dialect: PostgresDialect,
    capabilities: Capabilities,
    tables: TableCache,
    schema: Option<String>,
    location: String,
}

impl fmt::Debug for PostgresConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = self.tables.model_names();
        f.debug_struct("PostgresConnector")
            .field("server", &self.location)
            .field("schema", &self.schema)
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
    "connectionString",
    "host",
    "hostname",
    "port",
    "database",
    "db",
    "user",
    "username",
    "password",
    "schema",
    "max",
    "connectionLimit",
    "min",
    "connectTimeout",
    "connectionTimeoutMillis",
    "acquireTimeout",
    "idleTimeout",
    "idleTimeoutMillis",
];

const DEFAULT_POOL_SIZE: u32 = 10;
const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

impl PostgresConnector {
    /// A connector for a `postgres://` URL, with the default pool settings.
    pub fn connect_lazy(url: &str) -> Result<Self> {
        Self::from_settings(&serde_json::json!({ "url": url }))
    }

    /// A connector configured by a LoopBack 3 data source entry (see the module docs for the
    /// keys). Fails with [`Error::Connector`] naming the first unknown or invalid key.
    ///
    /// With an `idleTimeout` or a `min` above zero the pool runs a maintenance task, so the
    /// connector must then be created inside a Tokio runtime.
    pub fn from_settings(settings: &serde_json::Value) -> Result<Self> {
        let bad = |key: &str, why: String| {
            Error::Connector(format!("postgresql data source setting `{key}`: {why}"))
        };
        let map = match settings {
            serde_json::Value::Object(m) => m,
            serde_json::Value::Null => &serde_json::Map::new(),
            other => {
                return Err(Error::Connector(format!(
                    "postgresql data source settings must be an object, not {other}"
                )))
            }
        };
        if let Some(key) = map.keys().find(|k| !SETTINGS.contains(&k.as_str())) {
            return Err(Error::Connector(format!(
                "unknown postgresql data source setting `{key}`; expected one of: {}",
                SETTINGS.join(", ")
            )));
        }
        let text = |keys: &[&str]| -> Result<Option<String>> {
            let Some((key, v)) = keys
                .iter()
                .find_map(|k| map.get(*k).filter(|v| !v.is_null()).map(|v| (*k, v)))
            else {
                return Ok(None);
            };
            match v {
                serde_json::Value::String(s) => Ok(Some(s.clone())),
                other => Err(bad(key, format!("expected a string, found {other}"))),
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
        let mut options = match text(&["url", "connectionString"])? {
            Some(url) => {
                let key = if map.contains_key("url") {
                    "url"
                } else {
                    "connectionString"
                };
                if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                    return Err(bad(key, "expected a `postgres://` URL".into()));
                }
                PgConnectOptions::from_str(&url).map_err(|e| bad(key, e.to_string()))?
            }
            // Not `PgConnectOptions::new()`: its defaults come from PG* environment variables.
            None => PgConnectOptions::new_without_pgpass()
                .host("localhost")
                .port(5432),
        };
        if let Some(host) = text(&["host", "hostname"])? {
            options = if host.starts_with('/') {
                options.socket(host)
            } else {
                options.host(&host)
            };
        }
        if let Some(port) = number(&["port"])? {
            let port = u16::try_from(port)
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| bad("port", format!("`{port}` is not a port number")))?;
            options = options.port(port);
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
        let schema = text(&["schema"])?;
        if let Some(s) = &schema {
            if s.is_empty() || s.contains('\0') {
                return Err(bad("schema", "expected a schema name".into()));
            }
            let mut path = String::with_capacity(s.len() + 2);
            path.push('"');
            path.push_str(&s.replace('"', "\"\""));
            path.push('"');
            options = options.options([("search_path", path)]);
        }
        let pool_size = match number(&["max", "connectionLimit"])? {
            Some(0) => return Err(bad("max", "must be at least 1".into())),
            Some(n) => u32::try_from(n).unwrap_or(u32::MAX),
            None => DEFAULT_POOL_SIZE,
        };
        let min = number(&["min"])?.map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX));
        if min > pool_size {
            return Err(bad("min", format!("is above the pool size {pool_size}")));
        }
        let acquire = number(&[
            "connectTimeout",
            "connectionTimeoutMillis",
            "acquireTimeout",
        ])?
        .map_or(DEFAULT_ACQUIRE_TIMEOUT, Duration::from_millis);
        let idle = number(&["idleTimeout", "idleTimeoutMillis"])?
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis);
        let location = format!(
            "{}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or_default()
        );
        let pool = PgPoolOptions::new()
            .max_connections(pool_size)
            .min_connections(min)
            .idle_timeout(idle)
            .max_lifetime(None)
            .acquire_timeout(acquire)
            .test_before_acquire(true)
            .connect_lazy_with(options);
        Ok(PostgresConnector {
            pool,
            dialect: PostgresDialect,
            capabilities: postgres_capabilities(),
            tables: TableCache::new(),
            schema,
            location,
        })
    }

    /// The connection pool, for work this connector does not cover.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection of the pool; later operations fail with 503.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The data source's default schema, if one is configured.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// The table mapping of a model: the cached one when it still fits the definition.
    fn mapping(&self, def: &ModelDefinition) -> Result<Arc<TableMapping>> {
        self.tables.get(def, |d| self.table_mapping(d))
    }

    /// A fresh mapping of `def`, in the connector's schema unless the model names one.
    fn table_mapping(&self, def: &ModelDefinition) -> Result<TableMapping> {
        let mut t = TableMapping::new(&self.dialect, def)?;
        if let (None, Some(schema)) = (&t.schema, &self.schema) {
            t.qualified = self.dialect.qualified_name(schema, &t.table);
            t.schema = Some(schema.clone());
        }
        Ok(t)
    }

    fn remap(&self, def: &ModelDefinition) -> Result<Arc<TableMapping>> {
        Ok(self.tables.insert(&def.name, self.table_mapping(def)?))
    }

    /// Classifies a driver error: PostgreSQL names the column of a not-null violation, and
    /// data exceptions (SQLSTATE class 22: text with NUL, a value out of range, a string too
    /// long for its `VARCHAR`, an invalid regular expression) are the caller's, so 400.
    fn classify(&self, e: sqlx::Error, cx: ErrorContext<'_>) -> Error {
        if let sqlx::Error::Database(db) = &e {
            if let Some(pg) = db.try_downcast_ref::<PgDatabaseError>() {
                let code = pg.code();
                if code == "23502" {
                    if let (Some(t), Some(column)) = (cx.table, pg.column()) {
                        if let Some(c) = t.column_named(column) {
                            let mut v = ValidationError::new(&t.model);
                            v.add(&c.property, "presence", "can't be blank");
                            if let Some(values) = cx.values {
                                v.values = values.clone();
                            }
                            return v.into();
                        }
                    }
                }
                if code.starts_with("22") {
                    return Error::bad_request(match cx.table {
                        Some(t) => format!("invalid value for `{}`: {}", t.model, pg.message()),
                        None => format!("invalid value: {}", pg.message()),
                    });
                }
            }
        }
        sql::classify(&self.dialect, e, cx)
    }

    fn decode_row(&self, t: &TableMapping, row: &PgRow, columns: &[usize]) -> Result<Record> {
        let mut out = Record::with_capacity(columns.len());
        for (i, &pos) in columns.iter().enumerate() {
            let c = &t.columns[pos];
            out.insert(c.key.clone(), self.dialect.decode(c, raw_value(row, i)?));
        }
        Ok(out)
    }

    /// The connection for an operation with `options`: its transaction's, else a pooled one.
    async fn conn<'a>(&self, options: &'a Options) -> Result<Conn<'a, Postgres>> {
        sql::connection(
            &self.pool,
            options,
            "postgresql",
            self as *const Self as usize,
            |e| self.classify(e, ErrorContext::default()),
        )
        .await
    }

    async fn count_rows(
        &self,
        conn: &mut sqlx::postgres::PgConnection,
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
        conn: &mut sqlx::postgres::PgConnection,
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

    /// Points are POINT columns, which have no `=`: conditions on them other than null tests
    /// are not supported. Text cannot hold NUL, so a string with one equals nothing, but
    /// ordering text against it has no answer: a 400.
    fn check_where(&self, t: &TableMapping, where_: Option<&Where>) -> Result<()> {
        let Some(w) = where_ else { return Ok(()) };
        let mut refused = None;
        let mut invalid = None;
        w.for_each_cond(&mut |property, op| {
            let text = t
                .column(property)
                .is_some_and(|c| c.kind == ColumnKind::String);
            let nul = |v: &Value| matches!(v, Value::String(s) if s.contains('\0'));
            let ordering_nul = match op {
                Condition::Gt(v) | Condition::Gte(v) | Condition::Lt(v) | Condition::Lte(v) => {
                    nul(v)
                }
                Condition::Between(a, b) => nul(a) || nul(b),
                _ => false,
            };
            if text && ordering_nul && invalid.is_none() {
                invalid = Some(format!(
                    "`{}` on `{property}` compares with a string holding a NUL character \
                     (\\u0000), which PostgreSQL text cannot hold",
                    op.operator()
                ));
            }
            let point = t
                .column(property)
                .is_some_and(|c| c.kind == ColumnKind::Json && c.ty == PropertyType::GeoPoint);
            let null_test = match op {
                Condition::Eq(v) | Condition::Neq(v) => v.is_null(),
                _ => false,
            };
            if point && !null_test && refused.is_none() {
                refused = Some(format!(
                    "the `{}` operator on geopoint property `{property}`",
                    op.operator()
                ));
            }
        });
        if let Some(message) = invalid {
            return Err(Error::bad_request(message));
        }
        if let Some(what) = refused {
            return Err(sql::not_supported(self.dialect.name(), what));
        }
        // Conditions on related models are checked against the related table.
        fn related<'w>(w: &'w Where, out: &mut Vec<&'w RelatedWhere>) {
            match w {
                Where::And(v) | Where::Or(v) | Where::Nor(v) => {
                    v.iter().for_each(|w| related(w, out));
                }
                Where::Cond { .. } => {}
                Where::Related(r) => out.push(r),
            }
        }
        let mut nested = Vec::new();
        related(w, &mut nested);
        for r in nested {
            if let Some(join) = &r.join {
                let target = self.mapping(&join.target)?;
                self.check_where(&target, Some(&r.where_))?;
            }
        }
        Ok(())
    }
}

fn postgres_capabilities() -> Capabilities {
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

/// A NULL parameter of no declared type: the server takes the type of its column, so one null
/// fits every column.
struct UntypedNull;

impl Type<Postgres> for UntypedNull {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(Oid(0))
    }
}

impl Encode<'_, Postgres> for UntypedNull {
    fn encode_by_ref(
        &self,
        _buf: &mut PgArgumentBuffer,
    ) -> std::result::Result<IsNull, BoxDynError> {
        Ok(IsNull::Yes)
    }
}

/// A POINT parameter: `(x, y)` is `(lng, lat)`, as LoopBack 3 stores points.
struct PgPoint(GeoPoint);

/// The type OID of `point`, fixed in PostgreSQL's catalog.
const POINT_OID: Oid = Oid(600);

impl Type<Postgres> for PgPoint {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(POINT_OID)
    }
}

impl Encode<'_, Postgres> for PgPoint {
    fn encode_by_ref(
        &self,
        buf: &mut PgArgumentBuffer,
    ) -> std::result::Result<IsNull, BoxDynError> {
        buf.extend_from_slice(&self.0.lng.to_be_bytes());
        buf.extend_from_slice(&self.0.lat.to_be_bytes());
        Ok(IsNull::No)
    }
}

/// The SQL text to prepare for `sql` bound with `params`. The connection caches prepared
/// statements by their text and the server fixes each parameter's type at prepare time, so
/// the parameter types are appended as a comment: the same SQL bound with an integer and later
/// with a double is two statements, never a double read as an integer.
fn keyed_sql(sql: &str, params: &[Value]) -> String {
    let mut s = String::with_capacity(sql.len() + params.len() + 8);
    s.push_str(sql);
    if params.is_empty() {
        return s;
    }
    s.push_str("\n/* ");
    for v in params {
        s.push(match v {
            Value::Null => 'n',
            Value::Bool(_) => 'b',
            Value::Int(_) => 'i',
            Value::Float(_) => 'f',
            // Lists bound as one array (`= ANY($n)`, see the dialect's `write_in`).
            Value::Array(items) if items.iter().all(|v| matches!(v, Value::Int(_))) => 'I',
            Value::Array(items) if items.iter().all(|v| matches!(v, Value::String(_))) => 'T',
            Value::String(_) | Value::Array(_) | Value::Object(_) => 's',
            Value::Buffer(_) => 'y',
            Value::Date(_) => 'd',
            Value::GeoPoint(_) => 'p',
        });
    }
    s.push_str(" */");
    s
}

type Query<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

fn bind<'q>(sql: &'q str, params: &'q [Value]) -> Query<'q> {
    let mut q = sqlx::query(sql);
    for v in params {
        q = match v {
            Value::Null => q.bind(UntypedNull),
            Value::Bool(b) => q.bind(*b),
            Value::Int(i) => q.bind(*i),
            Value::Float(f) => q.bind(*f),
            Value::String(s) => q.bind(s.as_str()),
            Value::Buffer(b) => q.bind(b.as_slice()),
            Value::Date(d) => q.bind(*d),
            Value::GeoPoint(p) => q.bind(PgPoint(*p)),
            Value::Array(items) => match (int_array(items), text_array(items)) {
                (Some(ints), _) => q.bind(ints),
                (None, Some(texts)) => q.bind(texts),
                (None, None) => q.bind(v.to_json().to_string()),
            },
            Value::Object(_) => q.bind(v.to_json().to_string()),
        };
    }
    q
}

/// A list parameter of integers, bound as `bigint[]`. Values bound for columns are never
/// arrays (the dialect encodes them as JSON text): a [`Value::Array`] parameter is a list the
/// dialect wrote as `= ANY($n)`.
fn int_array(items: &[Value]) -> Option<Vec<i64>> {
    items
        .iter()
        .map(|v| match v {
            Value::Int(i) => Some(*i),
            _ => None,
        })
        .collect()
}

/// A list parameter of strings, bound as `text[]` (see [`int_array`]).
fn text_array(items: &[Value]) -> Option<Vec<&str>> {
    items
        .iter()
        .map(|v| match v {
            Value::String(s) => Some(s.as_str()),
            _ => None,
        })
        .collect()
}

async fn execute<'e, E>(e: E, stmt: &Statement) -> std::result::Result<PgQueryResult, sqlx::Error>
where
    E: Executor<'e, Database = Postgres>,
{
    let sql = keyed_sql(&stmt.sql, &stmt.params);
    bind(&sql, &stmt.params).execute(e).await
}

async fn fetch_all<'e, E>(e: E, stmt: &Statement) -> std::result::Result<Vec<PgRow>, sqlx::Error>
where
    E: Executor<'e, Database = Postgres>,
{
    let sql = keyed_sql(&stmt.sql, &stmt.params);
    bind(&sql, &stmt.params).fetch_all(e).await
}

async fn fetch_one<'e, E>(e: E, stmt: &Statement) -> std::result::Result<PgRow, sqlx::Error>
where
    E: Executor<'e, Database = Postgres>,
{
    let sql = keyed_sql(&stmt.sql, &stmt.params);
    bind(&sql, &stmt.params).fetch_one(e).await
}

/// A result column as PostgreSQL typed it: booleans, integers, doubles, text, dates, bytes,
/// JSON and points; NUMERIC as an integer when it has no fraction, else a double.
fn raw_value(row: &PgRow, i: usize) -> Result<Value> {
    let v = row
        .try_get_raw(i)
        .map_err(|e| Error::Connector(e.to_string()))?;
    if v.is_null() {
        return Ok(Value::Null);
    }
    let failed = |e: BoxDynError| Error::Connector(format!("cannot read result column {i}: {e}"));
    // Built-in types are named from their OID; only other types need their owned info.
    let builtin = v.type_info().oid().and_then(|o| oid::name(o.0));
    let type_info = match builtin {
        Some(_) => None,
        None => Some(v.type_info().into_owned()),
    };
    let name = builtin
        .or_else(|| type_info.as_ref().map(|t| t.name()))
        .unwrap_or_default();
    Ok(match name {
        "BOOL" => Value::Bool(<bool as Decode<Postgres>>::decode(v).map_err(failed)?),
        "INT2" => Value::Int(<i16 as Decode<Postgres>>::decode(v).map_err(failed)?.into()),
        "INT4" => Value::Int(<i32 as Decode<Postgres>>::decode(v).map_err(failed)?.into()),
        "INT8" => Value::Int(<i64 as Decode<Postgres>>::decode(v).map_err(failed)?),
        "OID" => Value::Int(
            <Oid as Decode<Postgres>>::decode(v)
                .map_err(failed)?
                .0
                .into(),
        ),
        "FLOAT4" => Value::Float(<f32 as Decode<Postgres>>::decode(v).map_err(failed)?.into()),
        "FLOAT8" => Value::Float(<f64 as Decode<Postgres>>::decode(v).map_err(failed)?),
        "NUMERIC" => numeric(v.as_bytes().map_err(failed)?).map_err(|e| failed(e.into()))?,
        "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "CITEXT" | "UNKNOWN" | "\"CHAR\"" | "CHAR" => {
            Value::String(<String as Decode<Postgres>>::decode(v).map_err(failed)?)
        }
        "UUID" => Value::String(
            uuid::Uuid::from_slice(v.as_bytes().map_err(failed)?)
                .map_err(|e| failed(e.into()))?
                .to_string(),
        ),
        "TIMESTAMPTZ" => Value::Date(
            <chrono::DateTime<chrono::Utc> as Decode<Postgres>>::decode(v).map_err(failed)?,
        ),
        "TIMESTAMP" => Value::Date(
            <chrono::NaiveDateTime as Decode<Postgres>>::decode(v)
                .map_err(failed)?
                .and_utc(),
        ),
        "DATE" => Value::Date(
            <chrono::NaiveDate as Decode<Postgres>>::decode(v)
                .map_err(failed)?
                .and_time(chrono::NaiveTime::MIN)
                .and_utc(),
        ),
        "BYTEA" => Value::Buffer(<Vec<u8> as Decode<Postgres>>::decode(v).map_err(failed)?),
        "JSON" | "JSONB" => {
            Value::from_json(&<serde_json::Value as Decode<Postgres>>::decode(v).map_err(failed)?)
        }
        "POINT" => point(v)?,
        "VOID" => Value::Null,
        _ if type_info
            .as_ref()
            .is_some_and(|t| matches!(t.kind(), PgTypeKind::Enum(_))) =>
        {
            Value::String(<String as Decode<Postgres>>::decode(v).map_err(failed)?)
        }
        other => {
            return Err(Error::Connector(format!(
                "result column {i} has type {other}, which the postgresql connector does not \
                 read; cast it (`::text`)"
            )))
        }
    })
}

/// PostgreSQL's built-in types (`pg_type.oid`, fixed across versions).
mod oid {
    /// The type name [`raw_value`](super::raw_value) matches for a built-in OID it reads.
    pub(super) fn name(oid: u32) -> Option<&'static str> {
        Some(match oid {
            16 => "BOOL",
            17 => "BYTEA",
            20 => "INT8",
            21 => "INT2",
            23 => "INT4",
            25 => "TEXT",
            26 => "OID",
            114 => "JSON",
            600 => "POINT",
            700 => "FLOAT4",
            701 => "FLOAT8",
            1042 => "BPCHAR",
            1043 => "VARCHAR",
            1082 => "DATE",
            1114 => "TIMESTAMP",
            1184 => "TIMESTAMPTZ",
            1700 => "NUMERIC",
            2950 => "UUID",
            3802 => "JSONB",
            _ => return None,
        })
    }
}

/// A POINT as a geo point: `(x, y)` is `(lng, lat)`.
fn point(v: PgValueRef<'_>) -> Result<Value> {
    let bytes = v.as_bytes().map_err(|e| Error::Connector(e.to_string()))?;
    let coordinate = |at: usize| -> Option<f64> {
        Some(f64::from_be_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
    };
    let (Some(lng), Some(lat)) = (coordinate(0), coordinate(8)) else {
        return Err(Error::Connector("a POINT value is not 16 bytes".into()));
    };
    // A point outside the valid ranges (written by other programs) is read as its numbers.
    Ok(GeoPoint::new(lat, lng).map_or_else(
        |_| {
            let mut o = Record::new();
            o.insert("lat", lat);
            o.insert("lng", lng);
            Value::Object(o)
        },
        Value::GeoPoint,
    ))
}

/// Reads NUMERIC's binary form: digit count, weight, sign and scale (16-bit each), then base
/// 10000 digits.
fn numeric(bytes: &[u8]) -> std::result::Result<Value, String> {
    let word = |i: usize| -> std::result::Result<u16, String> {
        bytes
            .get(i * 2..i * 2 + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "a truncated NUMERIC value".to_owned())
    };
    let (ndigits, weight, sign, scale) = (word(0)?, word(1)? as i16, word(2)?, word(3)?);
    match sign {
        0xC000 => return Ok(Value::Float(f64::NAN)),
        0xD000 => return Ok(Value::Float(f64::INFINITY)),
        0xF000 => return Ok(Value::Float(f64::NEG_INFINITY)),
        _ => {}
    }
    let mut text = String::new();
    if sign == 0x4000 {
        text.push('-');
    }
    let digits: Vec<u16> = (0..ndigits as usize)
        .map(|i| word(4 + i))
        .collect::<std::result::Result<_, _>>()?;
    // Integer part: groups 0..=weight.
    if weight < 0 {
        text.push('0');
    } else {
        for g in 0..=weight as usize {
            let d = digits.get(g).copied().unwrap_or(0);
            if g == 0 {
                text.push_str(&d.to_string());
            } else {
                text.push_str(&format!("{d:04}"));
            }
        }
    }
    if scale > 0 {
        text.push('.');
        let mut frac = String::new();
        let mut g = weight as i32 + 1;
        while frac.len() < scale as usize {
            let d = if g < 0 {
                0
            } else {
                digits.get(g as usize).copied().unwrap_or(0)
            };
            frac.push_str(&format!("{d:04}"));
            g += 1;
        }
        frac.truncate(scale as usize);
        text.push_str(&frac);
    }
    if scale == 0 {
        if let Ok(i) = text.parse::<i64>() {
            return Ok(Value::Int(i));
        }
    }
    text.parse::<f64>()
        .map(Value::Float)
        .map_err(|e| format!("NUMERIC {text}: {e}"))
}

#[async_trait]
impl Connector for PostgresConnector {
    fn name(&self) -> &str {
        "postgresql"
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
        let id = match insert.returning {
            Some(pos) => {
                let row = fetch_one(&mut *conn, &insert.statement)
                    .await
                    .map_err(|e| self.classify(e, cx))?;
                self.dialect.decode(&t.columns[pos], raw_value(&row, 0)?)
            }
            None => {
                execute(&mut *conn, &insert.statement)
                    .await
                    .map_err(|e| self.classify(e, cx))?;
                insert.id.clone().unwrap_or(Value::Null)
            }
        };
        // An id given for a SERIAL column: move its sequence past it, so generated ids do
        // not collide with it later.
        if let (Some(c), Some(Value::Int(given))) = (t.id_column(), &insert.id) {
            if c.generated && c.kind == ColumnKind::Integer {
                let stmt = self.dialect.sync_sequence(&t, c, *given);
                fetch_all(&mut *conn, &stmt)
                    .await
                    .map_err(|e| self.classify(e, cx))?;
            }
        }
        Ok(id)
    }

    async fn find(
        &self,
        model: &ModelDefinition,
        filter: &Filter,
        options: &Options,
    ) -> Result<Vec<Record>> {
        let t = self.mapping(model)?;
        self.check_where(&t, filter.where_.as_ref())?;
        let select = sql::select(&self.dialect, &t, filter)?;
        let mut conn = self.conn(options).await?;
        // Rows are decoded as they arrive, never all held as driver rows at once.
        let stmt = &select.statement;
        let sql = keyed_sql(&stmt.sql, &stmt.params);
        let mut rows = bind(&sql, &stmt.params).fetch(&mut *conn);
        let mut out = Vec::new();
        loop {
            let row = rows.try_next().await.map_err(|e| {
                self.classify(
                    e,
                    ErrorContext {
                        table: Some(&t),
                        values: None,
                    },
                )
            })?;
            match row {
                Some(row) => out.push(self.decode_row(&t, &row, &select.columns)?),
                None => return Ok(out),
            }
        }
    }

    async fn count(
        &self,
        model: &ModelDefinition,
        where_: Option<&Where>,
        options: &Options,
    ) -> Result<u64> {
        let t = self.mapping(model)?;
        self.check_where(&t, where_)?;
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
        self.check_where(&t, where_)?;
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
        self.check_where(&t, where_)?;
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

    /// Begins a transaction on one pooled connection with `BEGIN ISOLATION LEVEL …`.
    async fn begin_transaction(
        &self,
        isolation: IsolationLevel,
        timeout: Option<Duration>,
    ) -> Result<Arc<dyn Transaction>> {
        let _ = timeout;
        let tx = self
            .pool
            .begin_with(format!("BEGIN ISOLATION LEVEL {}", isolation.as_sql()))
            .await
            .map_err(|e| self.classify(e, ErrorContext::default()))?;
        Ok(Arc::new(SqlTransaction::new(
            "postgresql",
            self as *const Self as usize,
            tx,
        )))
    }

    /// Drops and re-creates each model's table and indexes (creating its schema when
    /// missing), then adds the declared foreign keys, in one transaction per call: the
    /// statements of [`crate::sql::Discovery::automigrate_plan`].
    async fn automigrate(&self, models: &[Arc<ModelDefinition>]) -> Result<()> {
        let plan = crate::sql::Discovery::automigrate_plan(self, models).await?;
        crate::sql::Discovery::apply_migration(self, &plan, &mut |_, _| {}).await
    }

    /// Creates missing tables; on existing ones adds the columns and indexes they lack,
    /// widens column types where no stored value can change (`INTEGER` to `BIGINT`,
    /// `VARCHAR(10)` to `VARCHAR(20)` or `TEXT`, …) and drops `NOT NULL` from columns the model
    /// now lets be null; then adds the missing declared foreign keys. Nothing is dropped, so
    /// stored data stays. The statements are those of
    /// [`crate::sql::Discovery::autoupdate_plan`].
    async fn autoupdate(&self, models: &[Arc<ModelDefinition>]) -> Result<()> {
        let plan = crate::sql::Discovery::autoupdate_plan(self, models).await?;
        crate::sql::Discovery::apply_migration(self, &plan, &mut |_, _| {}).await
    }

    /// Runs one native statement with `$1`, `$2`, … parameters, each bound with its own
    /// PostgreSQL type: booleans BOOLEAN, integers BIGINT, numbers DOUBLE PRECISION, strings
    /// TEXT, buffers BYTEA, dates TIMESTAMPTZ, points POINT, objects and arrays JSON text, and
    /// null as an untyped NULL. Rows come back as records keyed by result column name, with
    /// the values PostgreSQL typed: integers, doubles (NUMERIC as an integer when whole),
    /// text, booleans, dates, buffers, JSON values and points. A result column of another type
    /// is an error; cast it to `::text`.
    async fn execute(
        &self,
        statement: &str,
        params: &[Value],
        options: &Options,
    ) -> Result<Vec<Record>> {
        let mut conn = self.conn(options).await?;
        let sql = keyed_sql(statement, params);
        let rows = bind(&sql, params)
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
impl crate::sql::Discovery for PostgresConnector {
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

    fn default_owner(&self) -> Option<String> {
        self.schema.clone()
    }

    /// Per model: `CREATE SCHEMA IF NOT EXISTS` (once per schema), `DROP TABLE IF EXISTS`,
    /// `CREATE TABLE` and its indexes; then every declared foreign key.
    async fn automigrate_plan(&self, models: &[Arc<ModelDefinition>]) -> Result<MigrationPlan> {
        let mut plan = MigrationPlan::default();
        let mut schemas: Vec<String> = Vec::new();
        for m in models {
            let t = self.remap(m)?;
            let mut stmts = Vec::new();
            if let Some(s) = &t.schema {
                if !schemas.contains(s) {
                    schemas.push(s.clone());
                    stmts.push(self.dialect.create_schema(s));
                }
            }
            stmts.push(ddl::drop_table(&self.dialect, &t));
            stmts.extend(ddl::create_table(&self.dialect, &t));
            plan.steps.push(MigrationStep {
                model: m.name.clone(),
                table: t,
                phase: MigrationPhase::Table,
                statements: stmts,
            });
        }
        plan.steps
            .extend(crate::sql::Discovery::foreign_key_steps(self, models, true).await?);
        Ok(plan)
    }

    /// Per model: for a missing table, `CREATE SCHEMA IF NOT EXISTS` (once per schema),
    /// `CREATE TABLE` and its indexes; for an existing one, the columns to add, widen or make
    /// nullable and the missing indexes. Then the missing declared foreign keys.
    async fn autoupdate_plan(&self, models: &[Arc<ModelDefinition>]) -> Result<MigrationPlan> {
        let mut plan = MigrationPlan::default();
        let mut schemas: Vec<String> = Vec::new();
        for m in models {
            let t = self.remap(m)?;
            let cx = ErrorContext {
                table: Some(&t),
                values: None,
            };
            let mut stmts = Vec::new();
            let exists = !fetch_all(&self.pool, &self.dialect.table_exists_query(&t))
                .await
                .map_err(|e| self.classify(e, cx))?
                .is_empty();
            if !exists {
                if let Some(s) = &t.schema {
                    if !schemas.contains(s) {
                        schemas.push(s.clone());
                        stmts.push(self.dialect.create_schema(s));
                    }
                }
                stmts.extend(ddl::create_table(&self.dialect, &t));
            } else {
                let mut existing: HashMap<String, (String, bool)> = HashMap::new();
                for row in fetch_all(&self.pool, &self.dialect.column_types_query(&t))
                    .await
                    .map_err(|e| self.classify(e, cx))?
                {
                    let name = raw_value(&row, 0)?.as_str().unwrap_or_default().to_owned();
                    let ty = raw_value(&row, 1)?.as_str().unwrap_or_default().to_owned();
                    let not_null = raw_value(&row, 2)? == Value::Bool(true);
                    existing.insert(name, (ty, not_null));
                }
                let indexes: Vec<String> =
                    fetch_all(&self.pool, &self.dialect.table_indexes_query(&t))
                        .await
                        .map_err(|e| self.classify(e, cx))?
                        .iter()
                        .map(|r| raw_value(r, 0).map(|v| v.as_str().unwrap_or_default().to_owned()))
                        .collect::<Result<_>>()?;
                for c in &t.columns {
                    match existing.get(&c.name) {
                        None => stmts.push(ddl::add_column(&self.dialect, &t, c)),
                        Some((ty, not_null)) => {
                            stmts.extend(self.dialect.widen_column(&t, c, ty));
                            if *not_null && c.nullable && !c.is_id() {
                                stmts.push(self.dialect.drop_not_null(&t, c));
                            }
                        }
                    }
                }
                for i in &t.indexes {
                    if !indexes.contains(&i.name) {
                        stmts.push(self.dialect.create_index(&t, i));
                    }
                }
            }
            plan.steps.push(MigrationStep {
                model: m.name.clone(),
                table: t,
                phase: MigrationPhase::Table,
                statements: stmts,
            });
        }
        plan.steps
            .extend(crate::sql::Discovery::foreign_key_steps(self, models, false).await?);
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
