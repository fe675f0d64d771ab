//! SQL injection fuzz for the PostgreSQL connector (spec/security.md, CVE-2022-35942 class): every
//! operator on every property type, with payloads made of quotes, backslashes, placeholder
//! look-alikes (`$1`, `?`), comment starters, NUL and non-ASCII text, in values, LIKE patterns
//! and regular expressions. The data must come back intact, the table must survive, and each
//! query must return what the memory connector returns for the same data and filter (where
//! both answer: SQL refuses some operators on some types with 501, never with a database
//! error).
//!
//! PostgreSQL text cannot hold NUL: the `s` column stores `␀` where a payload has NUL (on both
//! connectors, so they hold the same data), and writing a NUL into text is checked to be a 400
//! that stores nothing. Runs against `LOOPBACK_TEST_POSTGRES_URL`; skipped when it is unset.
//!
//! The tests but the last are in `sql_injection_common`.
#![cfg(feature = "postgres")]

mod pg_db;

mod sql_injection_common;

use loopback::{Filter, Options, Value};
use serde_json::json;
use sql_injection_common as common;
use sql_injection_common::{Backend, CaseTwins, NulInText, Pair, PAYLOADS};

fn backend() -> Backend {
    Backend {
        name: "postgresql",
        payloads: PAYLOADS,
        nul_in_text: NulInText::Refused {
            statement: "SELECT id FROM victim WHERE s = $1",
        },
        case_twins: CaseTwins::Ascii,
        // Strings answer all 19 conditions; numbers, booleans, dates and buffers all but the 6
        // patterns; objects and `any` equality and lists (6); arrays only whole values; points
        // (POINT columns) nothing but null tests. Ordering comparisons of text with the two
        // payloads holding NUL (gt, gte, lt, lte, two betweens, the nor) are 400s.
        operator_counts: (83 * PAYLOADS.len() - 14, 88 * PAYLOADS.len() + 14),
        native_sql: r#"SELECT id, s FROM "victim" WHERE s = $1 AND $2 = $3"#,
    }
}

async fn pair() -> Option<Pair> {
    let (db, schema) = pg_db::TestSchema::create().await?;
    Some(Pair::new(backend(), db, schema).await)
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
    let Some((db, _schema)) = pg_db::TestSchema::create().await else {
        return;
    };
    let definition = json!({
        "name": "We\"ird'; --",
        "properties": {
            "na\"me": {"type": "string", "index": true},
            "sel'ect": {"type": "string", "postgresql": {"columnName": "co\"l; DROP TABLE x; --"}}
        }
    });
    common::payloads_in_model_and_column_names_are_quoted(&backend(), db, definition).await;
}

#[tokio::test]
async fn payloads_as_native_statement_parameters() {
    let Some(p) = pair().await else { return };
    common::payloads_as_native_statement_parameters(&p).await;
}

#[tokio::test]
async fn nul_in_text_is_a_400_and_stores_nothing() {
    let Some(p) = pair().await else { return };
    for payload in PAYLOADS.iter().filter(|p| p.contains('\0')) {
        let e = p
            .sql
            .create(loopback::record! {"s" => *payload}, &Options::new())
            .await
            .unwrap_err();
        assert_eq!(e.status(), 400, "{payload:?}: {e:?}");
        assert!(e.to_string().contains("NUL"), "{e}");
        let e = p
            .sql
            .update_all(None, loopback::record! {"s" => *payload}, &Options::new())
            .await
            .unwrap_err();
        assert_eq!(e.status(), 400, "{payload:?}: {e:?}");
        // In JSON-stored properties NUL is escaped, so it is kept.
        let created = p
            .sql
            .create(
                loopback::record! {
                    "any" => *payload,
                    "o" => Value::Object(loopback::record! {"k" => *payload})
                },
                &Options::new(),
            )
            .await
            .unwrap();
        let id = created.get("id").cloned().unwrap();
        let back = p
            .sql
            .find_by_id(id.clone(), None, &Options::new())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(back.get("any"), Some(&Value::from(*payload)));
        p.sql.destroy_by_id(id, &Options::new()).await.unwrap();
    }
    let stored = p
        .sql
        .find(
            Filter::new().order_by("id", loopback::Direction::Asc),
            &Options::new(),
        )
        .await
        .unwrap();
    assert_eq!(stored.len(), PAYLOADS.len());
    for (got, want) in stored.iter().zip(p.backend.rows()) {
        assert_eq!(got.get("s"), want.get("s"));
    }
}
