//! `order`, `limit`, `skip`/`offset` (juggler basic-querying).
//!
//! The seed data holds no nulls in the ordered properties: connectors disagree on where nulls
//! sort, and LB3 does not define it.

use loopback::{Direction, Filter};
use serde_json::json;

use super::*;

async fn find(m: &loopback::ModelHandle, f: Filter) -> Vec<i64> {
    ids(&m.find(f, &opts()).await.unwrap())
}

async fn find_j(m: &loopback::ModelHandle, j: serde_json::Value) -> Vec<i64> {
    ids(&m.find(filter(m, j), &opts()).await.unwrap())
}

pub async fn order_numbers_ascending(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        find(&m, Filter::new().order_by("qty", Direction::Asc)).await,
        [1, 2, 3, 4, 5]
    );
    assert_eq!(
        find_j(&m, json!({"order": "qty ASC"})).await,
        [1, 2, 3, 4, 5]
    );
    assert_eq!(
        find_j(&m, json!({"order": "id ASC"})).await,
        [1, 2, 3, 4, 5]
    );
}

pub async fn order_numbers_descending(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        find(&m, Filter::new().order_by("qty", Direction::Desc)).await,
        [5, 4, 3, 2, 1]
    );
    assert_eq!(
        find_j(&m, json!({"order": "id DESC"})).await,
        [5, 4, 3, 2, 1]
    );
}

pub async fn order_strings(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        find(&m, Filter::new().order_by("name", Direction::Asc)).await,
        [1, 2, 4, 5, 3]
    );
    assert_eq!(
        find_j(&m, json!({"order": "name DESC"})).await,
        [3, 5, 4, 2, 1]
    );
}

pub async fn order_dates(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        find(&m, Filter::new().order_by("born", Direction::Asc)).await,
        [4, 1, 2, 3, 5]
    );
    assert_eq!(
        find_j(&m, json!({"order": "born DESC"})).await,
        [5, 3, 2, 1, 4]
    );
}

pub async fn order_floats(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    m.create(rec(json!({"name": "zeta", "price": 20.5})), &opts())
        .await
        .unwrap();
    assert_eq!(
        find(&m, Filter::new().order_by("price", Direction::Asc)).await,
        [1, 2, 6, 3, 4, 5]
    );
    assert_eq!(
        find_j(&m, json!({"order": "price DESC"})).await,
        [5, 4, 3, 6, 2, 1]
    );
}

pub async fn order_multiple_keys(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let f = Filter::new()
        .order_by("active", Direction::Desc)
        .order_by("qty", Direction::Desc);
    assert_eq!(find(&m, f).await, [5, 3, 1, 4, 2]);
    assert_eq!(
        find_j(&m, json!({"order": ["active ASC", "name DESC"]})).await,
        [4, 2, 3, 5, 1]
    );
    let f = Filter::new()
        .order_by("tag", Direction::Asc)
        .order_by("id", Direction::Desc);
    let w = loopback::Where::cond("tag", loopback::Condition::Neq(loopback::Value::Null));
    assert_eq!(
        find(
            &m,
            Filter {
                where_: Some(w),
                ..f
            }
        )
        .await,
        [5, 1, 4, 2]
    );
}

pub async fn order_json_forms(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        find_j(&m, json!({"order": ["qty DESC"]})).await,
        [5, 4, 3, 2, 1]
    );
    assert_eq!(
        find_j(&m, json!({"order": "active DESC, qty ASC"})).await,
        [1, 3, 5, 2, 4]
    );
    assert_eq!(
        find_j(&m, json!({"order": "name"})).await,
        [1, 2, 4, 5, 3],
        "no direction means ascending"
    );
}

pub async fn order_direction_is_case_insensitive(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        find_j(&m, json!({"order": "qty desc"})).await,
        [5, 4, 3, 2, 1]
    );
    assert_eq!(
        find_j(&m, json!({"order": "qty Asc"})).await,
        [1, 2, 3, 4, 5]
    );
}

pub async fn page_limit(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        find(&m, Filter::new().order_by("qty", Direction::Asc).limit(2)).await,
        [1, 2]
    );
    assert_eq!(
        find_j(&m, json!({"limit": 3, "order": "qty DESC"})).await,
        [5, 4, 3]
    );
    assert_eq!(
        find_j(
            &m,
            json!({"limit": 1, "where": {"active": false}, "order": "id"})
        )
        .await,
        [2]
    );
}

pub async fn page_skip_with_limit(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        find(
            &m,
            Filter::new()
                .order_by("qty", Direction::Desc)
                .skip(1)
                .limit(2)
        )
        .await,
        [4, 3]
    );
    assert_eq!(
        find_j(&m, json!({"skip": 3, "limit": 10, "order": "id"})).await,
        [4, 5]
    );
}

pub async fn page_through_results(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let mut pages = Vec::new();
    for skip in [0, 2, 4, 6] {
        pages.push(
            find(
                &m,
                Filter::new()
                    .order_by("id", Direction::Asc)
                    .limit(2)
                    .skip(skip),
            )
            .await,
        );
    }
    assert_eq!(pages, [vec![1, 2], vec![3, 4], vec![5], vec![]]);
}

pub async fn page_offset_alias(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        find_j(&m, json!({"offset": 3, "limit": 5, "order": "id"})).await,
        [4, 5]
    );
    assert_eq!(
        find_j(&m, json!({"offset": 3, "order": "id"})).await,
        [4, 5]
    );
}

pub async fn page_skip_without_limit_returns_100(fx: Fixture) {
    // juggler 3.x: a skip/offset without a limit gets `limit: 100`.
    let env = Env::new(fx);
    let m = env
        .define(json!({"name": "Counter", "properties": {"n": "number"}}))
        .await;
    m.create_many((0..150).map(|n| rec(json!({"n": n}))).collect(), &opts())
        .await
        .unwrap();
    assert_eq!(count(&m).await, 150);
    assert_eq!(
        m.find(Filter::new(), &opts()).await.unwrap().len(),
        150,
        "no skip: no implicit limit"
    );
    let page = m
        .find(
            Filter::new().order_by("n", Direction::Asc).skip(10),
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(page.len(), 100);
    assert_eq!(page[0].get("n"), Some(&loopback::Value::Int(10)));
    assert_eq!(page[99].get("n"), Some(&loopback::Value::Int(109)));
    assert_eq!(
        m.find(filter(&m, json!({"skip": 20})), &opts())
            .await
            .unwrap()
            .len(),
        100
    );
    assert_eq!(
        m.find(filter(&m, json!({"offset": 120})), &opts())
            .await
            .unwrap()
            .len(),
        30
    );
    assert_eq!(
        m.find(filter(&m, json!({"skip": 20, "limit": 120})), &opts())
            .await
            .unwrap()
            .len(),
        120
    );
}

pub async fn page_limit_beyond_rows(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        find(&m, Filter::new().order_by("id", Direction::Asc).limit(50)).await,
        [1, 2, 3, 4, 5]
    );
}

pub async fn page_skip_beyond_rows(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert!(find(
        &m,
        Filter::new()
            .order_by("id", Direction::Asc)
            .skip(10)
            .limit(5)
    )
    .await
    .is_empty());
    assert!(find_j(&m, json!({"skip": 5})).await.is_empty());
}

pub async fn page_find_one_honours_order_and_skip(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let r = m
        .find_one(
            Filter::new().order_by("qty", Direction::Desc).skip(1),
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(r.map(|r| id_of(&r)), Some(4));
    let r = m
        .find_one(
            filter(&m, json!({"order": "born ASC", "where": {"active": true}})),
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(r.map(|r| id_of(&r)), Some(1));
}
