//! Signed cookies as Express's `cookie-parser` reads them (`req.signedCookies`), which is
//! the only place LB3's token middleware takes a cookie from.
//!
//! - The `Cookie` header is parsed as the `cookie` package (0.7) does: pairs split at `;`,
//!   names and values trimmed of spaces and tabs, one pair of surrounding double quotes
//!   removed, values containing `%` percent-decoded as `decodeURIComponent` does (kept as
//!   sent when that fails), and the first pair of a name wins.
//! - A signed value is `s:` + value + `.` + the base64 of HMAC-SHA256(secret, value) without
//!   its trailing `=` (the `cookie-signature` package). Each secret is tried in turn; the
//!   comparison is constant-time. A bad signature makes the cookie absent, not an error.
//! - An unsigned value starting with `j:` is JSON (`cookie-parser`'s `JSONCookie`): a JSON
//!   string stands for itself, any other truthy JSON value is not a string (so not a token).

use base64::Engine;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Signs `value` with `secret` as Express's `res.cookie(name, value, {signed: true})` does
/// (cookie-parser's secret, the `cookie-signature` package): `s:<value>.<signature>`, the
/// signature being the base64 HMAC-SHA256 of `value` keyed with `secret`, without padding.
///
/// The result only holds characters allowed in a cookie value when `value` does; Express
/// percent-encodes it in `Set-Cookie` (`s%3A…`), and both forms are read back.
///
/// ```
/// use loopback_core::rest::sign_cookie;
/// assert_eq!(
///     sign_cookie("abc", "secret"),
///     "s:abc.mUba1OAOkT/Ivo5dP34RCkqegy+D+wnDRShdeGONig4"
/// );
/// ```
pub fn sign_cookie(value: &str, secret: &str) -> String {
    format!("s:{value}.{}", signature(value, secret))
}

/// The unpadded base64 HMAC-SHA256 of `value` keyed with `secret`.
fn signature(value: &str, secret: &str) -> String {
    // HMAC takes keys of any length: `new_from_slice` never fails for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(value.as_bytes());
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(mac.finalize().into_bytes())
}

/// `cookie-signature`'s `unsign`: the value of `input` (`value.signature`, without the `s:`)
/// when one of `secrets` signed it.
fn unsign<'a>(input: &'a str, secrets: &[String]) -> Option<&'a str> {
    let dot = input.rfind('.')?;
    let value = &input[..dot];
    let found = secrets.iter().any(|secret| {
        let expected = format!("{value}.{}", signature(value, secret));
        expected.len() == input.len() && bool::from(expected.as_bytes().ct_eq(input.as_bytes()))
    });
    found.then_some(value)
}

/// The value of the signed cookie `name` in `headers` (cookie-parser's
/// `req.signedCookies[name]`), when it is a string: `None` when the cookie is absent, not
/// signed, signed with none of `secrets`, or JSON other than a string.
pub(crate) fn signed_cookie(headers: &HeaderMap, name: &str, secrets: &[String]) -> Option<String> {
    if secrets.is_empty() {
        return None;
    }
    let raw = cookie_value(headers, name)?;
    let signed = raw.strip_prefix("s:")?;
    let value = unsign(signed, secrets)?;
    json_cookie(value)
}

/// cookie-parser's `JSONCookie` applied to a value: a `j:` value that parses to a truthy
/// JSON value replaces it; only a string is a token.
fn json_cookie(value: &str) -> Option<String> {
    let Some(json) = value.strip_prefix("j:") else {
        return Some(value.to_owned());
    };
    use serde_json::Value as Json;
    match serde_json::from_str::<Json>(json) {
        Ok(Json::String(s)) if !s.is_empty() => Some(s),
        Ok(Json::Object(_) | Json::Array(_) | Json::Bool(true)) => None,
        Ok(Json::Number(n)) if n.as_f64().is_some_and(|f| f != 0.0) => None,
        // Falsy or not JSON: the value as it is.
        _ => Some(value.to_owned()),
    }
}

/// The value of the first cookie named `name` across the `Cookie` headers (Node joins
/// several with `; `), decoded as the `cookie` package does.
fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    let joined: Vec<&str> = headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let joined = joined.join("; ");
    let s = joined.as_str();
    if s.len() < 2 {
        return None;
    }
    let bytes = s.as_bytes();
    let trim_start = |mut i: usize, max: usize| {
        while i < max && matches!(bytes[i], b' ' | b'\t') {
            i += 1;
        }
        i
    };
    let trim_end = |mut i: usize, min: usize| {
        while i > min && matches!(bytes[i - 1], b' ' | b'\t') {
            i -= 1;
        }
        i
    };
    let mut index = 0;
    while index < s.len() {
        let Some(eq) = s[index..].find('=').map(|i| i + index) else {
            break;
        };
        let end = match s[index..].find(';').map(|i| i + index) {
            None => s.len(),
            Some(semi) if eq > semi => {
                // A pair without `=`: start again after the last `;` before this `=`.
                index = s[..eq].rfind(';').map_or(0, |i| i + 1);
                continue;
            }
            Some(semi) => semi,
        };
        let key_start = trim_start(index, eq);
        let key_end = trim_end(eq, key_start);
        if &s[key_start..key_end] == name {
            let mut v_start = trim_start(eq + 1, end);
            let mut v_end = trim_end(end, v_start);
            if v_end > v_start + 1 && bytes[v_start] == b'"' && bytes[v_end - 1] == b'"' {
                v_start += 1;
                v_end -= 1;
            }
            return Some(decode_uri_component(&s[v_start..v_end]));
        }
        index = end + 1;
    }
    None
}

/// `decodeURIComponent` for values containing `%`, falling back to the value as sent when a
/// `%` is not followed by two hex digits or the bytes are not UTF-8 (the `cookie` package's
/// `tryDecode`).
fn decode_uri_component(v: &str) -> String {
    if !v.contains('%') {
        return v.to_owned();
    }
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = |c: u8| (c as char).to_digit(16);
            match (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) => {
                    // Two hex digits are at most 0xff.
                    out.push(u8::try_from(h * 16 + l).unwrap_or_default());
                    i += 3;
                }
                _ => return v.to_owned(),
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    /// Produced with Node 20, `cookie-signature` 1.2.2 (the version cookie-parser 1.4.7 uses):
    /// `'s:' + require('cookie-signature').sign(value, secret)`.
    const VECTORS: &[(&str, &str, &str)] = &[
        (
            "abc",
            "secret",
            "s:abc.mUba1OAOkT/Ivo5dP34RCkqegy+D+wnDRShdeGONig4",
        ),
        (
            "7Gx3oVpd7LMRz9YBkTfNg4K2wq1hXQy8aJc0lEuZsWbFmIeRtyUiOp5nDvHk6S",
            "keyboard cat",
            "s:7Gx3oVpd7LMRz9YBkTfNg4K2wq1hXQy8aJc0lEuZsWbFmIeRtyUiOp5nDvHk6S.MaapuV+Mp6nu5YCoEdIbZaljpeoXvLYqfnPoS75FwY4",
        ),
        (
            "7Gx3oVpd7LMRz9YBkTfNg4K2wq1hXQy8aJc0lEuZsWbFmIeRtyUiOp5nDvHk6S",
            "second-secret",
            "s:7Gx3oVpd7LMRz9YBkTfNg4K2wq1hXQy8aJc0lEuZsWbFmIeRtyUiOp5nDvHk6S.vfqcFBdbaBcKtBbifPL3Zj6Rz7UmhRMfsA2XomeDrHc",
        ),
        ("", "s", "s:.ZOygfM5nkpw1fWPQpK7CB+d0gAQDKYkU/ATojOAqxJ8"),
        (
            "tok.with.dots",
            "päss",
            "s:tok.with.dots.9dC82uvo03N0SXaaK+LJPzZjh3iIjhkjwQGqMH6OGNo",
        ),
    ];

    fn headers(cookie: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::COOKIE, HeaderValue::from_str(cookie).unwrap());
        h
    }

    fn secrets(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn signatures_match_cookie_signature() {
        for (value, secret, signed) in VECTORS {
            assert_eq!(sign_cookie(value, secret), *signed, "{value} / {secret}");
            let back = unsign(&signed[2..], &secrets(&[secret]));
            assert_eq!(back, Some(*value));
        }
    }

    #[test]
    fn signed_cookies_are_read_encoded_or_not() {
        let (value, secret, signed) = VECTORS[1];
        let s = secrets(&[secret]);
        // As Express's `res.cookie` sends it: percent-encoded.
        let encoded = signed
            .replace(':', "%3A")
            .replace('/', "%2F")
            .replace('+', "%2B");
        for cookie in [
            format!("access_token={encoded}"),
            format!("access_token={signed}"),
            format!("a=b; access_token=\"{encoded}\"; c=d"),
            format!(" access_token = {signed} ;x=1"),
        ] {
            assert_eq!(
                signed_cookie(&headers(&cookie), "access_token", &s).as_deref(),
                Some(value),
                "{cookie}"
            );
        }
    }

    #[test]
    fn bad_or_missing_signatures_are_no_cookie() {
        let (value, secret, signed) = VECTORS[1];
        let s = secrets(&[secret]);
        let tampered = format!("{}A", &signed[..signed.len() - 1]);
        for cookie in [
            format!("access_token={value}"),
            format!("access_token={tampered}"),
            format!("access_token={signed}x"),
            format!("access_token={}", &signed[2..]),
            format!("access_token=s:{value}"),
            "access_token=s:".to_owned(),
            "access_token=".to_owned(),
            format!("other={signed}"),
        ] {
            assert_eq!(
                signed_cookie(&headers(&cookie), "access_token", &s),
                None,
                "{cookie}"
            );
        }
        // No secret: nothing is read.
        assert_eq!(
            signed_cookie(
                &headers(&format!("access_token={signed}")),
                "access_token",
                &[]
            ),
            None
        );
        // Signed with another secret.
        assert_eq!(
            signed_cookie(
                &headers(&format!("access_token={signed}")),
                "access_token",
                &secrets(&["nope"])
            ),
            None
        );
    }

    #[test]
    fn every_secret_verifies() {
        let (value, _, first) = VECTORS[1];
        let (_, _, second) = VECTORS[2];
        let s = secrets(&["keyboard cat", "second-secret"]);
        for signed in [first, second] {
            let h = headers(&format!("access_token={signed}"));
            assert_eq!(
                signed_cookie(&h, "access_token", &s).as_deref(),
                Some(value)
            );
        }
    }

    #[test]
    fn the_first_cookie_of_a_name_wins() {
        let (value, secret, signed) = VECTORS[0];
        let s = secrets(&[secret]);
        let h = headers(&format!("access_token={signed}; access_token=s:x.y"));
        assert_eq!(
            signed_cookie(&h, "access_token", &s).as_deref(),
            Some(value)
        );
        let h = headers(&format!("access_token=s:x.y; access_token={signed}"));
        assert_eq!(signed_cookie(&h, "access_token", &s), None);
        // Several Cookie headers are one list.
        let mut h = HeaderMap::new();
        h.append(http::header::COOKIE, HeaderValue::from_static("a=1"));
        h.append(
            http::header::COOKIE,
            HeaderValue::from_str(&format!("access_token={signed}")).unwrap(),
        );
        assert_eq!(
            signed_cookie(&h, "access_token", &s).as_deref(),
            Some(value)
        );
        // A pair without `=` does not swallow the next one.
        let h = headers(&format!("junk; access_token={signed}"));
        assert_eq!(
            signed_cookie(&h, "access_token", &s).as_deref(),
            Some(value)
        );
    }

    #[test]
    fn json_values_are_tokens_only_when_strings() {
        let s = secrets(&["k"]);
        let check =
            |v: &str| signed_cookie(&headers(&format!("t={}", sign_cookie(v, "k"))), "t", &s);
        assert_eq!(check(r#"j:"tok""#).as_deref(), Some("tok"));
        assert_eq!(check(r#"j:{"a":1}"#), None);
        assert_eq!(check("j:[1]"), None);
        assert_eq!(check("j:12"), None);
        assert_eq!(check("j:null").as_deref(), Some("j:null"));
        assert_eq!(check("j:nope").as_deref(), Some("j:nope"));
    }

    #[test]
    fn percent_decoding_is_decode_uri_component() {
        assert_eq!(decode_uri_component("a%20b"), "a b");
        assert_eq!(decode_uri_component("caf%C3%A9"), "café");
        assert_eq!(decode_uri_component("100%"), "100%");
        assert_eq!(decode_uri_component("%zz%20"), "%zz%20");
        assert_eq!(decode_uri_component("%FF"), "%FF");
        assert_eq!(decode_uri_component("plain+"), "plain+");
    }
}
