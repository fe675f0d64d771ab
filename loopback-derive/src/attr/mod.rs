//! Parsing `#[model(...)]`: the only module that reads `syn::Attribute`. It turns the
//! attribute tokens into typed settings, reporting every malformed item on its own token, and
//! leaves rules that involve several fields to `check`.

mod container;
mod field;
pub(crate) mod keyword;
pub(crate) mod meta;
mod relation;
mod validate;
pub(crate) mod value;

use proc_macro2::Ident;
use serde_json::{Map, Value as Json};
use syn::LitStr;

use keyword::keywords;
use value::{LitValue, Spanned};

pub(crate) use container::parse_container;
pub(crate) use field::parse_field;

keywords! {
    /// Keywords of `#[model(...)]` on the struct.
    enum ContainerKw in "model attribute" {
        Name = "name", "name = \"Book\"";
        Plural = "plural", "plural = \"books\"";
        Base = "base", "base = \"PersistedModel\"";
        Description = "description", "description = \"A book in the catalogue\"";
        Strict = "strict", "strict = true | false | \"filter\" | \"throw\"";
        IdInjection = "id_injection", "id_injection = false";
        ForceId = "force_id", "force_id = true";
        ReplaceOnPut = "replace_on_put", "replace_on_put = false";
        HttpPath = "http_path", "http_path = \"library-books\"";
        ValidateUpsert = "validate_upsert", "validate_upsert = true";
        Hooks = "hooks", "hooks";
        Crate = "crate", "crate = \"::loopback\"";
        RenameAll = "rename_all", "rename_all = \"camelCase\" | \"snake_case\" | \"PascalCase\"";
        Scope = "scope", "scope = r#\"{\"order\": \"title ASC\"}\"#";
        ScopeNamed = "scope_named", "scope_named(name = \"cheap\", filter = r#\"{\"where\": {\"price\": {\"lt\": 10}}}\"#)", repeatable;
        Index = "index", "index(name = \"title_price\", keys(\"title\", \"price DESC\"), unique)", repeatable;
        Acl = "acl", "acl(principal_type = \"ROLE\", principal_id = \"$everyone\", permission = \"DENY\", access_type = \"WRITE\", property = \"create\")", repeatable;
        Relation = "relation", "relation(author, belongs_to = Author, foreign_key = \"authorId\")", repeatable;
        Postgresql = "postgresql", "postgresql(schema = \"public\", table = \"book\")";
        Mysql = "mysql", "mysql(schema = \"library\", table = \"book\")";
        Sqlite3 = "sqlite3", "sqlite3(table = \"book\")";
    }
}

keywords! {
    /// Keywords of `#[model(...)]` on a field.
    enum FieldKw in "field attribute" {
        Id = "id", "id` or `id = 2";
        Generated = "generated", "id, generated";
        Required = "required", "required` or `required = false";
        Rename = "rename", "rename = \"wireName\"";
        Column = "column", "column = \"column_name\"";
        Postgresql = "postgresql", "postgresql(column_name = \"isbn_code\", data_type = \"varchar\", data_length = 20, nullable = \"NO\")";
        Mysql = "mysql", "mysql(column_name = \"isbn_code\", data_type = \"varchar\", data_length = 20)";
        Sqlite3 = "sqlite3", "sqlite3(column_name = \"isbn_code\")";
        Type = "type", "type = \"string\"";
        Default = "default", "default = \"draft\"` or `default = 0` or `default = \"$now\"";
        DefaultFn = "default_fn", "default_fn = \"uuidv4\" | \"uuid\" | \"guid\" | \"now\"";
        Index = "index", "index` or `index(unique)";
        Unique = "unique", "unique";
        Hidden = "hidden", "hidden";
        Protected = "protected", "protected";
        Description = "description", "description = \"The title on the cover\"";
        Skip = "skip", "skip";
        Validate = "validate", "validate(length(min = 3, max = 100))", repeatable;
    }
}

keywords! {
    /// Rules and options inside `validate(...)`.
    enum ValidateKw in "validation" {
        Presence = "presence", "validate(presence)";
        Absence = "absence", "validate(absence)";
        Length = "length", "validate(length(min = 3, max = 10, is = 5))";
        Format = "format", "validate(format = \"^\\\\S+$\")` or `validate(format(with = \"...\", without = \"...\"))";
        Numericality = "numericality", "validate(numericality)` or `validate(numericality(int))";
        Inclusion = "inclusion", "validate(inclusion(values = [\"a\", \"b\"]))";
        Exclusion = "exclusion", "validate(exclusion(values = [\"www\", \"admin\"]))";
        Uniqueness = "uniqueness", "validate(uniqueness)` or `validate(uniqueness(scoped_to = [\"realm\"], ignore_case))";
        Custom = "custom", "validate(custom = \"validatorName\")";
        Message = "message", "message = \"...\"` or `message(min = \"too short\", max = \"too long\")";
        AllowNull = "allow_null", "allow_null";
        AllowBlank = "allow_blank", "allow_blank";
        Code = "code", "code = \"custom.code\"";
        If = "if", "if = \"propertyName\"";
        Unless = "unless", "unless = \"propertyName\"";
    }
}

keywords! {
    /// Bounds inside `length(...)`.
    enum LengthKw in "length bound" {
        Min = "min", "length(min = 3)";
        Max = "max", "length(max = 10)";
        Is = "is", "length(is = 5)";
    }
}

keywords! {
    /// Patterns inside `format(...)`.
    enum FormatKw in "format option" {
        With = "with", "format(with = \"^[a-z]+$\")";
        Without = "without", "format(without = \"\\\\s\")";
    }
}

keywords! {
    /// Options of `numericality(...)`.
    enum NumericalityKw in "numericality option" {
        Int = "int", "numericality(int)";
    }
}

keywords! {
    /// Options of `inclusion(...)` and `exclusion(...)`.
    enum ListRuleKw in "inclusion/exclusion option" {
        Values = "values", "values = [\"a\", \"b\"]";
    }
}

keywords! {
    /// Options of `uniqueness(...)`.
    enum UniquenessKw in "uniqueness option" {
        ScopedTo = "scoped_to", "uniqueness(scoped_to = [\"realm\"])";
        IgnoreCase = "ignore_case", "uniqueness(ignore_case)";
    }
}

keywords! {
    /// Per-failure messages in `message(...)`.
    enum MessageKw in "message key" {
        Min = "min", "message(min = \"too short\")";
        Max = "max", "message(max = \"too long\")";
        Is = "is", "message(is = \"length is wrong\")";
        Int = "int", "message(int = \"is not an integer\")";
        Number = "number", "message(number = \"is not a number\")";
        Null = "null", "message(null = \"is null\")";
        Blank = "blank", "message(blank = \"is blank\")";
    }
}

keywords! {
    /// Options of a field's `index(...)`.
    enum FieldIndexKw in "index option" {
        Unique = "unique", "index(unique)";
    }
}

keywords! {
    /// Kinds and options inside `relation(name, ...)`.
    enum RelationKw in "relation option" {
        BelongsTo = "belongs_to", "relation(author, belongs_to = Author)";
        HasOne = "has_one", "relation(profile, has_one = Profile)";
        HasMany = "has_many", "relation(books, has_many = Book)";
        HasAndBelongsToMany = "has_and_belongs_to_many", "relation(tags, has_and_belongs_to_many = Tag)";
        EmbedsOne = "embeds_one", "relation(address, embeds_one = Address, property = \"addressData\")";
        EmbedsMany = "embeds_many", "relation(emails, embeds_many = Email)";
        ReferencesMany = "references_many", "relation(friends, references_many = Person)";
        ForeignKey = "foreign_key", "foreign_key = \"authorId\"";
        PrimaryKey = "primary_key", "primary_key = \"id\"";
        Through = "through", "through = Loan";
        KeyThrough = "key_through", "key_through = \"bookId\"";
        Property = "property", "property = \"addressData\"";
        Polymorphic = "polymorphic", "polymorphic = \"imageable\"` or `polymorphic(as = \"imageable\", discriminator = \"imageableType\")";
        Scope = "scope", "scope = r#\"{\"order\": \"title ASC\"}\"#";
        Options = "options", "options(disable_include, validate = false, force_id, persistent, auto_id, nest_remoting)";
    }
}

keywords! {
    /// Keys of `polymorphic(...)`.
    enum PolymorphicKw in "polymorphic option" {
        As = "as", "polymorphic(as = \"imageable\")";
        ForeignKey = "foreign_key", "polymorphic(foreign_key = \"imageableId\")";
        Discriminator = "discriminator", "polymorphic(discriminator = \"imageableType\")";
        IdType = "id_type", "polymorphic(id_type = \"string\")";
        Selector = "selector", "polymorphic(selector = \"imageable\")";
        Invert = "invert", "polymorphic(invert)";
    }
}

keywords! {
    /// Keys of a relation's `options(...)`.
    enum RelationOptionKw in "relation `options` key" {
        DisableInclude = "disable_include", "options(disable_include)";
        Validate = "validate", "options(validate = false)";
        ForceId = "force_id", "options(force_id)";
        Persistent = "persistent", "options(persistent)";
        AutoId = "auto_id", "options(auto_id = false)";
        NestRemoting = "nest_remoting", "options(nest_remoting)";
    }
}

keywords! {
    /// Keys of `acl(...)`.
    enum AclKw in "acl option" {
        PrincipalType = "principal_type", "principal_type = \"ROLE\"";
        PrincipalId = "principal_id", "principal_id = \"$everyone\"";
        Permission = "permission", "permission = \"ALLOW\" | \"DENY\"";
        AccessType = "access_type", "access_type = \"READ\" | \"WRITE\" | \"EXECUTE\" | \"*\"";
        Property = "property", "property = \"create\"` or `property = [\"create\", \"upsert\"]";
    }
}

keywords! {
    /// Keys of a model-level `index(...)`.
    enum IndexKw in "index option" {
        Name = "name", "index(name = \"title_price\", keys(\"title\", \"price\"))";
        Keys = "keys", "keys(\"title\", \"price DESC\")";
        Unique = "unique", "index(name = \"isbn_unique\", keys(\"isbn\"), unique)";
    }
}

keywords! {
    /// Keys of `scope_named(...)`.
    enum ScopeNamedKw in "scope_named option" {
        Name = "name", "scope_named(name = \"cheap\", filter = r#\"{\"where\": {\"price\": {\"lt\": 10}}}\"#)";
        Filter = "filter", "filter = r#\"{\"where\": {\"price\": {\"lt\": 10}}}\"#";
    }
}

/// `strict` as LB3 spells it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum StrictMode {
    False,
    True,
    Filter,
    Throw,
}

/// How field names become wire names.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub(crate) enum RenameRule {
    /// `author_id` -> `authorId` (LoopBack's convention).
    #[default]
    Camel,
    /// The field name as written.
    Snake,
    /// `author_id` -> `AuthorId`.
    Pascal,
}

impl RenameRule {
    pub(crate) fn apply(self, ident: &str) -> String {
        let ident = ident.strip_prefix("r#").unwrap_or(ident);
        match self {
            RenameRule::Snake => ident.to_owned(),
            RenameRule::Camel | RenameRule::Pascal => {
                let leading = ident.len() - ident.trim_start_matches('_').len();
                let mut out = String::from(&ident[..leading]);
                let mut upper = self == RenameRule::Pascal;
                for c in ident[leading..].chars() {
                    if c == '_' {
                        upper = true;
                    } else if upper {
                        out.extend(c.to_uppercase());
                        upper = false;
                    } else {
                        out.push(c);
                    }
                }
                out
            }
        }
    }
}

/// Settings of the struct.
#[derive(Default)]
pub(crate) struct ContainerAttrs {
    pub(crate) name: Option<LitStr>,
    pub(crate) plural: Option<LitStr>,
    pub(crate) base: Option<LitStr>,
    pub(crate) description: Option<LitStr>,
    pub(crate) strict: Option<StrictMode>,
    pub(crate) id_injection: Option<bool>,
    pub(crate) force_id: Option<bool>,
    pub(crate) replace_on_put: Option<bool>,
    pub(crate) http_path: Option<LitStr>,
    pub(crate) validate_upsert: Option<bool>,
    /// The `hooks` token, so a missing `ModelHooks` impl is reported there.
    pub(crate) hooks: Option<Ident>,
    pub(crate) krate: Option<syn::Path>,
    pub(crate) rename_all: RenameRule,
    pub(crate) scope: Option<Map<String, Json>>,
    pub(crate) scopes: Vec<(LitStr, Map<String, Json>)>,
    pub(crate) indexes: Vec<IndexAttr>,
    pub(crate) acls: Vec<AclAttr>,
    pub(crate) relations: Vec<RelationAttr>,
    pub(crate) connector_settings: Vec<(String, Map<String, Json>)>,
}

/// `index(name = ..., keys(...), unique)` on the struct.
pub(crate) struct IndexAttr {
    pub(crate) name: LitStr,
    /// Each key as written, the property name and the direction (1 or -1).
    pub(crate) keys: Vec<(LitStr, String, i32)>,
    pub(crate) unique: bool,
}

/// `acl(...)`.
pub(crate) struct AclAttr {
    pub(crate) principal_type: String,
    pub(crate) principal_id: String,
    pub(crate) permission: String,
    pub(crate) access_type: String,
    pub(crate) property: Vec<String>,
}

/// The relation kinds, as the derive spells them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum RelationKindAttr {
    BelongsTo,
    HasOne,
    HasMany,
    HasAndBelongsToMany,
    EmbedsOne,
    EmbedsMany,
    ReferencesMany,
}

/// `relation(name, kind = Target, ...)`.
pub(crate) struct RelationAttr {
    /// The relation name as written.
    pub(crate) name: Spanned<String>,
    /// The name when it was written as an identifier (renamed like fields; also the name of the
    /// generated accessor) rather than a string (kept as written).
    pub(crate) name_ident: Option<Ident>,
    pub(crate) kind: RelationKindAttr,
    /// The target model type; absent only for a polymorphic `belongs_to`.
    pub(crate) target: Option<syn::Path>,
    pub(crate) foreign_key: Option<String>,
    pub(crate) primary_key: Option<String>,
    pub(crate) through: Option<syn::Path>,
    pub(crate) key_through: Option<String>,
    pub(crate) property: Option<String>,
    pub(crate) polymorphic: Option<Json>,
    pub(crate) scope: Option<Map<String, Json>>,
    pub(crate) options: Map<String, Json>,
}

/// A property type written with `type = "..."`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum PropType {
    String,
    Number,
    Boolean,
    Date,
    Buffer,
    GeoPoint,
    Object,
    Any,
    Array(Box<PropType>),
    Model(String),
}

/// `default = ...`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum DefaultAttr {
    Value(LitValue),
    /// `"$now"`.
    Now,
}

/// `default_fn = ...`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum DefaultFnAttr {
    Uuid,
    Now,
}

/// Settings of one field.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    /// `id` (position `None`) or `id = n`, with the keyword token.
    pub(crate) id: Option<(Option<u32>, Ident)>,
    pub(crate) generated: Option<Ident>,
    pub(crate) required: Option<bool>,
    pub(crate) rename: Option<LitStr>,
    pub(crate) column: Option<LitStr>,
    pub(crate) connector_settings: Vec<(String, Map<String, Json>)>,
    pub(crate) ty: Option<PropType>,
    pub(crate) default: Option<Spanned<DefaultAttr>>,
    pub(crate) default_fn: Option<Spanned<DefaultFnAttr>>,
    /// `index` (false) or `index(unique)` / `unique` (true).
    pub(crate) index: Option<bool>,
    pub(crate) hidden: Option<Ident>,
    pub(crate) protected: Option<Ident>,
    pub(crate) description: Option<LitStr>,
    pub(crate) skip: Option<Ident>,
    pub(crate) validations: Vec<ValidationAttr>,
    /// Every keyword given, in order, for rules about combinations.
    pub(crate) keywords: Vec<(FieldKw, Ident)>,
}

/// One rule from `validate(...)`.
pub(crate) struct ValidationAttr {
    pub(crate) kind: ValidationKindAttr,
    pub(crate) message: Option<Json>,
    pub(crate) allow_null: bool,
    pub(crate) allow_blank: bool,
    pub(crate) code: Option<String>,
    pub(crate) if_: Option<String>,
    pub(crate) unless: Option<String>,
}

/// What a validation checks.
pub(crate) enum ValidationKindAttr {
    Presence,
    Absence,
    Length {
        min: Option<u64>,
        max: Option<u64>,
        is: Option<u64>,
    },
    Format {
        with: Option<String>,
        without: Option<String>,
    },
    Numericality {
        int: bool,
    },
    Inclusion(Vec<LitValue>),
    Exclusion(Vec<LitValue>),
    Uniqueness {
        scoped_to: Vec<LitStr>,
        ignore_case: bool,
    },
    Custom(String),
}

/// Reads a connector group (`postgresql(column_name = "x", data_length = 20)`) into the JSON
/// object LB3 keeps under the connector's name, camel-casing the keys.
pub(crate) fn connector_group<K: keyword::KeywordSet>(
    cx: &crate::ctxt::Ctxt,
    kw: K,
    meta: meta::Meta,
) -> Option<(String, Map<String, Json>)> {
    let items = value::want_group(cx, kw, meta)?;
    let mut map = Map::new();
    let mut seen: Vec<String> = Vec::new();
    for item in items {
        match &item {
            meta::Meta::NameValue { key, value } => {
                let name = key.to_string();
                if seen.contains(&name) {
                    cx.error_spanned_by(key, format!("duplicate `{name}` in `{}(...)`", kw.name()));
                    continue;
                }
                seen.push(name.clone());
                match value::literal(value) {
                    Some(v) => {
                        map.insert(RenameRule::Camel.apply(&name), v.to_json());
                    }
                    None => cx.error_spanned_by(
                        value,
                        format!(
                            "`{}(...)` settings take literal values: `{}`",
                            kw.name(),
                            kw.syntax()
                        ),
                    ),
                }
            }
            other => cx.error_spanned_by(
                other,
                format!(
                    "`{}(...)` takes `key = value` settings: `{}`",
                    kw.name(),
                    kw.syntax()
                ),
            ),
        }
    }
    Some((kw.name().to_owned(), map))
}

#[cfg(test)]
mod tests {
    use super::field::parse_type;
    use super::{PropType, RenameRule};

    #[test]
    fn rename_rules() {
        assert_eq!(RenameRule::Camel.apply("author_id"), "authorId");
        assert_eq!(RenameRule::Camel.apply("r#type"), "type");
        assert_eq!(RenameRule::Camel.apply("_private_note"), "_privateNote");
        assert_eq!(RenameRule::Camel.apply("isbn"), "isbn");
        assert_eq!(RenameRule::Snake.apply("author_id"), "author_id");
        assert_eq!(RenameRule::Pascal.apply("author_id"), "AuthorId");
    }

    #[test]
    fn type_names() {
        assert_eq!(parse_type("String"), Some(PropType::String));
        assert_eq!(parse_type("text"), Some(PropType::String));
        assert_eq!(
            parse_type("[number]"),
            Some(PropType::Array(Box::new(PropType::Number)))
        );
        assert_eq!(
            parse_type("[]"),
            Some(PropType::Array(Box::new(PropType::Any)))
        );
        assert_eq!(
            parse_type("array"),
            Some(PropType::Array(Box::new(PropType::Any)))
        );
        assert_eq!(
            parse_type("Address"),
            Some(PropType::Model("Address".into()))
        );
        assert_eq!(parse_type("list of strings"), None);
        assert_eq!(parse_type(""), None);
    }
}
