//! [`TableMapping`]: how one model maps to one table, computed once per model and cached by the
//! connector.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use loopback_core::model::{ModelDefinition, PropertyDefinition, PropertyType};
use loopback_core::{Error, Result};
use serde_json::Value as Json;

use super::dialect::Dialect;
use super::writer::quote;

/// How a column stores its property's values; decides parameter conversion, decoding and the
/// default DDL type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// `string`.
    String,
    /// `number` whose `dataType` is an integer type (`INTEGER`, `BIGINT`, ...), and numeric ids:
    /// values stay exact 64-bit integers.
    Integer,
    /// Any other `number`: a double, as JavaScript numbers are.
    Number,
    /// A `string` whose `dataType` is `NUMERIC` / `DECIMAL`: exact decimal text, written and
    /// compared as the database's decimal type and read back digit for digit.
    Decimal,
    /// `boolean`.
    Boolean,
    /// `date`.
    Date,
    /// `buffer`.
    Buffer,
    /// `object`, `any`, arrays, embedded models and `geopoint`: JSON text (or a JSON type).
    Json,
}

impl ColumnKind {
    /// A short name for error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnKind::String => "string",
            ColumnKind::Integer | ColumnKind::Number => "number",
            ColumnKind::Decimal => "decimal",
            ColumnKind::Boolean => "boolean",
            ColumnKind::Date => "date",
            ColumnKind::Buffer => "buffer",
            ColumnKind::Json => "JSON",
        }
    }
}

/// One property's column.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnMapping {
    /// The property name.
    pub property: String,
    /// The property name as a shared record key, so decoded rows do not copy it.
    pub key: loopback_core::value::Key,
    /// The column name: the connector's `columnName` setting, else the dialect's default name
    /// for the property.
    pub name: String,
    /// The column name quoted for the dialect.
    pub quoted: String,
    /// How a query reads the column (select list, `WHERE`, `ORDER BY`): [`ColumnMapping::quoted`],
    /// with the table before it where the dialect qualifies columns
    /// ([`Dialect::qualify_columns`]).
    pub reference: String,
    /// How values are stored.
    pub kind: ColumnKind,
    /// The property type.
    pub ty: PropertyType,
    /// `dataType` from the connector's property settings, upper-cased.
    pub data_type: Option<String>,
    /// `dataLength` (or the property's `length` / `limit`).
    pub data_length: Option<u32>,
    /// `dataPrecision` / `precision`.
    pub precision: Option<u32>,
    /// `dataScale` / `scale`.
    pub scale: Option<u32>,
    /// Id position, for id properties.
    pub id: Option<u32>,
    /// Whether the database generates the value (auto-increment ids).
    pub generated: bool,
    /// Whether the column accepts NULL: not for ids, required properties, or `nullable: false`.
    pub nullable: bool,
}

impl ColumnMapping {
    /// The type declared with `dataType`, with `dataLength` or `precision` / `scale` appended
    /// when given: `VARCHAR(20)`, `DECIMAL(10,2)`.
    pub fn declared_type(&self) -> Option<String> {
        let t = self.data_type.as_deref()?;
        if t.contains('(') {
            return Some(t.to_owned());
        }
        Some(match (self.data_length, self.precision, self.scale) {
            (Some(n), _, _) => format!("{t}({n})"),
            (None, Some(p), Some(s)) => format!("{t}({p},{s})"),
            (None, Some(p), None) => format!("{t}({p})"),
            _ => t.to_owned(),
        })
    }

    /// The declared `dataType` without its sizes, upper-cased (`NUMERIC` for
    /// `NUMERIC(10,2)`), if any.
    pub fn base_type(&self) -> Option<&str> {
        self.data_type
            .as_deref()
            .map(|t| t.split(['(', ' ']).next().unwrap_or_default())
    }

    /// Whether the column belongs to the primary key.
    pub fn is_id(&self) -> bool {
        self.id.is_some()
    }
}

/// One index of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexMapping {
    /// The index name.
    pub name: String,
    /// Columns (positions in [`TableMapping::columns`]) and whether each is descending.
    pub columns: Vec<(usize, bool)>,
    /// Whether the index is unique.
    pub unique: bool,
}

/// How a model maps to a table: names, columns in property order, ids and indexes. Built by
/// [`TableMapping::new`] when the connector learns of the model (`Connector::define`) and
/// reused by every statement on it.
#[derive(Debug, Clone)]
pub struct TableMapping {
    /// The model name.
    pub model: String,
    /// The schema (`schema` / `schemaName` model setting), if any.
    pub schema: Option<String>,
    /// The table name: the `table` / `tableName` model setting, else the dialect's default name
    /// for the model.
    pub table: String,
    /// The quoted, schema-qualified table name.
    pub qualified: String,
    /// One column per property, in property order.
    pub columns: Vec<ColumnMapping>,
    /// Indexes from properties' `index` settings and the model's `indexes`.
    pub indexes: Vec<IndexMapping>,
    ids: Vec<usize>,
    by_property: HashMap<String, usize>,
}

impl TableMapping {
    /// Computes the mapping of `def` for `dialect`. Fails on settings that cannot be honoured:
    /// a `dataType` that is not a plain type name, an index on an unknown property, a name
    /// with a NUL character.
    pub fn new(dialect: &dyn Dialect, def: &ModelDefinition) -> Result<Self> {
        let syntax = dialect.syntax();
        let key = dialect.name();
        let settings = def.connector_settings.get(key);
        let setting = |names: &[&str]| -> Option<String> {
            let s = settings?;
            names
                .iter()
                .find_map(|n| s.get(*n).and_then(Json::as_str))
                .map(str::to_owned)
        };
        let at = |what: &str| format!("{}.{key}.{what}", def.name);
        let table =
            setting(&["table", "tableName"]).unwrap_or_else(|| dialect.default_name(&def.name));
        check_name(&table, &at("table"))?;
        let schema = setting(&["schema", "schemaName"]);
        if let Some(s) = &schema {
            check_name(s, &at("schema"))?;
        }
        let qualified = match &schema {
            Some(s) => format!("{}.{}", quote(syntax, s), quote(syntax, &table)),
            None => quote(syntax, &table),
        };
        let mut columns = Vec::with_capacity(def.properties.len());
        let mut by_property = HashMap::with_capacity(def.properties.len());
        for p in def.properties.values() {
            let mut col = column(dialect, def, p)?;
            if dialect.qualify_columns() {
                col.reference = format!("{qualified}.{}", col.quoted);
            }
            by_property.insert(p.name.clone(), columns.len());
            columns.push(col);
        }
        let mut ids: Vec<usize> = (0..columns.len())
            .filter(|&i| columns[i].id.is_some())
            .collect();
        ids.sort_by_key(|&i| columns[i].id);
        let mut mapping = TableMapping {
            model: def.name.clone(),
            schema,
            table,
            qualified,
            columns,
            indexes: Vec::new(),
            ids,
            by_property,
        };
        mapping.indexes = indexes(dialect, def, &mapping)?;
        Ok(mapping)
    }

    /// The column of a property.
    pub fn column(&self, property: &str) -> Option<&ColumnMapping> {
        self.by_property.get(property).map(|&i| &self.columns[i])
    }

    /// The position of a property's column in [`TableMapping::columns`].
    pub fn position(&self, property: &str) -> Option<usize> {
        self.by_property.get(property).copied()
    }

    /// The column with this database name, compared case-insensitively (SQLite, MySQL and
    /// unquoted PostgreSQL names are).
    pub fn column_named(&self, name: &str) -> Option<&ColumnMapping> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// The id columns, in id order.
    pub fn id_columns(&self) -> impl Iterator<Item = &ColumnMapping> + '_ {
        self.ids.iter().map(|&i| &self.columns[i])
    }

    /// The first id column, if the model has an id.
    pub fn id_column(&self) -> Option<&ColumnMapping> {
        self.ids.first().map(|&i| &self.columns[i])
    }

    /// The position of the first id column.
    pub fn id_position(&self) -> Option<usize> {
        self.ids.first().copied()
    }

    /// Whether this mapping was computed from a definition with the same name, properties
    /// and property types as `def`, so a cached mapping can serve it.
    pub fn matches(&self, def: &ModelDefinition) -> bool {
        self.model == def.name
            && self.columns.len() == def.properties.len()
            && self
                .columns
                .iter()
                .zip(def.properties.values())
                .all(|(c, p)| c.property == p.name && c.ty == p.ty && c.id == p.id)
    }
}

/// Data types that keep numbers as 64-bit integers.
const INTEGER_TYPES: &[&str] = &[
    "INT",
    "INTEGER",
    "BIGINT",
    "SMALLINT",
    "TINYINT",
    "MEDIUMINT",
    "INT2",
    "INT4",
    "INT8",
    "SERIAL",
    "BIGSERIAL",
    "SMALLSERIAL",
];

/// Data types that keep exact decimals.
const DECIMAL_TYPES: &[&str] = &["NUMERIC", "DECIMAL", "DEC", "FIXED"];

fn column(
    dialect: &dyn Dialect,
    def: &ModelDefinition,
    p: &PropertyDefinition,
) -> Result<ColumnMapping> {
    let key = dialect.name();
    let at = |what: &str| format!("{}.properties.{}.{key}.{what}", def.name, p.name);
    let settings = p.connector_settings.get(key);
    let get = |names: &[&str]| settings.and_then(|s| names.iter().find_map(|n| s.get(*n)));
    let extra = |names: &[&str]| names.iter().find_map(|n| p.extra.get(*n));
    let name = match get(&["columnName", "column", "field", "fieldName"]).and_then(Json::as_str) {
        Some(n) => n.to_owned(),
        None => dialect.default_name(&p.name),
    };
    check_name(&name, &at("columnName"))?;
    let data_type = match get(&["dataType"]) {
        None | Some(Json::Null) => None,
        Some(Json::String(t)) if is_type_name(t) => Some(t.trim().to_ascii_uppercase()),
        Some(other) => {
            return Err(Error::definition(
                at("dataType"),
                format!("`{other}` is not a type name such as VARCHAR or DECIMAL(10,2)"),
            ))
        }
    };
    let number = |v: Option<&Json>, what: &str| -> Result<Option<u32>> {
        match v {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Number(n)) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| Error::definition(at(what), format!("`{n}` is not a size"))),
            Some(Json::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| Error::definition(at(what), format!("`{s}` is not a size"))),
            Some(other) => Err(Error::definition(
                at(what),
                format!("`{other}` is not a size"),
            )),
        }
    };
    let data_length = number(
        get(&["dataLength"]).or_else(|| extra(&["length", "limit"])),
        "dataLength",
    )?;
    let precision = number(
        get(&["dataPrecision", "precision"]).or_else(|| extra(&["precision"])),
        "dataPrecision",
    )?;
    let scale = number(
        get(&["dataScale", "scale"]).or_else(|| extra(&["scale"])),
        "dataScale",
    )?;
    let base_type = data_type
        .as_deref()
        .map(|t| t.split(['(', ' ']).next().unwrap_or_default());
    let integer_type = base_type.is_some_and(|t| INTEGER_TYPES.contains(&t));
    let decimal_type = base_type.is_some_and(|t| DECIMAL_TYPES.contains(&t));
    let kind = match &p.ty {
        PropertyType::String if decimal_type => ColumnKind::Decimal,
        PropertyType::String => ColumnKind::String,
        PropertyType::Number if integer_type || (p.id.is_some() && data_type.is_none()) => {
            ColumnKind::Integer
        }
        PropertyType::Number => ColumnKind::Number,
        PropertyType::Boolean => ColumnKind::Boolean,
        PropertyType::Date => ColumnKind::Date,
        PropertyType::Buffer => ColumnKind::Buffer,
        PropertyType::GeoPoint
        | PropertyType::Object
        | PropertyType::Any
        | PropertyType::Array(_)
        | PropertyType::Model(_) => ColumnKind::Json,
    };
    let declared_nullable = get(&["nullable"])
        .or_else(|| extra(&["nullable", "null", "allowNull"]))
        .and_then(|v| match v {
            Json::Bool(b) => Some(*b),
            Json::String(s) => match s.to_ascii_uppercase().as_str() {
                "Y" | "YES" | "TRUE" => Some(true),
                "N" | "NO" | "FALSE" => Some(false),
                _ => None,
            },
            _ => None,
        });
    // As LoopBack's SQL connectors: ids and required properties are NOT NULL.
    let nullable = !(p.required || p.id.is_some()) && declared_nullable.unwrap_or(true);
    Ok(ColumnMapping {
        key: loopback_core::value::Key::interned(p.name.as_str()),
        property: p.name.clone(),
        quoted: quote(dialect.syntax(), &name),
        reference: quote(dialect.syntax(), &name),
        name,
        kind,
        ty: p.ty.clone(),
        data_type,
        data_length,
        precision,
        scale,
        id: p.id,
        generated: p.generated,
        nullable,
    })
}

fn indexes(
    dialect: &dyn Dialect,
    def: &ModelDefinition,
    t: &TableMapping,
) -> Result<Vec<IndexMapping>> {
    let mut out: Vec<IndexMapping> = Vec::new();
    for p in def.properties.values() {
        let Some(index) = &p.index else { continue };
        let pos = t.by_property[&p.name];
        let name = match index.raw.get("name").and_then(Json::as_str) {
            Some(n) => n.to_owned(),
            None => dialect.property_index_name(t, &t.columns[pos]),
        };
        check_name(
            &name,
            &format!("{}.properties.{}.index.name", def.name, p.name),
        )?;
        out.push(IndexMapping {
            name,
            columns: vec![(pos, false)],
            unique: index.unique,
        });
    }
    for (name, index) in &def.indexes {
        let at = format!("{}.indexes.{name}", def.name);
        check_name(name, &at)?;
        let mut columns = Vec::with_capacity(index.keys.len());
        for (key, direction) in &index.keys {
            // LoopBack accepts property names and, in `columns`, column names.
            let pos = t
                .position(key)
                .or_else(|| {
                    t.columns
                        .iter()
                        .position(|c| c.name.eq_ignore_ascii_case(key))
                })
                .ok_or_else(|| {
                    Error::definition(
                        &at,
                        format!(
                            "index `{name}` names `{key}`, which is not a property of `{}`",
                            def.name
                        ),
                    )
                })?;
            columns.push((pos, *direction < 0));
        }
        out.retain(|i| i.name != *name);
        out.push(IndexMapping {
            name: name.clone(),
            columns,
            unique: index.unique,
        });
    }
    Ok(out)
}

fn check_name(name: &str, at: &str) -> Result<()> {
    if name.is_empty() || name.contains('\0') {
        return Err(Error::definition(
            at,
            format!("`{}` is not a usable database name", name.escape_debug()),
        ));
    }
    Ok(())
}

/// A `dataType` is interpolated into DDL, so only plain type names are accepted: letters,
/// digits, `_`, spaces, and a parenthesised list of sizes.
fn is_type_name(t: &str) -> bool {
    let t = t.trim();
    let (head, tail) = match t.find('(') {
        Some(i) => (&t[..i], &t[i..]),
        None => (t, ""),
    };
    let head_ok = head.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && head
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ' ');
    let tail_ok = tail.is_empty()
        || (tail.starts_with('(')
            && tail.ends_with(')')
            && tail[1..tail.len() - 1]
                .chars()
                .all(|c| c.is_ascii_digit() || c == ',' || c == ' '));
    head_ok && tail_ok
}

/// A connector's table mappings by model name, each rebuilt when its model's definition
/// changes (relations add foreign keys to models defined earlier).
#[derive(Debug, Default)]
pub struct TableCache {
    tables: RwLock<HashMap<String, Arc<TableMapping>>>,
}

impl TableCache {
    /// An empty cache.
    pub fn new() -> Self {
        TableCache::default()
    }

    /// The mapping of `def`: the cached one while it still fits the definition, else one
    /// built by `build` and cached.
    pub fn get(
        &self,
        def: &ModelDefinition,
        build: impl FnOnce(&ModelDefinition) -> Result<TableMapping>,
    ) -> Result<Arc<TableMapping>> {
        if let Some(t) = self.read().get(&def.name) {
            if t.matches(def) {
                return Ok(Arc::clone(t));
            }
        }
        Ok(self.insert(&def.name, build(def)?))
    }

    /// Caches `t` as the mapping of `model`, replacing any other.
    pub fn insert(&self, model: &str, t: TableMapping) -> Arc<TableMapping> {
        let t = Arc::new(t);
        self.tables
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(model.to_owned(), Arc::clone(&t));
        t
    }

    /// The cached mapping of `model`, if any.
    pub fn known(&self, model: &str) -> Option<Arc<TableMapping>> {
        self.read().get(model).cloned()
    }

    /// The names of the cached models, sorted (for `Debug` output).
    pub fn model_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.read().keys().cloned().collect();
        names.sort();
        names
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<TableMapping>>> {
        self.tables.read().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names() {
        for ok in [
            "VARCHAR",
            "varchar(20)",
            "DECIMAL(10, 2)",
            "double precision",
            "TIMESTAMP WITH TIME ZONE",
            "int8",
        ] {
            assert!(is_type_name(ok), "{ok}");
        }
        for bad in [
            "",
            "1INT",
            "TEXT; DROP TABLE x",
            "TEXT)",
            "VARCHAR(1) --",
            "TEXT'",
            "A(B)",
            "\"x\"",
        ] {
            assert!(!is_type_name(bad), "{bad}");
        }
    }
}
