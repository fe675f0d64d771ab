//! The SQLite dialect (`sqlite3`).

use loopback_core::filter::{like_to_regex, RegexpPattern};
use loopback_core::{Result, Value};

use super::dialect::{
    affinity_type, dollar_json_path, push_index_columns, Dialect, JsonRead, Placeholders, Syntax,
};
use super::mapping::{ColumnKind, ColumnMapping, IndexMapping, TableMapping};
use super::value;
use super::writer::{SqlWriter, Statement};

/// SQLite, as LoopBack 3's `loopback-connector-sqlite3` maps models:
///
/// - names: the model name and property names as they are (SQLite compares identifiers
///   case-insensitively, so tables made by LoopBack 3, which lower-cases them, are read too);
///   `sqlite3.table` / `sqlite3.columnName` settings override them;
/// - types: `string` TEXT, `number` REAL (INTEGER for ids and integer `dataType`s), `boolean`
///   INTEGER 0/1, `date` INTEGER milliseconds since the epoch (so comparisons and ordering are
///   numeric), `buffer` BLOB, everything else JSON in TEXT;
/// - a single numeric id is `INTEGER PRIMARY KEY`, with `AUTOINCREMENT` when generated, so ids
///   are never reused;
/// - `like` is case-sensitive (the connector turns `PRAGMA case_sensitive_like` on), `ilike`
///   is `LOWER(col) LIKE LOWER(?)` (SQLite folds ASCII letters only), `regexp` uses the
///   `REGEXP` function of the `regex` crate, flags as inline `(?i)` / `(?m)`.
///
/// A `string` property whose `sqlite3.dataType` is `NUMERIC` / `DECIMAL` keeps exact
/// decimals: its column is TEXT (any tool reads it), values are checked to be decimal numbers
/// when written (exponents written out: `1.5e3` is stored as `1500`), and `WHERE` and
/// `ORDER BY` compare the column under the [`DECIMAL_COLLATION`] collation, which the
/// connector registers on every connection: by value, digit for digit.
#[derive(Debug, Clone, Copy, Default)]
pub struct SqliteDialect;

/// The collation comparing exact decimals stored as text by value
/// ([`super::value::compare_decimals`]); the SQLite connector registers it on its connections.
pub const DECIMAL_COLLATION: &str = "loopback_decimal";

impl SqliteDialect {
    /// The referencing columns of a table's foreign keys.
    #[cfg(feature = "sqlite")]
    pub(crate) fn foreign_key_columns_query(&self, table: &TableMapping) -> Statement {
        let mut w = SqlWriter::new(self.syntax());
        w.push("SELECT \"from\" FROM pragma_foreign_key_list(");
        w.push_param(Value::String(table.table.clone()));
        w.push(")");
        w.finish()
    }

    /// Whether the column is SQLite's rowid alias: the single id, an INTEGER.
    fn is_rowid(table: &TableMapping, c: &ColumnMapping) -> bool {
        c.is_id()
            && c.kind == ColumnKind::Integer
            && table.id_columns().count() == 1
            && c.declared_type().map_or(true, |t| t == "INTEGER")
    }
}

impl Dialect for SqliteDialect {
    fn name(&self) -> &'static str {
        "sqlite3"
    }

    fn syntax(&self) -> Syntax {
        Syntax {
            quote: '"',
            placeholders: Placeholders::Question,
        }
    }

    fn qualify_columns(&self) -> bool {
        true
    }

    fn write_like(
        &self,
        w: &mut SqlWriter,
        column: &str,
        pattern: &str,
        case_insensitive: bool,
    ) -> Result<()> {
        if !pattern.contains('\0') {
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
            return Ok(());
        }
        // SQLite's LIKE stops at a NUL character; the regex function does not.
        let flags = if case_insensitive { "(?si)" } else { "(?s)" };
        w.push(column);
        w.push(" REGEXP ");
        w.push_param(Value::String(format!(
            "{flags}\\A(?:{})\\z",
            like_to_regex(pattern)
        )));
        Ok(())
    }

    /// Text is `CAST(json_extract(col, '$."a"."b"') AS TEXT)` (booleans, which
    /// `json_extract` gives as 1 / 0, as `true` / `false`); numbers are `json_extract` when
    /// `json_type` says the value there is an integer or a real; types come from `json_type`.
    fn json_path(&self, column: &ColumnMapping, path: &[&str], read: JsonRead) -> Result<String> {
        let path = dollar_json_path(path);
        let col = &column.reference;
        let json_type = format!("json_type({col}, {path})");
        let booleans = "WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'";
        Ok(match read {
            JsonRead::Text => format!(
                "(CASE {json_type} {booleans} ELSE CAST(json_extract({col}, {path}) AS TEXT) END)"
            ),
            JsonRead::BooleanOrString => format!(
                "(CASE {json_type} {booleans} WHEN 'text' THEN json_extract({col}, {path}) END)"
            ),
            JsonRead::Number => format!(
                "(CASE WHEN {json_type} IN ('integer', 'real') \
                 THEN json_extract({col}, {path}) END)"
            ),
            JsonRead::TypeRank => format!(
                "(CASE {json_type} WHEN 'true' THEN 1 WHEN 'false' THEN 1 WHEN 'integer' THEN 2 \
                 WHEN 'real' THEN 2 WHEN 'text' THEN 4 WHEN 'array' THEN 7 \
                 WHEN 'object' THEN 8 END)"
            ),
        })
    }

    fn write_regexp(&self, w: &mut SqlWriter, column: &str, pattern: &RegexpPattern) -> Result<()> {
        let mut source = String::with_capacity(pattern.source.len() + 6);
        if pattern.case_insensitive || pattern.multiline {
            source.push_str("(?");
            if pattern.case_insensitive {
                source.push('i');
            }
            if pattern.multiline {
                source.push('m');
            }
            source.push(')');
        }
        source.push_str(&pattern.source);
        w.push(column);
        w.push(" REGEXP ");
        w.push_param(Value::String(source));
        Ok(())
    }

    fn write_limit_offset(&self, w: &mut SqlWriter, limit: Option<u64>, offset: Option<u64>) {
        // SQLite has no OFFSET without LIMIT; a negative limit is none.
        w.push(" LIMIT ");
        w.push_param(Value::Int(
            limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX)),
        ));
        if let Some(n) = offset {
            w.push(" OFFSET ");
            w.push_param(Value::Int(i64::try_from(n).unwrap_or(i64::MAX)));
        }
    }

    /// The declared type, else the kind's affinity; exact decimals are TEXT whatever their
    /// declared type (a NUMERIC column would store doubles).
    fn column_type(&self, column: &ColumnMapping) -> String {
        if column.kind == ColumnKind::Decimal {
            return "TEXT".into();
        }
        column
            .declared_type()
            .unwrap_or_else(|| affinity_type(column.kind).to_owned())
    }

    fn collation(&self, column: &ColumnMapping) -> Option<&'static str> {
        (column.kind == ColumnKind::Decimal).then_some(DECIMAL_COLLATION)
    }

    fn column_definition(
        &self,
        table: &TableMapping,
        column: &ColumnMapping,
        in_create: bool,
    ) -> String {
        let mut s = column.quoted.clone();
        s.push(' ');
        if in_create && Self::is_rowid(table, column) {
            s.push_str("INTEGER PRIMARY KEY");
            if column.generated {
                s.push_str(" AUTOINCREMENT");
            }
            return s;
        }
        s.push_str(&self.column_type(column));
        if in_create && !column.nullable {
            s.push_str(" NOT NULL");
        }
        s
    }

    fn primary_key_clause(&self, table: &TableMapping) -> Option<String> {
        let first = table.id_column()?;
        if Self::is_rowid(table, first) {
            return None;
        }
        let cols: Vec<&str> = table.id_columns().map(|c| c.quoted.as_str()).collect();
        Some(format!("PRIMARY KEY ({})", cols.join(", ")))
    }

    fn property_index_name(&self, table: &TableMapping, column: &ColumnMapping) -> String {
        // LoopBack 3's name: `<model>_<property>`.
        format!("{}_{}", table.table, column.name)
    }

    fn create_index(&self, table: &TableMapping, index: &IndexMapping) -> Statement {
        // SQLite qualifies the index, never the table it is on.
        let mut w = SqlWriter::new(self.syntax());
        w.push(if index.unique {
            "CREATE UNIQUE INDEX "
        } else {
            "CREATE INDEX "
        });
        if let Some(schema) = &table.schema {
            w.push_identifier(schema);
            w.push(".");
        }
        w.push_identifier(&index.name);
        w.push(" ON ");
        w.push_identifier(&table.table);
        w.push(" (");
        push_index_columns(&mut w, table, index);
        w.push(")");
        w.finish()
    }

    fn table_exists_query(&self, table: &TableMapping) -> Statement {
        let mut w = SqlWriter::new(self.syntax());
        w.push("SELECT name FROM ");
        if let Some(schema) = &table.schema {
            w.push_identifier(schema);
            w.push(".");
        }
        w.push("sqlite_master WHERE type = 'table' AND name = ");
        w.push_param(Value::String(table.table.clone()));
        w.push(" COLLATE NOCASE");
        w.finish()
    }

    fn table_columns_query(&self, table: &TableMapping) -> Statement {
        pragma_query(self.syntax(), "pragma_table_info", table)
    }

    fn catalog_query(&self, query: super::CatalogQuery<'_>) -> Result<Statement> {
        Ok(super::discovery::sqlite_catalog(
            SqlWriter::new(self.syntax()),
            query,
        ))
    }

    fn table_indexes_query(&self, table: &TableMapping) -> Statement {
        pragma_query(self.syntax(), "pragma_index_list", table)
    }

    /// As [`value::encode`], with dates as epoch milliseconds and exact decimals without an
    /// exponent ([`value::plain_decimal`]).
    fn encode(&self, column: &ColumnMapping, v: Value) -> std::result::Result<Value, String> {
        Ok(match value::encode(column, v)? {
            Value::Date(d) => Value::Int(d.timestamp_millis()),
            Value::String(s) if column.kind == ColumnKind::Decimal => {
                Value::String(value::plain_decimal(&s).ok_or_else(|| {
                    format!(
                        "is a decimal of more than {} digits",
                        value::MAX_PLAIN_DIGITS
                    )
                })?)
            }
            other => other,
        })
    }

    fn violated_columns<'t>(
        &self,
        table: &'t TableMapping,
        constraint: Option<&str>,
        message: &str,
    ) -> Vec<&'t ColumnMapping> {
        let _ = constraint;
        // "UNIQUE constraint failed: Product.name, Product.tag" (the kind is already known).
        let Some((_, list)) = message.split_once(": ") else {
            return Vec::new();
        };
        let prefix = format!("{}.", table.table);
        list.split(", ")
            .filter_map(|qualified| {
                let column = match qualified.get(..prefix.len()) {
                    Some(p) if p.eq_ignore_ascii_case(&prefix) => &qualified[prefix.len()..],
                    _ => qualified.rsplit_once('.').map_or(qualified, |(_, c)| c),
                };
                table.column_named(column)
            })
            .collect()
    }

    fn is_unavailable(&self, code: &str) -> bool {
        // Primary result codes: BUSY, LOCKED, IOERR, FULL, CANTOPEN, PROTOCOL.
        code.parse::<i32>()
            .is_ok_and(|c| matches!(c & 0xff, 5 | 6 | 10 | 13 | 14 | 15))
    }
}

/// `SELECT name FROM pragma_x(?[, ?])`: a table-valued pragma with the table (and schema) as
/// parameters.
fn pragma_query(syntax: Syntax, pragma: &str, table: &TableMapping) -> Statement {
    let mut w = SqlWriter::new(syntax);
    w.push("SELECT name FROM ");
    w.push(pragma);
    w.push("(");
    w.push_param(Value::String(table.table.clone()));
    if let Some(schema) = &table.schema {
        w.push(", ");
        w.push_param(Value::String(schema.clone()));
    }
    w.push(")");
    w.finish()
}
