//! `#[derive(Model)]` for loopback-rs: turns a struct into a LoopBack model, with its
//! definition, record conversions, typed filter columns and optional Rust hooks.
//!
//! Use it through the `loopback` crate (`use loopback::prelude::*;`); every attribute is
//! described in `docs/derive.md` of the loopback repository.
//!
//! The macro runs in three stages, each in its own module: `attr` parses `#[model(...)]` into
//! typed settings, `check` applies the rules that span several fields, and `expand` generates
//! code from the checked input. Problems are collected in one pass, each on its own token, and
//! a skeleton implementation is emitted beside them so that a mistake shows up as one error.

mod ast;
mod attr;
mod check;
mod ctxt;
mod expand;

use proc_macro::TokenStream;

/// Derives `loopback::Model` (and `FieldValue`, plus a typed column handle per property) for a
/// struct with named fields. Settings go in `#[model(...)]` on the struct and its fields; see
/// `docs/derive.md` for every keyword.
#[proc_macro_derive(Model, attributes(model))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input).into()
}
