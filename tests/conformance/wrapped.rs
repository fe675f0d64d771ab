//! One connector wrapper for the suite's instrumented runs. It forwards every call to the
//! connector it wraps, and:
//!
//! - counts `find` and `count` calls, for the include "performance" cases of juggler's
//!   include.test.js (a batched include costs one `find` per relation level, two for through
//!   relations, whatever the number of parents);
//! - can report fewer capabilities than the wrapped connector and refuse the operators it then
//!   claims not to support, as a SQL database without `ILIKE`, `REGEXP` or geo functions does.
//!   Running the suite through it checks the suite's "not supported" branches and the operation
//!   layer's fallbacks (case-insensitive uniqueness without `regexp`).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use loopback::{
    Capabilities, Condition, Connector, Error, Filter, IsolationLevel, ModelDefinition, Options,
    Record, Result, Transaction, Value, Where,
};

use super::Fixture;

/// Wraps `inner`: counts queries, and refuses what `capabilities` leaves out.
pub struct WrappedConnector {
    inner: Arc<dyn Connector>,
    capabilities: Capabilities,
    finds: AtomicUsize,
    counts: AtomicUsize,
}

impl WrappedConnector {
    fn with_capabilities(inner: Arc<dyn Connector>, capabilities: Capabilities) -> Self {
        WrappedConnector {
            inner,
            capabilities,
            finds: AtomicUsize::new(0),
            counts: AtomicUsize::new(0),
        }
    }

    /// `inner` without `ilike`, `regexp` and geo support.
    #[allow(dead_code)] // only the memory instantiation runs a limited connector
    pub fn without_patterns_and_geo(inner: Arc<dyn Connector>) -> Self {
        let capabilities = Capabilities {
            ilike: false,
            regexp: false,
            regexp_flags: false,
            geo_point: false,
            ..inner.capabilities().clone()
        };
        WrappedConnector::with_capabilities(inner, capabilities)
    }

    /// Replaces the fixture's connector by a wrapper around it with the same capabilities
    /// (the guard is kept); returns the new fixture and the wrapper, to read the counters.
    pub fn counting(fx: Fixture) -> (Fixture, Arc<Self>) {
        let capabilities = fx.connector.capabilities().clone();
        let wrapped = Arc::new(WrappedConnector::with_capabilities(
            fx.connector.clone(),
            capabilities,
        ));
        let fixture = Fixture {
            connector: wrapped.clone(),
            guard: fx.guard,
        };
        (fixture, wrapped)
    }

    /// `find` calls since creation or the last [`WrappedConnector::reset`].
    pub fn finds(&self) -> usize {
        self.finds.load(Ordering::SeqCst)
    }

    /// `count` calls since creation or the last [`WrappedConnector::reset`].
    pub fn counts(&self) -> usize {
        self.counts.load(Ordering::SeqCst)
    }

    /// Sets the counters back to zero (after seeding).
    pub fn reset(&self) {
        self.finds.store(0, Ordering::SeqCst);
        self.counts.store(0, Ordering::SeqCst);
    }

    fn check(&self, w: Option<&Where>) -> Result<()> {
        let Some(w) = w else { return Ok(()) };
        let mut refused = None;
        w.for_each_cond(&mut |_, c| {
            let supported = match c {
                Condition::ILike(_) | Condition::NILike(_) => self.capabilities.ilike,
                Condition::Regexp(r) => {
                    self.capabilities.regexp
                        && (self.capabilities.regexp_flags || !r.case_insensitive)
                }
                Condition::Near(_) => self.capabilities.geo_point,
                _ => true,
            };
            if !supported && refused.is_none() {
                refused = Some(c.operator());
            }
        });
        match refused {
            None => Ok(()),
            Some(op) => Err(Error::NotSupported {
                connector: self.inner.name().to_owned(),
                feature: format!("the `{op}` operator"),
            }),
        }
    }
}

// `async_trait` is not a dependency of the test crate, so the methods are written in the form
// that the attribute expands to.
type Fut<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

impl Connector for WrappedConnector {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn define<'l0, 'l1, 'async_trait>(
        &'l0 self,
        model: &'l1 Arc<ModelDefinition>,
    ) -> Fut<'async_trait, ()>
    where
        'l0: 'async_trait,
        'l1: 'async_trait,
        Self: 'async_trait,
    {
        self.inner.define(model)
    }

    fn create<'l0, 'l1, 'l2, 'async_trait>(
        &'l0 self,
        model: &'l1 ModelDefinition,
        data: Record,
        options: &'l2 Options,
    ) -> Fut<'async_trait, Value>
    where
        'l0: 'async_trait,
        'l1: 'async_trait,
        'l2: 'async_trait,
        Self: 'async_trait,
    {
        self.inner.create(model, data, options)
    }

    fn find<'l0, 'l1, 'l2, 'l3, 'async_trait>(
        &'l0 self,
        model: &'l1 ModelDefinition,
        filter: &'l2 Filter,
        options: &'l3 Options,
    ) -> Fut<'async_trait, Vec<Record>>
    where
        'l0: 'async_trait,
        'l1: 'async_trait,
        'l2: 'async_trait,
        'l3: 'async_trait,
        Self: 'async_trait,
    {
        self.finds.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            self.check(filter.where_.as_ref())?;
            self.inner.find(model, filter, options).await
        })
    }

    fn count<'l0, 'l1, 'l2, 'l3, 'async_trait>(
        &'l0 self,
        model: &'l1 ModelDefinition,
        where_: Option<&'l2 Where>,
        options: &'l3 Options,
    ) -> Fut<'async_trait, u64>
    where
        'l0: 'async_trait,
        'l1: 'async_trait,
        'l2: 'async_trait,
        'l3: 'async_trait,
        Self: 'async_trait,
    {
        self.counts.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            self.check(where_)?;
            self.inner.count(model, where_, options).await
        })
    }

    fn update_all<'l0, 'l1, 'l2, 'l3, 'async_trait>(
        &'l0 self,
        model: &'l1 ModelDefinition,
        where_: Option<&'l2 Where>,
        data: Record,
        options: &'l3 Options,
    ) -> Fut<'async_trait, u64>
    where
        'l0: 'async_trait,
        'l1: 'async_trait,
        'l2: 'async_trait,
        'l3: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            self.check(where_)?;
            self.inner.update_all(model, where_, data, options).await
        })
    }

    fn destroy_all<'l0, 'l1, 'l2, 'l3, 'async_trait>(
        &'l0 self,
        model: &'l1 ModelDefinition,
        where_: Option<&'l2 Where>,
        options: &'l3 Options,
    ) -> Fut<'async_trait, u64>
    where
        'l0: 'async_trait,
        'l1: 'async_trait,
        'l2: 'async_trait,
        'l3: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            self.check(where_)?;
            self.inner.destroy_all(model, where_, options).await
        })
    }

    fn replace_by_id<'l0, 'l1, 'l2, 'l3, 'async_trait>(
        &'l0 self,
        model: &'l1 ModelDefinition,
        id: &'l2 Value,
        data: Record,
        options: &'l3 Options,
    ) -> Fut<'async_trait, bool>
    where
        'l0: 'async_trait,
        'l1: 'async_trait,
        'l2: 'async_trait,
        'l3: 'async_trait,
        Self: 'async_trait,
    {
        self.inner.replace_by_id(model, id, data, options)
    }

    fn automigrate<'l0, 'l1, 'async_trait>(
        &'l0 self,
        models: &'l1 [Arc<ModelDefinition>],
    ) -> Fut<'async_trait, ()>
    where
        'l0: 'async_trait,
        'l1: 'async_trait,
        Self: 'async_trait,
    {
        self.inner.automigrate(models)
    }

    fn autoupdate<'l0, 'l1, 'async_trait>(
        &'l0 self,
        models: &'l1 [Arc<ModelDefinition>],
    ) -> Fut<'async_trait, ()>
    where
        'l0: 'async_trait,
        'l1: 'async_trait,
        Self: 'async_trait,
    {
        self.inner.autoupdate(models)
    }

    fn execute<'l0, 'l1, 'l2, 'l3, 'async_trait>(
        &'l0 self,
        statement: &'l1 str,
        params: &'l2 [Value],
        options: &'l3 Options,
    ) -> Fut<'async_trait, Vec<Record>>
    where
        'l0: 'async_trait,
        'l1: 'async_trait,
        'l2: 'async_trait,
        'l3: 'async_trait,
        Self: 'async_trait,
    {
        self.inner.execute(statement, params, options)
    }

    fn begin_transaction<'l0, 'async_trait>(
        &'l0 self,
        isolation: IsolationLevel,
        timeout: Option<Duration>,
    ) -> Fut<'async_trait, Arc<dyn Transaction>>
    where
        'l0: 'async_trait,
        Self: 'async_trait,
    {
        self.inner.begin_transaction(isolation, timeout)
    }

    fn flush<'l0, 'async_trait>(&'l0 self) -> Fut<'async_trait, ()>
    where
        'l0: 'async_trait,
        Self: 'async_trait,
    {
        self.inner.flush()
    }
}
