//! SQL injection fuzz for the MySQL connector (spec/security.md, CVE-2022-35942 class): every
//! operator on every property type, with payloads made of quotes, backslashes, placeholder
//! look-alikes (`$1`, `?`), comment starters, NUL and non-ASCII text, in values, LIKE patterns
//! and regular expressions. The data must come back intact, the table must survive, and each
//! query must return what the memory connector returns for the same data and filter (where
//! both answer: SQL refuses some operators on some types with 501, never with a database
//! error). MySQL reads a backslash in a string literal as an escape, so the payloads lean on
//! backslashes too: nothing of them may reach the SQL text.
//!
//! Runs against the server named by `LOOPBACK_TEST_MYSQL_URL`, in a database of its own per
//! test; skipped when the variable is unset.
//!
//! The tests themselves are in `sql_injection_common`.
#![cfg(feature = "mysql")]

mod mysql_db;

mod sql_injection_common;

use std::sync::LazyLock;

use serde_json::json;
use sql_injection_common as common;
use sql_injection_common::{Backend, CaseTwins, NulInText, Pair};

/// The payloads for MySQL only: backslash escapes, hex and `CHAR()` look-alikes, and text whose
/// case folds beyond ASCII.
const MYSQL_PAYLOADS: &[&str] = &[
    "\\\\",
    "\\\\'",
    "\\0",
    "\\n",
    "\\Z",
    "\\%\\_",
    "0x27",
    "CHAR(39)",
    "' UNION SELECT 1 --",
    "é",
    "É",
    "😀🎉𝄞",
];

/// The MySQL payloads, then those of every SQL connector.
static PAYLOADS: LazyLock<Vec<&str>> =
    LazyLock::new(|| [MYSQL_PAYLOADS, sql_injection_common::PAYLOADS].concat());

fn backend() -> Backend {
    Backend {
        name: "mysql",
        payloads: &PAYLOADS,
        nul_in_text: NulInText::Kept,
        case_twins: CaseTwins::Unicode,
        // Strings answer all 19 conditions; numbers, booleans, dates and buffers all but the 6
        // patterns; objects, `any` and points equality and lists (6); arrays only whole values.
        operator_counts: (89 * PAYLOADS.len(), 82 * PAYLOADS.len()),
        native_sql: "SELECT id, s FROM `Victim` WHERE s = ? AND ? = ?",
    }
}

async fn pair() -> Option<Pair> {
    let (connector, db) = mysql_db::TestDb::create().await?;
    Some(Pair::new(backend(), connector, db).await)
}

#[tokio::test]
async fn payloads_are_stored_and_read_back_intact() {
    let Some(p) = pair().await else { return };
    common::payloads_are_stored_and_read_back_intact(&p).await;
}

#[tokio::test]
async fn every_operator_on_every_property_type() {
    let Some(p) = pair().await else { return };
    common::every_operator_on_every_property_type(&p).await;
}

#[tokio::test]
async fn patterns_find_exactly_their_rows() {
    let Some(p) = pair().await else { return };
    common::patterns_find_exactly_their_rows(&p).await;
}

#[tokio::test]
async fn payloads_as_property_names_are_refused_not_interpolated() {
    let Some(p) = pair().await else { return };
    common::payloads_as_property_names_are_refused_not_interpolated(&p).await;
}

#[tokio::test]
async fn payloads_in_json_paths() {
    let Some(p) = pair().await else { return };
    common::payloads_in_json_paths(&p).await;
}

#[tokio::test]
async fn payloads_in_model_and_column_names_are_quoted() {
    let Some((db, _guard)) = mysql_db::TestDb::create().await else {
        return;
    };
    let definition = json!({
        "name": "We\"ird'; --",
        "properties": {
            "na\"me": {"type": "string", "index": true},
            "sel'ect": {"type": "string", "mysql": {"columnName": "co\"l`; DROP TABLE x; --"}},
            "ba`ck\\": {"type": "string", "index": {"unique": true}}
        }
    });
    common::payloads_in_model_and_column_names_are_quoted(&backend(), db, definition).await;
}

#[tokio::test]
async fn payloads_as_native_statement_parameters() {
    let Some(p) = pair().await else { return };
    common::payloads_as_native_statement_parameters(&p).await;
}
