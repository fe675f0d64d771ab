//! What clients see: records as public JSON (hidden properties removed, included and embedded
//! models too) and the JSON responses.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Response, StatusCode};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;
use serde_json::Value as Json;

use super::body::RestBody;
use crate::app::App;
use crate::model::{ModelDefinition, PropertyType, RelationKind};
use crate::value::{Record, Value};

/// The `Content-Type` of every JSON response, as Express sends it.
pub(crate) const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// A 200 response with `body`.
pub(crate) fn json_response(body: &Json) -> Response<RestBody> {
    bytes_response(serde_json::to_vec(body).unwrap_or_default())
}

/// A 200 response with JSON text.
fn bytes_response(bytes: Vec<u8>) -> Response<RestBody> {
    let mut res = Response::new(RestBody::new(bytes));
    *res.status_mut() = StatusCode::OK;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    res
}

/// A 204 response without content, as strong-remoting answers methods that return nothing.
/// It keeps the JSON `Content-Type` strong-remoting sets before it knows there is no body.
pub(crate) fn no_content_response() -> Response<RestBody> {
    let mut res = Response::new(RestBody::empty());
    *res.status_mut() = StatusCode::NO_CONTENT;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    res
}

/// Where the related data under a key of a record comes from.
#[derive(Clone)]
enum Related {
    /// A model named by the property type or the relation (`None`: no such model).
    Model(Option<Arc<ModelDefinition>>),
    /// A polymorphic belongsTo: the model is named by this property of the record.
    Discriminator(Rc<str>),
    /// Nothing known: the value is shown as it is.
    Unknown,
}

/// A method's result before it is written: public JSON, or records to be published with
/// their model's definition. Records are serialised straight into the response body; the
/// JSON tree is only built when something (a remote hook) needs it.
pub(crate) enum Reply {
    /// JSON as it is answered.
    Json(Json),
    /// One instance of a model.
    Record(Arc<ModelDefinition>, Record),
    /// Instances of a model, answered as an array.
    Records(Arc<ModelDefinition>, Vec<Record>),
}

impl Reply {
    /// The public JSON of the result.
    pub(crate) fn into_json(self, app: &App) -> Json {
        match self {
            Reply::Json(json) => json,
            Reply::Record(def, r) => Publisher::new(app).record(&def, &r, false),
            Reply::Records(def, rs) => Publisher::new(app).records(&def, &rs),
        }
    }

    /// The 200 response with the public JSON of the result.
    pub(crate) fn response(&self, app: &App) -> Response<RestBody> {
        let publisher = Publisher::new(app);
        let written = match self {
            Reply::Json(json) => serde_json::to_vec(json),
            Reply::Record(def, record) => {
                let mut out = Vec::with_capacity(256);
                serde_json::to_writer(&mut out, &publisher.view(def, record, false)).map(|()| out)
            }
            Reply::Records(def, records) => {
                let mut out = Vec::with_capacity(64 + 128 * records.len());
                serde_json::to_writer(&mut out, &publisher.list(def, records)).map(|()| out)
            }
        };
        bytes_response(written.unwrap_or_default())
    }
}

/// Turns records into the JSON an API client may see, as LB3's `toJSON` does: hidden
/// properties are removed, protected ones too from nested models, and the same rules apply to
/// each included relation and each embedded model with that model's own definition. Lookups
/// of related models are cached for one response.
///
/// One set of rules serves both outputs: [`Publisher::view`] serialises a record directly,
/// and the JSON tree of [`Publisher::record`] is that serialisation.
pub(crate) struct Publisher<'a> {
    app: &'a App,
    /// `(model, key)` → where its related data comes from. A response meets a handful of
    /// pairs, so a list searched without allocating beats a map keyed by owned strings.
    related: RefCell<Vec<(String, String, Related)>>,
    /// Related models by name, as looked up.
    models: RefCell<Vec<(String, Option<Arc<ModelDefinition>>)>>,
    /// Each model's hidden and protected names, gathered once per response so that a key is
    /// checked against a short list instead of hashing into the property map.
    visibility: RefCell<Vec<(String, Rc<Visibility>)>>,
}

/// The names a model keeps from clients: hidden everywhere, protected when nested.
struct Visibility {
    /// The model's `hidden` list and the properties flagged `hidden`.
    hidden: Box<[Box<str>]>,
    /// The model's `protected` list and the properties flagged `protected`.
    protected: Box<[Box<str>]>,
}

impl Visibility {
    fn of(def: &ModelDefinition) -> Self {
        fn names<'d>(
            listed: &'d [String],
            flagged: impl Iterator<Item = &'d str>,
        ) -> Box<[Box<str>]> {
            let mut out: Vec<Box<str>> = Vec::new();
            for name in listed.iter().map(String::as_str).chain(flagged) {
                if !out.iter().any(|n| &**n == name) {
                    out.push(name.into());
                }
            }
            out.into_boxed_slice()
        }
        let props = def.properties.values();
        Visibility {
            hidden: names(
                &def.hidden,
                props.clone().filter(|p| p.hidden).map(|p| p.name.as_str()),
            ),
            protected: names(
                &def.protected,
                props.filter(|p| p.protected).map(|p| p.name.as_str()),
            ),
        }
    }

    /// Whether `key` is left out of a record, `nested` or not.
    fn omits(&self, key: &str, nested: bool) -> bool {
        self.hidden.iter().any(|h| &**h == key)
            || (nested && self.protected.iter().any(|p| &**p == key))
    }
}

impl<'a> Publisher<'a> {
    /// A publisher looking related models up in `app`.
    pub(crate) fn new(app: &'a App) -> Self {
        Publisher {
            app,
            related: RefCell::new(Vec::new()),
            models: RefCell::new(Vec::new()),
            visibility: RefCell::new(Vec::new()),
        }
    }

    /// The hidden and protected names of `def`.
    fn visibility(&self, def: &ModelDefinition) -> Rc<Visibility> {
        let cached = self
            .visibility
            .borrow()
            .iter()
            .find(|(m, _)| *m == def.name)
            .map(|(_, v)| v.clone());
        if let Some(v) = cached {
            return v;
        }
        let v = Rc::new(Visibility::of(def));
        self.visibility
            .borrow_mut()
            .push((def.name.clone(), v.clone()));
        v
    }

    /// Public JSON of several records.
    pub(crate) fn records(&self, def: &ModelDefinition, records: &[Record]) -> Json {
        to_json(&self.list(def, records))
    }

    /// Public JSON of one record; `nested` when it sits inside another record.
    pub(crate) fn record(&self, def: &ModelDefinition, record: &Record, nested: bool) -> Json {
        to_json(&self.view(def, record, nested))
    }

    /// One record's public view, serialisable.
    fn view<'p>(
        &'p self,
        def: &'p ModelDefinition,
        record: &'p Record,
        nested: bool,
    ) -> PublicRecord<'p, 'a> {
        PublicRecord {
            publisher: self,
            def,
            visibility: self.visibility(def),
            record,
            nested,
        }
    }

    /// [`Publisher::view`] with the visibility of `def` already looked up.
    fn view_with<'p>(
        &'p self,
        def: &'p ModelDefinition,
        visibility: &Rc<Visibility>,
        record: &'p Record,
        nested: bool,
    ) -> PublicRecord<'p, 'a> {
        PublicRecord {
            publisher: self,
            def,
            visibility: visibility.clone(),
            record,
            nested,
        }
    }

    /// Several records' public views, serialisable as an array.
    fn list<'p>(&'p self, def: &'p ModelDefinition, records: &'p [Record]) -> PublicList<'p, 'a> {
        PublicList {
            publisher: self,
            def,
            records,
        }
    }

    /// The model whose rules apply to the object or array under `key` of `record`, if known.
    fn target(
        &self,
        def: &ModelDefinition,
        record: &Record,
        key: &str,
    ) -> Option<Arc<ModelDefinition>> {
        match self.related_model(def, key) {
            Related::Model(target) => target,
            Related::Discriminator(prop) => match record.get(&prop).and_then(Value::as_str) {
                Some(name) => self.model(name),
                None => None,
            },
            Related::Unknown => None,
        }
    }

    fn related_model(&self, def: &ModelDefinition, key: &str) -> Related {
        let cached = self
            .related
            .borrow()
            .iter()
            .find(|(m, k, _)| *m == def.name && k == key)
            .map(|(_, _, r)| r.clone());
        if let Some(r) = cached {
            return r;
        }
        let found = self.find_related_model(def, key);
        self.related
            .borrow_mut()
            .push((def.name.clone(), key.to_owned(), found.clone()));
        found
    }

    fn find_related_model(&self, def: &ModelDefinition, key: &str) -> Related {
        if let Some(p) = def.property(key) {
            let ty = match &p.ty {
                PropertyType::Array(elem) => elem.as_ref(),
                ty => ty,
            };
            if let PropertyType::Model(name) = ty {
                return Related::Model(self.model(name));
            }
        }
        let Some(rel) = def.relations.get(key) else {
            return Related::Unknown;
        };
        // Resolution fills LB3's defaults (the polymorphic discriminator above all).
        let resolved = self.app.model(&def.name).and_then(|m| m.relation(key).ok());
        match resolved {
            Some(r) => match (&r.target, &r.polymorphic) {
                (Some(t), _) => Related::Model(self.model(t)),
                (None, Some(p)) if r.kind == RelationKind::BelongsTo => {
                    Related::Discriminator(p.discriminator.as_str().into())
                }
                _ => Related::Unknown,
            },
            None => rel
                .model
                .as_deref()
                .map_or(Related::Unknown, |m| Related::Model(self.model(m))),
        }
    }

    fn model(&self, name: &str) -> Option<Arc<ModelDefinition>> {
        let cached = self
            .models
            .borrow()
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| d.clone());
        if let Some(d) = cached {
            return d;
        }
        let def = self.app.definition_of(name);
        self.models
            .borrow_mut()
            .push((name.to_owned(), def.clone()));
        def
    }
}

/// The JSON tree of a public view. Serialising records cannot fail: keys are strings and
/// every value has a JSON form.
fn to_json(view: &impl Serialize) -> Json {
    serde_json::to_value(view).unwrap_or(Json::Null)
}

/// One record as a client may see it (see [`Publisher`]).
struct PublicRecord<'p, 'a> {
    publisher: &'p Publisher<'a>,
    def: &'p ModelDefinition,
    visibility: Rc<Visibility>,
    record: &'p Record,
    nested: bool,
}

impl Serialize for PublicRecord<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (key, value) in self.record {
            if self.visibility.omits(key, self.nested) {
                continue;
            }
            let target = match value {
                Value::Object(_) | Value::Array(_) => {
                    self.publisher.target(self.def, self.record, key)
                }
                _ => None,
            };
            match (target, value) {
                (Some(def), Value::Object(r)) => {
                    map.serialize_entry(key, &self.publisher.view(&def, r, true))?
                }
                (Some(def), Value::Array(items)) => map.serialize_entry(
                    key,
                    &NestedItems {
                        publisher: self.publisher,
                        def: &def,
                        items,
                    },
                )?,
                _ => map.serialize_entry(key, value)?,
            }
        }
        map.end()
    }
}

/// Records of one model as an array of public views.
struct PublicList<'p, 'a> {
    publisher: &'p Publisher<'a>,
    def: &'p ModelDefinition,
    records: &'p [Record],
}

impl Serialize for PublicList<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let visibility = self.publisher.visibility(self.def);
        s.collect_seq(
            self.records
                .iter()
                .map(|r| self.publisher.view_with(self.def, &visibility, r, false)),
        )
    }
}

/// The items of an array of a related model: its objects as nested public views, anything
/// else as it is.
struct NestedItems<'p, 'a> {
    publisher: &'p Publisher<'a>,
    def: &'p ModelDefinition,
    items: &'p [Value],
}

impl Serialize for NestedItems<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let visibility = self.publisher.visibility(self.def);
        let mut seq = s.serialize_seq(Some(self.items.len()))?;
        for item in self.items {
            match item {
                Value::Object(r) => seq.serialize_element(&self.publisher.view_with(
                    self.def,
                    &visibility,
                    r,
                    true,
                ))?,
                other => seq.serialize_element(other)?,
            }
        }
        seq.end()
    }
}

/// Whether `key` is a hidden property of `def` (model-level `hidden` or the property's flag).
pub(crate) fn is_hidden(def: &ModelDefinition, key: &str) -> bool {
    def.hides(key)
}
