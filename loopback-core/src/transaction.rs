//! Transactions as the application sees them (LB3's `beginTransaction` and its `Transaction`
//! object): a [`TransactionHandle`] around a connector's [`Transaction`], with the transaction
//! events (`before commit`, `after commit`, `before rollback`, `after rollback`, `timeout`), the
//! automatic rollback on timeout, and [`DataSource::transaction`], which commits or rolls back
//! around a closure.
//!
//! Operations run inside a transaction when their [`Options`] carry it
//! ([`TransactionHandle::options`]); operation hooks see it in `ctx.options.transaction`.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::FutureExt;

use crate::app::DataSource;
use crate::connector::{IsolationLevel, Options, Transaction};
use crate::error::{Error, Result};

/// A transaction event that observers can watch (LB3's `tx.observe(name, fn)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransactionEvent {
    /// `before commit`: an error from an observer aborts the commit (the transaction stays
    /// active).
    BeforeCommit,
    /// `after commit`.
    AfterCommit,
    /// `before rollback`: an error from an observer aborts the rollback.
    BeforeRollback,
    /// `after rollback`.
    AfterRollback,
    /// `timeout`: the timeout elapsed; the rollback follows unless an observer fails.
    Timeout,
}

impl TransactionEvent {
    /// LB3's event name: `before commit`, ...
    pub fn name(self) -> &'static str {
        match self {
            TransactionEvent::BeforeCommit => "before commit",
            TransactionEvent::AfterCommit => "after commit",
            TransactionEvent::BeforeRollback => "before rollback",
            TransactionEvent::AfterRollback => "after rollback",
            TransactionEvent::Timeout => "timeout",
        }
    }
}

/// What a transaction observer receives (LB3: `{transaction, operation}`).
#[derive(Debug, Clone)]
pub struct TransactionContext {
    /// The transaction.
    pub transaction: Arc<dyn Transaction>,
    /// The event being notified.
    pub event: TransactionEvent,
    /// `commit`, `rollback` or `timeout`.
    pub operation: &'static str,
}

/// A transaction observer.
pub type TransactionObserver =
    Arc<dyn Fn(TransactionContext) -> BoxFuture<'static, Result<()>> + Send + Sync>;

struct Inner {
    tx: Arc<dyn Transaction>,
    data_source: String,
    isolation: IsolationLevel,
    observers: Mutex<Vec<(TransactionEvent, TransactionObserver)>>,
    ending: tokio::sync::Mutex<()>,
    timed_out: AtomicBool,
    timer: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// An open transaction on a data source, as [`DataSource::begin_transaction`] returns it.
/// Cheap to clone; every clone is the same transaction.
#[derive(Clone)]
pub struct TransactionHandle(Arc<Inner>);

impl fmt::Debug for TransactionHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransactionHandle")
            .field("id", &self.id())
            .field("data_source", &self.0.data_source)
            .field("isolation", &self.0.isolation)
            .field("active", &self.is_active())
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl TransactionHandle {
    /// Wraps a connector's transaction; with a `timeout`, a timer rolls it back when it is
    /// still active then. Must be called inside a Tokio runtime when `timeout` is set.
    pub fn new(
        tx: Arc<dyn Transaction>,
        data_source: &str,
        isolation: IsolationLevel,
        timeout: Option<Duration>,
    ) -> Self {
        let handle = TransactionHandle(Arc::new(Inner {
            tx,
            data_source: data_source.to_owned(),
            isolation,
            observers: Mutex::new(Vec::new()),
            ending: tokio::sync::Mutex::new(()),
            timed_out: AtomicBool::new(false),
            timer: Mutex::new(None),
        }));
        if let Some(timeout) = timeout {
            let h = handle.clone();
            let task = tokio::spawn(async move {
                tokio::time::sleep(timeout).await;
                let _ = h.time_out().await;
            });
            *lock(&handle.0.timer) = Some(task);
        }
        handle
    }

    /// The transaction id.
    pub fn id(&self) -> &str {
        self.0.tx.id()
    }

    /// The connector's transaction object.
    pub fn transaction(&self) -> &Arc<dyn Transaction> {
        &self.0.tx
    }

    /// The name of the data source the transaction belongs to.
    pub fn data_source(&self) -> &str {
        &self.0.data_source
    }

    /// The isolation level it was begun with.
    pub fn isolation_level(&self) -> IsolationLevel {
        self.0.isolation
    }

    /// Options that run operations inside this transaction (LB3's `{transaction: tx}`).
    pub fn options(&self) -> Options {
        Options::new().in_transaction(Arc::clone(&self.0.tx))
    }

    /// Whether the transaction is neither committed nor rolled back.
    pub fn is_active(&self) -> bool {
        self.0.tx.is_active()
    }

    /// Whether the transaction was rolled back because its timeout elapsed.
    pub fn timed_out(&self) -> bool {
        self.0.timed_out.load(Ordering::SeqCst)
    }

    /// Adds an observer of `event`. Observers run in the order they were added; the first
    /// error stops the chain.
    pub fn observe<F, Fut>(&self, event: TransactionEvent, f: F)
    where
        F: Fn(TransactionContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        let f: TransactionObserver = Arc::new(move |ctx| f(ctx).boxed());
        lock(&self.0.observers).push((event, f));
    }

    async fn notify(&self, event: TransactionEvent, operation: &'static str) -> Result<()> {
        let observers: Vec<TransactionObserver> = lock(&self.0.observers)
            .iter()
            .filter(|(e, _)| *e == event)
            .map(|(_, f)| Arc::clone(f))
            .collect();
        for f in observers {
            f(TransactionContext {
                transaction: Arc::clone(&self.0.tx),
                event,
                operation,
            })
            .await?;
        }
        Ok(())
    }

    fn not_active(&self) -> Error {
        Error::TransactionNotActive {
            id: self.id().to_owned(),
            timed_out: self.timed_out(),
        }
    }

    fn stop_timer(&self) {
        if let Some(t) = lock(&self.0.timer).take() {
            t.abort();
        }
    }

    /// Commits: `before commit` observers, the connector's commit, then `after commit`
    /// observers. A failing `before commit` observer aborts the commit and the transaction
    /// stays active. Fails with [`Error::TransactionNotActive`] when already ended.
    pub async fn commit(&self) -> Result<()> {
        let _ending = self.0.ending.lock().await;
        if !self.is_active() {
            return Err(self.not_active());
        }
        self.notify(TransactionEvent::BeforeCommit, "commit")
            .await?;
        self.0.tx.commit().await?;
        self.stop_timer();
        self.notify(TransactionEvent::AfterCommit, "commit").await
    }

    /// Rolls back: `before rollback` observers, the connector's rollback, then `after
    /// rollback` observers. Fails with [`Error::TransactionNotActive`] when already ended.
    pub async fn rollback(&self) -> Result<()> {
        let _ending = self.0.ending.lock().await;
        self.rollback_locked().await
    }

    async fn rollback_locked(&self) -> Result<()> {
        if !self.is_active() {
            return Err(self.not_active());
        }
        self.notify(TransactionEvent::BeforeRollback, "rollback")
            .await?;
        self.0.tx.rollback().await?;
        self.stop_timer();
        self.notify(TransactionEvent::AfterRollback, "rollback")
            .await
    }

    async fn time_out(&self) -> Result<()> {
        let _ending = self.0.ending.lock().await;
        if !self.is_active() {
            return Ok(());
        }
        self.notify(TransactionEvent::Timeout, "timeout").await?;
        self.0.timed_out.store(true, Ordering::SeqCst);
        // The timer is this task: do not abort it.
        lock(&self.0.timer).take();
        self.rollback_locked().await
    }
}

/// Rolls the transaction back when dropped while still active (the closure panicked, or the
/// future was dropped).
struct RollbackGuard(Option<TransactionHandle>);

impl Drop for RollbackGuard {
    fn drop(&mut self) {
        if let Some(h) = self.0.take() {
            if h.is_active() {
                if let Ok(rt) = tokio::runtime::Handle::try_current() {
                    rt.spawn(async move {
                        let _ = h.rollback().await;
                    });
                }
            }
        }
    }
}

impl DataSource {
    /// Begins a transaction (LB3's `beginTransaction({isolationLevel, timeout})`). With a
    /// `timeout`, a transaction still active then is rolled back, and later uses of it fail
    /// with [`Error::TransactionNotActive`]. Fails with [`Error::NotSupported`] when the
    /// connector has no transactions.
    pub async fn begin_transaction(
        &self,
        isolation: IsolationLevel,
        timeout: Option<Duration>,
    ) -> Result<TransactionHandle> {
        let tx = self
            .connector()
            .begin_transaction(isolation, timeout)
            .await?;
        Ok(TransactionHandle::new(tx, self.name(), isolation, timeout))
    }

    /// Runs `f` inside a new transaction: `f` gets [`Options`] carrying it, to pass to every
    /// operation. Commits when `f` returns `Ok` and rolls back when it returns `Err` (the error
    /// is returned), panics (the panic goes on after the rollback is started) or is dropped.
    pub async fn transaction<T, F, Fut>(
        &self,
        isolation: IsolationLevel,
        timeout: Option<Duration>,
        f: F,
    ) -> Result<T>
    where
        F: FnOnce(Options) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let tx = self.begin_transaction(isolation, timeout).await?;
        let mut guard = RollbackGuard(Some(tx.clone()));
        let out = AssertUnwindSafe(f(tx.options())).catch_unwind().await;
        let out = match out {
            Ok(out) => out,
            Err(panic) => {
                if let Some(h) = guard.0.take() {
                    let _ = h.rollback().await;
                }
                std::panic::resume_unwind(panic);
            }
        };
        guard.0 = None;
        match out {
            Ok(v) => {
                if let Err(e) = tx.commit().await {
                    if tx.is_active() {
                        let _ = tx.rollback().await;
                    }
                    return Err(e);
                }
                Ok(v)
            }
            Err(e) => {
                if tx.is_active() {
                    tx.rollback().await?;
                }
                Err(e)
            }
        }
    }
}
