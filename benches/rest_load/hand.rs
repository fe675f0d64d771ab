//! The hand-written server: hyper 1 (HTTP/1.1 with keep-alive) and a sqlx `PgPool`, answering
//! the four routes of the load test over the same tables as loopback, with the same statuses
//! and JSON bodies:
//!
//! - `GET /api/Books/:id`: one book, or 404;
//! - `GET /api/Books?filter=…`: `{"where":{"price":{"gt":X}},"order":"price DESC|ASC","limit":N}`
//!   (only that form), ordered by price then id as loopback orders ties;
//! - `GET /api/Authors?filter=…`: `{"include":"books","limit":N}` (only that form): the
//!   authors in id order, then their books with one `author_id = ANY($1)` query, nested under
//!   `books` in id order;
//! - `GET /api/SecureBooks/:id`: the book of `/api/Books/:id` for a caller whose
//!   `Authorization` header names a token of the `accesstoken` table that has not expired
//!   (read by id on every request), else 401;
//! - `POST /api/Books`: inserts `title`, `price`, `published`, `authorId` and answers the
//!   created book with its id.
//!
//! JSON is written straight into the response buffer (strings escaped by `serde_json`), as a
//! `#[derive(Serialize)]` struct would be. Numbers follow loopback's output: a whole `price`
//! is written as an integer.

use std::convert::Infallible;
use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value as Json;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::Row;
use tokio::net::TcpListener;

/// The largest request body read (loopback's default, body-parser's `100kb`).
const BODY_LIMIT: usize = 100 * 1024;

/// A pool with the settings of loopback's PostgreSQL connector when none are given: 10
/// connections, none kept open at start, no idle timeout or maximum lifetime, a 10 s acquire
/// timeout, connections tested before use.
pub fn pool(options: PgConnectOptions) -> PgPool {
    PgPoolOptions::new()
        .max_connections(10)
        .min_connections(0)
        .idle_timeout(None)
        .max_lifetime(None)
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire(true)
        .connect_lazy_with(options)
}

/// The SQL of the server, with the tables qualified by the schema.
struct Queries {
    book_by_id: String,
    books_by_price_desc: String,
    books_by_price_asc: String,
    authors: String,
    books_of_authors: String,
    insert_book: String,
    token_by_id: String,
}

impl Queries {
    fn new(schema: &str) -> Queries {
        let books = format!("\"{schema}\".\"books\"");
        let authors = format!("\"{schema}\".\"authors\"");
        let columns = "\"id\", \"title\", \"price\", \"published\", \"author_id\"";
        Queries {
            book_by_id: format!("SELECT {columns} FROM {books} WHERE \"id\" = $1"),
            books_by_price_desc: format!(
                "SELECT {columns} FROM {books} WHERE \"price\" > $1 \
                 ORDER BY \"price\" DESC, \"id\" ASC LIMIT $2"
            ),
            books_by_price_asc: format!(
                "SELECT {columns} FROM {books} WHERE \"price\" > $1 \
                 ORDER BY \"price\" ASC, \"id\" ASC LIMIT $2"
            ),
            authors: format!("SELECT \"id\", \"name\" FROM {authors} ORDER BY \"id\" ASC LIMIT $1"),
            books_of_authors: format!(
                "SELECT {columns} FROM {books} WHERE \"author_id\" = ANY($1) ORDER BY \"id\" ASC"
            ),
            token_by_id: format!(
                "SELECT \"created\", \"ttl\" FROM \"{schema}\".\"accesstoken\" WHERE \"id\" = $1"
            ),
            insert_book: format!(
                "INSERT INTO {books} (\"title\", \"price\", \"published\", \"author_id\") \
                 VALUES ($1, $2, $3, $4) RETURNING \"id\""
            ),
        }
    }
}

/// What every request shares.
pub struct Hand {
    pool: PgPool,
    q: Queries,
}

impl Hand {
    /// A server over the tables `books` and `authors` of `schema`.
    pub fn new(pool: PgPool, schema: &str) -> Arc<Hand> {
        Arc::new(Hand {
            pool,
            q: Queries::new(schema),
        })
    }
}

/// Serves `hand` on `listener` until `shutdown` completes.
pub async fn serve(listener: TcpListener, hand: Arc<Hand>, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let hand = hand.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let hand = hand.clone();
                        async move { Ok::<_, Infallible>(hand.handle(req).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            () = &mut shutdown => break,
        }
    }
}

/// A failed request: its status and message.
struct Failure(StatusCode, String);

impl Failure {
    fn bad_request(message: impl Into<String>) -> Failure {
        Failure(StatusCode::BAD_REQUEST, message.into())
    }

    fn response(self) -> Response<Full<Bytes>> {
        let Failure(status, message) = self;
        let mut body = Vec::with_capacity(message.len() + 64);
        body.extend_from_slice(b"{\"error\":{\"statusCode\":");
        write!(body, "{}", status.as_u16()).expect("writes to a Vec");
        body.extend_from_slice(b",\"message\":");
        serde_json::to_writer(&mut body, &message).expect("writes to a Vec");
        body.extend_from_slice(b"}}");
        json(status, body)
    }
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Failure {
        Failure(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

fn json(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from(body)));
    *res.status_mut() = status;
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    res
}

impl Hand {
    async fn handle(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let result = match (req.method(), req.uri().path()) {
            (&Method::GET, "/api/Books") => self.find_books(req.uri().query()).await,
            (&Method::POST, "/api/Books") => self.create_book(req).await,
            (&Method::GET, "/api/Authors") => self.find_authors(req.uri().query()).await,
            (&Method::GET, path) => match path.strip_prefix("/api/Books/") {
                Some(id) => self.book_by_id(id).await,
                None => match path.strip_prefix("/api/SecureBooks/") {
                    Some(id) => match self.authenticated(&req).await {
                        Ok(()) => self.book_by_id(id).await,
                        Err(e) => Err(e),
                    },
                    None => Err(Failure(StatusCode::NOT_FOUND, "no such route".into())),
                },
            },
            _ => Err(Failure(StatusCode::NOT_FOUND, "no such route".into())),
        };
        match result {
            Ok(body) => json(StatusCode::OK, body),
            Err(failure) => failure.response(),
        }
    }

    /// A token from the `Authorization` header that exists and has not expired, else 401.
    async fn authenticated(&self, req: &Request<Incoming>) -> Result<(), Failure> {
        let denied = || Failure(StatusCode::UNAUTHORIZED, "Authorization Required".into());
        let token = req
            .headers()
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .filter(|t| !t.is_empty())
            .ok_or_else(denied)?;
        let row = sqlx::query(&self.q.token_by_id)
            .bind(token)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(denied)?;
        let created: chrono::DateTime<chrono::Utc> = row.try_get("created")?;
        let ttl: f64 = row
            .try_get::<i32, _>("ttl")
            .map_or_else(|_| row.try_get::<f64, _>("ttl"), |t| Ok(f64::from(t)))?;
        let age = (chrono::Utc::now() - created).num_milliseconds() as f64 / 1000.0;
        if ttl <= 0.0 || age >= ttl {
            return Err(denied());
        }
        Ok(())
    }

    async fn book_by_id(&self, raw: &str) -> Result<Vec<u8>, Failure> {
        let not_found = || {
            Failure(
                StatusCode::NOT_FOUND,
                format!("Unknown \"Book\" id \"{raw}\"."),
            )
        };
        let id: i32 = raw.parse().map_err(|_| not_found())?;
        let row = sqlx::query(&self.q.book_by_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(not_found)?;
        let mut out = Vec::with_capacity(128);
        write_book(&mut out, &row)?;
        Ok(out)
    }

    async fn find_books(&self, query: Option<&str>) -> Result<Vec<u8>, Failure> {
        let filter = filter_param(query)?;
        let gt = filter
            .pointer("/where/price/gt")
            .and_then(Json::as_f64)
            .ok_or_else(|| Failure::bad_request("expected where.price.gt"))?;
        let sql = match filter.get("order").and_then(Json::as_str) {
            Some("price DESC") => &self.q.books_by_price_desc,
            Some("price ASC" | "price") => &self.q.books_by_price_asc,
            _ => return Err(Failure::bad_request("expected order price DESC or ASC")),
        };
        let limit = filter
            .get("limit")
            .and_then(Json::as_i64)
            .ok_or_else(|| Failure::bad_request("expected a limit"))?;
        let rows = sqlx::query(sql)
            .bind(gt)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len() * 100 + 2);
        out.push(b'[');
        for (i, row) in rows.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_book(&mut out, row)?;
        }
        out.push(b']');
        Ok(out)
    }

    async fn find_authors(&self, query: Option<&str>) -> Result<Vec<u8>, Failure> {
        let filter = filter_param(query)?;
        if filter.get("include").and_then(Json::as_str) != Some("books") {
            return Err(Failure::bad_request("expected include books"));
        }
        let limit = filter
            .get("limit")
            .and_then(Json::as_i64)
            .ok_or_else(|| Failure::bad_request("expected a limit"))?;
        let authors = sqlx::query(&self.q.authors)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let ids = authors
            .iter()
            .map(|a| a.try_get::<i32, _>(0))
            .collect::<Result<Vec<i32>, _>>()?;
        let books = sqlx::query(&self.q.books_of_authors)
            .bind(&ids)
            .fetch_all(&self.pool)
            .await?;
        // Each author's books, in id order: indexes into `books`.
        let mut books_of: Vec<Vec<usize>> = vec![Vec::new(); ids.len()];
        for (i, book) in books.iter().enumerate() {
            let author: i32 = book.try_get(4)?;
            if let Some(pos) = ids.iter().position(|&id| id == author) {
                books_of[pos].push(i);
            }
        }
        let mut out = Vec::with_capacity(books.len() * 100 + authors.len() * 40 + 2);
        out.push(b'[');
        for (n, (author, mine)) in authors.iter().zip(&books_of).enumerate() {
            if n > 0 {
                out.push(b',');
            }
            let id: i32 = author.try_get(0)?;
            let name: &str = author.try_get(1)?;
            write!(out, "{{\"id\":{id},\"name\":").expect("writes to a Vec");
            serde_json::to_writer(&mut out, name).expect("writes to a Vec");
            out.extend_from_slice(b",\"books\":[");
            for (k, &b) in mine.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                write_book(&mut out, &books[b])?;
            }
            out.extend_from_slice(b"]}");
        }
        out.push(b']');
        Ok(out)
    }

    async fn create_book(&self, req: Request<Incoming>) -> Result<Vec<u8>, Failure> {
        let body = http_body_util::Limited::new(req.into_body(), BODY_LIMIT)
            .collect()
            .await
            .map_err(|e| Failure::bad_request(e.to_string()))?
            .to_bytes();
        let data: Json =
            serde_json::from_slice(&body).map_err(|e| Failure::bad_request(e.to_string()))?;
        let invalid = |what: &str| {
            Failure(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("The `Book` instance is not valid: {what}"),
            )
        };
        let title = data
            .get("title")
            .and_then(Json::as_str)
            .ok_or_else(|| invalid("title"))?;
        let price = data
            .get("price")
            .and_then(Json::as_f64)
            .ok_or_else(|| invalid("price"))?;
        let published = data
            .get("published")
            .and_then(Json::as_bool)
            .ok_or_else(|| invalid("published"))?;
        let author = data
            .get("authorId")
            .and_then(Json::as_i64)
            .and_then(|a| i32::try_from(a).ok())
            .ok_or_else(|| invalid("authorId"))?;
        let id: i32 = sqlx::query_scalar(&self.q.insert_book)
            .bind(title)
            .bind(price)
            .bind(published)
            .bind(author)
            .fetch_one(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(128);
        write_fields(&mut out, id, title, price, published, author);
        Ok(out)
    }
}

/// The `filter` query parameter, percent-decoded and parsed as JSON.
fn filter_param(query: Option<&str>) -> Result<Json, Failure> {
    let raw = query
        .unwrap_or_default()
        .split('&')
        .find_map(|p| p.strip_prefix("filter="))
        .ok_or_else(|| Failure::bad_request("expected a filter parameter"))?;
    let decoded = percent_decode(raw).ok_or_else(|| Failure::bad_request("bad escape"))?;
    serde_json::from_slice(&decoded).map_err(|e| Failure::bad_request(e.to_string()))
}

/// `%XX` escapes decoded, `+` read as a space; `None` for a malformed escape.
fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(out)
}

/// A book row (`id, title, price, published, author_id`) as loopback's JSON.
fn write_book(out: &mut Vec<u8>, row: &PgRow) -> Result<(), Failure> {
    let id: i32 = row.try_get(0)?;
    let title: &str = row.try_get(1)?;
    let price: f64 = row.try_get(2)?;
    let published: bool = row.try_get(3)?;
    let author: i32 = row.try_get(4)?;
    write_fields(out, id, title, price, published, author);
    Ok(())
}

/// A book as loopback's JSON: the id, then the properties in definition order.
fn write_fields(out: &mut Vec<u8>, id: i32, title: &str, price: f64, published: bool, author: i32) {
    write!(out, "{{\"id\":{id},\"title\":").expect("writes to a Vec");
    serde_json::to_writer(&mut *out, title).expect("writes to a Vec");
    out.extend_from_slice(b",\"price\":");
    write_number(out, price);
    write!(out, ",\"published\":{published},\"authorId\":{author}}}").expect("writes to a Vec");
}

/// A number as loopback writes it: whole values as integers.
fn write_number(out: &mut Vec<u8>, f: f64) {
    if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
        write!(out, "{}", f as i64).expect("writes to a Vec");
    } else {
        serde_json::to_writer(&mut *out, &f).expect("writes to a Vec");
    }
}
