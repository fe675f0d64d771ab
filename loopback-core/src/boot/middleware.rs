//! `middleware.json` and `component-config.json`: the settings that matter without
//! JavaScript (the token middleware, cookie-parser's secrets, the REST mount, the status, CORS,
//! helmet's headers, compression, the error handler, body limits, static files, the
//! explorer). Every other middleware is reported as not provided.

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
    /// The headers the `helmet#…` entries set on every answer, in the order they run.
    pub security_headers: Vec<ResponseHeader>,
    /// The `compression` middleware's options; `None` means bodies are sent as they are.
    pub compression: Option<CompressionSettings>,
}

/// A header set on every answer by a `helmet#…` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHeader {
    /// The header name, as helmet writes it (`X-Frame-Options`).
    pub name: String,
    /// Its value.
    pub value: String,
    /// For `X-XSS-Protection` (`helmet#xssFilter`): whether Internet Explorer before 9 gets
    /// the value too (helmet's `setOnOldIE`) rather than `0`. Always `true` for other headers.
    pub on_old_ie: bool,
}

/// The options of the `compression` middleware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompressionSettings {
    /// `threshold`: the smallest body compressed, in bytes (default 1024).
    pub threshold: usize,
    /// `level`: zlib's level, 0 to 9 (`None`, or `-1` in the file: zlib's default, 6).
    pub level: Option<u32>,
}

impl Default for CompressionSettings {
    fn default() -> Self {
        CompressionSettings {
            threshold: 1024,
            level: None,
        }
    }
}

impl CompressionSettings {
    /// The REST layer's compression for these options.
    #[cfg(feature = "rest")]
    pub fn to_compression(&self) -> crate::rest::Compression {
        let c = crate::rest::Compression::new().threshold(self.threshold);
        match self.level {
            Some(l) => c.level(l),
            None => c,
        }
    }
}

impl HttpSettings {
    /// The REST layer's security headers for [`HttpSettings::security_headers`].
    #[cfg(feature = "rest")]
    pub fn to_security_headers(&self) -> crate::rest::SecurityHeaders {
        use crate::rest::http::{HeaderName, HeaderValue};
        let mut out = crate::rest::SecurityHeaders::new();
        for h in &self.security_headers {
            // Checked when the file was read.
            let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(h.name.as_bytes()),
                HeaderValue::from_str(&h.value),
            ) else {
                continue;
            };
            out = if name == crate::rest::http::header::X_XSS_PROTECTION {
                out.xss_filter_value(value, h.on_old_ie)
            } else {
                out.header(name, value)
            };
        }
        out
    }
}

/// The options of `loopback#token` that say where the access token is looked for, with the
/// secrets of `cookie-parser` (without which no cookie is read).
#[derive(Clone, PartialEq, Eq)]
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
    /// `model`: the token model tokens are looked up in, when given (a model extending
    /// `AccessToken`); otherwise the app's token model.
    pub model: Option<String>,
    /// The secrets of a `cookie-parser` entry that runs before the token middleware; signed
    /// cookies are read only with one.
    pub cookie_secrets: Vec<String>,
}

impl std::fmt::Debug for TokenSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSettings")
            .field("params", &self.params)
            .field("headers", &self.headers)
            .field("cookies", &self.cookies)
            .field("search_default_keys", &self.search_default_keys)
            .field("bearer_base64", &self.bearer_base64)
            .field("model", &self.model)
            // Secrets are never printed.
            .field("cookie_secrets", &self.cookie_secrets.len())
            .finish()
    }
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
            cookie_secrets: Vec::new(),
        }
    }
}

impl TokenSettings {
    /// The REST layer's token lookup for these options.
    #[cfg(feature = "rest")]
    pub fn to_lookup(&self) -> crate::rest::TokenLookup {
        let lookup = crate::rest::TokenLookup::new()
            .params(self.params.iter().cloned())
            .headers(self.headers.iter().cloned())
            .cookies(self.cookies.iter().cloned())
            .search_default_keys(self.search_default_keys)
            .bearer_base64(self.bearer_base64)
            .cookie_secrets(self.cookie_secrets.iter().cloned());
        match &self.model {
            Some(m) => lookup.model(m.clone()),
            None => lookup,
        }
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
    /// `(rank, position)` and key of the first `loopback#token`.
    token: Option<(Order, String)>,
    /// The `cookie-parser` entry that runs first: where, its key and its secrets.
    cookie_parser: Option<(Order, String, Vec<String>)>,
}

/// `token_model` checks the token middleware's `model` option: `Err` says why the model
/// it names cannot hold the app's access tokens.
pub(super) fn plan(
    server: &Path,
    env: &str,
    lookup: &dyn Fn(&str) -> Option<Json>,
    token_model: &dyn Fn(&str) -> std::result::Result<(), String>,
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
                    "cookie-parser" => {
                        // Only the first to run parses (`req.cookies` is then set).
                        let secrets = cookie_secrets(&file, &key, &params, problems, warnings);
                        if seen
                            .cookie_parser
                            .as_ref()
                            .map_or(true, |(o, _, _)| order < *o)
                        {
                            seen.cookie_parser = Some((order, key.clone(), secrets));
                        }
                        continue;
                    }
                    "loopback#token" => {
                        if seen.token.is_none() {
                            seen.token = Some((order, key.clone()));
                        }
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
    // The token middleware reads `req.signedCookies`, which cookie-parser sets only when it
    // ran before (the REST mount runs one itself when no `loopback#token` entry did).
    if let Some((order, key, secrets)) = seen.cookie_parser {
        match seen.token.as_ref().map(|(o, _)| *o).or(seen.rest) {
            Some(token) if token < order => warnings.push(BootWarning::new(
                Some(&file.path),
                format!(
                    "`{key}` runs after the token middleware, which then sees no signed cookies (as in LB3): no cookie carries an access token; register cookie-parser in an earlier phase (`initial` or `session`) to read them"
                ),
            )),
            _ => http.token.cookie_secrets = secrets,
        }
    }
    // LB3 looks tokens up in the model the token middleware names (`registry.getModel`),
    // which must be defined; here it must also be a token model attached to a data source.
    if let (Some(name), Some((_, key))) = (&http.token.model, &seen.token) {
        if let Err(why) = token_model(name) {
            problems.push(file.problem(&format!("{key}.params.model"), why));
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
        "compression" => compression(file, key, params, http, problems, warnings),
        m if m.starts_with("helmet#")
            && helmet(file, key, &m[7..], params, http, problems, warnings) => {}
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

/// The first argument a middleware factory gets: `params` itself, or its first item when
/// it is a list (loopback-boot spreads a list into the arguments).
fn first_arg(params: &Json) -> Option<&Json> {
    match params {
        Json::Array(a) => a.first(),
        Json::Null => None,
        other => Some(other),
    }
}

/// cookie-parser's secrets: `params` is its first argument (a string, or a list of strings
/// after loopback-boot's spreading: `"s"`, `["s"]` or `[["s1", "s2"]]`).
fn cookie_secrets(
    file: &config::JsonFile,
    key: &str,
    params: &Json,
    problems: &mut Problems,
    warnings: &mut Vec<BootWarning>,
) -> Vec<String> {
    let at = format!("{key}.params");
    if let Json::Array(a) = params {
        if a.len() > 1 && a.iter().all(Json::is_string) {
            warnings.push(BootWarning::new(
                Some(&file.path),
                format!(
                    "`{key}`: a list in `params` is spread into cookie-parser's arguments, so only its first string is a secret (the second is cookie-parser's options), as in LB3; write `[[\"a\", \"b\"]]` to accept cookies signed with several secrets"
                ),
            ));
        } else if let Some(opts) = a.get(1) {
            if !(opts.is_object() || opts.is_null()) {
                problems.push(file.problem(
                    &at,
                    "cookie-parser's second argument (its options) must be an object",
                ));
            }
        }
    }
    let secrets: Vec<String> = match first_arg(params) {
        // No secret: cookie-parser sets no signed cookies.
        None | Some(Json::Null) => Vec::new(),
        Some(Json::String(s)) => vec![s.clone()],
        Some(Json::Array(list)) if list.iter().all(Json::is_string) => list
            .iter()
            .filter_map(Json::as_str)
            .map(str::to_owned)
            .collect(),
        Some(_) => {
            problems.push(file.problem(
                &at,
                "cookie-parser's secret must be a string or a list of strings",
            ));
            Vec::new()
        }
    };
    // An empty key would let anyone sign: never used (an empty string is no secret in LB3).
    secrets.into_iter().filter(|s| !s.is_empty()).collect()
}

/// The `compression` middleware's options: `threshold` (bytes or a size such as `"1kb"`) and
/// `level` (zlib's, -1 to 9).
fn compression(
    file: &config::JsonFile,
    key: &str,
    params: &Json,
    http: &mut HttpSettings,
    problems: &mut Problems,
    warnings: &mut Vec<BootWarning>,
) {
    let mut settings = CompressionSettings::default();
    match first_arg(params) {
        None | Some(Json::Null) => {}
        Some(Json::Object(o)) => {
            for (k, v) in o {
                let at = format!("{key}.params.{k}");
                match k.as_str() {
                    "threshold" => match parse_size(v) {
                        Some(n) => settings.threshold = n,
                        None => problems.push(file.problem(
                            &at,
                            format!("`{v}` is not a size such as \"1kb\" or a number of bytes"),
                        )),
                    },
                    "level" => match v.as_i64() {
                        Some(-1) => settings.level = None,
                        Some(l @ 0..=9) => settings.level = u32::try_from(l).ok(),
                        _ => problems
                            .push(file.problem(&at, "`level` must be a number from -1 to 9")),
                    },
                    // The default; any other value is a coding loopback-rs does not offer.
                    "enforceEncoding" if v == "identity" => {}
                    _ => warnings.push(BootWarning::new(
                        Some(&file.path),
                        format!("`{key}`: option `{k}` of compression is not supported"),
                    )),
                }
            }
        }
        Some(_) => {
            problems.push(file.problem(
                &format!("{key}.params"),
                "compression's options must be an object",
            ));
            return;
        }
    }
    http.compression = Some(settings);
}

/// A `helmet#<name>` entry: the headers helmet 3 (3.23) sets for it, with its checks of the
/// options (a bad option throws when LB3 boots). `false` for the sub-middleware loopback-rs
/// does not provide.
fn helmet(
    file: &config::JsonFile,
    key: &str,
    name: &str,
    params: &Json,
    http: &mut HttpSettings,
    problems: &mut Problems,
    warnings: &mut Vec<BootWarning>,
) -> bool {
    let arg = first_arg(params);
    let at = |k: &str| format!("{key}.params.{k}");
    let mut set = |name: &str, value: String, on_old_ie: bool| {
        http.security_headers
            .retain(|h| !h.name.eq_ignore_ascii_case(name));
        http.security_headers.push(ResponseHeader {
            name: name.to_owned(),
            value,
            on_old_ie,
        });
    };
    let object = |problems: &mut Problems| -> Option<serde_json::Map<String, Json>> {
        match arg {
            None | Some(Json::Null) => Some(serde_json::Map::new()),
            Some(Json::Object(o)) => Some(o.clone()),
            Some(_) => {
                problems.push(file.problem(
                    &format!("{key}.params"),
                    format!("the options of helmet's `{name}` must be an object"),
                ));
                None
            }
        }
    };
    match name {
        "xssFilter" => {
            let Some(o) = object(problems) else {
                return true;
            };
            let block = match o.get("mode") {
                None => true,
                Some(Json::String(m)) if m == "block" => true,
                Some(Json::Null) => false,
                Some(_) => {
                    problems.push(file.problem(&at("mode"), "`mode` must be \"block\" or null"));
                    return true;
                }
            };
            let mut value = "1".to_owned();
            if block {
                value.push_str("; mode=block");
            }
            match o.get("reportUri") {
                None | Some(Json::Null) | Some(Json::Bool(false)) => {}
                Some(Json::String(u)) if u.is_empty() => {}
                Some(Json::String(u)) => value.push_str(&format!("; report={u}")),
                Some(_) => {
                    problems.push(file.problem(&at("reportUri"), "`reportUri` must be a URL"));
                    return true;
                }
            }
            if !header_value_ok(&value) {
                problems.push(file.problem(&at("reportUri"), "`reportUri` must be a URL"));
                return true;
            }
            let on_old_ie = o.get("setOnOldIE").is_some_and(crate::auth::truthy);
            set("X-XSS-Protection", value, on_old_ie);
        }
        "frameguard" => {
            let action = match arg {
                Some(Json::Object(o)) => o.get("action"),
                Some(Json::Null) => {
                    problems.push(file.problem(
                        &format!("{key}.params"),
                        "the options of helmet's `frameguard` must be an object",
                    ));
                    return true;
                }
                Some(Json::String(s)) => {
                    warnings.push(BootWarning::new(
                        Some(&file.path),
                        format!(
                            "`{key}`: helmet 3 reads the action from `{{\"action\": \"{s}\"}}` and ignores a bare string, so `X-Frame-Options: SAMEORIGIN` is sent, as in LB3; write `\"params\": {{\"action\": \"{s}\"}}` for another action"
                        ),
                    ));
                    None
                }
                _ => None,
            };
            let value = match action {
                None => "SAMEORIGIN".to_owned(),
                Some(Json::String(a)) => {
                    let a = a.to_ascii_uppercase();
                    let a = match a.as_str() {
                        "ALLOWFROM" => "ALLOW-FROM".to_owned(),
                        "SAME-ORIGIN" => "SAMEORIGIN".to_owned(),
                        _ => a,
                    };
                    match a.as_str() {
                        "DENY" | "SAMEORIGIN" => a,
                        "ALLOW-FROM" => {
                            let domain = match arg.and_then(|o| o.get("domain")) {
                                Some(Json::String(d)) if !d.is_empty() && header_value_ok(d) => d,
                                _ => {
                                    problems.push(file.problem(
                                        &at("domain"),
                                        "ALLOW-FROM needs the `domain` allowed to frame the pages",
                                    ));
                                    return true;
                                }
                            };
                            format!("ALLOW-FROM {domain}")
                        }
                        _ => {
                            problems.push(file.problem(
                                &at("action"),
                                "`action` must be \"DENY\", \"ALLOW-FROM\" or \"SAMEORIGIN\"",
                            ));
                            return true;
                        }
                    }
                }
                Some(_) => {
                    problems.push(file.problem(
                        &at("action"),
                        "`action` must be \"DENY\", \"ALLOW-FROM\" or \"SAMEORIGIN\"",
                    ));
                    return true;
                }
            };
            set("X-Frame-Options", value, true);
        }
        "hsts" => {
            if params.as_array().is_some_and(|a| a.len() > 1) {
                problems.push(file.problem(
                    &format!("{key}.params"),
                    "helmet's `hsts` takes one argument, its options",
                ));
                return true;
            }
            // `options || {}`: a falsy value is no options.
            let o = match arg {
                None | Some(Json::Null) | Some(Json::Bool(false)) => serde_json::Map::new(),
                Some(Json::String(s)) if s.is_empty() => serde_json::Map::new(),
                Some(Json::Object(o)) => o.clone(),
                Some(_) => {
                    problems.push(file.problem(
                        &format!("{key}.params"),
                        "the options of helmet's `hsts` must be an object",
                    ));
                    return true;
                }
            };
            for bad in ["maxage", "setIf"] {
                if o.contains_key(bad) {
                    problems.push(file.problem(
                        &at(bad),
                        format!("option `{bad}` of helmet's `hsts` is not supported"),
                    ));
                    return true;
                }
            }
            if o.contains_key("includeSubDomains") && o.contains_key("includeSubdomains") {
                problems.push(file.problem(
                    &at("includeSubdomains"),
                    "`includeSubDomains` and `includeSubdomains` cannot both be given",
                ));
                return true;
            }
            let max_age = match o.get("maxAge") {
                None | Some(Json::Null) => 180 * 24 * 60 * 60,
                Some(Json::Number(n)) => match n.as_f64() {
                    // JavaScript's Math.round.
                    Some(f) if (0.0..1e15).contains(&f) => (f + 0.5).floor() as u64,
                    _ => {
                        problems.push(file.problem(
                            &at("maxAge"),
                            "`maxAge` must be a number of seconds, not negative",
                        ));
                        return true;
                    }
                },
                Some(_) => {
                    problems
                        .push(file.problem(&at("maxAge"), "`maxAge` must be a number of seconds"));
                    return true;
                }
            };
            let include = o.get("includeSubDomains") != Some(&Json::Bool(false))
                && o.get("includeSubdomains") != Some(&Json::Bool(false));
            let mut value = format!("max-age={max_age}");
            if include {
                value.push_str("; includeSubDomains");
            }
            if o.get("preload").is_some_and(crate::auth::truthy) {
                value.push_str("; preload");
            }
            set("Strict-Transport-Security", value, true);
        }
        "hidePoweredBy" => {
            // Without `setTo` it removes `X-Powered-By`, which loopback-rs never sends.
            let set_to = match arg {
                Some(Json::Object(o)) => o.get("setTo"),
                _ => None,
            };
            match set_to {
                None | Some(Json::Null) | Some(Json::Bool(false)) => {}
                Some(Json::String(s)) if s.is_empty() => {}
                Some(Json::String(s)) if header_value_ok(s) => set("X-Powered-By", s.clone(), true),
                Some(Json::Number(n)) if n.as_f64() != Some(0.0) => {
                    set("X-Powered-By", n.to_string(), true)
                }
                Some(_) => {
                    problems.push(file.problem(&at("setTo"), "`setTo` must be a header value"))
                }
            }
        }
        "ieNoOpen" => set("X-Download-Options", "noopen".into(), true),
        "noSniff" => set("X-Content-Type-Options", "nosniff".into(), true),
        "noCache" => {
            set("Surrogate-Control", "no-store".into(), true);
            set(
                "Cache-Control",
                "no-store, no-cache, must-revalidate, proxy-revalidate".into(),
                true,
            );
            set("Pragma", "no-cache".into(), true);
            set("Expires", "0".into(), true);
        }
        _ => return false,
    }
    true
}

/// Whether `v` can be sent as a header value (visible ASCII, spaces and tabs).
fn header_value_ok(v: &str) -> bool {
    v.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
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
