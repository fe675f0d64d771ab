//! Two-level `include` on SQLite and PostgreSQL: loopback-rs against the same work written
//! directly with sqlx.
//!
//! Run with `cargo bench --bench include --features sqlite,postgres`.
//!
//! 100 authors (`id`, `name`), 10 books each (`id`, `title`, `price`, `authorId`) and 10
//! reviews per book (`id`, `stars`, `body`, `bookId`): 100 + 1,000 + 10,000 rows in tables
//! created by loopback's `automigrate` from LB3 model JSON, so both sides read the very same
//! tables. The models name their tables (`authors`, `books`, `reviews`) and the foreign key
//! columns (`author_id`, `book_id`, indexed and typed `INTEGER`) for every database, so the
//! sqlx side writes the same SQL on both. The rows are seeded through sqlx with explicit ids.
//!
//! `load_authors_books_reviews` loads every author with its books and their reviews:
//!
//! - loopback through `ModelHandle::find` (records) with
//!   `{"include": {"relation": "books", "scope": {"include": "reviews"}}}`: one query per level;
//! - sqlx as one would write it by hand: three queries, each `ORDER BY id` as loopback's are
//!   (the authors; their books with `author_id IN (…)` on SQLite, `= ANY($1)` on PostgreSQL;
//!   the books' reviews the same way), decoded into structs and nested into
//!   `Vec<Author { books: Vec<Book { reviews: Vec<Review> }> }>` by grouping on the foreign
//!   keys in `HashMap`s.
//!
//! Twenty samples per side; warm-up and measurement times are criterion's defaults unless given
//! on the command line (`-- --warm-up-time 2 --measurement-time 5`).
//!
//! Before anything is timed, both sides are checked to return the same authors, books and
//! reviews (ids, foreign keys and a few columns), nested the same way.
//!
//! SQLite uses a database file in a temporary directory. PostgreSQL uses the server of
//! `LOOPBACK_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`), in a
//! schema made for the run and dropped at its end; its group is skipped with a message when
//! the server cannot be reached.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

mod common;

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use loopback::{
    App, Connector, Filter, ModelDefinition, ModelHandle, Options, ParseOptions, Record, Value,
};
use serde_json::json;
use sqlx::postgres::{PgPool, PgRow};
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{FromRow, Row};

const AUTHORS: i64 = 100;
const BOOKS_PER_AUTHOR: i64 = 10;
const REVIEWS_PER_BOOK: i64 = 10;
const BOOKS: i64 = AUTHORS * BOOKS_PER_AUTHOR;
const REVIEWS: i64 = BOOKS * REVIEWS_PER_BOOK;

/// An integer foreign key, indexed, in the column `column` on every SQL database.
fn foreign_key(column: &str) -> serde_json::Value {
    let db = json!({"columnName": column, "dataType": "INTEGER"});
    json!({"type": "number", "index": true, "sqlite3": db, "postgresql": db})
}

/// An integer column that is not an id.
fn integer() -> serde_json::Value {
    let db = json!({"dataType": "INTEGER"});
    json!({"type": "number", "required": true, "sqlite3": db, "postgresql": db})
}

/// The three models, as LB3 JSON.
fn model_json() -> [serde_json::Value; 3] {
    let table = |t: &str| json!({"table": t});
    [
        json!({
            "name": "Author",
            "sqlite3": table("authors"),
            "postgresql": table("authors"),
            "properties": {"name": {"type": "string", "required": true}},
            "relations": {"books": {"type": "hasMany", "model": "Book", "foreignKey": "authorId"}}
        }),
        json!({
            "name": "Book",
            "sqlite3": table("books"),
            "postgresql": table("books"),
            "properties": {
                "title": {"type": "string", "required": true},
                "price": {"type": "number", "required": true},
                "authorId": foreign_key("author_id")
            },
            "relations": {
                "author": {"type": "belongsTo", "model": "Author", "foreignKey": "authorId"},
                "reviews": {"type": "hasMany", "model": "Review", "foreignKey": "bookId"}
            }
        }),
        json!({
            "name": "Review",
            "sqlite3": table("reviews"),
            "postgresql": table("reviews"),
            "properties": {
                "stars": integer(),
                "body": {"type": "string", "required": true},
                "bookId": foreign_key("book_id")
            },
            "relations": {"book": {"type": "belongsTo", "model": "Book", "foreignKey": "bookId"}}
        }),
    ]
}

// ----- the sqlx side ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
struct Author {
    id: i64,
    name: String,
    books: Vec<Book>,
}

#[derive(Debug, Clone, PartialEq)]
struct Book {
    id: i64,
    title: String,
    price: f64,
    author_id: i64,
    reviews: Vec<Review>,
}

#[derive(Debug, Clone, PartialEq)]
struct Review {
    id: i64,
    stars: i64,
    body: String,
    book_id: i64,
}

// SQLite: every integer column is read as i64.
impl FromRow<'_, SqliteRow> for Author {
    fn from_row(row: &SqliteRow) -> sqlx::Result<Self> {
        Ok(Author {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            books: Vec::new(),
        })
    }
}

impl FromRow<'_, SqliteRow> for Book {
    fn from_row(row: &SqliteRow) -> sqlx::Result<Self> {
        Ok(Book {
            id: row.try_get("id")?,
            title: row.try_get("title")?,
            price: row.try_get("price")?,
            author_id: row.try_get("author_id")?,
            reviews: Vec::new(),
        })
    }
}

impl FromRow<'_, SqliteRow> for Review {
    fn from_row(row: &SqliteRow) -> sqlx::Result<Self> {
        Ok(Review {
            id: row.try_get("id")?,
            stars: row.try_get("stars")?,
            body: row.try_get("body")?,
            book_id: row.try_get("book_id")?,
        })
    }
}

// PostgreSQL: SERIAL ids and INTEGER columns are INT4.
impl FromRow<'_, PgRow> for Author {
    fn from_row(row: &PgRow) -> sqlx::Result<Self> {
        Ok(Author {
            id: row.try_get::<i32, _>("id")?.into(),
            name: row.try_get("name")?,
            books: Vec::new(),
        })
    }
}

impl FromRow<'_, PgRow> for Book {
    fn from_row(row: &PgRow) -> sqlx::Result<Self> {
        Ok(Book {
            id: row.try_get::<i32, _>("id")?.into(),
            title: row.try_get("title")?,
            price: row.try_get("price")?,
            author_id: row.try_get::<i32, _>("author_id")?.into(),
            reviews: Vec::new(),
        })
    }
}

impl FromRow<'_, PgRow> for Review {
    fn from_row(row: &PgRow) -> sqlx::Result<Self> {
        Ok(Review {
            id: row.try_get::<i32, _>("id")?.into(),
            stars: row.try_get::<i32, _>("stars")?.into(),
            body: row.try_get("body")?,
            book_id: row.try_get::<i32, _>("book_id")?.into(),
        })
    }
}

/// Nests `reviews` into `books` and `books` into `authors`, keeping query (id) order.
fn assemble(mut authors: Vec<Author>, books: Vec<Book>, reviews: Vec<Review>) -> Vec<Author> {
    let mut reviews_of: HashMap<i64, Vec<Review>> = HashMap::with_capacity(books.len());
    for r in reviews {
        reviews_of.entry(r.book_id).or_default().push(r);
    }
    let mut books_of: HashMap<i64, Vec<Book>> = HashMap::with_capacity(authors.len());
    for mut b in books {
        b.reviews = reviews_of.remove(&b.id).unwrap_or_default();
        books_of.entry(b.author_id).or_default().push(b);
    }
    for a in &mut authors {
        a.books = books_of.remove(&a.id).unwrap_or_default();
    }
    authors
}

/// `SELECT … WHERE column IN (?, ?, …) ORDER BY id` with one placeholder per value (SQLite).
fn sqlite_in(select: &str, column: &str, n: usize) -> String {
    let mut sql = format!("{select} WHERE {column} IN (");
    for i in 0..n {
        sql.push_str(if i == 0 { "?" } else { ", ?" });
    }
    sql.push_str(") ORDER BY id");
    sql
}

/// The SQL of the sqlx side, with the tables qualified for the database.
struct Queries {
    /// `SELECT id, name FROM authors ORDER BY id`.
    authors: String,
    /// `SELECT id, title, price, author_id FROM books`, to complete with the author ids.
    books: String,
    /// `SELECT id, stars, body, book_id FROM reviews`, to complete with the book ids.
    reviews: String,
}

impl Queries {
    fn new(schema: Option<&str>) -> Queries {
        let t = |name: &str| match schema {
            Some(s) => format!("\"{s}\".\"{name}\""),
            None => format!("\"{name}\""),
        };
        Queries {
            authors: format!("SELECT id, name FROM {} ORDER BY id", t("authors")),
            books: format!("SELECT id, title, price, author_id FROM {}", t("books")),
            reviews: format!("SELECT id, stars, body, book_id FROM {}", t("reviews")),
        }
    }
}

enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Db {
    /// Every author with their books and the books' reviews, in three queries.
    async fn load(&self, q: &Queries) -> Vec<Author> {
        match self {
            Db::Sqlite(p) => load_sqlite(p, q).await,
            Db::Postgres(p) => load_postgres(p, q).await,
        }
        .expect("loaded")
    }

    /// The authors, books and reviews, with explicit ids, in one transaction.
    async fn seed(&self, schema: Option<&str>) {
        let t = |name: &str| match schema {
            Some(s) => format!("\"{s}\".\"{name}\""),
            None => format!("\"{name}\""),
        };
        let (p1, p2, p3, p4) = match self {
            Db::Sqlite(_) => ("?", "?", "?", "?"),
            Db::Postgres(_) => ("$1", "$2", "$3", "$4"),
        };
        let author_sql = format!(
            "INSERT INTO {} (id, name) VALUES ({p1}, {p2})",
            t("authors")
        );
        let book_sql = format!(
            "INSERT INTO {} (id, title, price, author_id) VALUES ({p1}, {p2}, {p3}, {p4})",
            t("books")
        );
        let review_sql = format!(
            "INSERT INTO {} (id, stars, body, book_id) VALUES ({p1}, {p2}, {p3}, {p4})",
            t("reviews")
        );
        let authors = (1..=AUTHORS).map(|a| (a, format!("Author {a}")));
        let books = (1..=BOOKS).map(|b| {
            let author = (b - 1) / BOOKS_PER_AUTHOR + 1;
            let price = (b % 40) as f64 + 0.99;
            (b, format!("Book {b} by author {author}"), price, author)
        });
        let reviews = (1..=REVIEWS).map(|r| {
            let book = (r - 1) / REVIEWS_PER_BOOK + 1;
            let body = format!("Review {r} of book {book}: a few words on what worked and not.");
            (r, r % 5 + 1, body, book)
        });
        // Both databases take INT4 ids and keys here.
        macro_rules! seed_with {
            ($pool:expr) => {{
                let mut tx = $pool.begin().await.expect("transaction");
                for (id, name) in authors {
                    sqlx::query(&author_sql)
                        .bind(id as i32)
                        .bind(name)
                        .execute(&mut *tx)
                        .await
                        .expect("author seeded");
                }
                for (id, title, price, author) in books {
                    sqlx::query(&book_sql)
                        .bind(id as i32)
                        .bind(title)
                        .bind(price)
                        .bind(author as i32)
                        .execute(&mut *tx)
                        .await
                        .expect("book seeded");
                }
                for (id, stars, body, book) in reviews {
                    sqlx::query(&review_sql)
                        .bind(id as i32)
                        .bind(stars as i32)
                        .bind(body)
                        .bind(book as i32)
                        .execute(&mut *tx)
                        .await
                        .expect("review seeded");
                }
                tx.commit().await.expect("committed");
            }};
        }
        match self {
            Db::Sqlite(p) => seed_with!(p),
            Db::Postgres(p) => seed_with!(p),
        }
    }
}

async fn load_sqlite(pool: &SqlitePool, q: &Queries) -> sqlx::Result<Vec<Author>> {
    let authors: Vec<Author> = sqlx::query_as(&q.authors).fetch_all(pool).await?;
    let sql = sqlite_in(&q.books, "author_id", authors.len());
    let mut books_q = sqlx::query_as::<_, Book>(&sql);
    for a in &authors {
        books_q = books_q.bind(a.id);
    }
    let books = books_q.fetch_all(pool).await?;
    let sql = sqlite_in(&q.reviews, "book_id", books.len());
    let mut reviews_q = sqlx::query_as::<_, Review>(&sql);
    for b in &books {
        reviews_q = reviews_q.bind(b.id);
    }
    let reviews = reviews_q.fetch_all(pool).await?;
    Ok(assemble(authors, books, reviews))
}

async fn load_postgres(pool: &PgPool, q: &Queries) -> sqlx::Result<Vec<Author>> {
    let authors: Vec<Author> = sqlx::query_as(&q.authors).fetch_all(pool).await?;
    let ids: Vec<i32> = authors.iter().map(|a| a.id as i32).collect();
    let books: Vec<Book> = sqlx::query_as(&format!(
        "{} WHERE author_id = ANY($1) ORDER BY id",
        q.books
    ))
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    let ids: Vec<i32> = books.iter().map(|b| b.id as i32).collect();
    let reviews: Vec<Review> = sqlx::query_as(&format!(
        "{} WHERE book_id = ANY($1) ORDER BY id",
        q.reviews
    ))
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    Ok(assemble(authors, books, reviews))
}

// ----- checks ----------------------------------------------------------------------------------

/// A review as both sides can state it: (author id, book id, review id, stars, book price,
/// author name, book title, review body).
type Flat = (i64, i64, i64, i64, f64, String, String, String);

fn flatten_sqlx(authors: &[Author]) -> Vec<Flat> {
    let mut out = Vec::new();
    for a in authors {
        for b in &a.books {
            assert_eq!(b.author_id, a.id);
            for r in &b.reviews {
                assert_eq!(r.book_id, b.id);
                out.push((
                    a.id,
                    b.id,
                    r.id,
                    r.stars,
                    b.price,
                    a.name.clone(),
                    b.title.clone(),
                    r.body.clone(),
                ));
            }
        }
    }
    out
}

fn int(r: &Record, key: &str) -> i64 {
    r.get(key)
        .and_then(Value::as_i64)
        .unwrap_or_else(|| panic!("`{key}` is not an integer in {}", r.to_json()))
}

fn text(r: &Record, key: &str) -> String {
    r.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("`{key}` is not a string in {}", r.to_json()))
        .to_owned()
}

fn list<'a>(r: &'a Record, key: &str) -> impl Iterator<Item = &'a Record> {
    r.get(key)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("`{key}` is not a list in {}", r.to_json()))
        .iter()
        .map(|v| v.as_object().expect("an included object"))
}

fn flatten_loopback(authors: &[Record]) -> Vec<Flat> {
    let mut out = Vec::new();
    for a in authors {
        for b in list(a, "books") {
            assert_eq!(int(b, "authorId"), int(a, "id"));
            for r in list(b, "reviews") {
                assert_eq!(int(r, "bookId"), int(b, "id"));
                out.push((
                    int(a, "id"),
                    int(b, "id"),
                    int(r, "id"),
                    int(r, "stars"),
                    b.get("price").and_then(Value::as_f64).expect("a price"),
                    text(a, "name"),
                    text(b, "title"),
                    text(r, "body"),
                ));
            }
        }
    }
    out
}

/// (authors, books, reviews) in a loopback result.
fn count_loopback(authors: &[Record]) -> (usize, usize, usize) {
    let books: Vec<&Record> = authors.iter().flat_map(|a| list(a, "books")).collect();
    let reviews = books.iter().map(|b| list(b, "reviews").count()).sum();
    (authors.len(), books.len(), reviews)
}

/// (authors, books, reviews) in a sqlx result.
fn count_sqlx(authors: &[Author]) -> (usize, usize, usize) {
    let books = authors.iter().map(|a| a.books.len()).sum();
    let reviews = authors
        .iter()
        .flat_map(|a| &a.books)
        .map(|b| b.reviews.len())
        .sum();
    (authors.len(), books, reviews)
}

// ----- setup and timing ------------------------------------------------------------------------

/// What the two sides run against one database.
struct Setup {
    /// Handles reach the other models through their app: it lives as long as the setup.
    _app: App,
    authors: ModelHandle,
    /// `{"include": {"relation": "books", "scope": {"include": "reviews"}}}`.
    filter: Filter,
    sqlx: Db,
    queries: Queries,
}

impl Setup {
    /// Defines the models on `connector`, creates their tables, and seeds them through sqlx.
    async fn new(connector: Arc<dyn Connector>, sqlx: Db, schema: Option<&str>) -> Setup {
        let app = App::new();
        app.data_source("db", connector.clone());
        let mut handles = Vec::new();
        for j in model_json() {
            let def = ModelDefinition::from_lb3_json(&j).expect("model JSON");
            handles.push(app.define(def, "db").await.expect("defined"));
        }
        let defs: Vec<_> = handles.iter().map(ModelHandle::definition).collect();
        connector.automigrate(&defs).await.expect("migrated");
        sqlx.seed(schema).await;
        let authors = handles.swap_remove(0);
        let filter = Filter::from_json(
            &json!({"include": {"relation": "books", "scope": {"include": "reviews"}}}),
            &ParseOptions::for_model(&authors.definition()),
        )
        .expect("filter");
        Setup {
            _app: app,
            authors,
            filter,
            sqlx,
            queries: Queries::new(schema),
        }
    }
}

fn bench_database(c: &mut Criterion, rt: &tokio::runtime::Runtime, db: &str, s: &Setup) {
    let opts = Options::new();
    let expected = (AUTHORS as usize, BOOKS as usize, REVIEWS as usize);

    // Both sides do the same work before anything is timed.
    let (lb, raw) = rt.block_on(async {
        (
            s.authors
                .find(s.filter.clone(), &opts)
                .await
                .expect("found"),
            s.sqlx.load(&s.queries).await,
        )
    });
    assert_eq!(
        count_loopback(&lb),
        expected,
        "loopback: authors, books, reviews"
    );
    assert_eq!(count_sqlx(&raw), expected, "sqlx: authors, books, reviews");
    assert_eq!(flatten_loopback(&lb), flatten_sqlx(&raw));

    let mut group = c.benchmark_group(format!("{db}/load_authors_books_reviews"));
    // Warm-up and measurement times come from the command line (criterion's defaults
    // otherwise); twenty samples keep a run of ~20 ms iterations within them.
    group.sample_size(20);
    group.bench_function("loopback/dynamic", |b| {
        b.iter(|| {
            let rows = rt
                .block_on(s.authors.find(black_box(s.filter.clone()), &opts))
                .expect("found");
            assert_eq!(rows.len(), expected.0);
            rows
        })
    });
    group.bench_function("sqlx", |b| {
        b.iter(|| {
            let authors = rt.block_on(s.sqlx.load(black_box(&s.queries)));
            assert_eq!(authors.len(), expected.0);
            authors
        })
    });
    group.finish();
}

fn bench_sqlite(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let db = common::sqlite();
    let setup = rt.block_on(Setup::new(
        db.connector.clone(),
        Db::Sqlite(db.pool.clone()),
        None,
    ));
    bench_database(c, rt, "sqlite", &setup);
}

fn bench_postgres(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let Some(pg) = common::postgres(rt, "include") else {
        return;
    };
    pg.run_then_drop(rt, || {
        let db = Db::Postgres(pg.pool.clone());
        let setup = rt.block_on(Setup::new(pg.connector.clone(), db, Some(&pg.schema)));
        bench_database(c, rt, "postgres", &setup)
    });
}

fn bench(c: &mut Criterion) {
    let rt = common::runtime();
    let _runtime = rt.enter();
    bench_sqlite(c, &rt);
    bench_postgres(c, &rt);
}

criterion_group!(benches, bench);
criterion_main!(benches);
