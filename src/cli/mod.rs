//! Command-line parsing (clap) and dispatch to one module per command.

use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use loopback::boot::{BootOptions, Booted};

mod check;
mod discover;
mod migrate;
#[cfg(feature = "rest")]
mod serve;

/// loopback — LoopBack 3 applications on Rust.
#[derive(Debug, Parser)]
#[command(
    name = "loopback",
    version,
    about = "LoopBack 3 applications on Rust",
    long_about = "LoopBack 3 applications on Rust: serve an LB3 application folder, list its \
                  routes and OpenAPI document, check it, discover models from a database, and \
                  create or update an application's tables.",
    arg_required_else_help = true,
    after_help = "Exit codes: 0 success, 1 the operation failed, 2 usage error.\n\
                  Run `loopback help COMMAND` for the options of a command."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    #[cfg(feature = "rest")]
    Serve(serve::ServeArgs),
    #[cfg(feature = "rest")]
    Routes(serve::RoutesArgs),
    #[cfg(feature = "rest")]
    Openapi(serve::OpenApiArgs),
    Check(check::CheckArgs),
    Discover(discover::DiscoverArgs),
    Migrate(migrate::MigrateArgs),
}

/// Parses the arguments, runs the command, and gives its exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    match cli.command {
        #[cfg(feature = "rest")]
        Command::Serve(args) => block_on_threads(serve::run(args)),
        #[cfg(feature = "rest")]
        Command::Routes(args) => block_on(serve::routes(args)),
        #[cfg(feature = "rest")]
        Command::Openapi(args) => block_on(serve::openapi(args)),
        Command::Check(args) => check::run(&args),
        Command::Discover(args) => block_on(discover::run(args)),
        Command::Migrate(args) => block_on(migrate::run(args)),
    }
}

/// Prints a clap error (or the help and version it reports as errors) with clap's exit code:
/// 0 for `--help` / `--version`, 2 for usage errors. An unknown command is called that.
fn usage_error(e: clap::Error) -> ExitCode {
    let code = e.exit_code();
    if e.kind() == ErrorKind::InvalidSubcommand {
        let name = match e.get(ContextKind::InvalidSubcommand) {
            Some(ContextValue::String(s)) => s.clone(),
            _ => String::new(),
        };
        let rendered = e.render().to_string();
        let rest = rendered
            .split_once('\n')
            .map_or("", |(_, rest)| rest)
            .trim_start_matches('\n');
        eprintln!("error: unknown command `{name}`\n\n{rest}");
    } else {
        // Help and version go to stdout, errors to stderr.
        let _ = e.print();
    }
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}

/// Runs a command's future on a runtime for this process.
fn block_on(f: impl std::future::Future<Output = ExitCode>) -> ExitCode {
    run_on(tokio::runtime::Builder::new_current_thread(), f)
}

/// Runs a server's future on a multi-threaded runtime (one worker per core).
#[cfg(feature = "rest")]
fn block_on_threads(f: impl std::future::Future<Output = ExitCode>) -> ExitCode {
    run_on(tokio::runtime::Builder::new_multi_thread(), f)
}

/// Runs `f` on the runtime `builder` makes (with I/O and timers).
fn run_on(
    mut builder: tokio::runtime::Builder,
    f: impl std::future::Future<Output = ExitCode>,
) -> ExitCode {
    match builder.enable_all().build() {
        Ok(rt) => rt.block_on(f),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::from(1)
        }
    }
}

/// The exit code of a failed operation.
fn failure(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(1)
}

/// The application folder and environment of the commands that boot one.
#[derive(Debug, Args)]
pub struct AppArgs {
    /// The application folder (the project folder holding `server/`, or `server/` itself).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The environment choosing the `.{env}` override files (default: NODE_ENV, else
    /// `development`).
    #[arg(long, value_name = "ENV")]
    env: Option<String>,
}

/// Boot options for `--env` (none: NODE_ENV, else `development`).
fn boot_options(env: Option<&str>) -> BootOptions {
    match env {
        Some(e) => BootOptions::new().env(e),
        None => BootOptions::new(),
    }
}

/// Prints each problem of a folder that cannot boot (or the error) and what follows from it.
fn report_boot_error(dir: &std::path::Path, e: &loopback::Error, consequence: &str) {
    match e {
        loopback::Error::Boot(b) => {
            for p in &b.problems {
                eprintln!("error: {p}");
            }
            eprintln!(
                "error: {} has {} problem(s); {consequence}",
                dir.display(),
                b.problems.len()
            );
        }
        other => eprintln!("error: cannot boot {}: {other}", dir.display()),
    }
}

/// Boots the folder, printing its warnings; on failure prints every problem and gives the
/// exit code (1). `consequence` says what is not done (`nothing is served`).
async fn boot(args: &AppArgs, consequence: &str) -> Result<Booted, ExitCode> {
    match loopback::boot::boot(&args.dir, &boot_options(args.env.as_deref())).await {
        Ok(b) => {
            for w in b.plan().warnings() {
                eprintln!("warning: {w}");
            }
            Ok(b)
        }
        Err(e) => {
            report_boot_error(&args.dir, &e, consequence);
            Err(ExitCode::from(1))
        }
    }
}
