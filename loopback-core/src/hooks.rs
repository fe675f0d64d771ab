//! Operation hooks: `access`, `before save`, `persist`, `loaded`, `after save`, `before delete`,
//! `after delete`, fired by the operation layer in LoopBack 3's order.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, RwLock};

use futures::future::BoxFuture;

use crate::connector::Options;
use crate::error::Result;
use crate::filter::{Filter, Where};
use crate::value::Record;

/// The seven operation hooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookKind {
    /// Before any query: may change `ctx.query`.
    Access,
    /// Before a write, before validation: may change `ctx.instance` or `ctx.data`.
    BeforeSave,
    /// Just before the connector writes: may change `ctx.data`.
    Persist,
    /// After the connector returns data, before it becomes an instance: may change `ctx.data`.
    Loaded,
    /// After a write.
    AfterSave,
    /// Before a delete: may change `ctx.where` or refuse.
    BeforeDelete,
    /// After a delete, with `ctx.info.count`.
    AfterDelete,
}

impl HookKind {
    /// LoopBack's name for the hook (`before save`).
    pub fn as_str(self) -> &'static str {
        match self {
            HookKind::Access => "access",
            HookKind::BeforeSave => "before save",
            HookKind::Persist => "persist",
            HookKind::Loaded => "loaded",
            HookKind::AfterSave => "after save",
            HookKind::BeforeDelete => "before delete",
            HookKind::AfterDelete => "after delete",
        }
    }

    /// Parses LoopBack's hook name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "access" => HookKind::Access,
            "before save" => HookKind::BeforeSave,
            "persist" => HookKind::Persist,
            "loaded" => HookKind::Loaded,
            "after save" => HookKind::AfterSave,
            "before delete" => HookKind::BeforeDelete,
            "after delete" => HookKind::AfterDelete,
            _ => return None,
        })
    }
}

impl fmt::Display for HookKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a hook sees and may change (LB3's `ctx`). Which fields are set depends on the hook and
/// the operation; see `docs/hooks.md`.
#[derive(Debug, Clone)]
pub struct HookContext {
    /// The model name (`ctx.Model.modelName`).
    pub model: String,
    /// The hook being fired.
    pub hook: HookKind,
    /// The name of the operation (`create`, `find`, `updateAll`, ...).
    pub method: &'static str,
    /// `access`: the query; changes apply to the operation.
    pub query: Option<Filter>,
    /// The affected records' condition (updates, deletes).
    pub where_: Option<Where>,
    /// The full instance being saved (create, replace, save).
    pub instance: Option<Record>,
    /// Partial data (updateAll, patch, upsert) or raw data (`persist`, `loaded`).
    pub data: Option<Record>,
    /// The affected instance for partial changes; read-only by convention.
    pub current_instance: Option<Record>,
    /// Whether the operation creates a record, when known.
    pub is_new_instance: Option<bool>,
    /// `after delete`: how many records were deleted.
    pub count: Option<u64>,
    /// State shared by every hook of one operation call.
    pub hook_state: serde_json::Map<String, serde_json::Value>,
    /// The caller's options.
    pub options: Options,
}

impl HookContext {
    /// A context with only the model, hook and method set.
    pub fn new(model: &str, hook: HookKind, method: &'static str, options: Options) -> Self {
        HookContext {
            model: model.to_owned(),
            hook,
            method,
            query: None,
            where_: None,
            instance: None,
            data: None,
            current_instance: None,
            is_new_instance: None,
            count: None,
            hook_state: serde_json::Map::new(),
            options,
        }
    }
}

/// A registered observer: takes the context and hands it back, changed or not, or fails to
/// abort the operation.
pub type Observer =
    Arc<dyn Fn(HookContext) -> BoxFuture<'static, Result<HookContext>> + Send + Sync>;

/// The observers of one model, by hook.
#[derive(Default)]
pub struct Observers {
    map: RwLock<HashMap<HookKind, Vec<Observer>>>,
}

impl fmt::Debug for Observers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        let counts: HashMap<&str, usize> = map.iter().map(|(k, v)| (k.as_str(), v.len())).collect();
        f.debug_struct("Observers")
            .field("counts", &counts)
            .finish()
    }
}

impl Observers {
    /// Adds an observer for `hook`; observers run in registration order.
    pub fn observe<F, Fut>(&self, hook: HookKind, f: F)
    where
        F: Fn(HookContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<HookContext>> + Send + 'static,
    {
        let obs: Observer = Arc::new(move |ctx| Box::pin(f(ctx)));
        self.map
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(hook)
            .or_default()
            .push(obs);
    }

    /// Removes every observer of `hook`.
    pub fn clear(&self, hook: HookKind) {
        self.map
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&hook);
    }

    /// The observers of `hook`, cloned so none is held across an await.
    pub fn get(&self, hook: HookKind) -> Vec<Observer> {
        self.map
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&hook)
            .cloned()
            .unwrap_or_default()
    }

    /// Whether any observer is registered for `hook`.
    pub fn has(&self, hook: HookKind) -> bool {
        self.map
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&hook)
            .is_some_and(|v| !v.is_empty())
    }
}

/// Hooks a model type implements in Rust; opt in with `#[model(hooks)]` on the derive, which
/// registers each method as an observer when the model is registered. Every method defaults to
/// doing nothing.
pub trait ModelHooks: Send + Sync + 'static {
    /// `access`.
    fn access(ctx: HookContext) -> BoxFuture<'static, Result<HookContext>> {
        Box::pin(async { Ok(ctx) })
    }
    /// `before save`.
    fn before_save(ctx: HookContext) -> BoxFuture<'static, Result<HookContext>> {
        Box::pin(async { Ok(ctx) })
    }
    /// `persist`.
    fn persist(ctx: HookContext) -> BoxFuture<'static, Result<HookContext>> {
        Box::pin(async { Ok(ctx) })
    }
    /// `loaded`.
    fn loaded(ctx: HookContext) -> BoxFuture<'static, Result<HookContext>> {
        Box::pin(async { Ok(ctx) })
    }
    /// `after save`.
    fn after_save(ctx: HookContext) -> BoxFuture<'static, Result<HookContext>> {
        Box::pin(async { Ok(ctx) })
    }
    /// `before delete`.
    fn before_delete(ctx: HookContext) -> BoxFuture<'static, Result<HookContext>> {
        Box::pin(async { Ok(ctx) })
    }
    /// `after delete`.
    fn after_delete(ctx: HookContext) -> BoxFuture<'static, Result<HookContext>> {
        Box::pin(async { Ok(ctx) })
    }
}

/// Registers every method of a [`ModelHooks`] implementation on `observers`.
pub fn register_model_hooks<H: ModelHooks>(observers: &Observers) {
    observers.observe(HookKind::Access, H::access);
    observers.observe(HookKind::BeforeSave, H::before_save);
    observers.observe(HookKind::Persist, H::persist);
    observers.observe(HookKind::Loaded, H::loaded);
    observers.observe(HookKind::AfterSave, H::after_save);
    observers.observe(HookKind::BeforeDelete, H::before_delete);
    observers.observe(HookKind::AfterDelete, H::after_delete);
}
