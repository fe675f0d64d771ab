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
        ColumnKind::Decimal => match v {
            Value::String(s) if is_decimal(&s) => Ok(Value::String(s)),
            Value::String(_) => Err("is not a decimal number".into()),
            Value::Int(i) => Ok(Value::String(i.to_string())),
            // Rust writes the shortest text that reads back as the same double, never an
            // exponent.
            Value::Float(f) if f.is_finite() => Ok(Value::String(f.to_string())),
            Value::Float(_) => Err("is not a finite number".into()),
            other => Err(format!("is not a decimal number (found {})", other.kind())),
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
            // Decimal columns are read as their exact text.
            Value::String(ref s) => match s.trim().parse::<i64>() {
                Ok(i) => Value::Int(i),
                Err(_) => match s.trim().parse::<f64>() {
                    Ok(f) if f.fract() == 0.0 && f.abs() <= EXACT_DOUBLE => Value::Int(f as i64),
                    Ok(f) => Value::Float(f),
                    Err(_) => v,
                },
            },
            Value::Bool(b) => Value::Int(i64::from(b)),
            other => other,
        },
        ColumnKind::Decimal => match v {
            Value::Int(_) | Value::Float(_) => Value::String(v.to_string()),
            Value::Buffer(b) => match String::from_utf8(b) {
                Ok(s) => Value::String(s),
                Err(e) => Value::Buffer(e.into_bytes()),
            },
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

/// Whether `s` is a decimal number as SQL databases read one: an optional sign, digits with
/// an optional fraction (at least one digit), and an optional exponent. No spaces, no `NaN`
/// or `Infinity`, nothing else.
pub fn is_decimal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let mut n = digits(&mut i);
    if b.get(i) == Some(&b'.') {
        i += 1;
        n += digits(&mut i);
    }
    if n == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// A decimal as a native statement returns it: an integer when it is whole and fits 64 bits,
/// a double when it has at most 15 significant digits (which a double keeps), else its exact
/// text. `text` is the database's decimal text.
#[cfg(any(feature = "postgres", feature = "mysql", test))]
pub(crate) fn decimal_number(text: &str) -> Value {
    if let Ok(i) = text.parse::<i64>() {
        return Value::Int(i);
    }
    let significant = text
        .bytes()
        .take_while(|b| !matches!(b, b'e' | b'E'))
        .filter(u8::is_ascii_digit)
        .skip_while(|b| *b == b'0')
        .count();
    let mantissa = text.split(['e', 'E']).next().unwrap_or_default();
    let fraction = mantissa.split_once('.').map_or("", |(_, f)| f);
    let trailing = fraction.len() - fraction.trim_end_matches('0').len();
    let significant = significant.saturating_sub(trailing);
    match text.parse::<f64>() {
        Ok(f) if significant <= 15 => Value::Float(f),
        _ => Value::String(text.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        for ok in [
            "0",
            "-1",
            "+2.5",
            ".5",
            "5.",
            "12345678901234567890.123456789",
            "1e10",
            "-1.5E-3",
        ] {
            assert!(is_decimal(ok), "{ok}");
        }
        for bad in [
            "", "-", ".", "1e", "1.2.3", " 1", "1 ", "NaN", "Infinity", "0x10", "1,5", "1e+", "١",
        ] {
            assert!(!is_decimal(bad), "{bad}");
        }
        assert_eq!(decimal_number("7"), Value::Int(7));
        assert_eq!(decimal_number("2.50"), Value::Float(2.5));
        assert_eq!(decimal_number("-0.000123"), Value::Float(-0.000123));
        assert_eq!(
            decimal_number("12345678901234567890.123456789"),
            Value::String("12345678901234567890.123456789".into())
        );
        assert_eq!(
            decimal_number("1234567890.1234567"),
            Value::String("1234567890.1234567".into())
        );
    }
}
