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
//! | `ssl` | `true` (TLS, verifying the server's certificate and host name), `false` (no TLS), or `{"ca", "cert", "key", "rejectUnauthorized"}` (PEM text or PEM file paths; `rejectUnauthorized: false` encrypts without verifying); a URL's `?ssl=true` too. Without it (and without `sslmode`) connections are not encrypted, as with LoopBack 3's `mysql` driver |
//! | `sslmode` | `disable`, `allow` (as `prefer`), `prefer`, `require`, `verify-ca`, `verify-full`, or MySQL's `DISABLED`, `PREFERRED`, `REQUIRED`, `VERIFY_CA`, `VERIFY_IDENTITY` (any case); decides over `ssl`; a URL's `ssl-mode` / `sslmode` parameter takes the same names |
//! | `name`, `connector`, `debug` | accepted and ignored, as LoopBack passes them to every connector |
//!
//! Any other key is an error naming it. Numbers may be given as strings. Every connection uses
//! UTC (`time_zone = '+00:00'`), so dates are stored in UTC, and reports matched rather than
//! changed rows for `UPDATE`.
//!
//! Migrations run their statements one after the other (MySQL commits DDL as it goes, so a
//! transaction would not make them atomic); `autoupdate` only adds what is missing.
//! Transactions begin with `SET TRANSACTION ISOLATION LEVEL …` (for the next transaction
//! only), then `START TRANSACTION`, and need transactional tables (InnoDB, the default
//! engine).
//!
//! Native statements ([`Connector::execute`](loopback_core::Connector::execute)) take `?`
//! parameters. Rows come back with the driver's types: integers, doubles, decimals as
//! numbers, `DATETIME`/`TIMESTAMP` as dates (UTC), text and binary values as strings when they
//! are valid UTF-8 and as buffers otherwise (the protocol does not tell text in a binary
//! collation from bytes).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{NaiveDateTime, TimeZone, Utc};
use loopback_core::connector::IsolationLevel;
use loopback_core::{Error, Result, Value};
use sqlx::mysql::{
    MySql, MySqlArguments, MySqlConnectOptions, MySqlDatabaseError, MySqlPoolOptions,
    MySqlQueryResult, MySqlRow, MySqlSslMode,
};
use sqlx::query::Query;
use sqlx::{Decode, Row, TypeInfo, ValueRef};

use crate::sql::{self, Backend, ErrorContext, MySqlDialect, Settings, SqlConnector, SslMode};

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
pub type MySqlConnector = SqlConnector<MySqlBackend>;

/// What MySQL and MariaDB bring to [`SqlConnector`]: parameters and results in the driver's
/// types, the last insert id, error numbers, and DDL outside transactions.
#[derive(Debug)]
pub struct MySqlBackend {
    dialect: MySqlDialect,
    location: String,
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
    "ssl",
    "sslmode",
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

/// `ER_BAD_FIELD_ERROR`: a statement names a column its table lacks.
const UNKNOWN_COLUMN: u16 = 1054;

impl MySqlConnector {
    /// A connector for a `mysql://user:password@host:port/database` URL.
    pub fn from_url(url: &str) -> Result<Self> {
        Self::from_settings(&serde_json::json!({ "url": url }))
    }

    /// A connector configured by a LoopBack 3 data source entry (see the module docs for the
    /// keys). Fails with [`Error::Connector`] naming the first unknown or invalid key.
    pub fn from_settings(settings: &serde_json::Value) -> Result<Self> {
        let cfg = Settings::new("mysql", settings, SETTINGS)?;
        let url = cfg.text(&["url"])?;
        let ssl = cfg.ssl(url.as_deref(), sql::SslModes::Mysql)?;
        let mut options = match url.as_deref().map(sql::without_mysql_ssl_parameters) {
            Some(url) => {
                if !(url.starts_with("mysql:") || url.starts_with("mariadb:")) {
                    return Err(cfg.bad("url", format!("`{url}` is not a `mysql://` URL")));
                }
                let url = url.replacen("mariadb:", "mysql:", 1);
                MySqlConnectOptions::from_str(&url).map_err(|e| cfg.bad("url", e.to_string()))?
            }
            None => MySqlConnectOptions::new(),
        };
        if let Some(host) = cfg.text(&["host", "hostname"])? {
            options = options.host(&host);
        }
        if let Some(port) = cfg.number(&["port"])? {
            let port = u16::try_from(port)
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| cfg.bad("port", format!("{port} is not a port number")))?;
            options = options.port(port);
        }
        if let Some(path) = cfg.text(&["socketPath"])? {
            options = options.socket(path);
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
        match cfg.text(&["charset"])? {
            // mysqljs takes a collation name here too.
            Some(c) if c.contains('_') => {
                let c = c.to_ascii_lowercase();
                let charset = c.split('_').next().unwrap_or_default().to_owned();
                options = options.charset(&charset).collation(&c);
            }
            Some(c) => options = options.charset(&c.to_ascii_lowercase()),
            None => options = options.charset("utf8mb4"),
        }
        if let Some(c) = cfg.text(&["collation"])? {
            options = options.collation(&c.to_ascii_lowercase());
        }
        options = with_ssl(options, ssl);
        let pool_size = match cfg.number(&["connectionLimit"])? {
            Some(0) => return Err(cfg.bad("connectionLimit", "must be at least 1")),
            Some(n) => u32::try_from(n).unwrap_or(u32::MAX),
            None => DEFAULT_POOL_SIZE,
        };
        let acquire = cfg
            .number(&["connectTimeout", "acquireTimeout"])?
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
            .test_before_acquire(false)
            .before_acquire(crate::sql::ping_if_idle::<MySql>)
            .acquire_timeout(acquire)
            .connect_lazy_with(options);
        SqlConnector::new(
            MySqlBackend {
                dialect: MySqlDialect,
                location,
            },
            pool,
        )
    }
}

/// The connect options with the data source's SSL settings.
fn with_ssl(mut options: MySqlConnectOptions, ssl: sql::Ssl) -> MySqlConnectOptions {
    if let Some(mode) = ssl.mode {
        options = options.ssl_mode(match mode {
            SslMode::Disable => MySqlSslMode::Disabled,
            SslMode::Allow | SslMode::Prefer => MySqlSslMode::Preferred,
            SslMode::Require => MySqlSslMode::Required,
            SslMode::VerifyCa => MySqlSslMode::VerifyCa,
            SslMode::VerifyFull => MySqlSslMode::VerifyIdentity,
        });
    }
    if let Some(ca) = ssl.ca {
        options = options.ssl_ca_from_pem(ca);
    }
    if let Some(cert) = ssl.cert {
        options = options.ssl_client_cert_from_pem(cert);
    }
    if let Some(key) = ssl.key {
        options = options.ssl_client_key_from_pem(key);
    }
    options
}

impl Backend for MySqlBackend {
    type Db = MySql;
    type Arguments<'q> = MySqlArguments;
    type Dialect = MySqlDialect;

    const TYPE_NAME: &'static str = "MySqlConnector";
    const DATABASE: &'static str = "MySQL";
    const TRANSACTIONAL_DDL: bool = false;

    fn dialect(&self) -> &MySqlDialect {
        &self.dialect
    }

    fn describe(&self, f: &mut fmt::DebugStruct<'_, '_>) {
        f.field("server", &self.location);
    }

    fn bind<'q>(sql: &'q str, params: &'q [Value]) -> Query<'q, Self::Db, Self::Arguments<'q>> {
        // DATETIME has no time zone: the UTC wall-clock time is stored.
        sql::bind_portable(sql, params, |d| d.naive_utc())
    }

    fn raw_value(row: &MySqlRow, i: usize) -> Result<Value> {
        raw_value(row, i)
    }

    fn native_value(row: &MySqlRow, i: usize) -> Result<Value> {
        let decimal = row
            .try_get_raw(i)
            .is_ok_and(|v| v.type_info().name() == "DECIMAL");
        Ok(match raw_value(row, i)? {
            Value::String(s) if decimal => sql::value::decimal_number(&s),
            other => other,
        })
    }

    fn rows_affected(done: &MySqlQueryResult) -> u64 {
        done.rows_affected()
    }

    fn last_insert_id(done: &MySqlQueryResult) -> Option<u64> {
        Some(done.last_insert_id())
    }

    /// Classifies a driver error: first by MySQL error number for what the shared
    /// classification cannot know (transient server states, values a column cannot hold,
    /// unknown columns as [`Error::UnknownColumn`]), then by sqlx's error kind.
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
                if number == UNKNOWN_COLUMN {
                    // Unknown column 'x' in 'field list' (or 't.x').
                    let m = my.message();
                    return sql::unknown_column(quoted_name(m).unwrap_or(m), m, cx);
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

    fn begin_statement(&self, isolation: IsolationLevel) -> Option<String> {
        Some(format!(
            "SET TRANSACTION ISOLATION LEVEL {}; START TRANSACTION",
            isolation.as_sql()
        ))
    }
}

/// The first `'quoted'` name in a MySQL message ("Data too long for column 'x' at row 1").
fn quoted_name(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once('\'')?;
    rest.split_once('\'').map(|(name, _)| name)
}

/// A result column as the driver gives it: null, integer, double, decimal (as its exact
/// text), date-time (UTC), text (any value that is valid UTF-8) or bytes.
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
        // Exact text; the dialect reads it as a number for number properties.
        "DECIMAL" => Value::String(
            <&str as Decode<MySql>>::decode(v)
                .map_err(failed)?
                .to_owned(),
        ),
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
