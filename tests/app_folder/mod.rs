//! Copies of application folders to change in a test: `copy_app` then `write` / `edit_json`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

/// A copy of the folder `src` (without `node_modules`) in a new temporary folder.
pub fn copy_app(src: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new(src), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        let target = to.join(e.file_name());
        if p.is_dir() {
            if e.file_name() != "node_modules" {
                copy_dir(&p, &target);
            }
        } else {
            std::fs::copy(&p, &target).unwrap();
        }
    }
}

/// Writes `text` to `file` (a path inside `dir`), creating folders as needed.
pub fn write(dir: &Path, file: &str, text: &str) -> PathBuf {
    let p = dir.join(file);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

/// Reads the JSON file `file` inside `dir`, lets `f` change it, and writes it back.
pub fn edit_json(dir: &Path, file: &str, f: impl FnOnce(&mut Json)) {
    let p = dir.join(file);
    let mut v: Json = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    f(&mut v);
    std::fs::write(&p, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}
