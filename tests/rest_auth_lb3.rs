//! The auth matrix of `tests/fixtures/auth`: the same application (a `Customer` user model,
//! `Order`, `Product`, `Note`, an `admin` role) answers the same 177 requests as LoopBack 3.28
//! did when `record.js` ran them, in order, with tokens from its own logins. Responses are
//! compared after LB3's normalisation (token ids and dates); the deliberate differences are
//! listed in `deviations` with the reason.
//!
//! The replay runs on the memory connector and, when `LOOPBACK_TEST_POSTGRES_URL` is set, on
//! PostgreSQL in a schema of its own: the same answers, ids included (serial ids start at 1 as
//! the memory connector's do).

#![cfg(all(feature = "rest", feature = "memory"))]

#[cfg(feature = "postgres")]
mod pg_db;
mod rest_support;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use base64::Engine;
use loopback::auth::{builtin_definition, BuiltinKind};
use loopback::rest::http::Request;
use loopback::rest::RestApi;
use loopback::{connectors, App, Connector, ModelDefinition, Options, Record, Value};
use serde_json::{json, Value as Json};

const FIXTURE: &str = "tests/fixtures/auth";

/// Requests whose answer differs from LB3's on purpose: (name, status, body) we give instead.
fn deviations() -> HashMap<&'static str, (u16, Json)> {
    let denied = json!({"error": {"statusCode": 401, "name": "Error",
        "message": "Authorization Required", "code": "AUTHORIZATION_REQUIRED"}});
    HashMap::from([
        // `include` is a READ of the included model (spec/security.md): alice may not list
        // customers, and `$owner` cannot hold for a list.
        (
            "Include/Orders 1 include customer (alice)",
            (401, denied.clone()),
        ),
        ("Include/Customers 1 include orders (alice)", (401, denied)),
    ])
}

/// The fixture application on `db`: every model of `model-config.json`, then the built-ins
/// `enable_auth` adds. On a SQL connector the tables of all of them are created.
async fn load_app(dir: &Path, db: Arc<dyn Connector>, sql: bool) -> (App, Vec<String>) {
    let app = App::new();
    app.data_source("db", db.clone());
    let config: Json = serde_json::from_str(
        &std::fs::read_to_string(dir.join("server/model-config.json")).unwrap(),
    )
    .unwrap();
    let mut private = Vec::new();
    for (name, entry) in config.as_object().unwrap() {
        if name.starts_with('_') {
            continue;
        }
        let def = match BuiltinKind::from_name(name) {
            Some(kind) => {
                let mut json = builtin_definition(kind).to_lb3_json();
                if let Some(rels) = entry.get("relations") {
                    json["relations"] = rels.clone();
                }
                ModelDefinition::from_lb3_json(&json).unwrap()
            }
            None => {
                let file = dir.join(format!("common/models/{}.json", name.to_lowercase()));
                ModelDefinition::from_lb3_str(&std::fs::read_to_string(file).unwrap()).unwrap()
            }
        };
        if entry.get("public") == Some(&Json::Bool(false)) {
            private.push(name.clone());
        }
        app.define(def, "db").await.unwrap();
    }
    app.enable_auth().await.unwrap();
    if sql {
        let defs: Vec<_> = app.models().iter().map(|m| m.definition()).collect();
        db.automigrate(&defs).await.unwrap();
    }
    (app, private)
}

async fn seed(app: &App, dir: &Path) {
    let seed: Json =
        serde_json::from_str(&std::fs::read_to_string(dir.join("seed.json")).unwrap()).unwrap();
    let o = Options::new();
    let rec = |j: &Json, skip: &[&str]| {
        let mut m = j.as_object().unwrap().clone();
        for k in skip {
            m.remove(*k);
        }
        Record::from_json_map(&m)
    };
    let customers = app.model("Customer").unwrap();
    let mut ids: HashMap<String, Value> = HashMap::new();
    for c in seed["customers"].as_array().unwrap() {
        let saved = customers.create(rec(c, &["key"]), &o).await.unwrap();
        ids.insert(
            c["key"].as_str().unwrap().into(),
            saved.get("id").unwrap().clone(),
        );
    }
    let roles = app.model("Role").unwrap();
    let mut role_ids = HashMap::new();
    for r in seed["roles"].as_array().unwrap() {
        let saved = roles.create(rec(r, &[]), &o).await.unwrap();
        role_ids.insert(
            r["name"].as_str().unwrap().to_owned(),
            saved.get("id").unwrap().clone(),
        );
    }
    let mappings = app.model("RoleMapping").unwrap();
    for m in seed["roleMappings"].as_array().unwrap() {
        let mut r = Record::new();
        r.insert("principalType", "USER");
        let pid = ids[m["principal"].as_str().unwrap()].to_json().to_string();
        r.insert("principalId", pid.trim_matches('"').to_owned());
        r.insert("roleId", role_ids[m["role"].as_str().unwrap()].clone());
        mappings.create(r, &o).await.unwrap();
    }
    for p in seed["products"].as_array().unwrap() {
        app.model("Product")
            .unwrap()
            .create(rec(p, &[]), &o)
            .await
            .unwrap();
    }
    for ord in seed["orders"].as_array().unwrap() {
        let mut r = rec(ord, &["customer"]);
        r.insert("customerId", ids[ord["customer"].as_str().unwrap()].clone());
        app.model("Order").unwrap().create(r, &o).await.unwrap();
    }
    for n in seed["notes"].as_array().unwrap() {
        let mut r = rec(n, &["user"]);
        r.insert("userId", ids[n["user"].as_str().unwrap()].clone());
        app.model("Note").unwrap().create(r, &o).await.unwrap();
    }
}

/// A SQL table has a column for every property, so a property never set reads back as `null`
/// where the memory connector (which LB3's recording used) leaves it out; LB3 on a SQL
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

/// LB3's normalisation in `record.js`: token ids and dates become placeholders.
fn normalise(v: &mut Json) {
    match v {
        Json::Object(o) => {
            o.remove("stack");
            for (k, x) in o.iter_mut() {
                if matches!(k.as_str(), "created" | "lastUpdated" | "modified") && !x.is_null() {
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
            } else if chrono::DateTime::parse_from_rfc3339(s).is_ok() {
                *s = "<date>".into();
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn answers_the_recorded_lb3_matrix() {
    replay(connectors::memory(), false).await;
}

/// The same requests on PostgreSQL: the same statuses and bodies, ids included.
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_the_recorded_lb3_matrix_on_postgres() {
    let Some((db, _schema)) = pg_db::TestSchema::create().await else {
        return;
    };
    replay(db, true).await;
}

/// Seeds the fixture application on `db`, sends the 177 recorded requests in order and
/// compares every answer with LB3's.
async fn replay(db: Arc<dyn Connector>, sql: bool) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    let (app, private) = load_app(&dir.join("app"), db, sql).await;
    seed(&app, &dir).await;
    let reset_tokens: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = reset_tokens.clone();
    app.model("Customer")
        .unwrap()
        .on_reset_password_request(move |r| {
            sink.lock().unwrap().push(r.access_token.id.clone());
        });
    let mut builder = RestApi::builder(&app).current_user_literal("me");
    for p in &private {
        builder = builder.exclude_model(p.clone());
    }
    let api = builder.build();
    let matrix: Json =
        serde_json::from_str(&std::fs::read_to_string(dir.join("lb3_matrix.json")).unwrap())
            .unwrap();
    let deviations = deviations();
    let mut tokens: HashMap<String, String> = HashMap::new();
    let mut failures = Vec::new();
    let mut checked = 0;
    for r in matrix["requests"].as_array().unwrap() {
        let name = r["name"].as_str().unwrap();
        let who = r["as"].as_str().unwrap();
        let auth = r["auth"].as_str().unwrap();
        let mut path = r["path"].as_str().unwrap().to_owned();
        let token = if who == "bobReset" {
            reset_tokens.lock().unwrap().last().cloned()
        } else {
            tokens.get(who).cloned()
        };
        let mut req = Request::builder().method(r["method"].as_str().unwrap());
        if let (Some(t), false) = (&token, who == "anonymous") {
            match auth {
                "authorization" => req = req.header("authorization", t.as_str()),
                "bearer" => {
                    let b = base64::engine::general_purpose::STANDARD.encode(t);
                    req = req.header("authorization", format!("Bearer {b}"));
                }
                "bearer-raw" => req = req.header("authorization", format!("Bearer {t}")),
                "x-access-token" => req = req.header("x-access-token", t.as_str()),
                "query" => {
                    let sep = if path.contains('?') { '&' } else { '?' };
                    path = format!("{path}{sep}access_token={t}");
                }
                _ => {}
            }
        }
        if let Some(h) = r.get("headers").and_then(Json::as_object) {
            for (k, v) in h {
                req = req.header(k.as_str(), v.as_str().unwrap());
            }
        }
        let body = match r.get("body") {
            Some(b) => {
                req = req.header("content-type", "application/json");
                b.to_string()
            }
            None => String::new(),
        };
        let reply = rest_support::call(&api, req.uri(path.as_str()).body(body).unwrap()).await;
        let mut got = if reply.text.is_empty() {
            Json::Null
        } else {
            reply.json()
        };
        if let Some(bind) = r.get("bind").and_then(Json::as_str) {
            if let Some(id) = got.get("id").and_then(Json::as_str) {
                tokens.insert(bind.to_owned(), id.to_owned());
            }
        }
        normalise(&mut got);
        let (status, expected) = match deviations.get(name) {
            Some((s, b)) => (*s, b.clone()),
            None => (r["status"].as_u64().unwrap() as u16, r["response"].clone()),
        };
        if sql {
            drop_unset_columns(&mut got, &expected);
        }
        checked += 1;
        if reply.status.as_u16() != status || got != expected {
            failures.push(format!(
                "{name}: expected {status} {expected}\n      got {} {got}",
                reply.status.as_u16()
            ));
        }
    }
    assert_eq!(checked, 177);
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
