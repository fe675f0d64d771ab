//! Typed column handles for building filters from Rust.

use std::marker::PhantomData;

use super::{Condition, Direction, Near, Order, RegexpPattern, Where};
use crate::field::FieldValue;
use crate::value::{DistanceUnit, GeoPoint, Value};

/// A typed handle on one property of model `M` whose values are `T`.
///
/// `#[derive(Model)]` generates one per property (`Book::title()`), so conditions are
/// checked at compile time: `Book::price().gt(10)` compiles, `Book::price().like("%x")` does
/// not, since `like` exists only on string columns.
pub struct Column<M, T> {
    name: &'static str,
    _marker: PhantomData<fn() -> (M, T)>,
}

impl<M, T> Clone for Column<M, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<M, T> Copy for Column<M, T> {}

impl<M, T> std::fmt::Debug for Column<M, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Column({})", self.name)
    }
}

impl<M, T> Column<M, T> {
    /// A handle on the property named `name` (its wire name).
    pub const fn new(name: &'static str) -> Self {
        Column {
            name,
            _marker: PhantomData,
        }
    }

    /// The property name.
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

impl<M, T: FieldValue> Column<M, T> {
    /// A handle on the property named `name` (its wire name).
    fn cond(&self, op: Condition) -> Where {
        Where::Cond {
            property: self.name.to_owned(),
            op,
        }
    }

    /// `= value`.
    pub fn eq(&self, value: impl Into<T>) -> Where {
        self.cond(Condition::Eq(value.into().to_value()))
    }

    /// `!= value`.
    pub fn neq(&self, value: impl Into<T>) -> Where {
        self.cond(Condition::Neq(value.into().to_value()))
    }

    /// `> value`.
    pub fn gt(&self, value: impl Into<T>) -> Where {
        self.cond(Condition::Gt(value.into().to_value()))
    }

    /// `>= value`.
    pub fn gte(&self, value: impl Into<T>) -> Where {
        self.cond(Condition::Gte(value.into().to_value()))
    }

    /// `< value`.
    pub fn lt(&self, value: impl Into<T>) -> Where {
        self.cond(Condition::Lt(value.into().to_value()))
    }

    /// `<= value`.
    pub fn lte(&self, value: impl Into<T>) -> Where {
        self.cond(Condition::Lte(value.into().to_value()))
    }

    /// Between `low` and `high`, inclusive.
    pub fn between(&self, low: impl Into<T>, high: impl Into<T>) -> Where {
        self.cond(Condition::Between(
            low.into().to_value(),
            high.into().to_value(),
        ))
    }

    /// One of `values`.
    pub fn inq<I: IntoIterator<Item = V>, V: Into<T>>(&self, values: I) -> Where {
        self.cond(Condition::Inq(
            values.into_iter().map(|v| v.into().to_value()).collect(),
        ))
    }

    /// None of `values`.
    pub fn nin<I: IntoIterator<Item = V>, V: Into<T>>(&self, values: I) -> Where {
        self.cond(Condition::Nin(
            values.into_iter().map(|v| v.into().to_value()).collect(),
        ))
    }

    /// Is null or missing.
    pub fn is_null(&self) -> Where {
        self.cond(Condition::Eq(Value::Null))
    }

    /// Is present and not null.
    pub fn is_not_null(&self) -> Where {
        self.cond(Condition::Neq(Value::Null))
    }

    /// Ascending sort key.
    pub fn asc(&self) -> Order {
        Order {
            property: self.name.to_owned(),
            direction: Direction::Asc,
        }
    }

    /// Descending sort key.
    pub fn desc(&self) -> Order {
        Order {
            property: self.name.to_owned(),
            direction: Direction::Desc,
        }
    }
}

impl<M> Column<M, String> {
    /// SQL `LIKE` with `%` and `_` wildcards.
    pub fn like(&self, pattern: impl Into<String>) -> Where {
        self.cond(Condition::Like(pattern.into()))
    }

    /// `NOT LIKE`.
    pub fn nlike(&self, pattern: impl Into<String>) -> Where {
        self.cond(Condition::NLike(pattern.into()))
    }

    /// Case-insensitive `LIKE`.
    pub fn ilike(&self, pattern: impl Into<String>) -> Where {
        self.cond(Condition::ILike(pattern.into()))
    }

    /// Case-insensitive `NOT LIKE`.
    pub fn nilike(&self, pattern: impl Into<String>) -> Where {
        self.cond(Condition::NILike(pattern.into()))
    }

    /// Regular expression match (JavaScript syntax, no flags).
    pub fn regexp(&self, pattern: impl Into<String>) -> Where {
        self.cond(Condition::Regexp(RegexpPattern {
            source: pattern.into(),
            case_insensitive: false,
            global: false,
            multiline: false,
        }))
    }

    /// Case-insensitive regular expression match.
    pub fn iregexp(&self, pattern: impl Into<String>) -> Where {
        self.cond(Condition::Regexp(RegexpPattern {
            source: pattern.into(),
            case_insensitive: true,
            global: false,
            multiline: false,
        }))
    }
}

impl<M> Column<M, GeoPoint> {
    /// Orders by distance to `point`.
    pub fn near(&self, point: GeoPoint) -> Where {
        self.cond(Condition::Near(Near {
            point,
            max_distance: None,
            min_distance: None,
            unit: None,
        }))
    }

    /// Keeps points within `max_distance` of `point` (in `unit`), nearest first.
    pub fn within(&self, point: GeoPoint, max_distance: f64, unit: DistanceUnit) -> Where {
        self.cond(Condition::Near(Near {
            point,
            max_distance: Some(max_distance),
            min_distance: None,
            unit: Some(unit),
        }))
    }
}
