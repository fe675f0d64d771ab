//! `validate(...)` on a field: one or more rules sharing the options given beside them.

use proc_macro2::Ident;
use serde_json::{Map, Value as Json};

use super::keyword::{walk, KeywordSet};
use super::meta::Meta;
use super::value::{want_bool, want_group, want_literal_list, want_str, want_str_list, want_uint};
use super::{
    FieldKw, FormatKw, LengthKw, ListRuleKw, MessageKw, NumericalityKw, UniquenessKw, ValidateKw,
    ValidationAttr, ValidationKindAttr,
};
use crate::ctxt::Ctxt;

/// Reads the items of one `validate(...)`; `key` is the `validate` token.
pub(crate) fn parse_validate(
    cx: &Ctxt,
    kw: FieldKw,
    key: Option<Ident>,
    items: Vec<Meta>,
) -> Vec<ValidationAttr> {
    let mut kinds = Vec::new();
    let mut options = ValidationAttr {
        kind: ValidationKindAttr::Presence,
        message: None,
        allow_null: false,
        allow_blank: false,
        code: None,
        if_: None,
        unless: None,
    };
    let mut failed = false;
    let reported = cx.error_count();
    walk::<ValidateKw>(
        cx,
        items,
        |_| None,
        |k, m| {
            let kind = match k {
                ValidateKw::Presence | ValidateKw::Absence => {
                    if !matches!(m, Meta::Flag(_)) {
                        cx.error_spanned_by(
                            m.value_tokens(),
                            format!("`{}` takes no value: `{}`", k.name(), k.syntax()),
                        );
                        failed = true;
                        return;
                    }
                    if k == ValidateKw::Presence {
                        ValidationKindAttr::Presence
                    } else {
                        ValidationKindAttr::Absence
                    }
                }
                ValidateKw::Length => match length(cx, k, m) {
                    Some(l) => l,
                    None => {
                        failed = true;
                        return;
                    }
                },
                ValidateKw::Format => match format(cx, k, m) {
                    Some(f) => f,
                    None => {
                        failed = true;
                        return;
                    }
                },
                ValidateKw::Numericality => {
                    let mut int = false;
                    if !matches!(m, Meta::Flag(_)) {
                        let Some(items) = want_group(cx, k, m) else {
                            failed = true;
                            return;
                        };
                        walk::<NumericalityKw>(
                            cx,
                            items,
                            |_| None,
                            |nk, nm| {
                                int = want_bool(cx, nk, &nm).unwrap_or(false);
                            },
                        );
                    }
                    ValidationKindAttr::Numericality { int }
                }
                ValidateKw::Inclusion | ValidateKw::Exclusion => {
                    let whole = m.value_tokens();
                    let Some(items) = want_group(cx, k, m) else {
                        failed = true;
                        return;
                    };
                    let mut values = None;
                    walk::<ListRuleKw>(
                        cx,
                        items,
                        |_| None,
                        |lk, lm| {
                            values = want_literal_list(cx, lk, &lm);
                        },
                    );
                    let Some(values) = values else {
                        cx.error_spanned_by(
                            whole,
                            format!("`{}(...)` needs `values`: `{}`", k.name(), k.syntax()),
                        );
                        failed = true;
                        return;
                    };
                    let values = values.into_iter().map(|v| v.value).collect();
                    if k == ValidateKw::Inclusion {
                        ValidationKindAttr::Inclusion(values)
                    } else {
                        ValidationKindAttr::Exclusion(values)
                    }
                }
                ValidateKw::Uniqueness => {
                    let (mut scoped_to, mut ignore_case) = (Vec::new(), false);
                    if !matches!(m, Meta::Flag(_)) {
                        let Some(items) = want_group(cx, k, m) else {
                            failed = true;
                            return;
                        };
                        walk::<UniquenessKw>(
                            cx,
                            items,
                            |_| None,
                            |uk, um| match uk {
                                UniquenessKw::ScopedTo => {
                                    scoped_to =
                                        want_str_list(cx, uk, &um, false).unwrap_or_default()
                                }
                                UniquenessKw::IgnoreCase => {
                                    ignore_case = want_bool(cx, uk, &um).unwrap_or(false)
                                }
                            },
                        );
                    }
                    ValidationKindAttr::Uniqueness {
                        scoped_to,
                        ignore_case,
                    }
                }
                ValidateKw::Custom => match want_str(cx, k, &m) {
                    Some(s) if !s.value().is_empty() => ValidationKindAttr::Custom(s.value()),
                    _ => {
                        failed = true;
                        return;
                    }
                },
                ValidateKw::Message => {
                    options.message = message(cx, k, m);
                    return;
                }
                ValidateKw::AllowNull => {
                    options.allow_null = want_bool(cx, k, &m).unwrap_or(false);
                    return;
                }
                ValidateKw::AllowBlank => {
                    options.allow_blank = want_bool(cx, k, &m).unwrap_or(false);
                    return;
                }
                ValidateKw::Code => {
                    options.code = want_str(cx, k, &m).map(|s| s.value());
                    return;
                }
                ValidateKw::If => {
                    options.if_ = want_str(cx, k, &m).map(|s| s.value());
                    return;
                }
                ValidateKw::Unless => {
                    options.unless = want_str(cx, k, &m).map(|s| s.value());
                    return;
                }
            };
            kinds.push(kind);
        },
    );
    if kinds.is_empty() && !failed && cx.error_count() == reported {
        let rules = [
            ValidateKw::Presence,
            ValidateKw::Absence,
            ValidateKw::Length,
            ValidateKw::Format,
            ValidateKw::Numericality,
            ValidateKw::Inclusion,
            ValidateKw::Exclusion,
            ValidateKw::Uniqueness,
            ValidateKw::Custom,
        ]
        .map(|r| format!("`{}`", r.name()))
        .join(", ");
        match key {
            Some(key) => cx.error_spanned_by(
                key,
                format!(
                    "`validate(...)` needs a rule, one of {rules}: `{}`",
                    kw.syntax()
                ),
            ),
            None => cx.error_at(
                proc_macro2::Span::call_site(),
                "`validate(...)` needs a rule",
            ),
        }
    }
    kinds
        .into_iter()
        .map(|kind| ValidationAttr {
            kind,
            message: options.message.clone(),
            allow_null: options.allow_null,
            allow_blank: options.allow_blank,
            code: options.code.clone(),
            if_: options.if_.clone(),
            unless: options.unless.clone(),
        })
        .collect()
}

fn length(cx: &Ctxt, kw: ValidateKw, meta: Meta) -> Option<ValidationKindAttr> {
    let key = meta.key().cloned();
    let items = match meta {
        Meta::List { items, .. } => items,
        other => {
            cx.error_spanned_by(
                other.value_tokens(),
                format!(
                    "`length` needs at least one bound, `min`, `max` or `is`: `{}`",
                    kw.syntax()
                ),
            );
            return None;
        }
    };
    let (mut min, mut max, mut is) = (None, None, None);
    walk::<LengthKw>(
        cx,
        items,
        |_| None,
        |k, m| {
            let v = want_uint(cx, k, &m);
            match k {
                LengthKw::Min => min = v,
                LengthKw::Max => max = v,
                LengthKw::Is => is = v,
            }
        },
    );
    if min.is_none() && max.is_none() && is.is_none() {
        cx.error_spanned_by(
            key,
            format!(
                "`length` needs at least one bound, `min`, `max` or `is`: `{}`",
                kw.syntax()
            ),
        );
        return None;
    }
    if let (Some(lo), Some(hi)) = (min, max) {
        if lo > hi {
            cx.error_spanned_by(
                key,
                format!("`length(min = {lo}, max = {hi})` can never pass: min is above max"),
            );
            return None;
        }
    }
    Some(ValidationKindAttr::Length { min, max, is })
}

fn format(cx: &Ctxt, kw: ValidateKw, meta: Meta) -> Option<ValidationKindAttr> {
    if let Meta::NameValue { .. } = meta {
        let s = want_str(cx, kw, &meta)?;
        return Some(ValidationKindAttr::Format {
            with: Some(s.value()),
            without: None,
        });
    }
    let key = meta.key().cloned();
    let items = want_group(cx, kw, meta)?;
    let (mut with, mut without) = (None, None);
    walk::<FormatKw>(
        cx,
        items,
        |_| None,
        |k, m| {
            let v = want_str(cx, k, &m).map(|s| s.value());
            match k {
                FormatKw::With => with = v,
                FormatKw::Without => without = v,
            }
        },
    );
    if with.is_none() && without.is_none() {
        cx.error_spanned_by(key, format!("`format` needs a pattern: `{}`", kw.syntax()));
        return None;
    }
    Some(ValidationKindAttr::Format { with, without })
}

fn message(cx: &Ctxt, kw: ValidateKw, meta: Meta) -> Option<Json> {
    if let Meta::NameValue { .. } = meta {
        return want_str(cx, kw, &meta).map(|s| Json::String(s.value()));
    }
    let items = want_group(cx, kw, meta)?;
    let mut map = Map::new();
    walk::<MessageKw>(
        cx,
        items,
        |_| None,
        |k, m| {
            if let Some(s) = want_str(cx, k, &m) {
                map.insert(k.name().to_owned(), Json::String(s.value()));
            }
        },
    );
    Some(Json::Object(map))
}
