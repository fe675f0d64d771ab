//! Error responses: strong-error-handler's envelope in production and debug mode, unknown
//! routes and methods, bodies that are too large, malformed or of the wrong type, bad ids.

#![cfg(all(feature = "rest", feature = "memory"))]

mod rest_support;

use loopback::rest::http::Request;
use loopback::rest::RestApi;
use loopback::{Error, HookKind};
use rest_support::*;

#[tokio::test]
async fn unknown_routes_and_methods_are_strong_remoting_404s() {
    let api = api().await;
    let cases = [
        (
            "GET",
            "/api/Books/foo/bar",
            r#"Shared class \"Book\" has no method handling GET /foo/bar"#,
        ),
        (
            "GET",
            "/api/Books/foo/bar?x=1",
            r#"Shared class \"Book\" has no method handling GET /foo/bar?x=1"#,
        ),
        // destroyAll is not shared.
        (
            "DELETE",
            "/api/Books",
            r#"Shared class \"Book\" has no method handling DELETE /"#,
        ),
        (
            "DELETE",
            "/api/Books?x=1",
            r#"Shared class \"Book\" has no method handling DELETE /?x=1"#,
        ),
        (
            "POST",
            "/api/Books/count",
            r#"Shared class \"Book\" has no method handling POST /count"#,
        ),
        (
            "GET",
            "/api/Books/1/replace",
            r#"Shared class \"Book\" has no method handling GET /1/replace"#,
        ),
        (
            "TRACE",
            "/api/Books",
            r#"Shared class \"Book\" has no method handling TRACE /"#,
        ),
        (
            "GET",
            "/api/my-notes/a/b/c/d/e/f/g/h/i/j",
            r#"Shared class \"Note\" has no method handling GET /a/b/c/d/e/f/g/h/i/j"#,
        ),
        (
            "GET",
            "/api/nothing",
            "There is no method to handle GET /nothing",
        ),
        (
            "GET",
            "/api/nothing/x?y=2",
            "There is no method to handle GET /nothing/x?y=2",
        ),
        ("GET", "/api", "There is no method to handle GET /"),
        ("GET", "/api/", "There is no method to handle GET /"),
        ("GET", "/other", "Cannot GET /other"),
        ("GET", "/apiary/Books", "Cannot GET /apiary/Books"),
    ];
    for (method, uri, message) in cases {
        let r = send(&api, method, uri, None).await;
        assert_reply(
            &r,
            404,
            &format!(r#"{{"error":{{"statusCode":404,"name":"Error","message":"{message}"}}}}"#),
        );
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{uri}");
    }
}

#[tokio::test]
async fn options_without_cors_is_an_unknown_method() {
    let api = builder().await.without_cors().build();
    assert_reply(
        &send(&api, "OPTIONS", "/api/Books", None).await,
        404,
        &error(
            404,
            r#"Shared class "Book" has no method handling OPTIONS /"#,
        ),
    );
}

#[tokio::test]
async fn malformed_json_bodies_are_syntax_errors() {
    let api = api().await;
    let syntax = |message: &str| {
        format!(r#"{{"error":{{"statusCode":400,"name":"SyntaxError","message":"{message}"}}}}"#)
    };
    assert_reply(
        &post(&api, "/api/Books", r#"{"title":"#).await,
        400,
        &syntax("Unexpected end of JSON input"),
    );
    assert_reply(
        &post(&api, "/api/Books", r#"{"title":}"#).await,
        400,
        &syntax("Unexpected token } in JSON at position 9"),
    );
    assert_reply(
        &post(&api, "/api/Books", "   ").await,
        400,
        &syntax("Unexpected end of JSON input"),
    );
    assert_reply(
        &send(&api, "PATCH", "/api/Books/1", Some(r#"{"a":1}x"#)).await,
        400,
        &syntax("Unexpected token x in JSON at position 7"),
    );
    assert_reply(&get(&api, "/api/Books/count").await, 200, r#"{"count":0}"#);
}

#[tokio::test]
async fn bodies_that_are_not_objects() {
    let api = api().await;
    for body in [r#""just a string""#, "42", "true"] {
        assert_reply(
            &post(&api, "/api/Books", body).await,
            400,
            &error(400, "Value is not an object."),
        );
    }
    assert_reply(
        &post(&api, "/api/Books", "[1,2]").await,
        400,
        &error(400, "Some of array items are not an object."),
    );
    // Only create takes an array.
    assert_reply(
        &send(&api, "PATCH", "/api/Books", Some(r#"[{"title":"x"}]"#)).await,
        400,
        &error(400, "Value is not an object."),
    );
    assert_reply(
        &post(&api, "/api/Books/update", "[]").await,
        400,
        &error(400, "Value is not an object."),
    );
    assert_reply(&get(&api, "/api/Books/count").await, 200, r#"{"count":0}"#);
}

#[tokio::test]
async fn validation_errors_carry_details() {
    let api = api().await;
    let blank = r#"{"error":{"statusCode":422,"name":"ValidationError","message":"The `Book` instance is not valid. Details: `title` can't be blank (value: undefined).","details":{"context":"Book","codes":{"title":["presence"]},"messages":{"title":["can't be blank"]}}}}"#;
    // No body, `null` and `{}` are all the empty object.
    assert_reply(&post(&api, "/api/Books", "{}").await, 422, blank);
    assert_reply(&post(&api, "/api/Books", "null").await, 422, blank);
    assert_reply(&send(&api, "POST", "/api/Books", None).await, 422, blank);
    assert_reply(
        &post(&api, "/api/Books", r#"{"title":"V","when":"notadate"}"#).await,
        422,
        r#"{"error":{"statusCode":422,"name":"ValidationError","message":"The `Book` instance is not valid. Details: `when` is not a valid date (value: \"notadate\").","details":{"context":"Book","codes":{"when":["date"]},"messages":{"when":["is not a valid date"]}}}}"#,
    );
    assert_reply(
        &post(&api, "/api/Books/upsertWithWhere?where[title]=x", "{}").await,
        400,
        &error(400, "data object cannot be empty!"),
    );
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let api = builder().await.body_limit(64).build();
    let too_large = r#"{"error":{"statusCode":413,"name":"PayloadTooLargeError","message":"request entity too large"}}"#;
    let big = format!(r#"{{"title":"{}"}}"#, "x".repeat(100));
    // Known from Content-Length before reading…
    let req = Request::post("/api/Books")
        .header("content-type", "application/json")
        .header("content-length", big.len())
        .body(big.clone())
        .unwrap();
    assert_reply(&call(&api, req).await, 413, too_large);
    // …or found while reading a body of unknown length.
    assert_reply(&post(&api, "/api/Books", &big).await, 413, too_large);
    assert_reply(
        &post(&api, "/api/Books", r#"{"title":"small"}"#).await,
        200,
        r#"{"id":1,"title":"small"}"#,
    );
    // The default limit is 100 KiB.
    let api = rest_support::api().await;
    let over = format!(r#"{{"title":"{}"}}"#, "x".repeat(100 * 1024));
    assert_reply(&post(&api, "/api/Books", &over).await, 413, too_large);
    let under = format!(r#"{{"title":"{}"}}"#, "x".repeat(100 * 1024 - 20));
    assert_eq!(post(&api, "/api/Books", &under).await.status, 200);
}

#[tokio::test]
async fn bodies_must_be_json() {
    let api = api().await;
    let with_type = |ct: Option<&str>, body: &str| {
        let mut req = Request::post("/api/Books");
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        req.body(body.to_owned()).unwrap()
    };
    let unsupported = |message: &str| {
        format!(
            r#"{{"error":{{"statusCode":415,"name":"UnsupportedMediaTypeError","message":"{message}"}}}}"#
        )
    };
    assert_reply(
        &call(&api, with_type(Some("text/plain"), r#"{"title":"t"}"#)).await,
        415,
        &unsupported(
            r#"unsupported media type \"text/plain\": send the request body as application/json"#,
        ),
    );
    // Form bodies are read, as Express's urlencoded parser reads them.
    assert_reply(
        &call(
            &api,
            with_type(Some("application/x-www-form-urlencoded"), "title=t"),
        )
        .await,
        200,
        r#"{"id":1,"title":"t"}"#,
    );
    assert_reply(
        &call(&api, with_type(None, r#"{"title":"t"}"#)).await,
        415,
        &unsupported("the request body has no Content-Type: send it as application/json"),
    );
    assert_reply(
        &call(
            &api,
            with_type(Some("application/json; charset=latin1"), r#"{"title":"t"}"#),
        )
        .await,
        415,
        &unsupported(r#"unsupported charset \"LATIN1\""#),
    );
    assert_reply(
        &call(
            &api,
            with_type(Some("application/json; charset=UTF-8"), r#"{"title":"t"}"#),
        )
        .await,
        200,
        r#"{"id":2,"title":"t"}"#,
    );
    // An empty body has no type to check: the method runs without data.
    assert_eq!(
        call(&api, with_type(Some("text/plain"), "")).await.status,
        422
    );
}

#[tokio::test]
async fn bad_path_ids() {
    let api = api().await;
    assert_reply(
        &get(&api, "/api/Books/%E0%A4%A").await,
        400,
        r#"{"error":{"statusCode":400,"name":"URIError","message":"Failed to decode param '%E0%A4%A'"}}"#,
    );
    assert_reply(
        &get(&api, "/api/Books/null").await,
        400,
        &error(400, "id is a required argument"),
    );
    assert_reply(
        &get(&api, "/api/Books/abc").await,
        404,
        r#"{"error":{"statusCode":404,"name":"Error","message":"Unknown \"Book\" id \"abc\".","code":"MODEL_NOT_FOUND"}}"#,
    );
    let head = send(&api, "HEAD", "/api/Books/abc", None).await;
    assert_eq!((head.status.as_u16(), head.text.as_str()), (404, ""));
}

async fn failing_api(debug: bool) -> RestApi {
    let app = app().await;
    app.try_model("Book")
        .unwrap()
        .observe(HookKind::Access, |_ctx| async {
            Err(Error::Internal("boom".into()))
        });
    app.try_model("Author")
        .unwrap()
        .observe(HookKind::Access, |_ctx| async {
            Err(Error::http(403, "not yours"))
        });
    RestApi::builder(&app).debug_errors(debug).build()
}

#[tokio::test]
async fn server_errors_hide_their_message_in_production() {
    let api = failing_api(false).await;
    let r = get(&api, "/api/Books").await;
    assert_reply(
        &r,
        500,
        r#"{"error":{"statusCode":500,"message":"Internal Server Error"}}"#,
    );
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    // A hook's own 4xx is shown as it is.
    assert_reply(
        &get(&api, "/api/Authors").await,
        403,
        &error(403, "not yours"),
    );
}

#[tokio::test]
async fn debug_mode_shows_messages_and_a_stack() {
    let api = failing_api(true).await;
    assert_reply(
        &get(&api, "/api/Books").await,
        500,
        r#"{"error":{"statusCode":500,"name":"Error","message":"internal error: boom","stack":"Error: internal error: boom"}}"#,
    );
    assert_reply(
        &get(&api, "/api/Books/9/exists").await,
        500,
        r#"{"error":{"statusCode":500,"name":"Error","message":"internal error: boom","stack":"Error: internal error: boom"}}"#,
    );
    assert_reply(
        &get(&api, "/api/nothing").await,
        404,
        r#"{"error":{"statusCode":404,"name":"Error","message":"There is no method to handle GET /nothing","stack":"Error: There is no method to handle GET /nothing"}}"#,
    );
    let api = builder().await.debug_errors(true).build();
    assert_reply(
        &get(&api, "/api/Books/9").await,
        404,
        r#"{"error":{"statusCode":404,"name":"Error","message":"Unknown \"Book\" id \"9\".","code":"MODEL_NOT_FOUND","stack":"Error: Unknown \"Book\" id \"9\"."}}"#,
    );
}
