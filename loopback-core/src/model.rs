//! Model definitions: the one runtime description of a model, whether it comes from
//! `#[derive(Model)]` or from a LoopBack 3 model JSON file.
//!
//! A [`ModelDefinition`] round-trips through LB3 JSON: [`ModelDefinition::from_lb3_json`] reads
//! every documented key (unknown keys are kept in `extra` so nothing is lost), and
//! [`ModelDefinition::to_lb3_json`] writes them back.

use indexmap::IndexMap;
use serde_json::{json, Map, Value as Json};

use crate::error::{Error, Result};
use crate::validation::ValidationRule;
use crate::value::Value;

/// The declared type of a property.
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyType {
    /// `string`.
    String,
    /// `number` (integers and floats are kept apart in [`Value`]).
    Number,
    /// `boolean`.
    Boolean,
    /// `date`.
    Date,
    /// `buffer`.
    Buffer,
    /// `geopoint`.
    GeoPoint,
    /// `object`: any JSON object.
    Object,
    /// `any`: no type checks, no coercion.
    Any,
    /// `[T]`: an array whose elements have type `T` (`array` alone is `[any]`).
    Array(Box<PropertyType>),
    /// The name of another model, used as a nested (embedded) type.
    Model(String),
}

impl PropertyType {
    /// Parses an LB3 type: a name (case-insensitive for built-in types), or a one-element array.
    pub fn from_json(v: &Json, path: &str) -> Result<Self> {
        match v {
            Json::String(s) => Ok(Self::from_name(s)),
            Json::Array(a) if a.is_empty() => Ok(PropertyType::Array(Box::new(PropertyType::Any))),
            Json::Array(a) if a.len() == 1 => Ok(PropertyType::Array(Box::new(Self::from_json(
                &a[0],
                &format!("{path}[0]"),
            )?))),
            Json::Object(o) if o.contains_key("type") => Self::from_json(&o["type"], path),
            Json::Object(_) => Ok(PropertyType::Object),
            other => Err(Error::definition(
                path,
                format!("`{other}` is not a property type"),
            )),
        }
    }

    /// Maps a type name; unknown names are treated as model names.
    pub fn from_name(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "string" | "text" => PropertyType::String,
            "number" => PropertyType::Number,
            "boolean" => PropertyType::Boolean,
            "date" => PropertyType::Date,
            "buffer" => PropertyType::Buffer,
            "geopoint" => PropertyType::GeoPoint,
            "object" => PropertyType::Object,
            "any" => PropertyType::Any,
            "array" => PropertyType::Array(Box::new(PropertyType::Any)),
            _ => PropertyType::Model(s.to_owned()),
        }
    }

    /// The LB3 JSON form of this type.
    pub fn to_json(&self) -> Json {
        match self {
            PropertyType::Array(t) if **t == PropertyType::Any => json!("array"),
            PropertyType::Array(t) => json!([t.to_json()]),
            PropertyType::Model(m) => json!(m),
            other => json!(other.name()),
        }
    }

    /// The lower-case name of a scalar type (`array`/model name for the others).
    pub fn name(&self) -> &str {
        match self {
            PropertyType::String => "string",
            PropertyType::Number => "number",
            PropertyType::Boolean => "boolean",
            PropertyType::Date => "date",
            PropertyType::Buffer => "buffer",
            PropertyType::GeoPoint => "geopoint",
            PropertyType::Object => "object",
            PropertyType::Any => "any",
            PropertyType::Array(_) => "array",
            PropertyType::Model(m) => m,
        }
    }
}

/// A property's default value.
#[derive(Debug, Clone, PartialEq)]
pub enum DefaultValue {
    /// A literal value.
    Value(Value),
    /// `"$now"` on a date property: the time of creation.
    Now,
    /// `defaultFn: "uuid"` / `"uuidv4"` / `"guid"`: a random UUID string.
    Uuid,
    /// `defaultFn: "now"`.
    NowFn,
}

/// `index` on a property: `true` or `{unique: true}` or a full definition.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyIndex {
    /// Whether the index is unique.
    pub unique: bool,
    /// The raw LB3 JSON (kept for round-trips and connector-specific keys).
    pub raw: Json,
}

/// One property of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyDefinition {
    /// Property name as it appears on the wire and in LB3 JSON.
    pub name: String,
    /// Declared type.
    pub ty: PropertyType,
    /// Whether a value is required (presence validation).
    pub required: bool,
    /// Id position: `Some(1)` for `"id": true` or the number given for composite ids.
    pub id: Option<u32>,
    /// Whether the data source generates the value (auto-increment, generated UUID).
    pub generated: bool,
    /// Default value, if any.
    pub default: Option<DefaultValue>,
    /// Index declared on the property.
    pub index: Option<PropertyIndex>,
    /// Description for docs and OpenAPI.
    pub description: Option<String>,
    /// Whether the property is hidden from output (also listed in the model's `hidden`).
    pub hidden: bool,
    /// Whether the property is protected (omitted when nested).
    pub protected: bool,
    /// Per-connector settings keyed by connector name (`postgresql`, `mysql`, `sqlite3`):
    /// `columnName`, `dataType`, `dataLength`, `nullable`, ...
    pub connector_settings: IndexMap<String, Json>,
    /// Every other key of the LB3 property definition, kept verbatim.
    pub extra: Map<String, Json>,
}

impl PropertyDefinition {
    /// A property with only a name and a type.
    pub fn new(name: impl Into<String>, ty: PropertyType) -> Self {
        PropertyDefinition {
            name: name.into(),
            ty,
            required: false,
            id: None,
            generated: false,
            default: None,
            index: None,
            description: None,
            hidden: false,
            protected: false,
            connector_settings: IndexMap::new(),
            extra: Map::new(),
        }
    }

    /// The column name for a connector, if one is configured in its settings.
    pub fn column_name(&self, connector: &str) -> Option<&str> {
        self.connector_settings
            .get(connector)?
            .get("columnName")?
            .as_str()
    }
}

/// The kind of a relation, as named by LB3's `type` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RelationKind {
    /// `belongsTo`.
    BelongsTo,
    /// `hasOne`.
    HasOne,
    /// `hasMany` (with `through`: has-many-through).
    HasMany,
    /// `hasAndBelongsToMany`.
    HasAndBelongsToMany,
    /// `embedsOne`.
    EmbedsOne,
    /// `embedsMany`.
    EmbedsMany,
    /// `referencesMany`.
    ReferencesMany,
}

impl RelationKind {
    /// Parses LB3's relation type name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "belongsTo" => RelationKind::BelongsTo,
            "hasOne" => RelationKind::HasOne,
            "hasMany" => RelationKind::HasMany,
            "hasAndBelongsToMany" => RelationKind::HasAndBelongsToMany,
            "embedsOne" => RelationKind::EmbedsOne,
            "embedsMany" => RelationKind::EmbedsMany,
            "referencesMany" => RelationKind::ReferencesMany,
            _ => return None,
        })
    }

    /// LB3's name for the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            RelationKind::BelongsTo => "belongsTo",
            RelationKind::HasOne => "hasOne",
            RelationKind::HasMany => "hasMany",
            RelationKind::HasAndBelongsToMany => "hasAndBelongsToMany",
            RelationKind::EmbedsOne => "embedsOne",
            RelationKind::EmbedsMany => "embedsMany",
            RelationKind::ReferencesMany => "referencesMany",
        }
    }
}

/// A relation as declared on a model. Resolution of defaults (foreign key names, through models)
/// happens when models are attached to a registry.
#[derive(Debug, Clone, PartialEq)]
pub struct RelationDefinition {
    /// Relation name (the key in `relations`).
    pub name: String,
    /// Relation kind.
    pub kind: RelationKind,
    /// Target model name.
    pub model: Option<String>,
    /// `foreignKey`.
    pub foreign_key: Option<String>,
    /// `primaryKey` (LB3's keyFrom for hasMany/hasOne, keyTo for belongsTo).
    pub primary_key: Option<String>,
    /// `through` model for has-many-through.
    pub through: Option<String>,
    /// `keyThrough`.
    pub key_through: Option<String>,
    /// `polymorphic`: a name string or an object with `as`, `foreignKey`, `discriminator`,
    /// `idType`, `selector`.
    pub polymorphic: Option<Json>,
    /// Embedded relations: the property holding the data.
    pub property: Option<String>,
    /// Relation `scope` (a filter).
    pub scope: Option<Json>,
    /// Relation `options` (`disableInclude`, `validate`, `forceId`, `persistent`, ...).
    pub options: Map<String, Json>,
    /// Every other key, kept verbatim (`properties`, `invertProperties`, `methods`, ...).
    pub extra: Map<String, Json>,
}

impl RelationDefinition {
    /// The relation's LB3 `nestRemoting` setting (`"options": {"nestRemoting": true}`): `None`
    /// when it is not nested. An object value (`{"pathName": …, "paramName": …, "hooks":
    /// false}`) carries the other arguments of LB3's `Model.nestRemoting`.
    pub fn nest_remoting(&self) -> Option<NestRemoting> {
        NestRemoting::from_option(self.options.get("nestRemoting")?)
    }
}

/// The settings of LB3's `Model.nestRemoting(relationName, options)`: the relation routes of
/// the related model served again under this relation's path
/// (`/authors/:id/books/:nk/reviews`). Set with
/// [`ModelHandle::nest_remoting`](crate::ModelHandle::nest_remoting) or the relation option
/// `nestRemoting`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NestRemoting {
    /// The path segment of the relation in the nested routes (LB3's `pathName`); `None` for
    /// the relation's `options.path`, else its name.
    pub path_name: Option<String>,
    /// The name of the path parameter holding the related id of to-many relations (LB3's
    /// `paramName`, default `nk`).
    pub param_name: String,
    /// Whether the `beforeRemote`/`afterRemote` hooks of the related model's relation methods
    /// also run around the nested methods (LB3's `hooks`, default `true`).
    pub hooks: bool,
}

impl Default for NestRemoting {
    fn default() -> Self {
        NestRemoting {
            path_name: None,
            param_name: "nk".to_owned(),
            hooks: true,
        }
    }
}

impl NestRemoting {
    /// Reads a relation's `options.nestRemoting` value: a truthy scalar is the defaults, an
    /// object sets `pathName`, `paramName` and `hooks`; falsy values are `None`.
    pub fn from_option(value: &Json) -> Option<NestRemoting> {
        let text = |v: Option<&Json>| {
            v.and_then(Json::as_str)
                .map(|s| s.trim_matches('/'))
                .filter(|s| !s.is_empty() && !s.contains('/'))
                .map(str::to_owned)
        };
        match value {
            Json::Null | Json::Bool(false) => None,
            Json::Number(n) if n.as_f64() == Some(0.0) => None,
            Json::String(s) if s.is_empty() => None,
            Json::Object(o) => {
                let mut n = NestRemoting {
                    path_name: text(o.get("pathName")),
                    ..NestRemoting::default()
                };
                // `id` and `fk` name the other parameters of the nested routes.
                if let Some(p) = text(o.get("paramName")).filter(|p| p != "id" && p != "fk") {
                    n.param_name = p;
                }
                if o.get("hooks") == Some(&Json::Bool(false)) {
                    n.hooks = false;
                }
                Some(n)
            }
            _ => Some(NestRemoting::default()),
        }
    }

    /// The `options.nestRemoting` value that [`NestRemoting::from_option`] reads back:
    /// `true` for the defaults, else an object.
    pub fn to_option(&self) -> Json {
        if *self == NestRemoting::default() {
            return Json::Bool(true);
        }
        let mut o = Map::new();
        if let Some(p) = &self.path_name {
            o.insert("pathName".into(), Json::String(p.clone()));
        }
        if self.param_name != "nk" {
            o.insert("paramName".into(), Json::String(self.param_name.clone()));
        }
        if !self.hooks {
            o.insert("hooks".into(), Json::Bool(false));
        }
        Json::Object(o)
    }
}

/// One static ACL entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AclEntry {
    /// `principalType`: `ROLE`, `USER`, `APP` (or a custom type).
    pub principal_type: String,
    /// `principalId`: a role name such as `$everyone`, or a user/app id.
    pub principal_id: String,
    /// `ALLOW`, `DENY` (or `DEFAULT`).
    pub permission: String,
    /// `READ`, `WRITE`, `EXECUTE` or `*`.
    pub access_type: String,
    /// Method or property names, `*` for all.
    pub property: Vec<String>,
    /// Other keys kept verbatim.
    pub extra: Map<String, Json>,
}

/// `strict` mode for unknown properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strict {
    /// Unknown properties are kept (the default).
    #[default]
    False,
    /// Unknown properties fail validation with code `unknown-property`.
    True,
    /// Unknown properties are dropped silently.
    Filter,
    /// Treated as `True`, as juggler 3.x does.
    Throw,
}

impl Strict {
    fn from_json(v: &Json, path: &str) -> Result<Self> {
        match v {
            Json::Bool(false) => Ok(Strict::False),
            Json::Bool(true) => Ok(Strict::True),
            Json::String(s) if s == "filter" => Ok(Strict::Filter),
            Json::String(s) if s == "throw" => Ok(Strict::Throw),
            Json::String(s) if s == "validate" => Ok(Strict::True),
            other => Err(Error::definition(
                path,
                format!("`strict` must be true, false, \"filter\" or \"throw\", not {other}"),
            )),
        }
    }

    fn to_json(self) -> Json {
        match self {
            Strict::False => json!(false),
            Strict::True => json!(true),
            Strict::Filter => json!("filter"),
            Strict::Throw => json!("throw"),
        }
    }
}

/// A composite or named index from the model's `indexes` key.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexDefinition {
    /// Index name.
    pub name: String,
    /// Columns (property names) with their direction: `1` ascending, `-1` descending.
    pub keys: Vec<(String, i32)>,
    /// Whether the index is unique.
    pub unique: bool,
    /// The raw LB3 JSON.
    pub raw: Json,
}

/// The definition of one model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelDefinition {
    /// Model name.
    pub name: String,
    /// Custom plural (`plural`).
    pub plural: Option<String>,
    /// Base model name (`base`); `None` means LB3's default for the origin.
    pub base: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `strict`.
    pub strict: Option<Strict>,
    /// `idInjection`.
    pub id_injection: Option<bool>,
    /// `forceId`.
    pub force_id: Option<bool>,
    /// `replaceOnPUT`.
    pub replace_on_put: Option<bool>,
    /// `http.path`.
    pub http_path: Option<String>,
    /// `options` (e.g. `validateUpsert`).
    pub options: Map<String, Json>,
    /// Properties in declaration order.
    pub properties: IndexMap<String, PropertyDefinition>,
    /// Declarative validations (`validations`).
    pub validations: Vec<ValidationRule>,
    /// Relations in declaration order.
    pub relations: IndexMap<String, RelationDefinition>,
    /// Static ACLs.
    pub acls: Vec<AclEntry>,
    /// Default scope (`scope`), a filter object.
    pub scope: Option<Json>,
    /// Named scopes (`scopes`).
    pub scopes: IndexMap<String, Json>,
    /// Model-level indexes (`indexes`).
    pub indexes: IndexMap<String, IndexDefinition>,
    /// Remote method declarations (`methods`), kept as JSON for the REST layer.
    pub methods: Map<String, Json>,
    /// Hidden properties (`hidden`).
    pub hidden: Vec<String>,
    /// Protected properties (`protected`).
    pub protected: Vec<String>,
    /// `mixins`.
    pub mixins: Map<String, Json>,
    /// Connector-specific model settings (`postgresql: {schema, table}`, `mysql`, `sqlite3`).
    pub connector_settings: IndexMap<String, Json>,
    /// Every other top-level key, kept verbatim.
    pub extra: Map<String, Json>,
}

const CONNECTOR_KEYS: &[&str] = &[
    "postgresql",
    "mysql",
    "sqlite3",
    "memory",
    "mongodb",
    "mssql",
    "oracle",
];

impl ModelDefinition {
    /// An empty definition named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        ModelDefinition {
            name: name.into(),
            plural: None,
            base: None,
            description: None,
            strict: None,
            id_injection: None,
            force_id: None,
            replace_on_put: None,
            http_path: None,
            options: Map::new(),
            properties: IndexMap::new(),
            validations: Vec::new(),
            relations: IndexMap::new(),
            acls: Vec::new(),
            scope: None,
            scopes: IndexMap::new(),
            indexes: IndexMap::new(),
            methods: Map::new(),
            hidden: Vec::new(),
            protected: Vec::new(),
            mixins: Map::new(),
            connector_settings: IndexMap::new(),
            extra: Map::new(),
        }
    }

    /// Effective `strict` mode.
    pub fn strict_mode(&self) -> Strict {
        self.strict.unwrap_or_default()
    }

    /// Effective `idInjection` (default true).
    pub fn id_injection(&self) -> bool {
        self.id_injection.unwrap_or(true)
    }

    /// Effective `replaceOnPUT` (default true in LB3).
    pub fn replace_on_put(&self) -> bool {
        self.replace_on_put.unwrap_or(true)
    }

    /// Whether clients may not set the id on create: `forceId`, which LB3 turns on by default for
    /// generated ids.
    pub fn force_id(&self) -> bool {
        match self.force_id {
            Some(f) => f,
            None => self.id_properties().next().is_some_and(|p| p.generated),
        }
    }

    /// `options.validateUpsert`.
    pub fn validate_upsert(&self) -> bool {
        self.options
            .get("validateUpsert")
            .and_then(Json::as_bool)
            .unwrap_or(false)
    }

    /// The plural used for REST paths: `plural`, else the English plural of the name.
    pub fn plural_name(&self) -> String {
        self.plural.clone().unwrap_or_else(|| pluralize(&self.name))
    }

    /// The REST path segment: `http.path`, else the plural.
    pub fn http_path_segment(&self) -> String {
        self.http_path
            .as_deref()
            .map(|p| p.trim_start_matches('/').to_owned())
            .unwrap_or_else(|| self.plural_name())
    }

    /// Id properties in id order.
    pub fn id_properties(&self) -> impl Iterator<Item = &PropertyDefinition> {
        let mut ids: Vec<&PropertyDefinition> = self
            .properties
            .values()
            .filter(|p| p.id.is_some())
            .collect();
        ids.sort_by_key(|p| p.id);
        ids.into_iter()
    }

    /// The (first) id property name; `id` when none is declared.
    pub fn id_name(&self) -> &str {
        self.id_properties()
            .next()
            .map_or("id", |p| p.name.as_str())
    }

    /// A property by name.
    pub fn property(&self, name: &str) -> Option<&PropertyDefinition> {
        self.properties.get(name)
    }

    /// Whether `name` is hidden.
    pub fn is_hidden(&self, name: &str) -> bool {
        self.hidden.iter().any(|h| h == name)
    }

    /// Whether clients never see `name`: listed in `hidden` or flagged on the property.
    pub fn hides(&self, name: &str) -> bool {
        self.is_hidden(name) || self.property(name).is_some_and(|p| p.hidden)
    }

    /// A model setting as LB3 reads `Model.settings`: from `options`, else a top-level key of
    /// the model JSON (LB3 merges both into the settings).
    pub fn setting(&self, key: &str) -> Option<&Json> {
        self.options.get(key).or_else(|| self.extra.get(key))
    }

    /// Whether `name` is protected.
    pub fn is_protected(&self, name: &str) -> bool {
        self.protected.iter().any(|h| h == name)
    }

    /// Adds the injected `id` property when `idInjection` is on and no id is declared, as LB3
    /// does: `{type: number, id: true, generated: true}`.
    pub fn inject_id(&mut self) {
        if self.id_injection() && !self.properties.values().any(|p| p.id.is_some()) {
            let mut p = PropertyDefinition::new("id", PropertyType::Number);
            p.id = Some(1);
            p.generated = true;
            let mut props = IndexMap::with_capacity(self.properties.len() + 1);
            props.insert("id".to_owned(), p);
            props.extend(self.properties.drain(..));
            self.properties = props;
        }
    }

    /// Merges a base model's definition under this one, as LB3's `extend` does: base
    /// properties come first unless redefined, settings not set here are inherited, ACLs
    /// and validations of the base come first.
    pub fn inherit_from(&mut self, base: &ModelDefinition) {
        let mut props = base.properties.clone();
        for (k, v) in self.properties.drain(..) {
            props.insert(k, v);
        }
        // An own id replaces an inherited one.
        if props.values().filter(|p| p.id.is_some()).count() > 1 {
            let own_ids: Vec<String> = props
                .values()
                .filter(|p| p.id.is_some() && !base.properties.contains_key(&p.name))
                .map(|p| p.name.clone())
                .collect();
            if !own_ids.is_empty() {
                props.retain(|k, p| p.id.is_none() || own_ids.contains(k));
            }
        }
        self.properties = props;
        let mut relations = base.relations.clone();
        relations.extend(self.relations.drain(..));
        self.relations = relations;
        let mut acls = base.acls.clone();
        acls.append(&mut self.acls);
        self.acls = acls;
        let mut validations = base.validations.clone();
        validations.append(&mut self.validations);
        self.validations = validations;
        for h in &base.hidden {
            if !self.hidden.contains(h) {
                self.hidden.push(h.clone());
            }
        }
        for h in &base.protected {
            if !self.protected.contains(h) {
                self.protected.push(h.clone());
            }
        }
        macro_rules! inherit {
            ($($f:ident),*) => {$( if self.$f.is_none() { self.$f = base.$f.clone(); } )*};
        }
        inherit!(
            strict,
            id_injection,
            force_id,
            replace_on_put,
            scope,
            description
        );
        for (k, v) in &base.options {
            self.options.entry(k.clone()).or_insert_with(|| v.clone());
        }
        for (k, v) in &base.scopes {
            self.scopes.entry(k.clone()).or_insert_with(|| v.clone());
        }
        for (k, v) in &base.methods {
            self.methods.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }

    /// Reads an LB3 model definition (the contents of `common/models/<name>.json`).
    pub fn from_lb3_json(json: &Json) -> Result<Self> {
        let obj = json
            .as_object()
            .ok_or_else(|| Error::definition("$", "a model definition must be a JSON object"))?;
        let name = obj
            .get("name")
            .and_then(Json::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::definition("name", "a model needs a non-empty string `name`"))?;
        let mut def = ModelDefinition::new(name);
        let at = |k: &str| format!("{name}.{k}");
        for (key, v) in obj {
            match key.as_str() {
                "name" => {}
                "plural" => def.plural = Some(expect_str(v, &at(key))?.to_owned()),
                "base" => def.base = Some(expect_str(v, &at(key))?.to_owned()),
                "description" => def.description = Some(description(v, &at(key))?),
                "strict" => def.strict = Some(Strict::from_json(v, &at(key))?),
                "idInjection" => def.id_injection = Some(expect_bool(v, &at(key))?),
                "forceId" => def.force_id = Some(expect_bool(v, &at(key))?),
                "replaceOnPUT" => def.replace_on_put = Some(expect_bool(v, &at(key))?),
                "http" => {
                    let o = expect_obj(v, &at(key))?;
                    for (hk, hv) in o {
                        match hk.as_str() {
                            "path" => {
                                def.http_path = Some(expect_str(hv, &at("http.path"))?.to_owned())
                            }
                            _ => {
                                return Err(Error::definition(
                                    at(&format!("http.{hk}")),
                                    "unknown key; `http` supports only `path`",
                                ))
                            }
                        }
                    }
                }
                "options" => def.options = expect_obj(v, &at(key))?.clone(),
                "properties" => {
                    for (pname, pv) in expect_obj(v, &at(key))? {
                        let p = parse_property(pname, pv, &at(&format!("properties.{pname}")))?;
                        def.properties.insert(pname.clone(), p);
                    }
                }
                "validations" => {
                    let arr = match v {
                        Json::Array(a) => a.clone(),
                        Json::Object(o) if o.is_empty() => Vec::new(),
                        _ => {
                            return Err(Error::definition(
                                at(key),
                                "`validations` must be an array",
                            ))
                        }
                    };
                    for (i, rv) in arr.iter().enumerate() {
                        def.validations.push(ValidationRule::from_json(
                            rv,
                            &at(&format!("validations[{i}]")),
                        )?);
                    }
                }
                "relations" => {
                    for (rname, rv) in expect_obj(v, &at(key))? {
                        let r = parse_relation(rname, rv, &at(&format!("relations.{rname}")))?;
                        def.relations.insert(rname.clone(), r);
                    }
                }
                "acls" => {
                    let arr = v
                        .as_array()
                        .ok_or_else(|| Error::definition(at(key), "`acls` must be an array"))?;
                    for (i, av) in arr.iter().enumerate() {
                        def.acls.push(parse_acl(av, &at(&format!("acls[{i}]")))?);
                    }
                }
                "scope" => {
                    expect_obj(v, &at(key))?;
                    def.scope = Some(v.clone());
                }
                "scopes" => {
                    for (sname, sv) in expect_obj(v, &at(key))? {
                        expect_obj(sv, &at(&format!("scopes.{sname}")))?;
                        def.scopes.insert(sname.clone(), sv.clone());
                    }
                }
                "indexes" => {
                    for (iname, iv) in expect_obj(v, &at(key))? {
                        def.indexes.insert(
                            iname.clone(),
                            parse_index(iname, iv, &at(&format!("indexes.{iname}")))?,
                        );
                    }
                }
                "methods" => match v {
                    Json::Object(o) => def.methods = o.clone(),
                    Json::Array(a) if a.is_empty() => {}
                    _ => return Err(Error::definition(at(key), "`methods` must be an object")),
                },
                "hidden" => def.hidden = string_list(v, &at(key))?,
                "protected" => def.protected = string_list(v, &at(key))?,
                "mixins" => def.mixins = expect_obj(v, &at(key))?.clone(),
                k if CONNECTOR_KEYS.contains(&k) => {
                    def.connector_settings.insert(k.to_owned(), v.clone());
                }
                _ => {
                    def.extra.insert(key.clone(), v.clone());
                }
            }
        }
        for h in def.hidden.clone() {
            if let Some(p) = def.properties.get_mut(&h) {
                p.hidden = true;
            }
        }
        for h in def.protected.clone() {
            if let Some(p) = def.properties.get_mut(&h) {
                p.protected = true;
            }
        }
        Ok(def)
    }

    /// Parses LB3 model JSON text; syntax errors carry line and column.
    pub fn from_lb3_str(text: &str) -> Result<Self> {
        let json: Json = serde_json::from_str(text).map_err(|e| {
            Error::definition(
                format!("line {} column {}", e.line(), e.column()),
                e.to_string(),
            )
        })?;
        Self::from_lb3_json(&json)
    }

    /// Writes the definition back as LB3 model JSON.
    pub fn to_lb3_json(&self) -> Json {
        let mut o = Map::new();
        o.insert("name".into(), json!(self.name));
        if let Some(p) = &self.plural {
            o.insert("plural".into(), json!(p));
        }
        if let Some(b) = &self.base {
            o.insert("base".into(), json!(b));
        }
        if let Some(d) = &self.description {
            o.insert("description".into(), json!(d));
        }
        if let Some(s) = self.strict {
            o.insert("strict".into(), s.to_json());
        }
        if let Some(b) = self.id_injection {
            o.insert("idInjection".into(), json!(b));
        }
        if let Some(b) = self.force_id {
            o.insert("forceId".into(), json!(b));
        }
        if let Some(b) = self.replace_on_put {
            o.insert("replaceOnPUT".into(), json!(b));
        }
        if let Some(p) = &self.http_path {
            o.insert("http".into(), json!({ "path": p }));
        }
        if !self.options.is_empty() {
            o.insert("options".into(), Json::Object(self.options.clone()));
        }
        for (k, v) in &self.connector_settings {
            o.insert(k.clone(), v.clone());
        }
        if !self.mixins.is_empty() {
            o.insert("mixins".into(), Json::Object(self.mixins.clone()));
        }
        let props: Map<String, Json> = self
            .properties
            .iter()
            .map(|(k, p)| (k.clone(), property_to_json(p)))
            .collect();
        o.insert("properties".into(), Json::Object(props));
        if !self.hidden.is_empty() {
            o.insert("hidden".into(), json!(self.hidden));
        }
        if !self.protected.is_empty() {
            o.insert("protected".into(), json!(self.protected));
        }
        o.insert(
            "validations".into(),
            Json::Array(
                self.validations
                    .iter()
                    .map(ValidationRule::to_json)
                    .collect(),
            ),
        );
        let rels: Map<String, Json> = self
            .relations
            .iter()
            .map(|(k, r)| (k.clone(), relation_to_json(r)))
            .collect();
        o.insert("relations".into(), Json::Object(rels));
        o.insert(
            "acls".into(),
            Json::Array(self.acls.iter().map(acl_to_json).collect()),
        );
        if let Some(s) = &self.scope {
            o.insert("scope".into(), s.clone());
        }
        if !self.scopes.is_empty() {
            o.insert("scopes".into(), json!(self.scopes));
        }
        if !self.indexes.is_empty() {
            let ix: Map<String, Json> = self
                .indexes
                .iter()
                .map(|(k, i)| (k.clone(), i.raw.clone()))
                .collect();
            o.insert("indexes".into(), Json::Object(ix));
        }
        o.insert("methods".into(), Json::Object(self.methods.clone()));
        for (k, v) in &self.extra {
            o.insert(k.clone(), v.clone());
        }
        Json::Object(o)
    }
}

pub use crate::inflect::pluralize;

fn expect_str<'a>(v: &'a Json, path: &str) -> Result<&'a str> {
    v.as_str()
        .ok_or_else(|| Error::definition(path, format!("expected a string, found {v}")))
}

fn expect_bool(v: &Json, path: &str) -> Result<bool> {
    v.as_bool()
        .ok_or_else(|| Error::definition(path, format!("expected true or false, found {v}")))
}

fn expect_obj<'a>(v: &'a Json, path: &str) -> Result<&'a Map<String, Json>> {
    v.as_object()
        .ok_or_else(|| Error::definition(path, format!("expected an object, found {v}")))
}

fn description(v: &Json, path: &str) -> Result<String> {
    match v {
        Json::String(s) => Ok(s.clone()),
        Json::Array(a) => a
            .iter()
            .map(|l| expect_str(l, path).map(str::to_owned))
            .collect::<Result<Vec<_>>>()
            .map(|v| v.join("\n")),
        _ => Err(Error::definition(
            path,
            "`description` must be a string or an array of strings",
        )),
    }
}

fn string_list(v: &Json, path: &str) -> Result<Vec<String>> {
    let a = v
        .as_array()
        .ok_or_else(|| Error::definition(path, "expected an array of property names"))?;
    a.iter()
        .map(|s| expect_str(s, path).map(str::to_owned))
        .collect()
}

fn parse_property(name: &str, v: &Json, path: &str) -> Result<PropertyDefinition> {
    if name.is_empty() || name.starts_with('$') || crate::filter::is_forbidden_key(name) {
        return Err(Error::definition(
            path,
            format!("`{name}` is not an allowed property name"),
        ));
    }
    let obj = match v {
        Json::String(_) | Json::Array(_) => {
            return Ok(PropertyDefinition::new(
                name,
                PropertyType::from_json(v, path)?,
            ))
        }
        Json::Object(o) => o,
        _ => {
            return Err(Error::definition(
                path,
                "a property must be a type name or an object",
            ))
        }
    };
    let ty = match obj.get("type") {
        Some(t) => PropertyType::from_json(t, &format!("{path}.type"))?,
        None => PropertyType::Any,
    };
    let mut p = PropertyDefinition::new(name, ty);
    let mut default_fn = None;
    for (k, kv) in obj {
        let kp = format!("{path}.{k}");
        match k.as_str() {
            "type" => {}
            "required" => p.required = expect_bool(kv, &kp)?,
            "id" => {
                p.id = match kv {
                    Json::Bool(true) => Some(1),
                    Json::Bool(false) | Json::Null => None,
                    Json::Number(n) => {
                        Some(n.as_u64().filter(|&n| n > 0 && n < 100).ok_or_else(|| {
                            Error::definition(&kp, "`id` must be true or a position from 1")
                        })? as u32)
                    }
                    _ => return Err(Error::definition(&kp, "`id` must be true or a number")),
                }
            }
            "generated" => p.generated = expect_bool(kv, &kp)?,
            "default" => {
                p.default = Some(match kv {
                    Json::String(s) if s == "$now" => DefaultValue::Now,
                    other => DefaultValue::Value(Value::from_json(other)),
                })
            }
            "defaultFn" => default_fn = Some(expect_str(kv, &kp)?.to_owned()),
            "index" => {
                let unique = match kv {
                    Json::Bool(_) => false,
                    Json::Object(o) => o.get("unique").and_then(Json::as_bool).unwrap_or(false),
                    _ => return Err(Error::definition(&kp, "`index` must be true or an object")),
                };
                if kv != &Json::Bool(false) {
                    p.index = Some(PropertyIndex {
                        unique,
                        raw: kv.clone(),
                    });
                }
            }
            "description" => p.description = Some(description(kv, &kp)?),
            "hidden" => p.hidden = expect_bool(kv, &kp)?,
            "protected" => p.protected = expect_bool(kv, &kp)?,
            c if CONNECTOR_KEYS.contains(&c) => {
                expect_obj(kv, &kp)?;
                p.connector_settings.insert(c.to_owned(), kv.clone());
            }
            _ => {
                p.extra.insert(k.clone(), kv.clone());
            }
        }
    }
    if let Some(f) = default_fn {
        p.default = Some(match f.as_str() {
            "uuid" | "uuidv4" | "guid" => DefaultValue::Uuid,
            "now" => DefaultValue::NowFn,
            other => {
                return Err(Error::definition(
                    format!("{path}.defaultFn"),
                    format!("unknown defaultFn `{other}`; use uuid, uuidv4, guid or now"),
                ))
            }
        });
    }
    Ok(p)
}

fn property_to_json(p: &PropertyDefinition) -> Json {
    let mut o = Map::new();
    o.insert("type".into(), p.ty.to_json());
    if p.required {
        o.insert("required".into(), json!(true));
    }
    match p.id {
        Some(1) => {
            o.insert("id".into(), json!(true));
        }
        Some(n) => {
            o.insert("id".into(), json!(n));
        }
        None => {}
    }
    if p.generated {
        o.insert("generated".into(), json!(true));
    }
    match &p.default {
        Some(DefaultValue::Value(v)) => {
            o.insert("default".into(), v.to_json());
        }
        Some(DefaultValue::Now) => {
            o.insert("default".into(), json!("$now"));
        }
        Some(DefaultValue::Uuid) => {
            o.insert("defaultFn".into(), json!("uuidv4"));
        }
        Some(DefaultValue::NowFn) => {
            o.insert("defaultFn".into(), json!("now"));
        }
        None => {}
    }
    if let Some(i) = &p.index {
        o.insert("index".into(), i.raw.clone());
    }
    if let Some(d) = &p.description {
        o.insert("description".into(), json!(d));
    }
    for (k, v) in &p.connector_settings {
        o.insert(k.clone(), v.clone());
    }
    for (k, v) in &p.extra {
        o.insert(k.clone(), v.clone());
    }
    Json::Object(o)
}

fn parse_relation(name: &str, v: &Json, path: &str) -> Result<RelationDefinition> {
    let obj = expect_obj(v, path)?;
    let ty = obj
        .get("type")
        .ok_or_else(|| Error::definition(path, "a relation needs a `type`"))?;
    let ty = expect_str(ty, &format!("{path}.type"))?;
    let kind = RelationKind::parse(ty).ok_or_else(|| {
        Error::definition(
            format!("{path}.type"),
            format!("unknown relation type `{ty}`; expected belongsTo, hasOne, hasMany, hasAndBelongsToMany, embedsOne, embedsMany or referencesMany"),
        )
    })?;
    let mut r = RelationDefinition {
        name: name.to_owned(),
        kind,
        model: None,
        foreign_key: None,
        primary_key: None,
        through: None,
        key_through: None,
        polymorphic: None,
        property: None,
        scope: None,
        options: Map::new(),
        extra: Map::new(),
    };
    for (k, kv) in obj {
        let kp = format!("{path}.{k}");
        let s = || expect_str(kv, &kp).map(str::to_owned);
        match k.as_str() {
            "type" => {}
            "model" => r.model = Some(s()?),
            "foreignKey" => r.foreign_key = Some(s()?).filter(|s| !s.is_empty()),
            "primaryKey" => r.primary_key = Some(s()?),
            "through" => r.through = Some(s()?),
            "keyThrough" => r.key_through = Some(s()?),
            "property" => r.property = Some(s()?),
            "polymorphic" => r.polymorphic = Some(kv.clone()),
            "scope" => {
                expect_obj(kv, &kp)?;
                r.scope = Some(kv.clone());
            }
            "options" => r.options = expect_obj(kv, &kp)?.clone(),
            _ => {
                r.extra.insert(k.clone(), kv.clone());
            }
        }
    }
    if r.model.is_none() && r.polymorphic.is_none() {
        return Err(Error::definition(path, "a relation needs a target `model`"));
    }
    Ok(r)
}

fn relation_to_json(r: &RelationDefinition) -> Json {
    let mut o = Map::new();
    o.insert("type".into(), json!(r.kind.as_str()));
    if let Some(m) = &r.model {
        o.insert("model".into(), json!(m));
    }
    let opt = |o: &mut Map<String, Json>, k: &str, v: &Option<String>| {
        if let Some(v) = v {
            o.insert(k.into(), json!(v));
        }
    };
    opt(&mut o, "foreignKey", &r.foreign_key);
    opt(&mut o, "primaryKey", &r.primary_key);
    opt(&mut o, "through", &r.through);
    opt(&mut o, "keyThrough", &r.key_through);
    opt(&mut o, "property", &r.property);
    if let Some(p) = &r.polymorphic {
        o.insert("polymorphic".into(), p.clone());
    }
    if let Some(s) = &r.scope {
        o.insert("scope".into(), s.clone());
    }
    if !r.options.is_empty() {
        o.insert("options".into(), Json::Object(r.options.clone()));
    }
    for (k, v) in &r.extra {
        o.insert(k.clone(), v.clone());
    }
    Json::Object(o)
}

fn parse_acl(v: &Json, path: &str) -> Result<AclEntry> {
    let obj = expect_obj(v, path)?;
    let mut a = AclEntry {
        principal_type: String::new(),
        principal_id: String::new(),
        permission: String::new(),
        access_type: "*".into(),
        property: vec!["*".into()],
        extra: Map::new(),
    };
    for (k, kv) in obj {
        let kp = format!("{path}.{k}");
        match k.as_str() {
            "principalType" => a.principal_type = expect_str(kv, &kp)?.to_owned(),
            "principalId" => {
                a.principal_id = match kv {
                    Json::String(s) => s.clone(),
                    Json::Number(n) => n.to_string(),
                    _ => return Err(Error::definition(kp, "`principalId` must be a string")),
                }
            }
            "permission" => {
                let p = expect_str(kv, &kp)?;
                if !matches!(p, "ALLOW" | "DENY" | "DEFAULT" | "ALARM" | "AUDIT") {
                    return Err(Error::definition(
                        kp,
                        format!("unknown permission `{p}`; use ALLOW or DENY"),
                    ));
                }
                a.permission = p.to_owned();
            }
            "accessType" => {
                let t = expect_str(kv, &kp)?;
                if !matches!(t, "READ" | "WRITE" | "EXECUTE" | "REPLICATE" | "*") {
                    return Err(Error::definition(
                        kp,
                        format!("unknown accessType `{t}`; use READ, WRITE, EXECUTE or *"),
                    ));
                }
                a.access_type = t.to_owned();
            }
            "property" => {
                a.property = match kv {
                    Json::String(s) => vec![s.clone()],
                    Json::Array(_) => string_list(kv, &kp)?,
                    _ => {
                        return Err(Error::definition(
                            kp,
                            "`property` must be a string or an array",
                        ))
                    }
                }
            }
            _ => {
                a.extra.insert(k.clone(), kv.clone());
            }
        }
    }
    for (field, val) in [
        ("principalType", &a.principal_type),
        ("principalId", &a.principal_id),
        ("permission", &a.permission),
    ] {
        if val.is_empty() {
            return Err(Error::definition(
                format!("{path}.{field}"),
                format!("an ACL needs `{field}`"),
            ));
        }
    }
    Ok(a)
}

fn acl_to_json(a: &AclEntry) -> Json {
    let mut o = Map::new();
    o.insert("accessType".into(), json!(a.access_type));
    o.insert("principalType".into(), json!(a.principal_type));
    o.insert("principalId".into(), json!(a.principal_id));
    o.insert("permission".into(), json!(a.permission));
    if a.property.len() == 1 {
        o.insert("property".into(), json!(a.property[0]));
    } else {
        o.insert("property".into(), json!(a.property));
    }
    for (k, v) in &a.extra {
        o.insert(k.clone(), v.clone());
    }
    Json::Object(o)
}

fn parse_index(name: &str, v: &Json, path: &str) -> Result<IndexDefinition> {
    let obj = expect_obj(v, path)?;
    let mut keys = Vec::new();
    let mut unique = false;
    // Two LB3 forms: {"keys": {"a": 1}, "options": {"unique": true}} and {"a": 1, "b": -1}.
    if let Some(k) = obj.get("keys") {
        for (col, dir) in expect_obj(k, &format!("{path}.keys"))? {
            keys.push((col.clone(), dir.as_i64().unwrap_or(1) as i32));
        }
        unique = obj
            .get("options")
            .and_then(|o| o.get("unique"))
            .and_then(Json::as_bool)
            .unwrap_or(false);
    } else if let Some(cols) = obj.get("columns").and_then(Json::as_str) {
        keys = cols.split(',').map(|c| (c.trim().to_owned(), 1)).collect();
        unique = obj
            .get("kind")
            .and_then(Json::as_str)
            .is_some_and(|k| k.eq_ignore_ascii_case("unique"));
    } else {
        for (col, dir) in obj {
            if col == "options" {
                unique = dir.get("unique").and_then(Json::as_bool).unwrap_or(false);
                continue;
            }
            keys.push((col.clone(), dir.as_i64().unwrap_or(1) as i32));
        }
    }
    if keys.is_empty() {
        return Err(Error::definition(
            path,
            format!("index `{name}` has no keys"),
        ));
    }
    Ok(IndexDefinition {
        name: name.to_owned(),
        keys,
        unique,
        raw: v.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_lb3_json() {
        let src = json!({
            "name": "Book",
            "plural": "Books",
            "base": "PersistedModel",
            "strict": "filter",
            "idInjection": false,
            "http": {"path": "library-books"},
            "options": {"validateUpsert": true},
            "postgresql": {"schema": "public", "table": "book"},
            "properties": {
                "isbn": {"type": "string", "id": true, "postgresql": {"columnName": "isbn_code"}},
                "title": {"type": "string", "required": true, "index": {"unique": true}},
                "tags": ["string"],
                "price": "number",
                "created": {"type": "date", "default": "$now"},
                "ref": {"type": "string", "defaultFn": "uuidv4"}
            },
            "hidden": ["price"],
            "validations": [],
            "relations": {"author": {"type": "belongsTo", "model": "Author", "foreignKey": "authorId"}},
            "acls": [{"accessType": "READ", "principalType": "ROLE", "principalId": "$everyone", "permission": "ALLOW", "property": "*"}],
            "scope": {"order": "title ASC"},
            "indexes": {"title_price": {"keys": {"title": 1, "price": -1}, "options": {"unique": true}}},
            "methods": {},
            "custom": {"kept": 1}
        });
        let d = ModelDefinition::from_lb3_json(&src).unwrap();
        assert_eq!(d.id_name(), "isbn");
        assert_eq!(d.strict_mode(), Strict::Filter);
        assert_eq!(d.http_path_segment(), "library-books");
        assert!(d.validate_upsert());
        assert!(d.properties["price"].hidden);
        assert_eq!(
            d.properties["tags"].ty,
            PropertyType::Array(Box::new(PropertyType::String))
        );
        assert_eq!(d.properties["created"].default, Some(DefaultValue::Now));
        assert_eq!(
            d.properties["isbn"].column_name("postgresql"),
            Some("isbn_code")
        );
        assert!(d.indexes["title_price"].unique);
        assert_eq!(d.extra["custom"], json!({"kept": 1}));
        let back = ModelDefinition::from_lb3_json(&d.to_lb3_json()).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn bad_definitions_name_the_key() {
        let cases = [
            (json!({"properties": {}}), "name"),
            (json!({"name": "A", "strict": 3}), "A.strict"),
            (
                json!({"name": "A", "properties": {"x": 5}}),
                "A.properties.x",
            ),
            (
                json!({"name": "A", "relations": {"r": {"type": "hasLots", "model": "B"}}}),
                "A.relations.r.type",
            ),
            (
                json!({"name": "A", "acls": [{"principalType": "ROLE", "principalId": "$everyone", "permission": "MAYBE"}]}),
                "A.acls[0].permission",
            ),
            (
                json!({"name": "A", "properties": {"__proto__": "string"}}),
                "A.properties.__proto__",
            ),
            (
                json!({"name": "A", "properties": {"x": {"type": "string", "defaultFn": "shortid2"}}}),
                "A.properties.x.defaultFn",
            ),
        ];
        for (src, path) in cases {
            match ModelDefinition::from_lb3_json(&src) {
                Err(Error::InvalidDefinition { path: p, .. }) => assert_eq!(p, path),
                other => panic!("expected definition error at {path}, got {other:?}"),
            }
        }
        match ModelDefinition::from_lb3_str("{\"name\": \"A\",\n  \"x\": }") {
            Err(Error::InvalidDefinition { path, .. }) => assert_eq!(path, "line 2 column 8"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn id_injection_and_inheritance() {
        let mut base = ModelDefinition::from_lb3_json(&json!({
            "name": "Base", "strict": true,
            "properties": {"created": "date"},
            "acls": [{"principalType": "ROLE", "principalId": "$everyone", "permission": "DENY"}]
        }))
        .unwrap();
        base.inject_id();
        let mut child = ModelDefinition::from_lb3_json(&json!({
            "name": "Child", "base": "Base", "properties": {"name": "string"}
        }))
        .unwrap();
        child.inherit_from(&base);
        assert_eq!(
            child.properties.keys().collect::<Vec<_>>(),
            ["id", "created", "name"]
        );
        assert_eq!(child.strict_mode(), Strict::True);
        assert_eq!(child.acls.len(), 1);
        assert!(child.force_id());
    }
}
