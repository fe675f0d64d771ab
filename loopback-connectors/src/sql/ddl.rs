//! Schema statements for `automigrate` and `autoupdate`.

use loopback_core::model::ModelDefinition;
use loopback_core::{Error, Result};
use serde_json::Value as Json;

use super::dialect::Dialect;
use super::mapping::{ColumnMapping, TableMapping};
use super::writer::{SqlWriter, Statement};

/// `DROP TABLE IF EXISTS`.
pub fn drop_table(d: &dyn Dialect, t: &TableMapping) -> Statement {
    let mut w = SqlWriter::new(d.syntax());
    w.push("DROP TABLE IF EXISTS ");
    w.push(&t.qualified);
    w.finish()
}

/// `ALTER TABLE … DROP CONSTRAINT name` (MySQL: `DROP FOREIGN KEY name`): a foreign key of
/// `t`, dropped before the table it references is re-created.
pub fn drop_foreign_key(d: &dyn Dialect, t: &TableMapping, name: &str) -> Statement {
    let mut w = SqlWriter::new(d.syntax());
    w.push("ALTER TABLE ");
    w.push(&t.qualified);
    w.push(if d.name() == "mysql" {
        " DROP FOREIGN KEY "
    } else {
        " DROP CONSTRAINT "
    });
    w.push_identifier(name);
    w.finish()
}

/// `CREATE TABLE` with one column per property and the primary key, then one
/// `CREATE [UNIQUE] INDEX` per index.
pub fn create_table(d: &dyn Dialect, t: &TableMapping) -> Vec<Statement> {
    create_table_with_foreign_keys(d, t, &[])
}

/// [`create_table`] with `CONSTRAINT … FOREIGN KEY` clauses inside the statement, for
/// databases that cannot add constraints to an existing table (SQLite). Each key comes with
/// the mapping of the table it references.
pub fn create_table_with_foreign_keys(
    d: &dyn Dialect,
    t: &TableMapping,
    fks: &[(ForeignKeySpec, std::sync::Arc<TableMapping>)],
) -> Vec<Statement> {
    let mut w = SqlWriter::new(d.syntax());
    w.push("CREATE TABLE ");
    w.push(&t.qualified);
    w.push(" (");
    let mut first = true;
    for c in &t.columns {
        if !first {
            w.push(", ");
        }
        first = false;
        w.push(&d.column_definition(t, c, true));
    }
    if let Some(pk) = d.primary_key_clause(t) {
        if !first {
            w.push(", ");
        }
        w.push(&pk);
    }
    for (fk, entity) in fks {
        w.push(", ");
        write_foreign_key(&mut w, t, fk, entity);
    }
    w.push(")");
    if let Some(options) = d.table_options() {
        w.push(" ");
        w.push(&options);
    }
    let mut out = vec![w.finish()];
    out.extend(t.indexes.iter().map(|i| d.create_index(t, i)));
    out
}

/// `ALTER TABLE … ADD COLUMN` for a column the table lacks. The column is nullable whatever
/// the model says: the rows already there have no value for it.
pub fn add_column(d: &dyn Dialect, t: &TableMapping, c: &ColumnMapping) -> Statement {
    let mut w = SqlWriter::new(d.syntax());
    w.push("ALTER TABLE ");
    w.push(&t.qualified);
    w.push(" ADD COLUMN ");
    w.push(&d.column_definition(t, c, false));
    w.finish()
}

/// A foreign key declared in a model's `foreignKeys` setting, as LoopBack 3's PostgreSQL and
/// MySQL connectors read it: `{"name": "fk_book_author", "entity": "Author", "entityKey":
/// "id", "foreignKey": "authorId", "onDelete": "CASCADE", "onUpdate": "RESTRICT"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKeySpec {
    /// The constraint name (`name`, else the setting's key).
    pub name: String,
    /// The referenced model (`entity`: a name, or an object with a `name`).
    pub entity: String,
    /// The referenced property or column (`entityKey`); the referenced model's id when unset.
    pub entity_key: Option<String>,
    /// The referencing property or column (`foreignKey`).
    pub foreign_key: String,
    /// `ON DELETE` action, upper-cased.
    pub on_delete: Option<String>,
    /// `ON UPDATE` action, upper-cased.
    pub on_update: Option<String>,
}

const FK_ACTIONS: &[&str] = &[
    "RESTRICT",
    "CASCADE",
    "SET NULL",
    "SET DEFAULT",
    "NO ACTION",
];

/// The foreign keys a model declares in its `foreignKeys` setting (top level or under
/// `options`). Actions other than `RESTRICT`, `CASCADE`, `SET NULL`, `SET DEFAULT` and
/// `NO ACTION`, and declarations without `entity` or `foreignKey`, are definition errors.
pub fn foreign_keys(def: &ModelDefinition) -> Result<Vec<ForeignKeySpec>> {
    let Some(fks) = def
        .extra
        .get("foreignKeys")
        .or_else(|| def.options.get("foreignKeys"))
    else {
        return Ok(Vec::new());
    };
    let at = |k: &str| format!("{}.foreignKeys.{k}", def.name);
    let Some(fks) = fks.as_object() else {
        return Err(Error::definition(
            format!("{}.foreignKeys", def.name),
            "`foreignKeys` must be an object",
        ));
    };
    let mut out = Vec::with_capacity(fks.len());
    for (key, fk) in fks {
        let s = |k: &str| fk.get(k).and_then(Json::as_str).map(str::to_owned);
        let entity = match fk.get("entity") {
            Some(Json::String(s)) => s.clone(),
            Some(Json::Object(o)) => match o.get("name").and_then(Json::as_str) {
                Some(n) => n.to_owned(),
                None => return Err(Error::definition(at(key), "`entity` has no `name`")),
            },
            _ => {
                return Err(Error::definition(
                    at(key),
                    "`entity` (a model name) is required",
                ))
            }
        };
        let foreign_key = s("foreignKey")
            .ok_or_else(|| Error::definition(at(key), "`foreignKey` is required"))?;
        let action = |k: &str| -> Result<Option<String>> {
            match s(k) {
                None => Ok(None),
                Some(a) => {
                    let a = a.trim().to_ascii_uppercase();
                    if FK_ACTIONS.contains(&a.as_str()) {
                        Ok(Some(a))
                    } else {
                        Err(Error::definition(
                            at(key),
                            format!("`{k}` must be one of {}", FK_ACTIONS.join(", ")),
                        ))
                    }
                }
            }
        };
        out.push(ForeignKeySpec {
            name: s("name").unwrap_or_else(|| key.clone()),
            entity,
            entity_key: s("entityKey"),
            foreign_key,
            on_delete: action("onDelete")?,
            on_update: action("onUpdate")?,
        });
    }
    Ok(out)
}

fn key_column(t: &TableMapping, key: &str) -> String {
    t.column(key)
        .or_else(|| t.column_named(key))
        .map(|c| c.name.clone())
        .unwrap_or_else(|| key.to_owned())
}

/// `ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY (…) REFERENCES …` for a declared foreign key;
/// property names are mapped to their columns.
pub fn add_foreign_key(
    d: &dyn Dialect,
    t: &TableMapping,
    fk: &ForeignKeySpec,
    entity: &TableMapping,
) -> Statement {
    let mut w = SqlWriter::new(d.syntax());
    w.push("ALTER TABLE ");
    w.push(&t.qualified);
    w.push(" ADD ");
    write_foreign_key(&mut w, t, fk, entity);
    w.finish()
}

/// `CONSTRAINT name FOREIGN KEY (column) REFERENCES table (column) [ON DELETE …] [ON UPDATE …]`.
fn write_foreign_key(
    w: &mut SqlWriter,
    t: &TableMapping,
    fk: &ForeignKeySpec,
    entity: &TableMapping,
) {
    w.push("CONSTRAINT ");
    w.push_identifier(&fk.name);
    w.push(" FOREIGN KEY (");
    w.push_identifier(&key_column(t, &fk.foreign_key));
    w.push(") REFERENCES ");
    w.push(&entity.qualified);
    w.push(" (");
    let entity_key = match &fk.entity_key {
        Some(k) => key_column(entity, k),
        None => entity
            .id_column()
            .map_or_else(|| "id".to_owned(), |c| c.name.clone()),
    };
    w.push_identifier(&entity_key);
    w.push(")");
    if let Some(a) = &fk.on_delete {
        w.push(" ON DELETE ");
        w.push(a);
    }
    if let Some(a) = &fk.on_update {
        w.push(" ON UPDATE ");
        w.push(a);
    }
}
