//! Discovery, `is_actual` and declared foreign keys on the `mysql` connector, against
//! `LOOPBACK_TEST_MYSQL_URL` (skipped when unset), each test in its own database.
#![cfg(feature = "mysql")]

mod discovery_common;
mod mysql_db;

use discovery_common::{declared_foreign_keys, discovery_scenario, Scenario};

#[tokio::test]
async fn discovers_tables_views_keys_and_definitions() {
    let Some((db, test_db)) = mysql_db::TestDb::create().await else {
        return;
    };
    discovery_scenario(
        &*db,
        &Scenario {
            ddl: [
                "CREATE TABLE author (id INT AUTO_INCREMENT PRIMARY KEY, \
                 first_name VARCHAR(40) NOT NULL)",
                "CREATE TABLE book (id INT AUTO_INCREMENT PRIMARY KEY, \
                 title VARCHAR(200) NOT NULL, price DECIMAL(10,2), author_id INT, \
                 CONSTRAINT book_author_fk FOREIGN KEY (author_id) REFERENCES author(id))",
                "CREATE VIEW cheap_book AS SELECT id, title FROM book WHERE price < 10",
            ],
            key: "mysql",
            owner: test_db.name.clone(),
        },
    )
    .await;
}

#[tokio::test]
async fn declared_foreign_keys_are_created_and_enforced() {
    let Some((db, _test_db)) = mysql_db::TestDb::create().await else {
        return;
    };
    declared_foreign_keys(&*db, "mysql").await;
}
