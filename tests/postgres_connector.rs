//! The PostgreSQL connector's own behaviour, beyond the conformance suite: configuration,
//! migration, native statements, error classification and an unreachable server. Tests that
//! need a server run against `LOOPBACK_TEST_POSTGRES_URL` and are skipped when it is unset.
#![cfg(feature = "postgres")]

mod pg_db;

use std::sync::Arc;

use loopback::connectors::PostgresConnector;
use loopback::{record, App, Connector, Error, Filter, ModelDefinition, Options, Value, Where};
use serde_json::json;

fn opts() -> Options {
    Options::new()
}

fn model(j: serde_json::Value) -> Arc<ModelDefinition> {
    let mut d = ModelDefinition::from_lb3_json(&j).unwrap();
    d.inject_id();
    Arc::new(d)
}

async fn migrated(db: &PostgresConnector, j: serde_json::Value) -> Arc<ModelDefinition> {
    let m = model(j);
    db.define(&m).await.unwrap();
    db.automigrate(std::slice::from_ref(&m)).await.unwrap();
    m
}

/// `(column, type, nullable)` of a table in the test schema.
async fn columns(db: &PostgresConnector, table: &str) -> Vec<(String, String, bool)> {
    db.execute(
        "SELECT column_name::text AS c, data_type::text AS t, is_nullable::text AS n \
         FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 \
         ORDER BY ordinal_position",
        &[Value::from(db.schema().unwrap()), Value::from(table)],
        &opts(),
    )
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.get("c").and_then(Value::as_str).unwrap().to_owned(),
            r.get("t").and_then(Value::as_str).unwrap().to_owned(),
            r.get("n").and_then(Value::as_str) == Some("YES"),
        )
    })
    .collect()
}

#[test]
fn settings_are_checked() {
    for (settings, key) in [
        (json!({"connector": "postgresql", "hots": "x"}), "hots"),
        (json!({"host": 3}), "host"),
        (json!({"port": "many"}), "port"),
        (json!({"port": 70000}), "port"),
        (json!({"max": 0}), "max"),
        (json!({"connectionLimit": -1}), "connectionLimit"),
        (json!({"url": "mysql://x"}), "url"),
        (json!({"connectionString": "nonsense"}), "connectionString"),
        (json!({"schema": ""}), "schema"),
        (json!({"min": 5, "max": 2}), "min"),
    ] {
        let e = PostgresConnector::from_settings(&settings).unwrap_err();
        assert!(matches!(e, Error::Connector(_)), "{settings}: {e:?}");
        assert!(
            e.to_string().contains(&format!("`{key}`")),
            "{settings}: {e}"
        );
    }
    for ok in [
        json!(null),
        json!({"name": "db", "connector": "postgresql", "debug": true}),
        json!({"host": "localhost", "port": 5432, "database": "app", "user": "u", "password": "p"}),
        json!({"hostname": "db", "port": "5433", "db": "app", "username": "u", "max": "4", "connectTimeout": 1000}),
        json!({"url": "postgres://u:p@localhost/app", "schema": "shop", "connectionLimit": 2}),
        json!({"connectionString": "postgresql://localhost/app", "connectionTimeoutMillis": 500}),
        json!({"host": "/var/run/postgresql"}),
    ] {
        PostgresConnector::from_settings(&ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
}

#[tokio::test]
async fn an_unreachable_server_is_503_and_the_pool_recovers() {
    // Nothing listens on port 1.
    let db = loopback::connectors::postgres(
        json!({"host": "127.0.0.1", "port": 1, "database": "x", "connectTimeout": 2000}),
    )
    .unwrap();
    let m = model(json!({"name": "Item", "properties": {"n": "number"}}));
    let e = db.count(&m, None, &opts()).await.unwrap_err();
    assert_eq!(e.status(), 503, "{e:?}");
    assert!(matches!(e, Error::Unavailable(_)), "{e:?}");
    let e = db.execute("SELECT 1", &[], &opts()).await.unwrap_err();
    assert_eq!(e.status(), 503, "{e:?}");

    // A server connection that is killed under the pool is replaced.
    let Some((db, _schema)) = pg_db::TestSchema::create().await else {
        return;
    };
    let m = migrated(&db, json!({"name": "Item", "properties": {"n": "number"}})).await;
    db.create(&m, record! {"n" => 1}, &opts()).await.unwrap();
    let admin = pg_db::admin(&_schema.server);
    admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE pid <> pg_backend_pid() AND query LIKE '%' || $1 || '%'",
            &[Value::from(_schema.name.clone())],
            &opts(),
        )
        .await
        .unwrap();
    admin.close().await;
    // The first use of a dead connection may fail; the pool then reconnects.
    let mut last = None;
    for _ in 0..3 {
        match db.count(&m, None, &opts()).await {
            Ok(n) => {
                last = Some(n);
                break;
            }
            Err(e) => assert!(e.status() == 503 || e.status() == 500, "{e:?}"),
        }
    }
    assert_eq!(last, Some(1));
}

#[tokio::test]
async fn a_connection_killed_while_idle_is_replaced_before_use() {
    // A pooled connection idle for a second or more is pinged before it is handed out
    // (`connectors::PING_AFTER_IDLE`), so one that died while waiting costs no failed operation.
    let Some((db, schema)) = pg_db::TestSchema::create_with(json!({"max": 1})).await else {
        return;
    };
    let m = migrated(&db, json!({"name": "Item", "properties": {"n": "number"}})).await;
    db.create(&m, record! {"n" => 1}, &opts()).await.unwrap();
    let pid = db
        .execute("SELECT pg_backend_pid() AS pid", &[], &opts())
        .await
        .unwrap()[0]
        .get("pid")
        .and_then(Value::as_i64)
        .unwrap();
    let admin = pg_db::admin(&schema.server);
    let killed = admin
        .execute(
            "SELECT pg_terminate_backend($1::int) AS killed",
            &[Value::Int(pid)],
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(killed[0].get("killed"), Some(&Value::Bool(true)));
    admin.close().await;
    tokio::time::sleep(loopback::connectors::PING_AFTER_IDLE).await;
    assert_eq!(db.count(&m, None, &opts()).await.unwrap(), 1);
    let new_pid = db
        .execute("SELECT pg_backend_pid() AS pid", &[], &opts())
        .await
        .unwrap()[0]
        .get("pid")
        .and_then(Value::as_i64)
        .unwrap();
    assert_ne!(new_pid, pid, "the dead connection was replaced");
}

#[tokio::test]
async fn types_and_names_follow_lb3() {
    let Some((db, _schema)) = pg_db::TestSchema::create().await else {
        return;
    };
    let m = migrated(
        &db,
        json!({"name": "Everything", "properties": {
            "Title": "string",
            "code": {"type": "string", "postgresql": {"dataLength": 8}},
            "plain": "number",
            "count": {"type": "number", "postgresql": {"dataType": "INTEGER"}},
            "big": {"type": "number", "postgresql": {"dataType": "BIGINT"}},
            "money": {"type": "number", "postgresql": {"dataType": "NUMERIC", "dataPrecision": 10, "dataScale": 2}},
            "flag": "boolean",
            "at": "date",
            "raw": "buffer",
            "where": "geopoint",
            "meta": "object",
            "tags": ["string"],
            "named": {"type": "string", "required": true, "postgresql": {"columnName": "Named Column"}}
        }}),
    )
    .await;
    let cols = columns(&db, "everything").await;
    let types: Vec<(&str, &str)> = cols
        .iter()
        .map(|(c, t, _)| (c.as_str(), t.as_str()))
        .collect();
    assert_eq!(
        types,
        [
            ("id", "integer"),
            ("title", "text"),
            ("code", "character varying"),
            ("plain", "double precision"),
            ("count", "integer"),
            ("big", "bigint"),
            ("money", "numeric"),
            ("flag", "boolean"),
            ("at", "timestamp with time zone"),
            ("raw", "bytea"),
            ("where", "point"),
            ("meta", "text"),
            ("tags", "text"),
            ("Named Column", "text"),
        ]
    );
    assert!(!cols.last().unwrap().2, "required is NOT NULL");
    let at = loopback::value::parse_date("2020-02-03T04:05:06.789Z").unwrap();
    let big = (1_i64 << 53) + 1;
    let id = db
        .create(
            &m,
            record! {
                "Title" => "t", "code" => "abc", "plain" => 2.5, "count" => 7, "big" => big,
                "money" => 12.34, "flag" => true, "at" => Value::Date(at),
                "raw" => Value::Buffer(vec![0, 1, 255]),
                "where" => loopback::GeoPoint::new(37.5, -122.25).unwrap(),
                "meta" => Value::Object(record! {"a" => 1}),
                "tags" => Value::from(vec!["x", "y"]),
                "named" => "n"
            },
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(id, Value::Int(1));
    let rows = db.find(&m, &Filter::new(), &opts()).await.unwrap();
    let r = &rows[0];
    assert_eq!(r.get("plain"), Some(&Value::Float(2.5)));
    assert_eq!(r.get("count"), Some(&Value::Int(7)));
    assert_eq!(r.get("big"), Some(&Value::Int(big)));
    assert_eq!(r.get("money"), Some(&Value::Float(12.34)));
    assert_eq!(r.get("flag"), Some(&Value::Bool(true)));
    assert_eq!(r.get("at"), Some(&Value::Date(at)));
    assert_eq!(r.get("raw"), Some(&Value::Buffer(vec![0, 1, 255])));
    assert_eq!(
        r.get("where"),
        Some(&Value::GeoPoint(
            loopback::GeoPoint::new(37.5, -122.25).unwrap()
        ))
    );
    assert_eq!(r.get("meta"), Some(&Value::Object(record! {"a" => 1})));
    assert_eq!(r.get("named"), Some(&Value::from("n")));
    // LoopBack 3 stores points as (lng, lat).
    let native = db
        .execute(
            "SELECT \"where\"[0] AS x, \"where\"[1] AS y FROM everything",
            &[],
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(native[0].get("x"), Some(&Value::Float(-122.25)));
    // Too long for VARCHAR(8): the caller's error.
    let e = db
        .create(&m, record! {"code" => "123456789", "named" => "n"}, &opts())
        .await
        .unwrap_err();
    assert_eq!(e.status(), 400, "{e:?}");
    // Conditions on points other than null tests are not supported.
    let e = db
        .find(
            &m,
            &Filter::with_where(Where::eq(
                "where",
                loopback::GeoPoint::new(37.5, -122.25).unwrap(),
            )),
            &opts(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.status(), 501, "{e:?}");
    assert_eq!(
        db.count(&m, Some(&Where::eq("where", Value::Null)), &opts())
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn autoupdate_adds_widens_and_keeps_rows() {
    let Some((db, _schema)) = pg_db::TestSchema::create().await else {
        return;
    };
    let v1 = json!({"name": "Note", "properties": {
        "title": {"type": "string", "required": true, "postgresql": {"dataType": "VARCHAR", "dataLength": 5}},
        "stars": {"type": "number", "postgresql": {"dataType": "INTEGER"}},
        "kind": {"type": "string", "required": true}
    }});
    let m1 = migrated(&db, v1.clone()).await;
    db.create(
        &m1,
        record! {"title" => "kept", "stars" => 3, "kind" => "k"},
        &opts(),
    )
    .await
    .unwrap();
    let mut v2 = v1.clone();
    v2["properties"]["title"]["postgresql"]["dataLength"] = json!(50);
    v2["properties"]["stars"]["postgresql"]["dataType"] = json!("BIGINT");
    v2["properties"]["kind"] = json!("string");
    v2["properties"]["body"] = json!({"type": "string", "index": true});
    v2["properties"]["email"] = json!({"type": "string", "index": {"unique": true}});
    v2["indexes"] = json!({"note_by_stars": {"keys": {"stars": -1}}});
    let m2 = model(v2);
    db.autoupdate(std::slice::from_ref(&m2)).await.unwrap();
    db.autoupdate(std::slice::from_ref(&m2)).await.unwrap(); // a second run changes nothing
    let cols = columns(&db, "note").await;
    assert_eq!(
        cols,
        [
            ("id".into(), "integer".into(), false),
            ("title".into(), "character varying".into(), false),
            ("stars".into(), "bigint".into(), true),
            ("kind".into(), "text".into(), true),
            ("body".into(), "text".into(), true),
            ("email".into(), "text".into(), true),
        ]
    );
    let rows = db.find(&m2, &Filter::new(), &opts()).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get("title"), Some(&Value::from("kept")));
    db.create(
        &m2,
        record! {"title" => "a longer title", "email" => "a@x"},
        &opts(),
    )
    .await
    .unwrap();
    let indexes: Vec<String> = db
        .execute(
            "SELECT indexname::text AS i FROM pg_indexes WHERE schemaname = $1 ORDER BY 1",
            &[Value::from(db.schema().unwrap())],
            &opts(),
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("i").and_then(Value::as_str).unwrap().to_owned())
        .collect();
    assert_eq!(
        indexes,
        [
            "note_body_idx",
            "note_by_stars",
            "note_email_idx",
            "note_pkey"
        ]
    );
    // A narrowing is never applied: the rows stay as they are.
    let m3 = model(v1);
    db.autoupdate(std::slice::from_ref(&m3)).await.unwrap();
    assert_eq!(columns(&db, "note").await[1].1, "character varying");
    assert_eq!(db.count(&m2, None, &opts()).await.unwrap(), 2);
    // A missing table is created; automigrate starts over.
    let other = model(json!({"name": "Other", "properties": {"x": "string"}}));
    db.autoupdate(std::slice::from_ref(&other)).await.unwrap();
    assert_eq!(db.count(&other, None, &opts()).await.unwrap(), 0);
    db.automigrate(std::slice::from_ref(&m2)).await.unwrap();
    assert_eq!(db.count(&m2, None, &opts()).await.unwrap(), 0);
}

#[tokio::test]
async fn execute_runs_native_statements_with_typed_parameters() {
    let Some((db, _schema)) = pg_db::TestSchema::create().await else {
        return;
    };
    let m = migrated(
        &db,
        json!({"name": "Event", "properties": {"title": "string", "at": "date", "ok": "boolean"}}),
    )
    .await;
    let at = loopback::value::parse_date("2020-01-01T00:00:00Z").unwrap();
    db.create(
        &m,
        record! {"title" => "a", "at" => Value::Date(at), "ok" => true},
        &opts(),
    )
    .await
    .unwrap();
    let rows = db
        .execute(
            "SELECT id, title, at, ok, 1.5::float8 AS f, 2.50::numeric AS d, 7::numeric AS w, \
             '\\x00ff'::bytea AS b, NULL::text AS n, '{\"a\": [1]}'::jsonb AS j \
             FROM event WHERE at = $1 AND title = $2 AND ok = $3 AND $4::text IS NULL",
            &[
                Value::Date(at),
                Value::from("a"),
                Value::Bool(true),
                Value::Null,
            ],
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(
        r.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
        ["id", "title", "at", "ok", "f", "d", "w", "b", "n", "j"]
    );
    assert_eq!(r.get("id"), Some(&Value::Int(1)));
    assert_eq!(r.get("at"), Some(&Value::Date(at)));
    assert_eq!(r.get("ok"), Some(&Value::Bool(true)));
    assert_eq!(r.get("f"), Some(&Value::Float(1.5)));
    assert_eq!(r.get("d"), Some(&Value::Float(2.5)));
    assert_eq!(r.get("w"), Some(&Value::Int(7)));
    assert_eq!(r.get("b"), Some(&Value::Buffer(vec![0, 255])));
    assert_eq!(r.get("n"), Some(&Value::Null));
    assert_eq!(r.get("j"), Some(&Value::from_json(&json!({"a": [1]}))));
    // The same text bound with other types is prepared again, never misread.
    for v in [Value::Int(2), Value::Float(2.5), Value::from("3")] {
        let rows = db
            .execute(
                "SELECT $1::float8 * 2 AS x",
                std::slice::from_ref(&v),
                &opts(),
            )
            .await
            .unwrap();
        assert!(
            rows[0].get("x").and_then(Value::as_f64).unwrap() >= 4.0,
            "{v:?}"
        );
    }
    let none = db
        .execute("UPDATE event SET title = $1", &[Value::from("b")], &opts())
        .await
        .unwrap();
    assert!(none.is_empty());
    let e = db
        .execute("SELEC nonsense", &[], &opts())
        .await
        .unwrap_err();
    assert_eq!(e.status(), 500, "{e:?}");
}

#[tokio::test]
async fn constraint_violations_are_4xx_naming_the_property() {
    let Some((db, _schema)) = pg_db::TestSchema::create().await else {
        return;
    };
    let app = App::new();
    app.data_source("db", db.clone());
    let def = ModelDefinition::from_lb3_json(&json!({
        "name": "Account",
        "properties": {
            "email": {"type": "string", "index": {"unique": true}},
            "org": "string", "n": "number",
            "nick": {"type": "string", "postgresql": {"nullable": false}}
        },
        "indexes": {"org_n": {"keys": {"org": 1, "n": 1}, "options": {"unique": true}}}
    }))
    .unwrap();
    let accounts = app.define(def, "db").await.unwrap();
    db.automigrate(&[accounts.definition()]).await.unwrap();
    accounts
        .create(
            record! {"email" => "a@x", "org" => "o", "n" => 1, "nick" => "a"},
            &opts(),
        )
        .await
        .unwrap();
    let e = accounts
        .create(record! {"email" => "a@x", "nick" => "b"}, &opts())
        .await
        .unwrap_err();
    assert_eq!(e.status(), 422, "{e:?}");
    assert_eq!(
        serde_json::Value::Object(e.as_validation().unwrap().codes()),
        json!({"email": ["uniqueness"]})
    );
    let e = accounts
        .create(record! {"org" => "o", "n" => 1, "nick" => "c"}, &opts())
        .await
        .unwrap_err();
    assert_eq!(
        serde_json::Value::Object(e.as_validation().unwrap().codes()),
        json!({"org": ["uniqueness"], "n": ["uniqueness"]})
    );
    // Duplicate primary keys.
    let e = db
        .create(
            &accounts.definition(),
            record! {"id" => 1, "email" => "other", "nick" => "d"},
            &opts(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        serde_json::Value::Object(e.as_validation().unwrap().codes()),
        json!({"id": ["uniqueness"]})
    );
    // Not null, straight to the connector (the operation layer would refuse it first).
    let e = db
        .create(&accounts.definition(), record! {"email" => "z@x"}, &opts())
        .await
        .unwrap_err();
    assert_eq!(e.status(), 422, "{e:?}");
    assert_eq!(
        serde_json::Value::Object(e.as_validation().unwrap().codes()),
        json!({"nick": ["presence"]})
    );
    // Through native SQL there is no model: still 4xx.
    let e = db
        .execute("INSERT INTO account (email) VALUES ('q')", &[], &opts())
        .await
        .unwrap_err();
    assert_eq!(e.status(), 400, "{e:?}");
    let e = db
        .execute(
            "INSERT INTO account (email, nick) VALUES ('a@x', 'n')",
            &[],
            &opts(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.status(), 409, "{e:?}");
    // Foreign keys.
    db.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)", &[], &opts())
        .await
        .unwrap();
    db.execute(
        "CREATE TABLE child (id SERIAL PRIMARY KEY, parent INTEGER REFERENCES parent(id))",
        &[],
        &opts(),
    )
    .await
    .unwrap();
    let e = db
        .execute(
            "INSERT INTO child (parent) VALUES ($1)",
            &[Value::Int(5)],
            &opts(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.status(), 409, "{e:?}");
    // Explicit ids move the sequence on: generated ids never collide with them.
    let first = db
        .create(
            &accounts.definition(),
            record! {"id" => 10, "nick" => "e"},
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(first, Value::Int(10));
    let next = db
        .create(&accounts.definition(), record! {"nick" => "f"}, &opts())
        .await
        .unwrap();
    assert_eq!(next.as_i64().map(|n| n > 10), Some(true), "{next:?}");
}

/// PostgreSQL text cannot hold NUL: a comparison with one is a 400 before any statement, also
/// inside a condition on related models.
#[tokio::test]
async fn nul_in_a_related_condition_is_400() {
    let Some((db, _schema)) = pg_db::TestSchema::create().await else {
        return;
    };
    let app = App::new();
    app.data_source("db", db.clone());
    let mut defs = Vec::new();
    for j in [
        json!({"name": "Author", "properties": {"name": "string"},
            "relations": {"books": {"type": "hasMany", "model": "Book"}}}),
        json!({"name": "Book", "properties": {"title": "string"}}),
    ] {
        let m = app
            .define(ModelDefinition::from_lb3_json(&j).unwrap(), "db")
            .await
            .unwrap();
        defs.push(m);
    }
    let all: Vec<_> = defs.iter().map(|m| m.definition()).collect();
    db.automigrate(&all).await.unwrap();
    let authors = &defs[0];
    let w = authors
        .parse_where(&json!({"books": {"some": {"title": {"gt": "a\u{0}b"}}}}))
        .unwrap();
    let e = authors
        .find(Filter::with_where(w), &opts())
        .await
        .unwrap_err();
    assert_eq!(e.status(), 400, "{e:?}");
    assert!(e.to_string().contains("NUL character"), "{e}");
    let w = authors
        .parse_where(&json!({"books.title": {"gt": "a"}}))
        .unwrap();
    assert!(authors
        .find(Filter::with_where(w), &opts())
        .await
        .unwrap()
        .is_empty());
}
