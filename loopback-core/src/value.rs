//! Dynamic, JSON-compatible values with real types.
//!
//! [`Value`] is what every connector, hook and filter works with. It keeps integers and floats
//! apart, carries dates as [`DateTime<Utc>`], binary data as bytes and geographic points as
//! [`GeoPoint`]. [`Record`] is an ordered map of property names to values: one model instance.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A dynamically typed value, as stored in a [`Record`].
#[derive(Debug, Clone, Default)]
pub enum Value {
    /// JSON `null`, or a property that is explicitly empty.
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A floating point number.
    Float(f64),
    /// A string.
    String(String),
    /// A point in time, always UTC.
    Date(DateTime<Utc>),
    /// Binary data (LoopBack's `Buffer`).
    Buffer(Vec<u8>),
    /// A geographic point (LoopBack's `GeoPoint`).
    GeoPoint(GeoPoint),
    /// An ordered list.
    Array(Vec<Value>),
    /// A nested object.
    Object(Record),
}

/// A latitude/longitude pair, LoopBack's `GeoPoint`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Latitude in degrees, -90 to 90.
    pub lat: f64,
    /// Longitude in degrees, -180 to 180.
    pub lng: f64,
}

impl GeoPoint {
    /// A point, checking that latitude and longitude are within range.
    pub fn new(lat: f64, lng: f64) -> Result<Self, String> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(format!("latitude {lat} is out of range (-90 to 90)"));
        }
        if !lng.is_finite() || !(-180.0..=180.0).contains(&lng) {
            return Err(format!("longitude {lng} is out of range (-180 to 180)"));
        }
        Ok(GeoPoint { lat, lng })
    }

    /// Parses LoopBack's accepted point forms: `"lat,lng"`, `[lat, lng]` and `{lat, lng}`.
    pub fn from_json(v: &serde_json::Value) -> Result<Self, String> {
        match v {
            serde_json::Value::String(s) => {
                let mut parts = s.split(',');
                let (Some(a), Some(b), None) = (parts.next(), parts.next(), parts.next()) else {
                    return Err(format!("`{s}` is not a point; expected \"lat,lng\""));
                };
                let lat = a
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| format!("`{a}` is not a latitude"))?;
                let lng = b
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| format!("`{b}` is not a longitude"))?;
                GeoPoint::new(lat, lng)
            }
            serde_json::Value::Array(a) if a.len() == 2 => {
                let lat = a[0].as_f64().ok_or("latitude must be a number")?;
                let lng = a[1].as_f64().ok_or("longitude must be a number")?;
                GeoPoint::new(lat, lng)
            }
            serde_json::Value::Object(o) => {
                let lat = o
                    .get("lat")
                    .and_then(num_or_numeric_string)
                    .ok_or("a point needs a numeric `lat`")?;
                let lng = o
                    .get("lng")
                    .and_then(num_or_numeric_string)
                    .ok_or("a point needs a numeric `lng`")?;
                GeoPoint::new(lat, lng)
            }
            _ => Err("a point must be \"lat,lng\", [lat, lng] or {lat, lng}".into()),
        }
    }

    /// Great-circle distance to `other` in the given unit (haversine, as LoopBack computes it).
    pub fn distance_to(&self, other: &GeoPoint, unit: DistanceUnit) -> f64 {
        let (lat1, lng1) = (self.lat.to_radians(), self.lng.to_radians());
        let (lat2, lng2) = (other.lat.to_radians(), other.lng.to_radians());
        let dlat = lat2 - lat1;
        let dlng = lng2 - lng1;
        let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlng / 2.0).sin().powi(2);
        let c = 2.0 * a.sqrt().atan2((1.0 - a).sqrt());
        c * unit.earth_radius()
    }
}

fn num_or_numeric_string(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Units accepted by the `near` operator's `unit` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DistanceUnit {
    /// Statute miles, LoopBack's default.
    #[default]
    Miles,
    /// Kilometres.
    Kilometers,
    /// Metres.
    Meters,
    /// Feet.
    Feet,
    /// Radians of arc.
    Radians,
    /// Degrees of arc.
    Degrees,
}

impl DistanceUnit {
    /// Parses LoopBack's unit names.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "miles" => DistanceUnit::Miles,
            "kilometers" => DistanceUnit::Kilometers,
            "meters" => DistanceUnit::Meters,
            "feet" => DistanceUnit::Feet,
            "radians" => DistanceUnit::Radians,
            "degrees" => DistanceUnit::Degrees,
            _ => return None,
        })
    }

    /// The unit's LoopBack name.
    pub fn as_str(self) -> &'static str {
        match self {
            DistanceUnit::Miles => "miles",
            DistanceUnit::Kilometers => "kilometers",
            DistanceUnit::Meters => "meters",
            DistanceUnit::Feet => "feet",
            DistanceUnit::Radians => "radians",
            DistanceUnit::Degrees => "degrees",
        }
    }

    /// Earth's radius in this unit (the constants loopback-datasource-juggler's geo module uses).
    pub fn earth_radius(self) -> f64 {
        match self {
            DistanceUnit::Miles => 3958.75,
            DistanceUnit::Kilometers => 6371.0,
            DistanceUnit::Meters => 6_371_000.0,
            DistanceUnit::Feet => 20_902_200.0,
            DistanceUnit::Radians => 1.0,
            DistanceUnit::Degrees => 57.2957795,
        }
    }
}

/// A property name inside a [`Record`]: a shared string, so records built from the same model
/// (every row of a query) share their key instead of copying it.
///
/// Names declared by model definitions are interned ([`Key::interned`]): cloning such a key
/// copies a pointer, with no reference count that threads serving requests side by side
/// would contend on. Other names (from request bodies, say) are reference-counted.
#[derive(Clone)]
pub struct Key(KeyRepr);

#[derive(Clone)]
enum KeyRepr {
    /// A name of the process-wide set of model property names.
    Interned(&'static str),
    /// Any other name.
    Shared(Arc<str>),
}

/// The most names [`Key::interned`] keeps; later names are reference-counted keys instead, so
/// an application that keeps defining new models cannot grow the set without bound.
const MAX_INTERNED: usize = 65_536;

impl Key {
    /// The name.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            KeyRepr::Interned(s) => s,
            KeyRepr::Shared(s) => s,
        }
    }

    /// The key for a property name declared by a model definition, from a process-wide set
    /// of names kept for the life of the process (at most 65,536 of them; beyond that this
    /// is [`Key::from`]). Never call it with names chosen by clients.
    pub fn interned(name: &str) -> Key {
        static NAMES: std::sync::OnceLock<
            std::sync::Mutex<std::collections::HashSet<&'static str>>,
        > = std::sync::OnceLock::new();
        let mut names = NAMES
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(s) = names.get(name) {
            return Key(KeyRepr::Interned(s));
        }
        if names.len() >= MAX_INTERNED {
            return Key::from(name);
        }
        let s: &'static str = Box::leak(name.to_owned().into_boxed_str());
        names.insert(s);
        Key(KeyRepr::Interned(s))
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Key {}

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Key) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Deref for Key {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Key {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Key {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<&str> for Key {
    fn from(s: &str) -> Self {
        Key(KeyRepr::Shared(Arc::from(s)))
    }
}

impl From<String> for Key {
    fn from(s: String) -> Self {
        Key(KeyRepr::Shared(Arc::from(s)))
    }
}

impl From<&String> for Key {
    fn from(s: &String) -> Self {
        Key::from(s.as_str())
    }
}

impl From<&Key> for Key {
    fn from(k: &Key) -> Self {
        k.clone()
    }
}

impl From<Arc<str>> for Key {
    fn from(s: Arc<str>) -> Self {
        Key(KeyRepr::Shared(s))
    }
}

impl From<Key> for String {
    fn from(k: Key) -> Self {
        k.as_str().to_owned()
    }
}

impl PartialEq<str> for Key {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Key {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Key {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Serialize for Key {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Key::from)
    }
}

/// One model instance: property names mapped to values, in insertion order (the model's property
/// order when built by the model layer).
///
/// Records are small maps: below 16 properties they are a plain list searched
/// in order (no hashing, one allocation), beyond that a hash index (foldhash, seeded at
/// random, as record keys come from request bodies) keeps lookups constant-time. Equality
/// ignores order, as for maps.
#[derive(Clone, Default)]
pub struct Record {
    entries: Vec<(Key, Value)>,
    index: Option<Box<RecordIndex>>,
}

/// Positions of a large record's keys in its entries.
type RecordIndex = HashMap<Key, usize, foldhash::fast::RandomState>;

/// The number of properties from which a record keeps a hash index.
const INDEXED_FROM: usize = 16;

impl Record {
    /// An empty record.
    pub fn new() -> Self {
        Record::default()
    }

    /// An empty record with room for `n` properties.
    pub fn with_capacity(n: usize) -> Self {
        Record {
            entries: Vec::with_capacity(n),
            index: None,
        }
    }

    /// A record of `entries`, whose keys the caller guarantees to be distinct (a row decoded
    /// column by column, say), without checking each key against the ones before it as
    /// [`Record::insert`] does. Distinctness is checked in debug builds only; in release
    /// builds a repeated key makes lookups see its first value.
    pub fn from_distinct(entries: Vec<(Key, Value)>) -> Self {
        debug_assert!(
            entries
                .iter()
                .enumerate()
                .all(|(i, (k, _))| entries[..i].iter().all(|(p, _)| p != k)),
            "Record::from_distinct given a repeated key"
        );
        let mut record = Record {
            entries,
            index: None,
        };
        if record.entries.len() >= INDEXED_FROM {
            record.reindex();
        }
        record
    }

    /// The position of `key`, if present.
    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.entries.iter().position(|(k, _)| k.as_str() == key),
        }
    }

    /// Builds the index when the record has grown large enough, drops it when it has shrunk.
    fn reindex(&mut self) {
        if self.entries.len() < INDEXED_FROM {
            self.index = None;
            return;
        }
        let index = self.index.get_or_insert_with(Default::default);
        index.clear();
        index.reserve(self.entries.len());
        for (i, (k, _)) in self.entries.iter().enumerate() {
            index.insert(k.clone(), i);
        }
    }

    /// The value of a property, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.position(key).map(|i| &self.entries[i].1)
    }

    /// A mutable reference to a property's value, if present.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.position(key).map(|i| &mut self.entries[i].1)
    }

    /// Sets a property, returning the previous value. A new key goes last; an existing one
    /// keeps its place.
    pub fn insert(&mut self, key: impl Into<Key>, value: impl Into<Value>) -> Option<Value> {
        let key = key.into();
        let value = value.into();
        if let Some(i) = self.position(&key) {
            return Some(std::mem::replace(&mut self.entries[i].1, value));
        }
        let at = self.entries.len();
        match &mut self.index {
            Some(index) => {
                index.insert(key.clone(), at);
                self.entries.push((key, value));
            }
            None => {
                self.entries.push((key, value));
                if self.entries.len() >= INDEXED_FROM {
                    self.reindex();
                }
            }
        }
        None
    }

    /// Removes a property, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.position(key)?;
        let (_, value) = self.entries.remove(i);
        if self.index.is_some() {
            self.reindex();
        }
        Some(value)
    }

    /// Whether the property is present (even when null).
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Number of properties.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the record has no properties.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Iterates over `(name, value)` pairs in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.entries.iter())
    }

    /// Iterates over mutable values in order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&Key, &mut Value)> {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// Property names in order.
    pub fn keys(&self) -> impl Iterator<Item = &Key> {
        self.entries.iter().map(|(k, _)| k)
    }

    /// Keeps only the properties for which `f` returns true.
    pub fn retain(&mut self, mut f: impl FnMut(&str, &mut Value) -> bool) {
        let before = self.entries.len();
        self.entries.retain_mut(|(k, v)| f(k, v));
        if self.entries.len() != before && self.index.is_some() {
            self.reindex();
        }
    }

    /// Copies every property of `other` into `self`, overwriting equal keys.
    pub fn merge(&mut self, other: Record) {
        for (k, v) in other.entries {
            self.insert(k, v);
        }
    }

    /// Converts to a JSON object, with LoopBack's JSON forms for dates, buffers and points.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(self.to_json_map())
    }

    /// Converts to a JSON map.
    pub fn to_json_map(&self) -> serde_json::Map<String, serde_json::Value> {
        self.iter()
            .map(|(k, v)| (k.to_string(), v.to_json()))
            .collect()
    }

    /// Builds a record from a JSON object without any model typing (numbers become `Int` or
    /// `Float`, strings stay strings). Returns `None` when `json` is not an object.
    pub fn from_json(json: &serde_json::Value) -> Option<Record> {
        match json {
            serde_json::Value::Object(m) => Some(Record::from_json_map(m)),
            _ => None,
        }
    }

    /// Builds a record from a JSON map without any model typing.
    pub fn from_json_map(m: &serde_json::Map<String, serde_json::Value>) -> Record {
        m.iter()
            .map(|(k, v)| (Key::from(k.as_str()), Value::from_json(v)))
            .collect()
    }
}

impl PartialEq for Record {
    /// Equal when both have the same properties with equal values, in any order.
    fn eq(&self, other: &Record) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Into<Key>> FromIterator<(K, Value)> for Record {
    fn from_iter<T: IntoIterator<Item = (K, Value)>>(iter: T) -> Self {
        let iter = iter.into_iter();
        let mut out = Record::with_capacity(iter.size_hint().0);
        for (k, v) in iter {
            out.insert(k, v);
        }
        out
    }
}

/// An iterator over a record's `(name, value)` pairs, in order.
#[derive(Debug, Clone)]
pub struct Iter<'a>(std::slice::Iter<'a, (Key, Value)>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a Key, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (k, v))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// An iterator taking a record's `(name, value)` pairs, in order.
#[derive(Debug)]
pub struct IntoIter(std::vec::IntoIter<(Key, Value)>);

impl Iterator for IntoIter {
    type Item = (Key, Value);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for IntoIter {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back()
    }
}

impl ExactSizeIterator for IntoIter {}

impl IntoIterator for Record {
    type Item = (Key, Value);
    type IntoIter = IntoIter;
    fn into_iter(self) -> IntoIter {
        IntoIter(self.entries.into_iter())
    }
}

impl<'a> IntoIterator for &'a Record {
    type Item = (&'a Key, &'a Value);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl Value {
    /// Whether this is `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The string inside, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer inside, if this is an integer (or a float with no fractional part).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 => {
                Some(*f as i64)
            }
            _ => None,
        }
    }

    /// The number inside as `f64`, if this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The boolean inside, if this is a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The record inside, if this is an object.
    pub fn as_object(&self) -> Option<&Record> {
        match self {
            Value::Object(r) => Some(r),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// A short name of the variant, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) | Value::Float(_) => "number",
            Value::String(_) => "string",
            Value::Date(_) => "date",
            Value::Buffer(_) => "buffer",
            Value::GeoPoint(_) => "geopoint",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// Converts untyped JSON: integers that fit `i64` become `Int`, other numbers `Float`.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(a) => Value::Array(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(m) => Value::Object(Record::from_json_map(m)),
        }
    }

    /// Converts to JSON the way LoopBack serialises: dates as ISO-8601 with milliseconds and `Z`,
    /// buffers as Node's `{"type":"Buffer","data":[..]}`, points as `{lat, lng}`, whole floats as
    /// integers (JavaScript has one number type), non-finite floats as `null`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => float_to_json(*f),
            Value::String(s) => J::String(s.clone()),
            Value::Date(d) => J::String(format_date(d)),
            Value::Buffer(b) => serde_json::json!({"type": "Buffer", "data": b}),
            Value::GeoPoint(p) => {
                serde_json::json!({"lat": float_to_json(p.lat), "lng": float_to_json(p.lng)})
            }
            Value::Array(a) => J::Array(a.iter().map(Value::to_json).collect()),
            Value::Object(r) => r.to_json(),
        }
    }

    /// LoopBack's loose comparison used by the memory connector and in-memory filtering: numbers
    /// compare numerically across int/float, dates with dates (and with numbers as epoch
    /// milliseconds, and with ISO strings), strings lexicographically. `None` when the two values
    /// are not comparable.
    pub fn loose_cmp(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
            (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
                self.as_f64()?.partial_cmp(&other.as_f64()?)
            }
            (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
            (Value::Date(a), Value::Int(_) | Value::Float(_)) => {
                (a.timestamp_millis() as f64).partial_cmp(&other.as_f64()?)
            }
            (Value::Int(_) | Value::Float(_), Value::Date(b)) => {
                self.as_f64()?.partial_cmp(&(b.timestamp_millis() as f64))
            }
            (Value::Date(a), Value::String(s)) => Some(a.cmp(&parse_date(s)?)),
            (Value::String(s), Value::Date(b)) => Some(parse_date(s)?.cmp(b)),
            (Value::String(s), Value::Int(_) | Value::Float(_)) => {
                s.trim().parse::<f64>().ok()?.partial_cmp(&other.as_f64()?)
            }
            (Value::Int(_) | Value::Float(_), Value::String(s)) => {
                self.as_f64()?.partial_cmp(&s.trim().parse::<f64>().ok()?)
            }
            (Value::Buffer(a), Value::Buffer(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    /// LoopBack's loose equality (`==` after type coercion for numbers, dates and strings; deep
    /// equality for arrays, objects and points).
    pub fn loose_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Null, _) | (_, Value::Null) => false,
            (Value::Array(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.loose_eq(y))
            }
            (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| b.get(k).is_some_and(|w| v.loose_eq(w)))
            }
            (Value::GeoPoint(a), Value::GeoPoint(b)) => a == b,
            (Value::Bool(a), Value::String(s)) | (Value::String(s), Value::Bool(a)) => {
                (s == "true" && *a) || (s == "false" && !*a)
            }
            _ => self.loose_cmp(other) == Some(Ordering::Equal),
        }
    }
}

fn float_to_json(f: f64) -> serde_json::Value {
    if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
        serde_json::Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

/// Formats a date as JavaScript's `Date.prototype.toJSON` does: `2014-04-01T18:30:00.000Z`,
/// and beyond the years 0 to 9999 with a signed six-digit year (`+010000-01-01T00:00:00.000Z`,
/// `-000001-01-01T00:00:00.000Z`).
pub fn format_date(d: &DateTime<Utc>) -> String {
    use chrono::Datelike;
    let year = d.year();
    if (0..=9999).contains(&year) {
        return d.to_rfc3339_opts(SecondsFormat::Millis, true);
    }
    format!(
        "{}{:06}-{}",
        if year < 0 { '-' } else { '+' },
        year.unsigned_abs(),
        d.format("%m-%dT%H:%M:%S%.3fZ")
    )
}

/// Parses the date strings LoopBack accepts: RFC 3339 / ISO-8601 date-times (with or without a
/// zone; no zone means UTC), and plain `YYYY-MM-DD` dates (midnight UTC).
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(n) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(n.and_utc());
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|n| n.and_utc());
    }
    None
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b || (a.is_nan() && b.is_nan()),
            (Value::Int(a), Value::Float(b)) | (Value::Float(b), Value::Int(a)) => {
                (*a as f64) == *b
            }
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Date(a), Value::Date(b)) => a == b,
            (Value::Buffer(a), Value::Buffer(b)) => a == b,
            (Value::GeoPoint(a), Value::GeoPoint(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => a == b,
            (Value::Object(a), Value::Object(b)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => f.write_str(s),
            other => write!(f, "{}", other.to_json()),
        }
    }
}

/// A number as JavaScript writes it: whole values (within the safe integer range) without a
/// fraction, non-finite ones as `null`; the same rules as [`Value::to_json`].
struct JsNumber(f64);

impl Serialize for JsNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.0;
        if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
            s.serialize_i64(f as i64)
        } else if f.is_finite() {
            s.serialize_f64(f)
        } else {
            s.serialize_unit()
        }
    }
}

/// Serialises exactly as [`Value::to_json`] converts, without building the JSON tree first.
impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Float(f) => JsNumber(*f).serialize(s),
            Value::String(v) => s.serialize_str(v),
            Value::Date(d) => s.serialize_str(&format_date(d)),
            Value::Buffer(b) => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("type", "Buffer")?;
                m.serialize_entry("data", b)?;
                m.end()
            }
            Value::GeoPoint(p) => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("lat", &JsNumber(p.lat))?;
                m.serialize_entry("lng", &JsNumber(p.lng))?;
                m.end()
            }
            Value::Array(a) => s.collect_seq(a),
            Value::Object(r) => r.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde_json::Value::deserialize(d).map(|j| Value::from_json(&j))
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.len()))?;
        for (k, v) in self {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(RecordVisitor)
    }
}

/// Reads a JSON object into a record; a repeated key keeps its first place and its last value.
struct RecordVisitor;

impl<'de> serde::de::Visitor<'de> for RecordVisitor {
    type Value = Record;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Record, A::Error> {
        let mut out = Record::with_capacity(map.size_hint().unwrap_or(0).min(INDEXED_FROM));
        while let Some((k, v)) = map.next_entry::<Key, Value>()? {
            out.insert(k, v);
        }
        Ok(out)
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self { Value::Int(v as i64) }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Value::Float(v as f64)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::String(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.to_owned())
    }
}
impl From<DateTime<Utc>> for Value {
    fn from(v: DateTime<Utc>) -> Self {
        Value::Date(v)
    }
}
impl From<GeoPoint> for Value {
    fn from(v: GeoPoint) -> Self {
        Value::GeoPoint(v)
    }
}
impl From<Record> for Value {
    fn from(v: Record) -> Self {
        Value::Object(v)
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Self {
        Value::Array(v.into_iter().map(Into::into).collect())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}
impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Self {
        Value::from_json(&v)
    }
}

/// Builds a [`Record`] from `key => value` pairs: `record! { "title" => "Dune", "price" => 9 }`.
#[macro_export]
macro_rules! record {
    () => { $crate::Record::new() };
    ($($k:expr => $v:expr),+ $(,)?) => {{
        let mut r = $crate::Record::new();
        $( r.insert($k, $v); )+
        r
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_javascript_writes_them() {
        // Expected strings from Node's `new Date(ms).toISOString()`.
        for (ms, iso) in [
            (1_396_377_000_000, "2014-04-01T18:30:00.000Z"),
            (253_402_300_800_000, "+010000-01-01T00:00:00.000Z"),
            (-62_198_755_200_000, "-000001-01-01T00:00:00.000Z"),
            (-62_167_219_200_000, "0000-01-01T00:00:00.000Z"),
            (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
            (-7_262_569_968_610_521, "-228172-04-27T05:09:49.479Z"),
        ] {
            let d = DateTime::from_timestamp_millis(ms).unwrap();
            assert_eq!(format_date(&d), iso, "{ms}");
        }
    }

    #[test]
    fn records_keep_order_and_find_keys_small_and_large() {
        for n in [
            0usize,
            1,
            5,
            INDEXED_FROM - 1,
            INDEXED_FROM,
            INDEXED_FROM + 1,
            100,
        ] {
            let mut r = Record::new();
            for i in 0..n {
                assert_eq!(r.insert(format!("k{i}"), Value::Int(i as i64)), None);
            }
            assert_eq!(r.len(), n);
            for i in 0..n {
                assert_eq!(
                    r.get(&format!("k{i}")),
                    Some(&Value::Int(i as i64)),
                    "n={n}"
                );
            }
            assert_eq!(r.get("missing"), None);
            // Replacing keeps the place.
            if n > 2 {
                assert_eq!(r.insert("k1", "one"), Some(Value::Int(1)));
                assert_eq!(r.keys().nth(1).map(|k| k.as_ref()), Some("k1"));
                assert_eq!(r.get("k1"), Some(&Value::from("one")));
            }
            // Removing keeps the others' order and their lookups.
            if n > 0 {
                assert!(r.remove("k0").is_some());
                assert!(!r.contains_key("k0"));
                let keys: Vec<String> = r.keys().map(|k| k.to_string()).collect();
                let expected: Vec<String> = (1..n).map(|i| format!("k{i}")).collect();
                assert_eq!(keys, expected);
                for i in 2..n {
                    assert_eq!(r.get(&format!("k{i}")), Some(&Value::Int(i as i64)));
                }
            }
            // Retaining the odd ones.
            r.retain(|k, _| k[1..].parse::<usize>().is_ok_and(|i| i % 2 == 1));
            for i in 1..n {
                assert_eq!(r.contains_key(&format!("k{i}")), i % 2 == 1, "n={n} i={i}");
            }
            // Equality ignores order.
            let reversed: Record = r.clone().into_iter().rev().collect();
            assert_eq!(r, reversed);
            let mut other = reversed.clone();
            let first = other.keys().next().cloned();
            if let Some(k) = first {
                other.insert(k, "changed");
                assert_ne!(r, other);
            }
        }
    }

    #[test]
    fn serialising_writes_what_to_json_converts() {
        let mut inner = Record::new();
        inner.insert(
            "when",
            Value::Date(parse_date("1969-12-31T23:59:59.5Z").unwrap()),
        );
        inner.insert("bytes", Value::Buffer(vec![0, 7, 255]));
        inner.insert("at", GeoPoint::new(-33.5, 151.25).unwrap());
        inner.insert("text", "quote \" backslash \\ nul \u{0} é 😀");
        let mut record = Record::new();
        for (i, f) in [
            0.0,
            -0.0,
            2.0,
            0.1,
            -1.5e-7,
            1e300,
            9_007_199_254_740_991.0,
            9_007_199_254_740_992.0,
            1e16,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ]
        .into_iter()
        .enumerate()
        {
            record.insert(format!("f{i}"), Value::Float(f));
        }
        record.insert("int", i64::MIN);
        record.insert("null", Value::Null);
        record.insert("bool", true);
        record.insert(
            "list",
            Value::Array(vec![
                Value::Int(1),
                Value::Object(inner.clone()),
                Value::Null,
            ]),
        );
        record.insert("object", Value::Object(inner));
        let value = Value::Object(record);
        let direct = serde_json::to_string(&value).unwrap();
        let through_tree = serde_json::to_string(&value.to_json()).unwrap();
        assert_eq!(direct, through_tree);
        assert!(direct.contains(r#""f1":0,"#), "{direct}");
        assert!(direct.contains(r#""f9":null"#), "{direct}");
    }

    #[test]
    fn int_and_float_stay_apart_but_compare_equal() {
        let j: serde_json::Value = serde_json::from_str("[1, 1.5, 2.0]").unwrap();
        let v = Value::from_json(&j);
        let a = v.as_array().unwrap();
        assert!(matches!(a[0], Value::Int(1)));
        assert!(matches!(a[1], Value::Float(f) if f == 1.5));
        assert!(matches!(a[2], Value::Float(f) if f == 2.0));
        assert_eq!(Value::Int(2), Value::Float(2.0));
        assert_eq!(Value::Float(2.0).to_json(), serde_json::json!(2));
    }

    #[test]
    fn dates_serialise_like_javascript() {
        let d = parse_date("2014-04-01T18:30:00Z").unwrap();
        assert_eq!(
            Value::Date(d).to_json(),
            serde_json::json!("2014-04-01T18:30:00.000Z")
        );
        assert_eq!(parse_date("2014-04-01").unwrap().timestamp(), 1396310400);
        assert!(parse_date("not a date").is_none());
    }

    #[test]
    fn loose_comparisons() {
        let d = parse_date("2020-01-01T00:00:00Z").unwrap();
        assert_eq!(
            Value::Date(d).loose_cmp(&Value::Int(d.timestamp_millis() + 1)),
            Some(Ordering::Less)
        );
        assert!(Value::String("10".into()).loose_eq(&Value::Int(10)));
        assert!(!Value::Null.loose_eq(&Value::Int(0)));
        assert_eq!(
            Value::String("a".into()).loose_cmp(&Value::Bool(true)),
            None
        );
    }

    #[test]
    fn geopoint_forms_and_distance() {
        let a = GeoPoint::from_json(&serde_json::json!("42.266271,-72.6700016")).unwrap();
        let b = GeoPoint::from_json(&serde_json::json!({"lat": 42.0, "lng": -72.0})).unwrap();
        let c = GeoPoint::from_json(&serde_json::json!([42.0, -72.0])).unwrap();
        assert_eq!(b, c);
        let miles = a.distance_to(&b, DistanceUnit::Miles);
        let km = a.distance_to(&b, DistanceUnit::Kilometers);
        assert!(miles > 30.0 && miles < 45.0, "{miles}");
        assert!((km / miles - 1.609).abs() < 0.01);
        assert!(GeoPoint::from_json(&serde_json::json!("95,0")).is_err());
        assert!(GeoPoint::from_json(&serde_json::json!("x")).is_err());
    }
}
