//! Columns beyond the portable types on the SQL connectors: a column missing from its table is
//! a typed error, `NUMERIC` / `DECIMAL` columns behind string properties keep every digit, and
//! PostgreSQL `UUID` columns are written and queried with strings. Each scenario runs on
//! SQLite and, when `LOOPBACK_TEST_POSTGRES_URL` / `LOOPBACK_TEST_MYSQL_URL` are set, on
//! PostgreSQL and MySQL in a schema or database of its own.

#![cfg(all(feature = "rest", feature = "sqlite"))]

#[cfg(feature = "mysql")]
mod mysql_db;
#[cfg(feature = "postgres")]
mod pg_db;
#[macro_use]
mod rest_db;
mod rest_support;

use loopback::rest::RestApi;
use loopback::{record, Error, Filter, ModelHandle, Options, Value, Where};
use rest_db::{Db, Kind};
use rest_support::{get, post, send};
use serde_json::{json, Value as Json};

on_sql_connectors!(
    unknown_columns_are_a_typed_error,
    uuid_strings_round_trip,
    conditions_inside_json_objects,
    ordering_by_json_paths,
    related_conditions_across_uuid_and_text_keys,
    decimals_keep_every_digit,
);

fn opts() -> Options {
    Options::new()
}

/// The table of a model as the connector names it.
fn table<'a>(db: &Db, model: &'a str) -> std::borrow::Cow<'a, str> {
    if db.kind() == Kind::Postgres {
        model.to_lowercase().into()
    } else {
        model.into()
    }
}

/// Rows of a native query, on the model's data source.
async fn native(m: &ModelHandle, sql: &str) -> Vec<loopback::Record> {
    m.data_source()
        .connector()
        .execute(sql, &[], &opts())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The `property` of every record of a REST reply, in order.
fn column(reply: &rest_support::Reply, property: &str) -> Vec<Json> {
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply
        .json()
        .as_array()
        .expect("an array")
        .iter()
        .map(|r| r[property].clone())
        .collect()
}

#[track_caller]
fn assert_unknown_column(e: &Error, model: &str, property: &str) {
    match e {
        Error::UnknownColumn {
            column,
            model: m,
            property: p,
            message,
        } => {
            assert!(column.eq_ignore_ascii_case(property), "{e:?}");
            assert_eq!(m.as_deref(), Some(model), "{e:?}");
            assert_eq!(p.as_deref(), Some(property), "{e:?}");
            assert!(!message.is_empty());
        }
        other => panic!("expected an unknown column, got {other:?}"),
    }
    assert_eq!((e.status(), e.name(), e.code()), (500, "Error", None));
    assert!(e.to_string().contains(model), "{e}");
}

/// A table that lacks a column of its model (made by LoopBack 3, or altered by hand): every
/// statement naming the column fails with `Error::UnknownColumn` naming the model, the column
/// and its property, classified from the database's error code; over REST it is a 500 whose
/// body says nothing of the schema.
async fn unknown_columns_are_a_typed_error(db: Db) {
    let app = db
        .app_without_auth(vec![json!({
            "name": "Thing",
            "properties": {"name": "string", "extra": "string"}
        })])
        .await;
    let m = app.model("Thing").unwrap();
    m.create(record! {"name" => "a", "extra" => "x"}, &opts())
        .await
        .unwrap();
    db.drop_column(&table(&db, "Thing"), "extra").await;

    let e = m.find(Filter::new(), &opts()).await.unwrap_err();
    assert_unknown_column(&e, "Thing", "extra");
    let e = m
        .find(Filter::with_where(Where::eq("extra", "x")), &opts())
        .await
        .unwrap_err();
    assert_unknown_column(&e, "Thing", "extra");
    let e = m
        .create(record! {"name" => "b", "extra" => "y"}, &opts())
        .await
        .unwrap_err();
    assert_unknown_column(&e, "Thing", "extra");
    let e = m
        .update_all(None, record! {"extra" => "z"}, &opts())
        .await
        .unwrap_err();
    assert_unknown_column(&e, "Thing", "extra");
    // Statements that do not name it still run.
    assert_eq!(m.count(None, &opts()).await.unwrap(), 1);

    let api = RestApi::new(&app);
    let r = get(&api, "/api/Things").await;
    assert_eq!(r.status, 500, "{}", r.text);
    assert!(!r.text.contains("extra"), "{}", r.text);
}

fn price() -> Json {
    let exact = json!({"dataType": "DECIMAL", "precision": 30, "scale": 9});
    let cents = json!({"dataType": "numeric", "dataPrecision": 10, "dataScale": 2});
    json!({
        "name": "Price",
        "properties": {
            "amount": {"type": "string", "postgresql": exact, "mysql": exact, "sqlite3": exact},
            "n": {"type": "number", "postgresql": cents, "mysql": cents, "sqlite3": cents}
        }
    })
}

const BIG: &str = "12345678901234567890.123456789";
/// `BIG` less one digit of its fraction: the same double, another decimal.
const BIG_BUT_ONE: &str = "12345678901234567890.12345678";

/// A string property in a `DECIMAL(30,9)` column keeps every digit when written, read,
/// compared and ordered (as doubles, `BIG` and `BIG_BUT_ONE` are equal); a number property
/// in a `NUMERIC(10,2)` column reads as a number; migrations create the declared precision and
/// scale; text that is not a number is a 400 when written and equals nothing in a `where`.
/// SQLite has no exact decimal type: there the column is TEXT, read back as written (without
/// the scale's trailing zeros), and compared and ordered by value under the connector's
/// decimal collation.
async fn decimals_keep_every_digit(db: Db) {
    let app = db.app_without_auth(vec![price()]).await;
    let m = app.model("Price").unwrap();
    let api = RestApi::new(&app);
    let body = json!([
        {"amount": BIG, "n": 12.34},
        {"amount": BIG_BUT_ONE, "n": 1},
        {"amount": "-0.5", "n": 2.5}
    ]);
    let r = post(&api, "/api/Prices", &body.to_string()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let sqlite = db.kind() == Kind::Sqlite;
    // How the database gives back `BIG_BUT_ONE` and `-0.5`: with the column's scale, except
    // on SQLite.
    let (big_but_one, half) = if sqlite {
        (BIG_BUT_ONE, "-0.5")
    } else {
        ("12345678901234567890.123456780", "-0.500000000")
    };

    let declared = if sqlite {
        "SELECT type AS t, 30 AS p, 9 AS s FROM pragma_table_info('Price') WHERE name = 'amount'"
    } else if db.kind() == Kind::Postgres {
        "SELECT numeric_precision::int AS p, numeric_scale::int AS s \
         FROM information_schema.columns WHERE table_schema = current_schema() \
         AND table_name = 'price' AND column_name = 'amount'"
    } else {
        "SELECT NUMERIC_PRECISION AS p, NUMERIC_SCALE AS s FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'Price' AND COLUMN_NAME = 'amount'"
    };
    let rows = native(&m, declared).await;
    if sqlite {
        assert_eq!(rows[0].get("t"), Some(&Value::from("TEXT")));
    }
    assert_eq!(rows[0].get("p").and_then(Value::as_i64), Some(30));
    assert_eq!(rows[0].get("s").and_then(Value::as_i64), Some(9));

    let all = get(&api, r#"/api/Prices?filter={"order":"amount DESC"}"#).await;
    assert_eq!(
        column(&all, "amount"),
        [json!(BIG), json!(big_but_one), json!(half)]
    );
    assert_eq!(column(&all, "n"), [json!(12.34), json!(1), json!(2.5)]);
    let found = |filter: Json| {
        let api = &api;
        async move {
            let r = get(api, &format!("/api/Prices?filter={filter}")).await;
            column(&r, "amount")
        }
    };
    let order = json!("amount ASC");
    for (condition, expected) in [
        (json!(BIG), vec![BIG]),
        (json!(BIG_BUT_ONE), vec![big_but_one]),
        (json!({"gt": BIG_BUT_ONE}), vec![BIG]),
        (json!({"lt": BIG}), vec![half, big_but_one]),
        (json!({"gte": "-0.5", "lte": "0"}), vec![half]),
        (json!({"neq": "-0.50"}), vec![big_but_one, BIG]),
        (json!({"inq": [BIG, "-0.5", "7"]}), vec![half, BIG]),
        (json!({"nin": [BIG, "-0.5"]}), vec![big_but_one]),
        (
            json!({"between": [BIG_BUT_ONE, BIG]}),
            vec![big_but_one, BIG],
        ),
        // Not a number: equals nothing, compares with nothing.
        (json!("abc"), vec![]),
        (json!({"gt": "1; DROP TABLE price"}), vec![]),
    ] {
        let filter = json!({"where": {"amount": condition}, "order": order});
        assert_eq!(found(filter.clone()).await, expected, "{filter}");
    }
    let r = get(
        &api,
        &format!("/api/Prices/count?where={}", json!({"amount": {"gt": "0"}})),
    )
    .await;
    assert_eq!(r.json()["count"], 2, "{}", r.text);

    // Updates keep every digit too.
    let r = post(
        &api,
        &format!("/api/Prices/update?where={}", json!({"amount": BIG})),
        &json!({"amount": "98765432109876543210.987654321"}).to_string(),
    )
    .await;
    assert_eq!(r.json()["count"], 1, "{}", r.text);
    let r = get(
        &api,
        &format!(
            "/api/Prices?filter={}",
            json!({"where": {"amount": "98765432109876543210.987654321"}})
        ),
    )
    .await;
    assert_eq!(
        column(&r, "amount"),
        [json!("98765432109876543210.987654321")]
    );

    // Text that is not a decimal is the caller's error, naming the property.
    for bad in ["abc", "1,5", "", "NaN", "1e", "0x10"] {
        let r = post(&api, "/api/Prices", &json!({"amount": bad}).to_string()).await;
        assert_eq!(r.status, 400, "{bad:?}: {}", r.text);
        assert!(r.text.contains("amount"), "{}", r.text);
    }
    // Patterns do not apply to numbers.
    let r = get(
        &api,
        &format!(
            "/api/Prices?filter={}",
            json!({"where": {"amount": {"like": "1%"}}})
        ),
    )
    .await;
    assert_eq!(r.status, 501, "{}", r.text);
    assert_eq!(m.count(None, &opts()).await.unwrap(), 3);

    if sqlite {
        // Equal values written differently, leading zeros, exponents: compared by value.
        let body = json!([{"amount": "0009.50", "n": 3}, {"amount": "2.5e1"}, {"amount": 10}]);
        let r = post(&api, "/api/Prices", &body.to_string()).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let filter = json!({"where": {"amount": {"lt": "100"}}, "order": "amount ASC"});
        assert_eq!(
            found(filter).await,
            ["-0.5", "0009.50", "10", "25"].map(|s| json!(s))
        );
        for (condition, expected) in [
            (json!("9.5"), vec!["0009.50"]),
            (
                json!({"inq": ["9.500", "25.0", "1e1"]}),
                vec!["0009.50", "10", "25"],
            ),
            (
                json!({"between": ["9.5", "25"]}),
                vec!["0009.50", "10", "25"],
            ),
            (json!({"gt": "9.50", "lt": "1e2"}), vec!["10", "25"]),
            (
                json!({"nin": ["-.5", "1E1", BIG, "98765432109876543210.987654321"]}),
                vec!["0009.50", "25", BIG_BUT_ONE],
            ),
        ] {
            let filter = json!({"where": {"amount": condition}, "order": "amount ASC"});
            assert_eq!(found(filter.clone()).await, expected, "{filter}");
        }
        let r = post(
            &api,
            "/api/Prices",
            &json!({"amount": "1e5000"}).to_string(),
        )
        .await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(r.text.contains("amount"), "{}", r.text);
        // The column is plain text to other readers.
        let rows = native(
            &m,
            r#"SELECT amount FROM "Price" WHERE amount = '0009.50' ORDER BY amount"#,
        )
        .await;
        assert_eq!(rows.len(), 1);
        return;
    }
    // Native statements: a decimal a double keeps is a number, any other its exact text.
    let table = table(&db, "Price");
    let q = if db.kind() == Kind::Postgres {
        format!(r#"SELECT amount, n FROM "{table}" ORDER BY amount"#)
    } else {
        format!("SELECT amount, n FROM `{table}` ORDER BY amount")
    };
    let rows = native(&m, &q).await;
    assert_eq!(rows[0].get("amount"), Some(&Value::Float(-0.5)));
    assert_eq!(rows[0].get("n"), Some(&Value::Float(2.5)));
    assert_eq!(
        rows[2].get("amount"),
        Some(&Value::from("98765432109876543210.987654321"))
    );
}

fn doc() -> Json {
    let uuid = json!({"dataType": "uuid"});
    json!({
        "name": "Doc",
        "idInjection": false,
        "properties": {
            "id": {"type": "string", "id": true, "defaultFn": "uuidv4", "postgresql": uuid},
            "ref": {"type": "string", "postgresql": uuid},
            "title": "string"
        }
    })
}

const A: &str = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
const B: &str = "b1ffcd00-ad1c-4f09-8c7e-7cc0ce491b22";

/// Ids and properties declared `postgresql.dataType: "uuid"` are `UUID` columns there, written
/// and queried with strings (`eq`, `neq`, `inq`, `nin`, updates, deletes, by id); a string that
/// is not a UUID is a 400, in a body and in a `where`. MySQL and SQLite store the same model's
/// UUIDs as strings.
async fn uuid_strings_round_trip(db: Db) {
    let app = db.app_without_auth(vec![doc()]).await;
    let m = app.model("Doc").unwrap();
    let api = RestApi::new(&app);
    if db.kind() == Kind::Postgres {
        let types = native(
            &m,
            "SELECT data_type::text AS t FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = 'doc' \
             ORDER BY ordinal_position",
        )
        .await;
        let types: Vec<_> = types.iter().map(|r| r.get("t").cloned()).collect();
        assert_eq!(
            types,
            [
                Some(Value::from("uuid")),
                Some(Value::from("uuid")),
                Some(Value::from("text"))
            ]
        );
    }
    // A generated id, and given ones.
    let r = post(&api, "/api/Docs", r#"{"title": "generated"}"#).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let generated = r.json()["id"].as_str().unwrap().to_owned();
    assert!(uuid_like(&generated), "{generated}");
    for (id, title, reference) in [(A, "a", Some(B)), (B, "b", None)] {
        let body = json!({"id": id, "title": title, "ref": reference});
        let r = post(&api, "/api/Docs", &body.to_string()).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = get(&api, &format!("/api/Docs/{A}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.json()["title"].clone(), r.json()["ref"].clone()),
        (json!("a"), json!(B))
    );
    let r = get(&api, &format!("/api/Docs/{generated}")).await;
    assert_eq!(r.json()["title"], "generated", "{}", r.text);

    let titles = |filter: Json| {
        let api = &api;
        async move {
            let filter = json!({"where": filter, "order": "title ASC"});
            let r = get(api, &format!("/api/Docs?filter={filter}")).await;
            column(&r, "title")
        }
    };
    assert_eq!(titles(json!({"id": A})).await, [json!("a")]);
    assert_eq!(
        titles(json!({"id": {"inq": [A, B]}})).await,
        [json!("a"), json!("b")]
    );
    assert_eq!(titles(json!({"id": {"inq": [B]}})).await, [json!("b")]);
    assert_eq!(
        titles(json!({"id": {"neq": A}})).await,
        [json!("b"), json!("generated")]
    );
    assert_eq!(
        titles(json!({"id": {"nin": [A, B]}})).await,
        [json!("generated")]
    );
    assert_eq!(titles(json!({"ref": B})).await, [json!("a")]);
    assert_eq!(
        titles(json!({"ref": {"neq": B}})).await,
        [json!("b"), json!("generated")]
    );

    // Updates and deletes by id and by condition.
    let r = send(
        &api,
        "PATCH",
        &format!("/api/Docs/{B}"),
        Some(&json!({"title": "b2", "ref": A}).to_string()),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(titles(json!({"ref": A})).await, [json!("b2")]);
    let r = post(
        &api,
        &format!("/api/Docs/update?where={}", json!({"id": {"inq": [A, B]}})),
        r#"{"title": "both"}"#,
    )
    .await;
    assert_eq!(r.json()["count"], 2, "{}", r.text);
    let r = send(&api, "DELETE", &format!("/api/Docs/{A}"), None).await;
    assert_eq!(r.json()["count"], 1, "{}", r.text);
    assert_eq!(m.count(None, &opts()).await.unwrap(), 2);
    assert_eq!(
        m.destroy_all(Some(Where::eq("id", generated.as_str())), &opts())
            .await
            .unwrap(),
        1
    );

    if db.kind() != Kind::Postgres {
        return;
    }
    // UUIDs are compared as UUIDs: any case.
    assert_eq!(
        titles(json!({"id": B.to_uppercase()})).await,
        [json!("both")]
    );
    // Not a UUID: the caller's error, in a where and in a body; nothing is stored.
    for filter in [
        json!({"id": "nope"}),
        json!({"id": {"neq": "1; DROP TABLE doc"}}),
        json!({"ref": {"inq": [A, "'"]}}),
        json!({"or": [{"title": "x"}, {"ref": {"gt": ""}}]}),
    ] {
        let r = get(
            &api,
            &format!("/api/Docs?filter={}", json!({ "where": filter })),
        )
        .await;
        assert_eq!(r.status, 400, "{filter}: {}", r.text);
        assert!(r.text.contains("UUID"), "{}", r.text);
    }
    let r = get(&api, "/api/Docs/not-a-uuid").await;
    assert_eq!(r.status, 400, "{}", r.text);
    for body in [
        json!({"title": "x", "ref": "nope"}),
        json!({"id": "nope", "title": "x"}),
    ] {
        let r = post(&api, "/api/Docs", &body.to_string()).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert!(r.text.contains("UUID"), "{}", r.text);
    }
    let r = send(
        &api,
        "PATCH",
        &format!("/api/Docs/{B}"),
        Some(r#"{"ref": "nope"}"#),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(m.count(None, &opts()).await.unwrap(), 1);
    // Patterns do not apply to UUID columns.
    let r = get(
        &api,
        &format!(
            "/api/Docs?filter={}",
            json!({"where": {"ref": {"like": "a%"}}})
        ),
    )
    .await;
    assert_eq!(r.status, 501, "{}", r.text);
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36
        && s.chars().enumerate().all(|(i, c)| {
            matches!(i, 8 | 13 | 18 | 23) == (c == '-') && (c == '-' || c.is_ascii_hexdigit())
        })
}

/// Conditions on dotted paths into object properties query inside the stored JSON, whether it
/// is kept as text (the default) or in a JSON type (`jsonb` on PostgreSQL, `JSON` on MySQL):
/// strings compare as text (`like` included), numbers as numbers, and a number compared with a
/// string leaf (or the reverse) matches nothing. Paths into properties that are not objects,
/// and path segments that are not plain names, are 400s.
async fn conditions_inside_json_objects(db: Db) {
    let app = db
        .app_without_auth(vec![json!({
            "name": "Place",
            "properties": {
                "title": "string",
                "address": "object",
                "meta": {"type": "object", "postgresql": {"dataType": "jsonb"},
                         "mysql": {"dataType": "JSON"}}
            }
        })])
        .await;
    let api = RestApi::new(&app);
    let rows = json!([
        {"title": "1", "address": {"city": "Paris", "zip": 75001, "geo": {"n": 2.5}}},
        {"title": "2", "address": {"city": "Lyon", "zip": 69001, "geo": {"n": -1}}},
        {"title": "3", "address": {"city": "paris", "zip": "75", "tags": ["a", "b"]}},
        {"title": "4", "address": null},
        {"title": "5", "address": {"city": "Zürich 'Q' \"D\"; --", "zip": null}}
    ]);
    let rows: Vec<Json> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r["meta"] = r["address"].clone();
            r
        })
        .collect();
    let r = post(&api, "/api/Places", &Json::Array(rows).to_string()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let titles = |filter: Json| {
        let api = &api;
        async move {
            let filter = json!({"where": filter, "order": "title ASC"});
            let r = get(api, &format!("/api/Places?filter={filter}")).await;
            column(&r, "title")
        }
    };
    for root in ["address", "meta"] {
        let path = |p: &str| format!("{root}.{p}");
        for (condition, expected) in [
            (json!({path("city"): "Paris"}), vec!["1"]),
            (
                json!({path("city"): {"neq": "Paris"}}),
                vec!["2", "3", "4", "5"],
            ),
            (
                json!({path("city"): {"inq": ["Lyon", "Paris"]}}),
                vec!["1", "2"],
            ),
            (
                json!({path("city"): {"nin": ["Lyon", "Paris"]}}),
                vec!["3", "4", "5"],
            ),
            (json!({path("city"): {"like": "%aris"}}), vec!["1", "3"]),
            (
                json!({path("city"): {"nlike": "%aris"}}),
                vec!["2", "4", "5"],
            ),
            (json!({path("city"): {"like": "%'Q' \"D\"; --"}}), vec!["5"]),
            (json!({path("city"): {"regexp": "^[PL]"}}), vec!["1", "2"]),
            (json!({path("city"): {"gt": "M"}}), vec!["1", "3", "5"]),
            (json!({path("city"): {"lt": "M"}}), vec!["2"]),
            (json!({path("city"): null}), vec!["4"]),
            (json!({path("zip"): 75001}), vec!["1"]),
            (json!({path("zip"): {"gt": 70000}}), vec!["1"]),
            (json!({path("zip"): {"lt": 70000}}), vec!["2"]),
            (json!({path("zip"): {"between": [60000, 70000]}}), vec!["2"]),
            (
                json!({path("zip"): {"inq": [69001, 75001]}}),
                vec!["1", "2"],
            ),
            (
                json!({path("zip"): {"neq": 75001}}),
                vec!["2", "3", "4", "5"],
            ),
            (json!({path("zip"): null}), vec!["4", "5"]),
            // A null in a list matches a missing or null value, not one of another type.
            (
                json!({path("zip"): {"inq": [69001, null]}}),
                vec!["2", "4", "5"],
            ),
            (json!({path("zip"): {"nin": [69001, null]}}), vec!["1", "3"]),
            (
                json!({path("city"): {"inq": ["Lyon", null]}}),
                vec!["2", "4"],
            ),
            (json!({path("zip"): "75"}), vec!["3"]),
            (json!({path("geo.n"): {"gte": 2.5}}), vec!["1"]),
            (json!({path("geo.n"): {"lt": 0}}), vec!["2"]),
            (json!({path("tags.1"): "b"}), vec!["3"]),
            (json!({path("missing.deeper"): "x"}), vec![]),
            (
                json!({"or": [{path("city"): "Lyon"}, {path("zip"): {"gt": 75000}}]}),
                vec!["1", "2"],
            ),
        ] {
            assert_eq!(titles(condition.clone()).await, expected, "{condition}");
        }
    }
    let status = |filter: Json| {
        let api = &api;
        async move {
            let filter = json!({ "where": filter });
            let r = get(api, &format!("/api/Places?filter={filter}")).await;
            (r.status.as_u16(), r.text)
        }
    };
    for (filter, expected) in [
        // Not an object.
        (json!({"title.x": "1"}), 400),
        // Not a plain name.
        (json!({"address.ci'ty": "x"}), 400),
        (json!({"address.c\"y": "x"}), 400),
        (json!({"address.a;--": "x"}), 400),
        (json!({"address.$1": "x"}), 400),
        (json!({"address.?": "x"}), 400),
        (json!({"address.": "x"}), 400),
        (json!({"address.a\u{0}b": "x"}), 400),
        // Lists mixing types, booleans in comparisons: not compared inside JSON.
        (json!({"address.zip": {"inq": ["75", 75001]}}), 501),
        (json!({"address.flag": {"inq": [true, "x"]}}), 501),
        (json!({"address.flag": {"nin": [1, false]}}), 501),
        (json!({"address.flag": {"gt": false}}), 501),
        (json!({"address.flag": {"between": [false, true]}}), 501),
    ] {
        let (got, text) = status(filter.clone()).await;
        assert_eq!(got, expected, "{filter}: {text}");
    }
    let (got, _) = status(json!({"address.ünïcødé": "x"})).await;
    assert_eq!(got, 200);
    assert_eq!(
        app.model("Place")
            .unwrap()
            .count(None, &opts())
            .await
            .unwrap(),
        5
    );

    booleans_inside_json_objects(&db).await;
}

/// An object property stored as text and the same one in a JSON type, for the JSON path
/// scenarios.
fn json_model(name: &str) -> Json {
    json!({
        "name": name,
        "properties": {
            "title": "string",
            "address": "object",
            "meta": {"type": "object", "postgresql": {"dataType": "jsonb"},
                     "mysql": {"dataType": "JSON"}}
        }
    })
}

/// `rows` (`[title, address]` pairs) stored in `model`, each address in `meta` too, through
/// `api`.
async fn post_addresses(api: &RestApi, model: &str, rows: &[(&str, Json)]) {
    let body: Vec<Json> = rows
        .iter()
        .map(|(title, address)| json!({"title": title, "address": address, "meta": address}))
        .collect();
    let r = post(
        api,
        &format!("/api/{model}s"),
        &Json::Array(body).to_string(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// The titles `filter` finds over REST.
async fn titles_of(api: &RestApi, model: &str, filter: &Json) -> Vec<Json> {
    let r = get(api, &format!("/api/{model}s?filter={filter}")).await;
    column(&r, "title")
}

/// Booleans at a JSON path (`eq`, `neq`, `inq`, `nin`) answer as on the memory connector,
/// which is asked the same questions: a boolean equals itself and the string `"true"` /
/// `"false"`, never a number; `neq` and `nin` match missing, null and other values; a null in
/// a list matches a missing or null value only.
async fn booleans_inside_json_objects(db: &Db) {
    let rows = [
        ("1", json!({"flag": true})),
        ("2", json!({"flag": false})),
        ("3", json!({"flag": "true"})),
        ("4", json!({"flag": 1})),
        ("5", json!({"flag": null})),
        ("6", json!({})),
        ("7", Json::Null),
        ("8", json!({"flag": "false", "deep": {"on": true}})),
        ("9", json!({"flag": 0, "deep": {"on": false}})),
    ];
    let app = db.app_without_auth(vec![json_model("Toggle")]).await;
    let api = RestApi::new(&app);
    post_addresses(&api, "Toggle", &rows).await;
    let memory = Db::memory()
        .app_without_auth(vec![json_model("Toggle")])
        .await;
    let memory = RestApi::new(&memory);
    post_addresses(&memory, "Toggle", &rows).await;
    for root in ["address", "meta"] {
        let flag = format!("{root}.flag");
        for (condition, expected) in [
            (json!({&flag: true}), vec!["1", "3"]),
            (json!({&flag: false}), vec!["2", "8"]),
            (json!({&flag: {"eq": true}}), vec!["1", "3"]),
            (
                json!({&flag: {"neq": true}}),
                vec!["2", "4", "5", "6", "7", "8", "9"],
            ),
            (
                json!({&flag: {"neq": false}}),
                vec!["1", "3", "4", "5", "6", "7", "9"],
            ),
            (json!({&flag: {"inq": [true]}}), vec!["1", "3"]),
            (
                json!({&flag: {"inq": [true, false]}}),
                vec!["1", "2", "3", "8"],
            ),
            (
                json!({&flag: {"inq": [true, null]}}),
                vec!["1", "3", "5", "6", "7"],
            ),
            (
                json!({&flag: {"nin": [true]}}),
                vec!["2", "4", "5", "6", "7", "8", "9"],
            ),
            (
                json!({&flag: {"nin": [false, null]}}),
                vec!["1", "3", "4", "9"],
            ),
            (json!({&flag: "true"}), vec!["1", "3"]),
            (json!({&flag: 1}), vec!["4"]),
            (json!({format!("{root}.deep.on"): true}), vec!["8"]),
            (
                json!({format!("{root}.deep.on"): {"neq": true}}),
                vec!["1", "2", "3", "4", "5", "6", "7", "9"],
            ),
            (
                json!({"or": [{&flag: true}, {&flag: 0}]}),
                vec!["1", "3", "9"],
            ),
            (
                json!({"and": [{&flag: {"neq": true}}, {&flag: {"neq": null}}]}),
                vec!["2", "4", "8", "9"],
            ),
            (
                json!({"nor": [{&flag: true}]}),
                vec!["2", "4", "5", "6", "7", "8", "9"],
            ),
        ] {
            let filter = json!({"where": condition, "order": "title ASC"});
            let on_memory = titles_of(&memory, "Toggle", &filter).await;
            assert_eq!(on_memory, expected, "memory: {filter}");
            assert_eq!(
                titles_of(&api, "Toggle", &filter).await,
                on_memory,
                "{filter}"
            );
        }
    }
    let r = get(
        &api,
        &format!("/api/Toggles/count?where={}", json!({"address.flag": true})),
    )
    .await;
    assert_eq!(r.json()["count"], 2, "{}", r.text);
}

/// `order` by a dotted path into an object property orders by the value there, whether the
/// object is stored as text or in a JSON type: numbers numerically (9 before 10), strings as
/// text, several keys and plain columns together, as on the memory connector (asked the same
/// questions) for rows whose values there are not null; mixed types order booleans, numbers,
/// then strings, as there too. Missing and null values sort where the database puts NULLs:
/// first when ascending on SQLite and MySQL (as on the memory connector), last on
/// PostgreSQL. A path segment that is not a plain name is a 400.
async fn ordering_by_json_paths(db: Db) {
    let rows = [
        ("1", json!({"city": "Paris", "zip": 10, "rank": 2})),
        ("2", json!({"city": "Lyon", "zip": 9, "rank": 1})),
        ("3", json!({"city": "Nice", "zip": 100, "rank": 2})),
        ("4", json!({"city": "Brest", "zip": 2.5, "rank": 1})),
        ("5", json!({})),
        ("6", json!({"city": 42, "zip": "x", "rank": 3})),
        ("7", json!({"city": true, "zip": null})),
    ];
    let app = db.app_without_auth(vec![json_model("Spot")]).await;
    let api = RestApi::new(&app);
    post_addresses(&api, "Spot", &rows).await;
    let memory = Db::memory()
        .app_without_auth(vec![json_model("Spot")])
        .await;
    let memory = RestApi::new(&memory);
    post_addresses(&memory, "Spot", &rows).await;
    let pg = db.kind() == Kind::Postgres;
    for root in ["address", "meta"] {
        let key = |k: &str, dir: &str| format!("{root}.{k} {dir}");
        let not_null = |k: &str| json!({format!("{root}.{k}"): {"neq": null}});
        for (filter, expected) in [
            (
                json!({"where": not_null("zip"), "order": key("zip", "ASC")}),
                vec!["4", "2", "1", "3", "6"],
            ),
            (
                json!({"where": not_null("zip"), "order": key("zip", "DESC")}),
                vec!["6", "3", "1", "2", "4"],
            ),
            (
                json!({"where": not_null("city"), "order": key("city", "ASC")}),
                vec!["7", "6", "4", "2", "3", "1"],
            ),
            (
                json!({"where": not_null("city"), "order": [key("city", "DESC")]}),
                vec!["1", "3", "2", "4", "6", "7"],
            ),
            (
                json!({"where": not_null("rank"), "order": [key("rank", "ASC"), "title DESC"]}),
                vec!["4", "2", "3", "1", "6"],
            ),
            (
                json!({"where": not_null("rank"),
                       "order": [key("rank", "DESC"), key("city", "ASC")]}),
                vec!["6", "3", "1", "4", "2"],
            ),
            (
                json!({"where": {"title": {"inq": ["1", "2", "3"]}},
                       "order": key("zip", "ASC"), "limit": 2}),
                vec!["2", "1"],
            ),
            (
                json!({"where": not_null("zip"), "order": key("zip", "ASC"), "skip": 1,
                       "limit": 2}),
                vec!["2", "1"],
            ),
        ] {
            let on_memory = titles_of(&memory, "Spot", &filter).await;
            assert_eq!(on_memory, expected, "memory: {filter}");
            assert_eq!(
                titles_of(&api, "Spot", &filter).await,
                on_memory,
                "{filter}"
            );
        }
        // Missing and null values: where the database puts NULLs.
        let filter = json!({"order": key("zip", "ASC")});
        let got = titles_of(&api, "Spot", &filter).await;
        let expected = if pg {
            vec!["4", "2", "1", "3", "6", "5", "7"]
        } else {
            vec!["5", "7", "4", "2", "1", "3", "6"]
        };
        assert_eq!(got, expected, "{filter}");
        let filter = json!({"order": key("zip", "DESC")});
        let got = titles_of(&api, "Spot", &filter).await;
        let expected = if pg {
            vec!["5", "7", "6", "3", "1", "2", "4"]
        } else {
            vec!["6", "3", "1", "2", "4", "5", "7"]
        };
        assert_eq!(got, expected, "{filter}");
    }
    for (order, expected) in [
        (json!("address.ci'ty ASC"), 400),
        (json!("address.a;-- ASC"), 400),
        (json!(["title ASC", "meta.x\"y DESC"]), 400),
        (json!("address. ASC"), 400),
        (json!("title.x ASC"), 400),
        (json!("nope.x ASC"), 400),
    ] {
        let r = get(
            &api,
            &format!("/api/Spots?filter={}", json!({ "order": order })),
        )
        .await;
        assert_eq!(r.status, expected, "{order}: {}", r.text);
    }
}

const C: &str = "c2aade11-be2d-4a1a-9d8f-8dd1df5a2c33";

/// Relations between a model whose id is a PostgreSQL `UUID` column and a model whose foreign
/// key is a text column (and the reverse: a `UUID` foreign key to a text id). Conditions on
/// the related model (`some`, `none`, `every`, the dotted shorthand), in `find`, `count` and
/// `updateAll`, compare the keys as text there (PostgreSQL has no `=` between `uuid` and
/// `text`); includes and relation routes find the related records. On MySQL and SQLite every
/// key is a string column, and the answers are the same.
async fn related_conditions_across_uuid_and_text_keys(db: Db) {
    let uuid = json!({"dataType": "uuid"});
    let app = db
        .app_without_auth(vec![
            json!({
                "name": "Writer",
                "idInjection": false,
                "properties": {
                    "id": {"type": "string", "id": true, "postgresql": uuid},
                    "name": "string"
                },
                "relations": {
                    "novels": {"type": "hasMany", "model": "Novel", "foreignKey": "writerId"}
                }
            }),
            json!({
                "name": "Novel",
                "properties": {"title": "string", "writerId": "string", "genreId": {
                    "type": "string", "postgresql": uuid}},
                "relations": {
                    "writer": {"type": "belongsTo", "model": "Writer", "foreignKey": "writerId"},
                    "genre": {"type": "belongsTo", "model": "Genre", "foreignKey": "genreId"}
                }
            }),
            json!({
                "name": "Genre",
                "idInjection": false,
                "properties": {"id": {"type": "string", "id": true}, "name": "string"},
                "relations": {
                    "novels": {"type": "hasMany", "model": "Novel", "foreignKey": "genreId"}
                }
            }),
        ])
        .await;
    let api = RestApi::new(&app);
    if db.kind() == Kind::Postgres {
        let types = native(
            &app.model("Novel").unwrap(),
            "SELECT column_name::text AS c, data_type::text AS t FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name IN ('writer', 'novel', 'genre') \
             AND column_name IN ('id', 'writerid', 'genreid') ORDER BY table_name, column_name",
        )
        .await;
        let types: Vec<_> = types
            .iter()
            .map(|r| (r.get("c").cloned(), r.get("t").cloned()))
            .collect();
        let pair = |c: &str, t: &str| (Some(Value::from(c)), Some(Value::from(t)));
        assert_eq!(
            types,
            [
                pair("id", "text"),
                pair("genreid", "uuid"),
                pair("id", "integer"),
                pair("writerid", "text"),
                pair("id", "uuid"),
            ]
        );
    }
    for (model, body) in [
        (
            "Writers",
            json!([{"id": A, "name": "ann"}, {"id": B, "name": "bob"}, {"id": C, "name": "cid"}]),
        ),
        // The genres' ids are text that happens to be UUIDs (in upper case for one).
        (
            "Genres",
            json!([{"id": A, "name": "saga"}, {"id": B.to_uppercase(), "name": "noir"}]),
        ),
        (
            "Novels",
            json!([
                {"title": "n1", "writerId": A, "genreId": A},
                {"title": "n2", "writerId": A},
                {"title": "n3", "writerId": B, "genreId": A},
                {"title": "n4"}
            ]),
        ),
    ] {
        let r = post(&api, &format!("/api/{model}"), &body.to_string()).await;
        assert_eq!(r.status, 200, "{model}: {}", r.text);
    }
    let found = |model: &'static str, property: &'static str, filter: Json| {
        let api = &api;
        async move {
            let filter = json!({"where": filter, "order": format!("{property} ASC")});
            let r = get(api, &format!("/api/{model}?filter={filter}")).await;
            column(&r, property)
        }
    };
    for (filter, expected) in [
        // belongsTo: a text foreign key to a UUID id.
        (json!({"writer.name": "ann"}), vec!["n1", "n2"]),
        (
            json!({"writer": {"some": {"name": {"inq": ["bob", "cid"]}}}}),
            vec!["n3"],
        ),
        (
            json!({"writer": {"none": {"name": "ann"}}}),
            vec!["n3", "n4"],
        ),
        (
            json!({"writer": {"every": {"name": "bob"}}}),
            vec!["n3", "n4"],
        ),
        // belongsTo: a UUID foreign key to a text id.
        (json!({"genre.name": "saga"}), vec!["n1", "n3"]),
        (
            json!({"genre": {"none": {"name": "saga"}}}),
            vec!["n2", "n4"],
        ),
        (
            json!({"or": [{"genre.name": "saga"}, {"writer.name": "ann"}]}),
            vec!["n1", "n2", "n3"],
        ),
    ] {
        assert_eq!(
            found("Novels", "title", filter.clone()).await,
            expected,
            "{filter}"
        );
    }
    for (filter, expected) in [
        // hasMany: from a UUID id to a text foreign key.
        (json!({"novels.title": "n3"}), vec!["bob"]),
        (json!({"novels": {"some": {}}}), vec!["ann", "bob"]),
        (json!({"novels": {"none": {}}}), vec!["cid"]),
        (
            json!({"novels": {"every": {"title": {"inq": ["n1", "n2"]}}}}),
            vec!["ann", "cid"],
        ),
    ] {
        assert_eq!(
            found("Writers", "name", filter.clone()).await,
            expected,
            "{filter}"
        );
    }
    for (filter, expected) in [
        // hasMany: from a text id to a UUID foreign key. The upper-case text id names no
        // novel: as text, it is another key than the lower-case UUID.
        (json!({"novels.title": "n3"}), vec!["saga"]),
        (json!({"novels": {"none": {}}}), vec!["noir"]),
    ] {
        assert_eq!(
            found("Genres", "name", filter.clone()).await,
            expected,
            "{filter}"
        );
    }
    let r = get(
        &api,
        &format!("/api/Novels/count?where={}", json!({"writer.name": "ann"})),
    )
    .await;
    assert_eq!(r.json()["count"], 2, "{}", r.text);
    let r = post(
        &api,
        &format!("/api/Novels/update?where={}", json!({"writer.name": "bob"})),
        r#"{"title": "n3b"}"#,
    )
    .await;
    assert_eq!(r.json()["count"], 1, "{}", r.text);

    // Includes, both ways, and relation routes.
    let filter = json!({"include": ["writer", "genre"], "order": "title ASC"});
    let r = get(&api, &format!("/api/Novels?filter={filter}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let names: Vec<(Json, Json)> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["writer"]["name"].clone(), n["genre"]["name"].clone()))
        .collect();
    assert_eq!(
        names,
        [
            (json!("ann"), json!("saga")),
            (json!("ann"), Json::Null),
            (json!("bob"), json!("saga")),
            (Json::Null, Json::Null)
        ]
    );
    let filter = json!({"include": {"relation": "novels", "scope": {"order": "title ASC"}},
                        "order": "name ASC"});
    let r = get(&api, &format!("/api/Writers?filter={filter}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let titles: Vec<Vec<Json>> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            w["novels"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["title"].clone())
                .collect()
        })
        .collect();
    assert_eq!(
        titles,
        [vec![json!("n1"), json!("n2")], vec![json!("n3b")], vec![]]
    );
    let r = get(
        &api,
        &format!(
            "/api/Genres?filter={}",
            json!({"include": "novels", "order": "name ASC"})
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let counts: Vec<usize> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["novels"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(counts, [0, 2]);
    let r = get(&api, &format!("/api/Writers/{A}/novels")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json().as_array().map(Vec::len), Some(2), "{}", r.text);
    let r = get(&api, &format!("/api/Genres/{A}/novels")).await;
    assert_eq!(r.json().as_array().map(Vec::len), Some(2), "{}", r.text);
}
