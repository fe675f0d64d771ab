//! `#[model(...)]` on the struct.

use serde_json::{Map, Value as Json};
use syn::{Expr, ExprLit, Lit, LitStr};

use super::keyword::{walk, KeywordSet};
use super::meta::{model_attributes, Meta};
use super::value::{json_object, want_bool, want_flag, want_group, want_str, want_str_list};
use super::{
    connector_group, relation, AclAttr, AclKw, ContainerAttrs, ContainerKw, IndexAttr, IndexKw,
    RenameRule, ScopeNamedKw, StrictMode,
};
use crate::ctxt::Ctxt;

/// Reads the struct's `#[model(...)]` attributes.
pub(crate) fn parse_container(cx: &Ctxt, attrs: &[syn::Attribute]) -> ContainerAttrs {
    let mut out = ContainerAttrs::default();
    let items = model_attributes(cx, attrs);
    walk::<ContainerKw>(
        cx,
        items,
        |_| None,
        |kw, meta| match kw {
            ContainerKw::Name => out.name = non_empty(cx, kw, want_str(cx, kw, &meta)),
            ContainerKw::Plural => out.plural = non_empty(cx, kw, want_str(cx, kw, &meta)),
            ContainerKw::Base => out.base = non_empty(cx, kw, want_str(cx, kw, &meta)),
            ContainerKw::Description => out.description = want_str(cx, kw, &meta),
            ContainerKw::Strict => out.strict = strict(cx, kw, &meta),
            ContainerKw::IdInjection => out.id_injection = want_bool(cx, kw, &meta),
            ContainerKw::ForceId => out.force_id = want_bool(cx, kw, &meta),
            ContainerKw::ReplaceOnPut => out.replace_on_put = want_bool(cx, kw, &meta),
            ContainerKw::HttpPath => out.http_path = non_empty(cx, kw, want_str(cx, kw, &meta)),
            ContainerKw::ValidateUpsert => out.validate_upsert = want_bool(cx, kw, &meta),
            ContainerKw::Hooks => {
                if want_flag(cx, kw, &meta) {
                    out.hooks = meta.key().cloned();
                }
            }
            ContainerKw::Crate => out.krate = crate_path(cx, kw, &meta),
            ContainerKw::RenameAll => {
                if let Some(lit) = want_str(cx, kw, &meta) {
                    match lit.value().as_str() {
                        "camelCase" => out.rename_all = RenameRule::Camel,
                        "snake_case" => out.rename_all = RenameRule::Snake,
                        "PascalCase" => out.rename_all = RenameRule::Pascal,
                        other => cx.error_spanned_by(
                            &lit,
                            format!("unknown naming rule `{other}`: `{}`", kw.syntax()),
                        ),
                    }
                }
            }
            ContainerKw::Scope => {
                out.scope = want_str(cx, kw, &meta).and_then(|lit| filter_object(cx, kw, &lit));
            }
            ContainerKw::ScopeNamed => {
                if let Some(s) = scope_named(cx, kw, meta) {
                    if out.scopes.iter().any(|(n, _)| n.value() == s.0.value()) {
                        cx.error_spanned_by(
                            &s.0,
                            format!("scope `{}` is declared twice", s.0.value()),
                        );
                    } else {
                        out.scopes.push(s);
                    }
                }
            }
            ContainerKw::Index => {
                if let Some(i) = index(cx, kw, meta) {
                    if out.indexes.iter().any(|o| o.name.value() == i.name.value()) {
                        cx.error_spanned_by(
                            &i.name,
                            format!("index `{}` is declared twice", i.name.value()),
                        );
                    } else {
                        out.indexes.push(i);
                    }
                }
            }
            ContainerKw::Acl => {
                if let Some(a) = acl(cx, kw, meta) {
                    out.acls.push(a);
                }
            }
            ContainerKw::Relation => {
                if let Some(r) = relation::parse_relation(cx, kw, meta) {
                    out.relations.push(r);
                }
            }
            ContainerKw::Postgresql | ContainerKw::Mysql | ContainerKw::Sqlite3 => {
                if let Some(group) = connector_group(cx, kw, meta) {
                    out.connector_settings.push(group);
                }
            }
        },
    );
    out
}

fn non_empty<K: KeywordSet>(cx: &Ctxt, kw: K, lit: Option<LitStr>) -> Option<LitStr> {
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

fn strict(cx: &Ctxt, kw: ContainerKw, meta: &Meta) -> Option<StrictMode> {
    match meta {
        Meta::Flag(_) => return Some(StrictMode::True),
        Meta::NameValue {
            value: Expr::Lit(ExprLit { lit, .. }),
            ..
        } => match lit {
            Lit::Bool(b) if b.value => return Some(StrictMode::True),
            Lit::Bool(_) => return Some(StrictMode::False),
            Lit::Str(s) => match s.value().as_str() {
                "filter" => return Some(StrictMode::Filter),
                "throw" => return Some(StrictMode::Throw),
                "validate" => return Some(StrictMode::True),
                _ => {}
            },
            _ => {}
        },
        _ => {}
    }
    cx.error_spanned_by(
        meta.value_tokens(),
        format!(
            "`strict` expects true, false, \"filter\" or \"throw\": `{}`",
            kw.syntax()
        ),
    );
    None
}

fn crate_path(cx: &Ctxt, kw: ContainerKw, meta: &Meta) -> Option<syn::Path> {
    match meta {
        Meta::NameValue {
            value: Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }),
            ..
        } => match s.parse::<syn::Path>() {
            Ok(p) => Some(p),
            Err(_) => {
                cx.error_spanned_by(
                    s,
                    format!(
                        "`crate` must name the path of the loopback crate, such as `{}`",
                        kw.syntax()
                    ),
                );
                None
            }
        },
        Meta::NameValue {
            value: Expr::Path(p),
            ..
        } if p.qself.is_none() => Some(p.path.clone()),
        _ => {
            cx.error_spanned_by(
                meta.value_tokens(),
                format!(
                    "`crate` must name the path of the loopback crate, such as `{}`",
                    kw.syntax()
                ),
            );
            None
        }
    }
}

/// A JSON filter object (default scope, named scopes, relation scopes), checked for the keys
/// and value shapes LoopBack's filter accepts so mistakes fail the build.
pub(crate) fn filter_object<K: KeywordSet>(
    cx: &Ctxt,
    kw: K,
    lit: &LitStr,
) -> Option<Map<String, Json>> {
    let map = json_object(cx, kw, lit)?;
    for (key, value) in &map {
        let problem = match key.as_str() {
            "where" if !value.is_object() => Some("`where` must be an object"),
            "limit" | "skip" | "offset" if !value.is_u64() => {
                Some("must be a non-negative integer")
            }
            "order"
                if !(value.is_string()
                    || value
                        .as_array()
                        .is_some_and(|a| a.iter().all(Json::is_string))) =>
            {
                Some("`order` must be a string or a list of strings such as \"title ASC\"")
            }
            "fields" if !(value.is_object() || value.is_array() || value.is_string()) => {
                Some("`fields` must be an object, a list or a string")
            }
            "include" if value.is_number() || value.is_boolean() || value.is_null() => {
                Some("`include` must be a relation name, a list or an object")
            }
            "where" | "limit" | "skip" | "offset" | "order" | "fields" | "include" => None,
            _ => {
                cx.error_spanned_by(
                    lit,
                    format!(
                        "unknown filter key `{key}` in `{}`; a filter has where, fields, order, limit, skip, offset and include",
                        kw.name()
                    ),
                );
                continue;
            }
        };
        if let Some(problem) = problem {
            cx.error_spanned_by(
                lit,
                format!("invalid `{key}` in `{}`: {problem}", kw.name()),
            );
        }
    }
    Some(map)
}

fn scope_named(cx: &Ctxt, kw: ContainerKw, meta: Meta) -> Option<(LitStr, Map<String, Json>)> {
    let whole = meta.value_tokens();
    let items = want_group(cx, kw, meta)?;
    let (mut name, mut filter) = (None, None);
    walk::<ScopeNamedKw>(
        cx,
        items,
        |_| None,
        |k, m| match k {
            ScopeNamedKw::Name => name = non_empty(cx, k, want_str(cx, k, &m)),
            ScopeNamedKw::Filter => {
                filter = Some(want_str(cx, k, &m).and_then(|lit| filter_object(cx, k, &lit)))
            }
        },
    );
    match (name, filter) {
        (Some(n), Some(Some(f))) => Some((n, f)),
        (None, _) => {
            cx.error_spanned_by(
                whole,
                format!("`scope_named(...)` needs a `name`: `{}`", kw.syntax()),
            );
            None
        }
        (_, None) => {
            cx.error_spanned_by(
                whole,
                format!("`scope_named(...)` needs a `filter`: `{}`", kw.syntax()),
            );
            None
        }
        _ => None,
    }
}

fn index(cx: &Ctxt, kw: ContainerKw, meta: Meta) -> Option<IndexAttr> {
    let whole = meta.value_tokens();
    let items = want_group(cx, kw, meta)?;
    let (mut name, mut keys, mut unique) = (None, None, false);
    walk::<IndexKw>(
        cx,
        items,
        |_| None,
        |k, m| match k {
            IndexKw::Name => name = non_empty(cx, k, want_str(cx, k, &m)),
            IndexKw::Unique => unique = want_bool(cx, k, &m).unwrap_or(false),
            IndexKw::Keys => {
                let mut list = Vec::new();
                let Some(items) = want_group(cx, k, m) else {
                    keys = Some(list);
                    return;
                };
                for item in items {
                    match item {
                        Meta::Lit(Lit::Str(s)) => {
                            let text = s.value();
                            let mut words = text.split_whitespace();
                            let (Some(prop), dir, None) =
                                (words.next(), words.next(), words.next())
                            else {
                                cx.error_spanned_by(&s, format!("expected a property name and an optional ASC or DESC: `{}`", k.syntax()));
                                continue;
                            };
                            let dir = match dir.map(str::to_ascii_uppercase).as_deref() {
                                None | Some("ASC") => 1,
                                Some("DESC") => -1,
                                Some(_) => {
                                    cx.error_spanned_by(
                                        &s,
                                        format!(
                                            "an index key's direction is ASC or DESC: `{}`",
                                            k.syntax()
                                        ),
                                    );
                                    continue;
                                }
                            };
                            list.push((s.clone(), prop.to_owned(), dir));
                        }
                        other => cx.error_spanned_by(
                            &other,
                            format!("index keys are property names in quotes: `{}`", k.syntax()),
                        ),
                    }
                }
                keys = Some(list);
            }
        },
    );
    let Some(name) = name else {
        cx.error_spanned_by(
            whole,
            format!("`index(...)` needs a `name`: `{}`", kw.syntax()),
        );
        return None;
    };
    match keys {
        Some(keys) if !keys.is_empty() => Some(IndexAttr { name, keys, unique }),
        Some(_) | None => {
            cx.error_spanned_by(
                whole,
                format!("`index(...)` needs at least one key: `{}`", kw.syntax()),
            );
            None
        }
    }
}

fn acl(cx: &Ctxt, kw: ContainerKw, meta: Meta) -> Option<AclAttr> {
    let whole = meta.value_tokens();
    let items = want_group(cx, kw, meta)?;
    let mut a = AclAttr {
        principal_type: String::new(),
        principal_id: String::new(),
        permission: String::new(),
        access_type: "*".to_owned(),
        property: vec!["*".to_owned()],
    };
    let mut ok = true;
    walk::<AclKw>(
        cx,
        items,
        |_| None,
        |k, m| {
            let Some(list) = (if k == AclKw::Property {
                want_str_list(cx, k, &m, true)
            } else {
                want_str(cx, k, &m).map(|s| vec![s])
            }) else {
                ok = false;
                return;
            };
            let first = list.first().map(LitStr::value).unwrap_or_default();
            let allowed: &[&str] = match k {
                AclKw::Permission => &["ALLOW", "DENY", "DEFAULT", "ALARM", "AUDIT"],
                AclKw::AccessType => &["READ", "WRITE", "EXECUTE", "REPLICATE", "*"],
                _ => &[],
            };
            if !allowed.is_empty() && !allowed.contains(&first.as_str()) {
                cx.error_spanned_by(
                    &list[0],
                    format!(
                        "`{}` is one of {}: `{}`",
                        k.name(),
                        allowed.join(", "),
                        k.syntax()
                    ),
                );
                ok = false;
                return;
            }
            match k {
                AclKw::PrincipalType => a.principal_type = first,
                AclKw::PrincipalId => a.principal_id = first,
                AclKw::Permission => a.permission = first,
                AclKw::AccessType => a.access_type = first,
                AclKw::Property => a.property = list.iter().map(LitStr::value).collect(),
            }
        },
    );
    if !ok {
        return None;
    }
    for (value, key) in [
        (&a.principal_type, "principal_type"),
        (&a.principal_id, "principal_id"),
        (&a.permission, "permission"),
    ] {
        if value.is_empty() {
            cx.error_spanned_by(
                &whole,
                format!("`acl(...)` needs `{key}`: `{}`", kw.syntax()),
            );
            return None;
        }
    }
    Some(a)
}
