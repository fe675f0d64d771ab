//! In-memory evaluation of filters (the memory connector's and `loopback-filters`' semantics).

use super::Where;
use crate::value::Record;

impl Where {
    /// Whether `record` satisfies the condition, with the memory connector's semantics.
    pub fn matches(&self, record: &Record) -> bool {
        let _ = record;
        unimplemented!("filter matcher")
    }
}

/// Translates a LIKE pattern to an anchored-free regular expression source, as the memory
/// connector does: `%` → `.*`, `_` → `.`, `\x` → literal `x`, other metacharacters escaped.
pub fn like_to_regex(pattern: &str) -> String {
    let _ = pattern;
    unimplemented!("like_to_regex")
}
