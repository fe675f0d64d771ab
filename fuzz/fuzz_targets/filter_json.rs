//! Bytes → JSON → `Filter::from_json` / `Where::from_json`, without and with a model; whatever
//! parses is printed and parsed again, which must give the same AST.
//!
//! Run with `cargo +nightly fuzz run filter_json` from this folder.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use loopback_core::{Filter, ParseOptions, Where};

fuzz_target!(|data: &[u8]| {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    for opts in [
        ParseOptions::default(),
        ParseOptions::for_model(common::model()),
    ] {
        if let Ok(f) = Filter::from_json(&json, &opts) {
            common::check_filter(&f, &opts);
        }
        if let Ok(w) = Where::from_json(&json, &opts) {
            common::check_where(&w, &opts);
        }
    }
});
