//! The MySQL / MariaDB dialect (`mysql`).

use chrono::{Datelike, SubsecRound};
use loopback_core::filter::RegexpPattern;
use loopback_core::{Result, Value};

use super::dialect::{dollar_json_path, Dialect, JsonRead, Placeholders, Syntax};
use super::mapping::{ColumnKind, ColumnMapping, IndexMapping, TableMapping};
use super::value;
use super::writer::{SqlWriter, Statement};

/// The collation of the tables `automigrate` creates: byte-wise and without trailing-space
/// padding, so `=`, ordering, `like` and `regexp` are case-sensitive and exact, as on the
/// memory connector. `ilike` folds case explicitly.
pub const MYSQL_TABLE_COLLATION: &str = "utf8mb4_nopad_bin";

/// The escape character written in `LIKE … ESCAPE`: not the backslash, whose meaning inside a
/// string literal depends on the server's `NO_BACKSLASH_ESCAPES` mode.
const LIKE_ESCAPE: char = '|';

/// MySQL and MariaDB, as LoopBack 3's `loopback-connector-mysql` maps models:
///
/// - names: the model name and property names as they are; `mysql.table` /
///   `mysql.columnName` settings override them;
/// - types: `string` `VARCHAR(512)` (`VARCHAR(255)` for ids and indexed properties, whose keys
///   MySQL limits), `number` `DOUBLE` (an integer `dataType` such as `INT` or `BIGINT` keeps
///   exact integers; numeric ids are `INT`), `boolean` `TINYINT(1)`, `date` `DATETIME(3)` in
///   UTC, `buffer` `BLOB`, objects, arrays, `any` and `geopoint` JSON in `TEXT`; a generated
///   numeric id is `AUTO_INCREMENT`; a `dataType` (with `dataLength`, `dataPrecision`,
///   `dataScale`) replaces the type;
/// - tables are `ENGINE=InnoDB`, `utf8mb4` (4-byte characters included) with the
///   [`MYSQL_TABLE_COLLATION`] collation;
/// - `like` is `LIKE` under that collation (case-sensitive), `ilike` is
///   `LOWER(col) LIKE LOWER(?)`, `regexp` is MariaDB's PCRE `REGEXP` with `(?i)` for the `i`
///   flag, `(?-i)` otherwise, and `(?m)` for `m`;
/// - there is no `RETURNING`: the connector reads the last insert id.
#[derive(Debug, Clone, Copy, Default)]
pub struct MySqlDialect;

impl MySqlDialect {
    /// The column's type, knowing whether it is part of an index (string keys are shorter).
    fn type_in(&self, table: Option<&TableMapping>, column: &ColumnMapping) -> String {
        if let Some(t) = column.declared_type() {
            return t;
        }
        match column.kind {
            ColumnKind::String => {
                let keyed = column.is_id()
                    || table.is_some_and(|t| {
                        t.indexes.iter().any(|i| {
                            i.columns
                                .iter()
                                .any(|(c, _)| t.columns[*c].property == column.property)
                        })
                    });
                let len = column.data_length.unwrap_or(if keyed { 255 } else { 512 });
                format!("VARCHAR({len})")
            }
            ColumnKind::Integer => "INT".into(),
            ColumnKind::Number => "DOUBLE".into(),
            ColumnKind::Decimal => "DECIMAL(65,30)".into(),
            ColumnKind::Boolean => "TINYINT(1)".into(),
            ColumnKind::Date => "DATETIME(3)".into(),
            ColumnKind::Buffer => "BLOB".into(),
            ColumnKind::Json => "TEXT".into(),
        }
    }

    /// Whether the single id is numeric and generated: `AUTO_INCREMENT`.
    fn is_auto_increment(table: &TableMapping, c: &ColumnMapping) -> bool {
        c.is_id()
            && c.generated
            && matches!(c.kind, ColumnKind::Integer | ColumnKind::Number)
            && table.id_columns().count() == 1
    }
}

/// A LoopBack `like` pattern (`\` escapes the next character) rewritten for
/// `ESCAPE '|'`.
fn like_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next) => {
                    out.push(LIKE_ESCAPE);
                    out.push(next);
                }
                // A trailing backslash stands for itself.
                None => out.push('\\'),
            },
            LIKE_ESCAPE => {
                out.push(LIKE_ESCAPE);
                out.push(LIKE_ESCAPE);
            }
            other => out.push(other),
        }
    }
    out
}

/// The type names MySQL cannot index without a prefix length.
fn needs_prefix(sql_type: &str) -> bool {
    let t = sql_type.to_ascii_uppercase();
    t.ends_with("TEXT") || t.ends_with("BLOB") || t == "JSON"
}

impl Dialect for MySqlDialect {
    fn derived_subqueries(&self) -> bool {
        true
    }

    fn name(&self) -> &'static str {
        "mysql"
    }

    fn syntax(&self) -> Syntax {
        Syntax {
            quote: '`',
            placeholders: Placeholders::Question,
        }
    }

    fn supports_returning(&self) -> bool {
        false
    }

    fn write_like(
        &self,
        w: &mut SqlWriter,
        column: &str,
        pattern: &str,
        case_insensitive: bool,
    ) -> Result<()> {
        let pattern = Value::String(like_pattern(pattern));
        if case_insensitive {
            w.push("LOWER(");
            w.push(column);
            w.push(") LIKE LOWER(");
            w.push_param(pattern);
            w.push(")");
        } else {
            w.push(column);
            w.push(" LIKE ");
            w.push_param(pattern);
        }
        w.push(" ESCAPE '|'");
        Ok(())
    }

    fn write_regexp(&self, w: &mut SqlWriter, column: &str, pattern: &RegexpPattern) -> Result<()> {
        let mut source = String::with_capacity(pattern.source.len() + 8);
        // PCRE folds case when the column's collation does; say what the filter asked for.
        source.push_str(if pattern.case_insensitive {
            "(?i)"
        } else {
            "(?-i)"
        });
        if pattern.multiline {
            source.push_str("(?m)");
        }
        source.push_str(&pattern.source);
        w.push(column);
        w.push(" REGEXP ");
        w.push_param(Value::String(source));
        Ok(())
    }

    /// Text is `JSON_VALUE(col, '$."a"."b"')` (booleans through `JSON_UNQUOTE(JSON_EXTRACT(…))`,
    /// as MariaDB's `JSON_VALUE` gives `1` / `0` for them) in the tables' binary collation
    /// (case-sensitive, as other text); numbers are `JSON_EXTRACT(…) + 0` when `JSON_TYPE`
    /// says the value there is a number; types come from `JSON_TYPE`.
    fn json_path(&self, column: &ColumnMapping, path: &[&str], read: JsonRead) -> Result<String> {
        let path = dollar_json_path(path);
        let col = &column.reference;
        let extract = format!("JSON_EXTRACT({col}, {path})");
        let json_type = format!("JSON_TYPE({extract})");
        let text = |only: &str| {
            format!(
                "(CONVERT(CASE WHEN {json_type} = 'BOOLEAN' THEN JSON_UNQUOTE({extract}) \
                 {only} ELSE JSON_VALUE({col}, {path}) END USING utf8mb4) \
                 COLLATE {MYSQL_TABLE_COLLATION})"
            )
        };
        Ok(match read {
            JsonRead::Text => text(""),
            JsonRead::BooleanOrString => text(&format!("WHEN {json_type} <> 'STRING' THEN NULL")),
            JsonRead::Number => format!(
                "(CASE WHEN {json_type} IN ('INTEGER', 'UNSIGNED INTEGER', 'DOUBLE', 'DECIMAL') \
                 THEN {extract} + 0 END)"
            ),
            JsonRead::TypeRank => format!(
                "(CASE {json_type} WHEN 'BOOLEAN' THEN 1 WHEN 'INTEGER' THEN 2 \
                 WHEN 'UNSIGNED INTEGER' THEN 2 WHEN 'DOUBLE' THEN 2 WHEN 'DECIMAL' THEN 2 \
                 WHEN 'STRING' THEN 4 WHEN 'ARRAY' THEN 7 WHEN 'OBJECT' THEN 8 END)"
            ),
        })
    }

    /// Decimal text is cast to the widest `DECIMAL`: MySQL compares a `DECIMAL` column with
    /// a string as two doubles, which loses digits.
    fn write_value(&self, w: &mut SqlWriter, c: &ColumnMapping, v: Value) {
        if c.kind == ColumnKind::Decimal && !v.is_null() {
            w.push("CAST(");
            w.push_param(v);
            w.push(" AS DECIMAL(65,30))");
        } else {
            w.push_param(v);
        }
    }

    fn write_limit_offset(&self, w: &mut SqlWriter, limit: Option<u64>, offset: Option<u64>) {
        // MySQL has no OFFSET without LIMIT: the largest limit stands for none.
        w.push(" LIMIT ");
        w.push_param(Value::Int(
            limit.map_or(i64::MAX, |n| i64::try_from(n).unwrap_or(i64::MAX)),
        ));
        if let Some(n) = offset {
            w.push(" OFFSET ");
            w.push_param(Value::Int(i64::try_from(n).unwrap_or(i64::MAX)));
        }
    }

    fn insert_default_values(&self) -> &'static str {
        " () VALUES ()"
    }

    fn column_type(&self, column: &ColumnMapping) -> String {
        self.type_in(None, column)
    }

    fn column_definition(
        &self,
        table: &TableMapping,
        column: &ColumnMapping,
        in_create: bool,
    ) -> String {
        let mut s = column.quoted.clone();
        s.push(' ');
        s.push_str(&self.type_in(Some(table), column));
        if in_create && !column.nullable {
            s.push_str(" NOT NULL");
        }
        if in_create && Self::is_auto_increment(table, column) {
            s.push_str(" AUTO_INCREMENT");
        }
        s
    }

    fn table_options(&self) -> Option<String> {
        Some(format!(
            "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={MYSQL_TABLE_COLLATION}"
        ))
    }

    fn property_index_name(&self, table: &TableMapping, column: &ColumnMapping) -> String {
        // Index names are per table in MySQL; LoopBack 3 names them after the column.
        let _ = table;
        column.name.clone()
    }

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
        for (i, (pos, desc)) in index.columns.iter().enumerate() {
            if i > 0 {
                w.push(", ");
            }
            let c = &table.columns[*pos];
            w.push(&c.quoted);
            if needs_prefix(&self.type_in(Some(table), c)) {
                w.push("(255)");
            }
            if *desc {
                w.push(" DESC");
            }
        }
        w.push(")");
        w.finish()
    }

    fn table_exists_query(&self, table: &TableMapping) -> Statement {
        catalog_query(
            self.syntax(),
            "SELECT TABLE_NAME FROM information_schema.TABLES",
            table,
        )
    }

    fn table_columns_query(&self, table: &TableMapping) -> Statement {
        catalog_query(
            self.syntax(),
            "SELECT COLUMN_NAME FROM information_schema.COLUMNS",
            table,
        )
    }

    fn catalog_query(&self, query: super::CatalogQuery<'_>) -> Result<Statement> {
        Ok(super::discovery::information_schema_catalog(
            SqlWriter::new(self.syntax()),
            query,
            "DATABASE()",
            false,
        ))
    }

    fn table_indexes_query(&self, table: &TableMapping) -> Statement {
        catalog_query(
            self.syntax(),
            "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS",
            table,
        )
    }

    fn encode(&self, column: &ColumnMapping, v: Value) -> std::result::Result<Value, String> {
        Ok(match value::encode(column, v)? {
            Value::Date(d) => {
                if !(1000..=9999).contains(&d.year()) {
                    return Err("is outside the dates MySQL holds (years 1000 to 9999)".into());
                }
                // DATETIME(3) keeps milliseconds: compare with what is stored.
                Value::Date(d.trunc_subsecs(3))
            }
            other => other,
        })
    }

    fn decode(&self, column: &ColumnMapping, v: Value) -> Value {
        // Text in a binary collation reaches the driver flagged as binary: give it back its
        // text form unless the property is a buffer.
        let v = match v {
            Value::Buffer(b) if column.kind != ColumnKind::Buffer => match String::from_utf8(b) {
                Ok(s) => Value::String(s),
                Err(e) => Value::Buffer(e.into_bytes()),
            },
            other => other,
        };
        value::decode(column, v)
    }

    fn violated_columns<'t>(
        &self,
        table: &'t TableMapping,
        constraint: Option<&str>,
        message: &str,
    ) -> Vec<&'t ColumnMapping> {
        let _ = constraint;
        // Duplicate entry '…' for key 'name' (MySQL 8: 'table.name').
        if let Some((_, key)) = message.rsplit_once(" for key '") {
            let key = key.strip_suffix('\'').unwrap_or(key);
            let key = match key.split_once('.') {
                Some((t, k)) if t.eq_ignore_ascii_case(&table.table) => k,
                _ => key,
            };
            if key.eq_ignore_ascii_case("PRIMARY") {
                return table.id_columns().collect();
            }
            return match table
                .indexes
                .iter()
                .find(|i| i.name.eq_ignore_ascii_case(key))
            {
                Some(i) => i.columns.iter().map(|(c, _)| &table.columns[*c]).collect(),
                None => table.column_named(key).into_iter().collect(),
            };
        }
        // Column 'x' cannot be null / Field 'x' doesn't have a default value.
        for prefix in ["Column '", "Field '"] {
            if let Some(rest) = message.strip_prefix(prefix) {
                if let Some((name, _)) = rest.split_once('\'') {
                    return table.column_named(name).into_iter().collect();
                }
            }
        }
        Vec::new()
    }

    fn is_unavailable(&self, code: &str) -> bool {
        // SQLSTATE class 08 (connection exceptions) and 40001 (deadlock: retry).
        code.starts_with("08") || code == "40001"
    }
}

/// `SELECT … FROM information_schema.X WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`, the schema
/// being the mapping's or the connection's database.
fn catalog_query(syntax: Syntax, select: &str, table: &TableMapping) -> Statement {
    let mut w = SqlWriter::new(syntax);
    w.push(select);
    w.push(" WHERE TABLE_SCHEMA = ");
    match &table.schema {
        Some(s) => w.push_param(Value::String(s.clone())),
        None => w.push("DATABASE()"),
    }
    w.push(" AND TABLE_NAME = ");
    w.push_param(Value::String(table.table.clone()));
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_use_a_literal_escape() {
        assert_eq!(like_pattern("a\\%b|c\\"), "a|%b||c\\");
        assert_eq!(like_pattern("50\\_off%"), "50|_off%");
    }
}
