//! [`RestApi`]: the REST API of an [`App`] as a tower `Service`.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::{HeaderValue, CONTENT_LENGTH};
use http::{Method, Request, Response};
use http_body::Body;

use super::body::RestBody;
use super::cors::Cors;
use super::errors::error_response;
use super::handlers::{self, Call};
use super::input;
use super::output::{json_response, no_content_response};
use super::routes::{Resolved, Route, RouteTable};
use crate::app::App;
use crate::connector::Options;

/// body-parser's default `limit` (`100kb`), which LB3 applications keep.
const DEFAULT_BODY_LIMIT: usize = 100 * 1024;

/// The error type a request body may fail with.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Configures a [`RestApi`]; start with [`RestApi::builder`].
#[derive(Debug, Clone)]
#[must_use = "call .build() to get the RestApi"]
pub struct RestApiBuilder {
    app: App,
    root: String,
    body_limit: usize,
    debug_errors: bool,
    cors: Option<Cors>,
    excluded: Vec<String>,
}

impl RestApiBuilder {
    /// The REST root every model path is under (LB3's `restApiRoot`, default `/api`). `/` or
    /// an empty string serves the models at the top level, e.g. when the service is nested
    /// under a prefix by a router that strips it.
    pub fn rest_root(mut self, root: impl Into<String>) -> Self {
        self.root = root.into();
        self
    }

    /// The largest request body accepted, in bytes (default 100 KiB, body-parser's `100kb`);
    /// longer ones are answered with 413.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Error responses in strong-error-handler's debug mode: real messages for 5xx and a
    /// `stack` (default off, as in production).
    pub fn debug_errors(mut self, debug: bool) -> Self {
        self.debug_errors = debug;
        self
    }

    /// CORS settings (default [`Cors::new`], LB3's generated `middleware.json`).
    pub fn cors(mut self, cors: Cors) -> Self {
        self.cors = Some(cors);
        self
    }

    /// No CORS headers at all, and `OPTIONS` requests are not answered as preflights.
    pub fn without_cors(mut self) -> Self {
        self.cors = None;
        self
    }

    /// Leaves a model out of the API (LB3's `"public": false` in `model-config.json`).
    pub fn exclude_model(mut self, name: impl Into<String>) -> Self {
        self.excluded.push(name.into());
        self
    }

    /// Builds the route table from the models the app has now; models registered later are
    /// not served by this `RestApi`.
    pub fn build(self) -> RestApi {
        let models = self
            .app
            .models()
            .into_iter()
            .filter(|m| !self.excluded.iter().any(|x| x == m.name()))
            .collect();
        let root = self.root.trim_end_matches('/');
        let root = if root.is_empty() || root.starts_with('/') {
            root.to_owned()
        } else {
            format!("/{root}")
        };
        RestApi {
            inner: Arc::new(Inner {
                table: RouteTable::new(models),
                app: self.app,
                root,
                body_limit: self.body_limit,
                debug_errors: self.debug_errors,
                cors: self.cors,
            }),
        }
    }
}

struct Inner {
    app: App,
    /// Without a trailing slash; empty for the top level.
    root: String,
    body_limit: usize,
    debug_errors: bool,
    cors: Option<Cors>,
    table: RouteTable,
}

/// The LoopBack 3 REST API of an [`App`]: every model's PersistedModel routes under the REST
/// root, with LB3's status codes, bodies and error envelope.
///
/// It is a [`tower_service::Service`] for `http::Request<B>` with any body `B`, so it runs
/// under [`serve`](super::serve) or inside any hyper or axum application; [`RestApi::handle`]
/// calls it directly. Clones share one route table.
///
/// ```
/// use loopback_core::rest::{http, RestApi};
/// use loopback_core::App;
/// # async fn demo(app: App) {
/// let api = RestApi::builder(&app).rest_root("/api").build();
/// let req = http::Request::get("/api/Books/count").body(String::new()).unwrap();
/// let res = api.handle(req).await;
/// assert_eq!(res.status(), 200);
/// # }
/// ```
#[derive(Clone)]
pub struct RestApi {
    inner: Arc<Inner>,
}

impl fmt::Debug for RestApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestApi")
            .field("rest_root", &self.inner.root)
            .field("body_limit", &self.inner.body_limit)
            .field("debug_errors", &self.inner.debug_errors)
            .field("cors", &self.inner.cors)
            .finish_non_exhaustive()
    }
}

impl RestApi {
    /// A builder for the REST API of `app` (clones the app handle, which shares its registry).
    pub fn builder(app: &App) -> RestApiBuilder {
        RestApiBuilder {
            app: app.clone(),
            root: "/api".to_owned(),
            body_limit: DEFAULT_BODY_LIMIT,
            debug_errors: false,
            cors: Some(Cors::default()),
            excluded: Vec::new(),
        }
    }

    /// The REST API of `app` with the defaults: root `/api`, 100 KiB bodies, production
    /// errors, LB3's default CORS.
    pub fn new(app: &App) -> Self {
        RestApi::builder(app).build()
    }

    /// The REST root (`/api`; empty for the top level).
    pub fn rest_root(&self) -> &str {
        &self.inner.root
    }

    /// Every PersistedModel route served (`GET /api/Books/:id`, …), model by model, in the
    /// order they are matched; the relation routes are listed by [`RestApi::relation_routes`].
    pub fn routes(&self) -> Vec<Route> {
        self.inner.table.routes(&self.inner.root, false)
    }

    /// Every relation route served (`GET /api/Authors/:id/books`, …), model by model and
    /// relation by relation, in the order they are matched; `method` is LB3's name
    /// (`Author.prototype.__get__books`).
    pub fn relation_routes(&self) -> Vec<Route> {
        self.inner.table.routes(&self.inner.root, true)
    }

    /// Answers one request. Never fails: every error is a response in LB3's error envelope.
    pub async fn handle<B>(&self, req: Request<B>) -> Response<RestBody>
    where
        B: Body,
        B::Error: Into<BoxError>,
    {
        let inner = &*self.inner;
        let (parts, body) = req.into_parts();
        if parts.method == Method::OPTIONS {
            if let Some(cors) = &inner.cors {
                return cors.preflight(&parts.headers);
            }
        }
        let path = parts.uri.path();
        let query = parts.uri.query();
        let mut res = match inner.table.resolve(&inner.root, &parts.method, path, query) {
            Resolved::NotFound(err) => error_response(&err, inner.debug_errors),
            Resolved::Call { model, op, matched } => {
                let body = if op.takes_body() {
                    input::read_json_body(&parts, body, inner.body_limit).await
                } else {
                    Ok(None)
                };
                let result = match body {
                    Ok(body) => {
                        let call = Call {
                            app: &inner.app,
                            model: &model.handle,
                            def: model.handle.definition(),
                            query: query.unwrap_or_default(),
                            id: matched.id,
                            rel: matched.rel.and_then(|i| model.relations.get(i)),
                            fk: matched.fk,
                            body,
                            options: Options::new(),
                        };
                        handlers::dispatch(op, call).await
                    }
                    Err(e) => Err(e),
                };
                match result {
                    Ok(Some(json)) => json_response(&json),
                    Ok(None) => no_content_response(),
                    Err(err) => error_response(&err, inner.debug_errors),
                }
            }
        };
        if parts.method == Method::HEAD {
            // The headers of the GET answer, without its body.
            let len = res.body().as_bytes().len();
            res.headers_mut()
                .insert(CONTENT_LENGTH, HeaderValue::from(len));
            *res.body_mut() = RestBody::empty();
        }
        if let Some(cors) = &inner.cors {
            cors.apply(&parts.headers, res.headers_mut());
        }
        res
    }
}

impl<B> tower_service::Service<Request<B>> for RestApi
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<RestBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<RestBody>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let api = self.clone();
        Box::pin(async move { Ok(api.handle(req).await) })
    }
}
