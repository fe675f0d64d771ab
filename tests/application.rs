//! The built-in `Application` model's behaviour (LB3's `common/models/application.js`), on
//! every connector: keys and ids generated on full saves, `register`, `authenticate` and
//! `resetKeys`, and over REST. The expectations were recorded with loopback 3.28 on Node,
//! except where `docs/auth.md` says this differs on purpose (a missing key never matches).
//! As in LB3, every full save sets `created` and `modified` to its own time.

#![cfg(all(feature = "rest", feature = "memory"))]

#[cfg(feature = "mysql")]
mod mysql_db;
#[cfg(feature = "postgres")]
mod pg_db;
#[macro_use]
mod rest_db;
mod rest_support;

use std::time::Duration;

use loopback::auth::{builtin_definition, ApplicationKey, BuiltinKind};
use loopback::rest::RestApi;
use loopback::{App, Error, ModelHandle, Options, Record, Value, Where};
use rest_db::Db;
use serde_json::{json, Value as Json};

on_every_connector!(
    keys_are_generated_on_create,
    full_saves_regenerate_keys,
    partial_updates_leave_keys_alone,
    register_takes_owner_and_name_first,
    register_refuses_missing_owner_or_name,
    authenticate_checks_every_key_in_order,
    reset_keys_regenerates_and_saves,
    subclasses_get_the_behaviour,
    rest_create_ignores_client_keys,
);

const KEYS: [&str; 5] = [
    "clientKey",
    "javaScriptKey",
    "restApiKey",
    "windowsKey",
    "masterKey",
];

/// An application on `db` (no access control) with the built-in `Application` and the
/// models of `defs`.
async fn app(db: &Db, defs: Vec<Json>) -> App {
    let mut all = vec![builtin_definition(BuiltinKind::Application).to_lb3_json()];
    all.extend(defs);
    db.app_without_auth(all).await
}

fn applications(app: &App) -> ModelHandle {
    app.model("Application").expect("Application is defined")
}

fn is_hex(v: &Json, len: usize) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The five keys of `rec`, as JSON.
fn keys_of(rec: &Json) -> Vec<Json> {
    KEYS.iter().map(|k| rec[*k].clone()).collect()
}

#[track_caller]
fn assert_fresh_keys(rec: &Json) {
    let keys = keys_of(rec);
    for (k, v) in KEYS.iter().zip(&keys) {
        assert!(is_hex(v, 40), "{k} is not 40 hex digits: {rec}");
    }
    for (i, a) in keys.iter().enumerate() {
        assert!(!keys[i + 1..].contains(a), "keys repeat: {rec}");
    }
}

#[track_caller]
fn assert_all_keys_changed(before: &Json, after: &Json) {
    for k in KEYS {
        assert_ne!(before[k], after[k], "{k} was not regenerated: {after}");
    }
}

async fn stored(app: &App, id: &Json) -> Json {
    applications(app)
        .find_by_id(Value::from_json(id), None, &Options::new())
        .await
        .unwrap()
        .map_or(Json::Null, |r| r.to_json())
}

fn record(v: Json) -> Record {
    Record::from_json(&v).expect("a JSON object")
}

/// Lets the clock move on by more than a millisecond (dates are kept to the millisecond).
async fn tick() {
    tokio::time::sleep(Duration::from_millis(5)).await;
}

/// Dates are written `YYYY-MM-DDTHH:MM:SS.mmmZ`, so their text sorts in time order.
fn date(v: &Json) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a date: {v}"))
}

async fn keys_are_generated_on_create(db: Db) {
    let app = app(&db, vec![]).await;
    let o = Options::new();
    let start = Value::Date(chrono::Utc::now()).to_json();
    let created = applications(&app)
        .create(
            record(
                json!({"name": "a1", "owner": "u1", "clientKey": "mine", "masterKey": "mine",
                "created": "2000-01-01T00:00:00.000Z", "modified": "2000-01-01T00:00:00.000Z"}),
            ),
            &o,
        )
        .await
        .unwrap()
        .to_json();
    // LB3: `id` is a 32-digit hex HMAC-MD5, the keys 40-digit hex HMAC-SHA1s, whatever
    // the caller sent; `created` and `modified` are the same moment, now.
    assert!(is_hex(&created["id"], 32), "{created}");
    assert_fresh_keys(&created);
    assert_ne!(created["clientKey"], "mine");
    assert_ne!(created["masterKey"], "mine");
    assert_eq!(created["created"], created["modified"], "{created}");
    assert!(date(&created["created"]) >= date(&start), "{created}");
    assert_eq!(created["status"], "sandbox");
    assert_eq!(created["authenticationEnabled"], true);
    let read = stored(&app, &created["id"]).await;
    assert_eq!(keys_of(&read), keys_of(&created));
    assert_eq!(read["created"], created["created"]);
    assert_eq!(read["modified"], created["modified"]);
    // Two applications never share keys.
    let other = applications(&app)
        .create(record(json!({"name": "a2"})), &o)
        .await
        .unwrap()
        .to_json();
    assert_fresh_keys(&other);
    assert_ne!(other["id"], created["id"]);
    for k in keys_of(&other) {
        assert!(!keys_of(&created).contains(&k), "{other}");
    }
    // An id given by the caller is kept; an empty one is generated.
    let given = applications(&app)
        .create(record(json!({"id": "my-app", "name": "a3"})), &o)
        .await
        .unwrap();
    assert_eq!(given.get("id"), Some(&Value::from("my-app")));
    let empty = applications(&app)
        .create(record(json!({"id": "", "name": "a4"})), &o)
        .await
        .unwrap()
        .to_json();
    assert!(is_hex(&empty["id"], 32), "{empty}");
}

async fn full_saves_regenerate_keys(db: Db) {
    let app = app(&db, vec![]).await;
    let apps = applications(&app);
    let o = Options::new();
    let first = apps
        .create(record(json!({"name": "a1", "description": "d"})), &o)
        .await
        .unwrap()
        .to_json();
    let id = first["id"].clone();

    // replaceById (PUT): new keys; `created` and `modified` are now, as LB3 sets both.
    tick().await;
    let replaced = apps
        .replace_by_id(
            Value::from_json(&id),
            record(
                json!({"name": "a1r", "clientKey": "mine", "created": "2000-01-01T00:00:00.000Z"}),
            ),
            &o,
        )
        .await
        .unwrap()
        .to_json();
    assert_fresh_keys(&replaced);
    assert_all_keys_changed(&first, &replaced);
    assert_ne!(replaced["clientKey"], "mine");
    assert_eq!(replaced["created"], replaced["modified"], "{replaced}");
    assert!(
        date(&replaced["modified"]) > date(&first["modified"]),
        "{replaced}"
    );
    let read = stored(&app, &id).await;
    assert_eq!(keys_of(&read), keys_of(&replaced));
    assert_eq!(read["created"], replaced["created"]);
    assert_eq!(read["modified"], replaced["modified"]);
    assert_eq!(read["name"], "a1r");

    // `save` of an instance read back.
    tick().await;
    let instance = apps
        .find_by_id(Value::from_json(&id), None, &o)
        .await
        .unwrap()
        .unwrap();
    let saved = apps.save(instance, &o).await.unwrap().to_json();
    assert_all_keys_changed(&replaced, &saved);
    assert_eq!(saved["created"], saved["modified"]);
    assert!(date(&saved["modified"]) > date(&replaced["modified"]));
    assert_eq!(keys_of(&stored(&app, &id).await), keys_of(&saved));

    // replaceOrCreate, of a stored record and of a new one.
    tick().await;
    let upserted = apps
        .replace_or_create(record(json!({"id": id, "name": "a1x"})), &o)
        .await
        .unwrap();
    assert!(!upserted.created);
    let upserted = upserted.instance.to_json();
    assert_all_keys_changed(&saved, &upserted);
    assert_eq!(upserted["created"], upserted["modified"]);
    assert!(date(&upserted["created"]) > date(&first["created"]));
    assert_eq!(keys_of(&stored(&app, &id).await), keys_of(&upserted));
    let fresh = apps
        .replace_or_create(record(json!({"id": "roc", "name": "roc"})), &o)
        .await
        .unwrap();
    assert!(fresh.created);
    let fresh = fresh.instance.to_json();
    assert_fresh_keys(&fresh);
    assert_eq!(fresh["created"], fresh["modified"]);
    assert_eq!(keys_of(&stored(&app, &json!("roc")).await), keys_of(&fresh));
}

async fn partial_updates_leave_keys_alone(db: Db) {
    let app = app(&db, vec![]).await;
    let apps = applications(&app);
    let o = Options::new();
    let first = apps
        .create(record(json!({"name": "a1"})), &o)
        .await
        .unwrap()
        .to_json();
    let id = first["id"].clone();
    let unchanged = |label: &str, now: &Json| {
        assert_eq!(keys_of(now), keys_of(&first), "{label}: {now}");
        // LB3 does not touch `modified` on partial updates either.
        assert_eq!(now["created"], first["created"], "{label}: {now}");
        assert_eq!(now["modified"], first["modified"], "{label}: {now}");
    };
    tick().await;
    let instance = apps
        .find_by_id(Value::from_json(&id), None, &o)
        .await
        .unwrap()
        .unwrap();
    apps.patch_attributes(&instance, record(json!({"description": "p1"})), &o)
        .await
        .unwrap();
    unchanged("patchAttributes", &stored(&app, &id).await);
    apps.patch_by_id(
        Value::from_json(&id),
        record(json!({"description": "p2"})),
        &o,
    )
    .await
    .unwrap();
    unchanged("patchById", &stored(&app, &id).await);
    apps.update_all(
        Some(Where::eq("id", Value::from_json(&id))),
        record(json!({"description": "p3"})),
        &o,
    )
    .await
    .unwrap();
    unchanged("updateAll", &stored(&app, &id).await);
    apps.upsert(record(json!({"id": id, "description": "p4"})), &o)
        .await
        .unwrap();
    let now = stored(&app, &id).await;
    unchanged("upsert", &now);
    assert_eq!(now["description"], "p4");
    // As in LB3, a partial update may set a key: it is data like any other.
    apps.patch_by_id(
        Value::from_json(&id),
        record(json!({"clientKey": "patched"})),
        &o,
    )
    .await
    .unwrap();
    assert_eq!(stored(&app, &id).await["clientKey"], "patched");

    // LB3: an upsert that creates is a partial save too: the record gets no keys, and no
    // key (not even a missing one) authenticates it.
    let created = apps
        .upsert(record(json!({"id": "up", "name": "up"})), &o)
        .await
        .unwrap();
    assert!(created.created);
    let read = stored(&app, &json!("up")).await;
    for k in KEYS {
        assert!(read[k].is_null(), "{k}: {read}");
    }
    assert!(apps
        .authenticate_application("up", "", &o)
        .await
        .unwrap()
        .is_none());
}

async fn register_takes_owner_and_name_first(db: Db) {
    let app = app(&db, vec![]).await;
    let apps = applications(&app);
    let o = Options::new();
    let registered = apps
        .register_application(
            "owner1",
            "My app",
            record(
                json!({"owner": "x", "name": "y", "description": "desc", "id": "myid",
                "clientKey": "mine"}),
            ),
            &o,
        )
        .await
        .unwrap()
        .to_json();
    assert_eq!(registered["id"], "myid");
    assert_eq!(registered["owner"], "owner1");
    assert_eq!(registered["name"], "My app");
    assert_eq!(registered["description"], "desc");
    assert_fresh_keys(&registered);
    let read = stored(&app, &json!("myid")).await;
    assert_eq!(read["owner"], "owner1");
    assert_eq!(keys_of(&read), keys_of(&registered));
    // Without options, and with a numeric owner (a user id), stored as the string property.
    let plain = apps
        .register_application(Value::Int(7), "Other", Record::new(), &o)
        .await
        .unwrap()
        .to_json();
    assert!(is_hex(&plain["id"], 32), "{plain}");
    assert_eq!(plain["owner"], "7");
    assert_fresh_keys(&plain);
}

async fn register_refuses_missing_owner_or_name(db: Db) {
    let app = app(&db, vec![]).await;
    let apps = applications(&app);
    let o = Options::new();
    let e = apps
        .register_application("", "n", Record::new(), &o)
        .await
        .unwrap_err();
    assert!(matches!(&e, Error::BadRequest { message } if message == "owner is required"));
    assert_eq!(e.status(), 400);
    let e = apps
        .register_application(Value::Null, "n", Record::new(), &o)
        .await
        .unwrap_err();
    assert!(matches!(&e, Error::BadRequest { message } if message == "owner is required"));
    let e = apps
        .register_application("o", "", Record::new(), &o)
        .await
        .unwrap_err();
    assert!(matches!(&e, Error::BadRequest { message } if message == "name is required"));
    assert_eq!(apps.count(None, &o).await.unwrap(), 0);
}

async fn authenticate_checks_every_key_in_order(db: Db) {
    let app = app(&db, vec![]).await;
    let apps = applications(&app);
    let o = Options::new();
    let registered = apps
        .register_application("owner1", "a", Record::new(), &o)
        .await
        .unwrap()
        .to_json();
    let id = registered["id"].as_str().unwrap().to_owned();
    for key_type in ApplicationKey::ALL {
        let key = registered[key_type.property()].as_str().unwrap();
        let found = apps
            .authenticate_application(id.as_str(), key, &o)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{} did not authenticate", key_type.property()));
        assert_eq!(found.key_type, key_type);
        assert_eq!(found.application.to_json()["id"], registered["id"]);
        assert_eq!(keys_of(&found.application.to_json()), keys_of(&registered));
    }
    // LB3 checks clientKey first: a key stored under two names matches as clientKey.
    let client = registered["clientKey"].clone();
    apps.patch_by_id(
        Value::from(id.as_str()),
        record(json!({"masterKey": client})),
        &o,
    )
    .await
    .unwrap();
    let found = apps
        .authenticate_application(id.as_str(), client.as_str().unwrap(), &o)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.key_type, ApplicationKey::Client);
    assert_eq!(found.key_type.property(), "clientKey");

    let none = |app_id: &str, key: &str| {
        let apps = apps.clone();
        let (app_id, key) = (app_id.to_owned(), key.to_owned());
        async move {
            apps.authenticate_application(app_id.as_str(), &key, &Options::new())
                .await
                .unwrap()
                .is_none()
        }
    };
    assert!(none(&id, "wrong").await, "a wrong key");
    assert!(none(&id, "").await, "an empty key");
    // A prefix or an extension of a key is not the key.
    let windows = registered["windowsKey"].as_str().unwrap();
    assert!(none(&id, &windows[..39]).await);
    assert!(none(&id, &format!("{windows}0")).await);
    assert!(
        none("unknown", client.as_str().unwrap()).await,
        "an unknown app"
    );
    assert!(none("", client.as_str().unwrap()).await, "no app id");
}

async fn reset_keys_regenerates_and_saves(db: Db) {
    let app = app(&db, vec![]).await;
    let apps = applications(&app);
    let o = Options::new();
    let before = apps
        .register_application("owner1", "a", record(json!({"description": "d"})), &o)
        .await
        .unwrap()
        .to_json();
    let id = before["id"].as_str().unwrap().to_owned();
    tick().await;
    let after = apps
        .reset_application_keys(id.as_str(), &o)
        .await
        .unwrap()
        .to_json();
    assert_fresh_keys(&after);
    assert_all_keys_changed(&before, &after);
    assert_eq!(after["created"], after["modified"]);
    assert!(
        date(&after["modified"]) > date(&before["modified"]),
        "{after}"
    );
    assert_eq!(after["description"], "d");
    assert_eq!(after["owner"], "owner1");
    let read = stored(&app, &json!(id)).await;
    assert_eq!(keys_of(&read), keys_of(&after));
    assert_eq!(read["modified"], after["modified"]);
    // The old keys are dead, the new ones work.
    let old = before["restApiKey"].as_str().unwrap();
    assert!(apps
        .authenticate_application(id.as_str(), old, &o)
        .await
        .unwrap()
        .is_none());
    let new = after["restApiKey"].as_str().unwrap();
    let found = apps
        .authenticate_application(id.as_str(), new, &o)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.key_type, ApplicationKey::RestApi);
    // An unknown id is LB3's 404 (LB3 itself crashed on it).
    let e = apps
        .reset_application_keys("unknown", &o)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::NotFound { model, id } if model == "Application" && id == "unknown"),
        "{e:?}"
    );
    assert_eq!(e.status(), 404);
}

async fn subclasses_get_the_behaviour(db: Db) {
    // A subclass of the attached `Application` runs its hooks once...
    let app = app(
        &db,
        vec![json!({"name": "MyApp", "base": "Application", "properties": {"tier": "string"}})],
    )
    .await;
    let o = Options::new();
    let mine = app.model("MyApp").unwrap();
    let a = mine
        .register_application("o", "n", record(json!({"tier": "gold"})), &o)
        .await
        .unwrap()
        .to_json();
    assert_fresh_keys(&a);
    assert_eq!(a["tier"], "gold");
    let found = mine
        .authenticate_application(
            Value::from_json(&a["id"]),
            a["masterKey"].as_str().unwrap(),
            &o,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.key_type, ApplicationKey::Master);
    // ... and so does one of an `Application` that is not attached.
    // (The data source lives as long as the app: a PostgreSQL schema is dropped with it.)
    let other_db = db.fresh().await;
    let alone = other_db
        .app_without_auth(vec![json!({"name": "Client", "base": "Application"})])
        .await;
    let b = alone
        .model("Client")
        .unwrap()
        .create(record(json!({"name": "n"})), &o)
        .await
        .unwrap()
        .to_json();
    assert_fresh_keys(&b);
    assert!(is_hex(&b["id"], 32), "{b}");
}

async fn rest_create_ignores_client_keys(db: Db) {
    let app = app(&db, vec![]).await;
    let api = RestApi::builder(&app).expose_model("Application").build();
    // LB3 answers 200 with generated keys, whatever the client sent.
    let r = rest_support::post(
        &api,
        "/api/Applications",
        r#"{"id": "cid", "name": "r", "clientKey": "chosen", "masterKey": "chosen2",
            "created": "2000-01-01T00:00:00.000Z"}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let created = r.json();
    assert_eq!(created["id"], "cid");
    assert_fresh_keys(&created);
    assert_ne!(created["clientKey"], "chosen");
    assert_ne!(created["masterKey"], "chosen2");
    assert_ne!(created["created"], "2000-01-01T00:00:00.000Z");
    assert_eq!(created["created"], created["modified"]);
    assert_eq!(
        keys_of(&stored(&app, &json!("cid")).await),
        keys_of(&created)
    );

    // PATCH: the keys stay (a key sent is taken, as in LB3).
    let r = rest_support::send(
        &api,
        "PATCH",
        "/api/Applications/cid",
        Some(r#"{"description": "d"}"#),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(keys_of(&r.json()), keys_of(&created));

    // PUT replaces: new keys again.
    tick().await;
    let r = rest_support::send(
        &api,
        "PUT",
        "/api/Applications/cid",
        Some(r#"{"name": "put", "clientKey": "put"}"#),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let put = r.json();
    assert_fresh_keys(&put);
    assert_all_keys_changed(&created, &put);
    assert_eq!(put["created"], put["modified"]);
    assert_eq!(keys_of(&stored(&app, &json!("cid")).await), keys_of(&put));

    // A batch create gives each its own keys.
    let r = rest_support::post(
        &api,
        "/api/Applications",
        r#"[{"name": "b1", "clientKey": "same"}, {"name": "b2", "clientKey": "same"}]"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let batch = r.json();
    assert_fresh_keys(&batch[0]);
    assert_fresh_keys(&batch[1]);
    assert_ne!(batch[0]["clientKey"], batch[1]["clientKey"]);
}
