//! Typed column handles: `Book::title()` is a `Column<Book, String>` for building filters.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::ty_span;
use crate::ast::Input;

/// `impl T { pub fn field() -> Column<Self, FieldType> { ... } }` for every property; an
/// `Option<T>` field gives a `Column<Self, T>` (nullness is tested with `is_null`).
pub(super) fn handles(input: &Input) -> TokenStream {
    let lb = super::private(input);
    let ident = input.ident;
    let vis = &input.original.vis;
    let fns = input.properties().map(|f| {
        let name = f.ident;
        let ty = f.option_inner.unwrap_or(f.ty);
        let span = ty_span(ty);
        let column = quote_spanned!(span=> #lb::Column<Self, #ty>);
        let wire = &f.wire;
        let doc = format!("Filter handle on the `{wire}` property.");
        quote! {
            #[doc = #doc]
            #[allow(dead_code)]
            #[must_use]
            #vis const fn #name() -> #column {
                #lb::Column::new(#wire)
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
