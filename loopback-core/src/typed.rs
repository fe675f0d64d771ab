//! The typed API: the [`Model`] trait that `#[derive(Model)]` implements, and
//! [`PersistedModel`], the CRUD operations over a derived struct.

use std::marker::PhantomData;
use std::sync::Arc;

use crate::app::{App, ModelHandle};
use crate::connector::Options;
use crate::error::{Error, Result};
use crate::filter::{Filter, Where};
use crate::hooks::Observers;
use crate::model::ModelDefinition;
use crate::value::{Record, Value};

/// A Rust type that is a LoopBack model. Implemented by `#[derive(Model)]`.
pub trait Model: Sized + Send + Sync + 'static {
    /// The model name (LB3 `name`), known at compile time so relations can name their target
    /// without building its definition.
    const NAME: &'static str;

    /// The model's definition, built once.
    fn definition() -> Arc<ModelDefinition>;

    /// Converts the struct to a record keyed by wire names. `None` fields become nulls,
    /// except the id, which is left out when unset so that the data source generates it.
    fn to_record(&self) -> Record;

    /// Builds the struct from a record; errors name the property that did not fit.
    fn from_record(record: Record) -> Result<Self>;

    /// Registers the type's Rust hooks (derive: `#[model(hooks)]`).
    fn register_hooks(observers: &Observers) {
        let _ = observers;
    }
}

/// Error helper for generated `from_record` code.
#[doc(hidden)]
pub fn field_error(model: &str, property: &str, message: String) -> Error {
    Error::bad_request(format!("{model}.{property}: {message}"))
}

impl App {
    /// Registers a derived model on data source `ds` and returns its typed API.
    pub async fn register<M: Model>(&self, ds: &str) -> Result<PersistedModel<M>> {
        let def = (*M::definition()).clone();
        let handle = self.define(def, ds).await?;
        M::register_hooks(handle.observers());
        Ok(PersistedModel::from_handle(handle))
    }

    /// The typed API of a model registered earlier.
    pub fn persisted<M: Model>(&self) -> Result<PersistedModel<M>> {
        let name = M::NAME.to_owned();
        self.model(&name)
            .map(PersistedModel::from_handle)
            .ok_or(Error::UnknownModel(name))
    }
}

/// The typed PersistedModel API of model `M`. Cheap to clone.
pub struct PersistedModel<M> {
    handle: ModelHandle,
    _marker: PhantomData<fn() -> M>,
}

impl<M> Clone for PersistedModel<M> {
    fn clone(&self) -> Self {
        PersistedModel {
            handle: self.handle.clone(),
            _marker: PhantomData,
        }
    }
}

impl<M> std::fmt::Debug for PersistedModel<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PersistedModel").field(&self.handle).finish()
    }
}

fn convert<M: Model>(r: Record) -> Result<M> {
    M::from_record(r)
}

impl<M: Model> PersistedModel<M> {
    /// Wraps a dynamic handle.
    pub fn from_handle(handle: ModelHandle) -> Self {
        PersistedModel {
            handle,
            _marker: PhantomData,
        }
    }

    /// The dynamic API of the same model.
    pub fn handle(&self) -> &ModelHandle {
        &self.handle
    }

    fn id_of(&self, m: &M) -> Result<Value> {
        let r = m.to_record();
        r.get(self.handle.definition().id_name())
            .filter(|v| !v.is_null())
            .cloned()
            .ok_or_else(|| Error::bad_request("the instance has no id"))
    }

    /// Creates one instance.
    pub async fn create(&self, m: &M) -> Result<M> {
        convert(
            self.handle
                .create(m.to_record(), &Options::default())
                .await?,
        )
    }

    /// Creates one instance with options.
    pub async fn create_with(&self, m: &M, options: &Options) -> Result<M> {
        convert(self.handle.create(m.to_record(), options).await?)
    }

    /// Creates several instances in order.
    pub async fn create_many(&self, ms: &[M]) -> Result<Vec<M>> {
        let recs = ms.iter().map(M::to_record).collect();
        self.handle
            .create_many(recs, &Options::default())
            .await?
            .into_iter()
            .map(convert)
            .collect()
    }

    /// Finds instances.
    pub async fn find(&self, filter: Filter) -> Result<Vec<M>> {
        self.handle
            .find(filter, &Options::default())
            .await?
            .into_iter()
            .map(convert)
            .collect()
    }

    /// Finds instances with options.
    pub async fn find_with(&self, filter: Filter, options: &Options) -> Result<Vec<M>> {
        self.handle
            .find(filter, options)
            .await?
            .into_iter()
            .map(convert)
            .collect()
    }

    /// Finds the first match.
    pub async fn find_one(&self, filter: Filter) -> Result<Option<M>> {
        self.handle
            .find_one(filter, &Options::default())
            .await?
            .map(convert)
            .transpose()
    }

    /// Finds by id.
    pub async fn find_by_id(&self, id: impl Into<Value>) -> Result<Option<M>> {
        self.handle
            .find_by_id(id.into(), None, &Options::default())
            .await?
            .map(convert)
            .transpose()
    }

    /// Whether an instance with this id exists.
    pub async fn exists(&self, id: impl Into<Value>) -> Result<bool> {
        self.handle.exists(id.into(), &Options::default()).await
    }

    /// Counts matches.
    pub async fn count(&self, where_: Option<Where>) -> Result<u64> {
        self.handle.count(where_, &Options::default()).await
    }

    /// Updates every match with `data`; returns the count.
    pub async fn update_all(&self, where_: Option<Where>, data: Record) -> Result<u64> {
        self.handle
            .update_all(where_, data, &Options::default())
            .await
    }

    /// Deletes every match; returns the count.
    pub async fn destroy_all(&self, where_: Option<Where>) -> Result<u64> {
        self.handle.destroy_all(where_, &Options::default()).await
    }

    /// Deletes by id; returns the count.
    pub async fn destroy_by_id(&self, id: impl Into<Value>) -> Result<u64> {
        self.handle
            .destroy_by_id(id.into(), &Options::default())
            .await
    }

    /// Patches or creates; returns the instance and whether it was created.
    pub async fn upsert(&self, m: &M) -> Result<(M, bool)> {
        let u = self
            .handle
            .upsert(m.to_record(), &Options::default())
            .await?;
        Ok((convert(u.instance)?, u.created))
    }

    /// Replaces or creates.
    pub async fn replace_or_create(&self, m: &M) -> Result<(M, bool)> {
        let u = self
            .handle
            .replace_or_create(m.to_record(), &Options::default())
            .await?;
        Ok((convert(u.instance)?, u.created))
    }

    /// Patches the single match of `where_`, or creates.
    pub async fn upsert_with_where(&self, where_: Where, data: Record) -> Result<(M, bool)> {
        let u = self
            .handle
            .upsert_with_where(Some(where_), data, &Options::default())
            .await?;
        Ok((convert(u.instance)?, u.created))
    }

    /// Finds the first match or creates `m`.
    pub async fn find_or_create(&self, filter: Filter, m: &M) -> Result<(M, bool)> {
        let u = self
            .handle
            .find_or_create(filter, m.to_record(), &Options::default())
            .await?;
        Ok((convert(u.instance)?, u.created))
    }

    /// Replaces the instance with id `id`.
    pub async fn replace_by_id(&self, id: impl Into<Value>, m: &M) -> Result<M> {
        convert(
            self.handle
                .replace_by_id(id.into(), m.to_record(), &Options::default())
                .await?,
        )
    }

    /// Saves the instance (create or full update).
    pub async fn save(&self, m: &M) -> Result<M> {
        convert(self.handle.save(m.to_record(), &Options::default()).await?)
    }

    /// Patches the instance's stored record with `data`.
    pub async fn patch_attributes(&self, m: &M, data: Record) -> Result<M> {
        convert(
            self.handle
                .patch_by_id(self.id_of(m)?, data, &Options::default())
                .await?,
        )
    }

    /// Replaces the instance's stored record with `replacement`.
    pub async fn replace_attributes(&self, m: &M, replacement: &M) -> Result<M> {
        convert(
            self.handle
                .replace_by_id(self.id_of(m)?, replacement.to_record(), &Options::default())
                .await?,
        )
    }

    /// Deletes the instance; returns the count.
    pub async fn delete(&self, m: &M) -> Result<u64> {
        self.handle
            .delete_instance(&m.to_record(), &Options::default())
            .await
    }

    /// Reloads the instance from the data source.
    pub async fn reload(&self, m: &M) -> Result<Option<M>> {
        self.handle
            .find_by_id(self.id_of(m)?, None, &Options::default())
            .await?
            .map(convert)
            .transpose()
    }
}
