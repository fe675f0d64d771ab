//! The LoopBack REST API inside an axum application: axum answers its own routes (`/health`,
//! `/hello/{name}`), every other request goes to the [`RestApi`] (the models under `/api`, the
//! explorer under `/explorer`, LB3's 404 for the rest). Served by `axum::serve` with graceful
//! shutdown.
//!
//! Run with `cargo run --example rest_axum` (listens on 127.0.0.1:3000, or on the port in
//! `PORT`), then try:
//!
//! ```text
//! curl http://127.0.0.1:3000/health
//! curl http://127.0.0.1:3000/api/Books
//! curl -X POST -H 'Content-Type: application/json' -d '{"title":"Emma"}' http://127.0.0.1:3000/api/Books
//! ```
//!
//! Press Enter (or close standard input) to stop: requests in flight are answered first.

use axum::extract::Path;
use axum::routing::get;
use axum::Router;
use loopback::rest::RestApi;
use loopback::{connectors, record, App, ModelDefinition, Options};
use serde_json::json;

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

/// The host application's router: its own routes first, the REST API for everything else.
///
/// `fallback_service` keeps the API's paths as they are (`/api/Books`, `/explorer/`). To mount
/// only the models under a prefix, use `Router::nest_service("/api", api)` instead, with the
/// API built with `rest_root("")`: axum strips the prefix before the API sees the path.
pub fn router(api: RestApi) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route(
            "/hello/{name}",
            get(|Path(name): Path<String>| async move { format!("Hello, {name}!") }),
        )
        .fallback_service(api)
}

#[tokio::main]
#[allow(dead_code)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = app().await?;
    let api = RestApi::builder(&app).rest_root("/api").build();
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".to_owned());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("axum on http://{}", listener.local_addr()?);

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        let _ = stop.send(());
    });
    axum::serve(listener, router(api))
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await?;
    // Change streams never end by themselves: end them so their connections can finish.
    app.close_change_streams();
    println!("stopped");
    Ok(())
}
