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
use std::io::Write as _;

use bytes::Bytes;
use futures::StreamExt;
use http::header::{
    HeaderMap, HeaderValue, ACCEPT, CACHE_CONTROL, CONNECTION, CONTENT_ENCODING, CONTENT_TYPE,
};
use http::request::Parts;
use http::{Response, Version};
use serde_json::Value as Json;

use super::body::RestBody;
use super::errors;
use super::input::sloppy_object;
use super::output::{is_hidden, Publisher};
use crate::app::{App, ModelHandle};
use crate::changes::{Change, ChangeStream};
use crate::error::Result;
use crate::filter::{query_value, Filter};
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
    let head = Bytes::from(format.head());
    let mut headers = HeaderMap::new();
    format.headers(&mut headers, parts.version);
    let feed = Feed {
        changes: Some(changes),
        app: app.clone(),
        model: model.clone(),
        format,
    };
    let frames = futures::stream::once(std::future::ready(head))
        .chain(futures::stream::unfold(feed, Feed::next_frame));
    let mut res = Response::new(RestBody::stream(frames));
    *res.headers_mut() = headers;
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
    fn headers(&self, headers: &mut HeaderMap, version: Version) {
        match self {
            Format::EventStream => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
                headers.insert(
                    CACHE_CONTROL,
                    HeaderValue::from_static("no-cache, no-transform"),
                );
                // A connection header is not allowed in HTTP/2.
                if version <= Version::HTTP_11 {
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
    }

    /// What the body starts with: the `sse` package's comment, or mux-demux's `new` event.
    fn head(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Format::EventStream => out.extend_from_slice(b":ok\n\n"),
            Format::MuxDemux { .. } => {
                let opts = serde_json::json!({"opts": {"writable": false, "readable": true}});
                self.event(&mut out, "new", Some(&opts));
            }
        }
        out
    }

    /// Event `name` (`data`, `error`, `end`) with its payload; `end` has none.
    fn event(&self, out: &mut Vec<u8>, name: &str, payload: Option<&Json>) {
        // Writing to a vector cannot fail.
        match self {
            // serde_json never writes a raw line break, so the JSON is one `data:` line.
            Format::EventStream => {
                let payload = payload.unwrap_or(&Json::Null);
                let _ = write!(out, "event: {name}\ndata: {payload}\n\n");
            }
            Format::MuxDemux { id } => {
                let _ = match payload {
                    Some(payload) => serde_json::to_writer(&mut *out, &(id, name, payload)),
                    None => serde_json::to_writer(&mut *out, &(id, name)),
                };
                out.push(b'\n');
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
    /// `None` once the `end` event is written.
    changes: Option<ChangeStream>,
    app: App,
    model: ModelHandle,
    format: Format,
}

impl Feed {
    async fn next_frame(mut self) -> Option<(Bytes, Feed)> {
        let changes = self.changes.as_mut()?;
        let missed_before = changes.missed();
        let next = changes.next_shared().await;
        let lost = changes.missed() - missed_before;
        let mut out = Vec::new();
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
            self.format.event(&mut out, "error", Some(&error));
        }
        match next {
            Some(change) => {
                let json = self.public_json(&change);
                self.format.event(&mut out, "data", Some(&json));
            }
            None => {
                self.format.event(&mut out, "end", None);
                self.changes = None;
            }
        }
        Some((Bytes::from(out), self))
    }

    /// The change as clients may see it: hidden properties left out of the data and of the
    /// `where` (LB3 shows them in the partial data of `updateAll`).
    fn public_json(&self, change: &Change) -> Json {
        let def = self.model.definition();
        let publisher = Publisher::new(&self.app);
        change.to_json_with(
            |w| public_where(&def, w.to_json()),
            |d| publisher.record(&def, d, false),
        )
    }
}

/// `where` JSON without the conditions on hidden properties.
fn public_where(def: &ModelDefinition, json: Json) -> Json {
    let Json::Object(m) = json else {
        return json;
    };
    m.into_iter()
        .filter(|(k, _)| !is_hidden(def, k))
        .map(|(k, v)| match v {
            Json::Array(items) if matches!(k.as_str(), "and" | "or" | "nor") => {
                let items = items.into_iter().map(|w| public_where(def, w)).collect();
                (k, Json::Array(items))
            }
            v => (k, v),
        })
        .collect()
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
    // The query's value as qs gives it: text, an object (the bracket syntax), or an array
    // (a repeated parameter, `options[]=`), which is not an object.
    let json = match query_value(query, "options")? {
        Some(Json::String(text)) => sloppy_object(&text)?,
        Some(json @ Json::Object(_)) => Some(json),
        Some(_) => return Err(errors::not_an_object()),
        None => match parts.headers.get("options") {
            Some(v) => sloppy_object(&String::from_utf8_lossy(v.as_bytes()))?,
            None => None,
        },
    };
    json.map(|json| model.parse_filter(&json)).transpose()
}

// ----- the response format ---------------------------------------------------------------------

/// strong-remoting's `shouldReturnEventStream`: `_format=event-stream` (given once, as text)
/// or a request that accepts `text/event-stream`.
fn wants_event_stream(parts: &Parts, query: &str) -> bool {
    let format = query_value(query, "_format").ok().flatten();
    format.as_ref().and_then(Json::as_str) == Some("event-stream") || accepts_event_stream(parts)
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
    for (s, q) in values
        .iter()
        .flat_map(|v| v.split(','))
        .filter_map(event_stream_range)
    {
        if best.map_or(true, |(bs, bq)| s > bs || (s == bs && q > bq)) {
            best = Some((s, q));
        }
    }
    best.is_some_and(|(_, q)| q > 0.0)
}

/// Negotiator's specificity and the quality of one media range of an `Accept` header, when it
/// matches `text/event-stream`.
fn event_stream_range(range: &str) -> Option<(u8, f64)> {
    let mut pieces = range.split(';');
    let (ty, sub) = pieces.next()?.trim().split_once('/')?;
    let (ty, sub) = (
        ty.trim().to_ascii_lowercase(),
        sub.trim().to_ascii_lowercase(),
    );
    let type_exact = ty == "text";
    let sub_exact = sub == "event-stream";
    if !(type_exact || ty == "*") || !(sub_exact || sub == "*") {
        return None;
    }
    let mut q = 1.0;
    let mut has_params = false;
    for p in pieces {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().trim_matches('"'));
        if k == "q" {
            q = v.parse::<f64>().unwrap_or(0.0);
        } else if !k.is_empty() {
            // text/event-stream has no parameters: only a `*` value matches.
            if v != "*" {
                return None;
            }
            has_params = true;
        }
    }
    Some((
        u8::from(type_exact) * 4 + u8::from(sub_exact) * 2 + u8::from(has_params),
        q,
    ))
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
    fn the_options_parameter_is_found_as_qs_finds_it() {
        let options = |query| query_value(query, "options").unwrap();
        assert_eq!(options("options="), Some(serde_json::json!("")));
        assert_eq!(
            options("options%5Bwhere%5D%5Ba%5D=1"),
            Some(serde_json::json!({"where": {"a": "1"}}))
        );
        assert_eq!(options("optionsx=1"), None);
        assert_eq!(options(""), None);
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
    fn events_are_framed_as_sse_and_mux_demux_frame_them() {
        let frame = |format: &Format, name: &str, payload: Option<&Json>| {
            let mut out = Vec::new();
            format.event(&mut out, name, payload);
            String::from_utf8(out).unwrap()
        };
        let change = serde_json::json!({"type": "create"});
        let sse = Format::EventStream;
        assert_eq!(sse.head(), b":ok\n\n");
        assert_eq!(
            frame(&sse, "data", Some(&change)),
            "event: data\ndata: {\"type\":\"create\"}\n\n"
        );
        assert_eq!(frame(&sse, "end", None), "event: end\ndata: null\n\n");
        let mux = Format::MuxDemux { id: "ab".into() };
        assert_eq!(
            String::from_utf8(mux.head()).unwrap(),
            "[\"ab\",\"new\",{\"opts\":{\"writable\":false,\"readable\":true}}]\n"
        );
        assert_eq!(
            frame(&mux, "error", Some(&change)),
            "[\"ab\",\"error\",{\"type\":\"create\"}]\n"
        );
        assert_eq!(frame(&mux, "end", None), "[\"ab\",\"end\"]\n");
    }

    #[test]
    fn mux_demux_ids_are_26_hex_digits() {
        let id = mux_demux_id();
        assert_eq!(id.len(), 26);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
