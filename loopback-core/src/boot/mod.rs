//! Booting a LoopBack 3 application folder (loopback-boot 2.x): `server/config.json`,
//! `datasources.json`, `model-config.json`, the model files, `middleware.json` and
//! `component-config.json`, each with its `.local` and `.{env}` overrides.
//!
//! Boot has two steps, as in loopback-boot. [`compile`] reads and checks every file and
//! returns a [`BootPlan`], or a [`BootError`] listing **every** problem found, each with its
//! file, key path and, where it can be found, line and column. [`BootPlan::execute`] then
//! creates the data sources, defines and attaches the models, enables access control when the
//! app's `boot/authentication.js` does, and runs the Rust boot scripts of [`BootOptions`].
//! The scaffold's `boot/root.js` (LB3's status at `/`) is served by `Booted::rest_api`.
//! Other JavaScript (boot scripts, model scripts, custom middleware, mixins) is never run: each
//! file is reported as a [`BootWarning`] with the Rust way to do the same.
//!
//! Connectors are created by a [`ConnectorFactory`]; the `loopback` crate supplies one for
//! the connectors compiled into it, so `loopback::boot::boot(dir, options)` needs none.

mod config;
mod middleware;
mod models;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::future::BoxFuture;
use indexmap::IndexMap;
use serde_json::{Map, Value as Json};

use crate::app::{App, ModelHandle};
use crate::connector::Connector;
use crate::error::{Error, Result};
use crate::model::ModelDefinition;

pub use middleware::{
    CompressionSettings, CorsSettings, HttpSettings, ResponseHeader, StaticMount, TokenSettings,
};
pub use models::PlannedModel;

/// Builds connectors from LB3 `datasources.json` entries.
pub trait ConnectorFactory: Send + Sync {
    /// Whether `connector` (the entry's `connector` value, e.g. `postgresql` or
    /// `loopback-connector-postgresql`) can be built.
    fn supports(&self, connector: &str) -> bool;

    /// Builds the connector an entry describes. Errors name the offending key.
    fn create(&self, settings: &Json) -> Result<Arc<dyn Connector>>;
}

/// A boot script written in Rust: runs after the models are defined, in registration order,
/// each one finishing before the next starts (LB3's boot script order).
pub type BootScript = Arc<dyn Fn(App) -> BoxFuture<'static, Result<()>> + Send + Sync>;

/// Rust code attached to a model by name, run right after the model is defined: the
/// counterpart of LB3's `common/models/<model>.js` (remote methods, hooks, validators).
pub type ModelSetup = Arc<dyn Fn(&ModelHandle) -> Result<()> + Send + Sync>;

/// A mixin written in Rust, applied to every model naming it in its `mixins` key with that
/// entry's value as `options`.
pub trait Mixin: Send + Sync {
    /// Changes the definition before the model is defined (add properties, settings).
    fn define(&self, definition: &mut ModelDefinition, options: &Json) -> Result<()> {
        let _ = (definition, options);
        Ok(())
    }

    /// Runs once the model is defined (observe operation hooks, add validators).
    fn attach(&self, model: &ModelHandle, options: &Json) -> Result<()> {
        let _ = (model, options);
        Ok(())
    }
}

/// Options of [`compile`] and [`BootPlan::execute`]: the environment, settings set in code,
/// and the Rust code that stands in for an application's JavaScript.
#[derive(Clone, Default)]
pub struct BootOptions {
    env: Option<String>,
    vars: Option<HashMap<String, String>>,
    settings: Map<String, Json>,
    connectors: Option<Arc<dyn ConnectorFactory>>,
    data_sources: HashMap<String, Arc<dyn Connector>>,
    scripts: Vec<(String, BootScript)>,
    model_setup: HashMap<String, Vec<ModelSetup>>,
    mixins: HashMap<String, Arc<dyn Mixin>>,
}

impl fmt::Debug for BootOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BootOptions")
            .field("env", &self.env)
            .field("settings", &self.settings)
            .field(
                "data_sources",
                &self.data_sources.keys().collect::<Vec<_>>(),
            )
            .field(
                "scripts",
                &self.scripts.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("model_setup", &self.model_setup.keys().collect::<Vec<_>>())
            .field("mixins", &self.mixins.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl BootOptions {
    /// Default options: `env` from `NODE_ENV` (else `development`), variables from the
    /// process environment.
    pub fn new() -> Self {
        Self::default()
    }

    /// The environment name choosing the `.{env}` override files (LB3's `NODE_ENV`).
    pub fn env(mut self, env: impl Into<String>) -> Self {
        self.env = Some(env.into());
        self
    }

    /// Variables for `${NAME}` values and `PORT`/`HOST`, used instead of the process
    /// environment (for tests and embedding).
    pub fn vars<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.vars = Some(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// An app setting set in code: it wins over `config.json`, as `app.set` before boot does
    /// in LB3.
    pub fn setting(mut self, key: impl Into<String>, value: Json) -> Self {
        self.settings.insert(key.into(), value);
        self
    }

    /// The factory building connectors from `datasources.json` entries.
    pub fn connector_factory(mut self, factory: Arc<dyn ConnectorFactory>) -> Self {
        self.connectors = Some(factory);
        self
    }

    /// Whether a connector factory was set.
    pub fn has_connector_factory(&self) -> bool {
        self.connectors.is_some()
    }

    /// Uses `connector` for the data source `name` instead of building it from
    /// `datasources.json` (the entry must still exist there).
    pub fn data_source(mut self, name: impl Into<String>, connector: Arc<dyn Connector>) -> Self {
        self.data_sources.insert(name.into(), connector);
        self
    }

    /// A Rust boot script, run after the models are defined (and after the scripts
    /// registered before it). `name` appears in errors.
    pub fn script<F, Fut>(mut self, name: impl Into<String>, f: F) -> Self
    where
        F: Fn(App) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<()>> + Send + 'static,
    {
        self.scripts
            .push((name.into(), Arc::new(move |app| Box::pin(f(app)))));
        self
    }

    /// Rust code run on the model `name` right after it is defined (the counterpart of
    /// `common/models/<name>.js`). A name that no booted model has is a boot error.
    pub fn model<F>(mut self, name: impl Into<String>, f: F) -> Self
    where
        F: Fn(&ModelHandle) -> Result<()> + Send + Sync + 'static,
    {
        self.model_setup
            .entry(name.into())
            .or_default()
            .push(Arc::new(f));
        self
    }

    /// A Rust mixin, applied to the models whose `mixins` key names it.
    pub fn mixin(mut self, name: impl Into<String>, mixin: impl Mixin + 'static) -> Self {
        self.mixins.insert(name.into(), Arc::new(mixin));
        self
    }

    fn var(&self, name: &str) -> Option<String> {
        match &self.vars {
            Some(v) => v.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
    }

    fn env_name(&self) -> String {
        self.env
            .clone()
            .or_else(|| self.var("NODE_ENV"))
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| "development".into())
    }
}

/// One problem with an application folder: the file, the key path inside it (as LB3 names
/// options, `Book.dataSource`), the line and column when known, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootProblem {
    /// The file at fault, if the problem is in one.
    pub file: Option<PathBuf>,
    /// The key path inside the file.
    pub key: Option<String>,
    /// 1-based line of the key or of the syntax error.
    pub line: Option<usize>,
    /// 1-based column.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl BootProblem {
    /// A problem with no file.
    pub fn new(message: impl Into<String>) -> Self {
        BootProblem {
            file: None,
            key: None,
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// A problem in `file`.
    pub fn in_file(file: &Path, message: impl Into<String>) -> Self {
        BootProblem {
            file: Some(file.to_owned()),
            ..BootProblem::new(message)
        }
    }

    /// The same problem at key path `key`.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into()).filter(|k: &String| !k.is_empty());
        self
    }
}

impl fmt::Display for BootProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}", file.display())?;
            if let Some(l) = self.line {
                write!(f, ":{l}")?;
                if let Some(c) = self.column {
                    write!(f, ":{c}")?;
                }
            }
            f.write_str(": ")?;
        }
        if let Some(k) = &self.key {
            write!(f, "`{k}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Every problem [`compile`] found in an application folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootError {
    /// The problems, in the order boot met them.
    pub problems: Vec<BootProblem>,
}

impl fmt::Display for BootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.as_slice() {
            [one] => write!(f, "cannot boot the application: {one}"),
            many => {
                write!(f, "cannot boot the application: {} problems", many.len())?;
                for p in many {
                    write!(f, "\n  {p}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for BootError {}

impl From<BootError> for Error {
    fn from(e: BootError) -> Self {
        Error::Boot(Box::new(e))
    }
}

/// Something boot did not do: a JavaScript file it cannot run, a middleware it does not
/// provide, a value left undefined. The app still boots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootWarning {
    /// The file concerned.
    pub file: Option<PathBuf>,
    /// What was not done.
    pub message: String,
    /// How to do the same in Rust, when there is a way.
    pub advice: Option<String>,
}

impl BootWarning {
    fn new(file: Option<&Path>, message: impl Into<String>) -> Self {
        BootWarning {
            file: file.map(Path::to_owned),
            message: message.into(),
            advice: None,
        }
    }

    fn not_run(file: &Path, what: &str, advice: impl Into<String>) -> Self {
        BootWarning {
            file: Some(file.to_owned()),
            message: format!("not run: {what}"),
            advice: Some(advice.into()),
        }
    }
}

impl fmt::Display for BootWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}: ", file.display())?;
        }
        f.write_str(&self.message)?;
        if let Some(a) = &self.advice {
            write!(f, " (in Rust: {a})")?;
        }
        Ok(())
    }
}

pub(crate) type Problems = Vec<BootProblem>;

/// `a/server/../common` as `a/common`: paths in messages read as the user wrote the folder.
pub(crate) fn clean_path(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else {
                    out.push(c);
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// What [`compile`] read from an application folder, ready to [`execute`](Self::execute).
#[derive(Debug, Clone)]
pub struct BootPlan {
    root: PathBuf,
    server: PathBuf,
    env: String,
    settings: Map<String, Json>,
    host: String,
    port: u16,
    rest_api_root: String,
    data_sources: IndexMap<String, Json>,
    /// `datasources.json`, for locating the keys of problems met when connecting.
    data_sources_file: Option<config::JsonFile>,
    models: Vec<PlannedModel>,
    http: HttpSettings,
    explorer: Option<String>,
    auth: Option<AuthPlan>,
    /// Whether the scaffold's `boot/root.js` mounts the status at `/`.
    root_status: bool,
    limits: crate::filter::QueryLimits,
    warnings: Vec<BootWarning>,
}

/// How `boot/authentication.js` enables access control.
#[derive(Debug, Clone)]
struct AuthPlan {
    data_source: Option<String>,
}

/// Reads and checks the application folder `dir` (the project folder holding `server/`, or
/// the `server/` folder itself) without creating anything. Fails with every problem found.
pub fn compile(dir: &Path, options: &BootOptions) -> Result<BootPlan> {
    let mut problems = Problems::new();
    let plan = compile_inner(dir, options, &mut problems);
    match plan {
        Some(plan) if problems.is_empty() => Ok(plan),
        _ => Err(BootError { problems }.into()),
    }
}

/// The data sources of an application folder, read as [`compile`] reads them.
#[derive(Debug, Clone)]
pub struct AppDataSources {
    root: PathBuf,
    server: PathBuf,
    entries: IndexMap<String, Json>,
}

impl AppDataSources {
    /// The project folder (holding `server/` and `common/`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The `server/` folder.
    pub fn server_dir(&self) -> &Path {
        &self.server
    }

    /// Each data source's settings, by name, in the file's order: `datasources.json` with
    /// its `.local` and `.{env}` overrides merged and `${VAR}` values filled in.
    pub fn entries(&self) -> &IndexMap<String, Json> {
        &self.entries
    }
}

/// Reads only the data sources of the application folder `dir` (with `config.json`, whose
/// settings `${VAR}` values may name), as [`compile`] reads them, without the models or
/// middleware: for tools such as `loopback discover --app`. Fails with every problem of
/// those files, each naming its file and key.
pub fn data_sources(dir: &Path, options: &BootOptions) -> Result<AppDataSources> {
    let (root, server) = server_dir(dir).map_err(|p| BootError { problems: vec![p] })?;
    let env = options.env_name();
    let mut problems = Problems::new();
    let mut warnings = Vec::new();
    let mut settings = match config::load_named(
        &server,
        "config",
        &env,
        config::merge_objects,
        &mut problems,
        &mut warnings,
    ) {
        Some((_, Json::Object(m))) => m,
        _ => Map::new(),
    };
    for (k, v) in &options.settings {
        settings.insert(k.clone(), v.clone());
    }
    let lookup = |name: &str| -> Option<Json> {
        options
            .var(name)
            .map(Json::String)
            .or_else(|| settings.get(name).cloned().filter(|v| !v.is_null()))
    };
    let mut entries = IndexMap::new();
    if let Some((file, mut merged)) = config::load_named(
        &server,
        "datasources",
        &env,
        config::merge_objects,
        &mut problems,
        &mut warnings,
    ) {
        config::interpolate(&mut merged, &lookup, &file.path, "", &mut warnings);
        if let Json::Object(m) = merged {
            for (name, entry) in m {
                check_data_source(&file, &name, &entry, options, &mut problems);
                entries.insert(name, entry);
            }
        }
    } else if !server.join("datasources.json").is_file() && problems.is_empty() {
        problems.push(BootProblem::in_file(
            &server.join("datasources.json"),
            "missing: the application defines no data sources",
        ));
    }
    if problems.is_empty() {
        Ok(AppDataSources {
            root,
            server,
            entries,
        })
    } else {
        Err(BootError { problems }.into())
    }
}

fn server_dir(dir: &Path) -> std::result::Result<(PathBuf, PathBuf), BootProblem> {
    if !dir.is_dir() {
        return Err(BootProblem::in_file(dir, "no such directory"));
    }
    if dir.join("server/model-config.json").is_file() || dir.join("server").is_dir() {
        return Ok((dir.to_owned(), dir.join("server")));
    }
    if dir.join("model-config.json").is_file() {
        let root = dir.parent().map_or_else(|| dir.to_owned(), Path::to_owned);
        return Ok((root, dir.to_owned()));
    }
    Err(BootProblem::in_file(
        dir,
        "not a LoopBack 3 application folder: no server/model-config.json",
    ))
}

fn compile_inner(dir: &Path, options: &BootOptions, problems: &mut Problems) -> Option<BootPlan> {
    let (root, server) = match server_dir(dir) {
        Ok(d) => d,
        Err(p) => {
            problems.push(p);
            return None;
        }
    };
    let env = options.env_name();
    let mut warnings = Vec::new();

    // App settings: config.json, then settings set in code win (LB3 applies a config key
    // only when the app has no value for it).
    let (config_file, mut settings) = match config::load_named(
        &server,
        "config",
        &env,
        config::merge_objects,
        problems,
        &mut warnings,
    ) {
        Some((f, Json::Object(m))) => (Some(f), m),
        _ => (None, Map::new()),
    };
    for (k, v) in &options.settings {
        settings.insert(k.clone(), v.clone());
    }
    let config_path = server.join("config.json");
    let at_config = |key: &str, msg: String| match &config_file {
        Some(f) => f.problem(key, msg),
        None => BootProblem::in_file(&config_path, msg).key(key),
    };
    let host = options
        .var("HOST")
        .map(Json::String)
        .or_else(|| settings.get("host").cloned());
    let host = match host {
        None | Some(Json::Null) => "0.0.0.0".to_owned(),
        Some(Json::String(s)) => s,
        Some(_) => {
            problems.push(at_config("host", "`host` must be a string".into()));
            String::new()
        }
    };
    let port = options
        .var("PORT")
        .map(Json::String)
        .or_else(|| settings.get("port").cloned());
    let port = match port {
        None | Some(Json::Null) => 3000,
        Some(Json::Number(n)) => match n.as_u64().and_then(|p| u16::try_from(p).ok()) {
            Some(p) => p,
            None => {
                problems.push(at_config("port", format!("`{n}` is not a TCP port")));
                0
            }
        },
        Some(Json::String(s)) => match s.trim().parse::<u16>() {
            Ok(p) => p,
            Err(_) => {
                problems.push(at_config("port", format!("`{s}` is not a TCP port")));
                0
            }
        },
        Some(_) => {
            problems.push(at_config(
                "port",
                "`port` must be a string or a number".into(),
            ));
            0
        }
    };
    let rest_api_root = match settings.get("restApiRoot") {
        None | Some(Json::Null) => "/api".to_owned(),
        Some(Json::String(s)) if s.starts_with('/') => s.clone(),
        Some(_) => {
            problems.push(at_config(
                "restApiRoot",
                "`restApiRoot` must be a string starting with `/`".into(),
            ));
            "/api".to_owned()
        }
    };
    settings.insert("host".into(), Json::String(host.clone()));
    settings.insert("port".into(), Json::from(port));
    settings.insert("restApiRoot".into(), Json::String(rest_api_root.clone()));
    settings.insert("env".into(), Json::String(env.clone()));
    if let Some(status) = settings.get("aclErrorStatus") {
        if !status.as_u64().is_some_and(|s| (400..600).contains(&s)) {
            problems.push(at_config(
                "aclErrorStatus",
                "`aclErrorStatus` must be an HTTP error status (400-599)".into(),
            ));
        }
    }
    let mut limits = crate::filter::QueryLimits::default();
    match settings.get("queryLimits") {
        None | Some(Json::Null) => {}
        Some(Json::Object(o)) => {
            for (key, value) in o {
                let cap = match value {
                    Json::Null | Json::Bool(false) => Ok(None),
                    Json::Number(n) => n.as_u64().filter(|n| *n > 0).map(Some).ok_or(()),
                    _ => Err(()),
                };
                let at = format!("queryLimits.{key}");
                let Ok(cap) = cap else {
                    problems.push(at_config(
                        &at,
                        format!("`{at}` must be a positive integer, or null or false for no cap"),
                    ));
                    continue;
                };
                let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
                match key.as_str() {
                    "maxLimit" => limits.max_limit = cap,
                    "maxInList" => limits.max_in_list = cap.map(size),
                    "maxBatch" => limits.max_batch = cap.map(size),
                    _ => problems.push(at_config(
                        &at,
                        format!(
                            "unknown query limit `{key}`: the limits are maxLimit, maxInList \
                             and maxBatch"
                        ),
                    )),
                }
            }
        }
        Some(_) => problems.push(at_config(
            "queryLimits",
            "`queryLimits` must be an object (maxLimit, maxInList, maxBatch)".into(),
        )),
    }

    let lookup = |name: &str| -> Option<Json> {
        options
            .var(name)
            .map(Json::String)
            .or_else(|| settings.get(name).cloned().filter(|v| !v.is_null()))
    };

    // Data sources.
    let mut data_sources = IndexMap::new();
    let mut data_sources_file = None;
    if let Some((file, mut merged)) = config::load_named(
        &server,
        "datasources",
        &env,
        config::merge_objects,
        problems,
        &mut warnings,
    ) {
        config::interpolate(&mut merged, &lookup, &file.path, "", &mut warnings);
        if let Json::Object(m) = merged {
            for (name, entry) in m {
                check_data_source(&file, &name, &entry, options, problems);
                data_sources.insert(name, entry);
            }
        }
        data_sources_file = Some(file);
    }

    // Models.
    let models = models::plan(
        &root,
        &server,
        &env,
        &data_sources,
        options,
        problems,
        &mut warnings,
    );

    // Middleware and components.
    let token_model = |name: &str| token_model_problem(&models, name);
    let mut http = middleware::plan(
        &server,
        &env,
        &lookup,
        &token_model,
        problems,
        &mut warnings,
    );
    if let Some(limit) = settings
        .get("remoting")
        .and_then(|r| r.get("json"))
        .and_then(|j| j.get("limit"))
    {
        match middleware::parse_size(limit) {
            Some(n) => {
                if http.body_limit.is_none() {
                    http.body_limit = Some(n);
                }
            }
            None => problems.push(at_config(
                "remoting.json.limit",
                format!("`{limit}` is not a size such as \"100kb\""),
            )),
        }
    }
    let explorer = middleware::explorer(&server, &env, problems, &mut warnings);

    // Boot scripts: every file of server/boot and server/boot/{env}, sorted ignoring case.
    let BootScripts { auth, root_status } = boot_scripts(&server, &env, &mut warnings);

    Some(BootPlan {
        root,
        server,
        env,
        settings,
        host,
        port,
        rest_api_root,
        data_sources,
        data_sources_file,
        models,
        http,
        explorer,
        auth,
        root_status,
        limits,
        warnings,
    })
}

/// Why the model `name` cannot be the token middleware's `model`: it must be a model of
/// the application, attached to a data source, that is or extends `AccessToken`.
fn token_model_problem(models: &[PlannedModel], name: &str) -> std::result::Result<(), String> {
    let find = |n: &str| models.iter().find(|m| m.name == n);
    let Some(model) = find(name) else {
        return Err(format!(
            "the token middleware's model `{name}` is not a model of the application (model-config.json)"
        ));
    };
    if model.data_source.is_none() {
        return Err(format!(
            "the token middleware's model `{name}` is not attached to a data source"
        ));
    }
    // Up the chain of bases: the built-in AccessToken (configured or not) ends it.
    let mut current = Some(model);
    for _ in 0..=models.len() {
        let Some(m) = current else { break };
        if m.name == "AccessToken" && m.file.is_none() {
            return Ok(());
        }
        let Some(base) = m.definition.base.as_deref() else {
            break;
        };
        match find(base) {
            Some(b) => current = Some(b),
            None if base == "AccessToken" => return Ok(()),
            None => break,
        }
    }
    Err(format!(
        "the token middleware's model `{name}` is not a token model: it must be AccessToken or extend it"
    ))
}

fn check_data_source(
    file: &config::JsonFile,
    name: &str,
    entry: &Json,
    options: &BootOptions,
    problems: &mut Problems,
) {
    let Some(obj) = entry.as_object() else {
        problems.push(file.problem(name, "a data source must be a JSON object"));
        return;
    };
    let connector = match obj.get("connector") {
        Some(Json::String(c)) => c.as_str(),
        None => {
            problems.push(file.problem(name, "a data source needs a `connector`"));
            return;
        }
        Some(_) => {
            problems.push(file.problem(
                &format!("{name}.connector"),
                "`connector` must be a connector name",
            ));
            return;
        }
    };
    if options.data_sources.contains_key(name) || is_mail(connector) {
        return;
    }
    let supported = options
        .connectors
        .as_ref()
        .is_some_and(|f| f.supports(connector));
    if !supported {
        problems.push(file.problem(
            &format!("{name}.connector"),
            format!("unknown connector `{connector}`; this build knows memory, transient, sqlite3, postgresql, mysql and mail"),
        ));
    }
}

fn is_mail(connector: &str) -> bool {
    matches!(connector, "mail" | "loopback-connector-mail")
}

/// The boot scripts boot honours without running them.
struct BootScripts {
    auth: Option<AuthPlan>,
    root_status: bool,
}

/// Lists the JavaScript boot scripts (never run) and recognises the scaffold's
/// `authentication.js`, whose `enableAuth()` call is honoured, and `root.js`, whose status
/// route is served.
fn boot_scripts(server: &Path, env: &str, warnings: &mut Vec<BootWarning>) -> BootScripts {
    let mut found = BootScripts {
        auth: None,
        root_status: false,
    };
    for dir in [server.join("boot"), server.join("boot").join(env)] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                name != "index.js"
                    && !name.starts_with('_')
                    && !name.ends_with(".json")
                    && !name.ends_with(".map")
                    && !name.ends_with(".node")
            })
            .collect();
        files.sort_by_key(|p| p.file_name().map(|n| n.to_string_lossy().to_lowercase()));
        for f in files {
            let code = std::fs::read_to_string(&f)
                .ok()
                .map(|text| strip_js_comments(&text));
            if let Some(a) = code.as_deref().and_then(enable_auth_script) {
                found.auth = Some(a);
                continue;
            }
            if code.as_deref().is_some_and(is_status_root_script) {
                found.root_status = true;
                continue;
            }
            warnings.push(BootWarning::not_run(
                &f,
                "JavaScript boot script",
                "register a boot script with BootOptions::script, or attach code to a model with BootOptions::model",
            ));
        }
    }
    found
}

/// The scaffold's `boot/authentication.js` (`code` without comments): a script whose only
/// statement calls `enableAuth()` or `enableAuth({dataSource: 'name'})` on the app.
fn enable_auth_script(code: &str) -> Option<AuthPlan> {
    let re = regex::Regex::new(
        r#"^\s*(?:'use strict';?\s*)?module\.exports\s*=\s*function\s*\w*\s*\(\s*(\w+)\s*\)\s*\{\s*(\w+)\.enableAuth\(\s*(?:\{\s*['"]?dataSource['"]?\s*:\s*['"](\w+)['"]\s*\}\s*)?\);?\s*\};?\s*$"#,
    )
    .ok()?;
    let caps = re.captures(code)?;
    if caps.get(1)?.as_str() != caps.get(2)?.as_str() {
        return None;
    }
    Some(AuthPlan {
        data_source: caps.get(3).map(|m| m.as_str().to_owned()),
    })
}

/// The scaffold's `boot/root.js` (`code` without comments): a router answering `GET /` with
/// `loopback.status()`, used by the app, and nothing else.
fn is_status_root_script(code: &str) -> bool {
    let re = regex::Regex::new(
        r#"^\s*(?:['"]use strict['"];?\s*)?module\.exports\s*=\s*(?:function\s*\w*\s*\(\s*(?P<app1>\w+)\s*\)|\(?\s*(?P<app2>\w+)\s*\)?\s*=>)\s*\{\s*(?:var|let|const)\s+(?P<router>\w+)\s*=\s*(?P<app3>\w+)\.loopback\.Router\(\s*\)\s*;?\s*(?P<router2>\w+)\.get\(\s*(?:'/'|"/"|`/`)\s*,\s*(?P<app4>\w+)\.loopback\.status\(\s*\)\s*\)\s*;?\s*(?P<app5>\w+)\.use\(\s*(?P<router3>\w+)\s*\)\s*;?\s*\}\s*;?\s*$"#,
    );
    let Ok(re) = re else { return false };
    let Some(caps) = re.captures(code) else {
        return false;
    };
    let name = |g: &str| caps.name(g).map(|m| m.as_str());
    let app = name("app1").or_else(|| name("app2"));
    let router = name("router");
    app.is_some()
        && ["app3", "app4", "app5"].iter().all(|g| name(g) == app)
        && ["router2", "router3"].iter().all(|g| name(g) == router)
}

fn strip_js_comments(text: &str) -> String {
    let block = regex::Regex::new(r"(?s)/\*.*?\*/").expect("valid regex");
    let line = regex::Regex::new(r"(?m)^\s*//.*$").expect("valid regex");
    line.replace_all(&block.replace_all(text, ""), "")
        .into_owned()
}

impl BootPlan {
    /// The project folder (holding `server/` and `common/`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The `server/` folder (loopback-boot's `appRootDir`).
    pub fn server_dir(&self) -> &Path {
        &self.server
    }

    /// The environment name the overrides were chosen by.
    pub fn env(&self) -> &str {
        &self.env
    }

    /// The merged app settings (`config.json` and overrides, then settings set in code).
    pub fn settings(&self) -> &Map<String, Json> {
        &self.settings
    }

    /// The host to listen on (`HOST`, then `config.host`, default `0.0.0.0`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port to listen on (`PORT`, then `config.port`, default 3000).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `restApiRoot` (default `/api`).
    pub fn rest_api_root(&self) -> &str {
        &self.rest_api_root
    }

    /// The data source entries, after overrides and `${VAR}` values.
    pub fn data_sources(&self) -> &IndexMap<String, Json> {
        &self.data_sources
    }

    /// The models to define, bases first.
    pub fn models(&self) -> &[PlannedModel] {
        &self.models
    }

    /// What `middleware.json` configures for HTTP.
    pub fn http(&self) -> &HttpSettings {
        &self.http
    }

    /// Where the API explorer is mounted, if `component-config.json` enables it.
    pub fn explorer(&self) -> Option<&str> {
        self.explorer.as_deref()
    }

    /// Whether `boot/authentication.js` enables access control.
    pub fn enables_auth(&self) -> bool {
        self.auth.is_some()
    }

    /// Whether the scaffold's `boot/root.js` serves LB3's status (`loopback.status()`) at `/`.
    pub fn serves_root_status(&self) -> bool {
        self.root_status
    }

    /// What boot will not do (JavaScript files, unsupported middleware).
    pub fn warnings(&self) -> &[BootWarning] {
        &self.warnings
    }

    /// A problem at `key` of `datasources.json`.
    fn data_source_problem(&self, key: &str, message: impl Into<String>) -> BootProblem {
        match &self.data_sources_file {
            Some(f) => f.problem(key, message),
            None => BootProblem::new(message).key(key),
        }
    }

    /// Boots the plan into a new [`App`].
    pub async fn execute(self, options: &BootOptions) -> Result<Booted> {
        self.execute_into(App::new(), options).await
    }

    /// Boots the plan into `app`, which may already hold data sources, models, role
    /// resolvers: a data source or model the app has is kept, not redefined.
    pub async fn execute_into(self, app: App, options: &BootOptions) -> Result<Booted> {
        let started = std::time::SystemTime::now();
        let mut problems = Problems::new();
        let mut mailers = HashMap::new();
        for (k, v) in &self.settings {
            if app.setting(k).is_none() {
                app.set_setting(k, v.clone());
            }
        }
        for (name, entry) in &self.data_sources {
            if app.get_data_source(name).is_some() {
                continue;
            }
            if let Some(c) = options.data_sources.get(name) {
                app.data_source(name, c.clone());
                continue;
            }
            let connector = entry
                .get("connector")
                .and_then(Json::as_str)
                .unwrap_or_default();
            if is_mail(connector) {
                match crate::mail::Mailer::from_lb3_settings(entry) {
                    Ok(m) => {
                        app.register_mailer(name, m.clone());
                        mailers.insert(name.clone(), Arc::new(m));
                    }
                    Err(e) => problems.push(self.data_source_problem(name, e.to_string())),
                }
                continue;
            }
            let Some(factory) = &options.connectors else {
                problems.push(self.data_source_problem(name, "no connector factory to build it"));
                continue;
            };
            match factory.create(entry) {
                Ok(c) => {
                    app.data_source(name, c);
                }
                Err(e) => {
                    let key = match &e {
                        Error::InvalidDefinition { path, .. } => path
                            .strip_prefix("datasource")
                            .map(|k| format!("{name}{k}"))
                            .unwrap_or_else(|| name.clone()),
                        _ => name.clone(),
                    };
                    let message = match &e {
                        Error::InvalidDefinition { message, .. } => message.clone(),
                        other => other.to_string(),
                    };
                    problems.push(self.data_source_problem(&key, message));
                }
            }
        }
        if !problems.is_empty() {
            return Err(BootError { problems }.into());
        }
        app.set_query_limits(self.limits);
        models::define_all(&app, &self.models, options, &mut problems).await;
        if !problems.is_empty() {
            return Err(BootError { problems }.into());
        }
        if let Some(auth) = &self.auth {
            let mut o = crate::auth::AuthOptions::new();
            if let Some(ds) = &auth.data_source {
                o = o.data_source(ds.clone());
            }
            if let Some(s) = self
                .settings
                .get("aclErrorStatus")
                .and_then(Json::as_u64)
                .and_then(|s| u16::try_from(s).ok())
            {
                o = o.acl_error_status(s);
            }
            app.enable_auth_with(o).await?;
        }
        for (name, script) in &options.scripts {
            script(app.clone()).await.map_err(|e| {
                Error::from(BootError {
                    problems: vec![BootProblem::new(format!(
                        "boot script `{name}` failed: {e}"
                    ))],
                })
            })?;
        }
        Ok(Booted {
            app,
            plan: self,
            mailers,
            started,
        })
    }
}

/// A booted application: the [`App`] and what its configuration says about serving it.
#[derive(Debug, Clone)]
pub struct Booted {
    app: App,
    plan: BootPlan,
    mailers: HashMap<String, Arc<crate::mail::Mailer>>,
    /// When boot ran: the `started` date of the status.
    started: std::time::SystemTime,
}

impl Booted {
    /// The application.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// What boot read.
    pub fn plan(&self) -> &BootPlan {
        &self.plan
    }

    /// The mailer of a data source with the `mail` connector.
    pub fn mailer(&self, data_source: &str) -> Option<Arc<crate::mail::Mailer>> {
        self.mailers.get(data_source).cloned()
    }

    /// The names of the models `model-config.json` keeps off REST (`public: false`).
    pub fn private_models(&self) -> Vec<&str> {
        self.plan
            .models
            .iter()
            .filter(|m| !m.public)
            .map(|m| m.name.as_str())
            .collect()
    }

    /// When the app was booted (the `started` date of LB3's status).
    pub fn started(&self) -> std::time::SystemTime {
        self.started
    }

    /// A [`RestApiBuilder`](crate::rest::RestApiBuilder) configured as the folder says:
    /// `restApiRoot`, public models, the token middleware's options, the status of
    /// `boot/root.js` and `loopback#status`, CORS, the error handler's `debug`, the body size
    /// limit and the explorer.
    #[cfg(feature = "rest")]
    pub fn rest_builder(&self) -> crate::rest::RestApiBuilder {
        let http = &self.plan.http;
        let mut b = crate::rest::RestApi::builder(&self.app)
            .rest_root(
                http.rest_root
                    .clone()
                    .unwrap_or_else(|| self.plan.rest_api_root.clone()),
            )
            .debug_errors(http.debug_errors);
        for m in &self.plan.models {
            if !m.public {
                b = b.exclude_model(m.name.clone());
            } else if m.data_source.is_some() {
                b = b.expose_model(m.name.clone());
            }
        }
        if let Some(l) = &http.current_user_literal {
            b = b.current_user_literal(l.clone());
        }
        b = b
            .token_lookup(http.token.to_lookup())
            .started_at(self.started);
        if self.plan.root_status {
            b = b.status_route("/");
        }
        for p in &http.status_paths {
            b = b.status_middleware(p.clone());
        }
        b = match &http.cors {
            Some(c) => b.cors(c.to_cors()),
            None => b.without_cors(),
        };
        if let Some(limit) = http.body_limit {
            b = b.body_limit(limit);
        }
        for m in &http.static_mounts {
            b = b.static_files(&m.path, m.dir.clone());
        }
        b = b.security_headers(http.to_security_headers());
        if let Some(c) = &http.compression {
            b = b.compression(c.to_compression());
        }
        b = match &self.plan.explorer {
            Some(e) => b.explorer_root(e.clone()),
            None => b.without_explorer(),
        };
        b
    }

    /// The REST API of [`Booted::rest_builder`].
    #[cfg(feature = "rest")]
    pub fn rest_api(&self) -> crate::rest::RestApi {
        self.rest_builder().build()
    }
}

/// [`compile`] then [`BootPlan::execute`].
pub async fn boot(dir: &Path, options: &BootOptions) -> Result<Booted> {
    compile(dir, options)?.execute(options).await
}
