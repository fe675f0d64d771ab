//! The input as the later stages see it: the original syn nodes (for spans) with the parsed
//! settings and the names resolved.

use syn::{Data, DeriveInput, Fields, GenericArgument, PathArguments, Type};

use crate::attr::{self, ContainerAttrs, FieldAttrs, RelationAttr};
use crate::ctxt::Ctxt;

/// The annotated struct.
pub(crate) struct Input<'a> {
    pub(crate) original: &'a DeriveInput,
    pub(crate) ident: &'a syn::Ident,
    pub(crate) attrs: ContainerAttrs,
    /// The model name: `name = "..."`, else the struct's name.
    pub(crate) name: String,
    /// Named fields in declaration order; empty when the shape is unsupported.
    pub(crate) fields: Vec<Field<'a>>,
    /// Relations with their wire names.
    pub(crate) relations: Vec<Relation>,
    /// Whether the item is a non-generic struct with named fields.
    pub(crate) supported_shape: bool,
}

/// One named field.
pub(crate) struct Field<'a> {
    pub(crate) ident: &'a syn::Ident,
    pub(crate) ty: &'a Type,
    pub(crate) attrs: FieldAttrs,
    /// The property name on the wire and in the definition.
    pub(crate) wire: String,
    /// `T` when the field is `Option<T>`.
    pub(crate) option_inner: Option<&'a Type>,
}

/// One relation.
pub(crate) struct Relation {
    pub(crate) attr: RelationAttr,
    /// The relation name in the definition.
    pub(crate) wire: String,
}

impl<'a> Input<'a> {
    /// Parses the settings of the struct and its fields, reporting problems into `cx`.
    pub(crate) fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Self {
        let mut attrs = attr::parse_container(cx, &input.attrs);
        let mut supported_shape = true;
        let mut fields = Vec::new();
        const SHAPE: &str =
            "`#[derive(Model)]` needs a struct with named fields: `struct Book { title: String }`";
        match &input.data {
            Data::Struct(s) => match &s.fields {
                Fields::Named(named) => {
                    for f in &named.named {
                        let Some(ident) = f.ident.as_ref() else {
                            continue;
                        };
                        let fattrs = attr::parse_field(cx, f);
                        let wire = match &fattrs.rename {
                            Some(lit) => lit.value(),
                            None => attrs.rename_all.apply(&ident.to_string()),
                        };
                        fields.push(Field {
                            ident,
                            ty: &f.ty,
                            attrs: fattrs,
                            wire,
                            option_inner: option_inner(&f.ty),
                        });
                    }
                }
                Fields::Unnamed(unnamed) => {
                    cx.error_spanned_by(
                        unnamed,
                        format!("{SHAPE}; tuple structs have no property names"),
                    );
                    supported_shape = false;
                }
                Fields::Unit => {
                    cx.error_spanned_by(
                        &input.ident,
                        format!("{SHAPE}; a unit struct has no properties"),
                    );
                    supported_shape = false;
                }
            },
            Data::Enum(e) => {
                cx.error_spanned_by(e.enum_token, format!("{SHAPE}; enums are not supported"));
                supported_shape = false;
            }
            Data::Union(u) => {
                cx.error_spanned_by(u.union_token, format!("{SHAPE}; unions are not supported"));
                supported_shape = false;
            }
        }
        if !input.generics.params.is_empty() {
            cx.error_spanned_by(
                &input.generics,
                "a model cannot be generic: it has one name and one definition; declare one struct per model",
            );
            supported_shape = false;
        }
        let name = attrs
            .name
            .as_ref()
            .map_or_else(|| input.ident.to_string(), syn::LitStr::value);
        let rename_all = attrs.rename_all;
        let relations = std::mem::take(&mut attrs.relations)
            .into_iter()
            .map(|attr| Relation {
                wire: if attr.name_is_ident {
                    rename_all.apply(&attr.name.value)
                } else {
                    attr.name.value.clone()
                },
                attr,
            })
            .collect();
        Input {
            original: input,
            ident: &input.ident,
            attrs,
            name,
            fields,
            relations,
            supported_shape,
        }
    }

    /// The path of the loopback crate in generated code.
    pub(crate) fn krate(&self) -> syn::Path {
        self.attrs
            .krate
            .clone()
            .unwrap_or_else(|| syn::parse_quote!(::loopback))
    }

    /// Fields that are properties (not `skip`).
    pub(crate) fn properties(&self) -> impl Iterator<Item = &Field<'a>> {
        self.fields.iter().filter(|f| f.attrs.skip.is_none())
    }
}

/// `T` for `Option<T>` written as `Option`, `std::option::Option` or `core::option::Option`.
fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    if p.qself.is_some() {
        return None;
    }
    let last = p.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first() {
        Some(GenericArgument::Type(t)) if args.args.len() == 1 => Some(t),
        _ => None,
    }
}
