//! One small handler per LB3 PersistedModel method: read the arguments as strong-remoting
//! does, call the model, turn the result into public JSON, word errors as LB3 does.

use std::sync::Arc;

use serde_json::{json, Value as Json};

use super::errors;
use super::input::{self, CreateData, IdArg, QueryObject};
use super::output::{Publisher, Reply};
use super::relations;
use super::routes::{Op, RelRoute};
use crate::app::{App, ModelHandle};
use crate::connector::Options;
use crate::error::{Error, Result};
use crate::filter::{Filter, ParseOptions, Where};
use crate::model::ModelDefinition;
use crate::value::Record;

/// Everything a handler needs from the request.
pub(crate) struct Call<'a> {
    pub(crate) app: &'a App,
    pub(crate) model: &'a ModelHandle,
    pub(crate) def: Arc<ModelDefinition>,
    /// The raw query string (empty when none).
    pub(crate) query: &'a str,
    /// The raw id path segment of `/:id` routes.
    pub(crate) id: Option<&'a str>,
    /// The relation of `/:id/<rel>` routes.
    pub(crate) rel: Option<&'a RelRoute>,
    /// The raw fk path segment of `/:id/<rel>/:fk` routes.
    pub(crate) fk: Option<&'a str>,
    /// The JSON body of methods that take data.
    pub(crate) body: Option<Json>,
    pub(crate) options: Options,
    /// The arguments as remote hooks left them (`filter`, `where`), read instead of the
    /// query string when set.
    pub(crate) args: Option<&'a serde_json::Map<String, Json>>,
}

/// Runs `op`; the reply is the 200 response body, `None` a 204 without content.
pub(crate) async fn dispatch(op: Op, call: Call<'_>) -> Result<Option<Reply>> {
    let json = match op {
        Op::FindById => return find_by_id(call).await.map(Some),
        Op::Find => return find(call).await.map(Some),
        Op::FindOne => return find_one(call).await.map(Some),
        Op::Create => create(call).await,
        Op::PatchOrCreate => patch_or_create(call).await,
        Op::ReplaceOrCreate => replace_or_create(call).await,
        Op::UpsertWithWhere => upsert_with_where(call).await,
        Op::Exists => exists(call).await,
        Op::HeadExists => head_exists(call).await,
        Op::ReplaceById => replace_by_id(call).await,
        Op::UpdateAll => update_all(call).await,
        Op::DeleteById => delete_by_id(call).await,
        Op::Count => count(call).await,
        Op::PatchAttributes => patch_attributes(call).await,
        Op::RelFind
        | Op::RelGetOne
        | Op::RelGetBelongsTo
        | Op::RelCreate
        | Op::RelUpdate
        | Op::RelDestroy
        | Op::RelDeleteAll
        | Op::RelCount
        | Op::RelFindById
        | Op::RelUpdateById
        | Op::RelDestroyById
        | Op::RelLink
        | Op::RelUnlink
        | Op::RelExists => return relations::dispatch(op, call).await,
        // Answered as a stream by the API before dispatch.
        Op::ChangeStream => Err(Error::Internal(
            "change streams are not dispatched as JSON".into(),
        )),
    };
    json.map(|j| Some(Reply::Json(j)))
}

impl Call<'_> {
    fn publish(&self, record: &Record) -> Json {
        Publisher::new(self.app).record(&self.def, record, false)
    }

    pub(super) fn id(&self) -> Result<IdArg> {
        // The table only routes `/:id` paths to methods that read the id.
        let raw = self.id.unwrap_or_default();
        input::id_arg(self.model, raw)
    }

    pub(super) fn not_found(&self, shown: &str) -> Error {
        Error::NotFound {
            model: self.model.name().to_owned(),
            id: shown.to_owned(),
        }
    }

    /// The `filter` argument, read against the application's models (so that it may hold
    /// conditions on related models and include scopes are read against their targets),
    /// with every relation it includes checked as a READ of the related model when access
    /// control is on.
    async fn checked_filter(&self) -> Result<Option<Filter>> {
        self.checked_filter_for(self.model, &self.def).await
    }

    /// [`Call::checked_filter`] against `model` (the target of a relation route).
    pub(super) async fn checked_filter_for(
        &self,
        model: &ModelHandle,
        def: &ModelDefinition,
    ) -> Result<Option<Filter>> {
        let filter = self.filter_for(def)?;
        if let Some(f) = &filter {
            super::auth::authorize_includes(self.app, model, f, &self.options).await?;
        }
        Ok(filter)
    }

    /// The `filter` argument read against `def` (the target of a relation route).
    pub(super) fn filter_for(&self, def: &ModelDefinition) -> Result<Option<Filter>> {
        let lookup = |n: &str| self.app.definition_of(n);
        let opts = ParseOptions::for_model(def)
            .with_models(&lookup)
            .with_limits(self.app.query_limits());
        if let Some(args) = self.args {
            return match object_arg(args, "filter")? {
                Some(json) => Filter::from_json(&json, &opts).map(Some),
                None => Ok(None),
            };
        }
        match input::query_object(self.query, "filter")? {
            QueryObject::Absent => Ok(None),
            QueryObject::Json(json) => Filter::from_json(&json, &opts).map(Some),
            QueryObject::Brackets => Filter::from_query_string(self.query, &opts),
        }
    }

    /// The `where` argument of count, updateAll and upsertWithWhere.
    fn where_(&self) -> Result<Option<Where>> {
        self.where_for(&self.def)
    }

    /// The `where` argument read against `def` (the target of a relation route).
    pub(super) fn where_for(&self, def: &ModelDefinition) -> Result<Option<Where>> {
        let lookup = |n: &str| self.app.definition_of(n);
        let opts = ParseOptions::for_model(def)
            .with_models(&lookup)
            .with_limits(self.app.query_limits());
        if let Some(args) = self.args {
            return match object_arg(args, "where")? {
                Some(json) => Where::from_json(&json, &opts).map(Some),
                None => Ok(None),
            };
        }
        match input::query_object(self.query, "where")? {
            QueryObject::Absent => Ok(None),
            QueryObject::Json(json) => Where::from_json(&json, &opts).map(Some),
            QueryObject::Brackets => Where::from_query_string(self.query, &opts),
        }
    }

    /// The `data` argument.
    pub(super) fn data(&mut self) -> Result<Record> {
        input::data_object(self.body.take())
    }
}

/// An object argument a hook left in `args`: JSON text is parsed, `null` is absent.
fn object_arg(args: &serde_json::Map<String, Json>, name: &str) -> Result<Option<Json>> {
    match args.get(name) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(text)) => match serde_json::from_str::<Json>(text) {
            Ok(Json::Null) => Ok(None),
            Ok(json @ Json::Object(_)) => Ok(Some(json)),
            Ok(_) => Err(errors::not_an_object()),
            Err(_) => Err(errors::unparsable_object_value()),
        },
        Some(json @ Json::Object(_)) => Ok(Some(json.clone())),
        Some(_) => Err(errors::not_an_object()),
    }
}

/// `POST /`: one object, or an array of objects created in order.
async fn create(mut c: Call<'_>) -> Result<Json> {
    match input::create_data(c.body.take())? {
        CreateData::One(data) => {
            let created = c.model.create(data, &c.options).await?;
            Ok(c.publish(&created))
        }
        CreateData::Many(data) => {
            let created = c.model.create_many(data, &c.options).await?;
            Ok(Publisher::new(c.app).records(&c.def, &created))
        }
    }
}

/// `PATCH /` (and `PUT /` without `replaceOnPUT`).
async fn patch_or_create(mut c: Call<'_>) -> Result<Json> {
    let data = c.data()?;
    let saved = c.model.upsert(data, &c.options).await.map_err(|e| {
        errors::reword_not_found(
            e,
            |id| format!("Could not update attributes. Object with id {id} does not exist!"),
            false,
        )
    })?;
    Ok(c.publish(&saved.instance))
}

/// `POST /replaceOrCreate` (and `PUT /` with `replaceOnPUT`).
async fn replace_or_create(mut c: Call<'_>) -> Result<Json> {
    let data = c.data()?;
    let saved = c
        .model
        .replace_or_create(data, &c.options)
        .await
        .map_err(|e| {
            errors::reword_not_found(
                e,
                |id| format!("Could not replace. Object with id {id} does not exist!"),
                false,
            )
        })?;
    Ok(c.publish(&saved.instance))
}

/// `POST /upsertWithWhere?where=…`.
async fn upsert_with_where(mut c: Call<'_>) -> Result<Json> {
    let where_ = c.where_()?;
    let data = c.data()?;
    let saved = c.model.upsert_with_where(where_, data, &c.options).await?;
    Ok(c.publish(&saved.instance))
}

/// `GET /:id/exists`: `{"exists": bool}`; an id that cannot be one of this model's does not
/// exist.
async fn exists(c: Call<'_>) -> Result<Json> {
    let id = c.id()?;
    let found = match id.value {
        Some(v) => c.model.exists(v, &c.options).await?,
        None => false,
    };
    Ok(json!({ "exists": found }))
}

/// `HEAD /:id`: 200, or 404 `MODEL_NOT_FOUND`.
async fn head_exists(c: Call<'_>) -> Result<Json> {
    let id = c.id()?;
    let found = match id.value {
        Some(v) => c.model.exists(v, &c.options).await?,
        None => false,
    };
    if found {
        Ok(json!({ "exists": true }))
    } else {
        Err(c.not_found(&id.shown))
    }
}

/// `GET /:id?filter=…`: only the filter's `fields` and `include` apply.
async fn find_by_id(c: Call<'_>) -> Result<Reply> {
    let id = c.id()?;
    let filter = c.checked_filter().await?;
    let found = match id.value {
        Some(v) => c.model.find_by_id(v, filter, &c.options).await?,
        None => None,
    };
    match found {
        Some(r) => Ok(Reply::Record(c.def, r)),
        None => Err(c.not_found(&id.shown)),
    }
}

/// `POST /:id/replace` (and `PUT /:id` with `replaceOnPUT`).
async fn replace_by_id(mut c: Call<'_>) -> Result<Json> {
    let id = c.id()?;
    let data = c.data()?;
    let replaced = match id.value {
        Some(v) => c.model.replace_by_id(v, data, &c.options).await,
        None => Err(c.not_found(&id.shown)),
    };
    let replaced = replaced.map_err(|e| {
        errors::reword_not_found(
            e,
            |_| {
                format!(
                    "Could not replace. Object with id {} does not exist!",
                    id.shown
                )
            },
            false,
        )
    })?;
    Ok(c.publish(&replaced))
}

/// `GET /?filter=…`.
async fn find(c: Call<'_>) -> Result<Reply> {
    let filter = c.checked_filter().await?.unwrap_or_default();
    let found = c.model.find(filter, &c.options).await?;
    Ok(Reply::Records(c.def, found))
}

/// `GET /findOne?filter=…`: no match is LB3's 404, whose message names the `undefined` id.
async fn find_one(c: Call<'_>) -> Result<Reply> {
    let filter = c.checked_filter().await?.unwrap_or_default();
    match c.model.find_one(filter, &c.options).await? {
        Some(r) => Ok(Reply::Record(c.def, r)),
        None => Err(c.not_found("undefined")),
    }
}

/// `POST /update?where=…`: `{"count": n}`.
async fn update_all(mut c: Call<'_>) -> Result<Json> {
    let where_ = c.where_()?;
    let data = c.data()?;
    let count = c.model.update_all(where_, data, &c.options).await?;
    Ok(json!({ "count": count }))
}

/// `DELETE /:id`: `{"count": n}`, 0 for an unknown id.
async fn delete_by_id(c: Call<'_>) -> Result<Json> {
    let id = c.id()?;
    let count = match id.value {
        Some(v) => c.model.destroy_by_id(v, &c.options).await?,
        None => 0,
    };
    Ok(json!({ "count": count }))
}

/// `GET /count?where=…`: `{"count": n}`.
async fn count(c: Call<'_>) -> Result<Json> {
    let where_ = c.where_()?;
    let count = c.model.count(where_, &c.options).await?;
    Ok(json!({ "count": count }))
}

/// `PATCH /:id` (and `PUT /:id` without `replaceOnPUT`): the instance is loaded first, as
/// LB3's shared constructor does, then patched.
async fn patch_attributes(mut c: Call<'_>) -> Result<Json> {
    let data = c.data()?;
    let current = load_instance(c.model, c.id.unwrap_or_default(), &c.options).await?;
    let patched = c.model.patch_attributes(&current, data, &c.options).await?;
    Ok(c.publish(&patched))
}

/// LB3's shared constructor of instance methods: the instance whose id is the raw (still
/// percent-encoded) `:id` segment, or 404 `could not find a model with id X`
/// (`MODEL_NOT_FOUND`).
pub(super) async fn load_instance(
    model: &ModelHandle,
    raw_id: &str,
    options: &Options,
) -> Result<Record> {
    let id = input::id_arg(model, raw_id)?;
    let found = match id.value {
        Some(v) => model.find_by_id(v, None, options).await?,
        None => None,
    };
    found.ok_or_else(|| {
        errors::reword_not_found(
            Error::NotFound {
                model: model.name().to_owned(),
                id: id.shown.clone(),
            },
            |_| format!("could not find a model with id {}", id.shown),
            true,
        )
    })
}
