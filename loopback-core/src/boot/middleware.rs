//! `middleware.json` and `component-config.json`: the settings that matter without
//! JavaScript (the token middleware, the REST mount, the status, CORS, the error handler, body
//! limits, static files, the explorer). Every other middleware is reported as not provided.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use super::config;
use super::{BootWarning, Problems};

/// What `middleware.json` configures for HTTP.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HttpSettings {
    /// Where `loopback#rest` is mounted (its first path), when the file mounts it.
    pub rest_root: Option<String>,
    /// `loopback#token`'s `currentUserLiteral`.
    pub current_user_literal: Option<String>,
    /// Where `loopback#token` looks for the access token.
    pub token: TokenSettings,
    /// The paths `loopback#status` is mounted at (`/` when it names none).
    pub status_paths: Vec<String>,
    /// The `cors` middleware's options; `None` means no CORS headers.
    pub cors: Option<CorsSettings>,
    /// strong-error-handler's `debug`.
    pub debug_errors: bool,
    /// The JSON body limit (body-parser's `limit`, or `remoting.json.limit` in config.json).
    pub body_limit: Option<usize>,
    /// Folders served by `loopback#static` / `serve-static`.
    pub static_mounts: Vec<StaticMount>,
}

/// The options of `loopback#token` that say where the access token is looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSettings {
    /// `params`: query parameters searched before `access_token`.
    pub params: Vec<String>,
    /// `headers`: headers searched before `X-Access-Token` and `Authorization`.
    pub headers: Vec<String>,
    /// `cookies`: cookies searched before `access_token` and `authorization`.
    pub cookies: Vec<String>,
    /// `searchDefaultTokenKeys` (default `true`).
    pub search_default_keys: bool,
    /// `bearerTokenBase64Encoded` (default `true`).
    pub bearer_base64: bool,
    /// `model`: the name of the token model, when given.
    pub model: Option<String>,
}

impl Default for TokenSettings {
    fn default() -> Self {
        TokenSettings {
            params: Vec::new(),
            headers: Vec::new(),
            cookies: Vec::new(),
            search_default_keys: true,
            bearer_base64: true,
            model: None,
        }
    }
}

impl TokenSettings {
    /// The REST layer's token lookup for these options.
    #[cfg(feature = "rest")]
    pub fn to_lookup(&self) -> crate::rest::TokenLookup {
        crate::rest::TokenLookup::new()
            .params(self.params.iter().cloned())
            .headers(self.headers.iter().cloned())
            .cookies(self.cookies.iter().cloned())
            .search_default_keys(self.search_default_keys)
            .bearer_base64(self.bearer_base64)
    }
}

/// The options of the `cors` middleware.
#[derive(Debug, Clone, PartialEq)]
pub struct CorsSettings {
    /// `origin`: `true` (reflect), `"*"`, one origin or a list.
    pub origin: Json,
    /// `credentials`.
    pub credentials: bool,
    /// `maxAge` in seconds.
    pub max_age: Option<u64>,
}

impl CorsSettings {
    /// The REST layer's CORS configuration for these options.
    #[cfg(feature = "rest")]
    pub fn to_cors(&self) -> crate::rest::Cors {
        let mut c = crate::rest::Cors::new();
        c = match &self.origin {
            Json::String(s) if s == "*" => c.allow_any_origin(),
            Json::String(s) => c.allow_origins([s.as_str()]),
            Json::Array(a) => c.allow_origins(a.iter().filter_map(Json::as_str)),
            _ => c.mirror_origin(),
        };
        c.credentials(self.credentials)
            .max_age(self.max_age.map(std::time::Duration::from_secs))
    }
}

/// A folder of static files and the URL path it is served under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticMount {
    /// The URL path prefix (`/` by default).
    pub path: String,
    /// The folder.
    pub dir: PathBuf,
}

/// Sizes as body-parser writes them: `100kb`, `1mb`, a number of bytes.
pub(crate) fn parse_size(v: &Json) -> Option<usize> {
    match v {
        Json::Number(n) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
        Json::String(s) => {
            let s = s.trim().to_ascii_lowercase();
            let digits_end = s
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(s.len());
            let (num, unit) = s.split_at(digits_end);
            let n: f64 = num.parse().ok()?;
            let mult = match unit.trim() {
                "" | "b" => 1.0,
                "kb" => 1024.0,
                "mb" => 1024.0 * 1024.0,
                "gb" => 1024.0 * 1024.0 * 1024.0,
                _ => return None,
            };
            let bytes = n * mult;
            (bytes.is_finite() && bytes >= 0.0 && bytes < usize::MAX as f64)
                .then_some(bytes as usize)
        }
        _ => None,
    }
}

/// Middleware that changes nothing a client of the JSON API sees; not reported.
const SILENT: &[&str] = &["loopback#favicon", "loopback#urlNotFound", "serve-favicon"];

/// The order LB3 runs a phase in: the built-in phases in their order, `:before` and `:after`
/// around each; a phase of the app's own runs before `routes`, where loopback registers it.
fn phase_rank(phase: &str) -> (usize, usize) {
    const PHASES: [&str; 7] = [
        "initial", "session", "auth", "parse", "routes", "files", "final",
    ];
    let (base, sub) = match phase.split_once(':') {
        Some((b, "before")) => (b, 0),
        Some((b, "after")) => (b, 2),
        _ => (phase, 1),
    };
    match PHASES.iter().position(|p| *p == base) {
        Some(i) => (i * 2 + 1, sub),
        None => (8, sub),
    }
}

/// An HTTP header name: one or more token characters (RFC 9110).
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Whether `path` is `mount` or below it (case-insensitive, on a segment boundary).
fn is_under(path: &str, mount: &str) -> bool {
    let path = path.trim_end_matches('/');
    match path.get(..mount.len()) {
        Some(head) => {
            head.eq_ignore_ascii_case(mount)
                && (path.len() == mount.len() || path[mount.len()..].starts_with('/'))
        }
        None => false,
    }
}

/// Where an entry runs: its phase's rank, then its position in the file.
type Order = ((usize, usize), usize);

/// What [`apply`] keeps to check the entries against each other once all are read.
#[derive(Default)]
struct Seen {
    /// `(rank, position)` of `loopback#rest`.
    rest: Option<Order>,
    /// Each status path with its `(rank, position)` and key.
    status: Vec<(String, Order, String)>,
    /// How many enabled `loopback#token` entries there are.
    tokens: usize,
}

pub(super) fn plan(
    server: &Path,
    env: &str,
    lookup: &dyn Fn(&str) -> Option<Json>,
    problems: &mut Problems,
    warnings: &mut Vec<BootWarning>,
) -> HttpSettings {
    let mut http = HttpSettings::default();
    let mut seen = Seen::default();
    let mut position = 0;
    let Some((file, mut merged)) = config::load_named(
        server,
        "middleware",
        env,
        config::merge_middleware,
        problems,
        warnings,
    ) else {
        // Without middleware.json LB3 mounts nothing; the REST API is still what a Rust
        // embedding wants, so it is served with the defaults.
        return http;
    };
    config::interpolate(&mut merged, lookup, &file.path, "", warnings);
    let Json::Object(phases) = merged else {
        return http;
    };
    for (phase, entries) in &phases {
        let Json::Object(entries) = entries else {
            problems.push(file.problem(phase, "a phase must be an object of middleware"));
            continue;
        };
        for (mw, conf) in entries {
            let list: Vec<&Json> = match conf {
                Json::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            for conf in list {
                let key = format!("{phase}.{mw}");
                if !conf.is_object() {
                    problems.push(file.problem(&key, "a middleware entry must be an object"));
                    continue;
                }
                if conf.get("enabled") == Some(&Json::Bool(false)) {
                    continue;
                }
                let params = conf.get("params").cloned().unwrap_or(Json::Null);
                position += 1;
                let order = (phase_rank(phase), position);
                match mw.as_str() {
                    "loopback#rest" => seen.rest = Some(order),
                    "loopback#token" => {
                        seen.tokens += 1;
                        if seen.tokens > 1 {
                            warnings.push(BootWarning::new(
                                Some(&file.path),
                                format!(
                                    "`{key}`: only the first `loopback#token` entry is applied"
                                ),
                            ));
                            continue;
                        }
                    }
                    _ => {}
                }
                let statuses = http.status_paths.len();
                apply(
                    &file, server, &key, mw, conf, &params, &mut http, problems, warnings,
                );
                for p in &http.status_paths[statuses..] {
                    seen.status.push((p.clone(), order, key.clone()));
                }
            }
        }
    }
    // A status mounted ahead of the REST API and over it answers the API's paths in LB3; the
    // API keeps them here.
    if let (Some(rest), Some(root)) = (seen.rest, http.rest_root.as_deref()) {
        for (path, order, key) in &seen.status {
            let mount = path.trim_end_matches('/');
            if order < &rest && is_under(root, mount) {
                warnings.push(BootWarning::new(
                    Some(&file.path),
                    format!(
                        "`{key}`: LB3 answers the status for every path under `{path}`, the REST API's `{root}` included; loopback-rs keeps answering the API there"
                    ),
                ));
            }
        }
    }
    http
}

#[allow(clippy::too_many_arguments)]
fn apply(
    file: &config::JsonFile,
    server: &Path,
    key: &str,
    mw: &str,
    conf: &Json,
    params: &Json,
    http: &mut HttpSettings,
    problems: &mut Problems,
    warnings: &mut Vec<BootWarning>,
) {
    let paths: Vec<String> = match conf.get("paths") {
        Some(Json::String(s)) => vec![s.clone()],
        Some(Json::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let unsupported = |what: &str| BootWarning::new(Some(&file.path), format!("`{key}`: {what}"));
    match mw {
        "loopback#rest" => {
            if let Some(p) = paths.first() {
                if p.starts_with('/') {
                    http.rest_root = Some(p.clone());
                } else {
                    problems.push(file.problem(
                        &format!("{key}.paths"),
                        format!("`{p}` is not a path starting with `/`"),
                    ));
                }
            }
        }
        "loopback#token" => token(file, key, params, http, problems, warnings),
        "loopback#status" => {
            if paths.is_empty() {
                http.status_paths.push("/".into());
            }
            for p in paths {
                if p.starts_with('/') {
                    http.status_paths.push(p);
                } else {
                    problems.push(file.problem(
                        &format!("{key}.paths"),
                        format!("`{p}` is not a path starting with `/`"),
                    ));
                }
            }
        }
        "cors" => {
            let origin = params
                .get("origin")
                .cloned()
                .unwrap_or(Json::String("*".into()));
            if origin == Json::Bool(false) {
                http.cors = None;
                return;
            }
            let valid = matches!(&origin, Json::Bool(true) | Json::String(_))
                || origin
                    .as_array()
                    .is_some_and(|a| a.iter().all(Json::is_string));
            if !valid {
                problems.push(file.problem(
                    &format!("{key}.params.origin"),
                    "`origin` must be true, false, an origin or a list of origins",
                ));
                return;
            }
            let max_age = match params.get("maxAge") {
                None | Some(Json::Null) => None,
                Some(v) => match v.as_u64() {
                    Some(n) => Some(n),
                    None => {
                        problems.push(file.problem(
                            &format!("{key}.params.maxAge"),
                            "`maxAge` must be a number of seconds",
                        ));
                        None
                    }
                },
            };
            http.cors = Some(CorsSettings {
                origin,
                credentials: params.get("credentials") == Some(&Json::Bool(true)),
                max_age,
            });
        }
        "strong-error-handler" | "loopback#errorHandler" | "errorhandler" => {
            if let Some(d) = params.get("debug") {
                match d {
                    Json::Bool(b) => http.debug_errors = *b,
                    _ => problems.push(file.problem(
                        &format!("{key}.params.debug"),
                        "`debug` must be true or false",
                    )),
                }
            }
            if params.get("safeFields").is_some() || params.get("rootProperty").is_some() {
                warnings.push(unsupported(
                    "`safeFields` and `rootProperty` of strong-error-handler are not supported",
                ));
            }
        }
        "body-parser#json" | "body-parser" => {
            if let Some(l) = params.get("limit") {
                match parse_size(l) {
                    Some(n) => http.body_limit = Some(n),
                    None => problems.push(file.problem(
                        &format!("{key}.params.limit"),
                        format!("`{l}` is not a size such as \"100kb\""),
                    )),
                }
            }
        }
        "loopback#static" | "serve-static" | "express#static" => {
            let dir = match params {
                Json::String(s) => s.clone(),
                Json::Array(a) => a
                    .first()
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                _ => String::new(),
            };
            if dir.is_empty() {
                problems
                    .push(file.problem(&format!("{key}.params"), "the folder to serve is missing"));
                return;
            }
            let rel = dir.strip_prefix("$!").unwrap_or(&dir);
            let dir = if Path::new(rel).is_absolute() {
                PathBuf::from(rel)
            } else {
                server.join(rel)
            };
            if !dir.is_dir() {
                warnings.push(unsupported(&format!(
                    "the folder `{}` does not exist; nothing is served from it",
                    dir.display()
                )));
            }
            let path = paths.first().cloned().unwrap_or_else(|| "/".into());
            http.static_mounts.push(StaticMount { path, dir });
        }
        m if SILENT.contains(&m) => {}
        m if m.starts_with("./") || m.starts_with("../") || m.starts_with('/') => {
            let mut js = super::clean_path(&server.join(m));
            if js.extension().is_none() && js.with_extension("js").is_file() {
                js.set_extension("js");
            }
            let phase = key.strip_suffix(&format!(".{m}")).unwrap_or(key);
            warnings.push(BootWarning::not_run(
                &js,
                &format!("custom middleware `{m}` (phase `{phase}`)"),
                "wrap the RestApi service in a tower layer, or add a route to your hyper/axum app",
            ));
        }
        m => warnings.push(unsupported(&format!(
            "middleware `{m}` is not provided by loopback-rs and is not run"
        ))),
    }
}

/// The options of `loopback#token`: `currentUserLiteral` and where the token is looked for.
fn token(
    file: &config::JsonFile,
    key: &str,
    params: &Json,
    http: &mut HttpSettings,
    problems: &mut Problems,
    warnings: &mut Vec<BootWarning>,
) {
    let Json::Object(o) = params else {
        if !params.is_null() {
            problems.push(file.problem(
                &format!("{key}.params"),
                "the token middleware's options must be an object",
            ));
        }
        return;
    };
    let at = |k: &str| format!("{key}.params.{k}");
    let names = |k: &str, v: &Json, problems: &mut Problems| -> Vec<String> {
        let list = v.as_array().filter(|a| a.iter().all(Json::is_string));
        match list {
            Some(a) => a
                .iter()
                .filter_map(Json::as_str)
                .map(str::to_owned)
                .collect(),
            None => {
                problems.push(file.problem(&at(k), format!("`{k}` must be a list of names")));
                Vec::new()
            }
        }
    };
    let flag = |k: &str, v: &Json, problems: &mut Problems| -> Option<bool> {
        let b = v.as_bool();
        if b.is_none() {
            problems.push(file.problem(&at(k), format!("`{k}` must be true or false")));
        }
        b
    };
    let t = &mut http.token;
    for (k, v) in o {
        match k.as_str() {
            "currentUserLiteral" => match v {
                Json::String(s) => http.current_user_literal = Some(s.clone()),
                _ => problems.push(file.problem(&at(k), "must be a string")),
            },
            "params" => t.params = names(k, v, problems),
            "cookies" => t.cookies = names(k, v, problems),
            "headers" => {
                t.headers = names(k, v, problems);
                for h in &t.headers {
                    if !is_header_name(h) {
                        problems.push(file.problem(&at(k), format!("`{h}` is not a header name")));
                    }
                }
            }
            "searchDefaultTokenKeys" => {
                if let Some(b) = flag(k, v, problems) {
                    t.search_default_keys = b;
                }
            }
            "bearerTokenBase64Encoded" => {
                if let Some(b) = flag(k, v, problems) {
                    t.bearer_base64 = b;
                }
            }
            "model" => match v {
                Json::String(s) => t.model = Some(s.clone()),
                _ => problems.push(file.problem(&at(k), "`model` must be a model name")),
            },
            // Without other token middleware there is no token found before this one to
            // check again or keep: both change nothing.
            "enableDoublecheck" | "overwriteExistingToken" => {}
            _ => warnings.push(BootWarning::new(
                Some(&file.path),
                format!("`{key}`: option `{k}` of the token middleware is not supported"),
            )),
        }
    }
}

/// `component-config.json`: the explorer's mount path (`loopback-component-explorer`,
/// default `/explorer`); other components are reported as not run.
pub(super) fn explorer(
    server: &Path,
    env: &str,
    problems: &mut Problems,
    warnings: &mut Vec<BootWarning>,
) -> Option<String> {
    let (file, merged) = config::load_named(
        server,
        "component-config",
        env,
        config::merge_objects,
        problems,
        warnings,
    )?;
    let Json::Object(components) = merged else {
        return None;
    };
    let mut mount = None;
    for (name, conf) in &components {
        match name.as_str() {
            "loopback-component-explorer" => match conf {
                Json::Null | Json::Bool(false) => {}
                Json::Object(o) => match o.get("mountPath") {
                    None => mount = Some("/explorer".to_owned()),
                    Some(Json::String(p)) if p.starts_with('/') => mount = Some(p.clone()),
                    Some(_) => problems.push(file.problem(
                        &format!("{name}.mountPath"),
                        "`mountPath` must be a path starting with `/`",
                    )),
                },
                _ => problems.push(file.problem(name, "the component's options must be an object")),
            },
            other => warnings.push(BootWarning::new(
                Some(&file.path),
                format!("component `{other}` is not provided by loopback-rs and is not run"),
            )),
        }
    }
    mount
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sizes_parse_like_body_parser() {
        assert_eq!(parse_size(&json!("100kb")), Some(102_400));
        assert_eq!(parse_size(&json!("1MB")), Some(1_048_576));
        assert_eq!(parse_size(&json!(512)), Some(512));
        assert_eq!(parse_size(&json!("1.5kb")), Some(1536));
        assert_eq!(parse_size(&json!("lots")), None);
        assert_eq!(parse_size(&json!(-1)), None);
    }
}
