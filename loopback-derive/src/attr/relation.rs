//! `relation(name, kind = Target, ...)` on the struct.

use proc_macro2::TokenStream;
use quote::ToTokens;
use serde_json::{Map, Value as Json};
use syn::{Expr, ExprLit, Ident, Lit};

use super::container::filter_object;
use super::keyword::{walk, KeywordSet};
use super::meta::Meta;
use super::value::{want_bool, want_group, want_str, Spanned};
use super::{
    ContainerKw, PolymorphicKw, RelationAttr, RelationKindAttr, RelationKw, RelationOptionKw,
    RenameRule,
};
use crate::ctxt::Ctxt;

const KINDS: &[(RelationKw, RelationKindAttr)] = &[
    (RelationKw::BelongsTo, RelationKindAttr::BelongsTo),
    (RelationKw::HasOne, RelationKindAttr::HasOne),
    (RelationKw::HasMany, RelationKindAttr::HasMany),
    (
        RelationKw::HasAndBelongsToMany,
        RelationKindAttr::HasAndBelongsToMany,
    ),
    (RelationKw::EmbedsOne, RelationKindAttr::EmbedsOne),
    (RelationKw::EmbedsMany, RelationKindAttr::EmbedsMany),
    (RelationKw::ReferencesMany, RelationKindAttr::ReferencesMany),
];

fn kind_list() -> String {
    KINDS
        .iter()
        .map(|(k, _)| format!("`{}`", k.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An item that looks like `kind = Target` with an unknown kind.
fn unknown_kind(meta: &Meta) -> Option<String> {
    let Meta::NameValue {
        key,
        value: Expr::Path(_),
    } = meta
    else {
        return None;
    };
    let name = key.to_string();
    let kinds: Vec<&str> = KINDS.iter().map(|(k, _)| k.name()).collect();
    let suggestion = kinds
        .iter()
        .find(|k| k.replace('_', "") == name.to_ascii_lowercase().replace('_', ""))
        .map(|k| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default();
    Some(format!(
        "unknown relation kind `{name}`{suggestion}; the kinds are {}: `relation(author, belongs_to = Author)`",
        kind_list()
    ))
}

/// Reads one `relation(...)` group.
pub(crate) fn parse_relation(cx: &Ctxt, kw: ContainerKw, meta: Meta) -> Option<RelationAttr> {
    let whole: TokenStream = meta.to_token_stream();
    let items = want_group(cx, kw, meta)?;
    let mut items = items.into_iter();
    let (name, name_ident) = match items.next() {
        Some(Meta::Flag(id)) => (Spanned::new(id.to_string(), id.span()), Some(id)),
        Some(Meta::Lit(Lit::Str(s))) if !s.value().is_empty() => {
            (Spanned::new(s.value(), s.span()), None)
        }
        _ => {
            cx.error_spanned_by(
                whole,
                format!("a relation starts with its name: `{}`", kw.syntax()),
            );
            return None;
        }
    };
    let mut kinds: Vec<(RelationKindAttr, Ident, Option<syn::Path>)> = Vec::new();
    let mut r = RelationAttr {
        name,
        name_ident,
        kind: RelationKindAttr::BelongsTo,
        target: None,
        foreign_key: None,
        primary_key: None,
        through: None,
        key_through: None,
        property: None,
        polymorphic: None,
        scope: None,
        options: Map::new(),
    };
    let mut through_key: Option<Ident> = None;
    let mut ok = true;
    let reported = cx.error_count();
    walk::<RelationKw>(cx, items.collect(), unknown_kind, |k, m| {
        if let Some((_, kind)) = KINDS.iter().find(|(kk, _)| *kk == k) {
            let Some(key) = m.key().cloned() else {
                return;
            };
            match &m {
                Meta::Flag(_) => kinds.push((*kind, key, None)),
                Meta::NameValue {
                    value: Expr::Path(p),
                    ..
                } if p.qself.is_none() => {
                    kinds.push((*kind, key, Some(p.path.clone())));
                }
                Meta::NameValue {
                    value:
                        Expr::Lit(ExprLit {
                            lit: Lit::Str(s), ..
                        }),
                    ..
                } => {
                    cx.error_spanned_by(
                        s,
                        format!(
                            "relation targets are types, not strings: write `{} = {}`",
                            k.name(),
                            s.value()
                        ),
                    );
                    ok = false;
                }
                other => {
                    cx.error_spanned_by(
                        other.value_tokens(),
                        format!(
                            "the target of `{}` is a model type: `{}`",
                            k.name(),
                            k.syntax()
                        ),
                    );
                    ok = false;
                }
            }
            return;
        }
        match k {
            RelationKw::ForeignKey => r.foreign_key = want_str(cx, k, &m).map(|s| s.value()),
            RelationKw::PrimaryKey => r.primary_key = want_str(cx, k, &m).map(|s| s.value()),
            RelationKw::KeyThrough => r.key_through = want_str(cx, k, &m).map(|s| s.value()),
            RelationKw::Property => r.property = want_str(cx, k, &m).map(|s| s.value()),
            RelationKw::Through => {
                through_key = m.key().cloned();
                match &m {
                    Meta::NameValue {
                        value: Expr::Path(p),
                        ..
                    } if p.qself.is_none() => {
                        r.through = Some(p.path.clone());
                    }
                    Meta::NameValue {
                        value:
                            Expr::Lit(ExprLit {
                                lit: Lit::Str(s), ..
                            }),
                        ..
                    } => {
                        cx.error_spanned_by(
                            s,
                            format!(
                                "`through` names a model type, not a string: write `through = {}`",
                                s.value()
                            ),
                        );
                    }
                    other => cx.error_spanned_by(
                        other.value_tokens(),
                        format!("`through` names a model type: `{}`", k.syntax()),
                    ),
                }
            }
            RelationKw::Scope => {
                r.scope = want_str(cx, k, &m).and_then(|lit| filter_object(cx, k, &lit));
            }
            RelationKw::Polymorphic => r.polymorphic = polymorphic(cx, k, m),
            RelationKw::Options => {
                if let Some(items) = want_group(cx, k, m) {
                    walk::<RelationOptionKw>(
                        cx,
                        items,
                        |_| None,
                        |ok, om| {
                            if let Some(b) = want_bool(cx, ok, &om) {
                                r.options
                                    .insert(RenameRule::Camel.apply(ok.name()), Json::Bool(b));
                            }
                        },
                    );
                }
            }
            _ => {}
        }
    });
    // A misspelt kind was already reported; "needs a kind" would say it twice.
    if !ok || cx.error_count() > reported {
        return None;
    }
    let mut kinds = kinds.into_iter();
    let Some((kind, kind_key, target)) = kinds.next() else {
        cx.error_spanned_by(
            r.name_tokens(),
            format!(
                "relation `{}` needs a kind and a target model, one of {}: `{}`",
                r.name.value,
                kind_list(),
                kw.syntax()
            ),
        );
        return None;
    };
    if let Some((_, second, _)) = kinds.next() {
        cx.error_spanned_by(
            &second,
            format!(
                "relation `{}` already has the kind `{}`; a relation has exactly one kind",
                r.name.value, kind_key
            ),
        );
        return None;
    }
    if target.is_none() && !(kind == RelationKindAttr::BelongsTo && r.polymorphic.is_some()) {
        cx.error_spanned_by(
            &kind_key,
            format!("`{kind_key}` needs a target model type: `{kind_key} = Author` (only a polymorphic belongs_to may omit it)"),
        );
        return None;
    }
    if let Some(t) = through_key {
        if !matches!(
            kind,
            RelationKindAttr::HasMany | RelationKindAttr::HasAndBelongsToMany
        ) {
            cx.error_spanned_by(
                &t,
                "`through` applies to `has_many` and `has_and_belongs_to_many` relations",
            );
            return None;
        }
    }
    r.kind = kind;
    r.target = target;
    Some(r)
}

impl RelationAttr {
    /// Tokens to point at when the relation as a whole is wrong: its name.
    pub(crate) fn name_tokens(&self) -> TokenStream {
        let span = self.name.span;
        quote::quote_spanned!(span=> name)
    }
}

fn polymorphic(cx: &Ctxt, kw: RelationKw, meta: Meta) -> Option<Json> {
    match meta {
        Meta::Flag(_) => Some(Json::Bool(true)),
        Meta::NameValue {
            value: Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }),
            ..
        } => Some(Json::String(s.value())),
        Meta::List { items, .. } => {
            let mut map = Map::new();
            walk::<PolymorphicKw>(
                cx,
                items,
                |_| None,
                |k, m| {
                    let value = if k == PolymorphicKw::Invert {
                        want_bool(cx, k, &m).map(Json::Bool)
                    } else {
                        want_str(cx, k, &m).map(|s| Json::String(s.value()))
                    };
                    if let Some(v) = value {
                        map.insert(RenameRule::Camel.apply(k.name()), v);
                    }
                },
            );
            Some(Json::Object(map))
        }
        other => {
            cx.error_spanned_by(
                other.value_tokens(),
                format!("`polymorphic` expects a name or a group: `{}`", kw.syntax()),
            );
            None
        }
    }
}
