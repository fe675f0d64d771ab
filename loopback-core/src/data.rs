//! Preparing incoming data for a model: type coercion, defaults, `strict`, and serialisation with
//! hidden and protected properties applied.

use chrono::Utc;
use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::model::{DefaultValue, ModelDefinition, PropertyType, Strict};
use crate::validation::ValidationError;
use crate::value::{parse_date, GeoPoint, Record, Value};

/// Coerces a value to a property type, as LoopBack's model typing does for data written to a
/// model, but refusing what cannot be converted instead of storing `NaN` or `"[object Object]"`.
/// `Null` is accepted for every type (requiredness is checked by validation).
pub fn coerce_value(ty: &PropertyType, v: Value) -> std::result::Result<Value, String> {
    if v.is_null() {
        return Ok(v);
    }
    match ty {
        PropertyType::Any | PropertyType::Model(_) => Ok(v),
        PropertyType::String => match v {
            Value::String(_) => Ok(v),
            Value::Int(i) => Ok(Value::String(i.to_string())),
            Value::Float(_) | Value::Bool(_) => Ok(Value::String(v.to_json().to_string())),
            Value::Date(_) => Ok(Value::String(
                v.to_json().as_str().unwrap_or_default().to_owned(),
            )),
            other => Err(format!("is not a string (found {})", other.kind())),
        },
        PropertyType::Number => match v {
            Value::Int(_) => Ok(v),
            Value::Float(f) if f.is_finite() => Ok(v),
            Value::String(ref s) => {
                let t = s.trim();
                if t.is_empty() {
                    return Err("is not a number".into());
                }
                if let Ok(i) = t.parse::<i64>() {
                    return Ok(Value::Int(i));
                }
                match t.parse::<f64>() {
                    Ok(f) if f.is_finite() => Ok(Value::Float(f)),
                    _ => Err("is not a number".into()),
                }
            }
            Value::Date(d) => Ok(Value::Int(d.timestamp_millis())),
            _ => Err("is not a number".into()),
        },
        PropertyType::Boolean => match v {
            Value::Bool(_) => Ok(v),
            Value::String(ref s) => match s.as_str() {
                "true" | "1" => Ok(Value::Bool(true)),
                "false" | "0" => Ok(Value::Bool(false)),
                _ => Err("is not a boolean".into()),
            },
            Value::Int(0) => Ok(Value::Bool(false)),
            Value::Int(1) => Ok(Value::Bool(true)),
            _ => Err("is not a boolean".into()),
        },
        PropertyType::Date => match v {
            Value::Date(_) => Ok(v),
            Value::String(ref s) => parse_date(s)
                .map(Value::Date)
                .ok_or_else(|| format!("is not a valid date: {s}")),
            Value::Int(ms) => chrono::DateTime::from_timestamp_millis(ms)
                .map(Value::Date)
                .ok_or_else(|| "is not a valid date".to_owned()),
            Value::Float(f) if f.is_finite() => chrono::DateTime::from_timestamp_millis(f as i64)
                .map(Value::Date)
                .ok_or_else(|| "is not a valid date".to_owned()),
            _ => Err("is not a valid date".into()),
        },
        PropertyType::Buffer => match v {
            Value::Buffer(_) => Ok(v),
            Value::String(s) => Ok(Value::Buffer(s.into_bytes())),
            Value::Object(ref o) if o.get("type").and_then(Value::as_str) == Some("Buffer") => {
                let data = o
                    .get("data")
                    .and_then(Value::as_array)
                    .ok_or("is not a buffer")?;
                data.iter()
                    .map(|b| b.as_i64().and_then(|b| u8::try_from(b).ok()))
                    .collect::<Option<Vec<u8>>>()
                    .map(Value::Buffer)
                    .ok_or_else(|| "is not a buffer".to_owned())
            }
            Value::Array(ref a) => a
                .iter()
                .map(|b| b.as_i64().and_then(|b| u8::try_from(b).ok()))
                .collect::<Option<Vec<u8>>>()
                .map(Value::Buffer)
                .ok_or_else(|| "is not a buffer".to_owned()),
            _ => Err("is not a buffer".into()),
        },
        PropertyType::GeoPoint => match v {
            Value::GeoPoint(_) => Ok(v),
            other => GeoPoint::from_json(&other.to_json())
                .map(Value::GeoPoint)
                .map_err(|e| format!("is not a GeoPoint: {e}")),
        },
        PropertyType::Object => match v {
            Value::Object(_) => Ok(v),
            other => Err(format!("is not an object (found {})", other.kind())),
        },
        PropertyType::Array(elem) => match v {
            Value::Array(a) => a
                .into_iter()
                .enumerate()
                .map(|(i, e)| coerce_value(elem, e).map_err(|m| format!("[{i}] {m}")))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map(Value::Array),
            other => Err(format!("is not an array (found {})", other.kind())),
        },
    }
}

/// How to treat a record before writing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    /// A new record: defaults apply.
    Create,
    /// A full replacement: defaults apply for missing properties, as in LB3's replace.
    Replace,
    /// A partial update: only the given properties are touched.
    Patch,
}

/// Coerces every declared property of `data`, applies `strict`, and (for creates and replaces)
/// fills defaults. Type failures are collected into one [`ValidationError`] with code `type`
/// (`date` with LB3's message "is not a valid date" for dates); unknown properties under
/// `strict: true` (and `"throw"`, which juggler 3.x treats as `true`) give `unknown-property`.
pub fn prepare(def: &ModelDefinition, data: Record, kind: WriteKind) -> Result<Record> {
    let mut errors = ValidationError::new(&def.name);
    let strict = def.strict_mode();
    let mut out = Record::with_capacity(def.properties.len().max(data.len()));
    let mut unknown = Record::new();
    for (k, v) in data {
        if crate::filter::is_forbidden_key(&k) {
            return Err(Error::bad_request(format!(
                "`{k}` is not an allowed property name"
            )));
        }
        match def.properties.get(k.as_str()) {
            Some(p) => match coerce_value(&p.ty, v.clone()) {
                Ok(c) => {
                    out.insert(k, c);
                }
                Err(m) => {
                    if p.ty == PropertyType::Date {
                        errors.add(&k, "date", "is not a valid date");
                    } else {
                        errors.add(&k, "type", m);
                    }
                    out.insert(k, v);
                }
            },
            None => match strict {
                Strict::False => {
                    unknown.insert(k, v);
                }
                Strict::Filter => {}
                // The value is not kept: LB3 reports it as `(value: undefined)`.
                Strict::True | Strict::Throw => {
                    errors.add(&k, "unknown-property", "is not defined in the model");
                }
            },
        }
    }
    if kind != WriteKind::Patch {
        for p in def.properties.values() {
            if out.contains_key(&p.name) {
                continue;
            }
            if let Some(d) = &p.default {
                let v = match d {
                    DefaultValue::Value(v) => {
                        coerce_value(&p.ty, v.clone()).unwrap_or_else(|_| v.clone())
                    }
                    DefaultValue::Now | DefaultValue::NowFn => Value::Date(Utc::now()),
                    DefaultValue::Uuid => Value::String(uuid::Uuid::new_v4().to_string()),
                };
                out.insert(p.name.clone(), v);
            }
        }
    }
    // Keep the model's property order, unknown properties last.
    let mut ordered = Record::with_capacity(out.len() + unknown.len());
    for name in def.properties.keys() {
        if let Some(v) = out.remove(name) {
            ordered.insert(name.clone(), v);
        }
    }
    ordered.merge(out);
    ordered.merge(unknown);
    if !errors.is_empty() {
        errors.values = ordered;
        return Err(errors.into());
    }
    Ok(ordered)
}

/// The JSON an API client sees for a record: hidden properties removed, and protected ones too
/// when the record is nested inside another (`nested = true`).
pub fn to_public_json(def: &ModelDefinition, record: &Record, nested: bool) -> Json {
    let mut m = serde_json::Map::with_capacity(record.len());
    for (k, v) in record {
        if def.is_hidden(k) || (nested && def.is_protected(k)) {
            continue;
        }
        m.insert(k.to_string(), v.to_json());
    }
    Json::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record;
    use serde_json::json;

    fn def() -> ModelDefinition {
        let mut d = ModelDefinition::from_lb3_json(&json!({
            "name": "Item",
            "strict": true,
            "properties": {
                "title": {"type": "string", "required": true},
                "qty": {"type": "number", "default": 1},
                "when": "date",
                "tags": ["string"],
                "secret": "string"
            },
            "hidden": ["secret"]
        }))
        .unwrap();
        d.inject_id();
        d
    }

    #[test]
    fn coerces_and_defaults() {
        let r = prepare(
            &def(),
            record! {"when" => "2020-01-02", "title" => 5, "tags" => vec!["a"]},
            WriteKind::Create,
        )
        .unwrap();
        assert_eq!(
            r.keys().collect::<Vec<_>>(),
            ["title", "qty", "when", "tags"]
        );
        assert_eq!(r.get("title"), Some(&Value::String("5".into())));
        assert!(matches!(r.get("when"), Some(Value::Date(_))));
        assert_eq!(r.get("qty"), Some(&Value::Int(1)));
        let p = prepare(&def(), record! {"title" => "x"}, WriteKind::Patch).unwrap();
        assert!(!p.contains_key("qty"));
    }

    #[test]
    fn type_errors_and_unknown_properties_are_422() {
        let e = prepare(
            &def(),
            record! {"qty" => "many", "when" => "soon", "extra" => 1},
            WriteKind::Create,
        )
        .unwrap_err();
        let v = e.as_validation().unwrap();
        assert_eq!(
            v.codes(),
            json!({"qty": ["type"], "when": ["date"], "extra": ["unknown-property"]})
                .as_object()
                .unwrap()
                .clone()
        );
        assert_eq!(e.status(), 422);
    }

    #[test]
    fn hidden_never_serialised() {
        let j = to_public_json(&def(), &record! {"title" => "t", "secret" => "s"}, false);
        assert_eq!(j, json!({"title": "t"}));
    }
}
