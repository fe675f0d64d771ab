//! [`Compression`]: gzip and deflate response bodies, as Express's `compression` middleware
//! (1.8) does.

use std::io::Write;

use bytes::Bytes;
use http::header::{
    HeaderValue, ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE,
    VARY,
};
use http::{HeaderMap, Method, Response, StatusCode};

use super::body::RestBody;

/// compression's default `threshold` (`1kb`).
const DEFAULT_THRESHOLD: usize = 1024;

/// Compresses response bodies the client accepts compressed: what the `compression`
/// middleware of an LB3 application's `middleware.json` does, with gzip and deflate
/// (Brotli is not offered; a client asking only for `br` gets the body as it is).
///
/// An answer is compressed when its `Content-Type` is compressible (`text/*`, JSON, XML,
/// JavaScript, … as the `compressible` package says), it has no `Cache-Control:
/// no-transform` and no `Content-Encoding` of its own, its body is at least the threshold
/// (default 1 KiB) and the request is not `HEAD`, and `Accept-Encoding` picks `gzip` or
/// `deflate` (gzip when the client rates them equally; no `Accept-Encoding` means the body
/// as it is). Every answer of a compressible type without `no-transform` gets
/// `Vary: Accept-Encoding`, compressed or not, as in LB3. Change streams
/// (`text/event-stream`) are never compressed.
///
/// ```
/// use loopback_core::rest::{Compression, RestApi};
/// # fn demo(app: &loopback_core::App) {
/// let api = RestApi::builder(app)
///     .compression(Compression::new().threshold(512))
///     .build();
/// # let _ = api; }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compression {
    threshold: usize,
    level: u32,
}

impl Default for Compression {
    fn default() -> Self {
        Compression {
            threshold: DEFAULT_THRESHOLD,
            level: 6,
        }
    }
}

impl Compression {
    /// compression's defaults: bodies of 1 KiB and more, zlib's level 6.
    pub fn new() -> Self {
        Self::default()
    }

    /// The smallest body compressed, in bytes (compression's `threshold`, default 1024).
    pub fn threshold(mut self, bytes: usize) -> Self {
        self.threshold = bytes;
        self
    }

    /// The zlib compression level, 0 (none) to 9 (smallest); larger values are 9
    /// (compression's `level`, default 6).
    pub fn level(mut self, level: u32) -> Self {
        self.level = level.min(9);
        self
    }

    /// Compresses `res` (the answer to a request with `method` and `request` headers) when
    /// it should be, and says it varies with `Accept-Encoding` when it may.
    pub(crate) fn apply(&self, method: &Method, request: &HeaderMap, res: &mut Response<RestBody>) {
        let headers = res.headers();
        let compressible_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(compressible);
        if !compressible_type || no_transform(headers) {
            return;
        }
        add_vary(res.headers_mut());
        let status = res.status();
        if status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED
            || status.is_informational()
            || method == Method::HEAD
            || res.body().is_stream()
        {
            return;
        }
        let headers = res.headers();
        let len = headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or_else(|| res.body().as_bytes().len());
        if len < self.threshold || res.body().as_bytes().is_empty() {
            return;
        }
        let encoded = headers
            .get(CONTENT_ENCODING)
            .is_some_and(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"));
        if encoded {
            return;
        }
        let accept: Vec<&str> = request
            .get_all(ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let accept = accept.join(", ");
        if accept.trim().is_empty() {
            return;
        }
        let Some(coding) = negotiate(&accept) else {
            return;
        };
        let level = flate2::Compression::new(self.level);
        let data = res.body().as_bytes();
        let out = match coding {
            Coding::Gzip => {
                let mut e =
                    flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 4), level);
                e.write_all(data).and_then(|()| e.finish())
            }
            Coding::Deflate => {
                let mut e =
                    flate2::write::ZlibEncoder::new(Vec::with_capacity(data.len() / 4), level);
                e.write_all(data).and_then(|()| e.finish())
            }
        };
        // Writing to a Vec does not fail; if it did, the body is sent as it is.
        let Ok(out) = out else { return };
        let headers = res.headers_mut();
        headers.insert(
            CONTENT_ENCODING,
            HeaderValue::from_static(match coding {
                Coding::Gzip => "gzip",
                Coding::Deflate => "deflate",
            }),
        );
        headers.remove(CONTENT_LENGTH);
        *res.body_mut() = RestBody::new(Bytes::from(out));
    }
}

/// The content codings offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Gzip,
    Deflate,
}

/// `Cache-Control` has `no-transform` (`/(?:^|,)\s*?no-transform\s*?(?:,|$)/i`).
fn no_transform(headers: &HeaderMap) -> bool {
    headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|d| d.trim().eq_ignore_ascii_case("no-transform"))
}

/// Appends `Accept-Encoding` to `Vary` (the `vary` package): nothing when it is listed or
/// `Vary` is `*`.
fn add_vary(headers: &mut HeaderMap) {
    let current: Vec<String> = headers
        .get_all(VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect();
    let fields: Vec<&str> = current
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .collect();
    if fields
        .iter()
        .any(|f| *f == "*" || f.eq_ignore_ascii_case("accept-encoding"))
    {
        return;
    }
    let value = if current.is_empty() {
        "Accept-Encoding".to_owned()
    } else {
        format!("{}, Accept-Encoding", current.join(", "))
    };
    if let Ok(v) = HeaderValue::from_str(&value) {
        headers.insert(VARY, v);
    }
}

/// The `compressible` package's verdict on a `Content-Type`: mime-db's flag, else
/// `text/*`, `+json`, `+text` and `+xml` types.
fn compressible(content_type: &str) -> bool {
    /// Types mime-db marks compressible that the pattern below does not cover.
    const LISTED: &[&str] = &[
        "application/dart",
        "application/ecmascript",
        "application/javascript",
        "application/json",
        "application/octet-stream",
        "application/postscript",
        "application/raml+yaml",
        "application/rtf",
        "application/tar",
        "application/toml",
        "application/vnd.dart",
        "application/vnd.ms-fontobject",
        "application/vnd.ms-opentype",
        "application/wasm",
        "application/x-httpd-php",
        "application/x-javascript",
        "application/x-ns-proxy-autoconfig",
        "application/x-sh",
        "application/x-tar",
        "application/x-www-form-urlencoded",
        "application/xml",
        "application/xml-dtd",
        "font/otf",
        "font/ttf",
        "image/bmp",
        "image/vnd.adobe.photoshop",
        "image/vnd.microsoft.icon",
        "image/vnd.ms-dds",
        "image/x-icon",
        "image/x-ms-bmp",
        "message/rfc822",
        "model/gltf-binary",
        "x-shader/x-fragment",
        "x-shader/x-vertex",
    ];
    let mime = content_type
        .trim_start()
        .split(|c: char| c == ';' || c.is_whitespace())
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if mime.is_empty() {
        return false;
    }
    LISTED.contains(&mime.as_str())
        || mime.starts_with("text/")
        || mime.ends_with("+json")
        || mime.ends_with("+text")
        || mime.ends_with("+xml")
}

/// One entry of `Accept-Encoding`.
struct Accepted {
    coding: String,
    q: f64,
    /// Its position in the header.
    index: usize,
}

/// negotiator 0.6's `encoding(['gzip', 'deflate', 'identity'], ['gzip'])` as `compression`
/// asks it: the best coding the client accepts, `None` for identity or nothing acceptable.
fn negotiate(accept: &str) -> Option<Coding> {
    let mut accepted: Vec<Accepted> = Vec::new();
    let mut min_q = 1.0_f64;
    let mut has_identity = false;
    let parts: Vec<&str> = accept.split(',').collect();
    for (i, part) in parts.iter().enumerate() {
        let part = part.trim();
        let (coding, params) = match part.split_once(';') {
            Some((c, p)) => (c.trim(), Some(p)),
            None => (part, None),
        };
        if coding.is_empty() || coding.contains(char::is_whitespace) {
            continue;
        }
        let mut q = 1.0;
        if let Some(params) = params {
            for p in params.split(';') {
                let mut kv = p.trim().splitn(2, '=');
                if kv.next() == Some("q") {
                    q = parse_float(kv.next().unwrap_or_default());
                    break;
                }
            }
        }
        has_identity |= coding.eq_ignore_ascii_case("identity") || coding == "*";
        // JavaScript's `encoding.q || 1`: 0 and NaN count as 1 here.
        min_q = min_q.min(if q == 0.0 || q.is_nan() { 1.0 } else { q });
        accepted.push(Accepted {
            coding: coding.to_owned(),
            q,
            index: i,
        });
    }
    if !has_identity {
        accepted.push(Accepted {
            coding: "identity".into(),
            q: min_q,
            index: parts.len(),
        });
    }
    /// A provided coding's best match: specificity, quality, position.
    struct Priority {
        provided: usize,
        s: u8,
        q: f64,
        o: isize,
    }
    let provided = ["gzip", "deflate", "identity"];
    let mut priorities: Vec<Priority> = provided
        .iter()
        .enumerate()
        .map(|(pi, name)| {
            let mut best = Priority {
                provided: pi,
                s: 0,
                q: 0.0,
                o: -1,
            };
            for a in &accepted {
                let s = if a.coding.eq_ignore_ascii_case(name) {
                    1
                } else if a.coding == "*" {
                    0
                } else {
                    continue;
                };
                let o = isize::try_from(a.index).unwrap_or(isize::MAX);
                // `(best.s - s || best.q - q || best.o - o) < 0`
                let better = match best.s.cmp(&s) {
                    std::cmp::Ordering::Less => true,
                    std::cmp::Ordering::Greater => false,
                    std::cmp::Ordering::Equal => {
                        let dq = best.q - a.q;
                        if dq != 0.0 && !dq.is_nan() {
                            dq < 0.0
                        } else {
                            best.o < o
                        }
                    }
                };
                if better {
                    best = Priority {
                        provided: pi,
                        s,
                        q: a.q,
                        o,
                    };
                }
            }
            best
        })
        .filter(|p| p.q > 0.0)
        .collect();
    // With the preferred list `['gzip']`: quality first, then gzip, then specificity and
    // position (a stable sort, as V8's).
    priorities.sort_by(|a, b| {
        use std::cmp::Ordering;
        if a.q != b.q {
            return b.q.partial_cmp(&a.q).unwrap_or(Ordering::Equal);
        }
        let ap = a.provided == 0;
        let bp = b.provided == 0;
        match (ap, bp) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => {
                b.s.cmp(&a.s)
                    .then(a.o.cmp(&b.o))
                    .then(a.provided.cmp(&b.provided))
            }
        }
    });
    match priorities.first().map(|p| p.provided) {
        Some(0) => Some(Coding::Gzip),
        Some(1) => Some(Coding::Deflate),
        _ => None,
    }
}

/// JavaScript's `parseFloat`: the longest numeric prefix, NaN without one.
fn parse_float(s: &str) -> f64 {
    let s = s.trim_start();
    let mut end = 0;
    let mut seen_dot = false;
    for (i, c) in s.char_indices() {
        match c {
            '0'..='9' => end = i + 1,
            '.' if !seen_dot => seen_dot = true,
            '+' | '-' if i == 0 => {}
            _ => break,
        }
    }
    s[..end].parse().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn response(content_type: Option<&str>, body: &str) -> Response<RestBody> {
        let mut res = Response::new(RestBody::new(body.to_owned()));
        if let Some(t) = content_type {
            res.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_str(t).unwrap());
        }
        res
    }

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        h
    }

    fn gunzip(b: &[u8]) -> String {
        let mut s = String::new();
        flate2::read::GzDecoder::new(b)
            .read_to_string(&mut s)
            .unwrap();
        s
    }

    fn big_list() -> String {
        let items: Vec<serde_json::Value> = (0..100)
            .map(|i| serde_json::json!({"id": i, "title": format!("Book number {i} with a fairly long title")}))
            .collect();
        serde_json::to_string(&items).unwrap()
    }

    #[test]
    fn negotiation_follows_negotiator() {
        for (header, want) in [
            ("gzip", Some(Coding::Gzip)),
            ("gzip, deflate", Some(Coding::Gzip)),
            ("deflate, gzip", Some(Coding::Gzip)),
            ("deflate", Some(Coding::Deflate)),
            ("gzip;q=0.5, deflate", Some(Coding::Deflate)),
            ("gzip;q=0, deflate;q=0.1", Some(Coding::Deflate)),
            ("br", None),
            ("identity", None),
            ("*", Some(Coding::Gzip)),
            ("*;q=0.5, deflate", Some(Coding::Deflate)),
            ("gzip;q=0", None),
            ("GZIP", Some(Coding::Gzip)),
            ("identity;q=1, gzip;q=0.5", None),
            ("x-gzip", None),
            ("gzip;q=nope", None),
        ] {
            assert_eq!(negotiate(header), want, "{header}");
        }
    }

    #[test]
    fn large_bodies_are_gzipped_and_decode_to_the_same_json() {
        let body = big_list();
        let mut res = response(Some("application/json; charset=utf-8"), &body);
        res.headers_mut()
            .insert(VARY, HeaderValue::from_static("Origin"));
        Compression::new().apply(&Method::GET, &accept("gzip, deflate, br"), &mut res);
        assert_eq!(res.headers()[CONTENT_ENCODING], "gzip");
        assert_eq!(res.headers()[VARY], "Origin, Accept-Encoding");
        assert!(res.headers().get(CONTENT_LENGTH).is_none());
        let zipped = res.body().as_bytes();
        assert!(zipped.len() < body.len() / 4, "{}", zipped.len());
        let back: serde_json::Value = serde_json::from_str(&gunzip(zipped)).unwrap();
        assert_eq!(
            back,
            serde_json::from_str::<serde_json::Value>(&body).unwrap()
        );

        let mut res = response(Some("application/json"), &body);
        Compression::new()
            .level(1)
            .apply(&Method::GET, &accept("deflate"), &mut res);
        assert_eq!(res.headers()[CONTENT_ENCODING], "deflate");
        let mut s = String::new();
        flate2::read::ZlibDecoder::new(res.body().as_bytes())
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, body);
    }

    #[test]
    fn what_is_left_alone() {
        let body = big_list();
        let c = Compression::new();
        let untouched = |res: &Response<RestBody>, vary: bool| {
            assert!(res.headers().get(CONTENT_ENCODING).is_none());
            assert_eq!(res.headers().get(VARY).is_some(), vary);
        };
        // Small: not compressed, but it varies.
        let mut res = response(Some("application/json; charset=utf-8"), "{\"count\":40}");
        c.apply(&Method::GET, &accept("gzip"), &mut res);
        untouched(&res, true);
        assert_eq!(res.body().as_bytes(), b"{\"count\":40}");
        // At the threshold exactly: compressed.
        let mut res = response(Some("text/plain"), &"a".repeat(1024));
        c.apply(&Method::GET, &accept("gzip"), &mut res);
        assert_eq!(res.headers()[CONTENT_ENCODING], "gzip");
        // No Accept-Encoding, or an empty one: identity.
        for req in [HeaderMap::new(), accept("")] {
            let mut res = response(Some("application/json"), &body);
            c.apply(&Method::GET, &req, &mut res);
            untouched(&res, true);
            assert_eq!(res.body().as_bytes(), body.as_bytes());
        }
        // HEAD keeps its GET length.
        let mut res = response(Some("application/json"), "");
        res.headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        c.apply(&Method::HEAD, &accept("gzip"), &mut res);
        untouched(&res, true);
        assert_eq!(
            res.headers()[CONTENT_LENGTH],
            body.len().to_string().as_str()
        );
        // 204.
        let mut res = response(Some("application/json"), "");
        *res.status_mut() = StatusCode::NO_CONTENT;
        c.apply(&Method::DELETE, &accept("gzip"), &mut res);
        untouched(&res, true);
        // Not a compressible type, or none.
        for t in [Some("image/png"), None] {
            let mut res = response(t, &body);
            c.apply(&Method::GET, &accept("gzip"), &mut res);
            untouched(&res, false);
        }
        // no-transform, or already encoded (a change stream says both).
        let mut res = response(Some("text/event-stream"), &body);
        res.headers_mut().insert(
            CACHE_CONTROL,
            HeaderValue::from_static("no-cache, no-transform"),
        );
        c.apply(&Method::GET, &accept("gzip"), &mut res);
        untouched(&res, false);
        let mut res = response(Some("text/plain"), &body);
        res.headers_mut().insert(
            CONTENT_ENCODING,
            HeaderValue::from_static("x-no-compression"),
        );
        c.apply(&Method::GET, &accept("gzip"), &mut res);
        assert_eq!(res.headers()[CONTENT_ENCODING], "x-no-compression");
        assert_eq!(res.body().as_bytes(), body.as_bytes());
        // A stream is never buffered to be compressed.
        let mut res = Response::new(RestBody::stream(futures::stream::iter(vec![Bytes::from(
            body.clone(),
        )])));
        res.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
        c.apply(&Method::GET, &accept("gzip"), &mut res);
        assert!(res.headers().get(CONTENT_ENCODING).is_none());
        assert!(res.body().is_stream());
        // A larger threshold.
        let mut res = response(Some("application/json"), &body);
        Compression::new()
            .threshold(body.len() + 1)
            .apply(&Method::GET, &accept("gzip"), &mut res);
        untouched(&res, true);
    }

    #[test]
    fn vary_is_appended_once() {
        let mut h = HeaderMap::new();
        add_vary(&mut h);
        assert_eq!(h[VARY], "Accept-Encoding");
        add_vary(&mut h);
        assert_eq!(h[VARY], "Accept-Encoding");
        let mut h = HeaderMap::new();
        h.insert(VARY, HeaderValue::from_static("*"));
        add_vary(&mut h);
        assert_eq!(h[VARY], "*");
    }

    #[test]
    fn compressible_types() {
        for t in [
            "application/json; charset=utf-8",
            "text/html; charset=UTF-8",
            "text/event-stream",
            "application/vnd.api+json",
            "image/svg+xml",
            "application/javascript",
            "TEXT/PLAIN",
        ] {
            assert!(compressible(t), "{t}");
        }
        for t in [
            "image/png",
            "application/zip",
            "",
            "video/mp4",
            "application/pdf",
        ] {
            assert!(!compressible(t), "{t}");
        }
    }
}
