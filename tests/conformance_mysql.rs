//! The connector conformance suite (`tests/conformance/`) on the MySQL connector, against the
//! MariaDB / MySQL server named by `LOOPBACK_TEST_MYSQL_URL`, each case in a database of its own
//! that is dropped when the case ends. Without the variable the cases are skipped.
#![cfg(feature = "mysql")]

#[macro_use]
mod conformance;
mod mysql_db;

conformance_suite!(|| async {
    let (connector, db) = mysql_db::TestDb::create().await?;
    Some(conformance::Fixture::with_guard(connector, db))
});
