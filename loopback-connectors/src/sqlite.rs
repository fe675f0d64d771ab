//! The SQLite connector (`"connector": "sqlite3"`), over sqlx.
//!
//! Each model is one table ([`crate::sql::SqliteDialect`] describes names and types); the
//! statements come from the shared [`crate::sql`] builders, with every value bound as a
//! parameter. Configure it as in a LoopBack 3 `datasources.json` entry:
//!
//! ```json
//! { "db": { "connector": "sqlite3", "file": "data/app.db", "connectionLimit": 4 } }
//! ```
//!
//! | key | meaning |
//! |---|---|
//! | `file` or `database` | the database file, created when missing; `:memory:` (the default) for a private in-memory database |
//! | `url` | instead of `file`: `sqlite://path/to.db`, `sqlite::memory:`, with SQLite URI parameters (`?mode=ro`) |
//! | `connectionLimit` or `max` | pool size for files (default 4); an in-memory database always has one connection, so every operation sees the same data |
//! | `connectTimeout` or `acquireTimeout` | milliseconds to wait for a free connection before failing with 503 (default 30000) |
//! | `busyTimeout` | milliseconds a statement waits for a lock held by another connection or process (default 5000) |
//! | `readonly` | open the file read-only |
//! | `name`, `connector`, `debug` | accepted and ignored, as LoopBack passes them to every connector |
//!
//! Any other key is an error naming it. Numbers may be given as strings.
//!
//! Every connection turns `PRAGMA case_sensitive_like` on, so `like` is case-sensitive as on
//! the memory connector (`ilike` is the case-insensitive form), registers the `REGEXP` function
//! (Rust's `regex` crate), and enforces foreign keys.
//!
//! Migrations run in one transaction. SQLite cannot add constraints to existing tables, so
//! the `foreignKeys` a model declares are written inside its `CREATE TABLE`; `autoupdate`
//! only adds missing columns and indexes, and refuses (501) a declared foreign key that an
//! existing table lacks. Transactions begin with `BEGIN`: SQLite transactions are always
//! serializable, so every isolation level is accepted and gives that behaviour. An in-memory
//! database has one connection, so operations outside a transaction wait for its end.
//!
//! Native statements ([`Connector::execute`](loopback_core::Connector::execute)) take `?`
//! parameters. Dates are bound as epoch milliseconds (as they are stored), booleans as 0/1,
//! objects, arrays and points as JSON text. Rows come back as records keyed by result column
//! name, with SQLite's own types: integers, reals, text, blobs (as buffers) and nulls.

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use loopback_core::{Error, Result, Value};
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqlitePoolOptions, SqliteQueryResult, SqliteRow,
};
use sqlx::{Decode, Row, Sqlite, TypeInfo, ValueRef};

use sqlx::query::Query;

use crate::sql::{
    self, Backend, ErrorContext, Settings, SqlConnector, SqliteDialect, Statement, TableMapping,
};

/// LoopBack 3's SQLite connector (`"connector": "sqlite3"`): the shared [`SqlConnector`]
/// over [`SqliteBackend`].
///
/// Cheap to share: one instance per data source (`Arc<SqliteConnector>`), backed by a pool of
/// connections. Creating it opens nothing; the first operation connects. Operations run on a
/// Tokio runtime with timers enabled (as `#[tokio::main]` builds it).
///
/// ```
/// use std::sync::Arc;
/// use loopback_connectors::sqlite::SqliteConnector;
/// use loopback_core::{record, App, Connector, Filter, Options, Where};
/// use loopback_core::model::ModelDefinition;
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let db = Arc::new(SqliteConnector::in_memory());
/// let app = App::new();
/// app.data_source("db", db.clone());
/// let def = ModelDefinition::from_lb3_json(&serde_json::json!({
///     "name": "Book", "properties": {"title": "string"}
/// }))?;
/// let books = app.define(def, "db").await?;
/// db.automigrate(&[books.definition()]).await?;
/// books.create(record! {"title" => "Dune"}, &Options::new()).await?;
/// let found = books.find(Filter::with_where(Where::eq("title", "Dune")), &Options::new()).await?;
/// assert_eq!(found[0].get("id"), Some(&1.into()));
/// # Ok::<(), loopback_core::Error>(())
/// # }).unwrap();
/// ```
pub type SqliteConnector = SqlConnector<SqliteBackend>;

/// What SQLite brings to [`SqlConnector`]: parameters and results in SQLite's storage
/// classes, and foreign keys declared inside `CREATE TABLE`.
#[derive(Debug)]
pub struct SqliteBackend {
    dialect: SqliteDialect,
    location: String,
}

/// Settings accepted in a data source entry, for the error that names an unknown one.
const SETTINGS: &[&str] = &[
    "name",
    "connector",
    "debug",
    "file",
    "database",
    "url",
    "connectionLimit",
    "max",
    "connectTimeout",
    "acquireTimeout",
    "busyTimeout",
    "readonly",
];

const DEFAULT_POOL_SIZE: u32 = 4;
const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

impl SqliteConnector {
    /// A private in-memory database, gone when the connector is dropped.
    pub fn in_memory() -> Self {
        let options =
            SqliteConnectOptions::from_str("sqlite::memory:").expect("a valid in-memory URL");
        Self::with_options(options, 1, DEFAULT_ACQUIRE_TIMEOUT, ":memory:".into())
    }

    /// A database file, created when missing.
    pub fn open(path: impl AsRef<Path>) -> Self {
        let path = path.as_ref();
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        Self::with_options(
            options,
            DEFAULT_POOL_SIZE,
            DEFAULT_ACQUIRE_TIMEOUT,
            path.display().to_string(),
        )
    }

    /// A connector configured by a LoopBack 3 data source entry (see the module docs for the
    /// keys). Fails with [`Error::Connector`] naming the first unknown or invalid key.
    pub fn from_settings(settings: &serde_json::Value) -> Result<Self> {
        let cfg = Settings::new("sqlite3", settings, SETTINGS)?;
        let readonly = match cfg.first(&["readonly"]).map(|(_, v)| v) {
            None => false,
            Some(serde_json::Value::Bool(b)) => *b,
            Some(serde_json::Value::String(s)) if s == "true" || s == "false" => s == "true",
            Some(other) => {
                return Err(cfg.bad("readonly", format!("expected true or false, found {other}")))
            }
        };
        let file = cfg.text(&["file"])?;
        let database = cfg.text(&["database"])?;
        let url = cfg.text(&["url"])?;
        let path = match (file, database) {
            (Some(f), Some(d)) if f != d => {
                return Err(cfg.bad(
                    "database",
                    format!("names `{d}` but `file` names `{f}`; give one of them"),
                ))
            }
            (f, d) => f.or(d),
        };
        let (mut options, location) = match (path, url) {
            (Some(_), Some(_)) => {
                return Err(cfg.bad("url", "give either `url` or `file`/`database`, not both"))
            }
            (None, Some(url)) => {
                if !url.starts_with("sqlite:") {
                    return Err(cfg.bad("url", format!("`{url}` is not a `sqlite:` URL")));
                }
                let options = SqliteConnectOptions::from_str(&url)
                    .map_err(|e| cfg.bad("url", e.to_string()))?;
                (options, url)
            }
            (Some(p), None) if p != ":memory:" => (
                SqliteConnectOptions::new()
                    .filename(&p)
                    .create_if_missing(!readonly),
                p,
            ),
            _ => (
                SqliteConnectOptions::from_str("sqlite::memory:")
                    .map_err(|e| cfg.bad("file", e.to_string()))?,
                ":memory:".into(),
            ),
        };
        if readonly {
            options = options.read_only(true);
        }
        if let Some(ms) = cfg.number(&["busyTimeout"])? {
            options = options.busy_timeout(Duration::from_millis(ms));
        }
        let in_memory = location == ":memory:"
            || location.contains(":memory:")
            || location.contains("mode=memory");
        let pool_size = match cfg.number(&["connectionLimit", "max"])? {
            Some(0) => return Err(cfg.bad("connectionLimit", "must be at least 1")),
            // One connection holds a private in-memory database; more would see others.
            _ if in_memory => 1,
            Some(n) => u32::try_from(n).unwrap_or(u32::MAX),
            None => DEFAULT_POOL_SIZE,
        };
        let acquire = cfg
            .number(&["connectTimeout", "acquireTimeout"])?
            .map_or(DEFAULT_ACQUIRE_TIMEOUT, Duration::from_millis);
        Ok(Self::with_options(options, pool_size, acquire, location))
    }

    fn with_options(
        options: SqliteConnectOptions,
        pool_size: u32,
        acquire: Duration,
        location: String,
    ) -> Self {
        let options = options
            .pragma("case_sensitive_like", "ON")
            .foreign_keys(true)
            .with_regexp()
            .collation(
                crate::sql::DECIMAL_COLLATION,
                crate::sql::value::compare_decimals,
            );
        // No idle or lifetime limit: an in-memory database lives as long as its connection,
        // and without them the pool needs no background task (nor a runtime to create it).
        let pool = SqlitePoolOptions::new()
            .max_connections(pool_size)
            .min_connections(0)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(acquire)
            .test_before_acquire(false)
            .before_acquire(crate::sql::ping_if_idle::<Sqlite>)
            .connect_lazy_with(options);
        SqlConnector::new(
            SqliteBackend {
                dialect: SqliteDialect,
                location,
            },
            pool,
        )
    }
}

impl Backend for SqliteBackend {
    type Db = Sqlite;
    type Arguments<'q> = SqliteArguments<'q>;
    type Dialect = SqliteDialect;

    const TYPE_NAME: &'static str = "SqliteConnector";
    const DATABASE: &'static str = "SQLite";
    const FOREIGN_KEYS_IN_CREATE_TABLE: bool = true;

    fn defer_foreign_keys(&self) -> Option<Statement> {
        Some(Statement {
            sql: "PRAGMA defer_foreign_keys = ON".into(),
            params: Vec::new(),
        })
    }

    fn dialect(&self) -> &SqliteDialect {
        &self.dialect
    }

    fn describe(&self, f: &mut fmt::DebugStruct<'_, '_>) {
        f.field("database", &self.location);
    }

    fn bind<'q>(sql: &'q str, params: &'q [Value]) -> Query<'q, Self::Db, Self::Arguments<'q>> {
        // Dates are stored as epoch milliseconds.
        sql::bind_portable(sql, params, |d| d.timestamp_millis())
    }

    fn raw_value(row: &SqliteRow, i: usize) -> Result<Value> {
        raw_value(row, i)
    }

    /// Classifies a driver error as the shared classification does, except that a statement
    /// naming a column its table lacks is [`Error::UnknownColumn`]. SQLite has no error code
    /// of its own for that (it is the generic `SQLITE_ERROR`), so its message is what says so.
    fn classify(&self, e: sqlx::Error, cx: ErrorContext<'_>) -> Error {
        if let sqlx::Error::Database(db) = &e {
            if db.code().as_deref() == Some("1") {
                // `no such column: t.x` (queries), `table t has no column named x` (writes).
                let m = db.message();
                let name = m.strip_prefix("no such column: ").or_else(|| {
                    m.strip_prefix("table ")
                        .and_then(|r| r.split_once(" has no column named "))
                        .map(|(_, name)| name)
                });
                if let Some(name) = name {
                    return sql::unknown_column(name, m, cx);
                }
            }
        }
        sql::classify(&self.dialect, e, cx)
    }

    fn rows_affected(done: &SqliteQueryResult) -> u64 {
        done.rows_affected()
    }

    fn foreign_key_columns_query(&self, t: &TableMapping) -> Option<Statement> {
        Some(self.dialect.foreign_key_columns_query(t))
    }
}

/// A result column as SQLite stored it: null, integer, real, text or blob.
fn raw_value(row: &SqliteRow, i: usize) -> Result<Value> {
    let v = row
        .try_get_raw(i)
        .map_err(|e| Error::Connector(e.to_string()))?;
    if v.is_null() {
        return Ok(Value::Null);
    }
    let failed =
        |e: sqlx::error::BoxDynError| Error::Connector(format!("cannot read column {i}: {e}"));
    // The storage class, without allocating: the type info is a small value.
    let type_info = v.type_info().into_owned();
    Ok(match type_info.name() {
        "INTEGER" => Value::Int(<i64 as Decode<Sqlite>>::decode(v).map_err(failed)?),
        "REAL" => Value::Float(<f64 as Decode<Sqlite>>::decode(v).map_err(failed)?),
        "BLOB" => Value::Buffer(<Vec<u8> as Decode<Sqlite>>::decode(v).map_err(failed)?),
        _ => Value::String(<String as Decode<Sqlite>>::decode(v).map_err(failed)?),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use loopback_core::filter::{Direction, Filter, Where};
    use loopback_core::model::ModelDefinition;
    use loopback_core::{record, App};
    use loopback_core::{Connector, Options};
    use serde_json::json;

    fn model(j: serde_json::Value) -> Arc<ModelDefinition> {
        let mut d = ModelDefinition::from_lb3_json(&j).unwrap();
        d.inject_id();
        Arc::new(d)
    }

    fn opts() -> Options {
        Options::new()
    }

    async fn migrated(db: &SqliteConnector, j: serde_json::Value) -> Arc<ModelDefinition> {
        let m = model(j);
        db.define(&m).await.unwrap();
        db.automigrate(std::slice::from_ref(&m)).await.unwrap();
        m
    }

    #[tokio::test]
    async fn declared_foreign_keys_are_created_with_the_table() {
        let db = SqliteConnector::in_memory();
        let author = model(json!({"name": "Author", "properties": {"name": "string"}}));
        let book = model(json!({"name": "Book", "properties": {"authorId": "number"},
            "foreignKeys": {"fk_book_author": {"entity": "Author", "foreignKey": "authorId",
                "entityKey": "id", "onDelete": "CASCADE"}}}));
        for m in [&author, &book] {
            db.define(m).await.unwrap();
        }
        db.automigrate(&[book.clone(), author.clone()])
            .await
            .unwrap();
        let a = db
            .create(&author, record! {"name" => "A"}, &opts())
            .await
            .unwrap();
        db.create(&book, record! {"authorId" => a}, &opts())
            .await
            .unwrap();
        let e = db
            .create(&book, record! {"authorId" => 99}, &opts())
            .await
            .unwrap_err();
        assert_eq!(e.status(), 409, "{e:?}");
        // ON DELETE CASCADE took effect.
        db.destroy_all(&author, None, &opts()).await.unwrap();
        assert_eq!(db.count(&book, None, &opts()).await.unwrap(), 0);
        // autoupdate of the existing tables finds the key in place.
        db.autoupdate(&[author.clone(), book.clone()])
            .await
            .unwrap();
        // A key declared later cannot be added to the existing table: a clear error.
        let book2 = model(
            json!({"name": "Book", "properties": {"authorId": "number", "editorId": "number"},
            "foreignKeys": {"fk_book_author": {"entity": "Author", "foreignKey": "authorId"},
                            "fk_book_editor": {"entity": "Author", "foreignKey": "editorId"}}}),
        );
        db.define(&book2).await.unwrap();
        let e = db.autoupdate(&[book2]).await.unwrap_err();
        assert!(matches!(e, Error::NotSupported { .. }), "{e:?}");
        assert!(e.to_string().contains("fk_book_editor"), "{e}");
    }

    #[tokio::test]
    async fn autoupdate_adds_columns_and_indexes_and_keeps_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.db");
        let v1 =
            json!({"name": "Note", "properties": {"title": {"type": "string", "required": true}}});
        {
            let db = SqliteConnector::open(&path);
            let m = migrated(&db, v1.clone()).await;
            db.create(&m, record! {"title" => "kept"}, &opts())
                .await
                .unwrap();
        }
        // A new property with an index, and a model-level index, on a reopened file.
        let db = SqliteConnector::open(&path);
        let mut v2 = v1.clone();
        v2["properties"]["body"] = json!({"type": "string", "index": true});
        v2["properties"]["stars"] = json!({"type": "number", "sqlite3": {"dataType": "INTEGER"}});
        v2["indexes"] = json!({"by_stars": {"keys": {"stars": -1}}});
        let m2 = model(v2);
        db.autoupdate(std::slice::from_ref(&m2)).await.unwrap();
        let rows = db.find(&m2, &Filter::new(), &opts()).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].get("title"), Some(&Value::from("kept")));
        assert_eq!(rows[0].get("body"), Some(&Value::Null));
        db.create(
            &m2,
            record! {"title" => "new", "body" => "b", "stars" => 5},
            &opts(),
        )
        .await
        .unwrap();
        let indexes = db
            .execute(
                "SELECT name FROM pragma_index_list('Note') ORDER BY name",
                &[],
                &opts(),
            )
            .await
            .unwrap();
        let names: Vec<_> = indexes
            .iter()
            .filter_map(|r| r.get("name").and_then(Value::as_str))
            .collect();
        assert_eq!(names, ["Note_body", "by_stars"]);
        // Running it again changes nothing; a missing table is created.
        db.autoupdate(std::slice::from_ref(&m2)).await.unwrap();
        let other = model(json!({"name": "Other", "properties": {"x": "string"}}));
        db.autoupdate(std::slice::from_ref(&other)).await.unwrap();
        assert_eq!(db.count(&other, None, &opts()).await.unwrap(), 0);
        assert_eq!(db.count(&m2, None, &opts()).await.unwrap(), 2);
        // automigrate starts over.
        db.automigrate(std::slice::from_ref(&m2)).await.unwrap();
        assert_eq!(db.count(&m2, None, &opts()).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn execute_runs_native_statements_with_parameters() {
        let db = SqliteConnector::in_memory();
        let m = migrated(&db, json!({"name": "Event", "properties": {"title": "string", "at": "date", "ok": "boolean"}})).await;
        let at = loopback_core::value::parse_date("2020-01-01T00:00:00Z").unwrap();
        db.create(
            &m,
            record! {"title" => "a", "at" => Value::Date(at), "ok" => true},
            &opts(),
        )
        .await
        .unwrap();
        let rows = db
            .execute(
                r#"SELECT id, title, at, ok, 1.5 AS f, x'00ff' AS b, NULL AS n FROM "Event" WHERE at = ? AND title = ? AND ok = ?"#,
                &[Value::Date(at), Value::from("a"), Value::Bool(true)],
                &opts(),
            )
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(
            r.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
            ["id", "title", "at", "ok", "f", "b", "n"]
        );
        assert_eq!(
            r.get("at"),
            Some(&Value::Int(at.timestamp_millis())),
            "driver types: dates are stored as epoch ms"
        );
        assert_eq!(r.get("ok"), Some(&Value::Int(1)));
        assert_eq!(r.get("f"), Some(&Value::Float(1.5)));
        assert_eq!(r.get("b"), Some(&Value::Buffer(vec![0, 255])));
        assert_eq!(r.get("n"), Some(&Value::Null));
        let none = db
            .execute(
                r#"UPDATE "Event" SET title = ?"#,
                &[Value::from("b")],
                &opts(),
            )
            .await
            .unwrap();
        assert!(none.is_empty());
        let e = db
            .execute("SELEC nonsense", &[], &opts())
            .await
            .unwrap_err();
        assert_eq!(e.status(), 500, "{e:?}");
    }

    #[tokio::test]
    async fn unique_violations_are_422_naming_the_property() {
        let app = App::new();
        let db = Arc::new(SqliteConnector::in_memory());
        app.data_source("db", db.clone());
        let def = ModelDefinition::from_lb3_json(&json!({
            "name": "Account",
            "properties": {"email": {"type": "string", "index": {"unique": true}}, "org": "string", "n": "number"},
            "indexes": {"org_n": {"keys": {"org": 1, "n": 1}, "options": {"unique": true}}}
        }))
        .unwrap();
        let accounts = app.define(def, "db").await.unwrap();
        db.automigrate(&[accounts.definition()]).await.unwrap();
        accounts
            .create(record! {"email" => "a@x", "org" => "o", "n" => 1}, &opts())
            .await
            .unwrap();
        // No uniqueness validation is declared: the database's index catches it.
        let e = accounts
            .create(record! {"email" => "a@x"}, &opts())
            .await
            .unwrap_err();
        assert_eq!(e.status(), 422, "{e:?}");
        let v = e.as_validation().unwrap();
        assert_eq!(
            v.codes(),
            json!({"email": ["uniqueness"]})
                .as_object()
                .unwrap()
                .clone()
        );
        assert_eq!(
            e.to_string(),
            "The `Account` instance is not valid. Details: `email` is not unique (value: \"a@x\")."
        );
        let e = accounts
            .create(record! {"org" => "o", "n" => 1}, &opts())
            .await
            .unwrap_err();
        assert_eq!(
            e.as_validation().unwrap().codes(),
            json!({"org": ["uniqueness"], "n": ["uniqueness"]})
                .as_object()
                .unwrap()
                .clone()
        );
        // Duplicate primary keys too, on updates as well as creates.
        let id = accounts.find(Filter::new(), &opts()).await.unwrap()[0]
            .get("id")
            .cloned()
            .unwrap();
        let e = db
            .create(
                &accounts.definition(),
                record! {"id" => id, "email" => "other"},
                &opts(),
            )
            .await
            .unwrap_err();
        assert_eq!(
            e.as_validation().unwrap().codes(),
            json!({"id": ["uniqueness"]}).as_object().unwrap().clone()
        );
        accounts
            .create(record! {"email" => "b@x"}, &opts())
            .await
            .unwrap();
        let e = accounts
            .update_all(
                Some(Where::eq("email", "b@x")),
                record! {"email" => "a@x"},
                &opts(),
            )
            .await
            .unwrap_err();
        assert_eq!(e.status(), 422);
        assert_eq!(accounts.count(None, &opts()).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn not_null_violations_are_4xx() {
        let db = SqliteConnector::in_memory();
        let m = migrated(&db, json!({"name": "Person", "properties": {"name": {"type": "string", "required": true}, "nick": {"type": "string", "sqlite3": {"nullable": false}}}})).await;
        // Straight to the connector: the operation layer would refuse it first.
        let e = db
            .create(&m, record! {"nick" => "n"}, &opts())
            .await
            .unwrap_err();
        assert_eq!(e.status(), 422, "{e:?}");
        assert_eq!(
            e.as_validation().unwrap().codes(),
            json!({"name": ["presence"]}).as_object().unwrap().clone()
        );
        let e = db
            .create(&m, record! {"name" => "a", "nick" => Value::Null}, &opts())
            .await
            .unwrap_err();
        assert_eq!(
            e.as_validation().unwrap().codes(),
            json!({"nick": ["presence"]}).as_object().unwrap().clone()
        );
        db.create(&m, record! {"name" => "a", "nick" => "n"}, &opts())
            .await
            .unwrap();
        let e = db
            .update_all(&m, None, record! {"name" => Value::Null}, &opts())
            .await
            .unwrap_err();
        assert!((400..500).contains(&e.status()), "{e:?}");
        // Through native SQL there is no model: still a 4xx.
        let e = db
            .execute(r#"INSERT INTO "Person" (nick) VALUES ('x')"#, &[], &opts())
            .await
            .unwrap_err();
        assert_eq!(e.status(), 400, "{e:?}");
        let e = db
            .execute(
                r#"INSERT INTO "Person" (id, name, nick) VALUES (1, 'a', 'b')"#,
                &[],
                &opts(),
            )
            .await
            .unwrap_err();
        assert_eq!(e.status(), 409, "{e:?}");
    }

    #[tokio::test]
    async fn foreign_key_violations_are_409() {
        let db = SqliteConnector::in_memory();
        db.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)", &[], &opts())
            .await
            .unwrap();
        db.execute(
            "CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent(id))",
            &[],
            &opts(),
        )
        .await
        .unwrap();
        let e = db
            .execute(
                "INSERT INTO child (parent) VALUES (?)",
                &[Value::Int(5)],
                &opts(),
            )
            .await
            .unwrap_err();
        assert_eq!(e.status(), 409, "{e:?}");
    }

    #[test]
    fn settings_are_checked() {
        for (settings, key) in [
            (json!({"connector": "sqlite3", "fiel": "x.db"}), "fiel"),
            (json!({"file": 3}), "file"),
            (json!({"file": "a.db", "database": "b.db"}), "database"),
            (json!({"file": "a.db", "url": "sqlite://b.db"}), "url"),
            (json!({"connectionLimit": "many"}), "connectionLimit"),
            (json!({"max": 0}), "connectionLimit"),
            (json!({"busyTimeout": -5}), "busyTimeout"),
            (json!({"readonly": "maybe"}), "readonly"),
            (json!({"url": "postgres://x"}), "url"),
        ] {
            let e = SqliteConnector::from_settings(&settings).unwrap_err();
            assert!(matches!(e, Error::Connector(_)), "{settings}: {e:?}");
            assert!(
                e.to_string().contains(&format!("`{key}`")),
                "{settings}: {e}"
            );
        }
        for ok in [
            json!(null),
            json!({"name": "db", "connector": "sqlite3", "debug": true}),
            json!({"file": ":memory:", "connectionLimit": 8}),
            json!({"database": "x.db", "max": "2", "connectTimeout": 1000, "busyTimeout": "250", "readonly": false}),
            json!({"url": "sqlite::memory:"}),
        ] {
            SqliteConnector::from_settings(&ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
    }

    #[tokio::test]
    async fn memory_databases_are_shared_by_all_operations_and_private_to_the_connector() {
        let a = Arc::new(
            SqliteConnector::from_settings(&json!({"file": ":memory:", "connectionLimit": 8}))
                .unwrap(),
        );
        let b = SqliteConnector::in_memory();
        let m = migrated(&a, json!({"name": "Item", "properties": {"n": "number"}})).await;
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let (a, m) = (Arc::clone(&a), Arc::clone(&m));
                tokio::spawn(async move {
                    a.create(&m, record! {"n" => i}, &Options::new())
                        .await
                        .unwrap()
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(a.count(&m, None, &opts()).await.unwrap(), 8);
        assert!(
            b.count(&m, None, &opts()).await.is_err(),
            "another connector has its own database"
        );
    }

    #[tokio::test]
    async fn files_are_shared_across_pool_connections() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pool.db");
        let db = Arc::new(
            SqliteConnector::from_settings(
                &json!({"file": path.to_str().unwrap(), "connectionLimit": 3}),
            )
            .unwrap(),
        );
        let m = migrated(&db, json!({"name": "Item", "properties": {"n": "number"}})).await;
        let tasks: Vec<_> = (0..6)
            .map(|i| {
                let (db, m) = (Arc::clone(&db), Arc::clone(&m));
                tokio::spawn(async move {
                    db.create(&m, record! {"n" => i}, &Options::new())
                        .await
                        .unwrap();
                    db.count(&m, None, &Options::new()).await.unwrap()
                })
            })
            .collect();
        for t in tasks {
            assert!(t.await.unwrap() >= 1);
        }
        let rows = db
            .find(&m, &Filter::new().order_by("n", Direction::Desc), &opts())
            .await
            .unwrap();
        assert_eq!(rows.len(), 6);
        assert_eq!(rows[0].get("n"), Some(&Value::Int(5)));
        let ro = SqliteConnector::from_settings(
            &json!({"file": path.to_str().unwrap(), "readonly": true}),
        )
        .unwrap();
        assert_eq!(ro.count(&m, None, &opts()).await.unwrap(), 6);
        let e = ro
            .create(&m, record! {"n" => 1}, &opts())
            .await
            .unwrap_err();
        assert!(e.status() >= 500, "{e:?}");
    }

    #[tokio::test]
    async fn unreachable_files_are_503() {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteConnector::open(dir.path().join("missing-dir").join("x.db"));
        let m = model(json!({"name": "Item", "properties": {"n": "number"}}));
        let e = db.count(&m, None, &opts()).await.unwrap_err();
        assert_eq!(e.status(), 503, "{e:?}");
    }

    #[tokio::test]
    async fn integers_keep_64_bits_and_numbers_are_doubles() {
        let db = SqliteConnector::in_memory();
        let m = migrated(
            &db,
            json!({"name": "Big", "properties": {
                "exact": {"type": "number", "sqlite3": {"dataType": "BIGINT"}},
                "plain": "number"
            }}),
        )
        .await;
        let big = (1_i64 << 53) + 1;
        let id = db
            .create(&m, record! {"exact" => big, "plain" => 2.5}, &opts())
            .await
            .unwrap();
        db.create(&m, record! {"exact" => i64::MIN, "plain" => 3}, &opts())
            .await
            .unwrap();
        let got = db
            .find(&m, &Filter::with_where(Where::eq("id", id)), &opts())
            .await
            .unwrap();
        assert!(matches!(got[0].get("exact"), Some(Value::Int(n)) if *n == big));
        assert!(matches!(got[0].get("plain"), Some(Value::Float(f)) if *f == 2.5));
        let by_value = db
            .find(&m, &Filter::with_where(Where::eq("exact", big)), &opts())
            .await
            .unwrap();
        assert_eq!(by_value.len(), 1);
        assert_eq!(
            db.count(&m, Some(&Where::eq("exact", big - 1)), &opts())
                .await
                .unwrap(),
            0
        );
        let min = db
            .find(&m, &Filter::with_where(Where::eq("plain", 3)), &opts())
            .await
            .unwrap();
        assert!(matches!(min[0].get("exact"), Some(Value::Int(i64::MIN))));
        assert!(
            matches!(min[0].get("plain"), Some(Value::Int(3))),
            "whole doubles come back as integers"
        );
    }

    #[tokio::test]
    async fn mappings_follow_redefinitions() {
        let db = SqliteConnector::in_memory();
        let v1 = migrated(&db, json!({"name": "Thing", "properties": {"a": "string"}})).await;
        db.create(&v1, record! {"a" => "x"}, &opts()).await.unwrap();
        // Another definition of the same model, never passed to `define`: not served by the
        // cached mapping.
        let v2 = model(json!({"name": "Thing", "properties": {"a": "string", "b": "string"}}));
        db.autoupdate(std::slice::from_ref(&v2)).await.unwrap();
        let rows = db.find(&v1, &Filter::new(), &opts()).await.unwrap();
        assert_eq!(rows[0].keys().collect::<Vec<_>>(), ["id", "a"]);
        let rows = db.find(&v2, &Filter::new(), &opts()).await.unwrap();
        assert_eq!(rows[0].keys().collect::<Vec<_>>(), ["id", "a", "b"]);
        assert!(format!("{db:?}").contains("Thing"));
    }
}
