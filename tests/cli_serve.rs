//! `loopback serve`, end to end: the binary boots the example application folder on a free
//! port and is driven over real HTTP (CRUD, filters, include, relation routes, login, ACL
//! denial), on the memory data source and on PostgreSQL. Also `routes`, `openapi`, and
//! `serve` refusing an invalid folder.

#![cfg(all(feature = "rest", feature = "memory"))]

mod app_folder;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value as Json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const EXAMPLE: &str = "examples/bookstore";

/// The server process; killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `loopback serve DIR --port 0` with the extra environment and waits for its
/// "listening" line.
fn serve(dir: &Path, env: &[(&str, &str)]) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_loopback"));
    cmd.args([
        "serve",
        dir.to_str().unwrap(),
        "--port",
        "0",
        "--host",
        "127.0.0.1",
    ])
    .env_remove("PORT")
    .env_remove("HOST")
    .env_remove("NODE_ENV")
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the loopback binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let port = loop {
        let line = lines
            .next()
            .expect("serve printed its address before exiting")
            .unwrap();
        if let Some(rest) = line.strip_prefix("Web server listening at: http://127.0.0.1:") {
            break rest.trim().parse::<u16>().unwrap();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, port }
}

/// One HTTP/1.1 request on a fresh connection: (status, body as JSON or text).
async fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Json>,
) -> (u16, Json) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let auth = token
        .map(|t| format!("Authorization: {t}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut buf))
        .await
        .expect("the server answers")
        .unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    let json = serde_json::from_str(&body).unwrap_or(Json::String(body));
    (status, json)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

fn enc(filter: Json) -> String {
    let s = filter.to_string();
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The scenario, against a running server.
async fn drive(port: u16) {
    // Sign up and log in.
    let (s, alice) = http(
        port,
        "POST",
        "/api/readers",
        None,
        Some(json!({"username": "alice", "email": "alice@example.com", "password": "alice-pass"})),
    )
    .await;
    assert_eq!(s, 200, "{alice}");
    assert!(alice.get("password").is_none());
    let (s, _) = http(
        port,
        "POST",
        "/api/readers",
        None,
        Some(json!({"username": "bob", "email": "bob@example.com", "password": "bob-pass"})),
    )
    .await;
    assert_eq!(s, 200);
    let (s, wrong) = http(
        port,
        "POST",
        "/api/readers/login",
        None,
        Some(json!({"email": "alice@example.com", "password": "nope"})),
    )
    .await;
    assert_eq!(
        (s, wrong["error"]["code"].clone()),
        (401, json!("LOGIN_FAILED"))
    );
    let (s, login) = http(
        port,
        "POST",
        "/api/readers/login",
        None,
        Some(json!({"email": "alice@example.com", "password": "alice-pass"})),
    )
    .await;
    assert_eq!(s, 200, "{login}");
    let alice_token = login["id"].as_str().unwrap().to_owned();
    let alice_id = login["userId"].clone();
    let (_, login) = http(
        port,
        "POST",
        "/api/readers/login",
        None,
        Some(json!({"username": "bob", "password": "bob-pass"})),
    )
    .await;
    let bob_token = login["id"].as_str().unwrap().to_owned();
    let (s, me) = http(port, "GET", "/api/readers/me", Some(&alice_token), None).await;
    assert_eq!((s, me["username"].clone()), (200, json!("alice")));

    // ACL denial: anonymous writes are 401.
    let (s, denied) = http(
        port,
        "POST",
        "/api/authors",
        None,
        Some(json!({"name": "Le Guin"})),
    )
    .await;
    assert_eq!(
        (s, denied["error"]["code"].clone()),
        (401, json!("AUTHORIZATION_REQUIRED"))
    );

    // CRUD as alice.
    let (s, author) = http(
        port,
        "POST",
        "/api/authors",
        Some(&alice_token),
        Some(json!({"name": "Ursula K. Le Guin"})),
    )
    .await;
    assert_eq!(s, 200, "{author}");
    let author_id = author["id"].clone();
    for (title, year) in [
        ("A Wizard of Earthsea", 1968),
        ("The Dispossessed", 1974),
        ("The Lathe of Heaven", 1971),
    ] {
        let (s, b) = http(
            port,
            "POST",
            &format!("/api/authors/{author_id}/books"),
            Some(&alice_token),
            Some(json!({"title": title, "year": year, "ownerId": alice_id})),
        )
        .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["authorId"], author_id);
    }
    let (s, invalid) = http(
        port,
        "POST",
        "/api/books",
        Some(&alice_token),
        Some(json!({"year": 2000})),
    )
    .await;
    assert_eq!(
        (s, invalid["error"]["name"].clone()),
        (422, json!("ValidationError"))
    );

    // Filters.
    let filter = enc(
        json!({"where": {"year": {"gt": 1969}}, "order": "year DESC", "fields": {"title": true, "year": true}}),
    );
    let (s, books) = http(
        port,
        "GET",
        &format!("/api/books?filter={filter}"),
        None,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        books,
        json!([{"title": "The Dispossessed", "year": 1974}, {"title": "The Lathe of Heaven", "year": 1971}])
    );
    let (s, count) = http(
        port,
        "GET",
        "/api/books/count?where%5Byear%5D%5Blt%5D=1970",
        None,
        None,
    )
    .await;
    assert_eq!((s, count), (200, json!({"count": 1})));

    // Include and relation routes.
    let filter = enc(json!({"include": "books"}));
    let (s, authors) = http(
        port,
        "GET",
        &format!("/api/authors?filter={filter}"),
        None,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(authors[0]["books"].as_array().unwrap().len(), 3);
    let (s, n) = http(
        port,
        "GET",
        &format!("/api/authors/{author_id}/books/count"),
        None,
        None,
    )
    .await;
    assert_eq!((s, n), (200, json!({"count": 3})));
    let (s, owner) = http(port, "GET", "/api/books/1/author", None, None).await;
    assert_eq!(
        (s, owner["name"].clone()),
        (200, json!("Ursula K. Le Guin"))
    );

    // $owner: bob cannot change alice's book; alice can.
    let (s, _) = http(
        port,
        "PATCH",
        "/api/books/1",
        Some(&bob_token),
        Some(json!({"price": 1})),
    )
    .await;
    assert_eq!(s, 401);
    let (s, patched) = http(
        port,
        "PATCH",
        "/api/books/1",
        Some(&alice_token),
        Some(json!({"price": 9.5})),
    )
    .await;
    assert_eq!((s, patched["price"].clone()), (200, json!(9.5)));
    let (s, gone) = http(port, "DELETE", "/api/books/3", Some(&alice_token), None).await;
    assert_eq!((s, gone), (200, json!({"count": 1})));
    let (s, missing) = http(port, "GET", "/api/books/3", None, None).await;
    assert_eq!(
        (s, missing["error"]["code"].clone()),
        (404, json!("MODEL_NOT_FOUND"))
    );

    // Logout ends the token.
    let (s, _) = http(
        port,
        "POST",
        "/api/readers/logout",
        Some(&alice_token),
        None,
    )
    .await;
    assert_eq!(s, 204);
    let (s, _) = http(port, "GET", "/api/readers/me", Some(&alice_token), None).await;
    assert_eq!(s, 401);

    // The explorer is served, unknown routes are LB3's 404.
    let (s, _) = http(port, "GET", "/explorer/", None, None).await;
    assert_eq!(s, 200);
    let (s, nf) = http(port, "GET", "/api/nothing", None, None).await;
    assert_eq!(s, 404, "{nf}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_the_example_folder_on_memory() {
    let server = serve(Path::new(EXAMPLE), &[]);
    drive(server.port).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_the_example_folder_on_postgresql() {
    let Ok(url) = std::env::var("LOOPBACK_TEST_POSTGRES_URL") else {
        eprintln!("LOOPBACK_TEST_POSTGRES_URL unset: skipped");
        return;
    };
    let schema = format!(
        "cli_serve_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let pool = sqlx::PgPool::connect(&url)
        .await
        .expect("LOOPBACK_TEST_POSTGRES_URL is set but PostgreSQL is unreachable");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&pool)
        .await
        .unwrap();

    // The same folder with a `datasources.postgres.json` override, and the tables made by
    // `loopback migrate`.
    let dir = app_folder::copy_app(EXAMPLE);
    std::fs::write(
        dir.path().join("server/datasources.postgres.json"),
        json!({"db": {"connector": "postgresql", "url": "${DATABASE_URL}", "schema": "${DB_SCHEMA}"}}).to_string(),
    )
    .unwrap();
    let env = [
        ("NODE_ENV", "postgres"),
        ("DATABASE_URL", url.as_str()),
        ("DB_SCHEMA", schema.as_str()),
    ];
    let migrate = Command::new(env!("CARGO_BIN_EXE_loopback"))
        .args(["migrate", dir.path().to_str().unwrap()])
        .envs(env)
        .output()
        .unwrap();
    let result = async {
        assert!(
            migrate.status.success(),
            "migrate failed: {}",
            String::from_utf8_lossy(&migrate.stderr)
        );
        let server = serve(dir.path(), &env);
        drive(server.port).await;
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT count(*) FROM {schema}.book"))
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(n, 2, "the rows are in PostgreSQL");
    };
    let outcome = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(result)).await;
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&pool)
        .await
        .unwrap();
    if let Err(p) = outcome {
        std::panic::resume_unwind(p);
    }
}

#[test]
fn serve_refuses_an_invalid_folder() {
    let dir = app_folder::copy_app(EXAMPLE);
    std::fs::write(
        dir.path().join("server/datasources.json"),
        r#"{"db": {"connector": "couchdb"}}"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_loopback"))
        .args(["serve", dir.path().to_str().unwrap(), "--port", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("datasources.json:1:"), "{err}");
    assert!(
        err.contains("`db.connector`: unknown connector `couchdb`"),
        "{err}"
    );
    assert!(err.contains("nothing is served"), "{err}");
    assert!(out.stdout.is_empty(), "nothing listened");
}

#[test]
fn routes_and_openapi_describe_the_folder() {
    let out = Command::new(env!("CARGO_BIN_EXE_loopback"))
        .args(["routes", EXAMPLE])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |needle: &str| {
        text.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no route line with {needle}:\n{text}"))
            .to_owned()
    };
    let find = line(" Book.find ");
    assert!(find.starts_with("GET"), "{find}");
    assert!(
        find.contains("READ") && find.contains("anonymous:ALLOW"),
        "{find}"
    );
    let create = line(" Book.create ");
    assert!(
        create.contains("anonymous:DENY") && create.contains("authenticated:ALLOW"),
        "{create}"
    );
    let patch = line("Book.prototype.patchAttributes");
    assert!(
        patch.contains("authenticated:DENY") && patch.contains("$owner:ALLOW"),
        "{patch}"
    );
    assert!(
        !text.contains("/api/AccessTokens"),
        "private models have no routes"
    );

    // A rule naming an alias (`updateAttributes`) applies to the method it stands for.
    let dir = app_folder::copy_app(EXAMPLE);
    app_folder::edit_json(dir.path(), "server/model-config.json", |mc| {
        mc["Author"]["acls"] = json!([{"property": "updateAttributes", "accessType": "WRITE",
            "principalType": "ROLE", "principalId": "$authenticated", "permission": "DENY"}]);
    });
    let out = Command::new(env!("CARGO_BIN_EXE_loopback"))
        .args(["routes", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    let aliased = String::from_utf8_lossy(&out.stdout);
    let patch = aliased
        .lines()
        .find(|l| l.contains(" Author.prototype.patchAttributes "))
        .unwrap_or_else(|| panic!("{aliased}"));
    assert!(patch.contains("authenticated:DENY"), "{patch}");

    let out = Command::new(env!("CARGO_BIN_EXE_loopback"))
        .args(["openapi", EXAMPLE])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(
        doc["paths"].get("/books/{id}").is_some() || doc["paths"].get("/api/books/{id}").is_some(),
        "{}",
        doc["paths"]
    );
}
