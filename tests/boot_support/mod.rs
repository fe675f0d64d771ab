//! Booting copies of the example folder: options, problems, warnings, a reader's token and
//! Express's signed cookies, shared by the boot tests. A test binary using it declares
//! `mod rest_support;` and `mod boot_support;`.

#![allow(dead_code)] // each test binary uses its own part

use std::path::Path;

use loopback::boot::{self, BootOptions, Booted};
use loopback::rest::RestApi;

/// The example application folder.
pub const EXAMPLE: &str = "examples/bookstore";

/// Options with no variables from the process environment (so `PORT` or `NODE_ENV` set by
/// the caller cannot change the outcome).
pub fn opts() -> BootOptions {
    BootOptions::new().vars(Vec::<(String, String)>::new())
}

/// The problems of a folder that must not boot, as text lines.
pub async fn problems(dir: &Path) -> Vec<String> {
    match boot::boot(dir, &opts()).await {
        Err(loopback::Error::Boot(b)) => b.problems.iter().map(ToString::to_string).collect(),
        Err(other) => panic!("expected a boot error, got {other}"),
        Ok(_) => panic!("the folder must not boot"),
    }
}

/// Asserts that one problem mentions every needle.
#[track_caller]
pub fn assert_problem(problems: &[String], needles: &[&str]) {
    assert!(
        problems
            .iter()
            .any(|p| needles.iter().all(|n| p.contains(n))),
        "no problem mentions all of {needles:?}; got:\n{}",
        problems.join("\n")
    );
}

/// The boot warnings, as text lines.
pub fn warnings_of(booted: &Booted) -> Vec<String> {
    booted
        .plan()
        .warnings()
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Signs up the reader `username` (`<username>@example.com`, password
/// `<username>-pass`) on the example folder's API and logs them in: the token.
pub async fn reader_token(api: &RestApi, username: &str) -> String {
    let email = format!("{username}@example.com");
    let password = format!("{username}-pass");
    let body = serde_json::json!({"username": username, "email": email, "password": password});
    let r = super::rest_support::post(api, "/api/readers", &body.to_string()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let body = serde_json::json!({"email": email, "password": password});
    let r = super::rest_support::post(api, "/api/readers/login", &body.to_string()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["id"].as_str().unwrap().to_owned()
}

/// `value` as Express's `res.cookie(name, value, {signed: true})` sends it: signed with
/// `secret`, then percent-encoded.
pub fn express_signed(value: &str, secret: &str) -> String {
    loopback::rest::sign_cookie(value, secret)
        .replace(':', "%3A")
        .replace('/', "%2F")
        .replace('+', "%2B")
}
