//! Transactions of the SQL connectors: one sqlx transaction (one pooled connection, `BEGIN`
//! already sent) behind a Tokio mutex, and the [`Conn`] every operation runs its statements on:
//! the transaction's connection when the operation's [`Options`] carry one, else a connection
//! from the pool.

use std::any::Any;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use loopback_core::connector::{Options, Transaction};
use loopback_core::{Error, Result};
use sqlx::pool::PoolConnection;
use sqlx::{Database, Pool};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

/// An open transaction of a SQL connector. Commit and rollback end it; after that it refuses
/// every use with [`Error::TransactionNotActive`].
pub struct SqlTransaction<DB: Database> {
    id: String,
    connector: &'static str,
    owner: usize,
    active: AtomicBool,
    tx: Mutex<Option<sqlx::Transaction<'static, DB>>>,
}

impl<DB: Database> fmt::Debug for SqlTransaction<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlTransaction")
            .field("id", &self.id)
            .field("connector", &self.connector)
            .field("active", &self.active.load(Ordering::SeqCst))
            .finish()
    }
}

impl<DB: Database> SqlTransaction<DB> {
    /// Wraps a begun sqlx transaction of the connector named `connector` whose instance is
    /// identified by `owner` (its address).
    pub fn new(connector: &'static str, owner: usize, tx: sqlx::Transaction<'static, DB>) -> Self {
        SqlTransaction {
            id: uuid::Uuid::new_v4().to_string(),
            connector,
            owner,
            active: AtomicBool::new(true),
            tx: Mutex::new(Some(tx)),
        }
    }

    fn not_active(&self) -> Error {
        Error::TransactionNotActive {
            id: self.id.clone(),
            timed_out: false,
        }
    }

    async fn end(&self, commit: bool) -> Result<()> {
        let tx = self
            .tx
            .lock()
            .await
            .take()
            .ok_or_else(|| self.not_active())?;
        self.active.store(false, Ordering::SeqCst);
        let done = if commit {
            tx.commit().await
        } else {
            tx.rollback().await
        };
        done.map_err(|e| Error::Connector(e.to_string()))
    }
}

#[async_trait]
impl<DB: Database> Transaction for SqlTransaction<DB> {
    fn id(&self) -> &str {
        &self.id
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn is_active(&self) -> bool {
        self.active.load(Ordering::SeqCst)
    }

    async fn commit(&self) -> Result<()> {
        self.end(true).await
    }

    async fn rollback(&self) -> Result<()> {
        self.end(false).await
    }
}

/// The connection an operation runs on: a pooled one, or the connection of its transaction
/// (held locked for the operation, so operations of one transaction run one after the other).
pub enum Conn<'a, DB: Database> {
    /// A connection from the pool.
    Pool(PoolConnection<DB>),
    /// The transaction's connection.
    Tx(MappedMutexGuard<'a, sqlx::Transaction<'static, DB>>),
}

impl<DB: Database> Deref for Conn<'_, DB> {
    type Target = DB::Connection;

    fn deref(&self) -> &DB::Connection {
        match self {
            Conn::Pool(c) => c,
            Conn::Tx(t) => t,
        }
    }
}

impl<DB: Database> DerefMut for Conn<'_, DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        match self {
            Conn::Pool(c) => c,
            Conn::Tx(t) => t,
        }
    }
}

/// The connection to run an operation with `options` on: the transaction's when `options`
/// carry one (which must come from this connector instance, `owner`, and still be active),
/// else one acquired from `pool` (a failure there goes through `classify`).
pub async fn connection<'a, DB: Database>(
    pool: &Pool<DB>,
    options: &'a Options,
    connector: &str,
    owner: usize,
    classify: impl FnOnce(sqlx::Error) -> Error,
) -> Result<Conn<'a, DB>> {
    let Some(tx) = options.transaction.as_ref() else {
        return pool.acquire().await.map(Conn::Pool).map_err(classify);
    };
    let foreign = || {
        Error::Internal(format!(
            "the transaction {} does not belong to this {connector} data source",
            tx.id()
        ))
    };
    let sql = tx
        .as_any()
        .downcast_ref::<SqlTransaction<DB>>()
        .ok_or_else(foreign)?;
    if sql.owner != owner {
        return Err(foreign());
    }
    let guard = sql.tx.lock().await;
    MutexGuard::try_map(guard, Option::as_mut)
        .map(Conn::Tx)
        .map_err(|_| sql.not_active())
}
