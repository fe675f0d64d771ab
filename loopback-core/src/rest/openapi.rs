//! The OpenAPI 3.0.3 document of a REST API: one path per route served, described by the
//! route's remote method (LB3's built-in descriptors from [`builtin_method`], the model's own
//! remote methods otherwise), and the models as `components.schemas`.
//!
//! Paths are relative to the REST root, which is the one server (a relative URL, resolved
//! against the document's own location). Each model has three schemas:
//! - `<Model>`: an instance as a request creates or replaces it (required properties
//!   required, forced ids read-only);
//! - `<Model>Partial`: the same with every property optional (patch and update bodies);
//! - `<Model>WithRelations`: an instance as answers show it: no property is required (a
//!   filter's `fields` leaves properties out), every property may be `null`, and the relations
//!   an `include` adds are listed.
//!
//! Hidden properties appear in none of them. `filter` and `where` query parameters are JSON
//! text (`content: application/json`), as LB3 reads them. Errors are the `LoopBackError`
//! envelope (`default` response).

use std::collections::{HashMap, HashSet};

use serde_json::{json, Map, Value as Json};

use super::builtins::{allows_array, builtin_method, id_type};
use super::routes::{strip_mount, Route};
use crate::app::{App, ModelHandle};
use crate::model::{ModelDefinition, PropertyType, RelationKind, Strict};
use crate::remote::{Accept, ArgSource, ArgType, HttpVerb, RemoteMethod, ReturnTarget};

/// The title of the document when none is given.
const DEFAULT_TITLE: &str = "LoopBack application";

/// The name of the error envelope's schema.
const ERROR_SCHEMA: &str = "LoopBackError";
/// The name of the `filter` argument's schema.
const FILTER_SCHEMA: &str = "LoopBackFilter";

/// The OpenAPI document of the routes `routes` of `app` served under `rest_root` (`/api`, or
/// empty), titled [`DEFAULT_TITLE`].
pub(crate) fn document(app: &App, rest_root: &str, routes: &[Route]) -> Json {
    document_with_title(app, DEFAULT_TITLE, rest_root, routes)
}

/// [`document`] with the title `title`.
pub(crate) fn document_with_title(
    app: &App,
    title: &str,
    rest_root: &str,
    routes: &[Route],
) -> Json {
    let root = rest_root.trim_end_matches('/');
    let mut gen = Gen {
        app,
        schemas: Schemas::default(),
    };

    // Each method named by a route, described once; routes naming no documented method are
    // skipped.
    let mut methods: HashMap<&str, Option<Described<'_>>> = HashMap::new();
    for route in routes {
        methods
            .entry(route.method.as_str())
            .or_insert_with(|| Described::new(app, root, &route.method));
    }
    let described: Vec<(&Route, HttpVerb, &Described<'_>)> = routes
        .iter()
        .filter_map(|route| {
            let d = methods.get(route.method.as_str())?.as_ref()?;
            Some((route, HttpVerb::parse(route.verb)?, d))
        })
        .collect();

    // The route that gets the bare method string as its operationId: the one of the method's
    // first declared route, else the first listed.
    let mut primary: HashMap<&str, usize> = HashMap::new();
    for (i, (route, verb, d)) in described.iter().enumerate() {
        if d.is_first_declared(route, *verb) {
            primary.entry(route.method.as_str()).or_insert(i);
        }
    }
    for (i, (route, ..)) in described.iter().enumerate() {
        primary.entry(route.method.as_str()).or_insert(i);
    }

    let mut paths = Map::new();
    let mut tags: Vec<(String, Option<String>)> = Vec::new();
    let mut used_ids: HashSet<String> = HashSet::new();
    for (i, (route, verb, d)) in described.iter().enumerate() {
        // `all` routes answer every verb; documented as POST.
        let verb = match verb {
            HttpVerb::All => HttpVerb::Post,
            v => *v,
        };
        let rel_path = openapi_path(strip_mount(&route.path, root).unwrap_or(&route.path));
        let mut op_id = route.method.clone();
        if primary.get(route.method.as_str()) != Some(&i) {
            let suffix: String = rel_path
                .chars()
                .filter(|c| !matches!(c, '{' | '}'))
                .map(|c| if c == '/' { '_' } else { c })
                .collect();
            op_id = format!("{}__{}{suffix}", route.method, verb.as_str());
        }
        let base = op_id.clone();
        let mut n = 2;
        while !used_ids.insert(op_id.clone()) {
            op_id = format!("{base}_{n}");
            n += 1;
        }
        if !tags.iter().any(|(t, _)| t == d.model.name()) {
            tags.push((
                d.model.name().to_owned(),
                d.model.definition().description.clone(),
            ));
        }
        let op = gen.operation(&OpCtx {
            d,
            verb,
            path: &rel_path,
            op_id,
        });
        let item = paths
            .entry(rel_path)
            .or_insert_with(|| Json::Object(Map::new()));
        if let Some(item) = item.as_object_mut() {
            item.entry(verb.as_str()).or_insert(op);
        }
    }

    let mut schemas = gen.finish_schemas();
    schemas.insert(ERROR_SCHEMA.to_owned(), error_schema());
    schemas.insert(FILTER_SCHEMA.to_owned(), filter_schema());

    let server = if root.is_empty() { "/" } else { root };
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": title,
            "version": "1.0.0",
            "description": "The REST API of the application's models, as LoopBack 3 serves it.",
        },
        "servers": [{"url": server}],
        "tags": tags
            .into_iter()
            .map(|(name, description)| match description {
                Some(d) => json!({"name": name, "description": d}),
                None => json!({"name": name}),
            })
            .collect::<Vec<_>>(),
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

/// A documented method, as the routes naming it share it.
struct Described<'r> {
    model: ModelHandle,
    /// The method name without the model: `find`, `prototype.greet`.
    name: &'r str,
    method: RemoteMethod,
    /// A custom remote method (else a built-in).
    custom: bool,
    /// A built-in whose `data` may be an array of instances, and whose answer then is one.
    array_data: bool,
    /// A belongsTo `__get__`, which answers `{}` when there is no related instance.
    may_be_empty: bool,
    /// The verb and full path (`/api/Books/:id/exists`) of the first declared route.
    first_route: Option<(HttpVerb, String)>,
}

impl<'r> Described<'r> {
    /// The method `method` (`Book.find`) of a route under `root`: the model's own remote
    /// method, else LB3's built-in. `None` when there is none, or it is not documented.
    fn new(app: &App, root: &str, method: &'r str) -> Option<Self> {
        let (model_name, name) = method.split_once('.')?;
        let model = app.model(model_name)?;
        let custom = model
            .remote_methods()
            .into_iter()
            .find(|m| m.answers_to(name))
            .map(|m| (*m).clone());
        let (method, custom) = match custom {
            Some(m) => (m, true),
            None => (builtin_method(&model, name)?, false),
        };
        if !method.documented || !method.shared {
            return None;
        }
        let first_route = method.routes().into_iter().next().map(|first| {
            let segment = model.definition().http_path_segment();
            let mut path = format!("{root}/{}", segment.trim_matches('/'));
            if !method.is_static {
                path.push_str("/:id");
            }
            if first.path != "/" {
                path.push_str(&first.path);
            }
            (first.verb, path)
        });
        let array_data = !custom && allows_array(&model, name);
        let may_be_empty = !custom
            && name
                .strip_prefix("prototype.__get__")
                .and_then(|rel| model.relation(rel).ok())
                .is_some_and(|r| r.kind == RelationKind::BelongsTo);
        Some(Described {
            model,
            name,
            method,
            custom,
            array_data,
            may_be_empty,
            first_route,
        })
    }

    /// Whether `route` (answering `verb`) is the method's first declared route.
    fn is_first_declared(&self, route: &Route, verb: HttpVerb) -> bool {
        self.first_route.as_ref().is_some_and(|(first, path)| {
            (*first == HttpVerb::All || *first == verb) && path.eq_ignore_ascii_case(&route.path)
        })
    }
}

/// `/Books/:id` → `/Books/{id}`.
fn openapi_path(path: &str) -> String {
    let path = if path.is_empty() { "/" } else { path };
    path.split('/')
        .map(|seg| match seg.strip_prefix(':') {
            Some(name) if !name.is_empty() => format!("{{{name}}}"),
            _ => seg.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The names of the path parameters of an OpenAPI path.
fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

/// What a schema of a model is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Use {
    /// A request body that creates or replaces: `<Model>`.
    Full,
    /// A request body that patches: `<Model>Partial`.
    Partial,
    /// An answer: `<Model>WithRelations`.
    Output,
}

impl Use {
    fn schema_name(self, model: &str) -> String {
        // Component names are `^[a-zA-Z0-9.\-_]+$`.
        let model: String = model
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        match self {
            Use::Full => model,
            Use::Partial => format!("{model}Partial"),
            Use::Output => format!("{model}WithRelations"),
        }
    }
}

/// The model schemas referenced so far, generated at the end.
#[derive(Default)]
struct Schemas {
    wanted: Vec<(String, Use)>,
    seen: HashSet<(String, Use)>,
}

struct Gen<'a> {
    app: &'a App,
    schemas: Schemas,
}

struct OpCtx<'a> {
    d: &'a Described<'a>,
    /// The documented verb (never `all`).
    verb: HttpVerb,
    /// The OpenAPI path.
    path: &'a str,
    op_id: String,
}

impl Gen<'_> {
    /// A `$ref` to the schema of model `name` for `use_`, or an untyped schema when `name` is
    /// not a model of the app.
    fn model_ref(&mut self, name: &str, use_: Use) -> Json {
        if self.app.model(name).is_none() {
            return json!({});
        }
        let key = (name.to_owned(), use_);
        if self.schemas.seen.insert(key.clone()) {
            self.schemas.wanted.push(key);
        }
        json!({"$ref": format!("#/components/schemas/{}", use_.schema_name(name))})
    }

    fn finish_schemas(&mut self) -> Map<String, Json> {
        let mut out = Map::new();
        let mut i = 0;
        while i < self.schemas.wanted.len() {
            let (name, use_) = self.schemas.wanted[i].clone();
            i += 1;
            if let Some(def) = self.app.definition_of(&name) {
                let schema = self.model_schema(&def, use_);
                out.insert(use_.schema_name(&name), schema);
            }
        }
        // Models first, each with its variants together, in a stable order.
        let mut entries: Vec<(String, Json)> = out.into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.into_iter().collect()
    }

    fn model_schema(&mut self, def: &ModelDefinition, use_: Use) -> Json {
        let mut props = Map::new();
        let mut required = Vec::new();
        // Nested models are whole values, also inside a patch.
        let nested = if use_ == Use::Partial {
            Use::Full
        } else {
            use_
        };
        for p in def.properties.values() {
            if p.hidden || def.is_hidden(&p.name) {
                continue;
            }
            let mut s = self.property_schema(&p.ty, nested);
            describe(&mut s, p.description.as_deref());
            let is_required = p.required && p.id.is_none();
            if p.id.is_some() && def.force_id() && use_ != Use::Output {
                s = with_key(s, "readOnly", json!(true));
            }
            let nullable = match use_ {
                Use::Output => true,
                Use::Full | Use::Partial => !p.required && p.id.is_none(),
            };
            if nullable {
                s = make_nullable(s);
            }
            if is_required && use_ == Use::Full {
                required.push(json!(p.name));
            }
            props.insert(p.name.clone(), s);
        }
        let model = match use_ {
            Use::Output => self.app.model(&def.name),
            Use::Full | Use::Partial => None,
        };
        if let Some(model) = model {
            for name in def.relations.keys() {
                if props.contains_key(name) {
                    continue;
                }
                let Ok(rel) = model.relation(name) else {
                    continue;
                };
                if rel.is_embedded() {
                    continue;
                }
                let target = match &rel.target {
                    Some(t) => self.model_ref(t, Use::Output),
                    None => json!({"type": "object"}),
                };
                let s = if rel.multiple {
                    json!({"type": "array", "items": target})
                } else {
                    make_nullable(target)
                };
                props.insert(name.clone(), s);
            }
        }
        let mut schema = Map::new();
        schema.insert("type".into(), json!("object"));
        let description = match use_ {
            Use::Full => def.description.clone(),
            Use::Partial => Some(format!("{} with every property optional.", def.name)),
            Use::Output => Some(format!(
                "{} as answers show it: a filter's `fields` may leave properties out and `include` adds related models.",
                def.name
            )),
        };
        if let Some(d) = description {
            schema.insert("description".into(), json!(d));
        }
        schema.insert("properties".into(), Json::Object(props));
        if !required.is_empty() {
            schema.insert("required".into(), Json::Array(required));
        }
        if use_ != Use::Output && matches!(def.strict_mode(), Strict::True | Strict::Throw) {
            schema.insert("additionalProperties".into(), json!(false));
        }
        Json::Object(schema)
    }

    fn property_schema(&mut self, ty: &PropertyType, use_: Use) -> Json {
        match ty {
            PropertyType::String => json!({"type": "string"}),
            PropertyType::Number => json!({"type": "number"}),
            PropertyType::Boolean => json!({"type": "boolean"}),
            PropertyType::Date if use_ == Use::Output => output_date_schema(),
            PropertyType::Date => json!({"type": "string", "format": "date-time"}),
            PropertyType::Buffer if use_ == Use::Output => json!({
                "type": "object",
                "properties": {"type": {"type": "string"}, "data": {"type": "array", "items": {"type": "integer"}}},
            }),
            PropertyType::Buffer | PropertyType::Any => json!({}),
            PropertyType::GeoPoint => {
                let mut s = json!({
                    "type": "object",
                    "properties": {"lat": {"type": "number"}, "lng": {"type": "number"}},
                });
                if use_ != Use::Output {
                    s["required"] = json!(["lat", "lng"]);
                }
                s
            }
            PropertyType::Object => json!({"type": "object"}),
            PropertyType::Array(inner) => {
                let items = self.property_schema(inner, use_);
                // Array items may be null (they are not coerced).
                let items = if use_ == Use::Output {
                    make_nullable(items)
                } else {
                    items
                };
                json!({"type": "array", "items": items})
            }
            PropertyType::Model(name) => self.model_ref(name, use_),
        }
    }

    /// The schema of an argument or return type.
    fn arg_schema(&mut self, ty: &ArgType, use_: Use) -> Json {
        match ty {
            ArgType::Any => json!({}),
            ArgType::String
            | ArgType::Number
            | ArgType::Integer
            | ArgType::Boolean
            | ArgType::Date => scalar_schema(ty),
            ArgType::Object => json!({"type": "object"}),
            ArgType::Buffer => json!({"type": "string", "format": "byte"}),
            ArgType::File => json!({"type": "string", "format": "binary"}),
            ArgType::Array(inner) => {
                json!({"type": "array", "items": self.arg_schema(inner, use_)})
            }
            ArgType::Model(name) => self.model_ref(name, use_),
        }
    }

    fn operation(&mut self, ctx: &OpCtx<'_>) -> Json {
        let (d, m) = (ctx.d, &ctx.d.method);
        let mut params = Vec::new();
        let in_path = path_params(ctx.path);
        let mut consumed: HashSet<&str> = HashSet::new();

        for name in &in_path {
            let declared = m
                .accepts
                .iter()
                .find(|a| a.arg == *name && matches!(a.source, None | Some(ArgSource::Path)));
            let (schema, description) = match declared {
                Some(a) => (scalar_schema(&a.ty), a.description.clone()),
                None if *name == "id" && !m.is_static => (
                    scalar_schema(&id_type(&d.model)),
                    Some(format!("{} id", d.model.name())),
                ),
                None => (json!({"type": "string"}), None),
            };
            consumed.insert(name);
            params.push(param(
                name,
                "path",
                true,
                description,
                ParamSchema::Schema(schema),
            ));
        }

        let mut body: Option<&Accept> = None;
        let mut form: Vec<&Accept> = Vec::new();
        let reads_body = !matches!(ctx.verb, HttpVerb::Get | HttpVerb::Head);
        for a in &m.accepts {
            if consumed.contains(a.arg.as_str()) {
                continue;
            }
            match a.source {
                Some(
                    ArgSource::OptionsFromRequest
                    | ArgSource::Req
                    | ArgSource::Res
                    | ArgSource::Context
                    | ArgSource::Path,
                ) => {}
                Some(ArgSource::Body) if reads_body => body = body.or(Some(a)),
                Some(ArgSource::Form) if reads_body => form.push(a),
                Some(ArgSource::Body | ArgSource::Form) => {}
                Some(ArgSource::Header) => {
                    let s = ParamSchema::Schema(scalar_schema(&a.ty));
                    params.push(param(
                        &a.arg,
                        "header",
                        a.required,
                        a.description.clone(),
                        s,
                    ));
                }
                Some(ArgSource::Query) | None => {
                    let s = if !d.custom && a.arg == "filter" && a.ty == ArgType::Object {
                        ParamSchema::Json(
                            json!({"$ref": format!("#/components/schemas/{FILTER_SCHEMA}")}),
                        )
                    } else if is_structured(&a.ty) {
                        ParamSchema::Json(self.arg_schema(&a.ty, Use::Full))
                    } else {
                        ParamSchema::Schema(scalar_schema(&a.ty))
                    };
                    params.push(param(&a.arg, "query", a.required, a.description.clone(), s));
                }
            }
        }

        let mut op = Map::new();
        op.insert("tags".into(), json!([d.model.name()]));
        if let Some(d) = &m.description {
            op.insert("summary".into(), json!(d));
        }
        if let Some(n) = &m.notes {
            op.insert("description".into(), json!(n));
        }
        op.insert("operationId".into(), json!(ctx.op_id));
        if !params.is_empty() {
            op.insert("parameters".into(), Json::Array(params));
        }

        if let Some(a) = body {
            let use_ = if is_patch(d.name) {
                Use::Partial
            } else {
                Use::Full
            };
            let mut schema = self.arg_schema(&a.ty, use_);
            if d.array_data {
                schema = one_or_many(schema);
            }
            let mut rb = Map::new();
            if let Some(d) = &a.description {
                rb.insert("description".into(), json!(d));
            }
            rb.insert("required".into(), json!(a.required));
            rb.insert(
                "content".into(),
                json!({"application/json": {"schema": schema}}),
            );
            op.insert("requestBody".into(), Json::Object(rb));
        } else if !form.is_empty() {
            let mut props = Map::new();
            let mut required = Vec::new();
            for a in &form {
                let mut s = self.arg_schema(&a.ty, Use::Full);
                describe(&mut s, a.description.as_deref());
                props.insert(a.arg.clone(), s);
                if a.required {
                    required.push(json!(a.arg));
                }
            }
            let any_required = !required.is_empty();
            let mut schema = json!({"type": "object", "properties": props});
            if any_required {
                schema["required"] = Json::Array(required);
            }
            op.insert(
                "requestBody".into(),
                json!({
                    "required": any_required,
                    "content": {"application/json": {"schema": schema}},
                }),
            );
        }

        op.insert("responses".into(), self.responses(ctx));
        Json::Object(op)
    }

    fn responses(&mut self, ctx: &OpCtx<'_>) -> Json {
        let (d, m) = (ctx.d, &ctx.d.method);
        let mut out = Map::new();
        if ctx.verb == HttpVerb::Head {
            out.insert(
                m.status.unwrap_or(200).to_string(),
                json!({"description": "Found (no body)."}),
            );
            out.insert(
                "default".into(),
                json!({"description": "Not found, or another error (no body)."}),
            );
            return Json::Object(out);
        }
        let body_returns: Vec<_> = m
            .returns
            .iter()
            .filter(|r| r.target == ReturnTarget::Body)
            .collect();
        let headers: Vec<_> = m
            .returns
            .iter()
            .filter_map(|r| match &r.target {
                ReturnTarget::Header(h) => Some((h.clone(), r)),
                _ => None,
            })
            .collect();
        let mut ok = Map::new();
        let status;
        if body_returns.is_empty() {
            status = m.status.unwrap_or(204);
            ok.insert("description".into(), json!("No content."));
        } else {
            status = m.status.unwrap_or(200);
            let root = body_returns.iter().find(|r| r.root);
            let (media, schema, description) = match root {
                Some(r) => {
                    let (media, schema) = match &r.ty {
                        ArgType::Model(n) if n == "ReadableStream" => {
                            ("text/event-stream", json!({"type": "string"}))
                        }
                        ArgType::File => (
                            "application/octet-stream",
                            json!({"type": "string", "format": "binary"}),
                        ),
                        ty => {
                            let schema = self.arg_schema(ty, Use::Output);
                            // An array body creates an array.
                            let schema = if d.array_data {
                                one_or_many(schema)
                            } else {
                                schema
                            };
                            ("application/json", schema)
                        }
                    };
                    (media, schema, r.description.clone())
                }
                None if body_returns
                    .iter()
                    .any(|r| matches!(&r.ty, ArgType::Model(n) if n == "ReadableStream")) =>
                {
                    ("text/event-stream", json!({"type": "string"}), None)
                }
                None => {
                    let mut props = Map::new();
                    for r in &body_returns {
                        let Some(arg) = &r.arg else { continue };
                        let mut s = self.arg_schema(&r.ty, Use::Output);
                        describe(&mut s, r.description.as_deref());
                        props.insert(arg.clone(), s);
                    }
                    let schema = json!({"type": "object", "properties": props});
                    (
                        "application/json",
                        schema,
                        body_returns.iter().find_map(|r| r.description.clone()),
                    )
                }
            };
            // belongsTo answers `{}` when there is no related instance.
            let schema = if d.may_be_empty {
                json!({"anyOf": [schema, {"type": "object", "maxProperties": 0}]})
            } else {
                schema
            };
            ok.insert(
                "description".into(),
                json!(description.unwrap_or_else(|| "Request was successful".to_owned())),
            );
            ok.insert("content".into(), json!({media: {"schema": schema}}));
        }
        if !headers.is_empty() {
            let mut hs = Map::new();
            for (name, r) in headers {
                let mut h = Map::new();
                if let Some(d) = &r.description {
                    h.insert("description".into(), json!(d));
                }
                h.insert("schema".into(), scalar_schema(&r.ty));
                hs.insert(name, Json::Object(h));
            }
            ok.insert("headers".into(), Json::Object(hs));
        }
        out.insert(status.to_string(), Json::Object(ok));
        out.insert(
            "default".into(),
            json!({
                "description": "An error, in strong-error-handler's envelope.",
                "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{ERROR_SCHEMA}")}}},
            }),
        );
        Json::Object(out)
    }
}

/// `schema`, or an array of it (LB3's `allowArray`).
fn one_or_many(schema: Json) -> Json {
    json!({"anyOf": [schema.clone(), {"type": "array", "items": schema}]})
}

/// Whether the built-in method `name` patches (its `data` is partial).
fn is_patch(name: &str) -> bool {
    matches!(
        name,
        "patchOrCreate"
            | "upsert"
            | "updateOrCreate"
            | "upsertWithWhere"
            | "patchOrCreateWithWhere"
            | "updateAll"
            | "update"
            | "prototype.patchAttributes"
            | "prototype.updateAttributes"
    ) || name.starts_with("prototype.__update__")
        || name.starts_with("prototype.__updateById__")
        || name.starts_with("prototype.__link__")
}

/// Whether an argument of type `ty` is JSON text in a query string.
fn is_structured(ty: &ArgType) -> bool {
    matches!(ty, ArgType::Object | ArgType::Array(_) | ArgType::Model(_))
}

/// The schema of a path, header or scalar query parameter.
fn scalar_schema(ty: &ArgType) -> Json {
    match ty {
        ArgType::Number => json!({"type": "number"}),
        ArgType::Integer => json!({"type": "integer"}),
        ArgType::Boolean => json!({"type": "boolean"}),
        ArgType::Date => json!({"type": "string", "format": "date-time"}),
        _ => json!({"type": "string"}),
    }
}

enum ParamSchema {
    /// `schema`.
    Schema(Json),
    /// `content: application/json`: the value is JSON text.
    Json(Json),
}

fn param(
    name: &str,
    location: &str,
    required: bool,
    description: Option<String>,
    schema: ParamSchema,
) -> Json {
    let mut p = Map::new();
    p.insert("name".into(), json!(name));
    p.insert("in".into(), json!(location));
    if let Some(d) = description {
        p.insert("description".into(), json!(d));
    }
    p.insert("required".into(), json!(required || location == "path"));
    match schema {
        ParamSchema::Schema(mut s) => {
            // strong-remoting takes a required `""` as missing; an empty path segment is
            // another route.
            if (required || location == "path") && s == json!({"type": "string"}) {
                s["minLength"] = json!(1);
            }
            p.insert("schema".into(), s);
        }
        ParamSchema::Json(s) => {
            p.insert("content".into(), json!({"application/json": {"schema": s}}));
        }
    }
    Json::Object(p)
}

/// Adds `description` to `schema`, unless it is a `$ref` (whose siblings are ignored).
fn describe(schema: &mut Json, description: Option<&str>) {
    if let (Some(d), Some(o)) = (description, schema.as_object_mut()) {
        if !o.contains_key("$ref") {
            o.insert("description".into(), json!(d));
        }
    }
}

/// `schema` with `key` set; a `$ref` is wrapped in `allOf` (its siblings are ignored).
fn with_key(schema: Json, key: &str, value: Json) -> Json {
    match schema {
        Json::Object(mut o) if !o.contains_key("$ref") => {
            o.insert(key.into(), value);
            Json::Object(o)
        }
        other => {
            let mut o = Map::new();
            o.insert("allOf".into(), json!([other]));
            o.insert(key.into(), value);
            Json::Object(o)
        }
    }
}

/// The schema that also allows `null` (OpenAPI 3.0's `nullable`; a `$ref` is wrapped).
/// A date as answers write it: JavaScript's `toISOString`, as LB3 writes dates. Years 0 to
/// 9999 are RFC 3339 `date-time`; dates beyond them (LB3 accepts any date JavaScript can
/// hold, a number of milliseconds say) have a signed six-digit year (`-228172-04-27T…Z`),
/// which `date-time` does not allow.
fn output_date_schema() -> Json {
    json!({"anyOf": [
        {"type": "string", "format": "date-time"},
        {"type": "string", "pattern": "^[+-][0-9]{6}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"}
    ]})
}

fn make_nullable(schema: Json) -> Json {
    match &schema {
        // `{}` allows null already.
        Json::Object(o) if o.is_empty() => schema,
        _ => with_key(schema, "nullable", json!(true)),
    }
}

/// strong-error-handler's envelope.
fn error_schema() -> Json {
    json!({
        "type": "object",
        "description": "An error answer (strong-error-handler's format). 5xx answers in production carry only `statusCode` and `message`.",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["statusCode", "message"],
                "properties": {
                    "statusCode": {"type": "integer"},
                    "name": {"type": "string"},
                    "message": {"type": "string"},
                    "code": {"type": "string"},
                    "details": {},
                    "stack": {"type": "string"},
                },
            },
        },
    })
}

/// LB3's filter object, as `find`, `findOne`, `findById` and the relation `__get__` read it.
fn filter_schema() -> Json {
    json!({
        "type": "object",
        "description": "A LoopBack filter: `where`, `fields`, `include`, `order`, `limit`, `skip` (`offset`).",
        "properties": {
            "where": {"type": "object"},
            "fields": {"anyOf": [
                {"type": "object", "additionalProperties": {"type": "boolean"}},
                {"type": "array", "items": {"type": "string"}},
                {"type": "string"},
            ]},
            "include": {"anyOf": [
                {"type": "string"},
                {"type": "object"},
                {"type": "array", "items": {}},
            ]},
            "order": {"anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}},
            ]},
            "limit": {"type": "integer", "minimum": 1},
            "skip": {"type": "integer", "minimum": 0},
            "offset": {"type": "integer", "minimum": 0},
        },
    })
}

#[cfg(test)]
mod tests {
    use super::super::builtins::test_app;
    use super::super::routes::RouteTable;
    use super::*;

    #[test]
    fn output_dates_beyond_rfc_3339_years_match_their_schema() {
        let schema = output_date_schema();
        let pattern = schema["anyOf"][1]["pattern"].as_str().unwrap();
        let re = regex::Regex::new(pattern).unwrap();
        for ms in [
            253_402_300_800_000,
            -62_198_755_200_000,
            -7_262_569_968_610_521,
        ] {
            let d = chrono::DateTime::from_timestamp_millis(ms).unwrap();
            let text = crate::value::format_date(&d);
            assert!(re.is_match(&text), "{text}");
        }
        // RFC 3339 years are the `date-time` branch's.
        let d = chrono::DateTime::from_timestamp_millis(1_396_377_000_000).unwrap();
        assert!(!re.is_match(&crate::value::format_date(&d)));
        assert_eq!(schema["anyOf"][0]["format"], "date-time");
    }

    async fn app() -> App {
        test_app(vec![
            json!({"name": "Author", "description": "Writers.",
                "properties": {"name": {"type": "string", "required": true}, "email": "string"},
                "hidden": ["email"],
                "relations": {"books": {"type": "hasMany", "model": "Book"}}}),
            json!({"name": "Book", "properties": {
                    "title": {"type": "string", "required": true, "description": "The title"},
                    "price": "number", "published": "boolean", "when": "date",
                    "tags": ["string"], "meta": "object", "where": "geopoint", "secret": "string"},
                "hidden": ["secret"],
                "relations": {"author": {"type": "belongsTo", "model": "Author"}}}),
            json!({"name": "Note", "properties": {"code": {"type": "string", "id": true},
                "body": "string"}, "http": {"path": "my-notes"}}),
        ])
        .await
    }

    fn doc_of(app: &App, root: &str) -> Json {
        let table = RouteTable::new(app.models());
        let mut routes = table.routes(root, false);
        routes.extend(table.routes(root, true));
        document(app, root, &routes)
    }

    #[tokio::test]
    async fn paths_and_operations() {
        let app = app().await;
        let doc = doc_of(&app, "/api");
        assert_eq!(doc["openapi"], "3.0.3");
        assert_eq!(doc["servers"], json!([{"url": "/api"}]));
        assert_eq!(doc["info"]["title"], DEFAULT_TITLE);
        let find = &doc["paths"]["/Books"]["get"];
        assert_eq!(find["operationId"], "Book.find");
        assert_eq!(find["tags"], json!(["Book"]));
        assert_eq!(
            find["summary"],
            "Find all instances of the model matched by filter from the data source."
        );
        assert_eq!(find["parameters"][0]["name"], "filter");
        assert_eq!(find["parameters"][0]["in"], "query");
        assert_eq!(
            find["parameters"][0]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/LoopBackFilter"
        );
        assert_eq!(
            find["responses"]["200"]["content"]["application/json"]["schema"],
            json!({"type": "array", "items": {"$ref": "#/components/schemas/BookWithRelations"}})
        );
        assert_eq!(
            find["responses"]["default"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/LoopBackError"
        );

        let by_id = &doc["paths"]["/Books/{id}"]["get"];
        assert_eq!(by_id["operationId"], "Book.findById");
        assert_eq!(
            by_id["parameters"][0],
            json!({"name": "id", "in": "path", "description": "Model id", "required": true,
                "schema": {"type": "number"}})
        );
        // PUT /:id is replaceById; its primary route is POST /:id/replace.
        assert_eq!(
            doc["paths"]["/Books/{id}/replace"]["post"]["operationId"],
            "Book.replaceById"
        );
        assert_eq!(
            doc["paths"]["/Books/{id}"]["put"]["operationId"],
            "Book.replaceById__put_Books_id"
        );
        assert_eq!(
            doc["paths"]["/Books/{id}"]["head"]["operationId"],
            "Book.exists__head_Books_id"
        );
        assert_eq!(
            doc["paths"]["/Books/{id}/exists"]["get"]["operationId"],
            "Book.exists"
        );
        assert!(doc["paths"]["/Books/{id}"]["head"]["responses"]["200"]
            .get("content")
            .is_none());

        let create = &doc["paths"]["/Books"]["post"];
        let schema = &create["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(
            schema,
            &json!({"anyOf": [{"$ref": "#/components/schemas/Book"},
                {"type": "array", "items": {"$ref": "#/components/schemas/Book"}}]})
        );
        let patch = &doc["paths"]["/Books/{id}"]["patch"];
        assert_eq!(patch["operationId"], "Book.prototype.patchAttributes");
        assert_eq!(
            patch["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/BookPartial"
        );
        assert_eq!(patch["parameters"][0]["description"], "Book id");

        let update = &doc["paths"]["/Books/update"]["post"];
        assert_eq!(update["parameters"][0]["name"], "where");
        assert_eq!(
            update["parameters"][0]["content"]["application/json"]["schema"],
            json!({"type": "object"})
        );
        assert_eq!(
            update["responses"]["200"]["content"]["application/json"]["schema"],
            json!({"type": "object", "properties": {"count": {"type": "number",
                "description": "The number of instances updated"}}})
        );
        let count = &doc["paths"]["/Books/count"]["get"];
        assert_eq!(
            count["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
                ["count"],
            json!({"type": "number"})
        );
        // A string id, under the model's http.path.
        assert_eq!(
            doc["paths"]["/my-notes/{id}"]["get"]["parameters"][0]["schema"],
            json!({"type": "string", "minLength": 1})
        );
        // The change stream is an event stream.
        assert_eq!(
            doc["paths"]["/Books/change-stream"]["get"]["responses"]["200"]["content"]
                ["text/event-stream"]["schema"],
            json!({"type": "string"})
        );
        assert_eq!(
            doc["tags"][0],
            json!({"name": "Author", "description": "Writers."})
        );
    }

    #[tokio::test]
    async fn relation_paths() {
        let app = app().await;
        let doc = doc_of(&app, "/api");
        let get = &doc["paths"]["/Authors/{id}/books"]["get"];
        assert_eq!(get["operationId"], "Author.prototype.__get__books");
        assert_eq!(get["summary"], "Queries books of Author.");
        assert_eq!(get["parameters"][0]["name"], "id");
        assert_eq!(get["parameters"][1]["name"], "filter");
        let fk = &doc["paths"]["/Authors/{id}/books/{fk}"]["delete"];
        assert_eq!(fk["parameters"][1]["name"], "fk");
        assert_eq!(fk["parameters"][1]["description"], "Foreign key for books");
        assert_eq!(fk["responses"]["204"]["description"], "No content.");
        assert!(fk["responses"]["204"].get("content").is_none());
        let owner = &doc["paths"]["/Books/{id}/author"]["get"];
        assert_eq!(owner["parameters"][1]["name"], "refresh");
        assert_eq!(owner["parameters"][1]["schema"], json!({"type": "boolean"}));
        assert_eq!(
            owner["responses"]["200"]["content"]["application/json"]["schema"]["anyOf"][1],
            json!({"type": "object", "maxProperties": 0})
        );
    }

    #[tokio::test]
    async fn model_schemas() {
        let app = app().await;
        let doc = doc_of(&app, "");
        assert_eq!(doc["servers"], json!([{"url": "/"}]));
        assert_eq!(doc["paths"]["/Books"]["get"]["operationId"], "Book.find");
        let s = &doc["components"]["schemas"];
        let book = &s["Book"];
        assert_eq!(book["required"], json!(["title"]));
        assert!(book["properties"].get("secret").is_none());
        assert_eq!(
            book["properties"]["title"],
            json!({"type": "string", "description": "The title"})
        );
        assert_eq!(
            book["properties"]["price"],
            json!({"type": "number", "nullable": true})
        );
        assert_eq!(
            book["properties"]["when"],
            json!({"type": "string", "format": "date-time", "nullable": true})
        );
        assert_eq!(
            book["properties"]["tags"],
            json!({"type": "array", "items": {"type": "string"}, "nullable": true})
        );
        assert_eq!(
            book["properties"]["meta"],
            json!({"type": "object", "nullable": true})
        );
        assert_eq!(
            book["properties"]["where"]["properties"]["lat"],
            json!({"type": "number"})
        );
        // The generated id cannot be set (forceId).
        assert_eq!(
            book["properties"]["id"],
            json!({"type": "number", "readOnly": true})
        );
        assert_eq!(book["properties"]["authorId"]["type"], "number");
        assert!(s["BookPartial"].get("required").is_none());
        let out = &s["BookWithRelations"];
        assert!(out.get("required").is_none());
        assert!(out["properties"].get("secret").is_none());
        assert_eq!(
            out["properties"]["author"],
            json!({"allOf": [{"$ref": "#/components/schemas/AuthorWithRelations"}], "nullable": true})
        );
        assert_eq!(
            s["AuthorWithRelations"]["properties"]["books"],
            json!({"type": "array", "items": {"$ref": "#/components/schemas/BookWithRelations"}})
        );
        assert!(s["AuthorWithRelations"]["properties"]
            .get("email")
            .is_none());
        assert_eq!(s["LoopBackError"]["required"], json!(["error"]));
    }

    #[tokio::test]
    async fn custom_methods_and_skipped_routes() {
        use crate::remote::{Accept, RemoteHandler, Returns};
        let app = app().await;
        let books = app.model("Book").unwrap();
        books
            .remote_method(
                RemoteMethod::new("greet")
                    .accepts(
                        Accept::new("msg", ArgType::String)
                            .required()
                            .description("Who"),
                    )
                    .accepts(Accept::new("opts", ArgType::Object))
                    .returns(Returns::new("greeting", ArgType::String)),
                RemoteHandler::new(|_| async { Ok(json!("hi")) }),
            )
            .unwrap();
        books
            .remote_method(
                RemoteMethod::new("prototype.shout")
                    .accepts(Accept::new("data", ArgType::Object).source(ArgSource::Body))
                    .http(HttpVerb::Put, "/shout/:times"),
                RemoteHandler::new(|_| async { Ok(json!(null)) }),
            )
            .unwrap();
        let routes = vec![
            Route {
                verb: "ALL",
                path: "/api/Books/greet".into(),
                method: "Book.greet".into(),
                acl_names: Vec::new(),
                access_type: crate::auth::AccessType::Execute,
            },
            Route {
                verb: "PUT",
                path: "/api/Books/:id/shout/:times".into(),
                method: "Book.prototype.shout".into(),
                acl_names: Vec::new(),
                access_type: crate::auth::AccessType::Execute,
            },
            Route {
                verb: "GET",
                path: "/api/Books/x".into(),
                method: "Book.nothing".into(),
                acl_names: Vec::new(),
                access_type: crate::auth::AccessType::Execute,
            },
            Route {
                verb: "GET",
                path: "/api/Ghosts".into(),
                method: "Ghost.find".into(),
                acl_names: Vec::new(),
                access_type: crate::auth::AccessType::Execute,
            },
        ];
        let doc = document_with_title(&app, "My API", "/api", &routes);
        assert_eq!(doc["info"]["title"], "My API");
        let greet = &doc["paths"]["/Books/greet"]["post"];
        assert_eq!(greet["operationId"], "Book.greet");
        assert_eq!(
            greet["parameters"][0],
            json!({"name": "msg", "in": "query", "description": "Who", "required": true,
                "schema": {"type": "string", "minLength": 1}})
        );
        assert_eq!(
            greet["parameters"][1]["content"]["application/json"]["schema"],
            json!({"type": "object"})
        );
        assert_eq!(
            greet["responses"]["200"]["content"]["application/json"]["schema"],
            json!({"type": "object", "properties": {"greeting": {"type": "string"}}})
        );
        let shout = &doc["paths"]["/Books/{id}/shout/{times}"]["put"];
        assert_eq!(shout["parameters"][0]["name"], "id");
        assert_eq!(shout["parameters"][0]["schema"], json!({"type": "number"}));
        assert_eq!(shout["parameters"][1]["name"], "times");
        assert_eq!(
            shout["parameters"][1]["schema"],
            json!({"type": "string", "minLength": 1})
        );
        assert_eq!(
            shout["requestBody"]["content"]["application/json"]["schema"],
            json!({"type": "object"})
        );
        assert_eq!(
            shout["responses"]["204"],
            json!({"description": "No content."})
        );
        assert_eq!(doc["paths"].as_object().unwrap().len(), 2);
    }

    #[test]
    fn paths_convert() {
        assert_eq!(openapi_path("/Books/:id/x/:fk"), "/Books/{id}/x/{fk}");
        assert_eq!(openapi_path(""), "/");
        assert_eq!(path_params("/a/{id}/b/{fk}"), ["id", "fk"]);
        assert_eq!(
            Use::Output.schema_name("My Model$"),
            "My_Model_WithRelations"
        );
    }
}
