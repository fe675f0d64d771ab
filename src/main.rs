//! The `loopback` command line.
//!
//! Today it checks LoopBack 3 model definition files: `loopback check PATH...` reads each model
//! JSON file (or every `*.json` under `common/models` and `server/models` of an application
//! folder) and reports each problem with its file and key path.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use loopback::ModelDefinition;

const USAGE: &str = "\
loopback — LoopBack 3 applications on Rust

USAGE:
    loopback check PATH...    check LB3 model JSON files, or the models of an application folder
    loopback --version        print the version
    loopback --help           print this help

EXIT CODES:
    0 every file is valid, 1 some file is invalid, 2 usage error";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--version" | "-V") => {
            println!("loopback {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some("--help" | "-h") | None => {
            println!("{USAGE}");
            if args.is_empty() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            }
        }
        Some("check") if args.len() > 1 => check(&args[1..]),
        Some(other) => {
            eprintln!("error: unknown command or missing argument `{other}`\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
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

fn check(paths: &[String]) -> ExitCode {
    let mut failed = false;
    let mut checked = 0;
    for p in paths {
        let files = match model_files(Path::new(p)) {
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
        println!("{checked} model file(s) valid");
        ExitCode::SUCCESS
    }
}
