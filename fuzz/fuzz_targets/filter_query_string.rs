//! Arbitrary query strings → `Filter::from_query_string` / `Where::from_query_string`, without
//! and with a model; whatever parses is printed and parsed again, which must give the same AST.
//!
//! Run with `cargo +nightly fuzz run filter_query_string` from this folder.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use loopback_core::{Filter, ParseOptions, Where};

fuzz_target!(|data: &[u8]| {
    let query = String::from_utf8_lossy(data);
    for opts in [
        ParseOptions::default(),
        ParseOptions::for_model(common::model()),
    ] {
        if let Ok(Some(f)) = Filter::from_query_string(&query, &opts) {
            common::check_filter(&f, &opts);
        }
        if let Ok(Some(w)) = Where::from_query_string(&query, &opts) {
            common::check_where(&w, &opts);
        }
    }
});
