//! LB3's `loopback.status()`: `{"started": <ISO date>, "uptime": <seconds>}`, as the
//! scaffold's `boot/root.js` mounts it at `/` and the `loopback#status` middleware of
//! `middleware.json` mounts it at its paths.

use std::time::{Duration, SystemTime};

use http::Method;
use serde_json::{json, Value as Json};

use super::body::RestBody;
use super::output::json_response;
use super::routes::strip_mount;

/// Where the status answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StatusMount {
    /// `router.get(path, loopback.status())`: `GET` and `HEAD` of exactly `path`.
    Route(String),
    /// `app.use(path, loopback.status())`: every method, `path` and every path below it.
    Middleware(String),
}

impl StatusMount {
    fn answers(&self, method: &Method, path: &str) -> bool {
        match self {
            StatusMount::Route(p) => {
                (method == Method::GET || method == Method::HEAD)
                    && express_path_eq(path, p.trim_end_matches('/'))
            }
            StatusMount::Middleware(p) => strip_mount(path, p.trim_end_matches('/')).is_some(),
        }
    }
}

/// Express's non-strict route match: case-insensitive, one trailing slash ignored.
fn express_path_eq(path: &str, route: &str) -> bool {
    let path = path.strip_suffix('/').unwrap_or(path);
    path.eq_ignore_ascii_case(route)
}

/// The status answer, when one of `mounts` serves `method` on `path`.
pub(crate) fn respond(
    mounts: &[StatusMount],
    started: SystemTime,
    method: &Method,
    path: &str,
) -> Option<http::Response<RestBody>> {
    if !mounts.iter().any(|m| m.answers(method, path)) {
        return None;
    }
    Some(json_response(&body(started, SystemTime::now())))
}

/// `{"started": …, "uptime": …}` as LB3 writes it: the date in milliseconds, the uptime in
/// seconds with millisecond precision (a whole number of seconds without a fraction, as
/// JavaScript prints it).
pub(crate) fn body(started: SystemTime, now: SystemTime) -> Json {
    let started_at: chrono::DateTime<chrono::Utc> = started.into();
    let millis = now
        .duration_since(started)
        .unwrap_or(Duration::ZERO)
        .as_millis();
    let millis = u64::try_from(millis).unwrap_or(u64::MAX);
    let uptime = if millis % 1000 == 0 {
        json!(millis / 1000)
    } else {
        json!(millis as f64 / 1000.0)
    };
    json!({
        "started": started_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        "uptime": uptime,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_has_lb3_shape() {
        let started = SystemTime::UNIX_EPOCH + Duration::from_millis(1_402_027_609_750);
        let b = body(started, started + Duration::from_millis(9_394));
        assert_eq!(
            b,
            json!({"started": "2014-06-06T04:06:49.750Z", "uptime": 9.394})
        );
        assert_eq!(
            body(started, started + Duration::from_secs(2))["uptime"],
            json!(2)
        );
        // A clock going back never gives a negative uptime.
        assert_eq!(
            body(started, started - Duration::from_secs(1))["uptime"],
            json!(0)
        );
    }

    #[test]
    fn routes_and_middleware_match_as_express_does() {
        let route = StatusMount::Route("/".into());
        assert!(route.answers(&Method::GET, "/"));
        assert!(route.answers(&Method::HEAD, "/"));
        assert!(!route.answers(&Method::POST, "/"));
        assert!(!route.answers(&Method::GET, "/x"));
        let mw = StatusMount::Middleware("/status".into());
        assert!(mw.answers(&Method::GET, "/status"));
        assert!(mw.answers(&Method::POST, "/status/x"));
        assert!(mw.answers(&Method::GET, "/status/"));
        assert!(!mw.answers(&Method::GET, "/statusx"));
        assert!(!mw.answers(&Method::GET, "/"));
        let everywhere = StatusMount::Middleware("/".into());
        assert!(everywhere.answers(&Method::DELETE, "/anything"));
    }
}
