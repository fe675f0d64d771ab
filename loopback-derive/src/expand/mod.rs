//! Code generation. Works only from the checked `ast::Input`; never parses attributes.
//!
//! Everything generated names the loopback crate through `<crate>::__private` (the `crate`
//! setting, `::loopback` by default) and sits in `const _: () = { ... };`, so it neither needs
//! nor adds names in the user's module, apart from the column handles and relation accessors,
//! which are the point.

mod columns;
mod definition;
mod record;
mod relations;

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::DeriveInput;

use crate::ast::Input;
use crate::check;
use crate::ctxt::Ctxt;

/// `#[derive(Model)]`: the generated impls, or the diagnostics plus a skeleton impl so that
/// uses of the type elsewhere do not add errors of their own.
pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::default();
    let ast = Input::from_ast(&cx, input);
    check::check(&cx, &ast);
    if cx.has_errors() {
        let errors = cx.into_compile_errors();
        let skeleton = skeleton(&ast);
        return quote! { #errors #skeleton };
    }
    generate(&ast)
}

/// The path every generated item goes through.
fn private(input: &Input) -> TokenStream {
    let krate = input.krate();
    quote!(#krate::__private)
}

fn generate(input: &Input) -> TokenStream {
    let lb = private(input);
    let ident = input.ident;
    let name = &input.name;
    let definition = definition::build(input);
    let to_record = record::to_record(input);
    let from_record = record::from_record(input);
    let take = record::take_helper(input);
    let field_value = record::field_value_impl(input);
    let columns = columns::handles(input);
    let relations = relations::accessors(input);
    let hooks = input.attrs.hooks.as_ref().map(|token| {
        // Spanned on `hooks` so a missing `ModelHooks` impl is reported on the keyword.
        let call = quote_spanned!(token.span()=> #lb::register_model_hooks::<Self>(observers));
        quote! {
            fn register_hooks(observers: &#lb::Observers) {
                #call;
            }
        }
    });
    quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals, unused_qualifications, clippy::all)]
        const _: () = {
            #[automatically_derived]
            impl #lb::Model for #ident {
                const NAME: &'static str = #name;

                fn definition() -> #lb::Arc<#lb::ModelDefinition> {
                    static DEFINITION: #lb::OnceLock<#lb::Arc<#lb::ModelDefinition>> = #lb::OnceLock::new();
                    #lb::Arc::clone(DEFINITION.get_or_init(|| #lb::Arc::new(#definition)))
                }

                #to_record
                #from_record
                #hooks
            }

            #field_value

            #take

            #columns

            #relations
        };
    }
}

/// What is emitted beside the errors: the trait impls with the right signatures, the column
/// handles of the fields and the accessors of the relations that were understood, so the rest
/// of the user's code type-checks.
fn skeleton(input: &Input) -> TokenStream {
    let lb = private(input);
    let ident = input.ident;
    let name = &input.name;
    let (impl_generics, ty_generics, where_clause) = input.original.generics.split_for_impl();
    let mut where_clause = where_clause
        .cloned()
        .unwrap_or_else(|| syn::parse_quote!(where));
    where_clause
        .predicates
        .push(syn::parse_quote!(Self: ::core::marker::Send + ::core::marker::Sync + 'static));
    let (columns, relations) = if input.supported_shape {
        (columns::handles(input), relations::accessors(input))
    } else {
        (TokenStream::new(), TokenStream::new())
    };
    let unreachable = quote!(::core::unreachable!(
        "`#[derive(Model)]` reported errors for this type"
    ));
    let span = input.ident.span();
    quote_spanned! {span=>
        #[doc(hidden)]
        #[allow(unused_qualifications, unreachable_code, clippy::all)]
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #lb::Model for #ident #ty_generics #where_clause {
                const NAME: &'static str = #name;
                fn definition() -> #lb::Arc<#lb::ModelDefinition> {
                    #unreachable
                }
                fn to_record(&self) -> #lb::Record {
                    #unreachable
                }
                fn from_record(_: #lb::Record) -> #lb::Result<Self> {
                    #unreachable
                }
            }

            #[automatically_derived]
            impl #impl_generics #lb::FieldValue for #ident #ty_generics #where_clause {
                fn property_type() -> #lb::PropertyType {
                    #unreachable
                }
                fn to_value(&self) -> #lb::Value {
                    #unreachable
                }
                fn from_value(_: #lb::Value) -> ::core::result::Result<Self, ::std::string::String> {
                    #unreachable
                }
            }

            #columns

            #relations
        };
    }
}

/// `"text"` as a `String` expression.
fn string(s: &str) -> TokenStream {
    quote!(::std::string::String::from(#s))
}

/// `Some(String::from("text"))` or `None`.
fn opt_string(s: Option<&str>) -> TokenStream {
    match s {
        Some(s) => {
            let s = string(s);
            quote!(::core::option::Option::Some(#s))
        }
        None => quote!(::core::option::Option::None),
    }
}

/// A JSON value built from its text at run time. The text was produced by serde_json while
/// expanding, so it always parses.
fn json(lb: &TokenStream, value: &serde_json::Value) -> TokenStream {
    let text = value.to_string();
    quote!(#lb::serde_json::from_str::<#lb::serde_json::Value>(#text).unwrap_or_default())
}

/// A JSON object (`serde_json::Map`) built from its text at run time.
fn json_map(lb: &TokenStream, map: &serde_json::Map<String, serde_json::Value>) -> TokenStream {
    if map.is_empty() {
        return quote!(#lb::serde_json::Map::new());
    }
    let text = serde_json::Value::Object(map.clone()).to_string();
    quote!(#lb::serde_json::from_str::<#lb::serde_json::Map<::std::string::String, #lb::serde_json::Value>>(#text).unwrap_or_default())
}

/// The span of a type, for errors about trait bounds on it.
fn ty_span(ty: &syn::Type) -> proc_macro2::Span {
    ty.span()
}
