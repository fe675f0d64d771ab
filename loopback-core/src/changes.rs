//! Change streams: LoopBack 3's `Model.createChangeStream`, fed by the operation layer.
//!
//! [`ModelHandle::change_stream`] subscribes to the writes of one model. Every `after save` and
//! `after delete` of that model (and of the models based on it, whose hooks include their
//! base's) becomes a [`Change`] with LB3's shape: `type` (`create`, `update` or `remove`),
//! `target` (the affected id), `where` (the operation's condition, for updates and deletes by
//! condition) and `data` (the saved instance, or the partial data of `updateAll`).
//!
//! ```
//! # async fn demo(books: loopback_core::ModelHandle) -> loopback_core::Result<()> {
//! use futures::StreamExt;
//! use loopback_core::{ChangeKind, Filter, Where};
//!
//! // Only changes whose data has `published: true`.
//! let filter = Filter::with_where(Where::eq("published", true));
//! let mut changes = books.change_stream(Some(filter))?;
//! while let Some(change) = changes.next().await {
//!     if change.kind == ChangeKind::Create {
//!         println!("new book: {}", change.to_json());
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # How the feed works
//!
//! The first subscription to a model registers one `after save` and one `after delete`
//! observer on it, for the life of the model; they build a change only while somebody is
//! subscribed and hand it to a [`tokio::sync::broadcast`] channel of
//! [`CHANGE_STREAM_CAPACITY`] changes. Writers never wait for subscribers: a subscriber that
//! falls more than that many changes behind loses the oldest ones, and its stream carries on
//! with the oldest change still held, counting the lost ones in [`ChangeStream::missed`]
//! (the REST API reports them as an `error` event). Dropping a [`ChangeStream`] unsubscribes.
//! [`ModelHandle::close_change_streams`] (or [`App::close_change_streams`]) ends every open
//! stream, for instance before a graceful shutdown.
//!
//! Changes are published when the hooks run, as in LB3: a change made inside a transaction is
//! published before the transaction commits, and is not withdrawn when it rolls back.

use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, OnceLock, RwLock};
use std::task::{ready, Context, Poll};

use futures::stream::{BoxStream, Stream, StreamExt};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value as Json};
use tokio::sync::broadcast::{self, error::RecvError};

use crate::app::{App, ModelHandle};
use crate::error::{Error, Result};
use crate::filter::{CompiledFilter, Filter, Where};
use crate::hooks::{HookContext, HookKind};
use crate::value::{Record, Value};

/// How many changes a model's feed holds for subscribers that have not read them yet; a
/// subscriber further behind loses the oldest ([`ChangeStream::missed`]).
pub const CHANGE_STREAM_CAPACITY: usize = 1024;

/// What a [`Change`] did (LB3's `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// `create`: an instance was created. LB3 also says `create` for a save that does not
    /// know whether it created (no `isNewInstance`) and has no target id, such as an
    /// `updateAll` by a condition on other properties than the id.
    Create,
    /// `update`: an instance (or, for `updateAll` by id, the instance with that id) changed.
    Update,
    /// `remove`: instances were deleted.
    Remove,
}

impl ChangeKind {
    /// LB3's name: `create`, `update` or `remove`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Create => "create",
            ChangeKind::Update => "update",
            ChangeKind::Remove => "remove",
        }
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One change of a model, as LB3's change streams describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// What happened.
    pub kind: ChangeKind,
    /// The affected id: `data[id]`, else the `where`'s value for the id property (which may
    /// be an operator object such as `{"inq": [1, 2]}`); none for changes by another
    /// condition.
    pub target: Option<Value>,
    /// The operation's condition: set for `updateAll` and deletes, none for saves of one
    /// instance.
    pub where_: Option<Where>,
    /// The saved instance (all of its properties, hidden ones included), the partial data of
    /// an `updateAll`, or the deleted instance when the delete had one (`prototype.delete`);
    /// none for deletes by id or condition.
    pub data: Option<Record>,
}

impl Change {
    /// LB3's JSON: `{"target": …, "where": …, "data": …, "type": …}` in that order, absent
    /// members left out.
    ///
    /// ```
    /// use loopback_core::{record, Change, ChangeKind, Value};
    /// let c = Change {
    ///     kind: ChangeKind::Create,
    ///     target: Some(Value::Int(1)),
    ///     where_: None,
    ///     data: Some(record! {"foo" => "bar", "id" => 1}),
    /// };
    /// assert_eq!(
    ///     c.to_json().to_string(),
    ///     r#"{"target":1,"data":{"foo":"bar","id":1},"type":"create"}"#
    /// );
    /// ```
    pub fn to_json(&self) -> Json {
        self.to_json_with(|where_| where_.to_json(), Record::to_json)
    }

    /// LB3's JSON with `where` and `data` printed by the given functions (the REST API hides
    /// hidden properties with them).
    pub(crate) fn to_json_with(
        &self,
        where_json: impl FnOnce(&Where) -> Json,
        data_json: impl FnOnce(&Record) -> Json,
    ) -> Json {
        let mut m = Map::with_capacity(4);
        if let Some(t) = &self.target {
            m.insert("target".into(), t.to_json());
        }
        if let Some(w) = &self.where_ {
            m.insert("where".into(), where_json(w));
        }
        if let Some(d) = &self.data {
            m.insert("data".into(), data_json(d));
        }
        m.insert("type".into(), Json::String(self.kind.as_str().into()));
        Json::Object(m)
    }

    /// The change an `after save` or `after delete` context describes, as LB3's
    /// `createChangeObject` builds it.
    fn from_hook(ctx: &HookContext, id_name: &str) -> Option<Change> {
        let data = ctx.instance.as_ref().or(ctx.data.as_ref());
        let target = data
            .and_then(|d| d.get(id_name))
            .filter(|v| is_truthy_id(v))
            .cloned()
            .or_else(|| {
                let w = ctx.where_.as_ref()?.to_json();
                let v = w.get(id_name)?;
                let v = Value::from_json(v);
                is_truthy_id(&v).then_some(v)
            });
        let kind = match ctx.hook {
            HookKind::AfterSave => match ctx.is_new_instance {
                Some(true) => ChangeKind::Create,
                Some(false) => ChangeKind::Update,
                None if target.is_some() => ChangeKind::Update,
                None => ChangeKind::Create,
            },
            HookKind::AfterDelete => ChangeKind::Remove,
            _ => return None,
        };
        Some(Change {
            kind,
            target,
            where_: ctx.where_.clone(),
            data: data.cloned(),
        })
    }
}

impl Serialize for Change {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

/// JavaScript truthiness of an id (`data[id] || data[id] === 0`): null, `false`, `""` and
/// `NaN` are no id, `0` is one.
fn is_truthy_id(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => false,
        Value::String(s) => !s.is_empty(),
        Value::Float(f) => !f.is_nan(),
        _ => true,
    }
}

type Sender = broadcast::Sender<Arc<Change>>;

/// The per-model feed: the broadcast sender (absent until the first subscription and after
/// [`ChangeFeed::close`]) and whether the observers are registered. Held by the model.
#[derive(Default)]
pub(crate) struct ChangeFeed {
    slot: Arc<RwLock<Option<Sender>>>,
    observed: OnceLock<()>,
}

impl ChangeFeed {
    /// A receiver of every change from now on; registers the observers on first use.
    fn subscribe(&self, model: &ModelHandle) -> broadcast::Receiver<Arc<Change>> {
        self.observed
            .get_or_init(|| register_observers(model, &self.slot));
        let mut slot = self.slot.write().unwrap_or_else(|e| e.into_inner());
        match &*slot {
            Some(tx) => tx.subscribe(),
            None => {
                let (tx, rx) = broadcast::channel(CHANGE_STREAM_CAPACITY);
                *slot = Some(tx);
                rx
            }
        }
    }

    fn subscribers(&self) -> usize {
        self.slot
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map_or(0, Sender::receiver_count)
    }

    fn close(&self) {
        self.slot.write().unwrap_or_else(|e| e.into_inner()).take();
    }
}

/// Registers the `after save` and `after delete` observers that publish to `slot`.
fn register_observers(model: &ModelHandle, slot: &Arc<RwLock<Option<Sender>>>) {
    let id_name: Arc<str> = model.definition().id_name().into();
    for hook in [HookKind::AfterSave, HookKind::AfterDelete] {
        let slot = Arc::clone(slot);
        let id_name = Arc::clone(&id_name);
        model.observe(hook, move |ctx| {
            publish(&slot, &ctx, &id_name);
            std::future::ready(Ok(ctx))
        });
    }
}

fn publish(slot: &RwLock<Option<Sender>>, ctx: &HookContext, id_name: &str) {
    let slot = slot.read().unwrap_or_else(|e| e.into_inner());
    let Some(tx) = slot.as_ref() else {
        return;
    };
    if tx.receiver_count() == 0 {
        return;
    }
    if let Some(change) = Change::from_hook(ctx, id_name) {
        // Fails only when every receiver went away meanwhile.
        let _ = tx.send(Arc::new(change));
    }
}

/// What the broadcast receiver yields.
enum Received {
    Change(Arc<Change>),
    Lagged(u64),
}

/// The changes of one model, from subscription on: a [`Stream`] of [`Change`]s (see
/// [`ModelHandle::change_stream`]). It ends when the feed is closed
/// ([`ModelHandle::close_change_streams`]) or the model is dropped; dropping it unsubscribes.
pub struct ChangeStream {
    rx: BoxStream<'static, Received>,
    filter: Option<CompiledFilter>,
    missed: u64,
}

impl fmt::Debug for ChangeStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangeStream")
            .field("filter", &self.filter)
            .field("missed", &self.missed)
            .finish_non_exhaustive()
    }
}

impl ChangeStream {
    fn new(rx: broadcast::Receiver<Arc<Change>>, filter: Option<CompiledFilter>) -> Self {
        let rx = futures::stream::unfold(rx, |mut rx| async move {
            match rx.recv().await {
                Ok(c) => Some((Received::Change(c), rx)),
                Err(RecvError::Lagged(n)) => Some((Received::Lagged(n), rx)),
                Err(RecvError::Closed) => None,
            }
        })
        .boxed();
        ChangeStream {
            rx,
            filter,
            missed: 0,
        }
    }

    /// The next change, or `None` once the stream has ended.
    pub async fn recv(&mut self) -> Option<Change> {
        self.next_shared().await.map(Arc::unwrap_or_clone)
    }

    /// How many changes this subscriber lost because it fell more than
    /// [`CHANGE_STREAM_CAPACITY`] changes behind (whether or not they matched its filter).
    pub fn missed(&self) -> u64 {
        self.missed
    }

    /// The next change this subscriber admits, shared with the feed's other subscribers
    /// unless `fields` narrowed it.
    pub(crate) async fn next_shared(&mut self) -> Option<Arc<Change>> {
        std::future::poll_fn(|cx| self.poll_shared(cx)).await
    }

    fn poll_shared(&mut self, cx: &mut Context<'_>) -> Poll<Option<Arc<Change>>> {
        loop {
            match ready!(self.rx.poll_next_unpin(cx)) {
                None => return Poll::Ready(None),
                Some(Received::Lagged(n)) => self.missed += n,
                Some(Received::Change(c)) => {
                    if let Some(c) = self.admit(c) {
                        return Poll::Ready(Some(c));
                    }
                }
            }
        }
    }

    /// The change as this subscriber sees it: none when the filter's `where` does not match
    /// the change's data (a change without data is tested as an empty object, as LB3 does),
    /// the data narrowed to the filter's `fields` (a copy; otherwise the change is shared).
    fn admit(&self, change: Arc<Change>) -> Option<Arc<Change>> {
        let Some(f) = &self.filter else {
            return Some(change);
        };
        let no_data = Record::new();
        if !f.matches(change.data.as_ref().unwrap_or(&no_data)) {
            return None;
        }
        if f.fields().is_none() {
            return Some(change);
        }
        Some(Arc::new(Change {
            kind: change.kind,
            target: change.target.clone(),
            where_: change.where_.clone(),
            data: change.data.as_ref().map(|d| f.project(d)),
        }))
    }
}

impl Stream for ChangeStream {
    type Item = Change;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Change>> {
        // Copied only while the change is still held elsewhere (other subscribers, the feed).
        self.get_mut()
            .poll_shared(cx)
            .map(|c| c.map(Arc::unwrap_or_clone))
    }
}

impl ModelHandle {
    /// Subscribes to this model's changes (LB3's `createChangeStream(options)`): every create,
    /// update and delete from now on, through the operation layer, as a [`ChangeStream`].
    ///
    /// `filter` is LB3's `options`: its `where` is tested against each change's data with the
    /// memory connector's semantics (values coerced to the property types first), and changes
    /// that do not match are left out; its `fields` narrows the data. `order`, `limit`, `skip`
    /// and `include` are ignored. Fails with a 400 [`Error`] for a `where` on related models or
    /// an invalid `regexp`.
    pub fn change_stream(&self, filter: Option<Filter>) -> Result<ChangeStream> {
        let filter = match filter {
            None => None,
            Some(mut f) => {
                if f.where_.as_ref().is_some_and(Where::has_related) {
                    return Err(Error::bad_request(
                        "A change stream filter cannot hold conditions on related models",
                    ));
                }
                let def = self.definition();
                f.where_ = f.where_.map(|w| crate::app::coerce_where(&def, w));
                Some(f.compile()?)
            }
        };
        let rx = self.change_feed().subscribe(self);
        Ok(ChangeStream::new(rx, filter))
    }

    /// How many [`ChangeStream`]s of this model are open.
    pub fn change_stream_subscribers(&self) -> usize {
        self.change_feed().subscribers()
    }

    /// Ends every open [`ChangeStream`] of this model (after the changes they hold); later
    /// subscriptions start a new feed.
    pub fn close_change_streams(&self) {
        self.change_feed().close();
    }
}

impl App {
    /// Ends every open [`ChangeStream`] of every model (see
    /// [`ModelHandle::close_change_streams`]), e.g. before a graceful shutdown, which would
    /// otherwise wait for the clients of change streams to go away.
    pub fn close_change_streams(&self) {
        for m in self.models() {
            m.close_change_streams();
        }
    }
}

#[cfg(test)]
mod tests;
