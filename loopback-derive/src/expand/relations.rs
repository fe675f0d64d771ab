//! Typed relation accessors: `Author::books()` is a `RelationRef<Author, Book>`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::Input;
use crate::attr::RelationKindAttr;

/// LB3's name of a relation kind, for the docs of the accessor.
fn kind_name(kind: RelationKindAttr) -> &'static str {
    match kind {
        RelationKindAttr::BelongsTo => "belongsTo",
        RelationKindAttr::HasOne => "hasOne",
        RelationKindAttr::HasMany => "hasMany",
        RelationKindAttr::HasAndBelongsToMany => "hasAndBelongsToMany",
        RelationKindAttr::EmbedsOne => "embedsOne",
        RelationKindAttr::EmbedsMany => "embedsMany",
        RelationKindAttr::ReferencesMany => "referencesMany",
    }
}

/// `impl T { pub const fn books() -> RelationRef<Self, Book> { ... } }` for every relation
/// that gets an accessor (`Input::accessors`); nothing when none does.
pub(super) fn accessors(input: &Input) -> TokenStream {
    let accessors = input.accessors();
    if accessors.is_empty() {
        return TokenStream::new();
    }
    let lb = super::private(input);
    let ident = input.ident;
    let vis = &input.original.vis;
    let fns = accessors.into_iter().map(|(r, name, target)| {
        let wire = &r.wire;
        let target_name = target
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        let doc = format!(
            "The `{wire}` relation ({} `{target_name}`), for `PersistedModel::related`, \
             `Filter::include` and `Loaded::related_many` / `related_one`.",
            kind_name(r.attr.kind)
        );
        quote! {
            #[doc = #doc]
            #[allow(dead_code)]
            #[must_use]
            #vis const fn #name() -> #lb::RelationRef<Self, #target> {
                #lb::RelationRef::new(#wire)
            }
        }
    });
    quote! {
        #[automatically_derived]
        impl #ident {
            #(#fns)*
        }
    }
}
