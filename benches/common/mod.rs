//! What the SQL benches share: a SQLite database file and a PostgreSQL schema, each reached
//! both through a loopback connector and through a sqlx pool of its own, and the clean-up.

use std::sync::Arc;
use std::time::Duration;

use loopback::Connector;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgSslMode};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

/// A SQLite database file in a temporary directory (removed on drop).
pub struct SqliteBench {
    /// loopback's connector on the file.
    pub connector: Arc<dyn Connector>,
    /// A sqlx pool on the same file, with the connector's pool settings.
    pub pool: SqlitePool,
    _dir: tempfile::TempDir,
}

/// Opens a fresh SQLite database file.
pub fn sqlite() -> SqliteBench {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("bench.db");
    let connector = loopback::connectors::sqlite(
        serde_json::json!({"file": path.to_str().expect("a UTF-8 path")}),
    )
    .expect("sqlite connector");
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_lazy_with(SqliteConnectOptions::new().filename(&path));
    SqliteBench {
        connector,
        pool,
        _dir: dir,
    }
}

/// A schema of its own on the PostgreSQL server of `LOOPBACK_TEST_POSTGRES_URL` (default
/// `postgres://postgres@127.0.0.1:5432/test`).
pub struct PgBench {
    /// loopback's connector, working in [`PgBench::schema`].
    pub connector: Arc<dyn Connector>,
    /// A sqlx pool on the server.
    pub pool: PgPool,
    /// The schema made for this run.
    pub schema: String,
}

/// Connects to PostgreSQL for the bench `name`, or says why not and returns `None` when the
/// server cannot be reached.
pub fn postgres(rt: &tokio::runtime::Runtime, name: &str) -> Option<PgBench> {
    let url = std::env::var("LOOPBACK_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".into());
    // Plain connections, as the connector makes them without SSL settings.
    let options = match url.parse::<PgConnectOptions>() {
        Ok(o) => o.ssl_mode(PgSslMode::Disable),
        Err(e) => {
            eprintln!("{name}: skipping the PostgreSQL groups, {url} is not a URL: {e}");
            return None;
        }
    };
    let pool = match rt.block_on(
        PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options),
    ) {
        Ok(pool) => pool,
        Err(e) => {
            eprintln!("{name}: skipping the PostgreSQL groups, {url} is unreachable: {e}");
            return None;
        }
    };
    let schema = format!(
        "lb_bench_{name}_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_millis()
    );
    let connector =
        loopback::connectors::postgres(serde_json::json!({"url": url, "schema": schema}))
            .expect("postgresql connector");
    Some(PgBench {
        connector,
        pool,
        schema,
    })
}

impl PgBench {
    /// Runs `f`, then drops the schema, also when `f` panics.
    pub fn run_then_drop(&self, rt: &tokio::runtime::Runtime, f: impl FnOnce()) {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        let sql = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.schema);
        if let Err(e) = rt.block_on(sqlx::query(&sql).execute(&self.pool)) {
            eprintln!("{sql}: {e}");
        }
        if let Err(panic) = result {
            std::panic::resume_unwind(panic);
        }
    }
}

/// A current-thread runtime, entered so that sqlx pools can start their maintenance tasks.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}
