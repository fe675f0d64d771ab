//! The query-string bracket syntax (`filter[where][price][gt]=10`).

use super::{Filter, ParseOptions, Where};
use crate::error::Result;

impl Filter {
    /// Parses the `filter` parameter of a raw (still percent-encoded) query string; accepts
    /// both `filter={json}` and `filter[...]=...` forms. `Ok(None)` when absent.
    pub fn from_query_string(query: &str, opts: &ParseOptions<'_>) -> Result<Option<Self>> {
        let _ = (query, opts);
        unimplemented!("Filter::from_query_string")
    }
}

impl Where {
    /// Parses the `where` parameter of a raw query string (count, update). `Ok(None)` when absent.
    pub fn from_query_string(query: &str, opts: &ParseOptions<'_>) -> Result<Option<Self>> {
        let _ = (query, opts);
        unimplemented!("Where::from_query_string")
    }
}
