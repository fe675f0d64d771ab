//! Transactions on the SQL connectors: commit, rollback, the closure helper, timeouts,
//! transaction events, hooks seeing the transaction, and isolation levels. SQLite always runs;
//! PostgreSQL and MySQL run when `LOOPBACK_TEST_POSTGRES_URL` / `LOOPBACK_TEST_MYSQL_URL` are
//! set, each test in its own schema or database.

#[cfg(feature = "mysql")]
mod mysql_db;
#[cfg(feature = "postgres")]
mod pg_db;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use loopback::{
    record, App, Connector, Error, Filter, HookKind, IsolationLevel, ModelDefinition, ModelHandle,
    Options, TransactionEvent, Value, Where,
};
use serde_json::json;

async fn setup(connector: Arc<dyn Connector>) -> (App, ModelHandle) {
    let app = App::new();
    app.data_source("db", connector.clone());
    let def = ModelDefinition::from_lb3_json(&json!({
        "name": "Item", "properties": {"name": "string", "qty": "number"}
    }))
    .unwrap();
    let items = app.define(def, "db").await.unwrap();
    connector.automigrate(&[items.definition()]).await.unwrap();
    (app, items)
}

async fn names(items: &ModelHandle, options: &Options) -> Vec<String> {
    let mut out: Vec<String> = items
        .find(Filter::default(), options)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("name").and_then(Value::as_str).unwrap().to_owned())
        .collect();
    out.sort();
    out
}

fn not_active(e: &Error) -> bool {
    matches!(e, Error::TransactionNotActive { .. })
}

/// The whole behaviour, on one connector. `isolated`: a second pooled connection exists, so
/// reads outside the transaction can be checked while it is open.
async fn suite(connector: Arc<dyn Connector>, isolated: bool) {
    assert!(connector.capabilities().transactions);
    let (app, items) = setup(connector).await;
    let ds = app.get_data_source("db").unwrap();
    let none = Options::new();

    // Commit makes writes visible; the transaction sees its own writes first.
    let tx = ds
        .begin_transaction(IsolationLevel::ReadCommitted, None)
        .await
        .unwrap();
    assert!(tx.is_active());
    let opts = tx.options();
    items
        .create(record! {"name" => "a", "qty" => 1}, &opts)
        .await
        .unwrap();
    assert_eq!(names(&items, &opts).await, ["a"]);
    assert_eq!(items.count(None, &opts).await.unwrap(), 1);
    if isolated {
        assert!(names(&items, &none).await.is_empty());
    }
    tx.commit().await.unwrap();
    assert!(!tx.is_active());
    assert_eq!(names(&items, &none).await, ["a"]);

    // A finished transaction refuses everything.
    assert!(not_active(&tx.commit().await.unwrap_err()));
    assert!(not_active(&tx.rollback().await.unwrap_err()));
    let e = items
        .create(record! {"name" => "late"}, &opts)
        .await
        .unwrap_err();
    assert!(not_active(&e), "{e}");

    // Rollback discards creates, updateAll, upsert and destroyAll.
    let b = items
        .create(record! {"name" => "b", "qty" => 2}, &none)
        .await
        .unwrap();
    let tx = ds
        .begin_transaction(IsolationLevel::default(), None)
        .await
        .unwrap();
    let opts = tx.options();
    items.create(record! {"name" => "c"}, &opts).await.unwrap();
    let n = items
        .update_all(Some(Where::eq("name", "b")), record! {"qty" => 9}, &opts)
        .await
        .unwrap();
    assert_eq!(n, 1);
    items
        .upsert(
            record! {"id" => b.get("id").unwrap().clone(), "name" => "b2"},
            &opts,
        )
        .await
        .unwrap();
    items
        .destroy_all(Some(Where::eq("name", "a")), &opts)
        .await
        .unwrap();
    assert_eq!(names(&items, &opts).await, ["b2", "c"]);
    tx.rollback().await.unwrap();
    assert_eq!(names(&items, &none).await, ["a", "b"]);
    let b = items
        .find_one(Filter::with_where(Where::eq("name", "b")), &none)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b.get("qty").and_then(Value::as_f64), Some(2.0));

    // The closure helper commits on Ok and rolls back on Err.
    let it = items.clone();
    let got = app
        .transaction("db", IsolationLevel::ReadCommitted, |o| async move {
            it.create(record! {"name" => "ok"}, &o).await?;
            Ok(7)
        })
        .await
        .unwrap();
    assert_eq!(got, 7);
    let it = items.clone();
    let e = app
        .transaction("db", IsolationLevel::ReadCommitted, |o| async move {
            it.create(record! {"name" => "err"}, &o).await?;
            Err::<(), _>(Error::http(400, "no"))
        })
        .await
        .unwrap_err();
    assert_eq!(e.status(), 400);
    assert_eq!(names(&items, &none).await, ["a", "b", "ok"]);

    // Operation hooks see the transaction in ctx.options.
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let s = seen.clone();
    items.observe(HookKind::BeforeSave, move |ctx| {
        let s = s.clone();
        async move {
            if let Some(t) = &ctx.options.transaction {
                s.lock().unwrap().push(t.id().to_owned());
            }
            Ok(ctx)
        }
    });
    let tx = ds
        .begin_transaction(IsolationLevel::ReadCommitted, None)
        .await
        .unwrap();

    // Events fire in order; a failing `before commit` observer aborts the commit.
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    for ev in [
        TransactionEvent::BeforeCommit,
        TransactionEvent::AfterCommit,
        TransactionEvent::BeforeRollback,
        TransactionEvent::AfterRollback,
    ] {
        let l = log.clone();
        tx.observe(ev, move |ctx| {
            let l = l.clone();
            async move {
                assert!(
                    ctx.transaction.is_active()
                        == (ctx.event != TransactionEvent::AfterCommit
                            && ctx.event != TransactionEvent::AfterRollback)
                );
                l.lock().unwrap().push(ctx.event.name().to_owned());
                Ok(())
            }
        });
    }
    items
        .create(record! {"name" => "hooked"}, &tx.options())
        .await
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), [tx.id().to_owned()]);
    tx.commit().await.unwrap();
    assert_eq!(*log.lock().unwrap(), ["before commit", "after commit"]);

    let tx = ds
        .begin_transaction(IsolationLevel::ReadCommitted, None)
        .await
        .unwrap();
    tx.observe(TransactionEvent::BeforeCommit, |_| async {
        Err(Error::http(409, "refused"))
    });
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let l = log.clone();
    tx.observe(TransactionEvent::AfterRollback, move |ctx| {
        let l = l.clone();
        async move {
            l.lock().unwrap().push(ctx.operation.to_owned());
            Ok(())
        }
    });
    items
        .create(record! {"name" => "refused"}, &tx.options())
        .await
        .unwrap();
    assert_eq!(tx.commit().await.unwrap_err().status(), 409);
    assert!(tx.is_active());
    tx.rollback().await.unwrap();
    assert_eq!(*log.lock().unwrap(), ["rollback"]);
    assert_eq!(names(&items, &none).await, ["a", "b", "hooked", "ok"]);

    // A timeout rolls back; later uses fail.
    let tx = ds
        .begin_transaction(
            IsolationLevel::ReadCommitted,
            Some(Duration::from_millis(200)),
        )
        .await
        .unwrap();
    let opts = tx.options();
    items
        .create(record! {"name" => "slow"}, &opts)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(!tx.is_active());
    assert!(tx.timed_out());
    let e = items.count(None, &opts).await.unwrap_err();
    assert!(not_active(&e), "{e}");
    match tx.commit().await.unwrap_err() {
        Error::TransactionNotActive { timed_out, .. } => assert!(timed_out),
        e => panic!("{e}"),
    }
    assert_eq!(names(&items, &none).await, ["a", "b", "hooked", "ok"]);
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_transactions() {
    use loopback::connectors::SqliteConnector;
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(SqliteConnector::open(dir.path().join("tx.db")));
    suite(db.clone(), false).await;

    // A transaction of another data source is refused.
    let other = Arc::new(SqliteConnector::open(dir.path().join("other.db")));
    let (_app, items) = setup(other).await;
    let tx = db
        .begin_transaction(IsolationLevel::Serializable, None)
        .await
        .unwrap();
    let e = items
        .find(
            Filter::default(),
            &Options::new().in_transaction(tx.clone()),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("does not belong"), "{e}");
    tx.rollback().await.unwrap();
}

#[tokio::test]
async fn memory_connector_has_no_transactions() {
    let app = App::new();
    let ds = app.data_source("mem", loopback::connectors::memory());
    let e = ds
        .begin_transaction(IsolationLevel::ReadCommitted, None)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotSupported { .. }), "{e}");
    assert!(e.to_string().contains("Transaction is not supported"));
    let e = app
        .transaction("mem", IsolationLevel::ReadCommitted, |_| async { Ok(()) })
        .await
        .unwrap_err();
    assert_eq!(e.status(), 501);
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_transactions() {
    let Some((db, _schema)) = pg_db::TestSchema::create().await else {
        return;
    };
    suite(db.clone(), true).await;
    for (level, shown) in [
        (IsolationLevel::ReadCommitted, "read committed"),
        (IsolationLevel::RepeatableRead, "repeatable read"),
        (IsolationLevel::Serializable, "serializable"),
    ] {
        let tx = db.begin_transaction(level, None).await.unwrap();
        let rows = db
            .execute(
                "SELECT current_setting('transaction_isolation') AS l",
                &[],
                &Options::new().in_transaction(tx.clone()),
            )
            .await
            .unwrap();
        assert_eq!(rows[0].get("l").and_then(Value::as_str), Some(shown));
        tx.commit().await.unwrap();
    }
    db.close().await;
}

#[cfg(feature = "mysql")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_transactions() {
    let Some((db, _test_db)) = mysql_db::TestDb::create().await else {
        return;
    };
    suite(db.clone(), true).await;
    // Every level starts a transaction (MySQL applies it to that transaction only).
    let tx = db
        .begin_transaction(IsolationLevel::Serializable, None)
        .await
        .unwrap();
    let rows = db
        .execute(
            "SELECT 1 AS one",
            &[],
            &Options::new().in_transaction(tx.clone()),
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    tx.commit().await.unwrap();
    db.close().await;
}
