//! LoopBack 3's REST API over hyper 1: [`RestApi`], a tower `Service` that serves every
//! model's PersistedModel routes (`GET /api/Books`, `PATCH /api/Books/1`, …) with LB3's status
//! codes, bodies, error envelope and CORS, and [`serve`], which runs it on a TCP listener.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use loopback_core::rest::{serve, RestApi};
//! use loopback_core::{App, ModelDefinition};
//!
//! let app = App::new();
//! // app.data_source("db", …); app.define(ModelDefinition::from_lb3_json(…)?, "db").await?;
//! let api = RestApi::builder(&app).rest_root("/api").build();
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! serve(listener, api, std::future::pending()).await?;
//! # Ok(()) }
//! ```
//!
//! The route table, the error format and what differs from LB3 are in `docs/rest.md`.

mod api;
mod auth;
mod body;
mod builtins;
mod change_stream;
mod compress;
mod cookies;
mod cors;
mod errors;
mod explorer;
mod handlers;
mod headers;
mod input;
mod nested;
mod openapi;
mod output;
mod owner_keys;
mod relations;
mod remote_call;
mod routes;
mod serve;
mod static_files;
mod status;
mod trace;

pub use api::{RestApi, RestApiBuilder};
pub use auth::TokenLookup;
pub use body::{BodyError, RestBody};
pub use compress::Compression;
pub use cookies::sign_cookie;
pub use cors::Cors;
pub use headers::{Frameguard, SecurityHeaders};
pub use routes::Route;
pub use serve::serve;

/// The `http` crate the REST types use (requests, responses, headers), re-exported so that
/// callers build requests with the same version.
pub use http;
