//! The LoopBack REST API inside an existing hyper server: the application's own `service_fn`
//! answers `/health` and `/version` itself and hands every other request to the [`RestApi`].
//! The two kinds of responses share one body type, `Either<Full<Bytes>, RestBody>`. Served
//! over HTTP/1.1 with graceful shutdown.
//!
//! Run with `cargo run --example rest_embed_hyper` (listens on 127.0.0.1:3000, or on the port
//! in `PORT`), then try:
//!
//! ```text
//! curl http://127.0.0.1:3000/health
//! curl http://127.0.0.1:3000/api/Books
//! curl http://127.0.0.1:3000/api/Books/count
//! ```
//!
//! Press Enter (or close standard input) to stop: requests in flight are answered first.

use std::convert::Infallible;
use std::future::Future;
use std::io;

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use loopback::rest::{RestApi, RestBody};
use loopback::{connectors, record, App, ModelDefinition, Options};
use serde_json::json;
use tokio::net::TcpListener;

/// The body of every response of the server: the application's own, or the API's.
pub type ResBody = Either<Full<Bytes>, RestBody>;

/// The application: a `Book` model on the in-memory data source, with one book.
pub async fn app() -> loopback::Result<App> {
    let app = App::new();
    app.data_source("db", connectors::memory());
    let book = app
        .define(
            ModelDefinition::from_lb3_json(&json!({
                "name": "Book",
                "properties": {"title": {"type": "string", "required": true}, "price": "number"}
            }))?,
            "db",
        )
        .await?;
    book.create(record! {"title" => "Dune", "price" => 9.5}, &Options::new())
        .await?;
    Ok(app)
}

/// Routes one request: the application's own paths first, then the REST API, which answers
/// everything else (LB3's 404 envelope for unknown paths).
pub async fn handle(api: RestApi, req: Request<Incoming>) -> Result<Response<ResBody>, Infallible> {
    let own = |content_type: &'static str, body: &'static str| {
        let mut res = Response::new(Either::Left(Full::new(Bytes::from_static(body.as_bytes()))));
        res.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        Ok(res)
    };
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/health") => own("text/plain; charset=utf-8", "ok"),
        (&Method::GET, "/version") => own("application/json", r#"{"version":"1.0.0"}"#),
        _ => Ok(api.handle(req).await.map(Either::Right)),
    }
}

/// Accepts connections on `listener` until `shutdown` completes, then waits for the open
/// connections to finish their requests.
pub async fn run(
    listener: TcpListener,
    api: RestApi,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _peer) = accepted?;
                let api = api.clone();
                let service = service_fn(move |req| handle(api.clone(), req));
                let conn = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    // Change streams never end by themselves: end them so their connections can finish.
    api.app().close_change_streams();
    graceful.shutdown().await;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = app().await?;
    let api = RestApi::builder(&app).rest_root("/api").build();
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".to_owned());
    let listener = TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("hyper on http://{}", listener.local_addr()?);

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        let _ = stop.send(());
    });
    run(listener, api, async {
        let _ = stopped.await;
    })
    .await?;
    println!("stopped");
    Ok(())
}
