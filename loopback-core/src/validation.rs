//! Validations with LoopBack 3's rules, codes, messages and error shape.

use std::fmt;

use regex::Regex;
use serde_json::{json, Map, Value as Json};

use crate::error::{Error, Result};
use crate::value::{Record, Value};

/// What a validation checks.
#[derive(Debug, Clone, PartialEq)]
pub enum ValidationKind {
    /// `presence`: not blank.
    Presence,
    /// `absence`: blank.
    Absence,
    /// `length`: string or array length.
    Length {
        /// Minimum length.
        min: Option<usize>,
        /// Maximum length.
        max: Option<usize>,
        /// Exact length.
        is: Option<usize>,
    },
    /// `format`: matches (`with`) or does not match (`without`) a regular expression.
    Format {
        /// Pattern the value must match.
        with: Option<String>,
        /// Pattern the value must not match.
        without: Option<String>,
    },
    /// `numericality`: a number (an integer when `int`).
    Numericality {
        /// Require an integer.
        int: bool,
    },
    /// `inclusion`: one of the listed values.
    Inclusion(Vec<Value>),
    /// `exclusion`: none of the listed values.
    Exclusion(Vec<Value>),
    /// `uniqueness`: no other record has the value (within `scoped_to` properties).
    Uniqueness {
        /// Properties whose values must also match for a clash.
        scoped_to: Vec<String>,
        /// Compare strings case-insensitively.
        ignore_case: bool,
    },
    /// `custom`: a validator registered from Rust under this name.
    Custom(String),
}

impl ValidationKind {
    /// LB3's base code for the kind.
    pub fn code(&self) -> &'static str {
        match self {
            ValidationKind::Presence => "presence",
            ValidationKind::Absence => "absence",
            ValidationKind::Length { .. } => "length",
            ValidationKind::Format { .. } => "format",
            ValidationKind::Numericality { .. } => "numericality",
            ValidationKind::Inclusion(_) => "inclusion",
            ValidationKind::Exclusion(_) => "exclusion",
            ValidationKind::Uniqueness { .. } => "uniqueness",
            ValidationKind::Custom(_) => "custom",
        }
    }
}

/// One validation rule on one property, with LB3's common options.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationRule {
    /// The property checked.
    pub property: String,
    /// What is checked.
    pub kind: ValidationKind,
    /// Custom message (a string, or for length an object with `min`/`max`/`is` keys).
    pub message: Option<Json>,
    /// Skip the rule when the value is null or missing.
    pub allow_null: bool,
    /// Skip the rule when the value is blank (empty string).
    pub allow_blank: bool,
    /// Overrides the error code.
    pub code: Option<String>,
    /// Run only when this property is truthy.
    pub if_: Option<String>,
    /// Skip when this property is truthy.
    pub unless: Option<String>,
}

impl ValidationRule {
    /// A rule with default options.
    pub fn new(property: impl Into<String>, kind: ValidationKind) -> Self {
        ValidationRule {
            property: property.into(),
            kind,
            message: None,
            allow_null: false,
            allow_blank: false,
            code: None,
            if_: None,
            unless: None,
        }
    }

    /// Sets the message.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(Json::String(message.into()));
        self
    }

    /// Reads the declarative form used in model JSON `validations`:
    /// `{"property": "name", "validation": "length", "min": 3, "message": "…"}`.
    pub fn from_json(v: &Json, path: &str) -> Result<Self> {
        let o = v
            .as_object()
            .ok_or_else(|| Error::definition(path, "a validation must be an object"))?;
        let property = o.get("property").and_then(Json::as_str).ok_or_else(|| {
            Error::definition(
                format!("{path}.property"),
                "a validation needs a `property`",
            )
        })?;
        let name = o.get("validation").and_then(Json::as_str).ok_or_else(|| {
            Error::definition(
                format!("{path}.validation"),
                "a validation needs a `validation` kind",
            )
        })?;
        let usize_of = |k: &str| -> Result<Option<usize>> {
            match o.get(k) {
                None => Ok(None),
                Some(n) => n.as_u64().map(|n| Some(n as usize)).ok_or_else(|| {
                    Error::definition(format!("{path}.{k}"), "expected a non-negative integer")
                }),
            }
        };
        let list = |k: &str| -> Result<Vec<Value>> {
            o.get(k)
                .and_then(Json::as_array)
                .map(|a| a.iter().map(Value::from_json).collect())
                .ok_or_else(|| {
                    Error::definition(format!("{path}.{k}"), "expected an array of values")
                })
        };
        let regex_of = |k: &str| -> Result<Option<String>> {
            match o.get(k) {
                None => Ok(None),
                Some(Json::String(s)) => {
                    Regex::new(s)
                        .map_err(|e| Error::definition(format!("{path}.{k}"), e.to_string()))?;
                    Ok(Some(s.clone()))
                }
                Some(_) => Err(Error::definition(
                    format!("{path}.{k}"),
                    "expected a regular expression string",
                )),
            }
        };
        let kind = match name {
            "presence" => ValidationKind::Presence,
            "absence" => ValidationKind::Absence,
            "length" => {
                let k = ValidationKind::Length { min: usize_of("min")?, max: usize_of("max")?, is: usize_of("is")? };
                if k == (ValidationKind::Length { min: None, max: None, is: None }) {
                    return Err(Error::definition(path, "a length validation needs `min`, `max` or `is`"));
                }
                k
            }
            "format" => {
                let (with, without) = (regex_of("with")?, regex_of("without")?);
                if with.is_none() && without.is_none() {
                    return Err(Error::definition(path, "a format validation needs `with` or `without`"));
                }
                ValidationKind::Format { with, without }
            }
            "numericality" => ValidationKind::Numericality { int: o.get("int").and_then(Json::as_bool).unwrap_or(false) },
            "inclusion" => ValidationKind::Inclusion(list("in")?),
            "exclusion" => ValidationKind::Exclusion(list("in")?),
            "uniqueness" => ValidationKind::Uniqueness {
                scoped_to: match o.get("scopedTo") {
                    None => Vec::new(),
                    Some(Json::Array(a)) => a
                        .iter()
                        .map(|s| s.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| Error::definition(format!("{path}.scopedTo"), "expected property names"))?,
                    Some(_) => return Err(Error::definition(format!("{path}.scopedTo"), "expected an array")),
                },
                ignore_case: o.get("ignoreCase").and_then(Json::as_bool).unwrap_or(false),
            },
            "custom" => ValidationKind::Custom(
                o.get("name")
                    .and_then(Json::as_str)
                    .ok_or_else(|| Error::definition(format!("{path}.name"), "a custom validation needs the `name` of a registered validator"))?
                    .to_owned(),
            ),
            other => {
                return Err(Error::definition(
                    format!("{path}.validation"),
                    format!("unknown validation `{other}`; expected presence, absence, length, format, numericality, inclusion, exclusion, uniqueness or custom"),
                ))
            }
        };
        let flag = |k: &str| o.get(k).and_then(Json::as_bool).unwrap_or(false);
        let opt_str = |k: &str| o.get(k).and_then(Json::as_str).map(str::to_owned);
        Ok(ValidationRule {
            property: property.to_owned(),
            kind,
            message: o.get("message").cloned(),
            allow_null: flag("allowNull"),
            allow_blank: flag("allowBlank"),
            code: opt_str("code"),
            if_: opt_str("if"),
            unless: opt_str("unless"),
        })
    }

    /// The declarative JSON form.
    pub fn to_json(&self) -> Json {
        let mut o = Map::new();
        o.insert("property".into(), json!(self.property));
        o.insert("validation".into(), json!(self.kind.code()));
        match &self.kind {
            ValidationKind::Length { min, max, is } => {
                for (k, v) in [("min", min), ("max", max), ("is", is)] {
                    if let Some(v) = v {
                        o.insert(k.into(), json!(v));
                    }
                }
            }
            ValidationKind::Format { with, without } => {
                if let Some(w) = with {
                    o.insert("with".into(), json!(w));
                }
                if let Some(w) = without {
                    o.insert("without".into(), json!(w));
                }
            }
            ValidationKind::Numericality { int } => {
                if *int {
                    o.insert("int".into(), json!(true));
                }
            }
            ValidationKind::Inclusion(v) | ValidationKind::Exclusion(v) => {
                o.insert(
                    "in".into(),
                    Json::Array(v.iter().map(Value::to_json).collect()),
                );
            }
            ValidationKind::Uniqueness {
                scoped_to,
                ignore_case,
            } => {
                if !scoped_to.is_empty() {
                    o.insert("scopedTo".into(), json!(scoped_to));
                }
                if *ignore_case {
                    o.insert("ignoreCase".into(), json!(true));
                }
            }
            ValidationKind::Custom(name) => {
                o.insert("name".into(), json!(name));
            }
            ValidationKind::Presence | ValidationKind::Absence => {}
        }
        if let Some(m) = &self.message {
            o.insert("message".into(), m.clone());
        }
        if self.allow_null {
            o.insert("allowNull".into(), json!(true));
        }
        if self.allow_blank {
            o.insert("allowBlank".into(), json!(true));
        }
        if let Some(c) = &self.code {
            o.insert("code".into(), json!(c));
        }
        if let Some(c) = &self.if_ {
            o.insert("if".into(), json!(c));
        }
        if let Some(c) = &self.unless {
            o.insert("unless".into(), json!(c));
        }
        Json::Object(o)
    }

    /// The message for a failure of sub-kind `sub` (`min`, `max`, `is`, `int`, ...), honouring a
    /// custom message. The `blank` and `null` pre-checks keep LB3's "is blank" / "is null" unless
    /// the message object names them; other kinds use a plain-string message (where LB3 would
    /// print "is invalid").
    fn message_for(&self, sub: Option<&str>, default: &str) -> String {
        match (&self.message, sub) {
            (Some(Json::String(_)), Some("blank" | "null")) => default.to_owned(),
            (Some(Json::String(s)), _) => s.clone(),
            (Some(Json::Object(m)), Some(sub)) => m
                .get(sub)
                .and_then(Json::as_str)
                .map_or_else(|| default.to_owned(), str::to_owned),
            _ => default.to_owned(),
        }
    }

    /// Checks the rule against `record`, pushing failures into `errors`. Uniqueness and custom
    /// rules are skipped here (they need the data source or registered code).
    pub fn check(&self, record: &Record, errors: &mut ValidationError) {
        if let Some(p) = &self.if_ {
            if !is_truthy(record.get(p)) {
                return;
            }
        }
        if let Some(p) = &self.unless {
            if is_truthy(record.get(p)) {
                return;
            }
        }
        let value = record.get(&self.property);
        // LB3 appends the failure kind to a custom code too: `{code: "NUM"}` fails as `NUM.int`.
        let code = |base: &str, sub: Option<&str>| -> String {
            let base = self.code.as_deref().unwrap_or(base);
            match sub {
                Some(s) => format!("{base}.{s}"),
                None => base.to_owned(),
            }
        };
        match &self.kind {
            ValidationKind::Presence => {
                if is_blank(value) {
                    errors.add(
                        &self.property,
                        code("presence", None),
                        self.message_for(None, "can't be blank"),
                    );
                }
                return;
            }
            ValidationKind::Absence => {
                if !is_blank(value) {
                    errors.add(
                        &self.property,
                        code("absence", None),
                        self.message_for(None, "can't be set"),
                    );
                }
                return;
            }
            ValidationKind::Uniqueness { .. } | ValidationKind::Custom(_) => return,
            _ => {}
        }
        // LB3's pre-check for the value-based validators: a missing value or `""` is `blank`
        // (unless `allowBlank`), `null` is `null` (unless `allowNull`).
        let base = self.kind.code();
        match value {
            None => {
                if !self.allow_blank {
                    errors.add(
                        &self.property,
                        code(base, Some("blank")),
                        self.message_for(Some("blank"), "is blank"),
                    );
                }
                return;
            }
            Some(Value::String(s)) if s.is_empty() => {
                if !self.allow_blank {
                    errors.add(
                        &self.property,
                        code(base, Some("blank")),
                        self.message_for(Some("blank"), "is blank"),
                    );
                }
                return;
            }
            Some(Value::Null) => {
                if !self.allow_null {
                    errors.add(
                        &self.property,
                        code(base, Some("null")),
                        self.message_for(Some("null"), "is null"),
                    );
                }
                return;
            }
            _ => {}
        }
        let value = value.expect("checked above");
        match &self.kind {
            ValidationKind::Length { min, max, is } => {
                let len = match value {
                    Value::String(s) => s.chars().count(),
                    Value::Array(a) => a.len(),
                    _ => return,
                };
                if let Some(min) = min {
                    if len < *min {
                        errors.add(
                            &self.property,
                            code("length", Some("min")),
                            self.message_for(Some("min"), "too short"),
                        );
                    }
                }
                if let Some(max) = max {
                    if len > *max {
                        errors.add(
                            &self.property,
                            code("length", Some("max")),
                            self.message_for(Some("max"), "too long"),
                        );
                    }
                }
                if let Some(is) = is {
                    if len != *is {
                        errors.add(
                            &self.property,
                            code("length", Some("is")),
                            self.message_for(Some("is"), "length is wrong"),
                        );
                    }
                }
            }
            ValidationKind::Format { with, without } => {
                // LB3 tests numbers too, by their string form.
                let text = match value {
                    Value::String(s) => Some(s.clone()),
                    Value::Int(_) | Value::Float(_) => Some(value.to_json().to_string()),
                    _ => None,
                };
                let ok = text.is_some_and(|s| {
                    let matches = |p: &str| Regex::new(p).map(|r| r.is_match(&s)).unwrap_or(false);
                    with.as_deref().map_or(true, matches)
                        && !without.as_deref().is_some_and(matches)
                });
                if !ok {
                    errors.add(
                        &self.property,
                        code("format", None),
                        self.message_for(None, "is invalid"),
                    );
                }
            }
            ValidationKind::Numericality { int } => match value {
                Value::Int(_) => {}
                Value::Float(f) if !*int || f.fract() == 0.0 => {}
                Value::Float(_) => errors.add(
                    &self.property,
                    code("numericality", Some("int")),
                    self.message_for(Some("int"), "is not an integer"),
                ),
                _ => errors.add(
                    &self.property,
                    code("numericality", Some("number")),
                    self.message_for(Some("number"), "is not a number"),
                ),
            },
            ValidationKind::Inclusion(list) if !list.iter().any(|v| v.loose_eq(value)) => {
                errors.add(
                    &self.property,
                    code("inclusion", None),
                    self.message_for(None, "is not included in the list"),
                );
            }
            ValidationKind::Exclusion(list) if list.iter().any(|v| v.loose_eq(value)) => {
                errors.add(
                    &self.property,
                    code("exclusion", None),
                    self.message_for(None, "is reserved"),
                );
            }
            _ => {}
        }
    }

    /// The message a failed uniqueness or custom rule reports.
    pub fn failure_message(&self) -> String {
        let default = match self.kind {
            ValidationKind::Uniqueness { .. } => "is not unique",
            _ => "is invalid",
        };
        self.message_for(None, default)
    }

    /// The code a failed uniqueness or custom rule reports.
    pub fn failure_code(&self) -> String {
        self.code
            .clone()
            .unwrap_or_else(|| self.kind.code().to_owned())
    }
}

/// JavaScript truthiness of a property value.
fn is_truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Int(i)) => *i != 0,
        Some(Value::Float(f)) => *f != 0.0 && !f.is_nan(),
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// LB3's `blank`, used by presence, absence and `required`: missing, null, `""`, an empty
/// array or NaN (a string of spaces is not blank).
pub fn is_blank(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Float(f)) => f.is_nan(),
        _ => false,
    }
}

/// One failed check.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyError {
    /// The property.
    pub property: String,
    /// Code such as `presence` or `length.min`.
    pub code: String,
    /// Message such as `can't be blank`.
    pub message: String,
}

/// A failed validation, with LB3's shape: status 422, name `ValidationError`, a message listing
/// each failure with the offending value, and `details` holding `context`, `codes` and
/// `messages` per property.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValidationError {
    /// The model name (`details.context`).
    pub model: String,
    /// Failures in the order found.
    pub errors: Vec<PropertyError>,
    /// The instance data, for the message's `(value: …)` parts.
    pub values: Record,
}

/// Longest string value shown in a validation message (LB3 `maxPropertyStringLength`).
pub const MAX_PROPERTY_STRING_LENGTH: usize = 32;

impl ValidationError {
    /// An empty error for `model`.
    pub fn new(model: impl Into<String>) -> Self {
        ValidationError {
            model: model.into(),
            errors: Vec::new(),
            values: Record::new(),
        }
    }

    /// Adds a failure.
    pub fn add(&mut self, property: &str, code: impl Into<String>, message: impl Into<String>) {
        self.errors.push(PropertyError {
            property: property.to_owned(),
            code: code.into(),
            message: message.into(),
        });
    }

    /// Whether nothing failed.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Codes per property, in property order of first failure.
    pub fn codes(&self) -> Map<String, Json> {
        self.grouped(|e| e.code.clone())
    }

    /// Messages per property.
    pub fn messages(&self) -> Map<String, Json> {
        self.grouped(|e| e.message.clone())
    }

    fn grouped(&self, f: impl Fn(&PropertyError) -> String) -> Map<String, Json> {
        let mut m: Map<String, Json> = Map::new();
        for e in &self.errors {
            let entry = m
                .entry(e.property.clone())
                .or_insert_with(|| Json::Array(Vec::new()));
            if let Json::Array(a) = entry {
                a.push(Json::String(f(e)));
            }
        }
        m
    }

    /// The `details` object of the HTTP error body.
    pub fn details(&self) -> Json {
        json!({"context": self.model, "codes": self.codes(), "messages": self.messages()})
    }

    /// Turns this into `Err` when anything failed.
    pub fn into_result(self) -> Result<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(Box::new(self)))
        }
    }
}

fn truncate(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= MAX_PROPERTY_STRING_LENGTH {
        return s.to_owned();
    }
    let trailing_ws = chars
        .iter()
        .rev()
        .take_while(|c| matches!(c, ' ' | '\t' | '}' | ')' | ']'))
        .count();
    let (tail, len): (String, usize) = if trailing_ws > 0 {
        let tail: String = chars[chars.len() - trailing_ws.min(3)..].iter().collect();
        let n = tail.chars().count();
        (tail, MAX_PROPERTY_STRING_LENGTH - n)
    } else {
        (
            chars[chars.len() - 3..].iter().collect(),
            MAX_PROPERTY_STRING_LENGTH - 3,
        )
    };
    let head: String = chars[..len - 4].iter().collect();
    format!("{head}...{tail}")
}

fn format_value(v: Option<&Value>) -> String {
    match v {
        None => "undefined".into(),
        Some(Value::Null) => "null".into(),
        Some(Value::String(s)) => Json::String(truncate(s)).to_string(),
        Some(Value::Date(_)) => v
            .map(|v| v.to_json().as_str().unwrap_or_default().to_owned())
            .unwrap_or_default(),
        Some(Value::Int(_) | Value::Float(_) | Value::Bool(_)) => {
            truncate(&v.map(|v| v.to_json().to_string()).unwrap_or_default())
        }
        Some(other) => other.to_json().to_string(),
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ctx = if self.model.is_empty() {
            "model".to_owned()
        } else {
            format!("`{}`", self.model)
        };
        let mut parts = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for e in &self.errors {
            if seen.contains(&e.property.as_str()) {
                continue;
            }
            seen.push(&e.property);
            for e2 in self.errors.iter().filter(|x| x.property == e.property) {
                parts.push(format!(
                    "`{}` {} (value: {})",
                    e2.property,
                    e2.message,
                    format_value(self.values.get(&e2.property))
                ));
            }
        }
        let details = if parts.is_empty() {
            "(unknown)".to_owned()
        } else {
            parts.join("; ")
        };
        write!(f, "The {ctx} instance is not valid. Details: {details}.")
    }
}

impl std::error::Error for ValidationError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record;

    #[test]
    fn message_matches_juggler() {
        let mut e = ValidationError::new("User");
        e.values = record! {"email" => "a@b.c"};
        e.add("password", "presence", "can't be blank");
        e.add("email", "uniqueness", "Email already exists");
        assert_eq!(
            e.to_string(),
            "The `User` instance is not valid. Details: `password` can't be blank (value: undefined); `email` Email already exists (value: \"a@b.c\")."
        );
        assert_eq!(
            e.details()["codes"],
            json!({"password": ["presence"], "email": ["uniqueness"]})
        );
    }

    #[test]
    fn long_values_are_truncated() {
        assert_eq!(
            truncate("abcdefghijklmnopqrstuvwxyz0123456789"),
            "abcdefghijklmnopqrstuvwxy...789"
        );
    }

    #[test]
    fn rules_report_lb3_codes() {
        let r = record! {"name" => "ab", "age" => 3.5, "gender" => "x", "domain" => "www", "email" => "nope"};
        let rules = [
            ValidationRule::new(
                "name",
                ValidationKind::Length {
                    min: Some(3),
                    max: None,
                    is: None,
                },
            ),
            ValidationRule::new("age", ValidationKind::Numericality { int: true }),
            ValidationRule::new(
                "gender",
                ValidationKind::Inclusion(vec!["male".into(), "female".into()]),
            ),
            ValidationRule::new("domain", ValidationKind::Exclusion(vec!["www".into()])),
            ValidationRule::new(
                "email",
                ValidationKind::Format {
                    with: Some("^\\S+@\\S+$".into()),
                    without: None,
                },
            ),
            ValidationRule::new("missing", ValidationKind::Presence),
            ValidationRule::new(
                "missing",
                ValidationKind::Length {
                    min: Some(1),
                    max: None,
                    is: None,
                },
            ),
        ];
        let mut e = ValidationError::new("M");
        for rule in &rules {
            rule.check(&r, &mut e);
        }
        let codes: Vec<&str> = e.errors.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "length.min",
                "numericality.int",
                "inclusion",
                "exclusion",
                "format",
                "presence",
                "length.blank"
            ]
        );
    }
}
