//! The shape of `#[model(...)]` before any keyword is interpreted: a tree of flags
//! (`hidden`), name-value pairs (`name = "Book"`), groups (`validate(...)`) and bare literals
//! (`keys("title", "price")`). Keeping the tree generic lets one walker report unknown and
//! duplicate keywords the same way in every group.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{token, Expr, Ident, Lit, Token};

use crate::ctxt::Ctxt;

/// One item of an attribute list.
pub(crate) enum Meta {
    /// `hidden`
    Flag(Ident),
    /// `name = "Book"`, `belongs_to = Author`, `values = ["a", "b"]`
    NameValue {
        /// The keyword.
        key: Ident,
        /// The value as written.
        value: Expr,
    },
    /// `validate(length(min = 3))`
    List {
        /// The keyword.
        key: Ident,
        /// The parentheses, for errors about the whole group.
        paren: token::Paren,
        /// The items inside.
        items: Vec<Meta>,
    },
    /// A bare literal, as in `keys("title", "price")`.
    Lit(Lit),
}

impl Meta {
    /// The keyword, if the item has one.
    pub(crate) fn key(&self) -> Option<&Ident> {
        match self {
            Meta::Flag(key) | Meta::NameValue { key, .. } | Meta::List { key, .. } => Some(key),
            Meta::Lit(_) => None,
        }
    }

    /// Where a complaint about the value belongs: the value itself, or the whole item when
    /// the value is missing or is a group.
    pub(crate) fn value_tokens(&self) -> TokenStream {
        match self {
            Meta::NameValue { value, .. } => value.to_token_stream(),
            other => other.to_token_stream(),
        }
    }
}

impl ToTokens for Meta {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            Meta::Flag(key) => key.to_tokens(tokens),
            Meta::NameValue { key, value } => {
                key.to_tokens(tokens);
                <Token![=]>::default().to_tokens(tokens);
                value.to_tokens(tokens);
            }
            Meta::List { key, paren, items } => {
                key.to_tokens(tokens);
                paren.surround(tokens, |inner| {
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            <Token![,]>::default().to_tokens(inner);
                        }
                        item.to_tokens(inner);
                    }
                });
            }
            Meta::Lit(lit) => lit.to_tokens(tokens),
        }
    }
}

impl Parse for Meta {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Lit) && !input.peek(syn::LitBool) {
            return input.parse().map(Meta::Lit);
        }
        // `type`, `crate` and `if` are keywords in Rust but fine as attribute keys.
        let key = Ident::parse_any(input)?;
        if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            let value: Expr = input.parse()?;
            Ok(Meta::NameValue { key, value })
        } else if input.peek(token::Paren) {
            let content;
            let paren = syn::parenthesized!(content in input);
            let items = Punctuated::<Meta, Token![,]>::parse_terminated(&content)?;
            Ok(Meta::List {
                key,
                paren,
                items: items.into_iter().collect(),
            })
        } else {
            Ok(Meta::Flag(key))
        }
    }
}

/// Reads every `#[model(...)]` among `attrs`, in order; syntax errors are reported and the
/// attribute that has them is skipped, so the others are still checked.
pub(crate) fn model_attributes(cx: &Ctxt, attrs: &[syn::Attribute]) -> Vec<Meta> {
    let mut out = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("model") {
            continue;
        }
        match &attr.meta {
            syn::Meta::List(list) => {
                match list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated) {
                    Ok(items) => out.extend(items),
                    Err(e) => cx.syn_error(e),
                }
            }
            other => cx.error_spanned_by(
                other,
                "expected a list of settings: `#[model(name = \"Book\", plural = \"books\")]`",
            ),
        }
    }
    out
}
