//! `GET`/`POST /change-stream`: LB3's `createChangeStream` as server-sent events.
//!
//! What strong-remoting does with the `ReadableStream` (`json: true`) that the method returns,
//! recorded from LoopBack 3.28 / strong-remoting 3.17 / sse 0.0.8:
//!
//! - The response is an event stream when `_format=event-stream` is in the query, or when the
//!   request accepts `text/event-stream` (Express's `req.accepts`: no `Accept` header, `*/*`
//!   and `text/*` all do). Headers: `Content-Type: text/event-stream`, `Cache-Control:
//!   no-cache, no-transform`, `Connection: keep-alive`, `Content-Encoding: x-no-compression`.
//!   The body starts with the comment `:ok`, then each change is an event named `data`
//!   (`event: data\ndata: {json}\n\n`); if the stream ends, `event: end\ndata: null\n\n`.
//! - Otherwise it is mux-demux's framing: `Content-Type: application/json; boundary=NL` and
//!   one JSON array a line, `["<id>","new",{"opts":{"writable":false,"readable":true}}]`
//!   first, then `["<id>","data",{change}]` per change (and `["<id>","end"]` at the end).
//! - The `options` argument (a filter) is read from the body's `options`, else the query's
//!   `options` (JSON or bracket syntax), else an `options` header. Anything but an object (or
//!   `null`) is a 400 `Value is not an object.`.

use std::borrow::Cow;
use std::fmt::Write as _;

use bytes::Bytes;
use futures::StreamExt;
use http::header::{
    HeaderValue, ACCEPT, CACHE_CONTROL, CONNECTION, CONTENT_ENCODING, CONTENT_TYPE,
};
use http::request::Parts;
use http::{Response, StatusCode, Version};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::Value as Json;

use super::body::RestBody;
use super::errors;
use super::input::{self, QueryObject};
use super::output::Publisher;
use crate::app::{App, ModelHandle};
use crate::changes::{Change, ChangeStream};
use crate::error::Result;
use crate::filter::{Filter, ParseOptions};
use crate::model::ModelDefinition;

/// Answers a change-stream request for `model`: `query` is the raw query string, `body` the
/// JSON body of a `POST`, if any.
pub(crate) async fn respond(
    app: &App,
    model: &ModelHandle,
    parts: &Parts,
    query: &str,
    body: Option<Json>,
) -> Result<Response<RestBody>> {
    let filter = options_arg(model, parts, query, body)?;
    let changes = model.change_stream(filter)?;
    let format = if wants_event_stream(parts, query) {
        Format::EventStream
    } else {
        Format::MuxDemux { id: mux_demux_id() }
    };
    let mut res = Response::new(RestBody::empty());
    *res.status_mut() = StatusCode::OK;
    let headers = res.headers_mut();
    match format {
        Format::EventStream => {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
            headers.insert(
                CACHE_CONTROL,
                HeaderValue::from_static("no-cache, no-transform"),
            );
            // A connection header is not allowed in HTTP/2.
            if parts.version <= Version::HTTP_11 {
                headers.insert(CONNECTION, HeaderValue::from_static("keep-alive"));
            }
            headers.insert(
                CONTENT_ENCODING,
                HeaderValue::from_static("x-no-compression"),
            );
        }
        Format::MuxDemux { .. } => {
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/json; boundary=NL"),
            );
        }
    }
    let head = Bytes::from(format.head());
    let feed = Feed {
        changes,
        app: app.clone(),
        model: model.clone(),
        format,
        done: false,
    };
    let frames = futures::stream::once(std::future::ready(head))
        .chain(futures::stream::unfold(feed, Feed::next_frame));
    *res.body_mut() = RestBody::stream(frames);
    Ok(res)
}

/// How the changes are framed.
enum Format {
    /// Server-sent events (the `sse` package's framing).
    EventStream,
    /// mux-demux's newline-delimited JSON arrays, tagged with the sub-stream id.
    MuxDemux { id: String },
}

impl Format {
    /// What the body starts with.
    fn head(&self) -> String {
        match self {
            Format::EventStream => ":ok\n\n".to_owned(),
            Format::MuxDemux { id } => {
                let new =
                    serde_json::json!([id, "new", {"opts": {"writable": false, "readable": true}}]);
                format!("{new}\n")
            }
        }
    }

    fn data(&self, out: &mut String, change: &Json) {
        match self {
            // serde_json never writes a raw line break, so the JSON is one `data:` line.
            Format::EventStream => {
                let _ = write!(out, "event: data\ndata: {change}\n\n");
            }
            Format::MuxDemux { id } => {
                let _ = writeln!(out, "{}", serde_json::json!([id, "data", change]));
            }
        }
    }

    fn error(&self, out: &mut String, error: &Json) {
        match self {
            Format::EventStream => {
                let _ = write!(out, "event: error\ndata: {error}\n\n");
            }
            Format::MuxDemux { id } => {
                let _ = writeln!(out, "{}", serde_json::json!([id, "error", error]));
            }
        }
    }

    fn end(&self, out: &mut String) {
        match self {
            Format::EventStream => out.push_str("event: end\ndata: null\n\n"),
            Format::MuxDemux { id } => {
                let _ = writeln!(out, "{}", serde_json::json!([id, "end"]));
            }
        }
    }
}

/// mux-demux's sub-stream id: random hexadecimal digits (`Math.random().toString(16)`
/// twice), here always 26 of them.
fn mux_demux_id() -> String {
    let mut id = uuid::Uuid::new_v4().simple().to_string();
    id.truncate(26);
    id
}

/// The state behind a change-stream body: one frame per change.
struct Feed {
    changes: ChangeStream,
    app: App,
    model: ModelHandle,
    format: Format,
    done: bool,
}

impl Feed {
    async fn next_frame(mut self) -> Option<(Bytes, Feed)> {
        if self.done {
            return None;
        }
        let missed_before = self.changes.missed();
        let next = self.changes.next().await;
        let lost = self.changes.missed() - missed_before;
        let mut out = String::new();
        if lost > 0 {
            // Not LB3 (whose streams buffer without bound): tell the client it missed some.
            let error = serde_json::json!({
                "message": format!(
                    "The change stream fell behind and dropped {lost} change{}",
                    if lost == 1 { "" } else { "s" }
                ),
                "code": "CHANGE_STREAM_LAGGED",
                "dropped": lost,
            });
            self.format.error(&mut out, &error);
        }
        match next {
            Some(change) => {
                let json = self.public_json(&change);
                self.format.data(&mut out, &json);
            }
            None => {
                self.format.end(&mut out);
                self.done = true;
            }
        }
        Some((Bytes::from(out), self))
    }

    /// The change as clients may see it: hidden properties left out of the data and of the
    /// `where` (LB3 shows them in the partial data of `updateAll`).
    fn public_json(&self, change: &Change) -> Json {
        let def = self.model.definition();
        let mut publisher = Publisher::new(&self.app);
        change.to_json_with(
            |w| public_where(&def, w.to_json()),
            |d| publisher.record(&def, d, false),
        )
    }
}

/// `where` JSON without the conditions on hidden properties.
fn public_where(def: &ModelDefinition, json: Json) -> Json {
    match json {
        Json::Object(m) => Json::Object(
            m.into_iter()
                .filter(|(k, _)| !is_hidden(def, k))
                .map(|(k, v)| match (k.as_str(), v) {
                    ("and" | "or" | "nor", Json::Array(items)) => (
                        k,
                        Json::Array(items.into_iter().map(|w| public_where(def, w)).collect()),
                    ),
                    (_, v) => (k, v),
                })
                .collect(),
        ),
        other => other,
    }
}

fn is_hidden(def: &ModelDefinition, key: &str) -> bool {
    def.is_hidden(key) || def.property(key).is_some_and(|p| p.hidden)
}

// ----- the `options` argument ------------------------------------------------------------------

/// The `options` argument, where strong-remoting's `getArgByName` finds it: the body's
/// `options`, else the query's, else an `options` header; parsed as a filter of `model`
/// (hidden properties refused, values coerced).
fn options_arg(
    model: &ModelHandle,
    parts: &Parts,
    query: &str,
    body: Option<Json>,
) -> Result<Option<Filter>> {
    if let Some(Json::Object(mut m)) = body {
        if let Some(v) = m.remove("options") {
            // A JSON body is converted strictly: a string is not parsed.
            return match v {
                Json::Null => Ok(None),
                v @ Json::Object(_) => model.parse_filter(&v).map(Some),
                _ => Err(errors::not_an_object()),
            };
        }
    }
    if query_has(query, "options") {
        return match input::query_object(query, "options")? {
            QueryObject::Absent => Ok(None),
            QueryObject::Json(json) => model.parse_filter(&json).map(Some),
            QueryObject::Brackets => bracket_options(model, query),
        };
    }
    match parts.headers.get("options") {
        Some(v) => match sloppy_object(&String::from_utf8_lossy(v.as_bytes()))? {
            Some(json) => model.parse_filter(&json).map(Some),
            None => Ok(None),
        },
        None => Ok(None),
    }
}

/// `options[where][title]=x`: the bracket syntax, read by the filter parser as `filter[...]`.
fn bracket_options(model: &ModelHandle, query: &str) -> Result<Option<Filter>> {
    let renamed: Vec<String> = params(query)
        .filter_map(|(key, value)| {
            let rest = key.strip_prefix("options")?;
            rest.starts_with('[').then(|| {
                format!(
                    "filter{}={}",
                    utf8_percent_encode(rest, NON_ALPHANUMERIC),
                    utf8_percent_encode(&value, NON_ALPHANUMERIC)
                )
            })
        })
        .collect();
    let def = model.definition();
    let app = model.app()?;
    let lookup = move |n: &str| app.definition_of(n);
    Filter::from_query_string(
        &renamed.join("&"),
        &ParseOptions::for_model(&def).with_models(&lookup),
    )
}

/// strong-remoting's sloppy `object` conversion of a header value.
fn sloppy_object(text: &str) -> Result<Option<Json>> {
    if text.is_empty() || text == "null" {
        return Ok(None);
    }
    if !(text.starts_with('{') && text.ends_with('}')) {
        return Err(errors::not_an_object());
    }
    match serde_json::from_str::<Json>(text) {
        Ok(json @ Json::Object(_)) => Ok(Some(json)),
        _ => Err(errors::unparsable_object_value()),
    }
}

// ----- the response format ---------------------------------------------------------------------

/// strong-remoting's `shouldReturnEventStream`: `_format=event-stream` or a request that
/// accepts `text/event-stream`.
fn wants_event_stream(parts: &Parts, query: &str) -> bool {
    let mut formats = params(query).filter(|(k, _)| k == "_format" || k.starts_with("_format["));
    let format_is_event_stream = match (formats.next(), formats.next()) {
        (Some((k, v)), None) => k == "_format" && v == "event-stream",
        _ => false,
    };
    format_is_event_stream || accepts_event_stream(parts)
}

/// Express's `req.accepts('text/event-stream')` (negotiator): true without an `Accept` header
/// (or with an empty one), else when the most specific media range matching
/// `text/event-stream` has a quality above 0.
fn accepts_event_stream(parts: &Parts) -> bool {
    let values: Vec<Cow<'_, str>> = parts
        .headers
        .get_all(ACCEPT)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
        .collect();
    if values.is_empty() || (values.len() == 1 && values[0].is_empty()) {
        return true;
    }
    // (specificity, quality) of the best matching range.
    let mut best: Option<(u8, f64)> = None;
    for range in values.iter().flat_map(|v| v.split(',')) {
        let mut pieces = range.split(';');
        let Some((ty, sub)) = pieces.next().and_then(|t| t.trim().split_once('/')) else {
            continue;
        };
        let (ty, sub) = (
            ty.trim().to_ascii_lowercase(),
            sub.trim().to_ascii_lowercase(),
        );
        let mut q = 1.0;
        let mut params_match = true;
        let mut has_params = false;
        for p in pieces {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().trim_matches('"'));
            if k == "q" {
                q = v.parse::<f64>().unwrap_or(0.0);
            } else if !k.is_empty() {
                // text/event-stream has no parameters: only a `*` value matches.
                has_params = true;
                params_match &= v == "*";
            }
        }
        let type_exact = ty == "text";
        let sub_exact = sub == "event-stream";
        if !(type_exact || ty == "*") || !(sub_exact || sub == "*") || !params_match {
            continue;
        }
        let s = u8::from(type_exact) * 4 + u8::from(sub_exact) * 2 + u8::from(has_params);
        if best.map_or(true, |(bs, bq)| s > bs || (s == bs && q > bq)) {
            best = Some((s, q));
        }
    }
    best.is_some_and(|(_, q)| q > 0.0)
}

/// The parameters of a raw query string, key and value decoded as `qs` decodes them.
fn params(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.split('&').filter(|p| !p.is_empty()).map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        (decode(k), decode(v))
    })
}

/// `+` is a space; malformed escapes are kept.
fn decode(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// Whether the query names parameter `name` at all (`name=…` or `name[…]=…`), even empty.
fn query_has(query: &str, name: &str) -> bool {
    params(query).any(|(k, _)| {
        k.strip_prefix(name)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('['))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Request;

    fn parts(accept: &[&str]) -> Parts {
        let mut req = Request::get("/");
        for a in accept {
            req = req.header(ACCEPT, *a);
        }
        req.body(()).unwrap().into_parts().0
    }

    /// Each case checked against `accepts` 1.3 (`accepts(req).type('text/event-stream')`).
    #[test]
    fn accept_negotiation_follows_express() {
        let yes = [
            "",
            "*/*",
            "text/*",
            "TEXT/EVENT-STREAM",
            "text/event-stream",
            "application/json, */*;q=0.1",
            "application/json;q=1, text/event-stream;q=0.001",
            "text/event-stream;charset=utf-8, text/*;q=0.5",
        ];
        let no = [
            "text/html",
            "application/json",
            "text/event-stream;q=0",
            "*/*, text/event-stream;q=0",
            "text/*;q=0, */*",
            "text/event-stream;charset=utf-8",
            " , ",
            "garbage",
        ];
        assert!(accepts_event_stream(&parts(&[])));
        for a in yes {
            assert!(accepts_event_stream(&parts(&[a])), "{a:?} accepts SSE");
        }
        for a in no {
            assert!(!accepts_event_stream(&parts(&[a])), "{a:?} refuses SSE");
        }
        assert!(accepts_event_stream(&parts(&["text/html", "*/*"])));
    }

    #[test]
    fn the_format_parameter_must_be_given_once_as_text() {
        let json = parts(&["application/json"]);
        assert!(wants_event_stream(&json, "_format=event-stream"));
        assert!(wants_event_stream(&json, "a=1&_format=event%2Dstream"));
        assert!(!wants_event_stream(&json, "format=event-stream"));
        assert!(!wants_event_stream(&json, "_format=json"));
        assert!(!wants_event_stream(&json, "_format=EVENT-STREAM"));
        assert!(!wants_event_stream(
            &json,
            "_format=event-stream&_format=event-stream"
        ));
        assert!(!wants_event_stream(&json, "_format[a]=event-stream"));
        // `_format=json` does not override an Accept header that allows SSE.
        assert!(wants_event_stream(&parts(&[]), "_format=json"));
    }

    #[test]
    fn query_parameters_are_found_even_empty() {
        assert!(query_has("options=", "options"));
        assert!(query_has("options%5Bwhere%5D%5Ba%5D=1", "options"));
        assert!(!query_has("optionsx=1", "options"));
        assert!(!query_has("", "options"));
    }

    #[test]
    fn header_objects_are_read_sloppily() {
        assert_eq!(sloppy_object("").unwrap(), None);
        assert_eq!(sloppy_object("null").unwrap(), None);
        assert_eq!(
            sloppy_object(r#"{"where":{}}"#).unwrap(),
            Some(serde_json::json!({"where": {}}))
        );
        assert_eq!(
            sloppy_object("5").unwrap_err().to_string(),
            "Value is not an object."
        );
        assert_eq!(
            sloppy_object("{bad}").unwrap_err().to_string(),
            "Cannot parse JSON-encoded object value."
        );
    }

    #[test]
    fn mux_demux_ids_are_26_hex_digits() {
        let id = mux_demux_id();
        assert_eq!(id.len(), 26);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
