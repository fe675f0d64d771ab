//! HTTP load on PostgreSQL with `wrk`: loopback's REST API (`loopback::rest::serve`) against a
//! hand-written hyper + sqlx server doing the same work over the same tables.
//!
//! Run with `cargo bench -j2 --bench rest_load --features postgres` (the `rest` feature is on
//! by default). It needs `wrk` on `PATH` (`apt-get install -y wrk`) and a PostgreSQL server at
//! `LOOPBACK_BENCH_POSTGRES_URL`, else `LOOPBACK_TEST_POSTGRES_URL`, else
//! `postgres://postgres@127.0.0.1:5432/test`; it is skipped with a message when the server
//! cannot be reached. Everything lives in a schema made for the run and dropped at its end.
//!
//! Data: 100 authors (`name`) and 1,000 books (`title`, `price`, `published`, `authorId`), ten
//! per author, defined as LB3 model JSON (`Author` hasMany `books`) in tables `authors` and
//! `books` made by loopback's `automigrate`, and seeded through sqlx. Prices are distinct.
//!
//! Scenarios, each run against one server at a time:
//!
//! - get by id: `GET /api/Books/:id`, the id drawn at random in 1..=1000 (`get_book.lua`);
//! - filtered list: `GET /api/Books?filter={"where":{"price":{"gt":50}},"order":"price DESC","limit":50}`
//!   (about 500 books match; 50 are returned);
//! - include: `GET /api/Authors?filter={"include":"books","limit":20}` (20 authors, 200 books);
//! - create: `POST /api/Books` with a JSON book (`create_book.lua`); it runs last, since it
//!   adds rows;
//! - authenticated read: `GET /api/SecureBooks/:id` with the ids of the get by id
//!   (`get_secure_book.lua`) and a valid access token in the `Authorization` header.
//!   `SecureBook` is `Book` over the same table, with LB3 ACLs denying everyone and allowing
//!   `$authenticated` READ, so each request resolves the token (through loopback's token
//!   cache) and runs the ACL check; the token belongs to the built-in `User`, attached with
//!   `enable_auth`. The hand-written server reads the token row (`created`, `ttl`) by id on
//!   every request and checks its expiry before reading the book. The summary also gives
//!   loopback's authenticated/anonymous ratio of the two reads.
//!
//! Both servers run on one multi-thread Tokio runtime in this process, each with a pool of 10
//! PostgreSQL connections (the connector's default). Before anything is measured, both are
//! asked the same requests and must give the same statuses and the same bodies (the created
//! book's id aside); the run stops otherwise. The hand-written server speaks HTTP/1.1 only
//! (loopback's `serve` also detects HTTP/2), sends no CORS headers (loopback applies its
//! default CORS settings), and reads the include's books with `author_id = ANY($1)` where
//! loopback sends `IN ($1, …, $20)`; like loopback, it orders by the id after the requested
//! order.
//!
//! Besides requests per second and wrk's latency (mean and 99th percentile), the table gives
//! the CPU time of this process per request while each server is under load: on a small
//! machine where wrk, PostgreSQL and the server share the cores, it shows what each server
//! itself costs.
//!
//! Each measurement is `wrk -t2 -c32 -d10s --latency` after a 2 s warm-up. Settings:
//! `LOOPBACK_BENCH_SECS` (seconds per run, default 10), `LOOPBACK_BENCH_WARMUP_SECS` (default
//! 2), `LOOPBACK_BENCH_CONNECTIONS` (default 32), `LOOPBACK_BENCH_THREADS` (wrk threads,
//! default 2), `LOOPBACK_BENCH_ROUNDS` (default 1: with more, the servers take turns going
//! first and the figures are means over the rounds), `LOOPBACK_BENCH_SCENARIOS` (a comma
//! separated subset of `get`, `list`, `include`, `auth`, `create`; default all).

#[path = "rest_load/hand.rs"]
mod hand;
#[path = "rest_load/wrk.rs"]
mod wrk;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use loopback::auth::AuthOptions;
use loopback::rest::{serve, RestApi};
use loopback::{App, Connector, ModelDefinition, ModelHandle};
use serde_json::{json, Value as Json};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgSslMode};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

const AUTHORS: i32 = 100;
const BOOKS_PER_AUTHOR: i32 = 10;
const BOOKS: i32 = AUTHORS * BOOKS_PER_AUTHOR;

/// The user whose token the authenticated read sends.
const READER: (&str, &str) = ("reader@example.com", "reader-pass");

/// The price the filtered list looks above.
const PRICE_ABOVE: f64 = 50.0;

/// The body the create scenario posts (as in `create_book.lua`).
const NEW_BOOK: &str = r#"{"title":"Load test book","price":12.49,"published":true,"authorId":7}"#;

/// The two models, as LB3 JSON: tables `authors` and `books`, the foreign key an indexed
/// `INTEGER` column `author_id`.
fn model_json() -> [Json; 3] {
    [
        json!({
            "name": "Author",
            "postgresql": {"table": "authors"},
            "properties": {"name": {"type": "string", "required": true}},
            "relations": {"books": {"type": "hasMany", "model": "Book", "foreignKey": "authorId"}}
        }),
        json!({
            "name": "Book",
            "postgresql": {"table": "books"},
            "properties": {
                "title": {"type": "string", "required": true},
                "price": {"type": "number", "required": true},
                "published": {"type": "boolean", "required": true},
                "authorId": {
                    "type": "number",
                    "required": true,
                    "index": true,
                    "postgresql": {"columnName": "author_id", "dataType": "INTEGER"}
                }
            },
            "relations": {
                "author": {"type": "belongsTo", "model": "Author", "foreignKey": "authorId"}
            }
        }),
        json!({
            "name": "SecureBook",
            "postgresql": {"table": "books"},
            "properties": {
                "title": {"type": "string", "required": true},
                "price": {"type": "number", "required": true},
                "published": {"type": "boolean", "required": true},
                "authorId": {
                    "type": "number",
                    "required": true,
                    "postgresql": {"columnName": "author_id", "dataType": "INTEGER"}
                }
            },
            "acls": [
                {"principalType": "ROLE", "principalId": "$everyone", "permission": "DENY"},
                {"principalType": "ROLE", "principalId": "$authenticated", "permission": "ALLOW",
                    "accessType": "READ"}
            ]
        }),
    ]
}

/// A setting from the environment, or `default` when unset or empty.
fn setting<T: FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}: cannot read `{v}`")),
        _ => default,
    }
}

fn postgres_url() -> String {
    ["LOOPBACK_BENCH_POSTGRES_URL", "LOOPBACK_TEST_POSTGRES_URL"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|u| !u.trim().is_empty()))
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn main() {
    if !wrk::available() {
        eprintln!(
            "rest_load: `wrk` was not found on PATH. Install it (Debian/Ubuntu: \
             `apt-get install -y wrk`) and run again."
        );
        std::process::exit(2);
    }
    let url = postgres_url();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let admin = match rt.block_on(
        PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(5))
            .connect(&url),
    ) {
        Ok(pool) => pool,
        Err(e) => {
            eprintln!("rest_load: skipped, PostgreSQL at {url} is unreachable: {e}");
            return;
        }
    };
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let schema = format!("lb_bench_rest_load_{}_{millis}", std::process::id());

    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run(&rt, &url, &schema, &admin)
    }));
    let drop_sql = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
    if let Err(e) = rt.block_on(sqlx::query(&drop_sql).execute(&admin)) {
        eprintln!("{drop_sql}: {e}");
    }
    rt.block_on(admin.close());
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

/// A server running on the runtime, and how to stop it.
struct Running {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

fn run(rt: &tokio::runtime::Runtime, url: &str, schema: &str, admin: &PgPool) {
    let load = wrk::Load {
        threads: setting("LOOPBACK_BENCH_THREADS", 2),
        connections: setting("LOOPBACK_BENCH_CONNECTIONS", 32),
        seconds: setting("LOOPBACK_BENCH_SECS", 10),
    };
    let warm_up = wrk::Load {
        seconds: setting("LOOPBACK_BENCH_WARMUP_SECS", 2),
        ..load.clone()
    };
    let rounds: u32 = setting("LOOPBACK_BENCH_ROUNDS", 1).max(1);

    let (app, loopback, hand, token) = rt.block_on(async {
        let connector = loopback::connectors::postgres(json!({"url": url, "schema": schema}))
            .expect("postgresql connector");
        let app = setup(connector, schema, admin).await;
        let login = app
            .model("User")
            .expect("the built-in User")
            .login(
                &json!({"email": READER.0, "password": READER.1}),
                &[],
                &loopback::Options::new(),
            )
            .await
            .expect("the reader logs in");
        let token = login["id"].as_str().expect("a token id").to_owned();
        let api = RestApi::builder(&app).rest_root("/api").build();
        let loopback = start(|listener, stopped| async move {
            serve(listener, api, stopped)
                .await
                .expect("loopback serves");
        })
        .await;
        // Plain connections, as the connector makes them without SSL settings.
        let options = PgConnectOptions::from_str(url)
            .expect("a postgres:// URL")
            .ssl_mode(PgSslMode::Disable);
        let server = hand::Hand::new(hand::pool(options), schema);
        let hand = start(|listener, stopped| hand::serve(listener, server, stopped)).await;
        (app, loopback, hand, token)
    });

    rt.block_on(check_same_answers(loopback.addr, hand.addr, &token));
    println!(
        "Both servers give the same answers. Load: wrk -t{} -c{} -d{}s after a {} s warm-up, \
         {rounds} round(s).",
        load.threads, load.connections, load.seconds, warm_up.seconds
    );

    let scripts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/rest_load");
    let get_book = scripts.join("get_book.lua");
    let create_book = scripts.join("create_book.lua");
    let get_secure_book = scripts.join("get_secure_book.lua");
    let authorization = format!("Authorization: {token}");
    let filtered = filtered_path(PRICE_ABOVE, "price DESC", 50);
    let include = include_path(20);
    let no_headers: &[String] = &[];
    let auth_headers = std::slice::from_ref(&authorization);
    // (key, name, path, script, headers)
    type Scenario<'a> = (&'a str, &'a str, &'a str, Option<&'a PathBuf>, &'a [String]);
    let scenarios: [Scenario<'_>; 5] = [
        (
            "get",
            "get by id",
            "/api/Books/1",
            Some(&get_book),
            no_headers,
        ),
        (
            "list",
            "filtered list (50 of 1,000)",
            &filtered,
            None,
            no_headers,
        ),
        (
            "include",
            "include (20 authors + books)",
            &include,
            None,
            no_headers,
        ),
        (
            "auth",
            "authenticated read",
            "/api/SecureBooks/1",
            Some(&get_secure_book),
            auth_headers,
        ),
        (
            "create",
            "create",
            "/api/Books",
            Some(&create_book),
            no_headers,
        ),
    ];
    let chosen: String = setting("LOOPBACK_BENCH_SCENARIOS", String::new());
    let chosen: Vec<&str> = chosen
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();

    let mut rows = Vec::new();
    for (key, name, path, script, headers) in scenarios {
        if !chosen.is_empty() && !chosen.contains(&key) {
            continue;
        }
        let mut lb = Vec::new();
        let mut hw = Vec::new();
        for round in 0..rounds {
            let order = if round % 2 == 0 {
                [
                    ("loopback", &loopback, &mut lb),
                    ("hand-written", &hand, &mut hw),
                ]
            } else {
                [
                    ("hand-written", &hand, &mut hw),
                    ("loopback", &loopback, &mut lb),
                ]
            };
            for (label, server, out) in order {
                let target = server.url(path);
                let script = script.map(PathBuf::as_path);
                if warm_up.seconds > 0 {
                    wrk::run(&warm_up, &target, script, headers).unwrap_or_else(|e| panic!("{e}"));
                }
                let cpu_before = wrk::process_cpu_ms();
                let m = wrk::run(&load, &target, script, headers).unwrap_or_else(|e| panic!("{e}"));
                // Only this server is under load: the process's CPU time is its cost.
                let cpu = cpu_before
                    .zip(wrk::process_cpu_ms())
                    .map(|(a, b)| (b - a) as f64 * 1000.0 / m.requests.max(1) as f64);
                assert!(
                    m.non_2xx == 0,
                    "{name} on {label} ({target}): {} responses were not 2xx",
                    m.non_2xx
                );
                if m.socket_errors > 0 {
                    eprintln!(
                        "{name} on {label}: {} socket errors ({})",
                        m.socket_errors, m.socket_error_detail
                    );
                }
                out.push((m, cpu));
            }
        }
        let (lb, hw) = (Summary::of(&lb), Summary::of(&hw));
        println!(
            "  {name}: loopback {:.0} req/s, hand-written {:.0} req/s",
            lb.requests_per_sec, hw.requests_per_sec
        );
        rows.push((key, name, lb, hw));
    }

    println!();
    println!(
        "{:<30} {:>14} {:>15} {:>12} {:>14} {:>15} {:>12} {:>7}",
        "scenario",
        "loopback req/s",
        "avg/p99 ms",
        "CPU us/req",
        "hand req/s",
        "avg/p99 ms",
        "CPU us/req",
        "ratio"
    );
    for (_, name, lb, hw) in &rows {
        let ratio = lb.requests_per_sec / hw.requests_per_sec;
        println!(
            "{:<30} {:>14.0} {:>15} {:>12} {:>14.0} {:>15} {:>12} {:>6.2}x{}",
            name,
            lb.requests_per_sec,
            lb.latency(),
            lb.cpu(),
            hw.requests_per_sec,
            hw.latency(),
            hw.cpu(),
            ratio,
            if ratio < 0.8 { "  (below 0.8x)" } else { "" }
        );
    }
    println!(
        "  CPU us/req: CPU time of this process (the server under load; wrk and PostgreSQL \
         excluded) per request."
    );
    let rate = |key: &str| {
        rows.iter()
            .find(|r| r.0 == key)
            .map(|r| r.2.requests_per_sec)
    };
    if let (Some(anonymous), Some(authenticated)) = (rate("get"), rate("auth")) {
        let ratio = authenticated / anonymous;
        println!(
            "  loopback authenticated read / get by id: {authenticated:.0} / {anonymous:.0} req/s \
             = {ratio:.2}x{}",
            if ratio < 0.8 { "  (below 0.8x)" } else { "" }
        );
    }

    rt.block_on(async {
        for server in [loopback, hand] {
            let _ = server.stop.send(());
            let _ = tokio::time::timeout(Duration::from_secs(10), server.task).await;
        }
    });
    drop(app);
}

/// Defines the models on `connector`, creates their tables, and seeds them through `admin`.
async fn setup(connector: Arc<dyn Connector>, schema: &str, admin: &PgPool) -> App {
    let app = App::new();
    app.data_source("db", connector.clone());
    app.enable_auth_with(AuthOptions::new().data_source("db"))
        .await
        .expect("auth enabled");
    for j in model_json() {
        let def = ModelDefinition::from_lb3_json(&j).expect("model JSON");
        app.define(def, "db").await.expect("defined");
    }
    // `SecureBook` reads the table of `Book`.
    let defs: Vec<_> = app
        .models()
        .iter()
        .filter(|m| m.name() != "SecureBook")
        .map(ModelHandle::definition)
        .collect();
    connector.automigrate(&defs).await.expect("migrated");
    let mut reader = loopback::Record::new();
    reader.insert("email", READER.0);
    reader.insert("password", READER.1);
    app.model("User")
        .expect("the built-in User")
        .create(reader, &loopback::Options::new())
        .await
        .expect("the reader");

    let authors = format!("\"{schema}\".\"authors\"");
    let books = format!("\"{schema}\".\"books\"");
    let ids: Vec<i32> = (1..=AUTHORS).collect();
    let names: Vec<String> = ids.iter().map(|a| format!("Author {a}")).collect();
    sqlx::query(&format!(
        "INSERT INTO {authors} (\"id\", \"name\") SELECT * FROM UNNEST($1::int4[], $2::text[])"
    ))
    .bind(&ids)
    .bind(&names)
    .execute(admin)
    .await
    .expect("authors seeded");
    let ids: Vec<i32> = (1..=BOOKS).collect();
    let titles: Vec<String> = ids.iter().map(|b| format!("Book {b}")).collect();
    // Distinct prices from 1.05 to 100.95, none of them whole.
    let prices: Vec<f64> = ids
        .iter()
        .map(|b| f64::from((b * 7919) % 1000 * 10 + 105) / 100.0)
        .collect();
    let published: Vec<bool> = ids.iter().map(|b| b % 3 != 0).collect();
    let author_ids: Vec<i32> = ids.iter().map(|b| (b - 1) / BOOKS_PER_AUTHOR + 1).collect();
    sqlx::query(&format!(
        "INSERT INTO {books} (\"id\", \"title\", \"price\", \"published\", \"author_id\") \
         SELECT * FROM UNNEST($1::int4[], $2::text[], $3::float8[], $4::bool[], $5::int4[])"
    ))
    .bind(&ids)
    .bind(&titles)
    .bind(&prices)
    .bind(&published)
    .bind(&author_ids)
    .execute(admin)
    .await
    .expect("books seeded");
    for (table, last) in [(&authors, AUTHORS), (&books, BOOKS)] {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{}', 'id'), {last})",
            table.replace('\'', "''")
        ))
        .execute(admin)
        .await
        .expect("sequence moved past the seeded ids");
        sqlx::query(&format!("ANALYZE {table}"))
            .execute(admin)
            .await
            .expect("analyzed");
    }
    app
}

/// Binds 127.0.0.1:0 and runs `serve` on it until told to stop.
async fn start<F, Fut>(serve: F) -> Running
where
    F: FnOnce(TcpListener, std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bound");
    let addr = listener.local_addr().expect("an address");
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(
        listener,
        Box::pin(async {
            let _ = stopped.await;
        }),
    ));
    Running { addr, stop, task }
}

/// One request on a fresh connection: the status and the body.
async fn fetch(addr: SocketAddr, method: Method, path: &str, body: &str) -> (StatusCode, String) {
    fetch_with(addr, method, path, body, None).await
}

/// As [`fetch`], with an access token in the `Authorization` header.
async fn fetch_with(
    addr: SocketAddr,
    method: Method,
    path: &str,
    body: &str,
    token: Option<&str>,
) -> (StatusCode, String) {
    let stream = TcpStream::connect(addr).await.expect("connected");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    let conn = tokio::spawn(conn);
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(HOST, addr.to_string());
    if !body.is_empty() {
        req = req.header(CONTENT_TYPE, "application/json");
    }
    if let Some(t) = token {
        req = req.header(hyper::header::AUTHORIZATION, t);
    }
    let req = req
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("a request");
    let res = sender.send_request(req).await.expect("a response");
    let status = res.status();
    let bytes = res.into_body().collect().await.expect("a body").to_bytes();
    drop(sender);
    let _ = conn.await;
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// `GET /api/Books` with the filtered list's filter.
fn filtered_path(above: f64, order: &str, limit: u32) -> String {
    let filter = json!({"where": {"price": {"gt": above}}, "order": order, "limit": limit});
    format!("/api/Books?filter={}", percent_encode(&filter.to_string()))
}

/// `GET /api/Authors` with the include's filter.
fn include_path(limit: u32) -> String {
    let filter = json!({"include": "books", "limit": limit});
    format!(
        "/api/Authors?filter={}",
        percent_encode(&filter.to_string())
    )
}

/// `GET path` on both servers: both must answer 200 with the same body, which is returned.
async fn same_get(loopback: SocketAddr, hand: SocketAddr, path: &str) -> String {
    let (ls, lb) = fetch(loopback, Method::GET, path, "").await;
    let (hs, hb) = fetch(hand, Method::GET, path, "").await;
    assert_eq!(
        (ls, &lb),
        (hs, &hb),
        "GET {path}: loopback (left) and the hand-written server (right) differ"
    );
    assert_eq!(ls, StatusCode::OK, "GET {path}: {lb}");
    lb
}

/// Asks both servers the requests of every scenario (and a missing book) and stops the run
/// when their statuses or bodies differ.
async fn check_same_answers(loopback: SocketAddr, hand: SocketAddr, token: &str) {
    for path in [
        "/api/Books/1".to_owned(),
        "/api/Books/537".to_owned(),
        format!("/api/Books/{BOOKS}"),
        filtered_path(90.5, "price ASC", 1000),
        include_path(3),
    ] {
        same_get(loopback, hand, &path).await;
    }
    // The requests the scenarios measure, and what they return.
    let list: Json = serde_json::from_str(
        &same_get(
            loopback,
            hand,
            &filtered_path(PRICE_ABOVE, "price DESC", 50),
        )
        .await,
    )
    .expect("JSON");
    assert_eq!(list.as_array().map(Vec::len), Some(50), "the filtered list");
    let authors: Json =
        serde_json::from_str(&same_get(loopback, hand, &include_path(20)).await).expect("JSON");
    let books: usize = authors
        .as_array()
        .expect("a list")
        .iter()
        .map(|a| a["books"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(
        (authors.as_array().map(Vec::len), books),
        (Some(20), 200),
        "the include list"
    );

    // The authenticated read: the same book with the token; 401 on both without it.
    for id in [1, 537, BOOKS] {
        let path = format!("/api/SecureBooks/{id}");
        let (ls, lb) = fetch_with(loopback, Method::GET, &path, "", Some(token)).await;
        let (hs, hb) = fetch_with(hand, Method::GET, &path, "", Some(token)).await;
        assert_eq!((ls, &lb), (hs, &hb), "GET {path} with a token");
        assert_eq!(ls, StatusCode::OK, "GET {path}: {lb}");
        let (_, plain) = fetch(loopback, Method::GET, &format!("/api/Books/{id}"), "").await;
        assert_eq!(lb, plain, "GET {path}: the book of /api/Books/{id}");
        let (ls, _) = fetch(loopback, Method::GET, &path, "").await;
        let (hs, _) = fetch(hand, Method::GET, &path, "").await;
        assert_eq!(
            (ls, hs),
            (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED),
            "GET {path} without a token"
        );
    }

    // A missing book: both 404 (the bodies differ: the hand-written one is shorter).
    let missing = "/api/Books/999999";
    let (ls, _) = fetch(loopback, Method::GET, missing, "").await;
    let (hs, _) = fetch(hand, Method::GET, missing, "").await;
    assert_eq!(
        (ls, hs),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND),
        "GET {missing}"
    );

    // Create: the same body but for the new id.
    let (ls, lb) = fetch(loopback, Method::POST, "/api/Books", NEW_BOOK).await;
    let (hs, hb) = fetch(hand, Method::POST, "/api/Books", NEW_BOOK).await;
    assert_eq!(ls, hs, "POST /api/Books: {lb} / {hb}");
    assert_eq!(ls, StatusCode::OK, "POST /api/Books: {lb}");
    let without_id = |body: &str| {
        let mut v: Json = serde_json::from_str(body).expect("JSON");
        let id = v
            .as_object_mut()
            .and_then(|m| m.shift_remove("id"))
            .and_then(|id| id.as_i64())
            .unwrap_or_else(|| panic!("no integer id in {body}"));
        assert!(id > i64::from(BOOKS), "a new id, not {id}");
        v.to_string()
    };
    assert_eq!(
        without_id(&lb),
        without_id(&hb),
        "POST /api/Books: loopback (left) and the hand-written server (right) differ"
    );
    assert_eq!(
        lb.replace(|c: char| c.is_ascii_digit(), ""),
        hb.replace(|c: char| c.is_ascii_digit(), ""),
        "POST /api/Books: the same keys in the same order"
    );
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The means over the rounds of one server in one scenario.
struct Summary {
    requests_per_sec: f64,
    latency_avg_ms: f64,
    latency_p99_ms: f64,
    /// Microseconds of CPU of this process per request, when it could be read.
    cpu_us_per_request: Option<f64>,
}

impl Summary {
    fn of(runs: &[(wrk::Measured, Option<f64>)]) -> Summary {
        let n = runs.len() as f64;
        let avg = |f: fn(&wrk::Measured) -> f64| runs.iter().map(|(m, _)| f(m)).sum::<f64>() / n;
        let cpu: Option<Vec<f64>> = runs.iter().map(|(_, c)| *c).collect();
        Summary {
            requests_per_sec: avg(|m| m.requests_per_sec),
            latency_avg_ms: avg(|m| m.latency_avg_ms),
            latency_p99_ms: avg(|m| m.latency_p99_ms),
            cpu_us_per_request: cpu.map(|c| c.iter().sum::<f64>() / n),
        }
    }

    fn latency(&self) -> String {
        format!("{:.2} / {:.2}", self.latency_avg_ms, self.latency_p99_ms)
    }

    fn cpu(&self) -> String {
        self.cpu_us_per_request
            .map_or_else(|| "n/a".to_owned(), |c| format!("{c:.0}"))
    }
}
