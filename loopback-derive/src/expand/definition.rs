//! The function that builds the model's `ModelDefinition` (called once, then cached).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use serde_json::{json, Map, Value as Json};
use syn::spanned::Spanned;

use super::{json, json_map, opt_string, string, ty_span};
use crate::ast::{Field, Input, Relation};
use crate::attr::value::LitValue;
use crate::attr::{
    DefaultAttr, DefaultFnAttr, PropType, RelationKindAttr, StrictMode, ValidationAttr,
    ValidationKindAttr,
};

/// A block expression that builds the `ModelDefinition`. It is placed inside `Model::definition`
/// so that field types written with `Self` resolve.
pub(super) fn build(input: &Input) -> TokenStream {
    let lb = super::private(input);
    let ident = input.ident;
    let a = &input.attrs;
    let mut body = Vec::new();

    let opt_setting = |field: &str, value: Option<&syn::LitStr>| {
        value.map(|v| {
            let field = syn::Ident::new(field, proc_macro2::Span::call_site());
            let v = opt_string(Some(&v.value()));
            quote!(def.#field = #v;)
        })
    };
    body.extend(opt_setting("plural", a.plural.as_ref()));
    body.extend(opt_setting("base", a.base.as_ref()));
    body.extend(opt_setting("description", a.description.as_ref()));
    body.extend(opt_setting("http_path", a.http_path.as_ref()));
    if let Some(strict) = a.strict {
        let variant = match strict {
            StrictMode::False => quote!(False),
            StrictMode::True => quote!(True),
            StrictMode::Filter => quote!(Filter),
            StrictMode::Throw => quote!(Throw),
        };
        body.push(quote!(def.strict = ::core::option::Option::Some(#lb::Strict::#variant);));
    }
    for (field, value) in [
        ("id_injection", a.id_injection),
        ("force_id", a.force_id),
        ("replace_on_put", a.replace_on_put),
    ] {
        if let Some(b) = value {
            let field = syn::Ident::new(field, proc_macro2::Span::call_site());
            body.push(quote!(def.#field = ::core::option::Option::Some(#b);));
        }
    }
    if let Some(b) = a.validate_upsert {
        let key = string("validateUpsert");
        body.push(quote!(def.options.insert(#key, #lb::serde_json::Value::Bool(#b));));
    }
    for (connector, settings) in &a.connector_settings {
        let key = string(connector);
        let value = json(&lb, &Json::Object(settings.clone()));
        body.push(quote!(def.connector_settings.insert(#key, #value);));
    }

    for field in input.properties() {
        body.push(property(&lb, field));
    }
    for field in input.properties() {
        let wire = &field.wire;
        if field.attrs.hidden.is_some() {
            let w = string(wire);
            body.push(quote!(def.hidden.push(#w);));
        }
        if field.attrs.protected.is_some() {
            let w = string(wire);
            body.push(quote!(def.protected.push(#w);));
        }
    }
    for field in input.properties() {
        for v in &field.attrs.validations {
            body.push(validation(&lb, &field.wire, v));
        }
    }
    for r in &input.relations {
        body.push(relation(&lb, r));
    }
    for acl in &a.acls {
        let (pt, pi, perm, at) = (
            string(&acl.principal_type),
            string(&acl.principal_id),
            string(&acl.permission),
            string(&acl.access_type),
        );
        let props = acl.property.iter().map(|p| string(p));
        body.push(quote! {
            def.acls.push(#lb::AclEntry {
                principal_type: #pt,
                principal_id: #pi,
                permission: #perm,
                access_type: #at,
                property: ::std::vec![#(#props),*],
                extra: #lb::serde_json::Map::new(),
            });
        });
    }
    if let Some(scope) = &a.scope {
        let value = json(&lb, &Json::Object(scope.clone()));
        body.push(quote!(def.scope = ::core::option::Option::Some(#value);));
    }
    for (name, filter) in &a.scopes {
        let key = string(&name.value());
        let value = json(&lb, &Json::Object(filter.clone()));
        body.push(quote!(def.scopes.insert(#key, #value);));
    }
    for index in &a.indexes {
        let name = index.name.value();
        let mut keys = Map::new();
        for (_, prop, dir) in &index.keys {
            keys.insert(prop.clone(), json!(dir));
        }
        let mut raw = Map::new();
        raw.insert("keys".into(), Json::Object(keys));
        if index.unique {
            raw.insert("options".into(), json!({ "unique": true }));
        }
        let raw = json(&lb, &Json::Object(raw));
        let key_list = index.keys.iter().map(|(_, prop, dir)| {
            let prop = string(prop);
            quote!((#prop, #dir))
        });
        let (key, name_value, unique) = (string(&name), string(&name), index.unique);
        body.push(quote! {
            def.indexes.insert(#key, #lb::IndexDefinition {
                name: #name_value,
                keys: ::std::vec![#(#key_list),*],
                unique: #unique,
                raw: #raw,
            });
        });
    }

    quote! {
        {
            let mut def = #lb::ModelDefinition::new(<#ident as #lb::Model>::NAME);
            #(#body)*
            def
        }
    }
}

fn property(lb: &TokenStream, field: &Field) -> TokenStream {
    let a = &field.attrs;
    let ty = field.ty;
    let span = ty_span(ty);
    let wire = &field.wire;
    let ptype = match &a.ty {
        Some(t) => prop_type(lb, t),
        None => quote_spanned!(span=> <#ty as #lb::FieldValue>::property_type()),
    };
    let has_default = a.default.is_some() || a.default_fn.is_some();
    let generated_id = a.id.is_some() && a.generated.is_some();
    let required = match a.required {
        Some(b) => quote!(#b),
        None if has_default || generated_id => quote!(false),
        None => quote_spanned!(span=> !<#ty as #lb::FieldValue>::nullable()),
    };
    let mut sets = vec![quote!(p.required = #required;)];
    if let Some((pos, _)) = &a.id {
        let pos = pos.unwrap_or(1);
        sets.push(quote!(p.id = ::core::option::Option::Some(#pos);));
    }
    if generated_id {
        sets.push(quote!(p.generated = true;));
    }
    let default = match (&a.default, &a.default_fn) {
        (Some(d), _) => Some(match &d.value {
            DefaultAttr::Now => quote!(#lb::DefaultValue::Now),
            DefaultAttr::Value(lit) => {
                let v = value(lb, lit);
                quote!(#lb::DefaultValue::Value(#v))
            }
        }),
        (None, Some(f)) => Some(match f.value {
            DefaultFnAttr::Uuid => quote!(#lb::DefaultValue::Uuid),
            DefaultFnAttr::Now => quote!(#lb::DefaultValue::NowFn),
        }),
        (None, None) => None,
    };
    if let Some(d) = default {
        sets.push(quote!(p.default = ::core::option::Option::Some(#d);));
    }
    if let Some(unique) = a.index {
        let raw = if unique {
            json!({ "unique": true })
        } else {
            json!(true)
        };
        let raw = json(lb, &raw);
        sets.push(quote!(p.index = ::core::option::Option::Some(#lb::PropertyIndex { unique: #unique, raw: #raw });));
    }
    if let Some(d) = &a.description {
        let d = opt_string(Some(&d.value()));
        sets.push(quote!(p.description = #d;));
    }
    if a.hidden.is_some() {
        sets.push(quote!(p.hidden = true;));
    }
    if a.protected.is_some() {
        sets.push(quote!(p.protected = true;));
    }
    // `column` is shorthand for `columnName` in every SQL connector; explicit groups win.
    let mut connectors: Vec<(String, Map<String, Json>)> = Vec::new();
    if let Some(col) = &a.column {
        for c in ["postgresql", "mysql", "sqlite3"] {
            let mut m = Map::new();
            m.insert("columnName".into(), Json::String(col.value()));
            connectors.push((c.to_owned(), m));
        }
    }
    for (c, settings) in &a.connector_settings {
        match connectors.iter_mut().find(|(name, _)| name == c) {
            Some((_, m)) => m.extend(settings.clone()),
            None => connectors.push((c.clone(), settings.clone())),
        }
    }
    for (c, settings) in &connectors {
        let key = string(c);
        let value = json(lb, &Json::Object(settings.clone()));
        sets.push(quote!(p.connector_settings.insert(#key, #value);));
    }
    let key = string(wire);
    quote! {
        {
            let mut p = #lb::PropertyDefinition::new(#wire, #ptype);
            #(#sets)*
            def.properties.insert(#key, p);
        }
    }
}

fn prop_type(lb: &TokenStream, t: &PropType) -> TokenStream {
    match t {
        PropType::String => quote!(#lb::PropertyType::String),
        PropType::Number => quote!(#lb::PropertyType::Number),
        PropType::Boolean => quote!(#lb::PropertyType::Boolean),
        PropType::Date => quote!(#lb::PropertyType::Date),
        PropType::Buffer => quote!(#lb::PropertyType::Buffer),
        PropType::GeoPoint => quote!(#lb::PropertyType::GeoPoint),
        PropType::Object => quote!(#lb::PropertyType::Object),
        PropType::Any => quote!(#lb::PropertyType::Any),
        PropType::Array(inner) => {
            let inner = prop_type(lb, inner);
            quote!(#lb::PropertyType::Array(::std::boxed::Box::new(#inner)))
        }
        PropType::Model(name) => {
            let name = string(name);
            quote!(#lb::PropertyType::Model(#name))
        }
    }
}

/// A literal as a `Value` expression.
fn value(lb: &TokenStream, v: &LitValue) -> TokenStream {
    match v {
        LitValue::Str(s) => {
            let s = string(s);
            quote!(#lb::Value::String(#s))
        }
        LitValue::Int(i) => quote!(#lb::Value::Int(#i)),
        LitValue::Float(f) => quote!(#lb::Value::Float(#f)),
        LitValue::Bool(b) => quote!(#lb::Value::Bool(#b)),
    }
}

fn opt_usize(v: Option<u64>) -> TokenStream {
    match v {
        Some(n) => {
            let n = n as usize;
            quote!(::core::option::Option::Some(#n))
        }
        None => quote!(::core::option::Option::None),
    }
}

fn validation(lb: &TokenStream, wire: &str, v: &ValidationAttr) -> TokenStream {
    let kind = match &v.kind {
        ValidationKindAttr::Presence => quote!(#lb::ValidationKind::Presence),
        ValidationKindAttr::Absence => quote!(#lb::ValidationKind::Absence),
        ValidationKindAttr::Length { min, max, is } => {
            let (min, max, is) = (opt_usize(*min), opt_usize(*max), opt_usize(*is));
            quote!(#lb::ValidationKind::Length { min: #min, max: #max, is: #is })
        }
        ValidationKindAttr::Format { with, without } => {
            let (with, without) = (opt_string(with.as_deref()), opt_string(without.as_deref()));
            quote!(#lb::ValidationKind::Format { with: #with, without: #without })
        }
        ValidationKindAttr::Numericality { int } => {
            quote!(#lb::ValidationKind::Numericality { int: #int })
        }
        ValidationKindAttr::Inclusion(values) | ValidationKindAttr::Exclusion(values) => {
            let values = values.iter().map(|x| value(lb, x));
            let variant = if matches!(v.kind, ValidationKindAttr::Inclusion(_)) {
                quote!(Inclusion)
            } else {
                quote!(Exclusion)
            };
            quote!(#lb::ValidationKind::#variant(::std::vec![#(#values),*]))
        }
        ValidationKindAttr::Uniqueness {
            scoped_to,
            ignore_case,
        } => {
            let scoped = scoped_to.iter().map(|s| string(&s.value()));
            quote!(#lb::ValidationKind::Uniqueness { scoped_to: ::std::vec![#(#scoped),*], ignore_case: #ignore_case })
        }
        ValidationKindAttr::Custom(name) => {
            let name = string(name);
            quote!(#lb::ValidationKind::Custom(#name))
        }
    };
    let mut sets = Vec::new();
    if let Some(m) = &v.message {
        let m = json(lb, m);
        sets.push(quote!(rule.message = ::core::option::Option::Some(#m);));
    }
    if v.allow_null {
        sets.push(quote!(rule.allow_null = true;));
    }
    if v.allow_blank {
        sets.push(quote!(rule.allow_blank = true;));
    }
    if let Some(c) = &v.code {
        let c = opt_string(Some(c));
        sets.push(quote!(rule.code = #c;));
    }
    if let Some(c) = &v.if_ {
        let c = opt_string(Some(c));
        sets.push(quote!(rule.if_ = #c;));
    }
    if let Some(c) = &v.unless {
        let c = opt_string(Some(c));
        sets.push(quote!(rule.unless = #c;));
    }
    let mutability = if sets.is_empty() {
        quote!()
    } else {
        quote!(mut)
    };
    quote! {
        {
            let #mutability rule = #lb::ValidationRule::new(#wire, #kind);
            #(#sets)*
            def.validations.push(rule);
        }
    }
}

/// `<Target as Model>::NAME`, spanned on the target so a type that is not a model is reported
/// there.
fn model_name(lb: &TokenStream, target: &syn::Path) -> TokenStream {
    let span = target.span();
    let name = quote_spanned!(span=> <#target as #lb::Model>::NAME);
    quote!(::core::option::Option::Some(::std::string::String::from(#name)))
}

fn relation(lb: &TokenStream, r: &Relation) -> TokenStream {
    let a = &r.attr;
    let kind = match a.kind {
        RelationKindAttr::BelongsTo => quote!(BelongsTo),
        RelationKindAttr::HasOne => quote!(HasOne),
        RelationKindAttr::HasMany => quote!(HasMany),
        RelationKindAttr::HasAndBelongsToMany => quote!(HasAndBelongsToMany),
        RelationKindAttr::EmbedsOne => quote!(EmbedsOne),
        RelationKindAttr::EmbedsMany => quote!(EmbedsMany),
        RelationKindAttr::ReferencesMany => quote!(ReferencesMany),
    };
    let model = match &a.target {
        Some(t) => model_name(lb, t),
        None => quote!(::core::option::Option::None),
    };
    let through = match &a.through {
        Some(t) => model_name(lb, t),
        None => quote!(::core::option::Option::None),
    };
    let foreign_key = opt_string(a.foreign_key.as_deref());
    let primary_key = opt_string(a.primary_key.as_deref());
    let key_through = opt_string(a.key_through.as_deref());
    let property = opt_string(a.property.as_deref());
    let polymorphic = match &a.polymorphic {
        Some(p) => {
            let p = json(lb, p);
            quote!(::core::option::Option::Some(#p))
        }
        None => quote!(::core::option::Option::None),
    };
    let scope = match &a.scope {
        Some(s) => {
            let s = json(lb, &Json::Object(s.clone()));
            quote!(::core::option::Option::Some(#s))
        }
        None => quote!(::core::option::Option::None),
    };
    let options = json_map(lb, &a.options);
    let (key, name) = (string(&r.wire), string(&r.wire));
    quote! {
        def.relations.insert(#key, #lb::RelationDefinition {
            name: #name,
            kind: #lb::RelationKind::#kind,
            model: #model,
            foreign_key: #foreign_key,
            primary_key: #primary_key,
            through: #through,
            key_through: #key_through,
            polymorphic: #polymorphic,
            property: #property,
            scope: #scope,
            options: #options,
            extra: #lb::serde_json::Map::new(),
        });
    }
}
