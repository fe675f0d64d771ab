//! Relations: LB3's defaults for every relation kind ([`ResolvedRelation`]), the foreign-key
//! properties relations add to models, batched `include` ([`include`]) and the relation
//! methods ([`Related`]).
//!
//! A [`RelationDefinition`] is what a model declares; it is resolved against the registry when
//! it is used, so models can be defined in any order.

mod include;
mod methods;
mod related_where;
mod scope;

use std::sync::Arc;

use serde_json::{Map, Value as Json};

use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::model::{
    ModelDefinition, PropertyDefinition, PropertyType, RelationDefinition, RelationKind,
};

pub use include::MAX_INCLUDE_DEPTH;
pub(crate) use include::{ensure_fields, include, needed_keys, strip};
pub use methods::Related;
pub(crate) use related_where::resolve_related;
pub use scope::Scoped;

/// The polymorphic part of a relation (LB3's normalised `polymorphic` object).
#[derive(Debug, Clone, PartialEq)]
pub struct Polymorphic {
    /// The selector (`as`): the name of the polymorphic belongsTo on the other side.
    pub selector: String,
    /// The property holding the id (default `<selector>Id`).
    pub foreign_key: String,
    /// The property holding the model name (default `<selector>Type`).
    pub discriminator: String,
    /// An explicit id type (`idType`).
    pub id_type: Option<PropertyType>,
}

/// A through model and its key to the target.
#[derive(Debug, Clone, PartialEq)]
pub struct Through {
    /// The through model name.
    pub model: String,
    /// The property of the through model that holds the target's key (`keyThrough`).
    pub key_through: String,
}

/// A relation with LB3's defaults applied: which property of which model points where.
///
/// Keys follow juggler's `keyFrom`/`keyTo`: `key_from` is read on the source instance and
/// `key_to` on the related one (on the through model for has-many-through), so
/// `related[key_to] == source[key_from]` links them. For belongsTo, `key_from` is the foreign
/// key and `key_to` the target's id; for hasMany/hasOne it is the other way round.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedRelation {
    /// Relation name.
    pub name: String,
    /// Relation kind (`HasAndBelongsToMany` keeps its kind; it always has a [`Through`]).
    pub kind: RelationKind,
    /// The declaring model.
    pub source: String,
    /// The target model; `None` for a polymorphic belongsTo, whose target is read from the
    /// discriminator of each instance.
    pub target: Option<String>,
    /// Key on the source instance.
    pub key_from: String,
    /// Key on the related (or through) instance.
    pub key_to: String,
    /// The through model of hasManyThrough and hasAndBelongsToMany.
    pub through: Option<Through>,
    /// The polymorphic settings.
    pub polymorphic: Option<Polymorphic>,
    /// Whether the relation yields a list.
    pub multiple: bool,
    /// The relation's own `scope`, as JSON (parsed against the target when used).
    pub scope: Option<Json>,
    /// `properties`: owner property → related property, copied on build/create.
    pub properties: Map<String, Json>,
    /// `options.invertProperties`.
    pub invert_properties: bool,
    /// `options.disableInclude`: the relation cannot be included.
    pub disable_include: bool,
    /// `options`, verbatim.
    pub options: Map<String, Json>,
}

impl ResolvedRelation {
    /// Whether the data lives inside the source instance (embedsOne, embedsMany).
    pub fn is_embedded(&self) -> bool {
        matches!(
            self.kind,
            RelationKind::EmbedsOne | RelationKind::EmbedsMany
        )
    }

    /// The target model name, or an error for a polymorphic belongsTo.
    pub fn target_name(&self) -> Result<&str> {
        self.target.as_deref().ok_or_else(|| {
            Error::bad_request(format!(
                "relation `{}` of {} is polymorphic: its target depends on the instance",
                self.name, self.source
            ))
        })
    }

    /// The relation scope parsed against the target model, with the application's models (so
    /// that it may hold conditions on the target's own relations).
    pub fn scope_filter(&self, target: &crate::app::ModelHandle) -> Result<Option<Filter>> {
        let def = target.definition();
        match &self.scope {
            None => Ok(None),
            Some(s) => target.parse_trusted_filter(&def, s).map(Some),
        }
    }
}

/// LB3's `inflection.camelize(s, true)`: `_`-separated words joined with upper-case initials,
/// the very first letter lower-cased (`Customer_id` → `customerId`).
pub(crate) fn camelize_lower(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, part) in s.split('_').enumerate() {
        let mut chars = part.chars();
        if let Some(c) = chars.next() {
            if i == 0 {
                out.extend(c.to_lowercase());
            } else {
                out.extend(c.to_uppercase());
            }
            out.push_str(chars.as_str());
        }
    }
    out
}

fn option_bool(o: &Map<String, Json>, key: &str) -> bool {
    o.get(key).and_then(Json::as_bool).unwrap_or(false)
}

fn normalize_polymorphic(p: &Json, relation_name: &str, path: &str) -> Result<Polymorphic> {
    let (selector, obj) = match p {
        Json::String(s) => (Some(s.clone()), None),
        Json::Bool(true) => (Some(relation_name.to_owned()), None),
        Json::Object(o) => (
            o.get("selector")
                .or_else(|| o.get("as"))
                .and_then(Json::as_str)
                .map(str::to_owned),
            Some(o),
        ),
        other => {
            return Err(Error::definition(
                format!("{path}.polymorphic"),
                format!(
                    "`{other}` is not a polymorphic setting: expected a name, true or an object"
                ),
            ))
        }
    };
    let selector = selector
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| relation_name.to_owned());
    let get = |k: &str| {
        obj.and_then(|o| o.get(k))
            .and_then(Json::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let id_type = match obj.and_then(|o| o.get("idType")) {
        None | Some(Json::Null) => None,
        Some(t) => Some(PropertyType::from_json(
            t,
            &format!("{path}.polymorphic.idType"),
        )?),
    };
    Ok(Polymorphic {
        foreign_key: get("foreignKey").unwrap_or_else(|| camelize_lower(&format!("{selector}_id"))),
        discriminator: get("discriminator")
            .unwrap_or_else(|| camelize_lower(&format!("{selector}_type"))),
        selector,
        id_type,
    })
}

/// The implicit through model name of a hasAndBelongsToMany: `SourceTarget`, or an existing
/// `TargetSource`.
pub fn habtm_through_name(source: &str, target: &str, exists: impl Fn(&str) -> bool) -> String {
    let a = format!("{source}{target}");
    let b = format!("{target}{source}");
    if !exists(&a) && exists(&b) {
        b
    } else {
        a
    }
}

/// Resolves `rel` of `source` with LB3's defaults. `model` looks up registered definitions.
pub fn resolve(
    source: &ModelDefinition,
    rel: &RelationDefinition,
    model: &dyn Fn(&str) -> Option<Arc<ModelDefinition>>,
) -> Result<ResolvedRelation> {
    let path = format!("{}.relations.{}", source.name, rel.name);
    let invert_properties = option_bool(&rel.options, "invertProperties")
        || option_bool(&rel.extra, "invertProperties");
    let properties = rel
        .extra
        .get("properties")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let mut out = ResolvedRelation {
        name: rel.name.clone(),
        kind: rel.kind,
        source: source.name.clone(),
        target: None,
        key_from: String::new(),
        key_to: String::new(),
        through: None,
        polymorphic: None,
        multiple: false,
        scope: rel.scope.clone(),
        properties,
        invert_properties,
        disable_include: option_bool(&rel.options, "disableInclude"),
        options: rel.options.clone(),
    };
    let target_def = || -> Result<Arc<ModelDefinition>> {
        let name = rel
            .model
            .as_deref()
            .ok_or_else(|| Error::definition(&path, "a relation needs a target `model`"))?;
        model(name).ok_or_else(|| {
            Error::definition(
                format!("{path}.model"),
                format!(
                    "relation `{}` targets `{name}`, which is not defined",
                    rel.name
                ),
            )
        })
    };
    match rel.kind {
        RelationKind::BelongsTo => {
            if let Some(p) = &rel.polymorphic {
                let poly = normalize_polymorphic(p, &rel.name, &path)?;
                out.key_from = poly.foreign_key.clone();
                out.key_to = rel.primary_key.clone().unwrap_or_else(|| {
                    rel.extra
                        .get("idName")
                        .and_then(Json::as_str)
                        .unwrap_or("id")
                        .to_owned()
                });
                out.polymorphic = Some(poly);
            } else {
                let t = target_def()?;
                out.key_from = rel
                    .foreign_key
                    .clone()
                    .unwrap_or_else(|| format!("{}Id", rel.name));
                out.key_to = rel
                    .primary_key
                    .clone()
                    .unwrap_or_else(|| t.id_name().to_owned());
                out.target = Some(t.name.clone());
            }
        }
        RelationKind::HasOne | RelationKind::HasMany | RelationKind::HasAndBelongsToMany => {
            let t = target_def()?;
            out.multiple = rel.kind != RelationKind::HasOne;
            out.key_from = rel
                .primary_key
                .clone()
                .unwrap_or_else(|| source.id_name().to_owned());
            out.key_to = rel
                .foreign_key
                .clone()
                .unwrap_or_else(|| camelize_lower(&format!("{}_id", source.name)));
            let mut key_through = rel
                .key_through
                .clone()
                .unwrap_or_else(|| camelize_lower(&format!("{}_id", t.name)));
            if let Some(p) = &rel.polymorphic {
                let poly = normalize_polymorphic(p, &rel.name, &path)?;
                if option_bool(&rel.extra, "invert") {
                    key_through = poly.foreign_key.clone();
                } else {
                    out.key_to = poly.foreign_key.clone();
                }
                out.polymorphic = Some(poly);
            }
            let through = match (&rel.through, rel.kind) {
                (Some(th), _) if !th.is_empty() => Some(th.clone()),
                (_, RelationKind::HasAndBelongsToMany) => {
                    if rel.polymorphic.is_some() {
                        return Err(Error::definition(
                            &path,
                            "Polymorphic relations need a through model",
                        ));
                    }
                    Some(habtm_through_name(&source.name, &t.name, |n| {
                        model(n).is_some()
                    }))
                }
                _ => None,
            };
            if let Some(th) = through {
                let th_def = model(&th).ok_or_else(|| {
                    Error::definition(
                        format!("{path}.through"),
                        format!("through model `{th}` is not defined"),
                    )
                })?;
                out.through = Some(Through {
                    model: th_def.name.clone(),
                    key_through,
                });
            }
            out.target = Some(t.name.clone());
        }
        RelationKind::EmbedsOne | RelationKind::EmbedsMany => {
            let t = target_def()?;
            out.multiple = rel.kind == RelationKind::EmbedsMany;
            let default_prop = if out.multiple {
                camelize_lower(&t.plural_name())
            } else {
                camelize_lower(&t.name)
            };
            let mut prop = rel.property.clone().unwrap_or(default_prop);
            if prop == rel.name {
                prop = format!("_{prop}");
            }
            out.key_from = prop;
            out.key_to = t.id_name().to_owned();
            out.target = Some(t.name.clone());
        }
        RelationKind::ReferencesMany => {
            let t = target_def()?;
            out.multiple = true;
            out.key_from = rel
                .foreign_key
                .clone()
                .or_else(|| rel.property.clone())
                .unwrap_or_else(|| camelize_lower(&format!("{}_ids", t.name)));
            out.key_to = t.id_name().to_owned();
            out.target = Some(t.name.clone());
        }
    }
    Ok(out)
}

/// A property a relation adds to a model that does not declare it (LB3's
/// `defineForeignKey`/`defineProperty` calls in `relation-definition.js`).
#[derive(Debug, Clone, PartialEq)]
pub struct AddedProperty {
    /// The model that gets the property.
    pub model: String,
    /// The property.
    pub property: PropertyDefinition,
}

fn id_type_of(def: Option<&ModelDefinition>, key: &str) -> PropertyType {
    def.and_then(|d| d.property(key))
        .map(|p| p.ty.clone())
        .unwrap_or(PropertyType::Number)
}

fn indexed(mut p: PropertyDefinition) -> PropertyDefinition {
    p.index = Some(crate::model::PropertyIndex {
        unique: false,
        raw: Json::Bool(true),
    });
    p
}

/// The properties that `rel` (declared on `source`) adds to models lacking them. Models not
/// yet defined are skipped; they get their keys when they are defined.
pub fn added_properties(
    source: &ModelDefinition,
    rel: &RelationDefinition,
    model: &dyn Fn(&str) -> Option<Arc<ModelDefinition>>,
) -> Vec<AddedProperty> {
    let lookup = |name: &str| -> Option<Arc<ModelDefinition>> {
        if name == source.name {
            Some(Arc::new(source.clone()))
        } else {
            model(name)
        }
    };
    let Ok(r) = resolve(source, rel, &lookup) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut add = |model: &str, p: PropertyDefinition| {
        out.push(AddedProperty {
            model: model.to_owned(),
            property: p,
        })
    };
    let target = r.target.as_deref().and_then(&lookup);
    match r.kind {
        RelationKind::BelongsTo => match &r.polymorphic {
            Some(poly) => {
                let ty = poly
                    .id_type
                    .clone()
                    .unwrap_or_else(|| id_type_of(Some(source), source.id_name()));
                add(
                    &source.name,
                    indexed(PropertyDefinition::new(&r.key_from, ty)),
                );
                add(
                    &source.name,
                    indexed(PropertyDefinition::new(
                        &poly.discriminator,
                        PropertyType::String,
                    )),
                );
            }
            None => add(
                &source.name,
                PropertyDefinition::new(&r.key_from, id_type_of(target.as_deref(), &r.key_to)),
            ),
        },
        RelationKind::HasOne | RelationKind::HasMany | RelationKind::HasAndBelongsToMany => {
            let from_ty = id_type_of(Some(source), &r.key_from);
            match &r.through {
                None => {
                    if let Some(t) = &r.target {
                        add(t, PropertyDefinition::new(&r.key_to, from_ty));
                        if let Some(poly) = &r.polymorphic {
                            add(
                                t,
                                indexed(PropertyDefinition::new(
                                    &poly.discriminator,
                                    PropertyType::String,
                                )),
                            );
                        }
                    }
                }
                Some(th) => {
                    add(&th.model, PropertyDefinition::new(&r.key_to, from_ty));
                    let to_ty = target
                        .as_deref()
                        .map(|t| id_type_of(Some(t), t.id_name()))
                        .unwrap_or(PropertyType::Number);
                    add(&th.model, PropertyDefinition::new(&th.key_through, to_ty));
                    if let Some(poly) = &r.polymorphic {
                        add(
                            &th.model,
                            indexed(PropertyDefinition::new(
                                &poly.discriminator,
                                PropertyType::String,
                            )),
                        );
                    }
                }
            }
        }
        RelationKind::EmbedsOne => {
            if let Some(t) = &r.target {
                add(
                    &source.name,
                    PropertyDefinition::new(&r.key_from, PropertyType::Model(t.clone())),
                );
            }
        }
        RelationKind::EmbedsMany => {
            if let Some(t) = &r.target {
                let mut p = PropertyDefinition::new(
                    &r.key_from,
                    PropertyType::Array(Box::new(PropertyType::Model(t.clone()))),
                );
                p.default = Some(crate::model::DefaultValue::Value(
                    crate::value::Value::Array(Vec::new()),
                ));
                add(&source.name, p);
            }
        }
        RelationKind::ReferencesMany => {
            let ty = id_type_of(target.as_deref(), &r.key_to);
            let mut p = PropertyDefinition::new(&r.key_from, PropertyType::Array(Box::new(ty)));
            p.default = Some(crate::model::DefaultValue::Value(
                crate::value::Value::Array(Vec::new()),
            ));
            add(&source.name, p);
        }
    }
    out
}

/// Checks a whole include tree before any query runs: every relation exists, the tree is at
/// most [`MAX_INCLUDE_DEPTH`] deep, no relation repeats on one path, and each scope parses
/// against its related model (so its hidden properties are refused). Levels below a
/// polymorphic belongsTo depend on the data and are checked when they are resolved.
pub(crate) fn check_includes(
    model: &crate::app::ModelHandle,
    includes: &[crate::filter::Include],
) -> Result<()> {
    fn walk(
        app: &crate::app::App,
        model: &crate::app::ModelHandle,
        includes: &[crate::filter::Include],
        path: &mut Vec<String>,
    ) -> Result<()> {
        if includes.is_empty() {
            return Ok(());
        }
        include::check_depth(path)?;
        for inc in includes {
            let rel = model.relation(&inc.relation)?;
            if rel.disable_include {
                continue;
            }
            include::enter(path, model.name(), &rel.name)?;
            if let Some(target) = rel.target.as_deref() {
                let target = app.try_model(target)?;
                let scope = include::scope_for_target(&rel, &target, inc.scope.as_deref())?;
                walk(app, &target, &scope.include, path)?;
            }
            path.pop();
        }
        Ok(())
    }
    walk(&model.app()?, model, includes, &mut Vec::new())
}

/// Adds `p` to `def` unless it declares a property of that name. Returns whether it was added.
pub(crate) fn add_property(def: &mut ModelDefinition, p: &PropertyDefinition) -> bool {
    if def.properties.contains_key(&p.name) {
        return false;
    }
    def.properties.insert(p.name.clone(), p.clone());
    true
}

#[cfg(test)]
mod tests;
