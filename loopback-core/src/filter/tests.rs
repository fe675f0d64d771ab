//! Tests of filter parsing (JSON and query string), coercion, errors and printing.

use proptest::prelude::*;
use serde_json::{json, Value as Json};

use crate::error::Error;
use crate::filter::{
    Condition, Direction, Fields, Filter, Include, Near, Order, ParseOptions, RegexpPattern, Where,
};
use crate::model::ModelDefinition;
use crate::value::{parse_date, DistanceUnit, GeoPoint, Record, Value};

// ---------------------------------------------------------------------------------------------
// Helpers

fn car() -> ModelDefinition {
    ModelDefinition::from_lb3_json(&json!({
        "name": "Car",
        "properties": {
            "id": {"type": "number", "id": true},
            "odo": "number",
            "price": "number",
            "active": "boolean",
            "date": "date",
            "title": "string",
            "model": "string",
            "keywords": ["string"],
            "scores": ["number"],
            "days": ["date"],
            "loc": "geopoint",
            "meta": "object",
            "password": "string"
        },
        "hidden": ["password"]
    }))
    .unwrap()
}

fn parse(j: Json) -> Filter {
    Filter::from_json(&j, &ParseOptions::default()).unwrap()
}

fn parse_m(j: Json) -> Filter {
    let m = car();
    Filter::from_json(&j, &ParseOptions::for_model(&m)).unwrap()
}

fn where_of(j: Json) -> Where {
    parse(json!({ "where": j })).where_.unwrap()
}

fn where_m(j: Json) -> Where {
    parse_m(json!({ "where": j })).where_.unwrap()
}

fn invalid(
    r: crate::error::Result<impl std::fmt::Debug>,
) -> (String, String, Option<&'static str>) {
    match r {
        Err(Error::InvalidFilter {
            path,
            message,
            code,
        }) => (path, message, code),
        other => panic!("expected an InvalidFilter error, got {other:?}"),
    }
}

fn fail(j: Json) -> (String, String, Option<&'static str>) {
    invalid(Filter::from_json(&j, &ParseOptions::default()))
}

fn fail_m(j: Json) -> (String, String, Option<&'static str>) {
    let m = car();
    invalid(Filter::from_json(&j, &ParseOptions::for_model(&m)))
}

fn qs(q: &str) -> Filter {
    Filter::from_query_string(q, &ParseOptions::default())
        .unwrap()
        .unwrap()
}

fn qs_m(q: &str) -> Filter {
    let m = car();
    Filter::from_query_string(q, &ParseOptions::for_model(&m))
        .unwrap()
        .unwrap()
}

fn qs_fail(q: &str) -> (String, String, Option<&'static str>) {
    invalid(Filter::from_query_string(q, &ParseOptions::default()))
}

fn cond(p: &str, op: Condition) -> Where {
    Where::cond(p, op)
}

fn s(v: &str) -> Value {
    Value::String(v.into())
}

fn date(v: &str) -> Value {
    Value::Date(parse_date(v).unwrap())
}

fn roundtrip(f: &Filter, opts: &ParseOptions<'_>) -> Filter {
    Filter::from_json(&f.to_json(), opts).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Top level

#[test]
fn empty_and_null_filters_are_empty() {
    assert_eq!(parse(json!({})), Filter::default());
    assert_eq!(parse(json!(null)), Filter::default());
}

#[test]
fn non_object_filter_is_rejected() {
    for v in [json!(5), json!("where"), json!([1]), json!(true)] {
        let (path, msg, _) = fail(v.clone());
        assert_eq!(path, "filter");
        assert_eq!(msg, format!("The query filter {v} is not an object"));
    }
}

#[test]
fn unknown_top_level_key_is_rejected_by_name() {
    let (path, msg, code) = fail(json!({"wher": {"a": 1}}));
    assert_eq!(path, "filter.wher");
    assert!(msg.starts_with("Unknown filter key \"wher\""), "{msg}");
    assert_eq!(code, None);
}

#[test]
fn null_keys_are_absent() {
    let f = parse(
        json!({"where": null, "limit": null, "order": null, "include": null, "fields": null}),
    );
    assert_eq!(f, Filter::default());
}

// ---------------------------------------------------------------------------------------------
// limit / skip / offset

#[test]
fn limit_accepts_numbers_and_numeric_strings() {
    assert_eq!(parse(json!({"limit": 5})).limit, Some(5));
    assert_eq!(parse(json!({"limit": "5"})).limit, Some(5));
    assert_eq!(parse(json!({"limit": " 7 "})).limit, Some(7));
    assert_eq!(parse(json!({"limit": 5.0})).limit, Some(5));
    assert_eq!(parse(json!({"limit": "1e1"})).limit, Some(10));
    assert_eq!(parse(json!({"limit": ""})).limit, None);
}

#[test]
fn invalid_limits_are_rejected() {
    for (v, shown) in [
        (json!(0), "0"),
        (json!(-1), "-1"),
        (json!(1.5), "1.5"),
        (json!("abc"), "\"abc\""),
        (json!(true), "true"),
        (json!([3]), "[3]"),
        (json!("0"), "\"0\""),
    ] {
        let (path, msg, _) = fail(json!({ "limit": v }));
        assert_eq!(path, "filter.limit");
        assert_eq!(msg, format!("The limit parameter {shown} is not valid"));
    }
}

#[test]
fn skip_without_limit_gets_limit_100() {
    let f = parse(json!({"skip": 50}));
    assert_eq!((f.skip, f.limit), (Some(50), Some(100)));
    let f = parse(json!({"skip": "10", "limit": "10"}));
    assert_eq!((f.skip, f.limit), (Some(10), Some(10)));
    let f = parse(json!({"skip": 0}));
    assert_eq!((f.skip, f.limit), (Some(0), None));
}

#[test]
fn offset_is_an_alias_of_skip() {
    let f = parse(json!({"offset": 20, "limit": 10}));
    assert_eq!((f.skip, f.limit), (Some(20), Some(10)));
    assert_eq!(parse(json!({"offset": 5})).limit, Some(100));
    assert_eq!(parse(json!({"skip": 3, "offset": 9})).skip, Some(3));
}

#[test]
fn invalid_skips_are_rejected() {
    for (key, v) in [
        ("skip", json!(-1)),
        ("offset", json!("x")),
        ("skip", json!(2.5)),
    ] {
        let (path, msg, _) = fail(json!({ key: v }));
        assert_eq!(path, format!("filter.{key}"));
        assert_eq!(msg, format!("The offset/skip parameter {v} is not valid"));
    }
}

// ---------------------------------------------------------------------------------------------
// order

fn order(p: &str, d: Direction) -> Order {
    Order {
        property: p.into(),
        direction: d,
    }
}

#[test]
fn order_string_with_commas_and_case_insensitive_directions() {
    let f = parse(json!({"order": "a ASC, b desc,c"}));
    assert_eq!(
        f.order,
        vec![
            order("a", Direction::Asc),
            order("b", Direction::Desc),
            order("c", Direction::Asc)
        ]
    );
    assert_eq!(parse(json!({"order": "a,, b"})).order.len(), 2);
    assert!(parse(json!({"order": ""})).order.is_empty());
}

#[test]
fn order_array() {
    let f = parse(json!({"order": ["price DESC", "title"]}));
    assert_eq!(
        f.order,
        vec![
            order("price", Direction::Desc),
            order("title", Direction::Asc)
        ]
    );
}

#[test]
fn order_with_invalid_direction_is_rejected() {
    let (path, msg, _) = fail(json!({"order": "price UP"}));
    assert_eq!(path, "filter.order");
    assert_eq!(msg, "The order \"price UP\" has invalid direction");
    let (path, msg, _) = fail(json!({"order": ["a", "b sideways"]}));
    assert_eq!(path, "filter.order[1]");
    assert_eq!(msg, "The order \"b sideways\" has invalid direction");
    let (_, msg, _) = fail(json!({"order": "a ASC extra"}));
    assert_eq!(msg, "The order \"a ASC extra\" has invalid direction");
}

#[test]
fn order_entries_must_be_strings() {
    let (path, msg, _) = fail(json!({"order": ["a", 5]}));
    assert_eq!(path, "filter.order[1]");
    assert_eq!(msg, "The order 5 is not valid");
    let (path, msg, _) = fail(json!({"order": {"a": 1}}));
    assert_eq!(path, "filter.order");
    assert_eq!(msg, "The order {\"a\":1} is not valid");
    let (path, _, _) = fail(json!({"order": 3}));
    assert_eq!(path, "filter.order");
}

// ---------------------------------------------------------------------------------------------
// fields

#[test]
fn fields_object_with_a_true_value_is_an_include_list() {
    let f = parse(json!({"fields": {"id": true, "make": true, "vin": false}}));
    assert_eq!(
        f.fields,
        Some(Fields::Include(vec!["id".into(), "make".into()]))
    );
}

#[test]
fn fields_object_with_only_false_values_is_an_exclude_list() {
    let f = parse(json!({"fields": {"vin": false, "odo": "false"}}));
    assert_eq!(
        f.fields,
        Some(Fields::Exclude(vec!["vin".into(), "odo".into()]))
    );
}

#[test]
fn fields_array_and_string_forms() {
    assert_eq!(
        parse(json!({"fields": ["username", "email"]})).fields,
        Some(Fields::Include(vec!["username".into(), "email".into()]))
    );
    assert_eq!(
        parse(json!({"fields": "id"})).fields,
        Some(Fields::Include(vec!["id".into()]))
    );
    assert_eq!(
        parse(json!({"fields": ["a", "b", "a"]})).fields,
        Some(Fields::Include(vec!["a".into(), "b".into()]))
    );
    assert_eq!(parse(json!({"fields": {}})).fields, None);
    assert_eq!(parse(json!({"fields": []})).fields, None);
}

#[test]
fn fields_values_must_be_booleans() {
    let (path, msg, _) = fail(json!({"fields": {"id": 1}}));
    assert_eq!(path, "filter.fields.id");
    assert_eq!(msg, "A field must be set to true or false, not 1");
    let (path, _, _) = fail(json!({"fields": ["a", 2]}));
    assert_eq!(path, "filter.fields[1]");
    let (path, _, _) = fail(json!({"fields": 3}));
    assert_eq!(path, "filter.fields");
}

// ---------------------------------------------------------------------------------------------
// include

fn inc(rel: &str) -> Include {
    Include {
        relation: rel.into(),
        scope: None,
    }
}

fn inc_scoped(rel: &str, scope: Filter) -> Include {
    Include {
        relation: rel.into(),
        scope: Some(Box::new(scope)),
    }
}

fn nested(includes: Vec<Include>) -> Filter {
    Filter {
        include: includes,
        ..Filter::default()
    }
}

#[test]
fn include_string_and_array() {
    assert_eq!(
        parse(json!({"include": "posts"})).include,
        vec![inc("posts")]
    );
    assert_eq!(
        parse(json!({"include": ["posts", "orders"]})).include,
        vec![inc("posts"), inc("orders")]
    );
    assert!(parse(json!({"include": ""})).include.is_empty());
}

#[test]
fn include_object_forms_nest_includes_in_the_scope() {
    assert_eq!(
        parse(json!({"include": {"owner": "orders"}})).include,
        vec![inc_scoped("owner", nested(vec![inc("orders")]))]
    );
    assert_eq!(
        parse(json!({"include": {"owner": ["friends", "orders"]}})).include,
        vec![inc_scoped(
            "owner",
            nested(vec![inc("friends"), inc("orders")])
        )]
    );
    assert_eq!(
        parse(json!({"include": {"owner": [{"posts": "images"}, "orders"]}})).include,
        vec![inc_scoped(
            "owner",
            nested(vec![
                inc_scoped("posts", nested(vec![inc("images")])),
                inc("orders")
            ])
        )]
    );
    assert_eq!(
        parse(json!({"include": {"user": true}})).include,
        vec![inc("user")]
    );
}

#[test]
fn include_with_relation_and_scope() {
    let f = parse(json!({"include": {
        "relation": "owner",
        "scope": {"fields": ["username", "email"], "include": {"relation": "orders", "scope": {"where": {"orderId": 5}}}}
    }}));
    let orders = inc_scoped("orders", Filter::with_where(Where::eq("orderId", 5)));
    let owner_scope = Filter {
        fields: Some(Fields::Include(vec!["username".into(), "email".into()])),
        include: vec![orders],
        ..Filter::default()
    };
    assert_eq!(f.include, vec![inc_scoped("owner", owner_scope)]);
    let f = parse(json!({"include": [{"rel": "orders", "scope": {"skip": 0, "limit": 5}}]}));
    assert_eq!(
        f.include,
        vec![inc_scoped("orders", Filter::new().limit(5).skip(0))]
    );
}

#[test]
fn include_scope_errors_name_their_path() {
    let (path, msg, _) = fail(json!({"include": [{"relation": "owner", "scope": {"where": 5}}]}));
    assert_eq!(path, "filter.include[0].scope.where");
    assert_eq!(msg, "The where clause 5 is not an object");
    let (path, _, _) = fail(json!({"include": {"relation": "owner", "scope": {"limt": 5}}}));
    assert_eq!(path, "filter.include.scope.limt");
    let (path, _, _) = fail(json!({"include": {"relation": "owner", "scope": "x"}}));
    assert_eq!(path, "filter.include.scope");
    let (path, _, _) = fail(json!({"include": {"relation": "owner", "where": {}}}));
    assert_eq!(path, "filter.include.where");
    let (path, _, _) = fail(json!({"include": {"relation": 5}}));
    assert_eq!(path, "filter.include.relation");
}

#[test]
fn include_scope_is_not_coerced_with_the_parent_model() {
    let f = parse_m(
        json!({"include": {"relation": "x", "scope": {"where": {"price": "5", "password": "p"}}}}),
    );
    let scope = f.include[0].scope.as_ref().unwrap();
    assert_eq!(
        scope.where_,
        Some(Where::And(vec![
            cond("price", Condition::Eq(s("5"))),
            cond("password", Condition::Eq(s("p")))
        ]))
    );
}

#[test]
fn invalid_include_values_are_rejected() {
    for v in [
        json!(true),
        json!(5),
        json!([1]),
        json!({"owner": 5}),
        json!({"owner": false}),
    ] {
        let (path, msg, _) = fail(json!({ "include": v }));
        assert!(path.starts_with("filter.include"), "{path}");
        assert!(msg.starts_with("Invalid include"), "{msg}");
    }
    let (path, msg, _) = fail(json!({"include": ["a", ""]}));
    assert_eq!(
        (path.as_str(), msg.as_str()),
        ("filter.include[1]", "A relation name must not be empty")
    );
}

// ---------------------------------------------------------------------------------------------
// where: forms and operators

#[test]
fn plain_value_is_equality() {
    assert_eq!(
        where_of(json!({"carClass": "fullsize"})),
        Where::eq("carClass", "fullsize")
    );
    assert_eq!(
        where_of(json!({"n": null})),
        cond("n", Condition::Eq(Value::Null))
    );
    assert_eq!(where_of(json!({"n": {"eq": 3}})), Where::eq("n", 3));
    assert_eq!(
        where_of(json!({"tags": ["a", "b"]})),
        cond("tags", Condition::Eq(Value::Array(vec![s("a"), s("b")])))
    );
    assert_eq!(
        where_of(json!({"o": {}})),
        cond("o", Condition::Eq(Value::Object(Record::new())))
    );
}

#[test]
fn several_keys_are_anded_in_order() {
    assert_eq!(
        where_of(json!({"a": 1, "b": {"gt": 2}})),
        Where::And(vec![
            Where::eq("a", 1),
            cond("b", Condition::Gt(Value::Int(2)))
        ])
    );
    assert_eq!(where_of(json!({})), Where::And(vec![]));
}

#[test]
fn several_operators_on_one_property_are_anded() {
    assert_eq!(
        where_of(json!({"price": {"gt": 1, "lt": 5}})),
        Where::And(vec![
            cond("price", Condition::Gt(Value::Int(1))),
            cond("price", Condition::Lt(Value::Int(5)))
        ])
    );
}

#[test]
fn comparison_operators() {
    type Make = fn(Value) -> Condition;
    let cases: Vec<(&str, Make)> = vec![
        ("eq", Condition::Eq),
        ("neq", Condition::Neq),
        ("gt", Condition::Gt),
        ("gte", Condition::Gte),
        ("lt", Condition::Lt),
        ("lte", Condition::Lte),
    ];
    for (op, make) in cases {
        assert_eq!(
            where_of(json!({"n": { op: 4 }})),
            cond("n", make(Value::Int(4))),
            "{op}"
        );
        assert_eq!(
            where_of(json!({"n": { op: "x" }})),
            cond("n", make(s("x"))),
            "{op}"
        );
    }
}

#[test]
fn between_takes_exactly_two_values() {
    assert_eq!(
        where_of(json!({"size": {"between": [0, 7]}})),
        cond("size", Condition::Between(Value::Int(0), Value::Int(7)))
    );
    assert_eq!(
        where_of(json!({"size": {"between": {"1": 7, "0": 0}}})),
        cond("size", Condition::Between(Value::Int(0), Value::Int(7)))
    );
    let (path, msg, _) = fail(json!({"where": {"size": {"between": [1, 2, 3]}}}));
    assert_eq!(path, "filter.where.size.between");
    assert_eq!(
        msg,
        "The size property has invalid clause {\"between\":[1,2,3]}: Expected precisely 2 values, received 3"
    );
    let (_, msg, _) = fail(json!({"where": {"size": {"between": 5}}}));
    assert!(
        msg.ends_with("Value is not an array or object with sequential numeric indices"),
        "{msg}"
    );
}

#[test]
fn inq_and_nin_take_arrays_or_array_like_objects() {
    assert_eq!(
        where_of(json!({"id": {"inq": [123, 234]}})),
        cond("id", Condition::Inq(vec![Value::Int(123), Value::Int(234)]))
    );
    assert_eq!(
        where_of(json!({"id": {"nin": {"0": "a", "1": "b"}}})),
        cond("id", Condition::Nin(vec![s("a"), s("b")]))
    );
    assert_eq!(
        where_of(json!({"id": {"inq": []}})),
        cond("id", Condition::Inq(vec![]))
    );
    for bad in [
        json!("a"),
        json!({}),
        json!({"0": 1, "2": 2}),
        json!(null),
        json!({"01": 1}),
    ] {
        let (path, msg, _) = fail(json!({"where": {"id": {"inq": bad}}}));
        assert_eq!(path, "filter.where.id.inq");
        assert!(
            msg.starts_with("The id property has invalid clause"),
            "{msg}"
        );
    }
}

#[test]
fn like_operators_take_strings() {
    assert_eq!(
        where_of(json!({"t": {"like": "M.-st"}})),
        cond("t", Condition::Like("M.-st".into()))
    );
    assert_eq!(
        where_of(json!({"t": {"nlike": "M%XY"}})),
        cond("t", Condition::NLike("M%XY".into()))
    );
    assert_eq!(
        where_of(json!({"t": {"ilike": "%st%"}})),
        cond("t", Condition::ILike("%st%".into()))
    );
    assert_eq!(
        where_of(json!({"t": {"nilike": "s%xy"}})),
        cond("t", Condition::NILike("s%xy".into()))
    );
    for op in ["like", "nlike", "ilike", "nilike"] {
        let (path, msg, _) = fail(json!({"where": {"t": { op: 5 }}}));
        assert_eq!(path, format!("filter.where.t.{op}"));
        assert!(msg.ends_with("Expected a string"), "{msg}");
    }
}

fn re(source: &str, i: bool, g: bool, m: bool) -> Condition {
    Condition::Regexp(RegexpPattern {
        source: source.into(),
        case_insensitive: i,
        global: g,
        multiline: m,
    })
}

#[test]
fn regexp_plain_and_slash_forms() {
    assert_eq!(
        where_of(json!({"model": {"regexp": "^T"}})),
        cond("model", re("^T", false, false, false))
    );
    assert_eq!(
        where_of(json!({"model": {"regexp": "/^t/i"}})),
        cond("model", re("^t", true, false, false))
    );
    assert_eq!(
        where_of(json!({"model": {"regexp": "/a/gim"}})),
        cond("model", re("a", true, true, true))
    );
    assert_eq!(
        where_of(json!({"model": {"regexp": "/x/y/"}})),
        cond("model", re("x/y", false, false, false))
    );
    assert_eq!(
        where_of(json!({"model": {"regexp": "/abc"}})),
        cond("model", re("/abc", false, false, false))
    );
    assert_eq!(
        where_of(json!({"p": {"regexp": "a\\/b"}})),
        cond("p", re("a\\/b", false, false, false))
    );
}

#[test]
fn regexp_flags_are_limited_to_igm() {
    let (path, msg, _) = fail(json!({"where": {"model": {"regexp": "/^t/iz"}}}));
    assert_eq!(path, "filter.where.model.regexp");
    assert_eq!(msg, "Invalid regex flags: z");
    let (_, msg, _) = fail(json!({"where": {"model": {"regexp": "/^t/ii"}}}));
    assert_eq!(msg, "Invalid regex flags: i (given twice)");
}

#[test]
fn regexp_must_compile_and_be_a_string() {
    let (path, msg, _) = fail(json!({"where": {"model": {"regexp": "(abc"}}}));
    assert_eq!(path, "filter.where.model.regexp");
    assert_eq!(msg, "Invalid regular expression /(abc/: unclosed group");
    let (_, msg, _) = fail(json!({"where": {"model": {"regexp": "a{1000}{1000}"}}}));
    assert!(msg.contains("exceeds size limit"), "{msg}");
    let (_, msg, _) = fail(json!({"where": {"model": {"regexp": "\\pL{50}"}}}));
    assert!(msg.contains("exceeds size limit of 262144 bytes"), "{msg}");
    for fine in [
        "^\\w+@\\w+\\.com$",
        "[A-Za-z0-9_]{10}",
        "(?i)^[a-zäöü ]{1,50}$",
    ] {
        assert!(
            matches!(where_of(json!({"m": {"regexp": fine}})), Where::Cond { .. }),
            "{fine}"
        );
    }
    let (path, msg, _) = fail(json!({"where": {"model": {"regexp": 5}}}));
    assert_eq!(path, "filter.where.model.regexp");
    assert!(msg.starts_with("Invalid argument 5"), "{msg}");
}

#[test]
fn near_point_forms_and_options() {
    let point = GeoPoint::new(42.266271, -72.6700016).unwrap();
    let plain = Near {
        point,
        max_distance: None,
        min_distance: None,
        unit: None,
    };
    for operand in [
        json!("42.266271,-72.6700016"),
        json!([42.266271, -72.6700016]),
        json!({"lat": 42.266271, "lng": -72.6700016}),
    ] {
        assert_eq!(
            where_of(json!({"loc": {"near": operand}})),
            cond("loc", Condition::Near(plain.clone()))
        );
    }
    let w = where_of(
        json!({"loc": {"near": "42.266271,-72.6700016", "maxDistance": 2, "minDistance": "0.5", "unit": "kilometers"}}),
    );
    let bounded = Near {
        max_distance: Some(2.0),
        min_distance: Some(0.5),
        unit: Some(DistanceUnit::Kilometers),
        ..plain
    };
    assert_eq!(w, cond("loc", Condition::Near(bounded)));
}

#[test]
fn near_errors() {
    let (path, msg, _) = fail(json!({"where": {"loc": {"near": "1,2", "unit": "mile"}}}));
    assert_eq!(path, "filter.where.loc.unit");
    assert!(msg.starts_with("Unknown distance unit \"mile\""), "{msg}");
    let (path, msg, _) = fail(json!({"where": {"loc": {"maxDistance": 2}}}));
    assert_eq!(path, "filter.where.loc.maxDistance");
    assert_eq!(msg, "\"maxDistance\" is only valid together with \"near\"");
    let (path, msg, _) = fail(json!({"where": {"loc": {"near": "153.536,-28.1"}}}));
    assert_eq!(path, "filter.where.loc.near");
    assert!(msg.contains("latitude 153.536 is out of range"), "{msg}");
    let (path, _, _) = fail(json!({"where": {"loc": {"near": "1,2", "maxDistance": -1}}}));
    assert_eq!(path, "filter.where.loc.maxDistance");
}

#[test]
fn unknown_operators_are_rejected_with_their_path() {
    let (path, msg, code) = fail(json!({"where": {"price": {"gt": 1, "foo": 2}}}));
    assert_eq!(path, "filter.where.price.foo");
    assert!(msg.starts_with("Unknown operator \"foo\""), "{msg}");
    assert_eq!(code, None);
    let (path, msg, _) = fail(json!({"where": {"address": {"city": "Paris"}}}));
    assert_eq!(path, "filter.where.address.city");
    assert!(msg.contains("\"address.city\""), "{msg}");
    let (path, _, _) = fail(json!({"where": {"a": {"exists": true}}}));
    assert_eq!(path, "filter.where.a.exists");
}

#[test]
fn and_or_nor() {
    let w = where_of(
        json!({"or": [{"and": [{"field1": "foo"}, {"field2": "bar"}]}, {"field1": "morefoo"}]}),
    );
    assert_eq!(
        w,
        Where::Or(vec![
            Where::And(vec![Where::eq("field1", "foo"), Where::eq("field2", "bar")]),
            Where::eq("field1", "morefoo")
        ])
    );
    assert_eq!(
        where_of(json!({"nor": [{"a": 1}]})),
        Where::Nor(vec![Where::eq("a", 1)])
    );
    assert_eq!(
        where_of(json!({"and": {"1": {"b": 2}, "0": {"a": 1}}})),
        Where::And(vec![Where::eq("a", 1), Where::eq("b", 2)])
    );
    assert_eq!(where_of(json!({"or": []})), Where::Or(vec![]));
}

#[test]
fn and_or_nor_need_arrays_of_objects() {
    for key in ["and", "or", "nor"] {
        let (path, msg, _) = fail(json!({"where": { key: {"a": 1} }}));
        assert_eq!(path, format!("filter.where.{key}"));
        assert!(
            msg.starts_with(&format!("The {key} operator has invalid clauses")),
            "{msg}"
        );
    }
    let (path, msg, _) = fail(json!({"where": {"or": [{"a": 1}, "b"]}}));
    assert_eq!(path, "filter.where.or[1]");
    assert_eq!(msg, "The where clause \"b\" is not an object");
}

#[test]
fn where_must_be_an_object() {
    let (path, msg, _) = fail(json!({"where": "a=1"}));
    assert_eq!(path, "filter.where");
    assert_eq!(msg, "The where clause \"a=1\" is not an object");
    let (path, _, _) = fail(json!({"where": [{"a": 1}]}));
    assert_eq!(path, "filter.where");
}

#[test]
fn where_from_json_paths_start_at_where() {
    let m = car();
    let opts = ParseOptions::for_model(&m);
    assert_eq!(
        Where::from_json(&json!({"price": {"gt": "10"}}), &opts).unwrap(),
        cond("price", Condition::Gt(Value::Int(10)))
    );
    let (path, _, _) = invalid(Where::from_json(&json!({"price": {"foo": 1}}), &opts));
    assert_eq!(path, "where.price.foo");
    assert_eq!(
        Where::from_json(&json!(null), &opts).unwrap(),
        Where::And(vec![])
    );
    let (path, _, _) = invalid(Where::from_json(&json!(7), &opts));
    assert_eq!(path, "where");
}

#[test]
fn empty_property_names_are_rejected() {
    let (path, msg, _) = fail(json!({"where": {"": 1}}));
    assert_eq!(path, "filter.where.");
    assert_eq!(msg, "A property name must not be empty");
}

// ---------------------------------------------------------------------------------------------
// Safety: `$` operators, prototype keys, depth, hidden properties

#[test]
fn dollar_operators_are_not_allowed() {
    let (path, msg, code) = fail(json!({"where": {"name": {"$ne": "x"}}}));
    assert_eq!(path, "filter.where.name.$ne");
    assert_eq!(msg, "Operators \"$ne\" are not allowed in query");
    assert_eq!(code, Some("OPERATOR_NOT_ALLOWED_IN_QUERY"));
    let (path, _, code) = fail(json!({"where": {"$where": "sleep(5000)"}}));
    assert_eq!(path, "filter.where.$where");
    assert_eq!(code, Some("OPERATOR_NOT_ALLOWED_IN_QUERY"));
    let (path, _, code) = fail(json!({"where": {"a": {"eq": {"$gt": 1}}}}));
    assert_eq!(path, "filter.where.a.eq.$gt");
    assert_eq!(code, Some("OPERATOR_NOT_ALLOWED_IN_QUERY"));
}

#[test]
fn dollar_operators_are_refused_even_when_extended_operators_are_allowed() {
    let opts = ParseOptions {
        allow_extended_operators: true,
        ..ParseOptions::default()
    };
    let (path, msg, code) = invalid(Filter::from_json(
        &json!({"where": {"a": {"$regex": "x"}}}),
        &opts,
    ));
    assert_eq!(path, "filter.where.a.$regex");
    assert!(msg.contains("not supported"), "{msg}");
    assert_eq!(code, Some("OPERATOR_NOT_ALLOWED_IN_QUERY"));
}

#[test]
fn prototype_keys_are_refused_anywhere() {
    for (filter, expected) in [
        (
            json!({"where": {"__proto__": {"x": 1}}}),
            "filter.where.__proto__",
        ),
        (
            json!({"where": {"a": {"eq": {"constructor": 1}}}}),
            "filter.where.a.eq.constructor",
        ),
        (
            json!({"include": {"relation": "r", "scope": {"where": {"prototype": 1}}}}),
            "filter.include.scope.where.prototype",
        ),
        (
            json!({"fields": {"constructor": true}}),
            "filter.fields.constructor",
        ),
        (json!({"constructor": 1}), "filter.constructor"),
    ] {
        let (path, msg, _) = fail(filter);
        assert_eq!(path, expected);
        assert!(msg.contains("is not allowed"), "{msg}");
    }
    let (path, _, _) = fail(json!({"include": "__proto__"}));
    assert_eq!(path, "filter.include");
    let (path, _, _) = fail(json!({"order": "constructor DESC"}));
    assert_eq!(path, "filter.order");
}

fn nested_arrays(n: usize) -> Json {
    (1..n).fold(json!([1]), |acc, _| json!([acc]))
}

#[test]
fn depth_is_limited() {
    // filter (1) > where (2) > operator object (3) > n arrays.
    assert!(Filter::from_json(
        &json!({"where": {"x": {"eq": nested_arrays(29)}}}),
        &ParseOptions::default()
    )
    .is_ok());
    let (path, msg, code) = fail(json!({"where": {"x": {"eq": nested_arrays(30)}}}));
    assert_eq!(code, Some("QUERY_OBJECT_TOO_DEEP"));
    assert_eq!(msg, "The query object exceeds maximum depth 32");
    assert_eq!(path, format!("filter.where.x.eq{}", "[0]".repeat(29)));
    let opts = ParseOptions {
        max_depth: 3,
        ..ParseOptions::default()
    };
    let (path, _, _) = invalid(Filter::from_json(
        &json!({"where": {"or": [{"a": 1}]}}),
        &opts,
    ));
    assert_eq!(path, "filter.where.or[0]");
}

#[test]
fn deep_or_nesting_is_refused_without_overflowing_the_stack() {
    // Built by hand: `json!` would serialise (deep-copy) the interpolated value at every level.
    let wrap = |key: &str, v: Json| Json::Object([(key.to_owned(), v)].into_iter().collect());
    let mut w = json!({"a": 1});
    for _ in 0..100_000 {
        w = wrap("or", Json::Array(vec![w]));
    }
    let filter = wrap("where", w);
    let (_, _, code) = invalid(Filter::from_json(&filter, &ParseOptions::default()));
    assert_eq!(code, Some("QUERY_OBJECT_TOO_DEEP"));
    // serde_json drops values recursively: take this one apart level by level.
    let mut v = filter;
    loop {
        let next = match &mut v {
            Json::Object(m) => m.remove("where").or_else(|| m.remove("or")),
            Json::Array(a) => a.pop(),
            _ => None,
        };
        match next {
            Some(n) => v = n,
            None => break,
        }
    }
}

#[test]
fn hidden_properties_are_refused_in_where_and_order() {
    for (filter, expected) in [
        (
            json!({"where": {"password": {"like": "$2a%"}}}),
            "filter.where.password",
        ),
        (
            json!({"where": {"or": [{"title": "a"}, {"password": "x"}]}}),
            "filter.where.or[1].password",
        ),
        (
            json!({"where": {"password.x": 1}}),
            "filter.where.password.x",
        ),
        (json!({"order": "password DESC"}), "filter.order"),
        (json!({"order": ["title", "password"]}), "filter.order[1]"),
    ] {
        let (path, msg, code) = fail_m(filter);
        assert_eq!(path, expected);
        assert_eq!(code, Some("PROPERTY_NOT_ALLOWED_IN_QUERY"));
        assert!(msg.starts_with("Properties \"password"), "{msg}");
    }
}

#[test]
fn hidden_properties_are_allowed_when_not_prohibited_or_without_a_model() {
    let m = car();
    let opts = ParseOptions {
        prohibit_hidden_properties: false,
        ..ParseOptions::for_model(&m)
    };
    let f = Filter::from_json(&json!({"where": {"password": "x"}}), &opts).unwrap();
    assert_eq!(f.where_, Some(Where::eq("password", "x")));
    assert_eq!(
        where_of(json!({"password": "x"})),
        Where::eq("password", "x")
    );
}

// ---------------------------------------------------------------------------------------------
// Coercion

#[test]
fn number_coercion() {
    assert_eq!(where_m(json!({"odo": "5000"})), Where::eq("odo", 5000));
    assert_eq!(
        where_m(json!({"odo": {"gt": " 12.5 "}})),
        cond("odo", Condition::Gt(Value::Float(12.5)))
    );
    assert_eq!(
        where_m(json!({"odo": {"lt": "1e3"}})),
        cond("odo", Condition::Lt(Value::Float(1000.0)))
    );
    assert_eq!(where_m(json!({"odo": "abc"})), Where::eq("odo", "abc"));
    assert_eq!(where_m(json!({"odo": ""})), Where::eq("odo", ""));
    assert_eq!(where_m(json!({"odo": "NaN"})), Where::eq("odo", "NaN"));
    assert_eq!(where_m(json!({"odo": 7})), Where::eq("odo", 7));
    assert!(matches!(
        where_m(json!({"odo": "7"})),
        Where::Cond {
            op: Condition::Eq(Value::Int(7)),
            ..
        }
    ));
    assert!(matches!(
        where_m(json!({"odo": "99999999999999999999"})),
        Where::Cond {
            op: Condition::Eq(Value::Float(_)),
            ..
        }
    ));
}

#[test]
fn number_coercion_of_lists() {
    assert_eq!(
        where_m(json!({"price": {"inq": ["1", "2.5", "x"]}})),
        cond(
            "price",
            Condition::Inq(vec![Value::Int(1), Value::Float(2.5), s("x")])
        )
    );
    assert_eq!(
        where_m(json!({"price": {"between": ["0", "7"]}})),
        cond("price", Condition::Between(Value::Int(0), Value::Int(7)))
    );
}

#[test]
fn boolean_coercion() {
    for (given, expected) in [
        ("true", Value::Bool(true)),
        ("1", Value::Bool(true)),
        ("false", Value::Bool(false)),
        ("0", Value::Bool(false)),
        ("yes", s("yes")),
    ] {
        assert_eq!(
            where_m(json!({ "active": given })),
            cond("active", Condition::Eq(expected)),
            "{given}"
        );
    }
    assert_eq!(where_m(json!({"active": true})), Where::eq("active", true));
    assert_eq!(
        where_m(json!({"active": null})),
        cond("active", Condition::Eq(Value::Null))
    );
}

#[test]
fn date_coercion() {
    assert_eq!(
        where_m(json!({"date": {"gt": "2014-04-01T18:30:00.000Z"}})),
        cond("date", Condition::Gt(date("2014-04-01T18:30:00Z")))
    );
    assert_eq!(
        where_m(json!({"date": "2014-04-01"})),
        cond("date", Condition::Eq(date("2014-04-01T00:00:00Z")))
    );
    assert_eq!(
        where_m(json!({"date": {"gt": 1396377000000i64}})),
        cond("date", Condition::Gt(date("2014-04-01T18:30:00Z")))
    );
    let (path, msg, _) = fail_m(json!({"where": {"date": {"gt": "nope"}}}));
    assert_eq!(path, "filter.where.date.gt");
    assert_eq!(msg, "Invalid date: nope");
    let (path, _, _) = fail_m(json!({"where": {"date": {"inq": ["2014-04-01", "x"]}}}));
    assert_eq!(path, "filter.where.date.inq[1]");
    let (_, msg, _) = fail_m(json!({"where": {"date": true}}));
    assert_eq!(msg, "Invalid date: true");
}

/// Found by fuzzing: `{"date": {}}` skipped coercion, while its printed form `{"eq": {}}` was
/// coerced and refused.
#[test]
fn regression_empty_object_values_are_coerced_like_their_printed_form() {
    let (path, msg, _) = fail_m(json!({"where": {"date": {}}}));
    assert_eq!(
        (path.as_str(), msg.as_str()),
        ("filter.where.date", "Invalid date: {}")
    );
    assert_eq!(
        where_m(json!({"meta": {}})),
        cond("meta", Condition::Eq(Value::Object(Record::new())))
    );
}

/// Found by fuzzing: `-2015-01-01` parsed, printed as `-2015-01-01T00:00:00.000Z`, which did not
/// parse back.
#[test]
fn regression_dates_outside_years_0_to_9999_round_trip() {
    let m = car();
    let opts = ParseOptions::for_model(&m);
    for given in [
        json!("-2015-01-01"),
        json!(253_402_300_800_000i64),
        json!(-8_000_000_000_000_000i64),
    ] {
        let f = parse_m(json!({"where": {"date": {"gt": given}}}));
        assert_eq!(roundtrip(&f, &opts), f, "{given}");
    }
    assert_eq!(
        where_m(json!({"date": "-002015-01-01T00:00:00.000Z"})),
        where_m(json!({"date": "-2015-01-01"}))
    );
}

#[test]
fn array_properties_are_coerced_by_element_type() {
    assert_eq!(where_m(json!({"scores": "5"})), Where::eq("scores", 5));
    assert_eq!(
        where_m(json!({"scores": ["5", "x"]})),
        cond(
            "scores",
            Condition::Eq(Value::Array(vec![Value::Int(5), s("x")]))
        )
    );
    assert_eq!(
        where_m(json!({"days": {"lt": "2020-01-01"}})),
        cond("days", Condition::Lt(date("2020-01-01")))
    );
    assert_eq!(
        where_m(json!({"keywords": {"inq": ["foo", 5]}})),
        cond("keywords", Condition::Inq(vec![s("foo"), Value::Int(5)]))
    );
}

#[test]
fn pattern_operands_geo_points_and_unknown_keys_are_not_coerced() {
    assert_eq!(
        where_m(json!({"odo": {"like": "5"}})),
        cond("odo", Condition::Like("5".into()))
    );
    assert_eq!(
        where_m(json!({"odo": {"regexp": "^5"}})),
        cond("odo", re("^5", false, false, false))
    );
    assert_eq!(where_m(json!({"unknown": "5"})), Where::eq("unknown", "5"));
    assert_eq!(
        where_m(json!({"meta.size": "5"})),
        Where::eq("meta.size", "5")
    );
    assert_eq!(
        where_m(json!({"meta": {"eq": {"a": "5"}}})),
        cond("meta", Condition::Eq(Value::from_json(&json!({"a": "5"}))))
    );
    assert_eq!(
        where_m(json!({"loc": {"eq": "1,2"}})),
        cond("loc", Condition::Eq(s("1,2")))
    );
    assert_eq!(where_m(json!({"title": 5})), Where::eq("title", 5));
}

#[test]
fn without_a_model_values_are_not_coerced() {
    assert_eq!(where_of(json!({"odo": "5000"})), Where::eq("odo", "5000"));
    assert_eq!(
        where_of(json!({"date": "2014-04-01"})),
        Where::eq("date", "2014-04-01")
    );
}

#[test]
fn coercion_reaches_into_and_or() {
    assert_eq!(
        where_m(json!({"or": [{"odo": "1"}, {"and": [{"active": "0"}]}]})),
        Where::Or(vec![
            Where::eq("odo", 1),
            Where::And(vec![Where::eq("active", false)])
        ])
    );
}

// ---------------------------------------------------------------------------------------------
// Printing

#[test]
fn where_prints_as_lb3_json() {
    let w = Where::And(vec![
        Where::eq("a", 1),
        cond("b", Condition::Gt(Value::Int(2))),
        cond("b", Condition::Lt(Value::Int(5))),
        cond("o", Condition::Eq(Value::Array(vec![Value::Int(1)]))),
        Where::Or(vec![
            Where::eq("c", "x"),
            cond("d", re("^t", true, false, false)),
        ]),
    ]);
    assert_eq!(
        w.to_json(),
        json!({"a": 1, "b": {"gt": 2, "lt": 5}, "o": {"eq": [1]}, "or": [{"c": "x"}, {"d": {"regexp": "/^t/i"}}]})
    );
    let dup = Where::And(vec![
        Where::eq("a", 1),
        Where::eq("b", 1),
        Where::eq("a", 2),
    ]);
    assert_eq!(
        dup.to_json(),
        json!({"and": [{"a": 1}, {"b": 1}, {"a": 2}]})
    );
    assert_eq!(
        Where::And(vec![Where::eq("a", 1)]).to_json(),
        json!({"and": [{"a": 1}]})
    );
    assert_eq!(Where::And(vec![]).to_json(), json!({}));
    assert_eq!(Where::Nor(vec![]).to_json(), json!({"nor": []}));
}

#[test]
fn operands_print_in_their_lb3_forms() {
    let near = Near {
        point: GeoPoint::new(42.5, -72.25).unwrap(),
        max_distance: Some(2.0),
        min_distance: None,
        unit: Some(DistanceUnit::Kilometers),
    };
    assert_eq!(
        cond("loc", Condition::Near(near)).to_json(),
        json!({"loc": {"near": "42.5,-72.25", "maxDistance": 2.0, "unit": "kilometers"}})
    );
    assert_eq!(
        cond("d", Condition::Gte(date("2014-04-01T18:30:00Z"))).to_json(),
        json!({"d": {"gte": "2014-04-01T18:30:00.000Z"}})
    );
    assert_eq!(
        cond("p", Condition::Between(Value::Int(1), Value::Int(2))).to_json(),
        json!({"p": {"between": [1, 2]}})
    );
    assert_eq!(
        cond("p", Condition::Nin(vec![s("a")])).to_json(),
        json!({"p": {"nin": ["a"]}})
    );
    assert_eq!(
        cond("p", Condition::Eq(Value::Null)).to_json(),
        json!({"p": null})
    );
    assert_eq!(
        cond("p", Condition::Eq(Value::Object(Record::new()))).to_json(),
        json!({"p": {"eq": {}}})
    );
}

#[test]
fn filter_prints_normalised() {
    let f = parse(json!({
        "where": {"a": 1},
        "fields": {"a": true, "b": false},
        "order": "a, b DESC",
        "skip": 5,
        "include": {"owner": "orders"}
    }));
    assert_eq!(
        f.to_json(),
        json!({
            "where": {"a": 1},
            "fields": {"a": true},
            "order": ["a ASC", "b DESC"],
            "limit": 100,
            "skip": 5,
            "include": [{"relation": "owner", "scope": {"include": [{"relation": "orders"}]}}]
        })
    );
    assert_eq!(Filter::default().to_json(), json!({}));
    let excl = Filter::new().exclude_fields(["vin"]);
    assert_eq!(excl.to_json(), json!({"fields": {"vin": false}}));
}

#[test]
fn printed_filters_parse_back() {
    let m = car();
    let opts = ParseOptions::for_model(&m);
    let f = parse_m(json!({
        "where": {"and": [{"date": {"lt": "2020-01-01"}}, {"or": [{"odo": {"gt": "5"}}, {"model": {"regexp": "/^t/im"}}]}],
                  "loc": {"near": [10, 20], "maxDistance": 3}},
        "fields": ["odo", "model"],
        "order": ["odo DESC"],
        "limit": 3,
        "include": [{"relation": "owner", "scope": {"where": {"x": {"inq": [1, 2]}}, "limit": 1}}]
    }));
    assert_eq!(roundtrip(&f, &opts), f);
    let eqs = Where::And(vec![
        cond("a", Condition::Eq(Value::Object(Record::new()))),
        cond("a", Condition::Gt(Value::Int(1))),
        cond("b", Condition::Eq(Value::Array(vec![]))),
    ]);
    assert_eq!(
        Where::from_json(&eqs.to_json(), &ParseOptions::default()).unwrap(),
        eqs
    );
}

// ---------------------------------------------------------------------------------------------
// Query strings: both encodings give the same AST

#[test]
fn spec_vector_odo_gt() {
    let a = qs_m("filter[where][odo][gt]=5000");
    assert_eq!(a.where_, Some(cond("odo", Condition::Gt(Value::Int(5000)))));
    assert_eq!(a, parse_m(json!({"where": {"odo": {"gt": 5000}}})));
    assert_eq!(
        qs_m("filter[where][odo][lt]=30000").where_,
        Some(cond("odo", Condition::Lt(Value::Int(30000))))
    );
}

#[test]
fn spec_vector_inq_json_and_repeated_keys() {
    let json_form = qs("filter={\"where\":{\"keywords\":{\"inq\":[\"foo\",\"bar\"]}}}");
    let repeated = qs("filter[where][keywords][inq]=foo&filter[where][keywords][inq]=bar");
    assert_eq!(json_form, repeated);
    assert_eq!(
        json_form.where_,
        Some(cond("keywords", Condition::Inq(vec![s("foo"), s("bar")])))
    );
    let encoded = qs("filter=%7B%22where%22%3A%7B%22keywords%22%3A%7B%22inq%22%3A%5B%22foo%22%2C%22bar%22%5D%7D%7D%7D");
    assert_eq!(encoded, json_form);
}

#[test]
fn spec_vector_regexp_with_flags() {
    let expected = Some(cond("model", re("^t", true, false, false)));
    assert_eq!(qs("filter[where][model][regexp]=/^t/i").where_, expected);
    assert_eq!(
        qs("filter%5Bwhere%5D%5Bmodel%5D%5Bregexp%5D=%2F%5Et%2Fi").where_,
        expected
    );
    assert_eq!(
        qs("filter[where][model][regexp]=^T").where_,
        Some(cond("model", re("^T", false, false, false)))
    );
}

#[test]
fn spec_vector_or_list_longer_than_twenty() {
    let query: Vec<String> = (0..25)
        .map(|i| format!("filter[where][or][{i}][id]={i}"))
        .collect();
    let brackets = qs_m(&query.join("&"));
    let clauses: Vec<Json> = (0..25).map(|i| json!({ "id": i })).collect();
    let json_form = parse_m(json!({"where": {"or": clauses}}));
    assert_eq!(brackets, json_form);
    let Some(Where::Or(items)) = &brackets.where_ else {
        panic!("{brackets:?}")
    };
    assert_eq!(items.len(), 25);
    assert_eq!(items[24], Where::eq("id", 24));
}

#[test]
fn repeated_inq_values_past_twenty_become_an_array_like_object() {
    let query: Vec<String> = (0..30)
        .map(|i| format!("filter[where][id][inq]={i}"))
        .collect();
    let f = qs_m(&query.join("&"));
    assert_eq!(
        f.where_,
        Some(cond(
            "id",
            Condition::Inq((0..30).map(Value::Int).collect())
        ))
    );
}

#[test]
fn spec_vectors_equality_limit_fields_order_include() {
    assert_eq!(
        qs("filter[where][name]=John&filter[limit]=3"),
        parse(json!({"where": {"name": "John"}, "limit": 3}))
    );
    assert_eq!(
        qs("filter[fields][id]=true&filter[fields][make]=true&filter[fields][model]=true"),
        parse(json!({"fields": {"id": true, "make": true, "model": true}}))
    );
    assert_eq!(
        qs("filter[fields][vin]=false"),
        parse(json!({"fields": {"vin": false}}))
    );
    assert_eq!(
        qs("filter[order]=audibleRange%20DESC&filter[limit]=3"),
        parse(json!({"order": "audibleRange DESC", "limit": 3}))
    );
    assert_eq!(
        qs("filter[order]=price+DESC").order,
        vec![order("price", Direction::Desc)]
    );
    assert_eq!(
        qs("filter[order][0]=p1 ASC&filter[order][1]=p2 DESC"),
        parse(json!({"order": ["p1 ASC", "p2 DESC"]}))
    );
    assert_eq!(qs("filter[skip]=50"), parse(json!({"skip": 50})));
    assert_eq!(
        qs("filter[include]=reviews&filter[include]=orders"),
        parse(json!({"include": ["reviews", "orders"]}))
    );
    assert_eq!(
        qs("filter[include][reviews]=author&filter[where][age]=21"),
        parse(json!({"include": {"reviews": "author"}, "where": {"age": "21"}}))
    );
}

#[test]
fn and_with_indexed_clauses() {
    let f = qs("filter[where][and][0][title]=My%20Post&filter[where][and][1][content]=Hello");
    assert_eq!(
        f.where_,
        Some(Where::And(vec![
            Where::eq("title", "My Post"),
            Where::eq("content", "Hello")
        ]))
    );
}

#[test]
fn between_and_near_in_brackets() {
    let f = qs_m("filter[where][price][between][0]=0&filter[where][price][between][1]=7");
    assert_eq!(
        f.where_,
        Some(cond(
            "price",
            Condition::Between(Value::Int(0), Value::Int(7))
        ))
    );
    let f = qs("filter[where][loc][near]=-28.1,153.536&filter[where][loc][maxDistance]=2&filter[where][loc][unit]=kilometers");
    let near = Near {
        point: GeoPoint::new(-28.1, 153.536).unwrap(),
        max_distance: Some(2.0),
        min_distance: None,
        unit: Some(DistanceUnit::Kilometers),
    };
    assert_eq!(f.where_, Some(cond("loc", Condition::Near(near))));
    let f = qs("filter[where][loc][near][0]=1&filter[where][loc][near][1]=2");
    assert!(matches!(
        f.where_,
        Some(Where::Cond {
            op: Condition::Near(_),
            ..
        })
    ));
}

#[test]
fn sparse_indices_are_compacted_in_index_order() {
    assert_eq!(
        qs("filter[order][3]=b&filter[order][1]=a"),
        parse(json!({"order": ["a", "b"]}))
    );
    assert_eq!(
        qs("filter[order][1]=b&filter[order][0]=a"),
        parse(json!({"order": ["a", "b"]}))
    );
}

#[test]
fn a_single_inq_value_in_brackets_is_not_a_list() {
    let (path, msg, _) = qs_fail("filter[where][id][inq]=5");
    assert_eq!(path, "filter.where.id.inq");
    assert!(msg.contains("not an array"), "{msg}");
    assert_eq!(
        qs("filter[where][id][inq][]=5").where_,
        Some(cond("id", Condition::Inq(vec![s("5")])))
    );
}

#[test]
fn absent_empty_and_null_filter_parameters() {
    let opts = ParseOptions::default();
    for q in [
        "",
        "a=1&b=2",
        "filter=",
        "filter=null",
        "?x=1",
        "filters[limit]=1",
    ] {
        assert_eq!(Filter::from_query_string(q, &opts).unwrap(), None, "{q}");
    }
    assert_eq!(qs("?filter[limit]=2").limit, Some(2));
    assert_eq!(qs("[filter][limit]=2").limit, Some(2));
}

#[test]
fn invalid_json_reports_line_and_column() {
    let (path, msg, _) = qs_fail("filter={\"where\":{\"a\":}}");
    assert_eq!(path, "filter");
    assert!(
        msg.starts_with("The filter parameter is not valid JSON: "),
        "{msg}"
    );
    assert!(msg.ends_with("expected value at line 1 column 15"), "{msg}");
    let (_, msg, _) = qs_fail("filter=abc");
    assert!(
        msg.starts_with("The filter parameter must be a JSON object"),
        "{msg}"
    );
    let (path, _, _) = qs_fail("filter=%7B%22limit%22:0%7D");
    assert_eq!(path, "filter.limit");
}

#[test]
fn json_and_bracket_forms_cannot_be_mixed() {
    let (path, msg, _) = qs_fail("filter={\"limit\":1}&filter[limit]=2");
    assert_eq!(path, "filter");
    assert!(msg.contains("must be given once"), "{msg}");
    let (path, _, _) = qs_fail("filter={}&filter={}");
    assert_eq!(path, "filter");
}

#[test]
fn a_value_and_nested_keys_for_one_key_conflict() {
    let (path, msg, _) = qs_fail("filter[where][a][gt]=1&filter[where][a]=2");
    assert_eq!(path, "filter.where.a");
    assert!(
        msg.contains("both as a value and with nested keys"),
        "{msg}"
    );
}

#[test]
fn too_many_parameters_are_refused() {
    let q: Vec<String> = (0..1001).map(|i| format!("p{i}=1")).collect();
    let (path, msg, _) = qs_fail(&q.join("&"));
    assert_eq!(path, "filter");
    assert_eq!(msg, "The query string has more than 1000 parameters");
    let q: Vec<String> = (0..1000)
        .map(|i| format!("filter[where][or][{i}][id]={i}"))
        .collect();
    let f = qs(&q.join("&"));
    assert!(matches!(f.where_, Some(Where::Or(v)) if v.len() == 1000));
}

#[test]
fn bracket_depth_is_limited() {
    let deep = format!("filter{}=1", "[a]".repeat(33));
    let (path, msg, code) = qs_fail(&deep);
    assert_eq!(code, Some("QUERY_OBJECT_TOO_DEEP"));
    assert_eq!(msg, "The query object exceeds maximum depth 32");
    assert!(path.starts_with("filter.a.a."), "{path}");
    let opts = ParseOptions {
        max_depth: 3,
        ..ParseOptions::default()
    };
    let (path, _, _) = invalid(Filter::from_query_string(
        "filter[where][a][gt]=1&filter[where][or][0][b]=1",
        &opts,
    ));
    assert_eq!(path, "filter.where.or[0].b");
}

#[test]
fn query_string_safety_checks_apply() {
    let (path, _, code) = qs_fail("filter[where][name][$ne]=x");
    assert_eq!(
        (path.as_str(), code),
        (
            "filter.where.name.$ne",
            Some("OPERATOR_NOT_ALLOWED_IN_QUERY")
        )
    );
    let (path, _, _) = qs_fail("filter[where][__proto__][x]=1");
    assert_eq!(path, "filter.where.__proto__");
    let (path, _, _) = qs_fail("filter[wher][a]=1");
    assert_eq!(path, "filter.wher");
    let m = car();
    let (path, _, code) = invalid(Filter::from_query_string(
        "filter[where][password][like]=a%25",
        &ParseOptions::for_model(&m),
    ));
    assert_eq!(
        (path.as_str(), code),
        (
            "filter.where.password",
            Some("PROPERTY_NOT_ALLOWED_IN_QUERY")
        )
    );
}

#[test]
fn where_parameter_for_count_and_update() {
    let m = car();
    let opts = ParseOptions::for_model(&m);
    assert_eq!(
        Where::from_query_string("where[odo][gte]=10&filter[limit]=1", &opts).unwrap(),
        Some(cond("odo", Condition::Gte(Value::Int(10))))
    );
    assert_eq!(
        Where::from_query_string("where=%7B%22active%22%3A%221%22%7D", &opts).unwrap(),
        Some(Where::eq("active", true))
    );
    assert_eq!(
        Where::from_query_string("filter[where][a]=1", &opts).unwrap(),
        None
    );
    let (path, _, _) = invalid(Where::from_query_string("where[odo][foo]=1", &opts));
    assert_eq!(path, "where.odo.foo");
}

#[test]
fn decoding_follows_qs() {
    assert_eq!(
        qs("filter[where][t]=a+b%20c").where_,
        Some(Where::eq("t", "a b c"))
    );
    assert_eq!(
        qs("filter[where][t]=100%").where_,
        Some(Where::eq("t", "100%"))
    );
    assert_eq!(
        qs("filter[where][t]=%FF").where_,
        Some(Where::eq("t", "%FF"))
    );
    assert_eq!(
        qs("filter[where][t]=a=b").where_,
        Some(Where::eq("t", "a=b"))
    );
    assert_eq!(qs("filter[where][t]").where_, Some(Where::eq("t", "")));
    assert_eq!(
        qs("filter[where][t]=%E2%9C%93").where_,
        Some(Where::eq("t", "✓"))
    );
    assert_eq!(
        qs("filter[where][address.city]=Paris").where_,
        Some(Where::eq("address.city", "Paris"))
    );
}

#[test]
fn odd_query_strings_do_not_panic() {
    let opts = ParseOptions::default();
    for q in [
        "filter[",
        "filter]",
        "filter[[[[",
        "filter]]]]=1",
        "filter[where][a[b]]=1",
        "filter[][]=1",
        "filter[where][]=1",
        "filter[0]=1",
        "filter[where]x[a]=1",
        "=&==&&&",
        "filter%",
        "filter%5",
        "filter[where][a]=%",
        "%ZZ[where]=1",
        "filter[where][a][0][0][0][0]=1&filter[where][a][0]=2",
        "filter[include][a]=b&filter[include]=c",
        "filter[include]=c&filter[include][a]=b",
        "filter[order][25]=a&filter[order]=b",
        "filter[order]=b&filter[order][25]=a",
        "filter[where][or][19][a]=1&filter[where][or][]=2",
        "filter[limit]=99999999999999999999999",
        "filter[where][date][gt]=-1e400",
    ] {
        let _ = Filter::from_query_string(q, &opts);
        let _ = Where::from_query_string(q, &opts);
    }
}

#[test]
fn include_strings_and_objects_merge_like_qs() {
    assert_eq!(
        qs("filter[include]=c&filter[include][a]=b"),
        parse(json!({"include": ["c", {"a": "b"}]}))
    );
}

// ---------------------------------------------------------------------------------------------
// Property tests

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "title", "price", "address.city", "n_2"])
        .prop_map(String::from)
}

fn plain_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::Float),
        "[a-zA-Z0-9 %_./-]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::vec(("[a-z]{1,5}", inner), 0..3)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn pattern() -> impl Strategy<Value = RegexpPattern> {
    (
        prop::sample::select(vec!["^T", "a.c", "x/y", "", "[0-9]+", "(ab|cd)$", "\\d"]),
        any::<(bool, bool, bool)>(),
    )
        .prop_map(|(source, (i, g, m))| RegexpPattern {
            source: source.into(),
            case_insensitive: i,
            global: g,
            multiline: m,
        })
}

fn near() -> impl Strategy<Value = Near> {
    let unit = prop::sample::select(vec![
        DistanceUnit::Miles,
        DistanceUnit::Kilometers,
        DistanceUnit::Meters,
        DistanceUnit::Feet,
        DistanceUnit::Radians,
        DistanceUnit::Degrees,
    ]);
    (
        -90.0..=90.0f64,
        -180.0..=180.0f64,
        prop::option::of(0.0..1e6f64),
        prop::option::of(0.0..1e3f64),
        prop::option::of(unit),
    )
        .prop_map(|(lat, lng, max_distance, min_distance, unit)| Near {
            point: GeoPoint::new(lat, lng).unwrap(),
            max_distance,
            min_distance,
            unit,
        })
}

fn condition(value: BoxedStrategy<Value>) -> impl Strategy<Value = Condition> {
    let text = "[a-zA-Z%_ .-]{0,6}";
    prop_oneof![
        value.clone().prop_map(Condition::Eq),
        value.clone().prop_map(Condition::Neq),
        value.clone().prop_map(Condition::Gt),
        value.clone().prop_map(Condition::Gte),
        value.clone().prop_map(Condition::Lt),
        value.clone().prop_map(Condition::Lte),
        (value.clone(), value.clone()).prop_map(|(a, b)| Condition::Between(a, b)),
        prop::collection::vec(value.clone(), 0..4).prop_map(Condition::Inq),
        prop::collection::vec(value, 0..4).prop_map(Condition::Nin),
        text.prop_map(Condition::Like),
        text.prop_map(Condition::NLike),
        text.prop_map(Condition::ILike),
        text.prop_map(Condition::NILike),
        pattern().prop_map(Condition::Regexp),
        near().prop_map(Condition::Near),
    ]
}

fn where_tree(leaf: BoxedStrategy<Where>) -> impl Strategy<Value = Where> {
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Where::And),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Where::Or),
            prop::collection::vec(inner, 0..4).prop_map(Where::Nor),
        ]
    })
}

fn plain_where() -> impl Strategy<Value = Where> {
    let leaf = (name(), condition(plain_value().boxed()))
        .prop_map(|(p, op)| Where::Cond { property: p, op });
    where_tree(leaf.boxed())
}

fn fields() -> impl Strategy<Value = Fields> {
    (
        prop::sample::subsequence(vec!["a", "b", "c", "title", "x.y"], 1..4),
        any::<bool>(),
    )
        .prop_map(|(names, include)| {
            let names = names.into_iter().map(String::from).collect();
            if include {
                Fields::Include(names)
            } else {
                Fields::Exclude(names)
            }
        })
}

fn orders() -> impl Strategy<Value = Vec<Order>> {
    prop::collection::vec(
        (name(), any::<bool>()).prop_map(|(property, desc)| Order {
            property,
            direction: if desc {
                Direction::Desc
            } else {
                Direction::Asc
            },
        }),
        0..3,
    )
}

/// Filters whose `where` comes from `where_`; include scopes are plain (no model applies there).
fn filter_with(where_: BoxedStrategy<Where>, include_depth: u32) -> BoxedStrategy<Filter> {
    let includes: BoxedStrategy<Vec<Include>> = if include_depth == 0 {
        Just(Vec::new()).boxed()
    } else {
        prop::collection::vec(
            (
                "[a-z]{1,6}",
                prop::option::of(filter_with(plain_where().boxed(), include_depth - 1)),
            )
                .prop_map(|(relation, scope)| Include {
                    relation,
                    scope: scope.map(Box::new),
                }),
            0..3,
        )
        .boxed()
    };
    (
        prop::option::of(where_),
        prop::option::of(fields()),
        orders(),
        prop::option::of(1..10_000u64),
        prop::option::of(0..10_000u64),
        includes,
    )
        .prop_map(|(where_, fields, order, mut limit, skip, include)| {
            if limit.is_none() && skip.is_some_and(|s| s > 0) {
                limit = Some(100);
            }
            Filter {
                where_,
                fields,
                order,
                limit,
                skip,
                include,
            }
        })
        .boxed()
}

fn typed_leaf(property: &'static str, value: BoxedStrategy<Value>) -> BoxedStrategy<Where> {
    prop_oneof![
        value.clone().prop_map(Condition::Eq),
        value.clone().prop_map(Condition::Neq),
        value.clone().prop_map(Condition::Gt),
        value.clone().prop_map(Condition::Lte),
        (value.clone(), value.clone()).prop_map(|(a, b)| Condition::Between(a, b)),
        prop::collection::vec(value.clone(), 0..4).prop_map(Condition::Inq),
        prop::collection::vec(value, 0..4).prop_map(Condition::Nin),
    ]
    .prop_map(move |op| Where::Cond {
        property: property.to_owned(),
        op,
    })
    .boxed()
}

/// Conditions on the typed properties of [`car`] with values of the declared types, so that
/// printing and re-coercing gives the same values back (dates included).
fn typed_where() -> impl Strategy<Value = Where> {
    let ms = -8_000_000_000_000_000i64..8_000_000_000_000_000i64;
    let date = ms.prop_map(|ms| Value::Date(chrono::DateTime::from_timestamp_millis(ms).unwrap()));
    let leaf = prop_oneof![
        typed_leaf("odo", any::<i64>().prop_map(Value::Int).boxed()),
        typed_leaf("price", (-1e9..1e9f64).prop_map(Value::Float).boxed()),
        typed_leaf("active", any::<bool>().prop_map(Value::Bool).boxed()),
        typed_leaf("date", date.boxed()),
        typed_leaf("title", "[a-z0-9 ]{0,6}".prop_map(Value::String).boxed()),
    ];
    where_tree(leaf.boxed())
}

fn qs_noise() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "filter",
        "where",
        "[",
        "]",
        "=",
        "&",
        "%",
        "%5B",
        "%5D",
        "%2",
        "+",
        "{",
        "}",
        "\"",
        ":",
        ",",
        "0",
        "1",
        "21",
        "[]",
        "[0]",
        "[or]",
        "[and]",
        "[inq]",
        "[regexp]",
        "/^a/i",
        "[limit]",
        "[order]",
        "[include]",
        "[fields]",
        "[near]",
        "$ne",
        "__proto__",
        "%FF",
        "%E2%9C",
        "null",
        "true",
        "x",
    ]);
    prop::collection::vec(token, 0..40).prop_map(|t| t.concat())
}

fn filterish_json() -> impl Strategy<Value = Json> {
    let key = prop::sample::select(vec![
        "where",
        "fields",
        "order",
        "limit",
        "skip",
        "offset",
        "include",
        "relation",
        "scope",
        "and",
        "or",
        "nor",
        "gt",
        "lt",
        "eq",
        "neq",
        "inq",
        "nin",
        "between",
        "like",
        "regexp",
        "near",
        "maxDistance",
        "unit",
        "a",
        "b",
        "0",
        "1",
        "$gt",
    ]);
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        (-5i64..5).prop_map(Json::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Json::from),
        prop::sample::select(vec![
            "a",
            "a DESC",
            "1",
            "true",
            "/x/i",
            "(",
            "1,2",
            "kilometers",
            "2020-01-01",
            ""
        ])
        .prop_map(Json::from),
    ];
    leaf.prop_recursive(5, 64, 5, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            prop::collection::vec((key.clone(), inner), 0..4).prop_map(|kv| Json::Object(
                kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn printed_filters_parse_back_to_the_same_ast(f in filter_with(plain_where().boxed(), 2)) {
        let printed = f.to_json();
        let parsed = Filter::from_json(&printed, &ParseOptions::default());
        prop_assert!(parsed.is_ok(), "{printed}: {parsed:?}");
        prop_assert_eq!(parsed.unwrap(), f);
    }

    #[test]
    fn printed_typed_filters_parse_back_with_the_model(f in filter_with(typed_where().boxed(), 1)) {
        let m = car();
        let opts = ParseOptions::for_model(&m);
        let parsed = Filter::from_json(&f.to_json(), &opts);
        prop_assert!(parsed.is_ok(), "{}: {parsed:?}", f.to_json());
        prop_assert_eq!(parsed.unwrap(), f);
    }

    #[test]
    fn json_text_in_the_query_string_equals_from_json(f in filter_with(plain_where().boxed(), 1)) {
        // Compared with the same text parsed by serde_json: without its `float_roundtrip`
        // feature, float text may come back one ulp off, which is not this parser's doing.
        let text = f.to_json().to_string();
        let expected = Filter::from_json(&serde_json::from_str(&text).unwrap(), &ParseOptions::default()).unwrap();
        let encoded: String = percent_encoding::utf8_percent_encode(&text, percent_encoding::NON_ALPHANUMERIC).collect();
        let parsed = Filter::from_query_string(&format!("a=1&filter={encoded}"), &ParseOptions::default());
        prop_assert_eq!(parsed.unwrap(), Some(expected));
    }

    #[test]
    fn parsing_is_idempotent_on_arbitrary_json(j in filterish_json()) {
        let m = car();
        for opts in [ParseOptions::default(), ParseOptions::for_model(&m)] {
            if let Ok(f) = Filter::from_json(&j, &opts) {
                let again = Filter::from_json(&f.to_json(), &opts);
                prop_assert!(again.is_ok(), "{j} -> {} -> {again:?}", f.to_json());
                prop_assert_eq!(again.unwrap(), f);
            }
            if let Ok(w) = Where::from_json(&j, &opts) {
                prop_assert_eq!(Where::from_json(&w.to_json(), &opts).unwrap(), w);
            }
        }
    }

    #[test]
    fn query_string_parser_never_panics_on_arbitrary_strings(q in any::<String>()) {
        let _ = Filter::from_query_string(&q, &ParseOptions::default());
        let _ = Where::from_query_string(&q, &ParseOptions::default());
    }

    #[test]
    fn query_string_parser_never_panics_on_bracket_noise(q in qs_noise()) {
        let m = car();
        for opts in [ParseOptions::default(), ParseOptions::for_model(&m)] {
            if let Ok(Some(f)) = Filter::from_query_string(&q, &opts) {
                // Whatever parses prints to JSON that parses back to the same filter.
                prop_assert_eq!(Filter::from_json(&f.to_json(), &opts).unwrap(), f);
            }
            let _ = Where::from_query_string(&q, &opts);
        }
    }
}

#[test]
fn equalities_are_the_conditions_every_match_satisfies() {
    let w = Where::from_json(
        &json!({"and": [{"a": 1}, {"and": [{"b": "x"}]}, {"or": [{"c": 2}, {"c": 3}]}],
                "d": {"gt": 4}}),
        &ParseOptions::default(),
    )
    .unwrap();
    let eq: Vec<(&str, Json)> = w
        .equalities()
        .into_iter()
        .map(|(p, v)| (p, v.to_json()))
        .collect();
    assert_eq!(eq, [("a", json!(1)), ("b", json!("x"))]);
    let or = Where::from_json(
        &json!({"or": [{"a": 1}, {"b": 2}]}),
        &ParseOptions::default(),
    )
    .unwrap();
    assert!(or.equalities().is_empty());
}

#[test]
fn merged_with_ands_wheres_and_lets_the_caller_win() {
    let parse = |j: Json| Filter::from_json(&j, &ParseOptions::default()).unwrap();
    let caller = parse(json!({"where": {"a": 1}, "limit": 5, "include": ["x"]}));
    let defaults = parse(json!({"where": {"b": 2}, "limit": 10, "order": "a DESC",
        "include": ["x", {"relation": "y"}]}));
    let m = caller.merged_with(defaults);
    assert_eq!(
        m.to_json(),
        json!({"where": {"a": 1, "b": 2}, "order": ["a DESC"], "limit": 5,
               "include": [{"relation": "x"}, {"relation": "y"}]})
    );
}

// ---------------------------------------------------------------------------------------------
// Conditions on related models

mod related {
    use std::sync::Arc;

    use super::*;
    use crate::filter::Quantifier;

    fn models(name: &str) -> Option<Arc<ModelDefinition>> {
        let j = match name {
            "Author" => json!({"name": "Author", "properties": {"name": "string", "born": "date"},
                "relations": {"books": {"type": "hasMany", "model": "Book"},
                              "home": {"type": "embedsOne", "model": "Address",
                                       "property": "homeAddress"},
                              "ghost": {"type": "hasMany", "model": "Nowhere"}}}),
            "Book" => json!({"name": "Book",
                "properties": {"title": "string", "price": "number", "code": "string",
                               "authorId": "number"},
                "hidden": ["code"],
                "relations": {"author": {"type": "belongsTo", "model": "Author"},
                              "owner": {"type": "belongsTo", "polymorphic": true}}}),
            _ => return None,
        };
        Some(Arc::new(ModelDefinition::from_lb3_json(&j).unwrap()))
    }

    fn parse_on(model: &str, j: Json) -> crate::error::Result<Filter> {
        let def = models(model).unwrap();
        let lookup = models;
        Filter::from_json(&j, &ParseOptions::for_model(&def).with_models(&lookup))
    }

    fn where_on(model: &str, j: Json) -> Where {
        parse_on(model, json!({ "where": j }))
            .unwrap()
            .where_
            .unwrap()
    }

    #[test]
    fn quantified_and_dotted_forms() {
        let gt = Where::cond("price", Condition::Gt(Value::Int(10)));
        for (q, quantifier) in [
            ("some", Quantifier::Some),
            ("none", Quantifier::None),
            ("every", Quantifier::Every),
        ] {
            assert_eq!(
                where_on("Author", json!({"books": {q: {"price": {"gt": "10"}}}})),
                Where::related("books", quantifier, gt.clone()),
            );
        }
        assert_eq!(
            where_on("Author", json!({"books.price": {"gt": 10}})),
            Where::related("books", Quantifier::Some, gt.clone()),
        );
        // Nested, and values coerced by the related model's types at each level.
        assert_eq!(
            where_on("Author", json!({"books.author.born": "2020-01-01"})),
            Where::related(
                "books",
                Quantifier::Some,
                Where::related(
                    "author",
                    Quantifier::Some,
                    Where::eq("born", parse_date("2020-01-01").unwrap())
                )
            ),
        );
        // Beside other conditions.
        assert_eq!(
            where_on("Book", json!({"title": "t", "author.name": "ann"})),
            Where::And(vec![
                Where::eq("title", "t"),
                Where::related("author", Quantifier::Some, Where::eq("name", "ann")),
            ]),
        );
        // An empty condition: any related model.
        assert_eq!(
            where_on("Author", json!({"books": {"none": {}}})),
            Where::related("books", Quantifier::None, Where::And(vec![])),
        );
    }

    #[test]
    fn printed_and_parsed_back() {
        for j in [
            json!({"books": {"every": {"price": {"gt": 10}}}}),
            json!({"name": "x", "books": {"some": {"author": {"none": {"name": "y"}}}}}),
            json!({"or": [{"books": {"some": {"title": "a"}}}, {"name": "b"}]}),
        ] {
            let w = where_on("Author", j.clone());
            assert_eq!(w.to_json(), j);
            assert_eq!(where_on("Author", w.to_json()), w);
        }
        // The dotted shorthand prints in the explicit form.
        assert_eq!(
            where_on("Book", json!({"author.name": "ann"})).to_json(),
            json!({"author": {"some": {"name": "ann"}}})
        );
    }

    #[test]
    fn include_scopes_are_read_against_the_related_model() {
        let f = parse_on(
            "Author",
            json!({"include": {"relation": "books",
                               "scope": {"where": {"price": "5", "author.name": "x"}}}}),
        )
        .unwrap();
        let scope = f.include[0].scope.as_ref().unwrap();
        assert_eq!(
            scope.where_,
            Some(Where::And(vec![
                Where::eq("price", 5),
                Where::related("author", Quantifier::Some, Where::eq("name", "x")),
            ]))
        );
        // Hidden properties of the related model are refused there too.
        let e = parse_on(
            "Author",
            json!({"include": {"relation": "books", "scope": {"where": {"code": "c"}}}}),
        )
        .unwrap_err();
        assert_eq!(e.code(), Some("PROPERTY_NOT_ALLOWED_IN_QUERY"));
    }

    #[test]
    fn bad_related_conditions() {
        let fails = |model: &str, j: Json| -> (String, String) {
            let (path, message, _) = invalid(parse_on(model, json!({ "where": j })));
            (path, message)
        };
        let (path, message) = fails("Author", json!({"books": {"most": {}}}));
        assert_eq!(path, "filter.where.books");
        assert!(
            message.contains("one key, some, none or every"),
            "{message}"
        );
        assert!(fails("Author", json!({"books": [1]})).1.contains("one key"));
        let (path, message) = fails("Author", json!({"books": {"some": "x"}}));
        assert_eq!(path, "filter.where.books.some");
        assert!(message.contains("is not an object"), "{message}");
        let (path, _) = fails("Author", json!({"books": {"some": {"price": {"foo": 1}}}}));
        assert_eq!(path, "filter.where.books.some.price.foo");
        assert!(fails("Author", json!({"home.city": "x"}))
            .1
            .contains("embedded"));
        assert!(fails("Author", json!({"ghost.x": 1}))
            .1
            .contains("target model Nowhere is not defined"));
        assert!(fails("Book", json!({"owner.name": "x"}))
            .1
            .contains("polymorphic belongsTo"));
        let (_, message, code) = invalid(parse_on("Author", json!({"where": {"books.code": "c"}})));
        assert_eq!(code, Some("PROPERTY_NOT_ALLOWED_IN_QUERY"));
        assert!(message.contains("\"code\""), "{message}");
        // Without the models, the parser says what it needs instead of reading a nested path.
        let def = models("Book").unwrap();
        let (_, message, _) = invalid(Where::from_json(
            &json!({"author.name": "x"}),
            &ParseOptions::for_model(&def),
        ));
        assert!(
            message.contains("need the application's models"),
            "{message}"
        );
        // Without a model, a dotted path stays a nested property path.
        assert_eq!(
            where_of(json!({"author.name": "x"})),
            Where::eq("author.name", "x")
        );
    }

    #[test]
    fn matching_a_record_needs_resolution_first() {
        let w = Where::related("books", Quantifier::Some, Where::eq("price", 1));
        assert!(w.compile().is_err());
        assert!(!w.matches(&Record::new()));
        assert!(w.has_related());
        assert!(!Where::eq("a", 1).has_related());
    }
}
