//! The MySQL connector beyond the conformance suite: data source settings, schema migration,
//! native statements, error classification and connection failures. Cases that need a server
//! use the one `LOOPBACK_TEST_MYSQL_URL` names, in a database of their own, and are skipped
//! when it is unset.
#![cfg(feature = "mysql")]

mod mysql_db;

use std::sync::Arc;

use loopback::connectors::MySqlConnector;
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

async fn migrated(db: &MySqlConnector, j: serde_json::Value) -> Arc<ModelDefinition> {
    let m = model(j);
    db.define(&m).await.unwrap();
    db.automigrate(std::slice::from_ref(&m)).await.unwrap();
    m
}

async fn column_types(db: &MySqlConnector, table: &str) -> Vec<(String, String)> {
    db.execute(
        "SELECT COLUMN_NAME AS c, COLUMN_TYPE AS t FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
        &[Value::from(table)],
        &opts(),
    )
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.get("c").and_then(Value::as_str).unwrap().to_owned(),
            r.get("t").and_then(Value::as_str).unwrap().to_owned(),
        )
    })
    .collect()
}

async fn index_names(db: &MySqlConnector, table: &str) -> Vec<String> {
    let mut v: Vec<String> = db
        .execute(
            "SELECT DISTINCT INDEX_NAME AS i FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
            &[Value::from(table)],
            &opts(),
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("i").and_then(Value::as_str).unwrap().to_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn settings_are_checked() {
    for (settings, key) in [
        (json!({"connector": "mysql", "hots": "x"}), "hots"),
        (json!({"host": 3}), "host"),
        (json!({"port": "http"}), "port"),
        (json!({"port": 70000}), "port"),
        (json!({"connectionLimit": 0}), "connectionLimit"),
        (json!({"connectTimeout": -1}), "connectTimeout"),
        (json!({"url": "postgres://x/y"}), "url"),
        (json!({"password": true}), "password"),
    ] {
        let e = MySqlConnector::from_settings(&settings).unwrap_err();
        assert!(matches!(e, Error::Connector(_)), "{settings}: {e:?}");
        assert!(
            e.to_string().contains(&format!("`{key}`")),
            "{settings}: {e}"
        );
    }
    for ok in [
        json!(null),
        json!({"name": "db", "connector": "mysql", "debug": false}),
        json!({"url": "mysql://u:p@localhost:3307/app", "connectionLimit": "4"}),
        json!({"host": "db", "port": "3306", "database": "app", "user": "u", "password": "p",
               "acquireTimeout": 1000, "charset": "UTF8MB4_GENERAL_CI"}),
        json!({"hostname": "db", "db": "app", "username": "u", "charset": "utf8mb4", "collation": "utf8mb4_bin"}),
        json!({"socketPath": "/run/mysqld/mysqld.sock"}),
    ] {
        MySqlConnector::from_settings(&ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    let db =
        MySqlConnector::from_settings(&json!({"host": "h", "port": 1, "database": "d"})).unwrap();
    assert!(format!("{db:?}").contains("h:1/d"));
}

#[tokio::test]
async fn unreachable_servers_are_503() {
    // Nothing listens on port 1.
    let db = MySqlConnector::from_settings(
        &json!({"host": "127.0.0.1", "port": 1, "user": "root", "connectTimeout": 1500}),
    )
    .unwrap();
    let m = model(json!({"name": "Item", "properties": {"n": "number"}}));
    let e = db.count(&m, None, &opts()).await.unwrap_err();
    assert!(matches!(e, Error::Unavailable(_)), "{e:?}");
    assert_eq!(e.status(), 503);
    let e = db.execute("SELECT 1", &[], &opts()).await.unwrap_err();
    assert_eq!(e.status(), 503, "{e:?}");
}

#[tokio::test]
async fn the_pool_replaces_killed_connections() {
    let Some((db, _guard)) = mysql_db::TestDb::create_with(json!({"connectionLimit": 1})).await
    else {
        return;
    };
    let m = migrated(&db, json!({"name": "Item", "properties": {"n": "number"}})).await;
    db.create(&m, record! {"n" => 1}, &opts()).await.unwrap();
    let id = db
        .execute("SELECT CONNECTION_ID() AS id", &[], &opts())
        .await
        .unwrap()[0]
        .get("id")
        .and_then(Value::as_i64)
        .unwrap();
    let (killer, _g2) = mysql_db::TestDb::create().await.unwrap();
    killer
        .execute(&format!("KILL CONNECTION {id}"), &[], &opts())
        .await
        .unwrap();
    // The dead connection is noticed and replaced; at worst one operation fails with 503.
    let mut ok = 0;
    for _ in 0..3 {
        match db.count(&m, None, &opts()).await {
            Ok(n) => {
                assert_eq!(n, 1);
                ok += 1;
            }
            Err(e) => assert_eq!(e.status(), 503, "{e:?}"),
        }
    }
    assert!(ok >= 2);
    db.close().await;
    let e = db.count(&m, None, &opts()).await.unwrap_err();
    assert_eq!(e.status(), 503, "{e:?}");
}

#[tokio::test]
async fn automigrate_creates_tables_as_lb3_maps_them() {
    let Some((db, _guard)) = mysql_db::TestDb::create().await else {
        return;
    };
    migrated(
        &db,
        json!({"name": "Everything", "properties": {
            "s": "string",
            "key": {"type": "string", "index": true},
            "short": {"type": "string", "mysql": {"dataLength": 20, "columnName": "short_col"}},
            "n": "number",
            "i": {"type": "number", "mysql": {"dataType": "BIGINT"}},
            "dec": {"type": "number", "mysql": {"dataType": "DECIMAL", "dataPrecision": 10, "dataScale": 2}},
            "b": "boolean",
            "d": {"type": "date", "required": true},
            "buf": "buffer",
            "o": "object",
            "arr": ["string"],
            "g": "geopoint"
        }}),
    )
    .await;
    assert_eq!(
        column_types(&db, "Everything").await,
        [
            ("id", "int(11)"),
            ("s", "varchar(512)"),
            ("key", "varchar(255)"),
            ("short_col", "varchar(20)"),
            ("n", "double"),
            ("i", "bigint(20)"),
            ("dec", "decimal(10,2)"),
            ("b", "tinyint(1)"),
            ("d", "datetime(3)"),
            ("buf", "blob"),
            ("o", "text"),
            ("arr", "text"),
            ("g", "text"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    let t = db
        .execute(
            "SELECT ENGINE AS e, TABLE_COLLATION AS c FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'Everything'",
            &[],
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(t[0].get("e"), Some(&Value::from("InnoDB")));
    assert_eq!(t[0].get("c"), Some(&Value::from("utf8mb4_nopad_bin")));
    let extra = db
        .execute(
            "SELECT EXTRA AS x, IS_NULLABLE AS n FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'Everything' AND COLUMN_NAME IN ('id', 'd') \
             ORDER BY ORDINAL_POSITION",
            &[],
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(extra[0].get("x"), Some(&Value::from("auto_increment")));
    assert_eq!(extra[1].get("n"), Some(&Value::from("NO")));
    assert_eq!(index_names(&db, "Everything").await, ["PRIMARY", "key"]);
}

#[tokio::test]
async fn autoupdate_adds_columns_and_indexes_and_keeps_data() {
    let Some((db, _guard)) = mysql_db::TestDb::create().await else {
        return;
    };
    let m1 = migrated(
        &db,
        json!({"name": "Note", "properties": {"title": "string"}}),
    )
    .await;
    db.create(&m1, record! {"title" => "kept"}, &opts())
        .await
        .unwrap();
    let m2 = model(json!({
        "name": "Note",
        "properties": {
            "title": "string",
            "body": {"type": "string", "index": true},
            "stars": "number",
            "meta": "object"
        },
        "indexes": {"by_stars": {"keys": {"stars": -1}}, "by_meta": {"keys": {"meta": 1}}}
    }));
    db.autoupdate(std::slice::from_ref(&m2)).await.unwrap();
    let cols: Vec<String> = column_types(&db, "Note")
        .await
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert_eq!(cols, ["id", "title", "body", "stars", "meta"]);
    assert_eq!(
        index_names(&db, "Note").await,
        ["PRIMARY", "body", "by_meta", "by_stars"]
    );
    db.create(
        &m2,
        record! {"title" => "new", "body" => "b", "stars" => 2.5},
        &opts(),
    )
    .await
    .unwrap();
    let rows = db
        .find(
            &m2,
            &Filter::new().order_by("id", loopback::Direction::Asc),
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(rows[0].get("title"), Some(&Value::from("kept")));
    assert_eq!(rows[0].get("body"), Some(&Value::Null));
    assert_eq!(rows[1].get("stars"), Some(&Value::Float(2.5)));
    // Running it again changes nothing; a missing table is created; a dropped property's
    // column stays.
    db.autoupdate(std::slice::from_ref(&m2)).await.unwrap();
    db.autoupdate(std::slice::from_ref(&m1)).await.unwrap();
    assert_eq!(column_types(&db, "Note").await.len(), 5);
    let other = model(json!({"name": "Other", "properties": {"x": "string"}}));
    db.autoupdate(std::slice::from_ref(&other)).await.unwrap();
    assert_eq!(db.count(&other, None, &opts()).await.unwrap(), 0);
    assert_eq!(db.count(&m2, None, &opts()).await.unwrap(), 2);
    // automigrate starts over.
    db.automigrate(std::slice::from_ref(&m2)).await.unwrap();
    assert_eq!(db.count(&m2, None, &opts()).await.unwrap(), 0);
}

#[tokio::test]
async fn execute_runs_native_statements_with_parameters() {
    let Some((db, _guard)) = mysql_db::TestDb::create().await else {
        return;
    };
    let m = migrated(
        &db,
        json!({"name": "Event", "properties": {"title": "string", "at": "date", "ok": "boolean", "price": {"type": "number", "mysql": {"dataType": "DECIMAL(10,2)"}}}}),
    )
    .await;
    let at = loopback::value::parse_date("2020-01-01T10:20:30.456Z").unwrap();
    db.create(
        &m,
        record! {"title" => "a", "at" => Value::Date(at), "ok" => true, "price" => 9.99},
        &opts(),
    )
    .await
    .unwrap();
    let rows = db
        .execute(
            "SELECT id, title, at, ok, price, 1.5e0 AS f, x'00ff' AS b, NULL AS n FROM `Event` \
             WHERE at = ? AND title = ? AND ok = ?",
            &[Value::Date(at), Value::from("a"), Value::Bool(true)],
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(
        r.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
        ["id", "title", "at", "ok", "price", "f", "b", "n"]
    );
    assert_eq!(r.get("id"), Some(&Value::Int(1)));
    assert_eq!(r.get("at"), Some(&Value::Date(at)), "dates are UTC");
    assert_eq!(r.get("ok"), Some(&Value::Int(1)));
    assert_eq!(r.get("price"), Some(&Value::Float(9.99)));
    assert_eq!(r.get("f"), Some(&Value::Float(1.5)));
    assert_eq!(r.get("b"), Some(&Value::Buffer(vec![0, 255])));
    assert_eq!(r.get("n"), Some(&Value::Null));
    // Stored as UTC wall-clock time.
    let text = db
        .execute("SELECT CAST(at AS CHAR) AS t FROM `Event`", &[], &opts())
        .await
        .unwrap();
    assert_eq!(
        text[0].get("t"),
        Some(&Value::from("2020-01-01 10:20:30.456"))
    );
    let none = db
        .execute("UPDATE `Event` SET title = ?", &[Value::from("b")], &opts())
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
async fn numbers_keep_their_types() {
    let Some((db, _guard)) = mysql_db::TestDb::create().await else {
        return;
    };
    let m = migrated(
        &db,
        json!({"name": "Big", "properties": {
            "exact": {"type": "number", "mysql": {"dataType": "BIGINT"}},
            "plain": "number",
            "at": "date"
        }}),
    )
    .await;
    let big = (1_i64 << 53) + 1;
    let at = loopback::value::parse_date("2021-02-03T04:05:06.789Z").unwrap();
    let id = db
        .create(
            &m,
            record! {"exact" => big, "plain" => 2.5, "at" => Value::Date(at)},
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(id, Value::Int(1));
    db.create(&m, record! {"exact" => i64::MIN, "plain" => 3}, &opts())
        .await
        .unwrap();
    let got = db
        .find(&m, &Filter::with_where(Where::eq("id", id)), &opts())
        .await
        .unwrap();
    assert_eq!(got[0].get("exact"), Some(&Value::Int(big)));
    assert_eq!(got[0].get("plain"), Some(&Value::Float(2.5)));
    assert_eq!(got[0].get("at"), Some(&Value::Date(at)));
    assert_eq!(
        db.count(&m, Some(&Where::eq("exact", big - 1)), &opts())
            .await
            .unwrap(),
        0
    );
    let min = db
        .find(&m, &Filter::with_where(Where::eq("plain", 3)), &opts())
        .await
        .unwrap();
    assert_eq!(min[0].get("exact"), Some(&Value::Int(i64::MIN)));
    assert_eq!(min[0].get("plain"), Some(&Value::Int(3)));
    // Years MySQL cannot hold are refused with a 400, not stored as zero dates.
    let far = loopback::value::parse_date("0900-01-01T00:00:00Z").unwrap();
    let e = db
        .create(&m, record! {"at" => Value::Date(far)}, &opts())
        .await
        .unwrap_err();
    assert_eq!(e.status(), 400, "{e:?}");
}

#[tokio::test]
async fn unique_violations_are_422_naming_the_property() {
    let Some((db, _guard)) = mysql_db::TestDb::create().await else {
        return;
    };
    let app = App::new();
    app.data_source("db", db.clone());
    let def = ModelDefinition::from_lb3_json(&json!({
        "name": "Account",
        "properties": {"email": {"type": "string", "index": {"unique": true}}, "org": "string", "n": "number"},
        "indexes": {"org_n": {"keys": {"org": 1, "n": 1}, "options": {"unique": true}}}
    }))
    .unwrap();
    let accounts = app.define(def, "db").await.unwrap();
    db.automigrate(&[accounts.definition()]).await.unwrap();
    accounts
        .create(record! {"email" => "a@x", "org" => "o", "n" => 1}, &opts())
        .await
        .unwrap();
    let e = accounts
        .create(record! {"email" => "a@x"}, &opts())
        .await
        .unwrap_err();
    assert_eq!(e.status(), 422, "{e:?}");
    assert_eq!(
        serde_json::Value::Object(e.as_validation().unwrap().codes()),
        json!({"email": ["uniqueness"]})
    );
    assert_eq!(
        e.to_string(),
        "The `Account` instance is not valid. Details: `email` is not unique (value: \"a@x\")."
    );
    // Unique values are compared exactly: case matters.
    accounts
        .create(record! {"email" => "A@x"}, &opts())
        .await
        .unwrap();
    let e = accounts
        .create(record! {"org" => "o", "n" => 1}, &opts())
        .await
        .unwrap_err();
    assert_eq!(
        serde_json::Value::Object(e.as_validation().unwrap().codes()),
        json!({"org": ["uniqueness"], "n": ["uniqueness"]})
    );
    let e = db
        .create(
            &accounts.definition(),
            record! {"id" => 1, "email" => "other"},
            &opts(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        serde_json::Value::Object(e.as_validation().unwrap().codes()),
        json!({"id": ["uniqueness"]})
    );
    let e = accounts
        .update_all(
            Some(Where::eq("email", "A@x")),
            record! {"email" => "a@x"},
            &opts(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.status(), 422);
    assert_eq!(accounts.count(None, &opts()).await.unwrap(), 2);
}

#[tokio::test]
async fn not_null_foreign_key_and_bad_values_are_4xx() {
    let Some((db, _guard)) = mysql_db::TestDb::create().await else {
        return;
    };
    let m = migrated(
        &db,
        json!({"name": "Person", "properties": {
            "name": {"type": "string", "required": true},
            "nick": {"type": "string", "mysql": {"nullable": false, "dataLength": 5}}
        }}),
    )
    .await;
    // Straight to the connector: the operation layer would refuse it first.
    let e = db
        .create(&m, record! {"nick" => "n"}, &opts())
        .await
        .unwrap_err();
    assert_eq!(e.status(), 422, "{e:?}");
    assert_eq!(
        serde_json::Value::Object(e.as_validation().unwrap().codes()),
        json!({"name": ["presence"]})
    );
    let e = db
        .create(&m, record! {"name" => "a", "nick" => Value::Null}, &opts())
        .await
        .unwrap_err();
    assert_eq!(
        serde_json::Value::Object(e.as_validation().unwrap().codes()),
        json!({"nick": ["presence"]})
    );
    let e = db
        .create(&m, record! {"name" => "a", "nick" => "too long"}, &opts())
        .await
        .unwrap_err();
    assert_eq!(e.status(), 400, "{e:?}");
    assert!(e.to_string().contains("`nick`"), "{e}");
    db.create(&m, record! {"name" => "a", "nick" => "n"}, &opts())
        .await
        .unwrap();
    let e = db
        .update_all(&m, None, record! {"name" => Value::Null}, &opts())
        .await
        .unwrap_err();
    assert!((400..500).contains(&e.status()), "{e:?}");
    // Through native SQL there is no model: still 4xx.
    let e = db
        .execute("INSERT INTO `Person` (nick) VALUES ('x')", &[], &opts())
        .await
        .unwrap_err();
    assert!((400..500).contains(&e.status()), "{e:?}");
    let e = db
        .execute(
            "INSERT INTO `Person` (id, name, nick) VALUES (1, 'a', 'b')",
            &[],
            &opts(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.status(), 409, "{e:?}");
    db.execute(
        "CREATE TABLE parent (id INT PRIMARY KEY) ENGINE=InnoDB",
        &[],
        &opts(),
    )
    .await
    .unwrap();
    db.execute(
        "CREATE TABLE child (id INT PRIMARY KEY AUTO_INCREMENT, parent INT, \
         FOREIGN KEY (parent) REFERENCES parent(id)) ENGINE=InnoDB",
        &[],
        &opts(),
    )
    .await
    .unwrap();
    let e = db
        .execute(
            "INSERT INTO child (parent) VALUES (?)",
            &[Value::Int(5)],
            &opts(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.status(), 409, "{e:?}");
    db.execute("INSERT INTO parent VALUES (1)", &[], &opts())
        .await
        .unwrap();
    db.execute("INSERT INTO child (parent) VALUES (1)", &[], &opts())
        .await
        .unwrap();
    let e = db
        .execute("DELETE FROM parent", &[], &opts())
        .await
        .unwrap_err();
    assert_eq!(e.status(), 409, "{e:?}");
}
