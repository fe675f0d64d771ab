//! Discovery, `is_actual` and declared foreign keys on the `postgresql` connector, against
//! `LOOPBACK_TEST_POSTGRES_URL` (skipped when unset), each test in its own schema.
#![cfg(feature = "postgres")]

mod discovery_common;
mod pg_db;

use discovery_common::{declared_foreign_keys, discovery_scenario, Scenario};

#[tokio::test]
async fn discovers_tables_views_keys_and_definitions() {
    let Some((db, schema)) = pg_db::TestSchema::create().await else {
        return;
    };
    let n = &schema.name;
    let author = format!(
        "CREATE TABLE \"{n}\".author (id SERIAL PRIMARY KEY, first_name VARCHAR(40) NOT NULL)"
    );
    let book = format!(
        "CREATE TABLE \"{n}\".book (id SERIAL PRIMARY KEY, title VARCHAR(200) NOT NULL, \
         price NUMERIC(10,2), author_id INTEGER CONSTRAINT book_author_fk REFERENCES \"{n}\".author(id))"
    );
    let view = format!(
        "CREATE VIEW \"{n}\".cheap_book AS SELECT id, title FROM \"{n}\".book WHERE price < 10"
    );
    let ddl: [&'static str; 3] = [leak(author), leak(book), leak(view)];
    discovery_scenario(
        &*db,
        &Scenario {
            ddl,
            key: "postgresql",
            owner: n.clone(),
        },
    )
    .await;
}

#[tokio::test]
async fn declared_foreign_keys_are_created_and_enforced() {
    let Some((db, _schema)) = pg_db::TestSchema::create().await else {
        return;
    };
    declared_foreign_keys(&*db, "postgresql").await;
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}
