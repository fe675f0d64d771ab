//! A connector wrapper that counts the queries reaching the connector, for the include
//! "performance" cases of juggler's include.test.js: a batched include costs one `find` per
//! relation level (two for through relations), whatever the number of parents.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use loopback::{
    Capabilities, Connector, Filter, IsolationLevel, ModelDefinition, Options, Record, Result,
    Transaction, Value, Where,
};

use super::Fixture;

/// Wraps `inner` and counts its `find` and `count` calls; everything is passed through.
pub struct CountingConnector {
    inner: Arc<dyn Connector>,
    finds: AtomicUsize,
    counts: AtomicUsize,
}

impl CountingConnector {
    /// Counts the calls made to `inner`.
    pub fn new(inner: Arc<dyn Connector>) -> Arc<Self> {
        Arc::new(CountingConnector {
            inner,
            finds: AtomicUsize::new(0),
            counts: AtomicUsize::new(0),
        })
    }

    /// Replaces the fixture's connector by a counting wrapper around it (the guard is kept);
    /// returns the new fixture and the wrapper, to read the counters.
    pub fn wrap(fx: Fixture) -> (Fixture, Arc<Self>) {
        let counting = CountingConnector::new(fx.connector.clone());
        let fixture = Fixture {
            connector: counting.clone(),
            guard: fx.guard,
        };
        (fixture, counting)
    }

    /// `find` calls since creation or the last [`CountingConnector::reset`].
    pub fn finds(&self) -> usize {
        self.finds.load(Ordering::SeqCst)
    }

    /// `count` calls since creation or the last [`CountingConnector::reset`].
    pub fn counts(&self) -> usize {
        self.counts.load(Ordering::SeqCst)
    }

    /// Sets the counters back to zero (after seeding).
    pub fn reset(&self) {
        self.finds.store(0, Ordering::SeqCst);
        self.counts.store(0, Ordering::SeqCst);
    }
}

// `async_trait` is not a dependency of the test crate, so the methods are written in the form
// that the attribute expands to.
type Fut<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

impl Connector for CountingConnector {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn capabilities(&self) -> &Capabilities {
        self.inner.capabilities()
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
        self.inner.find(model, filter, options)
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
        self.inner.count(model, where_, options)
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
        self.inner.update_all(model, where_, data, options)
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
        self.inner.destroy_all(model, where_, options)
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
