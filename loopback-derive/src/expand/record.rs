//! Conversions between the struct and `Record`, and the struct as a nested property type.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::ty_span;
use crate::ast::{Field, Input};

/// Whether a `None`/null value is left out of the record so the data source fills it: the id
/// (generated) and fields with a default.
fn omit_when_null(field: &Field) -> bool {
    let a = &field.attrs;
    a.id.is_some() || a.default.is_some() || a.default_fn.is_some()
}

/// `fn to_record(&self) -> Record`.
pub(super) fn to_record(input: &Input) -> TokenStream {
    let lb = super::private(input);
    let count = input.properties().count();
    let inserts = input.properties().map(|f| {
        let (ident, ty, wire) = (f.ident, f.ty, &f.wire);
        let span = ty_span(ty);
        let value = quote_spanned!(span=> <#ty as #lb::FieldValue>::to_value(&self.#ident));
        if omit_when_null(f) {
            quote! {
                let value = #value;
                if !value.is_null() {
                    record.insert(#wire, value);
                }
            }
        } else {
            quote!(record.insert(#wire, #value);)
        }
    });
    let binding = if count == 0 {
        quote!(record)
    } else {
        quote!(mut record)
    };
    quote! {
        fn to_record(&self) -> #lb::Record {
            let #binding = #lb::Record::with_capacity(#count);
            #(#inserts)*
            record
        }
    }
}

/// `fn from_record(record: Record) -> Result<Self>`: one pass over the record moves each value
/// into its field's slot (unknown keys are dropped), then each slot is converted.
pub(super) fn from_record(input: &Input) -> TokenStream {
    let lb = super::private(input);
    let slots: Vec<(syn::Ident, &Field)> = input
        .properties()
        .enumerate()
        .map(|(i, f)| (quote::format_ident!("__loopback_slot_{}", i), f))
        .collect();
    let declare = slots.iter().map(|(slot, _)| {
        quote!(let mut #slot: ::core::option::Option<#lb::Value> = ::core::option::Option::None;)
    });
    let arms = slots.iter().map(|(slot, f)| {
        let wire = &f.wire;
        quote!(#wire => #slot = ::core::option::Option::Some(value),)
    });
    let fill = if slots.is_empty() {
        quote!(let _ = record;)
    } else {
        quote! {
            for (key, value) in record {
                match key.as_str() {
                    #(#arms)*
                    _ => {}
                }
            }
        }
    };
    let inits = input.fields.iter().map(|f| {
        let (ident, ty) = (f.ident, f.ty);
        let span = ty_span(ty);
        if f.attrs.skip.is_some() {
            return quote_spanned!(span=> #ident: <#ty as ::core::default::Default>::default());
        }
        let Some((slot, _)) = slots.iter().find(|(_, p)| p.ident == f.ident) else {
            return TokenStream::new();
        };
        let wire = &f.wire;
        let defaulted = f.attrs.default.is_some() || f.attrs.default_fn.is_some();
        // The conversion is passed as a function so a type that is not a `FieldValue` fails
        // on the same obligation as in `to_record`, and is reported once.
        let take = quote_spanned!(span=> __loopback_take(#slot, #wire, #defaulted, <#ty as #lb::FieldValue>::from_value)?);
        quote!(#ident: #take)
    });
    quote! {
        fn from_record(record: #lb::Record) -> #lb::Result<Self> {
            #(#declare)*
            #fill
            ::core::result::Result::Ok(Self { #(#inits),* })
        }
    }
}

/// The helper `from_record` uses for each property: converts the value; a missing one is
/// `None` for an `Option`, else the property's default as the data source would fill it, else
/// an error naming the property.
pub(super) fn take_helper(input: &Input) -> TokenStream {
    let lb = super::private(input);
    let ident = input.ident;
    quote! {
        #[allow(dead_code)]
        fn __loopback_take<T>(
            slot: ::core::option::Option<#lb::Value>,
            name: &str,
            defaulted: bool,
            from_value: fn(#lb::Value) -> ::core::result::Result<T, ::std::string::String>,
        ) -> #lb::Result<T> {
            let model = <#ident as #lb::Model>::NAME;
            let wrong = |message: ::std::string::String| #lb::field_error(model, name, message);
            if let ::core::option::Option::Some(value) = slot {
                return from_value(value).map_err(wrong);
            }
            // A missing value is null for a nullable type; only a type that cannot be null
            // falls back to the default the data source would have filled.
            if let ::core::result::Result::Ok(value) = from_value(#lb::Value::Null) {
                return ::core::result::Result::Ok(value);
            }
            if defaulted {
                let definition = <#ident as #lb::Model>::definition();
                let filled = #lb::prepare(&definition, #lb::Record::new(), #lb::WriteKind::Create);
                if let ::core::result::Result::Ok(mut filled) = filled {
                    if let ::core::option::Option::Some(value) = filled.remove(name) {
                        return from_value(value).map_err(wrong);
                    }
                }
            }
            ::core::result::Result::Err(wrong(::std::string::String::from("is missing")))
        }
    }
}

/// `impl FieldValue for T`: a derived model used as a property type of another model.
pub(super) fn field_value_impl(input: &Input) -> TokenStream {
    let lb = super::private(input);
    let ident = input.ident;
    quote! {
        #[automatically_derived]
        impl #lb::FieldValue for #ident {
            fn property_type() -> #lb::PropertyType {
                #lb::PropertyType::Model(::std::string::String::from(<Self as #lb::Model>::NAME))
            }

            fn to_value(&self) -> #lb::Value {
                #lb::Value::Object(<Self as #lb::Model>::to_record(self))
            }

            fn from_value(value: #lb::Value) -> ::core::result::Result<Self, ::std::string::String> {
                match value {
                    #lb::Value::Object(record) => <Self as #lb::Model>::from_record(record)
                        .map_err(|e| ::std::string::ToString::to_string(&e)),
                    other => ::core::result::Result::Err(::std::format!("expected an object, found {}", other.kind())),
                }
            }
        }
    }
}
