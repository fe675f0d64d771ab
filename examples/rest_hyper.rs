//! The REST API of a small LoopBack 3 application (two models from LB3 model JSON, on the
//! in-memory data source), served by hyper with graceful shutdown.
//!
//! Run with `cargo run --example rest_hyper` (listens on 127.0.0.1:3000, or on the port in
//! `PORT`), then try:
//!
//! ```text
//! curl http://127.0.0.1:3000/api/Books
//! curl 'http://127.0.0.1:3000/api/Books?filter[where][price][lt]=10&filter[include]=author'
//! curl -X POST -H 'Content-Type: application/json' -d '{"title":"Emma","price":7}' http://127.0.0.1:3000/api/Books
//! curl http://127.0.0.1:3000/api/Books/count?where[price][lt]=10
//! ```
//!
//! Press Enter (or close standard input) to stop: requests in flight are answered first.

use loopback::rest::{serve, RestApi};
use loopback::{connectors, record, App, ModelDefinition, Options};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = App::new();
    app.data_source("db", connectors::memory());
    let author = app
        .define(
            ModelDefinition::from_lb3_json(&json!({
                "name": "Author",
                "properties": {"name": {"type": "string", "required": true}, "email": "string"},
                "hidden": ["email"],
                "relations": {"books": {"type": "hasMany", "model": "Book"}}
            }))?,
            "db",
        )
        .await?;
    let book = app
        .define(
            ModelDefinition::from_lb3_json(&json!({
                "name": "Book",
                "properties": {
                    "title": {"type": "string", "required": true},
                    "price": "number",
                    "costPrice": "number"
                },
                "hidden": ["costPrice"],
                "relations": {"author": {"type": "belongsTo", "model": "Author"}}
            }))?,
            "db",
        )
        .await?;

    let options = Options::new();
    let frank = author
        .create(
            record! {"name" => "Frank Herbert", "email" => "frank@example.com"},
            &options,
        )
        .await?;
    let frank_id = frank.get("id").cloned().unwrap_or_default();
    for (title, price) in [("Dune", 9.5), ("Dune Messiah", 12.0)] {
        book.create(
            record! {"title" => title, "price" => price, "costPrice" => 3.0, "authorId" => frank_id.clone()},
            &options,
        )
        .await?;
    }

    let api = RestApi::builder(&app).rest_root("/api").build();
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".to_owned());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("REST API on http://{}/api", listener.local_addr()?);
    for route in api
        .routes()
        .iter()
        .filter(|r| r.path.starts_with("/api/Books"))
    {
        println!("  {:6} {:28} {}", route.verb, route.path, route.method);
    }

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        let _ = stop.send(());
    });
    serve(listener, api, async {
        let _ = stopped.await;
    })
    .await?;
    println!("stopped");
    Ok(())
}
