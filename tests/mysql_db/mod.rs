//! Throwaway MySQL / MariaDB databases for the tests of the `mysql` connector.
//!
//! The server is the one `LOOPBACK_TEST_MYSQL_URL` names (`.ci/run` sets
//! `mysql://root@127.0.0.1:3306/test`). Unset, the tests print a notice and pass without
//! running; set but unreachable, they fail. Each test gets its own database,
//! `lbt_<pid>_<n>_<random>`, dropped by [`TestDb`]'s `Drop` even when the test panics;
//! databases left by test processes that were killed are dropped by the next run.

#![allow(dead_code)] // each test binary uses its own part

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use loopback::connectors::MySqlConnector;
use loopback::{Connector, Options, Value};

/// The variable naming the test server.
pub const URL_VAR: &str = "LOOPBACK_TEST_MYSQL_URL";

/// The server URL, or `None` (with a notice) when the variable is unset.
pub fn server_url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            static NOTICE: AtomicBool = AtomicBool::new(false);
            if !NOTICE.swap(true, Ordering::Relaxed) {
                eprintln!("skipping the MySQL tests: {URL_VAR} is not set");
            }
            None
        }
    }
}

/// A database made for one test, dropped with it.
pub struct TestDb {
    /// The database name.
    pub name: String,
    server: String,
}

impl TestDb {
    /// Creates a fresh database on the server of `LOOPBACK_TEST_MYSQL_URL` and a connector
    /// to it; `None` when the variable is unset. Panics when the server cannot be reached.
    pub async fn create() -> Option<(Arc<MySqlConnector>, TestDb)> {
        Self::create_with(serde_json::json!({})).await
    }

    /// As [`TestDb::create`], with more data source settings for the connector.
    pub async fn create_with(
        mut settings: serde_json::Value,
    ) -> Option<(Arc<MySqlConnector>, TestDb)> {
        let server = server_url()?;
        let admin = admin(&server);
        drop_abandoned(&admin).await;
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let random = RandomState::new().build_hasher().finish() & 0xff_ffff;
        let name = format!(
            "lbt_{}_{}_{random:06x}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        admin
            .execute(
                &format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"),
                &[],
                &Options::new(),
            )
            .await
            .unwrap_or_else(|e| panic!("{URL_VAR}={server} is set but unusable: {e}"));
        admin.close().await;
        let db = TestDb { name, server };
        let map = settings.as_object_mut().expect("settings are an object");
        map.insert("url".into(), db.server.clone().into());
        map.insert("database".into(), db.name.clone().into());
        let connector = MySqlConnector::from_settings(&settings).expect("valid settings");
        Some((Arc::new(connector), db))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // A fresh runtime on its own thread: `Drop` may run inside the test's runtime, or while
        // a panic unwinds it.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(async {
                let admin = admin(&server);
                let r = admin
                    .execute(
                        &format!("DROP DATABASE IF EXISTS `{name}`"),
                        &[],
                        &Options::new(),
                    )
                    .await;
                admin.close().await;
                r
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

fn admin(server: &str) -> MySqlConnector {
    MySqlConnector::from_settings(&serde_json::json!({
        "url": server, "connectionLimit": 1, "connectTimeout": 5000
    }))
    .expect("a valid server URL")
}

/// Drops the test databases of processes that no longer run (killed before their guards
/// ran), once per process.
async fn drop_abandoned(admin: &MySqlConnector) {
    static DONE: AtomicBool = AtomicBool::new(false);
    if DONE.swap(true, Ordering::Relaxed) {
        return;
    }
    let Ok(rows) = admin
        .execute(
            "SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'lbt|_%' ESCAPE '|'",
            &[],
            &Options::new(),
        )
        .await
    else {
        return;
    };
    for r in rows {
        let Some(Value::String(name)) = r.get("n") else {
            continue;
        };
        let pid = name.split('_').nth(1).and_then(|p| p.parse::<u32>().ok());
        let Some(pid) = pid else { continue };
        if pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = admin
                .execute(
                    &format!("DROP DATABASE IF EXISTS `{name}`"),
                    &[],
                    &Options::new(),
                )
                .await;
        }
    }
}
