//! The differential test of the example folder `examples/bookstore`: booted as a LoopBack 3
//! application folder, it answers the 150 requests of
//! `tests/fixtures/bookstore/lb3_responses.json` as LoopBack 3.28 did, in order, on an empty
//! memory data source. Status, the headers that matter (`content-type`, `location`, and the
//! CORS headers of requests that send an `Origin`) and the JSON body are compared after the
//! recorder's normalisation (tokens, dates, numbers by value). The deliberate differences are
//! listed in `deviations`, each with its reason. Every mismatch is reported at once.
//!
//! The replay runs on the memory connector and, when `LOOPBACK_TEST_POSTGRES_URL` is set, on
//! PostgreSQL: the folder's `db` data source is a schema of its own, whose tables are made
//! from the booted models. The answers are the same, ids included (each table's serial ids
//! start at 1, as the memory connector numbers each model), except where LB3 on PostgreSQL
//! answers differently too: a property never set reads back as `null` from its column
//! (`drop_unset_columns`), a property a non-strict model does not declare has no column
//! (`drop_undeclared`), and `null`s sort last in ascending order and first in descending order
//! (`sql_differences`, with the one filter PostgreSQL does not run).

#![cfg(all(feature = "rest", feature = "memory"))]

#[cfg(feature = "postgres")]
mod pg_db;
mod rest_support;

use std::collections::{BTreeMap, HashMap, HashSet};

use loopback::boot::{self, BootOptions};
use loopback::rest::http::Request;
use serde_json::{json, Value as Json};

const APP: &str = "examples/bookstore";
const FIXTURE: &str = "tests/fixtures/bookstore/lb3_responses.json";

/// An answer we give on purpose instead of LB3's, and why.
struct Deviation {
    /// Our status.
    status: u16,
    /// Our body (after normalisation), `None` to keep LB3's.
    body: Option<Json>,
    /// The same request sent again with this body must then get LB3's recorded answer: it
    /// stores what LB3 stored, so the ids and lists of later requests stay LB3's.
    then_send: Option<Json>,
    reason: &'static str,
}

fn denied() -> Json {
    json!({"error": {"statusCode": 401, "name": "Error",
        "message": "Authorization Required", "code": "AUTHORIZATION_REQUIRED"}})
}

/// Requests whose answer differs from LB3's on purpose, by name.
fn deviations() -> HashMap<&'static str, Deviation> {
    HashMap::from([
        (
            "Books/POST year not a number (alice)",
            Deviation {
                status: 422,
                body: Some(
                    json!({"error": {"statusCode": 422, "name": "ValidationError",
                    "message": "The `Book` instance is not valid. Details: `year` is not a number (value: \"abc\").",
                    "details": {"context": "Book", "codes": {"year": ["type"]},
                        "messages": {"year": ["is not a number"]}}}}),
                ),
                then_send: Some(json!({"title": "Bad year", "year": null})),
                reason: "a type error on write is a 422, not a silent null (docs/compatibility.md)",
            },
        ),
        (
            "Include/books include author and owner (anonymous)",
            Deviation {
                status: 401,
                body: Some(denied()),
                then_send: None,
                reason: "`include` is a READ of the included model: anonymous may not read Readers",
            },
        ),
        (
            "Include/reviews include book and reader (anonymous)",
            Deviation {
                status: 401,
                body: Some(denied()),
                then_send: None,
                reason: "`include` is a READ of the included model: anonymous may not read Readers",
            },
        ),
        (
            "Include/unknown relation (anonymous)",
            Deviation {
                status: 400,
                body: Some(json!({"error": {"statusCode": 400, "name": "Error",
                    "message": "Relation \"publisher\" is not defined for Book model"}})),
                then_send: None,
                reason: "an unknown relation in `include` is the client's mistake: 400, not 500",
            },
        ),
        (
            "Explorer/GET swagger.json (anonymous)",
            Deviation {
                status: 404,
                body: None,
                then_send: None,
                reason: "the explorer serves an OpenAPI 3 document at /explorer/openapi.json, \
                         no Swagger 2.0 document",
            },
        ),
    ])
}

/// The recorder's normalisation: 64-char tokens and dates become placeholders, `stack` is
/// dropped, numbers are compared by value.
fn normalise(v: &mut Json) {
    match v {
        Json::Object(o) => {
            o.remove("stack");
            for (k, x) in o.iter_mut() {
                if matches!(
                    k.as_str(),
                    "created" | "lastUpdated" | "modified" | "createdAt"
                ) && x.is_string()
                {
                    *x = json!("<date>");
                } else {
                    normalise(x);
                }
            }
        }
        Json::Array(a) => a.iter_mut().for_each(normalise),
        Json::String(s) => {
            if s.len() == 64 && s.bytes().all(|b| b.is_ascii_alphanumeric()) {
                *s = "<token>".into();
            } else if is_iso_date(s) {
                *s = "<date>".into();
            }
        }
        Json::Number(n) => {
            if let Some(f) = n.as_f64() {
                if let Some(n) = serde_json::Number::from_f64(f) {
                    *v = Json::Number(n);
                }
            }
        }
        _ => {}
    }
}

/// `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$`
fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 20 || b[b.len() - 1] != b'Z' {
        return false;
    }
    let pattern = b"dddd-dd-ddTdd:dd:dd";
    let fixed = pattern.iter().zip(b).all(|(p, c)| match p {
        b'd' => c.is_ascii_digit(),
        p => p == c,
    });
    let rest = &b[19..b.len() - 1];
    fixed
        && (rest.is_empty()
            || (rest.len() > 1 && rest[0] == b'.' && rest[1..].iter().all(u8::is_ascii_digit)))
}

/// The headers compared: `content-type` and `location`, and for requests with an `Origin`
/// every `access-control-*` header and `vary`.
fn headers_of(reply: &rest_support::Reply, cors: bool) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for name in ["content-type", "location"] {
        if let Some(v) = reply.header(name) {
            out.insert(name.to_owned(), v.to_owned());
        }
    }
    if cors {
        for (k, v) in &reply.headers {
            let k = k.as_str();
            if k.starts_with("access-control-") || k == "vary" {
                out.insert(k.to_owned(), v.to_str().unwrap_or("").to_owned());
            }
        }
    }
    out
}

/// What the replay on PostgreSQL answers instead of the memory-connector recording, because
/// of the database (LB3's PostgreSQL connector answers the same way).
enum OnSql {
    /// The rows in PostgreSQL's order, which sorts `null` after every value (last in
    /// ascending order, first in descending order) where the memory connector sorts it before:
    /// the ids expected, each row compared with the recorded one of the same id.
    NullsOrder(&'static [u64]),
    /// Another answer: status and body.
    Answer(u16, Json),
}

/// The requests answered differently on PostgreSQL, by name, with the reason.
fn sql_differences() -> HashMap<&'static str, (OnSql, &'static str)> {
    const NULLS: &str = "PostgreSQL sorts null after every value; Bad year (9) has a null \
                         year, price and authorId";
    HashMap::from([
        (
            "Books/findOne order price DESC (anonymous)",
            (OnSql::NullsOrder(&[9]), NULLS),
        ),
        (
            "Filters/order array (anonymous)",
            (OnSql::NullsOrder(&[9, 6, 7, 4, 5, 8, 1, 2, 3]), NULLS),
        ),
        (
            "Filters/limit 2 skip 2 order year (anonymous)",
            (OnSql::NullsOrder(&[3, 6]), NULLS),
        ),
        (
            "Filters/bracket order limit (anonymous)",
            (OnSql::NullsOrder(&[9, 8, 5]), NULLS),
        ),
        (
            "Filters/tags contains sf (anonymous)",
            (
                OnSql::Answer(
                    501,
                    json!({"error": {"statusCode": 501, "message": "Not Implemented"}}),
                ),
                "matching one element of an array property is a memory-connector filter; \
                 loopback-rs's SQL connectors refuse it with 501",
            ),
        ),
    ])
}

/// The ids of a list of rows, or of one row.
fn ids_of(body: &Json) -> Vec<u64> {
    let id = |v: &Json| v.get("id").and_then(Json::as_f64).map(|f| f as u64);
    match body {
        Json::Array(a) => a.iter().filter_map(id).collect(),
        other => id(other).into_iter().collect(),
    }
}

/// The rows of `got` in the order of `ids`, each replaced by the recorded row of the same id
/// when `recorded` has one: what to compare `got` with.
fn reordered(got: &Json, recorded: &Json, ids: &[u64]) -> Json {
    let rows = |v: &Json| -> Vec<Json> {
        match v {
            Json::Array(a) => a.clone(),
            Json::Null => Vec::new(),
            other => vec![other.clone()],
        }
    };
    let (got_rows, recorded_rows) = (rows(got), rows(recorded));
    let row = |id: u64| {
        recorded_rows
            .iter()
            .chain(&got_rows)
            .find(|r| ids_of(r) == [id])
            .cloned()
            .unwrap_or(Json::Null)
    };
    let out: Vec<Json> = ids.iter().map(|id| row(*id)).collect();
    match (got, out.as_slice()) {
        (Json::Object(_), [one]) => one.clone(),
        _ => Json::Array(out),
    }
}

/// A property that a non-strict model does not declare (Book's `edition`) has no column in a
/// SQL table: the create answer echoes it, reads do not return it, on LB3's SQL connectors
/// too. Such keys are dropped from `expected` where `got` does not have them.
fn drop_undeclared(expected: &mut Json, got: &Json, declared: &HashSet<String>) {
    match (expected, got) {
        (Json::Object(e), Json::Object(g)) => {
            e.retain(|k, _| g.contains_key(k) || declared.contains(k));
            for (k, v) in e.iter_mut() {
                if let Some(gv) = g.get(k) {
                    drop_undeclared(v, gv, declared);
                }
            }
        }
        (Json::Array(e), Json::Array(g)) => {
            for (ev, gv) in e.iter_mut().zip(g) {
                drop_undeclared(ev, gv, declared);
            }
        }
        _ => {}
    }
}

/// A SQL table has a column for every property, so a property never set reads back as `null`
/// where the memory connector (which the recording used) leaves it out; LB3 on a SQL
/// connector answers the same `null`s. Those keys are dropped from `got` when `expected` does
/// not have them; a `null` the recording has, and every other value, is still compared.
fn drop_unset_columns(got: &mut Json, expected: &Json) {
    match (got, expected) {
        (Json::Object(g), Json::Object(e)) => {
            g.retain(|k, v| !v.is_null() || e.contains_key(k));
            for (k, v) in g.iter_mut() {
                if let Some(ev) = e.get(k) {
                    drop_unset_columns(v, ev);
                }
            }
        }
        (Json::Array(g), Json::Array(e)) => {
            for (gv, ev) in g.iter_mut().zip(e) {
                drop_unset_columns(gv, ev);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn the_bookstore_folder_answers_as_loopback_3_did() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let options = BootOptions::new().vars(Vec::<(String, String)>::new());
    let booted = boot::boot(&root.join(APP), &options).await.unwrap();
    replay(&booted, false).await;
}

/// The same recording with the folder's `db` data source on PostgreSQL.
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bookstore_folder_answers_as_loopback_3_did_on_postgres() {
    let Some((db, _schema)) = pg_db::TestSchema::create().await else {
        return;
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let options = BootOptions::new()
        .vars(Vec::<(String, String)>::new())
        .data_source("db", db.clone());
    let booted = boot::boot(&root.join(APP), &options).await.unwrap();
    let defs: Vec<_> = booted
        .app()
        .models()
        .iter()
        .map(|m| m.definition())
        .collect();
    loopback::Connector::automigrate(&*db, &defs).await.unwrap();
    replay(&booted, true).await;
}

/// Sends the 150 recorded requests in order to the REST API of `booted` and compares every
/// answer with LB3's; `sql` when the data source is a SQL database.
async fn replay(booted: &boot::Booted, sql: bool) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let api = booted.rest_api();
    let fixture: Json =
        serde_json::from_str(&std::fs::read_to_string(root.join(FIXTURE)).unwrap()).unwrap();
    let requests = fixture["requests"].as_array().unwrap();
    let deviations = deviations();
    let sql_differences = if sql {
        sql_differences()
    } else {
        HashMap::new()
    };
    let mut differed = Vec::new();
    let declared: HashSet<String> = booted
        .app()
        .models()
        .iter()
        .flat_map(|m| {
            let def = m.definition();
            def.properties
                .keys()
                .chain(def.relations.keys())
                .cloned()
                .collect::<Vec<_>>()
        })
        .collect();
    let mut tokens: HashMap<String, String> = HashMap::new();
    let mut failures = Vec::new();
    let mut deviated = Vec::new();
    for r in requests {
        let name = r["name"].as_str().unwrap();
        let who = r["as"].as_str().unwrap();
        let path = r["path"]
            .as_str()
            .unwrap()
            .replace('[', "%5B")
            .replace(']', "%5D");
        let mut req = Request::builder()
            .method(r["method"].as_str().unwrap())
            .uri(path.as_str());
        if who != "anonymous" {
            match tokens.get(who) {
                Some(t) => req = req.header("authorization", t.as_str()),
                None => {
                    failures.push(format!("{name}: token variable `{who}` is not bound"));
                    continue;
                }
            }
        }
        let headers = r.get("headers").and_then(Json::as_object);
        if let Some(h) = headers {
            for (k, v) in h {
                req = req.header(k.as_str(), v.as_str().unwrap());
            }
        }
        let body = match (r.get("body"), r.get("body_raw").and_then(Json::as_str)) {
            (Some(b), _) => {
                req = req.header("content-type", "application/json");
                b.to_string()
            }
            (None, Some(raw)) => {
                req = req.header("content-type", "application/json");
                raw.to_owned()
            }
            (None, None) => String::new(),
        };
        let request = req.body(body).unwrap();
        let again = (
            request.method().clone(),
            request.uri().clone(),
            request.headers().clone(),
        );
        let reply = rest_support::call(&api, request).await;
        let status_only = r.get("compare").and_then(Json::as_str) == Some("status");
        let mut got = if reply.text.is_empty() || status_only {
            Json::Null
        } else {
            serde_json::from_str(&reply.text).unwrap_or_else(|_| Json::String(reply.text.clone()))
        };
        if let Some(bind) = r.get("bind").and_then(Json::as_str) {
            if reply.status.is_success() {
                if let Some(id) = got.get("id").and_then(Json::as_str) {
                    tokens.insert(bind.to_owned(), id.to_owned());
                }
            }
        }
        normalise(&mut got);
        let lb3_status = r["status"].as_u64().unwrap() as u16;
        let mut lb3_body = r["response"].clone();
        normalise(&mut lb3_body);
        let (status, mut expected) = match deviations.get(name) {
            Some(d) => {
                deviated.push(name);
                (d.status, d.body.clone().unwrap_or_else(|| lb3_body.clone()))
            }
            None => (lb3_status, lb3_body.clone()),
        };
        normalise(&mut expected);
        let mut status = status;
        if sql {
            match sql_differences.get(name) {
                Some((OnSql::NullsOrder(ids), _)) => {
                    expected = reordered(&got, &expected, ids);
                }
                Some((OnSql::Answer(s, body), _)) => {
                    status = *s;
                    expected = body.clone();
                    normalise(&mut expected);
                }
                None => {}
            }
            if sql_differences.contains_key(name) {
                differed.push(name);
            }
            drop_unset_columns(&mut got, &expected);
            drop_undeclared(&mut expected, &got, &declared);
        }
        if let Some(data) = deviations.get(name).and_then(|d| d.then_send.as_ref()) {
            let mut fixed = Request::new(data.to_string());
            *fixed.method_mut() = again.0;
            *fixed.uri_mut() = again.1;
            *fixed.headers_mut() = again.2;
            let reply = rest_support::call(&api, fixed).await;
            let mut got = serde_json::from_str(&reply.text).unwrap_or(Json::Null);
            normalise(&mut got);
            if sql {
                drop_unset_columns(&mut got, &lb3_body);
            }
            if reply.status.as_u16() != lb3_status || got != lb3_body {
                failures.push(format!(
                    "{name} sent again with {data}: got {} {got}\n      expected {lb3_status} {lb3_body}",
                    reply.status.as_u16()
                ));
            }
        }
        let recorded_headers: BTreeMap<String, String> = r
            .get("response_headers")
            .and_then(Json::as_object)
            .map(|h| {
                h.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let cors = headers.is_some_and(|h| h.contains_key("Origin"));
        let got_headers = headers_of(&reply, cors);
        let mut problems = Vec::new();
        if reply.status.as_u16() != status {
            problems.push(format!("status {} (LB3 {status})", reply.status.as_u16()));
        }
        if got_headers != recorded_headers {
            problems.push(format!(
                "headers {got_headers:?} (LB3 {recorded_headers:?})"
            ));
        }
        if !status_only && got != expected {
            problems.push(format!(
                "body\n      got      {got}\n      expected {expected}"
            ));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{name} [{} {path}]: {}",
                r["method"].as_str().unwrap(),
                problems.join("; ")
            ));
        }
    }
    assert_eq!(requests.len(), 150);
    let unused: Vec<_> = deviations
        .keys()
        .filter(|k| !deviated.contains(k))
        .collect();
    assert!(
        unused.is_empty(),
        "deviations for unknown requests: {unused:?}"
    );
    for (name, d) in &deviations {
        assert!(!d.reason.is_empty(), "{name}: a deviation needs its reason");
    }
    let unused: Vec<_> = sql_differences
        .keys()
        .filter(|k| !differed.contains(k))
        .collect();
    assert!(
        unused.is_empty(),
        "SQL differences for unknown requests: {unused:?}"
    );
    assert!(
        failures.is_empty(),
        "{} of {} requests differ from LB3:\n{}",
        failures.len(),
        requests.len(),
        failures.join("\n")
    );
}
