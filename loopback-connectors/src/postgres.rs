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
//! | `ssl` | `true` (TLS, verifying the server's certificate and host name), `false` (no TLS), or `{"ca", "cert", "key", "rejectUnauthorized"}` (PEM text or PEM file paths; `rejectUnauthorized: false` encrypts without verifying); a URL's `?ssl=true` too |
//! | `sslmode` | `disable`, `allow`, `prefer`, `require`, `verify-ca` or `verify-full`, as libpq reads them; decides over `ssl` (a URL's `sslmode` parameter is read too) |
//! | `name`, `connector`, `debug` | accepted and ignored, as LoopBack passes them to every connector |
//!
//! Any other key is an error naming it. Numbers may be given as strings. Creating the
//! connector opens nothing; the first operation connects, and a server that cannot be reached
//! is an [`Error::Unavailable`] (503) until it can: the pool reconnects by itself.
//!
//! Migrations run in one transaction. `autoupdate` also widens column types where no stored
//! value can change (`INTEGER` to `BIGINT`, `VARCHAR(10)` to `VARCHAR(20)` or `TEXT`, …) and
//! drops `NOT NULL` from columns the model now lets be null; schemas are created when
//! missing. Transactions begin with `BEGIN ISOLATION LEVEL …`.
//!
//! Native statements ([`Connector::execute`](loopback_core::Connector::execute)) take `$1`,
//! `$2`, … parameters, each bound with its own PostgreSQL type: booleans BOOLEAN, integers
//! BIGINT, numbers DOUBLE PRECISION, strings TEXT, buffers BYTEA, dates TIMESTAMPTZ, points
//! POINT, objects and arrays JSON text, and null as an untyped NULL. Rows come back as records
//! keyed by result column name, with the values PostgreSQL typed: integers, doubles (NUMERIC
//! as an integer when whole), text, booleans, dates, buffers, JSON values and points. A result
//! column of another type is an error; cast it to `::text`.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use loopback_core::connector::IsolationLevel;
use loopback_core::filter::{Condition, RelatedWhere, Where};
use loopback_core::model::{ModelDefinition, PropertyType};
use loopback_core::validation::ValidationError;
use loopback_core::value::GeoPoint;
use loopback_core::{Error, Record, Result, Value};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::types::Oid;
use sqlx::postgres::{
    PgArgumentBuffer, PgArguments, PgConnectOptions, PgDatabaseError, PgPoolOptions, PgQueryResult,
    PgRow, PgSslMode, PgTypeInfo, PgTypeKind, PgValueRef,
};
use sqlx::{Decode, Encode, Postgres, Row, Type, TypeInfo, ValueRef};

use crate::sql::{
    self, Backend, ColumnKind, ColumnMapping, Dialect, ErrorContext, Insert, PostgresDialect,
    Settings, SqlConnector, SslMode, Statement, TableMapping,
};

/// LoopBack 3's PostgreSQL connector (`"connector": "postgresql"`): the shared
/// [`SqlConnector`] over [`PostgresBackend`].
///
/// Cheap to share: one instance per data source (`Arc<PostgresConnector>`), backed by a pool
/// of connections ([`SqlConnector::pool`]). Creating it opens nothing; the first operation
/// connects. Operations run on a Tokio runtime with I/O and timers enabled.
pub type PostgresConnector = SqlConnector<PostgresBackend>;

/// What PostgreSQL brings to [`SqlConnector`]: its data source's default schema, parameters
/// bound with their own PostgreSQL types, results read by type OID, and error codes.
#[derive(Debug)]
pub struct PostgresBackend {
    dialect: PostgresDialect,
    schema: Option<String>,
    location: String,
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
    "ssl",
    "sslmode",
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
        let cfg = Settings::new("postgresql", settings, SETTINGS)?;
        let url = cfg.text(&["url", "connectionString"])?;
        let ssl = cfg.ssl(url.as_deref(), sql::SslModes::Postgres)?;
        let mut options = match url.as_deref().map(sql::without_ssl_parameter) {
            Some(url) => {
                let key = if cfg.has("url") {
                    "url"
                } else {
                    "connectionString"
                };
                if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                    return Err(cfg.bad(key, "expected a `postgres://` URL"));
                }
                PgConnectOptions::from_str(&url).map_err(|e| cfg.bad(key, e.to_string()))?
            }
            // Not `PgConnectOptions::new()`: its defaults come from PG* environment variables.
            None => PgConnectOptions::new_without_pgpass()
                .host("localhost")
                .port(5432),
        };
        if let Some(host) = cfg.text(&["host", "hostname"])? {
            options = if host.starts_with('/') {
                options.socket(host)
            } else {
                options.host(&host)
            };
        }
        if let Some(port) = cfg.number(&["port"])? {
            let port = u16::try_from(port)
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| cfg.bad("port", format!("`{port}` is not a port number")))?;
            options = options.port(port);
        }
        if let Some(db) = cfg.text(&["database", "db"])? {
            options = options.database(&db);
        }
        if let Some(user) = cfg.text(&["user", "username"])? {
            options = options.username(&user);
        }
        if let Some(password) = cfg.text(&["password"])? {
            options = options.password(&password);
        }
        options = with_ssl(options, ssl);
        let schema = cfg.text(&["schema"])?;
        if let Some(s) = &schema {
            if s.is_empty() || s.contains('\0') {
                return Err(cfg.bad("schema", "expected a schema name"));
            }
            let mut path = String::with_capacity(s.len() + 2);
            path.push('"');
            path.push_str(&s.replace('"', "\"\""));
            path.push('"');
            options = options.options([("search_path", path)]);
        }
        let pool_size = match cfg.number(&["max", "connectionLimit"])? {
            Some(0) => return Err(cfg.bad("max", "must be at least 1")),
            Some(n) => u32::try_from(n).unwrap_or(u32::MAX),
            None => DEFAULT_POOL_SIZE,
        };
        let min = cfg
            .number(&["min"])?
            .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX));
        if min > pool_size {
            return Err(cfg.bad("min", format!("is above the pool size {pool_size}")));
        }
        let acquire = cfg
            .number(&[
                "connectTimeout",
                "connectionTimeoutMillis",
                "acquireTimeout",
            ])?
            .map_or(DEFAULT_ACQUIRE_TIMEOUT, Duration::from_millis);
        let idle = cfg
            .number(&["idleTimeout", "idleTimeoutMillis"])?
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
            .test_before_acquire(false)
            .before_acquire(crate::sql::ping_if_idle::<Postgres>)
            .connect_lazy_with(options);
        let backend = PostgresBackend {
            dialect: PostgresDialect,
            schema,
            location,
        };
        Ok(SqlConnector::new(backend, pool))
    }

    /// The data source's default schema, if one is configured.
    pub fn schema(&self) -> Option<&str> {
        self.backend().schema.as_deref()
    }
}

/// The connect options with the data source's SSL settings.
fn with_ssl(mut options: PgConnectOptions, ssl: sql::Ssl) -> PgConnectOptions {
    if let Some(mode) = ssl.mode {
        options = options.ssl_mode(match mode {
            SslMode::Disable => PgSslMode::Disable,
            SslMode::Allow => PgSslMode::Allow,
            SslMode::Prefer => PgSslMode::Prefer,
            SslMode::Require => PgSslMode::Require,
            SslMode::VerifyCa => PgSslMode::VerifyCa,
            SslMode::VerifyFull => PgSslMode::VerifyFull,
        });
    }
    if let Some(ca) = ssl.ca {
        options = options.ssl_root_cert_from_pem(ca);
    }
    if let Some(cert) = ssl.cert {
        options = options.ssl_client_cert_from_pem(cert);
    }
    if let Some(key) = ssl.key {
        options = options.ssl_client_key_from_pem(key);
    }
    options
}

impl Backend for PostgresBackend {
    type Db = Postgres;
    type Arguments<'q> = PgArguments;
    type Dialect = PostgresDialect;

    const TYPE_NAME: &'static str = "PostgresConnector";
    const DATABASE: &'static str = "PostgreSQL";
    const CASE_SENSITIVE_NAMES: bool = true;
    const STREAM_ROWS: bool = true;

    fn dialect(&self) -> &PostgresDialect {
        &self.dialect
    }

    fn describe(&self, f: &mut fmt::DebugStruct<'_, '_>) {
        f.field("server", &self.location)
            .field("schema", &self.schema);
    }

    fn bind<'q>(sql: &'q str, params: &'q [Value]) -> Query<'q> {
        bind(sql, params)
    }

    fn prepared_sql<'s>(sql: &'s str, params: &[Value]) -> Cow<'s, str> {
        Cow::Owned(keyed_sql(sql, params))
    }

    fn raw_value(row: &PgRow, i: usize) -> Result<Value> {
        raw_value(row, i)
    }

    fn native_value(row: &PgRow, i: usize) -> Result<Value> {
        Ok(match raw_value(row, i)? {
            Value::String(s) if is_numeric_column(row, i) => sql::value::decimal_number(&s),
            other => other,
        })
    }

    fn rows_affected(done: &PgQueryResult) -> u64 {
        done.rows_affected()
    }

    /// Classifies a driver error: PostgreSQL names the column of a not-null violation, an
    /// undefined column (SQLSTATE 42703) is [`Error::UnknownColumn`], and data exceptions (SQLSTATE class 22: text with NUL, a value out of range, a string too
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
                if code == "42703" {
                    // `column "x" does not exist`, `column t.x does not exist`,
                    // `column "x" of relation "t" does not exist`.
                    let m = pg.message();
                    let name = m
                        .strip_prefix("column ")
                        .and_then(|r| {
                            r.strip_suffix(" does not exist")
                                .map(|r| r.split(" of relation ").next().unwrap_or(r))
                        })
                        .unwrap_or(m);
                    return sql::unknown_column(name, m, cx);
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

    /// A fresh mapping of `def`, in the data source's schema unless the model names one.
    fn table_mapping(&self, def: &ModelDefinition) -> Result<TableMapping> {
        let mut t = TableMapping::new(&self.dialect, def)?;
        if let (None, Some(schema)) = (&t.schema, &self.schema) {
            t.qualified = self.dialect.qualified_name(schema, &t.table);
            t.schema = Some(schema.clone());
        }
        Ok(t)
    }

    /// Points are POINT columns, which have no `=`: conditions on them other than null tests
    /// are not supported, nor are patterns on `UUID` columns; a value compared with a `UUID`
    /// column that is not a UUID is a 400 naming the property. Text cannot hold NUL, so a string with one equals nothing, but
    /// ordering text against it has no answer: a 400.
    fn check_where(connector: &PostgresConnector, t: &TableMapping, w: &Where) -> Result<()> {
        let mut refused = None;
        let mut invalid = None;
        let mut invalid_filter = None;
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
            let uuid = t.column(property).is_some_and(PostgresDialect::is_uuid);
            if uuid && invalid.is_none() {
                let bad =
                    |v: &Value| matches!(v, Value::String(s) if uuid::Uuid::try_parse(s).is_err());
                let bad_operand = match op {
                    Condition::Eq(v)
                    | Condition::Neq(v)
                    | Condition::Gt(v)
                    | Condition::Gte(v)
                    | Condition::Lt(v)
                    | Condition::Lte(v) => bad(v),
                    Condition::Between(a, b) => bad(a) || bad(b),
                    Condition::Inq(l) | Condition::Nin(l) => l.iter().any(bad),
                    _ => false,
                };
                if bad_operand {
                    invalid_filter = Some(property.to_owned());
                }
            }
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
            let pattern = op.is_pattern();
            if uuid && pattern && refused.is_none() {
                refused = Some(format!(
                    "the `{}` operator on UUID property `{property}`",
                    op.operator()
                ));
            }
            if point && !null_test && refused.is_none() {
                refused = Some(format!(
                    "the `{}` operator on geopoint property `{property}`",
                    op.operator()
                ));
            }
        });
        if let Some(property) = invalid_filter {
            return Err(Error::filter(
                format!("where.{property}"),
                format!(
                    "`{property}` is a UUID column, and a value compared with it {}",
                    crate::sql::UUID_MESSAGE
                ),
            ));
        }
        if let Some(message) = invalid {
            return Err(Error::bad_request(message));
        }
        if let Some(what) = refused {
            return Err(sql::not_supported(connector.backend().dialect.name(), what));
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
                let target = connector.mapping(&join.target)?;
                Self::check_where(connector, &target, &r.where_)?;
            }
        }
        Ok(())
    }

    /// An id given for a SERIAL column: move its sequence past it, so generated ids do not
    /// collide with it later.
    fn after_insert(&self, t: &TableMapping, insert: &Insert) -> Option<Statement> {
        match (t.id_column(), &insert.id) {
            (Some(c), Some(Value::Int(given))) if c.generated && c.kind == ColumnKind::Integer => {
                Some(self.dialect.sync_sequence(t, c, *given))
            }
            _ => None,
        }
    }

    fn begin_statement(&self, isolation: IsolationLevel) -> Option<String> {
        Some(format!("BEGIN ISOLATION LEVEL {}", isolation.as_sql()))
    }

    fn default_owner(&self) -> Option<String> {
        self.schema.clone()
    }

    fn create_schema(&self, schema: &str) -> Option<Statement> {
        Some(self.dialect.create_schema(schema))
    }

    /// Each column's name, type (as `format_type` writes it) and whether it is NOT NULL.
    fn existing_columns_query(&self, t: &TableMapping) -> Statement {
        self.dialect.column_types_query(t)
    }

    /// Widens the column's type when no stored value can change, and drops `NOT NULL` when
    /// the model now lets the column be null.
    fn alter_column(
        &self,
        t: &TableMapping,
        c: &ColumnMapping,
        existing: &PgRow,
    ) -> Result<Vec<Statement>> {
        let ty = raw_value(existing, 1)?;
        let not_null = raw_value(existing, 2)? == Value::Bool(true);
        let mut out = Vec::new();
        out.extend(
            self.dialect
                .widen_column(t, c, ty.as_str().unwrap_or_default()),
        );
        if not_null && c.nullable && !c.is_id() {
            out.push(self.dialect.drop_not_null(t, c));
        }
        Ok(out)
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

/// Whether result column `i` is a NUMERIC.
fn is_numeric_column(row: &PgRow, i: usize) -> bool {
    row.try_get_raw(i)
        .is_ok_and(|v| v.type_info().oid().is_some_and(|o| o.0 == 1700))
}

/// A result column as PostgreSQL typed it: booleans, integers, doubles, text, dates, bytes,
/// JSON and points; NUMERIC as its exact decimal text (NaN and infinities as doubles), which
/// the dialect reads as a number for number properties.
fn raw_value(row: &PgRow, i: usize) -> Result<Value> {
    let v = row
        .try_get_raw(i)
        .map_err(|e| Error::Connector(e.to_string()))?;
    if v.is_null() {
        return Ok(Value::Null);
    }
    let failed = |e: BoxDynError| Error::Connector(format!("cannot read result column {i}: {e}"));
    // Built-in types are known by their OID, without comparing names; only other types
    // (extensions, enums) need their owned info.
    let (kind, type_info) = match v.type_info().oid().and_then(|o| Kind::of_oid(o.0)) {
        Some(kind) => (kind, None),
        None => {
            let info = v.type_info().into_owned();
            let kind = Kind::of_name(info.name()).unwrap_or(
                if matches!(info.kind(), PgTypeKind::Enum(_)) {
                    Kind::Text
                } else {
                    Kind::Other
                },
            );
            (kind, Some(info))
        }
    };
    Ok(match kind {
        Kind::Bool => Value::Bool(<bool as Decode<Postgres>>::decode(v).map_err(failed)?),
        Kind::Int2 => Value::Int(<i16 as Decode<Postgres>>::decode(v).map_err(failed)?.into()),
        Kind::Int4 => Value::Int(<i32 as Decode<Postgres>>::decode(v).map_err(failed)?.into()),
        Kind::Int8 => Value::Int(<i64 as Decode<Postgres>>::decode(v).map_err(failed)?),
        Kind::Oid => Value::Int(
            <Oid as Decode<Postgres>>::decode(v)
                .map_err(failed)?
                .0
                .into(),
        ),
        Kind::Float4 => Value::Float(<f32 as Decode<Postgres>>::decode(v).map_err(failed)?.into()),
        Kind::Float8 => Value::Float(<f64 as Decode<Postgres>>::decode(v).map_err(failed)?),
        Kind::Numeric => numeric(v.as_bytes().map_err(failed)?).map_err(|e| failed(e.into()))?,
        Kind::Text => Value::String(<String as Decode<Postgres>>::decode(v).map_err(failed)?),
        Kind::Uuid => Value::String(
            uuid::Uuid::from_slice(v.as_bytes().map_err(failed)?)
                .map_err(|e| failed(e.into()))?
                .to_string(),
        ),
        Kind::TimestampTz => Value::Date(
            <chrono::DateTime<chrono::Utc> as Decode<Postgres>>::decode(v).map_err(failed)?,
        ),
        Kind::Timestamp => Value::Date(
            <chrono::NaiveDateTime as Decode<Postgres>>::decode(v)
                .map_err(failed)?
                .and_utc(),
        ),
        Kind::Date => Value::Date(
            <chrono::NaiveDate as Decode<Postgres>>::decode(v)
                .map_err(failed)?
                .and_time(chrono::NaiveTime::MIN)
                .and_utc(),
        ),
        Kind::Bytea => Value::Buffer(<Vec<u8> as Decode<Postgres>>::decode(v).map_err(failed)?),
        Kind::Json => {
            Value::from_json(&<serde_json::Value as Decode<Postgres>>::decode(v).map_err(failed)?)
        }
        Kind::Point => point(v)?,
        Kind::Void => Value::Null,
        Kind::Other => {
            let name = type_info.as_ref().map_or("unknown", |t| t.name());
            return Err(Error::Connector(format!(
                "result column {i} has type {name}, which the postgresql connector does not \
                 read; cast it (`::text`)"
            )));
        }
    })
}

/// How [`raw_value`] reads a column, by its PostgreSQL type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Int2,
    Int4,
    Int8,
    Oid,
    Float4,
    Float8,
    Numeric,
    Text,
    Uuid,
    TimestampTz,
    Timestamp,
    Date,
    Bytea,
    Json,
    Point,
    Void,
    /// A type the connector does not read.
    Other,
}

impl Kind {
    /// The kind of a built-in type, by its OID (`pg_type.oid`, fixed across versions).
    fn of_oid(oid: u32) -> Option<Kind> {
        Some(match oid {
            16 => Kind::Bool,
            17 => Kind::Bytea,
            18 | 19 | 25 | 705 | 1042 | 1043 => Kind::Text,
            20 => Kind::Int8,
            21 => Kind::Int2,
            23 => Kind::Int4,
            26 => Kind::Oid,
            114 | 3802 => Kind::Json,
            600 => Kind::Point,
            700 => Kind::Float4,
            701 => Kind::Float8,
            1082 => Kind::Date,
            1114 => Kind::Timestamp,
            1184 => Kind::TimestampTz,
            1700 => Kind::Numeric,
            2278 => Kind::Void,
            2950 => Kind::Uuid,
            _ => return None,
        })
    }

    /// The kind of a type known by name only (an extension's, such as `CITEXT`).
    fn of_name(name: &str) -> Option<Kind> {
        Some(match name {
            "BOOL" => Kind::Bool,
            "INT2" => Kind::Int2,
            "INT4" => Kind::Int4,
            "INT8" => Kind::Int8,
            "OID" => Kind::Oid,
            "FLOAT4" => Kind::Float4,
            "FLOAT8" => Kind::Float8,
            "NUMERIC" => Kind::Numeric,
            "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "CITEXT" | "UNKNOWN" | "\"CHAR\"" | "CHAR" => {
                Kind::Text
            }
            "UUID" => Kind::Uuid,
            "TIMESTAMPTZ" => Kind::TimestampTz,
            "TIMESTAMP" => Kind::Timestamp,
            "DATE" => Kind::Date,
            "BYTEA" => Kind::Bytea,
            "JSON" | "JSONB" => Kind::Json,
            "POINT" => Kind::Point,
            "VOID" => Kind::Void,
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

/// Reads NUMERIC's binary form (digit count, weight, sign and scale, 16-bit each, then base
/// 10000 digits) as its exact decimal text; NaN and the infinities as doubles.
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
    Ok(Value::String(text))
}
