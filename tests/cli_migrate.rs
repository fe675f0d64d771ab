//! `loopback migrate DIR` on an application folder: automigrate and autoupdate of the models of
//! its SQL data sources with a progress line per model, dry runs printing the DDL, data source
//! selection, and bad input. SQLite files in a temporary folder always; PostgreSQL too when
//! `LOOPBACK_TEST_POSTGRES_URL` is set (in a schema of its own).

mod pg_db;

use std::path::Path;
use std::process::Command;

use loopback::connectors::discovery_of;
use loopback::{Connector, Options};
use serde_json::{json, Value as Json};

fn loopback(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_loopback"))
        .args(args)
        .env_remove("NODE_ENV")
        .output()
        .expect("the loopback binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(path: &Path, json: &Json) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_string_pretty(json).unwrap()).unwrap();
}

fn book(extra: bool) -> Json {
    let mut b = json!({
        "name": "Book",
        "base": "PersistedModel",
        "properties": {"title": {"type": "string", "required": true, "index": true},
                       "price": "number"},
        "relations": {"author": {"type": "belongsTo", "model": "Author", "foreignKey": "authorId"}}
    });
    if extra {
        b["properties"]["isbn"] = json!({"type": "string"});
    }
    b
}

/// An application folder with `Author` and `Book` on the data source `db` and `Note` on the
/// memory data source `mem`.
fn app(dir: &Path, db: Json) {
    write(
        &dir.join("server/datasources.json"),
        &json!({"db": db, "mem": {"name": "mem", "connector": "memory"}}),
    );
    write(
        &dir.join("server/model-config.json"),
        &json!({
            "_meta": {"sources": ["../common/models"]},
            "Author": {"dataSource": "db", "public": true},
            "Book": {"dataSource": "db", "public": true},
            "Note": {"dataSource": "mem", "public": true}
        }),
    );
    write(
        &dir.join("common/models/author.json"),
        &json!({"name": "Author", "base": "PersistedModel",
                "properties": {"name": {"type": "string", "required": true}}}),
    );
    write(&dir.join("common/models/book.json"), &book(false));
    write(
        &dir.join("common/models/note.json"),
        &json!({"name": "Note", "base": "PersistedModel", "properties": {"text": "string"}}),
    );
}

fn statements(sql: &str) -> Vec<&str> {
    sql.lines()
        .filter(|l| !l.starts_with("--") && !l.trim().is_empty())
        .collect()
}

/// The scenario both databases run; `db` reaches the database the app's `db` points at.
async fn scenario(dir: &Path, db: &dyn Connector, quote: &str) {
    let d = dir.to_str().unwrap();
    let author_table = |name: &str| format!("{quote}{name}{quote}");

    // A dry run prints the DDL and runs nothing.
    let (code, stdout, stderr) = loopback(&["migrate", d, "--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    let ddl = statements(&stdout);
    assert!(ddl.iter().all(|s| s.ends_with(';')), "{stdout}");
    assert!(
        ddl.iter().any(
            |s| s.starts_with("CREATE TABLE") && s.contains(&author_table("author"))
                || s.contains(&author_table("Author"))
        ),
        "{stdout}"
    );
    assert!(stdout.contains("-- db ("), "{stdout}");
    assert!(stdout.contains("-- Book\n"), "{stdout}");
    assert!(stderr.contains("[1/2] db: Author … "), "{stderr}");
    assert!(stderr.contains("[2/2] db: Book … "), "{stderr}");
    assert!(
        stderr.contains("mem: skipped (memory connector"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was executed"), "{stderr}");
    let probe = discovery_of(db).unwrap();
    assert!(
        probe
            .discover_model_definitions(&Default::default())
            .await
            .unwrap()
            .is_empty(),
        "the dry run created nothing"
    );

    // automigrate: a progress line per model.
    let (code, _, stderr) = loopback(&["migrate", d]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("[1/2] db: Author … ok ("), "{stderr}");
    assert!(stderr.contains("[2/2] db: Book … ok ("), "{stderr}");
    assert!(
        stderr.contains("automigrate: 2 model(s) in 1 data source(s)"),
        "{stderr}"
    );
    let tables = probe
        .discover_model_definitions(&Default::default())
        .await
        .unwrap();
    assert_eq!(tables.len(), 2, "{tables:?}");

    // Up to date: the autoupdate dry run has nothing to do.
    let (code, stdout, stderr) = loopback(&["migrate", d, "--autoupdate", "--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(statements(&stdout).is_empty(), "{stdout}");
    assert!(stdout.contains("-- Author: up to date"), "{stdout}");
    assert!(stderr.contains("[2/2] db: Book … up to date"), "{stderr}");

    // A new property: exactly one ALTER TABLE … ADD COLUMN, and the rows stay.
    let book_table = probe
        .discover_model_definitions(&Default::default())
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name.eq_ignore_ascii_case("book"))
        .unwrap();
    let qualified = if quote == "\"" && book_table.owner != "main" {
        format!("\"{}\".\"{}\"", book_table.owner, book_table.name)
    } else {
        format!("\"{}\"", book_table.name)
    };
    db.execute(
        &format!("INSERT INTO {qualified} (title, price) VALUES ('Dune', 9.5)"),
        &[],
        &Options::new(),
    )
    .await
    .unwrap();
    write(&dir.join("common/models/book.json"), &book(true));
    let (code, stdout, stderr) = loopback(&["migrate", d, "--autoupdate", "--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    let ddl = statements(&stdout);
    assert_eq!(ddl.len(), 1, "{stdout}");
    assert!(ddl[0].starts_with("ALTER TABLE "), "{stdout}");
    assert!(
        ddl[0].contains(" ADD COLUMN ") && ddl[0].contains("isbn"),
        "{stdout}"
    );
    assert!(stderr.contains("[2/2] db: Book … 1 statement"), "{stderr}");
    let (code, _, stderr) = loopback(&["migrate", d, "--autoupdate"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("[2/2] db: Book … ok (1 statement)"),
        "{stderr}"
    );
    assert!(stderr.contains("[1/2] db: Author … up to date"), "{stderr}");
    let rows = db
        .execute(
            &format!("SELECT title FROM {qualified}"),
            &[],
            &Options::new(),
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "autoupdate keeps the rows");
    let (_, stdout, _) = loopback(&["migrate", d, "--autoupdate", "--dry-run"]);
    assert!(statements(&stdout).is_empty(), "{stdout}");

    // Only the memory data source: skipped, nothing to do.
    let (code, stdout, stderr) = loopback(&["migrate", d, "--datasource", "mem", "--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(statements(&stdout).is_empty(), "{stdout}");
    assert!(stderr.contains("mem: skipped"), "{stderr}");
    assert!(!stderr.contains("db: Book"), "{stderr}");
}

#[tokio::test]
async fn sqlite_file_app() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("app.db");
    app(
        tmp.path(),
        json!({"name": "db", "connector": "sqlite3", "file": file.to_str().unwrap()}),
    );
    // The database file exists before anything is migrated.
    let db = loopback::connectors::sqlite(json!({"file": file.to_str().unwrap()})).unwrap();
    db.execute("SELECT 1", &[], &Options::new()).await.unwrap();
    scenario(tmp.path(), &*db, "\"").await;
}

#[tokio::test]
async fn postgres_app() {
    let Some((db, schema)) = pg_db::TestSchema::create().await else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    app(
        tmp.path(),
        json!({"name": "db", "connector": "postgresql", "url": schema.server,
               "schema": schema.name}),
    );
    scenario(tmp.path(), &*db, "\"").await;
    db.close().await;
}

#[test]
fn bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().to_str().unwrap();
    let file = tmp.path().join("app.db");
    app(
        tmp.path(),
        json!({"name": "db", "connector": "sqlite3", "file": file.to_str().unwrap()}),
    );

    // An unknown data source is named, with the ones there are.
    let (code, _, stderr) = loopback(&["migrate", d, "--datasource", "nope"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("unknown data source `nope`; the application has db, mem"),
        "{stderr}"
    );

    // A folder that is not an application.
    let missing = tmp.path().join("nowhere");
    let (code, _, stderr) = loopback(&["migrate", missing.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("nowhere"), "{stderr}");

    // Usage errors.
    let (code, _, stderr) = loopback(&["migrate", d, "--frobnicate"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--frobnicate"), "{stderr}");
    let (code, _, stderr) = loopback(&["migrate"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("<DIR>"), "{stderr}");
    let (code, stdout, _) = loopback(&["migrate", "--help"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("--autoupdate") && stdout.contains("--dry-run"),
        "{stdout}"
    );

    // An unreachable database: exit 1, naming the data source.
    let other = tempfile::tempdir().unwrap();
    app(
        other.path(),
        json!({"name": "db", "connector": "postgresql",
               "url": "postgres://nobody@127.0.0.1:1/none", "connectTimeout": 2000}),
    );
    let (code, _, stderr) = loopback(&["migrate", other.path().to_str().unwrap(), "--autoupdate"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("error: db: autoupdate: "), "{stderr}");

    // An unknown connector is a boot error naming it.
    let bad = tempfile::tempdir().unwrap();
    app(bad.path(), json!({"name": "db", "connector": "oracle"}));
    let (code, _, stderr) = loopback(&["migrate", bad.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("oracle"), "{stderr}");
}
