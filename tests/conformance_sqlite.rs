//! The connector conformance suite (`tests/conformance/`) on the SQLite connector, each case on
//! its own private in-memory database.

#[macro_use]
mod conformance;

conformance_suite!(|| async {
    conformance::Fixture::new(
        loopback::connectors::sqlite(
            serde_json::json!({"connector": "sqlite3", "file": ":memory:"}),
        )
        .expect("an in-memory SQLite data source"),
    )
});
