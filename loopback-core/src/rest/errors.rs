//! Errors as strong-error-handler writes them, and the errors that the HTTP layer raises itself
//! (unknown routes, bodies, query values), with LoopBack 3's names and messages.
//!
//! Every response status comes from [`Error::status`]. The errors built here that have no
//! variant of their own in [`Error`] are [`Error::Http`] values carrying the status that
//! strong-remoting, body-parser or Express give them (`err.statusCode = 404`).

use http::header::{HeaderValue, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use http::{Response, StatusCode};
use serde_json::{Map, Value as Json};

use super::body::RestBody;
use super::output::JSON_CONTENT_TYPE;
use crate::error::Error;

fn http_error(status: u16, name: &str, code: Option<&str>, message: String) -> Error {
    Error::Http {
        status,
        name: name.to_owned(),
        code: code.map(str::to_owned),
        message,
    }
}

/// strong-remoting's 404 for a path under a model that no method handles; `url` is the request
/// URL below the model's path, query string included.
pub(crate) fn no_method_in_class(class: &str, method: &str, url: &str) -> Error {
    http_error(
        404,
        "Error",
        None,
        format!("Shared class \"{class}\" has no method handling {method} {url}"),
    )
}

/// strong-remoting's 404 for a path under the REST root that names no model; `url` is the
/// request URL below the root.
pub(crate) fn no_method(method: &str, url: &str) -> Error {
    http_error(
        404,
        "Error",
        None,
        format!("There is no method to handle {method} {url}"),
    )
}

/// LoopBack's `urlNotFound` 404 for a path outside the REST root.
pub(crate) fn url_not_found(method: &str, url: &str) -> Error {
    http_error(404, "Error", None, format!("Cannot {method} {url}"))
}

/// body-parser's 413.
pub(crate) fn payload_too_large() -> Error {
    http_error(
        413,
        "PayloadTooLargeError",
        None,
        "request entity too large".to_owned(),
    )
}

/// An array body with more objects than one create may hold
/// ([`QueryLimits::max_batch`](crate::filter::QueryLimits::max_batch)).
pub(crate) fn batch_too_large(len: usize, max: usize) -> Error {
    http_error(
        413,
        "PayloadTooLargeError",
        Some("BATCH_TOO_LARGE"),
        format!("The request creates {len} instances; at most {max} may be created at once"),
    )
}

/// A body that is neither empty nor JSON. LB3 ignores such a body and runs the method without
/// data; a 415 tells the client what went wrong instead.
pub(crate) fn unsupported_media_type(content_type: Option<&str>) -> Error {
    let message = match content_type {
        Some(ct) => {
            format!("unsupported media type \"{ct}\": send the request body as application/json")
        }
        None => "the request body has no Content-Type: send it as application/json".to_owned(),
    };
    http_error(415, "UnsupportedMediaTypeError", None, message)
}

/// body-parser's 415 for a JSON body in a charset other than UTF-8.
pub(crate) fn unsupported_charset(charset: &str) -> Error {
    http_error(
        415,
        "UnsupportedMediaTypeError",
        None,
        format!("unsupported charset \"{}\"", charset.to_ascii_uppercase()),
    )
}

/// body-parser's 400 for a request whose body could not be read to the end.
pub(crate) fn request_aborted() -> Error {
    http_error(400, "BadRequestError", None, "request aborted".to_owned())
}

/// body-parser's 400 for a body that is not JSON, worded as V8's `JSON.parse` words it.
pub(crate) fn json_syntax(err: &serde_json::Error, body: &[u8]) -> Error {
    let message = match syntax_position(err, body) {
        Some((pos, token)) if !err.is_eof() => {
            format!("Unexpected token {token} in JSON at position {pos}")
        }
        _ => "Unexpected end of JSON input".to_owned(),
    };
    http_error(400, "SyntaxError", None, message)
}

/// The byte offset and the character at which `err` was detected.
fn syntax_position(err: &serde_json::Error, body: &[u8]) -> Option<(usize, char)> {
    let line_start = if err.line() <= 1 {
        0
    } else {
        body.iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(err.line() - 2)
            .map(|(i, _)| i + 1)?
    };
    let pos = line_start + err.column().saturating_sub(1);
    let rest = body.get(pos..)?;
    let token = String::from_utf8_lossy(&rest[..rest.len().min(4)])
        .chars()
        .next()?;
    Some((pos, token))
}

/// strong-remoting's 400 for an object argument given as something else.
pub(crate) fn not_an_object() -> Error {
    Error::bad_request("Value is not an object.")
}

/// strong-remoting's 400 for an array body (`allowArray`) with an item that is not an object.
pub(crate) fn array_items_not_objects() -> Error {
    Error::bad_request("Some of array items are not an object.")
}

/// strong-remoting's 400 for a query value that looks like a JSON object but is not one.
pub(crate) fn unparsable_object_value() -> Error {
    Error::bad_request("Cannot parse JSON-encoded object value.")
}

/// strong-remoting's 400 for a required argument given as `null`.
pub(crate) fn required_argument(name: &str) -> Error {
    Error::bad_request(format!("{name} is a required argument"))
}

/// Express's 400 for a path parameter that does not percent-decode.
pub(crate) fn undecodable_param(raw: &str) -> Error {
    http_error(
        400,
        "URIError",
        None,
        format!("Failed to decode param '{raw}'"),
    )
}

/// Rewords an [`Error::NotFound`] with the message of the LB3 method that raised it, built
/// from the id (and keeps its code when `keep_code`); its status stays [`Error::status`]'s.
/// Other errors pass unchanged.
pub(crate) fn reword_not_found(
    err: Error,
    message: impl FnOnce(&str) -> String,
    keep_code: bool,
) -> Error {
    let Error::NotFound { id, .. } = &err else {
        return err;
    };
    http_error(
        err.status(),
        err.name(),
        if keep_code { err.code() } else { None },
        message(id),
    )
}

/// The status strong-error-handler answers with: the error's, or 500 when that is not an
/// error status.
fn response_status(err: &Error) -> StatusCode {
    match err.status() {
        s @ 400..=599 => StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// strong-error-handler's JSON body for `err`: `statusCode`, `name`, `message`, `code` and
/// `details` (validation errors) for 4xx; only `statusCode` and the status text for 5xx. In
/// debug mode every status shows its real name and message, and `stack` comes last.
pub(crate) fn error_body(err: &Error, debug: bool) -> (StatusCode, Json) {
    let status = response_status(err);
    let mut e = Map::new();
    e.insert("statusCode".into(), Json::from(status.as_u16()));
    if debug || status.is_client_error() {
        let message = err.to_string();
        e.insert("name".into(), Json::from(err.name()));
        e.insert("message".into(), Json::from(message.as_str()));
        if let Some(code) = err.code() {
            e.insert("code".into(), Json::from(code));
        }
        if let Some(v) = err.as_validation() {
            e.insert("details".into(), v.details());
        }
        if let Error::Auth(a) = err {
            if let Some(d) = a.details() {
                e.insert("details".into(), d);
            }
        }
        if debug {
            e.insert("stack".into(), Json::from(stack(err, &message)));
        }
    } else {
        let text = status.canonical_reason().unwrap_or("Unknown Error");
        e.insert("message".into(), Json::from(text));
    }
    let mut root = Map::new();
    root.insert("error".into(), Json::Object(e));
    (status, Json::Object(root))
}

/// What debug mode shows as `stack`: Rust errors carry no stack trace, so `name: message`
/// followed by the chain of sources.
fn stack(err: &Error, message: &str) -> String {
    let mut s = format!("{}: {message}", err.name());
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        s.push_str("\n    caused by: ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

/// The complete error response. A 5xx is also reported as an ERROR event (target
/// `loopback::rest`) with the error's name and message, in the request's span: its body hides
/// them outside debug mode.
pub(crate) fn error_response(err: &Error, debug: bool) -> Response<RestBody> {
    let (status, body) = error_body(err, debug);
    if status.is_server_error() {
        tracing::error!(
            target: super::trace::TARGET,
            status = status.as_u16(),
            error.name = err.name(),
            error.message = %err,
            "request failed"
        );
    }
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let mut res = Response::new(RestBody::new(bytes));
    *res.status_mut() = status;
    let headers = res.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn syntax_errors_are_worded_as_v8() {
        let body = br#"{"title":}"#;
        let e = serde_json::from_slice::<Json>(body).unwrap_err();
        assert_eq!(
            json_syntax(&e, body).to_string(),
            "Unexpected token } in JSON at position 9"
        );
        let body = b"{\"a\": 1,\n \"b\" 2}";
        let e = serde_json::from_slice::<Json>(body).unwrap_err();
        assert_eq!(
            json_syntax(&e, body).to_string(),
            "Unexpected token 2 in JSON at position 14"
        );
        let body = br#"{"title":"#;
        let e = serde_json::from_slice::<Json>(body).unwrap_err();
        assert_eq!(
            json_syntax(&e, body).to_string(),
            "Unexpected end of JSON input"
        );
    }

    #[test]
    fn five_hundreds_hide_their_message_unless_debugging() {
        let err = Error::Internal("boom".into());
        assert_eq!(
            error_body(&err, false).1,
            json!({"error": {"statusCode": 500, "message": "Internal Server Error"}})
        );
        assert_eq!(
            error_body(&err, true).1,
            json!({"error": {"statusCode": 500, "name": "Error",
                "message": "internal error: boom", "stack": "Error: internal error: boom"}})
        );
        let unavailable = Error::Unavailable("db down".into());
        assert_eq!(
            error_body(&unavailable, false).1,
            json!({"error": {"statusCode": 503, "message": "Service Unavailable"}})
        );
    }

    #[test]
    fn a_non_error_status_becomes_500() {
        let err = Error::http(302, "moved");
        let (status, body) = error_body(&err, false);
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            body,
            json!({"error": {"statusCode": 500, "message": "Internal Server Error"}})
        );
    }

    #[test]
    fn not_found_is_reworded_keeping_its_status() {
        let err = Error::NotFound {
            model: "Book".into(),
            id: "9".into(),
        };
        let e = reword_not_found(
            err,
            |id| format!("could not find a model with id {id}"),
            true,
        );
        assert_eq!(
            error_body(&e, false).1,
            json!({"error": {"statusCode": 404, "name": "Error",
                "message": "could not find a model with id 9", "code": "MODEL_NOT_FOUND"}})
        );
        let other = reword_not_found(Error::bad_request("x"), |_| "y".into(), false);
        assert_eq!(other.to_string(), "x");
    }
}
