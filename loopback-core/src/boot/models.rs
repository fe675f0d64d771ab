//! Models: `model-config.json` with `_meta.sources` and `_meta.mixins`, the model files of
//! those sources, LB3's per-app overrides (`options`, `relations`, `acls`, `methods`), and
//! definition in base-before-derived order.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::{Map, Value as Json};

use super::config::{self, JsonFile};
use super::{BootOptions, BootProblem, BootWarning, Problems};
use crate::app::App;
use crate::auth::{builtin_definition, BuiltinKind};
use crate::error::Error;
use crate::model::ModelDefinition;

/// A model boot defines, with what `model-config.json` says of it.
#[derive(Debug, Clone)]
pub struct PlannedModel {
    /// The model name.
    pub name: String,
    /// The definition, with the `model-config.json` overrides applied (and, for a base model
    /// that is not attached itself, merged into the models extending it).
    pub definition: ModelDefinition,
    /// The model file, or `None` for a built-in model.
    pub file: Option<PathBuf>,
    /// The data source it is attached to; `None` when it is not attached (only a base, or
    /// `dataSource: null`).
    pub data_source: Option<String>,
    /// Exposed over REST (`public`, default true).
    pub public: bool,
}

/// A model definition found in a source folder (or built in).
#[derive(Debug, Clone)]
struct Found {
    json: Json,
    file: Option<JsonFile>,
    builtin: bool,
}

const ABSTRACT_BASES: &[&str] = &["Model", "PersistedModel", "KeyValueModel"];

/// LB3's model name for a file with no `name`: `book-author.json` is `BookAuthor`.
fn classify(base: &str) -> String {
    base.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|s| !s.is_empty())
        .map(|s| {
            let mut c = s.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

fn is_builtin_source(src: &str) -> bool {
    let s = src
        .trim_start_matches("./")
        .trim_start_matches("node_modules/");
    matches!(
        s.trim_end_matches('/'),
        "loopback/common/models" | "loopback/server/models"
    )
}

/// Resolves a `_meta.sources` entry as loopback-boot does: absolute; `./` or `../` relative
/// to `server/`; otherwise relative to `server/`, then under `node_modules`.
fn resolve_source(root: &Path, server: &Path, src: &str) -> Option<PathBuf> {
    resolve_source_raw(root, server, src).map(|p| super::clean_path(&p))
}

fn resolve_source_raw(root: &Path, server: &Path, src: &str) -> Option<PathBuf> {
    let p = Path::new(src);
    if p.is_absolute() {
        return p.is_dir().then(|| p.to_owned());
    }
    let rel = server.join(p);
    if rel.is_dir() {
        return Some(rel);
    }
    if src.starts_with("./") || src.starts_with("..") {
        return None;
    }
    [
        server.join("node_modules").join(p),
        root.join("node_modules").join(p),
    ]
    .into_iter()
    .find(|d| d.is_dir())
}

#[allow(clippy::too_many_arguments)]
pub(super) fn plan(
    root: &Path,
    server: &Path,
    env: &str,
    data_sources: &IndexMap<String, Json>,
    options: &BootOptions,
    problems: &mut Problems,
    warnings: &mut Vec<BootWarning>,
) -> Vec<PlannedModel> {
    let Some((config_file, merged)) = config::load_named(
        server,
        "model-config",
        env,
        config::merge_objects,
        problems,
        warnings,
    ) else {
        if !server.join("model-config.json").is_file() {
            problems.push(BootProblem::in_file(
                &server.join("model-config.json"),
                "missing: an application folder needs server/model-config.json",
            ));
        }
        return Vec::new();
    };
    let Json::Object(mut entries) = merged else {
        return Vec::new();
    };
    let meta = entries.shift_remove("_meta").unwrap_or(Json::Null);
    // `_meta.sources` and `_meta.mixins`: lists of folders, with loopback-boot's defaults.
    let mut folders = |key: &str, default: &str| -> Vec<String> {
        let Some(v) = meta.get(key) else {
            return vec![default.to_owned()];
        };
        match v
            .as_array()
            .and_then(|a| a.iter().map(Json::as_str).collect::<Option<Vec<_>>>())
        {
            Some(list) => list.into_iter().map(str::to_owned).collect(),
            None => {
                problems.push(
                    config_file
                        .problem(&format!("_meta.{key}"), "must be an array of folder paths"),
                );
                Vec::new()
            }
        }
    };
    let sources = folders("sources", "./models");
    let mixin_sources = folders("mixins", "./mixins");

    // The 1.x format is refused, as loopback-boot does.
    for (name, entry) in &entries {
        let Some(obj) = entry.as_object() else {
            problems.push(config_file.problem(name, "a model entry must be a JSON object"));
            continue;
        };
        let opts = obj.get("options");
        let old = ["properties", "base", "plural"]
            .iter()
            .any(|k| obj.contains_key(*k))
            || ["base", "plural"]
                .iter()
                .any(|k| opts.and_then(|o| o.get(*k)).is_some());
        if old {
            problems.push(config_file.problem(
                name,
                "The data in model-config.json is in the unsupported 1.x format.",
            ));
        }
    }

    // The registry of definitions: later sources win, as in loopback-boot.
    let mut registry: IndexMap<String, Found> = IndexMap::new();
    for src in &sources {
        if is_builtin_source(src) {
            if src.contains("common") {
                for kind in [
                    BuiltinKind::User,
                    BuiltinKind::AccessToken,
                    BuiltinKind::Acl,
                    BuiltinKind::RoleMapping,
                    BuiltinKind::Role,
                    BuiltinKind::Application,
                ] {
                    registry.insert(
                        kind.name().to_owned(),
                        Found {
                            json: builtin_definition(kind).to_lb3_json(),
                            file: None,
                            builtin: true,
                        },
                    );
                }
            }
            continue;
        }
        let Some(dir) = resolve_source(root, server, src) else {
            continue;
        };
        let Ok(read) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = read.flatten().map(|e| e.path()).collect();
        files.sort();
        for path in files {
            let fname = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            if fname.starts_with('_') || path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let file = match config::read_json(&path) {
                Ok(Some(f)) => f,
                Ok(None) => continue,
                Err(p) => {
                    problems.push(p);
                    continue;
                }
            };
            let Json::Object(mut obj) = file.value.clone() else {
                problems.push(file.problem("", "a model definition must be a JSON object"));
                continue;
            };
            let name = match obj.get("name") {
                Some(Json::String(n)) if !n.is_empty() => n.clone(),
                Some(_) => {
                    problems.push(file.problem("name", "`name` must be a non-empty string"));
                    continue;
                }
                None => {
                    let stem = path
                        .file_stem()
                        .and_then(|s| s.to_str())
                        .unwrap_or_default();
                    let n = classify(stem);
                    obj.insert("name".into(), Json::String(n.clone()));
                    n
                }
            };
            registry.insert(
                name,
                Found {
                    json: Json::Object(obj),
                    file: Some(file),
                    builtin: false,
                },
            );
        }
    }

    // The models to build: those configured, plus their bases found in the registry.
    let mut names: Vec<String> = entries.keys().cloned().collect();
    let mut i = 0;
    while i < names.len() {
        if let Some(base) = registry.get(&names[i]).and_then(|f| base_of(&f.json)) {
            if registry.contains_key(&base) && !names.contains(&base) {
                names.push(base);
            }
        }
        i += 1;
    }

    let mixin_dirs: Vec<PathBuf> = mixin_sources
        .iter()
        .filter(|s| !s.starts_with("loopback/"))
        .filter_map(|s| resolve_source(root, server, s))
        .collect();

    let mut planned: Vec<PlannedModel> = Vec::new();
    let mut seen_js = HashSet::new();
    for name in &names {
        let entry = entries.get(name).and_then(Json::as_object);
        let builtin;
        let found = match (registry.get(name), BuiltinKind::from_name(name), entry) {
            (Some(found), _, _) => found,
            // A built-in configured without `loopback/common/models` in the sources.
            (None, Some(kind), Some(_)) => {
                builtin = Found {
                    json: builtin_definition(kind).to_lb3_json(),
                    file: None,
                    builtin: true,
                };
                &builtin
            }
            (None, _, _) => {
                problems.push(
                    config_file.problem(name, format!("Cannot configure unknown model {name}")),
                );
                continue;
            }
        };
        if let Some(f) = &found.file {
            model_script(&f.path, name, options, warnings, &mut seen_js);
        }
        if let Some(p) = plan_one(
            name,
            found,
            entry,
            &config_file,
            data_sources,
            options,
            problems,
            warnings,
        ) {
            planned.push(p);
        }
    }

    // Bases and relation targets must be known; mixins must be available.
    let known: HashSet<&str> = planned.iter().map(|p| p.name.as_str()).collect();
    for p in &planned {
        let at = |key: &str, msg: String| match registry.get(&p.name).and_then(|f| f.file.as_ref())
        {
            Some(f) => f.problem(key, msg),
            None => config_file.problem(&p.name, msg),
        };
        if let Some(b) = &p.definition.base {
            if !ABSTRACT_BASES.contains(&b.as_str())
                && !known.contains(b.as_str())
                && BuiltinKind::from_name(b).is_none()
            {
                problems.push(at("base", format!("unknown base model `{b}`")));
            }
        }
        let builtin = registry.get(&p.name).is_some_and(|f| f.builtin);
        for (rname, r) in &p.definition.relations {
            for (key, target) in [("model", &r.model), ("through", &r.through)] {
                let Some(t) = target.as_deref().filter(|t| !t.is_empty()) else {
                    continue;
                };
                if known.contains(t) || (key == "model" && r.polymorphic.is_some()) {
                    continue;
                }
                let msg = format!("relation `{rname}` names unknown model `{t}`");
                if builtin || p.data_source.is_none() {
                    warnings.push(BootWarning::new(
                        None,
                        format!("{}: {msg}; the relation is not usable", p.name),
                    ));
                } else {
                    problems.push(at(&format!("relations.{rname}.{key}"), msg));
                }
            }
        }
        for mixin in p.definition.mixins.keys() {
            if options.mixins.contains_key(mixin) {
                continue;
            }
            match find_mixin(&mixin_dirs, mixin) {
                Some(js) => warnings.push(BootWarning::not_run(
                    &js,
                    &format!("JavaScript mixin `{mixin}` (not applied to {})", p.name),
                    format!("register a Rust mixin with BootOptions::mixin(\"{mixin}\", ...)"),
                )),
                None => problems.push(at(
                    &format!("mixins.{mixin}"),
                    format!("unknown mixin `{mixin}`"),
                )),
            }
        }
    }
    for name in options.model_setup.keys() {
        if !known.contains(name.as_str()) {
            problems.push(BootProblem::new(format!(
                "BootOptions::model names `{name}`, which this application does not define"
            )));
        }
    }

    verify_templates(
        root,
        &mut planned,
        &registry,
        &entries,
        &config_file,
        problems,
    );
    merge_unattached_bases(&mut planned);
    sort_by_inheritance(planned)
}

/// The EJS `verifyOptions.template` of user models: a relative path is the application
/// folder's (LB3 resolves it from the current directory, which is that folder when the app
/// is started with `node .`), made absolute in the settings; each template is read and
/// parsed now, so one that cannot be rendered is a boot problem rather than a failed email.
fn verify_templates(
    root: &Path,
    planned: &mut [PlannedModel],
    registry: &IndexMap<String, Found>,
    entries: &Map<String, Json>,
    config_file: &JsonFile,
    problems: &mut Problems,
) {
    for p in planned {
        let in_options = p.definition.options.contains_key("verifyOptions");
        let settings = if in_options {
            &mut p.definition.options
        } else {
            &mut p.definition.extra
        };
        let Some(Json::Object(verify)) = settings.get_mut("verifyOptions") else {
            continue;
        };
        let Some(template) = verify.get("template").filter(|t| !t.is_null()) else {
            continue;
        };
        let from_config = entries
            .get(&p.name)
            .and_then(|e| e.get("options"))
            .and_then(|o| o.get("verifyOptions"))
            .and_then(|v| v.get("template"))
            .is_some();
        let problem = |message: String| match registry.get(&p.name).and_then(|f| f.file.as_ref()) {
            Some(f) if !from_config => {
                let key = if in_options {
                    "options.verifyOptions.template"
                } else {
                    "verifyOptions.template"
                };
                f.problem(key, message)
            }
            _ => config_file.problem(
                &format!("{}.options.verifyOptions.template", p.name),
                message,
            ),
        };
        let Some(t) = template.as_str().filter(|t| !t.is_empty()) else {
            problems.push(problem(
                "`verifyOptions.template` must be the path of an EJS template file".into(),
            ));
            continue;
        };
        let path = super::clean_path(&std::path::absolute(root.join(t)).unwrap_or(root.join(t)));
        match crate::mail::EjsTemplate::from_file(&path) {
            Ok(_) => {
                verify.insert(
                    "template".into(),
                    Json::String(path.to_string_lossy().into_owned()),
                );
            }
            Err(e) => problems.push(problem(format!("the verification email template {e}"))),
        }
    }
}

/// `base` (or `options.base`) of a model definition's JSON.
fn base_of(json: &Json) -> Option<String> {
    json.get("base")
        .or_else(|| json.get("options").and_then(|o| o.get("base")))
        .and_then(Json::as_str)
        .map(str::to_owned)
}

fn find_mixin(dirs: &[PathBuf], name: &str) -> Option<PathBuf> {
    for d in dirs {
        let Ok(read) = std::fs::read_dir(d) else {
            continue;
        };
        for e in read.flatten() {
            let p = e.path();
            let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            if p.extension().and_then(|e| e.to_str()) == Some("js") && classify(stem) == name {
                return Some(p);
            }
        }
    }
    None
}

/// Warns about the JavaScript file beside a model definition, unless Rust code is
/// registered for the model.
fn model_script(
    json_path: &Path,
    name: &str,
    options: &BootOptions,
    warnings: &mut Vec<BootWarning>,
    seen: &mut HashSet<PathBuf>,
) {
    let js = json_path.with_extension("js");
    if js.is_file() && !options.model_setup.contains_key(name) && seen.insert(js.clone()) {
        warnings.push(BootWarning::not_run(
            &js,
            &format!("JavaScript model script of {name}"),
            format!("attach Rust code with BootOptions::model(\"{name}\", ...)"),
        ));
    }
}

/// Applies `model-config.json`'s entry to a definition and checks its data source.
#[allow(clippy::too_many_arguments)]
fn plan_one(
    name: &str,
    found: &Found,
    entry: Option<&Map<String, Json>>,
    config_file: &JsonFile,
    data_sources: &IndexMap<String, Json>,
    options: &BootOptions,
    problems: &mut Problems,
    warnings: &mut Vec<BootWarning>,
) -> Option<PlannedModel> {
    let mut json = found.json.clone();
    let mut data_source = None;
    let mut public = true;
    if let Some(entry) = entry {
        match entry.get("dataSource") {
            Some(Json::String(ds)) => {
                if data_sources.contains_key(ds) || options.data_sources.contains_key(ds) {
                    data_source = Some(ds.clone());
                } else {
                    problems.push(config_file.problem(
                        &format!("{name}.dataSource"),
                        format!("{name} is referencing a dataSource that does not exist: \"{ds}\""),
                    ));
                }
            }
            None => warnings.push(BootWarning::new(
                Some(&config_file.path),
                format!("model \"{name}\" is not attached to any DataSource by configuration"),
            )),
            Some(Json::Null | Json::Bool(false)) => {}
            Some(_) => problems.push(config_file.problem(
                &format!("{name}.dataSource"),
                "`dataSource` must be a data source name, null or false",
            )),
        }
        match entry.get("public") {
            None => {}
            Some(Json::Bool(b)) => public = *b,
            Some(_) => problems.push(
                config_file.problem(&format!("{name}.public"), "`public` must be true or false"),
            ),
        }
        apply_overrides(name, &mut json, entry, config_file, problems, warnings);
    }
    let definition = match ModelDefinition::from_lb3_json(&json) {
        Ok(d) => d,
        Err(e) => {
            let (key, message) = match e {
                Error::InvalidDefinition { path, message } => {
                    let key = path
                        .strip_prefix(&format!("{name}."))
                        .map(str::to_owned)
                        .unwrap_or_default();
                    (key, message)
                }
                other => (String::new(), other.to_string()),
            };
            problems.push(match &found.file {
                Some(f) => f.problem(&key, message),
                None => config_file.problem(name, message),
            });
            return None;
        }
    };
    Some(PlannedModel {
        name: name.to_owned(),
        definition,
        file: found.file.as_ref().map(|f| f.path.clone()),
        data_source,
        public,
    })
}

/// LB3's `configureModel`: `options` into the settings (except the keys it refuses),
/// `relations` merged per relation, each ACL replacing the one with the same property,
/// access type and principal or appended, `methods` added.
fn apply_overrides(
    name: &str,
    json: &mut Json,
    entry: &Map<String, Json>,
    config_file: &JsonFile,
    problems: &mut Problems,
    warnings: &mut Vec<BootWarning>,
) {
    let Json::Object(def) = json else {
        return;
    };
    for (key, v) in entry {
        match key.as_str() {
            "dataSource" | "public" => {}
            "options" => {
                let Some(o) = v.as_object() else {
                    problems.push(
                        config_file
                            .problem(&format!("{name}.options"), "`options` must be an object"),
                    );
                    continue;
                };
                for (k, ov) in o {
                    if matches!(
                        k.as_str(),
                        "base" | "super" | "relations" | "acls" | "dataSource"
                    ) {
                        warnings.push(BootWarning::new(
                            Some(&config_file.path),
                            format!("`{name}.options.{k}` is ignored: it cannot be set from model-config.json"),
                        ));
                        continue;
                    }
                    // Model settings live at the top level of the definition.
                    def.insert(k.clone(), ov.clone());
                }
            }
            "relations" => {
                let Some(o) = v.as_object() else {
                    problems.push(config_file.problem(
                        &format!("{name}.relations"),
                        "`relations` must be an object",
                    ));
                    continue;
                };
                let rels = def
                    .entry("relations")
                    .or_insert_with(|| Json::Object(Map::new()));
                if let Json::Object(rels) = rels {
                    for (rname, r) in o {
                        match (rels.get_mut(rname), r) {
                            (Some(Json::Object(old)), Json::Object(new)) => {
                                for (k, x) in new {
                                    old.insert(k.clone(), x.clone());
                                }
                            }
                            _ => {
                                rels.insert(rname.clone(), r.clone());
                            }
                        }
                    }
                }
            }
            "acls" => {
                let Some(a) = v.as_array() else {
                    problems.push(
                        config_file.problem(&format!("{name}.acls"), "`acls` must be an array"),
                    );
                    continue;
                };
                let acls = def.entry("acls").or_insert_with(|| Json::Array(Vec::new()));
                if let Json::Array(acls) = acls {
                    for acl in a {
                        let same = |x: &Json| {
                            ["property", "accessType", "principalType", "principalId"]
                                .iter()
                                .all(|k| x.get(*k) == acl.get(*k))
                        };
                        match acls.iter_mut().find(|x| same(x)) {
                            Some(x) => *x = acl.clone(),
                            None => acls.push(acl.clone()),
                        }
                    }
                }
            }
            "methods" => {
                let Some(o) = v.as_object() else {
                    problems.push(
                        config_file
                            .problem(&format!("{name}.methods"), "`methods` must be an object"),
                    );
                    continue;
                };
                let methods = def
                    .entry("methods")
                    .or_insert_with(|| Json::Object(Map::new()));
                if let Json::Object(m) = methods {
                    for (k, x) in o {
                        m.insert(k.clone(), x.clone());
                    }
                }
            }
            other => warnings.push(BootWarning::new(
                Some(&config_file.path),
                format!("`{name}.{other}` is not a model-config.json key; ignored"),
            )),
        }
    }
}

/// A model extending a model that is not attached itself (an abstract base of the app)
/// gets that base's definition merged in, so only attached models reach the registry.
fn merge_unattached_bases(planned: &mut [PlannedModel]) {
    // Built-in bases (`User`) are left to `App::define`, which gives the model the
    // built-in's behaviour, not only its definition.
    let unattached: HashMap<String, ModelDefinition> = planned
        .iter()
        .filter(|p| p.data_source.is_none() && p.file.is_some())
        .map(|p| (p.name.clone(), p.definition.clone()))
        .collect();
    for p in planned.iter_mut().filter(|p| p.data_source.is_some()) {
        let mut guard = 0;
        while let Some(base) = p.definition.base.clone().and_then(|b| unattached.get(&b)) {
            guard += 1;
            if guard > 32 {
                break;
            }
            p.definition.inherit_from(base);
            p.definition.base = base.base.clone();
        }
    }
}

/// Bases before the models extending them; otherwise the order of `model-config.json`.
fn sort_by_inheritance(planned: Vec<PlannedModel>) -> Vec<PlannedModel> {
    let names: HashSet<String> = planned.iter().map(|p| p.name.clone()).collect();
    let mut out: Vec<PlannedModel> = Vec::with_capacity(planned.len());
    let mut pending = planned;
    while !pending.is_empty() {
        let before = pending.len();
        let mut rest = Vec::new();
        for p in pending {
            let ready = match &p.definition.base {
                Some(b) if names.contains(b) && b != &p.name => out.iter().any(|o| &o.name == b),
                _ => true,
            };
            if ready {
                out.push(p);
            } else {
                rest.push(p);
            }
        }
        if rest.len() == before {
            // A cycle of bases: keep the rest in order; define() reports the error.
            out.extend(rest);
            break;
        }
        pending = rest;
    }
    out
}

/// Defines every attached model, applies Rust mixins, then runs the Rust model setup.
pub(super) async fn define_all(
    app: &App,
    planned: &[PlannedModel],
    options: &BootOptions,
    problems: &mut Problems,
) {
    for p in planned {
        let Some(ds) = &p.data_source else {
            continue;
        };
        let at = |msg: String| match &p.file {
            Some(f) => BootProblem::in_file(f, msg),
            None => BootProblem::new(format!("{}: {msg}", p.name)),
        };
        let handle = match app.model(&p.name) {
            Some(h) => h,
            None => {
                let mut def = p.definition.clone();
                let mut failed = false;
                for (mixin, opts) in p.definition.mixins.clone() {
                    if let Some(m) = options.mixins.get(&mixin) {
                        if let Err(e) = m.define(&mut def, &opts) {
                            problems.push(at(format!("mixin `{mixin}` failed: {e}")));
                            failed = true;
                        }
                    }
                }
                if failed {
                    continue;
                }
                match app.define(def, ds).await {
                    Ok(h) => h,
                    Err(e) => {
                        problems.push(at(e.to_string()));
                        continue;
                    }
                }
            }
        };
        for (mixin, opts) in &p.definition.mixins {
            if let Some(m) = options.mixins.get(mixin) {
                if let Err(e) = m.attach(&handle, opts) {
                    problems.push(at(format!("mixin `{mixin}` failed: {e}")));
                }
            }
        }
        for setup in options.model_setup.get(&p.name).into_iter().flatten() {
            if let Err(e) = setup(&handle) {
                problems.push(at(format!("BootOptions::model code failed: {e}")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::classify;

    #[test]
    fn file_names_become_model_names() {
        assert_eq!(classify("book-author"), "BookAuthor");
        assert_eq!(classify("my_model"), "MyModel");
        assert_eq!(classify("note"), "Note");
    }
}
