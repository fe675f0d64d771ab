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
#![cfg(feature = "postgres")]

mod pg_db;

mod sql_injection_common;

use std::sync::Arc;

use loopback::{
    App, Condition, Connector, Error, Filter, ModelDefinition, ModelHandle, Options, Record, Value,
    Where,
};
use serde_json::json;
use sql_injection_common::*;

/// A payload as the `s` column can hold it.
fn storable(p: &str) -> String {
    p.replace('\0', "\u{2400}")
}

/// One record per payload, the payload in every property that can hold it.
fn rows() -> Vec<Record> {
    PAYLOADS
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut r = Record::new();
            r.insert("s", storable(p));
            r.insert("n", i as i64);
            r.insert("b", i % 2 == 0);
            r.insert(
                "d",
                Value::Date(
                    chrono::DateTime::from_timestamp_millis(1_600_000_000_000 + i as i64 * 1000)
                        .unwrap(),
                ),
            );
            r.insert("buf", Value::Buffer(p.as_bytes().to_vec()));
            r.insert("o", Value::Object(loopback::record! {"k" => *p}));
            r.insert("arr", Value::from(vec![*p]));
            r.insert("any", *p);
            r.insert("g", loopback::GeoPoint::new(1.0, i as f64).unwrap());
            r
        })
        .collect()
}

struct Pair {
    pg: ModelHandle,
    memory: ModelHandle,
    _apps: (App, App),
    _schema: pg_db::TestSchema,
}

async fn pair() -> Option<Pair> {
    let (db, schema) = pg_db::TestSchema::create().await?;
    let (a, pg) = handle(db, true, rows()).await;
    let (b, memory) = handle(loopback::connectors::memory(), false, rows()).await;
    Some(Pair {
        pg,
        memory,
        _apps: (a, b),
        _schema: schema,
    })
}

/// Runs `w` on both connectors: same ids when both answer; otherwise PostgreSQL refuses it as not
/// supported (or both refuse it as invalid). Never a database error. Returns whether both
/// answered.
async fn same(p: &Pair, w: Where) -> bool {
    let lite = ids(&p.pg, &w).await;
    let mem = ids(&p.memory, &w).await;
    let compared = match (lite, mem) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b, "{w:?}");
            true
        }
        (Err(e @ Error::NotSupported { .. }), _) => {
            assert_eq!(e.status(), 501);
            false
        }
        // Ordering text against a string with NUL: PostgreSQL text cannot hold one.
        (Err(e), Ok(_)) if e.status() == 400 && format!("{w:?}").contains("\\0") => false,
        (Err(a), Err(b)) => {
            assert_eq!((a.status(), b.status()), (400, 400), "{w:?}: {a:?} / {b:?}");
            false
        }
        (a, b) => panic!("{w:?}: postgresql {a:?}, memory {b:?}"),
    };
    // Whatever the filter, the same data is still there.
    assert_eq!(
        p.pg.count(None, &Options::new()).await.unwrap(),
        PAYLOADS.len() as u64
    );
    compared
}

#[tokio::test]
async fn payloads_are_stored_and_read_back_intact() {
    let Some(p) = pair().await else { return };
    let stored =
        p.pg.find(
            Filter::new().order_by("id", loopback::Direction::Asc),
            &Options::new(),
        )
        .await
        .unwrap();
    assert_eq!(stored.len(), PAYLOADS.len());
    for (got, want) in stored.iter().zip(rows()) {
        for (k, v) in &want {
            assert_eq!(got.get(k), Some(v), "{k} of {got:?}");
        }
    }
    // Updates and replaces carry payloads as safely.
    for (i, payload) in PAYLOADS.iter().enumerate() {
        let id = Value::Int(i as i64 + 1);
        let doubled = format!("{payload}{payload}");
        let patch =
            p.pg.patch_by_id(
                id.clone(),
                loopback::record! {"s" => doubled.clone()},
                &Options::new(),
            )
            .await;
        if payload.contains('\0') {
            let e = patch.unwrap_err();
            assert_eq!(e.status(), 400, "{payload:?}: {e:?}");
            assert!(e.to_string().contains("NUL"), "{e}");
            let kept =
                p.pg.find_by_id(id.clone(), None, &Options::new())
                    .await
                    .unwrap();
            assert_eq!(
                kept.unwrap().get("s"),
                Some(&Value::from(storable(payload)))
            );
            let patched =
                p.pg.patch_by_id(
                    id,
                    loopback::record! {"s" => storable(&doubled)},
                    &Options::new(),
                )
                .await
                .unwrap();
            assert_eq!(patched.get("s"), Some(&Value::from(storable(&doubled))));
            continue;
        }
        let patched = patch.unwrap();
        assert_eq!(patched.get("s"), Some(&Value::from(doubled)));
    }
    let n =
        p.pg.update_all(
            Some(Where::eq("s", "''''")),
            loopback::record! {"any" => "'; --"},
            &Options::new(),
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    let n =
        p.pg.destroy_all(Some(Where::eq("s", storable("\0\0"))), &Options::new())
            .await
            .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        p.pg.count(None, &Options::new()).await.unwrap(),
        PAYLOADS.len() as u64 - 1
    );
}

#[tokio::test]
async fn every_operator_on_every_property_type() {
    let Some(p) = pair().await else { return };
    let (mut compared, mut refused) = (0, 0);
    for payload in PAYLOADS {
        let v = Value::from(*payload);
        let other = Value::from("ab");
        for prop in PROPERTIES {
            let c = |op: Condition| Where::cond(*prop, op);
            for w in [
                Where::eq(*prop, v.clone()),
                c(Condition::Neq(v.clone())),
                c(Condition::Gt(v.clone())),
                c(Condition::Gte(v.clone())),
                c(Condition::Lt(v.clone())),
                c(Condition::Lte(v.clone())),
                c(Condition::Between(v.clone(), other.clone())),
                c(Condition::Between(other.clone(), v.clone())),
                c(Condition::Inq(vec![v.clone(), other.clone()])),
                c(Condition::Nin(vec![v.clone(), other.clone()])),
                c(Condition::Inq(vec![v.clone(), Value::Null])),
                c(Condition::Nin(vec![v.clone(), Value::Null])),
                // Unanchored patterns, where LIKE and the memory connector's matching agree.
                c(Condition::Like(format!("%{}%", like_escape(payload)))),
                c(Condition::NLike(format!("%{}%", like_escape(payload)))),
                c(Condition::ILike(format!("%{}%", like_escape(payload)))),
                c(Condition::NILike(format!("%{}%", like_escape(payload)))),
                c(re(regex_escape(payload), false)),
                c(re(format!("^{}$", regex_escape(payload)), true)),
                Where::Nor(vec![
                    Where::eq(*prop, v.clone()),
                    c(Condition::Gt(v.clone())),
                ]),
            ] {
                if same(&p, w).await {
                    compared += 1;
                } else {
                    refused += 1;
                }
            }
        }
    }
    // Strings answer all 19 conditions; numbers, booleans, dates and buffers all but the 6
    // patterns; objects and `any` equality and lists (6); arrays only whole values; points
    // (POINT columns) nothing but null tests. Ordering comparisons of text with the two
    // payloads holding NUL (gt, gte, lt, lte, two betweens, the nor) are 400s.
    assert_eq!(
        (compared, refused),
        (83 * PAYLOADS.len() - 14, 88 * PAYLOADS.len() + 14)
    );
}

#[tokio::test]
async fn patterns_find_exactly_their_rows() {
    let Some(p) = pair().await else { return };
    for (i, payload) in PAYLOADS.iter().enumerate() {
        let id = i as i64 + 1;
        let stored = storable(payload);
        // An escaped payload as a whole LIKE pattern matches that row and its ASCII-case twin.
        let twins: Vec<i64> = PAYLOADS
            .iter()
            .enumerate()
            .filter(|(_, q)| storable(q).eq_ignore_ascii_case(&stored))
            .map(|(j, _)| j as i64 + 1)
            .collect();
        let exact = ids(
            &p.pg,
            &Where::cond("s", Condition::Like(like_escape(&stored))),
        )
        .await
        .unwrap();
        assert_eq!(exact, [id], "like {payload:?}");
        let folded = ids(
            &p.pg,
            &Where::cond(
                "s",
                Condition::ILike(like_escape(&stored.to_ascii_uppercase())),
            ),
        )
        .await
        .unwrap();
        assert_eq!(folded, twins, "ilike {payload:?}");
        let anchored = ids(
            &p.pg,
            &Where::cond("s", re(format!("^{}$", regex_escape(&stored)), false)),
        )
        .await
        .unwrap();
        assert_eq!(anchored, [id], "regexp {payload:?}");
        let by_value = ids(&p.pg, &Where::eq("s", stored.clone())).await.unwrap();
        assert_eq!(by_value, [id], "eq {payload:?}");
        if payload.contains('\0') {
            // No stored text holds a NUL: conditions with one match nothing, and fail nothing.
            for w in [
                Where::eq("s", *payload),
                Where::cond("s", Condition::Like(format!("%{}%", like_escape(payload)))),
                Where::cond("s", re(regex_escape(payload), false)),
            ] {
                assert_eq!(ids(&p.pg, &w).await.unwrap(), Vec::<i64>::new(), "{w:?}");
            }
        }
        let by_bytes = ids(
            &p.pg,
            &Where::eq("buf", Value::Buffer(payload.as_bytes().to_vec())),
        )
        .await
        .unwrap();
        assert_eq!(by_bytes, [id], "buffer {payload:?}");
        let by_json = ids(
            &p.pg,
            &Where::eq("o", Value::Object(loopback::record! {"k" => *payload})),
        )
        .await
        .unwrap();
        assert_eq!(by_json, [id], "object {payload:?}");
    }
    // LIKE wildcards in data are data; in patterns they are wildcards unless escaped.
    let all = ids(&p.pg, &Where::cond("s", Condition::Like("%".into())))
        .await
        .unwrap();
    assert_eq!(all.len(), PAYLOADS.len());
    let underscores = ids(&p.pg, &Where::cond("s", Condition::Like("%\\_%".into())))
        .await
        .unwrap();
    let expected: Vec<i64> = PAYLOADS
        .iter()
        .enumerate()
        .filter(|(_, q)| q.contains('_'))
        .map(|(j, _)| j as i64 + 1)
        .collect();
    assert_eq!(underscores, expected);
}

#[tokio::test]
async fn payloads_as_property_names_are_refused_not_interpolated() {
    let Some(p) = pair().await else { return };
    for payload in PAYLOADS {
        let name = format!("s{payload}");
        let e = ids(&p.pg, &Where::eq(name.clone(), 1)).await.unwrap_err();
        assert_eq!(e.status(), 400, "{name:?}: {e:?}");
        let e =
            p.pg.find(
                Filter::new().order_by(name.clone(), loopback::Direction::Asc),
                &Options::new(),
            )
            .await
            .unwrap_err();
        assert_eq!(e.status(), 400, "{name:?}: {e:?}");
        // Unknown names in `fields` select nothing; unknown data properties are not stored.
        let rows =
            p.pg.find(
                Filter::new().fields([name.clone(), "id".into()]),
                &Options::new(),
            )
            .await
            .unwrap();
        assert!(rows.iter().all(|r| r.keys().eq(["id"].iter())));
        let mut data = Record::new();
        data.insert(name.clone(), *payload);
        data.insert("s", "new");
        let created = p.pg.create(data, &Options::new()).await.unwrap();
        p.pg.destroy_by_id(created.get("id").cloned().unwrap(), &Options::new())
            .await
            .unwrap();
    }
    assert_eq!(
        p.pg.count(None, &Options::new()).await.unwrap(),
        PAYLOADS.len() as u64
    );
}

#[tokio::test]
async fn payloads_in_model_and_column_names_are_quoted() {
    let Some((db, _schema)) = pg_db::TestSchema::create().await else {
        return;
    };
    let db: Arc<dyn Connector> = db;
    let app = App::new();
    app.data_source("db", db.clone());
    let def = ModelDefinition::from_lb3_json(&json!({
        "name": "We\"ird'; --",
        "properties": {
            "na\"me": {"type": "string", "index": true},
            "sel'ect": {"type": "string", "postgresql": {"columnName": "co\"l; DROP TABLE x; --"}}
        }
    }))
    .unwrap();
    let m = app.define(def, "db").await.unwrap();
    db.automigrate(&[m.definition()]).await.unwrap();
    for payload in PAYLOADS {
        let created = m
            .create(
                loopback::record! {"na\"me" => *payload, "sel'ect" => *payload},
                &Options::new(),
            )
            .await;
        if payload.contains('\0') {
            assert_eq!(created.unwrap_err().status(), 400, "{payload:?}");
            m.create(
                loopback::record! {"na\"me" => storable(payload), "sel'ect" => storable(payload)},
                &Options::new(),
            )
            .await
            .unwrap();
        } else {
            created.unwrap();
        }
    }
    for payload in PAYLOADS {
        let payload = &storable(payload);
        let rows = m
            .find(
                Filter::with_where(Where::eq("sel'ect", payload.as_str())),
                &Options::new(),
            )
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "{payload:?}");
        assert_eq!(rows[0].get("na\"me"), Some(&Value::from(payload.as_str())));
    }
    db.autoupdate(&[m.definition()]).await.unwrap();
    assert_eq!(
        m.count(None, &Options::new()).await.unwrap(),
        PAYLOADS.len() as u64
    );
}

#[tokio::test]
async fn payloads_as_native_statement_parameters() {
    let Some(p) = pair().await else { return };
    let db = p.pg.data_source().connector().clone();
    for (i, payload) in PAYLOADS.iter().enumerate() {
        if payload.contains('\0') {
            let e = db
                .execute(
                    "SELECT id FROM victim WHERE s = $1",
                    &[Value::from(*payload)],
                    &Options::new(),
                )
                .await
                .unwrap_err();
            assert_eq!(e.status(), 400, "{payload:?}: {e:?}");
            continue;
        }
        let rows = db
            .execute(
                r#"SELECT id, s FROM "victim" WHERE s = $1 AND $2 = $3"#,
                &[
                    Value::from(*payload),
                    Value::from(*payload),
                    Value::from(*payload),
                ],
                &Options::new(),
            )
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "{payload:?}");
        assert_eq!(rows[0].get("id"), Some(&Value::Int(i as i64 + 1)));
        assert_eq!(rows[0].get("s"), Some(&Value::from(*payload)));
    }
}

#[tokio::test]
async fn nul_in_text_is_a_400_and_stores_nothing() {
    let Some(p) = pair().await else { return };
    for payload in PAYLOADS.iter().filter(|p| p.contains('\0')) {
        let e =
            p.pg.create(loopback::record! {"s" => *payload}, &Options::new())
                .await
                .unwrap_err();
        assert_eq!(e.status(), 400, "{payload:?}: {e:?}");
        assert!(e.to_string().contains("NUL"), "{e}");
        let e =
            p.pg.update_all(None, loopback::record! {"s" => *payload}, &Options::new())
                .await
                .unwrap_err();
        assert_eq!(e.status(), 400, "{payload:?}: {e:?}");
        // In JSON-stored properties NUL is escaped, so it is kept.
        let created = p
            .pg
            .create(loopback::record! {"any" => *payload, "o" => Value::Object(loopback::record! {"k" => *payload})}, &Options::new())
            .await
            .unwrap();
        let id = created.get("id").cloned().unwrap();
        let back =
            p.pg.find_by_id(id.clone(), None, &Options::new())
                .await
                .unwrap()
                .unwrap();
        assert_eq!(back.get("any"), Some(&Value::from(*payload)));
        p.pg.destroy_by_id(id, &Options::new()).await.unwrap();
    }
    let stored =
        p.pg.find(
            Filter::new().order_by("id", loopback::Direction::Asc),
            &Options::new(),
        )
        .await
        .unwrap();
    assert_eq!(stored.len(), PAYLOADS.len());
    for (got, want) in stored.iter().zip(rows()) {
        assert_eq!(got.get("s"), want.get("s"));
    }
}
