//! What clients see: records as public JSON (hidden properties removed, included and embedded
//! models too) and the JSON responses.

use std::collections::HashMap;
use std::sync::Arc;

use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Response, StatusCode};
use serde_json::{Map, Value as Json};

use super::body::RestBody;
use crate::app::App;
use crate::model::{ModelDefinition, PropertyType, RelationKind};
use crate::value::{Record, Value};

/// The `Content-Type` of every JSON response, as Express sends it.
pub(crate) const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// A 200 response with `body`.
pub(crate) fn json_response(body: &Json) -> Response<RestBody> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
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
    /// A model named by the property type or the relation.
    Model(String),
    /// A polymorphic belongsTo: the model is named by this property of the record.
    Discriminator(String),
    /// Nothing known: the value is shown as it is.
    Unknown,
}

/// Turns records into the JSON an API client may see, as LB3's `toJSON` does: hidden
/// properties are removed, protected ones too from nested models, and the same rules apply to
/// each included relation and each embedded model with that model's own definition. Lookups
/// of related models are cached for one response.
pub(crate) struct Publisher<'a> {
    app: &'a App,
    related: HashMap<(String, String), Related>,
    models: HashMap<String, Option<Arc<ModelDefinition>>>,
}

impl<'a> Publisher<'a> {
    /// A publisher looking related models up in `app`.
    pub(crate) fn new(app: &'a App) -> Self {
        Publisher {
            app,
            related: HashMap::new(),
            models: HashMap::new(),
        }
    }

    /// Public JSON of several records.
    pub(crate) fn records(&mut self, def: &ModelDefinition, records: &[Record]) -> Json {
        Json::Array(records.iter().map(|r| self.record(def, r, false)).collect())
    }

    /// Public JSON of one record; `nested` when it sits inside another record.
    pub(crate) fn record(&mut self, def: &ModelDefinition, record: &Record, nested: bool) -> Json {
        let mut out = Map::with_capacity(record.len());
        for (key, value) in record {
            if is_hidden(def, key) || (nested && is_protected(def, key)) {
                continue;
            }
            let json = match value {
                Value::Object(_) | Value::Array(_) => self.related_value(def, record, key, value),
                _ => value.to_json(),
            };
            out.insert(key.to_string(), json);
        }
        Json::Object(out)
    }

    /// An object or array under `key`: public JSON of the related model when one is known.
    fn related_value(
        &mut self,
        def: &ModelDefinition,
        record: &Record,
        key: &str,
        value: &Value,
    ) -> Json {
        let target = match self.related_model(def, key) {
            Related::Model(name) => self.model(&name),
            Related::Discriminator(prop) => match record.get(&prop).and_then(Value::as_str) {
                Some(name) => self.model(name),
                None => None,
            },
            Related::Unknown => None,
        };
        let Some(target) = target else {
            return value.to_json();
        };
        match value {
            Value::Object(r) => self.record(&target, r, true),
            Value::Array(items) => Json::Array(
                items
                    .iter()
                    .map(|item| match item {
                        Value::Object(r) => self.record(&target, r, true),
                        other => other.to_json(),
                    })
                    .collect(),
            ),
            other => other.to_json(),
        }
    }

    fn related_model(&mut self, def: &ModelDefinition, key: &str) -> Related {
        let cache_key = (def.name.clone(), key.to_owned());
        if let Some(r) = self.related.get(&cache_key) {
            return r.clone();
        }
        let found = self.find_related_model(def, key);
        self.related.insert(cache_key, found.clone());
        found
    }

    fn find_related_model(&self, def: &ModelDefinition, key: &str) -> Related {
        if let Some(p) = def.property(key) {
            let ty = match &p.ty {
                PropertyType::Array(elem) => elem.as_ref(),
                ty => ty,
            };
            if let PropertyType::Model(name) = ty {
                return Related::Model(name.clone());
            }
        }
        let Some(rel) = def.relations.get(key) else {
            return Related::Unknown;
        };
        // Resolution fills LB3's defaults (the polymorphic discriminator above all).
        let resolved = self.app.model(&def.name).and_then(|m| m.relation(key).ok());
        match resolved {
            Some(r) => match (&r.target, &r.polymorphic) {
                (Some(t), _) => Related::Model(t.clone()),
                (None, Some(p)) if r.kind == RelationKind::BelongsTo => {
                    Related::Discriminator(p.discriminator.clone())
                }
                _ => Related::Unknown,
            },
            None => rel.model.clone().map_or(Related::Unknown, Related::Model),
        }
    }

    fn model(&mut self, name: &str) -> Option<Arc<ModelDefinition>> {
        if let Some(d) = self.models.get(name) {
            return d.clone();
        }
        let def = self.app.definition_of(name);
        self.models.insert(name.to_owned(), def.clone());
        def
    }
}

/// Whether `key` is a hidden property of `def` (model-level `hidden` or the property's flag).
pub(crate) fn is_hidden(def: &ModelDefinition, key: &str) -> bool {
    def.hides(key)
}

fn is_protected(def: &ModelDefinition, key: &str) -> bool {
    def.is_protected(key) || def.property(key).is_some_and(|p| p.protected)
}
