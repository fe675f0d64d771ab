//! Rules that involve more than one attribute or more than one field. Each problem is reported
//! on the token that has to change.

use quote::ToTokens;

use crate::ast::{Field, Input};
use crate::attr::{FieldKw, RelationKindAttr, ValidationKindAttr};
use crate::ctxt::Ctxt;

/// Runs every cross-field rule.
pub(crate) fn check(cx: &Ctxt, input: &Input) {
    check_ids(cx, input);
    for field in &input.fields {
        check_field(cx, field);
    }
    check_names(cx, input);
    check_references(cx, input);
}

fn check_ids(cx: &Ctxt, input: &Input) {
    let ids: Vec<(&Field, Option<u32>, &syn::Ident)> = input
        .properties()
        .filter_map(|f| f.attrs.id.as_ref().map(|(pos, key)| (f, *pos, key)))
        .collect();
    let bare: Vec<_> = ids.iter().filter(|(_, pos, _)| pos.is_none()).collect();
    for (field, _, key) in bare.iter().skip(1) {
        cx.error_spanned_by(
            key,
            format!(
                "`{}` is the second id property; a composite id numbers its parts: `#[model(id = 1)]` on `{}`, `#[model(id = 2)]` on `{}`",
                field.ident, bare[0].0.ident, field.ident
            ),
        );
    }
    if bare.len() > 1 {
        return;
    }
    let mut used: Vec<(u32, &syn::Ident)> = Vec::new();
    for (field, pos, key) in &ids {
        let pos = pos.unwrap_or(1);
        if let Some((_, first)) = used.iter().find(|(p, _)| *p == pos) {
            cx.error_spanned_by(
                key,
                format!(
                    "id position {pos} is already taken by `{first}`; give `{}` another position",
                    field.ident
                ),
            );
        } else {
            used.push((pos, field.ident));
        }
    }
}

fn check_field(cx: &Ctxt, field: &Field) {
    let a = &field.attrs;
    if a.skip.is_some() {
        for (kw, key) in &a.keywords {
            if *kw != FieldKw::Skip {
                cx.error_spanned_by(
                    key,
                    format!(
                        "`{key}` cannot be combined with `skip`: a skipped field is not a property; remove `{key}` or `skip`"
                    ),
                );
            }
        }
        return;
    }
    if let Some(generated) = &a.generated {
        if a.id.is_none() {
            cx.error_spanned_by(
                generated,
                format!(
                    "`generated` applies to id properties only; mark the id: `#[model(id, generated)]`, or remove `generated` from `{}`",
                    field.ident
                ),
            );
        }
    }
    if a.default.is_some() && a.default_fn.is_some() {
        if let Some((_, key)) = a.keywords.iter().find(|(k, _)| *k == FieldKw::DefaultFn) {
            cx.error_spanned_by(
                key,
                "`default` and `default_fn` both give a default value; keep one: `default = \"draft\"` or `default_fn = \"uuidv4\"`",
            );
        }
    }
    if let (Some(hidden), Some(_)) = (&a.hidden, &a.id) {
        cx.error_spanned_by(
            hidden,
            "the id property cannot be `hidden`: clients need it to address instances; use `protected` to keep it out of nested output",
        );
    }
}

/// Whether LoopBack would refuse `name` as a property or relation name.
fn forbidden_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("it is empty")
    } else if matches!(name, "__proto__" | "constructor" | "prototype") {
        Some("it is a prototype-pollution vector that LoopBack refuses")
    } else if name.starts_with('$') {
        Some("names starting with `$` are reserved for operators")
    } else {
        None
    }
}

fn name_tokens(field: &Field) -> proc_macro2::TokenStream {
    match &field.attrs.rename {
        Some(lit) => lit.to_token_stream(),
        None => field.ident.to_token_stream(),
    }
}

fn check_names(cx: &Ctxt, input: &Input) {
    let mut seen: Vec<(&str, &syn::Ident)> = Vec::new();
    for field in input.properties() {
        if let Some(why) = forbidden_name(&field.wire) {
            cx.error_spanned_by(
                name_tokens(field),
                format!(
                    "`{}` is not an allowed property name: {why}; choose another with `#[model(rename = \"...\")]`",
                    field.wire
                ),
            );
        }
        if let Some((_, other)) = seen.iter().find(|(w, _)| *w == field.wire) {
            cx.error_spanned_by(
                name_tokens(field),
                format!(
                    "property `{}` is already declared by field `{other}`; rename one of them",
                    field.wire
                ),
            );
        } else {
            seen.push((&field.wire, field.ident));
        }
    }
    let mut relations: Vec<&str> = Vec::new();
    for r in &input.relations {
        let tokens = r.attr.name_tokens();
        if let Some(why) = forbidden_name(&r.wire) {
            cx.error_spanned_by(
                &tokens,
                format!("`{}` is not an allowed relation name: {why}", r.wire),
            );
        } else if relations.contains(&r.wire.as_str()) {
            cx.error_spanned_by(&tokens, format!("relation `{}` is declared twice", r.wire));
        } else if let Some((_, field)) = seen.iter().find(|(w, _)| *w == r.wire) {
            cx.error_spanned_by(
                &tokens,
                format!(
                    "relation `{}` has the name of the property of field `{field}`; LoopBack would let one hide the other, so rename one",
                    r.wire
                ),
            );
        } else if let (Some(ident), Some(_)) = (&r.attr.name_ident, &r.attr.target) {
            if let Some(field) = input.column_named(ident) {
                cx.error_spanned_by(
                    ident,
                    format!(
                        "relation `{ident}` would generate `{}::{ident}()`, which is already the column handle of field `{}`; rename the relation or the field, or write the name as a string, `relation(\"{}\", ...)`, to keep it without an accessor",
                        input.ident,
                        field.ident,
                        r.wire
                    ),
                );
            }
        }
        relations.push(&r.wire);
    }
}

/// Index keys and `scoped_to` lists must name properties of the model (declared ones, foreign
/// keys the relations add, or the injected `id`).
fn check_references(cx: &Ctxt, input: &Input) {
    let mut known: Vec<String> = input.properties().map(|f| f.wire.clone()).collect();
    if !input.properties().any(|f| f.attrs.id.is_some()) {
        known.push("id".to_owned());
    }
    for r in &input.relations {
        match (&r.attr.foreign_key, r.attr.kind) {
            (Some(fk), _) => known.push(fk.clone()),
            (None, RelationKindAttr::BelongsTo) => known.push(format!("{}Id", r.wire)),
            (None, RelationKindAttr::ReferencesMany) => known.push(format!("{}Ids", r.wire)),
            _ => {}
        }
        if let Some(p) = &r.attr.property {
            known.push(p.clone());
        }
    }
    let list = || known.join(", ");
    for index in &input.attrs.indexes {
        for (lit, prop, _) in &index.keys {
            if !known.contains(prop) {
                cx.error_spanned_by(
                    lit,
                    format!(
                        "index `{}` names `{prop}`, which is not a property of `{}` (properties: {})",
                        index.name.value(),
                        input.name,
                        list()
                    ),
                );
            }
        }
    }
    for field in input.properties() {
        for v in &field.attrs.validations {
            if let ValidationKindAttr::Uniqueness { scoped_to, .. } = &v.kind {
                for lit in scoped_to {
                    if !known.contains(&lit.value()) {
                        cx.error_spanned_by(
                            lit,
                            format!(
                                "`scoped_to` names `{}`, which is not a property of `{}` (properties: {})",
                                lit.value(),
                                input.name,
                                list()
                            ),
                        );
                    }
                }
            }
        }
    }
}
