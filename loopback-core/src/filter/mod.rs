//! LoopBack's filter language as a typed AST.
//!
//! A [`Filter`] is what `find` takes: `where`, `fields`, `order`, `limit`, `skip`/`offset` and
//! `include`. It is parsed strictly from JSON ([`Filter::from_json`]) and from the query-string
//! bracket syntax ([`Filter::from_query_string`]), printed back to LB3 JSON ([`Filter::to_json`]),
//! and evaluated in memory by [`Where::matches`]. Rust callers build filters with the builder
//! methods here and the typed column handles that `#[derive(Model)]` generates ([`Column`]).

mod builder;
mod matcher;
mod parse;
mod query_string;
#[cfg(feature = "rest")]
pub(crate) use query_string::{form_object, query_value};

use std::sync::Arc;

use crate::model::ModelDefinition;
use crate::value::{DistanceUnit, GeoPoint, Value};

pub use builder::Column;
pub use matcher::{apply_filter, like_to_regex, CompiledFilter, CompiledWhere, Row};
pub(crate) use parse::unfilterable;
pub use parse::{ModelLookup, ParseOptions, QueryLimits};

/// Keys that are never accepted anywhere in a filter or a model definition: they are the
/// prototype-pollution vectors of the JavaScript original.
pub fn is_forbidden_key(key: &str) -> bool {
    matches!(key, "__proto__" | "constructor" | "prototype")
}

/// A complete query filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Row condition.
    pub where_: Option<Where>,
    /// Properties to return.
    pub fields: Option<Fields>,
    /// Sort keys, first one first.
    pub order: Vec<Order>,
    /// Maximum number of rows.
    pub limit: Option<u64>,
    /// Rows to skip (`skip` and its alias `offset`).
    pub skip: Option<u64>,
    /// Related models to include.
    pub include: Vec<Include>,
}

/// A condition tree. A JSON object with several keys is an [`Where::And`] of its keys.
#[derive(Debug, Clone, PartialEq)]
pub enum Where {
    /// All must hold.
    And(Vec<Where>),
    /// At least one must hold.
    Or(Vec<Where>),
    /// None may hold.
    Nor(Vec<Where>),
    /// A condition on one property (a dotted path for nested properties).
    Cond {
        /// Property name or dotted path (`address.city`).
        property: String,
        /// The operator and its operand.
        op: Condition,
    },
    /// A condition on the models related to each candidate through one of its relations
    /// (`{"books": {"some": {"price": {"gt": 10}}}}`, or the shorthand `{"author.name": "X"}`);
    /// see `docs/relations.md`.
    Related(Box<RelatedWhere>),
}

/// How many of a candidate's related models must satisfy a [`RelatedWhere`]'s condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    /// At least one (`some`, and what a dotted path such as `author.name` means).
    Some,
    /// None of them (`none`); a candidate with no related model matches.
    None,
    /// All of them (`every`); a candidate with no related model matches.
    Every,
}

impl Quantifier {
    /// The keyword in a `where` object.
    pub fn keyword(self) -> &'static str {
        match self {
            Quantifier::Some => "some",
            Quantifier::None => "none",
            Quantifier::Every => "every",
        }
    }

    /// The quantifier a keyword names.
    pub fn from_keyword(s: &str) -> Option<Self> {
        match s {
            "some" => Some(Quantifier::Some),
            "none" => Some(Quantifier::None),
            "every" => Some(Quantifier::Every),
            _ => None,
        }
    }
}

/// A condition on related models: which relation, how many related models must match, and
/// the condition on them (written against the related model).
///
/// The operation layer resolves the relation before a connector sees the condition: it fills
/// [`RelatedWhere::join`], adds the related model's default scope, the relation's scope and
/// any polymorphic discriminator to `where_`, rewrites a through relation as a condition on
/// the through model that holds one on the target, and turns `every` into `none` of the
/// negation. A connector that cannot join ([`Capabilities::related_where`]) never sees one:
/// the operation layer reads the related keys first and passes an `inq`/`nin` instead.
///
/// [`Capabilities::related_where`]: crate::connector::Capabilities::related_where
#[derive(Debug, Clone, PartialEq)]
pub struct RelatedWhere {
    /// The relation name, as the filtered model declares it.
    pub relation: String,
    /// How many related models must match.
    pub quantifier: Quantifier,
    /// The condition on each related model.
    pub where_: Where,
    /// How the two models link, once resolved.
    pub join: Option<Join>,
}

/// How a filtered model links to the related model of a [`RelatedWhere`]: a candidate is
/// related to the rows of `target` whose `key_to` equals the candidate's `key_from`.
#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    /// The property of the filtered model.
    pub key_from: String,
    /// The related model.
    pub target: Arc<ModelDefinition>,
    /// The property of the related model.
    pub key_to: String,
}

/// An operator with its operand, as it applies to one property.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Equality (plain value or `eq`); `Eq(Null)` matches null or missing.
    Eq(Value),
    /// `neq`; `Neq(Null)` matches present, non-null values.
    Neq(Value),
    /// `gt`.
    Gt(Value),
    /// `gte`.
    Gte(Value),
    /// `lt`.
    Lt(Value),
    /// `lte`.
    Lte(Value),
    /// `between`: inclusive at both ends.
    Between(Value, Value),
    /// `inq`.
    Inq(Vec<Value>),
    /// `nin`.
    Nin(Vec<Value>),
    /// `like` (SQL wildcards `%` and `_`).
    Like(String),
    /// `nlike`.
    NLike(String),
    /// `ilike`: case-insensitive like.
    ILike(String),
    /// `nilike`.
    NILike(String),
    /// `regexp`.
    Regexp(RegexpPattern),
    /// `near`, ordering by distance, optionally bounded.
    Near(Near),
}

impl Condition {
    /// Whether this matches text against a pattern: `like`, `nlike`, `ilike`, `nilike` or
    /// `regexp`.
    pub fn is_pattern(&self) -> bool {
        matches!(
            self,
            Condition::Like(_)
                | Condition::NLike(_)
                | Condition::ILike(_)
                | Condition::NILike(_)
                | Condition::Regexp(_)
        )
    }

    /// The LB3 operator keyword (`eq` for equality).
    pub fn operator(&self) -> &'static str {
        match self {
            Condition::Eq(_) => "eq",
            Condition::Neq(_) => "neq",
            Condition::Gt(_) => "gt",
            Condition::Gte(_) => "gte",
            Condition::Lt(_) => "lt",
            Condition::Lte(_) => "lte",
            Condition::Between(..) => "between",
            Condition::Inq(_) => "inq",
            Condition::Nin(_) => "nin",
            Condition::Like(_) => "like",
            Condition::NLike(_) => "nlike",
            Condition::ILike(_) => "ilike",
            Condition::NILike(_) => "nilike",
            Condition::Regexp(_) => "regexp",
            Condition::Near(_) => "near",
        }
    }
}

/// A regular expression operand: the pattern and its flags (only `i`, `g`, `m` are allowed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexpPattern {
    /// The pattern source, JavaScript syntax (compatible with the `regex` crate for the
    /// common subset).
    pub source: String,
    /// Whether `i` was given.
    pub case_insensitive: bool,
    /// Whether `g` was given (meaningless for matching, kept for round-trips).
    pub global: bool,
    /// Whether `m` was given.
    pub multiline: bool,
}

impl RegexpPattern {
    /// The flags as LB3 writes them (`igm` order).
    pub fn flags(&self) -> String {
        let mut s = String::new();
        if self.global {
            s.push('g');
        }
        if self.case_insensitive {
            s.push('i');
        }
        if self.multiline {
            s.push('m');
        }
        s
    }
}

/// The `near` operator's operand.
#[derive(Debug, Clone, PartialEq)]
pub struct Near {
    /// The reference point.
    pub point: GeoPoint,
    /// Only points within this distance match.
    pub max_distance: Option<f64>,
    /// Only points at least this far match.
    pub min_distance: Option<f64>,
    /// Unit of the distances (miles when absent).
    pub unit: Option<DistanceUnit>,
}

/// The `fields` selection, normalised: if any property is `true`, only those are returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fields {
    /// Only these properties.
    Include(Vec<String>),
    /// Every property except these.
    Exclude(Vec<String>),
}

impl Fields {
    /// Whether a property is selected.
    pub fn selects(&self, property: &str) -> bool {
        match self {
            Fields::Include(v) => v.iter().any(|p| p == property),
            Fields::Exclude(v) => !v.iter().any(|p| p == property),
        }
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Ascending (the default).
    #[default]
    Asc,
    /// Descending.
    Desc,
}

/// One sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// Property name (or dotted path).
    pub property: String,
    /// Direction.
    pub direction: Direction,
}

/// One relation to include, with an optional scope applied to the related query.
#[derive(Debug, Clone, PartialEq)]
pub struct Include {
    /// Relation name.
    pub relation: String,
    /// Filter on the related models (its `include` holds nested includes).
    pub scope: Option<Box<Filter>>,
}

impl Filter {
    /// An empty filter: everything, in natural order.
    pub fn new() -> Self {
        Filter::default()
    }

    /// A filter with only a `where`.
    pub fn with_where(w: Where) -> Self {
        Filter {
            where_: Some(w),
            ..Filter::default()
        }
    }

    /// Adds a condition, AND-ed with any existing one.
    pub fn and_where(mut self, w: Where) -> Self {
        self.where_ = Some(match self.where_.take() {
            None => w,
            Some(Where::And(mut v)) => {
                v.push(w);
                Where::And(v)
            }
            Some(other) => Where::And(vec![other, w]),
        });
        self
    }

    /// Merges `defaults` under this filter, as LB3's `mergeQuery` merges a default or
    /// relation scope into a caller's filter: the `where`s are ANDed, this filter's `fields`,
    /// `order`, `limit` and `skip` win and the defaults fill the gaps, and the defaults'
    /// includes are added unless this filter includes the same relation.
    pub fn merged_with(mut self, defaults: Filter) -> Filter {
        if let Some(w) = defaults.where_ {
            self = self.and_where(w);
        }
        if self.fields.is_none() {
            self.fields = defaults.fields;
        }
        if self.order.is_empty() {
            self.order = defaults.order;
        }
        if self.limit.is_none() {
            self.limit = defaults.limit;
        }
        if self.skip.is_none() {
            self.skip = defaults.skip;
        }
        for inc in defaults.include {
            if !self.include.iter().any(|i| i.relation == inc.relation) {
                self.include.push(inc);
            }
        }
        self
    }

    /// Appends a sort key.
    pub fn order_by(mut self, property: impl Into<String>, direction: Direction) -> Self {
        self.order.push(Order {
            property: property.into(),
            direction,
        });
        self
    }

    /// Sets `limit`.
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    /// Sets `skip`.
    pub fn skip(mut self, n: u64) -> Self {
        self.skip = Some(n);
        self
    }

    /// Returns only these properties.
    pub fn fields<I, S>(mut self, props: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.fields = Some(Fields::Include(props.into_iter().map(Into::into).collect()));
        self
    }

    /// Returns every property except these.
    pub fn exclude_fields<I, S>(mut self, props: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.fields = Some(Fields::Exclude(props.into_iter().map(Into::into).collect()));
        self
    }

    /// Includes a relation.
    pub fn include(mut self, relation: impl Into<String>) -> Self {
        self.include.push(Include {
            relation: relation.into(),
            scope: None,
        });
        self
    }

    /// Includes a relation with a scope.
    pub fn include_scoped(mut self, relation: impl Into<String>, scope: Filter) -> Self {
        self.include.push(Include {
            relation: relation.into(),
            scope: Some(Box::new(scope)),
        });
        self
    }
}

impl Where {
    /// A single-property condition.
    pub fn cond(property: impl Into<String>, op: Condition) -> Self {
        Where::Cond {
            property: property.into(),
            op,
        }
    }

    /// A condition on the models related through `relation` (see [`RelatedWhere`]).
    pub fn related(relation: impl Into<String>, quantifier: Quantifier, where_: Where) -> Self {
        Where::Related(Box::new(RelatedWhere {
            relation: relation.into(),
            quantifier,
            where_,
            join: None,
        }))
    }

    /// `property = value`.
    pub fn eq(property: impl Into<String>, value: impl Into<Value>) -> Self {
        Where::cond(property, Condition::Eq(value.into()))
    }

    /// Both conditions.
    pub fn and(self, other: Where) -> Self {
        match self {
            Where::And(mut v) => {
                v.push(other);
                Where::And(v)
            }
            s => Where::And(vec![s, other]),
        }
    }

    /// Either condition.
    pub fn or(self, other: Where) -> Self {
        match self {
            Where::Or(mut v) => {
                v.push(other);
                Where::Or(v)
            }
            s => Where::Or(vec![s, other]),
        }
    }

    /// Visits every condition on this model's properties in the tree (not those inside a
    /// [`Where::Related`], which name the related model's properties).
    pub fn for_each_cond<'a>(&'a self, f: &mut impl FnMut(&'a str, &'a Condition)) {
        match self {
            Where::And(v) | Where::Or(v) | Where::Nor(v) => {
                for w in v {
                    w.for_each_cond(f);
                }
            }
            Where::Cond { property, op } => f(property, op),
            Where::Related(_) => {}
        }
    }

    /// Whether the tree holds a condition on related models.
    pub fn has_related(&self) -> bool {
        match self {
            Where::And(v) | Where::Or(v) | Where::Nor(v) => v.iter().any(Where::has_related),
            Where::Cond { .. } => false,
            Where::Related(_) => true,
        }
    }

    /// The `property = value` conditions that every matching row satisfies: this condition
    /// itself, or the members of a top-level `and` (nested `and`s included, never the inside
    /// of `or`/`nor`). LB3 writes them onto data created through a scope.
    pub fn equalities(&self) -> Vec<(&str, &Value)> {
        let mut out = Vec::new();
        fn walk<'a>(w: &'a Where, out: &mut Vec<(&'a str, &'a Value)>) {
            match w {
                Where::Cond {
                    property,
                    op: Condition::Eq(v),
                } => out.push((property, v)),
                Where::And(v) => v.iter().for_each(|w| walk(w, out)),
                _ => {}
            }
        }
        walk(self, &mut out);
        out
    }

    /// If this where pins the id property to one value (`{id: x}`), that value.
    pub fn single_eq(&self, property: &str) -> Option<&Value> {
        match self {
            Where::Cond {
                property: p,
                op: Condition::Eq(v),
            } if p == property && !v.is_null() => Some(v),
            Where::And(v) => v.iter().find_map(|w| w.single_eq(property)),
            _ => None,
        }
    }
}
