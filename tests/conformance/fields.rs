//! `fields`: inclusion and exclusion lists (juggler basic-querying).

use loopback::{Filter, Value, Where};
use serde_json::json;

use super::*;

fn jsons(rows: &[Record]) -> Vec<serde_json::Value> {
    rows.iter().map(to_json).collect()
}

pub async fn fields_include_list(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let f = Filter::with_where(Where::eq("qty", 1)).fields(["name", "qty"]);
    let rows = m.find(f, &opts()).await.unwrap();
    assert_eq!(jsons(&rows), [json!({"name": "alpha", "qty": 1})]);
    assert_eq!(
        rows[0].keys().count(),
        2,
        "only the selected properties: {:?}",
        rows[0]
    );
}

pub async fn fields_exclude_list(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let f = Filter::with_where(Where::eq("qty", 2)).exclude_fields(["born", "price", "tag"]);
    let rows = m.find(f, &opts()).await.unwrap();
    assert_eq!(
        jsons(&rows),
        [json!({"id": 2, "name": "beta", "qty": 2, "active": false})]
    );
    assert!(!rows[0].contains_key("born"));
}

pub async fn fields_json_object_true(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let rows = find_json(
        &m,
        json!({"fields": {"id": true, "name": true}, "where": {"qty": {"lte": 2}}}),
    )
    .await;
    assert_eq!(
        jsons(&rows),
        [
            json!({"id": 1, "name": "alpha"}),
            json!({"id": 2, "name": "beta"})
        ]
    );
}

pub async fn fields_json_object_false(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let rows = find_json(
        &m,
        json!({"fields": {"born": false, "price": false}, "where": {"qty": 1}}),
    )
    .await;
    assert_eq!(
        jsons(&rows),
        [json!({"id": 1, "name": "alpha", "qty": 1, "active": true, "tag": "x"})]
    );
}

pub async fn fields_json_array(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let f = filter(
        &m,
        json!({"fields": ["name"], "where": {"tag": "x"}, "order": "name DESC"}),
    );
    let rows = m.find(f, &opts()).await.unwrap();
    assert_eq!(
        jsons(&rows),
        [json!({"name": "epsilon"}), json!({"name": "alpha"})]
    );
}

pub async fn fields_with_where_and_order_on_unselected_property(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let f = filter(
        &m,
        json!({"fields": {"name": true}, "where": {"qty": {"gt": 3}}, "order": "qty DESC"}),
    );
    let rows = m.find(f, &opts()).await.unwrap();
    assert_eq!(
        jsons(&rows),
        [json!({"name": "epsilon"}), json!({"name": "delta"})]
    );
}

pub async fn fields_on_find_by_id(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let r = m
        .find_by_id(
            Value::Int(2),
            Some(Filter::new().fields(["name", "tag"])),
            &opts(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(to_json(&r), json!({"name": "beta", "tag": "y"}));
    let r = m
        .find_by_id(
            Value::Int(3),
            Some(Filter::new().exclude_fields(["born"])),
            &opts(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        to_json(&r),
        json!({"id": 3, "name": "gamma", "qty": 3, "price": 30, "active": true})
    );
}

pub async fn fields_on_find_one(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let r = m
        .find_one(
            filter(&m, json!({"fields": ["id"], "order": "qty DESC"})),
            &opts(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(to_json(&r), json!({"id": 5}));
}
