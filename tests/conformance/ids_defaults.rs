//! Ids (`idInjection`, custom and string ids, `forceId`) and default values (juggler
//! manipulation and defaults suites).

use loopback::{PropertyType, Value, Where};
use serde_json::json;

use super::*;

pub async fn ids_injected_id_is_generated_number(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.product().await;
    let def = m.definition();
    assert_eq!(def.id_name(), "id");
    let id = def.property("id").expect("id is injected");
    assert_eq!(id.ty, PropertyType::Number);
    assert!(id.generated);
    assert_eq!(id.id, Some(1));
    assert!(
        def.force_id(),
        "forceId defaults to true for a generated id"
    );
    let r = m.create(rec(json!({"name": "a"})), &opts()).await.unwrap();
    assert!(matches!(r.get("id"), Some(Value::Int(_))));
}

pub async fn ids_custom_id_property(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(json!({"name": "Book", "properties": {"isbn": {"type": "string", "id": true}, "title": "string"}}))
        .await;
    assert_eq!(m.definition().id_name(), "isbn");
    assert!(
        m.definition().property("id").is_none(),
        "no id is injected next to a declared one"
    );
    assert!(!m.definition().force_id());
    m.create(rec(json!({"isbn": "978-0", "title": "Dune"})), &opts())
        .await
        .unwrap();
    m.create(rec(json!({"isbn": "978-1", "title": "Emma"})), &opts())
        .await
        .unwrap();
    let b = m
        .find_by_id(Value::from("978-1"), None, &opts())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(to_json(&b), json!({"isbn": "978-1", "title": "Emma"}));
    assert!(m.exists(Value::from("978-0"), &opts()).await.unwrap());
    let r = m
        .patch_by_id(
            Value::from("978-0"),
            rec(json!({"title": "Dune II"})),
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(to_json(&r), json!({"isbn": "978-0", "title": "Dune II"}));
    assert_eq!(
        m.destroy_by_id(Value::from("978-0"), &opts())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        strings(
            &m.find(loopback::Filter::new(), &opts()).await.unwrap(),
            "isbn"
        ),
        ["978-1"]
    );
}

pub async fn ids_id_injection_false_adds_no_id(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(json!({"name": "Label", "idInjection": false, "properties": {"code": {"type": "string", "id": true}, "text": "string"}}))
        .await;
    assert_eq!(
        m.definition().properties.keys().collect::<Vec<_>>(),
        ["code", "text"]
    );
    m.create(rec(json!({"code": "a", "text": "A"})), &opts())
        .await
        .unwrap();
    let r = m
        .find_one(loopback::Filter::new(), &opts())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(to_json(&r), json!({"code": "a", "text": "A"}));
}

pub async fn ids_string_ids(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(json!({"name": "Sku", "properties": {"sku": {"type": "string", "id": true}, "qty": "number"}}))
        .await;
    for (sku, qty) in [("b-2", 2), ("a-1", 1), ("c-3", 3)] {
        let r = m
            .create(rec(json!({"sku": sku, "qty": qty})), &opts())
            .await
            .unwrap();
        assert_eq!(r.get("sku"), Some(&Value::from(sku)));
    }
    let rows = find_json(&m, json!({"order": "sku ASC"})).await;
    assert_eq!(strings(&rows, "sku"), ["a-1", "b-2", "c-3"]);
    assert_eq!(
        m.update_all(
            Some(Where::eq("sku", "b-2")),
            rec(json!({"qty": 20})),
            &opts()
        )
        .await
        .unwrap(),
        1
    );
    let r = m
        .replace_by_id(Value::from("c-3"), rec(json!({"qty": 30})), &opts())
        .await
        .unwrap();
    assert_eq!(to_json(&r), json!({"sku": "c-3", "qty": 30}));
    let b = m
        .find_by_id(Value::from("b-2"), None, &opts())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b.get("qty"), Some(&Value::Int(20)));
    let rows = find_json(
        &m,
        json!({"where": {"sku": {"inq": ["a-1", "c-3"]}}, "order": "sku DESC"}),
    )
    .await;
    assert_eq!(strings(&rows, "sku"), ["c-3", "a-1"]);
}

pub async fn ids_duplicate_string_id_is_422(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(json!({"name": "Sku", "properties": {"sku": {"type": "string", "id": true}, "qty": "number"}}))
        .await;
    m.create(rec(json!({"sku": "a", "qty": 1})), &opts())
        .await
        .unwrap();
    let err = m
        .create(rec(json!({"sku": "a", "qty": 2})), &opts())
        .await
        .unwrap_err();
    assert_eq!(err.status(), 422, "{err:?}");
    let rows = m.find(loopback::Filter::new(), &opts()).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get("qty"), Some(&Value::Int(1)));
}

pub async fn ids_force_id_default_refuses_client_id(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.product().await;
    let err = m
        .create(rec(json!({"id": 5, "name": "x"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(err.status(), 422);
    assert_eq!(err.name(), "ValidationError");
    assert_eq!(codes(&err), json!({"id": ["absence"]}));
    assert_eq!(messages(&err), json!({"id": ["can't be set"]}));
    assert_eq!(
        err.to_string(),
        "The `Product` instance is not valid. Details: `id` can't be set (value: 5)."
    );
    assert_eq!(count(&m).await, 0);
}

pub async fn ids_force_id_allows_null_id(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.product().await;
    let r = m
        .create(rec(json!({"id": null, "name": "x"})), &opts())
        .await
        .unwrap();
    assert!(matches!(r.get("id"), Some(Value::Int(_))), "{r:?}");
    assert_eq!(count(&m).await, 1);
}

pub async fn ids_force_id_true_on_custom_generated_id(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(json!({"name": "Ticket", "properties": {"code": {"type": "number", "id": true, "generated": true}, "title": "string"}}))
        .await;
    assert!(m.definition().force_id());
    let t = m
        .create(rec(json!({"title": "first"})), &opts())
        .await
        .unwrap();
    let code = t
        .get("code")
        .and_then(Value::as_i64)
        .expect("a generated code");
    let got = m
        .find_by_id(Value::Int(code), None, &opts())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.get("title"), Some(&Value::from("first")));
    let err = m
        .create(rec(json!({"code": 999, "title": "mine"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"code": ["absence"]}));
    let explicit = env
        .define(json!({"name": "Voucher", "forceId": true, "properties": {"code": {"type": "string", "id": true}}}))
        .await;
    let err = explicit
        .create(rec(json!({"code": "X"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(
        codes(&err),
        json!({"code": ["absence"]}),
        "an explicit forceId applies to any id"
    );
}

pub async fn ids_force_id_false_allows_client_id(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(json!({"name": "Open", "forceId": false, "properties": {"name": "string"}}))
        .await;
    assert!(!m.definition().force_id());
    let r = m
        .create(rec(json!({"id": 9, "name": "nine"})), &opts())
        .await
        .unwrap();
    assert_eq!(id_of(&r), 9);
    let r = m
        .create(rec(json!({"name": "next"})), &opts())
        .await
        .unwrap();
    assert_ne!(id_of(&r), 9);
}

fn gadget_json() -> serde_json::Value {
    json!({
        "name": "Gadget",
        "properties": {
            "name": {"type": "string", "default": "anon"},
            "qty": {"type": "number", "default": 3},
            "flag": {"type": "boolean", "default": false},
            "ratio": {"type": "number", "default": 0.5}
        }
    })
}

pub async fn defaults_literal_values(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.define(gadget_json()).await;
    let r = m.create(rec(json!({})), &opts()).await.unwrap();
    let expected = json!({"id": id_of(&r), "name": "anon", "qty": 3, "flag": false, "ratio": 0.5});
    assert_eq!(to_json(&r), expected);
    assert_eq!(to_json(&stored(&m, id_of(&r)).await.unwrap()), expected);
}

pub async fn defaults_not_applied_over_given_or_null_values(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.define(gadget_json()).await;
    let r = m
        .create(rec(json!({"name": "x", "qty": 0, "flag": true})), &opts())
        .await
        .unwrap();
    assert_eq!(
        to_json(&r),
        json!({"id": id_of(&r), "name": "x", "qty": 0, "flag": true, "ratio": 0.5})
    );
    let r = m.create(rec(json!({"name": null})), &opts()).await.unwrap();
    assert!(
        r.get("name").is_some_and(Value::is_null),
        "an explicit null is kept: {r:?}"
    );
    let s = stored(&m, id_of(&r)).await.unwrap();
    assert!(s.get("name").map_or(true, Value::is_null));
    assert_eq!(s.get("qty"), Some(&Value::Int(3)));
}

pub async fn defaults_not_applied_on_patch_or_update_all(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.define(gadget_json()).await;
    let r = m.create(rec(json!({"qty": 7})), &opts()).await.unwrap();
    let id = id_of(&r);
    m.update_all(None, rec(json!({"name": null})), &opts())
        .await
        .unwrap();
    let r = m
        .patch_by_id(Value::Int(id), rec(json!({"flag": true})), &opts())
        .await
        .unwrap();
    assert!(r.get("name").map_or(true, Value::is_null), "{r:?}");
    let s = stored(&m, id).await.unwrap();
    assert!(s.get("name").map_or(true, Value::is_null), "{s:?}");
    assert_eq!(s.get("qty"), Some(&Value::Int(7)));
    assert_eq!(s.get("flag"), Some(&Value::Bool(true)));
}

pub async fn defaults_applied_on_replace(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.define(gadget_json()).await;
    let r = m
        .create(rec(json!({"name": "x", "qty": 9, "flag": true})), &opts())
        .await
        .unwrap();
    let id = id_of(&r);
    let r = m
        .replace_by_id(Value::Int(id), rec(json!({"ratio": 2})), &opts())
        .await
        .unwrap();
    let expected = json!({"id": id, "name": "anon", "qty": 3, "flag": false, "ratio": 2});
    assert_eq!(to_json(&r), expected);
    assert_eq!(to_json(&stored(&m, id).await.unwrap()), expected);
}

pub async fn defaults_now_is_creation_time(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(json!({"name": "Event", "properties": {"title": "string", "at": {"type": "date", "default": "$now"}}}))
        .await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let r = m.create(rec(json!({"title": "t"})), &opts()).await.unwrap();
    let after = chrono::Utc::now() + chrono::Duration::seconds(1);
    let Some(Value::Date(at)) = stored(&m, id_of(&r)).await.unwrap().get("at").cloned() else {
        panic!("`at` is a date: {r:?}");
    };
    assert!(before <= at && at <= after, "{before} <= {at} <= {after}");
    let given = m
        .create(
            rec(json!({"title": "t", "at": "2001-02-03T04:05:06.000Z"})),
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(to_json(&given)["at"], json!("2001-02-03T04:05:06.000Z"));
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

pub async fn defaults_uuid_default_fn(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(json!({"name": "Token", "properties": {
            "uid": {"type": "string", "defaultFn": "uuidv4"},
            "guid": {"type": "string", "defaultFn": "guid"},
            "plain": {"type": "string", "defaultFn": "uuid"}
        }}))
        .await;
    let a = m.create(rec(json!({})), &opts()).await.unwrap();
    let b = m.create(rec(json!({})), &opts()).await.unwrap();
    for p in ["uid", "guid", "plain"] {
        let (x, y) = (
            a.get(p).and_then(Value::as_str).unwrap(),
            b.get(p).and_then(Value::as_str).unwrap(),
        );
        assert!(is_uuid(x) && is_uuid(y), "{p}: {x} / {y}");
        assert_ne!(x, y);
    }
    assert_eq!(to_json(&stored(&m, id_of(&a)).await.unwrap()), to_json(&a));
    let c = m
        .create(rec(json!({"uid": "mine"})), &opts())
        .await
        .unwrap();
    assert_eq!(c.get("uid"), Some(&Value::from("mine")));
}

pub async fn defaults_now_default_fn(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(json!({"name": "Log", "properties": {"at": {"type": "date", "defaultFn": "now"}}}))
        .await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let r = m.create(rec(json!({})), &opts()).await.unwrap();
    let Some(Value::Date(at)) = r.get("at").cloned() else {
        panic!("{r:?}")
    };
    assert!(before <= at && at <= chrono::Utc::now() + chrono::Duration::seconds(1));
}
