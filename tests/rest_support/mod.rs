//! Shared set-up of the REST tests: an application on the memory connector with the models of
//! the LoopBack 3 application the expected answers were recorded from, and a client that drives
//! a `RestApi` directly with `http::Request`s.

#![allow(dead_code)]

use loopback::rest::http::{self, HeaderMap, Method, Request, StatusCode};
use loopback::rest::{RestApi, RestApiBuilder};
use loopback::{connectors, App, ModelDefinition};
use serde_json::{json, Value as Json};

/// `Author` (hidden `email`, hasMany `books`), `Book` (required `title`, hidden `secret`,
/// belongsTo `author`), `Note` (string id `code`, `http.path` `my-notes`).
pub async fn app() -> App {
    app_with(vec![
        json!({"name": "Author", "properties": {"name": "string", "email": "string"},
            "hidden": ["email"],
            "relations": {"books": {"type": "hasMany", "model": "Book"}}}),
        json!({"name": "Book", "properties": {
                "title": {"type": "string", "required": true}, "price": "number",
                "published": "boolean", "secret": "string", "when": "date"},
            "hidden": ["secret"],
            "relations": {"author": {"type": "belongsTo", "model": "Author"}}}),
        json!({"name": "Note", "properties": {"code": {"type": "string", "id": true},
            "body": "string"}, "http": {"path": "my-notes"}}),
    ])
    .await
}

/// An application on the memory connector with the models of `defs` (LB3 model JSON), in
/// order.
pub async fn app_with(defs: Vec<Json>) -> App {
    let app = App::new();
    app.data_source("db", connectors::memory());
    for def in defs {
        app.define(
            ModelDefinition::from_lb3_json(&def).expect("model JSON"),
            "db",
        )
        .await
        .expect("define");
    }
    app
}

/// The default API of `app()`.
pub async fn api() -> RestApi {
    RestApi::new(&app().await)
}

/// The builder for `app()`.
pub async fn builder() -> RestApiBuilder {
    RestApi::builder(&app().await)
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The body as text (invalid UTF-8 replaced).
    pub text: String,
    /// The body as it was sent.
    pub bytes: Vec<u8>,
}

impl Reply {
    /// The body as JSON (panics when it is not JSON: a test failure).
    pub fn json(&self) -> Json {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    /// A header as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Percent-encodes the characters a URI may not hold, so that tests can write
/// `?filter={"where":…}` as a browser would send it.
pub fn encode_uri(uri: &str) -> String {
    let mut out = String::with_capacity(uri.len());
    for c in uri.chars() {
        match c {
            '"' => out.push_str("%22"),
            '{' => out.push_str("%7B"),
            '}' => out.push_str("%7D"),
            ' ' => out.push_str("%20"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '\\' => out.push_str("%5C"),
            '^' => out.push_str("%5E"),
            '`' => out.push_str("%60"),
            '|' => out.push_str("%7C"),
            c => out.push(c),
        }
    }
    out
}

/// Sends `method uri` with an optional JSON body.
pub async fn send(api: &RestApi, method: &str, uri: &str, body: Option<&str>) -> Reply {
    let mut req = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).expect("method"))
        .uri(encode_uri(uri));
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let req = req
        .body(body.unwrap_or_default().to_owned())
        .expect("request");
    call(api, req).await
}

/// Sends a prepared request.
pub async fn call(api: &RestApi, req: Request<String>) -> Reply {
    let res = api.handle(req).await;
    let (parts, body) = res.into_parts();
    // A streamed body (a file a remote method sends) is read to its end.
    let bytes = if body.is_stream() {
        http_body_util::BodyExt::collect(body)
            .await
            .expect("a stream that does not fail")
            .to_bytes()
            .to_vec()
    } else {
        body.as_bytes().to_vec()
    };
    Reply {
        status: parts.status,
        headers: parts.headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
        bytes,
    }
}

pub async fn get(api: &RestApi, uri: &str) -> Reply {
    send(api, "GET", uri, None).await
}

pub async fn post(api: &RestApi, uri: &str, body: &str) -> Reply {
    send(api, "POST", uri, Some(body)).await
}

/// Asserts status and exact body text.
#[track_caller]
pub fn assert_reply(reply: &Reply, status: u16, text: &str) {
    assert_eq!(
        (reply.status.as_u16(), reply.text.as_str()),
        (status, text),
        "unexpected reply"
    );
}

/// The body LB3's strong-error-handler writes for a 4xx error without code.
pub fn error(status: u16, message: &str) -> String {
    json!({"error": {"statusCode": status, "name": "Error", "message": message}}).to_string()
}

/// Creates the three books of most tests: ids 1, 2, 3.
pub async fn seed_books(api: &RestApi) {
    let r = post(
        api,
        "/api/Books",
        r#"[{"title":"Dune","price":9.5,"secret":"s1"},{"title":"Emma","price":1,"published":true},{"title":"Ulysses","price":2}]"#,
    )
    .await;
    assert_eq!(r.status, 200, "seeding failed: {}", r.text);
}

/// `http` is re-exported by `loopback::rest`; this keeps the import used in every test file.
pub type Req = http::Request<String>;
