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

/// The sign, significant digits and scale of a decimal number, for comparing decimals as
/// text: the value is `0.d₁d₂…` × 10^`point`, negative when `negative`; `digits` (the
/// integer and fraction digits, read in place, without copying) has no
/// leading or trailing zero (none at all for zero).
struct DecimalParts<'a> {
    negative: bool,
    digits: [&'a [u8]; 2],
    point: i64,
}

impl DecimalParts<'_> {
    fn is_zero(&self) -> bool {
        self.digits.iter().all(|d| d.is_empty())
    }

    /// The significant digits in order.
    fn digit_iter(&self) -> impl Iterator<Item = u8> + '_ {
        self.digits.iter().flat_map(|d| d.iter().copied())
    }
}

/// Reads `s` as [`is_decimal`] accepts it; `None` for anything else.
fn decimal_parts(s: &str) -> Option<DecimalParts<'_>> {
    if !is_decimal(s) {
        return None;
    }
    let b = s.as_bytes();
    let (negative, rest) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let (mantissa, exponent) = match rest.iter().position(|c| matches!(c, b'e' | b'E')) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    // Exponents beyond any digit count saturate: the order of such values is still right.
    const LIMIT: i64 = 1 << 40;
    let exponent = exponent.map_or(0, |e| {
        let (neg, digits) = match e.first() {
            Some(b'-') => (true, &e[1..]),
            Some(b'+') => (false, &e[1..]),
            _ => (false, e),
        };
        let magnitude = digits
            .iter()
            .fold(0i64, |acc, d| (acc * 10 + i64::from(d - b'0')).min(LIMIT));
        if neg {
            -magnitude
        } else {
            magnitude
        }
    });
    let (int, frac) = match mantissa.iter().position(|&c| c == b'.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, &[][..]),
    };
    let int_len = i64::try_from(int.len()).unwrap_or(LIMIT);
    let mut point = int_len + exponent;
    // Leading zeros move the point; trailing zeros change nothing.
    let int_zeros = int.iter().take_while(|&&c| c == b'0').count();
    let int = &int[int_zeros..];
    point -= i64::try_from(int_zeros).unwrap_or(LIMIT);
    let digits: [&[u8]; 2] = if int.is_empty() {
        let frac_zeros = frac.iter().take_while(|&&c| c == b'0').count();
        point -= i64::try_from(frac_zeros).unwrap_or(LIMIT);
        let frac = &frac[frac_zeros..];
        let end = frac.len() - frac.iter().rev().take_while(|&&c| c == b'0').count();
        [&frac[..end], &[]]
    } else {
        let end = frac.len() - frac.iter().rev().take_while(|&&c| c == b'0').count();
        if end == 0 {
            let int_end = int.len() - int.iter().rev().take_while(|&&c| c == b'0').count();
            [&int[..int_end], &[]]
        } else {
            [int, &frac[..end]]
        }
    };
    Some(DecimalParts {
        negative,
        digits,
        point,
    })
}

/// Compares two decimal numbers written as text ([`is_decimal`]: sign, digits, fraction,
/// exponent) by value, exactly, without floating point: `1.50` equals `1.5`, `-0` equals
/// `0`, `9` is less than `10`, and any number of digits is compared. Text that is no decimal
/// sorts after every number, byte by byte among itself, so that this is a total order (a
/// SQLite collation must be one).
pub fn compare_decimals(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (x, y) = match (decimal_parts(a), decimal_parts(b)) {
        (Some(x), Some(y)) => (x, y),
        (Some(_), None) => return Ordering::Less,
        (None, Some(_)) => return Ordering::Greater,
        (None, None) => return a.as_bytes().cmp(b.as_bytes()),
    };
    let sign = |p: &DecimalParts<'_>| -> i8 {
        if p.is_zero() {
            0
        } else if p.negative {
            -1
        } else {
            1
        }
    };
    let (sx, sy) = (sign(&x), sign(&y));
    if sx != sy || sx == 0 {
        return sx.cmp(&sy);
    }
    let magnitude = x
        .point
        .cmp(&y.point)
        .then_with(|| x.digit_iter().cmp(y.digit_iter()));
    if sx < 0 {
        magnitude.reverse()
    } else {
        magnitude
    }
}

/// `s`, a decimal number ([`is_decimal`]), without an exponent: `1.5e3` is `1500`, `25E-4` is
/// `0.0025`; other text is returned as it is. `None` when writing the number out would take
/// more than [`MAX_PLAIN_DIGITS`] digits.
pub fn plain_decimal(s: &str) -> Option<String> {
    if !s.contains(['e', 'E']) {
        return Some(s.to_owned());
    }
    let parts = decimal_parts(s)?;
    let digits: String = parts.digit_iter().map(char::from).collect();
    if parts.is_zero() {
        return Some("0".into());
    }
    let len = i64::try_from(digits.len()).ok()?;
    let width = parts.point.max(len).max(0) - parts.point.min(0);
    if width > MAX_PLAIN_DIGITS {
        return None;
    }
    let mut out = String::new();
    if parts.negative {
        out.push('-');
    }
    if parts.point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat('0').take(usize::try_from(-parts.point).ok()?));
        out.push_str(&digits);
    } else if parts.point >= len {
        out.push_str(&digits);
        out.extend(std::iter::repeat('0').take(usize::try_from(parts.point - len).ok()?));
    } else {
        let (int, frac) = digits.split_at(usize::try_from(parts.point).ok()?);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    }
    Some(out)
}

/// The most digits a decimal written with an exponent may expand to ([`plain_decimal`]).
pub const MAX_PLAIN_DIGITS: i64 = 1000;

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
    fn decimals_compare_by_value() {
        use std::cmp::Ordering::{Equal, Greater, Less};
        let ascending = [
            "-1e400",
            "-98765432109876543210.987654321",
            "-12345678901234567890.123456789",
            "-12345678901234567890.12345678",
            "-10",
            "-9.99",
            "-9",
            "-1.5",
            "-0.0001",
            "0",
            ".0000000000000000000000000000001",
            "0.001",
            "1e-2",
            "0.5",
            "1",
            "1.0000000000000000000000000001",
            "9",
            "10",
            "99.5",
            "100",
            "12345678901234567890.12345678",
            "12345678901234567890.123456789",
            "1e25",
            "123456789012345678901234567890",
            "9e99999999999999999999",
            "",
            "abc",
            "b",
        ];
        for (i, a) in ascending.iter().enumerate() {
            for (j, b) in ascending.iter().enumerate() {
                assert_eq!(compare_decimals(a, b), i.cmp(&j), "{a} <=> {b}");
            }
        }
        for (a, b) in [
            ("1.5", "1.50"),
            ("1.5", "+1.500"),
            ("0010", "10"),
            ("10", "10.0"),
            ("-0", "0"),
            ("-0.000", "+0"),
            ("0.0", ".0"),
            ("5.", "5"),
            ("1e3", "1000"),
            ("1500E-3", "1.5"),
            ("-2.5e1", "-25"),
            ("0e9", "0"),
            ("007.700", "7.7"),
        ] {
            assert_eq!(compare_decimals(a, b), Equal, "{a} = {b}");
            assert_eq!(compare_decimals(b, a), Equal, "{b} = {a}");
        }
        assert_eq!(compare_decimals("9", "10"), Less);
        assert_eq!(compare_decimals("-9", "-10"), Greater);
        assert_eq!(compare_decimals("0.10", "0.09"), Greater);
    }

    #[test]
    fn exponents_are_written_out() {
        for (given, plain) in [
            ("1.5e3", Some("1500")),
            ("25E-4", Some("0.0025")),
            ("-1.25e1", Some("-12.5")),
            ("1e0", Some("1")),
            ("0e99", Some("0")),
            ("123.456", Some("123.456")),
            ("-0.5", Some("-0.5")),
            ("+2.50", Some("+2.50")),
            ("1e999", Some(&*format!("1{}", "0".repeat(999)))),
            ("1e1000", None),
            ("1e-1000", Some(&*format!("0.{}1", "0".repeat(999)))),
            ("1e-1001", None),
        ] {
            assert_eq!(plain_decimal(given).as_deref(), plain, "{given}");
        }
    }

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
