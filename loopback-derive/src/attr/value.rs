//! Reading the value of one keyword in the shape it expects, with an error on the value that
//! shows the keyword's correct syntax when the shape is wrong.

use proc_macro2::Span;
use syn::spanned::Spanned as _;
use syn::{Expr, ExprLit, ExprUnary, Lit, LitStr, UnOp};

use crate::attr::keyword::KeywordSet;
use crate::attr::meta::Meta;
use crate::ctxt::Ctxt;

/// A value with the span of the tokens it came from.
#[derive(Clone)]
pub(crate) struct Spanned<T> {
    /// The value.
    pub(crate) value: T,
    /// Where it was written.
    pub(crate) span: Span,
}

impl<T> Spanned<T> {
    pub(crate) fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

/// A literal as used for defaults, `inclusion` lists and connector settings.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum LitValue {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl LitValue {
    pub(crate) fn to_json(&self) -> serde_json::Value {
        match self {
            LitValue::Str(s) => serde_json::Value::String(s.clone()),
            LitValue::Int(i) => serde_json::Value::from(*i),
            LitValue::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            LitValue::Bool(b) => serde_json::Value::Bool(*b),
        }
    }
}

fn wrong<K: KeywordSet>(cx: &Ctxt, kw: K, meta: &Meta, expects: &str) {
    cx.error_spanned_by(
        meta.value_tokens(),
        format!("`{}` expects {expects}: `{}`", kw.name(), kw.syntax()),
    );
}

/// `key = "text"`.
pub(crate) fn want_str<K: KeywordSet>(cx: &Ctxt, kw: K, meta: &Meta) -> Option<LitStr> {
    if let Meta::NameValue {
        value: Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }),
        ..
    } = meta
    {
        return Some(s.clone());
    }
    wrong(cx, kw, meta, "a string");
    None
}

/// `key` (true), `key = true` or `key = false`.
pub(crate) fn want_bool<K: KeywordSet>(cx: &Ctxt, kw: K, meta: &Meta) -> Option<bool> {
    match meta {
        Meta::Flag(_) => Some(true),
        Meta::NameValue {
            value: Expr::Lit(ExprLit {
                lit: Lit::Bool(b), ..
            }),
            ..
        } => Some(b.value),
        _ => {
            wrong(cx, kw, meta, "true or false");
            None
        }
    }
}

/// `key` alone.
pub(crate) fn want_flag<K: KeywordSet>(cx: &Ctxt, kw: K, meta: &Meta) -> bool {
    if let Meta::Flag(_) = meta {
        return true;
    }
    wrong(cx, kw, meta, "no value");
    false
}

/// `key = 3`: a non-negative integer.
pub(crate) fn want_uint<K: KeywordSet>(cx: &Ctxt, kw: K, meta: &Meta) -> Option<u64> {
    if let Meta::NameValue {
        value: Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }),
        ..
    } = meta
    {
        if let Ok(n) = i.base10_parse::<u64>() {
            return Some(n);
        }
    }
    wrong(cx, kw, meta, "a non-negative integer");
    None
}

/// `key(...)`: a group.
pub(crate) fn want_group<K: KeywordSet>(cx: &Ctxt, kw: K, meta: Meta) -> Option<Vec<Meta>> {
    if let Meta::List { items, .. } = meta {
        return Some(items);
    }
    wrong(cx, kw, &meta, "a group in parentheses");
    None
}

/// A literal expression: strings, numbers (with an optional minus sign) and booleans.
pub(crate) fn literal(expr: &Expr) -> Option<LitValue> {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => match lit {
            Lit::Str(s) => Some(LitValue::Str(s.value())),
            Lit::Int(i) => i.base10_parse::<i64>().ok().map(LitValue::Int),
            Lit::Float(f) => f.base10_parse::<f64>().ok().map(LitValue::Float),
            Lit::Bool(b) => Some(LitValue::Bool(b.value)),
            _ => None,
        },
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => match literal(expr)? {
            LitValue::Int(i) => Some(LitValue::Int(-i)),
            LitValue::Float(f) => Some(LitValue::Float(-f)),
            _ => None,
        },
        Expr::Group(g) => literal(&g.expr),
        _ => None,
    }
}

/// `key = <literal>`.
pub(crate) fn want_literal<K: KeywordSet>(
    cx: &Ctxt,
    kw: K,
    meta: &Meta,
) -> Option<Spanned<LitValue>> {
    if let Meta::NameValue { value, .. } = meta {
        if let Some(v) = literal(value) {
            return Some(Spanned::new(v, value.span()));
        }
    }
    wrong(cx, kw, meta, "a string, number or boolean literal");
    None
}

/// `key = [<literal>, ...]`.
pub(crate) fn want_literal_list<K: KeywordSet>(
    cx: &Ctxt,
    kw: K,
    meta: &Meta,
) -> Option<Vec<Spanned<LitValue>>> {
    if let Meta::NameValue {
        value: Expr::Array(a),
        ..
    } = meta
    {
        let mut out = Vec::new();
        for e in &a.elems {
            match literal(e) {
                Some(v) => out.push(Spanned::new(v, e.span())),
                None => {
                    cx.error_spanned_by(
                        e,
                        format!("`{}` takes literals only: `{}`", kw.name(), kw.syntax()),
                    );
                    return None;
                }
            }
        }
        return Some(out);
    }
    wrong(cx, kw, meta, "a list of literals");
    None
}

/// `key = ["a", "b"]`, or with `single_ok`, also `key = "a"`.
pub(crate) fn want_str_list<K: KeywordSet>(
    cx: &Ctxt,
    kw: K,
    meta: &Meta,
    single_ok: bool,
) -> Option<Vec<LitStr>> {
    match meta {
        Meta::NameValue {
            value: Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }),
            ..
        } if single_ok => {
            return Some(vec![s.clone()]);
        }
        Meta::NameValue {
            value: Expr::Array(a),
            ..
        } => {
            let mut out = Vec::new();
            for e in &a.elems {
                match e {
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(s), ..
                    }) => out.push(s.clone()),
                    _ => {
                        cx.error_spanned_by(
                            e,
                            format!("`{}` takes strings: `{}`", kw.name(), kw.syntax()),
                        );
                        return None;
                    }
                }
            }
            return Some(out);
        }
        _ => {}
    }
    wrong(
        cx,
        kw,
        meta,
        if single_ok {
            "a string or a list of strings"
        } else {
            "a list of strings"
        },
    );
    None
}

/// Parses a JSON literal written as a string, reporting syntax errors with their position.
pub(crate) fn json_object<K: KeywordSet>(
    cx: &Ctxt,
    kw: K,
    lit: &LitStr,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    match serde_json::from_str::<serde_json::Value>(&lit.value()) {
        Ok(serde_json::Value::Object(m)) => Some(m),
        Ok(other) => {
            cx.error_spanned_by(
                lit,
                format!(
                    "`{}` must be a JSON object, not `{other}`: `{}`",
                    kw.name(),
                    kw.syntax()
                ),
            );
            None
        }
        Err(e) => {
            cx.error_spanned_by(
                lit,
                format!(
                    "invalid JSON in `{}`: {e}; expected a JSON object such as `{}`",
                    kw.name(),
                    kw.syntax()
                ),
            );
            None
        }
    }
}
