//! Reading the JSON files of an application folder and merging their environment overrides
//! the way loopback-boot 2.x does (`config.json`, then `config.local.*`, then `config.{env}.*`).

use std::path::{Path, PathBuf};

use serde_json::{Map, Value as Json};

use super::{BootProblem, BootWarning, Problems};

/// A JSON file read from disk, with its text kept to locate keys for error messages.
#[derive(Debug, Clone)]
pub(crate) struct JsonFile {
    pub(crate) path: PathBuf,
    pub(crate) text: String,
    pub(crate) value: Json,
}

impl JsonFile {
    /// A problem at `key` (dot-separated, as LB3 names options) of this file, with the line
    /// and column of the key when it can be found in the text.
    pub(crate) fn problem(&self, key: &str, message: impl Into<String>) -> BootProblem {
        let mut p = BootProblem::in_file(&self.path, message).key(key);
        if let Some((line, column)) = locate(&self.text, key) {
            p.line = Some(line);
            p.column = Some(column);
        }
        p
    }
}

/// Reads and parses `path`. A missing file is `Ok(None)`; unreadable files and invalid JSON
/// are problems (invalid JSON with serde's line and column).
pub(crate) fn read_json(path: &Path) -> Result<Option<JsonFile>, BootProblem> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(BootProblem::in_file(
                path,
                format!("cannot read the file: {e}"),
            ))
        }
    };
    // A UTF-8 byte order mark is accepted, as Node's `require` of JSON accepts it.
    let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
    match serde_json::from_str::<Json>(body) {
        Ok(value) => Ok(Some(JsonFile {
            path: path.to_owned(),
            text,
            value,
        })),
        Err(e) => {
            let mut p = BootProblem::in_file(path, format!("invalid JSON: {}", strip_position(&e)));
            p.line = Some(e.line());
            p.column = Some(e.column());
            Err(p)
        }
    }
}

/// serde_json's message without its trailing ` at line L column C` (reported separately).
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

/// The files `loadNamed` would read for `name` in `dir`: `name.json`, `name.local.*`,
/// `name.{env}.*`, in that order. JavaScript overrides cannot be run; they are reported, and
/// the JSON file of the same name (which LB3 would have ignored in their favour) is used.
pub(crate) fn named_files(
    dir: &Path,
    name: &str,
    env: &str,
    warnings: &mut Vec<BootWarning>,
) -> Vec<PathBuf> {
    let main = dir.join(format!("{name}.json"));
    let mut out = Vec::new();
    let mut overrides = Vec::new();
    for suffix in ["local", env] {
        let js = dir.join(format!("{name}.{suffix}.js"));
        let json = dir.join(format!("{name}.{suffix}.json"));
        if js.is_file() {
            warnings.push(BootWarning::not_run(
                &js,
                "configuration written in JavaScript is not evaluated",
                format!(
                    "write the values to `{name}.{suffix}.json`, or set them from Rust with BootOptions::setting"
                ),
            ));
        }
        if json.is_file() {
            overrides.push(json);
        }
    }
    if !main.is_file() {
        if !overrides.is_empty() {
            warnings.push(BootWarning::new(
                Some(&main),
                format!("main config file \"{name}.json\" is missing; its overrides are ignored (as LoopBack 3 does)"),
            ));
        }
        return out;
    }
    out.push(main);
    out.extend(overrides);
    out
}

/// Loads `name` from `dir` with its overrides merged in by `merge`. `None` when the main file
/// is absent. Parse and merge failures are added to `problems`.
pub(crate) fn load_named(
    dir: &Path,
    name: &str,
    env: &str,
    merge: fn(&mut Json, &Json) -> Result<(), String>,
    problems: &mut Problems,
    warnings: &mut Vec<BootWarning>,
) -> Option<(JsonFile, Json)> {
    let files = named_files(dir, name, env, warnings);
    let mut iter = files.iter();
    let main = iter.next()?;
    let main = match read_json(main) {
        Ok(Some(f)) => f,
        Ok(None) => return None,
        Err(p) => {
            problems.push(p);
            return None;
        }
    };
    if !main.value.is_object() {
        problems.push(main.problem("", "the file must hold a JSON object"));
        return None;
    }
    let mut merged = main.value.clone();
    for path in iter {
        match read_json(path) {
            Ok(Some(f)) => {
                if !f.value.is_object() {
                    problems.push(f.problem("", "the file must hold a JSON object"));
                    continue;
                }
                if let Err(msg) = merge(&mut merged, &f.value) {
                    let key = msg_key(&msg);
                    let mut p = f.problem(&key, format!("cannot apply this override: {msg}"));
                    if key.is_empty() {
                        p.key = None;
                    }
                    problems.push(p);
                }
            }
            Ok(None) => {}
            Err(p) => problems.push(p),
        }
    }
    Some((main, merged))
}

/// The option named between backticks in a merge message, for locating it.
fn msg_key(msg: &str) -> String {
    msg.split('`').nth(1).unwrap_or_default().to_owned()
}

/// loopback-boot's `mergeObjects`: objects merge key by key, plain values and `null` replace,
/// arrays merge element by element and must have the same length; a change of kind is an
/// error naming the option.
pub(crate) fn merge_objects(target: &mut Json, source: &Json) -> Result<(), String> {
    merge_into(target, source, "")
}

fn merge_into(target: &mut Json, source: &Json, prefix: &str) -> Result<(), String> {
    let (Json::Object(t), Json::Object(s)) = (target, source) else {
        return Err(format!(
            "Cannot merge values of incompatible types for the option `{prefix}`."
        ));
    };
    for (key, new) in s {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        merge_item(t, key, new, &full)?;
    }
    Ok(())
}

fn merge_item(t: &mut Map<String, Json>, key: &str, new: &Json, full: &str) -> Result<(), String> {
    match t.get_mut(key) {
        None | Some(Json::Null) => {
            t.insert(key.to_owned(), new.clone());
            Ok(())
        }
        Some(orig) => merge_value(orig, new, full),
    }
}

fn merge_value(orig: &mut Json, new: &Json, full: &str) -> Result<(), String> {
    let incompatible =
        || format!("Cannot merge values of incompatible types for the option `{full}`.");
    match (&mut *orig, new) {
        (Json::Array(a), Json::Array(b)) => {
            if a.len() != b.len() {
                return Err(format!(
                    "Cannot merge array values of different length for the option `{full}`."
                ));
            }
            for (i, (x, y)) in a.iter_mut().zip(b).enumerate() {
                let key = format!("{full}[{i}]");
                if x.is_null() {
                    *x = y.clone();
                } else {
                    merge_value(x, y, &key)?;
                }
            }
            Ok(())
        }
        (Json::Array(_), _) => Err(incompatible()),
        // `null` replaces an object (typeof null is "object" in LB3's check).
        (Json::Object(_), Json::Null) => {
            *orig = Json::Null;
            Ok(())
        }
        (Json::Object(_), Json::Object(_)) => merge_into(orig, new, full),
        (Json::Object(_), _) => Err(incompatible()),
        // A plain value is replaced by a plain value; `null`, objects and arrays are
        // "objects" to LB3's check and cannot replace it.
        (_, Json::Null | Json::Object(_) | Json::Array(_)) => Err(incompatible()),
        (_, _) => {
            *orig = new.clone();
            Ok(())
        }
    }
}

/// loopback-boot's `mergeMiddlewareConfig`: every phase and middleware of the override must
/// exist in the main file; entries merge as objects, or by `name` when either side is an
/// array.
pub(crate) fn merge_middleware(target: &mut Json, source: &Json) -> Result<(), String> {
    let (Json::Object(t), Json::Object(s)) = (target, source) else {
        return Err("the middleware configuration must be an object".into());
    };
    for (phase, entries) in s {
        let Some(Json::Object(tp)) = t.get_mut(phase) else {
            return Err(format!(
                "The phase `{phase}` is not defined in the main config."
            ));
        };
        let Json::Object(entries) = entries else {
            return Err(format!("The phase `{phase}` must be an object."));
        };
        for (mw, conf) in entries {
            let Some(orig) = tp.get_mut(mw) else {
                return Err(format!(
                    "The middleware `{phase}.{mw}` is not defined in the main config."
                ));
            };
            let non_empty = |v: &Json| v.as_object().is_some_and(|o| !o.is_empty());
            match (&mut *orig, conf) {
                (Json::Array(a), Json::Array(b)) => {
                    let merged = merge_named(a, b);
                    *orig = Json::Array(merged);
                }
                (Json::Array(a), c) => {
                    if non_empty(c) {
                        let merged = merge_named(a, std::slice::from_ref(c));
                        *orig = Json::Array(merged);
                    }
                }
                (o, Json::Array(b)) => {
                    *orig = if non_empty(o) {
                        Json::Array(merge_named(std::slice::from_ref(o), b))
                    } else {
                        Json::Array(b.clone())
                    };
                }
                (o, c) => merge_into(o, c, &format!("{phase}.{mw}"))?,
            }
        }
    }
    Ok(())
}

/// `mergeNamedItems`: items of `b` with a `name` equal to one in `a` are merged into it,
/// the rest appended.
fn merge_named(a: &[Json], b: &[Json]) -> Vec<Json> {
    let mut out = a.to_vec();
    for item in b {
        let name = item.get("name").filter(|n| !n.is_null() && *n != "");
        let found = name.and_then(|n| out.iter_mut().find(|o| o.get("name") == Some(n)));
        match found {
            // LB3 ignores a failed merge here; so do we.
            Some(o) => {
                let _ = merge_objects(o, item);
            }
            None => out.push(item.clone()),
        }
    }
    out
}

/// LB3's dynamic values: a string ending in `${NAME}` becomes the value `lookup` gives for
/// `NAME` (the environment variable, else the app setting); unresolved values are removed
/// with a warning naming them (LB3 makes them `undefined`). Applies inside objects and arrays.
pub(crate) fn interpolate(
    value: &mut Json,
    lookup: &dyn Fn(&str) -> Option<Json>,
    file: &Path,
    key: &str,
    warnings: &mut Vec<BootWarning>,
) {
    let _ = resolve_variables(value, lookup, file, key, warnings);
}

/// [`interpolate`] of one value; false when the value itself is a variable nothing defines
/// (its parent drops it from an object, or makes it `null` in an array).
fn resolve_variables(
    value: &mut Json,
    lookup: &dyn Fn(&str) -> Option<Json>,
    file: &Path,
    key: &str,
    warnings: &mut Vec<BootWarning>,
) -> bool {
    if let Some(name) = variable(value) {
        return match lookup(&name) {
            Some(x) => {
                *value = x;
                true
            }
            None => {
                warnings.push(unresolved_warning(file, key, &name));
                false
            }
        };
    }
    match value {
        Json::Object(o) => o.retain(|k, v| {
            let sub = if key.is_empty() {
                k.clone()
            } else {
                format!("{key}.{k}")
            };
            resolve_variables(v, lookup, file, &sub, warnings)
        }),
        Json::Array(a) => {
            for (i, v) in a.iter_mut().enumerate() {
                if !resolve_variables(v, lookup, file, &format!("{key}[{i}]"), warnings) {
                    *v = Json::Null;
                }
            }
        }
        _ => {}
    }
    true
}

fn unresolved_warning(file: &Path, key: &str, name: &str) -> BootWarning {
    BootWarning::new(
        Some(file),
        format!("`{key}`: `${{{name}}}` is neither an environment variable nor an app setting; the value is left undefined"),
    )
}

/// The name in a string value ending with `${NAME}` (`\w+`), if it is one.
fn variable(v: &Json) -> Option<String> {
    let s = v.as_str()?;
    let rest = s.strip_suffix('}')?;
    let start = rest.rfind("${")?;
    let name = &rest[start + 2..];
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then(|| name.to_owned())
}

/// The 1-based line and column of the last segment of the dot-separated `key` in the JSON
/// `text`, found by looking for each segment's quoted name after the previous one. Good
/// enough for error messages; `None` when a segment cannot be found.
pub(crate) fn locate(text: &str, key: &str) -> Option<(usize, usize)> {
    if key.is_empty() {
        return None;
    }
    let mut pos = 0;
    for seg in split_key(key) {
        let needle = format!("\"{seg}\"");
        let found = text[pos..].find(&needle)?;
        pos += found;
        let after = text[pos + needle.len()..].trim_start();
        // A match in a value (not followed by `:`) is skipped.
        if !after.starts_with(':') {
            pos += needle.len();
            let again = text[pos..].find(&needle)?;
            pos += again;
        }
    }
    let before = &text[..pos];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    Some((line, column))
}

/// The segments of `a.b[0].c`, array indexes dropped.
fn split_key(key: &str) -> impl Iterator<Item = &str> {
    key.split('.')
        .map(|s| s.split('[').next().unwrap_or(s))
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_follows_loopback_boot() {
        let mut t = json!({"a": 1, "o": {"x": 1, "y": [1, 2]}, "n": null});
        merge_objects(
            &mut t,
            &json!({"a": 2, "o": {"y": [3, 4], "z": true}, "n": "s", "new": {"k": 1}}),
        )
        .unwrap();
        assert_eq!(
            t,
            json!({"a": 2, "o": {"x": 1, "y": [3, 4], "z": true}, "n": "s", "new": {"k": 1}})
        );

        let mut t = json!({"o": {"x": 1}});
        merge_objects(&mut t, &json!({"o": null})).unwrap();
        assert_eq!(t, json!({"o": null}));

        let err =
            merge_objects(&mut json!({"a": {"b": [1, 2]}}), &json!({"a": {"b": [1]}})).unwrap_err();
        assert_eq!(
            err,
            "Cannot merge array values of different length for the option `a.b`."
        );
        let err =
            merge_objects(&mut json!({"a": {"b": 1}}), &json!({"a": {"b": {"c": 1}}})).unwrap_err();
        assert_eq!(
            err,
            "Cannot merge values of incompatible types for the option `a.b`."
        );
        let err =
            merge_objects(&mut json!({"a": [{"b": 1}]}), &json!({"a": [{"b": []}]})).unwrap_err();
        assert_eq!(
            err,
            "Cannot merge values of incompatible types for the option `a[0].b`."
        );
        // LB3 quirk kept: null cannot replace a plain value.
        assert!(merge_objects(&mut json!({"a": 1}), &json!({"a": null})).is_err());
        assert!(merge_objects(&mut json!({"a": {}}), &json!({"a": 1})).is_err());
    }

    #[test]
    fn middleware_overrides_must_name_known_phases_and_entries() {
        let mut main = json!({
            "initial": {"cors": {"params": {"origin": true}}},
            "final:after": {"strong-error-handler": {}},
            "files": {"loopback#static": [{"name": "a", "paths": ["/a"], "params": "x"}]}
        });
        merge_middleware(
            &mut main,
            &json!({
                "final:after": {"strong-error-handler": {"params": {"debug": true}}},
                "files": {"loopback#static": [{"name": "a", "params": "y"}, {"name": "b", "params": "z"}]}
            }),
        )
        .unwrap();
        assert_eq!(
            main["final:after"]["strong-error-handler"]["params"]["debug"],
            true
        );
        assert_eq!(
            main["files"]["loopback#static"],
            json!([{"name": "a", "paths": ["/a"], "params": "y"}, {"name": "b", "params": "z"}])
        );
        let err = merge_middleware(&mut main, &json!({"routes": {}})).unwrap_err();
        assert_eq!(err, "The phase `routes` is not defined in the main config.");
        let err =
            merge_middleware(&mut main, &json!({"initial": {"compression": {}}})).unwrap_err();
        assert_eq!(
            err,
            "The middleware `initial.compression` is not defined in the main config."
        );
    }

    #[test]
    fn variables_take_env_then_settings() {
        let mut v = json!({"db": {"url": "${DB_URL}", "host": "x${HOST}", "n": ["${N}"], "keep": "${not a var}", "gone": "${NOPE}"}});
        let lookup = |n: &str| match n {
            "DB_URL" => Some(json!("postgres://h/d")),
            "HOST" => Some(json!("h")),
            "N" => Some(json!(5)),
            _ => None,
        };
        let mut w = Vec::new();
        interpolate(&mut v, &lookup, Path::new("datasources.json"), "", &mut w);
        assert_eq!(
            v,
            json!({"db": {"url": "postgres://h/d", "host": "h", "n": [5], "keep": "${not a var}"}})
        );
        assert_eq!(w.len(), 1);
        assert!(w[0].message.contains("db.gone"), "{}", w[0].message);
    }

    #[test]
    fn keys_are_located_by_line_and_column() {
        let text =
            "{\n  \"Book\": {\n    \"dataSource\": \"nope\",\n    \"public\": true\n  }\n}\n";
        assert_eq!(locate(text, "Book.dataSource"), Some((3, 5)));
        assert_eq!(locate(text, "Book.public"), Some((4, 5)));
        assert_eq!(locate(text, "Book.missing"), None);
        // A value equal to a key name is not taken for the key.
        let text = "{\"a\": \"b\", \"b\": 1}";
        assert_eq!(locate(text, "b"), Some((1, 12)));
    }

    #[test]
    fn invalid_json_reports_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config.json");
        std::fs::write(&f, "{\n  \"port\": 3000,\n  \"host\" \"x\"\n}").unwrap();
        let p = read_json(&f).unwrap_err();
        assert_eq!((p.line, p.column), (Some(3), Some(10)));
        assert!(
            p.message.starts_with("invalid JSON: expected `:`"),
            "{}",
            p.message
        );
    }
}
