//! SQL injection fuzz for the SQLite connector (spec/security.md, CVE-2022-35942 class): every
//! operator on every property type, with payloads made of quotes, backslashes, placeholder
//! look-alikes (`$1`, `?`), comment starters, NUL and non-ASCII text, in values, LIKE patterns
//! and regular expressions. The data must come back intact, the table must survive, and each
//! query must return what the memory connector returns for the same data and filter (where
//! both answer: SQL refuses some operators on some types with 501, never with a database
//! error).

mod sql_injection_common;

use loopback::{
    App, Condition, Error, Filter, ModelDefinition, ModelHandle, Options, Record, Value, Where,
};
use serde_json::json;
use sql_injection_common::*;

/// One record per payload, the payload in every property that can hold it.
fn rows() -> Vec<Record> {
    PAYLOADS
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut r = Record::new();
            r.insert("s", *p);
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
    sqlite: ModelHandle,
    memory: ModelHandle,
    _apps: (App, App),
}

async fn pair() -> Pair {
    let (a, sqlite) = handle(
        loopback::connectors::sqlite(json!({})).unwrap(),
        true,
        rows(),
    )
    .await;
    let (b, memory) = handle(loopback::connectors::memory(), false, rows()).await;
    Pair {
        sqlite,
        memory,
        _apps: (a, b),
    }
}

/// Runs `w` on both connectors: same ids when both answer; otherwise SQLite refuses it as not
/// supported (or both refuse it as invalid). Never a database error. Returns whether both
/// answered.
async fn same(p: &Pair, w: Where) -> bool {
    let lite = ids(&p.sqlite, &w).await;
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
        (Err(a), Err(b)) => {
            assert_eq!((a.status(), b.status()), (400, 400), "{w:?}: {a:?} / {b:?}");
            false
        }
        (a, b) => panic!("{w:?}: sqlite {a:?}, memory {b:?}"),
    };
    // Whatever the filter, the same data is still there.
    assert_eq!(
        p.sqlite.count(None, &Options::new()).await.unwrap(),
        PAYLOADS.len() as u64
    );
    compared
}

#[tokio::test]
async fn payloads_are_stored_and_read_back_intact() {
    let p = pair().await;
    let stored = p
        .sqlite
        .find(
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
        let patched = p
            .sqlite
            .patch_by_id(
                id.clone(),
                loopback::record! {"s" => format!("{payload}{payload}")},
                &Options::new(),
            )
            .await
            .unwrap();
        assert_eq!(
            patched.get("s"),
            Some(&Value::from(format!("{payload}{payload}")))
        );
    }
    let n = p
        .sqlite
        .update_all(
            Some(Where::eq("s", "''''")),
            loopback::record! {"any" => "'; --"},
            &Options::new(),
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    let n = p
        .sqlite
        .destroy_all(Some(Where::eq("s", "\0\0")), &Options::new())
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        p.sqlite.count(None, &Options::new()).await.unwrap(),
        PAYLOADS.len() as u64 - 1
    );
}

#[tokio::test]
async fn every_operator_on_every_property_type() {
    let p = pair().await;
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
    // patterns; objects, `any` and points equality and lists (6); arrays only whole values.
    assert_eq!(
        (compared, refused),
        (89 * PAYLOADS.len(), 82 * PAYLOADS.len())
    );
}

#[tokio::test]
async fn patterns_find_exactly_their_rows() {
    let p = pair().await;
    for (i, payload) in PAYLOADS.iter().enumerate() {
        let id = i as i64 + 1;
        // An escaped payload as a whole LIKE pattern matches that row and its ASCII-case twin.
        let twins: Vec<i64> = PAYLOADS
            .iter()
            .enumerate()
            .filter(|(_, q)| q.eq_ignore_ascii_case(payload))
            .map(|(j, _)| j as i64 + 1)
            .collect();
        let exact = ids(
            &p.sqlite,
            &Where::cond("s", Condition::Like(like_escape(payload))),
        )
        .await
        .unwrap();
        assert_eq!(exact, [id], "like {payload:?}");
        let folded = ids(
            &p.sqlite,
            &Where::cond(
                "s",
                Condition::ILike(like_escape(&payload.to_ascii_uppercase())),
            ),
        )
        .await
        .unwrap();
        assert_eq!(folded, twins, "ilike {payload:?}");
        let anchored = ids(
            &p.sqlite,
            &Where::cond("s", re(format!("^{}$", regex_escape(payload)), false)),
        )
        .await
        .unwrap();
        assert_eq!(anchored, [id], "regexp {payload:?}");
        let by_value = ids(&p.sqlite, &Where::eq("s", *payload)).await.unwrap();
        assert_eq!(by_value, [id], "eq {payload:?}");
        let by_bytes = ids(
            &p.sqlite,
            &Where::eq("buf", Value::Buffer(payload.as_bytes().to_vec())),
        )
        .await
        .unwrap();
        assert_eq!(by_bytes, [id], "buffer {payload:?}");
        let by_json = ids(
            &p.sqlite,
            &Where::eq("o", Value::Object(loopback::record! {"k" => *payload})),
        )
        .await
        .unwrap();
        assert_eq!(by_json, [id], "object {payload:?}");
    }
    // LIKE wildcards in data are data; in patterns they are wildcards unless escaped.
    let all = ids(&p.sqlite, &Where::cond("s", Condition::Like("%".into())))
        .await
        .unwrap();
    assert_eq!(all.len(), PAYLOADS.len());
    let underscores = ids(
        &p.sqlite,
        &Where::cond("s", Condition::Like("%\\_%".into())),
    )
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
    let p = pair().await;
    for payload in PAYLOADS {
        let name = format!("s{payload}");
        let e = ids(&p.sqlite, &Where::eq(name.clone(), 1))
            .await
            .unwrap_err();
        assert_eq!(e.status(), 400, "{name:?}: {e:?}");
        let e = p
            .sqlite
            .find(
                Filter::new().order_by(name.clone(), loopback::Direction::Asc),
                &Options::new(),
            )
            .await
            .unwrap_err();
        assert_eq!(e.status(), 400, "{name:?}: {e:?}");
        // Unknown names in `fields` select nothing; unknown data properties are not stored.
        let rows = p
            .sqlite
            .find(
                Filter::new().fields([name.clone(), "id".into()]),
                &Options::new(),
            )
            .await
            .unwrap();
        assert!(rows.iter().all(|r| r.keys().eq(["id"].iter())));
        let mut data = Record::new();
        data.insert(name.clone(), *payload);
        data.insert("s", "new");
        let created = p.sqlite.create(data, &Options::new()).await.unwrap();
        p.sqlite
            .destroy_by_id(created.get("id").cloned().unwrap(), &Options::new())
            .await
            .unwrap();
    }
    assert_eq!(
        p.sqlite.count(None, &Options::new()).await.unwrap(),
        PAYLOADS.len() as u64
    );
}

#[tokio::test]
async fn payloads_in_model_and_column_names_are_quoted() {
    let db = loopback::connectors::sqlite(json!({})).unwrap();
    let app = App::new();
    app.data_source("db", db.clone());
    let def = ModelDefinition::from_lb3_json(&json!({
        "name": "We\"ird'; --",
        "properties": {
            "na\"me": {"type": "string", "index": true},
            "sel'ect": {"type": "string", "sqlite3": {"columnName": "co\"l; DROP TABLE x; --"}}
        }
    }))
    .unwrap();
    let m = app.define(def, "db").await.unwrap();
    db.automigrate(&[m.definition()]).await.unwrap();
    for payload in PAYLOADS {
        m.create(
            loopback::record! {"na\"me" => *payload, "sel'ect" => *payload},
            &Options::new(),
        )
        .await
        .unwrap();
    }
    for payload in PAYLOADS {
        let rows = m
            .find(
                Filter::with_where(Where::eq("sel'ect", *payload)),
                &Options::new(),
            )
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "{payload:?}");
        assert_eq!(rows[0].get("na\"me"), Some(&Value::from(*payload)));
    }
    db.autoupdate(&[m.definition()]).await.unwrap();
    assert_eq!(
        m.count(None, &Options::new()).await.unwrap(),
        PAYLOADS.len() as u64
    );
}

#[tokio::test]
async fn payloads_as_native_statement_parameters() {
    let p = pair().await;
    let db = p.sqlite.data_source().connector().clone();
    for (i, payload) in PAYLOADS.iter().enumerate() {
        let rows = db
            .execute(
                r#"SELECT id, s FROM "Victim" WHERE s = ? AND ? = ?"#,
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
