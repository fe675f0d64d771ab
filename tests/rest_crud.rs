//! The PersistedModel routes of LoopBack 3 over `RestApi`, on the memory connector: each route's
//! status and exact body, as LB3 3.28 answers them (recorded from LB3 with the same models;
//! LB3's memory connector puts the generated id last, ours puts it first).

#![cfg(all(feature = "rest", feature = "memory"))]

mod rest_support;

use loopback::rest::http::{Request, StatusCode};
use loopback::rest::RestApi;
use rest_support::*;
use tower_service::Service;

#[tokio::test]
async fn create_one_and_many() {
    let api = api().await;
    let r = post(
        &api,
        "/api/Books",
        r#"{"title":"Dune","price":"9.5","secret":"s"}"#,
    )
    .await;
    assert_reply(&r, 200, r#"{"id":1,"title":"Dune","price":9.5}"#);
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let r = post(
        &api,
        "/api/Books",
        r#"[{"title":"A","price":1},{"title":"B","price":2}]"#,
    )
    .await;
    assert_reply(
        &r,
        200,
        r#"[{"id":2,"title":"A","price":1},{"id":3,"title":"B","price":2}]"#,
    );
    let r = get(&api, "/api/Books").await;
    assert_reply(
        &r,
        200,
        r#"[{"id":1,"title":"Dune","price":9.5},{"id":2,"title":"A","price":1},{"id":3,"title":"B","price":2}]"#,
    );
    assert_reply(&post(&api, "/api/Books", "[]").await, 200, "[]");
}

#[tokio::test]
async fn find_by_id_exists_and_head() {
    let api = api().await;
    seed_books(&api).await;
    assert_reply(
        &get(&api, "/api/Books/1").await,
        200,
        r#"{"id":1,"title":"Dune","price":9.5}"#,
    );
    assert_reply(
        &get(&api, "/api/Books/9").await,
        404,
        r#"{"error":{"statusCode":404,"name":"Error","message":"Unknown \"Book\" id \"9\".","code":"MODEL_NOT_FOUND"}}"#,
    );
    assert_reply(
        &get(&api, "/api/Books/1/exists").await,
        200,
        r#"{"exists":true}"#,
    );
    assert_reply(
        &get(&api, "/api/Books/9/exists").await,
        200,
        r#"{"exists":false}"#,
    );

    let head = send(&api, "HEAD", "/api/Books/1", None).await;
    assert_eq!((head.status.as_u16(), head.text.as_str()), (200, ""));
    assert_eq!(head.header("content-length"), Some("15"));
    let head = send(&api, "HEAD", "/api/Books/9", None).await;
    assert_eq!((head.status.as_u16(), head.text.as_str()), (404, ""));
    assert_eq!(
        head.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    // HEAD falls back to the GET routes, after `HEAD /:id`: `/count` is an id there, as in LB3.
    let head = send(&api, "HEAD", "/api/Books", None).await;
    assert_eq!((head.status.as_u16(), head.text.as_str()), (200, ""));
    let head = send(&api, "HEAD", "/api/Books/count", None).await;
    assert_eq!(head.status.as_u16(), 404);
}

#[tokio::test]
async fn find_one_and_count() {
    let api = api().await;
    seed_books(&api).await;
    assert_reply(
        &get(&api, "/api/Books/findOne?filter[where][price][gt]=1").await,
        200,
        r#"{"id":1,"title":"Dune","price":9.5}"#,
    );
    // LB3 names the missing id `undefined` here.
    assert_reply(
        &get(
            &api,
            r#"/api/Books/findOne?filter={"where":{"title":"zz"}}"#,
        )
        .await,
        404,
        r#"{"error":{"statusCode":404,"name":"Error","message":"Unknown \"Book\" id \"undefined\".","code":"MODEL_NOT_FOUND"}}"#,
    );
    assert_reply(&get(&api, "/api/Books/count").await, 200, r#"{"count":3}"#);
    assert_reply(
        &get(&api, "/api/Books/count?where[price][gt]=1").await,
        200,
        r#"{"count":2}"#,
    );
    assert_reply(
        &get(&api, r#"/api/Books/count?where={"price":{"gt":1}}"#).await,
        200,
        r#"{"count":2}"#,
    );
    assert_reply(
        &get(&api, "/api/Books/count?where[published]=true").await,
        200,
        r#"{"count":1}"#,
    );
}

#[tokio::test]
async fn patch_or_create_and_replace_or_create() {
    let api = api().await;
    seed_books(&api).await;
    assert_reply(
        &send(&api, "PATCH", "/api/Books", Some(r#"{"id":1,"price":11}"#)).await,
        200,
        r#"{"id":1,"title":"Dune","price":11}"#,
    );
    assert_reply(
        &send(
            &api,
            "PATCH",
            "/api/Books",
            Some(r#"{"id":77,"title":"new"}"#),
        )
        .await,
        404,
        &error(
            404,
            "Could not update attributes. Object with id 77 does not exist!",
        ),
    );
    // PUT / is replaceOrCreate (replaceOnPUT defaults to true): `price` is gone.
    assert_reply(
        &send(
            &api,
            "PUT",
            "/api/Books",
            Some(r#"{"id":1,"title":"Dune2"}"#),
        )
        .await,
        200,
        r#"{"id":1,"title":"Dune2"}"#,
    );
    assert_reply(
        &send(&api, "PUT", "/api/Books", Some(r#"{"title":"Put-new"}"#)).await,
        200,
        r#"{"id":4,"title":"Put-new"}"#,
    );
    assert_reply(
        &post(
            &api,
            "/api/Books/replaceOrCreate",
            r#"{"id":2,"title":"A2"}"#,
        )
        .await,
        200,
        r#"{"id":2,"title":"A2"}"#,
    );
    assert_reply(&get(&api, "/api/Books/count").await, 200, r#"{"count":4}"#);
    // Generated ids are forced: an unknown one is not created.
    assert_reply(
        &post(
            &api,
            "/api/Books/replaceOrCreate",
            r#"{"id":99,"title":"x"}"#,
        )
        .await,
        404,
        &error(404, "Could not replace. Object with id 99 does not exist!"),
    );
    assert_reply(
        &send(&api, "PUT", "/api/Books", Some(r#"{"id":98,"title":"x"}"#)).await,
        404,
        &error(404, "Could not replace. Object with id 98 does not exist!"),
    );
}

#[tokio::test]
async fn patch_and_replace_by_id() {
    let api = api().await;
    seed_books(&api).await;
    assert_reply(
        &send(&api, "PATCH", "/api/Books/2", Some(r#"{"price":5}"#)).await,
        200,
        r#"{"id":2,"title":"Emma","price":5,"published":true}"#,
    );
    assert_reply(
        &send(&api, "PATCH", "/api/Books/99", Some(r#"{"price":5}"#)).await,
        404,
        r#"{"error":{"statusCode":404,"name":"Error","message":"could not find a model with id 99","code":"MODEL_NOT_FOUND"}}"#,
    );
    assert_reply(
        &send(&api, "PUT", "/api/Books/2", Some(r#"{"title":"A3"}"#)).await,
        200,
        r#"{"id":2,"title":"A3"}"#,
    );
    assert_reply(
        &send(&api, "PUT", "/api/Books/99", Some(r#"{"title":"A3"}"#)).await,
        404,
        &error(404, "Could not replace. Object with id 99 does not exist!"),
    );
    assert_reply(
        &post(&api, "/api/Books/2/replace", r#"{"title":"A4","price":4}"#).await,
        200,
        r#"{"id":2,"title":"A4","price":4}"#,
    );
    assert_reply(
        &post(&api, "/api/Books/99/replace", r#"{"title":"A4"}"#).await,
        404,
        &error(404, "Could not replace. Object with id 99 does not exist!"),
    );
    assert_reply(
        &send(&api, "PATCH", "/api/Books/2", Some(r#"{"id":3}"#)).await,
        400,
        &error(
            400,
            "id cannot be updated from 2 to 3 when forceId is set to true",
        ),
    );
    assert_reply(
        &send(&api, "PUT", "/api/Books/2", Some(r#"{"id":3,"title":"x"}"#)).await,
        400,
        &error(400, "id property (id) cannot be updated from 2 to 3"),
    );
}

#[tokio::test]
async fn replace_on_put_false_makes_put_a_patch() {
    let app = app().await;
    let def = loopback::ModelDefinition::from_lb3_json(&serde_json::json!({
        "name": "Draft", "replaceOnPUT": false,
        "properties": {"title": "string", "body": "string"}}))
    .unwrap();
    app.define(def, "db").await.unwrap();
    let api = RestApi::new(&app);
    post(&api, "/api/Drafts", r#"{"title":"t","body":"b"}"#).await;
    assert_reply(
        &send(&api, "PUT", "/api/Drafts/1", Some(r#"{"title":"t2"}"#)).await,
        200,
        r#"{"id":1,"title":"t2","body":"b"}"#,
    );
    assert_reply(
        &send(&api, "PUT", "/api/Drafts", Some(r#"{"id":1,"body":"b2"}"#)).await,
        200,
        r#"{"id":1,"title":"t2","body":"b2"}"#,
    );
    let puts: Vec<(String, String)> = api
        .routes()
        .into_iter()
        .filter(|r| r.verb == "PUT")
        .map(|r| (r.path, r.method))
        .collect();
    let s = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    assert_eq!(
        puts,
        [
            s("/api/Authors", "Author.replaceOrCreate"),
            s("/api/Authors/:id", "Author.replaceById"),
            s("/api/Books", "Book.replaceOrCreate"),
            s("/api/Books/:id", "Book.replaceById"),
            s("/api/my-notes", "Note.replaceOrCreate"),
            s("/api/my-notes/:id", "Note.replaceById"),
            s("/api/Drafts", "Draft.patchOrCreate"),
            s("/api/Drafts/:id", "Draft.prototype.patchAttributes"),
        ]
    );
}

#[tokio::test]
async fn upsert_with_where_update_all_and_delete() {
    let api = api().await;
    seed_books(&api).await;
    // The match is patched and the merged instance validated (LB3's memory connector validates
    // the data alone, and would answer 422 for the missing title).
    assert_reply(
        &post(
            &api,
            "/api/Books/upsertWithWhere?where[title]=Emma",
            r#"{"price":44}"#,
        )
        .await,
        200,
        r#"{"id":2,"title":"Emma","price":44,"published":true}"#,
    );
    assert_reply(
        &post(
            &api,
            "/api/Books/upsertWithWhere?where[title]=ZZ",
            r#"{"title":"ZZ","price":1}"#,
        )
        .await,
        200,
        r#"{"id":4,"title":"ZZ","price":1}"#,
    );
    assert_reply(
        &post(
            &api,
            "/api/Books/upsertWithWhere?where[price][gt]=0",
            r#"{"price":1}"#,
        )
        .await,
        400,
        &error(
            400,
            "There are multiple instances found.Upsert Operation will not be performed!",
        ),
    );
    assert_reply(
        &post(&api, "/api/Books/update?where[title]=ZZ", r#"{"price":2}"#).await,
        200,
        r#"{"count":1}"#,
    );
    assert_reply(
        &post(
            &api,
            r#"/api/Books/update?where={"price":2}"#,
            r#"{"published":false}"#,
        )
        .await,
        200,
        r#"{"count":2}"#,
    );
    assert_reply(
        &send(&api, "DELETE", "/api/Books/99", None).await,
        200,
        r#"{"count":0}"#,
    );
    assert_reply(
        &send(&api, "DELETE", "/api/Books/abc", None).await,
        200,
        r#"{"count":0}"#,
    );
    assert_reply(
        &send(&api, "DELETE", "/api/Books/4", None).await,
        200,
        r#"{"count":1}"#,
    );
    assert_reply(&get(&api, "/api/Books/count").await, 200, r#"{"count":3}"#);
}

#[tokio::test]
async fn paths_are_case_insensitive_with_optional_trailing_slash() {
    let api = api().await;
    seed_books(&api).await;
    for path in ["/api/books/count", "/API/BOOKS/COUNT", "/api/Books/count/"] {
        assert_reply(&get(&api, path).await, 200, r#"{"count":3}"#);
    }
    assert_reply(
        &get(&api, "/api/Books/FINDONE").await,
        200,
        r#"{"id":1,"title":"Dune","price":9.5}"#,
    );
    assert_eq!(
        get(&api, "/api/Books/")
            .await
            .json()
            .as_array()
            .map(Vec::len),
        Some(3)
    );
}

#[tokio::test]
async fn http_path_and_string_ids() {
    let api = api().await;
    assert_reply(&get(&api, "/api/my-notes").await, 200, "[]");
    assert_reply(
        &post(&api, "/api/my-notes", r#"{"code":"abc","body":"x"}"#).await,
        200,
        r#"{"code":"abc","body":"x"}"#,
    );
    assert_reply(
        &get(&api, "/api/my-notes/abc").await,
        200,
        r#"{"code":"abc","body":"x"}"#,
    );
    assert_reply(
        &get(&api, "/api/my-notes/123").await,
        404,
        r#"{"error":{"statusCode":404,"name":"Error","message":"Unknown \"Note\" id \"123\".","code":"MODEL_NOT_FOUND"}}"#,
    );
    // The plural is not a path when `http.path` is set.
    assert_reply(
        &get(&api, "/api/Notes").await,
        404,
        &error(404, "There is no method to handle GET /Notes"),
    );
    // Percent-encoded ids are decoded.
    post(&api, "/api/my-notes", r#"{"code":"a b/c","body":"y"}"#).await;
    assert_reply(
        &get(&api, "/api/my-notes/a%20b%2Fc").await,
        200,
        r#"{"code":"a b/c","body":"y"}"#,
    );
}

#[tokio::test]
async fn ids_are_read_as_lb3_reads_them() {
    let api = api().await;
    seed_books(&api).await;
    // `01` and `1.0` are the number 1 for a numeric id.
    assert_reply(
        &get(&api, "/api/Books/01").await,
        200,
        r#"{"id":1,"title":"Dune","price":9.5}"#,
    );
    assert_reply(
        &get(&api, "/api/Books/1.0").await,
        200,
        r#"{"id":1,"title":"Dune","price":9.5}"#,
    );
    assert_reply(
        &get(&api, "/api/Books/abc/exists").await,
        200,
        r#"{"exists":false}"#,
    );
    assert_reply(
        &send(&api, "PATCH", "/api/Books/abc", Some(r#"{"title":"q"}"#)).await,
        404,
        r#"{"error":{"statusCode":404,"name":"Error","message":"could not find a model with id abc","code":"MODEL_NOT_FOUND"}}"#,
    );
    assert_reply(
        &send(&api, "PUT", "/api/Books/abc", Some(r#"{"title":"q"}"#)).await,
        404,
        &error(404, "Could not replace. Object with id abc does not exist!"),
    );
}

#[tokio::test]
async fn hidden_properties_never_appear() {
    let api = api().await;
    let r = post(&api, "/api/Authors", r#"{"name":"Frank","email":"f@x"}"#).await;
    assert_reply(&r, 200, r#"{"id":1,"name":"Frank"}"#);
    assert_reply(
        &post(
            &api,
            "/api/Books",
            r#"{"title":"Dune","secret":"s","authorId":1}"#,
        )
        .await,
        200,
        r#"{"id":1,"title":"Dune","authorId":1}"#,
    );
    assert_reply(
        &send(&api, "PATCH", "/api/Books/1", Some(r#"{"secret":"zz"}"#)).await,
        200,
        r#"{"id":1,"title":"Dune","authorId":1}"#,
    );
    assert_reply(
        &get(&api, "/api/Books/1?filter[include]=author").await,
        200,
        r#"{"id":1,"title":"Dune","authorId":1,"author":{"id":1,"name":"Frank"}}"#,
    );
    assert_reply(
        &get(
            &api,
            r#"/api/Authors?filter={"include":{"books":"author"}}"#,
        )
        .await,
        200,
        r#"[{"id":1,"name":"Frank","books":[{"id":1,"title":"Dune","authorId":1,"author":{"id":1,"name":"Frank"}}]}]"#,
    );
    assert_reply(
        &get(&api, "/api/Authors/findOne?filter[include]=books").await,
        200,
        r#"{"id":1,"name":"Frank","books":[{"id":1,"title":"Dune","authorId":1}]}"#,
    );
}

#[tokio::test]
async fn the_service_trait_drives_the_same_api() {
    let api = api().await;
    let mut svc = api.clone();
    std::future::poll_fn(|cx| Service::<Request<String>>::poll_ready(&mut svc, cx))
        .await
        .unwrap();
    let req = Request::post("/api/Books")
        .header("content-type", "application/json")
        .body(r#"{"title":"Via tower"}"#.to_owned())
        .unwrap();
    let res = svc.call(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_reply(
        &get(&api, "/api/Books/1").await,
        200,
        r#"{"id":1,"title":"Via tower"}"#,
    );
}

#[tokio::test]
async fn embedded_and_protected_properties_follow_their_model() {
    let app = app().await;
    let def = |j: serde_json::Value| loopback::ModelDefinition::from_lb3_json(&j).unwrap();
    app.define(
        def(serde_json::json!({"name": "Address", "properties": {"city": "string", "code": "string"},
            "hidden": ["code"]})),
        "db",
    )
    .await
    .unwrap();
    app.define(
        def(serde_json::json!({"name": "Customer",
            "properties": {"name": "string", "vip": "boolean"},
            "protected": ["vip"],
            "relations": {
                "address": {"type": "embedsOne", "model": "Address", "property": "address"},
                "orders": {"type": "hasMany", "model": "Order"}}})),
        "db",
    )
    .await
    .unwrap();
    app.define(
        def(
            serde_json::json!({"name": "Order", "properties": {"total": "number"},
            "relations": {"customer": {"type": "belongsTo", "model": "Customer"}}}),
        ),
        "db",
    )
    .await
    .unwrap();
    let api = RestApi::new(&app);
    assert_reply(
        &post(
            &api,
            "/api/Customers",
            r#"{"name":"Ann","vip":true,"address":{"city":"Oslo","code":"1234"}}"#,
        )
        .await,
        200,
        r#"{"id":1,"name":"Ann","vip":true,"address":{"city":"Oslo"}}"#,
    );
    post(&api, "/api/Orders", r#"{"total":5,"customerId":1}"#).await;
    // `vip` is protected: shown on the customer itself, not when nested in an order.
    assert_reply(
        &get(&api, "/api/Orders?filter[include]=customer").await,
        200,
        r#"[{"id":1,"total":5,"customerId":1,"customer":{"id":1,"name":"Ann","address":{"city":"Oslo"}}}]"#,
    );
}
