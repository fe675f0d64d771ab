//! In-memory evaluation of filters (the memory connector's and `loopback-filters`' semantics).
//!
//! A [`Where`] is compiled once per query into a [`CompiledWhere`] (regular expressions built,
//! `inq` lists hashed, property paths split) and then tested against each record. A whole
//! [`Filter`] compiles into a [`CompiledFilter`] that also orders, pages and projects.
//! Stores that do not keep [`Record`]s (the memory connector keeps columns) implement [`Row`]
//! and compile with [`Filter::compile_with_slots`], so properties are found by position.
//!
//! The semantics follow LoopBack 3's memory connector:
//!
//! - equality and comparisons are loose ([`Value::loose_eq`], [`Value::loose_cmp`]): `"10"`
//!   equals `10`, dates compare with ISO strings and epoch milliseconds; values that cannot be
//!   compared fail every comparison;
//! - `{x: null}` matches null or missing values; `neq` and `nin` match missing values (unless
//!   the list holds `null`), `nlike`/`nilike` match them too;
//! - a condition on an array-valued property matches when any element matches (an empty array
//!   matches only `neq`), and a dotted path (`address.city`, `items.name`) descends into nested
//!   objects and fans out over arrays;
//! - `like` patterns translate `%` and `_` to regular expressions ([`like_to_regex`]) and match
//!   anywhere in the value; `regexp` honours the `i` and `m` flags;
//! - `near` filters only when `maxDistance` or `minDistance` is given and otherwise orders by
//!   distance (when the filter has no explicit `order`).

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashSet;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;

use regex::{Regex, RegexBuilder};

use super::{Condition, Direction, Fields, Filter, Near, RegexpPattern, Where};
use crate::error::{Error, Result};
use crate::value::{DistanceUnit, GeoPoint, Record, Value};

impl Where {
    /// Whether `record` satisfies the condition, with the memory connector's semantics.
    ///
    /// This compiles the condition on every call; to test many records, compile once with
    /// [`Where::compile`]. A condition that does not compile (an invalid `regexp`) matches
    /// nothing.
    pub fn matches(&self, record: &Record) -> bool {
        self.compile().is_ok_and(|c| c.matches(record))
    }

    /// Compiles the condition for repeated evaluation: regular expressions are built and `inq`
    /// lists hashed once. Fails with [`Error::InvalidFilter`] on an invalid `regexp` pattern.
    pub fn compile(&self) -> Result<CompiledWhere> {
        self.compile_with_slots(&|_| None)
    }

    /// Compiles the condition for a store whose rows expose properties by position ([`Row`]):
    /// `slots` gives the position of each top-level property name, and the compiled condition
    /// passes it to [`Row::property`]. Records ([`CompiledWhere::matches`]) ignore it.
    pub fn compile_with_slots(
        &self,
        slots: &dyn Fn(&str) -> Option<usize>,
    ) -> Result<CompiledWhere> {
        Ok(CompiledWhere {
            node: compile_node(self, slots)?,
        })
    }
}

impl Filter {
    /// Compiles the filter's `where`, `order`, `skip`, `limit` and `fields` for in-memory
    /// evaluation (`include` is not evaluated here).
    pub fn compile(&self) -> Result<CompiledFilter> {
        self.compile_with_slots(&|_| None)
    }

    /// Compiles the filter for a store whose rows expose properties by position ([`Row`]); see
    /// [`Where::compile_with_slots`].
    pub fn compile_with_slots(
        &self,
        slots: &dyn Fn(&str) -> Option<usize>,
    ) -> Result<CompiledFilter> {
        let where_ = self
            .where_
            .as_ref()
            .map(|w| w.compile_with_slots(slots))
            .transpose()?;
        let order = self
            .order
            .iter()
            .map(|o| OrderKey {
                path: PropertyPath::new(&o.property, slots),
                direction: o.direction,
            })
            .collect();
        let mut near = None;
        if let Some(w) = &self.where_ {
            w.for_each_cond(&mut |property, op| {
                if let (None, Condition::Near(n)) = (&near, op) {
                    near = Some(NearKey {
                        path: PropertyPath::new(property, slots),
                        point: n.point,
                        unit: n.unit.unwrap_or_default(),
                    });
                }
            });
        }
        Ok(CompiledFilter {
            where_,
            order,
            near,
            skip: self.skip.map_or(0, saturating_usize),
            // The memory connector reads `limit: 0` as "no limit" (`filter.limit || length`).
            limit: self.limit.filter(|&l| l > 0).map(saturating_usize),
            fields: self.fields.clone(),
        })
    }
}

fn saturating_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Runs a whole filter over owned records: `where`, then `order` (or distance order for a
/// `near` condition when there is no explicit order), then `skip` and `limit`, then `fields`.
/// Records keep their input order where the filter does not order them (`include` is ignored).
pub fn apply_filter(
    records: impl IntoIterator<Item = Record>,
    filter: &Filter,
) -> Result<Vec<Record>> {
    let compiled = filter.compile()?;
    let mut records: Vec<Option<Record>> = records.into_iter().map(Some).collect();
    let picked = {
        let mut positions = Vec::new();
        let mut matched = Vec::new();
        for (i, r) in records.iter().enumerate() {
            if let Some(r) = r {
                if compiled.matches(r) {
                    positions.push(i);
                    matched.push(r);
                }
            }
        }
        let order = compiled.plan(&matched);
        order.into_iter().map(|i| positions[i]).collect::<Vec<_>>()
    };
    Ok(picked
        .into_iter()
        .filter_map(|i| records[i].take())
        .map(|r| compiled.project_owned(r))
        .collect())
}

/// Translates a LIKE pattern to an anchor-free regular expression source, as the memory
/// connector does: `%` → `.*`, `_` → `.`, `\x` → literal `x`, other metacharacters escaped.
///
/// ```
/// use loopback_core::filter::like_to_regex;
/// assert_eq!(like_to_regex("M%st_"), "M.*st.");
/// assert_eq!(like_to_regex(r"100\%"), "100%");
/// assert_eq!(like_to_regex("a.b"), r"a\.b");
/// ```
pub fn like_to_regex(pattern: &str) -> String {
    like_translate(pattern, false)
}

/// The translation behind [`like_to_regex`]. With `trim`, runs of `%` collapse and leading or
/// trailing `%` are dropped, which changes nothing for an unanchored match but lets the regex
/// engine search for a literal directly.
fn like_translate(pattern: &str, trim: bool) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    let mut buf = [0u8; 4];
    let mut pending_any = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        match c {
            '%' => {
                if trim {
                    pending_any = true;
                } else {
                    out.push_str(".*");
                }
                continue;
            }
            _ if trim && pending_any => {
                if !at_start {
                    out.push_str(".*");
                }
                pending_any = false;
            }
            _ => {}
        }
        at_start = false;
        match c {
            '_' => out.push('.'),
            '\\' => {
                // A trailing backslash stands for itself.
                let lit = chars.next().unwrap_or('\\');
                out.push_str(&regex::escape(lit.encode_utf8(&mut buf)));
            }
            _ => out.push_str(&regex::escape(c.encode_utf8(&mut buf))),
        }
    }
    out
}

/// The literal a LIKE pattern searches for, when it is one: no wildcards other than `%` at
/// either end, and no escapes.
fn like_literal(pattern: &str) -> Option<String> {
    let inner = pattern.trim_matches('%');
    (!inner.contains(['%', '_', '\\'])).then(|| inner.to_owned())
}

// ----- compiled conditions --------------------------------------------------------------------

/// A [`Where`] compiled for fast repeated evaluation. Cheap to share between threads.
#[derive(Debug)]
pub struct CompiledWhere {
    node: Node,
}

impl CompiledWhere {
    /// Whether `record` satisfies the condition.
    pub fn matches(&self, record: &Record) -> bool {
        self.node.eval(record)
    }

    /// Whether a row of a positional store satisfies the condition.
    pub fn matches_row<R: Row>(&self, row: &R) -> bool {
        self.node.eval(&ByRow(row))
    }

    /// The rows of a positional store that satisfy the condition, in their order.
    ///
    /// A top-level `and` is applied one member at a time over the rows still in the running,
    /// so each pass reads one property of ascending rows: far kinder to the cache than
    /// reading every property of each row in turn when the store is column-wise.
    pub fn filter_rows<R: Row>(&self, rows: impl IntoIterator<Item = R>) -> Vec<R> {
        self.filter_all(rows.into_iter().map(ByRow))
            .into_iter()
            .map(|r| r.0)
            .collect()
    }

    fn filter_all<A: Access>(&self, rows: impl Iterator<Item = A>) -> Vec<A> {
        match &self.node {
            Node::All(members) if !members.is_empty() => {
                let mut kept: Vec<A> = rows.filter(|r| members[0].eval(r)).collect();
                for m in &members[1..] {
                    kept.retain(|r| m.eval(r));
                }
                kept
            }
            node => rows.filter(|r| node.eval(r)).collect(),
        }
    }
}

/// Read access to one stored record, for stores that do not keep [`Record`]s (the memory
/// connector keeps its data column-wise). Compile with [`Filter::compile_with_slots`] so that
/// each property arrives with the position the store gave it.
pub trait Row {
    /// The value of the top-level property `name`, `None` when the record does not have it
    /// (a present null is `Some(&Value::Null)`). `slot` is what the slot resolver returned
    /// for `name` when the filter was compiled.
    fn property(&self, name: &str, slot: Option<usize>) -> Option<&Value>;
}

/// How the evaluator reaches a top-level property.
trait Access {
    fn top(&self, path: &PropertyPath) -> Option<&Value>;
}

impl Access for Record {
    fn top(&self, path: &PropertyPath) -> Option<&Value> {
        path.lookup(self)
    }
}

impl Access for &Record {
    fn top(&self, path: &PropertyPath) -> Option<&Value> {
        path.lookup(self)
    }
}

/// Adapts a [`Row`] to the evaluator.
struct ByRow<R>(R);

impl<R: Row> Access for ByRow<R> {
    fn top(&self, path: &PropertyPath) -> Option<&Value> {
        self.0.property(&path.first, path.slot)
    }
}

impl<R: Row + ?Sized> Row for &R {
    fn property(&self, name: &str, slot: Option<usize>) -> Option<&Value> {
        (**self).property(name, slot)
    }
}

// Conditions stay inline: they are evaluated in the innermost loop of every scan, and a box
// would add a pointer chase to each evaluation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    NoneOf(Vec<Node>),
    Cond { path: PropertyPath, test: Test },
}

impl Node {
    fn eval<A: Access + ?Sized>(&self, r: &A) -> bool {
        match self {
            Node::All(v) => v.iter().all(|n| n.eval(r)),
            Node::Any(v) => v.iter().any(|n| n.eval(r)),
            Node::NoneOf(v) => !v.iter().any(|n| n.eval(r)),
            Node::Cond { path, test } => path.eval(r, test),
        }
    }
}

fn compile_node(w: &Where, slots: &dyn Fn(&str) -> Option<usize>) -> Result<Node> {
    let all = |v: &[Where]| {
        v.iter()
            .map(|w| compile_node(w, slots))
            .collect::<Result<Vec<_>>>()
    };
    Ok(match w {
        Where::And(v) => match v.len() {
            1 => compile_node(&v[0], slots)?,
            _ => Node::All(all(v)?),
        },
        Where::Or(v) => Node::Any(all(v)?),
        Where::Nor(v) => Node::NoneOf(all(v)?),
        Where::Cond { property, op } => Node::Cond {
            path: PropertyPath::new(property, slots),
            test: Test::compile(property, op)?,
        },
        // Matching one record cannot see its related records: the operation layer turns
        // these into key lists first.
        Where::Related(r) => {
            return Err(Error::bad_request(format!(
                "the condition on relation \"{}\" must be resolved through the model before \
                 matching records",
                r.relation
            )))
        }
    })
}

/// A property name split on dots, with a remembered position of the first segment in the
/// records seen so far (records of one model share their property order, so the name is
/// usually found at once without hashing).
#[derive(Debug)]
struct PropertyPath {
    first: String,
    rest: Box<[Segment]>,
    /// The store's position for `first`, for [`Row`]s.
    slot: Option<usize>,
    /// Where `first` was last found in a [`Record`].
    hint: AtomicUsize,
}

#[derive(Debug)]
struct Segment {
    name: String,
    index: Option<usize>,
}

impl PropertyPath {
    fn new(path: &str, slots: &dyn Fn(&str) -> Option<usize>) -> Self {
        let mut parts = path.split('.');
        let first = parts.next().unwrap_or_default().to_owned();
        let slot = slots(&first);
        let rest = parts
            .map(|p| Segment {
                name: p.to_owned(),
                index: p.parse().ok(),
            })
            .collect();
        PropertyPath {
            first,
            rest,
            slot,
            hint: AtomicUsize::new(0),
        }
    }

    fn lookup<'r>(&self, record: &'r Record) -> Option<&'r Value> {
        let hint = self.hint.load(Relaxed);
        if let Some((k, v)) = record.iter().nth(hint) {
            if *k == self.first {
                return Some(v);
            }
        }
        if record.len() <= 24 {
            for (i, (k, v)) in record.iter().enumerate() {
                if *k == self.first {
                    self.hint.store(i, Relaxed);
                    return Some(v);
                }
            }
            None
        } else {
            record.get(&self.first)
        }
    }

    fn eval<A: Access + ?Sized>(&self, record: &A, test: &Test) -> bool {
        descend(record.top(self), &self.rest, test)
    }

    /// The value at this path for ordering: objects are descended, arrays only by index.
    fn value<'r, A: Access>(&self, record: &'r A) -> Option<&'r Value> {
        let mut v = record.top(self)?;
        for seg in self.rest.iter() {
            v = match v {
                Value::Object(o) => o.get(&seg.name)?,
                Value::Array(a) => a.get(seg.index?)?,
                _ => return None,
            };
        }
        Some(v)
    }
}

fn descend(v: Option<&Value>, rest: &[Segment], test: &Test) -> bool {
    let Some((seg, tail)) = rest.split_first() else {
        return test.eval(v);
    };
    match v {
        Some(Value::Object(o)) => descend(o.get(&seg.name), tail, test),
        Some(Value::Array(items)) => match seg.index {
            Some(i) => descend(items.get(i), tail, test),
            // Embedded lists: `items.name` matches when any element's `name` does.
            None if items.is_empty() => descend(None, tail, test),
            None => items.iter().any(|e| descend(Some(e), rest, test)),
        },
        Some(Value::GeoPoint(p)) if tail.is_empty() && (seg.name == "lat" || seg.name == "lng") => {
            let c = if seg.name == "lat" { p.lat } else { p.lng };
            test.eval(Some(&Value::Float(c)))
        }
        _ => descend(None, tail, test),
    }
}

#[derive(Debug)]
enum Test {
    IsNull,
    Eq(Value),
    NotNull,
    Neq(Value),
    Cmp(Value, fn(Ordering) -> bool),
    Between(Value, Value),
    In(ValueSet),
    NotIn(ValueSet),
    Pattern {
        re: Regex,
        negate: bool,
    },
    /// A case-sensitive LIKE pattern without inner wildcards: a substring test.
    Contains {
        needle: String,
        negate: bool,
    },
    Regexp(Regex),
    Near {
        point: GeoPoint,
        unit: DistanceUnit,
        min: Option<f64>,
        max: Option<f64>,
    },
    Always,
}

impl Test {
    fn compile(property: &str, op: &Condition) -> Result<Test> {
        let pattern = |p: &str, ci: bool, negate: bool, name: &str| -> Result<Test> {
            if let Some(needle) = like_literal(p).filter(|_| !ci) {
                return Ok(Test::Contains { needle, negate });
            }
            let re = RegexBuilder::new(&like_translate(p, true))
                .case_insensitive(ci)
                .build()
                .map_err(|e| {
                    Error::filter(
                        format!("where.{property}.{name}"),
                        format!("invalid pattern: {e}"),
                    )
                })?;
            Ok(Test::Pattern { re, negate })
        };
        Ok(match op {
            Condition::Eq(Value::Null) => Test::IsNull,
            Condition::Eq(v) => Test::Eq(v.clone()),
            Condition::Neq(Value::Null) => Test::NotNull,
            Condition::Neq(v) => Test::Neq(v.clone()),
            Condition::Gt(v) => Test::Cmp(v.clone(), Ordering::is_gt),
            Condition::Gte(v) => Test::Cmp(v.clone(), Ordering::is_ge),
            Condition::Lt(v) => Test::Cmp(v.clone(), Ordering::is_lt),
            Condition::Lte(v) => Test::Cmp(v.clone(), Ordering::is_le),
            Condition::Between(a, b) => Test::Between(a.clone(), b.clone()),
            Condition::Inq(list) => Test::In(ValueSet::new(list)),
            Condition::Nin(list) => Test::NotIn(ValueSet::new(list)),
            Condition::Like(p) => pattern(p, false, false, "like")?,
            Condition::NLike(p) => pattern(p, false, true, "nlike")?,
            Condition::ILike(p) => pattern(p, true, false, "ilike")?,
            Condition::NILike(p) => pattern(p, true, true, "nilike")?,
            Condition::Regexp(p) => Test::Regexp(compile_regexp(property, p)?),
            Condition::Near(n) => compile_near(n),
        })
    }

    /// Tests one resolved value; `None` is a missing property.
    fn eval(&self, v: Option<&Value>) -> bool {
        if let Some(whole @ Value::Array(items)) = v {
            // An array operand compares with the whole array first.
            match self {
                Test::Eq(want @ Value::Array(_)) if want.loose_eq(whole) => return true,
                Test::Neq(want @ Value::Array(_)) => return !want.loose_eq(whole),
                _ => {}
            }
            // juggler: an empty array satisfies `neq` and nothing else.
            if items.is_empty() {
                return matches!(self, Test::Neq(_) | Test::NotNull);
            }
            return items.iter().any(|e| self.eval(Some(e)));
        }
        match self {
            Test::IsNull => v.map_or(true, Value::is_null),
            Test::Eq(want) => v.is_some_and(|v| loose_eq(want, v)),
            Test::NotNull => v.is_some_and(|v| !v.is_null()),
            Test::Neq(want) => !v.is_some_and(|v| loose_eq(want, v)),
            Test::Cmp(bound, accept) => v.and_then(|v| loose_cmp(v, bound)).is_some_and(accept),
            Test::Between(lo, hi) => v.is_some_and(|v| {
                loose_cmp(v, lo).is_some_and(Ordering::is_ge)
                    && loose_cmp(v, hi).is_some_and(Ordering::is_le)
            }),
            Test::In(set) => set.contains(v.unwrap_or(&Value::Null)),
            Test::NotIn(set) => !set.contains(v.unwrap_or(&Value::Null)),
            Test::Contains { needle, negate } => match v.and_then(as_text) {
                Some(s) => s.contains(needle.as_str()) != *negate,
                None => *negate,
            },
            Test::Pattern { re, negate } => match v.and_then(as_text) {
                Some(s) => re.is_match(&s) != *negate,
                None => *negate,
            },
            Test::Regexp(re) => v.and_then(as_text).is_some_and(|s| re.is_match(&s)),
            Test::Near {
                point,
                unit,
                min,
                max,
            } => match v.and_then(as_point) {
                Some(p) => {
                    let d = point.distance_to(&p, *unit);
                    !min.is_some_and(|m| d < m) && !max.is_some_and(|m| d > m)
                }
                None => false,
            },
            Test::Always => true,
        }
    }
}

/// [`Value::loose_eq`], with the same-type cases (by far the most common) answered inline.
#[inline]
fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        _ => a.loose_eq(b),
    }
}

/// [`Value::loose_cmp`], with the numeric and string cases answered inline.
#[inline]
fn loose_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::Float(x), Value::Int(y)) => x.partial_cmp(&(*y as f64)),
        (Value::Int(x), Value::Float(y)) => (*x as f64).partial_cmp(y),
        (Value::String(x), Value::String(y)) => Some(x.as_str().cmp(y.as_str())),
        _ => a.loose_cmp(b),
    }
}

fn compile_regexp(property: &str, p: &RegexpPattern) -> Result<Regex> {
    RegexBuilder::new(&p.source)
        .case_insensitive(p.case_insensitive)
        .multi_line(p.multiline)
        .build()
        .map_err(|e| {
            Error::filter(
                format!("where.{property}.regexp"),
                format!("invalid regular expression `{}`: {e}", p.source),
            )
        })
}

fn compile_near(n: &Near) -> Test {
    // As geo.js: a bound only counts when it is positive.
    let min = n.min_distance.filter(|d| *d > 0.0);
    let max = n.max_distance.filter(|d| *d > 0.0);
    if min.is_none() && max.is_none() {
        return Test::Always;
    }
    Test::Near {
        point: n.point,
        unit: n.unit.unwrap_or_default(),
        min,
        max,
    }
}

/// The text a `like` or `regexp` sees: strings as they are, numbers and booleans as JavaScript
/// prints them, dates in ISO form; nothing for null, objects, points and buffers.
fn as_text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Date(_) => match v.to_json() {
            serde_json::Value::String(s) => Some(Cow::Owned(s)),
            j => Some(Cow::Owned(j.to_string())),
        },
        _ => None,
    }
}

fn as_point(v: &Value) -> Option<GeoPoint> {
    match v {
        Value::GeoPoint(p) => Some(*p),
        Value::Null => None,
        other => GeoPoint::from_json(&other.to_json()).ok(),
    }
}

/// An `inq`/`nin` list. Long lists hash their strings and integers; other members, and every
/// member whose type differs from the probed value's, are compared loosely one by one.
#[derive(Debug)]
struct ValueSet {
    all: Vec<Value>,
    hashed: Option<HashedValues>,
}

#[derive(Debug)]
struct HashedValues {
    strings: HashSet<String>,
    ints: HashSet<i64>,
    not_strings: Vec<Value>,
    not_ints: Vec<Value>,
}

impl ValueSet {
    const HASH_FROM: usize = 8;

    fn new(list: &[Value]) -> Self {
        let hashed = (list.len() >= Self::HASH_FROM).then(|| {
            let mut h = HashedValues {
                strings: HashSet::new(),
                ints: HashSet::new(),
                not_strings: Vec::new(),
                not_ints: Vec::new(),
            };
            for v in list {
                match v {
                    Value::String(s) => {
                        h.strings.insert(s.clone());
                        h.not_ints.push(v.clone());
                    }
                    Value::Int(i) => {
                        h.ints.insert(*i);
                        h.not_strings.push(v.clone());
                    }
                    _ => {
                        h.not_strings.push(v.clone());
                        h.not_ints.push(v.clone());
                    }
                }
            }
            h
        });
        ValueSet {
            all: list.to_vec(),
            hashed,
        }
    }

    fn contains(&self, v: &Value) -> bool {
        match (&self.hashed, v) {
            (Some(h), Value::String(s)) => {
                h.strings.contains(s) || h.not_strings.iter().any(|m| m.loose_eq(v))
            }
            (Some(h), Value::Int(i)) => {
                h.ints.contains(i) || h.not_ints.iter().any(|m| m.loose_eq(v))
            }
            _ => self.all.iter().any(|m| loose_eq(m, v)),
        }
    }
}

// ----- whole filters ----------------------------------------------------------------------------

/// A [`Filter`] compiled for in-memory evaluation: `where`, `order` (or `near` distance order),
/// `skip`, `limit` and `fields`. Build it with [`Filter::compile`].
#[derive(Debug)]
pub struct CompiledFilter {
    where_: Option<CompiledWhere>,
    order: Vec<OrderKey>,
    near: Option<NearKey>,
    skip: usize,
    limit: Option<usize>,
    fields: Option<Fields>,
}

#[derive(Debug)]
struct OrderKey {
    path: PropertyPath,
    direction: Direction,
}

#[derive(Debug)]
struct NearKey {
    path: PropertyPath,
    point: GeoPoint,
    unit: DistanceUnit,
}

impl CompiledFilter {
    /// The compiled `where`, if the filter has one.
    pub fn where_(&self) -> Option<&CompiledWhere> {
        self.where_.as_ref()
    }

    /// Whether `record` satisfies the `where` (true when there is none).
    pub fn matches(&self, record: &Record) -> bool {
        self.where_.as_ref().map_or(true, |w| w.matches(record))
    }

    /// Whether a row of a positional store satisfies the `where` (true when there is none).
    pub fn matches_row<R: Row>(&self, row: &R) -> bool {
        self.where_.as_ref().map_or(true, |w| w.matches_row(row))
    }

    /// Whether the result order differs from the input order (an `order`, or a `near`).
    pub fn reorders(&self) -> bool {
        !self.order.is_empty() || self.near.is_some()
    }

    /// The `fields` selection, if any.
    pub fn fields(&self) -> Option<&Fields> {
        self.fields.as_ref()
    }

    /// Runs `where`, order, `skip` and `limit` over `records` (given in their natural order)
    /// and returns the selected records in result order, without copying them. When nothing
    /// reorders the records, scanning stops as soon as the page is full.
    pub fn select<'a, I>(&self, records: I) -> Vec<&'a Record>
    where
        I: IntoIterator<Item = &'a Record>,
    {
        let matching = records.into_iter().filter(|r| self.matches(r));
        self.page(matching)
    }

    /// [`CompiledFilter::select`] over the rows of a positional store.
    pub fn select_rows<R, I>(&self, rows: I) -> Vec<R>
    where
        R: Row,
        I: IntoIterator<Item = R>,
    {
        let rows = rows.into_iter().map(ByRow);
        if !self.reorders() {
            // Row at a time, so the scan stops once the page is full.
            let matching = rows.filter(|r| self.where_.as_ref().map_or(true, |w| w.node.eval(r)));
            return self.page(matching).into_iter().map(|r| r.0).collect();
        }
        let matched = match &self.where_ {
            Some(w) => w.filter_all(rows),
            None => rows.collect(),
        };
        self.page(matched.into_iter())
            .into_iter()
            .map(|r| r.0)
            .collect()
    }

    /// Orders and pages records that already satisfy the `where`, returning them in result
    /// order.
    pub fn order_and_page<'a>(&self, matched: Vec<&'a Record>) -> Vec<&'a Record> {
        self.page(matched.into_iter())
    }

    /// [`CompiledFilter::order_and_page`] over the rows of a positional store.
    pub fn order_and_page_rows<R: Row>(&self, matched: Vec<R>) -> Vec<R> {
        self.page(matched.into_iter().map(ByRow))
            .into_iter()
            .map(|r| r.0)
            .collect()
    }

    /// Orders (when the filter orders) and pages matching items.
    fn page<T: Access>(&self, matching: impl Iterator<Item = T>) -> Vec<T> {
        if !self.reorders() {
            let page = matching.skip(self.skip);
            return match self.limit {
                Some(l) => page.take(l).collect(),
                None => page.collect(),
            };
        }
        let matched: Vec<T> = matching.collect();
        let picked = self.plan(&matched);
        let mut slots: Vec<Option<T>> = matched.into_iter().map(Some).collect();
        picked.into_iter().filter_map(|i| slots[i].take()).collect()
    }

    /// A copy of `record` with the `fields` selection applied.
    pub fn project(&self, record: &Record) -> Record {
        match &self.fields {
            None => record.clone(),
            Some(f) => record
                .iter()
                .filter(|(k, _)| f.selects(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    /// `record` with the `fields` selection applied.
    pub fn project_owned(&self, mut record: Record) -> Record {
        if let Some(f) = &self.fields {
            record.retain(|k, _| f.selects(k));
        }
        record
    }

    /// Positions into `matched` of the page, in result order.
    fn plan<T: Access>(&self, matched: &[T]) -> Vec<usize> {
        let n = matched.len();
        let want = match self.limit {
            Some(l) => self.skip.saturating_add(l).min(n),
            None => n,
        };
        if self.skip >= want {
            return Vec::new();
        }
        let mut idx: Vec<usize> = (0..n).collect();
        if !self.order.is_empty() {
            let k = self.order.len();
            let mut keys: Vec<Option<&Value>> = Vec::with_capacity(n * k);
            for r in matched {
                keys.extend(self.order.iter().map(|o| o.path.value(r)));
            }
            let cmp = |a: &usize, b: &usize| {
                for (j, o) in self.order.iter().enumerate() {
                    let c = order_cmp(keys[a * k + j], keys[b * k + j]);
                    let c = if o.direction == Direction::Desc {
                        c.reverse()
                    } else {
                        c
                    };
                    if c != Ordering::Equal {
                        return c;
                    }
                }
                a.cmp(b)
            };
            top_k(&mut idx, want, cmp);
        } else if let Some(near) = &self.near {
            let dist: Vec<f64> = matched
                .iter()
                .map(|r| {
                    near.path
                        .value(r)
                        .and_then(as_point)
                        .map_or(f64::INFINITY, |p| near.point.distance_to(&p, near.unit))
                })
                .collect();
            top_k(&mut idx, want, |a, b| {
                dist[*a].total_cmp(&dist[*b]).then(a.cmp(b))
            });
        }
        idx.truncate(want);
        idx.drain(..self.skip);
        idx
    }
}

/// Sorts the first `want` positions of `idx` by `cmp` (a total order), leaving the rest in any
/// order. Partial selection first keeps `order … limit 20` over many records linear.
fn top_k(idx: &mut [usize], want: usize, mut cmp: impl FnMut(&usize, &usize) -> Ordering) {
    if want == 0 {
        return;
    }
    if want < idx.len() {
        idx.select_nth_unstable_by(want - 1, &mut cmp);
    }
    idx[..want].sort_unstable_by(cmp);
}

/// The sort order of values: null and missing first, then booleans, numbers, dates, strings,
/// buffers; points, arrays and objects do not order among themselves. Within a kind, values
/// compare naturally (numbers across integer and float exactly). Unlike loose comparison this
/// is a total order, so sorting is well defined even over mixed data.
fn order_cmp(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    fn rank(v: Option<&Value>) -> u8 {
        match v {
            None | Some(Value::Null) => 0,
            Some(Value::Bool(_)) => 1,
            Some(Value::Int(_) | Value::Float(_)) => 2,
            Some(Value::Date(_)) => 3,
            Some(Value::String(_)) => 4,
            Some(Value::Buffer(_)) => 5,
            Some(Value::GeoPoint(_)) => 6,
            Some(Value::Array(_)) => 7,
            Some(Value::Object(_)) => 8,
        }
    }
    match (a, b) {
        (Some(Value::Int(x)), Some(Value::Int(y))) => x.cmp(y),
        (Some(Value::String(x)), Some(Value::String(y))) => x.cmp(y),
        (Some(Value::Float(x)), Some(Value::Float(y))) => float_cmp(*x, *y),
        (Some(Value::Int(x)), Some(Value::Float(y))) => int_float_cmp(*x, *y),
        (Some(Value::Float(x)), Some(Value::Int(y))) => int_float_cmp(*y, *x).reverse(),
        (Some(Value::Date(x)), Some(Value::Date(y))) => x.cmp(y),
        (Some(Value::Bool(x)), Some(Value::Bool(y))) => x.cmp(y),
        (Some(Value::Buffer(x)), Some(Value::Buffer(y))) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// Floats with NaN after every number and `-0 == 0`.
fn float_cmp(x: f64, y: f64) -> Ordering {
    match (x.is_nan(), y.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
    }
}

/// An exact integer/float comparison (no rounding of large integers), NaN last.
fn int_float_cmp(i: i64, f: f64) -> Ordering {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() || f >= TWO_63 {
        return Ordering::Less;
    }
    if f < -TWO_63 {
        return Ordering::Greater;
    }
    let t = f.trunc();
    // `t` is integral and within i64 range here, so the cast is exact.
    match i.cmp(&(t as i64)) {
        Ordering::Equal => 0.0f64.partial_cmp(&(f - t)).unwrap_or(Ordering::Equal),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::Order;
    use crate::record;
    use crate::value::parse_date;

    fn c(property: &str, op: Condition) -> Where {
        Where::cond(property, op)
    }

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    fn m(w: &Where, r: &Record) -> bool {
        let compiled = w.compile().unwrap();
        let result = compiled.matches(r);
        assert_eq!(result, w.matches(r), "convenience and compiled disagree");
        result
    }

    fn book() -> Record {
        record! {
            "id" => 1,
            "title" => "The Rust Book",
            "price" => 29.5,
            "stock" => 3,
            "active" => true,
            "published" => parse_date("2020-05-01T00:00:00Z").unwrap(),
            "tags" => vec!["code", "systems"],
            "empty" => Vec::<Value>::new(),
            "nothing" => Value::Null,
            "address" => record! {"city" => "Paris", "zip" => "75001"},
            "authors" => vec![Value::Object(record! {"name" => "Steve"}), Value::Object(record! {"name" => "Carol"})],
        }
    }

    fn regexp(source: &str, ci: bool, ml: bool) -> Condition {
        Condition::Regexp(RegexpPattern {
            source: source.into(),
            case_insensitive: ci,
            global: false,
            multiline: ml,
        })
    }

    #[test]
    fn like_translation() {
        assert_eq!(like_to_regex("%St%"), ".*St.*");
        assert_eq!(like_to_regex("M_X"), "M.X");
        assert_eq!(like_to_regex(r"a\%b\_c"), "a%b_c");
        assert_eq!(like_to_regex(r"\\"), r"\\");
        assert_eq!(
            like_to_regex("(a+b)*[c]?^$|{d}"),
            r"\(a\+b\)\*\[c\]\?\^\$\|\{d\}"
        );
        assert_eq!(like_to_regex(r"end\"), r"end\\");
        assert_eq!(like_to_regex(""), "");
        assert_eq!(like_translate("%%a%%b%", true), "a.*b");
        assert_eq!(like_translate("a%", true), "a");
        assert_eq!(like_translate("%", true), "");
        assert_eq!(like_translate(r"\%%", true), "%");
        assert_eq!(like_literal("%pro%").as_deref(), Some("pro"));
        assert_eq!(like_literal("pro").as_deref(), Some("pro"));
        assert_eq!(like_literal("%%").as_deref(), Some(""));
        assert_eq!(like_literal("a%b"), None);
        assert_eq!(like_literal("a_"), None);
        assert_eq!(like_literal(r"a\%"), None);
        for p in ["%St%", "M_X", r"a\%b", "(x)%", "%.%"] {
            assert!(Regex::new(&like_to_regex(p)).is_ok(), "{p}");
        }
    }

    #[test]
    fn equality_is_loose() {
        let r = book();
        assert!(m(&Where::eq("title", "The Rust Book"), &r));
        assert!(!m(&Where::eq("title", "the rust book"), &r));
        assert!(m(&Where::eq("stock", "3"), &r));
        assert!(m(&Where::eq("stock", 3.0), &r));
        assert!(m(&Where::eq("price", 29.5), &r));
        assert!(m(&Where::eq("active", true), &r));
        assert!(m(&Where::eq("active", "true"), &r));
        assert!(!m(&Where::eq("active", false), &r));
        assert!(m(&Where::eq("published", "2020-05-01T00:00:00.000Z"), &r));
        assert!(m(
            &Where::eq("published", parse_date("2020-05-01").unwrap()),
            &r
        ));
        assert!(m(&Where::eq("published", 1_588_291_200_000i64), &r));
        assert!(!m(&Where::eq("missing", 1), &r));
        assert!(!m(&Where::eq("nothing", 0), &r));
        assert!(m(
            &Where::eq(
                "address",
                Value::Object(record! {"city" => "Paris", "zip" => "75001"})
            ),
            &r
        ));
    }

    #[test]
    fn null_matches_null_or_missing() {
        let r = book();
        assert!(m(&Where::eq("nothing", Value::Null), &r));
        assert!(m(&Where::eq("missing", Value::Null), &r));
        assert!(!m(&Where::eq("title", Value::Null), &r));
        assert!(m(&c("title", Condition::Neq(Value::Null)), &r));
        assert!(!m(&c("nothing", Condition::Neq(Value::Null)), &r));
        assert!(!m(&c("missing", Condition::Neq(Value::Null)), &r));
        assert!(m(&Where::eq("address.country", Value::Null), &r));
        assert!(m(&Where::eq("missing.deeper", Value::Null), &r));
    }

    #[test]
    fn neq() {
        let r = book();
        assert!(m(&c("title", Condition::Neq(s("x"))), &r));
        assert!(!m(&c("stock", Condition::Neq(s("3"))), &r));
        // Missing and null values differ from any non-null value.
        assert!(m(&c("missing", Condition::Neq(Value::Int(1))), &r));
        assert!(m(&c("nothing", Condition::Neq(Value::Int(1))), &r));
    }

    #[test]
    fn comparisons() {
        let r = book();
        assert!(m(&c("price", Condition::Gt(Value::Int(29))), &r));
        assert!(!m(&c("price", Condition::Gt(Value::Float(29.5))), &r));
        assert!(m(&c("price", Condition::Gte(Value::Float(29.5))), &r));
        assert!(m(&c("price", Condition::Lt(Value::Int(30))), &r));
        assert!(m(&c("price", Condition::Lte(Value::Float(29.5))), &r));
        assert!(!m(&c("price", Condition::Lt(Value::Float(29.5))), &r));
        assert!(m(&c("stock", Condition::Gt(s("2"))), &r));
        assert!(m(&c("title", Condition::Gt(s("A"))), &r));
        assert!(m(&c("title", Condition::Lt(s("Z"))), &r));
        let d = |x: &str| Value::Date(parse_date(x).unwrap());
        assert!(m(&c("published", Condition::Gt(d("2020-01-01"))), &r));
        assert!(m(
            &c("published", Condition::Gt(s("2020-01-01T00:00:00Z"))),
            &r
        ));
        assert!(m(
            &c("published", Condition::Lt(Value::Int(1_600_000_000_000))),
            &r
        ));
        // Incomparable or absent values fail every comparison.
        assert!(!m(&c("title", Condition::Gt(Value::Int(1))), &r));
        assert!(!m(&c("title", Condition::Lt(Value::Int(1))), &r));
        assert!(!m(&c("active", Condition::Gt(s("a"))), &r));
        assert!(!m(&c("missing", Condition::Gt(Value::Int(0))), &r));
        assert!(!m(&c("nothing", Condition::Lt(Value::Int(0))), &r));
        assert!(!m(&c("price", Condition::Gt(Value::Null)), &r));
    }

    #[test]
    fn between_is_inclusive() {
        let r = book();
        let b = |lo: Value, hi: Value| c("stock", Condition::Between(lo, hi));
        assert!(m(&b(Value::Int(3), Value::Int(3)), &r));
        assert!(m(&b(Value::Int(1), Value::Int(5)), &r));
        assert!(m(&b(Value::Float(2.5), s("3")), &r));
        assert!(!m(&b(Value::Int(4), Value::Int(9)), &r));
        assert!(!m(&b(Value::Int(5), Value::Int(1)), &r));
        assert!(!m(
            &c("missing", Condition::Between(Value::Int(0), Value::Int(9))),
            &r
        ));
        let d = |x: &str| Value::Date(parse_date(x).unwrap());
        assert!(m(
            &c(
                "published",
                Condition::Between(d("2020-05-01"), d("2020-06-01"))
            ),
            &r
        ));
    }

    #[test]
    fn inq_and_nin() {
        let r = book();
        assert!(m(
            &c("stock", Condition::Inq(vec![Value::Int(1), s("3")])),
            &r
        ));
        assert!(!m(
            &c("stock", Condition::Inq(vec![Value::Int(1), Value::Int(2)])),
            &r
        ));
        assert!(!m(&c("stock", Condition::Inq(vec![])), &r));
        assert!(m(&c("stock", Condition::Nin(vec![Value::Int(1)])), &r));
        assert!(!m(&c("stock", Condition::Nin(vec![Value::Float(3.0)])), &r));
        assert!(m(&c("stock", Condition::Nin(vec![])), &r));
        // Missing values: in a list holding null, not in any other.
        assert!(m(&c("missing", Condition::Inq(vec![Value::Null])), &r));
        assert!(!m(&c("missing", Condition::Inq(vec![Value::Int(1)])), &r));
        assert!(m(&c("missing", Condition::Nin(vec![Value::Int(1)])), &r));
        assert!(!m(&c("missing", Condition::Nin(vec![Value::Null])), &r));
        assert!(!m(
            &c("nothing", Condition::Nin(vec![Value::Int(1), Value::Null])),
            &r
        ));
    }

    #[test]
    fn long_inq_lists_are_hashed_but_still_loose() {
        let r = book();
        let mut list: Vec<Value> = (10..40).map(Value::Int).collect();
        list.extend((0..20).map(|i| s(&format!("t{i}"))));
        assert!(!m(&c("stock", Condition::Inq(list.clone())), &r));
        list.push(s("3"));
        assert!(m(&c("stock", Condition::Inq(list.clone())), &r));
        assert!(!m(&c("stock", Condition::Nin(list.clone())), &r));
        let mut titles: Vec<Value> = (0..20).map(|i| s(&format!("t{i}"))).collect();
        assert!(!m(&c("title", Condition::Inq(titles.clone())), &r));
        titles.push(s("The Rust Book"));
        assert!(m(&c("title", Condition::Inq(titles.clone())), &r));
        let mut nums: Vec<Value> = (100..120).map(Value::Int).collect();
        assert!(!m(&c("id", Condition::Inq(nums.clone())), &r));
        nums.push(Value::Float(1.0));
        assert!(m(&c("id", Condition::Inq(nums.clone())), &r));
        let mut with_null: Vec<Value> = (100..120).map(Value::Int).collect();
        with_null.push(Value::Null);
        assert!(m(&c("missing", Condition::Inq(with_null)), &r));
        let dates: Vec<Value> = (0..10).map(|i| s(&format!("2020-05-0{i}"))).collect();
        assert!(m(&c("published", Condition::Inq(dates)), &r));
    }

    #[test]
    fn like_family() {
        let r = book();
        let like = |p: &str| c("title", Condition::Like(p.into()));
        assert!(m(&like("%Rust%"), &r));
        assert!(m(&like("Rust"), &r), "unanchored");
        assert!(m(&like("The%Book"), &r));
        assert!(m(&like("The_Rust%"), &r));
        assert!(!m(&like("%rust%"), &r));
        assert!(!m(&like("The.Rust"), &r), "a dot is literal");
        assert!(m(&c("title", Condition::ILike("%rust%".into())), &r));
        assert!(!m(&c("title", Condition::ILike("%go%".into())), &r));
        assert!(m(&c("title", Condition::NLike("%go%".into())), &r));
        assert!(!m(&c("title", Condition::NLike("%Rust%".into())), &r));
        assert!(!m(&c("title", Condition::NILike("%RUST%".into())), &r));
        assert!(m(&c("title", Condition::NILike("%GO%".into())), &r));
        // Escapes and metacharacters.
        let odd = record! {"name" => "100% (a+b)*c_d"};
        assert!(m(&c("name", Condition::Like(r"100\%%".into())), &odd));
        assert!(m(&c("name", Condition::Like("(a+b)*".into())), &odd));
        assert!(m(&c("name", Condition::Like(r"c\_d".into())), &odd));
        assert!(!m(&c("name", Condition::Like(r"100\%x".into())), &odd));
        // Numbers are matched as text; null and missing values never like, always nlike.
        assert!(m(&c("price", Condition::Like("29.%".into())), &r));
        assert!(!m(&c("missing", Condition::Like("%".into())), &r));
        assert!(!m(&c("nothing", Condition::ILike("%".into())), &r));
        assert!(m(&c("missing", Condition::NLike("x".into())), &r));
        assert!(m(&c("nothing", Condition::NILike("x".into())), &r));
    }

    #[test]
    fn regexp_with_flags() {
        let r = book();
        assert!(m(&c("title", regexp("^The", false, false)), &r));
        assert!(!m(&c("title", regexp("^the", false, false)), &r));
        assert!(m(&c("title", regexp("^the", true, false)), &r));
        assert!(m(&c("title", regexp(r"Book$", false, false)), &r));
        let lines = record! {"text" => "first\nsecond"};
        assert!(!m(&c("text", regexp("^second", false, false)), &lines));
        assert!(m(&c("text", regexp("^second", false, true)), &lines));
        assert!(
            m(&c("text", regexp(r"a\/b|first", false, false)), &lines),
            "JS escapes of `/`"
        );
        assert!(!m(&c("missing", regexp(".*", false, false)), &r));
        assert!(!m(&c("nothing", regexp(".*", false, false)), &r));
        assert!(m(&c("stock", regexp("^3$", false, false)), &r));
        let err = c("title", regexp("(?=x)", false, false))
            .compile()
            .unwrap_err();
        assert_eq!(err.status(), 400);
        assert!(err.to_string().contains("where.title.regexp"), "{err}");
        assert!(!c("title", regexp("(", false, false)).matches(&r));
    }

    #[test]
    fn array_valued_properties() {
        let r = book();
        assert!(m(&Where::eq("tags", "code"), &r));
        assert!(!m(&Where::eq("tags", "web"), &r));
        assert!(m(
            &Where::eq("tags", Value::from(vec!["code", "systems"])),
            &r
        ));
        assert!(m(
            &c("tags", Condition::Inq(vec![s("web"), s("systems")])),
            &r
        ));
        assert!(m(&c("tags", Condition::Like("sys%".into())), &r));
        assert!(m(&c("tags", Condition::Gt(s("d"))), &r));
        // juggler: any element differing satisfies neq; an empty array satisfies only neq.
        assert!(m(&c("tags", Condition::Neq(s("code"))), &r));
        assert!(!m(
            &c("tags", Condition::Neq(Value::from(vec!["code", "systems"]))),
            &r
        ));
        assert!(m(&c("empty", Condition::Neq(s("x"))), &r));
        assert!(!m(&Where::eq("empty", "x"), &r));
        assert!(!m(&c("empty", Condition::Nin(vec![s("x")])), &r));
        assert!(m(&Where::eq("empty", Value::Array(vec![])), &r));
        assert!(!m(&Where::eq("tags", Value::Array(vec![])), &r));
        let nested =
            record! {"grid" => Value::Array(vec![Value::from(vec![1, 2]), Value::from(vec![3])])};
        assert!(m(&Where::eq("grid", 3), &nested));
        assert!(!m(&Where::eq("grid", 4), &nested));
    }

    #[test]
    fn nested_paths() {
        let r = book();
        assert!(m(&Where::eq("address.city", "Paris"), &r));
        assert!(!m(&Where::eq("address.city", "Rome"), &r));
        assert!(m(&c("address.zip", Condition::Like("75%".into())), &r));
        assert!(m(&c("address.city", Condition::Neq(s("Rome"))), &r));
        assert!(m(&c("address.country", Condition::Neq(s("Rome"))), &r));
        // Embedded lists fan out; numeric segments index.
        assert!(m(&Where::eq("authors.name", "Carol"), &r));
        assert!(!m(&Where::eq("authors.name", "Bob"), &r));
        assert!(m(&Where::eq("authors.1.name", "Carol"), &r));
        assert!(!m(&Where::eq("authors.0.name", "Carol"), &r));
        assert!(m(&Where::eq("tags.0", "code"), &r));
        assert!(!m(&Where::eq("title.length", 13), &r));
        let geo = record! {"loc" => GeoPoint::new(10.0, 20.0).unwrap()};
        assert!(m(&c("loc.lat", Condition::Gt(Value::Int(5))), &geo));
        assert!(m(&Where::eq("loc.lng", 20), &geo));
    }

    #[test]
    fn logical_operators() {
        let r = book();
        let yes = Where::eq("stock", 3);
        let no = Where::eq("stock", 4);
        assert!(m(&Where::And(vec![yes.clone(), yes.clone()]), &r));
        assert!(!m(&Where::And(vec![yes.clone(), no.clone()]), &r));
        assert!(m(&Where::And(vec![]), &r));
        assert!(m(&Where::Or(vec![no.clone(), yes.clone()]), &r));
        assert!(!m(&Where::Or(vec![no.clone(), no.clone()]), &r));
        assert!(!m(&Where::Or(vec![]), &r));
        assert!(m(&Where::Nor(vec![no.clone(), no.clone()]), &r));
        assert!(!m(&Where::Nor(vec![no.clone(), yes.clone()]), &r));
        let deep = Where::Or(vec![
            Where::And(vec![no.clone(), yes.clone()]),
            Where::Nor(vec![no]),
        ]);
        assert!(m(&deep, &r));
    }

    #[test]
    fn near_filters_only_with_bounds() {
        let here = GeoPoint::new(42.266271, -72.6700016).unwrap();
        let there = GeoPoint::new(42.0, -72.0).unwrap(); // about 39 miles (63 km) away
        let r = record! {"loc" => there};
        let near = |max: Option<f64>, min: Option<f64>, unit: Option<DistanceUnit>| {
            c(
                "loc",
                Condition::Near(Near {
                    point: here,
                    max_distance: max,
                    min_distance: min,
                    unit,
                }),
            )
        };
        assert!(m(&near(None, None, None), &r));
        assert!(
            m(&near(None, None, None), &record! {}),
            "an unbounded near never filters"
        );
        assert!(m(&near(Some(40.0), None, None), &r));
        assert!(!m(&near(Some(30.0), None, None), &r));
        assert!(m(
            &near(Some(65.0), None, Some(DistanceUnit::Kilometers)),
            &r
        ));
        assert!(!m(
            &near(Some(60.0), None, Some(DistanceUnit::Kilometers)),
            &r
        ));
        assert!(m(&near(None, Some(30.0), None), &r));
        assert!(!m(&near(None, Some(40.0), None), &r));
        assert!(!m(
            &near(Some(40.0), None, None),
            &record! {"loc" => Value::Null}
        ));
        assert!(m(
            &near(Some(40.0), None, None),
            &record! {"loc" => "42.0,-72.0"}
        ));
        assert!(
            m(&near(Some(0.0), None, None), &r),
            "a zero bound is no bound"
        );
    }

    fn rows() -> Vec<Record> {
        vec![
            record! {"id" => 1, "name" => "b", "n" => 2, "cat" => "x"},
            record! {"id" => 2, "name" => "a", "n" => Value::Null, "cat" => "y"},
            record! {"id" => 3, "name" => "c", "n" => 1.5, "cat" => "x"},
            record! {"id" => 4, "name" => "a", "cat" => "y"},
            record! {"id" => 5, "name" => "d", "n" => 10, "cat" => "x"},
        ]
    }

    fn ids(rs: &[Record]) -> Vec<i64> {
        rs.iter()
            .map(|r| r.get("id").and_then(Value::as_i64).unwrap())
            .collect()
    }

    #[test]
    fn apply_filter_pipeline() {
        let f = Filter::with_where(Where::eq("cat", "x"))
            .order_by("n", Direction::Desc)
            .skip(1)
            .limit(1);
        assert_eq!(ids(&apply_filter(rows(), &f).unwrap()), [1]);
        let f = Filter::new();
        assert_eq!(ids(&apply_filter(rows(), &f).unwrap()), [1, 2, 3, 4, 5]);
        let f = Filter::new().skip(3);
        assert_eq!(ids(&apply_filter(rows(), &f).unwrap()), [4, 5]);
        let f = Filter::new().limit(2);
        assert_eq!(ids(&apply_filter(rows(), &f).unwrap()), [1, 2]);
        let f = Filter::new().limit(0);
        assert_eq!(
            apply_filter(rows(), &f).unwrap().len(),
            5,
            "limit 0 is no limit"
        );
        let f = Filter::new().skip(10).limit(2);
        assert!(apply_filter(rows(), &f).unwrap().is_empty());
        let f = Filter::new().order_by("n", Direction::Asc).skip(10);
        assert!(apply_filter(rows(), &f).unwrap().is_empty());
    }

    #[test]
    fn ordering_nulls_and_ties() {
        // Null and missing first when ascending, last when descending; ties keep input order.
        let f = Filter::new().order_by("n", Direction::Asc);
        assert_eq!(ids(&apply_filter(rows(), &f).unwrap()), [2, 4, 3, 1, 5]);
        let f = Filter::new().order_by("n", Direction::Desc);
        assert_eq!(ids(&apply_filter(rows(), &f).unwrap()), [5, 1, 3, 2, 4]);
        let f = Filter::new()
            .order_by("name", Direction::Asc)
            .order_by("id", Direction::Desc);
        assert_eq!(ids(&apply_filter(rows(), &f).unwrap()), [4, 2, 1, 3, 5]);
        let f = Filter::new().order_by("cat", Direction::Desc);
        assert_eq!(ids(&apply_filter(rows(), &f).unwrap()), [2, 4, 1, 3, 5]);
        let f = Filter::new()
            .order_by("cat", Direction::Asc)
            .order_by("n", Direction::Asc)
            .limit(2);
        assert_eq!(ids(&apply_filter(rows(), &f).unwrap()), [3, 1]);
    }

    #[test]
    fn ordering_is_total_over_mixed_values() {
        let vals = [
            Value::Int(3),
            Value::Float(f64::NAN),
            Value::Float(2.5),
            s("a"),
            Value::Null,
            Value::Bool(true),
            Value::Int(i64::MAX),
            Value::Float(9.3e18),
            Value::Date(parse_date("2020-01-01").unwrap()),
            Value::Float(-0.0),
            Value::Int(0),
            Value::Array(vec![]),
        ];
        let recs: Vec<Record> = vals
            .iter()
            .enumerate()
            .map(|(i, v)| record! {"id" => i as i64, "v" => v.clone()})
            .collect();
        let out = apply_filter(recs, &Filter::new().order_by("v", Direction::Asc)).unwrap();
        assert_eq!(ids(&out), [4, 5, 9, 10, 2, 0, 6, 7, 1, 8, 3, 11]);
        for a in &vals {
            for b in &vals {
                assert_eq!(
                    order_cmp(Some(a), Some(b)),
                    order_cmp(Some(b), Some(a)).reverse()
                );
            }
        }
        assert_eq!(int_float_cmp(i64::MAX, 9.3e18), Ordering::Less);
        assert_eq!(int_float_cmp(2, 2.5), Ordering::Less);
        assert_eq!(int_float_cmp(-2, -2.5), Ordering::Greater);
        assert_eq!(int_float_cmp(2, 2.0), Ordering::Equal);
    }

    #[test]
    fn ordering_by_nested_path() {
        let recs = vec![
            record! {"id" => 1, "a" => record! {"b" => 2}},
            record! {"id" => 2, "a" => record! {"b" => 1}},
            record! {"id" => 3},
        ];
        let f = Filter {
            order: vec![Order {
                property: "a.b".into(),
                direction: Direction::Asc,
            }],
            ..Filter::default()
        };
        assert_eq!(ids(&apply_filter(recs, &f).unwrap()), [3, 2, 1]);
    }

    #[test]
    fn large_top_k_matches_full_sort() {
        let recs: Vec<Record> = (0..500)
            .map(|i| record! {"id" => i, "k" => (i * 7919) % 101})
            .collect();
        let f = Filter::new()
            .order_by("k", Direction::Desc)
            .skip(13)
            .limit(20);
        let full =
            apply_filter(recs.clone(), &Filter::new().order_by("k", Direction::Desc)).unwrap();
        let page = apply_filter(recs, &f).unwrap();
        assert_eq!(ids(&page), ids(&full[13..33]));
    }

    #[test]
    fn near_orders_by_distance_without_explicit_order() {
        let p = |lat: f64, lng: f64| Value::GeoPoint(GeoPoint::new(lat, lng).unwrap());
        let recs = vec![
            record! {"id" => 1, "loc" => p(10.0, 10.0)},
            record! {"id" => 2, "loc" => p(1.0, 1.0)},
            record! {"id" => 3},
            record! {"id" => 4, "loc" => p(5.0, 5.0)},
        ];
        let near = Where::cond(
            "loc",
            Condition::Near(Near {
                point: GeoPoint::new(0.0, 0.0).unwrap(),
                max_distance: None,
                min_distance: None,
                unit: None,
            }),
        );
        let f = Filter::with_where(near.clone());
        assert_eq!(ids(&apply_filter(recs.clone(), &f).unwrap()), [2, 4, 1, 3]);
        let f = Filter::with_where(near.clone()).limit(2);
        assert_eq!(ids(&apply_filter(recs.clone(), &f).unwrap()), [2, 4]);
        let f = Filter::with_where(near.clone()).order_by("id", Direction::Desc);
        assert_eq!(ids(&apply_filter(recs.clone(), &f).unwrap()), [4, 3, 2, 1]);
        let bounded = Where::cond(
            "loc",
            Condition::Near(Near {
                point: GeoPoint::new(0.0, 0.0).unwrap(),
                max_distance: Some(800.0),
                min_distance: None,
                unit: Some(DistanceUnit::Kilometers),
            }),
        );
        let f = Filter::with_where(Where::eq("id", 99).or(bounded));
        assert_eq!(ids(&apply_filter(recs, &f).unwrap()), [2, 4]);
    }

    #[test]
    fn fields_projection() {
        let f = Filter::new().fields(["name", "id"]).limit(1);
        let out = apply_filter(rows(), &f).unwrap();
        assert_eq!(out[0], record! {"id" => 1, "name" => "b"});
        let f = Filter::new().exclude_fields(["cat", "n"]).limit(1);
        assert_eq!(
            apply_filter(rows(), &f).unwrap()[0],
            record! {"id" => 1, "name" => "b"}
        );
        let compiled = Filter::new().fields(["name", "nope"]).compile().unwrap();
        assert_eq!(compiled.project(&rows()[0]), record! {"name" => "b"});
    }

    #[test]
    fn select_stops_early_and_borrows() {
        let data = rows();
        let compiled = Filter::with_where(Where::eq("cat", "x"))
            .skip(1)
            .limit(1)
            .compile()
            .unwrap();
        let picked = compiled.select(data.iter());
        assert_eq!(picked.len(), 1);
        assert!(std::ptr::eq(picked[0], &data[2]));
        let compiled = Filter::new()
            .order_by("name", Direction::Asc)
            .compile()
            .unwrap();
        let page = compiled.order_and_page(data.iter().collect());
        assert_eq!(
            page.iter()
                .map(|r| r.get("id").and_then(Value::as_i64).unwrap())
                .collect::<Vec<_>>(),
            [2, 4, 1, 3, 5]
        );
    }

    /// A positional store: property `i` of the schema is `values[i]`.
    struct Positional<'a> {
        schema: &'a [&'a str],
        values: Vec<Option<Value>>,
    }

    impl Row for Positional<'_> {
        fn property(&self, name: &str, slot: Option<usize>) -> Option<&Value> {
            let slot = slot?;
            assert_eq!(self.schema[slot], name, "the slot resolved at compile time");
            self.values.get(slot)?.as_ref()
        }
    }

    #[test]
    fn positional_rows() {
        let schema: &[&str] = &["id", "name", "n"];
        let slots = |p: &str| schema.iter().position(|s| *s == p);
        let rows: Vec<Positional<'_>> = [
            (1, "b", Some(2)),
            (2, "a", None),
            (3, "c", Some(1)),
            (4, "a", Some(5)),
        ]
        .into_iter()
        .map(|(id, name, n)| Positional {
            schema,
            values: vec![
                Some(Value::Int(id)),
                Some(Value::from(name)),
                n.map(Value::Int),
            ],
        })
        .collect();
        let id = |r: &Positional<'_>| r.values[0].as_ref().and_then(Value::as_i64).unwrap();
        let w = Where::eq("name", "a").or(Where::cond("n", Condition::Gt(Value::Int(1))));
        let compiled = w.compile_with_slots(&slots).unwrap();
        assert_eq!(
            rows.iter()
                .filter(|r| compiled.matches_row(*r))
                .map(id)
                .collect::<Vec<_>>(),
            [1, 2, 4]
        );
        let and = Where::eq("name", "a")
            .and(Where::eq("n", Value::Null))
            .compile_with_slots(&slots)
            .unwrap();
        assert_eq!(
            and.filter_rows(rows.iter())
                .into_iter()
                .map(id)
                .collect::<Vec<_>>(),
            [2]
        );
        let missing = Where::eq("other", Value::Null)
            .compile_with_slots(&slots)
            .unwrap();
        assert_eq!(missing.filter_rows(rows.iter()).len(), 4);
        let f = Filter::new()
            .order_by("n", Direction::Desc)
            .limit(2)
            .compile_with_slots(&slots)
            .unwrap();
        assert_eq!(
            f.select_rows(rows.iter())
                .into_iter()
                .map(id)
                .collect::<Vec<_>>(),
            [4, 1]
        );
        let f = Filter::with_where(Where::eq("name", "a"))
            .skip(1)
            .compile_with_slots(&slots)
            .unwrap();
        assert_eq!(
            f.select_rows(rows.iter())
                .into_iter()
                .map(id)
                .collect::<Vec<_>>(),
            [4]
        );
        let f = Filter::new()
            .order_by("name", Direction::Asc)
            .compile_with_slots(&slots)
            .unwrap();
        let page = f.order_and_page_rows(rows.iter().collect());
        assert_eq!(page.into_iter().map(id).collect::<Vec<_>>(), [2, 4, 1, 3]);
    }

    #[test]
    fn hint_survives_different_layouts() {
        let w = Where::eq("b", 2).compile().unwrap();
        assert!(w.matches(&record! {"a" => 1, "b" => 2}));
        assert!(w.matches(&record! {"b" => 2}));
        assert!(!w.matches(&record! {"a" => 2}));
        assert!(w.matches(&record! {"c" => 0, "a" => 1, "b" => 2}));
        let wide: Record = (0..40)
            .map(|i| (format!("p{i}"), Value::Int(i)))
            .chain([("b".to_owned(), Value::Int(2))])
            .collect();
        assert!(w.matches(&wide));
    }
}
