//! CORS as the `cors` middleware of a generated LoopBack 3 application answers (origin
//! reflected, credentials, `maxAge` 86400), and configured otherwise.

#![cfg(all(feature = "rest", feature = "memory"))]

mod rest_support;

use std::time::Duration;

use loopback::rest::http::Request;
use loopback::rest::Cors;
use rest_support::*;

fn headers(reply: &Reply) -> Vec<(String, String)> {
    let mut h: Vec<(String, String)> = reply
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("?").to_owned()))
        .collect();
    h.sort();
    h
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn preflights_are_answered_with_204() {
    let api = api().await;
    let req = Request::options("/api/Books")
        .header("origin", "http://example.com")
        .header("access-control-request-method", "PUT")
        .header("access-control-request-headers", "content-type, x-foo")
        .body(String::new())
        .unwrap();
    let r = call(&api, req).await;
    assert_eq!((r.status.as_u16(), r.text.as_str()), (204, ""));
    assert_eq!(
        headers(&r),
        pairs(&[
            ("access-control-allow-origin", "http://example.com"),
            ("vary", "Origin, Access-Control-Request-Headers"),
            ("access-control-allow-credentials", "true"),
            (
                "access-control-allow-methods",
                "GET,HEAD,PUT,PATCH,POST,DELETE"
            ),
            ("access-control-allow-headers", "content-type, x-foo"),
            ("access-control-max-age", "86400"),
            ("content-length", "0"),
        ])
    );
    // Any OPTIONS request is a preflight, on any path, with or without an Origin.
    let r = send(&api, "OPTIONS", "/nowhere", None).await;
    assert_eq!((r.status.as_u16(), r.text.as_str()), (204, ""));
    assert_eq!(
        headers(&r),
        pairs(&[
            ("vary", "Origin, Access-Control-Request-Headers"),
            ("access-control-allow-credentials", "true"),
            (
                "access-control-allow-methods",
                "GET,HEAD,PUT,PATCH,POST,DELETE"
            ),
            ("access-control-max-age", "86400"),
            ("content-length", "0"),
        ])
    );
}

#[tokio::test]
async fn responses_reflect_the_origin() {
    let api = api().await;
    let req = Request::get("/api/Books/count")
        .header("origin", "http://a.com")
        .body(String::new())
        .unwrap();
    let r = call(&api, req).await;
    assert_reply(&r, 200, r#"{"count":0}"#);
    assert_eq!(
        headers(&r),
        pairs(&[
            ("access-control-allow-origin", "http://a.com"),
            ("vary", "Origin"),
            ("access-control-allow-credentials", "true"),
            ("content-type", "application/json; charset=utf-8"),
        ])
    );
    // Errors too; without an Origin there is nothing to reflect.
    let r = get(&api, "/api/nothing").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        headers(&r),
        pairs(&[
            ("vary", "Origin"),
            ("access-control-allow-credentials", "true"),
            ("content-type", "application/json; charset=utf-8"),
            ("x-content-type-options", "nosniff"),
        ])
    );
}

#[tokio::test]
async fn configured_cors() {
    let cors = Cors::new()
        .allow_origins(["https://app.example.com"])
        .credentials(false)
        .max_age(Some(Duration::from_secs(600)))
        .allow_headers(["Content-Type", "Authorization"])
        .allow_methods(["GET", "POST"])
        .expose_headers(["X-Total-Count"]);
    let api = builder().await.cors(cors).build();
    let preflight = |origin: &str| {
        Request::options("/api/Books")
            .header("origin", origin)
            .header("access-control-request-headers", "x-other")
            .body(String::new())
            .unwrap()
    };
    let r = call(&api, preflight("https://app.example.com")).await;
    assert_eq!(
        headers(&r),
        pairs(&[
            ("access-control-allow-origin", "https://app.example.com"),
            ("vary", "Origin"),
            ("access-control-allow-methods", "GET,POST"),
            ("access-control-allow-headers", "Content-Type,Authorization"),
            ("access-control-max-age", "600"),
            ("access-control-expose-headers", "X-Total-Count"),
            ("content-length", "0"),
        ])
    );
    let r = call(&api, preflight("https://evil.example.com")).await;
    assert_eq!(r.header("access-control-allow-origin"), None);
    let api = builder()
        .await
        .cors(Cors::new().allow_any_origin().max_age(None))
        .build();
    let r = call(&api, preflight("https://any.example.com")).await;
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(r.header("access-control-max-age"), None);
    assert_eq!(r.header("vary"), Some("Access-Control-Request-Headers"));
}

#[tokio::test]
async fn without_cors_no_headers_are_added() {
    let api = builder().await.without_cors().build();
    let req = Request::get("/api/Books/count")
        .header("origin", "http://a.com")
        .body(String::new())
        .unwrap();
    let r = call(&api, req).await;
    assert_eq!(
        headers(&r),
        pairs(&[("content-type", "application/json; charset=utf-8")])
    );
}
