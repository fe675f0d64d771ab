//! The HTTP middleware of `middleware.json` that loopback-rs provides without JavaScript:
//! `cookie-parser` (signed cookies carry access tokens, plain ones never do), helmet 3's
//! headers and `compression`. The expected headers were recorded from LoopBack 3.28 with
//! helmet 3.23.3, compression 1.8.2 and cookie-parser 1.4.7 on Node 20.

#![cfg(all(feature = "rest", feature = "memory"))]

mod app_folder;
mod boot_support;
mod rest_support;

use std::path::Path;

use app_folder::{copy_app, edit_json};
use boot_support::{
    assert_problem, express_signed, opts, problems, reader_token, warnings_of, EXAMPLE,
};
use loopback::boot;
use loopback::rest::http::{Method, Request};
use loopback::rest::{sign_cookie, Compression, Frameguard, SecurityHeaders};
use loopback::rest::{RestApi, TokenLookup};
use loopback::{record, Options};
use rest_support::call;
use serde_json::{json, Value as Json};

/// The example folder with `middleware.json` changed by `f`.
fn app_with(f: impl FnOnce(&mut Json)) -> tempfile::TempDir {
    let dir = copy_app(EXAMPLE);
    edit_json(dir.path(), "server/middleware.json", f);
    dir
}

async fn boot_dir(dir: &Path) -> boot::Booted {
    boot::boot(dir, &opts()).await.expect("boots")
}

/// The status of `GET /api/readers/me` with `cookie` (a protected route: 401 anonymous).
async fn me(api: &RestApi, cookie: &str) -> u16 {
    let req = Request::get("/api/readers/me")
        .header("cookie", cookie)
        .body(String::new())
        .unwrap();
    call(api, req).await.status.as_u16()
}

#[tokio::test]
async fn cookie_vectors_match_cookie_signature() {
    // `'s:' + require('cookie-signature').sign(value, secret)` on Node 20.
    assert_eq!(
        sign_cookie("abc", "secret"),
        "s:abc.mUba1OAOkT/Ivo5dP34RCkqegy+D+wnDRShdeGONig4"
    );
    assert_eq!(
        sign_cookie(
            "7Gx3oVpd7LMRz9YBkTfNg4K2wq1hXQy8aJc0lEuZsWbFmIeRtyUiOp5nDvHk6S",
            "keyboard cat"
        ),
        "s:7Gx3oVpd7LMRz9YBkTfNg4K2wq1hXQy8aJc0lEuZsWbFmIeRtyUiOp5nDvHk6S.MaapuV+Mp6nu5YCoEdIbZaljpeoXvLYqfnPoS75FwY4"
    );
}

#[tokio::test]
async fn a_signed_cookie_carries_the_token_and_a_plain_one_does_not() {
    let dir = app_with(|v| {
        v["session"]["cookie-parser"] = json!({"params": "keyboard cat"});
    });
    let booted = boot_dir(dir.path()).await;
    let warnings = warnings_of(&booted);
    assert!(
        !warnings.iter().any(|w| w.contains("cookie-parser")),
        "{warnings:#?}"
    );
    let api = booted.rest_api();
    let t = reader_token(&api, "c").await;
    let signed = sign_cookie(&t, "keyboard cat");
    // Signed, as Express sends it (percent-encoded) or not, under either default name.
    assert_eq!(
        me(
            &api,
            &format!("access_token={}", express_signed(&t, "keyboard cat"))
        )
        .await,
        200
    );
    assert_eq!(me(&api, &format!("access_token={signed}")).await, 200);
    assert_eq!(me(&api, &format!("x=1; authorization={signed}")).await, 200);
    // Unsigned: ignored, so the caller is anonymous.
    assert_eq!(me(&api, &format!("access_token={t}")).await, 401);
    assert_eq!(me(&api, &format!("access_token=s:{t}")).await, 401);
    // A tampered signature or value, or another secret's signature: ignored.
    let tampered_sig = format!(
        "{}{}",
        &signed[..signed.len() - 1],
        if signed.ends_with('A') { "B" } else { "A" }
    );
    assert_eq!(me(&api, &format!("access_token={tampered_sig}")).await, 401);
    let tampered_value = signed.replacen(&t[..4], "AAAA", 1);
    assert_ne!(tampered_value, signed);
    assert_eq!(
        me(&api, &format!("access_token={tampered_value}")).await,
        401
    );
    let other = sign_cookie(&t, "another secret");
    assert_eq!(me(&api, &format!("access_token={other}")).await, 401);
    // A bad first cookie does not hide a good one of the other name.
    assert_eq!(
        me(
            &api,
            &format!("access_token={tampered_sig}; authorization={signed}")
        )
        .await,
        200
    );
    // Without a secret in Rust, no cookie is read; with one, signed ones are.
    let no_secret = booted
        .rest_builder()
        .token_lookup(TokenLookup::new())
        .build();
    assert_eq!(me(&no_secret, &format!("access_token={signed}")).await, 401);
    let rust = booted
        .rest_builder()
        .token_lookup(TokenLookup::new().cookie_secrets(["keyboard cat"]))
        .build();
    assert_eq!(me(&rust, &format!("access_token={signed}")).await, 200);
}

#[tokio::test]
async fn without_a_secret_cookies_are_never_read() {
    // The example has no cookie-parser: as a stock LB3 app, no cookie authenticates.
    let booted = boot::boot(Path::new(EXAMPLE), &opts()).await.unwrap();
    assert!(booted.plan().http().token.cookie_secrets.is_empty());
    let api = booted.rest_api();
    let t = reader_token(&api, "c").await;
    for secret in ["keyboard cat", ""] {
        let signed = sign_cookie(&t, secret);
        assert_eq!(me(&api, &format!("access_token={signed}")).await, 401);
    }
    assert_eq!(me(&api, &format!("access_token={t}")).await, 401);
    assert_eq!(me(&api, &format!("authorization={t}")).await, 401);
    // The header still works.
    let req = Request::get("/api/readers/me")
        .header("authorization", t.as_str())
        .body(String::new())
        .unwrap();
    assert_eq!(call(&api, req).await.status, 200);

    // cookie-parser without a secret (or an empty one) sets no signed cookies either.
    for params in [json!(null), json!(""), json!([""]), json!([[""]])] {
        let dir = app_with(|v| {
            v["initial"]["cookie-parser"] = json!({"params": params});
        });
        let booted = boot_dir(dir.path()).await;
        assert!(booted.plan().http().token.cookie_secrets.is_empty());
        let api = booted.rest_api();
        let t = reader_token(&api, "c").await;
        let signed = sign_cookie(&t, "");
        assert_eq!(me(&api, &format!("access_token={signed}")).await, 401);
    }
}

#[tokio::test]
async fn every_secret_of_the_list_verifies_for_rotation() {
    // cookie-parser(["new", "old"]): loopback-boot spreads `params`, so the list is nested.
    let dir = app_with(|v| {
        v["initial"]["cookie-parser"] = json!({"params": [["new secret", "old secret"]]});
    });
    let booted = boot_dir(dir.path()).await;
    assert_eq!(
        booted.plan().http().token.cookie_secrets,
        ["new secret", "old secret"]
    );
    // Secrets stay out of debug output.
    let debug = format!("{:?}", booted.plan().http());
    assert!(!debug.contains("old secret"), "{debug}");
    let api = booted.rest_api();
    let t = reader_token(&api, "c").await;
    for secret in ["new secret", "old secret"] {
        let c = format!("access_token={}", express_signed(&t, secret));
        assert_eq!(me(&api, &c).await, 200, "{secret}");
    }
    let c = format!("access_token={}", express_signed(&t, "older secret"));
    assert_eq!(me(&api, &c).await, 401);

    // `["a", "b"]` is cookie-parser("a", "b"): "b" is its options, not a secret (as in LB3),
    // which is reported.
    let dir = app_with(|v| {
        v["initial"]["cookie-parser"] = json!({"params": ["new secret", "old secret"]});
    });
    let booted = boot_dir(dir.path()).await;
    let warnings = warnings_of(&booted);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("initial.cookie-parser") && w.contains("[[")),
        "{warnings:#?}"
    );
    let api = booted.rest_api();
    let t = reader_token(&api, "c").await;
    let c = format!("access_token={}", express_signed(&t, "new secret"));
    assert_eq!(me(&api, &c).await, 200);
    let c = format!("access_token={}", express_signed(&t, "old secret"));
    assert_eq!(me(&api, &c).await, 401);
}

#[tokio::test]
async fn cookie_parser_after_the_token_middleware_reads_no_cookie() {
    // In LB3 `loopback#token` (phase `auth`) has already looked for the token when a
    // cookie-parser of phase `parse` runs: cookies carry none, which is reported.
    let dir = app_with(|v| {
        v["parse"]["cookie-parser"] = json!({"params": "keyboard cat"});
    });
    let booted = boot_dir(dir.path()).await;
    let warnings = warnings_of(&booted);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("parse.cookie-parser") && w.contains("runs after the token")),
        "{warnings:#?}"
    );
    let api = booted.rest_api();
    let t = reader_token(&api, "c").await;
    let c = format!("access_token={}", sign_cookie(&t, "keyboard cat"));
    assert_eq!(me(&api, &c).await, 401);
}

#[tokio::test]
async fn bad_cookie_parser_params_are_problems_at_their_key() {
    for params in [
        json!({"secret": "x"}),
        json!([1]),
        json!([["a", 2]]),
        json!(true),
    ] {
        let dir = app_with(|v| {
            v["initial"]["cookie-parser"] = json!({"params": params});
        });
        let found = problems(dir.path()).await;
        assert_problem(
            &found,
            &["middleware.json", "initial.cookie-parser.params", "secret"],
        );
    }
}

/// The LB3 generator's `initial` phase (helmet and compression included).
fn scaffold_initial(v: &mut Json) {
    v["initial"] = json!({
        "compression": {},
        "cors": {"params": {"origin": true, "credentials": true, "maxAge": 86400}},
        "helmet#xssFilter": {},
        "helmet#frameguard": {"params": ["deny"]},
        "helmet#hsts": {"params": {"maxAge": 0, "includeSubDomains": true}},
        "helmet#hidePoweredBy": {},
        "helmet#ieNoOpen": {},
        "helmet#noSniff": {},
        "helmet#noCache": {"enabled": false}
    });
}

/// Request headers of a test case.
type Headers<'a> = &'a [(&'a str, &'a str)];

/// The headers LB3 sent with the scaffold's helmet entries, on every answer.
const SCAFFOLD_HEADERS: &[(&str, &str)] = &[
    ("x-xss-protection", "1; mode=block"),
    ("x-frame-options", "SAMEORIGIN"),
    ("strict-transport-security", "max-age=0; includeSubDomains"),
    ("x-download-options", "noopen"),
    ("x-content-type-options", "nosniff"),
];

#[track_caller]
fn assert_scaffold_headers(res: &loopback::rest::http::HeaderMap, what: &str) {
    for (name, value) in SCAFFOLD_HEADERS {
        assert_eq!(
            res.get(*name).and_then(|v| v.to_str().ok()),
            Some(*value),
            "{what}: {name}"
        );
    }
    for absent in ["x-powered-by", "pragma", "expires", "surrogate-control"] {
        assert!(res.get(absent).is_none(), "{what}: {absent}");
    }
}

async fn send(
    api: &RestApi,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
) -> loopback::rest::http::Response<loopback::rest::RestBody> {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    api.handle(req.body(String::new()).unwrap()).await
}

#[tokio::test]
async fn helmet_entries_set_helmet_3_headers_on_every_answer() {
    let dir = app_with(scaffold_initial);
    let booted = boot_dir(dir.path()).await;
    let warnings = warnings_of(&booted);
    for mw in [
        "helmet#xssFilter",
        "helmet#hsts",
        "helmet#ieNoOpen",
        "compression",
    ] {
        assert!(
            !warnings
                .iter()
                .any(|w| w.contains(mw) && w.contains("not provided")),
            "{mw}: {warnings:#?}"
        );
    }
    // `["deny"]` is a string where helmet 3 reads `{action}`: SAMEORIGIN, reported.
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("initial.helmet#frameguard") && w.contains("SAMEORIGIN")),
        "{warnings:#?}"
    );
    let api = booted.rest_api();
    let cases: Vec<(Method, &str, Headers, u16)> = vec![
        (Method::GET, "/api/books", &[], 200),
        (Method::HEAD, "/api/books", &[], 200),
        (Method::GET, "/api/nothing", &[], 404),
        (Method::DELETE, "/api/books/1", &[], 401),
        (Method::GET, "/explorer/", &[], 200),
        (Method::GET, "/explorer/openapi.json", &[], 200),
        (
            Method::OPTIONS,
            "/api/books",
            &[
                ("origin", "http://x.com"),
                ("access-control-request-method", "GET"),
            ],
            204,
        ),
        (
            Method::GET,
            "/api/books",
            &[("user-agent", "Mozilla/5.0 (X11; Linux x86_64)")],
            200,
        ),
    ];
    for (method, uri, headers, status) in cases {
        let what = format!("{method} {uri}");
        let res = send(&api, method, uri, headers).await;
        assert_eq!(res.status().as_u16(), status, "{what}");
        assert_scaffold_headers(res.headers(), &what);
    }
    // Internet Explorer before 9 gets `0` (x-xss-protection's rule).
    let res = send(
        &api,
        Method::GET,
        "/api/books",
        &[(
            "user-agent",
            "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1)",
        )],
    )
    .await;
    assert_eq!(res.headers()["x-xss-protection"], "0");

    // The same from Rust, without JSON.
    let app = booted.app().clone();
    let rust = RestApi::builder(&app)
        .security_headers(SecurityHeaders::lb3_scaffold())
        .build();
    let res = send(&rust, Method::GET, "/api/books", &[]).await;
    assert_scaffold_headers(res.headers(), "lb3_scaffold()");
}

#[tokio::test]
async fn helmet_options_change_the_headers_and_bad_ones_are_problems() {
    let dir = app_with(|v| {
        scaffold_initial(v);
        v["initial"]["helmet#frameguard"] = json!({"params": {"action": "deny"}});
        v["initial"]["helmet#hsts"] = json!({"params": {"maxAge": 15552000.4, "preload": true}});
        v["initial"]["helmet#noCache"] = json!({});
        v["initial"]["helmet#xssFilter"] = json!({"params": {"mode": null, "setOnOldIE": true}});
        v["initial"]["helmet#hidePoweredBy"] = json!({"params": {"setTo": "PHP 4.2.0"}});
        v["initial"]["helmet#referrerPolicy"] = json!({});
    });
    let booted = boot_dir(dir.path()).await;
    let warnings = warnings_of(&booted);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("helmet#referrerPolicy") && w.contains("not provided")),
        "{warnings:#?}"
    );
    assert!(
        !warnings.iter().any(|w| w.contains("helmet#frameguard")),
        "{warnings:#?}"
    );
    let api = booted.rest_api();
    let res = send(
        &api,
        Method::GET,
        "/api/books",
        &[("user-agent", "MSIE 7.0")],
    )
    .await;
    let h = res.headers();
    for (name, value) in [
        ("x-frame-options", "DENY"),
        (
            "strict-transport-security",
            "max-age=15552000; includeSubDomains; preload",
        ),
        ("x-xss-protection", "1"),
        ("x-powered-by", "PHP 4.2.0"),
        ("surrogate-control", "no-store"),
        (
            "cache-control",
            "no-store, no-cache, must-revalidate, proxy-revalidate",
        ),
        ("pragma", "no-cache"),
        ("expires", "0"),
    ] {
        assert_eq!(h[name], value, "{name}");
    }
    // A change stream keeps its own Cache-Control.
    let res = send(
        &api,
        Method::GET,
        "/api/books/change-stream?_format=event-stream",
        &[],
    )
    .await;
    assert_eq!(res.headers()["cache-control"], "no-cache, no-transform");
    assert_eq!(res.headers()["pragma"], "no-cache");

    // The same from Rust.
    let app = booted.app().clone();
    let rust = RestApi::builder(&app)
        .security_headers(
            SecurityHeaders::new()
                .frameguard(Frameguard::Deny)
                .hsts(15_552_000, true, true)
                .no_cache(),
        )
        .build();
    let res = send(&rust, Method::GET, "/api/books", &[]).await;
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert_eq!(res.headers()["pragma"], "no-cache");

    for (entry, params, key) in [
        (
            "helmet#frameguard",
            json!({"action": "nope"}),
            "params.action",
        ),
        (
            "helmet#frameguard",
            json!({"action": "allow-from"}),
            "params.domain",
        ),
        ("helmet#hsts", json!({"maxAge": "1 year"}), "params.maxAge"),
        ("helmet#hsts", json!({"maxAge": -1}), "params.maxAge"),
        ("helmet#hsts", json!({"maxage": 1}), "params.maxage"),
        ("helmet#xssFilter", json!({"mode": "report"}), "params.mode"),
        ("helmet#xssFilter", json!("block"), "params"),
    ] {
        let dir = app_with(|v| {
            v["initial"][entry] = json!({"params": params});
        });
        let found = problems(dir.path()).await;
        assert_problem(
            &found,
            &["middleware.json", &format!("initial.{entry}.{key}")],
        );
    }
}

/// A booted example with `compression` as `conf` and 40 books.
async fn with_books(conf: Json) -> (tempfile::TempDir, boot::Booted) {
    let dir = app_with(|v| {
        scaffold_initial(v);
        v["initial"]["compression"] = conf;
    });
    let booted = boot_dir(dir.path()).await;
    let books = booted.app().model("Book").expect("Book");
    for i in 0..40 {
        books
            .create(
                record! {"title" => format!("Book number {i} with a fairly long title"), "isbn" => format!("978-{i}")},
                &Options::new(),
            )
            .await
            .expect("create");
    }
    (dir, booted)
}

fn header<'a>(
    res: &'a loopback::rest::http::Response<loopback::rest::RestBody>,
    name: &str,
) -> Option<&'a str> {
    res.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn compression_gzips_large_bodies_the_client_accepts() {
    let (_dir, booted) = with_books(json!({})).await;
    let api = booted.rest_api();
    let plain = send(&api, Method::GET, "/api/books", &[]).await;
    let plain_body = plain.body().as_bytes().to_vec();
    assert!(plain_body.len() > 1024, "{}", plain_body.len());
    // No Accept-Encoding: as it is, but it varies.
    assert_eq!(header(&plain, "content-encoding"), None);
    assert_eq!(header(&plain, "vary"), Some("Origin, Accept-Encoding"));
    let list: Json = serde_json::from_slice(&plain_body).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 40);

    for (accept, coding) in [
        ("gzip, deflate", Some("gzip")),
        ("deflate", Some("deflate")),
        ("gzip;q=0.5, deflate", Some("deflate")),
        ("identity", None),
        ("br", None),
    ] {
        let res = send(
            &api,
            Method::GET,
            "/api/books",
            &[("accept-encoding", accept)],
        )
        .await;
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "content-encoding"), coding, "{accept}");
        assert_eq!(
            header(&res, "vary"),
            Some("Origin, Accept-Encoding"),
            "{accept}"
        );
        assert_scaffold_headers(res.headers(), accept);
        let body = res.body().as_bytes();
        match coding {
            Some("gzip") => {
                assert_eq!(&body[..2], [0x1f, 0x8b], "gzip magic");
                assert!(body.len() < plain_body.len() / 3, "{}", body.len());
                assert!(header(&res, "content-length").is_none());
            }
            Some(_) => {
                // zlib header: deflate, 32K window.
                assert_eq!(body[0], 0x78);
                assert!(body.len() < plain_body.len() / 3);
            }
            None => assert_eq!(body, plain_body.as_slice()),
        }
    }

    // Small answers are not compressed, but vary.
    let res = send(
        &api,
        Method::GET,
        "/api/books/count",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(header(&res, "content-encoding"), None);
    assert_eq!(header(&res, "vary"), Some("Origin, Accept-Encoding"));
    assert_eq!(res.body().as_bytes(), br#"{"count":40}"#);
    // HEAD: the GET length, no encoding.
    let res = send(
        &api,
        Method::HEAD,
        "/api/books",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(header(&res, "content-encoding"), None);
    assert_eq!(
        header(&res, "content-length"),
        Some(plain_body.len().to_string().as_str())
    );
    // A change stream is never compressed (nor said to vary).
    let res = send(
        &api,
        Method::GET,
        "/api/books/change-stream?_format=event-stream",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(header(&res, "content-type"), Some("text/event-stream"));
    assert_eq!(header(&res, "content-encoding"), Some("x-no-compression"));
    assert_eq!(header(&res, "vary"), Some("Origin"));
    assert!(res.body().is_stream());
    // The explorer's document is compressed too.
    let res = send(
        &api,
        Method::GET,
        "/explorer/openapi.json",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(header(&res, "content-encoding"), Some("gzip"));

    // From Rust.
    let app = booted.app().clone();
    let rust = RestApi::builder(&app)
        .compression(Compression::new())
        .build();
    let res = send(
        &rust,
        Method::GET,
        "/api/books",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(header(&res, "content-encoding"), Some("gzip"));
    let off = RestApi::builder(&app).build();
    let res = send(
        &off,
        Method::GET,
        "/api/books",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(header(&res, "content-encoding"), None);
}

#[tokio::test]
async fn the_compression_threshold_and_level_come_from_params() {
    let (_dir, booted) = with_books(json!({"params": {"threshold": "10kb", "level": 9}})).await;
    assert_eq!(
        booted
            .plan()
            .http()
            .compression
            .as_ref()
            .map(|c| (c.threshold, c.level)),
        Some((10 * 1024, Some(9)))
    );
    let api = booted.rest_api();
    let res = send(
        &api,
        Method::GET,
        "/api/books",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(header(&res, "content-encoding"), None);
    assert_eq!(header(&res, "vary"), Some("Origin, Accept-Encoding"));

    let (_dir, booted) = with_books(json!({"params": {"threshold": 100}})).await;
    let res = send(
        &booted.rest_api(),
        Method::GET,
        "/api/books/count",
        &[("accept-encoding", "gzip")],
    )
    .await;
    // 12 bytes: still below.
    assert_eq!(header(&res, "content-encoding"), None);

    // Off when disabled.
    let (_dir, booted) = with_books(json!({"enabled": false})).await;
    assert!(booted.plan().http().compression.is_none());

    for (params, key) in [
        (json!({"threshold": "lots"}), "params.threshold"),
        (json!({"level": 12}), "params.level"),
        (json!("fast"), "params"),
    ] {
        let dir = app_with(|v| {
            v["initial"]["compression"] = json!({"params": params});
        });
        let found = problems(dir.path()).await;
        assert_problem(
            &found,
            &["middleware.json", &format!("initial.compression.{key}")],
        );
    }
}
