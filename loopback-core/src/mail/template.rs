//! EJS templates for email bodies (LB3's `loopback.template`, EJS 2), without JavaScript.
//!
//! LB3 renders the HTML body of verification emails with EJS. The part of EJS that needs no
//! JavaScript is rendered here exactly as EJS 2.7 renders it: `<%= name %>` (HTML-escaped),
//! `<%- name %>` (as is), `<%# comment %>`, `<%%` and `%%>` (the literal delimiters), and the
//! whitespace control of `-%>`, `<%_` and `_%>`, where `name` is a local or a dotted path
//! into one (`user.email`). Anything else (a scriptlet `<% if (…) { %>`, a function call, an
//! operator) would need JavaScript and is refused with the file and line, never dropped.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

/// A parsed EJS template (see the module documentation for what it may contain).
#[derive(Debug, Clone)]
pub struct EjsTemplate {
    file: PathBuf,
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Output {
        path: Vec<String>,
        escape: bool,
        line: usize,
    },
}

/// Why a template cannot be read, parsed or rendered: the file, the line (1-based; 0 when
/// the file could not be read) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// The template file, as it was named.
    pub file: PathBuf,
    /// The line of the tag at fault, from 1; 0 when the file could not be read.
    pub line: usize,
    /// What is wrong.
    pub kind: TemplateErrorKind,
}

/// What is wrong with a template ([`TemplateError::kind`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TemplateErrorKind {
    /// The file could not be read.
    Read {
        /// The operating system's message.
        message: String,
    },
    /// A tag (`<%=`, `<%-`, `<%#`, `<%`) without its `%>` (EJS: `Could not find matching
    /// close tag`).
    UnclosedTag {
        /// The opening delimiter.
        tag: String,
    },
    /// A scriptlet `<% … %>` with JavaScript in it.
    Script {
        /// The code, trimmed.
        code: String,
    },
    /// An output tag whose expression is not a local name or a dotted path.
    Expression {
        /// The expression, trimmed.
        code: String,
    },
    /// A name that is not a local (EJS throws `ReferenceError: name is not defined`).
    MissingLocal {
        /// The name.
        name: String,
    },
    /// A property read on `undefined` or `null` (EJS throws a `TypeError`).
    PropertyOfNothing {
        /// The path up to the missing value (`user.address`).
        path: String,
        /// The property read from it (`city`).
        property: String,
        /// `"null"` or `"undefined"`.
        nothing: &'static str,
    },
}

impl fmt::Display for TemplateErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateErrorKind::Read { message } => write!(f, "cannot read the template: {message}"),
            TemplateErrorKind::UnclosedTag { tag } => {
                write!(f, "Could not find matching close tag for \"{tag}\"")
            }
            TemplateErrorKind::Script { code } => write!(
                f,
                "the scriptlet `<% {code} %>` is JavaScript, which is not run: only <%= name %>, \
                 <%- name %> and <%# comments %> are rendered; render this template with a Rust \
                 template function instead (ModelHandle::set_verify_template_fn)"
            ),
            TemplateErrorKind::Expression { code } => write!(
                f,
                "`{code}` is a JavaScript expression, which is not run: an output tag may only \
                 name a local or a dotted path into one (user.email); render this template with \
                 a Rust template function instead (ModelHandle::set_verify_template_fn)"
            ),
            TemplateErrorKind::MissingLocal { name } => {
                write!(f, "{name} is not defined (no local `{name}`)")
            }
            TemplateErrorKind::PropertyOfNothing {
                path,
                property,
                nothing,
            } => write!(
                f,
                "Cannot read properties of {nothing} (reading '{property}'): `{path}` is {nothing}"
            ),
        }
    }
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.kind)
        } else {
            write!(f, "{}:{}: {}", self.file.display(), self.line, self.kind)
        }
    }
}

impl std::error::Error for TemplateError {}

impl From<TemplateError> for crate::error::Error {
    fn from(e: TemplateError) -> Self {
        crate::error::Error::Internal(e.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Eval,
    Escaped,
    Raw,
    Comment,
    Literal,
}

/// EJS 2's delimiters, in the order its tokenizer tries them at one position.
const TOKENS: [&str; 10] = [
    "<%%", "%%>", "<%=", "<%-", "<%_", "<%#", "<%", "%>", "-%>", "_%>",
];

impl EjsTemplate {
    /// Reads and parses the template file at `path`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, TemplateError> {
        let path = path.as_ref();
        let source = std::fs::read_to_string(path).map_err(|e| TemplateError {
            file: path.to_owned(),
            line: 0,
            kind: TemplateErrorKind::Read {
                message: e.to_string(),
            },
        })?;
        Self::parse(&source, path)
    }

    /// Parses `source`; `file` names it in errors.
    pub fn parse(source: &str, file: impl Into<PathBuf>) -> Result<Self, TemplateError> {
        let file = file.into();
        let text = slurp_underscore_whitespace(source);
        let tokens = tokenize(&text);
        let mut parts = Vec::new();
        let mut mode: Option<Mode> = None;
        let mut truncate = false;
        let mut line = 1;
        let error = |line: usize, kind| TemplateError {
            file: file.clone(),
            line,
            kind,
        };
        // EJS's `scanLine`, token by token: text is output, tag contents are code.
        for (index, &tok) in tokens.iter().enumerate() {
            if tok.starts_with("<%") && !tok.starts_with("<%%") {
                let closing = tokens.get(index + 2).copied();
                if !matches!(closing, Some("%>" | "-%>" | "_%>")) {
                    return Err(error(
                        line,
                        TemplateErrorKind::UnclosedTag { tag: tok.into() },
                    ));
                }
            }
            match tok {
                "<%" | "<%_" => mode = Some(Mode::Eval),
                "<%=" => mode = Some(Mode::Escaped),
                "<%-" => mode = Some(Mode::Raw),
                "<%#" => mode = Some(Mode::Comment),
                "<%%" => {
                    mode = Some(Mode::Literal);
                    parts.push(Part::Text("<%".into()));
                }
                "%%>" => {
                    mode = Some(Mode::Literal);
                    parts.push(Part::Text("%>".into()));
                }
                "%>" | "-%>" | "_%>" => {
                    if mode == Some(Mode::Literal) {
                        add_output(&mut parts, &mut truncate, tok);
                    }
                    mode = None;
                    truncate = tok.starts_with('-') || tok.starts_with('_');
                }
                code => match mode {
                    Some(Mode::Eval) => {
                        let trimmed = code.trim();
                        if !trimmed.trim_matches(';').trim().is_empty() {
                            return Err(error(
                                line,
                                TemplateErrorKind::Script {
                                    code: trimmed.into(),
                                },
                            ));
                        }
                    }
                    Some(m @ (Mode::Escaped | Mode::Raw)) => {
                        let expr = strip_semi(code).trim();
                        let path = parse_path(expr).ok_or_else(|| {
                            error(line, TemplateErrorKind::Expression { code: expr.into() })
                        })?;
                        parts.push(Part::Output {
                            path,
                            escape: m == Mode::Escaped,
                            line,
                        });
                    }
                    Some(Mode::Comment) => {}
                    Some(Mode::Literal) | None => add_output(&mut parts, &mut truncate, code),
                },
            }
            line += tok.matches('\n').count();
        }
        // Adjacent text parts are joined, so rendering appends fewer pieces.
        let mut joined: Vec<Part> = Vec::with_capacity(parts.len());
        for part in parts {
            match (joined.last_mut(), part) {
                (Some(Part::Text(prev)), Part::Text(t)) => prev.push_str(&t),
                (_, part) => joined.push(part),
            }
        }
        Ok(EjsTemplate {
            file,
            parts: joined,
        })
    }

    /// The file the template was read from (or named after).
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Renders the template with `locals` (a JSON object; anything else is no locals), as
    /// EJS renders it: `null` and missing properties print nothing, numbers, booleans and
    /// arrays print as JavaScript's `String()` prints them, objects as `[object Object]`.
    pub fn render(&self, locals: &Json) -> Result<String, TemplateError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Output { path, escape, line } => {
                    let value = lookup(locals, path).map_err(|kind| TemplateError {
                        file: self.file.clone(),
                        line: *line,
                        kind,
                    })?;
                    // EJS prints nothing for `undefined` and `null`.
                    let Some(value) = value.filter(|v| !v.is_null()) else {
                        continue;
                    };
                    let mut text = String::new();
                    js_string(&value, &mut text);
                    if *escape {
                        html_escape_into(&text, &mut out);
                    } else {
                        out.push_str(&text);
                    }
                }
            }
        }
        Ok(out)
    }
}

/// EJS's pre-pass: spaces and tabs before `<%_` and after `_%>` are removed.
fn slurp_underscore_whitespace(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(i) = rest.find("<%_") {
        out.push_str(rest[..i].trim_end_matches([' ', '\t']));
        out.push_str("<%_");
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    let mut result = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(i) = rest.find("_%>") {
        result.push_str(&rest[..i + 3]);
        rest = rest[i + 3..].trim_start_matches([' ', '\t']);
    }
    result.push_str(rest);
    result
}

/// EJS's `parseTemplateText`: the text split at every delimiter, the delimiters kept.
fn tokenize(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Delimiters are ASCII, so they never match inside a multi-byte character.
        match TOKENS.iter().find(|t| bytes[i..].starts_with(t.as_bytes())) {
            Some(t) => {
                if i > start {
                    tokens.push(&text[start..i]);
                }
                tokens.push(&text[i..i + t.len()]);
                i += t.len();
                start = i;
            }
            None => i += 1,
        }
    }
    if start < text.len() {
        tokens.push(&text[start..]);
    }
    tokens
}

/// EJS's `_addOutput`: after `-%>` or `_%>`, one leading line break is dropped.
fn add_output(parts: &mut Vec<Part>, truncate: &mut bool, text: &str) {
    let mut text = text;
    if *truncate {
        text = text
            .strip_prefix("\r\n")
            .or_else(|| text.strip_prefix('\r'))
            .or_else(|| text.strip_prefix('\n'))
            .unwrap_or(text);
        *truncate = false;
    }
    if !text.is_empty() {
        parts.push(Part::Text(text.to_owned()));
    }
}

/// EJS's `stripSemi`: the last `;` before trailing whitespace is removed.
fn strip_semi(code: &str) -> &str {
    let trimmed = code.trim_end();
    trimmed.strip_suffix(';').unwrap_or(code)
}

/// `name` or `name.prop.prop`: JavaScript identifiers joined by dots.
fn parse_path(expr: &str) -> Option<Vec<String>> {
    let ident = |s: &str| {
        let mut chars = s.chars();
        chars
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
            && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
    };
    let segments: Vec<String> = expr.split('.').map(|s| s.trim().to_owned()).collect();
    segments.iter().all(|s| ident(s)).then_some(segments)
}

/// The value of a path, as JavaScript reads it inside EJS's `with (locals)`: `None` is
/// `undefined`.
fn lookup<'a>(
    locals: &'a Json,
    path: &[String],
) -> Result<Option<Cow<'a, Json>>, TemplateErrorKind> {
    let first = &path[0];
    let mut current: Option<Cow<'a, Json>> = match locals.get(first) {
        Some(v) => Some(Cow::Borrowed(v)),
        None if first == "locals" => Some(Cow::Borrowed(locals)),
        None => {
            return Err(TemplateErrorKind::MissingLocal {
                name: first.clone(),
            })
        }
    };
    for (i, property) in path.iter().enumerate().skip(1) {
        let nothing = |nothing| TemplateErrorKind::PropertyOfNothing {
            path: path[..i].join("."),
            property: property.clone(),
            nothing,
        };
        current = match current {
            None => return Err(nothing("undefined")),
            Some(Cow::Borrowed(v)) => property_of(v, property).ok_or_else(|| nothing("null"))?,
            Some(Cow::Owned(v)) => property_of(&v, property)
                .ok_or_else(|| nothing("null"))?
                .map(|c| Cow::Owned(c.into_owned())),
        };
    }
    Ok(current)
}

/// `value[property]` in JavaScript; `None` when `value` is `null` (a `TypeError`).
fn property_of<'a>(value: &'a Json, property: &str) -> Option<Option<Cow<'a, Json>>> {
    Some(match value {
        Json::Null => return None,
        Json::Object(m) => m.get(property).map(Cow::Borrowed),
        Json::String(s) if property == "length" => {
            Some(Cow::Owned(Json::from(s.encode_utf16().count())))
        }
        Json::Array(a) if property == "length" => Some(Cow::Owned(Json::from(a.len()))),
        _ => None,
    })
}

/// JavaScript's `String(value)`.
fn js_string(value: &Json, out: &mut String) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => match n.as_f64() {
            Some(f) if !(n.is_i64() || n.is_u64()) => out.push_str(&js_number(f)),
            _ => out.push_str(&n.to_string()),
        },
        Json::String(s) => out.push_str(s),
        Json::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                // Array.prototype.join prints null and undefined as nothing.
                if !item.is_null() {
                    js_string(item, out);
                }
            }
        }
        Json::Object(_) => out.push_str("[object Object]"),
    }
}

/// JavaScript's `Number.prototype.toString()` for a finite number.
fn js_number(f: f64) -> String {
    if f == 0.0 {
        return "0".into();
    }
    let magnitude = f.abs();
    if (1e-6..1e21).contains(&magnitude) {
        // Rust's shortest round-trip form, which JavaScript also prints in this range.
        format!("{f}")
    } else {
        let s = format!("{f:e}");
        match s.find('e') {
            Some(i) if !s[i + 1..].starts_with('-') => format!("{}e+{}", &s[..i], &s[i + 1..]),
            _ => s,
        }
    }
}

/// Text escaped for HTML as EJS's `escapeXML` escapes it (`"` is `&#34;`, `'` is `&#39;`).
pub(crate) fn html_escape_into(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(source: &str, locals: Json) -> Result<String, TemplateError> {
        EjsTemplate::parse(source, "t.ejs")?.render(&locals)
    }

    #[test]
    fn numbers_print_as_javascript_prints_them() {
        for (n, s) in [
            (0.5, "0.5"),
            (3.0, "3"),
            (1e21, "1e+21"),
            (1.5e-7, "1.5e-7"),
            (123456.789, "123456.789"),
            (-0.0, "0"),
        ] {
            assert_eq!(js_number(n), s);
        }
    }

    #[test]
    fn strays_and_edges_follow_ejs() {
        // Recorded from EJS 2.7.4 (LB3's): a stray `%>` is swallowed, `-%>` eats a newline.
        assert_eq!(render("x %> y -%>\nz", json!({})).unwrap(), "x  y z");
        assert_eq!(
            render("x <%= locals.a %> <% %> -%>\ny", json!({"a": "L"})).unwrap(),
            "x L  y"
        );
        let e = render("x <%=%> y", json!({})).unwrap_err();
        assert_eq!(e.kind, TemplateErrorKind::UnclosedTag { tag: "<%=".into() });
        let e = render("a\n<%= b.c.d %>", json!({"b": null})).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e
            .to_string()
            .contains("Cannot read properties of null (reading 'c')"));
        let e = render("a\n<%= b.c.d %>", json!({"b": {}})).unwrap_err();
        assert!(e.to_string().contains("of undefined (reading 'd')"), "{e}");
    }
}
