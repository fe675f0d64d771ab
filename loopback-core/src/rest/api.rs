//! [`RestApi`]: the REST API of an [`App`] as a tower `Service`.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use http::{Method, Request, Response, StatusCode};
use http_body::Body;

use super::auth;
use super::body::RestBody;
use super::change_stream;
use super::compress::Compression;
use super::cors::Cors;
use super::errors::error_response;
use super::handlers::{self, Call};
use super::headers::SecurityHeaders;
use super::input;
use super::output::{json_response, no_content_response, Reply, JSON_CONTENT_TYPE};
use super::owner_keys;
use super::remote_call;
use super::routes::{self, strip_mount, Matched, ModelRoutes, Op, Resolved, Route, RouteTable};
use super::status::StatusMount;
use super::trace;
use super::{explorer, openapi};
use crate::app::App;
use crate::auth::AccessToken;
use crate::connector::Options;
use crate::remote::ArgSource;
use crate::value::Value;

/// body-parser's default `limit` (`100kb`), which LB3 applications keep.
const DEFAULT_BODY_LIMIT: usize = 100 * 1024;

/// The `Content-Type` of the explorer's HTML answers, as serve-static sends it.
const HTML_CONTENT_TYPE: &str = "text/html; charset=UTF-8";

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
    explorer: Option<String>,
    current_user_literal: Option<String>,
    exposed: Vec<String>,
    statics: Vec<super::static_files::StaticDir>,
    token_lookup: auth::TokenLookup,
    status: Vec<StatusMount>,
    started: Option<SystemTime>,
    security_headers: SecurityHeaders,
    compression: Option<Compression>,
}

impl RestApiBuilder {
    /// Serves a built-in auth model that is private by default. `AccessToken`, `ACL`,
    /// `Role`, `RoleMapping` and `Application` (and models extending them) are left out
    /// unless named here, as LB3's `enableAuth` attaches them with `public: false`: an `ACL`
    /// model open to writes would let anyone grant themselves anything.
    pub fn expose_model(mut self, name: impl Into<String>) -> Self {
        self.exposed.push(name.into());
        self
    }

    /// A path segment standing for the caller's user id when access control is on (LB3's
    /// token middleware option `currentUserLiteral`, usually `me`): `GET /api/users/me`
    /// is `GET /api/users/<id>`, and 401 without a token.
    pub fn current_user_literal(mut self, literal: impl Into<String>) -> Self {
        self.current_user_literal = Some(literal.into()).filter(|l: &String| !l.is_empty());
        self
    }

    /// Where the caller's access token is looked for (default [`TokenLookup::new`]: LB3's
    /// `access_token` parameter, `X-Access-Token` and `Authorization` headers; signed cookies
    /// only once [`TokenLookup::cookie_secrets`] are set).
    ///
    /// [`TokenLookup::new`]: super::TokenLookup::new
    /// [`TokenLookup::cookie_secrets`]: super::TokenLookup::cookie_secrets
    pub fn token_lookup(mut self, lookup: auth::TokenLookup) -> Self {
        self.token_lookup = lookup;
        self
    }

    /// Headers added to every answer (helmet's `X-Frame-Options`, `Strict-Transport-Security`,
    /// …; default none): the API, errors, the status, static files, the explorer and CORS
    /// preflights. Headers an answer sets itself are kept.
    pub fn security_headers(mut self, headers: SecurityHeaders) -> Self {
        self.security_headers = headers;
        self
    }

    /// Compresses answers the client accepts gzip- or deflate-encoded (the `compression`
    /// middleware; default off). See [`Compression`] for what is and is not compressed.
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = Some(compression);
        self
    }

    /// Sends every body as it is (the default).
    pub fn without_compression(mut self) -> Self {
        self.compression = None;
        self
    }

    /// Answers `GET` and `HEAD` of exactly `path` with LB3's `loopback.status()`,
    /// `{"started": <date>, "uptime": <seconds>}`, as the scaffold's `boot/root.js` does at `/`.
    /// The path is absolute, not under the REST root; a path under the REST root stays the
    /// API's.
    pub fn status_route(mut self, path: impl Into<String>) -> Self {
        self.status.push(StatusMount::Route(path.into()));
        self
    }

    /// Answers every request to `path` or below it with LB3's `loopback.status()`, as the
    /// `loopback#status` middleware mounted at `path` does (`/` for every path). Paths under
    /// the REST root stay the API's.
    pub fn status_middleware(mut self, path: impl Into<String>) -> Self {
        self.status.push(StatusMount::Middleware(path.into()));
        self
    }

    /// The `started` date of the status answers (default: when [`build`](Self::build) runs).
    pub fn started_at(mut self, started: SystemTime) -> Self {
        self.started = Some(started);
        self
    }

    /// Where the API explorer is served (default `/explorer`, as LB3's
    /// loopback-component-explorer): the page at `<root>/` and the OpenAPI 3 document at
    /// `<root>/openapi.json`. The path is absolute, not under the REST root.
    pub fn explorer_root(mut self, root: impl Into<String>) -> Self {
        let root = root.into();
        let root = root.trim_end_matches('/');
        self.explorer = Some(if root.starts_with('/') {
            root.to_owned()
        } else {
            format!("/{root}")
        });
        self
    }

    /// Serves neither the explorer page nor the OpenAPI document
    /// ([`RestApi::openapi`] still builds it).
    pub fn without_explorer(mut self) -> Self {
        self.explorer = None;
        self
    }

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

    /// Serves the files of `dir` under the URL path `mount` (LB3's `loopback#static`):
    /// `GET` and `HEAD` of a file inside the folder answer it (`index.html` for a folder);
    /// anything else falls through to the API. `..`, encoded separators, hidden files and
    /// links out of the folder are never served.
    pub fn static_files(mut self, mount: &str, dir: impl Into<std::path::PathBuf>) -> Self {
        self.statics
            .push(super::static_files::StaticDir::new(mount, dir.into()));
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
            .filter(|m| {
                let private_kind = m
                    .builtin_kind()
                    .is_some_and(|k| k != crate::auth::BuiltinKind::User);
                !private_kind || self.exposed.iter().any(|x| x == m.name())
            })
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
                explorer: self.explorer,
                openapi: OnceLock::new(),
                current_user_literal: self.current_user_literal,
                statics: self.statics,
                token_lookup: self.token_lookup,
                status: self.status,
                started: self.started.unwrap_or_else(SystemTime::now),
                security_headers: self.security_headers,
                compression: self.compression,
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
    /// The explorer's path, without a trailing slash.
    explorer: Option<String>,
    /// The OpenAPI document, built on first use (the table does not change).
    openapi: OnceLock<Bytes>,
    current_user_literal: Option<String>,
    statics: Vec<super::static_files::StaticDir>,
    token_lookup: auth::TokenLookup,
    status: Vec<StatusMount>,
    started: SystemTime,
    security_headers: SecurityHeaders,
    compression: Option<Compression>,
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
            explorer: Some("/explorer".to_owned()),
            current_user_literal: None,
            exposed: Vec::new(),
            statics: Vec::new(),
            token_lookup: auth::TokenLookup::default(),
            status: Vec::new(),
            started: None,
            security_headers: SecurityHeaders::default(),
            compression: None,
        }
    }

    /// The REST API of `app` with the defaults: root `/api`, 100 KiB bodies, production
    /// errors, LB3's default CORS.
    pub fn new(app: &App) -> Self {
        RestApi::builder(app).build()
    }

    /// The application served.
    pub fn app(&self) -> &App {
        &self.inner.app
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

    /// Every custom remote method route served (`POST /api/people/greet`, …), model by
    /// model, in the order they are matched; `verb` is `ALL` for routes answering every verb
    /// (a method declared without `http.verb`).
    pub fn remote_routes(&self) -> Vec<Route> {
        self.inner.table.custom_routes(&self.inner.root)
    }

    /// The OpenAPI 3 document of every route served: the models' schemas (hidden properties
    /// left out), the built-in, relation and custom remote methods.
    pub fn openapi(&self) -> serde_json::Value {
        serde_json::from_slice(self.openapi_bytes()).unwrap_or_default()
    }

    fn openapi_bytes(&self) -> &Bytes {
        let inner = &*self.inner;
        inner.openapi.get_or_init(|| {
            let mut routes = self.routes();
            routes.extend(self.relation_routes());
            routes.extend(self.remote_routes());
            let doc = openapi::document(&inner.app, &inner.root, &routes);
            Bytes::from(serde_json::to_vec(&doc).unwrap_or_default())
        })
    }

    /// The explorer page or the OpenAPI document, when `path` is theirs.
    fn explorer_response(&self, method: &Method, path: &str) -> Option<Response<RestBody>> {
        let root = self.inner.explorer.as_deref()?;
        if method != Method::GET && method != Method::HEAD {
            return None;
        }
        let below = strip_mount(path, root)?;
        let mut res = match below {
            // Relative links need the trailing slash: serve-static's redirect, as LB3 answers.
            "" => {
                let target = format!("{path}/");
                let page = format!(
                    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
                     <title>Redirecting</title>\n</head>\n<body>\n<pre>Redirecting to \
                     {}</pre>\n</body>\n</html>\n",
                    explorer::html_escape(&target)
                );
                let mut res = Response::new(RestBody::new(page));
                *res.status_mut() = StatusCode::MOVED_PERMANENTLY;
                res.headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static(HTML_CONTENT_TYPE));
                res.headers_mut().insert(
                    LOCATION,
                    HeaderValue::from_str(&target).unwrap_or(HeaderValue::from_static("/")),
                );
                res
            }
            "/" => {
                let page = explorer::explorer_page("LoopBack API Explorer", "openapi.json");
                let mut res = Response::new(RestBody::new(page));
                res.headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static(HTML_CONTENT_TYPE));
                res
            }
            "/openapi.json" => {
                let mut res = Response::new(RestBody::new(self.openapi_bytes().clone()));
                res.headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
                res
            }
            _ => return None,
        };
        if method == Method::HEAD {
            *res.body_mut() = RestBody::empty();
        }
        Some(res)
    }

    /// The caller's token (when access control is on) and the path with the current-user
    /// literal replaced.
    async fn caller(
        &self,
        parts: &http::request::Parts,
        path: &str,
    ) -> crate::error::Result<(Option<Arc<AccessToken>>, Option<String>)> {
        let inner = &*self.inner;
        if !inner.app.is_auth_enabled() {
            return Ok((None, None));
        }
        let token = auth::caller(&inner.app, parts, &inner.token_lookup).await?;
        let rewritten = match &inner.current_user_literal {
            Some(lit) => auth::rewrite_current_user(path, lit, token.as_deref())?,
            None => None,
        };
        Ok((token, rewritten))
    }

    /// Resolves the route of a request and answers it.
    async fn route<B>(
        &self,
        parts: &http::request::Parts,
        body: B,
        path: &str,
        query: Option<&str>,
        token: Option<Arc<AccessToken>>,
        span: &tracing::Span,
    ) -> Response<RestBody>
    where
        B: Body,
        B::Error: Into<BoxError>,
    {
        let inner = &*self.inner;
        let options = match &token {
            Some(t) => Options::new().with_access_token(t.clone()),
            None => Options::new(),
        };
        let resolved = inner.table.resolve(&inner.root, &parts.method, path, query);
        trace::record_route(span, &resolved);
        match resolved {
            Resolved::NotFound(err) => error_response(&err, inner.debug_errors),
            Resolved::Remote {
                model,
                route,
                params,
            } => {
                let reads_body =
                    route.entry.method.accepts.iter().any(|a| {
                        matches!(a.source, None | Some(ArgSource::Body | ArgSource::Form))
                    });
                let body = if reads_body {
                    input::read_json_body(parts, body, inner.body_limit).await
                } else {
                    Ok(None)
                };
                let res = match body {
                    Ok(body) => {
                        let checked = if inner.app.is_auth_enabled() {
                            {
                                let m = &route.entry.method;
                                let raw_id = params
                                    .iter()
                                    .find(|(n, _)| n == "id")
                                    .map(|(_, v)| Value::String((*v).to_owned()));
                                let id = raw_id.or_else(|| static_model_id(body.as_ref(), query));
                                auth::authorize(
                                    &inner.app,
                                    &model.handle,
                                    &m.name,
                                    &m.aliases,
                                    m.effective_access_type(),
                                    &m.access_scopes,
                                    id,
                                    token.as_ref(),
                                )
                                .await
                            }
                        } else {
                            Ok(())
                        };
                        match checked {
                            Ok(()) => {
                                Box::pin(remote_call::respond(
                                    &inner.app,
                                    &model.handle,
                                    route,
                                    parts,
                                    params,
                                    body,
                                    options,
                                ))
                                .await
                            }
                            Err(e) => Err(e),
                        }
                    }
                    Err(e) => Err(e),
                };
                res.unwrap_or_else(|err| error_response(&err, inner.debug_errors))
            }
            Resolved::Nested { model, op, matched } => {
                let result = match method_body(inner, parts, body, op).await {
                    Ok(body) => {
                        Box::pin(super::nested::respond(
                            &inner.app,
                            model,
                            op,
                            matched,
                            parts,
                            body,
                            options,
                            token.as_ref(),
                        ))
                        .await
                    }
                    Err(e) => Err(e),
                };
                match result {
                    Ok(Some(json)) => json_response(&json),
                    Ok(None) => no_content_response(),
                    Err(err) => error_response(&err, inner.debug_errors),
                }
            }
            Resolved::Call { model, op, matched } => {
                let body = match method_body(inner, parts, body, op).await {
                    Ok(body) => {
                        admit_call(inner, model, op, &matched, query, body, token.as_ref()).await
                    }
                    Err(e) => Err(e),
                };
                match body {
                    Err(err) => error_response(&err, inner.debug_errors),
                    // A stream, not a JSON document: answered as it is.
                    Ok(body) if op == Op::ChangeStream => change_stream::respond(
                        &inner.app,
                        &model.handle,
                        parts,
                        query.unwrap_or_default(),
                        body,
                    )
                    .await
                    .unwrap_or_else(|err| error_response(&err, inner.debug_errors)),
                    Ok(body) => {
                        let result =
                            match remote_call::hooked_builtin(&inner.app, model, op, matched.rel) {
                                Some(method_string) => Box::pin(remote_call::builtin_with_hooks(
                                    &inner.app,
                                    model,
                                    method_string,
                                    op,
                                    matched.rel,
                                    matched.id,
                                    matched.fk,
                                    parts,
                                    body,
                                    options,
                                ))
                                .await
                                .map(|json| json.map(Reply::Json)),
                                None => {
                                    Box::pin(dispatch(
                                        inner, model, op, matched, query, body, options,
                                    ))
                                    .await
                                }
                            };
                        match result {
                            Ok(Some(reply)) => reply.response(&inner.app),
                            Ok(None) => no_content_response(),
                            Err(err) => error_response(&err, inner.debug_errors),
                        }
                    }
                }
            }
        }
    }

    /// Answers one request. Never fails: every error is a response in LB3's error envelope.
    ///
    /// Each request runs in a `tracing` span `request` (target `loopback::rest`) with the
    /// method, path, model and LB3 method string, and ends with a `response` event carrying
    /// the status and latency (see `docs/rest.md`).
    pub async fn handle<B>(&self, req: Request<B>) -> Response<RestBody>
    where
        B: Body,
        B::Error: Into<BoxError>,
    {
        use tracing::Instrument;

        let span = trace::request_span(req.method(), req.uri().path());
        if span.is_disabled() {
            return self.respond(req, &span).await;
        }
        let start = Instant::now();
        let res = self.respond(req, &span).instrument(span.clone()).await;
        trace::finish(&span, res.status(), start);
        res
    }

    /// [`RestApi::handle`] within its span: the answer, with the security headers and
    /// compressed when configured.
    async fn respond<B>(&self, req: Request<B>, span: &tracing::Span) -> Response<RestBody>
    where
        B: Body,
        B::Error: Into<BoxError>,
    {
        let inner = &*self.inner;
        if inner.security_headers.is_empty() && inner.compression.is_none() {
            return self.answer(req, span).await;
        }
        let method = req.method().clone();
        let request_headers = response_inputs(req.headers());
        let mut res = self.answer(req, span).await;
        inner
            .security_headers
            .apply(&request_headers, res.headers_mut());
        if let Some(c) = &inner.compression {
            c.apply(&method, &request_headers, &mut res);
        }
        res
    }

    /// The answer to a request, before [`RestApi::respond`]'s headers and compression.
    async fn answer<B>(&self, req: Request<B>, span: &tracing::Span) -> Response<RestBody>
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
        if !inner.status.is_empty() && routes::strip_mount(path, &inner.root).is_none() {
            if let Some(mut res) =
                super::status::respond(&inner.status, inner.started, &parts.method, path)
            {
                if parts.method == Method::HEAD {
                    without_body(&mut res);
                }
                if let Some(cors) = &inner.cors {
                    cors.apply(&parts.headers, res.headers_mut());
                }
                return res;
            }
        }
        if let Some(res) = self.explorer_response(&parts.method, path) {
            return res;
        }
        if !inner.statics.is_empty()
            && (parts.method == Method::GET || parts.method == Method::HEAD)
            && routes::strip_mount(path, &inner.root).is_none()
        {
            let head = parts.method == Method::HEAD;
            if let Some(mut res) = super::static_files::respond(&inner.statics, path, head).await {
                if let Some(cors) = &inner.cors {
                    cors.apply(&parts.headers, res.headers_mut());
                }
                return res;
            }
        }
        let mut res = match self.caller(&parts, path).await {
            Err(err) => error_response(&err, inner.debug_errors),
            Ok((token, rewritten)) => {
                let path = rewritten.as_deref().unwrap_or(path);
                Box::pin(self.route(&parts, body, path, query, token, span)).await
            }
        };
        if parts.method == Method::HEAD {
            // The headers of the GET answer, without its body. (`HEAD /change-stream` is
            // `exists` of that id, as in Express: no stream is ever answered here.)
            without_body(&mut res);
        }
        if let Some(cors) = &inner.cors {
            cors.apply(&parts.headers, res.headers_mut());
        }
        res
    }
}

/// The request headers the security headers and compression read (`User-Agent`,
/// `Accept-Encoding`), without copying the others.
fn response_inputs(headers: &http::HeaderMap) -> http::HeaderMap {
    let mut out = http::HeaderMap::new();
    for name in [http::header::USER_AGENT, http::header::ACCEPT_ENCODING] {
        for v in headers.get_all(&name) {
            out.append(name.clone(), v.clone());
        }
    }
    out
}

/// The answer to a HEAD request: the GET answer's headers, with its length, and no body.
fn without_body(res: &mut Response<RestBody>) {
    let len = res.body().as_bytes().len();
    res.headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(len));
    *res.body_mut() = RestBody::empty();
}

/// The JSON body of the built-in (or nested) method `op`: read only for methods that take
/// data, an array create held to the app's
/// [`QueryLimits::max_batch`](crate::filter::QueryLimits::max_batch).
async fn method_body<B>(
    inner: &Inner,
    parts: &http::request::Parts,
    body: B,
    op: Op,
) -> crate::error::Result<Option<serde_json::Value>>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    if !op.takes_body() {
        return Ok(None);
    }
    let body = input::read_json_body(parts, body, inner.body_limit).await?;
    if matches!(op, Op::Create | Op::RelCreate) {
        input::check_batch(body, inner.app.query_limits().max_batch)
    } else {
        Ok(body)
    }
}

/// With access control on: the ACL check of a built-in method call, then the owner keys its
/// body writes; returns the body without the user fields clients may not set.
async fn admit_call(
    inner: &Inner,
    model: &ModelRoutes,
    op: Op,
    matched: &Matched<'_>,
    query: Option<&str>,
    body: Option<serde_json::Value>,
    token: Option<&Arc<AccessToken>>,
) -> crate::error::Result<Option<serde_json::Value>> {
    if !inner.app.is_auth_enabled() {
        return Ok(body);
    }
    let rel = matched.rel.and_then(|i| model.relations.get(i));
    let name = routes::builtin_method_name(op, rel);
    let (names, access) = routes::builtin_access(&name);
    let id = matched
        .id
        .map(|i| Value::String(i.to_owned()))
        .or_else(|| static_model_id(body.as_ref(), query));
    auth::authorize(
        &inner.app,
        &model.handle,
        &names[0],
        &names[1..],
        access,
        &[],
        id,
        token,
    )
    .await?;
    owner_keys::check(
        &inner.app,
        &model.handle,
        op,
        rel,
        matched.id,
        matched.fk,
        body.as_ref(),
        token,
    )
    .await?;
    Ok(auth::sanitize_user_body(&model.handle, op, body))
}

/// Runs a built-in method without remote hooks.
async fn dispatch(
    inner: &Inner,
    model: &ModelRoutes,
    op: Op,
    matched: Matched<'_>,
    query: Option<&str>,
    body: Option<serde_json::Value>,
    options: Options,
) -> crate::error::Result<Option<Reply>> {
    let call = Call {
        app: &inner.app,
        model: &model.handle,
        def: model.handle.definition(),
        query: query.unwrap_or_default(),
        id: matched.id,
        rel: matched.rel.and_then(|i| model.relations.get(i)),
        fk: matched.fk,
        body,
        options,
        args: None,
    };
    handlers::dispatch(op, call).await
}

/// The instance a static method addresses, for `$owner`: `id` in the body, else in the
/// query (LB3 reads `req.body.id`, then `req.query.id`).
fn static_model_id(body: Option<&serde_json::Value>, query: Option<&str>) -> Option<Value> {
    if let Some(id) = body.and_then(|b| b.get("id")).filter(|v| !v.is_null()) {
        return Some(Value::from_json(id));
    }
    query
        .and_then(|q| crate::filter::query_value(q, "id").ok().flatten())
        .map(|v| Value::from_json(&v))
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
