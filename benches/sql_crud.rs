//! CRUD on SQLite and PostgreSQL: loopback-rs against the same work written directly with sqlx.
//!
//! Run with `cargo bench --bench sql_crud --features sqlite,postgres`.
//!
//! In the spirit of diesel's benchmark suite, on a `users` table (`id`, `name`, `email`,
//! `hair_color`, `created_at`) created by loopback's `automigrate`, so both sides read and
//! write the very same table:
//!
//! - `load_users/N` (N = 1, 100, 10,000 of 10,000 rows, in id order): loopback through
//!   `PersistedModel<User>::find` (derived model) and `ModelHandle::find` (records), sqlx
//!   through `query_as` into a struct;
//! - `insert_100`: 100 new users, loopback through `PersistedModel<User>::create_many`
//!   (one `INSERT … RETURNING` per row, outside a transaction), sqlx through the same
//!   100 statements; the rows are removed after each iteration, outside the timing;
//! - `find_by_id`: loopback through `PersistedModel<User>::find_by_id` and
//!   `ModelHandle::find_by_id`, sqlx through `query_as(… WHERE id = ?)`.
//!
//! SQLite uses a database file in a temporary directory. PostgreSQL uses the server of
//! `LOOPBACK_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`), in a
//! schema made for the run and dropped at its end; its groups are skipped with a message when
//! the server cannot be reached. Loading relations through `include` (authors with their books
//! and the books' reviews) is measured by `benches/include.rs`.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

mod common;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use loopback::{App, Connector, Filter, Model, ModelHandle, Options, PersistedModel, Value};
use sqlx::postgres::{PgPool, PgRow};
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{FromRow, Row};

/// Rows in `users` for the load and lookup scenarios.
const USERS: i64 = 10_000;
/// Rows inserted per iteration of the insert scenario.
const BATCH: usize = 100;
const HAIR: [&str; 4] = ["black", "brown", "blond", "red"];

#[derive(Model, Debug, Clone, PartialEq)]
#[model(
    rename_all = "snake_case",
    sqlite3(table = "users"),
    postgresql(table = "users")
)]
struct User {
    #[model(id, generated)]
    id: Option<i64>,
    name: String,
    email: String,
    hair_color: Option<String>,
    created_at: DateTime<Utc>,
}

/// The row type of the sqlx side.
#[derive(Debug, Clone, PartialEq)]
struct SqlxUser {
    id: i64,
    name: String,
    email: String,
    hair_color: Option<String>,
    created_at: DateTime<Utc>,
}

/// SQLite keeps loopback dates as INTEGER epoch milliseconds.
impl FromRow<'_, SqliteRow> for SqlxUser {
    fn from_row(row: &SqliteRow) -> sqlx::Result<Self> {
        let ms: i64 = row.try_get("created_at")?;
        Ok(SqlxUser {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            email: row.try_get("email")?,
            hair_color: row.try_get("hair_color")?,
            created_at: DateTime::from_timestamp_millis(ms).ok_or_else(|| {
                sqlx::Error::Decode(format!("created_at {ms} is out of range").into())
            })?,
        })
    }
}

/// PostgreSQL: a SERIAL (INT4) id and a TIMESTAMPTZ.
impl FromRow<'_, PgRow> for SqlxUser {
    fn from_row(row: &PgRow) -> sqlx::Result<Self> {
        Ok(SqlxUser {
            id: row.try_get::<i32, _>("id")?.into(),
            name: row.try_get("name")?,
            email: row.try_get("email")?,
            hair_color: row.try_get("hair_color")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

fn base_date() -> DateTime<Utc> {
    DateTime::from_timestamp(1_577_836_800, 0).expect("valid date")
}

/// The `i`-th user of a batch tagged `tag`: every fourth one has no hair color.
fn new_user(tag: &str, i: i64) -> User {
    User {
        id: None,
        name: format!("{tag} user {i}"),
        email: format!("{tag}.user{i}@example.com"),
        hair_color: (i % 4 != 0).then(|| HAIR[(i % 4) as usize].to_owned()),
        created_at: base_date() + chrono::Duration::minutes(i),
    }
}

/// What the two sides run against one database.
struct Setup {
    users: PersistedModel<User>,
    sqlx: Db,
    /// `SELECT id, name, email, hair_color, created_at FROM users ORDER BY id LIMIT ?`.
    load_sql: String,
    /// The same columns `WHERE id = ?`.
    by_id_sql: String,
    /// `INSERT INTO users (name, email, hair_color, created_at) VALUES (…) RETURNING id`.
    insert_sql: String,
    /// Removes the rows the insert scenario added.
    cleanup_sql: String,
}

enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Db {
    async fn load(&self, sql: &str, n: i64) -> Vec<SqlxUser> {
        match self {
            Db::Sqlite(p) => sqlx::query_as(sql).bind(n).fetch_all(p).await,
            Db::Postgres(p) => sqlx::query_as(sql).bind(n).fetch_all(p).await,
        }
        .expect("loaded")
    }

    async fn by_id(&self, sql: &str, id: i64) -> Option<SqlxUser> {
        match self {
            Db::Sqlite(p) => sqlx::query_as(sql).bind(id).fetch_optional(p).await,
            Db::Postgres(p) => sqlx::query_as(sql).bind(id as i32).fetch_optional(p).await,
        }
        .expect("found")
    }

    /// One `INSERT … RETURNING id` per user, as `create_many` does; the users with their ids.
    async fn insert(&self, sql: &str, users: &[User]) -> Vec<SqlxUser> {
        let mut out = Vec::with_capacity(users.len());
        for u in users {
            let id = match self {
                Db::Sqlite(p) => sqlx::query_scalar::<_, i64>(sql)
                    .bind(&u.name)
                    .bind(&u.email)
                    .bind(&u.hair_color)
                    .bind(u.created_at.timestamp_millis())
                    .fetch_one(p)
                    .await
                    .expect("inserted"),
                Db::Postgres(p) => sqlx::query_scalar::<_, i32>(sql)
                    .bind(&u.name)
                    .bind(&u.email)
                    .bind(&u.hair_color)
                    .bind(u.created_at)
                    .fetch_one(p)
                    .await
                    .expect("inserted")
                    .into(),
            };
            out.push(SqlxUser {
                id,
                name: u.name.clone(),
                email: u.email.clone(),
                hair_color: u.hair_color.clone(),
                created_at: u.created_at,
            });
        }
        out
    }

    async fn execute(&self, sql: &str) {
        match self {
            Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(drop),
            Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(drop),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The seed rows, in one transaction.
    async fn seed(&self, sql: &str) {
        let users: Vec<User> = (1..=USERS).map(|i| new_user("seed", i)).collect();
        match self {
            Db::Sqlite(p) => {
                let mut tx = p.begin().await.expect("transaction");
                for u in &users {
                    sqlx::query(sql)
                        .bind(&u.name)
                        .bind(&u.email)
                        .bind(&u.hair_color)
                        .bind(u.created_at.timestamp_millis())
                        .execute(&mut *tx)
                        .await
                        .expect("seeded");
                }
                tx.commit().await.expect("committed");
            }
            Db::Postgres(p) => {
                let mut tx = p.begin().await.expect("transaction");
                for u in &users {
                    sqlx::query(sql)
                        .bind(&u.name)
                        .bind(&u.email)
                        .bind(&u.hair_color)
                        .bind(u.created_at)
                        .execute(&mut *tx)
                        .await
                        .expect("seeded");
                }
                tx.commit().await.expect("committed");
            }
        }
    }
}

impl Setup {
    /// Registers `User` on `connector`, creates its table, and seeds it through sqlx.
    async fn new(connector: Arc<dyn Connector>, sqlx: Db, table: &str) -> Setup {
        let app = App::new();
        app.data_source("db", connector.clone());
        let users = app.register::<User>("db").await.expect("registered");
        connector
            .automigrate(&[users.handle().definition()])
            .await
            .expect("migrated");
        let (p1, p2, p3, p4) = match sqlx {
            Db::Sqlite(_) => ("?", "?", "?", "?"),
            Db::Postgres(_) => ("$1", "$2", "$3", "$4"),
        };
        let columns = "id, name, email, hair_color, created_at";
        let setup = Setup {
            users,
            load_sql: format!("SELECT {columns} FROM {table} ORDER BY id LIMIT {p1}"),
            by_id_sql: format!("SELECT {columns} FROM {table} WHERE id = {p1}"),
            insert_sql: format!(
                "INSERT INTO {table} (name, email, hair_color, created_at) \
                 VALUES ({p1}, {p2}, {p3}, {p4}) RETURNING id"
            ),
            cleanup_sql: format!("DELETE FROM {table} WHERE id > {USERS}"),
            sqlx,
        };
        setup.sqlx.seed(&setup.insert_sql).await;
        setup
    }

    fn handle(&self) -> &ModelHandle {
        self.users.handle()
    }
}

fn bench_database(c: &mut Criterion, rt: &tokio::runtime::Runtime, db: &str, s: &Setup) {
    let opts = Options::new();

    // Both sides agree before anything is timed.
    let (lb, raw) = rt.block_on(async {
        (
            s.users.find(Filter::new().limit(100)).await.expect("found"),
            s.sqlx.load(&s.load_sql, 100).await,
        )
    });
    assert_eq!(lb.len(), 100);
    for (l, r) in lb.iter().zip(&raw) {
        let as_sqlx = SqlxUser {
            id: l.id.expect("an id"),
            name: l.name.clone(),
            email: l.email.clone(),
            hair_color: l.hair_color.clone(),
            created_at: l.created_at,
        };
        assert_eq!(&as_sqlx, r);
    }

    for n in [1_i64, 100, 10_000] {
        let mut group = c.benchmark_group(format!("{db}/load_users"));
        group.sample_size(20);
        if n >= 10_000 {
            group
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(4));
        } else {
            group
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(2));
        }
        let n_usize = n as usize;
        group.bench_with_input(BenchmarkId::new("loopback/typed", n), &n, |b, &n| {
            b.iter(|| {
                let rows = rt
                    .block_on(s.users.find(black_box(Filter::new().limit(n as u64))))
                    .expect("found");
                assert_eq!(rows.len(), n_usize);
                rows
            })
        });
        group.bench_with_input(BenchmarkId::new("loopback/dynamic", n), &n, |b, &n| {
            b.iter(|| {
                let rows = rt
                    .block_on(
                        s.handle()
                            .find(black_box(Filter::new().limit(n as u64)), &opts),
                    )
                    .expect("found");
                assert_eq!(rows.len(), n_usize);
                rows
            })
        });
        group.bench_with_input(BenchmarkId::new("sqlx", n), &n, |b, &n| {
            b.iter(|| {
                let rows = rt.block_on(s.sqlx.load(&s.load_sql, black_box(n)));
                assert_eq!(rows.len(), n_usize);
                rows
            })
        });
        group.finish();
    }

    {
        let mut group = c.benchmark_group(format!("{db}/insert_{BATCH}"));
        group
            .sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4));
        let batch: Vec<User> = (1..=BATCH as i64).map(|i| new_user("batch", i)).collect();
        group.bench_function("loopback/create_many", |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    let created = rt
                        .block_on(s.users.create_many(black_box(&batch)))
                        .expect("created");
                    spent += start.elapsed();
                    assert_eq!(created.len(), BATCH);
                    rt.block_on(s.sqlx.execute(&s.cleanup_sql));
                }
                spent
            })
        });
        group.bench_function("sqlx/insert_each", |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    let created = rt.block_on(s.sqlx.insert(&s.insert_sql, black_box(&batch)));
                    spent += start.elapsed();
                    assert_eq!(created.len(), BATCH);
                    rt.block_on(s.sqlx.execute(&s.cleanup_sql));
                }
                spent
            })
        });
        group.finish();
    }

    {
        let mut group = c.benchmark_group(format!("{db}/find_by_id"));
        group
            .sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(2));
        let mut id = 0_i64;
        let mut next = move || {
            id = (id + 7919) % USERS;
            id + 1
        };
        group.bench_function("loopback/typed", |b| {
            b.iter(|| {
                let user = rt.block_on(s.users.find_by_id(black_box(next())));
                user.expect("found").expect("present")
            })
        });
        group.bench_function("loopback/dynamic", |b| {
            b.iter(|| {
                let row = rt.block_on(s.handle().find_by_id(
                    Value::Int(black_box(next())),
                    None,
                    &opts,
                ));
                row.expect("found").expect("present")
            })
        });
        group.bench_function("sqlx", |b| {
            b.iter(|| {
                let user = rt.block_on(s.sqlx.by_id(&s.by_id_sql, black_box(next())));
                user.expect("present")
            })
        });
        group.finish();
    }
}

fn bench_sqlite(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let db = common::sqlite();
    let setup = rt.block_on(Setup::new(
        db.connector.clone(),
        Db::Sqlite(db.pool.clone()),
        "\"users\"",
    ));
    bench_database(c, rt, "sqlite", &setup);
}

fn bench_postgres(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let Some(pg) = common::postgres(rt, "sql_crud") else {
        return;
    };
    pg.run_then_drop(rt, || {
        let table = format!("\"{}\".\"users\"", pg.schema);
        let db = Db::Postgres(pg.pool.clone());
        let setup = rt.block_on(Setup::new(pg.connector.clone(), db, &table));
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
