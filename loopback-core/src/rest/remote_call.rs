//! Remote calls over REST: custom remote methods (arguments read and converted as
//! strong-remoting's `HttpContext.buildArgs` does, the instance of prototype methods loaded,
//! the answer shaped by `returns` and `http.status`) and the remote hooks around built-in
//! methods.

use std::sync::Arc;

use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::request::Parts;
use http::{Response, StatusCode};
use serde_json::{Map, Value as Json};

use super::body::RestBody;
use super::errors;
use super::handlers::{self, Call};
use super::input::{self, QueryObject};
use super::output::{json_response, Publisher};
use super::routes::{builtin_method_name, CustomRoute, ModelRoutes, Op};
use crate::app::{App, ModelHandle};
use crate::connector::Options;
use crate::error::{Error, Result};
use crate::filter::query_value;
use crate::remote::{
    self, is_safe_integer, ArgSource, ArgType, RemoteContext, RemoteHookKind, RemoteMethod,
    RemoteRequest, ReturnTarget,
};
use crate::value::Record;

/// The request as hooks and handlers see it.
pub(super) fn remote_request(parts: &Parts, params: Map<String, Json>) -> RemoteRequest {
    RemoteRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        params,
    }
}

fn is_json_request(parts: &Parts) -> bool {
    parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| input::json_charset(ct).unwrap_or(false))
}

/// Answers a call of a custom remote method.
pub(crate) async fn respond(
    app: &App,
    model: &ModelHandle,
    route: &CustomRoute,
    parts: &Parts,
    params: Vec<(String, &str)>,
    body: Option<Json>,
    options: Options,
) -> Result<Response<RestBody>> {
    let entry = &route.entry;
    let method = &entry.method;
    let mut decoded = Map::new();
    for (name, raw) in &params {
        decoded.insert(
            name.clone(),
            Json::String(input::decode_path_param(raw)?.into_owned()),
        );
    }
    let request = Arc::new(remote_request(parts, decoded));
    // Conversion errors are answered before any hook runs, as strong-remoting does.
    let args = build_args(
        method,
        &request,
        body.as_ref(),
        is_json_request(parts),
        &options,
    )?;
    let method_string = format!("{}.{}", model.name(), method.string_name());
    let mut ctx = RemoteContext::new(model.name(), method_string, method.clone(), args, options);
    ctx.request = Some(request.clone());
    if !method.is_static {
        // The shared constructor: load the instance by the `:id` of the route.
        let raw_id = params
            .iter()
            .find(|(name, _)| name == "id")
            .map_or("", |(_, raw)| *raw);
        match handlers::load_instance(model, raw_id, &ctx.options).await {
            Ok(instance) => ctx.instance = Some(instance),
            Err(err) => return Err(app.remotes().run_error(ctx, err).await),
        }
    }
    let answer = remote::invoke(app, model, entry, ctx).await?;
    shape_response(app, method, answer)
}

/// strong-remoting's `buildArgs`: each declared argument from its source, converted by its
/// type (sloppily for text sources, strictly for JSON bodies). Absent values stay unset.
fn build_args(
    method: &RemoteMethod,
    request: &RemoteRequest,
    body: Option<&Json>,
    is_json: bool,
    options: &Options,
) -> Result<Map<String, Json>> {
    let mut args = Map::new();
    let text = |s: &str| Some(Json::String(s.to_owned()));
    for a in &method.accepts {
        let name = a.arg.as_str();
        let (value, sloppy) = match a.source {
            Some(ArgSource::Body) => (
                Some(body.cloned().unwrap_or_else(|| Json::Object(Map::new()))),
                !is_json,
            ),
            Some(ArgSource::Form) => (body.and_then(|b| b.get(name)).cloned(), !is_json),
            Some(ArgSource::Query) => (query_value(&request.query, name)?, true),
            Some(ArgSource::Path) => (request.params.get(name).cloned(), true),
            Some(ArgSource::Header) => (request.header(name).and_then(text), true),
            Some(ArgSource::Req | ArgSource::Res | ArgSource::Context) => continue,
            Some(ArgSource::OptionsFromRequest) => {
                (Some(Json::Object(options.values.clone())), false)
            }
            None => {
                if let Some(v) = request.params.get(name) {
                    (Some(v.clone()), true)
                } else if let Some(v) = body.and_then(|b| b.get(name)) {
                    (Some(v.clone()), !is_json)
                } else if let Some(v) = query_value(&request.query, name)? {
                    (Some(v), true)
                } else {
                    (request.header(name).and_then(text), true)
                }
            }
        };
        let converted = if sloppy {
            from_sloppy(&a.ty, value)?
        } else {
            from_typed(&a.ty, value)?
        };
        if let Some(v) = converted {
            args.insert(a.arg.clone(), v);
        }
    }
    Ok(args)
}

fn bad(message: &str) -> Error {
    Error::bad_request(message)
}

/// strong-remoting's `fromTypedValue`: JSON values keep their types and are validated.
fn from_typed(ty: &ArgType, value: Option<Json>) -> Result<Option<Json>> {
    let Some(v) = value else { return Ok(None) };
    match ty {
        ArgType::Any | ArgType::Buffer | ArgType::File => Ok(Some(v)),
        ArgType::String => match v {
            Json::String(_) => Ok(Some(v)),
            _ => Err(bad("Value is not a string.")),
        },
        ArgType::Number => match v {
            Json::Number(_) => Ok(Some(v)),
            _ => Err(bad("Value is not a number.")),
        },
        ArgType::Integer => match &v {
            Json::Number(_) if is_safe_integer(&v) => Ok(Some(v)),
            Json::Number(_) => Err(bad("Value is not a safe integer.")),
            _ => Err(bad("Value is not a number.")),
        },
        ArgType::Boolean => match v {
            Json::Bool(_) => Ok(Some(v)),
            _ => Err(bad("Value is not a boolean.")),
        },
        ArgType::Date => match &v {
            Json::Number(n) => date_from_millis(n.as_f64().unwrap_or(f64::NAN)).map(Some),
            Json::String(s) => date_from_text(s).map(Some),
            _ => Err(bad("Value is not a valid date.")),
        },
        ArgType::Object | ArgType::Model(_) => match v {
            Json::Null | Json::Object(_) => Ok(Some(v)),
            _ => Err(errors::not_an_object()),
        },
        ArgType::Array(inner) => match v {
            Json::Null => Ok(Some(v)),
            Json::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(from_typed(inner, Some(item))?.unwrap_or(Json::Null));
                }
                Ok(Some(Json::Array(out)))
            }
            _ => Err(bad("Value is not an array.")),
        },
    }
}

/// strong-remoting's `fromSloppyValue`: text from the query, the path or a header, guessed
/// into the declared type.
fn from_sloppy(ty: &ArgType, value: Option<Json>) -> Result<Option<Json>> {
    let Some(v) = value else { return Ok(None) };
    let s = match &v {
        Json::String(s) => s.as_str(),
        // qs arrays and objects (brackets) and typed values taken sloppily.
        _ => {
            return match ty {
                ArgType::Array(inner) => match v {
                    Json::Array(items) => {
                        let mut out = Vec::with_capacity(items.len());
                        for item in items {
                            out.push(from_sloppy(inner, Some(item))?.unwrap_or(Json::Null));
                        }
                        Ok(Some(Json::Array(out)))
                    }
                    other => from_sloppy(ty, Some(Json::Array(vec![other]))),
                },
                ArgType::Object | ArgType::Model(_) | ArgType::Any => from_typed(ty, Some(v)),
                _ => match v {
                    Json::Array(_) | Json::Object(_) => from_typed(ty, Some(v)),
                    other => from_sloppy(ty, Some(Json::String(json_text(&other)))),
                },
            };
        }
    };
    match ty {
        ArgType::Any => Ok(any_from_text(s)),
        ArgType::Buffer | ArgType::File => Ok((!s.is_empty()).then(|| v.clone())),
        ArgType::String => Ok((!s.is_empty()).then(|| v.clone())),
        ArgType::Number | ArgType::Integer => {
            if s.is_empty() {
                return Ok(None);
            }
            let n = js_number(s).ok_or_else(|| bad("Value is not a number."))?;
            let json = number_json(n);
            if *ty == ArgType::Integer && !is_safe_integer(&json) {
                return Err(bad("Value is not a safe integer."));
            }
            Ok(Some(json))
        }
        ArgType::Boolean => match s.to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "false" | "0" => Ok(Some(Json::Bool(false))),
            "true" | "1" => Ok(Some(Json::Bool(true))),
            _ => Err(bad("Value is not a boolean.")),
        },
        ArgType::Date => {
            if s.is_empty() {
                return Ok(None);
            }
            let digits = s.strip_prefix('-').unwrap_or(s);
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                date_from_millis(s.parse::<f64>().unwrap_or(f64::NAN)).map(Some)
            } else {
                date_from_text(s).map(Some)
            }
        }
        ArgType::Object | ArgType::Model(_) => {
            if s.is_empty() {
                return Ok(None);
            }
            if s == "null" {
                return Ok(Some(Json::Null));
            }
            if looks_like(s, '{', '}') {
                let parsed: Json =
                    serde_json::from_str(s).map_err(|_| errors::unparsable_object_value())?;
                return from_typed(ty, Some(parsed));
            }
            Err(errors::not_an_object())
        }
        ArgType::Array(inner) => {
            if s.is_empty() {
                return Ok(None);
            }
            if s == "null" {
                return Ok(Some(Json::Null));
            }
            if looks_like(s, '[', ']') {
                let parsed: Json = serde_json::from_str(s)
                    .map_err(|_| bad("Cannot parse JSON-encoded array value."))?;
                return from_typed(ty, Some(parsed));
            }
            Ok(Some(Json::Array(vec![from_sloppy(
                inner,
                Some(v.clone()),
            )?
            .unwrap_or(Json::Null)])))
        }
    }
}

fn looks_like(s: &str, open: char, close: char) -> bool {
    let t = s.trim();
    t.starts_with(open) && t.ends_with(close)
}

pub(super) fn json_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The `any` type's guesses: `null`, booleans, safe numbers, then JSON objects and arrays;
/// anything else stays text.
pub(super) fn any_from_text(s: &str) -> Option<Json> {
    if s.is_empty() {
        return None;
    }
    if s == "null" {
        return Some(Json::Null);
    }
    match s.to_ascii_lowercase().as_str() {
        "true" => return Some(Json::Bool(true)),
        "false" => return Some(Json::Bool(false)),
        _ => {}
    }
    let numeric = {
        let body = s.strip_prefix('-').unwrap_or(s);
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit())
            && !(body.contains('.') && frac.is_empty())
    };
    if numeric {
        if let Ok(n) = s.parse::<f64>() {
            let json = number_json(n);
            if n.abs() <= 9_007_199_254_740_991.0 {
                return Some(json);
            }
        }
    }
    if looks_like(s, '{', '}') || looks_like(s, '[', ']') {
        if let Ok(parsed) = serde_json::from_str::<Json>(s) {
            return Some(parsed);
        }
    }
    Some(Json::String(s.to_owned()))
}

/// JavaScript's `+text` for the forms a client sends: decimal (with exponent), `0x`/`0o`/`0b`
/// integers, surrounding whitespace; `None` where JavaScript gives `NaN` or an infinity.
fn js_number(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() {
        return Some(0.0);
    }
    for (prefix, radix) in [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ] {
        if let Some(digits) = t.strip_prefix(prefix) {
            return u64::from_str_radix(digits, radix).ok().map(|n| n as f64);
        }
    }
    let ok = t
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
    if !ok {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A number as JSON: an integer when it is one.
fn number_json(n: f64) -> Json {
    if n.fract() == 0.0 && n.abs() < 9.2e18 {
        Json::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Json::Null, Json::Number)
    }
}

fn date_from_millis(ms: f64) -> Result<Json> {
    if !ms.is_finite() || ms.abs() > 8.64e15 {
        return Err(bad("Value is not a valid date."));
    }
    let secs = (ms / 1000.0).floor() as i64;
    let nanos = ((ms - secs as f64 * 1000.0) * 1_000_000.0) as u32;
    chrono::DateTime::from_timestamp(secs, nanos)
        .map(|d| Json::String(crate::value::format_date(&d)))
        .ok_or_else(|| bad("Value is not a valid date."))
}

fn date_from_text(s: &str) -> Result<Json> {
    crate::value::parse_date(s)
        .map(|d| Json::String(crate::value::format_date(&d)))
        .ok_or_else(|| bad("Value is not a valid date."))
}

/// The response of a custom method: `http.status` (else 200, or 204 without a body), return
/// values aimed at the status or headers applied, model-typed values published (hidden
/// properties removed).
fn shape_response(
    app: &App,
    method: &RemoteMethod,
    answer: remote::Answer,
) -> Result<Response<RestBody>> {
    let mut status = answer.status.or(method.status);
    let mut headers = answer.headers;
    let is_file = method
        .returns
        .iter()
        .any(|r| r.root && r.target == ReturnTarget::Body && r.ty == ArgType::File);
    if is_file {
        if let Some(file) = answer.file {
            return file_stream_response(file, status, &headers);
        }
        return file_response(answer.body, status, &headers);
    }
    let body = answer.body.and_then(|mut body| {
        let root = method.returns.iter().any(|r| r.root);
        if let (false, Json::Object(o)) = (root, &mut body) {
            for r in &method.returns {
                match &r.target {
                    ReturnTarget::Body => {
                        if let (Some(arg), Some(model)) = (&r.arg, model_of(&r.ty)) {
                            if let Some(v) = o.get_mut(arg) {
                                *v = publish(app, model, std::mem::take(v));
                            }
                        }
                    }
                    ReturnTarget::Status => {
                        if let Some(v) = r.arg.as_ref().and_then(|a| o.remove(a)) {
                            status = v.as_u64().and_then(|s| u16::try_from(s).ok());
                        }
                    }
                    ReturnTarget::Header(h) => {
                        let key = r.arg.clone().unwrap_or_else(|| h.clone());
                        if let Some(v) = o.remove(&key) {
                            headers.push((h.clone(), json_text(&v)));
                        }
                    }
                }
            }
            // Only status or header targets (a redirect, say): no body at all.
            let only_targets = !method
                .returns
                .iter()
                .any(|r| matches!(r.target, ReturnTarget::Body));
            if only_targets && o.is_empty() {
                return None;
            }
            Some(body)
        } else if let Some(model) = method
            .returns
            .iter()
            .find(|r| r.root)
            .and_then(|r| model_of(&r.ty))
        {
            Some(publish(app, model, body))
        } else {
            Some(body)
        }
    });
    let mut res = match &body {
        Some(b) => json_response(b),
        None => super::output::no_content_response(),
    };
    if let Some(s) = status.and_then(|s| StatusCode::from_u16(s).ok()) {
        if body.is_some() || s != StatusCode::OK {
            *res.status_mut() = s;
        }
    }
    set_headers(&mut res, &headers);
    Ok(res)
}

/// Sets headers named by return values or hooks; names or values HTTP cannot carry are left
/// out.
fn set_headers(res: &mut Response<RestBody>, headers: &[(String, String)]) {
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            res.headers_mut().insert(n, v);
        }
    }
}

/// The answer of a method whose root return is a `file`, as strong-remoting sends it: a string
/// as its UTF-8 text, a buffer (`{"$type": "base64", "$data": …}` or Node's `{"type":
/// "Buffer", "data": [bytes]}`) as its bytes, with the `Content-Type` a header return set (else
/// JSON's, as strong-remoting leaves it); no value is 204. Anything else is strong-remoting's
/// 500 `Cannot create a file response from <type>`.
fn file_response(
    value: Option<Json>,
    status: Option<u16>,
    headers: &[(String, String)],
) -> Result<Response<RestBody>> {
    let bytes = match value {
        None | Some(Json::Null) => {
            let mut res = super::output::no_content_response();
            set_headers(&mut res, headers);
            return Ok(res);
        }
        Some(Json::String(s)) => s.into_bytes(),
        Some(other) => match crate::remote::file_bytes(&other) {
            Some(bytes) => bytes,
            None => {
                let kind = match other {
                    Json::Array(_) => "array",
                    Json::Bool(_) => "boolean",
                    Json::Number(_) => "number",
                    _ => "object",
                };
                return Err(Error::Internal(format!(
                    "Cannot create a file response from {kind}"
                )));
            }
        },
    };
    let mut res = Response::new(RestBody::new(bytes));
    if let Some(s) = status.and_then(|s| StatusCode::from_u16(s).ok()) {
        *res.status_mut() = s;
    }
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(super::output::JSON_CONTENT_TYPE),
    );
    set_headers(&mut res, headers);
    Ok(res)
}

/// The streamed response of a file a handler sends: its chunks as they come, with the status
/// and headers of the method's returns and hooks. The file's own content type wins; without
/// one, a header return's, else JSON's (as for other file answers).
fn file_stream_response(
    file: crate::remote::FileStream,
    status: Option<u16>,
    headers: &[(String, String)],
) -> Result<Response<RestBody>> {
    let invalid = |what: &str| Error::Internal(format!("a file stream's {what} is not valid"));
    let own_type = match file.content_type {
        Some(c) => Some(HeaderValue::try_from(c).map_err(|_| invalid("content type"))?),
        None => None,
    };
    let mut own_headers = Vec::with_capacity(file.headers.len());
    for (name, value) in file.headers {
        own_headers.push((
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid("header name"))?,
            HeaderValue::try_from(value).map_err(|_| invalid("header value"))?,
        ));
    }
    let mut res = Response::new(RestBody::try_stream(file.chunks));
    if let Some(s) = status.and_then(|s| StatusCode::from_u16(s).ok()) {
        *res.status_mut() = s;
    }
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(super::output::JSON_CONTENT_TYPE),
    );
    set_headers(&mut res, headers);
    if let Some(c) = own_type {
        res.headers_mut().insert(CONTENT_TYPE, c);
    }
    for (name, value) in own_headers {
        res.headers_mut().insert(name, value);
    }
    Ok(res)
}

/// The model a return type names (`Book`, `[Book]`).
fn model_of(ty: &ArgType) -> Option<&str> {
    match ty {
        ArgType::Model(m) => Some(m),
        ArgType::Array(inner) => model_of(inner),
        _ => None,
    }
}

/// A returned model value (or array of them) with that model's hidden properties removed.
fn publish(app: &App, model: &str, value: Json) -> Json {
    let Some(def) = app.definition_of(model) else {
        return value;
    };
    let p = Publisher::new(app);
    match value {
        Json::Object(o) => p.record(&def, &Record::from_json_map(&o), false),
        Json::Array(items) => Json::Array(
            items
                .into_iter()
                .map(|i| match i {
                    Json::Object(o) => p.record(&def, &Record::from_json_map(&o), false),
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}

/// The method string (`Book.find`, `Author.prototype.__get__books`) of a built-in call when
/// a remote hook matches it; `None` (the direct path) otherwise, at the cost of one atomic
/// read when no hook is registered at all.
pub(crate) fn hooked_builtin(
    app: &App,
    model: &ModelRoutes,
    op: Op,
    rel: Option<usize>,
) -> Option<String> {
    let remotes = app.remotes();
    if !remotes.has_hooks() {
        return None;
    }
    let relation = rel.and_then(|i| model.relations.get(i));
    let method_string = format!(
        "{}.{}",
        model.handle.name(),
        builtin_method_name(op, relation)
    );
    remotes
        .any_hook_for(&method_string)
        .then_some(method_string)
}

/// A built-in method call that remote hooks match (see [`hooked_builtin`]): the arguments as
/// LB3 names them (`filter`, `where`, `id`, `fk`, `data`) go through the `beforeRemote`
/// hooks, the method runs with what they leave, and its result goes through the
/// `afterRemote` hooks; `afterRemoteError` hooks see failures.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn builtin_with_hooks(
    app: &App,
    model: &ModelRoutes,
    method_string: String,
    op: Op,
    rel: Option<usize>,
    id: Option<&str>,
    fk: Option<&str>,
    parts: &Parts,
    body: Option<Json>,
    options: Options,
) -> Result<Option<Json>> {
    let handle = &model.handle;
    let relation = rel.and_then(|i| model.relations.get(i));
    let name = method_string[handle.name().len() + 1..].to_owned();
    let query = parts.uri.query().unwrap_or_default();
    let mut ctx = RemoteContext::new(
        handle.name(),
        method_string,
        Arc::new(builtin_descriptor(handle, &name)),
        builtin_args(op, id, fk, query, body)?,
        options,
    );
    ctx.request = Some(Arc::new(remote_request(parts, Map::new())));
    run_builtin(app, model, op, relation, ctx).await
}

/// The descriptor hooks see as `ctx.method` for a built-in.
pub(super) fn builtin_descriptor(handle: &ModelHandle, name: &str) -> RemoteMethod {
    super::builtins::builtin_method(handle, name).unwrap_or_else(|| RemoteMethod::new(name))
}

async fn run_builtin(
    app: &App,
    model: &ModelRoutes,
    op: Op,
    relation: Option<&super::routes::RelRoute>,
    ctx: RemoteContext,
) -> Result<Option<Json>> {
    let remotes = app.remotes();
    let method_string = ctx.method_string.clone();
    let method = ctx.method.clone();
    let caller_options = ctx.options.clone();
    let fallback = |args: Map<String, Json>| {
        RemoteContext::new(
            model.handle.name(),
            method_string.clone(),
            method.clone(),
            args,
            caller_options.clone(),
        )
    };
    let mut ctx = match remotes.run(RemoteHookKind::Before, ctx).await {
        Ok(c) => c,
        Err(e) => return Err(remotes.run_error(fallback(Map::new()), e).await),
    };
    let text = |v: Option<&Json>| v.map(json_text);
    let id = text(ctx.args.get("id"));
    let fk = text(ctx.args.get("fk"));
    let call = Call {
        app,
        model: &model.handle,
        def: model.handle.definition(),
        query: "",
        id: id.as_deref(),
        rel: relation,
        fk: fk.as_deref(),
        body: ctx.args.get("data").cloned().filter(|d| !d.is_null()),
        options: ctx.options.clone(),
        args: Some(&ctx.args),
    };
    let out = handlers::dispatch(op, call)
        .await
        .map(|reply| reply.map(|r| r.into_json(app)));
    match out {
        Ok(result) => {
            ctx.result = result;
            match remotes.run(RemoteHookKind::After, ctx).await {
                Ok(c) => Ok(c.result),
                Err(e) => Err(remotes.run_error(fallback(Map::new()), e).await),
            }
        }
        Err(e) => Err(remotes.run_error(ctx, e).await),
    }
}

/// The arguments of a built-in method by LB3's names, from the request.
pub(super) fn builtin_args(
    op: Op,
    id: Option<&str>,
    fk: Option<&str>,
    query: &str,
    body: Option<Json>,
) -> Result<Map<String, Json>> {
    let mut args = Map::new();
    if let Some(id) = id {
        let text = input::decode_path_param(id)?;
        args.insert("id".into(), any_from_text(&text).unwrap_or(Json::Null));
    }
    if let Some(fk) = fk {
        let text = input::decode_path_param(fk)?;
        args.insert("fk".into(), any_from_text(&text).unwrap_or(Json::Null));
    }
    for name in ["filter", "where"] {
        match input::query_object(query, name)? {
            QueryObject::Absent => {}
            QueryObject::Json(j) => {
                args.insert(name.into(), j);
            }
            QueryObject::Brackets => {
                if let Some(j) = query_value(query, name)? {
                    args.insert(name.into(), j);
                }
            }
        }
    }
    if op.takes_body() {
        if let Some(b) = body {
            args.insert("data".into(), b);
        }
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sloppy(ty: &str, s: &str) -> Result<Option<Json>> {
        from_sloppy(&ArgType::parse(ty), Some(json!(s)))
    }

    #[test]
    fn sloppy_values_convert_as_strong_remoting_converts_them() {
        assert_eq!(sloppy("number", "12").unwrap(), Some(json!(12)));
        assert_eq!(sloppy("number", " 1.5 ").unwrap(), Some(json!(1.5)));
        assert_eq!(sloppy("number", "0x10").unwrap(), Some(json!(16)));
        assert_eq!(sloppy("number", "").unwrap(), None);
        assert_eq!(
            sloppy("number", "abc").unwrap_err().to_string(),
            "Value is not a number."
        );
        assert!(sloppy("number", "Infinity").is_err());
        assert_eq!(
            sloppy("integer", "1.5").unwrap_err().to_string(),
            "Value is not a safe integer."
        );
        assert_eq!(sloppy("boolean", "TRUE").unwrap(), Some(json!(true)));
        assert_eq!(sloppy("boolean", "0").unwrap(), Some(json!(false)));
        assert!(sloppy("boolean", "yes").is_err());
        assert_eq!(sloppy("string", "7").unwrap(), Some(json!("7")));
        assert_eq!(sloppy("any", "7").unwrap(), Some(json!(7)));
        assert_eq!(sloppy("any", "true").unwrap(), Some(json!(true)));
        assert_eq!(sloppy("any", "{\"a\":1}").unwrap(), Some(json!({"a": 1})));
        assert_eq!(sloppy("any", "01x").unwrap(), Some(json!("01x")));
        assert_eq!(
            sloppy("object", "{\"a\":1}").unwrap(),
            Some(json!({"a": 1}))
        );
        assert_eq!(
            sloppy("object", "{a}").unwrap_err().to_string(),
            "Cannot parse JSON-encoded object value."
        );
        assert_eq!(
            sloppy("object", "x").unwrap_err().to_string(),
            "Value is not an object."
        );
        assert_eq!(sloppy("[number]", "[1,2]").unwrap(), Some(json!([1, 2])));
        assert_eq!(sloppy("[number]", "3").unwrap(), Some(json!([3])));
        assert_eq!(
            from_sloppy(&ArgType::parse("[number]"), Some(json!(["1", "2"]))).unwrap(),
            Some(json!([1, 2]))
        );
        assert_eq!(
            sloppy("date", "0").unwrap(),
            Some(json!("1970-01-01T00:00:00.000Z"))
        );
        assert!(sloppy("date", "yesterday").is_err());
    }

    #[test]
    fn typed_values_are_only_validated() {
        let typed = |ty: &str, v: Json| from_typed(&ArgType::parse(ty), Some(v));
        assert_eq!(typed("number", json!(2)).unwrap(), Some(json!(2)));
        assert_eq!(
            typed("number", json!("2")).unwrap_err().to_string(),
            "Value is not a number."
        );
        assert!(typed("string", json!(2)).is_err());
        assert!(typed("boolean", json!("true")).is_err());
        assert!(typed("object", json!([1])).is_err());
        assert_eq!(typed("object", json!(null)).unwrap(), Some(json!(null)));
        assert!(typed("[string]", json!(["a", 1])).is_err());
        assert_eq!(
            typed("date", json!("2020-01-02T03:04:05Z")).unwrap(),
            Some(json!("2020-01-02T03:04:05.000Z"))
        );
    }
}
