//! `loopback check PATH...`: validates LoopBack 3 model definition files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use loopback::ModelDefinition;

/// Check an LB3 application folder, or LoopBack 3 model JSON files.
///
/// Each PATH is an application folder (checked whole, as `serve` would boot it: config,
/// data sources, model-config, models, middleware, components), a model JSON file, or a
/// folder whose `common/models` and `server/models` hold `*.json` model files. Every problem is reported with its file and the
/// key path inside it (`Order.relations.customer.type`), or the line and column of a JSON
/// syntax error. Exit code 1 when any file is invalid or missing.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Model JSON files or application folders.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// For application folders: the environment choosing the `.{env}` override files
    /// (default: NODE_ENV, else `development`).
    #[arg(long, value_name = "ENV")]
    env: Option<String>,
}

fn model_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    if path.is_file() {
        return Ok(vec![path.to_owned()]);
    }
    if !path.is_dir() {
        return Err(format!("{}: no such file or directory", path.display()));
    }
    let mut files = Vec::new();
    for sub in ["common/models", "server/models"] {
        let dir = path.join(sub);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "json") {
                files.push(p);
            }
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(format!(
            "{}: no model files under common/models or server/models",
            path.display()
        ));
    }
    Ok(files)
}

/// Whether `path` is an application folder (a project with `server/`, or a `server/`
/// folder with `model-config.json`).
fn is_app_folder(path: &Path) -> bool {
    path.join("server/model-config.json").is_file() || path.join("model-config.json").is_file()
}

/// Checks a whole application folder as `serve` would boot it, without creating anything:
/// every problem with its file, key, line and column; then what would not be run.
fn check_app(path: &Path, env: Option<&str>) -> bool {
    match loopback::boot::compile(path, &super::boot_options(env)) {
        Ok(plan) => {
            for w in plan.warnings() {
                eprintln!("warning: {w}");
            }
            let attached = plan
                .models()
                .iter()
                .filter(|m| m.data_source.is_some())
                .count();
            println!(
                "{}: ok (env {}, {} data source(s), {} model(s) attached, {} warning(s))",
                path.display(),
                plan.env(),
                plan.data_sources().len(),
                attached,
                plan.warnings().len()
            );
            true
        }
        Err(e) => {
            super::report_boot_error(path, &e, "it would not boot");
            false
        }
    }
}

/// Checks every file and prints one line per file: `ok (...)` on stdout, the problem on
/// stderr.
pub fn run(args: &CheckArgs) -> ExitCode {
    let mut failed = false;
    let mut checked = 0;
    for p in &args.paths {
        if p.is_dir() && is_app_folder(p) {
            if !check_app(p, args.env.as_deref()) {
                failed = true;
            }
            continue;
        }
        let files = match model_files(p) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
                continue;
            }
        };
        for f in files {
            checked += 1;
            let text = match std::fs::read_to_string(&f) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("{}: cannot read: {e}", f.display());
                    failed = true;
                    continue;
                }
            };
            match ModelDefinition::from_lb3_str(&text) {
                Ok(def) => println!(
                    "{}: ok (model {}, {} properties, {} relations)",
                    f.display(),
                    def.name,
                    def.properties.len(),
                    def.relations.len()
                ),
                Err(e) => {
                    eprintln!("{}: {e}", f.display());
                    failed = true;
                }
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        if checked > 0 {
            println!("{checked} model file(s) valid");
        }
        ExitCode::SUCCESS
    }
}
