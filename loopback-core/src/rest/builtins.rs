//! LB3's descriptors of the built-in remote methods: `PersistedModel.setupRemoting` in
//! loopback's `lib/persisted-model.js` and the relation remoting of `lib/model.js`
//! (`belongsToRemoting`, `hasOneRemoting`, `hasManyRemoting`, `scopeRemoting`), as
//! [`RemoteMethod`] values for the API documentation.
//!
//! Arguments, descriptions, aliases and routes are LB3's, with these choices:
//! - the `options` argument that every method takes `optionsFromRequest` is left out (it is
//!   not an HTTP parameter); `createChangeStream`'s own `options` argument is kept;
//! - instance methods (`prototype.*`) start with the `id` path argument of LB3's shared
//!   constructor (`"<Model> id"`), so that a descriptor lists every HTTP parameter of its
//!   routes; `id` arguments are typed by the model's id property where LB3 says `any`;
//! - `updateAll` and `deleteById` declare their `{count}` answer as a `count` number (LB3
//!   declares a root object of that shape);
//! - a `data` body is typed by the model it holds (LB3: `type: object, model: <Model>`).

use super::routes::{builtin_aliases, canonical_builtin, nested_path, relation_http_path};
use crate::app::ModelHandle;
use crate::model::{PropertyType, RelationKind};
use crate::remote::{Accept, AccessType, ArgSource, ArgType, HttpVerb, RemoteMethod, Returns};

/// The descriptor of the built-in method `name` of `model` (`find`, `prototype.patchAttributes`,
/// `prototype.__get__books`, `createChangeStream`, or an alias such as `upsert`); `None` for
/// names that are not built-in methods of the model (including relations it does not have).
pub(crate) fn builtin_method(model: &ModelHandle, name: &str) -> Option<RemoteMethod> {
    let name = canonical_builtin(name);
    let mut m = match name.strip_prefix("prototype.") {
        Some(proto) => match proto.strip_prefix("__") {
            Some(rel_method) => relation_method(model, rel_method),
            None => instance_method(model, proto),
        },
        None => static_method(model, name),
    }?;
    m.aliases = builtin_aliases(name)
        .map(|a| a.strip_prefix("prototype.").unwrap_or(a).to_owned())
        .collect();
    Some(m)
}

/// Whether the `data` argument of the built-in method `name` (as [`builtin_method`] takes it)
/// may be an array of instances (LB3's `allowArray`): `create` and the `__create__` of
/// to-many relations.
pub(crate) fn allows_array(model: &ModelHandle, name: &str) -> bool {
    if name == "create" {
        return true;
    }
    let Some(rel) = name.strip_prefix("prototype.__create__") else {
        return false;
    };
    if let Ok(r) = model.relation(rel) {
        return is_to_many(r.kind);
    }
    // A nested `__create__books__reviews`: the target's `__create__reviews`.
    let Some((outer, inner)) = rel.rsplit_once("__") else {
        return false;
    };
    nested_method(model, "create", rel).is_some()
        && model
            .relation(outer)
            .ok()
            .and_then(|r| model.app().ok()?.model(r.target.as_deref()?))
            .is_some_and(|t| t.relation(inner).is_ok_and(|r| is_to_many(r.kind)))
}

/// The argument type of `model`'s id property (LB3 declares `any`).
pub(super) fn id_type(model: &ModelHandle) -> ArgType {
    let def = model.definition();
    let ty = def.id_properties().next().map(|p| p.ty.clone());
    match ty {
        Some(PropertyType::String) => ArgType::String,
        Some(PropertyType::Number) => ArgType::Number,
        // The injected id of a model without one is a number.
        None if def.id_injection() => ArgType::Number,
        _ => ArgType::Any,
    }
}

/// `id` in the path, required (`"Model id"`, as LB3's static methods describe it).
fn id_arg(model: &ModelHandle, description: &str) -> Accept {
    Accept::new("id", id_type(model))
        .required()
        .source(ArgSource::Path)
        .description(description)
}

/// The `data` body argument holding an instance of `model_name`.
fn data_arg(model_name: &str, description: Option<&str>) -> Accept {
    let a = Accept::new("data", ArgType::Model(model_name.to_owned())).source(ArgSource::Body);
    match description {
        Some(d) => a.description(d),
        None => a,
    }
}

fn where_arg(source: Option<ArgSource>) -> Accept {
    let a = Accept::new("where", ArgType::Object).description("Criteria to match model instances");
    match source {
        Some(s) => a.source(s),
        None => a,
    }
}

const FIND_FILTER: &str = "Filter defining fields, where, include, order, offset, and limit - must be a JSON-encoded string (`{\"where\":{\"something\":\"value\"}}`).  See https://loopback.io/doc/en/lb3/Querying-data.html#using-stringified-json-in-rest-queries for more details.";

fn method(name: &str, description: &str, access: AccessType) -> RemoteMethod {
    let mut m = RemoteMethod::new(name).description(description);
    m.access_type = Some(access);
    m
}

fn static_method(model: &ModelHandle, name: &str) -> Option<RemoteMethod> {
    let type_name = model.name();
    let me = ArgType::Model(type_name.to_owned());
    let replace_on_put = model.definition().replace_on_put();
    let instance = || Returns::root(me.clone()).named("data");
    let model_data = Some("Model instance data");
    let pairs = Some("An object of model property name/value pairs");
    let m = match name {
        "create" => method(
            "create",
            "Create a new instance of the model and persist it into the data source.",
            AccessType::Write,
        )
        .accepts(data_arg(type_name, model_data))
        .returns(instance())
        .http(HttpVerb::Post, "/"),
        "patchOrCreate" => {
            let mut m = method(
                "patchOrCreate",
                "Patch an existing model instance or insert a new one into the data source.",
                AccessType::Write,
            )
            .accepts(data_arg(type_name, model_data))
            .returns(instance());
            if !replace_on_put {
                m = m.http(HttpVerb::Put, "/");
            }
            m.http(HttpVerb::Patch, "/")
        }
        "replaceOrCreate" => {
            let m = method(
                "replaceOrCreate",
                "Replace an existing model instance or insert a new one into the data source.",
                AccessType::Write,
            )
            .accepts(data_arg(type_name, model_data))
            .returns(instance())
            .http(HttpVerb::Post, "/replaceOrCreate");
            if replace_on_put {
                m.http(HttpVerb::Put, "/")
            } else {
                m
            }
        }
        "upsertWithWhere" => method(
            "upsertWithWhere",
            "Update an existing model instance or insert a new one into the data source based on the where criteria.",
            AccessType::Write,
        )
        .accepts(where_arg(Some(ArgSource::Query)))
        .accepts(data_arg(type_name, pairs))
        .returns(instance())
        .http(HttpVerb::Post, "/upsertWithWhere"),
        "exists" => method(
            "exists",
            "Check whether a model instance exists in the data source.",
            AccessType::Read,
        )
        .accepts(id_arg(model, "Model id"))
        .returns(Returns::new("exists", ArgType::Boolean))
        .http(HttpVerb::Get, "/:id/exists")
        .http(HttpVerb::Head, "/:id"),
        "findById" => method(
            "findById",
            "Find a model instance by {{id}} from the data source.",
            AccessType::Read,
        )
        .accepts(id_arg(model, "Model id"))
        .accepts(Accept::new("filter", ArgType::Object).description(
            "Filter defining fields and include - must be a JSON-encoded string ({\"something\":\"value\"})",
        ))
        .returns(instance())
        .http(HttpVerb::Get, "/:id"),
        "replaceById" => {
            let m = method(
                "replaceById",
                "Replace attributes for a model instance and persist it into the data source.",
                AccessType::Write,
            )
            .accepts(id_arg(model, "Model id"))
            .accepts(data_arg(type_name, model_data))
            .returns(instance())
            .http(HttpVerb::Post, "/:id/replace");
            if replace_on_put {
                m.http(HttpVerb::Put, "/:id")
            } else {
                m
            }
        }
        "find" => method(
            "find",
            "Find all instances of the model matched by filter from the data source.",
            AccessType::Read,
        )
        .accepts(Accept::new("filter", ArgType::Object).description(FIND_FILTER))
        .returns(Returns::root(ArgType::Array(Box::new(me.clone()))).named("data"))
        .http(HttpVerb::Get, "/"),
        "findOne" => method(
            "findOne",
            "Find first instance of the model matched by filter from the data source.",
            AccessType::Read,
        )
        .accepts(Accept::new("filter", ArgType::Object).description(FIND_FILTER))
        .returns(instance())
        .http(HttpVerb::Get, "/findOne"),
        "destroyAll" => {
            let mut m = method("destroyAll", "Delete all matching records.", AccessType::Write)
                .accepts(Accept::new("where", ArgType::Object).description("filter.where object"))
                .returns(
                    Returns::new("count", ArgType::Number)
                        .description("The number of instances deleted"),
                )
                .http(HttpVerb::Delete, "/");
            m.shared = false;
            m
        }
        "updateAll" => method(
            "updateAll",
            "Update instances of the model matched by {{where}} from the data source.",
            AccessType::Write,
        )
        .accepts(where_arg(Some(ArgSource::Query)))
        .accepts(data_arg(type_name, pairs))
        .returns(
            Returns::new("count", ArgType::Number).description("The number of instances updated"),
        )
        .http(HttpVerb::Post, "/update"),
        "deleteById" => method(
            "deleteById",
            "Delete a model instance by {{id}} from the data source.",
            AccessType::Write,
        )
        .accepts(id_arg(model, "Model id"))
        .returns(Returns::new("count", ArgType::Number))
        .http(HttpVerb::Delete, "/:id"),
        "count" => method(
            "count",
            "Count instances of the model matched by where from the data source.",
            AccessType::Read,
        )
        .accepts(where_arg(None))
        .returns(Returns::new("count", ArgType::Number))
        .http(HttpVerb::Get, "/count"),
        "createChangeStream" => method(
            "createChangeStream",
            "Create a change stream.",
            AccessType::Read,
        )
        .accepts(Accept::new("options", ArgType::Object))
        .returns(Returns::new(
            "changes",
            ArgType::Model("ReadableStream".to_owned()),
        ))
        .http(HttpVerb::Post, "/change-stream")
        .http(HttpVerb::Get, "/change-stream"),
        _ => return None,
    };
    Some(m)
}

fn instance_method(model: &ModelHandle, name: &str) -> Option<RemoteMethod> {
    if name != "patchAttributes" {
        return None;
    }
    let type_name = model.name();
    let mut m = method(
        "prototype.patchAttributes",
        "Patch attributes for a model instance and persist it into the data source.",
        AccessType::Write,
    )
    .accepts(ctor_id(model))
    .accepts(data_arg(
        type_name,
        Some("An object of model property name/value pairs"),
    ))
    .returns(Returns::root(ArgType::Model(type_name.to_owned())).named("data"));
    if !model.definition().replace_on_put() {
        m = m.http(HttpVerb::Put, "/");
    }
    Some(m.http(HttpVerb::Patch, "/"))
}

/// The `id` argument of LB3's shared constructor, which every instance method's routes take.
fn ctor_id(model: &ModelHandle) -> Accept {
    id_arg(model, &format!("{} id", model.name()))
}

/// `fk` in the path, required.
fn fk_arg(rel: &str) -> Accept {
    Accept::new("fk", ArgType::Any)
        .required()
        .source(ArgSource::Path)
        .description(format!("Foreign key for {rel}"))
}

/// `op` is the method name after `prototype.__`: `get__books`, `findById__books`, ….
fn relation_method(model: &ModelHandle, op: &str) -> Option<RemoteMethod> {
    let (op, rel_name) = op.split_once("__")?;
    if rel_name.is_empty() {
        return None;
    }
    let rel = match model.relation(rel_name) {
        Ok(rel) => rel,
        Err(_) => return nested_method(model, op, rel_name),
    };
    let base = format!("/{}", relation_http_path(&rel.options, rel_name));
    let target = rel
        .target
        .clone()
        .unwrap_or_else(|| "PersistedModel".to_owned());
    let to = ArgType::Model(target.clone());
    let has_one = rel.kind == RelationKind::HasOne;
    let to_many = is_to_many(rel.kind);
    // The `rel/:fk` routes: relations through a model, and referencesMany.
    let links = to_many && (rel.through.is_some() || rel.kind == RelationKind::ReferencesMany);
    let name = format!("prototype.__{op}__{rel_name}");
    let proto =
        |description: String, access| method(&name, &description, access).accepts(ctor_id(model));
    let m = match op {
        "get" if has_one || rel.kind == RelationKind::BelongsTo => proto(
            format!("Fetches {} relation {rel_name}.", rel.kind.as_str()),
            AccessType::Read,
        )
        .accepts(Accept::new("refresh", ArgType::Boolean).source(ArgSource::Query))
        .returns(Returns::root(to).named(rel_name))
        .http(HttpVerb::Get, &base),
        "get" if to_many => proto(
            format!("Queries {rel_name} of {}.", model.name()),
            AccessType::Read,
        )
        .accepts(Accept::new("filter", ArgType::Object))
        .returns(Returns::root(ArgType::Array(Box::new(to))).named(rel_name))
        .http(HttpVerb::Get, &base),
        "create" if has_one || to_many => proto(
            format!("Creates a new instance in {rel_name} of this model."),
            AccessType::Write,
        )
        .accepts(data_arg(&target, None))
        .returns(Returns::root(to).named("data"))
        .http(HttpVerb::Post, &base),
        "update" if has_one => proto(
            format!("Update {rel_name} of this model."),
            AccessType::Write,
        )
        .accepts(data_arg(&target, None))
        .returns(Returns::root(to).named("data"))
        .http(HttpVerb::Put, &base),
        "destroy" if has_one => proto(
            format!("Deletes {rel_name} of this model."),
            AccessType::Write,
        )
        .http(HttpVerb::Delete, &base),
        "findById" if to_many => proto(
            format!("Find a related item by id for {rel_name}."),
            AccessType::Read,
        )
        .accepts(fk_arg(rel_name))
        .returns(Returns::root(to).named("result"))
        .http(HttpVerb::Get, format!("{base}/:fk")),
        "destroyById" if to_many => proto(
            format!("Delete a related item by id for {rel_name}."),
            AccessType::Write,
        )
        .accepts(fk_arg(rel_name))
        .http(HttpVerb::Delete, format!("{base}/:fk")),
        "updateById" if to_many => proto(
            format!("Update a related item by id for {rel_name}."),
            AccessType::Write,
        )
        .accepts(fk_arg(rel_name))
        .accepts(data_arg(&target, None))
        .returns(Returns::root(to).named("result"))
        .http(HttpVerb::Put, format!("{base}/:fk")),
        "link" if links => {
            let through = rel.through.as_ref().map(|t| t.model.clone());
            let mut m = proto(
                format!("Add a related item by id for {rel_name}."),
                AccessType::Write,
            )
            .accepts(fk_arg(rel_name));
            // Only hasManyThrough (and hasAndBelongsToMany, one in LB3) takes data.
            if let Some(t) = &through {
                m = m.accepts(data_arg(t, None));
            }
            let returned = through.unwrap_or(target);
            m.returns(Returns::root(ArgType::Model(returned)).named(rel_name))
                .http(HttpVerb::Put, format!("{base}/rel/:fk"))
        }
        "unlink" if links => proto(
            format!("Remove the {rel_name} relation to an item by id."),
            AccessType::Write,
        )
        .accepts(fk_arg(rel_name))
        .http(HttpVerb::Delete, format!("{base}/rel/:fk")),
        "exists" if links => proto(
            format!("Check the existence of {rel_name} relation to an item by id."),
            AccessType::Read,
        )
        .accepts(fk_arg(rel_name))
        .returns(Returns::root(ArgType::Boolean).named("exists"))
        .http(HttpVerb::Head, format!("{base}/rel/:fk")),
        // LB3's `where` argument of `__delete__` is not exposed over REST.
        "delete" if to_many => proto(
            format!("Deletes all {rel_name} of this model."),
            AccessType::Write,
        )
        .http(HttpVerb::Delete, &base),
        "count" if to_many => proto(
            format!("Counts {rel_name} of {}.", model.name()),
            AccessType::Read,
        )
        .accepts(where_arg(None))
        .returns(Returns::new("count", ArgType::Number))
        .http(HttpVerb::Get, format!("{base}/count")),
        _ => return None,
    };
    Some(m)
}

/// A method of a relation nested with `nestRemoting` (`op` `get`, `names`
/// `books__reviews`): the target's relation method with the source's id and, for to-many
/// relations, the related id (`nk`) in front, its routes below the nested relation's path.
fn nested_method(model: &ModelHandle, op: &str, names: &str) -> Option<RemoteMethod> {
    let (outer, inner) = names.rsplit_once("__")?;
    if outer.is_empty() || inner.contains('_') {
        return None;
    }
    let settings = model.definition().relations.get(outer)?.nest_remoting()?;
    let rel = model.relation(outer).ok()?;
    let multiple = match rel.kind {
        RelationKind::BelongsTo | RelationKind::HasOne => false,
        k if is_to_many(k) => true,
        _ => return None,
    };
    let target = model.app().ok()?.model(rel.target.as_deref()?)?;
    let mut m = relation_method(&target, &format!("{op}__{inner}"))?;
    m.name = format!("prototype.__{op}__{outer}__{inner}");
    let mut accepts = vec![ctor_id(model)];
    if multiple {
        accepts.push(
            Accept::new(settings.param_name.as_str(), ArgType::Any)
                .required()
                .source(ArgSource::Path)
                .description(format!("Foreign key for {outer}.")),
        );
    }
    // The target's own id argument is replaced by the two above.
    accepts.extend(m.accepts.into_iter().skip(1));
    m.accepts = accepts;
    let path = nested_path(&settings, &rel.options, outer);
    let prefix = if multiple {
        format!("/{path}/:{}", settings.param_name)
    } else {
        format!("/{path}")
    };
    for r in &mut m.http {
        r.path = format!("{prefix}{}", r.path);
    }
    Some(m)
}

fn is_to_many(kind: RelationKind) -> bool {
    matches!(
        kind,
        RelationKind::HasMany | RelationKind::HasAndBelongsToMany | RelationKind::ReferencesMany
    )
}

/// A root return value with LB3's `arg` name kept for the documentation.
trait Named {
    fn named(self, arg: &str) -> Self;
}

impl Named for Returns {
    fn named(mut self, arg: &str) -> Self {
        self.arg = Some(arg.to_owned());
        self
    }
}

/// An application with the models of `defs` (LB3 JSON) on a connector that stores nothing:
/// enough to describe them.
#[cfg(test)]
pub(super) async fn test_app(defs: Vec<serde_json::Value>) -> crate::App {
    use crate::connector::{Capabilities, Connector, Options};
    use crate::error::{Error, Result};
    use crate::filter::{Filter, Where};
    use crate::model::ModelDefinition;
    use crate::value::{Record, Value};

    #[derive(Default)]
    struct Null(Capabilities);

    fn none<T>() -> Result<T> {
        Err(Error::Internal("the test connector stores nothing".into()))
    }

    #[async_trait::async_trait]
    impl Connector for Null {
        fn name(&self) -> &str {
            "null"
        }
        fn capabilities(&self) -> &Capabilities {
            &self.0
        }
        async fn create(&self, _: &ModelDefinition, _: Record, _: &Options) -> Result<Value> {
            none()
        }
        async fn find(&self, _: &ModelDefinition, _: &Filter, _: &Options) -> Result<Vec<Record>> {
            none()
        }
        async fn count(&self, _: &ModelDefinition, _: Option<&Where>, _: &Options) -> Result<u64> {
            none()
        }
        async fn update_all(
            &self,
            _: &ModelDefinition,
            _: Option<&Where>,
            _: Record,
            _: &Options,
        ) -> Result<u64> {
            none()
        }
        async fn destroy_all(
            &self,
            _: &ModelDefinition,
            _: Option<&Where>,
            _: &Options,
        ) -> Result<u64> {
            none()
        }
        async fn replace_by_id(
            &self,
            _: &ModelDefinition,
            _: &Value,
            _: Record,
            _: &Options,
        ) -> Result<bool> {
            none()
        }
    }

    let app = crate::App::new();
    app.data_source("db", std::sync::Arc::new(Null::default()));
    for def in defs {
        app.define(ModelDefinition::from_lb3_json(&def).unwrap(), "db")
            .await
            .unwrap();
    }
    app
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::HttpRoute;
    use serde_json::json;

    async fn app() -> crate::App {
        test_app(vec![
            json!({"name": "Author", "properties": {"name": "string"},
                "relations": {
                    "books": {"type": "hasMany", "model": "Book"},
                    "profile": {"type": "hasOne", "model": "Profile"},
                    "tags": {"type": "hasMany", "model": "Tag", "through": "Tagging"}}}),
            json!({"name": "Book", "properties": {"title": "string"},
                "relations": {"author": {"type": "belongsTo", "model": "Author"}}}),
            json!({"name": "Profile", "properties": {"bio": "string"}}),
            json!({"name": "Tag", "properties": {"label": "string"}}),
            json!({"name": "Tagging", "properties": {},
                "relations": {"author": {"type": "belongsTo", "model": "Author"},
                    "tag": {"type": "belongsTo", "model": "Tag"}}}),
            json!({"name": "Note", "properties": {"code": {"type": "string", "id": true}},
                "replaceOnPUT": false}),
        ])
        .await
    }

    fn get(app: &crate::App, model: &str, name: &str) -> Option<RemoteMethod> {
        builtin_method(&app.model(model).unwrap(), name)
    }

    fn routes(m: &RemoteMethod) -> Vec<(HttpVerb, &str)> {
        m.http
            .iter()
            .map(|HttpRoute { verb, path }| (*verb, path.as_str()))
            .collect()
    }

    #[tokio::test]
    async fn static_methods_are_lb3s() {
        let app = app().await;
        let find = get(&app, "Book", "find").unwrap();
        assert!(find.is_static);
        assert_eq!(find.accepts.len(), 1);
        assert_eq!(find.accepts[0].arg, "filter");
        assert_eq!(find.accepts[0].ty, ArgType::Object);
        assert_eq!(find.accepts[0].source, None);
        assert!(find.accepts[0]
            .description
            .as_deref()
            .unwrap()
            .starts_with("Filter defining fields, where"));
        assert_eq!(
            find.returns[0].ty,
            ArgType::Array(Box::new(ArgType::Model("Book".into())))
        );
        assert!(find.returns[0].root);
        assert_eq!(routes(&find), [(HttpVerb::Get, "/")]);

        let by_id = get(&app, "Book", "findById").unwrap();
        assert_eq!(by_id.accepts[0].arg, "id");
        assert!(by_id.accepts[0].required);
        assert_eq!(by_id.accepts[0].source, Some(ArgSource::Path));
        assert_eq!(by_id.accepts[0].ty, ArgType::Number);
        assert_eq!(by_id.accepts[1].arg, "filter");
        assert_eq!(
            by_id.description.as_deref(),
            Some("Find a model instance by {{id}} from the data source.")
        );

        let create = get(&app, "Book", "create").unwrap();
        assert_eq!(create.accepts[0].ty, ArgType::Model("Book".into()));
        assert_eq!(create.accepts[0].source, Some(ArgSource::Body));
        assert!(allows_array(&app.model("Book").unwrap(), "create"));
        assert_eq!(create.effective_access_type(), AccessType::Write);

        let update = get(&app, "Book", "update").unwrap();
        assert_eq!(update.name, "updateAll");
        assert_eq!(
            update
                .accepts
                .iter()
                .map(|a| (a.arg.as_str(), a.source))
                .collect::<Vec<_>>(),
            [
                ("where", Some(ArgSource::Query)),
                ("data", Some(ArgSource::Body))
            ]
        );
        assert_eq!(update.returns[0].arg.as_deref(), Some("count"));
        assert!(!update.returns[0].root);
        assert_eq!(routes(&update), [(HttpVerb::Post, "/update")]);

        let exists = get(&app, "Book", "exists").unwrap();
        assert_eq!(
            routes(&exists),
            [(HttpVerb::Get, "/:id/exists"), (HttpVerb::Head, "/:id")]
        );
        assert_eq!(exists.returns[0].arg.as_deref(), Some("exists"));
        assert_eq!(exists.returns[0].ty, ArgType::Boolean);

        let count = get(&app, "Book", "count").unwrap();
        assert_eq!(count.accepts[0].arg, "where");
        assert_eq!(count.accepts[0].source, None);

        for alias in ["upsert", "updateOrCreate", "patchOrCreate"] {
            assert_eq!(get(&app, "Book", alias).unwrap().name, "patchOrCreate");
        }
        for alias in ["destroyById", "removeById"] {
            let m = get(&app, "Book", alias).unwrap();
            assert_eq!(m.name, "deleteById");
            assert!(m.answers_to(alias));
        }
        assert_eq!(
            get(&app, "Book", "patchOrCreateWithWhere").unwrap().name,
            "upsertWithWhere"
        );
        assert!(!get(&app, "Book", "destroyAll").unwrap().shared);
        assert!(get(&app, "Book", "nope").is_none());
        // No `options` (optionsFromRequest) argument anywhere.
        assert!(create.accepts.iter().all(|a| a.arg != "options"));
    }

    #[tokio::test]
    async fn put_follows_replace_on_put() {
        let app = app().await;
        assert_eq!(
            routes(&get(&app, "Book", "replaceOrCreate").unwrap()),
            [(HttpVerb::Post, "/replaceOrCreate"), (HttpVerb::Put, "/")]
        );
        assert_eq!(
            routes(&get(&app, "Book", "patchOrCreate").unwrap()),
            [(HttpVerb::Patch, "/")]
        );
        assert_eq!(
            routes(&get(&app, "Note", "patchOrCreate").unwrap()),
            [(HttpVerb::Put, "/"), (HttpVerb::Patch, "/")]
        );
        assert_eq!(
            routes(&get(&app, "Note", "replaceById").unwrap()),
            [(HttpVerb::Post, "/:id/replace")]
        );
        let patch = get(&app, "Note", "prototype.updateAttributes").unwrap();
        assert!(!patch.is_static);
        assert_eq!(patch.name, "patchAttributes");
        assert_eq!(
            routes(&patch),
            [(HttpVerb::Put, "/"), (HttpVerb::Patch, "/")]
        );
        // The shared constructor's id, typed by Note's string id.
        assert_eq!(patch.accepts[0].arg, "id");
        assert_eq!(patch.accepts[0].ty, ArgType::String);
        assert_eq!(patch.accepts[0].description.as_deref(), Some("Note id"));
        assert!(get(&app, "Book", "patchAttributes").is_none());
    }

    #[tokio::test]
    async fn relation_methods_follow_the_relation_kind() {
        let app = app().await;
        let m = get(&app, "Book", "prototype.__get__author").unwrap();
        assert_eq!(
            m.description.as_deref(),
            Some("Fetches belongsTo relation author.")
        );
        assert_eq!(m.accepts[1].arg, "refresh");
        assert_eq!(m.accepts[1].source, Some(ArgSource::Query));
        assert_eq!(m.returns[0].ty, ArgType::Model("Author".into()));
        assert!(get(&app, "Book", "prototype.__create__author").is_none());

        let m = get(&app, "Author", "prototype.__get__books").unwrap();
        assert_eq!(m.description.as_deref(), Some("Queries books of Author."));
        assert_eq!(routes(&m), [(HttpVerb::Get, "/books")]);
        assert_eq!(
            m.returns[0].ty,
            ArgType::Array(Box::new(ArgType::Model("Book".into())))
        );

        let m = get(&app, "Author", "prototype.__findById__books").unwrap();
        assert_eq!(m.accepts[1].arg, "fk");
        assert_eq!(
            m.accepts[1].description.as_deref(),
            Some("Foreign key for books")
        );
        assert_eq!(routes(&m), [(HttpVerb::Get, "/books/:fk")]);

        let m = get(&app, "Author", "prototype.__destroyById__books").unwrap();
        assert!(m.returns.is_empty());
        let m = get(&app, "Author", "prototype.__count__books").unwrap();
        assert_eq!(routes(&m), [(HttpVerb::Get, "/books/count")]);
        assert_eq!(m.returns[0].arg.as_deref(), Some("count"));
        assert!(get(&app, "Author", "prototype.__link__books").is_none());
        assert!(allows_array(
            &app.model("Author").unwrap(),
            "prototype.__create__books"
        ));
        assert!(!allows_array(
            &app.model("Author").unwrap(),
            "prototype.__create__profile"
        ));

        let m = get(&app, "Author", "prototype.__link__tags").unwrap();
        assert_eq!(routes(&m), [(HttpVerb::Put, "/tags/rel/:fk")]);
        assert_eq!(m.accepts[2].ty, ArgType::Model("Tagging".into()));
        assert_eq!(m.returns[0].ty, ArgType::Model("Tagging".into()));
        let m = get(&app, "Author", "prototype.__exists__tags").unwrap();
        assert_eq!(routes(&m), [(HttpVerb::Head, "/tags/rel/:fk")]);

        let m = get(&app, "Author", "prototype.__destroy__profile").unwrap();
        assert_eq!(routes(&m), [(HttpVerb::Delete, "/profile")]);
        let m = get(&app, "Author", "prototype.__update__profile").unwrap();
        assert_eq!(routes(&m), [(HttpVerb::Put, "/profile")]);
        assert!(get(&app, "Author", "prototype.__count__profile").is_none());
        assert!(get(&app, "Author", "prototype.__get__nothing").is_none());
    }
}
