//! The connector conformance suite (`tests/conformance/`) on the memory connector, and on the
//! memory connector behind a wrapper that withdraws `ilike`, `regexp` and geo support (the
//! shape of a SQL database without them).

#[macro_use]
mod conformance;

conformance_suite!(|| async { conformance::Fixture::new(loopback::connectors::memory()) });

mod limited {
    use std::sync::Arc;

    use super::conformance::wrapped::WrappedConnector;
    use super::conformance::Fixture;

    conformance_suite!(|| async {
        Fixture::new(Arc::new(WrappedConnector::without_patterns_and_geo(
            loopback::connectors::memory(),
        )))
    });
}
