//! Discovery: reading tables, views, columns, primary and foreign keys from a database's
//! catalog, and building LoopBack model definitions from them as LoopBack 3's
//! `dataSource.discoverSchemas` does; and `isActual`, whether the database matches a set of
//! definitions.
//!
//! The catalog queries are the dialect's ([`Dialect::catalog_query`]); they are run through
//! [`Connector::execute`], so a SQL connector only implements the few required methods of
//! [`Discovery`] to get all of it.
//!
//! # Naming, as LoopBack 3
//!
//! - Model names come from table names: split on `_` and `-`, the first part capitalised and
//!   the others too (the rest of each part lower-cased): `book_author` → `BookAuthor`,
//!   `INVENTORY` → `Inventory` ([`model_name`]).
//! - Property names come from column names the same way, with the first part lower-cased:
//!   `author_id` → `authorId`, `ID` → `id` ([`property_name`]).
//! - A belongsTo relation is named from the foreign key's constraint name (or the referenced
//!   table's name when the database does not name it, as SQLite) followed by `Rel`:
//!   `book_author_fk` → `bookAuthorFkrel`, `author` → `authorrel` ([`relation_name`]).

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use indexmap::IndexMap;
use loopback_core::model::{
    ModelDefinition, PropertyDefinition, PropertyType, RelationDefinition, RelationKind, Strict,
};
use loopback_core::{Connector, Error, Options, Record, Result, Value};
use serde_json::{json, Map, Value as Json};

use super::dialect::Dialect;
use super::mapping::{ColumnKind, TableMapping};
use super::writer::{SqlWriter, Statement};

/// Options of discovery calls (LoopBack 3's `owner` / `schema`, `all`, `views`, `relations`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiscoverOptions {
    /// The owner (schema, MySQL database) to look in; the connection's current one when unset.
    pub owner: Option<String>,
    /// List the tables of every owner (when `owner` is unset).
    pub all_owners: bool,
    /// Include views when listing tables.
    pub views: bool,
    /// Follow foreign keys: add belongsTo relations and discover the referenced tables too
    /// (LoopBack 3's `relations` / `associations`).
    pub relations: bool,
    /// Also add hasMany relations for the foreign keys of other tables that reference the
    /// discovered table (its exported foreign keys).
    pub has_many: bool,
}

/// One catalog query a dialect answers; see [`Dialect::catalog_query`] for the result columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogQuery<'a> {
    /// Tables (and views): columns `kind` (`table` / `view`), `name`, `owner`.
    Tables {
        /// Owner to list; the current one when `None` and not `all_owners`.
        owner: Option<&'a str>,
        /// Every owner (when `owner` is `None`).
        all_owners: bool,
        /// Include views.
        views: bool,
    },
    /// Columns of a table in column order: `owner`, `table_name`, `column_name`, `data_type`,
    /// `data_length`, `data_precision`, `data_scale`, `nullable` (`YES`/`NO` or `Y`/`N`), and
    /// optionally `column_type` (MySQL's full type, `tinyint(1)`).
    Columns {
        /// The owner; the current one when `None`.
        owner: Option<&'a str>,
        /// The table.
        table: &'a str,
    },
    /// Primary key columns in key order: `owner`, `table_name`, `column_name`, `key_seq`,
    /// `pk_name`.
    PrimaryKeys {
        /// The owner; the current one when `None`.
        owner: Option<&'a str>,
        /// The table.
        table: &'a str,
    },
    /// Foreign keys of the table: `fk_owner`, `fk_name`, `fk_table_name`, `fk_column_name`,
    /// `key_seq`, `pk_owner`, `pk_name`, `pk_table_name`, `pk_column_name`.
    ForeignKeys {
        /// The owner; the current one when `None`.
        owner: Option<&'a str>,
        /// The table.
        table: &'a str,
    },
    /// Foreign keys of other tables referencing the table; same columns as `ForeignKeys`.
    ExportedForeignKeys {
        /// The owner; the current one when `None`.
        owner: Option<&'a str>,
        /// The referenced table.
        table: &'a str,
    },
}

/// A table or view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredTable {
    /// `table` or `view`.
    pub kind: String,
    /// The table name.
    pub name: String,
    /// The owner (schema; MySQL database; `main` for SQLite).
    pub owner: String,
}

/// A column, with LoopBack 3's discovery fields.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscoveredColumn {
    /// The owner.
    pub owner: String,
    /// The table.
    pub table_name: String,
    /// The column.
    pub column_name: String,
    /// The database type, without sizes: `varchar`, `integer`, `float`.
    pub data_type: String,
    /// Character length.
    pub data_length: Option<i64>,
    /// Numeric precision.
    pub data_precision: Option<i64>,
    /// Numeric scale.
    pub data_scale: Option<i64>,
    /// The catalog's nullability answer as it gave it (`YES`/`NO`, `Y`/`N`).
    pub nullable: String,
    /// The LoopBack type for the column.
    pub ty: PropertyType,
}

impl DiscoveredColumn {
    /// Whether the column accepts NULL.
    pub fn is_nullable(&self) -> bool {
        !matches!(
            self.nullable.to_ascii_uppercase().as_str(),
            "N" | "NO" | "0" | "FALSE"
        )
    }
}

/// A primary key column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredPrimaryKey {
    /// The owner.
    pub owner: String,
    /// The table.
    pub table_name: String,
    /// The column.
    pub column_name: String,
    /// Position in the key, from 1.
    pub key_seq: u32,
    /// The constraint name, when the database names it.
    pub pk_name: Option<String>,
}

/// One column of a foreign key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredForeignKey {
    /// Owner of the referencing table.
    pub fk_owner: String,
    /// The constraint name, when the database names it (SQLite does not).
    pub fk_name: Option<String>,
    /// The referencing table.
    pub fk_table_name: String,
    /// The referencing column.
    pub fk_column_name: String,
    /// Position in the key, from 1.
    pub key_seq: u32,
    /// Owner of the referenced table.
    pub pk_owner: String,
    /// The referenced key's constraint name, when known.
    pub pk_name: Option<String>,
    /// The referenced table.
    pub pk_table_name: String,
    /// The referenced column.
    pub pk_column_name: String,
}

/// What a [`MigrationStep`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationPhase {
    /// `automigrate` on databases that add foreign keys to existing tables: drops the
    /// constraints of the model's table that reference a table about to be re-created (they
    /// are declared again in [`MigrationPhase::ForeignKeys`]). These steps come first.
    DropForeignKeys,
    /// Creates, re-creates or alters the model's table, its columns and indexes.
    Table,
    /// Adds the foreign key constraints the model declares; these steps come after every
    /// table step, so the referenced tables exist.
    ForeignKeys,
}

/// The statements a migration runs for one model in one phase.
#[derive(Debug, Clone)]
pub struct MigrationStep {
    /// The model name.
    pub model: String,
    /// The model's table.
    pub table: Arc<TableMapping>,
    /// What the statements do.
    pub phase: MigrationPhase,
    /// The statements, in order (no statement: the table is up to date).
    pub statements: Vec<Statement>,
}

/// The statements `automigrate` or `autoupdate` would run for a list of models, grouped by
/// model: [`Discovery::automigrate_plan`], [`Discovery::autoupdate_plan`]. The connectors run
/// migrations by building a plan and applying it, so what a plan shows is what runs.
#[derive(Debug, Clone, Default)]
pub struct MigrationPlan {
    /// The steps in execution order: for `automigrate`, any
    /// [`MigrationPhase::DropForeignKeys`] steps; one [`MigrationPhase::Table`] step per model
    /// in the order given; then the [`MigrationPhase::ForeignKeys`] steps.
    pub steps: Vec<MigrationStep>,
}

impl MigrationPlan {
    /// Every statement, in execution order.
    pub fn statements(&self) -> impl Iterator<Item = &Statement> + '_ {
        self.steps.iter().flat_map(|s| s.statements.iter())
    }

    /// Every statement, in execution order.
    pub fn into_statements(self) -> Vec<Statement> {
        self.steps.into_iter().flat_map(|s| s.statements).collect()
    }

    /// Whether the plan runs nothing.
    pub fn is_empty(&self) -> bool {
        self.steps.iter().all(|s| s.statements.is_empty())
    }
}

/// Discovery and `isActual` for a SQL connector. Object-safe: a data source can keep a
/// `&dyn Discovery`.
#[async_trait]
pub trait Discovery: Send + Sync {
    /// The connector running the catalog queries (through [`Connector::execute`]).
    fn discovery_connector(&self) -> &dyn Connector;

    /// The connector's dialect.
    fn discovery_dialect(&self) -> &dyn Dialect;

    /// The table mapping the connector uses for a definition (with its default schema).
    fn discovery_mapping(&self, def: &ModelDefinition) -> Result<Arc<TableMapping>>;

    /// The owner used when a call names none (the connector's configured schema), if any.
    fn default_owner(&self) -> Option<String> {
        None
    }

    /// Lists tables (and views with `views`), LoopBack 3's `discoverModelDefinitions`.
    async fn discover_model_definitions(
        &self,
        options: &DiscoverOptions,
    ) -> Result<Vec<DiscoveredTable>> {
        let owner = options.owner.clone().or_else(|| self.default_owner());
        let rows = run(
            self,
            CatalogQuery::Tables {
                owner: owner.as_deref(),
                all_owners: options.all_owners && options.owner.is_none(),
                views: options.views,
            },
        )
        .await?;
        Ok(rows
            .iter()
            .map(|r| DiscoveredTable {
                kind: text(r, "kind"),
                name: text(r, "name"),
                owner: text(r, "owner"),
            })
            .collect())
    }

    /// The columns of a table or view, LoopBack 3's `discoverModelProperties`.
    async fn discover_model_properties(
        &self,
        table: &str,
        owner: Option<&str>,
    ) -> Result<Vec<DiscoveredColumn>> {
        let owner = owner.map(str::to_owned).or_else(|| self.default_owner());
        let table = table.to_owned();
        let rows = run(
            self,
            CatalogQuery::Columns {
                owner: owner.as_deref(),
                table: &table,
            },
        )
        .await?;
        Ok(rows.iter().map(column_from_row).collect())
    }

    /// The primary key columns of a table, in key order.
    async fn discover_primary_keys(
        &self,
        table: &str,
        owner: Option<&str>,
    ) -> Result<Vec<DiscoveredPrimaryKey>> {
        let owner = owner.map(str::to_owned).or_else(|| self.default_owner());
        let table = table.to_owned();
        let rows = run(
            self,
            CatalogQuery::PrimaryKeys {
                owner: owner.as_deref(),
                table: &table,
            },
        )
        .await?;
        let mut pks: Vec<DiscoveredPrimaryKey> = rows
            .iter()
            .map(|r| DiscoveredPrimaryKey {
                owner: text(r, "owner"),
                table_name: text(r, "table_name"),
                column_name: text(r, "column_name"),
                key_seq: int(r, "key_seq").map_or(1, |n| u32::try_from(n).unwrap_or(1)),
                pk_name: opt_text(r, "pk_name"),
            })
            .collect();
        pks.sort_by_key(|p| p.key_seq);
        Ok(pks)
    }

    /// The foreign keys of a table.
    async fn discover_foreign_keys(
        &self,
        table: &str,
        owner: Option<&str>,
    ) -> Result<Vec<DiscoveredForeignKey>> {
        let owner = owner.map(str::to_owned).or_else(|| self.default_owner());
        let table = table.to_owned();
        let rows = run(
            self,
            CatalogQuery::ForeignKeys {
                owner: owner.as_deref(),
                table: &table,
            },
        )
        .await?;
        Ok(rows.iter().map(fk_from_row).collect())
    }

    /// The foreign keys of other tables that reference a table.
    async fn discover_exported_foreign_keys(
        &self,
        table: &str,
        owner: Option<&str>,
    ) -> Result<Vec<DiscoveredForeignKey>> {
        let owner = owner.map(str::to_owned).or_else(|| self.default_owner());
        let table = table.to_owned();
        let rows = run(
            self,
            CatalogQuery::ExportedForeignKeys {
                owner: owner.as_deref(),
                table: &table,
            },
        )
        .await?;
        Ok(rows.iter().map(fk_from_row).collect())
    }

    /// Builds the definition of a table's model, and with `relations` those of the tables it
    /// references (transitively), as LoopBack 3's `discoverSchemas`. Keyed by
    /// `owner.table`, the discovered table first. A table without columns (or that does not
    /// exist) is a 404.
    async fn discover_schemas(
        &self,
        table: &str,
        options: &DiscoverOptions,
    ) -> Result<IndexMap<String, ModelDefinition>> {
        let mut out: IndexMap<String, ModelDefinition> = IndexMap::new();
        let mut queue: Vec<(Option<String>, String)> = vec![(
            options.owner.clone().or_else(|| self.default_owner()),
            table.to_owned(),
        )];
        let mut seen: HashSet<String> = HashSet::new();
        while !queue.is_empty() {
            let (owner, table) = queue.remove(0);
            let columns = self
                .discover_model_properties(&table, owner.as_deref())
                .await?;
            let Some(first) = columns.first() else {
                return Err(Error::http(404, format!("Table '{table}' does not exist.")));
            };
            let owner_name = first.owner.clone();
            let key = format!("{owner_name}.{table}");
            if !seen.insert(key.clone()) {
                continue;
            }
            let pks = self
                .discover_primary_keys(&table, Some(&owner_name))
                .await?;
            let mut def = build_definition(self.discovery_dialect().name(), &table, &columns, &pks);
            if options.relations {
                let fks = self
                    .discover_foreign_keys(&table, Some(&owner_name))
                    .await?;
                add_belongs_to(&mut def, &fks);
                for fk in &fks {
                    let k = format!("{}.{}", fk.pk_owner, fk.pk_table_name);
                    if !seen.contains(&k) && !queue.iter().any(|(_, t)| *t == fk.pk_table_name) {
                        queue.push((Some(fk.pk_owner.clone()), fk.pk_table_name.clone()));
                    }
                }
            }
            if options.has_many {
                let fks = self
                    .discover_exported_foreign_keys(&table, Some(&owner_name))
                    .await?;
                add_has_many(&mut def, &fks);
            }
            out.insert(key, def);
        }
        Ok(out)
    }

    /// The mapping the connector has cached for a model it knows (referenced by a foreign
    /// key of another model), if any.
    fn known_mapping(&self, model: &str) -> Option<Arc<TableMapping>> {
        let _ = model;
        None
    }

    /// Creates the foreign key constraints that the models declare in their `foreignKeys`
    /// setting and that their tables lack (by constraint name), as LoopBack 3's PostgreSQL
    /// and MySQL connectors do after `automigrate` / `autoupdate`. A key whose `entity` is
    /// neither among `models` nor known to the connector is skipped, as there. SQLite cannot
    /// add constraints to existing tables: [`Error::NotSupported`] when a model declares one.
    /// The statements are those of [`Discovery::foreign_key_steps`].
    async fn add_foreign_keys(&self, models: &[Arc<ModelDefinition>]) -> Result<()> {
        for step in self.foreign_key_steps(models, false).await? {
            for stmt in &step.statements {
                self.discovery_connector()
                    .execute(&stmt.sql, &stmt.params, &Options::new())
                    .await?;
            }
        }
        Ok(())
    }

    /// The `ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY` statements that
    /// [`Discovery::add_foreign_keys`] runs: one [`MigrationStep`] (phase
    /// [`MigrationPhase::ForeignKeys`]) per model that has constraints to add. With `fresh`,
    /// the tables are taken to be about to be (re-)created without constraints, so the catalog
    /// is not read and every declared key is added; otherwise the keys the table already has
    /// (by name) are left out. SQLite: [`Error::NotSupported`] when a model declares one.
    async fn foreign_key_steps(
        &self,
        models: &[Arc<ModelDefinition>],
        fresh: bool,
    ) -> Result<Vec<MigrationStep>> {
        let dialect = self.discovery_dialect();
        let mut steps = Vec::new();
        for def in models {
            let specs = super::ddl::foreign_keys(def)?;
            if specs.is_empty() {
                continue;
            }
            if dialect.name() == "sqlite3" {
                return Err(super::not_supported(
                    dialect.name(),
                    "foreign keys declared in `foreignKeys`",
                ));
            }
            let t = self.discovery_mapping(def)?;
            let existing = if fresh {
                Vec::new()
            } else {
                self.discover_foreign_keys(&t.table, t.schema.as_deref())
                    .await?
            };
            let mut statements = Vec::new();
            for fk in &specs {
                if existing.iter().any(|e| {
                    e.fk_name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(&fk.name))
                }) {
                    continue;
                }
                let entity = match models.iter().find(|m| m.name == fk.entity) {
                    Some(m) => self.discovery_mapping(m)?,
                    None => match self.known_mapping(&fk.entity) {
                        Some(e) => e,
                        None => continue,
                    },
                };
                statements.push(super::ddl::add_foreign_key(dialect, &t, fk, &entity));
            }
            if !statements.is_empty() {
                steps.push(MigrationStep {
                    model: def.name.clone(),
                    table: t,
                    phase: MigrationPhase::ForeignKeys,
                    statements,
                });
            }
        }
        Ok(steps)
    }

    /// What `automigrate` runs for `models`, without running it: per model, dropping and
    /// re-creating its table and indexes (and, on PostgreSQL, creating its schema when
    /// missing), then the declared foreign keys. The connector's `automigrate` is this plan
    /// given to [`Discovery::apply_migration`], so a dry run shows exactly what would run.
    async fn automigrate_plan(&self, models: &[Arc<ModelDefinition>]) -> Result<MigrationPlan>;

    /// What `autoupdate` runs for `models`, without running it: read from the catalog, the
    /// missing tables to create and, on existing tables, the columns and indexes to add (and on
    /// PostgreSQL the columns to widen or make nullable), then the missing foreign keys. Every
    /// model has a step, with no statements when its table is up to date: a plan for a
    /// database that matches the models [`MigrationPlan::is_empty`]. The connector's
    /// `autoupdate` is this plan given to [`Discovery::apply_migration`].
    async fn autoupdate_plan(&self, models: &[Arc<ModelDefinition>]) -> Result<MigrationPlan>;

    /// Runs a plan's statements in order, as the connector runs migrations (SQLite and
    /// PostgreSQL: in one transaction; MySQL, which commits DDL as it goes: one after the
    /// other), calling `progress` with each step's position and the step once its statements
    /// have run. A failing statement is classified as the connector's errors are, with the
    /// step's table.
    async fn apply_migration(
        &self,
        plan: &MigrationPlan,
        progress: &mut (dyn for<'s> FnMut(usize, &'s MigrationStep) + Send),
    ) -> Result<()>;

    /// The statements of [`Discovery::automigrate_plan`], in order.
    async fn automigrate_statements(
        &self,
        models: &[Arc<ModelDefinition>],
    ) -> Result<Vec<Statement>> {
        Ok(self.automigrate_plan(models).await?.into_statements())
    }

    /// The statements of [`Discovery::autoupdate_plan`], in order: empty when the database
    /// matches the models.
    async fn autoupdate_statements(
        &self,
        models: &[Arc<ModelDefinition>],
    ) -> Result<Vec<Statement>> {
        Ok(self.autoupdate_plan(models).await?.into_statements())
    }

    /// Whether the database holds every model's table with every mapped column, each of a
    /// type compatible with its property (LoopBack 3's `isActual`): false means `autoupdate`
    /// has work to do.
    async fn is_actual(&self, models: &[Arc<ModelDefinition>]) -> Result<bool> {
        let dialect = self.discovery_dialect();
        for def in models {
            let t = self.discovery_mapping(def)?;
            let columns = self
                .discover_model_properties(&t.table, t.schema.as_deref())
                .await?;
            if columns.is_empty() {
                return Ok(false);
            }
            for c in &t.columns {
                let Some(found) = columns
                    .iter()
                    .find(|d| d.column_name.eq_ignore_ascii_case(&c.name))
                else {
                    return Ok(false);
                };
                let expected = dialect.column_type(c);
                let expected_base = expected.split('(').next().unwrap_or_default();
                let compatible = match c.kind {
                    // Stored as text or a JSON type: any textual column will do.
                    ColumnKind::Json => true,
                    _ => family(&property_type(expected_base, None)) == family(&found.ty),
                };
                if !compatible {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }
}

/// A type family for `isActual`: booleans stored as small integers, dates stored as integers
/// (SQLite) are compatible with numbers.
fn family(ty: &PropertyType) -> u8 {
    match ty {
        PropertyType::Number | PropertyType::Boolean => 0,
        PropertyType::String => 1,
        PropertyType::Date => 2,
        PropertyType::Buffer => 3,
        _ => 4,
    }
}

async fn run<D: Discovery + ?Sized>(d: &D, q: CatalogQuery<'_>) -> Result<Vec<Record>> {
    let stmt = d.discovery_dialect().catalog_query(q)?;
    d.discovery_connector()
        .execute(&stmt.sql, &stmt.params, &Options::new())
        .await
}

fn field<'r>(r: &'r Record, key: &str) -> Option<&'r Value> {
    r.get(key).or_else(|| {
        r.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn opt_text(r: &Record, key: &str) -> Option<String> {
    match field(r, key)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Buffer(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::Int(i) => Some(i.to_string()),
        Value::Bool(b) => Some(if *b { "YES" } else { "NO" }.to_owned()),
        other => Some(other.to_json().to_string()),
    }
}

fn text(r: &Record, key: &str) -> String {
    opt_text(r, key).unwrap_or_default()
}

fn int(r: &Record, key: &str) -> Option<i64> {
    match field(r, key)? {
        Value::Int(i) => Some(*i),
        Value::Float(f) => Some(*f as i64),
        Value::Bool(b) => Some(i64::from(*b)),
        Value::String(s) => s.trim().parse().ok(),
        Value::Buffer(b) => std::str::from_utf8(b).ok()?.trim().parse().ok(),
        _ => None,
    }
}

fn column_from_row(r: &Record) -> DiscoveredColumn {
    let declared = text(r, "data_type");
    let mut data_length = int(r, "data_length");
    let mut data_precision = int(r, "data_precision");
    let mut data_scale = int(r, "data_scale");
    // SQLite keeps the declared type as written: `VARCHAR(20)`, `DECIMAL(10,2)`.
    let data_type = match declared.split_once('(') {
        Some((base, sizes)) => {
            let sizes: Vec<i64> = sizes
                .trim_end_matches(')')
                .split(',')
                .filter_map(|s| s.trim().parse().ok())
                .collect();
            let base = base.trim().to_owned();
            let numeric = matches!(
                base.to_ascii_uppercase().as_str(),
                "DECIMAL" | "NUMERIC" | "FLOAT" | "DOUBLE" | "REAL"
            );
            match (numeric, sizes.as_slice()) {
                (true, [p, s]) => {
                    data_precision = data_precision.or(Some(*p));
                    data_scale = data_scale.or(Some(*s));
                }
                (true, [p]) => data_precision = data_precision.or(Some(*p)),
                (false, [n, ..]) => data_length = data_length.or(Some(*n)),
                _ => {}
            }
            base
        }
        None => declared,
    };
    let column_type = opt_text(r, "column_type");
    let ty = property_type(&data_type, column_type.as_deref());
    DiscoveredColumn {
        owner: text(r, "owner"),
        table_name: text(r, "table_name"),
        column_name: text(r, "column_name"),
        data_type,
        data_length,
        data_precision,
        data_scale,
        nullable: opt_text(r, "nullable").unwrap_or_else(|| "YES".into()),
        ty,
    }
}

fn fk_from_row(r: &Record) -> DiscoveredForeignKey {
    DiscoveredForeignKey {
        fk_owner: text(r, "fk_owner"),
        fk_name: opt_text(r, "fk_name"),
        fk_table_name: text(r, "fk_table_name"),
        fk_column_name: text(r, "fk_column_name"),
        key_seq: int(r, "key_seq").map_or(1, |n| u32::try_from(n).unwrap_or(1)),
        pk_owner: text(r, "pk_owner"),
        pk_name: opt_text(r, "pk_name"),
        pk_table_name: text(r, "pk_table_name"),
        pk_column_name: text(r, "pk_column_name"),
    }
}

/// The LoopBack type of a database type, as LoopBack 3's connectors map them (MySQL's
/// `char(1)` is a boolean, as there by default; `tinyint(1)` stays a number). Unknown types
/// are strings.
pub fn property_type(data_type: &str, column_type: Option<&str>) -> PropertyType {
    let t = data_type.trim().to_ascii_uppercase();
    if t == "CHAR" && column_type.is_some_and(|c| c.eq_ignore_ascii_case("char(1)")) {
        return PropertyType::Boolean;
    }
    match t.as_str() {
        "BOOL" | "BOOLEAN" => PropertyType::Boolean,
        "BLOB" | "TINYBLOB" | "MEDIUMBLOB" | "LONGBLOB" | "BINARY" | "VARBINARY" | "BIT"
        | "BYTEA" => PropertyType::Buffer,
        "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "INTEGER" | "BIGINT" | "YEAR" | "FLOAT"
        | "DOUBLE" | "DOUBLE PRECISION" | "REAL" | "DECIMAL" | "NUMERIC" | "SERIAL"
        | "BIGSERIAL" | "SMALLSERIAL" | "INT2" | "INT4" | "INT8" | "FLOAT4" | "FLOAT8" => {
            PropertyType::Number
        }
        "DATE"
        | "DATETIME"
        | "TIMESTAMP"
        | "TIMESTAMPTZ"
        | "TIMESTAMP WITHOUT TIME ZONE"
        | "TIMESTAMP WITH TIME ZONE"
        | "TIME"
        | "TIME WITHOUT TIME ZONE"
        | "TIME WITH TIME ZONE" => PropertyType::Date,
        "POINT" => PropertyType::GeoPoint,
        _ if t.ends_with(" UNSIGNED") => property_type(&t[..t.len() - 9], None),
        _ => PropertyType::String,
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f
            .to_uppercase()
            .chain(c.as_str().to_lowercase().chars())
            .collect(),
        None => String::new(),
    }
}

fn from_db_name(name: &str, camel: bool) -> String {
    let mut out = String::new();
    for (i, part) in name.split(['_', '-']).enumerate() {
        if i == 0 && camel {
            out.push_str(&part.to_lowercase());
        } else {
            out.push_str(&capitalize(part));
        }
    }
    out
}

/// LoopBack 3's model name for a table: `book_author` → `BookAuthor`.
pub fn model_name(table: &str) -> String {
    from_db_name(table, false)
}

/// LoopBack 3's property name for a column: `author_id` → `authorId`.
pub fn property_name(column: &str) -> String {
    from_db_name(column, true)
}

/// LoopBack 3's belongsTo relation name for a foreign key (its constraint name, else the
/// referenced table): `fk_book_author` → `fkBookAuthorrel`.
pub fn relation_name(fk_name_or_table: &str) -> String {
    from_db_name(&format!("{fk_name_or_table}Rel"), true)
}

fn size_json(n: Option<i64>) -> Json {
    n.map_or(Json::Null, |n| json!(n))
}

/// Builds a model definition from discovered columns and primary keys as LoopBack 3 does:
/// `idInjection: false`, `strict: false`, `replaceOnPUT: true`, the connector's key holding
/// `schema` and `table`, and per property `type`, `required`, `length`, `precision`,
/// `scale`, `id`, and the connector's `columnName`, `dataType`, `dataLength`,
/// `dataPrecision`, `dataScale`, `nullable`.
pub fn build_definition(
    connector: &str,
    table: &str,
    columns: &[DiscoveredColumn],
    pks: &[DiscoveredPrimaryKey],
) -> ModelDefinition {
    let mut def = ModelDefinition::new(model_name(table));
    def.strict = Some(Strict::False);
    def.id_injection = Some(false);
    def.replace_on_put = Some(true);
    let owner = columns.first().map(|c| c.owner.clone()).unwrap_or_default();
    def.connector_settings.insert(
        connector.to_owned(),
        json!({ "schema": owner, "table": table }),
    );
    for c in columns {
        let name = property_name(&c.column_name);
        let mut p = PropertyDefinition::new(name.clone(), c.ty.clone());
        p.required = !c.is_nullable();
        p.extra.insert("length".into(), size_json(c.data_length));
        p.extra
            .insert("precision".into(), size_json(c.data_precision));
        p.extra.insert("scale".into(), size_json(c.data_scale));
        if let Some(pk) = pks
            .iter()
            .find(|pk| pk.column_name.eq_ignore_ascii_case(&c.column_name))
        {
            p.id = Some(pk.key_seq.max(1));
        }
        p.connector_settings.insert(
            connector.to_owned(),
            json!({
                "columnName": c.column_name,
                "dataType": c.data_type,
                "dataLength": size_json(c.data_length),
                "dataPrecision": size_json(c.data_precision),
                "dataScale": size_json(c.data_scale),
                "nullable": c.nullable,
            }),
        );
        def.properties.insert(name, p);
    }
    def
}

fn relation(name: String, kind: RelationKind, model: String, fk: String) -> RelationDefinition {
    RelationDefinition {
        name,
        kind,
        model: Some(model),
        foreign_key: Some(fk),
        primary_key: None,
        through: None,
        key_through: None,
        polymorphic: None,
        property: None,
        scope: None,
        options: Map::new(),
        extra: Map::new(),
    }
}

/// Adds a belongsTo relation per foreign key, named as LoopBack 3 names them.
pub fn add_belongs_to(def: &mut ModelDefinition, fks: &[DiscoveredForeignKey]) {
    for fk in fks {
        let name = relation_name(fk.fk_name.as_deref().unwrap_or(&fk.pk_table_name));
        def.relations.entry(name.clone()).or_insert_with(|| {
            relation(
                name,
                RelationKind::BelongsTo,
                model_name(&fk.pk_table_name),
                property_name(&fk.fk_column_name),
            )
        });
    }
}

/// Adds a hasMany relation per exported foreign key, named after the referencing model in
/// the plural with a lower-case initial (`Book` → `books`; `booksByAuthorId` when one
/// table references this one twice).
pub fn add_has_many(def: &mut ModelDefinition, fks: &[DiscoveredForeignKey]) {
    for fk in fks {
        let target = model_name(&fk.fk_table_name);
        let plural = loopback_core::model::pluralize(&target);
        let mut name = format!(
            "{}{}",
            plural[..1].to_lowercase(),
            &plural[plural.chars().next().map_or(0, char::len_utf8)..]
        );
        if def.relations.contains_key(&name) || def.properties.contains_key(&name) {
            name = format!(
                "{name}By{}",
                capitalize_first(&property_name(&fk.fk_column_name))
            );
        }
        def.relations.entry(name.clone()).or_insert_with(|| {
            relation(
                name,
                RelationKind::HasMany,
                target,
                property_name(&fk.fk_column_name),
            )
        });
    }
}

fn capitalize_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield", "gen",
];

fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, ch) in name.chars().enumerate() {
        if ch.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(ch.to_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

fn camel_case(field: &str) -> String {
    let mut out = String::new();
    for (i, part) in field.split('_').enumerate() {
        if i == 0 {
            out.push_str(part);
        } else {
            out.push_str(&capitalize_first(part));
        }
    }
    out
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        && s != "_"
}

fn rust_string(s: &str) -> String {
    format!("{s:?}")
}

fn connector_attr(key: &str, settings: &Json) -> Option<String> {
    let obj = settings.as_object()?;
    let items: Vec<String> = obj
        .iter()
        .filter_map(|(k, v)| {
            let v = match v {
                Json::String(s) => rust_string(s),
                Json::Number(n) => n.to_string(),
                Json::Bool(b) => b.to_string(),
                _ => return None,
            };
            Some(format!("{} = {v}", snake_case(k)))
        })
        .collect();
    (!items.is_empty()).then(|| format!("{key}({})", items.join(", ")))
}

fn rust_type(p: &PropertyDefinition, connector: &str) -> &'static str {
    let data_type = p
        .connector_settings
        .get(connector)
        .and_then(|s| s.get("dataType"))
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_ascii_uppercase();
    let integer = matches!(
        data_type.trim_end_matches(" UNSIGNED"),
        "TINYINT"
            | "SMALLINT"
            | "MEDIUMINT"
            | "INT"
            | "INTEGER"
            | "BIGINT"
            | "INT2"
            | "INT4"
            | "INT8"
            | "SERIAL"
            | "BIGSERIAL"
            | "YEAR"
    ) || (matches!(data_type.as_str(), "DECIMAL" | "NUMERIC")
        && p.connector_settings
            .get(connector)
            .and_then(|s| s.get("dataScale"))
            .and_then(Json::as_i64)
            == Some(0));
    match &p.ty {
        PropertyType::String => "String",
        PropertyType::Number if integer => "i64",
        PropertyType::Number => "f64",
        PropertyType::Boolean => "bool",
        PropertyType::Date => "chrono::DateTime<chrono::Utc>",
        PropertyType::Buffer => "loopback::Buffer",
        PropertyType::GeoPoint => "loopback::GeoPoint",
        _ => "serde_json::Value",
    }
}

/// Rust source of a `#[derive(Model)]` struct for a definition built by discovery (see
/// `docs/derive.md`): the model's settings and connector settings, one field per property
/// (snake_case, `rename` when the camelCase rule would not give the property name back) with
/// its id position, `column` and the connector's settings, and one `relation(...)` per
/// relation. Nullable columns and ids are `Option`s; ids that are NOT NULL are `required`.
/// Date fields use `chrono`, buffers and points `loopback::Buffer` / `loopback::GeoPoint`.
pub fn model_source(def: &ModelDefinition, connector: &str) -> String {
    let mut s = String::from("#[derive(Debug, Clone, loopback::Model)]\n");
    let mut attrs: Vec<String> = Vec::new();
    if let Some(strict) = def.strict {
        attrs.push(format!(
            "strict = {}",
            match strict {
                Strict::False => "false".to_owned(),
                Strict::True => "true".to_owned(),
                Strict::Filter => "\"filter\"".to_owned(),
                Strict::Throw => "\"throw\"".to_owned(),
            }
        ));
    }
    if let Some(b) = def.id_injection {
        attrs.push(format!("id_injection = {b}"));
    }
    if let Some(b) = def.replace_on_put {
        attrs.push(format!("replace_on_put = {b}"));
    }
    for (key, settings) in &def.connector_settings {
        if let Some(a) = connector_attr(key, settings) {
            attrs.push(a);
        }
    }
    for r in def.relations.values() {
        let kind = match r.kind {
            RelationKind::BelongsTo => "belongs_to",
            RelationKind::HasOne => "has_one",
            RelationKind::HasMany => "has_many",
            RelationKind::HasAndBelongsToMany => "has_and_belongs_to_many",
            RelationKind::EmbedsOne => "embeds_one",
            RelationKind::EmbedsMany => "embeds_many",
            RelationKind::ReferencesMany => "references_many",
        };
        let mut a = format!("relation({}, {kind}", rust_string(&r.name));
        if let Some(m) = &r.model {
            a.push_str(&format!(" = {m}"));
        }
        if let Some(fk) = &r.foreign_key {
            a.push_str(&format!(", foreign_key = {}", rust_string(fk)));
        }
        a.push(')');
        attrs.push(a);
    }
    let struct_name = if is_ident(&def.name) && !KEYWORDS.contains(&def.name.as_str()) {
        def.name.clone()
    } else {
        attrs.insert(0, format!("name = {}", rust_string(&def.name)));
        format!(
            "Model{}",
            def.name.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        )
    };
    if !attrs.is_empty() {
        s.push_str("#[model(\n");
        for a in &attrs {
            s.push_str(&format!("    {a},\n"));
        }
        s.push_str(")]\n");
    }
    s.push_str(&format!("pub struct {struct_name} {{\n"));
    for (i, p) in def.properties.values().enumerate() {
        let mut field = snake_case(&p.name);
        let mut attrs: Vec<String> = Vec::new();
        if !is_ident(&field) {
            field = format!("field_{i}");
        }
        if camel_case(&field) != p.name {
            attrs.push(format!("rename = {}", rust_string(&p.name)));
        }
        if KEYWORDS.contains(&field.as_str()) {
            field = format!("r#{field}");
        }
        match p.id {
            Some(1) => attrs.push("id".into()),
            Some(n) => attrs.push(format!("id = {n}")),
            None => {}
        }
        if p.id.is_some() && p.required {
            attrs.push("required".into());
        }
        if let Some(col) = p.column_name(connector) {
            attrs.push(format!("column = {}", rust_string(col)));
        }
        for (key, settings) in &p.connector_settings {
            if let Some(a) = connector_attr(key, settings) {
                attrs.push(a);
            }
        }
        if !attrs.is_empty() {
            s.push_str(&format!("    #[model({})]\n", attrs.join(", ")));
        }
        let ty = rust_type(p, connector);
        let ty = if p.required && p.id.is_none() {
            ty.to_owned()
        } else {
            format!("Option<{ty}>")
        };
        s.push_str(&format!("    pub {field}: {ty},\n"));
    }
    s.push_str("}\n");
    s
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
/// Writes `… WHERE <column> = <owner>` for catalog queries: the given owner as a parameter,
/// else `current` (the connection's current schema expression).
pub(crate) fn push_owner(w: &mut SqlWriter, column: &str, owner: Option<&str>, current: &str) {
    w.push(column);
    w.push(" = ");
    match owner {
        Some(o) => w.push_param(Value::String(o.to_owned())),
        None => w.push(current),
    }
}

/// Catalog queries for SQLite (the `main` database).
pub(crate) fn sqlite_catalog(w: SqlWriter, q: CatalogQuery<'_>) -> Statement {
    let mut w = w;
    let fk_columns = "'main' AS fk_owner, NULL AS fk_name, ";
    match q {
        CatalogQuery::Tables { views, .. } => {
            w.push(
                "SELECT type AS kind, name, 'main' AS owner FROM sqlite_master \
                 WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND type IN ('table'",
            );
            if views {
                w.push(", 'view'");
            }
            w.push(") ORDER BY name");
        }
        CatalogQuery::Columns { table, .. } => {
            w.push("SELECT 'main' AS owner, ");
            w.push_param(Value::String(table.to_owned()));
            w.push(
                " AS table_name, name AS column_name, type AS data_type, NULL AS data_length, \
                 NULL AS data_precision, NULL AS data_scale, \
                 CASE WHEN \"notnull\" = 1 THEN 'NO' ELSE 'YES' END AS nullable \
                 FROM pragma_table_info(",
            );
            w.push_param(Value::String(table.to_owned()));
            w.push(") ORDER BY cid");
        }
        CatalogQuery::PrimaryKeys { table, .. } => {
            w.push("SELECT 'main' AS owner, ");
            w.push_param(Value::String(table.to_owned()));
            w.push(
                " AS table_name, name AS column_name, pk AS key_seq, NULL AS pk_name \
                 FROM pragma_table_info(",
            );
            w.push_param(Value::String(table.to_owned()));
            w.push(") WHERE pk > 0 ORDER BY pk");
        }
        CatalogQuery::ForeignKeys { table, .. } => {
            w.push("SELECT ");
            w.push(fk_columns);
            w.push_param(Value::String(table.to_owned()));
            w.push(
                " AS fk_table_name, \"from\" AS fk_column_name, seq + 1 AS key_seq, \
                 'main' AS pk_owner, NULL AS pk_name, \"table\" AS pk_table_name, \
                 \"to\" AS pk_column_name FROM pragma_foreign_key_list(",
            );
            w.push_param(Value::String(table.to_owned()));
            w.push(") ORDER BY id, seq");
        }
        CatalogQuery::ExportedForeignKeys { table, .. } => {
            w.push("SELECT ");
            w.push(fk_columns);
            w.push(
                "m.name AS fk_table_name, f.\"from\" AS fk_column_name, f.seq + 1 AS key_seq, \
                 'main' AS pk_owner, NULL AS pk_name, f.\"table\" AS pk_table_name, \
                 f.\"to\" AS pk_column_name FROM sqlite_master m \
                 JOIN pragma_foreign_key_list(m.name) f \
                 WHERE m.type = 'table' AND f.\"table\" = ",
            );
            w.push_param(Value::String(table.to_owned()));
            w.push(" COLLATE NOCASE ORDER BY m.name, f.id, f.seq");
        }
    }
    w.finish()
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
/// Catalog queries over `information_schema` for PostgreSQL (`current`:
/// `current_schema()`) and MySQL (`DATABASE()`); `cast_text` / `cast_int` wrap
/// catalog values whose driver types are not plain text / integers.
pub(crate) fn information_schema_catalog(
    w: SqlWriter,
    q: CatalogQuery<'_>,
    current: &str,
    postgres: bool,
) -> Statement {
    let mut w = w;
    let t = |e: &str| {
        if postgres {
            format!("{e}::text")
        } else {
            e.to_owned()
        }
    };
    let i = |e: &str| {
        if postgres {
            format!("{e}::int8")
        } else {
            e.to_owned()
        }
    };
    let system = if postgres {
        "('pg_catalog', 'information_schema')"
    } else {
        "('mysql', 'information_schema', 'performance_schema', 'sys')"
    };
    match q {
        CatalogQuery::Tables {
            owner,
            all_owners,
            views,
        } => {
            w.push(&format!(
                "SELECT CASE WHEN table_type = 'VIEW' THEN 'view' ELSE 'table' END AS kind, \
                 {} AS name, {} AS owner FROM information_schema.tables WHERE table_type IN \
                 ('BASE TABLE'{}) AND ",
                t("table_name"),
                t("table_schema"),
                if views { ", 'VIEW'" } else { "" }
            ));
            if all_owners && owner.is_none() {
                w.push(&format!("table_schema NOT IN {system}"));
            } else {
                push_owner(&mut w, "table_schema", owner, current);
            }
            w.push(" ORDER BY owner, name");
        }
        CatalogQuery::Columns { owner, table } => {
            let data_type = if postgres {
                "CASE WHEN data_type IN ('real', 'double precision') THEN 'float' \
                 ELSE data_type::text END"
                    .to_owned()
            } else {
                "data_type".to_owned()
            };
            let precision = if postgres {
                "CASE WHEN data_type IN ('integer', 'bigint', 'smallint') THEN NULL \
                 ELSE numeric_precision::int8 END"
                    .to_owned()
            } else {
                "numeric_precision".to_owned()
            };
            let nullable = if postgres {
                "is_nullable::text".to_owned()
            } else {
                "CASE WHEN is_nullable = 'YES' THEN 'Y' ELSE 'N' END".to_owned()
            };
            w.push(&format!(
                "SELECT {} AS owner, {} AS table_name, {} AS column_name, {data_type} AS \
                 data_type, {} AS data_length, {precision} AS data_precision, {} AS \
                 data_scale, {nullable} AS nullable{} FROM information_schema.columns \
                 WHERE table_name = ",
                t("table_schema"),
                t("table_name"),
                t("column_name"),
                i("character_maximum_length"),
                i("numeric_scale"),
                if postgres {
                    ""
                } else {
                    ", column_type AS column_type"
                },
            ));
            w.push_param(Value::String(table.to_owned()));
            w.push(" AND ");
            push_owner(&mut w, "table_schema", owner, current);
            w.push(" ORDER BY ordinal_position");
        }
        CatalogQuery::PrimaryKeys { owner, table } => {
            w.push(&format!(
                "SELECT {} AS owner, {} AS table_name, {} AS column_name, {} AS key_seq, \
                 {} AS pk_name FROM information_schema.key_column_usage kc \
                 JOIN information_schema.table_constraints tc \
                 ON kc.table_name = tc.table_name AND kc.table_schema = tc.table_schema \
                 AND kc.constraint_name = tc.constraint_name \
                 WHERE tc.constraint_type = 'PRIMARY KEY' AND kc.table_name = ",
                t("kc.table_schema"),
                t("kc.table_name"),
                t("kc.column_name"),
                i("kc.ordinal_position"),
                t("kc.constraint_name"),
            ));
            w.push_param(Value::String(table.to_owned()));
            w.push(" AND ");
            push_owner(&mut w, "kc.table_schema", owner, current);
            w.push(" ORDER BY kc.ordinal_position");
        }
        CatalogQuery::ForeignKeys { owner, table }
        | CatalogQuery::ExportedForeignKeys { owner, table } => {
            let exported = matches!(q, CatalogQuery::ExportedForeignKeys { .. });
            if postgres {
                w.push(&format!(
                    "SELECT {} AS fk_owner, {} AS fk_name, {} AS fk_table_name, \
                     {} AS fk_column_name, {} AS key_seq, {} AS pk_owner, {} AS pk_name, \
                     {} AS pk_table_name, {} AS pk_column_name \
                     FROM information_schema.key_column_usage kc \
                     JOIN information_schema.referential_constraints rc \
                     ON rc.constraint_schema = kc.constraint_schema \
                     AND rc.constraint_name = kc.constraint_name \
                     JOIN information_schema.key_column_usage pk \
                     ON pk.constraint_schema = rc.unique_constraint_schema \
                     AND pk.constraint_name = rc.unique_constraint_name \
                     AND pk.ordinal_position = kc.position_in_unique_constraint WHERE ",
                    t("kc.table_schema"),
                    t("kc.constraint_name"),
                    t("kc.table_name"),
                    t("kc.column_name"),
                    i("kc.ordinal_position"),
                    t("pk.table_schema"),
                    t("pk.constraint_name"),
                    t("pk.table_name"),
                    t("pk.column_name"),
                ));
            } else {
                w.push(
                    "SELECT kc.table_schema AS fk_owner, kc.constraint_name AS fk_name, \
                     kc.table_name AS fk_table_name, kc.column_name AS fk_column_name, \
                     kc.ordinal_position AS key_seq, \
                     kc.referenced_table_schema AS pk_owner, 'PRIMARY' AS pk_name, \
                     kc.referenced_table_name AS pk_table_name, \
                     kc.referenced_column_name AS pk_column_name \
                     FROM information_schema.key_column_usage kc \
                     WHERE kc.referenced_table_name IS NOT NULL AND ",
                );
            }
            let (schema_col, table_col) = match (exported, postgres) {
                (false, _) => ("kc.table_schema", "kc.table_name"),
                (true, true) => ("pk.table_schema", "pk.table_name"),
                (true, false) => ("kc.referenced_table_schema", "kc.referenced_table_name"),
            };
            w.push(table_col);
            w.push(" = ");
            w.push_param(Value::String(table.to_owned()));
            w.push(" AND ");
            push_owner(&mut w, schema_col, owner, current);
            w.push(
                " ORDER BY kc.table_schema, kc.table_name, kc.constraint_name, kc.ordinal_position",
            );
        }
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_loopback_3() {
        assert_eq!(model_name("book_author"), "BookAuthor");
        assert_eq!(model_name("INVENTORY"), "Inventory");
        assert_eq!(model_name("coffeeshop"), "Coffeeshop");
        assert_eq!(property_name("author_id"), "authorId");
        assert_eq!(property_name("ID"), "id");
        assert_eq!(property_name("firstName"), "firstname");
        assert_eq!(relation_name("book_author_fk"), "bookAuthorFkrel");
        assert_eq!(relation_name("author"), "authorrel");
    }

    #[test]
    fn types_follow_loopback_3() {
        assert_eq!(property_type("varchar", None), PropertyType::String);
        assert_eq!(
            property_type("character varying", None),
            PropertyType::String
        );
        assert_eq!(property_type("INTEGER", None), PropertyType::Number);
        assert_eq!(property_type("float", None), PropertyType::Number);
        assert_eq!(
            property_type("timestamp with time zone", None),
            PropertyType::Date
        );
        assert_eq!(property_type("bytea", None), PropertyType::Buffer);
        assert_eq!(property_type("boolean", None), PropertyType::Boolean);
        assert_eq!(
            property_type("char", Some("char(1)")),
            PropertyType::Boolean
        );
        assert_eq!(
            property_type("tinyint", Some("tinyint(1)")),
            PropertyType::Number
        );
        assert_eq!(property_type("jsonb", None), PropertyType::String);
    }

    #[test]
    fn field_names_round_trip() {
        assert_eq!(snake_case("authorId"), "author_id");
        assert_eq!(camel_case("author_id"), "authorId");
        assert!(!is_ident("1abc"));
        assert!(is_ident("r2d2"));
    }
}
