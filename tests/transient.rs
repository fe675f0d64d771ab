//! LoopBack 3's `transient` connector: stores nothing, gives new records an id, and is where
//! embedded models live (`"Address": {"dataSource": "transient"}`).
#![cfg(feature = "memory")]

use loopback::connectors::{from_settings, memory, transient};
use loopback::{App, Filter, ModelDefinition, ModelHandle, Options, Record, Value, Where};
use serde_json::json;

fn rec(j: serde_json::Value) -> Record {
    Record::from_json(&j).expect("a JSON object")
}

async fn define(app: &App, json: serde_json::Value, ds: &str) -> ModelHandle {
    let def = ModelDefinition::from_lb3_json(&json).expect("valid model JSON");
    app.define(def, ds).await.expect("model attaches")
}

#[tokio::test]
async fn stores_nothing_and_generates_ids() {
    let app = App::new();
    app.data_source("transient", transient());
    let o = Options::new();
    let note = define(
        &app,
        json!({"name": "Note", "properties": {"text": "string"}}),
        "transient",
    )
    .await;
    let tag = define(
        &app,
        json!({"name": "Tag", "properties": {"code": {"type": "string", "id": true}}}),
        "transient",
    )
    .await;

    // A numeric id is a positive number, a string id 24 hexadecimal characters; a given id is
    // kept.
    let a = note.create(rec(json!({"text": "a"})), &o).await.unwrap();
    let b = note.create(rec(json!({"text": "b"})), &o).await.unwrap();
    let (Some(Value::Int(ia)), Some(Value::Int(ib))) = (a.get("id"), b.get("id")) else {
        panic!("numeric ids: {a:?} {b:?}");
    };
    assert!(*ia > 0 && *ib > 0 && ia != ib, "{ia} {ib}");
    assert_eq!(a.get("text"), Some(&Value::from("a")));
    let t = tag.create(rec(json!({})), &o).await.unwrap();
    let code = t.get("code").and_then(Value::as_str).unwrap().to_owned();
    assert_eq!(code.len(), 24);
    assert!(code.chars().all(|c| c.is_ascii_hexdigit()), "{code}");
    let given = tag.create(rec(json!({"code": "mine"})), &o).await.unwrap();
    assert_eq!(given.get("code"), Some(&Value::from("mine")));

    // Nothing was stored: reads find nothing and writes change nothing.
    assert!(note.find(Filter::new(), &o).await.unwrap().is_empty());
    assert_eq!(
        note.find_by_id(Value::Int(*ia), None, &o).await.unwrap(),
        None
    );
    assert_eq!(note.count(None, &o).await.unwrap(), 0);
    assert!(!note.exists(Value::Int(*ia), &o).await.unwrap());
    assert_eq!(
        note.update_all(Some(Where::eq("text", "a")), rec(json!({"text": "z"})), &o)
            .await
            .unwrap(),
        0
    );
    assert_eq!(note.destroy_all(None, &o).await.unwrap(), 0);
    // Patching an id that was never stored is LB3's 404.
    let e = note
        .patch_by_id(Value::Int(*ia), rec(json!({"text": "x"})), &o)
        .await
        .unwrap_err();
    assert_eq!(e.status(), 404);
    // Validation still runs: the model's rules do not depend on storage.
    let strict = define(
        &app,
        json!({"name": "Strict", "properties": {"must": {"type": "string", "required": true}}}),
        "transient",
    )
    .await;
    let e = strict.create(rec(json!({})), &o).await.unwrap_err();
    assert_eq!(e.status(), 422);
}

#[tokio::test]
async fn embedded_models_live_on_the_transient_data_source() {
    let app = App::new();
    app.data_source("db", memory());
    app.data_source("transient", transient());
    let o = Options::new();
    define(
        &app,
        json!({"name": "Address", "properties": {"street": {"type": "string", "required": true},
                                                  "city": "string"}}),
        "transient",
    )
    .await;
    let customer = define(
        &app,
        json!({"name": "Customer", "properties": {"name": "string"},
            "relations": {
                "address": {"type": "embedsOne", "model": "Address", "property": "billing"},
                "others": {"type": "embedsMany", "model": "Address", "property": "shipping"}}}),
        "db",
    )
    .await;
    let ann = customer
        .create(rec(json!({"name": "ann"})), &o)
        .await
        .unwrap();

    let mut address = customer.related(&ann, "address").unwrap();
    let e = address
        .create(rec(json!({"city": "SJ"})), &o)
        .await
        .unwrap_err();
    assert_eq!(e.status(), 422, "the embedded model's rules apply");
    address
        .create(rec(json!({"street": "1 Main", "city": "SJ"})), &o)
        .await
        .unwrap();
    let mut others = customer.related(&ann, "others").unwrap();
    others
        .create(rec(json!({"street": "2 Side"})), &o)
        .await
        .unwrap();
    others
        .create(rec(json!({"street": "3 Far"})), &o)
        .await
        .unwrap();

    // The items live inside the customer, on the memory data source.
    let stored = customer
        .find_by_id(Value::Int(1), None, &o)
        .await
        .unwrap()
        .unwrap()
        .to_json();
    assert_eq!(stored["billing"]["street"], json!("1 Main"));
    let streets: Vec<_> = stored["shipping"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["street"].clone())
        .collect();
    assert_eq!(streets, [json!("2 Side"), json!("3 Far")]);
    // The transient data source holds none of them.
    let address_model = app.try_model("Address").unwrap();
    assert_eq!(address_model.count(None, &o).await.unwrap(), 0);
}

#[test]
fn configured_by_name_in_datasources_json() {
    let c = from_settings(&json!({"name": "transient", "connector": "transient"})).unwrap();
    assert_eq!(c.name(), "transient");
    let c = from_settings(&json!({"connector": "loopback-connector-transient"})).unwrap();
    assert_eq!(c.name(), "transient");
    let e = from_settings(&json!({"connector": "transient", "file": "x.json"}))
        .err()
        .expect("unknown setting");
    assert!(e.to_string().contains("unknown setting `file`"), "{e}");
}
