//! The PostgreSQL dialect (`postgresql`).

use loopback_core::data::coerce_value;
use loopback_core::filter::RegexpPattern;
use loopback_core::{PropertyType, Result, Value};

use super::dialect::{write_in_placeholders, Dialect, JsonRead, Placeholders, Syntax};
use super::mapping::{ColumnKind, ColumnMapping, TableMapping};
use super::value;
use super::writer::{quote, SqlWriter, Statement};

/// PostgreSQL, as LoopBack 3's `loopback-connector-postgresql` maps models:
///
/// - names: model and property names lower-cased (`postgresql.table` / `postgresql.columnName`
///   override them, and are used as given), tables in the model's `postgresql.schema`, else
///   in the data source's `schema`, else in the connection's `search_path`;
/// - types: `string` TEXT (`VARCHAR(n)` with `dataLength`), `number` DOUBLE PRECISION
///   (LoopBack 3 uses INTEGER, which cannot hold `10.5`; declare `dataType` `INTEGER`,
///   `BIGINT` or `NUMERIC(p,s)` for those), numeric ids INTEGER, `boolean` BOOLEAN, `date`
///   TIMESTAMP WITH TIME ZONE, `buffer` BYTEA, `geopoint` POINT (`(lng,lat)` as LoopBack 3
///   stores it), objects, arrays and `any` JSON text in TEXT;
/// - a generated numeric id is SERIAL (BIGSERIAL when its `dataType` is a 64-bit integer), a
///   generated string id defaults to `gen_random_uuid()` in the database (the connector also
///   fills it in itself);
/// - `like` / `ilike` are `LIKE` / `ILIKE … ESCAPE '\'`, `regexp` is `~` (`~*` with the `i`
///   flag), with Rust's `regex` reading of `.` and `^`/`$` (the `m` flag included) given by
///   the embedded options `(?p)` / `(?n)`.
///
/// PostgreSQL text cannot hold the NUL character: a string with one is refused with a 400 when
/// written, and equals nothing when compared.
#[derive(Debug, Clone, Copy, Default)]
pub struct PostgresDialect;

/// The message for strings a `UUID` column cannot store.
pub(crate) const UUID_MESSAGE: &str = "is not a UUID";

/// The message for strings PostgreSQL cannot store.
const NUL_MESSAGE: &str = "contains a NUL character (\\u0000), which PostgreSQL text cannot hold";

impl PostgresDialect {
    /// `"schema"."table"`, quoted, for a mapping that gets its schema from the data source.
    pub fn qualified_name(&self, schema: &str, table: &str) -> String {
        format!(
            "{}.{}",
            quote(self.syntax(), schema),
            quote(self.syntax(), table)
        )
    }

    /// A query returning, for each column of the table, its name, its type as
    /// `format_type` writes it (`character varying(20)`, `double precision`, …) and whether
    /// it is NOT NULL.
    pub fn column_types_query(&self, table: &TableMapping) -> Statement {
        let mut w = SqlWriter::new(self.syntax());
        w.push(
            "SELECT a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod), \
             a.attnotnull FROM pg_catalog.pg_attribute a WHERE a.attrelid = to_regclass(",
        );
        w.push_param(Value::String(table.qualified.clone()));
        w.push(") AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum");
        w.finish()
    }

    /// `ALTER TABLE … ALTER COLUMN … TYPE …` to the column's current type, when changing
    /// from `existing` (as `format_type` writes it) keeps every stored value: a wider integer,
    /// an integer to a fractional type, a longer `VARCHAR`, a `VARCHAR` to `TEXT`. `None` when
    /// the types already agree or the change could lose data.
    pub fn widen_column(
        &self,
        table: &TableMapping,
        column: &ColumnMapping,
        existing: &str,
    ) -> Option<Statement> {
        if column.is_id() {
            return None;
        }
        let wanted = self.column_type(column);
        let (from, to) = (canonical_type(existing), canonical_type(&wanted));
        if from == to || !is_widening(&from, &to) {
            return None;
        }
        let mut w = SqlWriter::new(self.syntax());
        w.push("ALTER TABLE ");
        w.push(&table.qualified);
        w.push(" ALTER COLUMN ");
        w.push(&column.quoted);
        w.push(" TYPE ");
        w.push(&wanted);
        Some(w.finish())
    }

    /// `ALTER TABLE … ALTER COLUMN … DROP NOT NULL`, for a column the model now lets be null.
    pub fn drop_not_null(&self, table: &TableMapping, column: &ColumnMapping) -> Statement {
        let mut w = SqlWriter::new(self.syntax());
        w.push("ALTER TABLE ");
        w.push(&table.qualified);
        w.push(" ALTER COLUMN ");
        w.push(&column.quoted);
        w.push(" DROP NOT NULL");
        w.finish()
    }

    /// `CREATE SCHEMA IF NOT EXISTS`.
    pub fn create_schema(&self, schema: &str) -> Statement {
        let mut w = SqlWriter::new(self.syntax());
        w.push("CREATE SCHEMA IF NOT EXISTS ");
        w.push_identifier(schema);
        w.finish()
    }

    /// Moves the sequence of a SERIAL `column` past `id`, an id given by the caller, so the
    /// ids it generates later do not collide with it. Does nothing for a column without a
    /// sequence.
    pub fn sync_sequence(
        &self,
        table: &TableMapping,
        column: &ColumnMapping,
        id: i64,
    ) -> Statement {
        let mut w = SqlWriter::new(self.syntax());
        w.push("SELECT setval(s, GREATEST(nextval(s), ");
        w.push_param(Value::Int(id));
        w.push(")) FROM (SELECT pg_get_serial_sequence(");
        w.push_param(Value::String(table.qualified.clone()));
        w.push(", ");
        w.push_param(Value::String(column.name.clone()));
        w.push(") AS s) q WHERE s IS NOT NULL");
        w.finish()
    }

    /// The type a parameter for `column` is cast to, when a text parameter would not do.
    fn param_cast(column: &ColumnMapping) -> Option<&'static str> {
        if column.kind == ColumnKind::Decimal {
            return Some("numeric");
        }
        match column.base_type()? {
            "UUID" => Some("uuid"),
            "JSON" if column.kind == ColumnKind::Json => Some("json"),
            "JSONB" if column.kind == ColumnKind::Json => Some("jsonb"),
            _ => None,
        }
    }

    /// Whether the column is a `UUID` (`dataType: "uuid"`).
    pub fn is_uuid(column: &ColumnMapping) -> bool {
        column.kind == ColumnKind::String && column.base_type() == Some("UUID")
    }

    fn is_big_integer(column: &ColumnMapping) -> bool {
        matches!(
            column.data_type.as_deref(),
            Some("BIGINT" | "INT8" | "BIGSERIAL")
        )
    }
}

impl Dialect for PostgresDialect {
    fn name(&self) -> &'static str {
        "postgresql"
    }

    fn syntax(&self) -> Syntax {
        Syntax {
            quote: '"',
            placeholders: Placeholders::Dollar,
        }
    }

    fn default_name(&self, name: &str) -> String {
        name.to_lowercase()
    }

    /// Lists of integers on integer columns and of strings on text columns are one array
    /// parameter, `column = ANY($1)` (`<> ALL` when negated): one placeholder however long
    /// the list, which PostgreSQL parses and plans much faster than `IN ($1, …, $1000)`.
    /// Other lists keep one placeholder per value.
    fn write_in(
        &self,
        w: &mut SqlWriter,
        c: &ColumnMapping,
        column: &str,
        values: Vec<Value>,
        negated: bool,
    ) {
        if values.len() > 1 && array_param_fits(&self.column_type(c), &values) {
            w.push(column);
            w.push(if negated { " <> ALL(" } else { " = ANY(" });
            w.push_param(Value::Array(values));
            // A list of strings is bound as `text[]`: cast it for UUID and NUMERIC columns.
            if let Some(cast) = Self::param_cast(c) {
                w.push("::");
                w.push(cast);
                w.push("[]");
            }
            w.push(")");
            return;
        }
        write_in_placeholders(w, column, values, negated, |w, v| self.write_value(w, c, v));
    }

    /// Parameters are bound with the type of their value (strings as `text`), and
    /// PostgreSQL compares and stores no `text` in a `UUID`, `NUMERIC`, `JSON` or `JSONB`
    /// column: for those the parameter is cast (`$1::uuid`), which parses it exactly.
    fn write_value(&self, w: &mut SqlWriter, c: &ColumnMapping, v: Value) {
        w.push_param(v);
        if let Some(cast) = Self::param_cast(c) {
            w.push("::");
            w.push(cast);
        }
    }

    /// Reads `"col"::jsonb #> '{"a","b"}'` (`#>>` for text); numbers through
    /// `jsonb_typeof` and `::numeric`, types through `jsonb_typeof`. Array indexes are path
    /// elements too. A document holding an escaped NUL reads as null.
    fn json_path(&self, column: &ColumnMapping, path: &[&str], read: JsonRead) -> Result<String> {
        let mut elements = String::from("'{");
        for (i, segment) in path.iter().enumerate() {
            debug_assert!(segment
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-'));
            if i > 0 {
                elements.push(',');
            }
            elements.push('"');
            elements.push_str(segment);
            elements.push('"');
        }
        elements.push_str("}'");
        // JSON text may hold `\u0000`, which no PostgreSQL text (nor `jsonb`) can: such a
        // document reads as null here instead of failing the whole statement.
        let col = &column.reference;
        let document = format!("{col}::jsonb");
        let readable = format!("strpos({col}::text, E'\\\\u0000') = 0");
        let json_type = format!("jsonb_typeof({document} #> {elements})");
        Ok(match read {
            JsonRead::Text => format!("(CASE WHEN {readable} THEN {document} #>> {elements} END)"),
            JsonRead::Number => format!(
                "(CASE WHEN NOT {readable} THEN NULL \
                 WHEN {json_type} = 'number' \
                 THEN ({document} #>> {elements})::numeric END)"
            ),
            JsonRead::BooleanOrString => format!(
                "(CASE WHEN NOT {readable} THEN NULL \
                 WHEN {json_type} IN ('boolean', 'string') THEN {document} #>> {elements} END)"
            ),
            JsonRead::TypeRank => format!(
                "(CASE WHEN NOT {readable} THEN NULL ELSE CASE {json_type} \
                 WHEN 'boolean' THEN 1 WHEN 'number' THEN 2 WHEN 'string' THEN 4 \
                 WHEN 'array' THEN 7 WHEN 'object' THEN 8 END END)"
            ),
        })
    }

    /// `text` when exactly one of the two key columns is a `UUID`.
    fn related_key_cast(&self, from: &ColumnMapping, to: &ColumnMapping) -> Option<&'static str> {
        (Self::is_uuid(from) != Self::is_uuid(to)).then_some("text")
    }

    fn write_like(
        &self,
        w: &mut SqlWriter,
        column: &str,
        pattern: &str,
        case_insensitive: bool,
    ) -> Result<()> {
        if pattern.contains('\0') {
            // No stored text holds a NUL, so no stored value matches.
            w.push("1 = 0");
            return Ok(());
        }
        w.push(column);
        w.push(if case_insensitive {
            " ILIKE "
        } else {
            " LIKE "
        });
        w.push_param(Value::String(pattern.to_owned()));
        w.push(" ESCAPE '\\'");
        Ok(())
    }

    fn write_regexp(&self, w: &mut SqlWriter, column: &str, pattern: &RegexpPattern) -> Result<()> {
        if pattern.source.contains('\0') {
            w.push("1 = 0");
            return Ok(());
        }
        // Embedded options must open the pattern: `p` reads `.` and `^`/`$` as Rust's regex
        // does by default, `n` as it does with the `m` flag.
        let mut source = String::with_capacity(pattern.source.len() + 4);
        source.push_str(if pattern.multiline { "(?n)" } else { "(?p)" });
        source.push_str(&pattern.source);
        w.push(column);
        w.push(if pattern.case_insensitive {
            " ~* "
        } else {
            " ~ "
        });
        w.push_param(Value::String(source));
        Ok(())
    }

    fn column_type(&self, column: &ColumnMapping) -> String {
        if let Some(t) = column.declared_type() {
            return t;
        }
        match column.kind {
            ColumnKind::String => match column.data_length {
                Some(n) => format!("VARCHAR({n})"),
                None => "TEXT".into(),
            },
            ColumnKind::Integer => "INTEGER".into(),
            ColumnKind::Number => "DOUBLE PRECISION".into(),
            ColumnKind::Decimal => "NUMERIC".into(),
            ColumnKind::Boolean => "BOOLEAN".into(),
            ColumnKind::Date => "TIMESTAMP WITH TIME ZONE".into(),
            ColumnKind::Buffer => "BYTEA".into(),
            ColumnKind::Json if column.ty == PropertyType::GeoPoint => "POINT".into(),
            ColumnKind::Json => "TEXT".into(),
        }
    }

    fn column_definition(
        &self,
        table: &TableMapping,
        column: &ColumnMapping,
        in_create: bool,
    ) -> String {
        let mut s = column.quoted.clone();
        s.push(' ');
        let single_id = column.is_id() && table.id_columns().count() == 1;
        if in_create && single_id && column.generated {
            match column.kind {
                ColumnKind::Integer => {
                    s.push_str(if Self::is_big_integer(column) {
                        "BIGSERIAL"
                    } else {
                        "SERIAL"
                    });
                    return s;
                }
                ColumnKind::String => {
                    let ty = self.column_type(column);
                    s.push_str(&ty);
                    s.push_str(" NOT NULL DEFAULT gen_random_uuid()");
                    if ty != "UUID" {
                        s.push_str("::text");
                    }
                    return s;
                }
                _ => {}
            }
        }
        s.push_str(&self.column_type(column));
        if in_create && !column.nullable {
            s.push_str(" NOT NULL");
        }
        s
    }

    fn table_exists_query(&self, table: &TableMapping) -> Statement {
        let mut w = SqlWriter::new(self.syntax());
        w.push(
            "SELECT c.relname::text FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p') AND c.relname = ",
        );
        w.push_param(Value::String(table.table.clone()));
        w.push(" AND n.nspname = ");
        match &table.schema {
            Some(s) => w.push_param(Value::String(s.clone())),
            None => w.push("current_schema()"),
        }
        w.finish()
    }

    fn table_columns_query(&self, table: &TableMapping) -> Statement {
        self.column_types_query(table)
    }

    fn catalog_query(&self, query: super::CatalogQuery<'_>) -> Result<Statement> {
        Ok(super::discovery::information_schema_catalog(
            SqlWriter::new(self.syntax()),
            query,
            "current_schema()",
            true,
        ))
    }

    fn table_indexes_query(&self, table: &TableMapping) -> Statement {
        let mut w = SqlWriter::new(self.syntax());
        w.push(
            "SELECT i.relname::text FROM pg_catalog.pg_index x \
             JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = to_regclass(",
        );
        w.push_param(Value::String(table.qualified.clone()));
        w.push(")");
        w.finish()
    }

    /// As [`value::encode`], but dates stay [`Value::Date`] (TIMESTAMPTZ), points stay
    /// [`Value::GeoPoint`] (POINT), strings with a NUL character do not fit, nor do strings
    /// that are not UUIDs in a `UUID` column.
    fn encode(&self, column: &ColumnMapping, v: Value) -> std::result::Result<Value, String> {
        let v = if column.kind == ColumnKind::Json && column.ty == PropertyType::GeoPoint {
            if v.is_null() {
                return Ok(Value::Null);
            }
            coerce_value(&PropertyType::GeoPoint, v)?
        } else {
            value::encode(column, v)?
        };
        if Self::is_uuid(column) {
            if let Value::String(s) = &v {
                if uuid::Uuid::try_parse(s).is_err() {
                    return Err(UUID_MESSAGE.into());
                }
            }
        }
        match &v {
            Value::String(s) if s.contains('\0') => Err(NUL_MESSAGE.into()),
            _ => Ok(v),
        }
    }

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
        // PostgreSQL names a primary key `<table>_pkey`.
        if name == format!("{}_pkey", table.table) {
            return table.id_columns().collect();
        }
        table
            .indexes
            .iter()
            .find(|i| i.name == name)
            .map(|i| i.columns.iter().map(|(c, _)| &table.columns[*c]).collect())
            .unwrap_or_default()
    }

    fn is_unavailable(&self, code: &str) -> bool {
        // Connection exceptions, insufficient resources, operator intervention (shutdown,
        // cannot connect now), system errors.
        code.starts_with("08")
            || code.starts_with("53")
            || code.starts_with("57P")
            || code.starts_with("58")
    }
}

/// A type as `format_type` writes it, from any of the spellings a `dataType` may use.
/// Whether `values` can be bound as one array for a column of SQL type `sql_type`: all
/// integers (`bigint[]`) for an integer column, or all strings (`text[]`) for a text column.
/// The connector binds a [`Value::Array`] parameter as such an array.
fn array_param_fits(sql_type: &str, values: &[Value]) -> bool {
    let t = canonical_type(sql_type);
    let base = t.split('(').next().unwrap_or_default().trim();
    match base {
        "integer" | "bigint" | "smallint" => values.iter().all(|v| matches!(v, Value::Int(_))),
        "text" | "character varying" | "varchar" | "uuid" | "numeric" => {
            values.iter().all(|v| matches!(v, Value::String(_)))
        }
        _ => false,
    }
}

fn canonical_type(t: &str) -> String {
    let t = t.trim().to_ascii_lowercase();
    let (head, args) = match t.find('(') {
        Some(i) => (t[..i].trim().to_owned(), t[i..].replace(' ', "")),
        None => (t.clone(), String::new()),
    };
    let head = match head.as_str() {
        "varchar" => "character varying",
        "char" | "bpchar" => "character",
        "int" | "int4" | "serial" | "serial4" => "integer",
        "int8" | "bigserial" | "serial8" => "bigint",
        "int2" | "smallserial" | "serial2" => "smallint",
        "float8" | "double" | "float" => "double precision",
        "float4" => "real",
        "decimal" => "numeric",
        "bool" => "boolean",
        "timestamptz" => "timestamp with time zone",
        "timestamp" => "timestamp without time zone",
        other => other,
    };
    format!("{head}{args}")
}

/// Whether every value of type `from` is kept exactly by type `to`.
fn is_widening(from: &str, to: &str) -> bool {
    let length = |t: &str, head: &str| -> Option<Option<u32>> {
        let rest = t.strip_prefix(head)?;
        if rest.is_empty() {
            return Some(None);
        }
        rest.strip_prefix('(')?
            .strip_suffix(')')?
            .parse()
            .ok()
            .map(Some)
    };
    let integer_rank = |t: &str| match t {
        "smallint" => Some(1),
        "integer" => Some(2),
        "bigint" => Some(3),
        _ => None,
    };
    if let (Some(a), Some(b)) = (integer_rank(from), integer_rank(to)) {
        return a < b;
    }
    if integer_rank(from).is_some() {
        // NUMERIC(p,s) keeps a 64-bit integer when it has 19 digits before the point.
        let numeric_fits = to == "numeric"
            || to
                .strip_prefix("numeric(")
                .and_then(|r| r.strip_suffix(')'))
                .and_then(|r| {
                    let (p, s) = r.split_once(',').unwrap_or((r, "0"));
                    Some(
                        p.parse::<u32>()
                            .ok()?
                            .saturating_sub(s.parse::<u32>().ok()?),
                    )
                })
                .is_some_and(|digits| digits >= 19);
        return numeric_fits || (to == "double precision" && from != "bigint");
    }
    if from == "real" && to == "double precision" {
        return true;
    }
    if let Some(old) = length(from, "character varying").or_else(|| length(from, "character")) {
        if to == "text" {
            return true;
        }
        if let Some(new) = length(to, "character varying") {
            return match (old, new) {
                (_, None) => true,
                (Some(a), Some(b)) => a <= b,
                (None, Some(_)) => false,
            };
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening_keeps_values() {
        for (from, to) in [
            ("integer", "BIGINT"),
            ("smallint", "INTEGER"),
            ("integer", "DOUBLE PRECISION"),
            ("bigint", "NUMERIC(30,0)"),
            ("character varying(10)", "VARCHAR(20)"),
            ("character varying(10)", "TEXT"),
            ("real", "float8"),
        ] {
            assert!(
                is_widening(&canonical_type(from), &canonical_type(to)),
                "{from} -> {to}"
            );
        }
        for (from, to) in [
            ("bigint", "INTEGER"),
            ("double precision", "INTEGER"),
            ("character varying(20)", "VARCHAR(10)"),
            ("text", "VARCHAR(10)"),
            ("bigint", "DOUBLE PRECISION"),
            ("boolean", "INTEGER"),
            ("timestamp with time zone", "TEXT"),
        ] {
            assert!(
                !is_widening(&canonical_type(from), &canonical_type(to)),
                "{from} -> {to}"
            );
        }
    }
}
