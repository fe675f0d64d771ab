//! Portable conversion of property values to column parameters and back, used by
//! [`super::Dialect::encode`] and [`super::Dialect::decode`] unless a dialect overrides them.

use loopback_core::data::coerce_value;
use loopback_core::value::parse_date;
use loopback_core::{PropertyType, Value};

use super::mapping::{ColumnKind, ColumnMapping};

/// The largest integer a double holds exactly (2^53): whole doubles below it read back as
/// integers.
const EXACT_DOUBLE: f64 = 9_007_199_254_740_992.0;

/// Converts a property value to the parameter bound for `column`: strings, numbers, buffers and
/// dates as they are (numbers and dates are coerced from other forms the way the model layer
/// coerces them), booleans as [`Value::Bool`], and objects, arrays, points and `any` values as
/// JSON text. `Err` says why the value does not fit.
pub fn encode(column: &ColumnMapping, v: Value) -> Result<Value, String> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    match column.kind {
        ColumnKind::String => match v {
            Value::String(_) => Ok(v),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Date(_) => {
                coerce_value(&PropertyType::String, v)
            }
            other => Err(format!("is not a string (found {})", other.kind())),
        },
        ColumnKind::Integer | ColumnKind::Number => match v {
            Value::Int(_) => Ok(v),
            Value::Float(f) if !f.is_finite() => Err("is not a finite number".into()),
            Value::Float(f)
                if column.kind == ColumnKind::Integer
                    && f.fract() == 0.0
                    && f.abs() < EXACT_DOUBLE =>
            {
                Ok(Value::Int(f as i64))
            }
            Value::Float(_) => Ok(v),
            Value::String(_) | Value::Date(_) => coerce_value(&PropertyType::Number, v),
            Value::Bool(b) => Ok(Value::Int(i64::from(b))),
            other => Err(format!("is not a number (found {})", other.kind())),
        },
        ColumnKind::Boolean => coerce_value(&PropertyType::Boolean, v),
        ColumnKind::Date => coerce_value(&PropertyType::Date, v),
        ColumnKind::Buffer => coerce_value(&PropertyType::Buffer, v),
        ColumnKind::Json => {
            let v = match &column.ty {
                // Points are stored in their canonical `{lat, lng}` form whatever form came in.
                PropertyType::GeoPoint => coerce_value(&PropertyType::GeoPoint, v)?,
                _ => v,
            };
            Ok(Value::String(v.to_json().to_string()))
        }
    }
}

/// Converts a value read from `column` back to its property's type: integers to booleans and
/// dates (epoch milliseconds), text to dates (ISO-8601) and to JSON values, whole doubles to
/// integers. What does not convert is returned as read.
pub fn decode(column: &ColumnMapping, v: Value) -> Value {
    if v.is_null() {
        return v;
    }
    match column.kind {
        ColumnKind::String => match v {
            Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Date(_) => {
                coerce_value(&PropertyType::String, v.clone()).unwrap_or(v)
            }
            Value::Buffer(b) => match String::from_utf8(b) {
                Ok(s) => Value::String(s),
                Err(e) => Value::Buffer(e.into_bytes()),
            },
            other => other,
        },
        ColumnKind::Integer | ColumnKind::Number => match v {
            Value::Float(f) if f.fract() == 0.0 && f.abs() <= EXACT_DOUBLE => Value::Int(f as i64),
            Value::String(ref s) => match s.trim().parse::<i64>() {
                Ok(i) => Value::Int(i),
                Err(_) => s.trim().parse::<f64>().map(Value::Float).unwrap_or(v),
            },
            Value::Bool(b) => Value::Int(i64::from(b)),
            other => other,
        },
        ColumnKind::Boolean => match v {
            Value::Int(i) => Value::Bool(i != 0),
            Value::Float(f) => Value::Bool(f != 0.0),
            // LoopBack's SQLite connector also reads the letters other programs store.
            Value::String(ref s) => match s.as_str() {
                "1" | "t" | "T" | "y" | "Y" | "true" | "TRUE" => Value::Bool(true),
                "0" | "f" | "F" | "n" | "N" | "false" | "FALSE" => Value::Bool(false),
                _ => v,
            },
            other => other,
        },
        ColumnKind::Date => match v {
            Value::Int(ms) => chrono::DateTime::from_timestamp_millis(ms).map_or(v, Value::Date),
            Value::Float(ms) if ms.is_finite() => {
                chrono::DateTime::from_timestamp_millis(ms as i64).map_or(v, Value::Date)
            }
            Value::String(ref s) => match s.trim().parse::<i64>() {
                Ok(ms) => chrono::DateTime::from_timestamp_millis(ms).map_or(v, Value::Date),
                Err(_) => parse_date(s).map_or(v, Value::Date),
            },
            other => other,
        },
        ColumnKind::Buffer => match v {
            Value::String(s) => Value::Buffer(s.into_bytes()),
            other => other,
        },
        ColumnKind::Json => {
            let raw = match v {
                Value::String(s) => match serde_json::from_str::<serde_json::Value>(&s) {
                    Ok(j) => Value::from_json(&j),
                    Err(_) => return Value::String(s),
                },
                other => other,
            };
            coerce_value(&column.ty, raw.clone()).unwrap_or(raw)
        }
    }
}
