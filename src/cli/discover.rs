//! `loopback discover`: tables of a SQL database as LoopBack 3 model definitions (JSON) or
//! Rust `#[derive(Model)]` structs, through the connectors' discovery API.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{ArgGroup, Args, ValueEnum};
use loopback::connectors::{discovery, discovery_of, DiscoverOptions};
use loopback::{Connector, ModelDefinition};
use serde_json::{json, Value as Json};

use super::failure;

/// Discover models from a database: list its tables, or generate LoopBack 3 model definitions
/// (JSON, as `common/models/*.json`) or Rust `#[derive(Model)]` structs for them.
///
/// The database is given by URL (`--url postgres://user@host/db`, `mysql://user@host/db`,
/// `sqlite:path/to/app.db`), as an entry of a LoopBack 3 `datasources.json`
/// (`--datasource server/datasources.json --name db`), or as a data source of an application
/// folder (`--app DIR --name db`: its datasources.json with the .local and .{env} overrides,
/// as `serve` reads it). Without `--tables`, every table of the schema is discovered.
///
/// With `--app`, the models are added to the application: one JSON file each in
/// DIR/common/models (existing files are kept unless --force), and an entry each in
/// DIR/server/model-config.json attached to the data source (`"public": true`; entries
/// already there are left as they are).
///
/// Examples:
///   loopback discover --url sqlite:app.db --list
///   loopback discover --url postgres://app@localhost/shop --schema public --relations --out common/models
///   loopback discover --datasource server/datasources.json --name db --tables book,author --format rust
///   loopback discover --app . --name db --relations
#[derive(Debug, Args)]
#[command(
    about = "Discover models from a database: list its tables, or generate LB3 model JSON or \
             Rust structs for them",
    group(ArgGroup::new("source").required(true).args(["url", "datasource", "app"])),
    group(ArgGroup::new("named").args(["datasource", "app"])),
    verbatim_doc_comment
)]
pub struct DiscoverArgs {
    /// The database: postgres://…, postgresql://…, mysql://… or sqlite:PATH (an existing file,
    /// opened read-only; sqlite::memory: for an empty one).
    #[arg(long, value_name = "URL")]
    url: Option<String>,

    /// A LoopBack 3 datasources.json file (with --name).
    #[arg(long, value_name = "FILE", requires = "name")]
    datasource: Option<PathBuf>,

    /// An application folder (the project folder, or its server/ folder): connect with its
    /// data source --name, and add the discovered models to it.
    #[arg(long, value_name = "DIR", requires = "name", conflicts_with_all = ["out", "format"])]
    app: Option<PathBuf>,

    /// The data source of --datasource or --app to connect with.
    #[arg(long, value_name = "NAME", requires = "named")]
    name: Option<String>,

    /// With --app: the environment choosing the .{env} override files (default: NODE_ENV,
    /// else `development`).
    #[arg(long, value_name = "ENV", requires = "app")]
    env: Option<String>,

    /// With --app: replace model files that already exist in common/models.
    #[arg(long, requires = "app")]
    force: bool,

    /// Print the tables (name, kind, schema; tab-separated) instead of generating models.
    #[arg(long, conflicts_with_all = ["tables", "relations", "has_many", "format", "out"])]
    list: bool,

    /// Only these tables (comma-separated, as the database names them); default every table.
    #[arg(long, value_delimiter = ',', value_name = "TABLE,...")]
    tables: Vec<String>,

    /// The schema (PostgreSQL) or database (MySQL) to read; default the connection's own.
    #[arg(long, visible_alias = "owner", value_name = "SCHEMA")]
    schema: Option<String>,

    /// Add a belongsTo relation per foreign key, and discover the tables they reference too.
    #[arg(long)]
    relations: bool,

    /// Add a hasMany relation per foreign key of another table referencing the table.
    #[arg(long)]
    has_many: bool,

    /// Include views.
    #[arg(long)]
    views: bool,

    /// What to generate: LB3 model JSON or Rust source.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,

    /// Write one file per model into DIR (book-author.json, or book_author.rs with
    /// --format rust), creating DIR; default: print to stdout (one JSON object for one model,
    /// an array for several).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Output format of `discover`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// LoopBack 3 model definition JSON.
    Json,
    /// A Rust `#[derive(Model)]` struct per model.
    Rust,
}

/// Runs `discover`.
pub async fn run(args: DiscoverArgs) -> ExitCode {
    match discover(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => failure(e),
    }
}

async fn discover(args: &DiscoverArgs) -> Result<(), String> {
    let mut app_folder = None;
    let (settings, label) = match (&args.url, &args.datasource, &args.app, &args.name) {
        (Some(url), _, _, _) => (url_settings(url)?, redact(url)),
        (None, Some(file), _, Some(name)) => (
            datasource_settings(file, name)?,
            format!("data source `{name}` of {}", file.display()),
        ),
        (None, None, Some(dir), Some(name)) => {
            let (settings, folder) = app_settings(dir, name, args.env.as_deref())?;
            app_folder = Some(folder);
            (
                settings,
                format!("data source `{name}` of {}", dir.display()),
            )
        }
        _ => return Err("give --url, or --datasource or --app with --name".into()),
    };
    let connector: Arc<dyn Connector> =
        loopback::connectors::from_settings(&settings).map_err(|e| format!("{label}: {e}"))?;
    let db = discovery_of(&*connector).ok_or_else(|| {
        format!(
            "{label}: the `{}` connector cannot be discovered; discover reads SQL databases \
             (sqlite3, postgresql, mysql)",
            connector.name()
        )
    })?;
    let options = DiscoverOptions {
        owner: args.schema.clone(),
        views: args.views,
        relations: args.relations,
        has_many: args.has_many,
        ..DiscoverOptions::default()
    };
    let at = |e: loopback::Error| format!("{label}: {e}");

    if args.list {
        let tables = db.discover_model_definitions(&options).await.map_err(at)?;
        for t in tables {
            println!("{}\t{}\t{}", t.name, t.kind, t.owner);
        }
        return Ok(());
    }

    let tables: Vec<String> = if args.tables.is_empty() {
        let all = db.discover_model_definitions(&options).await.map_err(at)?;
        if all.is_empty() {
            return Err(format!(
                "{label}: no tables{} in {}",
                if args.views { " or views" } else { "" },
                args.schema
                    .as_deref()
                    .map_or_else(|| "the current schema".to_owned(), |s| format!("`{s}`"))
            ));
        }
        all.into_iter().map(|t| t.name).collect()
    } else {
        args.tables
            .iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect()
    };

    let mut models: Vec<(String, ModelDefinition)> = Vec::new();
    for table in &tables {
        let found = db
            .discover_schemas(table, &options)
            .await
            .map_err(|e| format!("{label}: table `{table}`: {e}"))?;
        for (key, def) in found {
            if !models.iter().any(|(k, _)| *k == key) {
                models.push((key, def));
            }
        }
    }
    let connector_name = db.discovery_dialect().name();
    let rendered: Vec<(String, String)> = models
        .iter()
        .map(|(_, def)| match args.format {
            Format::Json => (
                format!("{}.json", file_stem(&def.name)),
                pretty(&def.to_lb3_json()),
            ),
            Format::Rust => (
                format!("{}.rs", file_stem(&def.name).replace('-', "_")),
                discovery::model_source(def, connector_name),
            ),
        })
        .collect();

    if let (Some(folder), Some(name)) = (&app_folder, &args.name) {
        return add_to_app(folder, name, args.force, &models, &rendered);
    }
    match &args.out {
        Some(dir) => write_files(dir, &models, &rendered),
        None => {
            match args.format {
                Format::Json if models.len() == 1 => print!("{}", rendered[0].1),
                Format::Json => {
                    let all: Vec<Json> = models.iter().map(|(_, d)| d.to_lb3_json()).collect();
                    print!("{}", pretty(&Json::Array(all)));
                }
                Format::Rust => {
                    let sources: Vec<&str> = rendered.iter().map(|(_, s)| s.as_str()).collect();
                    print!("{}", sources.join("\n"));
                }
            }
            Ok(())
        }
    }
}

/// Refuses two models whose files would have the same name.
fn distinct_files(
    models: &[(String, ModelDefinition)],
    rendered: &[(String, String)],
) -> Result<(), String> {
    for (i, (file, _)) in rendered.iter().enumerate() {
        if let Some(j) = rendered[..i].iter().position(|(f, _)| f == file) {
            return Err(format!(
                "models {} and {} would both be written to {file}; discover them separately \
                 (--tables)",
                models[j].0, models[i].0
            ));
        }
    }
    Ok(())
}

fn write_files(
    dir: &Path,
    models: &[(String, ModelDefinition)],
    rendered: &[(String, String)],
) -> Result<(), String> {
    distinct_files(models, rendered)?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for ((file, text), (key, def)) in rendered.iter().zip(models) {
        let path = dir.join(file);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("{}: model {} (table {key})", path.display(), def.name);
    }
    Ok(())
}

/// Where `--app` writes: the project folder's `common/models` and `server/model-config.json`.
struct AppFolder {
    models: PathBuf,
    model_config: PathBuf,
}

/// The settings of data source `name` of the application folder `dir`, read as `serve`
/// reads them (overrides merged, `${VAR}` filled in); a SQLite file must exist and is
/// opened read-only.
fn app_settings(dir: &Path, name: &str, env: Option<&str>) -> Result<(Json, AppFolder), String> {
    let options = match env {
        Some(e) => loopback::boot::BootOptions::new().env(e),
        None => loopback::boot::BootOptions::new(),
    };
    let sources = loopback::boot::data_sources(dir, &options).map_err(|e| match e {
        loopback::Error::Boot(b) => b
            .problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\nerror: "),
        other => format!("{}: {other}", dir.display()),
    })?;
    let file = sources.server_dir().join("datasources.json");
    let Some(entry) = sources.entries().get(name) else {
        return Err(no_such_source(
            &file,
            name,
            "the application defines",
            sources.entries().keys(),
        ));
    };
    let entry = sqlite_read_only(entry.clone(), &file, name)?;
    let folder = AppFolder {
        models: sources.root().join("common").join("models"),
        model_config: sources.server_dir().join("model-config.json"),
    };
    Ok((entry, folder))
}

/// Writes the model files into the application's `common/models` (keeping existing ones
/// unless `force`) and registers the models in its `model-config.json`.
fn add_to_app(
    folder: &AppFolder,
    data_source: &str,
    force: bool,
    models: &[(String, ModelDefinition)],
    rendered: &[(String, String)],
) -> Result<(), String> {
    let config_path = &folder.model_config;
    let mut config = read_json(config_path)?;
    let Some(entries) = config.as_object_mut() else {
        return Err(format!(
            "{}: expected an object of model entries",
            config_path.display()
        ));
    };
    let sources_models = entries
        .get("_meta")
        .and_then(|m| m.get("sources"))
        .and_then(Json::as_array)
        .map_or(true, |s| {
            s.iter()
                .filter_map(Json::as_str)
                .any(|s| s.trim_end_matches('/') == "../common/models")
        });
    distinct_files(models, rendered)?;
    std::fs::create_dir_all(&folder.models)
        .map_err(|e| format!("{}: {e}", folder.models.display()))?;
    let mut skipped = Vec::new();
    let mut registered = Vec::new();
    for ((file, text), (key, def)) in rendered.iter().zip(models) {
        let path = folder.models.join(file);
        let exists = path.exists();
        if exists && !force {
            // The file there may define another model: only register it when it is this one.
            let same = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| serde_json::from_str::<Json>(&t).ok())
                .is_some_and(|j| j.get("name").and_then(Json::as_str) == Some(def.name.as_str()));
            println!(
                "{}: exists, kept (model {}, table {key}); --force replaces it",
                path.display(),
                def.name
            );
            skipped.push(path.display().to_string());
            if !same {
                continue;
            }
        } else {
            std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
            println!(
                "{}: model {} (table {key}){}",
                path.display(),
                def.name,
                if exists { ", replaced" } else { "" }
            );
        }
        if entries.contains_key(&def.name) {
            println!(
                "{}: {} is already configured; its entry is left as it is",
                config_path.display(),
                def.name
            );
        } else {
            entries.insert(
                def.name.clone(),
                json!({"dataSource": data_source, "public": true}),
            );
            registered.push(def.name.clone());
        }
    }
    if !registered.is_empty() {
        std::fs::write(config_path, pretty(&config))
            .map_err(|e| format!("{}: {e}", config_path.display()))?;
        println!(
            "{}: added {} (dataSource {data_source}, public)",
            config_path.display(),
            registered.join(", ")
        );
    }
    if !skipped.is_empty() {
        eprintln!(
            "note: {} file(s) already existed and were kept: {}; use --force to replace them",
            skipped.len(),
            skipped.join(", ")
        );
    }
    if !sources_models {
        eprintln!(
            "warning: {}: `_meta.sources` does not list \"../common/models\", so boot does not \
             find the models written there; add it",
            config_path.display()
        );
    }
    Ok(())
}

fn pretty(json: &Json) -> String {
    let mut s = serde_json::to_string_pretty(json).unwrap_or_default();
    s.push('\n');
    s
}

/// The file name `lb model` gives a model, without extension: the name in lower case with
/// dashes between words (`BookAuthor` → `book-author`, `HTTPLog` → `http-log`).
pub fn file_stem(model: &str) -> String {
    let chars: Vec<char> = model.chars().collect();
    let mut out = String::with_capacity(model.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
            continue;
        }
        if c.is_uppercase() && i > 0 && !out.is_empty() && !out.ends_with('-') {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                out.push('-');
            }
        }
        out.extend(c.to_lowercase());
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        "model".to_owned()
    } else {
        out
    }
}

/// Data source settings for a `--url`.
fn url_settings(url: &str) -> Result<Json, String> {
    let Some((scheme, rest)) = url.split_once(':') else {
        return Err(format!(
            "`{url}` is not a database URL; expected postgres://…, mysql://… or sqlite:PATH"
        ));
    };
    match scheme.to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" => Ok(json!({"connector": "postgresql", "url": url})),
        "mysql" => Ok(json!({"connector": "mysql", "url": url})),
        "sqlite" | "sqlite3" => {
            if rest.contains('?') {
                return Ok(json!({"connector": "sqlite3", "url": format!("sqlite:{rest}")}));
            }
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() || path == ":memory:" {
                return Ok(json!({"connector": "sqlite3", "file": ":memory:"}));
            }
            sqlite_file(path)?;
            Ok(json!({"connector": "sqlite3", "file": path, "readonly": true}))
        }
        other => Err(format!(
            "unknown connector `{other}` in `{}`; expected a postgres://, postgresql://, \
             mysql:// or sqlite: URL",
            redact(url)
        )),
    }
}

/// A SQLite database file must exist: discovery never creates one.
fn sqlite_file(path: &str) -> Result<(), String> {
    if Path::new(path).is_file() {
        Ok(())
    } else {
        Err(format!("{path}: no such SQLite database file"))
    }
}

/// The JSON of `file`, or a message naming the file (and the line and column of bad JSON).
fn read_json(file: &Path) -> Result<Json, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}: invalid JSON at line {} column {}: {e}",
            file.display(),
            e.line(),
            e.column()
        )
    })
}

/// The settings of entry `name` of a LoopBack 3 `datasources.json`.
fn datasource_settings(file: &Path, name: &str) -> Result<Json, String> {
    let json = read_json(file)?;
    let Some(all) = json.as_object() else {
        return Err(format!(
            "{}: expected an object of data sources",
            file.display()
        ));
    };
    let Some(entry) = all.get(name) else {
        return Err(no_such_source(file, name, "it defines", all.keys()));
    };
    sqlite_read_only(entry.clone(), file, name)
}

/// The error for a data source `name` that `file` lacks, listing the ones it has.
fn no_such_source<'a>(
    file: &Path,
    name: &str,
    defines: &str,
    names: impl Iterator<Item = &'a String>,
) -> String {
    let names: Vec<&str> = names.map(String::as_str).collect();
    let listed = if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    };
    format!(
        "{}: no data source `{name}`; {defines} {listed}",
        file.display()
    )
}

/// A SQLite data source's file must exist, and is opened read-only.
fn sqlite_read_only(mut entry: Json, file: &Path, name: &str) -> Result<Json, String> {
    let is_sqlite = entry
        .get("connector")
        .and_then(Json::as_str)
        .is_some_and(|c| matches!(c, "sqlite3" | "sqlite" | "loopback-connector-sqlite3"));
    if let (true, Some(obj)) = (is_sqlite, entry.as_object_mut()) {
        let path = obj
            .get("file")
            .or_else(|| obj.get("database"))
            .and_then(Json::as_str)
            .map(str::to_owned);
        if let Some(path) = path.filter(|p| p != ":memory:") {
            sqlite_file(&path).map_err(|e| format!("{}: `{name}.file`: {e}", file.display()))?;
            obj.entry("readonly").or_insert(Json::Bool(true));
        }
    }
    Ok(entry)
}

/// A URL without its password, for messages.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (auth, host) = match rest.rsplit_once('@') {
        Some((auth, host)) => (auth, host),
        None => return url.to_owned(),
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_dasherized_as_lb_model_does() {
        assert_eq!(file_stem("BookAuthor"), "book-author");
        assert_eq!(file_stem("Book"), "book");
        assert_eq!(file_stem("HTTPLog"), "http-log");
        assert_eq!(file_stem("Order2Item"), "order2-item");
        assert_eq!(file_stem("my_model"), "my-model");
        assert_eq!(file_stem("Inventory"), "inventory");
    }

    #[test]
    fn urls_name_their_connector() {
        assert_eq!(
            url_settings("postgres://u@h/db").unwrap()["connector"],
            "postgresql"
        );
        assert_eq!(
            url_settings("mysql://u@h/db").unwrap()["connector"],
            "mysql"
        );
        assert_eq!(url_settings("sqlite::memory:").unwrap()["file"], ":memory:");
        assert!(url_settings("oracle://h/db")
            .unwrap_err()
            .contains("unknown connector `oracle`"));
        assert!(url_settings("sqlite:/nowhere/x.db")
            .unwrap_err()
            .contains("no such SQLite database file"));
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
    }
}
