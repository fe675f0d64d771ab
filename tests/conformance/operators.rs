//! Every where operator, built in Rust and parsed from JSON (juggler basic-querying, datatype and
//! geo suites).
//!
//! Expected results were checked against LB3's memory connector with the same data, except
//! where a comment names an LB3 memory-connector bug.

use loopback::filter::{Near, RegexpPattern};
use loopback::value::DistanceUnit;
use loopback::{Condition, Filter, GeoPoint, Value, Where};
use serde_json::json;

use super::*;

fn cond(p: &str, c: Condition) -> Where {
    Where::cond(p, c)
}

fn regexp(source: &str, case_insensitive: bool) -> Condition {
    Condition::Regexp(RegexpPattern {
        source: source.into(),
        case_insensitive,
        global: false,
        multiline: false,
    })
}

fn date(s: &str) -> Value {
    Value::Date(loopback::value::parse_date(s).expect("a date"))
}

pub async fn op_eq_string(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(ids(&find_where(&m, Where::eq("name", "gamma")).await), [3]);
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"tag": "y"}})).await),
        [2, 4]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"name": {"eq": "delta"}}})).await),
        [4]
    );
    assert!(
        find_where(&m, Where::eq("name", "Gamma")).await.is_empty(),
        "equality is case-sensitive"
    );
}

pub async fn op_eq_number_json(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(ids(&find_json(&m, json!({"where": {"qty": 3}})).await), [3]);
    assert_eq!(ids(&find_json(&m, json!({"where": {"id": 5}})).await), [5]);
    assert_eq!(ids(&find_where(&m, Where::eq("price", 20)).await), [2]);
    assert_eq!(ids(&find_where(&m, Where::eq("price", 20.0)).await), [2]);
    assert_eq!(ids(&find_where(&m, Where::eq("price", 10.5)).await), [1]);
}

pub async fn op_eq_null_matches_null_and_missing(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    m.create(rec(json!({"name": "zeta"})), &opts())
        .await
        .unwrap();
    assert_eq!(
        ids(&find_where(&m, Where::eq("tag", Value::Null)).await),
        [3, 6]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"tag": null}})).await),
        [3, 6]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"qty": null}})).await),
        [6]
    );
}

pub async fn op_neq(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"name": {"neq": "alpha"}}})).await),
        [2, 3, 4, 5]
    );
    assert_eq!(
        ids(&find_where(&m, cond("qty", Condition::Neq(Value::Int(2)))).await),
        [1, 3, 4, 5]
    );
    assert_eq!(
        ids(&find_where(&m, cond("active", Condition::Neq(Value::Bool(true)))).await),
        [2, 4]
    );
}

pub async fn op_neq_null(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"tag": {"neq": null}}})).await),
        [1, 2, 4, 5]
    );
    assert_eq!(
        ids(&find_where(&m, cond("tag", Condition::Neq(Value::Null))).await),
        [1, 2, 4, 5]
    );
}

pub async fn op_negative_operators_match_null(fx: Fixture) {
    // A null or missing value differs from every value: `neq`, `nin`, `nlike`, `nilike` and
    // `nor` match it; `eq`, comparisons and patterns do not; `inq`/`nin` lists may name null.
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    m.create(rec(json!({"name": "zeta"})), &opts())
        .await
        .unwrap();
    let found = |j: serde_json::Value| {
        let m = m.clone();
        async move { ids(&find_json(&m, json!({"where": j})).await) }
    };
    assert_eq!(found(json!({"tag": {"neq": "x"}})).await, [2, 3, 4, 6]);
    assert_eq!(found(json!({"tag": {"nin": ["x"]}})).await, [2, 3, 4, 6]);
    assert_eq!(found(json!({"tag": {"nin": ["x", null]}})).await, [2, 4]);
    assert_eq!(
        found(json!({"tag": {"inq": ["x", null]}})).await,
        [1, 3, 5, 6]
    );
    assert_eq!(found(json!({"tag": {"nlike": "x%"}})).await, [2, 3, 4, 6]);
    assert_eq!(found(json!({"tag": {"like": "%"}})).await, [1, 2, 4, 5]);
    assert_eq!(found(json!({"qty": {"gt": 1}})).await, [2, 3, 4, 5]);
    assert_eq!(found(json!({"qty": {"lte": 5}})).await, [1, 2, 3, 4, 5]);
    assert_eq!(
        found(json!({"nor": [{"tag": "x"}, {"qty": {"gt": 3}}]})).await,
        [2, 3, 6]
    );
    assert_eq!(
        found(json!({"nor": [{"nor": [{"tag": "y"}]}]})).await,
        [2, 4],
        "a double negation is the condition itself"
    );
    if env.caps().ilike {
        assert_eq!(found(json!({"tag": {"nilike": "X%"}})).await, [2, 3, 4, 6]);
    }
}

pub async fn op_gt_and_gte(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        ids(&find_where(&m, cond("qty", Condition::Gt(Value::Int(3)))).await),
        [4, 5]
    );
    assert_eq!(
        ids(&find_where(&m, cond("qty", Condition::Gte(Value::Int(3)))).await),
        [3, 4, 5]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"qty": {"gt": 4}}})).await),
        [5]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"qty": {"gte": 5}}})).await),
        [5]
    );
    assert!(find_json(&m, json!({"where": {"qty": {"gt": 5}}}))
        .await
        .is_empty());
}

pub async fn op_lt_and_lte(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        ids(&find_where(&m, cond("qty", Condition::Lt(Value::Int(3)))).await),
        [1, 2]
    );
    assert_eq!(
        ids(&find_where(&m, cond("qty", Condition::Lte(Value::Int(3)))).await),
        [1, 2, 3]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"qty": {"lt": 2}}})).await),
        [1]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"qty": {"lte": 1}}})).await),
        [1]
    );
    assert!(find_json(&m, json!({"where": {"qty": {"lt": 1}}}))
        .await
        .is_empty());
}

pub async fn op_float_comparison(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        ids(&find_where(&m, cond("price", Condition::Gt(Value::Float(10.5)))).await),
        [2, 3, 4, 5]
    );
    assert_eq!(
        ids(&find_where(&m, cond("price", Condition::Gte(Value::Float(10.5)))).await),
        [1, 2, 3, 4, 5]
    );
    assert_eq!(
        ids(&find_where(&m, cond("price", Condition::Lt(Value::Float(50.25)))).await),
        [1, 2, 3, 4]
    );
    assert_eq!(
        ids(&find_where(&m, cond("price", Condition::Lte(Value::Float(50.25)))).await),
        [1, 2, 3, 4, 5]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"price": {"gt": 20.0}}})).await),
        [3, 4, 5]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"price": {"lt": 20.000001}}})).await),
        [1, 2]
    );
}

pub async fn op_two_operators_on_one_property(fx: Fixture) {
    // Both operators apply. (LB3's memory connector evaluates only the first one and returns
    // 2, 3, 4, 5 here; its SQL connectors AND them.)
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"qty": {"gte": 2, "lt": 4}}})).await),
        [2, 3]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"price": {"gt": 10.5, "lte": 40}}})).await),
        [2, 3, 4]
    );
    let w =
        cond("qty", Condition::Gt(Value::Int(1))).and(cond("qty", Condition::Lt(Value::Int(5))));
    assert_eq!(ids(&find_where(&m, w).await), [2, 3, 4]);
}

pub async fn op_between_is_inclusive(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        ids(&find_where(
            &m,
            cond("qty", Condition::Between(Value::Int(2), Value::Int(4)))
        )
        .await),
        [2, 3, 4]
    );
    assert_eq!(
        ids(&find_where(
            &m,
            cond("qty", Condition::Between(Value::Int(5), Value::Int(5)))
        )
        .await),
        [5]
    );
    assert!(find_where(
        &m,
        cond("qty", Condition::Between(Value::Int(4), Value::Int(2)))
    )
    .await
    .is_empty());
}

pub async fn op_between_json(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"price": {"between": [20, 40]}}})).await),
        [2, 3, 4]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"name": {"between": ["b", "e"]}}})).await),
        [2, 4]
    );
}

pub async fn op_inq(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        ids(&find_where(
            &m,
            cond(
                "qty",
                Condition::Inq(vec![Value::Int(1), Value::Int(3), Value::Int(9)])
            )
        )
        .await),
        [1, 3]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"name": {"inq": ["beta", "delta"]}}})).await),
        [2, 4]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"id": {"inq": [5, 1]}}})).await),
        [1, 5]
    );
    assert!(
        find_where(&m, cond("qty", Condition::Inq(vec![])))
            .await
            .is_empty(),
        "an empty inq matches nothing"
    );
}

pub async fn op_inq_json_strings_coerced(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"qty": {"inq": ["1", "5"]}}})).await),
        [1, 5]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"qty": {"nin": ["1", "5"]}}})).await),
        [2, 3, 4]
    );
}

pub async fn op_nin(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"qty": {"nin": [1, 3]}}})).await),
        [2, 4, 5]
    );
    assert_eq!(
        ids(&find_where(
            &m,
            cond(
                "name",
                Condition::Nin(vec!["alpha".into(), "epsilon".into()])
            )
        )
        .await),
        [2, 3, 4]
    );
    assert_eq!(
        ids(&find_where(&m, cond("qty", Condition::Nin(vec![]))).await),
        [1, 2, 3, 4, 5],
        "an empty nin matches everything"
    );
}

pub async fn op_like_contains(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"name": {"like": "%lph%"}}})).await),
        [1]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"name": {"like": "%ta"}}})).await),
        [2, 4]
    );
    assert_eq!(
        ids(&find_where(&m, cond("name", Condition::Like("%a%".into()))).await),
        [1, 2, 3, 4]
    );
}

pub async fn op_like_prefix_and_single_char(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"name": {"like": "ga%"}}})).await),
        [3]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"name": {"like": "d_lta"}}})).await),
        [4]
    );
    assert_eq!(
        ids(&find_where(&m, cond("name", Condition::Like("_eta".into()))).await),
        [2]
    );
    assert_eq!(
        ids(&find_where(&m, cond("name", Condition::Like("epsilon".into()))).await),
        [5]
    );
}

pub async fn op_nlike(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"name": {"nlike": "%ta"}}})).await),
        [1, 3, 5]
    );
    assert_eq!(
        ids(&find_where(&m, cond("name", Condition::NLike("%a%".into()))).await),
        [5]
    );
}

pub async fn op_ilike(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    if !env.caps().ilike {
        assert_not_supported(
            m.find(
                filter(&m, json!({"where": {"name": {"ilike": "%ALPH%"}}})),
                &opts(),
            )
            .await,
        );
        return;
    }
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"name": {"ilike": "%ALPH%"}}})).await),
        [1]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"name": {"ilike": "GA%"}}})).await),
        [3]
    );
    assert_eq!(
        ids(&find_where(&m, cond("name", Condition::ILike("%EL%".into()))).await),
        [4]
    );
}

pub async fn op_nilike(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    if !env.caps().ilike {
        assert_not_supported(
            m.find(
                filter(&m, json!({"where": {"name": {"nilike": "%A%"}}})),
                &opts(),
            )
            .await,
        );
        return;
    }
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"name": {"nilike": "%A%"}}})).await),
        [5]
    );
    assert_eq!(
        ids(&find_where(&m, cond("name", Condition::NILike("%TA".into()))).await),
        [1, 3, 5]
    );
}

pub async fn op_regexp(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    m.create(rec(json!({"name": "Omega"})), &opts())
        .await
        .unwrap();
    if !env.caps().regexp {
        assert_not_supported(
            m.find(
                Filter::with_where(cond("name", regexp("^a", false))),
                &opts(),
            )
            .await,
        );
        return;
    }
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"name": {"regexp": "^[a-d]"}}})).await),
        [1, 2, 4]
    );
    assert_eq!(
        ids(&find_where(&m, cond("name", regexp("a$", false))).await),
        [1, 2, 3, 4, 6]
    );
    assert_eq!(
        ids(&find_where(&m, cond("name", regexp("^Om", false))).await),
        [6]
    );
    assert!(
        find_where(&m, cond("name", regexp("^om", false)))
            .await
            .is_empty(),
        "regexp without `i` is case-sensitive"
    );
    assert_eq!(
        ids(&find_where(&m, cond("name", regexp("l+", false))).await),
        [1, 4, 5]
    );
}

pub async fn op_regexp_with_flags(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    m.create(rec(json!({"name": "Omega"})), &opts())
        .await
        .unwrap();
    let flagged = filter(&m, json!({"where": {"name": {"regexp": "/^OM/i"}}}));
    if !(env.caps().regexp && env.caps().regexp_flags) {
        assert_not_supported(m.find(flagged, &opts()).await);
        return;
    }
    assert_eq!(ids(&m.find(flagged, &opts()).await.unwrap()), [6]);
    assert_eq!(
        ids(&find_where(&m, cond("name", regexp("^GA", true))).await),
        [3]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"name": {"regexp": "/^om/"}}})).await),
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"name": {"regexp": "/A$/i"}}})).await),
        [1, 2, 3, 4, 6]
    );
}

pub async fn op_and(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let w = Where::And(vec![
        cond("qty", Condition::Gt(Value::Int(1))),
        Where::eq("active", true),
    ]);
    assert_eq!(ids(&find_where(&m, w).await), [3, 5]);
    assert_eq!(
        ids(&find_json(
            &m,
            json!({"where": {"and": [{"qty": {"gt": 1}}, {"active": true}]}})
        )
        .await),
        [3, 5]
    );
    assert!(
        find_json(&m, json!({"where": {"and": [{"qty": 1}, {"qty": 2}]}}))
            .await
            .is_empty()
    );
}

pub async fn op_or(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        ids(&find_json(
            &m,
            json!({"where": {"or": [{"qty": 1}, {"name": "delta"}]}})
        )
        .await),
        [1, 4]
    );
    let w = Where::eq("name", "beta")
        .or(Where::eq("name", "gamma"))
        .or(Where::eq("name", "nobody"));
    assert_eq!(ids(&find_where(&m, w).await), [2, 3]);
}

pub async fn op_nested_and_or(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let j = json!({"where": {"or": [{"and": [{"active": true}, {"qty": {"gt": 2}}]}, {"name": "beta"}]}});
    assert_eq!(ids(&find_json(&m, j).await), [2, 3, 5]);
    let j = json!({"where": {"and": [{"or": [{"tag": "x"}, {"tag": "y"}]}, {"or": [{"qty": {"lt": 2}}, {"qty": {"gt": 3}}]}]}});
    assert_eq!(ids(&find_json(&m, j).await), [1, 4, 5]);
    let j = json!({"where": {"active": false, "or": [{"qty": 2}, {"qty": 3}]}});
    assert_eq!(ids(&find_json(&m, j).await), [2]);
}

pub async fn op_nor(fx: Fixture) {
    // Neither condition may hold. (LB3's memory connector ignores `nor` and returns nothing.)
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        ids(&find_json(
            &m,
            json!({"where": {"nor": [{"qty": 1}, {"active": false}]}})
        )
        .await),
        [3, 5]
    );
    let w = Where::Nor(vec![Where::eq("tag", "x"), Where::eq("tag", "y")]);
    assert_eq!(ids(&find_where(&m, w).await), [3]);
}

pub async fn op_implicit_and_of_properties(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"active": true, "tag": "x"}})).await),
        [1, 5]
    );
    assert_eq!(
        ids(&find_json(
            &m,
            json!({"where": {"active": true, "tag": "x", "qty": {"gt": 1}}})
        )
        .await),
        [5]
    );
}

pub async fn op_date_compared_with_iso_string(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        ids(&find_json(
            &m,
            json!({"where": {"born": {"gt": "2021-01-01T00:00:00.000Z"}}})
        )
        .await),
        [2, 3, 5]
    );
    assert_eq!(
        ids(&find_json(
            &m,
            json!({"where": {"born": {"lte": "2020-01-01T00:00:00.000Z"}}})
        )
        .await),
        [1, 4]
    );
    // A string built in Rust is coerced by the property type, as LB3's DAO coerces where values.
    assert_eq!(
        ids(&find_where(
            &m,
            cond("born", Condition::Gt(Value::from("2021-01-01T00:00:00Z")))
        )
        .await),
        [2, 3, 5]
    );
    assert_eq!(
        ids(&find_where(
            &m,
            cond("born", Condition::Lt(date("2020-01-01T00:00:00Z")))
        )
        .await),
        [4]
    );
}

pub async fn op_date_compared_with_epoch_millis(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let june_2020 = 1_590_969_600_000_i64; // 2020-06-01T00:00:00Z
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"born": {"lt": june_2020}}})).await),
        [1, 4]
    );
    assert_eq!(
        ids(&find_where(&m, cond("born", Condition::Gte(Value::Int(june_2020)))).await),
        [2, 3, 5]
    );
}

pub async fn op_date_between_and_equality(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let j =
        json!({"where": {"born": {"between": ["2020-01-01T00:00:00Z", "2021-12-31T00:00:00Z"]}}});
    assert_eq!(ids(&find_json(&m, j).await), [1, 2]);
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"born": "2020-01-01T00:00:00.000Z"}})).await),
        [1]
    );
    assert_eq!(
        ids(&find_where(&m, Where::eq("born", date("2022-12-31T23:59:59Z"))).await),
        [3]
    );
    assert_eq!(ids(&find_json(&m, json!({"where": {"born": {"inq": ["2019-03-03T03:03:03.000Z", "2023-01-01T00:00:00.000Z"]}}})).await), [4, 5]);
}

pub async fn op_booleans(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        ids(&find_where(&m, Where::eq("active", false)).await),
        [2, 4]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"active": true}})).await),
        [1, 3, 5]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"active": {"neq": true}}})).await),
        [2, 4]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"active": {"inq": [false]}}})).await),
        [2, 4]
    );
}

pub async fn op_query_strings_coerced_by_property_type(fx: Fixture) {
    // Values as they arrive from a query string: coerced by the declared property type.
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"qty": "2"}})).await),
        [2]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"active": "true"}})).await),
        [1, 3, 5]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"active": "0"}})).await),
        [2, 4]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"price": {"gt": "20"}}})).await),
        [3, 4, 5]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"born": {"lt": "2020-06-01"}}})).await),
        [1, 4]
    );
    assert_eq!(
        ids(&find_json(&m, json!({"where": {"id": "3"}})).await),
        [3]
    );
}

async fn places(env: &Env) -> Option<loopback::ModelHandle> {
    let m = env
        .define(json!({"name": "Place", "properties": {"name": {"type": "string", "required": true}, "loc": "GeoPoint"}}))
        .await;
    for (name, lat, lng) in [
        ("sf", 37.7749, -122.4194),
        ("oak", 37.8044, -122.2712),
        ("la", 34.0522, -118.2437),
        ("ny", 40.7128, -74.006),
    ] {
        m.create(
            rec(json!({"name": name, "loc": {"lat": lat, "lng": lng}})),
            &opts(),
        )
        .await
        .unwrap();
    }
    if env.caps().geo_point {
        Some(m)
    } else {
        let near = filter(&m, json!({"where": {"loc": {"near": "37.7749,-122.4194"}}}));
        assert_not_supported(m.find(near, &opts()).await);
        None
    }
}

fn sf() -> GeoPoint {
    GeoPoint::new(37.7749, -122.4194).unwrap()
}

pub async fn op_near_orders_by_distance(fx: Fixture) {
    let env = Env::new(fx);
    let Some(m) = places(&env).await else { return };
    let w = cond(
        "loc",
        Condition::Near(Near {
            point: sf(),
            max_distance: None,
            min_distance: None,
            unit: None,
        }),
    );
    assert_eq!(
        names(&m.find(Filter::with_where(w), &opts()).await.unwrap()),
        ["sf", "oak", "la", "ny"]
    );
    assert_eq!(
        names(&find_json(&m, json!({"where": {"loc": {"near": "40.7,-74.0"}}})).await),
        ["ny", "la", "oak", "sf"]
    );
    assert_eq!(
        names(&find_json(&m, json!({"where": {"loc": {"near": [34.0, -118.0]}}})).await),
        ["la", "oak", "sf", "ny"]
    );
}

pub async fn op_near_max_distance_miles(fx: Fixture) {
    let env = Env::new(fx);
    let Some(m) = places(&env).await else { return };
    let j =
        json!({"where": {"loc": {"near": {"lat": 37.7749, "lng": -122.4194}, "maxDistance": 20}}});
    assert_eq!(names(&find_json(&m, j).await), ["sf", "oak"]);
    let j =
        json!({"where": {"loc": {"near": {"lat": 37.7749, "lng": -122.4194}, "maxDistance": 500}}});
    assert_eq!(names(&find_json(&m, j).await), ["sf", "oak", "la"]);
    let w = cond(
        "loc",
        Condition::Near(Near {
            point: sf(),
            max_distance: Some(5.0),
            min_distance: None,
            unit: Some(DistanceUnit::Miles),
        }),
    );
    assert_eq!(
        names(&m.find(Filter::with_where(w), &opts()).await.unwrap()),
        ["sf"]
    );
}

pub async fn op_near_max_distance_kilometers(fx: Fixture) {
    let env = Env::new(fx);
    let Some(m) = places(&env).await else { return };
    let j = json!({"where": {"loc": {"near": {"lat": 37.7749, "lng": -122.4194}, "maxDistance": 5, "unit": "kilometers"}}});
    assert_eq!(names(&find_json(&m, j).await), ["sf"]);
    let j = json!({"where": {"loc": {"near": {"lat": 37.7749, "lng": -122.4194}, "maxDistance": 20, "unit": "kilometers"}}});
    assert_eq!(names(&find_json(&m, j).await), ["sf", "oak"]);
    let w = cond(
        "loc",
        Condition::Near(Near {
            point: sf(),
            max_distance: Some(600.0),
            min_distance: None,
            unit: Some(DistanceUnit::Kilometers),
        }),
    );
    assert_eq!(
        names(&m.find(Filter::with_where(w), &opts()).await.unwrap()),
        ["sf", "oak", "la"]
    );
}

pub async fn op_near_with_limit(fx: Fixture) {
    let env = Env::new(fx);
    let Some(m) = places(&env).await else { return };
    assert_eq!(
        names(
            &find_json(
                &m,
                json!({"where": {"loc": {"near": "37.7749,-122.4194"}}, "limit": 2})
            )
            .await
        ),
        ["sf", "oak"]
    );
    assert_eq!(
        names(
            &find_json(
                &m,
                json!({"where": {"loc": {"near": "37.7749,-122.4194"}}, "limit": 2, "skip": 1})
            )
            .await
        ),
        ["oak", "la"]
    );
}

pub async fn op_where_in_update_and_destroy(fx: Fixture) {
    let env = Env::new(fx);
    let m = env.seeded_product().await;
    let n = m
        .update_all(
            Some(where_(&m, json!({"name": {"like": "%ta"}}))),
            rec(json!({"tag": "t"})),
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(ids(&find_where(&m, Where::eq("tag", "t")).await), [2, 4]);
    let n = m
        .destroy_all(
            Some(where_(
                &m,
                json!({"or": [{"qty": {"inq": [1, 2]}}, {"price": {"gt": 50}}]}),
            )),
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!(ids(&all(&m).await), [3, 4]);
    assert_eq!(
        m.count(
            Some(where_(&m, json!({"born": {"gt": "2020-01-01"}}))),
            &opts()
        )
        .await
        .unwrap(),
        1
    );
}
