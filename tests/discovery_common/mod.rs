//! The discovery scenario shared by the SQL connectors' discovery tests: tables `author` and
//! `book` (with a foreign key to `author`) and a view `cheap_book`, created with raw SQL.

#![allow(dead_code)] // each test binary uses its own part

use std::sync::Arc;

use loopback::connectors::discovery::model_source;
use loopback::connectors::{DiscoverOptions, Discovery, MigrationPhase};
use loopback::{record, Connector, ModelDefinition, Options, PropertyType, RelationKind};
use serde_json::json;

/// The DDL of the scenario for one database, in order.
pub struct Scenario {
    /// `CREATE TABLE author`, `CREATE TABLE book`, `CREATE VIEW cheap_book`.
    pub ddl: [&'static str; 3],
    /// The connector key (`sqlite3`, `postgresql`, `mysql`).
    pub key: &'static str,
    /// The owner discovery reports.
    pub owner: String,
}

/// Runs the scenario on a connector with an empty database.
pub async fn discovery_scenario<C: Connector + Discovery>(db: &C, s: &Scenario) {
    let opts = Options::new();
    for stmt in s.ddl {
        db.execute(stmt, &[], &opts).await.unwrap();
    }

    // Tables, then tables and views.
    let tables = db
        .discover_model_definitions(&DiscoverOptions::default())
        .await
        .unwrap();
    let names: Vec<(&str, &str, &str)> = tables
        .iter()
        .map(|t| (t.kind.as_str(), t.name.as_str(), t.owner.as_str()))
        .collect();
    assert_eq!(
        names,
        [("table", "author", &*s.owner), ("table", "book", &*s.owner)]
    );
    let with_views = db
        .discover_model_definitions(&DiscoverOptions {
            views: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        with_views
            .iter()
            .any(|t| t.kind == "view" && t.name == "cheap_book"),
        "{with_views:?}"
    );

    // Columns, keys.
    let columns = db.discover_model_properties("book", None).await.unwrap();
    let cols: Vec<&str> = columns.iter().map(|c| c.column_name.as_str()).collect();
    assert_eq!(cols, ["id", "title", "price", "author_id"]);
    let title = &columns[1];
    assert_eq!(title.data_length, Some(200));
    assert!(!title.is_nullable());
    assert_eq!(title.ty, PropertyType::String);
    let price = &columns[2];
    assert_eq!(
        (price.data_precision, price.data_scale),
        (Some(10), Some(2))
    );
    assert!(price.is_nullable());
    assert_eq!(price.ty, PropertyType::Number);
    let view_columns = db
        .discover_model_properties("cheap_book", None)
        .await
        .unwrap();
    assert_eq!(view_columns.len(), 2);

    let pks = db.discover_primary_keys("book", None).await.unwrap();
    assert_eq!(pks.len(), 1);
    assert_eq!((pks[0].column_name.as_str(), pks[0].key_seq), ("id", 1));

    let fks = db.discover_foreign_keys("book", None).await.unwrap();
    assert_eq!(fks.len(), 1, "{fks:?}");
    assert_eq!(fks[0].fk_column_name, "author_id");
    assert_eq!(fks[0].pk_table_name, "author");
    assert_eq!(fks[0].pk_column_name, "id");
    let exported = db
        .discover_exported_foreign_keys("author", None)
        .await
        .unwrap();
    assert_eq!(exported.len(), 1, "{exported:?}");
    assert_eq!(exported[0].fk_table_name, "book");

    // Definitions, following the foreign key.
    let schemas = db
        .discover_schemas(
            "book",
            &DiscoverOptions {
                relations: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let keys: Vec<&String> = schemas.keys().collect();
    assert_eq!(
        keys,
        [&format!("{}.book", s.owner), &format!("{}.author", s.owner)]
    );
    let book = &schemas[0];
    assert_eq!(book.name, "Book");
    let props: Vec<&String> = book.properties.keys().collect();
    assert_eq!(props, ["id", "title", "price", "authorId"]);
    assert_eq!(book.properties["id"].id, Some(1));
    assert!(book.properties["title"].required);
    assert!(!book.properties["authorId"].required);
    assert_eq!(book.properties["authorId"].ty, PropertyType::Number);
    assert_eq!(
        book.properties["authorId"].column_name(s.key),
        Some("author_id")
    );
    let rel = book.relations.values().next().expect("a relation");
    assert_eq!(rel.kind, RelationKind::BelongsTo);
    assert_eq!(rel.model.as_deref(), Some("Author"));
    assert_eq!(rel.foreign_key.as_deref(), Some("authorId"));
    let rel_name = rel.name.clone();

    let j = book.to_lb3_json();
    assert_eq!(j["name"], "Book");
    assert_eq!(j["strict"], false);
    assert_eq!(j["idInjection"], false);
    assert_eq!(j["replaceOnPUT"], true);
    assert_eq!(j[s.key], json!({"schema": s.owner, "table": "book"}));
    assert_eq!(
        j["properties"]["authorId"][s.key]["columnName"],
        "author_id"
    );
    assert_eq!(j["properties"]["title"][s.key]["dataLength"], 200);
    assert_eq!(j["properties"]["price"][s.key]["dataPrecision"], 10);
    assert_eq!(j["properties"]["price"][s.key]["dataScale"], 2);
    assert_eq!(j["properties"]["id"]["id"], true);
    assert_eq!(j["relations"][&rel_name]["type"], "belongsTo");
    assert_eq!(j["relations"][&rel_name]["model"], "Author");
    assert_eq!(j["relations"][&rel_name]["foreignKey"], "authorId");
    // The JSON reads back to the same definition.
    assert_eq!(&ModelDefinition::from_lb3_json(&j).unwrap(), book);

    let author = &schemas[1];
    assert_eq!(author.name, "Author");
    assert_eq!(
        author.properties.keys().collect::<Vec<_>>(),
        ["id", "firstName"]
    );

    let with_has_many = db
        .discover_schemas(
            "author",
            &DiscoverOptions {
                has_many: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let author = &with_has_many[0];
    let books = &author.relations["books"];
    assert_eq!(books.kind, RelationKind::HasMany);
    assert_eq!(books.model.as_deref(), Some("Book"));
    assert_eq!(books.foreign_key.as_deref(), Some("authorId"));

    // Rust source.
    let src = model_source(book, s.key);
    assert!(src.contains("pub struct Book {"), "{src}");
    assert!(src.contains("id_injection = false"), "{src}");
    assert!(
        src.contains(&format!(
            "relation({rel_name:?}, belongs_to = Author, foreign_key = \"authorId\")"
        )),
        "{src}"
    );
    assert!(src.contains("column = \"author_id\""), "{src}");
    assert!(
        src.contains(&format!("{}(column_name = \"author_id\"", s.key)),
        "{src}"
    );
    assert!(src.contains("pub author_id: Option<i64>,"), "{src}");
    assert!(src.contains("pub title: String,"), "{src}");
    assert!(src.contains("#[model(id, required"), "{src}");

    // isActual: the discovered definitions match; a new column or table does not.
    let book_def = Arc::new(book.clone());
    assert!(db.is_actual(std::slice::from_ref(&book_def)).await.unwrap());
    let mut grown = book.clone();
    let mut isbn = loopback::PropertyDefinition::new("isbn", PropertyType::String);
    isbn.connector_settings
        .insert(s.key.into(), json!({"columnName": "isbn"}));
    grown.properties.insert("isbn".into(), isbn);
    let grown = Arc::new(grown);
    let mut fresh = ModelDefinition::from_lb3_json(&json!({
        "name": "Shelf",
        "properties": {"id": {"type": "number", "id": true, "generated": true},
                       "label": "string"}
    }))
    .unwrap();
    fresh.inject_id();
    let fresh = Arc::new(fresh);
    let models = [grown, fresh];
    for m in &models {
        db.define(m).await.unwrap();
    }
    assert!(!db.is_actual(&models).await.unwrap());
    db.autoupdate(&models).await.unwrap();
    assert!(db.is_actual(&models).await.unwrap());

    // The discovered foreign key is enforced: the connector's 409.
    let e = db
        .create(
            &models[0],
            record! {"title" => "Dune", "authorId" => 999},
            &opts,
        )
        .await
        .unwrap_err();
    assert_eq!(e.status(), 409, "{e:?}");
}

/// `foreignKeys` in model settings creates the constraint on `automigrate` and `autoupdate`.
pub async fn declared_foreign_keys<C: Connector + Discovery>(db: &C, key: &str) {
    let opts = Options::new();
    let mut author = ModelDefinition::from_lb3_json(&json!({
        "name": "Writer",
        "properties": {"id": {"type": "number", "id": true, "generated": true},
                       "name": "string"}
    }))
    .unwrap();
    author.inject_id();
    let novel = ModelDefinition::from_lb3_json(&json!({
        "name": "Novel",
        "properties": {"id": {"type": "number", "id": true, "generated": true},
                       "title": "string",
                       // The referencing column has the referenced id's type.
                       "writerId": {"type": "number",
                                    "mysql": {"dataType": "INT"},
                                    "postgresql": {"dataType": "INTEGER"}}},
        "relations": {"writer": {"type": "belongsTo", "model": "Writer", "foreignKey": "writerId"}},
        "foreignKeys": {"fk_novel_writer": {
            "name": "fk_novel_writer", "entity": "Writer", "entityKey": "id",
            "foreignKey": "writerId", "onDelete": "CASCADE"
        }}
    }))
    .unwrap();
    let models = [Arc::new(author), Arc::new(novel)];
    for m in &models {
        db.define(m).await.unwrap();
    }
    db.automigrate(&models).await.unwrap();
    let fks = db
        .discover_foreign_keys(&table_of(&models[1], key), None)
        .await
        .unwrap();
    assert_eq!(fks.len(), 1, "{fks:?}");
    assert_eq!(fks[0].fk_name.as_deref(), Some("fk_novel_writer"));
    // Running autoupdate again keeps the one constraint.
    db.autoupdate(&models).await.unwrap();
    let again = db
        .discover_foreign_keys(&table_of(&models[1], key), None)
        .await
        .unwrap();
    assert_eq!(again.len(), 1, "{again:?}");
    let e = db
        .create(
            &models[1],
            record! {"title" => "Dune", "writerId" => 42},
            &opts,
        )
        .await
        .unwrap_err();
    assert!((400..500).contains(&e.status()), "{e:?}");
    assert_eq!(e.status(), 409, "{e:?}");
    // `onDelete: CASCADE` is honoured.
    let w = db
        .create(&models[0], record! {"name" => "Herbert"}, &opts)
        .await
        .unwrap();
    db.create(
        &models[1],
        record! {"title" => "Dune", "writerId" => w},
        &opts,
    )
    .await
    .unwrap();
    db.destroy_all(&models[0], None, &opts).await.unwrap();
    assert_eq!(db.count(&models[1], None, &opts).await.unwrap(), 0);

    // `automigrate` runs again over the linked tables: the constraint referencing the
    // re-created `Writer` table is dropped first and declared again at the end.
    let plan = db.automigrate_plan(&models).await.unwrap();
    assert_eq!(
        plan.steps[0].phase,
        MigrationPhase::DropForeignKeys,
        "{plan:?}"
    );
    assert_eq!(plan.steps[0].model, "Novel");
    db.automigrate(&models).await.unwrap();
    let after = db
        .discover_foreign_keys(&table_of(&models[1], key), None)
        .await
        .unwrap();
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0].fk_name.as_deref(), Some("fk_novel_writer"));
    let e = db
        .create(
            &models[1],
            record! {"title" => "Emma", "writerId" => 7},
            &opts,
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.status(),
        409,
        "the re-declared constraint is enforced: {e:?}"
    );

    // Re-creating `Writer` alone would leave `Novel`'s rows pointing nowhere: refused, with
    // both tables named, and nothing dropped.
    let w = db
        .create(&models[0], record! {"name" => "Austen"}, &opts)
        .await
        .unwrap();
    db.create(
        &models[1],
        record! {"title" => "Emma", "writerId" => w},
        &opts,
    )
    .await
    .unwrap();
    let e = db.automigrate(&models[..1]).await.unwrap_err();
    assert_eq!(e.status(), 409, "{e:?}");
    let message = e.to_string();
    assert!(message.contains("fk_novel_writer"), "{message}");
    assert!(
        message.contains(&table_of(&models[0], key))
            && message.contains(&table_of(&models[1], key)),
        "{message}"
    );
    assert_eq!(db.count(&models[0], None, &opts).await.unwrap(), 1);
    assert_eq!(db.count(&models[1], None, &opts).await.unwrap(), 1);
}

fn table_of(def: &ModelDefinition, key: &str) -> String {
    if key == "postgresql" {
        def.name.to_lowercase()
    } else {
        def.name.clone()
    }
}
