//! What the SQL injection tests of every SQL connector share: the payloads, the victim model,
//! and helpers to run a condition and compare its rows.

// Each test file uses a different subset.
#![allow(dead_code)]

use std::sync::Arc;

use loopback::filter::RegexpPattern;
use loopback::{
    App, Condition, Connector, Filter, ModelDefinition, ModelHandle, Options, Record, Value, Where,
};
use serde_json::json;

pub fn victim_json() -> serde_json::Value {
    json!({
        "name": "Victim",
        "properties": {
            "s": "string",
            "n": "number",
            "b": "boolean",
            "d": "date",
            "buf": "buffer",
            "o": "object",
            "arr": ["string"],
            "any": "any",
            "g": "geopoint"
        }
    })
}

pub const PROPERTIES: &[&str] = &["s", "n", "b", "d", "buf", "o", "arr", "any", "g"];

/// The victim model on `connector` (migrated first when `migrate`), holding `rows`.
pub async fn handle(
    connector: Arc<dyn Connector>,
    migrate: bool,
    rows: Vec<Record>,
) -> (App, ModelHandle) {
    let app = App::new();
    app.data_source("db", connector.clone());
    let m = app
        .define(
            ModelDefinition::from_lb3_json(&victim_json()).unwrap(),
            "db",
        )
        .await
        .unwrap();
    if migrate {
        connector.automigrate(&[m.definition()]).await.unwrap();
    }
    for r in rows {
        m.create(r, &Options::new()).await.unwrap();
    }
    (app, m)
}

pub async fn ids(m: &ModelHandle, w: &Where) -> loopback::Result<Vec<i64>> {
    let rows = m
        .find(
            Filter::with_where(w.clone()).order_by("id", loopback::Direction::Asc),
            &Options::new(),
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| r.get("id").and_then(Value::as_i64).unwrap())
        .collect())
}

pub fn like_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub fn re(source: String, case_insensitive: bool) -> Condition {
    Condition::Regexp(RegexpPattern {
        source,
        case_insensitive,
        global: false,
        multiline: false,
    })
}

pub const PAYLOADS: &[&str] = &[
    "'",
    "''",
    "\"",
    "\\",
    "\\'",
    "a'b\"c",
    "'; DROP TABLE \"Victim\"; --",
    "\" OR 1=1 --",
    "') OR ('1'='1",
    "1 OR 1=1",
    "$1",
    "$2::text",
    "?",
    "??",
    ";--",
    "/* */",
    "a\0b",
    "\0",
    "ünïcødé 🎉",
    "ß",
    "Ω≈ç√",
    "%",
    "_",
    "\\%",
    "50%_off",
    "line\nbreak",
    "`x`",
    "NULL",
    "null",
    "ab",
    "AB",
];
