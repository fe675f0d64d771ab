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
);
on_sql_connectors!(servers: decimals_keep_every_digit);

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
            "amount": {"type": "string", "postgresql": exact, "mysql": exact},
            "n": {"type": "number", "postgresql": cents, "mysql": cents}
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

    let declared = if db.kind() == Kind::Postgres {
        "SELECT numeric_precision::int AS p, numeric_scale::int AS s \
         FROM information_schema.columns WHERE table_schema = current_schema() \
         AND table_name = 'price' AND column_name = 'amount'"
    } else {
        "SELECT NUMERIC_PRECISION AS p, NUMERIC_SCALE AS s FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'Price' AND COLUMN_NAME = 'amount'"
    };
    let rows = native(&m, declared).await;
    assert_eq!(rows[0].get("p").and_then(Value::as_i64), Some(30));
    assert_eq!(rows[0].get("s").and_then(Value::as_i64), Some(9));

    let all = get(&api, r#"/api/Prices?filter={"order":"amount DESC"}"#).await;
    assert_eq!(
        column(&all, "amount"),
        [
            json!(BIG),
            json!("12345678901234567890.123456780"),
            json!("-0.500000000")
        ]
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
        (json!(BIG_BUT_ONE), vec!["12345678901234567890.123456780"]),
        (json!({"gt": BIG_BUT_ONE}), vec![BIG]),
        (
            json!({"lt": BIG}),
            vec!["-0.500000000", "12345678901234567890.123456780"],
        ),
        (json!({"gte": "-0.5", "lte": "0"}), vec!["-0.500000000"]),
        (
            json!({"neq": "-0.50"}),
            vec!["12345678901234567890.123456780", BIG],
        ),
        (
            json!({"inq": [BIG, "-0.5", "7"]}),
            vec!["-0.500000000", BIG],
        ),
        (
            json!({"nin": [BIG, "-0.5"]}),
            vec!["12345678901234567890.123456780"],
        ),
        (
            json!({"between": [BIG_BUT_ONE, BIG]}),
            vec!["12345678901234567890.123456780", BIG],
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
        // Strings and numbers together, booleans: not compared inside JSON.
        (json!({"address.zip": {"inq": ["75", 75001]}}), 501),
        (json!({"address.flag": true}), 501),
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
}
