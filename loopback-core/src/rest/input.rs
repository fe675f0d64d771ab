//! Reading a request as strong-remoting reads it: object arguments from the query string
//! (`filter`, `where`), the id from the path, the data from a JSON body.

use std::borrow::Cow;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::request::Parts;
use http_body::Body;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::Value as Json;

use super::errors;
use crate::app::ModelHandle;
use crate::error::{Error, Result};
use crate::value::{Record, Value};

/// An object argument found in the query string.
pub(crate) enum QueryObject {
    /// Not given (or given empty, or as `null`).
    Absent,
    /// Given as JSON text (`filter={...}`), parsed.
    Json(Json),
    /// Given in the bracket syntax (`filter[where][a]=1`): the filter parser reads the query.
    Brackets,
}

/// Finds the object argument `name` in a raw query string, as strong-remoting's `object` type
/// reads it from Express's parsed query: a plain value is JSON text (an empty value or `null`
/// is absent; anything else that does not look like a JSON object is not an object), keys
/// with brackets build the object.
pub(crate) fn query_object(query: &str, name: &str) -> Result<QueryObject> {
    let mut plain: Option<&str> = None;
    let mut plain_count = 0usize;
    let mut brackets = false;
    for param in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        let key = decode_query_component(key);
        match key.strip_prefix(name) {
            Some("") => {
                plain_count += 1;
                plain = Some(value);
            }
            Some(rest) if rest.starts_with('[') => brackets = true,
            _ => {}
        }
    }
    match (plain, plain_count, brackets) {
        (None, _, false) => Ok(QueryObject::Absent),
        (None, _, true) => Ok(QueryObject::Brackets),
        (Some(raw), 1, false) => object_from_text(&decode_query_component(raw)),
        // qs makes an array of a repeated or mixed parameter: not an object.
        _ => Err(errors::not_an_object()),
    }
}

/// strong-remoting's sloppy `object` conversion of a query value.
fn object_from_text(text: &str) -> Result<QueryObject> {
    Ok(sloppy_object(text)?.map_or(QueryObject::Absent, QueryObject::Json))
}

/// strong-remoting's sloppy `object` conversion of text (a query value, a header): empty or
/// `null` is absent, text that does not look like a JSON object is not an object.
pub(crate) fn sloppy_object(text: &str) -> Result<Option<Json>> {
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

/// Decodes a query-string key or value as `qs` does: `+` is a space, malformed escapes are
/// kept as they are.
fn decode_query_component(s: &str) -> Cow<'_, str> {
    if !s.contains(['%', '+']) {
        return Cow::Borrowed(s);
    }
    let spaced = s.replace('+', " ");
    let decoded = percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned();
    Cow::Owned(decoded)
}

/// Decodes a path parameter as Express does (`decodeURIComponent`): a malformed escape or
/// bytes that are not UTF-8 are a 400.
pub(crate) fn decode_path_param(raw: &str) -> Result<Cow<'_, str>> {
    if !raw.contains('%') {
        return Ok(Cow::Borrowed(raw));
    }
    let bytes = raw.as_bytes();
    let well_formed = bytes.iter().enumerate().all(|(i, b)| {
        *b != b'%'
            || (bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    });
    if !well_formed {
        return Err(errors::undecodable_param(raw));
    }
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| errors::undecodable_param(raw))
}

/// The `id` path argument of a request.
pub(crate) struct IdArg {
    /// The id as the model's id property types it; `None` when the text cannot be an id of
    /// this model (`abc` for a numeric id), so that no instance has it.
    pub(crate) value: Option<Value>,
    /// The id as LB3 shows it in messages: strong-remoting's sloppy conversion of the text
    /// (`1.0` shows as `1`).
    pub(crate) shown: String,
}

/// Reads the raw path segment `raw` as the id of `model`.
pub(crate) fn id_arg(model: &ModelHandle, raw: &str) -> Result<IdArg> {
    let text = decode_path_param(raw)?;
    if text == "null" {
        return Err(errors::required_argument("id"));
    }
    let shown = sloppy_number(&text).unwrap_or_else(|| text.clone().into_owned());
    let value = model.coerce_id(Value::String(text.into_owned())).ok();
    Ok(IdArg { value, shown })
}

/// strong-remoting turns path text that is a decimal number within the safe integer range
/// into that number; this is how JavaScript prints it.
fn sloppy_number(text: &str) -> Option<String> {
    const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;
    let digits = text.strip_prefix('-').unwrap_or(text);
    let is_int = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits.len() == 1 || !digits.starts_with('0'));
    let is_float = match digits.split_once('.') {
        Some((int, frac)) => {
            int.bytes().all(|b| b.is_ascii_digit())
                && !frac.is_empty()
                && frac.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    };
    if !(is_int || is_float) {
        return None;
    }
    let n: f64 = text.parse().ok()?;
    if n.abs() > MAX_SAFE_INTEGER {
        return None;
    }
    if n.fract() == 0.0 {
        // `-0` prints as `0` in JavaScript.
        Some(format!("{}", n as i64))
    } else {
        Some(format!("{n}"))
    }
}

/// The body of a method that takes data: `None` when the request has none.
///
/// As body-parser's `json()` with a `limit`: a body longer than `limit` bytes is a 413, a
/// JSON body in another charset than UTF-8 a 415, text that is not JSON a 400 `SyntaxError`.
/// Any JSON value is accepted here (`strict: false`); the methods check its shape. A non-empty
/// body that is not `application/json` is a 415.
pub(crate) async fn read_json_body<B>(parts: &Parts, body: B, limit: usize) -> Result<Option<Json>>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let declared_len = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared_len == Some(0) {
        return Ok(None);
    }
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let is_json = match content_type.as_deref().map(json_charset) {
        Some(Ok(is_json)) => is_json,
        Some(Err(charset)) => return Err(errors::unsupported_charset(&charset)),
        None => false,
    };
    let is_form = content_type.as_deref().is_some_and(is_form);
    if !is_json && !is_form && declared_len.is_some() {
        return Err(errors::unsupported_media_type(content_type.as_deref()));
    }
    if declared_len.is_some_and(|n| n > limit as u64) {
        return Err(errors::payload_too_large());
    }
    let bytes: Bytes = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return Err(errors::payload_too_large())
        }
        Err(_) => return Err(errors::request_aborted()),
    };
    if bytes.is_empty() {
        return Ok(None);
    }
    if is_form {
        // Express's extended urlencoded parser: string values, brackets building objects.
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| Error::bad_request("The form body is not valid UTF-8"))?;
        return crate::filter::form_object(text).map(Some);
    }
    if !is_json {
        return Err(errors::unsupported_media_type(content_type.as_deref()));
    }
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| errors::json_syntax(&e, &bytes))
}

/// Whether a `Content-Type` is `application/x-www-form-urlencoded`.
pub(crate) fn is_form(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
}

/// Whether a `Content-Type` is JSON (`application/json`, any parameters); `Err(charset)` for
/// JSON in a charset other than UTF-8.
pub(crate) fn json_charset(content_type: &str) -> std::result::Result<bool, String> {
    let mut params = content_type.split(';');
    let essence = params.next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Ok(false);
    }
    for p in params {
        let Some((k, v)) = p.split_once('=') else {
            continue;
        };
        if k.trim().eq_ignore_ascii_case("charset") {
            let charset = v.trim().trim_matches('"');
            if !charset.eq_ignore_ascii_case("utf-8") && !charset.eq_ignore_ascii_case("utf8") {
                return Err(charset.to_owned());
            }
        }
    }
    Ok(true)
}

/// The `data` argument of a method: an object (no body or `null` is the empty object).
pub(crate) fn data_object(body: Option<Json>) -> Result<Record> {
    match body {
        None | Some(Json::Null) => Ok(Record::new()),
        Some(Json::Object(m)) => Ok(Record::from_json_map(&m)),
        Some(_) => Err(errors::not_an_object()),
    }
}

/// The `data` argument of `create`, which also takes an array of objects (`allowArray`).
pub(crate) enum CreateData {
    /// One instance.
    One(Record),
    /// Several instances, created in order.
    Many(Vec<Record>),
}

/// Refuses an array body longer than `max` objects (the app's
/// [`QueryLimits::max_batch`](crate::filter::QueryLimits::max_batch)) before anything is
/// created.
pub(crate) fn check_batch(body: Option<Json>, max: Option<usize>) -> Result<Option<Json>> {
    match (&body, max) {
        (Some(Json::Array(items)), Some(max)) if items.len() > max => {
            Err(errors::batch_too_large(items.len(), max))
        }
        _ => Ok(body),
    }
}

/// Reads the body of `create`.
pub(crate) fn create_data(body: Option<Json>) -> Result<CreateData> {
    match body {
        Some(Json::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Json::Object(m) => Ok(Record::from_json_map(&m)),
                _ => Err(errors::array_items_not_objects()),
            })
            .collect::<Result<Vec<_>>>()
            .map(CreateData::Many),
        other => data_object(other).map(CreateData::One),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_objects_follow_strong_remoting() {
        assert!(matches!(
            query_object("a=1", "filter"),
            Ok(QueryObject::Absent)
        ));
        assert!(matches!(
            query_object("filter=&x=1", "filter"),
            Ok(QueryObject::Absent)
        ));
        assert!(matches!(
            query_object("filter=null", "filter"),
            Ok(QueryObject::Absent)
        ));
        assert!(matches!(
            query_object("filter[where][a]=1", "filter"),
            Ok(QueryObject::Brackets)
        ));
        assert!(matches!(
            query_object("filter%5Bwhere%5D%5Ba%5D=1", "filter"),
            Ok(QueryObject::Brackets)
        ));
        assert!(matches!(
            query_object("filters=1", "filter"),
            Ok(QueryObject::Absent)
        ));
        match query_object("filter=%7B%22limit%22:2%7D", "filter") {
            Ok(QueryObject::Json(j)) => assert_eq!(j, serde_json::json!({"limit": 2})),
            _ => panic!("expected JSON"),
        }
        let msg = |q: &str| match query_object(q, "filter") {
            Err(e) => e.to_string(),
            Ok(_) => "ok".to_owned(),
        };
        assert_eq!(
            msg("filter=%7Bbad%7D"),
            "Cannot parse JSON-encoded object value."
        );
        assert_eq!(msg("filter=%7Bbad"), "Value is not an object.");
        assert_eq!(msg("filter=abc"), "Value is not an object.");
        assert_eq!(msg("filter=%5B1%5D"), "Value is not an object.");
        assert_eq!(msg("filter={}&filter={}"), "Value is not an object.");
        assert_eq!(msg("filter={}&filter[limit]=1"), "Value is not an object.");
    }

    #[test]
    fn path_params_decode_strictly() {
        assert_eq!(decode_path_param("a%20b").unwrap(), "a b");
        assert_eq!(decode_path_param("plain").unwrap(), "plain");
        assert_eq!(
            decode_path_param("%E0%A4%A").unwrap_err().to_string(),
            "Failed to decode param '%E0%A4%A'"
        );
        assert!(decode_path_param("%zz").is_err());
        assert!(decode_path_param("%FF").is_err());
    }

    #[test]
    fn sloppy_numbers_print_as_javascript() {
        assert_eq!(sloppy_number("1").as_deref(), Some("1"));
        assert_eq!(sloppy_number("1.0").as_deref(), Some("1"));
        assert_eq!(sloppy_number("-2.50").as_deref(), Some("-2.5"));
        assert_eq!(sloppy_number(".5").as_deref(), Some("0.5"));
        assert_eq!(sloppy_number("01"), None);
        assert_eq!(sloppy_number("1e3"), None);
        assert_eq!(sloppy_number("abc"), None);
        assert_eq!(sloppy_number("99999999999999999999"), None);
    }

    #[test]
    fn json_content_types() {
        assert_eq!(json_charset("application/json"), Ok(true));
        assert_eq!(json_charset("Application/JSON; charset=UTF-8"), Ok(true));
        assert_eq!(json_charset("text/plain"), Ok(false));
        assert_eq!(json_charset("application/vnd.api+json"), Ok(false));
        assert_eq!(
            json_charset("application/json; charset=latin1"),
            Err("latin1".to_owned())
        );
    }
}
