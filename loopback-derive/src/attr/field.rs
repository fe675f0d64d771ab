//! `#[model(...)]` on a field.

use syn::LitStr;

use super::keyword::{walk, KeywordSet};
use super::meta::{model_attributes, Meta};
use super::value::{
    want_bool, want_flag, want_group, want_literal, want_str, want_uint, LitValue, Spanned,
};
use super::{
    connector_group, validate, DefaultAttr, DefaultFnAttr, FieldAttrs, FieldIndexKw, FieldKw,
    PropType,
};
use crate::ctxt::Ctxt;

/// Reads one field's `#[model(...)]` attributes.
pub(crate) fn parse_field(cx: &Ctxt, field: &syn::Field) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    let items = model_attributes(cx, &field.attrs);
    walk::<FieldKw>(
        cx,
        items,
        |_| None,
        |kw, meta| {
            if let Some(key) = meta.key() {
                out.keywords.push((kw, key.clone()));
            }
            let key = meta.key().cloned();
            match kw {
                FieldKw::Id => match &meta {
                    Meta::Flag(k) => out.id = Some((None, k.clone())),
                    _ => {
                        if let Some(n) = want_uint(cx, kw, &meta) {
                            match (u32::try_from(n), key) {
                                (Ok(n @ 1..=99), Some(k)) => out.id = Some((Some(n), k)),
                                _ => cx.error_spanned_by(
                                    meta.value_tokens(),
                                    format!(
                                        "an id position counts from 1 (below 100): `{}`",
                                        kw.syntax()
                                    ),
                                ),
                            }
                        }
                    }
                },
                FieldKw::Generated => {
                    if want_flag(cx, kw, &meta) {
                        out.generated = key;
                    }
                }
                FieldKw::Required => out.required = want_bool(cx, kw, &meta),
                FieldKw::Rename => out.rename = non_empty(cx, kw, want_str(cx, kw, &meta)),
                FieldKw::Column => out.column = non_empty(cx, kw, want_str(cx, kw, &meta)),
                FieldKw::Postgresql | FieldKw::Mysql | FieldKw::Sqlite3 => {
                    if let Some(group) = connector_group(cx, kw, meta) {
                        out.connector_settings.push(group);
                    }
                }
                FieldKw::Type => {
                    if let Some(lit) = want_str(cx, kw, &meta) {
                        match parse_type(&lit.value()) {
                        Some(t) => out.ty = Some(t),
                        None => cx.error_spanned_by(
                            &lit,
                            format!(
                                "`{}` is not a property type; use string, number, boolean, date, buffer, geopoint, object, any, array, `[string]` or a model name: `{}`",
                                lit.value(),
                                kw.syntax()
                            ),
                        ),
                    }
                    }
                }
                FieldKw::Default => {
                    if let Some(v) = want_literal(cx, kw, &meta) {
                        let value = match v.value {
                            LitValue::Str(s) if s == "$now" => DefaultAttr::Now,
                            other => DefaultAttr::Value(other),
                        };
                        out.default = Some(Spanned::new(value, v.span));
                    }
                }
                FieldKw::DefaultFn => {
                    if let Some(lit) = want_str(cx, kw, &meta) {
                        match lit.value().as_str() {
                            "uuid" | "uuidv4" | "guid" => {
                                out.default_fn =
                                    Some(Spanned::new(DefaultFnAttr::Uuid, lit.span()));
                            }
                            "now" => {
                                out.default_fn = Some(Spanned::new(DefaultFnAttr::Now, lit.span()))
                            }
                            other => cx.error_spanned_by(
                                &lit,
                                format!("unknown default_fn `{other}`: `{}`", kw.syntax()),
                            ),
                        }
                    }
                }
                FieldKw::Index => match meta {
                    Meta::Flag(_) => out.index = Some(out.index.unwrap_or(false)),
                    other => {
                        if let Some(items) = want_group(cx, kw, other) {
                            let mut unique = false;
                            walk::<FieldIndexKw>(
                                cx,
                                items,
                                |_| None,
                                |k, m| {
                                    unique = want_bool(cx, k, &m).unwrap_or(false);
                                },
                            );
                            out.index = Some(unique || out.index.unwrap_or(false));
                        }
                    }
                },
                FieldKw::Unique => {
                    if want_flag(cx, kw, &meta) {
                        out.index = Some(true);
                    }
                }
                FieldKw::Hidden => {
                    if want_flag(cx, kw, &meta) {
                        out.hidden = key;
                    }
                }
                FieldKw::Protected => {
                    if want_flag(cx, kw, &meta) {
                        out.protected = key;
                    }
                }
                FieldKw::Description => out.description = want_str(cx, kw, &meta),
                FieldKw::Skip => {
                    if want_flag(cx, kw, &meta) {
                        out.skip = key;
                    }
                }
                FieldKw::Validate => {
                    if let Some(items) = want_group(cx, kw, meta) {
                        out.validations
                            .extend(validate::parse_validate(cx, kw, key, items));
                    }
                }
            }
        },
    );
    out
}

fn non_empty(cx: &Ctxt, kw: FieldKw, lit: Option<LitStr>) -> Option<LitStr> {
    let lit = lit?;
    if lit.value().trim().is_empty() {
        cx.error_spanned_by(
            &lit,
            format!("`{}` cannot be empty: `{}`", kw.name(), kw.syntax()),
        );
        return None;
    }
    Some(lit)
}

/// LB3 type names, case-insensitive for the built-in ones as LoopBack reads them; any other
/// identifier is a model name.
pub(crate) fn parse_type(s: &str) -> Option<PropType> {
    let s = s.trim();
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        let inner = inner.trim();
        if inner.is_empty() {
            return Some(PropType::Array(Box::new(PropType::Any)));
        }
        return parse_type(inner.trim_matches('"')).map(|t| PropType::Array(Box::new(t)));
    }
    Some(match s.to_ascii_lowercase().as_str() {
        "string" | "text" => PropType::String,
        "number" => PropType::Number,
        "boolean" => PropType::Boolean,
        "date" => PropType::Date,
        "buffer" => PropType::Buffer,
        "geopoint" => PropType::GeoPoint,
        "object" => PropType::Object,
        "any" => PropType::Any,
        "array" => PropType::Array(Box::new(PropType::Any)),
        _ if !s.is_empty()
            && s.chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '$') =>
        {
            PropType::Model(s.to_owned())
        }
        _ => return None,
    })
}
