//! Remote methods and remote hooks (LB3's `Model.remoteMethod`, `beforeRemote`, `afterRemote`,
//! `afterRemoteError`).
//!
//! A remote method is a [`RemoteMethod`] descriptor bound to a [`RemoteHandler`]. Register one
//! from Rust with [`ModelHandle::remote_method`], or declare it in the `methods` key of the
//! model JSON and bind its handler by name with [`ModelHandle::bind_remote_method`]. The REST
//! layer serves it at its routes; [`ModelHandle::invoke_remote`] calls it from Rust with the
//! same hooks.
//!
//! Remote hooks run around every remote call, the built-in PersistedModel methods included,
//! matched by LB3's method-name patterns (`Book.find`, `Book.*`, `Book.prototype.*`, `**`).
//!
//! ```
//! use loopback_core::remote::{Accept, ArgType, RemoteHandler, RemoteMethod, Returns};
//! use serde_json::json;
//! # async fn demo(people: loopback_core::ModelHandle) -> loopback_core::Result<()> {
//! people.remote_method(
//!     RemoteMethod::new("greet")
//!         .accepts(Accept::new("msg", ArgType::String))
//!         .returns(Returns::new("greeting", ArgType::String)),
//!     RemoteHandler::new(|call| async move {
//!         let msg: String = call.arg("msg")?.unwrap_or_default();
//!         Ok(json!(format!("Greetings... {msg}")))
//!     }),
//! )?;
//! people.before_remote("greet", |ctx| async move { Ok(ctx) });
//! # Ok(()) }
//! ```

#[cfg(feature = "rest")]
mod file;
mod method;
mod pattern;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value as Json};

#[cfg(feature = "rest")]
pub use file::{FileError, FileStream};
pub use method::{
    Accept, AccessType, ArgSource, ArgType, HttpRoute, HttpVerb, RemoteMethod, ReturnTarget,
    Returns,
};
use pattern::Pattern;

use crate::app::{App, ModelHandle};
use crate::connector::Options;
use crate::error::{Error, Result};
use crate::value::Record;

/// What a handler is called with.
#[derive(Clone)]
pub struct RemoteInvocation {
    /// The application.
    pub app: App,
    /// The model the method belongs to.
    pub model: ModelHandle,
    /// The method's descriptor.
    pub method: Arc<RemoteMethod>,
    /// The arguments by name, after the `beforeRemote` hooks.
    pub args: Map<String, Json>,
    /// Instance methods: the instance, loaded by id.
    pub instance: Option<Record>,
    /// The request, when the call came over HTTP.
    pub request: Option<Arc<RemoteRequest>>,
    /// The options operations should be called with.
    pub options: Options,
}

impl fmt::Debug for RemoteInvocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteInvocation")
            .field("model", &self.model.name())
            .field("method", &self.method.string_name())
            .field("args", &self.args)
            .finish_non_exhaustive()
    }
}

impl RemoteInvocation {
    /// The argument `name` as a `T`: `None` when absent or `null`, an error naming the
    /// argument when it does not deserialize.
    pub fn arg<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
        match self.args.get(name) {
            None | Some(Json::Null) => Ok(None),
            Some(v) => serde_json::from_value(v.clone())
                .map(Some)
                .map_err(|e| Error::bad_request(format!("Invalid argument \"{name}\". {e}"))),
        }
    }

    /// Every argument deserialized into one `T` (a struct with a field per argument).
    pub fn args<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_value(Json::Object(self.args.clone()))
            .map_err(|e| Error::bad_request(format!("Invalid arguments. {e}")))
    }
}

/// What a remote method's handler returns: the value of its one return value, or, for
/// several, an array of them in declared order (LB3's Promise form); ignored when the method
/// declares none.
pub type RemoteResult = Result<Json>;

type HandlerFn = dyn Fn(RemoteInvocation) -> BoxFuture<'static, RemoteResult> + Send + Sync;

#[cfg(feature = "rest")]
type FileFn = dyn Fn(RemoteInvocation) -> BoxFuture<'static, Result<FileStream>> + Send + Sync;

/// The Rust function behind a remote method. Cheap to clone.
#[derive(Clone)]
pub struct RemoteHandler(HandlerKind);

/// What a handler answers with: JSON values, or a file sent as it is read.
#[derive(Clone)]
enum HandlerKind {
    Json(Arc<HandlerFn>),
    #[cfg(feature = "rest")]
    File(Arc<FileFn>),
}

/// A handler's answer ([`RemoteHandler::run`]).
enum Output {
    Json(Json),
    #[cfg(feature = "rest")]
    File(FileStream),
}

impl fmt::Debug for RemoteHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RemoteHandler")
    }
}

impl RemoteHandler {
    /// A handler from an async function of the invocation returning JSON.
    pub fn new<F, Fut>(f: F) -> Self
    where
        F: Fn(RemoteInvocation) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = RemoteResult> + Send + 'static,
    {
        RemoteHandler(HandlerKind::Json(Arc::new(move |call| Box::pin(f(call)))))
    }

    /// A typed handler: the arguments are deserialized into `A` (a struct with a field per
    /// argument; a bad value is a 400 naming it) and the result `R` is serialized.
    ///
    /// ```
    /// use loopback_core::remote::RemoteHandler;
    /// #[derive(serde::Deserialize)]
    /// struct Rev { sound: String }
    /// let h = RemoteHandler::typed(|a: Rev, _call| async move {
    ///     Ok(format!("{0} {0} {0}", a.sound))
    /// });
    /// # let _ = h;
    /// ```
    pub fn typed<A, R, F, Fut>(f: F) -> Self
    where
        A: DeserializeOwned + Send + 'static,
        R: Serialize + Send + 'static,
        F: Fn(A, RemoteInvocation) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R>> + Send + 'static,
    {
        let f = Arc::new(f);
        RemoteHandler::new(move |call: RemoteInvocation| {
            let f = f.clone();
            async move {
                let args: A = call.args()?;
                let out = f(args, call).await?;
                serde_json::to_value(out)
                    .map_err(|e| Error::Internal(format!("cannot serialize the result: {e}")))
            }
        })
    }

    /// A handler that sends a file chunk by chunk: the method must declare a `root` return
    /// of type `file`; the file's chunks become the response body as they come (see
    /// [`FileStream`]).
    ///
    /// ```
    /// use loopback_core::remote::{FileStream, RemoteHandler};
    /// let h = RemoteHandler::file(|_call| async move {
    ///     let chunks = futures::stream::iter(["id,title\n", "1,Dune\n"].map(Ok::<_, std::io::Error>));
    ///     Ok(FileStream::new(chunks).content_type("text/csv"))
    /// });
    /// # let _ = h;
    /// ```
    ///
    /// Calls from Rust ([`ModelHandle::invoke_remote`]) cannot receive the file and fail
    /// with a 500 saying so.
    #[cfg(feature = "rest")]
    pub fn file<F, Fut>(f: F) -> Self
    where
        F: Fn(RemoteInvocation) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<FileStream>> + Send + 'static,
    {
        RemoteHandler(HandlerKind::File(Arc::new(move |call| Box::pin(f(call)))))
    }

    /// Runs the handler.
    async fn run(&self, invocation: RemoteInvocation) -> Result<Output> {
        match &self.0 {
            HandlerKind::Json(f) => f(invocation).await.map(Output::Json),
            #[cfg(feature = "rest")]
            HandlerKind::File(f) => f(invocation).await.map(Output::File),
        }
    }

    /// Calls the handler. A file handler ([`RemoteHandler::file`]) fails with a 500, as its
    /// file can only be sent as a REST response.
    pub async fn call(&self, invocation: RemoteInvocation) -> RemoteResult {
        #[cfg(feature = "rest")]
        let method = invocation.method.clone();
        match self.run(invocation).await? {
            Output::Json(value) => Ok(value),
            #[cfg(feature = "rest")]
            Output::File(_) => Err(Error::Internal(format!(
                "{} answers with a file stream, which only a REST response can send",
                method.string_name()
            ))),
        }
    }
}

/// The HTTP request of a remote call, as hooks and handlers see it.
#[derive(Debug, Clone, Default)]
pub struct RemoteRequest {
    /// The verb (`GET`).
    pub method: String,
    /// The path (`/api/people/greet`).
    pub path: String,
    /// The raw query string (empty when none).
    pub query: String,
    /// The headers, names lower-case, in order.
    pub headers: Vec<(String, String)>,
    /// The path parameters of the route (`:id`, …), decoded.
    pub params: Map<String, Json>,
}

impl RemoteRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What a remote hook sees and may change (LB3's remoting `ctx`).
pub struct RemoteContext {
    /// The model name.
    pub model: String,
    /// The full method name hooks match: `Book.find`, `Book.prototype.patchAttributes`.
    pub method_string: String,
    /// The method's descriptor.
    pub method: Arc<RemoteMethod>,
    /// The arguments by name; `beforeRemote` hooks may change them.
    pub args: Map<String, Json>,
    /// `afterRemote`: the result, as it will be sent (`None` sends 204); hooks may change it.
    pub result: Option<Json>,
    /// Instance methods: the instance.
    pub instance: Option<Record>,
    /// `afterRemoteError`: the error; hooks may replace it.
    pub error: Option<Error>,
    /// The request, when the call came over HTTP.
    pub request: Option<Arc<RemoteRequest>>,
    /// The options of the call (`ctx.args.options` in LB3).
    pub options: Options,
    /// The response status a return value aimed at the status set (`http: {target:
    /// "status"}` next to a `root` return); hooks may set it too, as `ctx.res.status(…)`.
    pub status: Option<u16>,
    /// Response headers set by return values aimed at a header (`http: {target: "header"}`
    /// next to a `root` return); hooks may add some, as `ctx.res.set(…)`.
    pub headers: Vec<(String, String)>,
    /// The file a [`RemoteHandler::file`] handler sends (then `result` is `None`).
    #[cfg(feature = "rest")]
    pub(crate) file: Option<FileStream>,
}

impl RemoteContext {
    /// A context for `method_string` of `model` with `args` and `options`, before the call:
    /// no result, instance, error or request yet.
    pub(crate) fn new(
        model: &str,
        method_string: String,
        method: Arc<RemoteMethod>,
        args: Map<String, Json>,
        options: Options,
    ) -> Self {
        RemoteContext {
            model: model.to_owned(),
            method_string,
            method,
            args,
            result: None,
            instance: None,
            error: None,
            request: None,
            options,
            status: None,
            headers: Vec::new(),
            #[cfg(feature = "rest")]
            file: None,
        }
    }
}

impl fmt::Debug for RemoteContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteContext")
            .field("method_string", &self.method_string)
            .field("args", &self.args)
            .field("result", &self.result)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

/// The three kinds of remote hooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RemoteHookKind {
    /// `beforeRemote`: before the method, after the arguments are read.
    Before,
    /// `afterRemote`: after the method succeeded.
    After,
    /// `afterRemoteError`: after the method (or a hook) failed.
    AfterError,
}

/// A registered remote hook: takes the context and hands it back, or fails to abort the call
/// with that error.
pub type RemoteHook =
    Arc<dyn Fn(RemoteContext) -> BoxFuture<'static, Result<RemoteContext>> + Send + Sync>;

struct HookEntry {
    kind: RemoteHookKind,
    pattern: Pattern,
    hook: RemoteHook,
}

/// One registered method of a model.
#[derive(Clone)]
pub(crate) struct MethodEntry {
    pub(crate) method: Arc<RemoteMethod>,
    pub(crate) handler: Option<RemoteHandler>,
}

/// The remote methods, disabled names and remote hooks of an application.
#[derive(Default)]
pub(crate) struct Remotes {
    /// Methods by model name, in registration order.
    methods: RwLock<HashMap<String, Vec<MethodEntry>>>,
    /// Names disabled per model (`find`, `prototype.__get__tags`).
    disabled: RwLock<HashMap<String, Vec<String>>>,
    hooks: RwLock<Vec<HookEntry>>,
    hook_count: AtomicUsize,
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

impl Remotes {
    /// Adds (or replaces, by name) a method of `model`.
    pub(crate) fn add(&self, model: &str, method: RemoteMethod, handler: Option<RemoteHandler>) {
        let mut all = write(&self.methods);
        let list = all.entry(model.to_owned()).or_default();
        let key = method.string_name();
        let entry = MethodEntry {
            method: Arc::new(method),
            handler,
        };
        match list.iter_mut().find(|e| e.method.string_name() == key) {
            Some(e) => *e = entry,
            None => list.push(entry),
        }
    }

    /// Binds `handler` to the declared method `name` of `model`.
    pub(crate) fn bind(&self, model: &str, name: &str, handler: RemoteHandler) -> Result<()> {
        let mut all = write(&self.methods);
        let entry = all
            .get_mut(model)
            .and_then(|l| l.iter_mut().find(|e| e.method.answers_to(name)))
            .ok_or_else(|| {
                Error::definition(
                    format!("{model}.methods"),
                    format!("`{name}` is not a declared remote method of {model}"),
                )
            })?;
        entry.handler = Some(handler);
        Ok(())
    }

    /// The methods of `model`, in registration order.
    pub(crate) fn methods_of(&self, model: &str) -> Vec<MethodEntry> {
        read(&self.methods).get(model).cloned().unwrap_or_default()
    }

    /// The method of `model` that answers to `name`.
    pub(crate) fn find(&self, model: &str, name: &str) -> Option<MethodEntry> {
        read(&self.methods)
            .get(model)?
            .iter()
            .find(|e| e.method.answers_to(name))
            .cloned()
    }

    pub(crate) fn disable(&self, model: &str, name: &str) {
        let mut all = write(&self.disabled);
        let list = all.entry(model.to_owned()).or_default();
        if !list.iter().any(|n| n == name) {
            list.push(name.to_owned());
        }
    }

    /// The names disabled on `model`.
    pub(crate) fn disabled_of(&self, model: &str) -> Vec<String> {
        read(&self.disabled).get(model).cloned().unwrap_or_default()
    }

    fn add_hook(&self, kind: RemoteHookKind, pattern: &str, hook: RemoteHook) {
        write(&self.hooks).push(HookEntry {
            kind,
            pattern: Pattern::new(pattern),
            hook,
        });
        self.hook_count.fetch_add(1, Ordering::Release);
    }

    /// Whether any remote hook is registered (a cheap check before building a context).
    pub(crate) fn has_hooks(&self) -> bool {
        self.hook_count.load(Ordering::Acquire) > 0
    }

    /// Whether any hook, of any kind, matches `method_string` (no allocation beyond splitting
    /// the name).
    #[cfg(feature = "rest")]
    pub(crate) fn any_hook_for(&self, method_string: &str) -> bool {
        if !self.has_hooks() {
            return false;
        }
        let segs: Vec<&str> = method_string.split('.').collect();
        read(&self.hooks).iter().any(|h| h.pattern.matches(&segs))
    }

    /// The hooks of `kind` registered for exactly `method_string` (no wildcard), in
    /// registration order: the ones a nested method inherits from the related model's
    /// method (LB3's `nestRemoting`).
    #[cfg(feature = "rest")]
    pub(crate) fn exact_hooks(&self, kind: RemoteHookKind, method_string: &str) -> Vec<RemoteHook> {
        if !self.has_hooks() {
            return Vec::new();
        }
        let segs: Vec<&str> = method_string.split('.').collect();
        read(&self.hooks)
            .iter()
            .filter(|h| h.kind == kind && h.pattern.is_exact() && h.pattern.matches(&segs))
            .map(|h| h.hook.clone())
            .collect()
    }

    /// The hooks of `kind` matching `method_string`, in LB3's order.
    pub(crate) fn hooks_for(&self, kind: RemoteHookKind, method_string: &str) -> Vec<RemoteHook> {
        if !self.has_hooks() {
            return Vec::new();
        }
        let segs: Vec<&str> = method_string.split('.').collect();
        let hooks = read(&self.hooks);
        let mut found: Vec<(Vec<u8>, usize, RemoteHook)> = hooks
            .iter()
            .enumerate()
            .filter(|(_, h)| h.kind == kind)
            .filter_map(|(i, h)| h.pattern.rank(&segs).map(|r| (r, i, h.hook.clone())))
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        found.into_iter().map(|(_, _, h)| h).collect()
    }

    /// Runs the hooks of `kind` matching the context's method, one after another.
    pub(crate) async fn run(
        &self,
        kind: RemoteHookKind,
        ctx: RemoteContext,
    ) -> Result<RemoteContext> {
        let mut ctx = ctx;
        for hook in self.hooks_for(kind, &ctx.method_string) {
            ctx = hook(ctx).await?;
        }
        Ok(ctx)
    }

    /// Runs the `afterRemoteError` hooks on `err`: the error they leave (a hook may replace
    /// it, or fail with another).
    pub(crate) async fn run_error(&self, mut ctx: RemoteContext, err: Error) -> Error {
        let hooks = self.hooks_for(RemoteHookKind::AfterError, &ctx.method_string);
        if hooks.is_empty() {
            return err;
        }
        ctx.error = Some(err);
        for hook in hooks {
            match hook(ctx).await {
                Ok(next) => ctx = next,
                Err(e) => return e,
            }
        }
        ctx.error
            .unwrap_or_else(|| Error::Internal("an afterRemoteError hook removed the error".into()))
    }
}

fn boxed_hook<F, Fut>(f: F) -> RemoteHook
where
    F: Fn(RemoteContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<RemoteContext>> + Send + 'static,
{
    Arc::new(move |ctx| Box::pin(f(ctx)))
}

impl App {
    /// An app-level `beforeRemote` hook (`app.remotes().before`): `pattern` names the class
    /// too (`Car.revEngine`, `*.find`, `**`).
    pub fn before_remote<F, Fut>(&self, pattern: &str, f: F)
    where
        F: Fn(RemoteContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<RemoteContext>> + Send + 'static,
    {
        self.remotes()
            .add_hook(RemoteHookKind::Before, pattern, boxed_hook(f));
    }

    /// An app-level `afterRemote` hook.
    pub fn after_remote<F, Fut>(&self, pattern: &str, f: F)
    where
        F: Fn(RemoteContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<RemoteContext>> + Send + 'static,
    {
        self.remotes()
            .add_hook(RemoteHookKind::After, pattern, boxed_hook(f));
    }

    /// An app-level `afterRemoteError` hook.
    pub fn after_remote_error<F, Fut>(&self, pattern: &str, f: F)
    where
        F: Fn(RemoteContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<RemoteContext>> + Send + 'static,
    {
        self.remotes()
            .add_hook(RemoteHookKind::AfterError, pattern, boxed_hook(f));
    }
}

impl ModelHandle {
    /// Registers (or replaces) a remote method of this model with its handler.
    pub fn remote_method(&self, method: RemoteMethod, handler: RemoteHandler) -> Result<()> {
        let app = self.app()?;
        app.remotes().add(self.name(), method, Some(handler));
        Ok(())
    }

    /// Binds a handler to a method declared in the model JSON's `methods` (`greet` or
    /// `prototype.greet`). Declared methods without a handler answer 501.
    pub fn bind_remote_method(&self, name: &str, handler: RemoteHandler) -> Result<()> {
        self.app()?.remotes().bind(self.name(), name, handler)
    }

    /// The remote methods of this model (built-in PersistedModel methods not included).
    pub fn remote_methods(&self) -> Vec<Arc<RemoteMethod>> {
        self.app()
            .map(|app| {
                app.remotes()
                    .methods_of(self.name())
                    .into_iter()
                    .map(|e| e.method)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// LB3's `disableRemoteMethodByName`: `find`, `prototype.patchAttributes`,
    /// `prototype.__get__tags`, an alias (`upsert`), or a custom method. A `RestApi` built
    /// afterwards does not serve it.
    pub fn disable_remote_method_by_name(&self, name: &str) {
        if let Ok(app) = self.app() {
            app.remotes().disable(self.name(), name);
        }
    }

    /// The names disabled with [`ModelHandle::disable_remote_method_by_name`].
    pub fn disabled_remote_methods(&self) -> Vec<String> {
        self.app()
            .map(|app| app.remotes().disabled_of(self.name()))
            .unwrap_or_default()
    }

    /// `Model.beforeRemote(pattern, …)`: `pattern` is relative to the model (`greet`, `*`,
    /// `prototype.*`, `**`).
    pub fn before_remote<F, Fut>(&self, pattern: &str, f: F)
    where
        F: Fn(RemoteContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<RemoteContext>> + Send + 'static,
    {
        if let Ok(app) = self.app() {
            app.before_remote(&format!("{}.{pattern}", self.name()), f);
        }
    }

    /// `Model.afterRemote(pattern, …)`.
    pub fn after_remote<F, Fut>(&self, pattern: &str, f: F)
    where
        F: Fn(RemoteContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<RemoteContext>> + Send + 'static,
    {
        if let Ok(app) = self.app() {
            app.after_remote(&format!("{}.{pattern}", self.name()), f);
        }
    }

    /// `Model.afterRemoteError(pattern, …)`.
    pub fn after_remote_error<F, Fut>(&self, pattern: &str, f: F)
    where
        F: Fn(RemoteContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<RemoteContext>> + Send + 'static,
    {
        if let Ok(app) = self.app() {
            app.after_remote_error(&format!("{}.{pattern}", self.name()), f);
        }
    }

    /// Calls the remote method `name` from Rust with `args`, running the remote hooks as a
    /// REST call would: the result is what the REST answer's body would hold (`None` for
    /// no content). Instance methods take the instance's id in `id`.
    pub async fn invoke_remote(
        &self,
        name: &str,
        args: Map<String, Json>,
        id: Option<crate::value::Value>,
        options: Options,
    ) -> Result<Option<Json>> {
        let app = self.app()?;
        let entry = app.remotes().find(self.name(), name).ok_or_else(|| {
            Error::http(404, format!("{} has no remote method {name}", self.name()))
        })?;
        let instance = if entry.method.is_static {
            None
        } else {
            let id = id.ok_or_else(|| Error::bad_request("id is a required argument"))?;
            let shown = id.to_string();
            Some(
                self.find_by_id(self.coerce_id(id)?, None, &options)
                    .await?
                    .ok_or_else(|| Error::NotFound {
                        model: self.name().to_owned(),
                        id: shown,
                    })?,
            )
        };
        let mut ctx = RemoteContext::new(
            self.name(),
            format!("{}.{}", self.name(), entry.method.string_name()),
            entry.method.clone(),
            args,
            options,
        );
        ctx.instance = instance;
        let answer = invoke(&app, self, &entry, ctx).await?;
        #[cfg(feature = "rest")]
        if answer.file.is_some() {
            return Err(Error::Internal(format!(
                "{}.{} answers with a file stream, which only a REST response can send",
                self.name(),
                entry.method.string_name()
            )));
        }
        Ok(answer.body)
    }
}

/// Runs a custom remote method with its hooks: `beforeRemote`, the required-argument check,
/// the handler, `afterRemote`; on failure `afterRemoteError`. The result is the response
/// body (`None`: no content).
pub(crate) async fn invoke(
    app: &App,
    model: &ModelHandle,
    entry: &MethodEntry,
    ctx: RemoteContext,
) -> Result<Answer> {
    let remotes = app.remotes();
    let (ctx, out) = match call(app, model, entry, ctx).await {
        Ok((ctx, body)) => (ctx, Ok(body)),
        Err((ctx, err)) => (ctx, Err(err)),
    };
    match out {
        Ok(body) => Ok(Answer {
            body,
            status: ctx.status,
            headers: ctx.headers,
            #[cfg(feature = "rest")]
            file: ctx.file,
        }),
        Err(err) => {
            let mut err = remotes.run_error(ctx, err).await;
            if let (Some(status), true) = (entry.method.error_status, has_no_status(&err)) {
                err = Error::http(status, err.to_string());
            }
            Err(err)
        }
    }
}

/// What a custom method answers: the body (`None`: no content) and the status and headers its
/// returns or hooks set (which only the REST layer reads).
#[cfg_attr(not(feature = "rest"), allow(dead_code))]
pub(crate) struct Answer {
    pub(crate) body: Option<Json>,
    pub(crate) status: Option<u16>,
    pub(crate) headers: Vec<(String, String)>,
    /// The file a [`RemoteHandler::file`] handler sends, instead of `body`.
    #[cfg(feature = "rest")]
    pub(crate) file: Option<FileStream>,
}

/// Whether an error carries no status of its own (LB3's `err.status` unset: a 500 that is not
/// an explicit HTTP error).
fn has_no_status(err: &Error) -> bool {
    !matches!(err, Error::Http { .. }) && err.status() == 500
}

type Failed = (RemoteContext, Error);

async fn call(
    app: &App,
    model: &ModelHandle,
    entry: &MethodEntry,
    ctx: RemoteContext,
) -> std::result::Result<(RemoteContext, Option<Json>), Failed> {
    let remotes = app.remotes();
    let ctx = remotes
        .run(RemoteHookKind::Before, ctx)
        .await
        .map_err(|e| (placeholder(entry, model), e))?;
    if let Err(e) = check_required(&entry.method, &ctx.args) {
        return Err((ctx, e));
    }
    let Some(handler) = &entry.handler else {
        let msg = format!(
            "{}.{} has no handler bound to it",
            model.name(),
            entry.method.string_name()
        );
        return Err((ctx, Error::http(501, msg)));
    };
    let invocation = RemoteInvocation {
        app: app.clone(),
        model: model.clone(),
        method: entry.method.clone(),
        args: ctx.args.clone(),
        instance: ctx.instance.clone(),
        request: ctx.request.clone(),
        options: ctx.options.clone(),
    };
    let output = match handler.run(invocation).await {
        Ok(v) => v,
        Err(e) => return Err((ctx, e)),
    };
    let mut ctx = ctx;
    match output {
        #[cfg(feature = "rest")]
        Output::File(file) => {
            if !sends_file(&entry.method) {
                let msg = format!(
                    "{}.{} sends a file stream but declares no root return of type file",
                    model.name(),
                    entry.method.string_name()
                );
                return Err((ctx, Error::Internal(msg)));
            }
            ctx.file = Some(file);
        }
        Output::Json(value) => match shape_result(&entry.method, value) {
            Ok(shaped) => {
                ctx.result = shaped.body;
                if shaped.status.is_some() {
                    ctx.status = shaped.status;
                }
                ctx.headers.extend(shaped.headers);
            }
            Err(e) => return Err((ctx, e)),
        },
    }
    let ctx = match remotes.run(RemoteHookKind::After, ctx).await {
        Ok(c) => c,
        Err(e) => return Err((placeholder(entry, model), e)),
    };
    let result = ctx.result.clone();
    Ok((ctx, result))
}

/// Whether `method` declares what a file stream needs: a `root` return of type `file` aimed
/// at the body (other returns, aimed at headers or the status, get no values from a stream).
#[cfg(feature = "rest")]
fn sends_file(method: &RemoteMethod) -> bool {
    method
        .returns
        .iter()
        .any(|r| r.root && r.ty == ArgType::File && r.target == ReturnTarget::Body)
}

/// A context for `afterRemoteError` when a hook consumed the original by failing.
fn placeholder(entry: &MethodEntry, model: &ModelHandle) -> RemoteContext {
    RemoteContext::new(
        model.name(),
        format!("{}.{}", model.name(), entry.method.string_name()),
        entry.method.clone(),
        Map::new(),
        Options::new(),
    )
}

/// strong-remoting's required check: a required argument that is absent, `null` or `""` is
/// a 400 `<name> is a required argument`.
pub(crate) fn check_required(method: &RemoteMethod, args: &Map<String, Json>) -> Result<()> {
    for a in method.accepts.iter().filter(|a| a.required) {
        let missing = match args.get(&a.arg) {
            None | Some(Json::Null) => true,
            Some(Json::String(s)) => s.is_empty(),
            Some(_) => false,
        };
        if missing {
            return Err(Error::bad_request(format!(
                "{} is a required argument",
                a.arg
            )));
        }
    }
    Ok(())
}

/// The response body a handler's value makes: nothing without `returns`; the value itself for
/// one `root` return; else an object with a key per (body) return. Returns aimed at the status
/// or a header are kept in the object under their `arg` (or header name) and applied by the
/// REST layer.
pub(crate) fn shape_result(method: &RemoteMethod, value: Json) -> Result<Shaped> {
    let returns = &method.returns;
    let mut shaped = Shaped::default();
    if returns.is_empty() {
        return Ok(shaped);
    }
    let values: Vec<Json> = if returns.len() == 1 {
        vec![value]
    } else {
        match value {
            Json::Array(items) => items,
            other => {
                return Err(Error::Internal(format!(
                    "{} declares {} return values; its handler must return an array of them, not {other}",
                    method.string_name(),
                    returns.len()
                )))
            }
        }
    };
    if has_root_body(method) {
        // strong-remoting's `setReturnArgByName`: the root value is the body; returns aimed
        // at the status or a header beside it are applied to the response; other body
        // returns are dropped.
        let mut root = Json::Null;
        for (r, v) in returns.iter().zip(values) {
            match &r.target {
                ReturnTarget::Status => {
                    if let Some(s) = v.as_u64().and_then(|s| u16::try_from(s).ok()) {
                        shaped.status = Some(s);
                    }
                }
                ReturnTarget::Header(h) => match v {
                    Json::Null => {}
                    Json::String(text) => shaped.headers.push((h.clone(), text)),
                    other => shaped.headers.push((h.clone(), other.to_string())),
                },
                ReturnTarget::Body if r.root => root = v,
                ReturnTarget::Body => {}
            }
        }
        shaped.body = Some(root);
        return Ok(shaped);
    }
    let mut out = Map::new();
    for (r, v) in returns.iter().zip(values) {
        let key = match (&r.target, &r.arg) {
            (ReturnTarget::Header(h), None) => h.clone(),
            (_, Some(a)) => a.clone(),
            (_, None) => continue,
        };
        if r.ty == ArgType::Integer && !is_safe_integer(&v) && !v.is_null() {
            return Err(Error::Internal(format!(
                "Invalid return value \"{key}\": not a safe integer"
            )));
        }
        out.insert(key, v);
    }
    shaped.body = Some(Json::Object(out));
    Ok(shaped)
}

/// A handler's value as [`shape_result`] reads it: the body (`None`: no content), and the
/// status and headers returns beside a root value set.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Shaped {
    pub(crate) body: Option<Json>,
    pub(crate) status: Option<u16>,
    pub(crate) headers: Vec<(String, String)>,
}

/// The bytes of a buffer a `file` return holds: Node's JSON form `{"type": "Buffer", "data":
/// [bytes]}` (what [`Value::Buffer`](crate::value::Value::Buffer) converts to) or strong-remoting's
/// `{"$type": "base64", "$data": "…"}`.
#[cfg(feature = "rest")]
pub(crate) fn file_bytes(v: &Json) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let o = v.as_object()?;
    if o.get("type").and_then(Json::as_str) == Some("Buffer") {
        return o
            .get("data")?
            .as_array()?
            .iter()
            .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
            .collect();
    }
    if o.get("$type").and_then(Json::as_str) == Some("base64") {
        return base64::engine::general_purpose::STANDARD
            .decode(o.get("$data")?.as_str()?)
            .ok();
    }
    None
}

/// Whether one of the method's returns is the whole body (`root: true`).
fn has_root_body(method: &RemoteMethod) -> bool {
    method
        .returns
        .iter()
        .any(|r| r.root && r.target == ReturnTarget::Body)
}

/// Whether a JSON value is a number that is a safe integer (JavaScript's
/// `Number.isSafeInteger`).
pub(crate) fn is_safe_integer(v: &Json) -> bool {
    const MAX: f64 = 9_007_199_254_740_991.0;
    v.as_f64()
        .is_some_and(|f| f.fract() == 0.0 && f.abs() <= MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn results_take_lb3_shapes() {
        let m = RemoteMethod::new("a").returns(Returns::new("greeting", ArgType::String));
        assert_eq!(
            shape_result(&m, json!("hi")).unwrap().body,
            Some(json!({"greeting": "hi"}))
        );
        let m =
            RemoteMethod::new("a").returns(Returns::root(ArgType::Array(Box::new(ArgType::Any))));
        assert_eq!(shape_result(&m, json!([1])).unwrap().body, Some(json!([1])));
        let m = RemoteMethod::new("a");
        assert_eq!(
            shape_result(&m, json!("ignored")).unwrap(),
            Shaped::default()
        );
        let m = RemoteMethod::new("a")
            .returns(Returns::new("x", ArgType::Number))
            .returns(Returns::new("y", ArgType::Number));
        assert_eq!(
            shape_result(&m, json!([1, 2])).unwrap().body,
            Some(json!({"x": 1, "y": 2}))
        );
        assert!(shape_result(&m, json!(1)).is_err());
        // A root value beside a header return: the value is the body, the header applied.
        let m = RemoteMethod::new("a")
            .returns(Returns::root(ArgType::File))
            .returns(Returns::new("Content-Type", ArgType::String).header("Content-Type"));
        assert_eq!(
            shape_result(&m, json!(["x", "text/plain"])).unwrap(),
            Shaped {
                body: Some(json!("x")),
                status: None,
                headers: vec![("Content-Type".into(), "text/plain".into())],
            }
        );
        let m = RemoteMethod::new("a").returns(Returns::new("n", ArgType::Integer));
        assert!(shape_result(&m, json!(1.5)).is_err());
        assert!(shape_result(&m, json!(3)).is_ok());
    }

    #[test]
    fn required_arguments() {
        let m = RemoteMethod::new("a").accepts(Accept::new("msg", ArgType::String).required());
        let args = |v: Json| v.as_object().cloned().unwrap();
        assert_eq!(
            check_required(&m, &args(json!({})))
                .unwrap_err()
                .to_string(),
            "msg is a required argument"
        );
        assert!(check_required(&m, &args(json!({"msg": ""}))).is_err());
        assert!(check_required(&m, &args(json!({"msg": null}))).is_err());
        assert!(check_required(&m, &args(json!({"msg": 0}))).is_ok());
    }

    #[tokio::test]
    async fn hooks_run_in_lb3_order() {
        let remotes = Remotes::default();
        let log = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        // Registered in an order unlike the one they run in.
        for p in [
            "**",
            "*.*",
            "Car.**",
            "*.revEngine",
            "Car.*",
            "Car.revEngine",
            "Car.prototype.*",
            "Car.revEngine",
        ] {
            let log = log.clone();
            remotes.add_hook(
                RemoteHookKind::Before,
                p,
                boxed_hook(move |ctx: RemoteContext| {
                    log.lock().unwrap().push(p.to_owned());
                    async move { Ok(ctx) }
                }),
            );
        }
        let ctx = |method_string: &str| {
            RemoteContext::new(
                "Car",
                method_string.into(),
                Arc::new(RemoteMethod::new("revEngine")),
                Map::new(),
                Options::new(),
            )
        };
        remotes
            .run(RemoteHookKind::Before, ctx("Car.revEngine"))
            .await
            .unwrap();
        assert_eq!(
            *log.lock().unwrap(),
            [
                "Car.revEngine",
                "Car.revEngine",
                "Car.*",
                "Car.**",
                "*.revEngine",
                "*.*",
                "**"
            ]
        );
        log.lock().unwrap().clear();
        remotes
            .run(RemoteHookKind::Before, ctx("Car.prototype.speak"))
            .await
            .unwrap();
        assert_eq!(*log.lock().unwrap(), ["Car.prototype.*", "Car.**", "**"]);
        #[cfg(feature = "rest")]
        {
            assert!(remotes.any_hook_for("Car.prototype.speak"));
            let narrow = Remotes::default();
            assert!(!narrow.any_hook_for("Book.find"));
            narrow.add_hook(
                RemoteHookKind::AfterError,
                "Book.prototype.*",
                boxed_hook(|ctx: RemoteContext| async move { Ok(ctx) }),
            );
            assert!(!narrow.any_hook_for("Book.find"));
            assert!(narrow.any_hook_for("Book.prototype.save"));
        }
        log.lock().unwrap().clear();
        remotes
            .run(RemoteHookKind::After, ctx("Car.revEngine"))
            .await
            .unwrap();
        assert!(log.lock().unwrap().is_empty());
    }
}
