//! `loopback migrate`: automigrate or autoupdate every model attached to a SQL data source of
//! an application, with a progress line per model, or a dry run printing the DDL.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use loopback::connectors::{discovery_of, Discovery, MigrationPhase, MigrationPlan};
use loopback::{App, DataSource, ModelHandle};

/// Create or update the database tables of an application's models.
///
/// Boots the LoopBack 3 application folder DIR (its `server/datasources.json`,
/// `server/model-config.json` and model files, with the `--env` overrides) and migrates every
/// model attached to a SQL data source (sqlite3, postgresql, mysql), printing a line per model.
/// Memory and transient data sources are skipped.
///
/// By default this is LoopBack's automigrate: each table is dropped and re-created, and the
/// rows in it are lost. With --autoupdate, missing tables are created and missing columns and
/// indexes added, keeping the rows. With --dry-run, the SQL is printed (`;`-terminated, one
/// comment per model) and nothing is executed.
///
/// Examples:
///   loopback migrate . --autoupdate --dry-run > changes.sql
///   loopback migrate examples/bookstore --datasource db --env production
#[derive(Debug, Args)]
#[command(
    about = "Create or update the database tables of an application's models \
             (automigrate, or --autoupdate; --dry-run prints the SQL)",
    verbatim_doc_comment
)]
pub struct MigrateArgs {
    #[command(flatten)]
    app: super::AppArgs,

    /// Keep existing tables and rows: only create what is missing (LoopBack's autoupdate).
    #[arg(long)]
    autoupdate: bool,

    /// Print the SQL that would run, without running it.
    #[arg(long)]
    dry_run: bool,

    /// Only this data source (repeatable); default every data source with models.
    #[arg(long = "datasource", value_name = "NAME")]
    data_sources: Vec<String>,
}

/// Runs `migrate DIR`.
pub async fn run(args: MigrateArgs) -> ExitCode {
    let booted = match super::boot(&args.app, "nothing is migrated").await {
        Ok(b) => b,
        Err(code) => return code,
    };
    let mode = if args.autoupdate {
        Mode::Autoupdate
    } else {
        Mode::Automigrate
    };
    let names = (!args.data_sources.is_empty()).then_some(args.data_sources.as_slice());
    let mut out = std::io::stdout();
    let mut progress = std::io::stderr();
    match migrate(
        booted.app(),
        names,
        mode,
        args.dry_run,
        &mut out,
        &mut progress,
    )
    .await
    {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Which migration to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Drop and re-create each model's table (stored rows are lost).
    Automigrate,
    /// Create missing tables and add missing columns and indexes, keeping stored rows.
    Autoupdate,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Automigrate => "automigrate",
            Mode::Autoupdate => "autoupdate",
        }
    }
}

/// What [`migrate`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// The models of the SQL data sources that were migrated (or planned, on a dry run).
    pub models: usize,
    /// The statements run (or printed, on a dry run).
    pub statements: usize,
    /// The data sources left alone because their connector has no schema to migrate, each
    /// with its connector name (`memory`, `transient`).
    pub skipped: Vec<(String, String)>,
}

/// Migrates the models of `app`, grouped by the data source each is attached to: all data
/// sources, or only those named in `data_sources` (an unknown name is an error). For each
/// SQL data source the connector's plan is built ([`Discovery::automigrate_plan`] or
/// [`Discovery::autoupdate_plan`]: autoupdate reads the database's catalog) and then
///
/// - with `dry_run`, its statements are written to `out`, each terminated by `;` and each
///   model's introduced by an SQL comment, and nothing is executed;
/// - otherwise it is applied ([`Discovery::apply_migration`], what the connector's own
///   `automigrate` / `autoupdate` run), and a line per model is written to `progress` as it
///   completes: `[2/5] db: Book … ok (2 statements)`.
///
/// Data sources whose connector is not a SQL one (memory, transient) are skipped with a note
/// on `progress`. The first failure (unreachable database, refused statement) stops the run;
/// its message names the data source.
pub async fn migrate(
    app: &App,
    data_sources: Option<&[String]>,
    mode: Mode,
    dry_run: bool,
    out: &mut dyn Write,
    progress: &mut (dyn Write + Send),
) -> Result<Summary, String> {
    let io = |e: std::io::Error| format!("cannot write: {e}");
    let mut groups: Vec<(DataSource, Vec<ModelHandle>)> = Vec::new();
    for m in app.models() {
        let ds = m.data_source().clone();
        match groups.iter_mut().find(|(d, _)| d.name() == ds.name()) {
            Some((_, models)) => models.push(m),
            None => groups.push((ds, vec![m])),
        }
    }
    if let Some(names) = data_sources {
        for name in names {
            if groups.iter().any(|(d, _)| d.name() == name) {
                continue;
            }
            match app.get_data_source(name) {
                Some(ds) => groups.push((ds, Vec::new())),
                None => {
                    let mut known: Vec<String> =
                        groups.iter().map(|(d, _)| d.name().to_owned()).collect();
                    known.sort();
                    return Err(format!(
                        "unknown data source `{name}`; the application has {}",
                        if known.is_empty() {
                            "none with models".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ));
                }
            }
        }
        groups.retain(|(d, _)| names.iter().any(|n| n == d.name()));
    }

    let mut summary = Summary::default();
    let mut plans: Vec<(&DataSource, &dyn Discovery, MigrationPlan)> = Vec::new();
    for (ds, models) in &groups {
        if models.is_empty() {
            writeln!(
                progress,
                "{}: no models attached, nothing to migrate",
                ds.name()
            )
            .map_err(io)?;
            continue;
        }
        let Some(db) = discovery_of(&**ds.connector()) else {
            writeln!(
                progress,
                "{}: skipped ({} connector: no schema to migrate; {} model(s))",
                ds.name(),
                ds.connector().name(),
                models.len()
            )
            .map_err(io)?;
            summary
                .skipped
                .push((ds.name().to_owned(), ds.connector().name().to_owned()));
            continue;
        };
        let defs: Vec<_> = models.iter().map(ModelHandle::definition).collect();
        let plan = match mode {
            Mode::Automigrate => db.automigrate_plan(&defs).await,
            Mode::Autoupdate => db.autoupdate_plan(&defs).await,
        }
        .map_err(|e| format!("{}: {}: {e}", ds.name(), mode.name()))?;
        summary.models += defs.len();
        plans.push((ds, db, plan));
    }

    let total: usize = plans.iter().map(|(_, _, p)| p.steps.len()).sum();
    let mut done = 0;
    for (ds, db, plan) in &plans {
        let name = ds.name();
        let statements = plan.statements().count();
        summary.statements += statements;
        if dry_run {
            writeln!(
                out,
                "-- {name} ({}): {}, {statements} statement(s)",
                ds.connector().name(),
                mode.name()
            )
            .map_err(io)?;
            for step in &plan.steps {
                done += 1;
                let label = step_label(&step.model, step.phase);
                writeln!(
                    progress,
                    "[{done}/{total}] {name}: {label} … {}",
                    status(step.statements.len(), true)
                )
                .map_err(io)?;
                if step.statements.is_empty() {
                    writeln!(out, "-- {label}: up to date").map_err(io)?;
                    continue;
                }
                writeln!(out, "-- {label}").map_err(io)?;
                for stmt in &step.statements {
                    writeln!(out, "{};", stmt.sql).map_err(io)?;
                    if !stmt.params.is_empty() {
                        let params: Vec<String> = stmt
                            .params
                            .iter()
                            .map(|p| p.to_json().to_string())
                            .collect();
                        writeln!(out, "-- parameters: {}", params.join(", ")).map_err(io)?;
                    }
                }
            }
        } else {
            let base = done;
            let mut failed_write = None;
            db.apply_migration(plan, &mut |i, step| {
                let line = format!(
                    "[{}/{total}] {name}: {} … {}",
                    base + i + 1,
                    step_label(&step.model, step.phase),
                    status(step.statements.len(), false)
                );
                if let Err(e) = writeln!(progress, "{line}") {
                    failed_write = Some(e);
                }
            })
            .await
            .map_err(|e| format!("{name}: {}: {e}", mode.name()))?;
            if let Some(e) = failed_write {
                return Err(io(e));
            }
            done += plan.steps.len();
        }
    }
    let sources = plans.len();
    if dry_run {
        writeln!(
            progress,
            "dry run: {} statement(s) for {} model(s) in {sources} data source(s); nothing was executed",
            summary.statements, summary.models
        )
        .map_err(io)?;
    } else {
        writeln!(
            progress,
            "{}: {} model(s) in {sources} data source(s), {} statement(s) run",
            mode.name(),
            summary.models,
            summary.statements
        )
        .map_err(io)?;
    }
    Ok(summary)
}

fn step_label(model: &str, phase: MigrationPhase) -> String {
    match phase {
        MigrationPhase::DropForeignKeys => format!("{model} (dropping foreign keys)"),
        MigrationPhase::Table => model.to_owned(),
        MigrationPhase::ForeignKeys => format!("{model} (foreign keys)"),
    }
}

fn status(statements: usize, dry_run: bool) -> String {
    match (statements, dry_run) {
        (0, _) => "up to date".to_owned(),
        (1, true) => "1 statement".to_owned(),
        (n, true) => format!("{n} statements"),
        (1, false) => "ok (1 statement)".to_owned(),
        (n, false) => format!("ok ({n} statements)"),
    }
}
