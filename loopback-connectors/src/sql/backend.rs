//! The [`Backend`] trait: what one sqlx driver brings to the shared [`SqlConnector`].

use std::borrow::Cow;
use std::fmt;

use loopback_core::connector::{Capabilities, IsolationLevel};
use loopback_core::filter::Where;
use loopback_core::model::ModelDefinition;
use loopback_core::{Error, Result, Value};
use sqlx::database::HasStatementCache;
use sqlx::query::Query;
use sqlx::{Database, IntoArguments};
#[cfg(any(feature = "sqlite", feature = "mysql"))]
use sqlx::{Encode, Type};

use super::builder::Insert;
use super::connector::SqlConnector;
use super::dialect::Dialect;
use super::error::{classify, ErrorContext};
use super::mapping::{ColumnMapping, TableMapping};
use super::writer::Statement;

/// One database driver under [`SqlConnector`]: the sqlx database, its [`Dialect`], how values
/// are bound and read back, how driver errors are classified, and the few places where the
/// databases' behaviour really differs. [`SqlConnector`] implements every operation of
/// [`loopback_core::Connector`] and [`super::Discovery`] once, over any `Backend`; the
/// connector modules (`src/sqlite.rs`, `src/postgres.rs`, `src/mysql.rs`) each implement this
/// trait for a small configuration type and name the result
/// (`pub type SqliteConnector = SqlConnector<SqliteBackend>`).
///
/// Everything is resolved at compile time: [`SqlConnector<B>`] is monomorphised per backend,
/// so binding ([`Backend::bind`]) and reading ([`Backend::raw_value`]) are direct calls on the
/// driver's own types, with no dynamic dispatch on the per-query or per-row path.
///
/// Only the methods without a default are needed; the defaults are what SQLite does.
pub trait Backend: Send + Sync + Sized + 'static {
    /// The sqlx database.
    type Db: Database + HasStatementCache;

    /// The database's bind arguments (`<Self::Db as Database>::Arguments<'q>`).
    type Arguments<'q>: IntoArguments<'q, Self::Db> + Send + 'q;

    /// The SQL dialect: identifiers, placeholders, types, catalog queries, value conversion.
    type Dialect: Dialect;

    /// The connector's type name, as `Debug` shows it (`"PostgresConnector"`).
    const TYPE_NAME: &'static str;

    /// The database's name for messages (`"PostgreSQL"`).
    const DATABASE: &'static str;

    /// Whether `find` decodes rows as the driver streams them in (PostgreSQL: never holding
    /// every driver row at once) rather than after fetching them all. The default fetches
    /// first: the SQLite driver steps statements on a worker thread that hands rows over a
    /// bounded channel, and collecting lets it run ahead of the decoding.
    const STREAM_ROWS: bool = false;

    /// Whether DDL runs in a transaction, so [`super::Discovery::apply_migration`] applies a
    /// whole plan atomically. MySQL commits DDL as it goes: there the statements run one after
    /// the other on a pooled connection, unprepared.
    const TRANSACTIONAL_DDL: bool = true;

    /// Whether catalog names (existing columns and indexes, for `autoupdate`) are compared
    /// with the mapping's names case-sensitively (PostgreSQL) rather than ignoring ASCII case.
    const CASE_SENSITIVE_NAMES: bool = false;

    /// Whether declared foreign keys (the `foreignKeys` model setting) are written inside
    /// `CREATE TABLE` (SQLite, which cannot add constraints to existing tables) instead of
    /// being added with `ALTER TABLE` once every table exists
    /// ([`super::Discovery::foreign_key_steps`]).
    const FOREIGN_KEYS_IN_CREATE_TABLE: bool = false;

    /// The backend's dialect.
    fn dialect(&self) -> &Self::Dialect;

    /// Adds the backend's own fields (its server or file, ...) to the connector's `Debug`
    /// output; the connector adds the names of the models it knows.
    fn describe(&self, f: &mut fmt::DebugStruct<'_, '_>);

    /// `sql` with `params` bound in order, each as the driver type the database expects.
    fn bind<'q>(sql: &'q str, params: &'q [Value]) -> Query<'q, Self::Db, Self::Arguments<'q>>;

    /// The SQL text to prepare for `sql` bound with `params`: `sql` itself by default.
    /// PostgreSQL keys its cached prepared statements by parameter types too.
    fn prepared_sql<'s>(sql: &'s str, params: &[Value]) -> Cow<'s, str> {
        let _ = params;
        Cow::Borrowed(sql)
    }

    /// Result column `i` of `row` as the driver typed it, before [`Dialect::decode`]
    /// converts it to the property's type (native statements return it as is).
    fn raw_value(row: &<Self::Db as Database>::Row, i: usize) -> Result<Value>;

    /// Result column `i` of `row` as a native statement ([`loopback_core::Connector::execute`])
    /// returns it: [`Backend::raw_value`] by default. PostgreSQL and MySQL read decimals as
    /// their exact text for properties, and as numbers here when a double keeps them.
    fn native_value(row: &<Self::Db as Database>::Row, i: usize) -> Result<Value> {
        Self::raw_value(row, i)
    }

    /// The rows a statement changed (or matched; see the `sql` module docs).
    fn rows_affected(done: &<Self::Db as Database>::QueryResult) -> u64;

    /// The id the database generated for an `INSERT`, for dialects without `RETURNING`
    /// ([`Dialect::supports_returning`]); `None` by default.
    fn last_insert_id(done: &<Self::Db as Database>::QueryResult) -> Option<u64> {
        let _ = done;
        None
    }

    /// Turns a driver error into the caller's error: by default [`classify`], by kind.
    /// Override to look at the database's own error codes first.
    fn classify(&self, e: sqlx::Error, cx: ErrorContext<'_>) -> Error {
        classify(self.dialect(), e, cx)
    }

    /// What the connector can do. The default is what the three SQL connectors share:
    /// `ilike`, `regexp` with flags, transactions, native SQL, migrations, conditions on
    /// related models, and `inq` lists of up to 1000 values.
    fn capabilities(&self) -> Capabilities {
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

    /// A fresh table mapping of `def`: [`TableMapping::new`] by default (PostgreSQL puts it
    /// in the data source's schema).
    fn table_mapping(&self, def: &ModelDefinition) -> Result<TableMapping> {
        TableMapping::new(self.dialect(), def)
    }

    /// Refuses conditions the database cannot answer before any SQL is built, for `find`,
    /// `count`, `update_all` and `destroy_all`. Accepts everything by default.
    fn check_where(
        connector: &SqlConnector<Self>,
        table: &TableMapping,
        where_: &Where,
    ) -> Result<()> {
        let _ = (connector, table, where_);
        Ok(())
    }

    /// A statement to run after an `INSERT`, on the same connection (PostgreSQL: move a
    /// `SERIAL` column's sequence past an id the caller gave). `None` by default.
    fn after_insert(&self, table: &TableMapping, insert: &Insert) -> Option<Statement> {
        let _ = (table, insert);
        None
    }

    /// The statement that begins a transaction at `isolation` (`BEGIN ISOLATION LEVEL …`),
    /// or `None` for the driver's plain `BEGIN` (the default: SQLite is always serializable).
    fn begin_statement(&self, isolation: IsolationLevel) -> Option<String> {
        let _ = isolation;
        None
    }

    /// The owner discovery uses when a call names none (the data source's schema), if any.
    fn default_owner(&self) -> Option<String> {
        None
    }

    /// The statement that starts `automigrate`'s transaction where foreign keys live inside
    /// `CREATE TABLE`: it defers their checks to the commit, so that re-created tables that
    /// reference each other are checked once all of them are back (SQLite: `PRAGMA
    /// defer_foreign_keys = ON`). `None` by default.
    fn defer_foreign_keys(&self) -> Option<Statement> {
        None
    }

    /// The statement creating a model's schema before its table is created, once per schema
    /// and migration (PostgreSQL: `CREATE SCHEMA IF NOT EXISTS`). `None` by default.
    fn create_schema(&self, schema: &str) -> Option<Statement> {
        let _ = schema;
        None
    }

    /// For `autoupdate`: a query returning one row per existing column of the table, its
    /// name in the first result column. [`Dialect::table_columns_query`] by default;
    /// PostgreSQL also returns each column's type and nullability for
    /// [`Backend::alter_column`].
    fn existing_columns_query(&self, table: &TableMapping) -> Statement {
        self.dialect().table_columns_query(table)
    }

    /// For `autoupdate`: the statements changing the existing column `existing` (a row of
    /// [`Backend::existing_columns_query`]) to fit `column` without losing data. Nothing by
    /// default: columns are only added.
    fn alter_column(
        &self,
        table: &TableMapping,
        column: &ColumnMapping,
        existing: &<Self::Db as Database>::Row,
    ) -> Result<Vec<Statement>> {
        let _ = (table, column, existing);
        Ok(Vec::new())
    }

    /// With [`Backend::FOREIGN_KEYS_IN_CREATE_TABLE`]: a query returning the columns of an
    /// existing table that have a foreign key, one per row, so `autoupdate` can refuse
    /// declared keys it cannot add. `None` by default.
    fn foreign_key_columns_query(&self, table: &TableMapping) -> Option<Statement> {
        let _ = table;
        None
    }
}

/// Binds `params` as the portable driver types, for [`Backend::bind`]: null as a null
/// `BIGINT`, booleans, 64-bit integers, doubles, text, bytes, dates as `date` converts them,
/// and points, objects and arrays as JSON text. SQLite and MySQL bind this way; PostgreSQL
/// gives each parameter its own PostgreSQL type.
#[cfg(any(feature = "sqlite", feature = "mysql"))]
pub(crate) fn bind_portable<'q, DB, D>(
    sql: &'q str,
    params: &'q [Value],
    date: impl Fn(&chrono::DateTime<chrono::Utc>) -> D,
) -> Query<'q, DB, <DB as Database>::Arguments<'q>>
where
    DB: Database,
    Option<i64>: Encode<'q, DB> + Type<DB>,
    bool: Encode<'q, DB> + Type<DB>,
    i64: Encode<'q, DB> + Type<DB>,
    f64: Encode<'q, DB> + Type<DB>,
    &'q str: Encode<'q, DB> + Type<DB>,
    &'q [u8]: Encode<'q, DB> + Type<DB>,
    String: Encode<'q, DB> + Type<DB>,
    D: Encode<'q, DB> + Type<DB> + 'q,
{
    let mut q = sqlx::query(sql);
    for v in params {
        q = match v {
            Value::Null => q.bind(None::<i64>),
            Value::Bool(b) => q.bind(*b),
            Value::Int(i) => q.bind(*i),
            Value::Float(f) => q.bind(*f),
            Value::String(s) => q.bind(s.as_str()),
            Value::Buffer(b) => q.bind(b.as_slice()),
            Value::Date(d) => q.bind(date(d)),
            Value::GeoPoint(_) | Value::Array(_) | Value::Object(_) => {
                q.bind(v.to_json().to_string())
            }
        };
    }
    q
}
