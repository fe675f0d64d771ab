//! Discovery, `is_actual` and foreign keys on the `sqlite3` connector.
#![cfg(feature = "sqlite")]

mod discovery_common;

use loopback::connectors::{Discovery, SqliteConnector};
use loopback::{ModelDefinition, Options};
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
