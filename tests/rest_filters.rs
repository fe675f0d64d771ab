//! `filter` and `where` over REST: stringified JSON and the bracket syntax, LB3's coercion of
//! query-string values, and the 400s for filters the parser refuses.

#![cfg(all(feature = "rest", feature = "memory"))]

mod rest_support;

use rest_support::*;
use serde_json::json;

#[tokio::test]
async fn json_and_bracket_filters_are_the_same_query() {
    let api = api().await;
    seed_books(&api).await;
    let expected = r#"[{"title":"Ulysses"},{"title":"Dune"}]"#;
    assert_reply(
        &get(&api, r#"/api/Books?filter={"where":{"price":{"gt":1}},"order":"price ASC","fields":{"title":true}}"#).await,
        200,
        expected,
    );
    assert_reply(
        &get(&api, "/api/Books?filter[where][price][gt]=1&filter[order]=price%20ASC&filter[fields][title]=true").await,
        200,
        expected,
    );
    // URL-encoded brackets and JSON are decoded too.
    assert_reply(
        &get(&api, "/api/Books?filter%5Bwhere%5D%5Bprice%5D%5Bgt%5D=1&filter%5Border%5D=price+ASC&filter%5Bfields%5D%5Btitle%5D=true").await,
        200,
        expected,
    );
    assert_reply(
        &get(
            &api,
            "/api/Books?filter=%7B%22where%22%3A%7B%22id%22%3A%221%22%7D%7D",
        )
        .await,
        200,
        r#"[{"id":1,"title":"Dune","price":9.5}]"#,
    );
}

#[tokio::test]
async fn query_string_values_are_coerced_by_property_type() {
    let api = api().await;
    seed_books(&api).await;
    // `"1"` is the number 1, `"true"` the boolean.
    assert_reply(
        &get(&api, "/api/Books?filter[where][price]=1").await,
        200,
        r#"[{"id":2,"title":"Emma","price":1,"published":true}]"#,
    );
    assert_reply(
        &get(
            &api,
            "/api/Books?filter[where][published]=true&filter[fields]=title",
        )
        .await,
        200,
        r#"[{"title":"Emma"}]"#,
    );
    // A string that is no number stays a string and matches nothing.
    assert_reply(
        &get(&api, "/api/Books/count?where[price][gt]=abc").await,
        200,
        r#"{"count":0}"#,
    );
}

#[tokio::test]
async fn arrays_order_limit_skip_and_operators() {
    let api = api().await;
    seed_books(&api).await;
    assert_reply(
        &get(&api, "/api/Books?filter[where][or][0][title]=Dune&filter[where][or][1][price]=2&filter[fields][id]=true").await,
        200,
        r#"[{"id":1},{"id":3}]"#,
    );
    assert_reply(
        &get(&api, "/api/Books?filter[where][title][inq]=Emma&filter[where][title][inq]=Dune&filter[fields][id]=true").await,
        200,
        r#"[{"id":1},{"id":2}]"#,
    );
    assert_reply(
        &get(
            &api,
            "/api/Books?filter[skip]=1&filter[limit]=1&filter[fields][id]=true",
        )
        .await,
        200,
        r#"[{"id":2}]"#,
    );
    assert_reply(
        &get(
            &api,
            r#"/api/Books?filter={"order":"price DESC","limit":2,"fields":["id"]}"#,
        )
        .await,
        200,
        r#"[{"id":1},{"id":3}]"#,
    );
    assert_reply(
        &get(
            &api,
            r#"/api/Books?filter={"where":{"title":{"regexp":"/^d/i"}},"fields":["id"]}"#,
        )
        .await,
        200,
        r#"[{"id":1}]"#,
    );
    assert_reply(
        &get(
            &api,
            "/api/Books?filter[where][title][like]=%25y%25&filter[fields][id]=true",
        )
        .await,
        200,
        r#"[{"id":3}]"#,
    );
}

#[tokio::test]
async fn empty_and_null_filters_are_absent() {
    let api = api().await;
    seed_books(&api).await;
    for uri in [
        "/api/Books?filter=",
        "/api/Books?filter=null",
        "/api/Books?other=1",
    ] {
        assert_eq!(
            get(&api, uri).await.json().as_array().map(Vec::len),
            Some(3),
            "{uri}"
        );
    }
}

#[tokio::test]
async fn find_by_id_honours_fields_and_include_only() {
    let api = api().await;
    seed_books(&api).await;
    assert_reply(
        &get(&api, r#"/api/Books/1?filter={"fields":{"title":true}}"#).await,
        200,
        r#"{"title":"Dune"}"#,
    );
    // The where of the filter is replaced by the id.
    assert_reply(
        &get(&api, r#"/api/Books/1?filter={"where":{"title":"Emma"}}"#).await,
        200,
        r#"{"id":1,"title":"Dune","price":9.5}"#,
    );
}

#[tokio::test]
async fn malformed_filters_are_400s() {
    let api = api().await;
    seed_books(&api).await;
    let cases = [
        (
            "/api/Books?filter={bad}",
            json!({"statusCode": 400, "name": "Error",
            "message": "Cannot parse JSON-encoded object value."}),
        ),
        (
            "/api/Books?filter={bad",
            json!({"statusCode": 400, "name": "Error",
            "message": "Value is not an object."}),
        ),
        (
            "/api/Books?filter=notjson",
            json!({"statusCode": 400, "name": "Error",
            "message": "Value is not an object."}),
        ),
        (
            "/api/Books?filter=[1]",
            json!({"statusCode": 400, "name": "Error",
            "message": "Value is not an object."}),
        ),
        (
            "/api/Books?filter={}&filter={}",
            json!({"statusCode": 400, "name": "Error",
            "message": "Value is not an object."}),
        ),
        (
            "/api/Books/count?where={x",
            json!({"statusCode": 400, "name": "Error",
            "message": "Value is not an object."}),
        ),
        (
            "/api/Books/count?where={x}",
            json!({"statusCode": 400, "name": "Error",
            "message": "Cannot parse JSON-encoded object value."}),
        ),
        (
            "/api/Books?filter[foo]=1",
            json!({"statusCode": 400, "name": "Error",
            "message": "Unknown filter key \"foo\"; a filter takes where, fields, order, limit, skip, offset and include (at `filter.foo`)"}),
        ),
        (
            "/api/Books?filter[where][price][foo]=1",
            json!({"statusCode": 400, "name": "Error",
            "message": "Unknown operator \"foo\"; to match a nested property use a dotted path (\"price.foo\"), to compare with an object use {\"eq\": {...}} (at `filter.where.price.foo`)"}),
        ),
        (
            "/api/Books?filter[limit]=abc",
            json!({"statusCode": 400, "name": "Error",
            "message": "The limit parameter \"abc\" is not valid (at `filter.limit`)"}),
        ),
        (
            "/api/Books?filter[limit]=-1",
            json!({"statusCode": 400, "name": "Error",
            "message": "The limit parameter \"-1\" is not valid (at `filter.limit`)"}),
        ),
        (
            "/api/Books?filter[order]=price%20SIDEWAYS",
            json!({"statusCode": 400, "name": "Error",
            "message": "The order \"price SIDEWAYS\" has invalid direction (at `filter.order`)"}),
        ),
        (
            "/api/Books?filter[include]=nope",
            json!({"statusCode": 400, "name": "Error",
            "message": "Relation \"nope\" is not defined for Book model"}),
        ),
        (
            "/api/Books?filter[where][__proto__][x]=1",
            json!({"statusCode": 400, "name": "Error",
            "message": "The key \"__proto__\" is not allowed in a query (at `filter.where.__proto__`)"}),
        ),
    ];
    for (uri, expected) in cases {
        let r = get(&api, uri).await;
        assert_eq!(
            (r.status.as_u16(), r.json()),
            (400, json!({ "error": expected })),
            "{uri}"
        );
    }
}

#[tokio::test]
async fn hidden_properties_cannot_be_queried() {
    let api = api().await;
    seed_books(&api).await;
    let refused = |at: &str| {
        json!({"error": {"statusCode": 400, "name": "Error",
            "message": format!("Properties \"secret\" are not allowed in query (at `{at}`)"),
            "code": "PROPERTY_NOT_ALLOWED_IN_QUERY"}})
    };
    for (uri, at) in [
        ("/api/Books?filter[where][secret]=s1", "filter.where.secret"),
        ("/api/Books?filter[order]=secret%20ASC", "filter.order"),
        (
            "/api/Books/findOne?filter={\"where\":{\"secret\":\"s1\"}}",
            "filter.where.secret",
        ),
        ("/api/Books/count?where[secret]=s1", "where.secret"),
    ] {
        let r = get(&api, uri).await;
        assert_eq!((r.status.as_u16(), r.json()), (400, refused(at)), "{uri}");
    }
    let r = post(&api, "/api/Books/update?where[secret]=s1", r#"{"price":0}"#).await;
    assert_eq!(
        (r.status.as_u16(), r.json()),
        (400, refused("where.secret"))
    );
    assert_reply(
        &get(&api, "/api/Books/count?where[price]=0").await,
        200,
        r#"{"count":0}"#,
    );
}

#[tokio::test]
async fn conditions_on_related_models() {
    let api = api().await;
    let r = post(&api, "/api/Authors", r#"[{"name":"ann"},{"name":"bob"}]"#).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = post(
        &api,
        "/api/Books",
        r#"[{"title":"Dune","price":9,"authorId":1},{"title":"Emma","price":30,"authorId":2},{"title":"Ulysses","price":2}]"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The dotted shorthand and the quantified form, as JSON and in brackets.
    assert_reply(
        &get(
            &api,
            r#"/api/Books?filter={"where":{"author.name":"bob"},"fields":["title"]}"#,
        )
        .await,
        200,
        r#"[{"title":"Emma"}]"#,
    );
    assert_reply(
        &get(
            &api,
            "/api/Authors?filter[where][books][some][price][gt]=20&filter[fields][name]=true",
        )
        .await,
        200,
        r#"[{"name":"bob"}]"#,
    );
    assert_reply(
        &get(
            &api,
            r#"/api/Authors/count?where={"books":{"none":{"price":{"gt":20}}}}"#,
        )
        .await,
        200,
        r#"{"count":1}"#,
    );
    // The related model's hidden properties cannot be queried, and a bad quantifier is a 400.
    let r = get(
        &api,
        r#"/api/Authors?filter={"where":{"books.secret":"s"}}"#,
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.json()["error"]["code"], "PROPERTY_NOT_ALLOWED_IN_QUERY");
    let r = get(
        &api,
        r#"/api/Authors?filter={"where":{"books":{"most":{}}}}"#,
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("some, none or every"),
        "{}",
        r.text
    );
}
