//! `loopback discover`: listing tables and generating LB3 model JSON or Rust source from a
//! SQLite file (always) and PostgreSQL and MySQL (when `LOOPBACK_TEST_POSTGRES_URL` /
//! `LOOPBACK_TEST_MYSQL_URL` are set), from a URL
//! or a `datasources.json` entry; into an application folder (`--app`), which then boots and
//! serves the discovered models; and bad input.

#[cfg(feature = "mysql")]
mod mysql_db;
mod pg_db;

use std::path::Path;
use std::process::Command;

use loopback::{Connector, Options};
use serde_json::{json, Value as Json};

fn loopback(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_loopback"))
        .args(args)
        .output()
        .expect("the loopback binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A SQLite file with `author` and `book_author` (a foreign key to `author`).
async fn sqlite_file(dir: &Path) -> String {
    let file = dir.join("shop.db");
    let path = file.to_str().unwrap().to_owned();
    let db = loopback::connectors::sqlite(json!({ "file": path })).unwrap();
    for sql in [
        "CREATE TABLE author (id INTEGER PRIMARY KEY, first_name VARCHAR(40) NOT NULL)",
        "CREATE TABLE book_author (id INTEGER PRIMARY KEY, title VARCHAR(200) NOT NULL, \
         price DECIMAL(10,2), author_id INTEGER REFERENCES author(id))",
    ] {
        db.execute(sql, &[], &Options::new()).await.unwrap();
    }
    path
}

fn read(path: &Path) -> Json {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn sqlite_from_url() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sqlite_file(tmp.path()).await;
    let url = format!("sqlite:{file}");

    let (code, stdout, stderr) = loopback(&["discover", "--url", &url, "--list"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "author\ttable\tmain\nbook_author\ttable\tmain\n");

    // One table to stdout: its model JSON.
    let (code, stdout, stderr) = loopback(&["discover", "--url", &url, "--tables", "author"]);
    assert_eq!(code, 0, "{stderr}");
    let author: Json = serde_json::from_str(&stdout).unwrap();
    assert_eq!(author["name"], "Author");
    assert_eq!(author["properties"]["firstName"]["type"], "string");
    assert_eq!(author["properties"]["firstName"]["required"], true);
    assert_eq!(author["properties"]["id"]["id"], true);
    assert_eq!(author["idInjection"], false, "{author}");

    // Every table to stdout: an array.
    let (code, stdout, _) = loopback(&["discover", "--url", &url]);
    assert_eq!(code, 0);
    let all: Json = serde_json::from_str(&stdout).unwrap();
    let names: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Author", "BookAuthor"]);

    // --relations follows the foreign key; --out writes dasherized file names.
    let out = tmp.path().join("models");
    let (code, stdout, stderr) = loopback(&[
        "discover",
        "--url",
        &url,
        "--tables",
        "book_author",
        "--relations",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("book-author.json: model BookAuthor"),
        "{stdout}"
    );
    let book = read(&out.join("book-author.json"));
    assert_eq!(book["name"], "BookAuthor");
    assert_eq!(
        book["relations"]["authorrel"]["type"], "belongsTo",
        "{book}"
    );
    assert_eq!(book["relations"]["authorrel"]["model"], "Author");
    assert_eq!(book["relations"]["authorrel"]["foreignKey"], "authorId");
    assert_eq!(read(&out.join("author.json"))["name"], "Author");

    // Rust source.
    let (code, stdout, stderr) = loopback(&["discover", "--url", &url, "--format", "rust"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("#[derive(Debug, Clone, loopback::Model)]"),
        "{stdout}"
    );
    assert!(stdout.contains("pub struct Author {"), "{stdout}");
    assert!(stdout.contains("pub struct BookAuthor {"), "{stdout}");
    assert!(stdout.contains("pub first_name: String,"), "{stdout}");
    let rust_out = tmp.path().join("rust");
    let (code, _, stderr) = loopback(&[
        "discover",
        "--url",
        &url,
        "--format",
        "rust",
        "--out",
        rust_out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(rust_out.join("book_author.rs").is_file());

    // An unknown table: exit 1, named.
    let (code, _, stderr) = loopback(&["discover", "--url", &url, "--tables", "nope"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("table `nope`"), "{stderr}");
    assert!(stderr.contains("does not exist"), "{stderr}");
}

#[tokio::test]
async fn sqlite_from_datasources_json() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sqlite_file(tmp.path()).await;
    let ds = tmp.path().join("datasources.json");
    std::fs::write(
        &ds,
        serde_json::to_string(&json!({
            "db": {"name": "db", "connector": "sqlite3", "file": file},
            "mem": {"name": "mem", "connector": "memory"},
            "odd": {"name": "odd", "connector": "oracle"},
            "gone": {"name": "gone", "connector": "sqlite3",
                     "file": tmp.path().join("gone.db").to_str().unwrap()}
        }))
        .unwrap(),
    )
    .unwrap();
    let ds = ds.to_str().unwrap();
    let (code, stdout, stderr) =
        loopback(&["discover", "--datasource", ds, "--name", "db", "--list"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("book_author\ttable\tmain"), "{stdout}");

    let (code, _, stderr) = loopback(&["discover", "--datasource", ds, "--name", "nope"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("no data source `nope`; it defines db, mem, odd, gone"),
        "{stderr}"
    );
    let (code, _, stderr) = loopback(&["discover", "--datasource", ds, "--name", "odd"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("unknown connector `oracle`"), "{stderr}");
    let (code, _, stderr) = loopback(&["discover", "--datasource", ds, "--name", "mem"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("the `memory` connector cannot be discovered"),
        "{stderr}"
    );
    // A missing SQLite file is not created.
    let (code, _, stderr) = loopback(&["discover", "--datasource", ds, "--name", "gone"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("no such SQLite database file"), "{stderr}");
    assert!(!tmp.path().join("gone.db").exists());
}

/// A minimal application folder whose data source `db` is the memory connector in
/// `datasources.json` and the SQLite file `file` in `datasources.local.json` (the override
/// `serve` applies), with the built-in token model configured and a hand-written
/// `common/models/author.json`.
#[cfg(feature = "rest")]
fn app_folder(dir: &Path, file: &str) {
    let write = |path: &str, value: Json| {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, serde_json::to_string_pretty(&value).unwrap()).unwrap();
    };
    write(
        "server/config.json",
        json!({"restApiRoot": "/api", "port": 3000}),
    );
    write(
        "server/datasources.json",
        json!({"db": {"name": "db", "connector": "memory"}}),
    );
    write(
        "server/datasources.local.json",
        json!({"db": {"connector": "sqlite3", "file": file}}),
    );
    write(
        "server/model-config.json",
        json!({
            "_meta": {"sources": ["loopback/common/models", "../common/models", "./models"],
                      "mixins": ["../common/mixins"]},
            "AccessToken": {"dataSource": "db", "public": false},
            "Author": {"dataSource": "db", "public": false, "options": {"note": "by hand"}}
        }),
    );
    write(
        "common/models/author.json",
        json!({"name": "Author", "description": "hand-written",
               "properties": {"id": {"type": "number", "id": true}, "firstName": "string"},
               "options": {"sqlite3": {"table": "author"}}}),
    );
}

#[cfg(feature = "rest")]
#[tokio::test]
async fn sqlite_into_an_app_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sqlite_file(tmp.path()).await;
    {
        let db = loopback::connectors::sqlite(json!({ "file": file })).unwrap();
        for sql in [
            "INSERT INTO author (id, first_name) VALUES (1, 'Ann')",
            "INSERT INTO book_author (id, title, price, author_id) VALUES (7, 'Rust', 12.5, 1)",
        ] {
            db.execute(sql, &[], &Options::new()).await.unwrap();
        }
    }
    let app = tmp.path().join("app");
    app_folder(&app, &file);
    let dir = app.to_str().unwrap();
    let config_before = read(&app.join("server/model-config.json"));

    // The data source comes through the overrides, as `serve` reads it.
    let (code, stdout, stderr) = loopback(&["discover", "--app", dir, "--name", "db", "--list"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "author\ttable\tmain\nbook_author\ttable\tmain\n");

    let (code, stdout, stderr) =
        loopback(&["discover", "--app", dir, "--name", "db", "--relations"]);
    assert_eq!(code, 0, "{stderr}");
    let models = app.join("common/models");
    // The hand-written author.json is kept, and said so; book-author.json is new.
    assert_eq!(
        read(&models.join("author.json"))["description"],
        "hand-written"
    );
    assert!(
        stdout.contains("author.json: exists, kept (model Author, table main.author)"),
        "{stdout}"
    );
    assert!(
        stderr.contains("1 file(s) already existed and were kept"),
        "{stderr}"
    );
    assert!(stderr.contains("author.json"), "{stderr}");
    assert!(
        stdout.contains("book-author.json: model BookAuthor (table main.book_author)"),
        "{stdout}"
    );
    let book_author = read(&models.join("book-author.json"));
    assert_eq!(book_author["name"], "BookAuthor");
    assert_eq!(book_author["relations"]["authorrel"]["model"], "Author");
    // model-config.json: entries kept as they were, in their order; the new model added.
    let config = read(&app.join("server/model-config.json"));
    let keys: Vec<&str> = config
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["_meta", "AccessToken", "Author", "BookAuthor"]);
    for key in ["_meta", "AccessToken", "Author"] {
        assert_eq!(config[key], config_before[key], "{key}");
    }
    assert_eq!(
        config["BookAuthor"],
        json!({"dataSource": "db", "public": true})
    );
    assert!(
        stdout.contains("added BookAuthor (dataSource db, public)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Author is already configured; its entry is left as it is"),
        "{stdout}"
    );

    // --force replaces the files; model-config.json has nothing to add.
    let (code, stdout, stderr) = loopback(&[
        "discover",
        "--app",
        dir,
        "--name",
        "db",
        "--relations",
        "--force",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("author.json: model Author (table main.author), replaced"),
        "{stdout}"
    );
    let author = read(&models.join("author.json"));
    assert_eq!(author["properties"]["firstName"]["required"], true);
    assert_eq!(author.get("description"), None);
    assert_eq!(read(&app.join("server/model-config.json")), config);

    // The folder boots, and the discovered models read the database over REST.
    let booted = loopback::boot::boot(&app, &loopback::boot::BootOptions::new().env("development"))
        .await
        .expect("the folder boots");
    let api = booted.rest_api();
    let req = loopback::rest::http::Request::get(
        "/api/BookAuthors?filter=%7B%22include%22%3A%22authorrel%22%7D",
    )
    .body(String::new())
    .unwrap();
    let res = tower_service_call(&api, req).await;
    assert_eq!(res.0, 200, "{}", res.1);
    let body: Json = serde_json::from_str(&res.1).unwrap();
    assert_eq!(body[0]["title"], "Rust");
    assert_eq!(body[0]["price"], 12.5);
    assert_eq!(body[0]["authorId"], 1);
    assert_eq!(body[0]["authorrel"]["firstName"], "Ann");

    // Errors: an unknown data source lists those the folder has; a folder that is not one.
    let (code, _, stderr) = loopback(&["discover", "--app", dir, "--name", "nope"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("datasources.json: no data source `nope`; the application defines db"),
        "{stderr}"
    );
    let (code, _, stderr) = loopback(&[
        "discover",
        "--app",
        tmp.path().to_str().unwrap(),
        "--name",
        "db",
    ]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("not a LoopBack 3 application folder"),
        "{stderr}"
    );
    // Usage errors: --app needs --name, and writes JSON into the folder only.
    for args in [
        &["discover", "--app", dir][..],
        &["discover", "--app", dir, "--name", "db", "--out", "x"],
        &["discover", "--app", dir, "--name", "db", "--format", "rust"],
        &["discover", "--url", "sqlite::memory:", "--force"],
    ] {
        let (code, _, stderr) = loopback(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
    }
}

/// Calls the REST API with `req`: the status and body text.
#[cfg(feature = "rest")]
async fn tower_service_call(
    api: &loopback::rest::RestApi,
    req: loopback::rest::http::Request<String>,
) -> (u16, String) {
    let res = api.handle(req).await;
    let (parts, body) = res.into_parts();
    (
        parts.status.as_u16(),
        String::from_utf8_lossy(body.as_bytes()).into_owned(),
    )
}

#[test]
fn bad_input() {
    // Unknown connector in a URL.
    let (code, _, stderr) = loopback(&["discover", "--url", "oracle://scott@db/orcl", "--list"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("unknown connector `oracle`"), "{stderr}");
    // A missing SQLite file.
    let (code, _, stderr) = loopback(&["discover", "--url", "sqlite:/nowhere/x.db", "--list"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("/nowhere/x.db: no such SQLite database file"),
        "{stderr}"
    );
    // An unreachable server.
    let (code, _, stderr) = loopback(&[
        "discover",
        "--url",
        "postgres://nobody:secret@127.0.0.1:1/none",
        "--list",
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("postgres://nobody:***@127.0.0.1:1/none"),
        "{stderr}"
    );
    assert!(!stderr.contains("secret"), "{stderr}");
    // Usage errors: exit 2.
    for args in [
        &["discover"][..],
        &[
            "discover",
            "--url",
            "sqlite::memory:",
            "--list",
            "--format",
            "rust",
        ],
        &["discover", "--datasource", "x.json"],
        &["discover", "--url", "sqlite::memory:", "--format", "xml"],
        &[
            "discover",
            "--url",
            "sqlite::memory:",
            "--datasource",
            "x.json",
            "--name",
            "db",
        ],
    ] {
        let (code, _, stderr) = loopback(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    }
    // An empty database has nothing to discover.
    let (code, _, stderr) = loopback(&["discover", "--url", "sqlite::memory:"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("no tables in the current schema"),
        "{stderr}"
    );
    let (code, stdout, _) = loopback(&["discover", "--help"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("--relations") && stdout.contains("--format"),
        "{stdout}"
    );
}

#[tokio::test]
async fn postgres_from_url() {
    let Some((db, schema)) = pg_db::TestSchema::create().await else {
        return;
    };
    let n = &schema.name;
    for sql in [
        format!(
            "CREATE TABLE \"{n}\".author (id SERIAL PRIMARY KEY, first_name VARCHAR(40) NOT NULL)"
        ),
        format!(
            "CREATE TABLE \"{n}\".book_author (id SERIAL PRIMARY KEY, title VARCHAR(200) NOT NULL, \
             author_id INTEGER CONSTRAINT book_author_fk REFERENCES \"{n}\".author(id))"
        ),
        format!("CREATE VIEW \"{n}\".cheap AS SELECT id, title FROM \"{n}\".book_author"),
    ] {
        db.execute(&sql, &[], &Options::new()).await.unwrap();
    }
    let url = &schema.server;
    let (code, stdout, stderr) = loopback(&["discover", "--url", url, "--schema", n, "--list"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        format!("author\ttable\t{n}\nbook_author\ttable\t{n}\n")
    );
    let (code, stdout, _) =
        loopback(&["discover", "--url", url, "--owner", n, "--list", "--views"]);
    assert_eq!(code, 0);
    assert!(stdout.contains(&format!("cheap\tview\t{n}")), "{stdout}");

    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("models");
    let (code, _, stderr) = loopback(&[
        "discover",
        "--url",
        url,
        "--schema",
        n,
        "--tables",
        "book_author",
        "--relations",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let book = read(&out.join("book-author.json"));
    assert_eq!(
        book["relations"]["bookAuthorFkrel"]["model"], "Author",
        "{book}"
    );
    assert_eq!(book["postgresql"]["schema"], n.as_str(), "{book}");
    assert!(out.join("author.json").is_file());

    let (code, _, stderr) =
        loopback(&["discover", "--url", url, "--schema", n, "--tables", "nope"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("does not exist"), "{stderr}");
    db.close().await;
}

/// `--app` on PostgreSQL: the data source's URL comes from `${DATABASE_URL}` (the
/// environment, as `serve` fills it in), the models keep their schema, and the folder serves
/// them.
#[cfg(feature = "rest")]
#[tokio::test]
async fn postgres_into_an_app_folder() {
    let Some((db, schema)) = pg_db::TestSchema::create().await else {
        return;
    };
    let n = &schema.name;
    for sql in [
        format!("CREATE TABLE \"{n}\".author (id SERIAL PRIMARY KEY, first_name VARCHAR(40))"),
        format!(
            "CREATE TABLE \"{n}\".book_author (id SERIAL PRIMARY KEY, title VARCHAR(200), \
             author_id INTEGER CONSTRAINT book_author_fk REFERENCES \"{n}\".author(id))"
        ),
        format!("INSERT INTO \"{n}\".author (first_name) VALUES ('Ann')"),
        format!("INSERT INTO \"{n}\".book_author (title, author_id) VALUES ('Rust', 1)"),
    ] {
        db.execute(&sql, &[], &Options::new()).await.unwrap();
    }
    discover_into_app_and_query(
        json!({"db": {"name": "db", "connector": "postgresql", "url": "${DATABASE_URL}"}}),
        &["--schema", n, "--relations"],
        &schema.server,
    )
    .await;
    db.close().await;
}

/// Discovers the tables `author` and `book_author` (with its key `book_author_fk` and one
/// book by Ann) of the data source `db` (`datasources`, whose `${DATABASE_URL}` is `url`)
/// into a new application folder, then boots the folder and reads the book with its author.
async fn discover_into_app_and_query(datasources: Json, args: &[&str], url: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path();
    let write = |path: &str, value: Json| {
        let p = app.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, serde_json::to_string_pretty(&value).unwrap()).unwrap();
    };
    write("server/datasources.json", datasources);
    write(
        "server/model-config.json",
        json!({"_meta": {"sources": ["loopback/common/models", "../common/models"]}}),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_loopback"))
        .args(["discover", "--app", app.to_str().unwrap(), "--name", "db"])
        .args(args)
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let config = read(&app.join("server/model-config.json"));
    let keys: Vec<&str> = config
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["_meta", "Author", "BookAuthor"]);
    assert!(app.join("common/models/book-author.json").exists());

    let options = loopback::boot::BootOptions::new()
        .env("development")
        .vars([("DATABASE_URL", url)]);
    let booted = loopback::boot::boot(app, &options).await.expect("boots");
    let req = loopback::rest::http::Request::get(
        "/api/BookAuthors?filter=%7B%22include%22%3A%22bookAuthorFkrel%22%7D",
    )
    .body(String::new())
    .unwrap();
    let (status, text) = tower_service_call(&booted.rest_api(), req).await;
    assert_eq!(status, 200, "{text}");
    let body: Json = serde_json::from_str(&text).unwrap();
    assert_eq!(body[0]["title"], "Rust");
    assert_eq!(body[0]["bookAuthorFkrel"]["firstName"], "Ann");
}

#[cfg(feature = "mysql")]
#[tokio::test]
async fn mysql_into_an_app_folder() {
    let Some((db, test_db)) = mysql_db::TestDb::create().await else {
        return;
    };
    let server = std::env::var("LOOPBACK_TEST_MYSQL_URL").unwrap();
    for sql in [
        "CREATE TABLE author (id INT AUTO_INCREMENT PRIMARY KEY, first_name VARCHAR(40))",
        "CREATE TABLE book_author (id INT AUTO_INCREMENT PRIMARY KEY, title VARCHAR(200), \
         author_id INT, CONSTRAINT book_author_fk FOREIGN KEY (author_id) REFERENCES author(id))",
        "INSERT INTO author (first_name) VALUES ('Ann')",
        "INSERT INTO book_author (title, author_id) VALUES ('Rust', 1)",
    ] {
        db.execute(sql, &[], &Options::new()).await.unwrap();
    }
    discover_into_app_and_query(
        json!({"db": {"name": "db", "connector": "mysql", "url": "${DATABASE_URL}",
                      "database": test_db.name}}),
        &["--relations"],
        &server,
    )
    .await;
    db.close().await;
}
