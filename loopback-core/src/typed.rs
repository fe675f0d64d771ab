//! The typed API: the [`Model`] trait that `#[derive(Model)]` implements,
//! [`PersistedModel`], the CRUD operations over a derived struct, and typed relations:
//! [`RelationRef`] (generated per relation, `Author::books()`), [`TypedRelated`] (the relation
//! methods of one instance) and [`Loaded`] (an instance with the relations its filter included).

use std::marker::PhantomData;
use std::sync::Arc;

use crate::app::{App, ModelHandle};
use crate::connector::Options;
use crate::error::{Error, Result};
use crate::filter::{Filter, Quantifier, Where};
use crate::hooks::Observers;
use crate::model::{ModelDefinition, RelationKind};
use crate::relation::{Related, ResolvedRelation};
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

    // ----- relations -----------------------------------------------------------------------

    /// The relation `rel` of `instance` with typed methods (LB3's `author.books`):
    /// `books_api.related(&author, Author::books())?.find(Filter::new()).await?`.
    ///
    /// The instance is read through [`Model::to_record`], so the keys the relation reads on
    /// it must be fields of `M`: the id for hasMany, hasOne and through relations, the foreign
    /// key for belongsTo, the id list of a referencesMany, the property of an embedded
    /// relation. For an instance loaded with [`PersistedModel::find_loaded`], use
    /// [`PersistedModel::related_loaded`], which reads the stored record instead.
    ///
    /// An error when `M` has no relation named `rel.name()`, or when the relation targets
    /// another model than `T` (possible only for a [`RelationRef`] built by hand).
    pub fn related<T: Model>(
        &self,
        instance: &M,
        rel: RelationRef<M, T>,
    ) -> Result<TypedRelated<M, T>> {
        self.related_record(&instance.to_record(), rel)
    }

    /// [`PersistedModel::related`] for an instance loaded with its record, which may hold
    /// keys `M` does not declare (foreign keys the relations add to the model).
    pub fn related_loaded<T: Model>(
        &self,
        instance: &Loaded<M>,
        rel: RelationRef<M, T>,
    ) -> Result<TypedRelated<M, T>> {
        self.related_record(instance.record(), rel)
    }

    fn related_record<T: Model>(
        &self,
        record: &Record,
        rel: RelationRef<M, T>,
    ) -> Result<TypedRelated<M, T>> {
        let inner = self.handle.related(record, rel.name())?;
        check_target::<T>(M::NAME, rel.name(), inner.relation().target.as_deref())?;
        Ok(TypedRelated {
            inner,
            options: Options::default(),
            _marker: PhantomData,
        })
    }

    /// Finds instances with the relations the filter includes: each [`Loaded`] holds the
    /// struct and the record it came from, whose included relations
    /// [`Loaded::related_many`] and [`Loaded::related_one`] read as typed values.
    pub async fn find_loaded(&self, filter: Filter) -> Result<Vec<Loaded<M>>> {
        self.find_loaded_with(filter, &Options::default()).await
    }

    /// [`PersistedModel::find_loaded`] with options.
    pub async fn find_loaded_with(
        &self,
        filter: Filter,
        options: &Options,
    ) -> Result<Vec<Loaded<M>>> {
        self.handle
            .find(filter, options)
            .await?
            .into_iter()
            .map(Loaded::from_record)
            .collect()
    }

    /// The first match, with the relations the filter includes.
    pub async fn find_one_loaded(&self, filter: Filter) -> Result<Option<Loaded<M>>> {
        self.handle
            .find_one(filter, &Options::default())
            .await?
            .map(Loaded::from_record)
            .transpose()
    }

    /// The instance with id `id`, with the relations `filter` includes.
    pub async fn find_by_id_loaded(
        &self,
        id: impl Into<Value>,
        filter: Filter,
    ) -> Result<Option<Loaded<M>>> {
        self.handle
            .find_by_id(id.into(), Some(filter), &Options::default())
            .await?
            .map(Loaded::from_record)
            .transpose()
    }
}

// ----- typed relations ---------------------------------------------------------------------

/// The relation `name` of model `S`, whose related instances are `T`s.
///
/// `#[derive(Model)]` generates one per relation that names its target type, as an associated
/// `const fn` named after the relation: `relation(books, has_many = Book)` on `Author` gives
/// `Author::books() -> RelationRef<Author, Book>`. Use it to reach the relation of an instance
/// ([`PersistedModel::related`]), to include it (`Filter::new().include(Author::books())`, as
/// it converts into the relation name) and to read what was included ([`Loaded`]).
///
/// [`RelationRef::new`] builds one by hand, for a relation the derive gives no accessor (a
/// polymorphic belongsTo, whose target depends on the instance; a string name that is not an
/// identifier). It is checked when used: the relation must exist on `S`, and unless it is a
/// polymorphic belongsTo it must target `T`.
pub struct RelationRef<S, T> {
    name: &'static str,
    _marker: PhantomData<fn() -> (S, T)>,
}

impl<S, T> RelationRef<S, T> {
    /// The relation named `name` (its name in the model definition).
    pub const fn new(name: &'static str) -> Self {
        RelationRef {
            name,
            _marker: PhantomData,
        }
    }

    /// The relation name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// `S`s with at least one related `T` that satisfies `where_` (a condition on `T`, such as
    /// `Book::price().gt(10)`); for a belongsTo or hasOne, the one related `T` satisfies it.
    pub fn some(&self, where_: Where) -> Where {
        Where::related(self.name, Quantifier::Some, where_)
    }

    /// `S`s with no related `T` that satisfies `where_` (those with no related `T` at all
    /// included).
    pub fn none(&self, where_: Where) -> Where {
        Where::related(self.name, Quantifier::None, where_)
    }

    /// `S`s whose related `T`s all satisfy `where_` (those with no related `T` included).
    pub fn every(&self, where_: Where) -> Where {
        Where::related(self.name, Quantifier::Every, where_)
    }
}

impl<S, T> Clone for RelationRef<S, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S, T> Copy for RelationRef<S, T> {}

impl<S, T> PartialEq for RelationRef<S, T> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl<S, T> Eq for RelationRef<S, T> {}

impl<S, T> std::fmt::Debug for RelationRef<S, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RelationRef({})", self.name)
    }
}

/// The relation name, so that `Filter::include` and `Filter::include_scoped` take a
/// [`RelationRef`].
impl<S, T> From<RelationRef<S, T>> for String {
    fn from(rel: RelationRef<S, T>) -> String {
        rel.name.to_owned()
    }
}

/// Refuses a relation whose declared target is not `T`.
fn check_target<T: Model>(source: &str, relation: &str, target: Option<&str>) -> Result<()> {
    match target {
        Some(target) if target != T::NAME => Err(Error::definition(
            format!("{source}.relations.{relation}"),
            format!(
                "relation `{relation}` of {source} targets {target}, not {}",
                T::NAME
            ),
        )),
        _ => Ok(()),
    }
}

/// The relation `rel` of one instance of `S`, with typed methods (LB3's `author.books`).
/// Built by [`PersistedModel::related`]; wraps the dynamic [`Related`], so every method runs
/// through the target model's operations (hooks, validation, default scopes) and behaves as
/// the method of the same name there.
///
/// Methods use the options given to [`TypedRelated::with_options`] (default: none). Writes
/// that change the owner (`create` on a belongsTo, `link` on a referencesMany, the embedded
/// relations) keep it up to date in [`TypedRelated::owner`].
pub struct TypedRelated<S, T> {
    inner: Related,
    options: Options,
    _marker: PhantomData<fn() -> (S, T)>,
}

impl<S, T> Clone for TypedRelated<S, T> {
    fn clone(&self) -> Self {
        TypedRelated {
            inner: self.inner.clone(),
            options: self.options.clone(),
            _marker: PhantomData,
        }
    }
}

impl<S, T> std::fmt::Debug for TypedRelated<S, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedRelated")
            .field("related", &self.inner)
            .field("options", &self.options)
            .finish()
    }
}

fn not_found_as_none<T>(r: Result<T>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

impl<S: Model, T: Model> TypedRelated<S, T> {
    /// Runs every later call with `options` (a transaction, hook values).
    #[must_use]
    pub fn with_options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// The options calls run with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The relation with LB3's defaults applied (keys, through model).
    pub fn relation(&self) -> &ResolvedRelation {
        self.inner.relation()
    }

    /// The dynamic handle this wraps.
    pub fn dynamic(&self) -> &Related {
        &self.inner
    }

    /// Unwraps the dynamic handle.
    pub fn into_dynamic(self) -> Related {
        self.inner
    }

    /// The owner as it is now: writes such as `create` on a belongsTo point it at the new
    /// instance.
    pub fn owner(&self) -> Result<S> {
        S::from_record(self.inner.instance().clone())
    }

    /// The related instances matching `filter` (LB3's `author.books(filter)`); a to-one
    /// relation gives its instance, if any, as a one-element list.
    pub async fn find(&self, filter: Filter) -> Result<Vec<T>> {
        self.inner
            .find(filter, &self.options)
            .await?
            .into_iter()
            .map(convert)
            .collect()
    }

    /// [`TypedRelated::find`], keeping the relations `filter` includes on each instance.
    pub async fn find_loaded(&self, filter: Filter) -> Result<Vec<Loaded<T>>> {
        self.inner
            .find(filter, &self.options)
            .await?
            .into_iter()
            .map(Loaded::from_record)
            .collect()
    }

    /// The related instance of a to-one relation (belongsTo, hasOne, embedsOne), if any.
    pub async fn get(&self) -> Result<Option<T>> {
        self.inner
            .get(&self.options)
            .await?
            .map(convert)
            .transpose()
    }

    /// How many related instances match `where_`.
    pub async fn count(&self, where_: Option<Where>) -> Result<u64> {
        self.inner.count(where_, &self.options).await
    }

    /// The related instance with id `fk`; `None` when it does not exist or is not related.
    pub async fn find_by_id(&self, fk: impl Into<Value>) -> Result<Option<T>> {
        not_found_as_none(self.inner.find_by_id(fk.into(), &self.options).await)?
            .map(convert)
            .transpose()
    }

    /// Whether `fk` is related.
    pub async fn exists(&self, fk: impl Into<Value>) -> Result<bool> {
        self.inner.exists(fk.into(), &self.options).await
    }

    /// `data` with the relation's keys set, not saved (LB3's `build`).
    pub fn build(&self, data: &T) -> Result<T> {
        convert(self.inner.build(data.to_record())?)
    }

    /// Creates a related instance: with the foreign key set (hasMany, hasOne), linked
    /// (through relations), pointed at by the owner (belongsTo), listed (referencesMany) or
    /// stored in the owner (embedded relations).
    pub async fn create(&mut self, data: &T) -> Result<T> {
        convert(self.inner.create(data.to_record(), &self.options).await?)
    }

    /// Creates several related instances, in order.
    pub async fn create_many(&mut self, data: &[T]) -> Result<Vec<T>> {
        let records = data.iter().map(T::to_record).collect();
        self.inner
            .create_many(records, &self.options)
            .await?
            .into_iter()
            .map(convert)
            .collect()
    }

    /// Patches the related instance `fk` with `data`; moving it to another owner is refused.
    pub async fn update_by_id(&mut self, fk: impl Into<Value>, data: Record) -> Result<T> {
        convert(
            self.inner
                .update_by_id(fk.into(), data, &self.options)
                .await?,
        )
    }

    /// Deletes the related instance `fk` (and its link, for through relations).
    pub async fn destroy_by_id(&mut self, fk: impl Into<Value>) -> Result<()> {
        self.inner.destroy_by_id(fk.into(), &self.options).await
    }

    /// Deletes every related instance matching `where_`; returns how many.
    pub async fn destroy_all(&mut self, where_: Option<Where>) -> Result<u64> {
        self.inner.destroy_all(where_, &self.options).await
    }

    /// Patches the related instance of a to-one relation with `data`.
    pub async fn update(&mut self, data: Record) -> Result<T> {
        convert(self.inner.update(data, &self.options).await?)
    }

    /// Deletes the related instance of a to-one relation; a belongsTo also clears the
    /// owner's foreign key.
    pub async fn destroy(&mut self) -> Result<()> {
        self.inner.destroy(&self.options).await
    }

    /// Links the existing instance `fk` (through relations, referencesMany; LB3's `add`).
    pub async fn link(&mut self, fk: impl Into<Value>) -> Result<()> {
        self.link_with(fk, Record::new()).await.map(drop)
    }

    /// [`TypedRelated::link`] with `data` for the through model's own properties; returns
    /// the through instance (the target, for a referencesMany).
    pub async fn link_with(&mut self, fk: impl Into<Value>, data: Record) -> Result<Record> {
        self.inner.link(fk.into(), data, &self.options).await
    }

    /// Removes the link to `fk`; the instance stays (LB3's `remove`).
    pub async fn unlink(&mut self, fk: impl Into<Value>) -> Result<()> {
        self.inner.unlink(fk.into(), &self.options).await
    }
}

/// An instance loaded with the relations its filter included: the struct (also through
/// `Deref`) and the record it was built from, which holds the included relations under their
/// names. Returned by [`PersistedModel::find_loaded`] and its siblings.
///
/// ```rust,ignore
/// let authors = authors_api
///     .find_loaded(Filter::new().include(Author::books()))
///     .await?;
/// let books: Vec<Book> = authors[0].related_many(Author::books())?;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded<S> {
    instance: S,
    record: Record,
}

impl<S> std::ops::Deref for Loaded<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.instance
    }
}

impl<S: Model> Loaded<S> {
    /// Builds the struct from `record`, keeping the record.
    pub fn from_record(record: Record) -> Result<Self> {
        Ok(Loaded {
            instance: S::from_record(record.clone())?,
            record,
        })
    }

    /// The struct.
    pub fn instance(&self) -> &S {
        &self.instance
    }

    /// The struct, without the includes.
    pub fn into_instance(self) -> S {
        self.instance
    }

    /// The record, with the included relations under their names.
    pub fn record(&self) -> &Record {
        &self.record
    }

    /// The struct and the record.
    pub fn into_parts(self) -> (S, Record) {
        (self.instance, self.record)
    }

    /// Whether the record holds relation `rel` (a to-one relation with nothing related is
    /// left out of the record, as in LB3).
    pub fn is_included<T>(&self, rel: RelationRef<S, T>) -> bool {
        self.record.contains_key(rel.name())
    }

    /// The included instances of relation `rel`: the list of a to-many relation, the instance
    /// (if any) of a to-one relation as a list of zero or one. A to-many relation that was
    /// not included is an error, so that it is not mistaken for an empty one.
    pub fn related_many<T: Model>(&self, rel: RelationRef<S, T>) -> Result<Vec<T>> {
        Ok(self
            .related_many_loaded(rel)?
            .into_iter()
            .map(Loaded::into_instance)
            .collect())
    }

    /// The included instance of the to-one relation `rel` (belongsTo, hasOne, embedsOne), or
    /// `None` when nothing is related or the relation was not included. A to-many relation is
    /// an error: read it with [`Loaded::related_many`].
    pub fn related_one<T: Model>(&self, rel: RelationRef<S, T>) -> Result<Option<T>> {
        Ok(self.related_one_loaded(rel)?.map(Loaded::into_instance))
    }

    /// [`Loaded::related_many`], keeping what the include's scope included in turn.
    pub fn related_many_loaded<T: Model>(&self, rel: RelationRef<S, T>) -> Result<Vec<Loaded<T>>> {
        let multiple = self.relation_shape::<T>(rel.name())?;
        match self.record.get(rel.name()) {
            None if multiple => Err(Error::bad_request(format!(
                "relation `{}` of {} was not included; include it: `Filter::new().include(\"{}\")`",
                rel.name(),
                S::NAME,
                rel.name()
            ))),
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| self.included_item(rel.name(), v))
                .collect(),
            Some(v @ Value::Object(_)) => Ok(vec![self.included_item(rel.name(), v)?]),
            Some(other) => Err(self.not_included_shape(rel.name(), other)),
        }
    }

    /// [`Loaded::related_one`], keeping what the include's scope included in turn.
    pub fn related_one_loaded<T: Model>(
        &self,
        rel: RelationRef<S, T>,
    ) -> Result<Option<Loaded<T>>> {
        if self.relation_shape::<T>(rel.name())? {
            return Err(Error::bad_request(format!(
                "relation `{}` of {} is a to-many relation; read it with `related_many`",
                rel.name(),
                S::NAME
            )));
        }
        match self.record.get(rel.name()) {
            None | Some(Value::Null) => Ok(None),
            Some(v @ Value::Object(_)) => self.included_item(rel.name(), v).map(Some),
            Some(other) => Err(self.not_included_shape(rel.name(), other)),
        }
    }

    /// Checks that `S` declares relation `name` targeting `T`; whether it is to-many.
    fn relation_shape<T: Model>(&self, name: &str) -> Result<bool> {
        let def = S::definition();
        let rel = def.relations.get(name).ok_or_else(|| {
            Error::bad_request(format!(
                "Relation \"{name}\" is not defined for {} model",
                S::NAME
            ))
        })?;
        check_target::<T>(S::NAME, name, rel.model.as_deref())?;
        Ok(matches!(
            rel.kind,
            RelationKind::HasMany
                | RelationKind::HasAndBelongsToMany
                | RelationKind::EmbedsMany
                | RelationKind::ReferencesMany
        ))
    }

    fn included_item<T: Model>(&self, name: &str, v: &Value) -> Result<Loaded<T>> {
        match v {
            Value::Object(r) => Loaded::from_record(r.clone()),
            other => Err(self.not_included_shape(name, other)),
        }
    }

    fn not_included_shape(&self, name: &str, found: &Value) -> Error {
        Error::bad_request(format!(
            "{}.{name} holds {}, not included instances",
            S::NAME,
            found.kind()
        ))
    }
}
