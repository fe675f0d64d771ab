//! SQL injection fuzz for the SQLite connector (spec/security.md, CVE-2022-35942 class): every
//! operator on every property type, with payloads made of quotes, backslashes, placeholder
//! look-alikes (`$1`, `?`), comment starters, NUL and non-ASCII text, in values, LIKE patterns
//! and regular expressions. The data must come back intact, the table must survive, and each
//! query must return what the memory connector returns for the same data and filter (where
//! both answer: SQL refuses some operators on some types with 501, never with a database
//! error).
//!
//! The tests themselves are in `sql_injection_common`.

mod sql_injection_common;

use serde_json::json;
use sql_injection_common as common;
use sql_injection_common::{Backend, CaseTwins, NulInText, Pair, PAYLOADS};

fn backend() -> Backend {
    Backend {
        name: "sqlite",
        payloads: PAYLOADS,
        nul_in_text: NulInText::Kept,
        case_twins: CaseTwins::Ascii,
        // Strings answer all 19 conditions; numbers, booleans, dates and buffers all but the 6
        // patterns; objects, `any` and points equality and lists (6); arrays only whole values.
        operator_counts: (89 * PAYLOADS.len(), 82 * PAYLOADS.len()),
        native_sql: r#"SELECT id, s FROM "Victim" WHERE s = ? AND ? = ?"#,
    }
}

async fn pair() -> Pair {
    Pair::new(
        backend(),
        loopback::connectors::sqlite(json!({})).unwrap(),
        (),
    )
    .await
}

#[tokio::test]
async fn payloads_are_stored_and_read_back_intact() {
    common::payloads_are_stored_and_read_back_intact(&pair().await).await;
}

#[tokio::test]
async fn every_operator_on_every_property_type() {
    common::every_operator_on_every_property_type(&pair().await).await;
}

#[tokio::test]
async fn patterns_find_exactly_their_rows() {
    common::patterns_find_exactly_their_rows(&pair().await).await;
}

#[tokio::test]
async fn payloads_as_property_names_are_refused_not_interpolated() {
    common::payloads_as_property_names_are_refused_not_interpolated(&pair().await).await;
}

#[tokio::test]
async fn payloads_in_json_paths() {
    common::payloads_in_json_paths(&pair().await).await;
}

#[tokio::test]
async fn payloads_in_model_and_column_names_are_quoted() {
    let db = loopback::connectors::sqlite(json!({})).unwrap();
    let definition = json!({
        "name": "We\"ird'; --",
        "properties": {
            "na\"me": {"type": "string", "index": true},
            "sel'ect": {"type": "string", "sqlite3": {"columnName": "co\"l; DROP TABLE x; --"}}
        }
    });
    common::payloads_in_model_and_column_names_are_quoted(&backend(), db, definition).await;
}

#[tokio::test]
async fn payloads_as_native_statement_parameters() {
    common::payloads_as_native_statement_parameters(&pair().await).await;
}
