//! Conversions between Rust field types and [`Value`], used by `#[derive(Model)]`.

use chrono::{DateTime, Utc};

use crate::model::PropertyType;
use crate::value::{GeoPoint, Record, Value};

/// A Rust type that can be a model property.
///
/// Implemented for the scalar types, `Option<T>` (nullable), `Vec<T>` (arrays), dates,
/// [`GeoPoint`], [`Buffer`], `serde_json::Value` (`any`), [`Record`] (`object`), and by
/// `#[derive(Model)]` for models used as nested types. Implement it for your own types to use
/// them as properties.
pub trait FieldValue: Sized {
    /// The LB3 property type this Rust type maps to.
    fn property_type() -> PropertyType;
    /// Converts to a [`Value`].
    fn to_value(&self) -> Value;
    /// Converts from a [`Value`]; the error says what was expected.
    fn from_value(value: Value) -> Result<Self, String>;
    /// Whether the type admits null (only `Option`): a non-nullable field is `required`.
    fn nullable() -> bool {
        false
    }
}

/// Binary data (LB3 `Buffer`). A newtype so that `Vec<u8>` can stay an array of numbers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Buffer(pub Vec<u8>);

fn mismatch(expected: &str, got: &Value) -> String {
    format!("expected {expected}, found {}", got.kind())
}

impl FieldValue for String {
    fn property_type() -> PropertyType {
        PropertyType::String
    }
    fn to_value(&self) -> Value {
        Value::String(self.clone())
    }
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::String(s) => Ok(s),
            other => Err(mismatch("a string", &other)),
        }
    }
}

macro_rules! int_field {
    ($($t:ty),*) => {$(
        impl FieldValue for $t {
            fn property_type() -> PropertyType { PropertyType::Number }
            fn to_value(&self) -> Value { Value::Int(*self as i64) }
            fn from_value(value: Value) -> Result<Self, String> {
                let i = match &value {
                    Value::Int(i) => *i,
                    Value::Float(f) if f.fract() == 0.0 && f.is_finite() => *f as i64,
                    other => return Err(mismatch("an integer", other)),
                };
                <$t>::try_from(i).map_err(|_| format!("{i} is out of range for {}", stringify!($t)))
            }
        }
    )*};
}
int_field!(i8, i16, i32, i64, u8, u16, u32);

impl FieldValue for u64 {
    fn property_type() -> PropertyType {
        PropertyType::Number
    }
    fn to_value(&self) -> Value {
        i64::try_from(*self).map_or(Value::Float(*self as f64), Value::Int)
    }
    fn from_value(value: Value) -> Result<Self, String> {
        match &value {
            Value::Int(i) => u64::try_from(*i).map_err(|_| format!("{i} is out of range for u64")),
            Value::Float(f) if f.fract() == 0.0 && *f >= 0.0 && *f < 1.8446744073709552e19 => {
                Ok(*f as u64)
            }
            other => Err(mismatch("an unsigned integer", other)),
        }
    }
}

macro_rules! float_field {
    ($($t:ty),*) => {$(
        impl FieldValue for $t {
            fn property_type() -> PropertyType { PropertyType::Number }
            fn to_value(&self) -> Value { Value::Float(*self as f64) }
            fn from_value(value: Value) -> Result<Self, String> {
                value.as_f64().map(|f| f as $t).ok_or_else(|| mismatch("a number", &value))
            }
        }
    )*};
}
float_field!(f32, f64);

impl FieldValue for bool {
    fn property_type() -> PropertyType {
        PropertyType::Boolean
    }
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
    fn from_value(value: Value) -> Result<Self, String> {
        value.as_bool().ok_or_else(|| mismatch("a boolean", &value))
    }
}

impl FieldValue for DateTime<Utc> {
    fn property_type() -> PropertyType {
        PropertyType::Date
    }
    fn to_value(&self) -> Value {
        Value::Date(*self)
    }
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Date(d) => Ok(d),
            Value::String(s) => {
                crate::value::parse_date(&s).ok_or_else(|| format!("`{s}` is not a date"))
            }
            Value::Int(ms) => DateTime::from_timestamp_millis(ms)
                .ok_or_else(|| format!("{ms} is out of range for a date")),
            other => Err(mismatch("a date", &other)),
        }
    }
}

impl FieldValue for GeoPoint {
    fn property_type() -> PropertyType {
        PropertyType::GeoPoint
    }
    fn to_value(&self) -> Value {
        Value::GeoPoint(*self)
    }
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::GeoPoint(p) => Ok(p),
            other => GeoPoint::from_json(&other.to_json()),
        }
    }
}

impl FieldValue for Buffer {
    fn property_type() -> PropertyType {
        PropertyType::Buffer
    }
    fn to_value(&self) -> Value {
        Value::Buffer(self.0.clone())
    }
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Buffer(b) => Ok(Buffer(b)),
            other => Err(mismatch("a buffer", &other)),
        }
    }
}

impl FieldValue for serde_json::Value {
    fn property_type() -> PropertyType {
        PropertyType::Any
    }
    fn to_value(&self) -> Value {
        Value::from_json(self)
    }
    fn from_value(value: Value) -> Result<Self, String> {
        Ok(value.to_json())
    }
    fn nullable() -> bool {
        true
    }
}

impl FieldValue for Record {
    fn property_type() -> PropertyType {
        PropertyType::Object
    }
    fn to_value(&self) -> Value {
        Value::Object(self.clone())
    }
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Object(r) => Ok(r),
            other => Err(mismatch("an object", &other)),
        }
    }
}

impl<T: FieldValue> FieldValue for Option<T> {
    fn property_type() -> PropertyType {
        T::property_type()
    }
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::to_value)
    }
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
    fn nullable() -> bool {
        true
    }
}

impl<T: FieldValue> FieldValue for Vec<T> {
    fn property_type() -> PropertyType {
        PropertyType::Array(Box::new(T::property_type()))
    }
    fn to_value(&self) -> Value {
        Value::Array(self.iter().map(T::to_value).collect())
    }
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Array(a) => a
                .into_iter()
                .enumerate()
                .map(|(i, v)| T::from_value(v).map_err(|e| format!("[{i}]: {e}")))
                .collect(),
            other => Err(mismatch("an array", &other)),
        }
    }
}
