//! Create, read, update and delete: juggler's manipulation and basic-querying suites.

use loopback::{Direction, Error, Filter, Value, Where};
use serde_json::json;

use super::*;

fn item_json(force_id: Option<bool>, validate_upsert: Option<bool>) -> serde_json::Value {
    let mut j = json!({
        "name": "Item",
        "properties": {
            "name": {"type": "string", "required": true},
            "qty": "number",
            "note": "string"
        }
    });
    if let Some(f) = force_id {
        j["forceId"] = json!(f);
    }
    if let Some(v) = validate_upsert {
        j["options"] = json!({"validateUpsert": v});
    }
    j
}

pub async fn crud_create_returns_generated_id(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.product().await;
    let created = m
        .create(rec(json!({"name": "alpha", "qty": 3})), &opts())
        .await
        .unwrap();
    let id = created
        .get("id")
        .cloned()
        .expect("the generated id is returned");
    assert!(
        matches!(id, Value::Int(n) if n > 0),
        "generated ids are positive integers: {id:?}"
    );
    assert_eq!(created.get("name"), Some(&Value::from("alpha")));
    assert_eq!(created.get("qty"), Some(&Value::Int(3)));
    let found = m
        .find_by_id(id.clone(), None, &opts())
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(found.get("id"), Some(&id));
    assert_eq!(found.get("name"), Some(&Value::from("alpha")));
    assert_eq!(found.get("qty"), Some(&Value::Int(3)));
    assert_eq!(count(&m).await, 1);
}

pub async fn crud_create_generates_distinct_ids(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.product().await;
    let mut seen = Vec::new();
    for n in ["a", "b", "c", "d"] {
        seen.push(id_of(
            &m.create(rec(json!({"name": n})), &opts()).await.unwrap(),
        ));
    }
    let mut dedup = seen.clone();
    dedup.sort_unstable();
    dedup.dedup();
    assert_eq!(dedup.len(), 4, "ids {seen:?} must be distinct");
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "generated ids increase: {seen:?}"
    );
}

pub async fn crud_create_returns_coerced_data(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.product().await;
    let created = m
        .create(
            rec(json!({"name": "alpha", "qty": "7", "price": 2.5, "active": "true", "born": "2020-02-03T04:05:06.789Z"})),
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(created.get("qty"), Some(&Value::Int(7)));
    assert_eq!(created.get("price"), Some(&Value::Float(2.5)));
    assert_eq!(created.get("active"), Some(&Value::Bool(true)));
    assert!(matches!(created.get("born"), Some(Value::Date(_))));
    let stored = stored(&m, id_of(&created)).await.unwrap();
    let j = to_json(&stored);
    assert_eq!(j["born"], json!("2020-02-03T04:05:06.789Z"));
    assert_eq!(j["qty"], json!(7));
    assert_eq!(j["price"], json!(2.5));
    assert_eq!(j["active"], json!(true));
}

pub async fn crud_create_many_returns_each_in_order(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.product().await;
    let out = m
        .create_many(
            vec![
                rec(json!({"name": "a", "qty": 1})),
                rec(json!({"name": "b", "qty": 2})),
                rec(json!({"name": "c", "qty": 3})),
            ],
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(names(&out), ["a", "b", "c"]);
    assert_eq!(count(&m).await, 3);
    let stored = all(&m).await;
    assert_eq!(ids(&stored), ids(&out));
    assert_eq!(names(&stored), ["a", "b", "c"]);
}

pub async fn crud_create_many_stops_at_first_invalid(fx: Fixture) {
    // LB3 creates array items concurrently and reports per-item errors; here they are created in
    // order and the first failure ends the call, so the records before it exist.
    let env = Env::new(fx);
    let m = env.product().await;
    let err = m
        .create_many(
            vec![
                rec(json!({"name": "a"})),
                rec(json!({"qty": 2})),
                rec(json!({"name": "c"})),
            ],
            &opts(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), 422);
    assert_eq!(codes(&err), json!({"name": ["presence"]}));
    assert_eq!(names(&all(&m).await), ["a"]);
}

pub async fn crud_create_with_explicit_id_when_force_id_false(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.define(item_json(Some(false), None)).await;
    let created = m
        .create(rec(json!({"id": 42, "name": "answer"})), &opts())
        .await
        .unwrap();
    assert_eq!(id_of(&created), 42);
    assert_eq!(
        stored(&m, 42).await.unwrap().get("name"),
        Some(&Value::from("answer"))
    );
}

pub async fn crud_create_duplicate_id_is_422_and_keeps_original(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.define(item_json(Some(false), None)).await;
    m.create(rec(json!({"id": 5, "name": "first"})), &opts())
        .await
        .unwrap();
    let err = m
        .create(rec(json!({"id": 5, "name": "second"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(err.status(), 422, "a duplicate id is a 422: {err:?}");
    assert_eq!(count(&m).await, 1);
    assert_eq!(
        stored(&m, 5).await.unwrap().get("name"),
        Some(&Value::from("first"))
    );
}

pub async fn crud_create_after_explicit_id_generates_unused_id(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.define(item_json(Some(false), None)).await;
    m.create(rec(json!({"id": 5, "name": "explicit"})), &opts())
        .await
        .unwrap();
    let generated = m
        .create(rec(json!({"name": "generated"})), &opts())
        .await
        .unwrap();
    assert_ne!(id_of(&generated), 5);
    assert_eq!(count(&m).await, 2);
    assert_eq!(
        stored(&m, 5).await.unwrap().get("name"),
        Some(&Value::from("explicit"))
    );
}

pub async fn crud_find_without_filter_returns_all(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let rows = m.find(Filter::new(), &opts()).await.unwrap();
    assert_eq!(sorted_ids(&rows), [1, 2, 3, 4, 5]);
    let alpha = rows.iter().find(|r| id_of(r) == 1).unwrap();
    assert_eq!(
        to_json(alpha),
        json!({"id": 1, "name": "alpha", "qty": 1, "price": 10.5, "active": true, "born": "2020-01-01T00:00:00.000Z", "tag": "x"})
    );
}

pub async fn crud_find_on_empty_model_returns_nothing(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.product().await;
    assert!(m.find(Filter::new(), &opts()).await.unwrap().is_empty());
    assert_eq!(m.find_one(Filter::new(), &opts()).await.unwrap(), None);
    assert_eq!(count(&m).await, 0);
}

pub async fn crud_find_json_filter_with_where(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let rows = find_json(&m, json!({"where": {"active": true}, "order": "qty DESC"})).await;
    assert_eq!(names(&rows), ["epsilon", "gamma", "alpha"]);
}

pub async fn crud_find_one_returns_first_in_order(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let first = m
        .find_one(
            filter(&m, json!({"where": {"active": false}, "order": "qty DESC"})),
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(first.map(|r| id_of(&r)), Some(4));
    let first = m
        .find_one(Filter::new().order_by("price", Direction::Asc), &opts())
        .await
        .unwrap();
    assert_eq!(first.map(|r| id_of(&r)), Some(1));
}

pub async fn crud_find_one_without_match_is_none(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let none = m
        .find_one(Filter::with_where(Where::eq("name", "omega")), &opts())
        .await
        .unwrap();
    assert_eq!(none, None);
}

pub async fn crud_find_by_id_returns_record(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let r = m
        .find_by_id(Value::Int(3), None, &opts())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(id_of(&r), 3);
    assert_eq!(r.get("name"), Some(&Value::from("gamma")));
    assert_eq!(r.get("price"), Some(&Value::Int(30)));
}

pub async fn crud_find_by_id_unknown_is_none(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        m.find_by_id(Value::Int(99), None, &opts()).await.unwrap(),
        None
    );
}

pub async fn crud_find_by_id_coerces_string_id(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let r = m
        .find_by_id(Value::from("2"), None, &opts())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(id_of(&r), 2);
    assert!(m.exists(Value::from("2"), &opts()).await.unwrap());
    let err = m
        .find_by_id(Value::from("two"), None, &opts())
        .await
        .unwrap_err();
    assert_eq!(
        err.status(),
        400,
        "an id that is not a number is a bad request: {err:?}"
    );
}

pub async fn crud_find_by_id_ignores_filter_where(fx: Fixture) {
    // LB3 findById replaces the filter's where with {id}; only fields (and include) apply.
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let f = filter(
        &m,
        json!({"where": {"name": "alpha"}, "fields": ["id", "name"]}),
    );
    let r = m
        .find_by_id(Value::Int(2), Some(f), &opts())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(to_json(&r), json!({"id": 2, "name": "beta"}));
}

pub async fn crud_exists_true_and_false(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert!(m.exists(Value::Int(1), &opts()).await.unwrap());
    assert!(m.exists(Value::Int(5), &opts()).await.unwrap());
    assert!(!m.exists(Value::Int(6), &opts()).await.unwrap());
    m.destroy_by_id(Value::Int(5), &opts()).await.unwrap();
    assert!(!m.exists(Value::Int(5), &opts()).await.unwrap());
}

pub async fn crud_count_all_where_and_none(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(m.count(None, &opts()).await.unwrap(), 5);
    assert_eq!(
        m.count(Some(Where::eq("active", true)), &opts())
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        m.count(Some(Where::eq("name", "omega")), &opts())
            .await
            .unwrap(),
        0
    );
}

pub async fn crud_count_with_parsed_where(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let w = where_(&m, json!({"qty": {"gt": 2}, "tag": "y"}));
    assert_eq!(m.count(Some(w), &opts()).await.unwrap(), 1);
    let w = where_(&m, json!({"or": [{"qty": 1}, {"qty": "5"}]}));
    assert_eq!(m.count(Some(w), &opts()).await.unwrap(), 2);
}

pub async fn crud_update_all_returns_count_and_applies_data(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let n = m
        .update_all(
            Some(where_(&m, json!({"active": false}))),
            rec(json!({"tag": "sale", "qty": 0})),
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(n, 2);
    let rows = all(&m).await;
    assert_eq!(strings(&rows, "tag"), ["x", "sale", "", "sale", "x"]);
    let qty: Vec<_> = rows
        .iter()
        .map(|r| r.get("qty").cloned().unwrap())
        .collect();
    assert_eq!(
        qty,
        [
            Value::Int(1),
            Value::Int(0),
            Value::Int(3),
            Value::Int(0),
            Value::Int(5)
        ]
    );
}

pub async fn crud_update_all_without_where_updates_every_record(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        m.update_all(None, rec(json!({"active": true})), &opts())
            .await
            .unwrap(),
        5
    );
    assert_eq!(
        m.count(Some(Where::eq("active", true)), &opts())
            .await
            .unwrap(),
        5
    );
}

pub async fn crud_update_all_without_match_is_zero(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        m.update_all(
            Some(Where::eq("name", "omega")),
            rec(json!({"qty": 9})),
            &opts()
        )
        .await
        .unwrap(),
        0
    );
    assert_eq!(
        m.count(Some(Where::eq("qty", 9)), &opts()).await.unwrap(),
        0
    );
}

pub async fn crud_update_all_coerces_data(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    m.update_all(
        Some(Where::eq("id", 1)),
        rec(json!({"qty": "11", "born": "2024-05-06T00:00:00Z"})),
        &opts(),
    )
    .await
    .unwrap();
    let r = stored(&m, 1).await.unwrap();
    assert_eq!(r.get("qty"), Some(&Value::Int(11)));
    assert_eq!(to_json(&r)["born"], json!("2024-05-06T00:00:00.000Z"));
    assert_eq!(
        m.count(Some(where_(&m, json!({"qty": {"gt": 10}}))), &opts())
            .await
            .unwrap(),
        1
    );
}

pub async fn crud_update_all_null_clears_property(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    m.update_all(Some(Where::eq("id", 2)), rec(json!({"tag": null})), &opts())
        .await
        .unwrap();
    let r = stored(&m, 2).await.unwrap();
    assert!(r.get("tag").map_or(true, Value::is_null));
    assert_eq!(
        sorted_ids(&find_where(&m, Where::eq("tag", Value::Null)).await),
        [2, 3]
    );
}

pub async fn crud_update_all_refuses_id_under_force_id(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let err = m
        .update_all(Some(Where::eq("id", 1)), rec(json!({"id": 77})), &opts())
        .await
        .unwrap_err();
    assert_eq!(err.status(), 422);
    assert_eq!(codes(&err), json!({"id": ["absence"]}));
    assert!(stored(&m, 1).await.is_some());
    assert!(stored(&m, 77).await.is_none());
}

pub async fn crud_destroy_all_with_where_returns_count(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        m.destroy_all(Some(where_(&m, json!({"qty": {"lte": 2}}))), &opts())
            .await
            .unwrap(),
        2
    );
    assert_eq!(sorted_ids(&all(&m).await), [3, 4, 5]);
    assert_eq!(
        m.destroy_all(Some(Where::eq("name", "alpha")), &opts())
            .await
            .unwrap(),
        0
    );
}

pub async fn crud_destroy_all_without_where_empties_model(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(m.destroy_all(None, &opts()).await.unwrap(), 5);
    assert_eq!(count(&m).await, 0);
    assert_eq!(m.destroy_all(None, &opts()).await.unwrap(), 0);
}

pub async fn crud_destroy_by_id_counts_one_then_zero(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(m.destroy_by_id(Value::Int(3), &opts()).await.unwrap(), 1);
    assert_eq!(m.destroy_by_id(Value::Int(3), &opts()).await.unwrap(), 0);
    assert_eq!(m.destroy_by_id(Value::from("4"), &opts()).await.unwrap(), 1);
    assert_eq!(sorted_ids(&all(&m).await), [1, 2, 5]);
}

pub async fn crud_upsert_without_id_creates(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let up = m
        .upsert(rec(json!({"name": "zeta", "qty": 6})), &opts())
        .await
        .unwrap();
    assert!(up.created);
    assert_eq!(count(&m).await, 6);
    let got = stored(&m, id_of(&up.instance)).await.unwrap();
    assert_eq!(got.get("name"), Some(&Value::from("zeta")));
}

pub async fn crud_upsert_existing_patches_given_properties_only(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let up = m
        .upsert(rec(json!({"id": 2, "qty": 20})), &opts())
        .await
        .unwrap();
    assert!(!up.created);
    assert_eq!(id_of(&up.instance), 2);
    assert_eq!(up.instance.get("qty"), Some(&Value::Int(20)));
    assert_eq!(up.instance.get("name"), Some(&Value::from("beta")));
    let r = stored(&m, 2).await.unwrap();
    assert_eq!(r.get("qty"), Some(&Value::Int(20)));
    assert_eq!(r.get("name"), Some(&Value::from("beta")));
    assert_eq!(r.get("tag"), Some(&Value::from("y")));
    assert_eq!(count(&m).await, 5);
}

pub async fn crud_upsert_null_clears_property(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    m.upsert(rec(json!({"id": 1, "tag": null})), &opts())
        .await
        .unwrap();
    let r = stored(&m, 1).await.unwrap();
    assert!(r.get("tag").map_or(true, Value::is_null));
    assert_eq!(r.get("name"), Some(&Value::from("alpha")));
}

pub async fn crud_upsert_unknown_id_creates_when_force_id_false(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.define(item_json(Some(false), None)).await;
    let up = m
        .upsert(rec(json!({"id": 10, "name": "ten"})), &opts())
        .await
        .unwrap();
    assert!(up.created);
    assert_eq!(id_of(&up.instance), 10);
    assert_eq!(
        stored(&m, 10).await.unwrap().get("name"),
        Some(&Value::from("ten"))
    );
    let up = m
        .upsert(rec(json!({"id": 10, "qty": 1})), &opts())
        .await
        .unwrap();
    assert!(!up.created);
    assert_eq!(
        to_json(&stored(&m, 10).await.unwrap()),
        json!({"id": 10, "name": "ten", "qty": 1})
    );
}

pub async fn crud_upsert_unknown_id_under_force_id_is_404(fx: Fixture) {
    // LB3: with forceId (the default for generated ids) upsert is findById + updateAttributes,
    // so a client cannot pick the id of a new record.
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let err = m
        .upsert(rec(json!({"id": 10, "name": "ten"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(err.status(), 404);
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert_eq!(count(&m).await, 5);
    assert!(stored(&m, 10).await.is_none());
}

pub async fn crud_upsert_validate_upsert_true_rejects_invalid(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.define(item_json(Some(false), Some(true))).await;
    m.create(rec(json!({"id": 1, "name": "one"})), &opts())
        .await
        .unwrap();
    let err = m
        .upsert(rec(json!({"id": 1, "name": ""})), &opts())
        .await
        .unwrap_err();
    assert_eq!(err.status(), 422);
    assert_eq!(codes(&err), json!({"name": ["presence"]}));
    assert_eq!(
        stored(&m, 1).await.unwrap().get("name"),
        Some(&Value::from("one"))
    );
    let err = m
        .upsert(rec(json!({"id": 2, "qty": 1})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"name": ["presence"]}));
    assert_eq!(count(&m).await, 1);
    // With forceId the update branch is a patch, validated under the same option.
    let forced = env
        .define(json!({
            "name": "Gizmo",
            "options": {"validateUpsert": true},
            "properties": {"name": {"type": "string", "required": true}}
        }))
        .await;
    let g = forced
        .create(rec(json!({"name": "g"})), &opts())
        .await
        .unwrap();
    let err = forced
        .upsert(rec(json!({"id": id_of(&g), "name": ""})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"name": ["presence"]}));
    assert_eq!(
        stored(&forced, id_of(&g)).await.unwrap().get("name"),
        Some(&Value::from("g"))
    );
}

pub async fn crud_upsert_skips_validation_without_validate_upsert(fx: Fixture) {
    // LB3 only warns about invalid upserts unless `validateUpsert` is true.
    let env = Env::new(fx);
    let m = env.define(item_json(Some(false), None)).await;
    m.create(rec(json!({"id": 1, "name": "one"})), &opts())
        .await
        .unwrap();
    let up = m
        .upsert(rec(json!({"id": 1, "name": ""})), &opts())
        .await
        .unwrap();
    assert_eq!(up.instance.get("name"), Some(&Value::from("")));
    assert_eq!(
        stored(&m, 1).await.unwrap().get("name"),
        Some(&Value::from(""))
    );
}

pub async fn crud_replace_or_create_replaces_whole_record(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.define(item_json(Some(false), None)).await;
    m.create(
        rec(json!({"id": 1, "name": "one", "qty": 1, "note": "keep?"})),
        &opts(),
    )
    .await
    .unwrap();
    let up = m
        .replace_or_create(rec(json!({"id": 1, "name": "uno"})), &opts())
        .await
        .unwrap();
    assert!(!up.created);
    let r = stored(&m, 1).await.unwrap();
    assert_eq!(r.get("name"), Some(&Value::from("uno")));
    assert!(
        r.get("qty").map_or(true, Value::is_null),
        "replace drops absent properties: {r:?}"
    );
    assert!(
        r.get("note").map_or(true, Value::is_null),
        "replace drops absent properties: {r:?}"
    );
    assert_eq!(count(&m).await, 1);
}

pub async fn crud_replace_or_create_creates_with_given_id(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.define(item_json(Some(false), None)).await;
    let up = m
        .replace_or_create(rec(json!({"id": 11, "name": "eleven"})), &opts())
        .await
        .unwrap();
    assert!(up.created);
    assert_eq!(id_of(&up.instance), 11);
    assert_eq!(
        stored(&m, 11).await.unwrap().get("name"),
        Some(&Value::from("eleven"))
    );
}

pub async fn crud_replace_or_create_without_id_creates(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let up = m
        .replace_or_create(rec(json!({"name": "zeta"})), &opts())
        .await
        .unwrap();
    assert!(up.created);
    assert_eq!(count(&m).await, 6);
}

pub async fn crud_replace_or_create_unknown_id_under_force_id_is_404(fx: Fixture) {
    // LB3: with forceId, replaceOrCreate is replaceById.
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let err = m
        .replace_or_create(rec(json!({"id": 12, "name": "twelve"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(err.status(), 404);
    assert_eq!(err.code(), Some("MODEL_NOT_FOUND"));
    assert_eq!(count(&m).await, 5);
    let up = m
        .replace_or_create(rec(json!({"id": 1, "name": "first"})), &opts())
        .await
        .unwrap();
    assert!(!up.created);
    assert_eq!(
        to_json(&stored(&m, 1).await.unwrap()),
        json!({"id": 1, "name": "first"})
    );
}

pub async fn crud_replace_or_create_validates(fx: Fixture) {
    // replaceOrCreate validates whatever `validateUpsert` says, as in LB3.
    let env = Env::new(fx);
    let m = env.define(item_json(Some(false), Some(false))).await;
    m.create(rec(json!({"id": 1, "name": "one"})), &opts())
        .await
        .unwrap();
    let err = m
        .replace_or_create(rec(json!({"id": 1, "qty": 2})), &opts())
        .await
        .unwrap_err();
    assert_eq!(codes(&err), json!({"name": ["presence"]}));
    assert_eq!(
        stored(&m, 1).await.unwrap().get("name"),
        Some(&Value::from("one"))
    );
}

pub async fn crud_upsert_with_where_creates_without_match(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let up = m
        .upsert_with_where(
            Some(Where::eq("name", "zeta")),
            rec(json!({"name": "zeta", "qty": 6})),
            &opts(),
        )
        .await
        .unwrap();
    assert!(up.created);
    assert_eq!(count(&m).await, 6);
    assert_eq!(
        stored(&m, id_of(&up.instance)).await.unwrap().get("qty"),
        Some(&Value::Int(6))
    );
}

pub async fn crud_upsert_with_where_patches_single_match(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let up = m
        .upsert_with_where(
            Some(where_(&m, json!({"name": "gamma"}))),
            rec(json!({"qty": 33})),
            &opts(),
        )
        .await
        .unwrap();
    assert!(!up.created);
    assert_eq!(id_of(&up.instance), 3);
    let r = stored(&m, 3).await.unwrap();
    assert_eq!(r.get("qty"), Some(&Value::Int(33)));
    assert_eq!(r.get("price"), Some(&Value::Int(30)));
    assert_eq!(count(&m).await, 5);
}

pub async fn crud_upsert_with_where_many_matches_is_400(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let err = m
        .upsert_with_where(
            Some(Where::eq("active", true)),
            rec(json!({"qty": 0})),
            &opts(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), 400);
    assert_eq!(
        err.to_string(),
        "There are multiple instances found.Upsert Operation will not be performed!"
    );
    assert_eq!(
        m.count(Some(Where::eq("qty", 0)), &opts()).await.unwrap(),
        0
    );
}

pub async fn crud_upsert_with_where_empty_data_is_400(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let err = m
        .upsert_with_where(Some(Where::eq("name", "alpha")), rec(json!({})), &opts())
        .await
        .unwrap_err();
    assert_eq!(err.status(), 400);
    assert_eq!(err.to_string(), "data object cannot be empty!");
}

pub async fn crud_find_or_create_returns_existing(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let r = m
        .find_or_create(
            Filter::with_where(Where::eq("name", "beta")),
            rec(json!({"name": "beta", "qty": 99})),
            &opts(),
        )
        .await
        .unwrap();
    assert!(!r.created);
    assert_eq!(id_of(&r.instance), 2);
    assert_eq!(r.instance.get("qty"), Some(&Value::Int(2)));
    assert_eq!(count(&m).await, 5);
}

pub async fn crud_find_or_create_creates_when_absent(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let r = m
        .find_or_create(
            Filter::with_where(Where::eq("name", "zeta")),
            rec(json!({"name": "zeta", "qty": 6})),
            &opts(),
        )
        .await
        .unwrap();
    assert!(r.created);
    assert_eq!(count(&m).await, 6);
    let again = m
        .find_or_create(
            Filter::with_where(Where::eq("name", "zeta")),
            rec(json!({"name": "zeta", "qty": 7})),
            &opts(),
        )
        .await
        .unwrap();
    assert!(!again.created);
    assert_eq!(id_of(&again.instance), id_of(&r.instance));
    assert_eq!(again.instance.get("qty"), Some(&Value::Int(6)));
}

pub async fn crud_find_or_create_json_filter(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let f = filter(
        &m,
        json!({"where": {"qty": {"gte": 4}}, "order": "qty ASC"}),
    );
    let r = m
        .find_or_create(f, rec(json!({"name": "never"})), &opts())
        .await
        .unwrap();
    assert!(!r.created);
    assert_eq!(id_of(&r.instance), 4);
}

pub async fn crud_replace_by_id_replaces_whole_record(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let r = m
        .replace_by_id(
            Value::Int(2),
            rec(json!({"name": "bravo", "qty": 22})),
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(to_json(&r), json!({"id": 2, "name": "bravo", "qty": 22}));
    assert_eq!(
        to_json(&stored(&m, 2).await.unwrap()),
        json!({"id": 2, "name": "bravo", "qty": 22})
    );
    assert_eq!(count(&m).await, 5);
}

pub async fn crud_replace_by_id_unknown_id_is_404_model_not_found(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let err = m
        .replace_by_id(Value::Int(99), rec(json!({"name": "x"})), &opts())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert_eq!(err.status(), 404);
    assert_eq!(err.code(), Some("MODEL_NOT_FOUND"));
    assert_eq!(count(&m).await, 5);
}

pub async fn crud_replace_by_id_conflicting_id_is_400(fx: Fixture) {
    // LB3: "id property (id) cannot be updated from 2 to 3".
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let err = m
        .replace_by_id(Value::Int(2), rec(json!({"id": 3, "name": "x"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(err.status(), 400);
    assert_eq!(
        stored(&m, 2).await.unwrap().get("name"),
        Some(&Value::from("beta"))
    );
    assert_eq!(
        stored(&m, 3).await.unwrap().get("name"),
        Some(&Value::from("gamma"))
    );
    let same = m
        .replace_by_id(
            Value::Int(2),
            rec(json!({"id": "2", "name": "two"})),
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(same.get("name"), Some(&Value::from("two")));
}

pub async fn crud_patch_by_id_updates_and_returns_merged(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let r = m
        .patch_by_id(Value::Int(4), rec(json!({"price": 44.5})), &opts())
        .await
        .unwrap();
    assert_eq!(r.get("price"), Some(&Value::Float(44.5)));
    assert_eq!(r.get("name"), Some(&Value::from("delta")));
    assert_eq!(
        stored(&m, 4).await.unwrap().get("price"),
        Some(&Value::Float(44.5))
    );
}

pub async fn crud_patch_by_id_unknown_id_is_404(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let err = m
        .patch_by_id(Value::Int(99), rec(json!({"qty": 1})), &opts())
        .await
        .unwrap_err();
    assert_eq!(err.status(), 404);
    assert_eq!(err.code(), Some("MODEL_NOT_FOUND"));
    assert_eq!(
        m.count(Some(Where::eq("qty", 1)), &opts()).await.unwrap(),
        1
    );
}

pub async fn crud_patch_attributes_merges(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let inst = stored(&m, 1).await.unwrap();
    let r = m
        .patch_attributes(&inst, rec(json!({"qty": 100, "tag": null})), &opts())
        .await
        .unwrap();
    assert_eq!(r.get("qty"), Some(&Value::Int(100)));
    assert_eq!(r.get("name"), Some(&Value::from("alpha")));
    assert!(r.get("tag").map_or(true, Value::is_null));
    let s = stored(&m, 1).await.unwrap();
    assert_eq!(s.get("qty"), Some(&Value::Int(100)));
    assert_eq!(s.get("price"), Some(&Value::Float(10.5)));
    assert!(s.get("tag").map_or(true, Value::is_null));
}

pub async fn crud_patch_attributes_cannot_change_id(fx: Fixture) {
    // LB3: 400 "id cannot be updated from 1 to 9 when forceId is set to true".
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let inst = stored(&m, 1).await.unwrap();
    let err = m
        .patch_attributes(&inst, rec(json!({"id": 9, "qty": 2})), &opts())
        .await
        .unwrap_err();
    assert_eq!(err.status(), 400);
    assert!(stored(&m, 9).await.is_none());
    assert_eq!(
        stored(&m, 1).await.unwrap().get("qty"),
        Some(&Value::Int(1))
    );
    let same = m
        .patch_attributes(&inst, rec(json!({"id": 1, "qty": 2})), &opts())
        .await
        .unwrap();
    assert_eq!(same.get("qty"), Some(&Value::Int(2)));
}

pub async fn crud_save_existing_writes_every_property(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let mut inst = stored(&m, 3).await.unwrap();
    inst.insert("qty", 300);
    inst.remove("tag");
    let saved = m.save(inst, &opts()).await.unwrap();
    assert_eq!(saved.get("qty"), Some(&Value::Int(300)));
    let s = stored(&m, 3).await.unwrap();
    assert_eq!(s.get("qty"), Some(&Value::Int(300)));
    assert_eq!(s.get("name"), Some(&Value::from("gamma")));
    assert_eq!(count(&m).await, 5);
}

pub async fn crud_save_without_id_creates(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let saved = m.save(rec(json!({"name": "zeta"})), &opts()).await.unwrap();
    assert!(id_of(&saved) > 5);
    assert_eq!(count(&m).await, 6);
}

pub async fn crud_save_unknown_id_under_force_id_is_422(fx: Fixture) {
    // LB3: saving an instance that is not persisted is a create, and forceId refuses the id.
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let err = m
        .save(rec(json!({"id": 50, "name": "fifty"})), &opts())
        .await
        .unwrap_err();
    assert_eq!(err.status(), 422);
    assert_eq!(codes(&err), json!({"id": ["absence"]}));
    assert_eq!(count(&m).await, 5);
}

pub async fn crud_replace_attributes_replaces(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let inst = stored(&m, 5).await.unwrap();
    let r = m
        .replace_attributes(&inst, rec(json!({"name": "eps", "active": false})), &opts())
        .await
        .unwrap();
    assert_eq!(
        to_json(&r),
        json!({"id": 5, "name": "eps", "active": false})
    );
    assert_eq!(
        to_json(&stored(&m, 5).await.unwrap()),
        json!({"id": 5, "name": "eps", "active": false})
    );
}

pub async fn crud_delete_instance_removes_it(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let inst = stored(&m, 2).await.unwrap();
    assert_eq!(m.delete_instance(&inst, &opts()).await.unwrap(), 1);
    assert!(stored(&m, 2).await.is_none());
    assert_eq!(m.delete_instance(&inst, &opts()).await.unwrap(), 0);
    assert_eq!(count(&m).await, 4);
}

pub async fn crud_reload_returns_stored_version(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let inst = stored(&m, 1).await.unwrap();
    m.update_all(Some(Where::eq("id", 1)), rec(json!({"qty": 10})), &opts())
        .await
        .unwrap();
    let fresh = m.reload(&inst, &opts()).await.unwrap().unwrap();
    assert_eq!(fresh.get("qty"), Some(&Value::Int(10)));
    m.destroy_by_id(Value::Int(1), &opts()).await.unwrap();
    assert_eq!(m.reload(&inst, &opts()).await.unwrap(), None);
}

pub async fn crud_models_on_one_data_source_are_isolated(fx: Fixture) {
    let env = Env::new(fx);
    let p = env.seeded_product().await;
    let i = env.define(item_json(None, None)).await;
    i.create(rec(json!({"name": "item"})), &opts())
        .await
        .unwrap();
    assert_eq!(count(&p).await, 5);
    assert_eq!(count(&i).await, 1);
    assert_eq!(i.destroy_all(None, &opts()).await.unwrap(), 1);
    assert_eq!(count(&p).await, 5);
    assert_eq!(names(&all(&i).await), Vec::<String>::new());
}
