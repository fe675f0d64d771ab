//! Strict parsing of filters from JSON, with LB3's normalisation and coercion rules, and printing
//! back to normalised LB3 JSON.
//!
//! The rules follow loopback-datasource-juggler 3.x (`ModelUtils._normalize`, `_coerce` and
//! `utils.sanitizeQuery`), made strict where LB3 silently ignores mistakes: unknown keys,
//! unknown operators and invalid operands are 400s whose path names the offending key.
//! `docs/filters.md` describes the language as implemented.

use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value as Json};

use super::{
    is_forbidden_key, Condition, Direction, Fields, Filter, Include, Near, Order, Quantifier,
    RegexpPattern, Where,
};
use crate::error::{Error, Result};
use crate::model::{ModelDefinition, PropertyType, RelationKind};
use crate::value::{parse_date, DistanceUnit, GeoPoint, Value};

/// Finds a model definition by name: what [`ParseOptions::models`] holds, so that conditions
/// on related models and include scopes are parsed against the related model.
pub type ModelLookup<'a> = &'a (dyn Fn(&str) -> Option<Arc<ModelDefinition>> + Send + Sync);

/// How strictly to parse, and against which model.
#[derive(Clone, Copy)]
pub struct ParseOptions<'a> {
    /// The model whose property types drive coercion and whose hidden properties are refused.
    pub model: Option<&'a ModelDefinition>,
    /// The other models of the application, by name. Conditions on related models
    /// (`{"books": {"some": …}}`, `{"author.name": …}`) need it: without it they are refused
    /// with a 400 that says so.
    pub models: Option<ModelLookup<'a>>,
    /// Maximum nesting depth of the filter (LB3 `maxDepthOfQuery`, default 32).
    pub max_depth: usize,
    /// Accept `$`-prefixed keys (LB3 `allowExtendedOperators`).
    pub allow_extended_operators: bool,
    /// Refuse hidden properties in `where` and `order` (LB3 `prohibitHiddenPropertiesInQuery`).
    pub prohibit_hidden_properties: bool,
    /// Caps on `limit` and on `inq`/`nin` lists.
    pub limits: QueryLimits,
}

/// Caps on what a caller may ask of the data layer in one request, so that a single query
/// cannot make the server read or hold an unbounded amount of data. LB3 has none of these;
/// the defaults are far above what paging clients ask for.
///
/// An application's limits are [`App::query_limits`](crate::App::query_limits); filters
/// written in model definitions (scopes) are trusted and not capped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryLimits {
    /// The largest `limit` a filter may give (default 10,000): a larger one is a 400.
    /// Filters without a `limit` are not capped, as in LB3.
    pub max_limit: Option<u64>,
    /// The most values an `inq` or `nin` list may hold (default 10,000): a longer one is a
    /// 400.
    pub max_in_list: Option<usize>,
    /// The most objects one REST create may hold in an array body (default 1,000): a
    /// longer array is a 413 and nothing is created.
    pub max_batch: Option<usize>,
}

impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits {
            max_limit: Some(10_000),
            max_in_list: Some(10_000),
            max_batch: Some(1_000),
        }
    }
}

impl QueryLimits {
    /// No caps at all.
    pub const fn unlimited() -> Self {
        QueryLimits {
            max_limit: None,
            max_in_list: None,
            max_batch: None,
        }
    }
}

impl fmt::Debug for ParseOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParseOptions")
            .field("model", &self.model.map(|m| m.name.as_str()))
            .field("models", &self.models.is_some())
            .field("max_depth", &self.max_depth)
            .field("allow_extended_operators", &self.allow_extended_operators)
            .field(
                "prohibit_hidden_properties",
                &self.prohibit_hidden_properties,
            )
            .field("limits", &self.limits)
            .finish()
    }
}

impl Default for ParseOptions<'_> {
    fn default() -> Self {
        ParseOptions {
            model: None,
            models: None,
            max_depth: 32,
            allow_extended_operators: false,
            prohibit_hidden_properties: true,
            limits: QueryLimits::default(),
        }
    }
}

impl<'a> ParseOptions<'a> {
    /// Default options against `model`.
    pub fn for_model(model: &'a ModelDefinition) -> Self {
        ParseOptions {
            model: Some(model),
            ..ParseOptions::default()
        }
    }

    /// Options for filters written in `model`'s own definition (default `scope`, named
    /// `scopes`, relation scopes): trusted, so hidden properties may be named.
    pub fn for_definition(model: &'a ModelDefinition) -> Self {
        ParseOptions {
            prohibit_hidden_properties: false,
            limits: QueryLimits::unlimited(),
            ..ParseOptions::for_model(model)
        }
    }

    /// These options, with the application's other models for conditions on related models
    /// and include scopes.
    pub fn with_models(self, models: ModelLookup<'a>) -> Self {
        ParseOptions {
            models: Some(models),
            ..self
        }
    }

    /// These options, with `limits` as the caps on `limit` and `inq`/`nin` lists.
    pub fn with_limits(self, limits: QueryLimits) -> Self {
        ParseOptions { limits, ..self }
    }

    /// The definition of the model that `relation` of [`ParseOptions::model`] targets, when
    /// both are known.
    fn target_of(&self, relation: &str) -> Option<Arc<ModelDefinition>> {
        let rel = self.model?.relations.get(relation)?;
        (self.models?)(rel.model.as_deref()?)
    }
}

impl Filter {
    /// Parses a filter object (`{"where": …, "order": …}`).
    ///
    /// JSON `null` is the empty filter, as in LB3. Anything else that is not an object, unknown
    /// top-level keys, unknown operators and invalid operands are [`Error::InvalidFilter`]s whose
    /// `path` names the offending key (`filter.where.price.gt`, `filter.order[1]`,
    /// `filter.include[0].scope.where`). With [`ParseOptions::model`] set, `where` values are
    /// coerced to the declared property types and hidden properties are refused.
    pub fn from_json(json: &serde_json::Value, opts: &ParseOptions<'_>) -> Result<Self> {
        let root = Path::root("filter");
        check_tree(json, &root, 1, opts)?;
        parse_filter(json, &root, opts)
    }

    /// Prints the filter back as LB3 JSON (normalised forms).
    ///
    /// `where` is printed as objects (see [`Where::to_json`]), `fields` as an object of booleans,
    /// `order` as an array of `"prop ASC|DESC"` strings and `include` as an array of
    /// `{relation, scope}` objects. Parsing the result gives back an equal filter, with two
    /// exceptions: dates print as ISO strings, which come back as dates only when parsed
    /// against a model that declares the property a date; and an empty `fields` list prints as
    /// `{}`, which means "every property".
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = Map::new();
        if let Some(w) = &self.where_ {
            m.insert("where".into(), w.to_json());
        }
        if let Some(fields) = &self.fields {
            let (names, selected) = match fields {
                Fields::Include(v) => (v, true),
                Fields::Exclude(v) => (v, false),
            };
            let obj = names
                .iter()
                .map(|n| (n.clone(), Json::Bool(selected)))
                .collect();
            m.insert("fields".into(), Json::Object(obj));
        }
        if !self.order.is_empty() {
            let order = self
                .order
                .iter()
                .map(|o| {
                    let dir = match o.direction {
                        Direction::Asc => "ASC",
                        Direction::Desc => "DESC",
                    };
                    Json::String(format!("{} {dir}", o.property))
                })
                .collect();
            m.insert("order".into(), Json::Array(order));
        }
        if let Some(limit) = self.limit {
            m.insert("limit".into(), Json::from(limit));
        }
        if let Some(skip) = self.skip {
            m.insert("skip".into(), Json::from(skip));
        }
        if !self.include.is_empty() {
            let include = self
                .include
                .iter()
                .map(|inc| {
                    let mut o = Map::new();
                    o.insert("relation".into(), Json::String(inc.relation.clone()));
                    if let Some(scope) = &inc.scope {
                        o.insert("scope".into(), scope.to_json());
                    }
                    Json::Object(o)
                })
                .collect();
            m.insert("include".into(), Json::Array(include));
        }
        Json::Object(m)
    }
}

impl Where {
    /// Parses a bare where object (`{"price": {"gt": 10}}`), as count/updateAll/destroyAll take.
    ///
    /// JSON `null` is the empty condition (`Where::And(vec![])`, true for every row). Error
    /// paths start at `where`.
    pub fn from_json(json: &serde_json::Value, opts: &ParseOptions<'_>) -> Result<Self> {
        let root = Path::root("where");
        check_tree(json, &root, 1, opts)?;
        match json {
            Json::Null => Ok(Where::And(Vec::new())),
            _ => parse_where(json, &root, opts),
        }
    }

    /// Prints the where back as LB3 JSON.
    ///
    /// A condition prints as `{prop: value}` (or `{prop: {op: operand}}`); an `And` of
    /// conditions on distinct properties prints as one object, other `And`s as `{"and": [...]}`;
    /// `Or`/`Nor` as `{"or": [...]}`/`{"nor": [...]}`. Equality with an object, array, point or
    /// buffer prints as `{"eq": ...}` so that it cannot be mistaken for operators; `regexp` prints
    /// as `"/source/flags"`; `near` as `{"near": "lat,lng", "maxDistance": .., "unit": ..}`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Where::Cond { property, op } => {
                let mut m = Map::new();
                m.insert(property.clone(), condition_to_json(op));
                Json::Object(m)
            }
            Where::And(items) if items.is_empty() => Json::Object(Map::new()),
            Where::And(items) => match merged_and(items) {
                Some(m) => Json::Object(m),
                None => logical_to_json("and", items),
            },
            Where::Or(items) => logical_to_json("or", items),
            Where::Nor(items) => logical_to_json("nor", items),
            Where::Related(r) => {
                let mut q = Map::new();
                q.insert(r.quantifier.keyword().to_owned(), r.where_.to_json());
                let mut m = Map::new();
                m.insert(r.relation.clone(), Json::Object(q));
                Json::Object(m)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Key paths

/// A key path kept on the stack while descending, rendered only when an error needs it.
#[derive(Clone, Copy)]
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    fn root(name: &'a str) -> Self {
        Path {
            parent: None,
            seg: Seg::Key(name),
        }
    }

    fn key<'b>(&'b self, key: &'b str) -> Path<'b> {
        Path {
            parent: Some(self),
            seg: Seg::Key(key),
        }
    }

    fn index(&self, i: usize) -> Path<'_> {
        Path {
            parent: Some(self),
            seg: Seg::Index(i),
        }
    }

    fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    fn render_into(&self, out: &mut String) {
        if let Some(p) = self.parent {
            p.render_into(out);
        }
        match self.seg {
            Seg::Key(k) => {
                if self.parent.is_some() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
}

fn err(path: &Path<'_>, message: impl Into<String>) -> Error {
    Error::filter(path.render(), message)
}

fn err_code(path: &Path<'_>, message: impl Into<String>, code: &'static str) -> Error {
    Error::InvalidFilter {
        path: path.render(),
        message: message.into(),
        code: Some(code),
    }
}

/// A short JSON rendering of a value for error messages (LB3 prints values with `%j`).
fn show(v: &Json) -> String {
    const MAX: usize = 80;
    let s = v.to_string();
    if s.len() <= MAX {
        return s;
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

// ---------------------------------------------------------------------------------------------
// Whole-tree checks: depth, forbidden keys, `$` operators

/// Walks the whole filter once before interpreting it: nesting depth (counted in objects and
/// arrays from the root, which is level 1), prototype-pollution keys and `$`-prefixed keys.
/// The walk never descends past `max_depth`, so it is bounded however deep the input is.
fn check_tree(v: &Json, path: &Path<'_>, depth: usize, opts: &ParseOptions<'_>) -> Result<()> {
    let too_deep = |path: &Path<'_>| {
        err_code(
            path,
            format!("The query object exceeds maximum depth {}", opts.max_depth),
            "QUERY_OBJECT_TOO_DEEP",
        )
    };
    match v {
        Json::Object(m) => {
            if depth > opts.max_depth {
                return Err(too_deep(path));
            }
            for (k, child) in m {
                let at = path.key(k);
                if is_forbidden_key(k) {
                    return Err(err(
                        &at,
                        format!("The key \"{k}\" is not allowed in a query"),
                    ));
                }
                if k.starts_with('$') {
                    return Err(extended_operator(&at, k, opts));
                }
                check_tree(child, &at, depth + 1, opts)?;
            }
            Ok(())
        }
        Json::Array(a) => {
            if depth > opts.max_depth {
                return Err(too_deep(path));
            }
            for (i, child) in a.iter().enumerate() {
                check_tree(child, &path.index(i), depth + 1, opts)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn extended_operator(path: &Path<'_>, key: &str, opts: &ParseOptions<'_>) -> Error {
    let message = if opts.allow_extended_operators {
        format!(
            "Operators \"{key}\" are not supported: no loopback-rs connector runs \
             `$`-prefixed (extended) operators"
        )
    } else {
        format!("Operators \"{key}\" are not allowed in query")
    };
    err_code(path, message, "OPERATOR_NOT_ALLOWED_IN_QUERY")
}

fn check_hidden(name: &str, path: &Path<'_>, opts: &ParseOptions<'_>) -> Result<()> {
    let Some(model) = opts.model else {
        return Ok(());
    };
    if !opts.prohibit_hidden_properties {
        return Ok(());
    }
    // LB3 refuses a hidden name in any segment of a dotted path (`x.secret`, `secret.y`).
    let hidden = name
        .split('.')
        .any(|seg| model.is_hidden(seg) || model.property(seg).is_some_and(|p| p.hidden));
    if hidden {
        return Err(err_code(
            path,
            format!("Properties \"{name}\" are not allowed in query"),
            "PROPERTY_NOT_ALLOWED_IN_QUERY",
        ));
    }
    Ok(())
}

fn check_name<'s>(name: &'s str, path: &Path<'_>, what: &str) -> Result<&'s str> {
    if name.is_empty() {
        return Err(err(path, format!("A {what} name must not be empty")));
    }
    if is_forbidden_key(name) {
        return Err(err(
            path,
            format!("The {what} name \"{name}\" is not allowed in a query"),
        ));
    }
    Ok(name)
}

// ---------------------------------------------------------------------------------------------
// Filter

fn parse_filter(json: &Json, path: &Path<'_>, opts: &ParseOptions<'_>) -> Result<Filter> {
    let obj = match json {
        Json::Null => return Ok(Filter::default()),
        Json::Object(o) => o,
        other => {
            return Err(err(
                path,
                format!("The query filter {} is not an object", show(other)),
            ))
        }
    };
    let mut filter = Filter::default();
    let (mut skip, mut offset) = (None, None);
    for (key, value) in obj {
        if value.is_null() {
            continue;
        }
        let at = path.key(key);
        match key.as_str() {
            "where" => filter.where_ = Some(parse_where(value, &at, opts)?),
            "fields" => filter.fields = parse_fields(value, &at)?,
            "order" => filter.order = parse_order(value, &at, opts)?,
            "limit" => {
                filter.limit = parse_count(value, &at, Count::Limit)?;
                if let (Some(n), Some(max)) = (filter.limit, opts.limits.max_limit) {
                    if n > max {
                        return Err(err_code(
                            &at,
                            format!("The limit parameter {n} exceeds the maximum of {max}"),
                            "LIMIT_TOO_LARGE",
                        ));
                    }
                }
            }
            "skip" => skip = parse_count(value, &at, Count::Skip)?,
            "offset" => offset = parse_count(value, &at, Count::Skip)?,
            "include" => filter.include = parse_includes(value, &at, opts)?,
            _ => {
                return Err(err(
                    &at,
                    format!(
                        "Unknown filter key \"{key}\"; a filter takes where, fields, order, \
                         limit, skip, offset and include"
                    ),
                ))
            }
        }
    }
    filter.skip = skip.or(offset);
    // juggler 3.x: a skip/offset without a limit gets a limit of 100.
    if filter.limit.is_none() && filter.skip.is_some_and(|s| s > 0) {
        filter.limit = Some(100);
    }
    Ok(filter)
}

#[derive(Clone, Copy, PartialEq)]
enum Count {
    Limit,
    Skip,
}

/// `limit`, `skip` and `offset`: numbers or numeric strings (LB3 applies `Number()`); an empty
/// string is absent, as it is falsy in LB3.
fn parse_count(v: &Json, path: &Path<'_>, which: Count) -> Result<Option<u64>> {
    let n = match v {
        Json::String(s) if s.is_empty() => return Ok(None),
        Json::String(s) => js_number(s),
        Json::Number(_) => Some(Value::from_json(v)),
        _ => None,
    };
    let valid = n.and_then(|n| match n {
        Value::Int(i) => u64::try_from(i).ok(),
        Value::Float(f) if f.fract() == 0.0 && (0.0..1.8e19).contains(&f) => Some(f as u64),
        _ => None,
    });
    match (valid, which) {
        (Some(n), Count::Limit) if n > 0 => Ok(Some(n)),
        (Some(n), Count::Skip) => Ok(Some(n)),
        (_, Count::Limit) => Err(err(
            path,
            format!("The limit parameter {} is not valid", show(v)),
        )),
        (None, Count::Skip) => Err(err(
            path,
            format!("The offset/skip parameter {} is not valid", show(v)),
        )),
    }
}

/// A JSON array, or an object whose keys are exactly `"0"`..`"n-1"` (what `qs` produces past its
/// array limit), as the list of its elements in index order.
fn array_like(v: &Json) -> Option<Vec<&Json>> {
    match v {
        Json::Array(a) => Some(a.iter().collect()),
        Json::Object(o) if !o.is_empty() => {
            let mut out: Vec<Option<&Json>> = vec![None; o.len()];
            for (k, item) in o {
                let i = canonical_index(k)?;
                *out.get_mut(i)? = Some(item);
            }
            out.into_iter().collect()
        }
        _ => None,
    }
}

/// `"0"`, `"1"`, ... `"42"` but not `"01"`, `"-1"` or `"1.0"`.
pub(super) fn canonical_index(k: &str) -> Option<usize> {
    let b = k.as_bytes();
    match b {
        [b'0'] => Some(0),
        [b'1'..=b'9', rest @ ..] if rest.len() < 18 && rest.iter().all(u8::is_ascii_digit) => {
            k.parse().ok()
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// order

fn parse_order(v: &Json, path: &Path<'_>, opts: &ParseOptions<'_>) -> Result<Vec<Order>> {
    let mut out = Vec::new();
    match v {
        Json::String(s) => parse_order_str(s, path, opts, &mut out)?,
        Json::Array(_) | Json::Object(_) => {
            let Some(items) = array_like(v) else {
                return Err(err(path, format!("The order {} is not valid", show(v))));
            };
            for (i, item) in items.into_iter().enumerate() {
                let at = path.index(i);
                match item {
                    Json::String(s) => parse_order_str(s, &at, opts, &mut out)?,
                    other => {
                        return Err(err(&at, format!("The order {} is not valid", show(other))))
                    }
                }
            }
        }
        other => return Err(err(path, format!("The order {} is not valid", show(other)))),
    }
    Ok(out)
}

/// `"a ASC, b desc, c"`: comma-separated keys, direction case-insensitive, ASC by default.
fn parse_order_str(
    s: &str,
    path: &Path<'_>,
    opts: &ParseOptions<'_>,
    out: &mut Vec<Order>,
) -> Result<()> {
    for token in s.split(',') {
        let token = token.trim();
        if token.is_empty() {
            continue;
        }
        let mut words = token.split_whitespace();
        let (Some(property), dir, None) = (words.next(), words.next(), words.next()) else {
            return Err(err(
                path,
                format!("The order \"{token}\" has invalid direction"),
            ));
        };
        let direction = match dir {
            None => Direction::Asc,
            Some(d) if d.eq_ignore_ascii_case("asc") => Direction::Asc,
            Some(d) if d.eq_ignore_ascii_case("desc") => Direction::Desc,
            Some(_) => {
                return Err(err(
                    path,
                    format!("The order \"{token}\" has invalid direction"),
                ))
            }
        };
        check_name(property, path, "property")?;
        check_hidden(property, path, opts)?;
        out.push(Order {
            property: property.to_owned(),
            direction,
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// fields

fn parse_fields(v: &Json, path: &Path<'_>) -> Result<Option<Fields>> {
    match v {
        Json::String(s) if s.is_empty() => Ok(None),
        Json::String(s) => Ok(Some(Fields::Include(vec![
            check_name(s, path, "field")?.to_owned()
        ]))),
        Json::Array(a) => field_list(a.iter(), path),
        Json::Object(o) => {
            if o.is_empty() {
                return Ok(None);
            }
            // `filter[fields][0]=a&filter[fields][1]=b` past qs's array limit: a list of names.
            if o.values().any(|x| bool_like(x).is_none()) {
                if let Some(items) = array_like(v) {
                    return field_list(items.into_iter(), path);
                }
            }
            let (mut included, mut excluded) = (Vec::new(), Vec::new());
            for (name, sel) in o {
                let at = path.key(name);
                check_name(name, &at, "field")?;
                match bool_like(sel) {
                    Some(true) => included.push(name.clone()),
                    Some(false) => excluded.push(name.clone()),
                    None => {
                        return Err(err(
                            &at,
                            format!("A field must be set to true or false, not {}", show(sel)),
                        ))
                    }
                }
            }
            Ok(Some(if included.is_empty() {
                Fields::Exclude(excluded)
            } else {
                Fields::Include(included)
            }))
        }
        other => Err(err(
            path,
            format!(
                "The fields {} are not valid: expected an object of booleans, an array or a string",
                show(other)
            ),
        )),
    }
}

fn field_list<'j>(
    items: impl Iterator<Item = &'j Json>,
    path: &Path<'_>,
) -> Result<Option<Fields>> {
    let mut names = Vec::new();
    for (i, item) in items.enumerate() {
        let at = path.index(i);
        match item {
            Json::String(s) => {
                // A name listed twice is selected once, as in the object form.
                let name = check_name(s, &at, "field")?;
                if !names.iter().any(|n| n == name) {
                    names.push(name.to_owned());
                }
            }
            other => {
                return Err(err(
                    &at,
                    format!("A field name must be a string, not {}", show(other)),
                ))
            }
        }
    }
    Ok((!names.is_empty()).then_some(Fields::Include(names)))
}

fn bool_like(v: &Json) -> Option<bool> {
    match v {
        Json::Bool(b) => Some(*b),
        Json::String(s) if s == "true" => Some(true),
        Json::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// include

fn parse_includes(v: &Json, path: &Path<'_>, opts: &ParseOptions<'_>) -> Result<Vec<Include>> {
    let mut out = Vec::new();
    if !matches!(v, Json::String(s) if s.is_empty()) {
        parse_include(v, path, opts, &mut out)?;
    }
    Ok(out)
}

fn parse_include(
    v: &Json,
    path: &Path<'_>,
    opts: &ParseOptions<'_>,
    out: &mut Vec<Include>,
) -> Result<()> {
    match v {
        Json::String(s) => {
            let relation = check_name(s, path, "relation")?.to_owned();
            out.push(Include {
                relation,
                scope: None,
            });
        }
        Json::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                parse_include(item, &path.index(i), opts, out)?;
            }
        }
        Json::Object(o) => {
            let rel_key = ["relation", "rel"].into_iter().find(|k| o.contains_key(*k));
            if let Some(rel_key) = rel_key {
                return parse_scoped_include(o, rel_key, path, opts, out);
            }
            if let Some(items) = array_like(v) {
                for (i, item) in items.into_iter().enumerate() {
                    parse_include(item, &path.index(i), opts, out)?;
                }
                return Ok(());
            }
            for (name, sub) in o {
                let at = path.key(name);
                let relation = check_name(name, &at, "relation")?.to_owned();
                let scope = match sub {
                    Json::Bool(true) | Json::Null => None,
                    Json::String(_) | Json::Array(_) | Json::Object(_) => {
                        let target = opts.target_of(&relation);
                        let nested_opts = ParseOptions {
                            model: target.as_deref(),
                            ..*opts
                        };
                        let mut nested = Vec::new();
                        parse_include(sub, &at, &nested_opts, &mut nested)?;
                        Some(Box::new(Filter {
                            include: nested,
                            ..Filter::default()
                        }))
                    }
                    other => {
                        return Err(err(
                            &at,
                            format!(
                                "Invalid include {}: expected true, a relation name, an array \
                                 or an object",
                                show(other)
                            ),
                        ))
                    }
                };
                out.push(Include { relation, scope });
            }
        }
        other => {
            return Err(err(
                path,
                format!(
                    "Invalid include {}: expected a relation name, an array or an object",
                    show(other)
                ),
            ))
        }
    }
    Ok(())
}

/// `{relation: "orders", scope: {...}}` (LB3 also accepts `rel`).
fn parse_scoped_include(
    o: &Map<String, Json>,
    rel_key: &str,
    path: &Path<'_>,
    opts: &ParseOptions<'_>,
    out: &mut Vec<Include>,
) -> Result<()> {
    for k in o.keys() {
        if !matches!(k.as_str(), "relation" | "rel" | "scope") {
            return Err(err(
                &path.key(k),
                format!("Unknown include key \"{k}\"; an include object takes relation and scope"),
            ));
        }
    }
    let rel_path = path.key(rel_key);
    let relation = match &o[rel_key] {
        Json::String(s) => check_name(s, &rel_path, "relation")?.to_owned(),
        other => {
            return Err(err(
                &rel_path,
                format!(
                    "The relation of an include must be a string, not {}",
                    show(other)
                ),
            ))
        }
    };
    let scope_path = path.key("scope");
    let scope = match o.get("scope") {
        None | Some(Json::Null) => None,
        Some(s @ Json::Object(_)) => {
            // Parsed against the related model when the application's models are at hand;
            // otherwise without coercion or hidden-property checks, which the include then
            // applies when it re-reads the scope against the related model.
            let target = opts.target_of(&relation);
            let scope_opts = ParseOptions {
                model: target.as_deref(),
                ..*opts
            };
            Some(Box::new(parse_filter(s, &scope_path, &scope_opts)?))
        }
        Some(other) => {
            return Err(err(
                &scope_path,
                format!(
                    "The scope of an include must be a filter object, not {}",
                    show(other)
                ),
            ))
        }
    };
    out.push(Include { relation, scope });
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// where

fn parse_where(v: &Json, path: &Path<'_>, opts: &ParseOptions<'_>) -> Result<Where> {
    let Json::Object(obj) = v else {
        return Err(err(
            path,
            format!("The where clause {} is not an object", show(v)),
        ));
    };
    let mut items = Vec::with_capacity(obj.len());
    for (key, value) in obj {
        let at = path.key(key);
        match key.as_str() {
            "and" | "or" | "nor" => {
                let Some(clauses) = array_like(value) else {
                    return Err(err(
                        &at,
                        format!(
                            "The {key} operator has invalid clauses {}: expected an array of \
                             where objects",
                            show(value)
                        ),
                    ));
                };
                let mut parsed = Vec::with_capacity(clauses.len());
                for (i, clause) in clauses.into_iter().enumerate() {
                    parsed.push(parse_where(clause, &at.index(i), opts)?);
                }
                items.push(match key.as_str() {
                    "and" => Where::And(parsed),
                    "or" => Where::Or(parsed),
                    _ => Where::Nor(parsed),
                });
            }
            _ => parse_entry(key, value, &at, opts, &mut items)?,
        }
    }
    if items.len() == 1 {
        if let Some(only) = items.pop() {
            return Ok(only);
        }
    }
    Ok(Where::And(items))
}

/// One `key: value` entry of a `where` object other than `and`/`or`/`nor`: a condition on a
/// related model when the key names a relation of the model (`books`, or a dotted path that
/// starts with one, `author.name`) and no property, else a condition on a property.
fn parse_entry(
    key: &str,
    v: &Json,
    path: &Path<'_>,
    opts: &ParseOptions<'_>,
    out: &mut Vec<Where>,
) -> Result<()> {
    let Some(model) = opts.model else {
        return parse_property(key, v, path, opts, out);
    };
    let (head, rest) = match key.split_once('.') {
        Some((head, rest)) => (head, Some(rest)),
        None => (key, None),
    };
    let Some(rel) = model.relations.get(head) else {
        return parse_property(key, v, path, opts, out);
    };
    if model.property(head).is_some() {
        return parse_property(key, v, path, opts, out);
    }
    check_name(key, path, "property")?;
    let unsupported = |why: &str| {
        err(
            path,
            format!(
                "Relation \"{head}\" of {} cannot be filtered on: {why}",
                model.name
            ),
        )
    };
    if let Some(why) = unfilterable(rel.kind, rel.model.is_some()) {
        return Err(unsupported(why));
    }
    let Some(target_name) = rel.model.as_deref() else {
        return Err(unsupported("it names no target model"));
    };
    let Some(models) = opts.models else {
        return Err(err(
            path,
            format!(
                "\"{head}\" is a relation of {}: conditions on related models need the \
                 application's models (parse through the model, or with \
                 ParseOptions::with_models)",
                model.name
            ),
        ));
    };
    let Some(target) = models(target_name) else {
        return Err(unsupported(&format!(
            "its target model {target_name} is not defined"
        )));
    };
    let target_opts = ParseOptions {
        model: Some(&target),
        ..*opts
    };
    let (quantifier, inner) = match rest {
        // `author.name: …` is `author: {some: {name: …}}`.
        Some(rest) => {
            let mut items = Vec::with_capacity(1);
            parse_entry(rest, v, path, &target_opts, &mut items)?;
            let inner = if items.len() == 1 {
                items.pop().unwrap_or_else(|| Where::And(Vec::new()))
            } else {
                Where::And(items)
            };
            (Quantifier::Some, inner)
        }
        None => {
            let quantified = match v {
                Json::Object(o) if o.len() == 1 => o
                    .iter()
                    .next()
                    .and_then(|(k, inner)| Some((Quantifier::from_keyword(k)?, k, inner))),
                _ => None,
            };
            let Some((quantifier, k, inner)) = quantified else {
                return Err(err(
                    path,
                    format!(
                        "The condition on relation \"{head}\" must be an object with one key, \
                         some, none or every, holding a where object (or use a dotted path such \
                         as \"{head}.<property>\"), not {}",
                        show(v)
                    ),
                ));
            };
            (quantifier, parse_where(inner, &path.key(k), &target_opts)?)
        }
    };
    out.push(Where::related(head, quantifier, inner));
    Ok(())
}

/// Why conditions cannot reach through a relation of `kind`, if they cannot; `has_target`
/// says whether it names one target model (a polymorphic belongsTo does not).
pub(crate) fn unfilterable(kind: RelationKind, has_target: bool) -> Option<&'static str> {
    match kind {
        RelationKind::EmbedsOne | RelationKind::EmbedsMany => Some(
            "its models are embedded; name the property that holds them instead \
             (`<property>.<name>`)",
        ),
        RelationKind::ReferencesMany => {
            Some("referencesMany keeps its ids in an array, which conditions cannot join on")
        }
        RelationKind::BelongsTo if !has_target => {
            Some("it is a polymorphic belongsTo, whose target model depends on each instance")
        }
        _ => None,
    }
}

/// One `prop: value` or `prop: {op: operand, ...}` entry; several operators are AND-ed.
fn parse_property(
    prop: &str,
    v: &Json,
    path: &Path<'_>,
    opts: &ParseOptions<'_>,
    out: &mut Vec<Where>,
) -> Result<()> {
    check_name(prop, path, "property")?;
    check_hidden(prop, path, opts)?;
    let ty = opts.model.and_then(|m| m.property(prop)).map(|p| &p.ty);
    // A plain value, or `{}` (equality with the empty object, coerced like any operand so that
    // it parses the same as its printed form `{"eq": {}}`).
    let ops = match v {
        Json::Object(ops) if !ops.is_empty() => ops,
        _ => {
            out.push(Where::cond(prop, Condition::Eq(coerce(v, ty, path)?)));
            return Ok(());
        }
    };
    let has_near = ops.contains_key("near");
    for (op, operand) in ops {
        let at = path.key(op);
        let cond = match op.as_str() {
            "eq" => Condition::Eq(coerce(operand, ty, &at)?),
            "neq" => Condition::Neq(coerce(operand, ty, &at)?),
            "gt" => Condition::Gt(coerce(operand, ty, &at)?),
            "gte" => Condition::Gte(coerce(operand, ty, &at)?),
            "lt" => Condition::Lt(coerce(operand, ty, &at)?),
            "lte" => Condition::Lte(coerce(operand, ty, &at)?),
            "between" => {
                let items = operand_list(prop, v, operand, &at)?;
                let [low, high] = items.as_slice() else {
                    return Err(err(
                        &at,
                        format!(
                            "The {prop} property has invalid clause {}: Expected precisely 2 \
                             values, received {}",
                            show(v),
                            items.len()
                        ),
                    ));
                };
                Condition::Between(
                    coerce(low, ty, &at.index(0))?,
                    coerce(high, ty, &at.index(1))?,
                )
            }
            "inq" | "nin" => {
                let items = operand_list(prop, v, operand, &at)?;
                if let Some(max) = opts.limits.max_in_list {
                    if items.len() > max {
                        return Err(err_code(
                            &at,
                            format!(
                                "The {prop} property has {} values in its {op} list; at most \
                                 {max} are allowed",
                                items.len()
                            ),
                            "LIST_TOO_LONG",
                        ));
                    }
                }
                let mut values = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    values.push(coerce(item, ty, &at.index(i))?);
                }
                if op == "inq" {
                    Condition::Inq(values)
                } else {
                    Condition::Nin(values)
                }
            }
            "like" | "nlike" | "ilike" | "nilike" => {
                let Json::String(pattern) = operand else {
                    return Err(err(
                        &at,
                        format!(
                            "The {prop} property has invalid clause {}: Expected a string",
                            show(v)
                        ),
                    ));
                };
                let pattern = pattern.clone();
                match op.as_str() {
                    "like" => Condition::Like(pattern),
                    "nlike" => Condition::NLike(pattern),
                    "ilike" => Condition::ILike(pattern),
                    _ => Condition::NILike(pattern),
                }
            }
            "regexp" => Condition::Regexp(parse_regexp(operand, &at)?),
            "near" => Condition::Near(parse_near(operand, ops, path)?),
            "maxDistance" | "minDistance" | "unit" if has_near => continue,
            "maxDistance" | "minDistance" | "unit" => {
                return Err(err(
                    &at,
                    format!("\"{op}\" is only valid together with \"near\""),
                ))
            }
            _ => {
                return Err(err(
                    &at,
                    format!(
                        "Unknown operator \"{op}\"; to match a nested property use a dotted path \
                         (\"{prop}.{op}\"), to compare with an object use {{\"eq\": {{...}}}}"
                    ),
                ))
            }
        };
        out.push(Where::cond(prop, cond));
    }
    Ok(())
}

/// The operand of `inq`, `nin` and `between`: an array or an array-like object.
fn operand_list<'j>(
    prop: &str,
    clause: &Json,
    operand: &'j Json,
    path: &Path<'_>,
) -> Result<Vec<&'j Json>> {
    array_like(operand).ok_or_else(|| {
        err(
            path,
            format!(
                "The {prop} property has invalid clause {}: Value is not an array or object with \
                 sequential numeric indices",
                show(clause)
            ),
        )
    })
}

/// Limit on the compiled size of a `regexp` operand. Compiling is where a pattern costs: near a
/// 1 MiB limit a pattern like `\pL{50}` takes ten milliseconds or more to be refused, at 256 KiB
/// under two, while realistic patterns stay far below. Unicode classes are the big ones:
/// `\w{10}` needs more, `[A-Za-z0-9_]{10}` (what JavaScript's `\w` means) much less.
const REGEX_SIZE_LIMIT: usize = 1 << 18;

/// A plain pattern, or `/pattern/flags` with flags among `i`, `g`, `m`. The pattern must compile
/// with the `regex` crate.
fn parse_regexp(v: &Json, path: &Path<'_>) -> Result<RegexpPattern> {
    let Json::String(s) = v else {
        return Err(err(
            path,
            format!(
                "Invalid argument {}, must be a string, regex literal, or RegExp object",
                show(v)
            ),
        ));
    };
    let (source, flags) = match s
        .strip_prefix('/')
        .and_then(|rest| rest.rfind('/').map(|e| (rest, e)))
    {
        Some((rest, end)) => (&rest[..end], &rest[end + 1..]),
        None => (s.as_str(), ""),
    };
    let mut pattern = RegexpPattern {
        source: source.to_owned(),
        case_insensitive: false,
        global: false,
        multiline: false,
    };
    let mut invalid = Vec::new();
    for flag in flags.chars() {
        let slot = match flag {
            'i' => &mut pattern.case_insensitive,
            'g' => &mut pattern.global,
            'm' => &mut pattern.multiline,
            other => {
                invalid.push(other.to_string());
                continue;
            }
        };
        if *slot {
            invalid.push(format!("{flag} (given twice)"));
        }
        *slot = true;
    }
    if !invalid.is_empty() {
        return Err(err(
            path,
            format!("Invalid regex flags: {}", invalid.join(",")),
        ));
    }
    regex::RegexBuilder::new(source)
        .case_insensitive(pattern.case_insensitive)
        .multi_line(pattern.multiline)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| {
            let text = e.to_string();
            let reason = text.lines().last().unwrap_or_default();
            let reason = reason.strip_prefix("error: ").unwrap_or(reason);
            err(
                path,
                format!("Invalid regular expression /{source}/: {reason}"),
            )
        })?;
    Ok(pattern)
}

/// `near` with its sibling keys `maxDistance`, `minDistance` and `unit`.
fn parse_near(point: &Json, ops: &Map<String, Json>, path: &Path<'_>) -> Result<Near> {
    let at = path.key("near");
    let point = match point {
        // `filter[where][loc][near][0]=1&...[1]=2` gives strings.
        Json::Array(a) if a.len() == 2 => {
            let coord = |v: &Json| match v {
                Json::Number(n) => n.as_f64(),
                Json::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            };
            match (coord(&a[0]), coord(&a[1])) {
                (Some(lat), Some(lng)) => GeoPoint::new(lat, lng),
                _ => Err("a point must be [lat, lng] with two numbers".to_owned()),
            }
        }
        other => GeoPoint::from_json(other),
    }
    .map_err(|m| err(&at, format!("Invalid point for near: {m}")))?;
    let distance = |key: &'static str| -> Result<Option<f64>> {
        let Some(v) = ops.get(key) else {
            return Ok(None);
        };
        let d = match v {
            Json::Null => return Ok(None),
            Json::Number(n) => n.as_f64(),
            Json::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match d {
            Some(d) if d.is_finite() && d >= 0.0 => Ok(Some(d)),
            _ => Err(err(
                &path.key(key),
                format!("{key} must be a non-negative number, not {}", show(v)),
            )),
        }
    };
    let max_distance = distance("maxDistance")?;
    let min_distance = distance("minDistance")?;
    let unit = match ops.get("unit") {
        None | Some(Json::Null) => None,
        Some(Json::String(u)) => Some(DistanceUnit::parse(u).ok_or_else(|| {
            err(
                &path.key("unit"),
                format!(
                    "Unknown distance unit \"{u}\"; use miles, kilometers, meters, feet, \
                     radians or degrees"
                ),
            )
        })?),
        Some(other) => {
            return Err(err(
                &path.key("unit"),
                format!("The unit must be a string, not {}", show(other)),
            ))
        }
    };
    Ok(Near {
        point,
        max_distance,
        min_distance,
        unit,
    })
}

// ---------------------------------------------------------------------------------------------
// Coercion (LB3 `ModelUtils._coerce`)

/// Converts an operand, coercing by the declared type when there is one. Arrays are coerced
/// element-wise; array-typed properties use their element type.
fn coerce(v: &Json, ty: Option<&PropertyType>, path: &Path<'_>) -> Result<Value> {
    let Some(ty) = ty else {
        return Ok(Value::from_json(v));
    };
    let scalar = match ty {
        PropertyType::Array(t) => &**t,
        t => t,
    };
    match v {
        Json::Array(a) => {
            let mut out = Vec::with_capacity(a.len());
            for (i, item) in a.iter().enumerate() {
                out.push(coerce_scalar(item, scalar, &path.index(i))?);
            }
            Ok(Value::Array(out))
        }
        _ => coerce_scalar(v, scalar, path),
    }
}

fn coerce_scalar(v: &Json, ty: &PropertyType, path: &Path<'_>) -> Result<Value> {
    match (ty, v) {
        (_, Json::Null) => Ok(Value::Null),
        (PropertyType::Number, Json::String(s)) => {
            Ok(js_number(s).unwrap_or_else(|| Value::String(s.clone())))
        }
        (PropertyType::Boolean, Json::String(s)) => Ok(match s.as_str() {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => Value::String(s.clone()),
        }),
        (PropertyType::Date, Json::String(s)) => parse_date(s)
            .or_else(|| parse_signed_year_date(s))
            .map(Value::Date)
            .ok_or_else(|| err(path, format!("Invalid date: {s}"))),
        (PropertyType::Date, Json::Number(n)) => {
            // JavaScript dates span ±8.64e15 ms around the epoch.
            let ms = match n.as_i64() {
                Some(i) => Some(i),
                None => n
                    .as_f64()
                    .filter(|f| f.abs() <= 8.64e15)
                    .map(|f| f.trunc() as i64),
            };
            ms.filter(|ms| ms.unsigned_abs() <= 8_640_000_000_000_000)
                .and_then(chrono::DateTime::from_timestamp_millis)
                .map(Value::Date)
                .ok_or_else(|| err(path, format!("Invalid date: {n}")))
        }
        (PropertyType::Date, other) => Err(err(path, format!("Invalid date: {}", show(other)))),
        _ => Ok(Value::from_json(v)),
    }
}

/// Dates outside the years 0–9999, which RFC 3339 cannot express, in the signed form dates are
/// printed in (`-2015-01-01T00:00:00.000Z`, `+10000-01-01T00:00:00.000Z`) and JavaScript's
/// (`-002015-01-01T00:00:00.000Z`), so that printed filters parse back.
fn parse_signed_year_date(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let s = s.trim();
    if !s.starts_with(['+', '-']) {
        return None;
    }
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.fZ")
        .ok()
        .map(|n| n.and_utc())
}

/// JavaScript's `Number(string)` for decimal literals: surrounding whitespace is ignored,
/// integers that fit become `Int`, other finite numbers `Float`. `None` for anything else (the
/// empty string, hex, `Infinity` and `NaN` included).
fn js_number(s: &str) -> Option<Value> {
    let t = s.trim();
    let b = t.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let int_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let mut digits = i - int_start;
    let mut integer = true;
    if b.get(i) == Some(&b'.') {
        integer = false;
        i += 1;
        let frac_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        integer = false;
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == exp_start {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    if integer {
        if let Ok(n) = t.parse::<i64>() {
            return Some(Value::Int(n));
        }
    }
    t.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Value::Float)
}

// ---------------------------------------------------------------------------------------------
// Printing

fn logical_to_json(key: &str, items: &[Where]) -> Json {
    let mut m = Map::new();
    m.insert(
        key.to_owned(),
        Json::Array(items.iter().map(Where::to_json).collect()),
    );
    Json::Object(m)
}

/// The JSON for `prop: <here>` when the property has this one condition.
fn condition_to_json(op: &Condition) -> Json {
    match op {
        Condition::Eq(v) if !needs_eq_wrapper(v) => v.to_json(),
        _ => {
            let mut m = Map::new();
            insert_operator(&mut m, op);
            Json::Object(m)
        }
    }
}

/// Values that a plain `prop: value` would not carry faithfully: objects and arrays (read as
/// operators or lists), points and buffers (printed as objects).
fn needs_eq_wrapper(v: &Value) -> bool {
    matches!(
        v,
        Value::Object(_) | Value::Array(_) | Value::GeoPoint(_) | Value::Buffer(_)
    )
}

/// Adds `op` to an operator object; `false` when one of its keys is already there.
fn insert_operator(m: &mut Map<String, Json>, op: &Condition) -> bool {
    let mut put = |k: &str, v: Json| {
        if m.contains_key(k) {
            return false;
        }
        m.insert(k.to_owned(), v);
        true
    };
    let list = |v: &[Value]| Json::Array(v.iter().map(Value::to_json).collect());
    match op {
        Condition::Eq(v)
        | Condition::Neq(v)
        | Condition::Gt(v)
        | Condition::Gte(v)
        | Condition::Lt(v)
        | Condition::Lte(v) => put(op.operator(), v.to_json()),
        Condition::Between(a, b) => put("between", Json::Array(vec![a.to_json(), b.to_json()])),
        Condition::Inq(v) | Condition::Nin(v) => put(op.operator(), list(v)),
        Condition::Like(s) | Condition::NLike(s) | Condition::ILike(s) | Condition::NILike(s) => {
            put(op.operator(), Json::String(s.clone()))
        }
        Condition::Regexp(p) => put(
            "regexp",
            Json::String(format!("/{}/{}", p.source, p.flags())),
        ),
        Condition::Near(n) => {
            let number = |f: f64| serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number);
            let mut ok = put(
                "near",
                Json::String(format!("{},{}", n.point.lat, n.point.lng)),
            );
            if let Some(d) = n.max_distance {
                ok &= put("maxDistance", number(d));
            }
            if let Some(d) = n.min_distance {
                ok &= put("minDistance", number(d));
            }
            if let Some(u) = n.unit {
                ok &= put("unit", Json::String(u.as_str().to_owned()));
            }
            ok
        }
    }
}

/// An `And` printed as one object (`{a: 1, b: {gt: 2, lt: 5}, or: [...]}`) when that parses
/// back to the same list: at least two items, each property's conditions adjacent, no key used
/// twice.
fn merged_and(items: &[Where]) -> Option<Map<String, Json>> {
    if items.len() < 2 {
        return None;
    }
    let mut m = Map::new();
    let mut i = 0;
    while i < items.len() {
        match &items[i] {
            Where::Cond { property, op } => {
                if matches!(property.as_str(), "and" | "or" | "nor") || m.contains_key(property) {
                    return None;
                }
                let run = items[i..]
                    .iter()
                    .take_while(|w| matches!(w, Where::Cond { property: p, .. } if p == property))
                    .count();
                if run == 1 {
                    m.insert(property.clone(), condition_to_json(op));
                } else {
                    let mut ops = Map::new();
                    for w in &items[i..i + run] {
                        if let Where::Cond { op, .. } = w {
                            if !insert_operator(&mut ops, op) {
                                return None;
                            }
                        }
                    }
                    m.insert(property.clone(), Json::Object(ops));
                }
                i += run;
            }
            Where::Related(r) => {
                if matches!(r.relation.as_str(), "and" | "or" | "nor")
                    || m.contains_key(&r.relation)
                {
                    return None;
                }
                if let Json::Object(one) = items[i].to_json() {
                    m.extend(one);
                }
                i += 1;
            }
            w @ (Where::And(children) | Where::Or(children) | Where::Nor(children)) => {
                let key = match w {
                    Where::And(_) => "and",
                    Where::Or(_) => "or",
                    _ => "nor",
                };
                if m.contains_key(key) {
                    return None;
                }
                m.insert(
                    key.to_owned(),
                    Json::Array(children.iter().map(Where::to_json).collect()),
                );
                i += 1;
            }
        }
    }
    Some(m)
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
