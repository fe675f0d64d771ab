//! `middleware.json` and `component-config.json`: the settings that matter without
//! JavaScript (the token middleware, the REST mount, CORS, the error handler, body limits,
//! static files, the explorer). Every other middleware is reported as not provided.

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
    /// The `cors` middleware's options; `None` means no CORS headers.
    pub cors: Option<CorsSettings>,
    /// strong-error-handler's `debug`.
    pub debug_errors: bool,
    /// The JSON body limit (body-parser's `limit`, or `remoting.json.limit` in config.json).
    pub body_limit: Option<usize>,
    /// Folders served by `loopback#static` / `serve-static`.
    pub static_mounts: Vec<StaticMount>,
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

pub(super) fn plan(
    server: &Path,
    env: &str,
    lookup: &dyn Fn(&str) -> Option<Json>,
    problems: &mut Problems,
    warnings: &mut Vec<BootWarning>,
) -> HttpSettings {
    let mut http = HttpSettings::default();
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
                apply(
                    &file, server, &key, mw, conf, &params, &mut http, problems, warnings,
                );
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
        "loopback#token" => {
            if let Json::Object(o) = params {
                for (k, v) in o {
                    match (k.as_str(), v) {
                        ("currentUserLiteral", Json::String(s)) => {
                            http.current_user_literal = Some(s.clone());
                        }
                        ("currentUserLiteral", _) => problems.push(file.problem(
                            &format!("{key}.params.currentUserLiteral"),
                            "must be a string",
                        )),
                        // The defaults, which is what we do.
                        ("model", _) | ("bearerTokenBase64Encoded", Json::Bool(true)) => {}
                        _ => warnings.push(unsupported(&format!(
                            "option `{k}` of the token middleware is not supported; tokens are read from the access_token query parameter, the Authorization and X-Access-Token headers and cookies"
                        ))),
                    }
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
