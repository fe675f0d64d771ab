//! Booting a LoopBack 3 application folder: see `docs/boot.md` ([`crate::guide::boot`]).
//!
//! ```no_run
//! use loopback::prelude::*;
//!
//! # async fn demo() -> loopback::Result<()> {
//! let booted = App::boot("examples/bookstore").await?;
//! for w in booted.plan().warnings() {
//!     eprintln!("warning: {w}");
//! }
//! let api = booted.rest_api();
//! # let _ = api;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use loopback_core::{App, Connector, Result};

pub use loopback_core::boot::{
    AppDataSources, BootError, BootOptions, BootPlan, BootProblem, BootScript, BootWarning, Booted,
    ConnectorFactory, CorsSettings, HttpSettings, Mixin, ModelSetup, PlannedModel, StaticMount,
    TokenSettings,
};

/// The connectors compiled into this build, by their LB3 names: `memory`, `transient`,
/// `sqlite3`, `postgresql`, `mysql` (with or without the `loopback-connector-` prefix).
#[derive(Debug, Clone, Copy, Default)]
pub struct BuiltinConnectors;

impl ConnectorFactory for BuiltinConnectors {
    fn supports(&self, connector: &str) -> bool {
        let short = connector
            .strip_prefix("loopback-connector-")
            .unwrap_or(connector);
        matches!(
            short,
            "memory" | "transient" | "sqlite3" | "sqlite" | "postgresql" | "postgres" | "mysql"
        )
    }

    fn create(&self, settings: &serde_json::Value) -> Result<Arc<dyn Connector>> {
        crate::connectors::from_settings(settings)
    }
}

fn with_connectors(options: &BootOptions) -> BootOptions {
    if options.has_connector_factory() {
        options.clone()
    } else {
        options
            .clone()
            .connector_factory(Arc::new(BuiltinConnectors))
    }
}

/// Reads and checks the application folder `dir` without creating anything: every problem
/// is reported at once, each with its file and key (`loopback check`).
pub fn compile(dir: impl AsRef<Path>, options: &BootOptions) -> Result<BootPlan> {
    loopback_core::boot::compile(dir.as_ref(), &with_connectors(options))
}

/// Reads only the data sources of the application folder `dir` (`datasources.json` with
/// its `.local` and `.{env}` overrides, `${VAR}` values filled in), checked as [`compile`]
/// checks them, without reading the models (`loopback discover --app`).
pub fn data_sources(dir: impl AsRef<Path>, options: &BootOptions) -> Result<AppDataSources> {
    loopback_core::boot::data_sources(dir.as_ref(), &with_connectors(options))
}

/// Boots the application folder `dir` (the project folder, or its `server/` folder) into a
/// new [`App`], with the connectors of this build unless `options` names a factory.
pub async fn boot(dir: impl AsRef<Path>, options: &BootOptions) -> Result<Booted> {
    let options = with_connectors(options);
    loopback_core::boot::compile(dir.as_ref(), &options)?
        .execute(&options)
        .await
}

/// Boots into an existing [`App`], which may already hold Rust-defined models, data sources
/// and role resolvers (kept as they are).
pub async fn boot_into(app: App, dir: impl AsRef<Path>, options: &BootOptions) -> Result<Booted> {
    let options = with_connectors(options);
    loopback_core::boot::compile(dir.as_ref(), &options)?
        .execute_into(app, &options)
        .await
}

/// `App::boot(dir)` and `App::boot_with(dir, options)` (in the prelude).
pub trait AppBoot {
    /// Boots the application folder `dir` with default options.
    fn boot(dir: impl AsRef<Path> + Send) -> impl Future<Output = Result<Booted>> + Send;

    /// Boots the application folder `dir` with `options`.
    fn boot_with(
        dir: impl AsRef<Path> + Send,
        options: BootOptions,
    ) -> impl Future<Output = Result<Booted>> + Send;
}

// `async fn` in the impl would not promise `Send` futures to callers of the trait.
#[allow(clippy::manual_async_fn)]
impl AppBoot for App {
    fn boot(dir: impl AsRef<Path> + Send) -> impl Future<Output = Result<Booted>> + Send {
        async move { boot(dir, &BootOptions::new()).await }
    }

    fn boot_with(
        dir: impl AsRef<Path> + Send,
        options: BootOptions,
    ) -> impl Future<Output = Result<Booted>> + Send {
        async move { boot(dir, &options).await }
    }
}
