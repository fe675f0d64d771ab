//! The SQL layer shared by the SQL connectors: the only place SQL text is assembled.
//!
//! A SQL connector is three pieces, two of them written once here:
//!
//! 1. a [`Dialect`] (`sql/sqlite.rs`, `sql/postgres.rs`, `sql/mysql.rs`): how the database
//!    spells SQL (quoting, placeholders, types, operators, catalog queries) and converts
//!    values, nothing else;
//! 2. [`SqlConnector<B>`](SqlConnector) (`sql/connector.rs`): the operations, once for every
//!    database. It implements [`loopback_core::Connector`] and [`Discovery`]: it computes a
//!    [`TableMapping`] per model at `Connector::define` and caches it ([`TableCache`]), asks
//!    the builders here for [`Statement`]s, runs them on the operation's connection
//!    ([`connection`]), decodes rows with [`Dialect::decode`], classifies driver errors,
//!    wraps transactions in [`SqlTransaction`], and builds and applies migration plans;
//! 3. a [`Backend`] in the connector module (`src/sqlite.rs`, `src/postgres.rs`,
//!    `src/mysql.rs`): what the driver and the database really do differently. Its
//!    associated types name the sqlx database and the dialect; its required methods bind a
//!    statement's parameters as driver types ([`Backend::bind`]), read a result column
//!    ([`Backend::raw_value`]) and count affected rows; hooks with defaults cover the rest
//!    (error codes in [`Backend::classify`], PostgreSQL's keyed statement text, streamed
//!    rows, default schema, `SERIAL` sequences and column widening, MySQL's last insert id
//!    and non-transactional DDL, SQLite's foreign keys inside `CREATE TABLE`, each
//!    database's `BEGIN`). The module also parses the data source settings, and names the connector:
//!    `pub type SqliteConnector = SqlConnector<SqliteBackend>`, with its constructors in an
//!    `impl SqliteConnector` block.
//!
//! [`SqlConnector<B>`](SqlConnector) is generic, not boxed: each connector is its own
//! monomorphised type, so binding parameters and decoding rows are direct calls into the
//! driver, with no dynamic dispatch or allocation added per query or per row over hand-written
//! sqlx. A new SQL database needs a `Dialect` and a `Backend`, and gets every operation,
//! discovery, migrations and transactions from them.
//!
//! # Building blocks
//!
//! - [`TableMapping::new`]`(dialect, def)`: table name (model setting `table`/`tableName` under
//!   the connector's key, else [`Dialect::default_name`] of the model name), optional
//!   `schema`, one [`ColumnMapping`] per property in property order (`columnName`, `dataType`,
//!   `dataLength`, `dataPrecision`/`precision`, `dataScale`/`scale`, `nullable` under the
//!   connector's key), id columns in id order, and indexes from property `index` settings and
//!   the model's `indexes`. [`TableMapping::matches`] tells whether a cached mapping still
//!   fits a definition.
//! - Queries: [`select`] (`where`, `order` then the ids, `limit`/`skip`, `fields`; gives the
//!   column positions to decode), [`count`].
//! - Writes: [`assign_generated_id`] (UUIDs for string ids), [`insert`] (with `RETURNING` the
//!   id when the dialect supports it, else the connector reads its last-insert-id),
//!   [`update`] (partial data; never changes ids), [`replace_by_id`] (every non-id column),
//!   [`delete`]. [`update`] and [`replace_by_id`] return [`Write::Count`] when there is
//!   nothing to set.
//! - Schema: [`ddl::create_table`], [`ddl::drop_table`], [`ddl::add_column`],
//!   [`Dialect::create_index`], and the catalog queries [`Dialect::table_exists_query`],
//!   [`Dialect::table_columns_query`], [`Dialect::table_indexes_query`].
//! - Migrations: a connector's `automigrate` and `autoupdate` build a [`MigrationPlan`]
//!   ([`Discovery::automigrate_plan`], [`Discovery::autoupdate_plan`]: the statements, grouped
//!   by model, without running them) and run it with [`Discovery::apply_migration`], so a dry
//!   run prints exactly what a migration executes.
//! - Discovery ([`discovery`]): [`Dialect::catalog_query`] lists tables, columns, primary and
//!   foreign keys; the [`Discovery`] trait builds LoopBack 3 model definitions from them and
//!   answers `isActual`.
//! - Transactions ([`transaction`]): `begin_transaction` begins a sqlx transaction with the
//!   backend's [`Backend::begin_statement`] and wraps it in a [`SqlTransaction`]; every
//!   operation runs on [`connection`]`(pool, options, ..)`, the transaction's connection when
//!   `options` carry one, else a pooled one.
//! - [`write_where`]: the `where` compiler, for statements a connector needs beyond these.
//!
//! # Guarantees
//!
//! - Every value is a bind parameter; identifiers come only from the [`TableMapping`] and are
//!   quoted. A property name that the model does not declare is refused with a 400
//!   ([`loopback_core::Error::InvalidFilter`]) in `where` and `order` (it is ignored in
//!   `fields`, and data properties without a column are not stored), never interpolated.
//! - `where` answers as the memory connector does for nulls: `eq null` is `IS NULL`,
//!   `neq null` is `IS NOT NULL`; `neq`, `nin`, `nlike`, `nilike` match null values;
//!   `inq []` matches nothing and `nin []` everything; `nor` negates safely under SQL's
//!   three-valued logic. A value that cannot be stored in the column (`"abc"` for a number)
//!   equals nothing and compares with nothing.
//! - Conditions on, and ordering by, dotted paths into JSON-stored object properties
//!   (`address.city`) read inside the JSON ([`Dialect::json_path`]), each path segment
//!   checked to be a plain name (a 400 otherwise); a path into a property that is not an
//!   object is a 400. Strings, numbers and booleans compare as on the memory connector; an
//!   order key on a path orders by the value's JSON type, then its number, then its text.
//! - `near`, conditions on paths into arrays and points and on the elements of array
//!   properties, patterns (`like`, `ilike`, `regexp`) on anything but strings, ordering
//!   comparisons on JSON-stored properties, and booleans inside JSON in anything but `eq`,
//!   `neq`, `inq` and `nin` are [`loopback_core::Error::NotSupported`] (501).
//! - A column the table lacks is [`loopback_core::Error::UnknownColumn`], classified from the
//!   database's error code ([`unknown_column`]).
//! - Results are in a deterministic order: the filter's order, then the ids (the ids alone
//!   when the filter has no order), as LoopBack's SQL connectors and the memory connector do.
//!
//! # Writing a dialect
//!
//! Implement [`Dialect`]: [`Dialect::name`], [`Dialect::syntax`] (quote character and
//! placeholder style), [`Dialect::column_type`] and the three catalog queries are required;
//! the rest have portable defaults (`LIKE … ESCAPE '\'`, `LOWER(col) LIKE LOWER(?)` for
//! `ilike`, no `regexp`, `LIMIT ? OFFSET ?`, `DEFAULT VALUES`, `RETURNING`, names kept as they
//! are, dates bound as [`loopback_core::Value::Date`], booleans as
//! [`loopback_core::Value::Bool`], JSON as text). What each database needs:
//!
//! | | SQLite ([`SqliteDialect`]) | PostgreSQL | MySQL |
//! |---|---|---|---|
//! | quoting, placeholders | `"x"`, `?` | `"x"`, `$n` | `` `x` ``, `?` |
//! | default names | kept | lower-cased | kept |
//! | `RETURNING` | yes | yes | no: last insert id |
//! | `like` | `LIKE` (case-sensitive pragma) | `LIKE` | `LIKE BINARY` / `_bin` collation |
//! | `ilike` | `LOWER(c) LIKE LOWER(?)` | `ILIKE` | `LIKE` under a `_ci` collation |
//! | `regexp`, flags | `REGEXP`, `(?i)` | `~` / `~*` | `REGEXP_LIKE(c, ?, 'c' / 'i')` |
//! | paging | `LIMIT ? OFFSET ?`, `LIMIT -1` for none | `LIMIT`/`OFFSET` | `LIMIT ?, ?` |
//! | dates | INTEGER epoch ms | `TIMESTAMPTZ` | `DATETIME(3)` |
//! | unique violation columns | from the message | from the constraint name | from the key name |
//!
//! Driver values are bound by the connector from [`loopback_core::Value`]: `Null`, `Bool`,
//! `Int`, `Float`, `String`, `Buffer`, and `Date` where the dialect keeps dates as dates.
//! Keep row counts honest for `UPDATE`: SQLite and PostgreSQL count matched rows; MySQL counts
//! changed rows unless the connection sets `CLIENT_FOUND_ROWS`.

mod backend;
mod builder;
mod connector;
pub mod ddl;
mod dialect;
pub mod discovery;
mod error;
mod mapping;
#[cfg(feature = "mysql")]
mod mysql;
mod pool;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
mod settings;
mod sqlite;
pub mod transaction;
pub mod value;
mod writer;

#[cfg(any(feature = "sqlite", feature = "mysql"))]
pub(crate) use backend::bind_portable;
pub use backend::Backend;
pub use builder::{
    assign_generated_id, count, delete, insert, replace_by_id, select, update, write_where, Insert,
    Select, Write,
};
pub use connector::SqlConnector;
pub use dialect::{not_supported, Dialect, JsonRead, Placeholders, Syntax};
pub use discovery::{
    CatalogQuery, DiscoverOptions, Discovery, MigrationPhase, MigrationPlan, MigrationStep,
};
pub use error::{classify, unknown_column, ErrorContext};
pub use mapping::{ColumnKind, ColumnMapping, IndexMapping, TableCache, TableMapping};
#[cfg(feature = "mysql")]
pub use mysql::{MySqlDialect, MYSQL_TABLE_COLLATION};
pub use pool::{ping_if_idle, PING_AFTER_IDLE};
#[cfg(feature = "postgres")]
pub use postgres::PostgresDialect;
#[cfg(feature = "postgres")]
pub(crate) use postgres::UUID_MESSAGE;
#[cfg(feature = "mysql")]
pub(crate) use settings::without_mysql_ssl_parameters;
#[cfg(feature = "postgres")]
pub(crate) use settings::without_ssl_parameter;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub(crate) use settings::Settings;
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) use settings::{Ssl, SslMode, SslModes};
pub use sqlite::{SqliteDialect, DECIMAL_COLLATION};
pub use transaction::{connection, Conn, SqlTransaction};
pub use writer::{SqlWriter, Statement};

#[cfg(test)]
mod tests;
