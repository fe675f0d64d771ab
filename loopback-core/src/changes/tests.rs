//! The change feed through the operation layer, on a minimal in-memory connector.

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use serde_json::json;

use super::*;
use crate::connector::{Capabilities, Connector, Options};
use crate::model::ModelDefinition;
use crate::record;

/// Stores records in a vector and numbers them from 1: enough for the operation layer.
#[derive(Default)]
struct VecConnector {
    rows: Mutex<Vec<Record>>,
    next: Mutex<i64>,
    caps: Capabilities,
}

impl VecConnector {
    fn rows(&self) -> std::sync::MutexGuard<'_, Vec<Record>> {
        self.rows.lock().unwrap()
    }
}

#[async_trait]
impl Connector for VecConnector {
    fn name(&self) -> &str {
        "vec"
    }

    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    async fn create(
        &self,
        model: &ModelDefinition,
        mut data: Record,
        _: &Options,
    ) -> Result<Value> {
        let id_name = model.id_name().to_owned();
        let id = match data.get(&id_name) {
            Some(v) if !v.is_null() => v.clone(),
            _ => {
                let mut n = self.next.lock().unwrap();
                *n += 1;
                Value::Int(*n)
            }
        };
        data.insert(id_name, id.clone());
        self.rows().push(data);
        Ok(id)
    }

    async fn find(&self, _: &ModelDefinition, filter: &Filter, _: &Options) -> Result<Vec<Record>> {
        let f = filter.compile()?;
        let rows = self.rows();
        Ok(f.select(rows.iter()).into_iter().cloned().collect())
    }

    async fn count(&self, _: &ModelDefinition, w: Option<&Where>, _: &Options) -> Result<u64> {
        Ok(self
            .rows()
            .iter()
            .filter(|r| w.map_or(true, |w| w.matches(r)))
            .count() as u64)
    }

    async fn update_all(
        &self,
        _: &ModelDefinition,
        w: Option<&Where>,
        data: Record,
        _: &Options,
    ) -> Result<u64> {
        let mut n = 0;
        for r in self.rows().iter_mut() {
            if w.map_or(true, |w| w.matches(r)) {
                r.merge(data.clone());
                n += 1;
            }
        }
        Ok(n)
    }

    async fn destroy_all(
        &self,
        _: &ModelDefinition,
        w: Option<&Where>,
        _: &Options,
    ) -> Result<u64> {
        let mut rows = self.rows();
        let before = rows.len();
        rows.retain(|r| !w.map_or(true, |w| w.matches(r)));
        Ok((before - rows.len()) as u64)
    }

    async fn replace_by_id(
        &self,
        model: &ModelDefinition,
        id: &Value,
        data: Record,
        _: &Options,
    ) -> Result<bool> {
        let id_name = model.id_name();
        for r in self.rows().iter_mut() {
            if r.get(id_name) == Some(id) {
                let mut data = data;
                data.insert(id_name.to_owned(), id.clone());
                *r = data;
                return Ok(true);
            }
        }
        Ok(false)
    }
}

async fn app() -> (App, ModelHandle) {
    let app = App::new();
    app.data_source("db", Arc::new(VecConnector::default()));
    let def = ModelDefinition::from_lb3_json(&json!({
        "name": "Note",
        "properties": {"title": "string", "count": "number", "secret": "string"},
        "hidden": ["secret"]
    }))
    .unwrap();
    let notes = app.define(def, "db").await.unwrap();
    (app, notes)
}

async fn next(s: &mut ChangeStream) -> Change {
    tokio::time::timeout(Duration::from_secs(5), s.next())
        .await
        .expect("a change within 5 s")
        .expect("the stream is open")
}

/// Nothing arrives for a short while (what was published is already buffered).
async fn nothing_more(s: &mut ChangeStream) {
    let got = tokio::time::timeout(Duration::from_millis(50), s.next()).await;
    assert!(got.is_err(), "unexpected change: {got:?}");
}

fn json_of(c: &Change) -> String {
    c.to_json().to_string()
}

#[tokio::test]
async fn changes_follow_lb3_create_update_remove() {
    let (_app, notes) = app().await;
    let mut s = notes.change_stream(None).unwrap();
    let o = Options::new();

    notes
        .create(record! {"title" => "a", "count" => 1, "secret" => "s"}, &o)
        .await
        .unwrap();
    // The programmatic stream carries the whole instance, hidden properties included.
    assert_eq!(
        json_of(&next(&mut s).await),
        r#"{"target":1,"data":{"id":1,"title":"a","count":1,"secret":"s"},"type":"create"}"#
    );

    notes
        .patch_by_id(Value::Int(1), record! {"title" => "b"}, &o)
        .await
        .unwrap();
    let c = next(&mut s).await;
    assert_eq!(c.kind, ChangeKind::Update);
    assert_eq!(c.target, Some(Value::Int(1)));
    assert_eq!(
        c.data.as_ref().unwrap().get("title"),
        Some(&Value::from("b"))
    );

    // updateAll by another condition: no target, so LB3 calls it a `create`.
    notes
        .update_all(Some(Where::eq("title", "b")), record! {"count" => 5}, &o)
        .await
        .unwrap();
    assert_eq!(
        json_of(&next(&mut s).await),
        r#"{"where":{"title":"b"},"data":{"count":5},"type":"create"}"#
    );

    // updateAll by id: the where's id is the target, so it is an `update`.
    notes
        .update_all(Some(Where::eq("id", 1)), record! {"count" => 6}, &o)
        .await
        .unwrap();
    assert_eq!(
        json_of(&next(&mut s).await),
        r#"{"target":1,"where":{"id":1},"data":{"count":6},"type":"update"}"#
    );

    notes.destroy_by_id(Value::Int(1), &o).await.unwrap();
    assert_eq!(
        json_of(&next(&mut s).await),
        r#"{"target":1,"where":{"id":1},"type":"remove"}"#
    );

    notes.destroy_all(None, &o).await.unwrap();
    assert_eq!(json_of(&next(&mut s).await), r#"{"type":"remove"}"#);
    nothing_more(&mut s).await;
}

#[tokio::test]
async fn prototype_delete_carries_the_instance_and_zero_is_a_target() {
    let (app, _) = app().await;
    let def = ModelDefinition::from_lb3_json(&json!({
        "name": "Tag", "forceId": false, "properties": {"title": "string"}
    }))
    .unwrap();
    let tags = app.define(def, "db").await.unwrap();
    let o = Options::new();
    let mut s = tags.change_stream(None).unwrap();
    let zero = tags
        .create(record! {"id" => 0, "title" => "z"}, &o)
        .await
        .unwrap();
    assert_eq!(
        json_of(&next(&mut s).await),
        r#"{"target":0,"data":{"id":0,"title":"z"},"type":"create"}"#
    );
    tags.delete_instance(&zero, &o).await.unwrap();
    assert_eq!(
        json_of(&next(&mut s).await),
        r#"{"target":0,"where":{"id":0},"data":{"id":0,"title":"z"},"type":"remove"}"#
    );
}

#[tokio::test]
async fn the_where_filter_applies_to_the_data() {
    let (_app, notes) = app().await;
    let o = Options::new();
    // Coerced to the property type, as a parsed filter would be.
    let filter = Filter::with_where(Where::cond(
        "count",
        crate::filter::Condition::Gt(Value::from("3")),
    ));
    let mut s = notes.change_stream(Some(filter)).unwrap();
    notes
        .create(record! {"title" => "low", "count" => 1}, &o)
        .await
        .unwrap();
    notes
        .create(record! {"title" => "high", "count" => 7}, &o)
        .await
        .unwrap();
    let c = next(&mut s).await;
    assert_eq!(c.target, Some(Value::Int(2)));
    // The partial data of updateAll is what is tested.
    notes
        .update_all(Some(Where::eq("title", "low")), record! {"count" => 5}, &o)
        .await
        .unwrap();
    let c = next(&mut s).await;
    assert_eq!(c.data, Some(record! {"count" => 5}));
    // A delete has no data: a where on a property never matches it.
    notes.destroy_by_id(Value::Int(2), &o).await.unwrap();
    nothing_more(&mut s).await;
}

#[tokio::test]
async fn fields_narrow_the_data_and_an_empty_where_passes_deletes() {
    let (_app, notes) = app().await;
    let o = Options::new();
    let mut s = notes
        .change_stream(Some(Filter::new().fields(["title"])))
        .unwrap();
    notes
        .create(record! {"title" => "t", "count" => 1}, &o)
        .await
        .unwrap();
    assert_eq!(
        json_of(&next(&mut s).await),
        r#"{"target":1,"data":{"title":"t"},"type":"create"}"#
    );
    notes.destroy_by_id(Value::Int(1), &o).await.unwrap();
    assert_eq!(next(&mut s).await.kind, ChangeKind::Remove);
}

#[tokio::test]
async fn related_conditions_are_refused() {
    let (_app, notes) = app().await;
    let w = Where::related(
        "author",
        crate::filter::Quantifier::Some,
        Where::eq("name", "x"),
    );
    let err = notes
        .change_stream(Some(Filter::with_where(w)))
        .unwrap_err();
    assert_eq!(err.status(), 400);
    assert_eq!(notes.change_stream_subscribers(), 0);
}

#[tokio::test]
async fn dropping_a_stream_unsubscribes_and_closing_ends_streams() {
    let (app, notes) = app().await;
    assert_eq!(notes.change_stream_subscribers(), 0);
    let a = notes.change_stream(None).unwrap();
    let mut b = notes.change_stream(None).unwrap();
    assert_eq!(notes.change_stream_subscribers(), 2);
    drop(a);
    assert_eq!(notes.change_stream_subscribers(), 1);
    // The observers are registered once, however many subscriptions.
    assert_eq!(notes.observers().get(HookKind::AfterSave).len(), 1);
    assert_eq!(notes.observers().get(HookKind::AfterDelete).len(), 1);

    notes
        .create(record! {"title" => "x"}, &Options::new())
        .await
        .unwrap();
    app.close_change_streams();
    assert_eq!(notes.change_stream_subscribers(), 0);
    // What was published before closing is still delivered, then the stream ends.
    assert_eq!(next(&mut b).await.kind, ChangeKind::Create);
    assert!(b.next().await.is_none());

    // A new subscription after closing works, with the same observers.
    let mut c = notes.change_stream(None).unwrap();
    notes
        .create(record! {"title" => "y"}, &Options::new())
        .await
        .unwrap();
    assert_eq!(next(&mut c).await.target, Some(Value::Int(2)));
    assert_eq!(notes.observers().get(HookKind::AfterSave).len(), 1);
}

#[tokio::test]
async fn writes_without_subscribers_reach_no_later_subscriber() {
    let (_app, notes) = app().await;
    drop(notes.change_stream(None).unwrap());
    assert_eq!(notes.change_stream_subscribers(), 0);
    // The observers stay but publish nothing; writes work as before.
    let o = Options::new();
    notes.create(record! {"title" => "x"}, &o).await.unwrap();
    let mut s = notes.change_stream(None).unwrap();
    notes.create(record! {"title" => "y"}, &o).await.unwrap();
    assert_eq!(next(&mut s).await.target, Some(Value::Int(2)));
    nothing_more(&mut s).await;
}

#[tokio::test]
async fn subscribers_share_each_change_unless_fields_narrow_it() {
    let (_app, notes) = app().await;
    let mut a = notes.change_stream(None).unwrap();
    let mut b = notes
        .change_stream(Some(Filter::with_where(Where::eq("title", "x"))))
        .unwrap();
    let mut narrowed = notes
        .change_stream(Some(Filter::new().fields(["title"])))
        .unwrap();
    notes
        .create(record! {"title" => "x", "count" => 1}, &Options::new())
        .await
        .unwrap();
    let from_a = a.next_shared().await.unwrap();
    let from_b = b.next_shared().await.unwrap();
    let from_narrowed = narrowed.next_shared().await.unwrap();
    assert!(Arc::ptr_eq(&from_a, &from_b));
    assert!(!Arc::ptr_eq(&from_a, &from_narrowed));
    assert_eq!(from_narrowed.data, Some(record! {"title" => "x"}));
    assert_eq!(from_narrowed.target, from_a.target);
}

#[tokio::test]
async fn a_lagging_subscriber_loses_the_oldest_changes_and_writers_do_not_wait() {
    let (_app, notes) = app().await;
    let o = Options::new();
    let mut slow = notes.change_stream(None).unwrap();
    let extra = 5;
    for i in 0..CHANGE_STREAM_CAPACITY + extra {
        notes
            .create(record! {"title" => format!("n{i}")}, &o)
            .await
            .unwrap();
    }
    let first = next(&mut slow).await;
    assert_eq!(slow.missed(), extra as u64);
    assert_eq!(first.target, Some(Value::Int(extra as i64 + 1)));
}

#[test]
fn ids_follow_javascript_truthiness() {
    assert!(is_truthy_id(&Value::Int(0)));
    assert!(is_truthy_id(&Value::from("a")));
    assert!(!is_truthy_id(&Value::from("")));
    assert!(!is_truthy_id(&Value::Null));
    assert!(!is_truthy_id(&Value::Bool(false)));
    assert!(!is_truthy_id(&Value::Float(f64::NAN)));
}

#[test]
fn change_kinds_print_as_lb3() {
    assert_eq!(ChangeKind::Create.to_string(), "create");
    assert_eq!(ChangeKind::Update.as_str(), "update");
    assert_eq!(
        serde_json::to_string(&Change {
            kind: ChangeKind::Remove,
            target: None,
            where_: Some(Where::eq("title", "x")),
            data: None,
        })
        .unwrap(),
        r#"{"where":{"title":"x"},"type":"remove"}"#
    );
}
