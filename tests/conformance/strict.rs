//! `strict` modes and type coercion of written data (juggler datatype and model-definition
//! suites).

use loopback::{GeoPoint, Value, Where};
use serde_json::json;

use super::*;

fn model(strict: serde_json::Value) -> serde_json::Value {
    json!({"name": "Thing", "strict": strict, "properties": {"name": "string", "qty": "number"}})
}

/// Whether the connector keeps properties that are not declared (document stores do, SQL
/// tables have no column for them).
fn stores_free_form(env: &Env) -> bool {
    env.caps().free_form_properties
}

pub async fn strict_false_keeps_unknown_properties(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.define(model(json!(false))).await;
    let r = m
        .create(
            rec(json!({"name": "a", "extra": 1, "nested": {"k": "v"}})),
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(
        to_json(&r),
        json!({"id": id_of(&r), "name": "a", "extra": 1, "nested": {"k": "v"}})
    );
    if stores_free_form(&env) {
        assert_eq!(
            to_json(&stored(&m, id_of(&r)).await.unwrap()),
            json!({"id": id_of(&r), "name": "a", "extra": 1, "nested": {"k": "v"}})
        );
        let r = m
            .patch_by_id(Value::Int(id_of(&r)), rec(json!({"extra2": true})), &opts())
            .await
            .unwrap();
        assert_eq!(r.get("extra2"), Some(&Value::Bool(true)));
        assert_eq!(
            stored(&m, id_of(&r)).await.unwrap().get("extra"),
            Some(&Value::Int(1))
        );
    }
}

pub async fn strict_false_update_all_stores_unknown_properties(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.define(model(json!(false))).await;
    let r = m.create(rec(json!({"name": "a"})), &opts()).await.unwrap();
    assert_eq!(
        m.update_all(None, rec(json!({"name": "b", "extra3": 3})), &opts())
            .await
            .unwrap(),
        1
    );
    let s = stored(&m, id_of(&r)).await.unwrap();
    assert_eq!(s.get("name"), Some(&Value::from("b")));
    if stores_free_form(&env) {
        assert_eq!(s.get("extra3"), Some(&Value::Int(3)));
    }
}

pub async fn strict_filter_drops_unknown_properties(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.define(model(json!("filter"))).await;
    let r = m
        .create(rec(json!({"name": "a", "extra": 1})), &opts())
        .await
        .unwrap();
    assert_eq!(to_json(&r), json!({"id": id_of(&r), "name": "a"}));
    assert_eq!(
        to_json(&stored(&m, id_of(&r)).await.unwrap()),
        json!({"id": id_of(&r), "name": "a"})
    );
}

pub async fn strict_filter_on_updates(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.define(model(json!("filter"))).await;
    let r = m.create(rec(json!({"name": "a"})), &opts()).await.unwrap();
    let id = id_of(&r);
    let p = m
        .patch_by_id(Value::Int(id), rec(json!({"qty": 2, "extra2": 2})), &opts())
        .await
        .unwrap();
    assert_eq!(to_json(&p), json!({"id": id, "name": "a", "qty": 2}));
    m.update_all(
        Some(Where::eq("id", id)),
        rec(json!({"name": "b", "extra3": 3})),
        &opts(),
    )
    .await
    .unwrap();
    let r = m
        .replace_by_id(
            Value::Int(id),
            rec(json!({"name": "c", "extra4": 4})),
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(to_json(&r), json!({"id": id, "name": "c"}));
    assert_eq!(
        to_json(&stored(&m, id).await.unwrap()),
        json!({"id": id, "name": "c"})
    );
}

pub async fn strict_true_refuses_unknown_property(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.define(model(json!(true))).await;
    let err = m
        .create(rec(json!({"name": "a", "extra": 1})), &opts())
        .await
        .unwrap_err();
    assert_eq!(err.status(), 422);
    assert_eq!(err.name(), "ValidationError");
    assert_eq!(codes(&err), json!({"extra": ["unknown-property"]}));
    assert_eq!(
        messages(&err),
        json!({"extra": ["is not defined in the model"]})
    );
    assert_eq!(err.to_string(), "The `Thing` instance is not valid. Details: `extra` is not defined in the model (value: undefined).");
    assert_eq!(count(&m).await, 0);
    m.create(rec(json!({"name": "a", "qty": 1})), &opts())
        .await
        .unwrap();
    assert_eq!(count(&m).await, 1);
}

pub async fn strict_true_refuses_unknown_property_on_patch(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.define(model(json!(true))).await;
    let r = m.create(rec(json!({"name": "a"})), &opts()).await.unwrap();
    let id = id_of(&r);
    let err = m
        .patch_by_id(Value::Int(id), rec(json!({"qty": 2, "extra": 2})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"extra": ["unknown-property"]}));
    // LB3's updateAll does not validate: it drops unknown properties even here.
    let n = m
        .update_all(None, rec(json!({"qty": 3, "extra": 3})), &opts())
        .await
        .unwrap();
    assert_eq!(n, 1);
    let err = m
        .replace_by_id(
            Value::Int(id),
            rec(json!({"name": "b", "extra": 4})),
            &opts(),
        )
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"extra": ["unknown-property"]}));
    assert_eq!(
        to_json(&stored(&m, id).await.unwrap()),
        json!({"id": id, "name": "a", "qty": 3})
    );
}

pub async fn strict_throw_is_an_error(fx: Fixture) {
    // juggler 3.x removed the throwing mode and treats `"throw"` as `true` (with a warning).
    let env = Env::new(fx);
    let m = env.define(model(json!("throw"))).await;
    let err = m
        .create(rec(json!({"name": "a", "extra": 1})), &opts())
        .await
        .unwrap_err();
    assert_eq!(err.status(), 422);
    assert_eq!(codes(&err), json!({"extra": ["unknown-property"]}));
    assert_eq!(count(&m).await, 0);
}

pub async fn coerce_numbers_booleans_dates_and_strings(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.product().await;
    let r = m
        .create(
            rec(json!({"name": 42, "qty": "12", "price": "2.5", "active": "false", "born": 1_577_836_800_000_i64, "tag": true})),
            &opts(),
        )
        .await
        .unwrap();
    let expected = json!({"id": id_of(&r), "name": "42", "qty": 12, "price": 2.5, "active": false, "born": "2020-01-01T00:00:00.000Z", "tag": "true"});
    assert_eq!(to_json(&r), expected);
    assert!(matches!(r.get("born"), Some(Value::Date(_))));
    assert_eq!(to_json(&stored(&m, id_of(&r)).await.unwrap()), expected);
    let r = m
        .create(
            rec(json!({"name": "b", "active": 1, "born": "2020-01-02"})),
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(r.get("active"), Some(&Value::Bool(true)));
    assert_eq!(to_json(&r)["born"], json!("2020-01-02T00:00:00.000Z"));
}

pub async fn coerce_arrays_objects_and_geopoints(fx: Fixture) {
    let env = Env::new(fx);
    let m = env
        .define(json!({"name": "Bag", "properties": {
            "tags": ["string"], "nums": ["number"], "meta": "object", "loc": "GeoPoint", "anything": "any"
        }}))
        .await;
    let r = m
        .create(
            rec(json!({"tags": ["a", 1], "nums": ["1", 2.5], "meta": {"a": 1, "b": [true]}, "loc": "37.5,-122.25", "anything": [1, "x"]})),
            &opts(),
        )
        .await
        .unwrap();
    let expected = json!({
        "id": id_of(&r), "tags": ["a", "1"], "nums": [1, 2.5], "meta": {"a": 1, "b": [true]},
        "loc": {"lat": 37.5, "lng": -122.25}, "anything": [1, "x"]
    });
    assert_eq!(to_json(&r), expected);
    assert_eq!(
        r.get("loc"),
        Some(&Value::GeoPoint(GeoPoint::new(37.5, -122.25).unwrap()))
    );
    assert_eq!(to_json(&stored(&m, id_of(&r)).await.unwrap()), expected);
}

pub async fn type_errors_are_422_and_write_nothing(fx: Fixture) {
    // LB3 stores NaN for an unparsable number and `Boolean(v)` for any boolean; here both are
    // refused. Dates fail as LB3's date validator reports them.
    let env = Env::new(fx);
    let m = env.product().await;
    let err = m
        .create(rec(json!({"name": "a", "qty": "many"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(err.status(), 422);
    assert_eq!(codes(&err), json!({"qty": ["type"]}));
    let err = m
        .create(rec(json!({"name": "a", "born": "soon"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"born": ["date"]}));
    assert_eq!(messages(&err), json!({"born": ["is not a valid date"]}));
    let err = m
        .create(rec(json!({"name": "a", "active": "yes"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"active": ["type"]}));
    let err = m
        .create(rec(json!({"name": {"first": "a"}, "price": [1]})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"name": ["type"], "price": ["type"]}));
    let geo = env
        .define(json!({"name": "Spot", "properties": {"loc": "GeoPoint"}}))
        .await;
    let err = geo
        .create(rec(json!({"loc": "95,0"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"loc": ["type"]}));
    assert_eq!(count(&m).await, 0);
    assert_eq!(count(&geo).await, 0);
}

pub async fn type_errors_on_patch_and_update_all(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let err = m
        .patch_by_id(Value::Int(1), rec(json!({"qty": "x"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"qty": ["type"]}));
    let err = m
        .update_all(None, rec(json!({"born": "soon"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"born": ["date"]}));
    let err = m
        .replace_by_id(
            Value::Int(1),
            rec(json!({"name": "a", "price": "cheap"})),
            &opts(),
        )
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"price": ["type"]}));
    let r = stored(&m, 1).await.unwrap();
    assert_eq!(to_json(&r)["qty"], json!(1));
    assert_eq!(to_json(&r)["born"], json!("2020-01-01T00:00:00.000Z"));
    assert_eq!(to_json(&r)["price"], json!(10.5));
}
