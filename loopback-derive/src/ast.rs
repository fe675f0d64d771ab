//! The input as the later stages see it: the original syn nodes (for spans) with the parsed
//! settings and the names resolved.

use syn::ext::IdentExt;
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
    /// The name of its typed accessor (`Author::books()`): the identifier as written, or the
    /// snake_case form of a string name when that is an identifier. `None` for a string that
    /// gives none. Whether it is emitted also depends on the other names (`Input::accessors`).
    pub(crate) accessor: Option<syn::Ident>,
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
                wire: if attr.name_ident.is_some() {
                    rename_all.apply(&attr.name.value)
                } else {
                    attr.name.value.clone()
                },
                accessor: match &attr.name_ident {
                    Some(id) => Some(id.clone()),
                    None => snake_case_ident(&attr.name.value, attr.name.span),
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

    /// The property whose column handle is named `ident` (`Book::author()`).
    pub(crate) fn column_named(&self, ident: &syn::Ident) -> Option<&Field<'a>> {
        let name = ident.unraw();
        self.properties().find(|f| f.ident.unraw() == name)
    }

    /// The relations that get a typed accessor, in declaration order, with its name and the
    /// target type. Relations without a target type (a polymorphic belongsTo) get none.
    /// Identifier names come first: one that is already a column handle is an error reported
    /// by `check`, and skipped here so the skeleton never defines a function twice. A name
    /// derived from a string is skipped when a column handle or another accessor has it.
    pub(crate) fn accessors(&self) -> Vec<(&Relation, &syn::Ident, &syn::Path)> {
        let mut taken: Vec<syn::Ident> = self.properties().map(|f| f.ident.unraw()).collect();
        let mut chosen: Vec<Option<(&syn::Ident, &syn::Path)>> = vec![None; self.relations.len()];
        for explicit in [true, false] {
            for (i, r) in self.relations.iter().enumerate() {
                if r.attr.name_ident.is_some() != explicit {
                    continue;
                }
                let (Some(name), Some(target)) = (&r.accessor, &r.attr.target) else {
                    continue;
                };
                if !taken.contains(&name.unraw()) {
                    taken.push(name.unraw());
                    chosen[i] = Some((name, target));
                }
            }
        }
        self.relations
            .iter()
            .zip(chosen)
            .filter_map(|(r, c)| c.map(|(name, target)| (r, name, target)))
            .collect()
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

/// `favoriteBooks` → `favorite_books`, `Primary` → `primary`, `authorID` → `author_id`.
fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                None | Some('_') => false,
                Some(p) if p.is_lowercase() || p.is_numeric() => true,
                // The last capital of an acronym starts the next word: `HTTPServer`.
                Some(p) => p.is_uppercase() && next.is_some_and(char::is_lowercase),
            };
            if boundary {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The accessor name for a relation named by the string `name`: its snake_case form when that
/// is an ASCII identifier (a keyword becomes a raw identifier, `r#type`); `None` otherwise
/// (`my-rel`, `2nd`, `self`, non-ASCII names).
fn snake_case_ident(name: &str, span: proc_macro2::Span) -> Option<syn::Ident> {
    let snake = snake_case(name);
    // Checked before lexing so that `parse_str` only ever sees identifier characters, and
    // never a keyword that cannot be raw.
    let mut chars = snake.chars();
    let first = chars.next()?;
    if !(first.is_ascii_alphabetic() || first == '_')
        || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        || matches!(snake.as_str(), "_" | "self" | "Self" | "super" | "crate")
    {
        return None;
    }
    let mut ident = syn::parse_str::<syn::Ident>(&snake)
        .or_else(|_| syn::parse_str::<syn::Ident>(&format!("r#{snake}")))
        .ok()?;
    ident.set_span(span);
    Some(ident)
}

#[cfg(test)]
mod tests {
    use super::{snake_case, snake_case_ident};

    #[test]
    fn snake_case_names() {
        assert_eq!(snake_case("Primary"), "primary");
        assert_eq!(snake_case("favoriteBooks"), "favorite_books");
        assert_eq!(snake_case("authorID"), "author_id");
        assert_eq!(snake_case("HTTPServer"), "http_server");
        assert_eq!(snake_case("already_snake"), "already_snake");
        assert_eq!(snake_case("item2Tags"), "item2_tags");
    }

    #[test]
    fn accessor_names_from_strings() {
        let span = proc_macro2::Span::call_site();
        let name = |s: &str| snake_case_ident(s, span).map(|i| i.to_string());
        assert_eq!(name("Primary").as_deref(), Some("primary"));
        assert_eq!(name("type").as_deref(), Some("r#type"));
        assert_eq!(name("my-rel"), None);
        assert_eq!(name("2nd"), None);
        assert_eq!(name("has space"), None);
        assert_eq!(name("self"), None);
        assert_eq!(name("crate"), None);
        assert_eq!(name("café"), None);
        assert_eq!(name("_"), None);
    }
}
