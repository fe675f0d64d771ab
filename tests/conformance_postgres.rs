//! The connector conformance suite (`tests/conformance/`) on the PostgreSQL connector, against
//! the server named by `LOOPBACK_TEST_POSTGRES_URL`, each case in a schema of its own that is
//! dropped when the case ends. Without the variable the cases are skipped.
#![cfg(feature = "postgres")]

#[macro_use]
mod conformance;
mod pg_db;

conformance_suite!(|| async {
    let (connector, schema) = pg_db::TestSchema::create().await?;
    Some(conformance::Fixture::with_guard(connector, schema))
});
