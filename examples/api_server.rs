//! A small LoopBack 3 application for API checks: models from LB3 model JSON on the in-memory
//! data source (relations of every REST kind, hidden properties, a string id, a model with
//! `replaceOnPUT: false`), three custom remote methods, some data, the REST API under `/api`
//! and the API explorer under `/explorer`.
//!
//! ```text
//! cargo run --example api_server            # 127.0.0.1, a free port (printed)
//! PORT=3000 cargo run --example api_server
//! ```
//!
//! It prints `listening on http://ADDRESS` once it accepts connections and runs until it is
//! killed. `.ci/api-check` starts it to validate the OpenAPI document and fuzz the API.

use loopback::remote::{
    Accept, ArgSource, ArgType, HttpVerb, RemoteHandler, RemoteMethod, Returns,
};
use loopback::rest::{serve, RestApi};
use loopback::{connectors, record, App, ModelDefinition, Options};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = App::new();
    app.data_source("db", connectors::memory());
    let models = [
        json!({
            "name": "Author",
            "description": "People who write books.",
            "properties": {
                "name": {"type": "string", "required": true},
                "email": "string",
                "born": "date"
            },
            "hidden": ["email"],
            "relations": {
                "books": {"type": "hasMany", "model": "Book"},
                "profile": {"type": "hasOne", "model": "Profile"},
                "tags": {"type": "hasMany", "model": "Tag", "through": "Tagging"}
            }
        }),
        json!({
            "name": "Book",
            "properties": {
                "title": {"type": "string", "required": true, "description": "The title"},
                "price": "number",
                "published": "boolean",
                "released": "date",
                "keywords": ["string"],
                "meta": "object",
                "costPrice": "number"
            },
            "hidden": ["costPrice"],
            "relations": {"author": {"type": "belongsTo", "model": "Author"}}
        }),
        json!({"name": "Profile", "properties": {"bio": "string"}}),
        json!({"name": "Tag", "properties": {"label": {"type": "string", "required": true}}}),
        json!({
            "name": "Tagging",
            "properties": {"note": "string"},
            "relations": {
                "author": {"type": "belongsTo", "model": "Author"},
                "tag": {"type": "belongsTo", "model": "Tag"}
            }
        }),
        json!({
            "name": "Note",
            "properties": {"code": {"type": "string", "id": true}, "body": "string"},
            "http": {"path": "my-notes"},
            "replaceOnPUT": false
        }),
    ];
    for def in &models {
        app.define(ModelDefinition::from_lb3_json(def)?, "db")
            .await?;
    }

    let authors = app.try_model("Author")?;
    let books = app.try_model("Book")?;
    let tags = app.try_model("Tag")?;

    // GET /api/Books/greet?msg=…
    books.remote_method(
        RemoteMethod::new("greet")
            .description("Greets the caller.")
            .accepts(
                Accept::new("msg", ArgType::String)
                    .required()
                    .source(ArgSource::Query)
                    .description("Who to greet"),
            )
            .returns(Returns::new("greeting", ArgType::String))
            .http(HttpVerb::Get, "/greet"),
        RemoteHandler::new(|call| async move {
            let msg: String = call.arg("msg")?.unwrap_or_default();
            Ok(json!(format!("Greetings... {msg}")))
        }),
    )?;
    // POST /api/Books/:id/discount {percent}
    books.remote_method(
        RemoteMethod::new("prototype.discount")
            .description("The price of the book after a discount.")
            .accepts(
                Accept::new("percent", ArgType::Number)
                    .required()
                    .description("The discount, in percent"),
            )
            .returns(Returns::new("price", ArgType::Number))
            .http(HttpVerb::Post, "/discount"),
        RemoteHandler::new(|call| async move {
            let percent: f64 = call.arg("percent")?.unwrap_or_default();
            let price = call
                .instance
                .as_ref()
                .and_then(|b| b.get("price"))
                .and_then(|p| p.as_f64());
            Ok(match price {
                Some(p) => json!(p * (100.0 - percent) / 100.0),
                None => json!(null),
            })
        }),
    )?;
    // ALL /api/Authors/stats (no `http`: every verb, documented as POST).
    authors.remote_method(
        RemoteMethod::new("stats")
            .description("How many authors there are.")
            .returns(Returns::new("authors", ArgType::Integer)),
        RemoteHandler::new(|call| async move {
            let n = call.model.count(None, &call.options).await?;
            Ok(json!(n))
        }),
    )?;

    let options = Options::new();
    let frank = authors
        .create(
            record! {"name" => "Frank Herbert", "email" => "frank@example.com"},
            &options,
        )
        .await?;
    let frank_id = frank.get("id").cloned().unwrap_or_default();
    for (title, price) in [("Dune", 9.5), ("Dune Messiah", 12.0)] {
        books
            .create(
                record! {"title" => title, "price" => price, "costPrice" => 3.0, "authorId" => frank_id.clone()},
                &options,
            )
            .await?;
    }
    tags.create(record! {"label" => "classic"}, &options)
        .await?;

    let api = RestApi::builder(&app).rest_root("/api").build();
    let port = std::env::var("PORT").unwrap_or_else(|_| "0".to_owned());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("listening on http://{}", listener.local_addr()?);
    serve(listener, api, std::future::pending()).await?;
    Ok(())
}
