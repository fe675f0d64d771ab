//! The embedding examples, exercised: `examples/rest_axum.rs` (the API as a fallback service
//! of an axum router, and nested under a prefix) and `examples/rest_embed_hyper.rs` (the API
//! behind the application's own hyper `service_fn`, over real TCP, with graceful shutdown).

#![cfg(all(feature = "rest", feature = "memory"))]

#[allow(dead_code)]
#[path = "../examples/rest_axum.rs"]
mod rest_axum;

#[allow(dead_code)]
#[path = "../examples/rest_embed_hyper.rs"]
mod rest_embed_hyper;

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use loopback::rest::{http, RestApi};
use serde_json::{json, Value as Json};
use tokio::net::{TcpListener, TcpStream};

/// Sends one request through an axum router, in process, and reads the answer whole.
async fn axum_send(
    router: &axum::Router,
    method: &str,
    uri: &str,
    body: Option<&str>,
) -> (u16, String) {
    let mut req = http::Request::builder().method(method).uri(uri);
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let req = req
        .body(body.unwrap_or_default().to_owned())
        .expect("request");
    let res = tower_service::Service::call(&mut router.clone(), req)
        .await
        .unwrap_or_else(|never| match never {});
    let status = res.status().as_u16();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        String::from_utf8(bytes.to_vec()).expect("UTF-8 body"),
    )
}

fn json(text: &str) -> Json {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text:?}"))
}

#[tokio::test]
async fn axum_router_serves_its_own_routes_and_the_api() {
    let app = rest_axum::app().await.expect("app");
    let router = rest_axum::router(RestApi::builder(&app).rest_root("/api").build());

    assert_eq!(
        axum_send(&router, "GET", "/health", None).await,
        (200, "ok".to_owned())
    );
    assert_eq!(
        axum_send(&router, "GET", "/hello/Ada", None).await,
        (200, "Hello, Ada!".to_owned())
    );

    let (status, text) = axum_send(&router, "GET", "/api/Books", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        json(&text),
        json!([{"id": 1, "title": "Dune", "price": 9.5}])
    );

    let (status, text) =
        axum_send(&router, "POST", "/api/Books", Some(r#"{"title":"Emma"}"#)).await;
    assert_eq!(
        (status, json(&text)),
        (200, json!({"id": 2, "title": "Emma"}))
    );
    assert_eq!(
        axum_send(&router, "GET", "/api/Books/count", None).await,
        (200, r#"{"count":2}"#.to_owned())
    );

    // LB3's answers for what neither axum nor a model handles.
    let (status, text) = axum_send(&router, "GET", "/nowhere", None).await;
    assert_eq!(status, 404);
    assert_eq!(json(&text)["error"]["message"], "Cannot GET /nowhere");
    let (status, _) = axum_send(&router, "GET", "/api/Books/9", None).await;
    assert_eq!(status, 404);
    // The explorer keeps its absolute path.
    let (status, text) = axum_send(&router, "GET", "/explorer/openapi.json", None).await;
    assert_eq!(status, 200);
    assert_eq!(json(&text)["openapi"].as_str().map(|v| &v[..2]), Some("3."));
}

#[tokio::test]
async fn axum_nest_service_strips_the_prefix() {
    let app = rest_axum::app().await.expect("app");
    let api = RestApi::builder(&app)
        .rest_root("")
        .without_explorer()
        .build();
    let router = axum::Router::new()
        .route("/health", axum::routing::get(|| async { "ok" }))
        .nest_service("/api", api);
    let (status, text) = axum_send(&router, "GET", "/api/Books/1", None).await;
    assert_eq!(
        (status, json(&text)),
        (200, json!({"id": 1, "title": "Dune", "price": 9.5}))
    );
    assert_eq!(
        axum_send(&router, "GET", "/health", None).await,
        (200, "ok".to_owned())
    );
    // Outside the prefix: axum's own 404, not the API's.
    assert_eq!(axum_send(&router, "GET", "/Books", None).await.0, 404);
}

/// Sends one HTTP/1.1 request on a new connection to `addr`.
async fn http1_send(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> (u16, Option<String>, String) {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    let driver = tokio::spawn(conn);
    let mut req = http::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost");
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let req = req
        .body(Full::new(Bytes::from(body.unwrap_or_default().to_owned())))
        .expect("request");
    let res = tokio::time::timeout(Duration::from_secs(10), sender.send_request(req))
        .await
        .expect("answer in time")
        .expect("response");
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    drop(sender);
    let _ = driver.await;
    (
        status,
        content_type,
        String::from_utf8(bytes.to_vec()).expect("UTF-8 body"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_service_fn_routes_its_own_paths_and_the_api() {
    let app = rest_embed_hyper::app().await.expect("app");
    let api = RestApi::builder(&app).rest_root("/api").build();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(rest_embed_hyper::run(listener, api, async {
        let _ = stopped.await;
    }));

    let (status, content_type, text) = http1_send(addr, "GET", "/health", None).await;
    assert_eq!((status, text.as_str()), (200, "ok"));
    assert_eq!(content_type.as_deref(), Some("text/plain; charset=utf-8"));
    let (status, _, text) = http1_send(addr, "GET", "/version", None).await;
    assert_eq!((status, text.as_str()), (200, r#"{"version":"1.0.0"}"#));

    let (status, content_type, text) = http1_send(addr, "GET", "/api/Books/1", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        content_type.as_deref(),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(json(&text), json!({"id": 1, "title": "Dune", "price": 9.5}));
    let (status, _, text) =
        http1_send(addr, "POST", "/api/Books", Some(r#"{"title":"Emma"}"#)).await;
    assert_eq!(
        (status, json(&text)),
        (200, json!({"id": 2, "title": "Emma"}))
    );
    let (status, _, text) = http1_send(addr, "GET", "/api/Books/count", None).await;
    assert_eq!((status, text.as_str()), (200, r#"{"count":2}"#));
    // A verb the application does not handle on its own path goes to the API: LB3's 404.
    let (status, _, text) = http1_send(addr, "POST", "/health", None).await;
    assert_eq!(status, 404);
    assert_eq!(json(&text)["error"]["message"], "Cannot POST /health");

    stop.send(()).expect("server running");
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("stopped in time")
        .expect("task")
        .expect("run");
    assert!(TcpStream::connect(addr).await.is_err());
}
