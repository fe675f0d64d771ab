//! When the SQL connectors' pools check a connection before handing it out.
//!
//! sqlx can ping every pooled connection before each use (`test_before_acquire`). On a busy
//! server that is one more round trip per operation on a connection that answered a moment
//! ago, and sqlx already pings each connection when it goes back to the pool (dropping the
//! broken ones). So the connectors ping only connections that have sat idle for
//! [`PING_AFTER_IDLE`] or more, as connection pools such as HikariCP do: one that has been
//! waiting (across a database restart, a network change, a server's idle timeout) is checked
//! and replaced when dead; a hot one is used as it is. If a hot connection died in between,
//! the operation fails with a 503 (see [`super::classify`]), the broken connection is dropped
//! when it goes back, and the next operation gets a new one.

use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::pool::PoolConnectionMetadata;
use sqlx::{Connection, Database};

/// How long a pooled connection may sit idle and still be handed out without a ping.
pub const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// The pools' `before_acquire` check: pings a connection idle for [`PING_AFTER_IDLE`] or
/// more (a failed ping discards it and the pool opens another); keeps every connection.
pub fn ping_if_idle<DB: Database>(
    conn: &mut DB::Connection,
    meta: PoolConnectionMetadata,
) -> BoxFuture<'_, Result<bool, sqlx::Error>> {
    Box::pin(async move {
        if meta.idle_for >= PING_AFTER_IDLE {
            conn.ping().await?;
        }
        Ok(true)
    })
}
