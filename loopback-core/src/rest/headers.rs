//! [`SecurityHeaders`]: fixed response headers on every answer, as the `helmet` 3
//! middleware of an LB3 application's `middleware.json` sets them.

use http::header::{HeaderName, HeaderValue};
use http::HeaderMap;

/// The `X-Frame-Options` policy of [`SecurityHeaders::frameguard`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frameguard {
    /// `DENY`: no page may frame the answers.
    Deny,
    /// `SAMEORIGIN`: only pages of the same origin may (helmet's default).
    SameOrigin,
}

/// Response headers added to every answer of a [`RestApi`](super::RestApi): the API, errors,
/// the status, static files, the explorer and CORS preflights. They are what helmet 3's
/// middleware (`helmet#xssFilter`, `helmet#frameguard`, `helmet#hsts`, `helmet#ieNoOpen`,
/// `helmet#noSniff`, `helmet#noCache`, `helmet#hidePoweredBy`) send, and any other fixed
/// header with [`header`](Self::header).
///
/// As helmet sets them before the route runs, a header the answer sets itself wins (a change
/// stream keeps its `Cache-Control: no-cache, no-transform`).
///
/// ```
/// use loopback_core::rest::{http, Frameguard, RestApi, SecurityHeaders};
/// # fn demo(app: &loopback_core::App) {
/// let headers = SecurityHeaders::new()
///     .xss_filter()
///     .frameguard(Frameguard::Deny)
///     .hsts(15_552_000, true, false)
///     .ie_no_open()
///     .no_sniff()
///     .header(
///         http::HeaderName::from_static("referrer-policy"),
///         http::HeaderValue::from_static("no-referrer"),
///     );
/// let api = RestApi::builder(app).security_headers(headers).build();
/// # let _ = api; }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityHeaders {
    /// Headers set on every answer, in order; one entry per name.
    set: Vec<(HeaderName, HeaderValue)>,
    /// `X-XSS-Protection`'s value, and whether old Internet Explorers get it too.
    xss: Option<(HeaderValue, bool)>,
}

impl SecurityHeaders {
    /// No headers.
    pub fn new() -> Self {
        Self::default()
    }

    /// What the `initial` phase of LB3's generated `middleware.json` sends under helmet 3:
    /// `X-XSS-Protection: 1; mode=block`, `X-Frame-Options: SAMEORIGIN` (the file's
    /// `"params": ["deny"]` passes a string where helmet 3 reads `{action}`, so helmet keeps
    /// its default), `Strict-Transport-Security: max-age=0; includeSubDomains`,
    /// `X-Download-Options: noopen` and `X-Content-Type-Options: nosniff` (`noCache` is
    /// disabled there).
    pub fn lb3_scaffold() -> Self {
        SecurityHeaders::new()
            .xss_filter()
            .frameguard(Frameguard::SameOrigin)
            .hsts(0, true, false)
            .ie_no_open()
            .no_sniff()
    }

    /// Whether no header is set.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.xss.is_none()
    }

    /// Sets `name` to `value` on every answer (replacing an earlier value of this builder
    /// for the same name).
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.set.retain(|(n, _)| *n != name);
        self.set.push((name, value));
        self
    }

    /// helmet's `xssFilter()`: `X-XSS-Protection: 1; mode=block`, and `0` to Internet
    /// Explorer before 9 (whose filter could be abused).
    pub fn xss_filter(self) -> Self {
        self.xss_filter_value(HeaderValue::from_static("1; mode=block"), false)
    }

    /// `X-XSS-Protection: <value>`; with `set_on_old_ie` false, Internet Explorer before 9
    /// gets `0` instead (helmet's `setOnOldIE`).
    pub fn xss_filter_value(mut self, value: HeaderValue, set_on_old_ie: bool) -> Self {
        self.xss = Some((value, set_on_old_ie));
        self
    }

    /// helmet's `frameguard`: `X-Frame-Options`. (`ALLOW-FROM <origin>` can be set with
    /// [`header`](Self::header).)
    pub fn frameguard(self, action: Frameguard) -> Self {
        let v = match action {
            Frameguard::Deny => "DENY",
            Frameguard::SameOrigin => "SAMEORIGIN",
        };
        self.header(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static(v),
        )
    }

    /// helmet's `hsts`: `Strict-Transport-Security: max-age=<max_age>` with
    /// `; includeSubDomains` and `; preload` when asked (helmet's defaults: 180 days and
    /// sub-domains included). Browsers only honour it over HTTPS.
    pub fn hsts(self, max_age_secs: u64, include_sub_domains: bool, preload: bool) -> Self {
        let mut v = format!("max-age={max_age_secs}");
        if include_sub_domains {
            v.push_str("; includeSubDomains");
        }
        if preload {
            v.push_str("; preload");
        }
        match HeaderValue::from_str(&v) {
            Ok(v) => self.header(http::header::STRICT_TRANSPORT_SECURITY, v),
            Err(_) => self,
        }
    }

    /// helmet's `ieNoOpen`: `X-Download-Options: noopen`.
    pub fn ie_no_open(self) -> Self {
        self.header(
            HeaderName::from_static("x-download-options"),
            HeaderValue::from_static("noopen"),
        )
    }

    /// helmet's `noSniff`: `X-Content-Type-Options: nosniff`.
    pub fn no_sniff(self) -> Self {
        self.header(
            http::header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        )
    }

    /// helmet's `noCache`: `Surrogate-Control: no-store`, `Cache-Control: no-store,
    /// no-cache, must-revalidate, proxy-revalidate`, `Pragma: no-cache`, `Expires: 0`.
    pub fn no_cache(self) -> Self {
        self.header(
            HeaderName::from_static("surrogate-control"),
            HeaderValue::from_static("no-store"),
        )
        .header(
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store, no-cache, must-revalidate, proxy-revalidate"),
        )
        .header(http::header::PRAGMA, HeaderValue::from_static("no-cache"))
        .header(http::header::EXPIRES, HeaderValue::from_static("0"))
    }

    /// Adds the headers `res` does not set itself.
    pub(crate) fn apply(&self, request: &HeaderMap, res: &mut HeaderMap) {
        if let Some((value, on_old_ie)) = &self.xss {
            let name = http::header::X_XSS_PROTECTION;
            if !res.contains_key(&name) {
                let value = if !on_old_ie && is_old_ie(request) {
                    HeaderValue::from_static("0")
                } else {
                    value.clone()
                };
                res.insert(name, value);
            }
        }
        for (name, value) in &self.set {
            if !res.contains_key(name) {
                res.insert(name.clone(), value.clone());
            }
        }
    }
}

/// x-xss-protection's test: a `User-Agent` naming MSIE below 9 (`/msie\s*(\d{1,2})/i`).
fn is_old_ie(request: &HeaderMap) -> bool {
    let Some(ua) = request
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let lower = ua.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(i) = rest.find("msie") {
        let after = rest[i + 4..].trim_start_matches(|c: char| c.is_ascii_whitespace());
        let digits: String = after
            .chars()
            .take_while(char::is_ascii_digit)
            .take(2)
            .collect();
        if let Ok(v) = digits.parse::<u32>() {
            return v < 9;
        }
        rest = &rest[i + 4..];
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(h: &SecurityHeaders, ua: Option<&str>) -> HeaderMap {
        let mut req = HeaderMap::new();
        if let Some(ua) = ua {
            req.insert(http::header::USER_AGENT, HeaderValue::from_str(ua).unwrap());
        }
        let mut res = HeaderMap::new();
        h.apply(&req, &mut res);
        res
    }

    #[test]
    fn the_scaffold_headers_are_helmet_3s() {
        let res = applied(&SecurityHeaders::lb3_scaffold(), None);
        let got: Vec<(String, &str)> = res
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                ("x-xss-protection".to_owned(), "1; mode=block"),
                ("x-frame-options".to_owned(), "SAMEORIGIN"),
                (
                    "strict-transport-security".to_owned(),
                    "max-age=0; includeSubDomains"
                ),
                ("x-download-options".to_owned(), "noopen"),
                ("x-content-type-options".to_owned(), "nosniff"),
            ]
        );
    }

    #[test]
    fn old_internet_explorers_get_no_xss_filter() {
        let h = SecurityHeaders::new().xss_filter();
        for (ua, v) in [
            ("Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1)", "0"),
            ("Mozilla/4.0 (compatible; msie 6.0)", "0"),
            (
                "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1)",
                "1; mode=block",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0",
                "1; mode=block",
            ),
        ] {
            assert_eq!(applied(&h, Some(ua))["x-xss-protection"], v, "{ua}");
        }
        let h = SecurityHeaders::new().xss_filter_value(HeaderValue::from_static("1"), true);
        assert_eq!(applied(&h, Some("MSIE 7.0"))["x-xss-protection"], "1");
    }

    #[test]
    fn answers_keep_their_own_headers() {
        let h = SecurityHeaders::new()
            .no_cache()
            .frameguard(Frameguard::Deny);
        let mut res = HeaderMap::new();
        res.insert(
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache, no-transform"),
        );
        h.apply(&HeaderMap::new(), &mut res);
        assert_eq!(res["cache-control"], "no-cache, no-transform");
        assert_eq!(res["pragma"], "no-cache");
        assert_eq!(res["expires"], "0");
        assert_eq!(res["surrogate-control"], "no-store");
        assert_eq!(res["x-frame-options"], "DENY");
        let h = h
            .frameguard(Frameguard::SameOrigin)
            .hsts(15_552_000, false, true);
        let res = applied(&h, None);
        assert_eq!(res["x-frame-options"], "SAMEORIGIN");
        assert_eq!(
            res["strict-transport-security"],
            "max-age=15552000; preload"
        );
        assert!(!h.is_empty());
        assert!(SecurityHeaders::new().is_empty());
    }
}
