//! Discovery, `is_actual` and foreign keys on the `sqlite3` connector.
#![cfg(feature = "sqlite")]

mod discovery_common;

use loopback::connectors::{Discovery, SqliteConnector};
use loopback::{Connector, ModelDefinition, Options};
use serde_json::json;

use discovery_common::{discovery_scenario, Scenario};

#[tokio::test]
async fn discovers_tables_views_keys_and_definitions() {
    let db = SqliteConnector::in_memory();
    discovery_scenario(
        &db,
        &Scenario {
            ddl: [
                "CREATE TABLE author (id INTEGER NOT NULL PRIMARY KEY, first_name VARCHAR(40) NOT NULL)",
                "CREATE TABLE book (id INTEGER NOT NULL PRIMARY KEY, title VARCHAR(200) NOT NULL, \
                 price DECIMAL(10,2), author_id INTEGER REFERENCES author(id))",
                "CREATE VIEW cheap_book AS SELECT id, title FROM book WHERE price < 10",
            ],
            key: "sqlite3",
            owner: "main".into(),
        },
    )
    .await;
}

#[tokio::test]
async fn unknown_tables_are_404() {
    let db = SqliteConnector::in_memory();
    let e = db
        .discover_schemas("nothing", &Default::default())
        .await
        .unwrap_err();
    assert_eq!(e.status(), 404, "{e:?}");
}

#[tokio::test]
async fn declared_foreign_keys_are_not_supported() {
    let db = SqliteConnector::in_memory();
    let m = std::sync::Arc::new(
        ModelDefinition::from_lb3_json(&json!({
            "name": "Novel",
            "properties": {"writerId": "number"},
            "foreignKeys": {"fk": {"name": "fk", "entity": "Writer", "foreignKey": "writerId"}}
        }))
        .unwrap(),
    );
    let e = db
        .add_foreign_keys(std::slice::from_ref(&m))
        .await
        .unwrap_err();
    assert_eq!(e.status(), 501, "{e:?}");
    let _ = Options::new();
}

/// `automigrate` runs again over tables whose keys reference each other: SQLite checks the
/// keys at the commit, once every table is back. A table outside the migration that
/// references a re-created one is refused, and nothing is dropped.
#[tokio::test]
async fn automigrate_runs_again_over_linked_tables() {
    use loopback::connectors::MigrationPhase;
    use loopback::record;

    let db = SqliteConnector::in_memory();
    let opts = Options::new();
    let writer = std::sync::Arc::new(
        ModelDefinition::from_lb3_json(&json!({
            "name": "Writer",
            "properties": {"id": {"type": "number", "id": true, "generated": true},
                           "name": "string"}
        }))
        .unwrap(),
    );
    let novel = std::sync::Arc::new(
        ModelDefinition::from_lb3_json(&json!({
            "name": "Novel",
            "properties": {"id": {"type": "number", "id": true, "generated": true},
                           "title": "string", "writerId": "number"},
            "foreignKeys": {"fk_novel_writer": {
                "name": "fk_novel_writer", "entity": "Writer", "foreignKey": "writerId"
            }}
        }))
        .unwrap(),
    );
    let models = [writer.clone(), novel.clone()];
    for m in &models {
        db.define(m).await.unwrap();
    }
    db.automigrate(&models).await.unwrap();
    let seed = |title: &'static str| {
        let db = &db;
        let (writer, novel, opts) = (&writer, &novel, &opts);
        async move {
            let w = db
                .create(writer, record! {"name" => "Austen"}, opts)
                .await
                .unwrap();
            db.create(novel, record! {"title" => title, "writerId" => w}, opts)
                .await
                .unwrap();
        }
    };
    seed("Emma").await;

    // Both tables again, writer first: its drop would fail the novels' key at once.
    let plan = db.automigrate_plan(&models).await.unwrap();
    assert!(plan.steps.iter().all(|s| s.phase == MigrationPhase::Table));
    db.automigrate(&models).await.unwrap();
    assert_eq!(db.count(&novel, None, &opts).await.unwrap(), 0);
    // The key is still there and enforced.
    let e = db
        .create(&novel, record! {"title" => "Emma", "writerId" => 7}, &opts)
        .await
        .unwrap_err();
    assert_eq!(e.status(), 409, "{e:?}");

    // The writers alone: the novels would point nowhere.
    seed("Persuasion").await;
    let e = db
        .automigrate(std::slice::from_ref(&writer))
        .await
        .unwrap_err();
    assert_eq!(e.status(), 409, "{e:?}");
    let message = e.to_string();
    assert!(
        message.contains("Writer") && message.contains("Novel") && message.contains("writerId"),
        "{message}"
    );
    assert_eq!(db.count(&writer, None, &opts).await.unwrap(), 1);
    assert_eq!(db.count(&novel, None, &opts).await.unwrap(), 1);
}
