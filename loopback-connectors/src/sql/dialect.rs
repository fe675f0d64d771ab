//! The [`Dialect`] trait: everything that differs between SQL databases, and nothing else.

use std::fmt;

use loopback_core::filter::RegexpPattern;
use loopback_core::{Error, Result, Value};

use super::discovery::CatalogQuery;
use super::mapping::{ColumnKind, ColumnMapping, IndexMapping, TableMapping};
use super::value;
use super::writer::{SqlWriter, Statement};

/// The parts of SQL that differ between databases: identifier quoting, placeholders, pattern
/// operators, paging, default naming, DDL types, catalog queries and value conversion.
///
/// The statement builders in this module call these methods and assemble everything else, so a
/// new database needs only a `Dialect` (here, in `sql/`) and a connector module that runs the
/// built [`Statement`]s with its driver. Every method that has a portable answer has a default;
/// a dialect overrides only what its database does differently.
///
/// Methods that write SQL get a [`SqlWriter`]: they add fixed text and already quoted
/// identifiers with `push`, and values only with [`SqlWriter::push_param`], so a value can
/// never end up in the SQL text.
pub trait Dialect: Send + Sync + fmt::Debug + 'static {
    /// LoopBack's connector name (`sqlite3`, `postgresql`, `mysql`): the key of per-model
    /// (`table`, `schema`) and per-property (`columnName`, `dataType`, ...) settings.
    fn name(&self) -> &'static str;

    /// How identifiers are quoted and parameters written.
    fn syntax(&self) -> Syntax;

    /// Whether columns are written with their table (`"Book"."title"`) where a query reads
    /// them: in the select list, `WHERE` and `ORDER BY`. SQLite takes a double-quoted name
    /// that is no column for a string literal, so a query naming a column its table lacks (a
    /// model ahead of an un-migrated table) would silently compare text; a qualified name is
    /// an error there instead ("no such column").
    fn qualify_columns(&self) -> bool {
        false
    }

    /// Whether `INSERT … RETURNING` gives back the generated id. When false the connector reads
    /// its driver's last-insert-id instead (MySQL).
    fn supports_returning(&self) -> bool {
        true
    }

    /// The database name of a model or property that has no explicit `table` / `columnName`
    /// setting. LoopBack 3's PostgreSQL connector lower-cases names; the others keep them.
    fn default_name(&self, name: &str) -> String {
        name.to_owned()
    }

    /// Writes a `LIKE` test of `column` (already quoted) against `pattern`, in LoopBack's
    /// pattern syntax: `%` and `_` wildcards, `\` escaping the next character, case-sensitive
    /// unless `case_insensitive` (`ilike`). The builder adds null handling and negation around
    /// it. Return [`Error::NotSupported`] (see [`not_supported`]) for what the database cannot
    /// do.
    fn write_like(
        &self,
        w: &mut SqlWriter,
        column: &str,
        pattern: &str,
        case_insensitive: bool,
    ) -> Result<()> {
        if case_insensitive {
            w.push("LOWER(");
            w.push(column);
            w.push(") LIKE LOWER(");
            w.push_param(Value::String(pattern.to_owned()));
            w.push(")");
        } else {
            w.push(column);
            w.push(" LIKE ");
            w.push_param(Value::String(pattern.to_owned()));
        }
        w.push(" ESCAPE '\\'");
        Ok(())
    }

    /// Writes `column IN (…)` (`NOT IN` when `negated`) for `values`, a non-empty list of
    /// values already encoded for the column `c`. The builder adds null handling around it.
    /// The default binds one placeholder per value, each with [`Dialect::write_value`].
    fn write_in(
        &self,
        w: &mut SqlWriter,
        c: &ColumnMapping,
        column: &str,
        values: Vec<Value>,
        negated: bool,
    ) {
        write_in_placeholders(w, column, values, negated, |w, v| self.write_value(w, c, v));
    }

    /// Writes a value already encoded for the column `c` ([`Dialect::encode`]) where SQL
    /// compares it with the column or stores it there: a bind parameter, which the dialect
    /// may cast to the column's type (PostgreSQL: `$1::uuid` for a `UUID` column, whose
    /// parameter is bound as text; MySQL: decimals as `DECIMAL`, so comparisons stay exact).
    /// The default is the bare parameter.
    fn write_value(&self, w: &mut SqlWriter, c: &ColumnMapping, v: Value) {
        let _ = c;
        w.push_param(v);
    }

    /// An expression reading the value at `path` inside the JSON-stored column `column`
    /// (`address.city` is the column of `address` and `["city"]`), for conditions on and
    /// ordering by nested properties; `read` says which reading (see [`JsonRead`]). Each
    /// segment is a name of letters, digits, `_` and `-` (checked by the builder) or an array
    /// index; the dialect still quotes them as literals of its own path syntax. The default is
    /// [`Error::NotSupported`].
    fn json_path(&self, column: &ColumnMapping, path: &[&str], read: JsonRead) -> Result<String> {
        let _ = (column, read);
        Err(not_supported(
            self.name(),
            format!("conditions on nested properties (`{}`)", path.join(".")),
        ))
    }

    /// The collation a column is compared and ordered with in `WHERE` and `ORDER BY`
    /// (`col COLLATE name`), if any (SQLite: exact decimals stored as text, see
    /// [`super::value::compare_decimals`]). The name is written into SQL as it is. The default
    /// is `None`.
    fn collation(&self, column: &ColumnMapping) -> Option<&'static str> {
        let _ = column;
        None
    }

    /// Whether a relation's keys must be compared as text in its subquery: `from` and `to`
    /// are the columns the condition joins, and the answer is the type both are cast to
    /// (PostgreSQL: `text` when one is a `UUID` column and the other is not, as there is no
    /// `=` between `uuid` and `text`). The default is `None`: the columns compare as they are.
    fn related_key_cast(&self, from: &ColumnMapping, to: &ColumnMapping) -> Option<&'static str> {
        let _ = (from, to);
        None
    }

    /// Writes a regular-expression test of `column` against `pattern` (its flags included), or
    /// returns [`Error::NotSupported`]. The pattern has been checked to compile with the
    /// `regex` crate; the builder adds null handling.
    fn write_regexp(&self, w: &mut SqlWriter, column: &str, pattern: &RegexpPattern) -> Result<()> {
        let _ = (w, column, pattern);
        Err(not_supported(self.name(), "the `regexp` operator"))
    }

    /// Writes the paging clause, starting with a space. Both bounds are bind parameters.
    /// The default is `LIMIT n OFFSET m`, with either part left out when absent.
    fn write_limit_offset(&self, w: &mut SqlWriter, limit: Option<u64>, offset: Option<u64>) {
        if let Some(n) = limit {
            w.push(" LIMIT ");
            w.push_param(Value::Int(clamp(n)));
        }
        if let Some(n) = offset {
            w.push(" OFFSET ");
            w.push_param(Value::Int(clamp(n)));
        }
    }

    /// Whether a subquery in a condition must read from a derived table (`SELECT k FROM
    /// (SELECT k FROM t WHERE …) AS s`): MySQL refuses an `UPDATE`/`DELETE` whose condition
    /// reads the table being changed unless the rows are materialised first (error 1093;
    /// MariaDB since 10.3 accepts both forms).
    fn derived_subqueries(&self) -> bool {
        false
    }

    /// The tail of an `INSERT INTO t` that sets no column: `DEFAULT VALUES` (MySQL: `() VALUES ()`).
    fn insert_default_values(&self) -> &'static str {
        " DEFAULT VALUES"
    }

    /// The SQL type of a column for `CREATE TABLE` / `ALTER TABLE ADD`, without constraints.
    /// [`ColumnMapping::declared_type`] gives the type declared with `dataType` (and
    /// `dataLength` / `precision` / `scale`) when there is one.
    fn column_type(&self, column: &ColumnMapping) -> String;

    /// The whole definition of a column in `CREATE TABLE`: name, type and constraints. The
    /// default writes `"name" TYPE [NOT NULL]`; primary keys are declared by
    /// [`Dialect::primary_key_clause`]. `in_create` is false for `ALTER TABLE … ADD`, where
    /// the column is always nullable (existing rows have no value).
    fn column_definition(
        &self,
        table: &TableMapping,
        column: &ColumnMapping,
        in_create: bool,
    ) -> String {
        let _ = table;
        let mut s = column.quoted.clone();
        s.push(' ');
        s.push_str(&self.column_type(column));
        if in_create && !column.nullable {
            s.push_str(" NOT NULL");
        }
        s
    }

    /// Options written after the column list of `CREATE TABLE` (MySQL: engine, character set
    /// and collation), if any.
    fn table_options(&self) -> Option<String> {
        None
    }

    /// The table constraint declaring the primary key, if the table needs one:
    /// `PRIMARY KEY ("a", "b")` by default.
    fn primary_key_clause(&self, table: &TableMapping) -> Option<String> {
        table.id_columns().next()?;
        let cols: Vec<&str> = table.id_columns().map(|c| c.quoted.as_str()).collect();
        Some(format!("PRIMARY KEY ({})", cols.join(", ")))
    }

    /// The name of the index that a property's `index` setting asks for.
    fn property_index_name(&self, table: &TableMapping, column: &ColumnMapping) -> String {
        format!("{}_{}_idx", table.table, column.name)
    }

    /// `CREATE [UNIQUE] INDEX` for one index of the table.
    fn create_index(&self, table: &TableMapping, index: &IndexMapping) -> Statement {
        let mut w = SqlWriter::new(self.syntax());
        w.push(if index.unique {
            "CREATE UNIQUE INDEX "
        } else {
            "CREATE INDEX "
        });
        w.push_identifier(&index.name);
        w.push(" ON ");
        w.push(&table.qualified);
        w.push(" (");
        push_index_columns(&mut w, table, index);
        w.push(")");
        w.finish()
    }

    /// A query returning one row per existing table named like the mapping's table (any
    /// columns); no row means the table does not exist.
    fn table_exists_query(&self, table: &TableMapping) -> Statement;

    /// A query returning the existing column names of the mapping's table, one per row, in its
    /// first result column.
    fn table_columns_query(&self, table: &TableMapping) -> Statement;

    /// A query returning the existing index names of the mapping's table, one per row, in its
    /// first result column.
    fn table_indexes_query(&self, table: &TableMapping) -> Statement;

    /// A catalog query for discovery (see [`CatalogQuery`] for the result columns each one
    /// returns). The default is [`Error::NotSupported`].
    fn catalog_query(&self, query: CatalogQuery<'_>) -> Result<Statement> {
        let _ = query;
        Err(not_supported(self.name(), "discovery"))
    }

    /// Converts a property value to the value bound for its column. `Err` carries a message
    /// ("is not a number") for values that do not fit: a write then fails with a 400, and a
    /// condition comparing with it matches nothing (as on the memory connector).
    ///
    /// The default binds dates as [`Value::Date`], booleans as [`Value::Bool`] and objects,
    /// arrays and points as JSON text; see [`value::encode`].
    fn encode(&self, column: &ColumnMapping, v: Value) -> std::result::Result<Value, String> {
        value::encode(column, v)
    }

    /// Converts a value read from a column (as the driver gave it: null, integer, float, text,
    /// bytes, or richer types where the driver has them) back to the property's type. Never
    /// fails: what does not convert is returned as read. See [`value::decode`].
    fn decode(&self, column: &ColumnMapping, v: Value) -> Value {
        value::decode(column, v)
    }

    /// The columns named by a unique, not-null or foreign-key violation, for the error's
    /// property names. Called only after the error was classified by its kind. The default
    /// maps `constraint` (the driver's constraint name) to one of the table's indexes.
    fn violated_columns<'t>(
        &self,
        table: &'t TableMapping,
        constraint: Option<&str>,
        message: &str,
    ) -> Vec<&'t ColumnMapping> {
        let _ = message;
        let Some(name) = constraint else {
            return Vec::new();
        };
        table
            .indexes
            .iter()
            .find(|i| i.name == name)
            .map(|i| i.columns.iter().map(|(c, _)| &table.columns[*c]).collect())
            .unwrap_or_default()
    }

    /// Whether a database error code (the driver's `code()`) means the database is
    /// unreachable, busy or out of resources, so the request may succeed later (503).
    fn is_unavailable(&self, code: &str) -> bool {
        let _ = code;
        false
    }
}

/// How [`Dialect::json_path`] reads the value at a path inside a JSON document. Every reading
/// is SQL NULL when the column is null, the path is missing or holds a JSON null.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonRead {
    /// The value as text: strings as they are, numbers in their JSON form, booleans as `true`
    /// / `false`; NULL only for a null or missing value (objects and arrays may read as their
    /// JSON text or as NULL, depending on the database).
    Text,
    /// The value as a number, NULL unless it is a JSON number.
    Number,
    /// The text of a boolean (`true` / `false`) or of a string, NULL for anything else: what a
    /// condition with boolean operands compares (a boolean equals itself and the string
    /// `"true"` / `"false"`, as on the memory connector).
    BooleanOrString,
    /// The rank of the value's JSON type in the memory connector's sort order: 1 for booleans,
    /// 2 for numbers, 4 for strings, 7 for arrays, 8 for objects, NULL for null or missing.
    TypeRank,
}

/// The lexical conventions of a dialect: enough for [`SqlWriter`] to quote identifiers and
/// number parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Syntax {
    /// The identifier quote character: `"` (SQLite, PostgreSQL) or `` ` `` (MySQL). A quote
    /// inside an identifier is doubled.
    pub quote: char,
    /// How bind parameters are written.
    pub placeholders: Placeholders,
}

/// How bind parameters are written in SQL text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholders {
    /// `?` for every parameter (SQLite, MySQL).
    Question,
    /// `$1`, `$2`, … (PostgreSQL).
    Dollar,
}

/// The error for an operator or feature a database lacks (HTTP 501).
pub fn not_supported(connector: &str, feature: impl Into<String>) -> Error {
    Error::NotSupported {
        connector: connector.to_owned(),
        feature: feature.into(),
    }
}

/// Writes an index's column list: `"a", "b" DESC`.
/// `column IN ($1, …)` (`NOT IN` when `negated`): one placeholder per value, the default of
/// [`Dialect::write_in`].
pub(crate) fn write_in_placeholders(
    w: &mut SqlWriter,
    column: &str,
    values: Vec<Value>,
    negated: bool,
    mut write_value: impl FnMut(&mut SqlWriter, Value),
) {
    w.push(column);
    w.push(if negated { " NOT IN (" } else { " IN (" });
    for (n, v) in values.into_iter().enumerate() {
        if n > 0 {
            w.push(", ");
        }
        write_value(w, v);
    }
    w.push(")");
}

pub(crate) fn push_index_columns(w: &mut SqlWriter, table: &TableMapping, index: &IndexMapping) {
    for (i, (col, desc)) in index.columns.iter().enumerate() {
        if i > 0 {
            w.push(", ");
        }
        w.push(&table.columns[*col].quoted);
        if *desc {
            w.push(" DESC");
        }
    }
}

/// The type a column gets from its kind when nothing is declared, for dialects whose types
/// are those of SQLite's affinities.
pub(crate) fn affinity_type(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::String | ColumnKind::Json => "TEXT",
        ColumnKind::Integer | ColumnKind::Boolean | ColumnKind::Date => "INTEGER",
        ColumnKind::Number => "REAL",
        ColumnKind::Decimal => "NUMERIC",
        ColumnKind::Buffer => "BLOB",
    }
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A JSON path in the `$."a"."b"[0]` syntax of MySQL and SQLite: names double-quoted, all-digit
/// segments as array indexes. Segments hold only letters, digits, `_` and `-` (the builder
/// checks them), so neither the quotes of the path nor those of the SQL literal it goes into
/// can be closed by one.
pub(crate) fn dollar_json_path(path: &[&str]) -> String {
    let mut out = String::from("'$");
    for segment in path {
        debug_assert!(segment
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-'));
        if segment.bytes().all(|b| b.is_ascii_digit()) {
            out.push('[');
            out.push_str(segment);
            out.push(']');
        } else {
            out.push_str(".\"");
            out.push_str(segment);
            out.push('"');
        }
    }
    out.push('\'');
    out
}
