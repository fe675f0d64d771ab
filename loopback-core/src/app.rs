//! The application registry and the operation layer: data sources, models attached to them, and
//! every PersistedModel operation with LoopBack 3's hook order, validation, ids and defaults.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock, Weak};

use futures::future::BoxFuture;
use indexmap::IndexMap;

use crate::connector::{Connector, IsolationLevel, Options};
use crate::data::{prepare, WriteKind};
use crate::error::{Error, Result};
use crate::filter::{Condition, Fields, Filter, ParseOptions, Where};
use crate::hooks::{HookContext, HookKind, Observers};
use crate::model::{ModelDefinition, PropertyType, Strict};
use crate::validation::{ValidationError, ValidationKind};
use crate::value::{Record, Value};

/// A named, configured connector.
#[derive(Clone)]
pub struct DataSource {
    name: Arc<str>,
    connector: Arc<dyn Connector>,
}

impl DataSource {
    /// A data source named `name` backed by `connector`.
    pub fn new(name: impl Into<String>, connector: Arc<dyn Connector>) -> Self {
        DataSource {
            name: name.into().into(),
            connector,
        }
    }

    /// The data source name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The connector.
    pub fn connector(&self) -> &Arc<dyn Connector> {
        &self.connector
    }
}

impl fmt::Debug for DataSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataSource")
            .field("name", &self.name)
            .field("connector", &self.connector.name())
            .finish()
    }
}

/// A custom validator: gets the record and returns whether it is valid.
pub type Validator = Arc<dyn Fn(&Record) -> bool + Send + Sync>;
/// An async custom validator.
pub type AsyncValidator = Arc<dyn Fn(Record) -> BoxFuture<'static, Result<bool>> + Send + Sync>;

#[derive(Clone)]
enum CustomValidator {
    Sync(Validator),
    Async(AsyncValidator),
}

struct ModelInner {
    name: Arc<str>,
    id_name: String,
    /// Swapped when a relation declared later adds a foreign key to this model.
    def: RwLock<Arc<ModelDefinition>>,
    /// The definition's static ACLs (inherited ones included), compiled once when the model
    /// is defined: typed access types, permissions and principal types, in order. Swapping
    /// the definition never changes its ACLs.
    static_acl: Arc<[crate::auth::AclRule]>,
    ds: DataSource,
    registry: Weak<Registry>,
    observers: Observers,
    base: Option<ModelHandle>,
    validators: RwLock<HashMap<String, CustomValidator>>,
    /// The change-stream feed (`createChangeStream`), set up on first subscription.
    changes: crate::changes::ChangeFeed,
    /// The built-in model this one is or extends (User, AccessToken, …).
    builtin: Option<crate::auth::BuiltinKind>,
    /// Whether the base model is registered with the built-in's hooks already (they run for
    /// this model too, base first).
    inherits_builtin_hooks: bool,
    /// Relations resolved by [`ModelHandle::relation`], valid for one generation of the
    /// registry's definitions.
    relations: RwLock<ResolvedRelations>,
}

/// The relations of one model resolved against the definitions of one registry generation
/// ([`Registry::generation`]): resolving reads the target models too, so any change of any
/// definition makes them stale.
#[derive(Default)]
struct ResolvedRelations {
    generation: u64,
    by_name: HashMap<String, Arc<crate::relation::ResolvedRelation>>,
}

/// A model attached to a data source: the dynamic (by-name, on [`Record`]s) PersistedModel API.
/// Cheap to clone.
#[derive(Clone)]
pub struct ModelHandle(Arc<ModelInner>);

impl fmt::Debug for ModelHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModelHandle")
            .field("model", &self.0.name)
            .field("data_source", &self.0.ds)
            .finish()
    }
}

#[derive(Default)]
struct Registry {
    data_sources: RwLock<IndexMap<String, DataSource>>,
    models: RwLock<IndexMap<String, ModelHandle>>,
    remotes: crate::remote::Remotes,
    auth: crate::auth::AuthState,
    settings: RwLock<serde_json::Map<String, serde_json::Value>>,
    limits: RwLock<crate::filter::QueryLimits>,
    /// Bumped after every change of the set of models or of a model's definition, so that
    /// what was derived from the definitions (resolved relations) is derived again.
    generation: std::sync::atomic::AtomicU64,
}

/// The registry of data sources and models (LB3's `app`). Cheap to clone: clones share the
/// registry.
#[derive(Default, Clone)]
pub struct App {
    reg: Arc<Registry>,
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field(
                "data_sources",
                &read(&self.reg.data_sources).keys().collect::<Vec<_>>(),
            )
            .field("models", &read(&self.reg.models).keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Registry {
    /// The generation of the definitions: read before deriving anything from them.
    fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Marks everything derived from the definitions so far as stale; called after the change.
    fn definitions_changed(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

impl App {
    /// An empty application.
    pub fn new() -> Self {
        App::default()
    }

    /// The remote methods, disabled names and remote hooks.
    pub(crate) fn remotes(&self) -> &crate::remote::Remotes {
        &self.reg.remotes
    }

    /// Tokens, role resolvers and auth settings.
    pub(crate) fn auth_state(&self) -> &crate::auth::AuthState {
        &self.reg.auth
    }

    /// Adds a data source named `name` backed by `connector`, returning it.
    pub fn data_source(&self, name: &str, connector: Arc<dyn Connector>) -> DataSource {
        let ds = DataSource::new(name, connector);
        write(&self.reg.data_sources).insert(name.to_owned(), ds.clone());
        ds
    }

    /// An application setting (LB3's `app.get(key)`): `config.json` values after boot,
    /// and whatever [`App::set_setting`] stored.
    pub fn setting(&self, key: &str) -> Option<serde_json::Value> {
        read(&self.reg.settings).get(key).cloned()
    }

    /// Stores an application setting (LB3's `app.set(key, value)`).
    pub fn set_setting(&self, key: &str, value: serde_json::Value) {
        write(&self.reg.settings).insert(key.to_owned(), value);
    }

    /// The caps on what one caller's query may ask for (`limit`, `inq`/`nin` lists, REST
    /// batch creates); [`QueryLimits::default`](crate::filter::QueryLimits) unless set.
    /// Filters parsed from callers ([`ModelHandle::parse_filter`], the REST API) obey them.
    pub fn query_limits(&self) -> crate::filter::QueryLimits {
        *read(&self.reg.limits)
    }

    /// Sets the caps of [`App::query_limits`];
    /// [`QueryLimits::unlimited`](crate::filter::QueryLimits::unlimited) restores LB3's
    /// behaviour.
    pub fn set_query_limits(&self, limits: crate::filter::QueryLimits) {
        *write(&self.reg.limits) = limits;
    }

    /// A data source by name.
    pub fn get_data_source(&self, name: &str) -> Option<DataSource> {
        read(&self.reg.data_sources).get(name).cloned()
    }

    /// Runs `f` inside a new transaction on the data source `ds` (see
    /// [`DataSource::transaction`]): `f` gets [`Options`] carrying the transaction, to pass to
    /// every operation; the transaction commits when `f` returns `Ok` and rolls back when it
    /// returns `Err`, panics or is dropped.
    ///
    /// ```no_run
    /// # async fn demo(app: &loopback_core::App) -> loopback_core::Result<()> {
    /// use loopback_core::{record, IsolationLevel};
    /// let book = app.try_model("Book")?;
    /// let id = app
    ///     .transaction("db", IsolationLevel::ReadCommitted, |options| async move {
    ///         let b = book.create(record! {"title" => "T"}, &options).await?;
    ///         Ok(b.get("id").cloned())
    ///     })
    ///     .await?;
    /// # let _ = id; Ok(()) }
    /// ```
    pub async fn transaction<T, F, Fut>(
        &self,
        ds: &str,
        isolation: IsolationLevel,
        f: F,
    ) -> Result<T>
    where
        F: FnOnce(Options) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let ds = self
            .get_data_source(ds)
            .ok_or_else(|| Error::Internal(format!("data source `{ds}` is not defined")))?;
        ds.transaction(isolation, None, f).await
    }

    /// Attaches a model definition to the data source `ds`. The base model, when it names a
    /// model already registered, is merged in (properties, settings, ACLs, validations) and its
    /// observers run before this model's. The id property is injected per `idInjection`.
    ///
    /// Relations add the keys they need, as LB3 does: a belongsTo adds its foreign key to this
    /// model, a hasMany or hasOne adds it to the target, a hasAndBelongsToMany defines its
    /// through model (`SourceTarget`) when none exists, an embedsMany or referencesMany adds its
    /// list property. Keys for models defined later are added when they are defined.
    pub async fn define(&self, def: ModelDefinition, ds: &str) -> Result<ModelHandle> {
        let ds = self.get_data_source(ds).ok_or_else(|| {
            Error::definition(
                format!("{}.dataSource", def.name),
                format!("unknown data source `{ds}`"),
            )
        })?;
        let mut def = def;
        let mut builtin = match def.base.as_deref() {
            None | Some("PersistedModel" | "Model") => {
                crate::auth::BuiltinKind::from_name(&def.name)
            }
            _ => None,
        };
        let base = match def.base.as_deref() {
            None | Some("PersistedModel" | "Model" | "KeyValueModel") => None,
            Some(b) => match self.model(b) {
                Some(m) => Some(m),
                // `base: "User"` with no User attached: LB3's definition is inherited as
                // LB3 does, without attaching a `User` model.
                None => match crate::auth::BuiltinKind::from_name(b) {
                    Some(kind) => {
                        def.inherit_from(&crate::auth::builtin_definition(kind));
                        builtin = Some(kind);
                        None
                    }
                    None => {
                        return Err(Error::definition(
                            format!("{}.base", def.name),
                            format!("unknown base model `{b}`"),
                        ))
                    }
                },
            },
        };
        if let Some(b) = &base {
            def.inherit_from(&b.definition());
            if b.0.builtin.is_some() {
                builtin = b.0.builtin;
            }
        }
        let inherits_builtin_hooks = base.as_ref().is_some_and(|b| b.0.builtin.is_some());
        if builtin == Some(crate::auth::BuiltinKind::User) {
            for v in crate::auth::user_validations(&def) {
                let present = def
                    .validations
                    .iter()
                    .any(|o| o.property == v.property && o.message == v.message);
                if !present {
                    def.validations.push(v);
                }
            }
        }
        def.inject_id();
        self.define_implicit_through_models(&def, &ds).await?;
        // Keys that relations (this model's and those of models defined earlier) add.
        let additions = self.relation_additions(Some(&def));
        let name = def.name.clone();
        for a in additions.iter().filter(|a| a.model == name) {
            crate::relation::add_property(&mut def, &a.property);
        }
        // Remote methods declared in the JSON (`methods`); handlers are bound by name later.
        let declared = def
            .methods
            .iter()
            .map(|(n, spec)| crate::remote::RemoteMethod::from_lb3_json(n, spec))
            .collect::<Result<Vec<_>>>()?;
        let def = Arc::new(def);
        ds.connector().define(&def).await?;
        let handle = ModelHandle(Arc::new(ModelInner {
            name: def.name.as_str().into(),
            id_name: def.id_name().to_owned(),
            def: RwLock::new(def.clone()),
            static_acl: def
                .acls
                .iter()
                .map(|e| crate::auth::AclRule::from_entry(&def.name, e))
                .collect(),
            ds,
            registry: Arc::downgrade(&self.reg),
            observers: Observers::default(),
            base,
            validators: RwLock::new(HashMap::new()),
            changes: crate::changes::ChangeFeed::default(),
            builtin,
            inherits_builtin_hooks,
            relations: RwLock::default(),
        }));
        write(&self.reg.models).insert(def.name.clone(), handle.clone());
        self.reg.definitions_changed();
        if let Some(kind) = builtin {
            crate::auth::install(&handle, kind);
        }
        for m in declared {
            if self.reg.remotes.find(&def.name, &m.string_name()).is_none() {
                self.reg.remotes.add(&def.name, m, None);
            }
        }
        for a in additions.iter().filter(|a| a.model != def.name) {
            if let Some(other) = self.model(&a.model) {
                other.add_property(&a.property).await?;
            }
        }
        Ok(handle)
    }

    /// Defines the implicit through model of each hasAndBelongsToMany relation (declared by
    /// `def` or targeting it) that names none and has none yet.
    async fn define_implicit_through_models(
        &self,
        def: &ModelDefinition,
        ds: &DataSource,
    ) -> Result<()> {
        let mut pairs = Vec::new();
        for r in def.relations.values() {
            if r.kind == crate::model::RelationKind::HasAndBelongsToMany
                && r.through.as_deref().map_or(true, str::is_empty)
            {
                if let Some(t) = r.model.as_deref() {
                    let target = if t == def.name {
                        Some(def.name.clone())
                    } else {
                        self.definition_of(t).map(|d| d.name.clone())
                    };
                    if let Some(t) = target {
                        pairs.push((def.name.clone(), t, ds.clone()));
                    }
                }
            }
        }
        for other in self.models() {
            let odef = other.definition();
            for r in odef.relations.values() {
                if r.kind == crate::model::RelationKind::HasAndBelongsToMany
                    && r.through.as_deref().map_or(true, str::is_empty)
                    && r.model
                        .as_deref()
                        .is_some_and(|m| m.eq_ignore_ascii_case(&def.name))
                {
                    pairs.push((odef.name.clone(), def.name.clone(), other.0.ds.clone()));
                }
            }
        }
        for (source, target, ds) in pairs {
            let name =
                crate::relation::habtm_through_name(&source, &target, |n| self.model(n).is_some());
            if self.model(&name).is_none() && name != def.name {
                Box::pin(self.define(ModelDefinition::new(name), ds.name())).await?;
            }
        }
        Ok(())
    }

    /// Every property that the relations of the registered models (and of `pending`, a
    /// model about to be registered) add to a model that lacks it.
    fn relation_additions(
        &self,
        pending: Option<&ModelDefinition>,
    ) -> Vec<crate::relation::AddedProperty> {
        let pending_arc = pending.map(|d| Arc::new(d.clone()));
        let lookup = |n: &str| -> Option<Arc<ModelDefinition>> {
            match &pending_arc {
                Some(p) if p.name == n || p.name.eq_ignore_ascii_case(n) => Some(p.clone()),
                _ => self.definition_of(n),
            }
        };
        let mut defs: Vec<Arc<ModelDefinition>> =
            self.models().iter().map(ModelHandle::definition).collect();
        if let Some(p) = &pending_arc {
            defs.retain(|d| d.name != p.name);
            defs.push(p.clone());
        }
        let mut out: Vec<crate::relation::AddedProperty> = Vec::new();
        for d in &defs {
            for r in d.relations.values() {
                for a in crate::relation::added_properties(d, r, &lookup) {
                    let declared = lookup(&a.model)
                        .is_some_and(|m| m.properties.contains_key(&a.property.name));
                    let dup = out
                        .iter()
                        .any(|o| o.model == a.model && o.property.name == a.property.name);
                    if !declared && !dup {
                        out.push(a);
                    }
                }
            }
        }
        out
    }

    /// The first registered model for which `pred` holds.
    pub(crate) fn find_model(&self, pred: impl Fn(&ModelHandle) -> bool) -> Option<ModelHandle> {
        read(&self.reg.models).values().find(|m| pred(m)).cloned()
    }

    /// Every registered model, in registration order.
    pub fn models(&self) -> Vec<ModelHandle> {
        read(&self.reg.models).values().cloned().collect()
    }

    /// The current definition of a model, found by exact name and then case-insensitively
    /// (LB3 looks relation targets up that way).
    pub fn definition_of(&self, name: &str) -> Option<Arc<ModelDefinition>> {
        let models = read(&self.reg.models);
        if let Some(m) = models.get(name) {
            return Some(m.definition());
        }
        models
            .values()
            .find(|m| m.name().eq_ignore_ascii_case(name))
            .map(ModelHandle::definition)
    }

    /// A model by name.
    pub fn model(&self, name: &str) -> Option<ModelHandle> {
        read(&self.reg.models).get(name).cloned()
    }

    /// A model by name, or [`Error::UnknownModel`].
    pub fn try_model(&self, name: &str) -> Result<ModelHandle> {
        self.model(name)
            .ok_or_else(|| Error::UnknownModel(name.to_owned()))
    }

    /// Names of all registered models, in registration order.
    pub fn model_names(&self) -> Vec<String> {
        read(&self.reg.models).keys().cloned().collect()
    }
}

/// What `upsert`-style operations report besides the instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Upserted {
    /// The saved instance.
    pub instance: Record,
    /// Whether it was created.
    pub created: bool,
}

impl ModelHandle {
    /// The model definition (with the foreign keys that relations added).
    pub fn definition(&self) -> Arc<ModelDefinition> {
        self.def()
    }

    fn def(&self) -> Arc<ModelDefinition> {
        read(&self.0.def).clone()
    }

    /// The model's static ACL rules, compiled when it was defined (see
    /// [`App::check_access`](crate::App::check_access)).
    pub fn static_acl(&self) -> &[crate::auth::AclRule] {
        &self.0.static_acl
    }

    /// The model name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// Adds a property the model does not declare (a foreign key a relation needs) and
    /// tells the connector.
    async fn add_property(&self, p: &crate::model::PropertyDefinition) -> Result<()> {
        let mut def = (*self.def()).clone();
        if !crate::relation::add_property(&mut def, p) {
            return Ok(());
        }
        let def = Arc::new(def);
        self.0.ds.connector().define(&def).await?;
        *write(&self.0.def) = def;
        self.definitions_changed();
        Ok(())
    }

    /// LB3's `Model.nestRemoting(relationName)`: a `RestApi` built afterwards also serves the
    /// relation routes of the related model below this relation's routes
    /// (`GET /authors/:id/books/:nk/reviews`, `GET /images/:id/book/reviews`), as the
    /// relation option `"nestRemoting": true` does. Fails when the model has no such relation.
    pub fn nest_remoting(&self, relation: &str) -> Result<()> {
        self.nest_remoting_with(relation, crate::model::NestRemoting::default())
    }

    /// [`ModelHandle::nest_remoting`] with LB3's options (`pathName`, `paramName`, `hooks`).
    pub fn nest_remoting_with(
        &self,
        relation: &str,
        options: crate::model::NestRemoting,
    ) -> Result<()> {
        let mut guard = write(&self.0.def);
        let mut def = (**guard).clone();
        let Some(rel) = def.relations.get_mut(relation) else {
            return Err(Error::definition(
                format!("{}.relations", self.0.name),
                format!(
                    "Relation `{relation}` does not exist for model `{}`",
                    self.0.name
                ),
            ));
        };
        rel.options
            .insert("nestRemoting".into(), options.to_option());
        *guard = Arc::new(def);
        drop(guard);
        self.definitions_changed();
        Ok(())
    }

    /// Tells the registry that this model's definition changed (see [`Registry::generation`]).
    fn definitions_changed(&self) {
        if let Some(reg) = self.0.registry.upgrade() {
            reg.definitions_changed();
        }
    }

    /// The application the model is registered in.
    pub fn app(&self) -> Result<App> {
        self.0
            .registry
            .upgrade()
            .map(|reg| App { reg })
            .ok_or_else(|| Error::NotAttached(self.0.name.to_string()))
    }

    /// A relation of this model with LB3's defaults applied (foreign key names, through model).
    /// Resolved once per generation of the registry's definitions and shared afterwards.
    pub fn relation(&self, name: &str) -> Result<Arc<crate::relation::ResolvedRelation>> {
        let app = self.app()?;
        let generation = app.reg.generation();
        {
            let cache = read(&self.0.relations);
            if cache.generation == generation {
                if let Some(r) = cache.by_name.get(name) {
                    return Ok(r.clone());
                }
            }
        }
        let def = self.def();
        let rel = def.relations.get(name).ok_or_else(|| {
            Error::bad_request(format!(
                "Relation \"{name}\" is not defined for {} model",
                self.0.name
            ))
        })?;
        let resolved = Arc::new(crate::relation::resolve(&def, rel, &|n| {
            app.definition_of(n)
        })?);
        let mut cache = write(&self.0.relations);
        // A resolution that read older definitions than the cache holds is not kept; one
        // that raced with a change is kept under the generation read before it, so the next
        // lookup after the change resolves again.
        if cache.generation < generation {
            cache.by_name.clear();
            cache.generation = generation;
        }
        if cache.generation == generation {
            cache.by_name.insert(name.to_owned(), resolved.clone());
        }
        Ok(resolved)
    }

    /// The data source.
    pub fn data_source(&self) -> &DataSource {
        &self.0.ds
    }

    /// The change-stream feed of this model (see [`crate::changes`]).
    pub(crate) fn change_feed(&self) -> &crate::changes::ChangeFeed {
        &self.0.changes
    }

    /// The built-in auth model this model is or extends (`User` for `base: "User"`).
    pub fn builtin_kind(&self) -> Option<crate::auth::BuiltinKind> {
        self.0.builtin
    }

    /// The registered base model, if any.
    pub fn base_model(&self) -> Option<ModelHandle> {
        self.0.base.clone()
    }

    pub(crate) fn inherits_builtin_hooks(&self) -> bool {
        self.0.inherits_builtin_hooks
    }

    /// This model's observers (LB3's `Model.observe`).
    pub fn observers(&self) -> &Observers {
        &self.0.observers
    }

    /// Registers an observer: `model.observe(HookKind::BeforeSave, |ctx| async move { Ok(ctx) })`.
    pub fn observe<F, Fut>(&self, hook: HookKind, f: F)
    where
        F: Fn(HookContext) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<HookContext>> + Send + 'static,
    {
        self.0.observers.observe(hook, f);
    }

    /// Registers a synchronous custom validator under `name`, used by `custom` rules of that
    /// name (LB3's `Model.validate`). It receives the whole instance.
    pub fn add_validator(&self, name: &str, f: impl Fn(&Record) -> bool + Send + Sync + 'static) {
        write(&self.0.validators).insert(name.to_owned(), CustomValidator::Sync(Arc::new(f)));
    }

    /// Registers an async custom validator (LB3's `Model.validateAsync`).
    pub fn add_async_validator<F, Fut>(&self, name: &str, f: F)
    where
        F: Fn(Record) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<bool>> + Send + 'static,
    {
        let f: AsyncValidator = Arc::new(move |r| Box::pin(f(r)));
        write(&self.0.validators).insert(name.to_owned(), CustomValidator::Async(f));
    }

    pub(crate) fn connector(&self) -> &dyn Connector {
        self.0.ds.connector().as_ref()
    }

    fn id_name(&self) -> &str {
        &self.0.id_name
    }

    fn id_where(&self, id: &Value) -> Where {
        Where::eq(self.id_name(), id.clone())
    }

    /// Coerces an id given by a caller (a path segment, say) to the id property's type.
    pub fn coerce_id(&self, id: Value) -> Result<Value> {
        let ty = self.def().property(self.id_name()).map(|p| p.ty.clone());
        match ty {
            Some(ty) => crate::data::coerce_value(&ty, id.clone())
                .map_err(|m| Error::bad_request(format!("`{}` {m}: {id}", self.id_name()))),
            None => Ok(id),
        }
    }

    // ----- hooks ---------------------------------------------------------------------------

    fn has_observers(&self, hook: HookKind) -> bool {
        self.0.observers.has(hook) || self.0.base.as_ref().is_some_and(|b| b.has_observers(hook))
    }

    fn collect_observers(&self, hook: HookKind, out: &mut Vec<crate::hooks::Observer>) {
        if let Some(b) = &self.0.base {
            b.collect_observers(hook, out);
        }
        out.extend(self.0.observers.get(hook));
    }

    /// Runs the observers of `ctx.hook` in order (base model first); the first error aborts.
    pub async fn notify(&self, ctx: HookContext) -> Result<HookContext> {
        let mut obs = Vec::new();
        self.collect_observers(ctx.hook, &mut obs);
        let mut ctx = ctx;
        for o in obs {
            ctx = o(ctx).await?;
        }
        Ok(ctx)
    }

    fn ctx(
        &self,
        hook: HookKind,
        method: &'static str,
        options: &Options,
        state: &mut serde_json::Map<String, serde_json::Value>,
    ) -> HookContext {
        let mut c = HookContext::new(&self.0.name, hook, method, options.clone());
        c.hook_state = std::mem::take(state);
        c
    }

    async fn fire(
        &self,
        ctx: HookContext,
        state: &mut serde_json::Map<String, serde_json::Value>,
    ) -> Result<HookContext> {
        let mut ctx = if self.has_observers(ctx.hook) {
            self.notify(ctx).await?
        } else {
            ctx
        };
        *state = std::mem::take(&mut ctx.hook_state);
        Ok(ctx)
    }

    /// Applies the default scope and fires `access`; returns the filter to run, its `where`
    /// values coerced to the property types.
    async fn access(
        &self,
        filter: Filter,
        method: &'static str,
        options: &Options,
        state: &mut serde_json::Map<String, serde_json::Value>,
    ) -> Result<Filter> {
        let filter = self.apply_default_scope(filter)?;
        let mut filter = if self.has_observers(HookKind::Access) {
            let mut ctx = self.ctx(HookKind::Access, method, options, state);
            ctx.query = Some(filter);
            let ctx = self.fire(ctx, state).await?;
            ctx.query.unwrap_or_default()
        } else {
            filter
        };
        // LB3's DAO coerces where values after the access hook, so a condition built in code or
        // added by a hook (`{born: {gt: "2021-01-01"}}`, `{qty: "2"}`) compares as a parsed one
        // does, on every connector. Conditions on related models are resolved first: those
        // read by key become `inq`/`nin` lists, coerced to this model's key type here.
        if let Some(w) = filter.where_.take() {
            let w = crate::relation::resolve_related(self, w, options).await?;
            filter.where_ = Some(coerce_where(&self.def(), w));
        }
        // juggler's `fieldsToArray`: `fields` that only exclude select the declared
        // properties but those, so undeclared (dynamic) properties are left out too.
        if let Some(Fields::Exclude(excluded)) = &filter.fields {
            let def = self.def();
            let kept: Vec<String> = def
                .properties
                .keys()
                .filter(|p| !excluded.contains(p))
                .cloned()
                .collect();
            if !kept.is_empty() {
                filter.fields = Some(Fields::Include(kept));
            }
        }
        Ok(filter)
    }

    /// Resolves the conditions on related models that a hook added after `access`.
    async fn resolve_late(&self, w: Option<Where>, options: &Options) -> Result<Option<Where>> {
        match w {
            Some(w) if w.has_related() => Ok(Some(coerce_where(
                &self.def(),
                crate::relation::resolve_related(self, w, options).await?,
            ))),
            w => Ok(w),
        }
    }

    /// Parses a filter from a caller (a request, say) against this model: values coerced to
    /// the property types, hidden properties refused, and conditions on related models and
    /// include scopes read against the related models.
    pub fn parse_filter(&self, json: &serde_json::Value) -> Result<Filter> {
        let def = self.def();
        let app = self.app()?;
        let limits = app.query_limits();
        let lookup = move |n: &str| app.definition_of(n);
        Filter::from_json(
            json,
            &ParseOptions::for_model(&def)
                .with_models(&lookup)
                .with_limits(limits),
        )
    }

    /// Parses a `where` from a caller against this model, as [`ModelHandle::parse_filter`]
    /// parses a filter.
    pub fn parse_where(&self, json: &serde_json::Value) -> Result<Where> {
        let def = self.def();
        let app = self.app()?;
        let limits = app.query_limits();
        let lookup = move |n: &str| app.definition_of(n);
        Where::from_json(
            json,
            &ParseOptions::for_model(&def)
                .with_models(&lookup)
                .with_limits(limits),
        )
    }

    fn apply_default_scope(&self, filter: Filter) -> Result<Filter> {
        let def = self.def();
        let Some(scope) = &def.scope else {
            return Ok(filter);
        };
        let scope = self.parse_trusted_filter(&def, scope)?;
        Ok(filter.merged_with(scope))
    }

    /// Parses a filter written in `def` (a scope): trusted, and read with the application's
    /// models so that it may hold conditions on related models.
    pub(crate) fn parse_trusted_filter(
        &self,
        def: &ModelDefinition,
        json: &serde_json::Value,
    ) -> Result<Filter> {
        match self.app() {
            Ok(app) => {
                let lookup = move |n: &str| app.definition_of(n);
                Filter::from_json(
                    json,
                    &ParseOptions::for_definition(def).with_models(&lookup),
                )
            }
            Err(_) => Filter::from_json(json, &ParseOptions::for_definition(def)),
        }
    }

    /// The `where` of the default scope, if any.
    pub(crate) fn default_scope_where(&self) -> Result<Option<Where>> {
        let def = self.def();
        let Some(scope) = &def.scope else {
            return Ok(None);
        };
        Ok(self.parse_trusted_filter(&def, scope)?.where_)
    }

    /// LB3 forces a default scope's `where` equalities onto written data.
    fn apply_scope_to_data(&self, data: &mut Record) -> Result<()> {
        let Some(w) = self.default_scope_where()? else {
            return Ok(());
        };
        for (p, v) in w.equalities() {
            data.insert(p, v.clone());
        }
        Ok(())
    }

    // ----- validation ----------------------------------------------------------------------

    /// Validates a full instance: required properties, declared rules, custom validators and
    /// uniqueness (against the data source). `existing_id` excludes the record itself from
    /// uniqueness checks.
    pub async fn validate(&self, record: &Record, is_new: bool, options: &Options) -> Result<()> {
        let def = &self.def();
        let mut errors = ValidationError::new(&def.name);
        if is_new && def.force_id() {
            if let Some(v) = record.get(self.id_name()) {
                if !v.is_null() {
                    errors.add(self.id_name(), "absence", "can't be set");
                }
            }
        }
        for p in def.properties.values() {
            if p.required
                && !(p.id.is_some() && p.generated && is_new)
                && crate::validation::is_blank(record.get(&p.name))
            {
                errors.add(&p.name, "presence", "can't be blank");
            }
        }
        for rule in &def.validations {
            match &rule.kind {
                ValidationKind::Custom(name) => {
                    let v = read(&self.0.validators).get(name).cloned();
                    let ok = match v {
                        Some(CustomValidator::Sync(f)) => f(record),
                        Some(CustomValidator::Async(f)) => f(record.clone()).await?,
                        None => {
                            return Err(Error::definition(
                                format!("{}.validations", def.name),
                                format!("no validator named `{name}` is registered"),
                            ))
                        }
                    };
                    if !ok {
                        errors.add(&rule.property, rule.failure_code(), rule.failure_message());
                    }
                }
                ValidationKind::Uniqueness {
                    scoped_to,
                    ignore_case,
                } => {
                    let Some(value) = record
                        .get(&rule.property)
                        .filter(|v| !crate::validation::is_blank(Some(v)))
                    else {
                        continue;
                    };
                    let scope: Vec<Where> = scoped_to
                        .iter()
                        .map(|s| {
                            Where::eq(s.clone(), record.get(s).cloned().unwrap_or(Value::Null))
                        })
                        .collect();
                    let caps = self.connector().capabilities();
                    let found = match (value, ignore_case) {
                        (Value::String(s), true) if !(caps.regexp && caps.regexp_flags) => {
                            // No case-insensitive regexp: compare the candidates here.
                            let f = Filter {
                                where_: (!scope.is_empty()).then(|| Where::And(scope)),
                                ..Filter::default()
                            }
                            .fields([self.id_name().to_owned(), rule.property.clone()]);
                            let wanted = s.to_lowercase();
                            self.connector()
                                .find(def, &f, options)
                                .await?
                                .into_iter()
                                .filter(|r| {
                                    r.get(&rule.property)
                                        .and_then(Value::as_str)
                                        .is_some_and(|v| v.to_lowercase() == wanted)
                                })
                                .take(2)
                                .collect::<Vec<_>>()
                        }
                        _ => {
                            let cond = match (value, ignore_case) {
                                (Value::String(s), true) => {
                                    Condition::Regexp(crate::filter::RegexpPattern {
                                        source: format!("^{}$", regex::escape(s)),
                                        case_insensitive: true,
                                        global: false,
                                        multiline: false,
                                    })
                                }
                                _ => Condition::Eq(value.clone()),
                            };
                            let mut w = Where::cond(rule.property.clone(), cond);
                            for s in scope {
                                w = w.and(s);
                            }
                            self.connector()
                                .find(def, &Filter::with_where(w).limit(2), options)
                                .await?
                        }
                    };
                    let my_id = record.get(self.id_name());
                    let clash = found.iter().any(|r| match (r.get(self.id_name()), my_id) {
                        (Some(a), Some(b)) if !is_new => !a.loose_eq(b),
                        _ => true,
                    });
                    if clash {
                        errors.add(&rule.property, rule.failure_code(), rule.failure_message());
                    }
                }
                _ => rule.check(record, &mut errors),
            }
        }
        if !errors.is_empty() {
            errors.values = record.clone();
        }
        errors.into_result()
    }

    // ----- queries -------------------------------------------------------------------------

    /// `find(filter)`: access → connector → loaded (per record).
    /// As in juggler 3.x, a `skip` without a `limit` gets `limit: 100`.
    pub async fn find(&self, filter: Filter, options: &Options) -> Result<Vec<Record>> {
        let mut state = serde_json::Map::new();
        let mut filter = filter;
        if filter.limit.is_none() && filter.skip.is_some_and(|s| s > 0) {
            filter.limit = Some(DEFAULT_LIMIT_WITH_SKIP);
        }
        let filter = self.access(filter, "find", options, &mut state).await?;
        self.find_including(filter, options, &mut state).await
    }

    /// Runs an accessed filter and resolves its `include`, fetching the keys resolution needs
    /// and stripping those that `fields` did not ask for.
    async fn find_including(
        &self,
        mut filter: Filter,
        options: &Options,
        state: &mut serde_json::Map<String, serde_json::Value>,
    ) -> Result<Vec<Record>> {
        if filter.include.is_empty() {
            return self.find_raw(&filter, options, state).await;
        }
        // Unknown relations, too deep or cyclic trees and bad scopes fail before any query.
        crate::relation::check_includes(self, &filter.include)?;
        let needed = crate::relation::needed_keys(self, &filter.include);
        let added = crate::relation::ensure_fields(&mut filter.fields, &needed);
        // The connector sees the includes, as LB3's do, and leaves room for them in each row.
        let mut rows = self.find_raw(&filter, options, state).await?;
        let includes = std::mem::take(&mut filter.include);
        crate::relation::include(self, &mut rows, &includes, options, &mut Vec::new()).await?;
        crate::relation::strip(&mut rows, &added);
        Ok(rows)
    }

    async fn find_raw(
        &self,
        filter: &Filter,
        options: &Options,
        state: &mut serde_json::Map<String, serde_json::Value>,
    ) -> Result<Vec<Record>> {
        let rows = self.connector().find(&self.def(), filter, options).await?;
        if !self.has_observers(HookKind::Loaded) {
            return Ok(rows);
        }
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut ctx = self.ctx(HookKind::Loaded, "find", options, state);
            ctx.data = Some(row);
            ctx.is_new_instance = Some(false);
            let ctx = self.fire(ctx, state).await?;
            out.push(ctx.data.unwrap_or_default());
        }
        Ok(out)
    }

    /// `findOne(filter)`.
    pub async fn find_one(&self, filter: Filter, options: &Options) -> Result<Option<Record>> {
        let mut f = filter;
        f.limit = Some(1);
        Ok(self.find(f, options).await?.into_iter().next())
    }

    /// `findById(id, filter)`; `Ok(None)` when absent. Only the filter's `fields` and
    /// `include` apply: its `where` is replaced by the id.
    pub async fn find_by_id(
        &self,
        id: Value,
        filter: Option<Filter>,
        options: &Options,
    ) -> Result<Option<Record>> {
        let mut state = serde_json::Map::new();
        self.find_by_id_with_state(id, filter, options, &mut state)
            .await
    }

    async fn find_by_id_with_state(
        &self,
        id: Value,
        filter: Option<Filter>,
        options: &Options,
        state: &mut serde_json::Map<String, serde_json::Value>,
    ) -> Result<Option<Record>> {
        let id = self.coerce_id(id)?;
        let mut f = filter.unwrap_or_default();
        f = Filter { where_: None, ..f }.and_where(self.id_where(&id));
        f.limit = Some(1);
        f.skip = None;
        let f = self.access(f, "findById", options, state).await?;
        Ok(self
            .find_including(f, options, state)
            .await?
            .into_iter()
            .next())
    }

    fn not_found(&self, id: &Value) -> Error {
        Error::NotFound {
            model: self.0.name.to_string(),
            id: id.to_string(),
        }
    }

    /// `exists(id)`: a count, so only `access` fires.
    pub async fn exists(&self, id: Value, options: &Options) -> Result<bool> {
        let id = self.coerce_id(id)?;
        Ok(self.count(Some(self.id_where(&id)), options).await? > 0)
    }

    /// `count(where)`: access → connector.
    pub async fn count(&self, where_: Option<Where>, options: &Options) -> Result<u64> {
        let mut state = serde_json::Map::new();
        let f = self
            .access(
                Filter {
                    where_,
                    ..Filter::default()
                },
                "count",
                options,
                &mut state,
            )
            .await?;
        self.connector()
            .count(&self.def(), f.where_.as_ref(), options)
            .await
    }

    // ----- writes --------------------------------------------------------------------------

    /// `create(data)`: before save → validation → persist → connector → loaded → after save.
    pub async fn create(&self, data: Record, options: &Options) -> Result<Record> {
        let mut state = serde_json::Map::new();
        self.create_with_state(data, options, &mut state, "create")
            .await
    }

    /// `create([data…])`: each record in order; stops at the first failure, as LB3 reports it.
    pub async fn create_many(&self, data: Vec<Record>, options: &Options) -> Result<Vec<Record>> {
        let mut out = Vec::with_capacity(data.len());
        for d in data {
            out.push(self.create(d, options).await?);
        }
        Ok(out)
    }

    async fn create_with_state(
        &self,
        data: Record,
        options: &Options,
        state: &mut serde_json::Map<String, serde_json::Value>,
        method: &'static str,
    ) -> Result<Record> {
        let def = &self.def();
        let mut data = data;
        self.apply_scope_to_data(&mut data)?;
        let mut instance = prepare(def, data, WriteKind::Create)?;
        let mut ctx = self.ctx(HookKind::BeforeSave, method, options, state);
        ctx.instance = Some(instance);
        ctx.is_new_instance = Some(true);
        let ctx = self.fire(ctx, state).await?;
        instance = prepare(def, ctx.instance.unwrap_or_default(), WriteKind::Patch)?;
        self.validate(&instance, true, options).await?;

        let mut ctx = self.ctx(HookKind::Persist, method, options, state);
        ctx.data = Some(instance.clone());
        ctx.current_instance = Some(instance.clone());
        ctx.is_new_instance = Some(true);
        let ctx = self.fire(ctx, state).await?;
        let mut persisted = ctx.data.unwrap_or_default();
        let id = self
            .connector()
            .create(def, persisted.clone(), options)
            .await?;
        let id_name = self.id_name().to_owned();
        if !id.is_null() {
            persisted.insert(id_name.clone(), id.clone());
            instance.insert(id_name.clone(), id);
        }
        // Keep the id first, where LB3 puts the injected id.
        instance = reorder(def, instance);

        let mut ctx = self.ctx(HookKind::Loaded, method, options, state);
        ctx.data = Some(persisted);
        ctx.is_new_instance = Some(true);
        let ctx = self.fire(ctx, state).await?;
        if def
            .options
            .get("updateOnLoad")
            .and_then(serde_json::Value::as_bool)
            == Some(true)
        {
            if let Some(d) = ctx.data {
                instance.merge(d);
            }
        }

        let mut ctx = self.ctx(HookKind::AfterSave, method, options, state);
        ctx.instance = Some(instance);
        ctx.is_new_instance = Some(true);
        let ctx = self.fire(ctx, state).await?;
        Ok(ctx.instance.unwrap_or_default())
    }

    /// `updateAll(where, data)`: access → before save → persist → connector → after save.
    /// Returns the number of records updated.
    pub async fn update_all(
        &self,
        where_: Option<Where>,
        data: Record,
        options: &Options,
    ) -> Result<u64> {
        let def = &self.def();
        let mut state = serde_json::Map::new();
        let f = self
            .access(
                Filter {
                    where_,
                    ..Filter::default()
                },
                "updateAll",
                options,
                &mut state,
            )
            .await?;
        let mut data = data;
        if matches!(def.strict_mode(), Strict::True | Strict::Throw) {
            // LB3's updateAll does not validate: under `strict: true` it drops unknown
            // properties instead of refusing them.
            data.retain(|k, _| def.properties.contains_key(k));
        }
        self.apply_scope_to_data(&mut data)?;
        let data = prepare(def, data, WriteKind::Patch)?;
        let mut ctx = self.ctx(HookKind::BeforeSave, "updateAll", options, &mut state);
        ctx.where_ = f.where_;
        ctx.data = Some(data);
        let ctx = self.fire(ctx, &mut state).await?;
        let (where_, data) = (
            ctx.where_,
            prepare(def, ctx.data.unwrap_or_default(), WriteKind::Patch)?,
        );
        if data.contains_key(self.id_name()) && def.force_id() {
            let mut e = ValidationError::new(&def.name);
            e.add(self.id_name(), "absence", "can't be set");
            e.values = data;
            return Err(e.into());
        }
        let mut ctx = self.ctx(HookKind::Persist, "updateAll", options, &mut state);
        ctx.where_ = where_;
        ctx.data = Some(data);
        let ctx = self.fire(ctx, &mut state).await?;
        let (where_, data) = (ctx.where_, ctx.data.unwrap_or_default());
        let where_ = self.resolve_late(where_, options).await?;
        let count = self
            .connector()
            .update_all(def, where_.as_ref(), data.clone(), options)
            .await?;
        let mut ctx = self.ctx(HookKind::AfterSave, "updateAll", options, &mut state);
        ctx.where_ = where_;
        ctx.data = Some(data);
        ctx.count = Some(count);
        self.fire(ctx, &mut state).await?;
        Ok(count)
    }

    /// `destroyAll(where)`: access → before delete → connector → after delete. Returns the count.
    pub async fn destroy_all(&self, where_: Option<Where>, options: &Options) -> Result<u64> {
        let mut state = serde_json::Map::new();
        self.destroy_with_state(where_, None, "destroyAll", options, &mut state)
            .await
    }

    async fn destroy_with_state(
        &self,
        where_: Option<Where>,
        instance: Option<Record>,
        method: &'static str,
        options: &Options,
        state: &mut serde_json::Map<String, serde_json::Value>,
    ) -> Result<u64> {
        let f = self
            .access(
                Filter {
                    where_,
                    ..Filter::default()
                },
                method,
                options,
                state,
            )
            .await?;
        let mut ctx = self.ctx(HookKind::BeforeDelete, method, options, state);
        ctx.where_ = f.where_;
        ctx.instance = instance.clone();
        let ctx = self.fire(ctx, state).await?;
        let where_ = self.resolve_late(ctx.where_, options).await?;
        let count = self
            .connector()
            .destroy_all(&self.def(), where_.as_ref(), options)
            .await?;
        let mut ctx = self.ctx(HookKind::AfterDelete, method, options, state);
        ctx.where_ = where_;
        ctx.instance = instance;
        ctx.count = Some(count);
        self.fire(ctx, state).await?;
        Ok(count)
    }

    /// `destroyById(id)`: `destroyAll({id})`. Returns the count (0 or 1).
    pub async fn destroy_by_id(&self, id: Value, options: &Options) -> Result<u64> {
        let id = self.coerce_id(id)?;
        let mut state = serde_json::Map::new();
        self.destroy_with_state(
            Some(self.id_where(&id)),
            None,
            "destroyById",
            options,
            &mut state,
        )
        .await
    }

    /// `upsert` / `patchOrCreate(data)`: creates when the id is missing; otherwise patches the
    /// record with that id. Without `forceId`, an unknown id creates the record: access →
    /// before save (where + data) → validation (with `validateUpsert`) → persist → connector →
    /// loaded → after save. With `forceId` (the default for generated ids), LB3's
    /// findById + patchAttributes, and an unknown id is [`Error::NotFound`]: clients cannot
    /// choose the id of a new record.
    pub async fn upsert(&self, data: Record, options: &Options) -> Result<Upserted> {
        let def = &self.def();
        let id = data.get(self.id_name()).filter(|v| !v.is_null()).cloned();
        let Some(id) = id else {
            return Ok(Upserted {
                instance: self.create(data, options).await?,
                created: true,
            });
        };
        let id = self.coerce_id(id)?;
        let mut state = serde_json::Map::new();
        if def.force_id() {
            let current = self
                .find_by_id_with_state(id.clone(), None, options, &mut state)
                .await?
                .ok_or_else(|| self.not_found(&id))?;
            let instance = self
                .patch_with_state(
                    current,
                    data,
                    options,
                    &mut state,
                    "upsert",
                    if def.validate_upsert() {
                        PatchValidation::Merged
                    } else {
                        PatchValidation::Skip
                    },
                )
                .await?;
            return Ok(Upserted {
                instance,
                created: false,
            });
        }
        let f = self
            .access(
                Filter::with_where(self.id_where(&id)),
                "upsert",
                options,
                &mut state,
            )
            .await?;
        let mut data = data;
        self.apply_scope_to_data(&mut data)?;
        let data = prepare(def, data, WriteKind::Patch)?;
        let mut ctx = self.ctx(HookKind::BeforeSave, "upsert", options, &mut state);
        ctx.where_ = f.where_.clone();
        ctx.data = Some(data);
        let ctx = self.fire(ctx, &mut state).await?;
        let where_ = ctx.where_.unwrap_or_else(|| self.id_where(&id));
        let data = prepare(def, ctx.data.unwrap_or_default(), WriteKind::Patch)?;
        let existing = self
            .connector()
            .find(def, &Filter::with_where(where_.clone()).limit(1), options)
            .await?
            .into_iter()
            .next();
        let created = existing.is_none();
        let mut instance = match existing {
            Some(mut cur) => {
                cur.merge(data.clone());
                cur
            }
            None => prepare(def, data.clone(), WriteKind::Create)?,
        };
        if def.validate_upsert() {
            // forceId is off here: the id names an existing or a chosen record.
            self.validate_without_force_id(&instance, created, options)
                .await?;
        }
        let mut ctx = self.ctx(HookKind::Persist, "upsert", options, &mut state);
        ctx.where_ = Some(where_.clone());
        ctx.data = Some(if created { instance.clone() } else { data });
        ctx.current_instance = Some(instance.clone());
        let ctx = self.fire(ctx, &mut state).await?;
        let written = ctx.data.unwrap_or_default();
        if created {
            let new_id = self
                .connector()
                .create(def, written.clone(), options)
                .await?;
            if !new_id.is_null() {
                instance.insert(self.id_name().to_owned(), new_id);
            }
        } else {
            self.connector()
                .update_all(def, Some(&where_), written.clone(), options)
                .await?;
            instance.merge(written);
        }
        let instance = reorder(def, instance);
        self.finish_save(instance, None, Some(created), "upsert", options, &mut state)
            .await
            .map(|instance| Upserted { instance, created })
    }

    async fn validate_without_force_id(
        &self,
        record: &Record,
        is_new: bool,
        options: &Options,
    ) -> Result<()> {
        match self.validate(record, is_new, options).await {
            Err(Error::Validation(mut v)) => {
                let id = self.id_name().to_owned();
                v.errors
                    .retain(|e| !(e.property == id && e.code == "absence"));
                v.into_result()
            }
            other => other,
        }
    }

    /// `loaded` then `after save` for a write. `partial` is the data a partial update wrote:
    /// `loaded` then sees only that data, and (as in LB3) its changes reach the returned
    /// instance only with the model option `updateOnLoad`. Without it, `loaded` sees the whole
    /// instance and its changes are returned.
    async fn finish_save(
        &self,
        instance: Record,
        partial: Option<Record>,
        is_new: Option<bool>,
        method: &'static str,
        options: &Options,
        state: &mut serde_json::Map<String, serde_json::Value>,
    ) -> Result<Record> {
        let is_partial = partial.is_some();
        let mut ctx = self.ctx(HookKind::Loaded, method, options, state);
        ctx.data = Some(partial.unwrap_or_else(|| instance.clone()));
        ctx.is_new_instance = is_new;
        let ctx = self.fire(ctx, state).await?;
        let instance = match ctx.data {
            Some(loaded) if !is_partial => loaded,
            Some(loaded) if self.update_on_load() => {
                let mut instance = instance;
                instance.merge(loaded);
                instance
            }
            _ => instance,
        };
        let mut ctx = self.ctx(HookKind::AfterSave, method, options, state);
        ctx.instance = Some(instance);
        ctx.is_new_instance = is_new;
        let ctx = self.fire(ctx, state).await?;
        Ok(ctx.instance.unwrap_or_default())
    }

    fn update_on_load(&self) -> bool {
        self.def()
            .options
            .get("updateOnLoad")
            .and_then(serde_json::Value::as_bool)
            == Some(true)
    }

    /// `replaceOrCreate(data)`: replaces the record with the data's id, or creates it (always
    /// validated). With `forceId` it is `replaceById`, as in LB3.
    pub async fn replace_or_create(&self, data: Record, options: &Options) -> Result<Upserted> {
        let def = &self.def();
        let id = data.get(self.id_name()).filter(|v| !v.is_null()).cloned();
        let Some(id) = id else {
            return Ok(Upserted {
                instance: self.create(data, options).await?,
                created: true,
            });
        };
        let id = self.coerce_id(id)?;
        if def.force_id() {
            let instance = self.replace_by_id(id, data, options).await?;
            return Ok(Upserted {
                instance,
                created: false,
            });
        }
        let mut state = serde_json::Map::new();
        let f = self
            .access(
                Filter::with_where(self.id_where(&id)),
                "replaceOrCreate",
                options,
                &mut state,
            )
            .await?;
        let mut data = data;
        self.apply_scope_to_data(&mut data)?;
        let instance = prepare(def, data, WriteKind::Replace)?;
        let mut ctx = self.ctx(HookKind::BeforeSave, "replaceOrCreate", options, &mut state);
        ctx.instance = Some(instance);
        let ctx = self.fire(ctx, &mut state).await?;
        let mut instance = prepare(def, ctx.instance.unwrap_or_default(), WriteKind::Patch)?;
        instance.insert(self.id_name().to_owned(), id.clone());
        let where_ = f.where_.unwrap_or_else(|| self.id_where(&id));
        let exists = self.connector().count(def, Some(&where_), options).await? > 0;
        self.validate_without_force_id(&instance, !exists, options)
            .await?;
        let mut ctx = self.ctx(HookKind::Persist, "replaceOrCreate", options, &mut state);
        ctx.where_ = Some(where_);
        ctx.data = Some(instance.clone());
        ctx.current_instance = Some(instance.clone());
        let ctx = self.fire(ctx, &mut state).await?;
        let written = ctx.data.unwrap_or_default();
        let created = if exists {
            !self
                .connector()
                .replace_by_id(def, &id, written.clone(), options)
                .await?
        } else {
            true
        };
        if created {
            let mut w = written;
            w.insert(self.id_name().to_owned(), id);
            self.connector().create(def, w, options).await?;
        }
        let instance = reorder(def, instance);
        self.finish_save(
            instance,
            None,
            Some(created),
            "replaceOrCreate",
            options,
            &mut state,
        )
        .await
        .map(|instance| Upserted { instance, created })
    }

    /// `upsertWithWhere(where, data)`: patches the one record matching `where`, or creates one;
    /// more than one match is a 400 and nothing is written, as is empty data.
    pub async fn upsert_with_where(
        &self,
        where_: Option<Where>,
        data: Record,
        options: &Options,
    ) -> Result<Upserted> {
        if data.is_empty() {
            return Err(Error::http(400, "data object cannot be empty!"));
        }
        let mut state = serde_json::Map::new();
        let f = self
            .access(
                Filter {
                    where_,
                    ..Filter::default()
                },
                "upsertWithWhere",
                options,
                &mut state,
            )
            .await?;
        let found = self
            .connector()
            .find(
                &self.def(),
                &Filter {
                    where_: f.where_,
                    limit: Some(2),
                    ..Filter::default()
                },
                options,
            )
            .await?;
        match found.len() {
            0 => Ok(Upserted {
                instance: self
                    .create_with_state(data, options, &mut state, "upsertWithWhere")
                    .await?,
                created: true,
            }),
            1 => {
                let cur = found.into_iter().next().unwrap_or_default();
                // LB3 validates the data alone under `validateUpsert` (a `name` left out is
                // blank even when the stored record has one).
                let validation = if self.def().validate_upsert() {
                    PatchValidation::DataAlone
                } else {
                    PatchValidation::Merged
                };
                Ok(Upserted {
                    instance: self
                        .patch_with_state(
                            cur,
                            data,
                            options,
                            &mut state,
                            "upsertWithWhere",
                            validation,
                        )
                        .await?,
                    created: false,
                })
            }
            _ => Err(Error::http(
                400,
                "There are multiple instances found.Upsert Operation will not be performed!",
            )),
        }
    }

    /// `findOrCreate(filter, data)`: returns the first match (firing `loaded`), or creates.
    pub async fn find_or_create(
        &self,
        filter: Filter,
        data: Record,
        options: &Options,
    ) -> Result<Upserted> {
        let mut state = serde_json::Map::new();
        let mut filter = filter;
        filter.limit = Some(1);
        let f = self
            .access(filter, "findOrCreate", options, &mut state)
            .await?;
        if let Some(found) = self
            .find_raw(&f, options, &mut state)
            .await?
            .into_iter()
            .next()
        {
            return Ok(Upserted {
                instance: found,
                created: false,
            });
        }
        let instance = self
            .create_with_state(data, options, &mut state, "findOrCreate")
            .await?;
        Ok(Upserted {
            instance,
            created: true,
        })
    }

    /// `replaceById(id, data)`: before save → validation → persist → connector → loaded →
    /// after save. Unknown id: [`Error::NotFound`]; an id in `data` other than `id`: 400.
    pub async fn replace_by_id(
        &self,
        id: Value,
        data: Record,
        options: &Options,
    ) -> Result<Record> {
        let def = &self.def();
        let id = self.coerce_id(id)?;
        if let Some(given) = data.get(self.id_name()).filter(|v| !v.is_null()) {
            if !self.coerce_id(given.clone()).is_ok_and(|g| g.loose_eq(&id)) {
                return Err(Error::http(
                    400,
                    format!(
                        "id property ({}) cannot be updated from {id} to {given}",
                        self.id_name()
                    ),
                ));
            }
        }
        let mut state = serde_json::Map::new();
        let mut data = data;
        self.apply_scope_to_data(&mut data)?;
        data.insert(self.id_name().to_owned(), id.clone());
        let instance = prepare(def, data, WriteKind::Replace)?;
        let mut ctx = self.ctx(HookKind::BeforeSave, "replaceById", options, &mut state);
        ctx.instance = Some(instance);
        ctx.is_new_instance = Some(false);
        let ctx = self.fire(ctx, &mut state).await?;
        let mut instance = prepare(def, ctx.instance.unwrap_or_default(), WriteKind::Patch)?;
        instance.insert(self.id_name().to_owned(), id.clone());
        self.validate(&instance, false, options).await?;
        let mut ctx = self.ctx(HookKind::Persist, "replaceById", options, &mut state);
        ctx.where_ = Some(self.id_where(&id));
        ctx.data = Some(instance.clone());
        ctx.current_instance = Some(instance.clone());
        ctx.is_new_instance = Some(false);
        let ctx = self.fire(ctx, &mut state).await?;
        if !self
            .connector()
            .replace_by_id(def, &id, ctx.data.unwrap_or_default(), options)
            .await?
        {
            return Err(self.not_found(&id));
        }
        let instance = reorder(def, instance);
        self.finish_save(
            instance,
            None,
            Some(false),
            "replaceById",
            options,
            &mut state,
        )
        .await
    }

    /// `prototype.patchAttributes(data)` on the stored record with id `id`, loaded with
    /// `findById` first (access → loaded), as LB3's REST handler does; so an `access` hook that
    /// hides the record makes this [`Error::NotFound`] too.
    pub async fn patch_by_id(&self, id: Value, data: Record, options: &Options) -> Result<Record> {
        let id = self.coerce_id(id)?;
        let mut state = serde_json::Map::new();
        let cur = self
            .find_by_id_with_state(id.clone(), None, options, &mut state)
            .await?
            .ok_or_else(|| self.not_found(&id))?;
        self.patch_with_state(
            cur,
            data,
            options,
            &mut state,
            "patchAttributes",
            PatchValidation::Merged,
        )
        .await
    }

    /// `prototype.patchAttributes(data)` (`updateAttributes`) on an instance: before save
    /// (where + data + currentInstance) → validation → persist → connector → loaded (the
    /// written data) → after save.
    pub async fn patch_attributes(
        &self,
        instance: &Record,
        data: Record,
        options: &Options,
    ) -> Result<Record> {
        let mut state = serde_json::Map::new();
        self.patch_with_state(
            instance.clone(),
            data,
            options,
            &mut state,
            "patchAttributes",
            PatchValidation::Merged,
        )
        .await
    }

    async fn patch_with_state(
        &self,
        current: Record,
        data: Record,
        options: &Options,
        state: &mut serde_json::Map<String, serde_json::Value>,
        method: &'static str,
        validation: PatchValidation,
    ) -> Result<Record> {
        let def = &self.def();
        let id = current
            .get(self.id_name())
            .cloned()
            .ok_or_else(|| Error::bad_request("the instance has no id"))?;
        let where_ = self.id_where(&id);
        let mut data = data;
        self.apply_scope_to_data(&mut data)?;
        let data = prepare(def, data, WriteKind::Patch)?;
        if let Some(v) = data.get(self.id_name()) {
            if !v.loose_eq(&id) {
                // LB3's wording, whatever the forceId setting.
                return Err(Error::http(
                    400,
                    format!("id cannot be updated from {id} to {v} when forceId is set to true"),
                ));
            }
        }
        let mut ctx = self.ctx(HookKind::BeforeSave, method, options, state);
        ctx.where_ = Some(where_.clone());
        ctx.data = Some(data);
        ctx.current_instance = Some(current.clone());
        let ctx = self.fire(ctx, state).await?;
        let data = prepare(def, ctx.data.unwrap_or_default(), WriteKind::Patch)?;
        let mut merged = current.clone();
        merged.merge(data.clone());
        match validation {
            PatchValidation::Skip => {}
            PatchValidation::Merged => self.validate(&merged, false, options).await?,
            PatchValidation::DataAlone => {
                let mut alone = data.clone();
                alone.insert(self.id_name().to_owned(), id.clone());
                self.validate(&alone, false, options).await?;
            }
        }
        let mut ctx = self.ctx(HookKind::Persist, method, options, state);
        ctx.where_ = Some(where_.clone());
        ctx.data = Some(data);
        ctx.current_instance = Some(merged.clone());
        ctx.is_new_instance = Some(false);
        let ctx = self.fire(ctx, state).await?;
        let written = ctx.data.unwrap_or_default();
        let n = self
            .connector()
            .update_all(def, Some(&where_), written.clone(), options)
            .await?;
        if n == 0 {
            return Err(self.not_found(&id));
        }
        merged.merge(written.clone());
        self.finish_save(merged, Some(written), Some(false), method, options, state)
            .await
    }

    /// `prototype.save()`: creates when the instance has no id or is not stored (a create in
    /// every respect, `forceId` included, as LB3 delegates unsaved instances to `create`);
    /// otherwise writes every property: before save → validation → persist → connector →
    /// loaded → after save.
    pub async fn save(&self, instance: Record, options: &Options) -> Result<Record> {
        let def = &self.def();
        let Some(id) = instance
            .get(self.id_name())
            .filter(|v| !v.is_null())
            .cloned()
        else {
            return self.create(instance, options).await;
        };
        let id = self.coerce_id(id)?;
        let mut state = serde_json::Map::new();
        let where_ = self.id_where(&id);
        if self.connector().count(def, Some(&where_), options).await? == 0 {
            return self
                .create_with_state(instance, options, &mut state, "save")
                .await;
        }
        let prepared = prepare(def, instance, WriteKind::Patch)?;
        let mut ctx = self.ctx(HookKind::BeforeSave, "save", options, &mut state);
        ctx.instance = Some(prepared);
        let ctx = self.fire(ctx, &mut state).await?;
        let mut instance = prepare(def, ctx.instance.unwrap_or_default(), WriteKind::Patch)?;
        instance.insert(self.id_name().to_owned(), id.clone());
        self.validate(&instance, false, options).await?;
        let mut ctx = self.ctx(HookKind::Persist, "save", options, &mut state);
        ctx.where_ = Some(where_);
        ctx.data = Some(instance.clone());
        ctx.current_instance = Some(instance.clone());
        let ctx = self.fire(ctx, &mut state).await?;
        let written = ctx.data.unwrap_or_default();
        if !self
            .connector()
            .replace_by_id(def, &id, written, options)
            .await?
        {
            return Err(self.not_found(&id));
        }
        self.finish_save(
            reorder(def, instance),
            None,
            Some(false),
            "save",
            options,
            &mut state,
        )
        .await
    }

    /// `prototype.replaceAttributes(data)`: `replaceById` with the instance's id.
    pub async fn replace_attributes(
        &self,
        instance: &Record,
        data: Record,
        options: &Options,
    ) -> Result<Record> {
        let id = instance
            .get(self.id_name())
            .cloned()
            .ok_or_else(|| Error::bad_request("the instance has no id"))?;
        self.replace_by_id(id, data, options).await
    }

    /// `prototype.delete()`: access → before delete (where + instance) → connector → after
    /// delete. Returns the count.
    pub async fn delete_instance(&self, instance: &Record, options: &Options) -> Result<u64> {
        let id = instance
            .get(self.id_name())
            .cloned()
            .ok_or_else(|| Error::bad_request("the instance has no id"))?;
        let mut state = serde_json::Map::new();
        self.destroy_with_state(
            Some(self.id_where(&id)),
            Some(instance.clone()),
            "delete",
            options,
            &mut state,
        )
        .await
    }

    /// `prototype.reload()`: the stored version of the instance.
    pub async fn reload(&self, instance: &Record, options: &Options) -> Result<Option<Record>> {
        let id = instance
            .get(self.id_name())
            .cloned()
            .ok_or_else(|| Error::bad_request("the instance has no id"))?;
        self.find_by_id(id, None, options).await
    }
}

/// The implicit `limit` of a `find` that has a `skip` but no `limit` (juggler 3.x).
const DEFAULT_LIMIT_WITH_SKIP: u64 = 100;

/// What a patch validates before it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PatchValidation {
    /// Nothing (`upsert` without `validateUpsert`).
    Skip,
    /// The stored record with the data merged in.
    Merged,
    /// The data alone, with the record's id (`upsertWithWhere` under `validateUpsert`).
    DataAlone,
}

/// Coerces the operands of comparison operators to the declared type of their property, as
/// LB3's `_coerce` does. Values that do not convert are left as they are (they then simply
/// match nothing); pattern operators, `near` and undeclared or free-form properties are not
/// touched.
pub(crate) fn coerce_where(def: &ModelDefinition, w: Where) -> Where {
    let all = |v: Vec<Where>| v.into_iter().map(|w| coerce_where(def, w)).collect();
    match w {
        Where::And(v) => Where::And(all(v)),
        Where::Or(v) => Where::Or(all(v)),
        Where::Nor(v) => Where::Nor(all(v)),
        // Coerced against the related model when the relation is resolved.
        r @ Where::Related(_) => r,
        Where::Cond { property, op } => {
            let ty = match def.property(&property).map(|p| &p.ty) {
                Some(PropertyType::Array(elem)) => (**elem).clone(),
                Some(ty) => ty.clone(),
                None => return Where::Cond { property, op },
            };
            if matches!(
                ty,
                PropertyType::Any
                    | PropertyType::Object
                    | PropertyType::Model(_)
                    | PropertyType::GeoPoint
            ) {
                return Where::Cond { property, op };
            }
            let c = |v: Value| match v {
                Value::Array(_) | Value::Object(_) => v,
                v => crate::data::coerce_value(&ty, v.clone()).unwrap_or(v),
            };
            let op = match op {
                Condition::Eq(v) => Condition::Eq(c(v)),
                Condition::Neq(v) => Condition::Neq(c(v)),
                Condition::Gt(v) => Condition::Gt(c(v)),
                Condition::Gte(v) => Condition::Gte(c(v)),
                Condition::Lt(v) => Condition::Lt(c(v)),
                Condition::Lte(v) => Condition::Lte(c(v)),
                Condition::Between(a, b) => Condition::Between(c(a), c(b)),
                Condition::Inq(v) => Condition::Inq(v.into_iter().map(c).collect()),
                Condition::Nin(v) => Condition::Nin(v.into_iter().map(c).collect()),
                other => other,
            };
            Where::Cond { property, op }
        }
    }
}

fn reorder(def: &ModelDefinition, mut r: Record) -> Record {
    let mut out = Record::with_capacity(r.len());
    for k in def.properties.keys() {
        if let Some(v) = r.remove(k) {
            out.insert(k.clone(), v);
        }
    }
    out.merge(r);
    out
}
