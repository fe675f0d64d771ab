//! The memory connector: LoopBack 3's built-in in-memory store, with optional file persistence.
//!
//! Each model (or the `memory.collection` named in its settings) has its own collection of
//! records, indexed by id in id order, which is the order `find` returns when the filter has no
//! `order` (LoopBack's memory connector sorts by id by default). Records are copied in and out;
//! nothing stored is ever shared with a caller.
//!
//! A collection keeps its data column-wise: one column per declared property (of every model
//! using the collection), plus a small per-record map for properties the models do not declare.
//! A scan then reads each condition's property from one contiguous column instead of looking
//! names up record by record. Filters are evaluated by
//! [`loopback_core::filter::CompiledFilter`], compiled once per call; a `where` that pins the id
//! (`{id: x}`, `{id: {inq: [...]}}`, alone or inside a top-level `and`) is answered by index
//! lookup instead of a scan.
//!
//! Numeric ids are generated per collection from 1 upwards; string ids are generated as random
//! UUIDs.
//!
//! With [`MemoryConnector::with_file`], the whole store is written to a JSON file after every
//! change, in LoopBack 3's format, so a file written by either can be read by the other:
//!
//! ```json
//! {
//!   "ids": { "Book": 3 },
//!   "models": { "Book": { "1": "{\"id\":1,\"title\":\"Dune\"}", "2": "{\"id\":2,\"title\":\"Emma\"}" } }
//! }
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

use async_trait::async_trait;
use loopback_core::connector::{Capabilities, Connector, Options};
use loopback_core::data::coerce_value;
use loopback_core::filter::{CompiledFilter, CompiledWhere, Condition, Fields, Filter, Row, Where};
use loopback_core::model::{ModelDefinition, PropertyType};
use loopback_core::validation::ValidationError;
use loopback_core::value::Key;
use loopback_core::{Error, Record, Result, Value};

/// LoopBack 3's in-memory connector (`"connector": "memory"`).
///
/// Cheap to create; share one instance per data source (`Arc<MemoryConnector>`). All
/// operations are safe to run concurrently: readers share a lock, writers take it briefly and
/// never hold it across an `.await`.
///
/// ```
/// use std::sync::Arc;
/// use loopback_connectors::memory::MemoryConnector;
/// use loopback_core::{record, App, Filter, Options, Where};
/// use loopback_core::model::ModelDefinition;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let app = App::new();
/// app.data_source("db", Arc::new(MemoryConnector::new()));
/// let def = ModelDefinition::from_lb3_json(&serde_json::json!({
///     "name": "Book", "properties": {"title": "string"}
/// }))?;
/// let books = app.define(def, "db").await?;
/// books.create(record! {"title" => "Dune"}, &Options::new()).await?;
/// let found = books.find(Filter::with_where(Where::eq("title", "Dune")), &Options::new()).await?;
/// assert_eq!(found[0].get("id"), Some(&1.into()));
/// # Ok::<(), loopback_core::Error>(())
/// # }).unwrap();
/// ```
pub struct MemoryConnector {
    state: RwLock<State>,
    capabilities: Capabilities,
    file: Option<Arc<FileStore>>,
}

impl fmt::Debug for MemoryConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = read(&self.state);
        let sizes: BTreeMap<&String, usize> = state
            .collections
            .iter()
            .map(|(k, c)| (k, c.len()))
            .collect();
        f.debug_struct("MemoryConnector")
            .field("collections", &sizes)
            .field("file", &self.file.as_ref().map(|f| &f.path))
            .finish()
    }
}

impl Default for MemoryConnector {
    fn default() -> Self {
        MemoryConnector::new()
    }
}

#[derive(Default)]
struct State {
    collections: HashMap<String, Collection>,
    /// Bumped on every change; the file store writes a snapshot only when it is newer than
    /// the last one on disk.
    generation: u64,
}

/// One collection's records, column-wise.
struct Collection {
    /// Each record's row number, in id order.
    index: BTreeMap<IdKey, usize>,
    /// The rows in id order, for scans: walking a contiguous list is several times faster
    /// than walking the tree. Kept up to date by appends in id order (the common case) and
    /// rebuilt on the next scan after any other change.
    scan: OnceLock<Vec<usize>>,
    /// Column names: the declared properties of the models using the collection.
    names: Vec<String>,
    slot_of: HashMap<String, usize>,
    /// `columns[slot][row]`; `None` when the record does not have the property (a stored null
    /// is `Some(Value::Null)`). A column may be shorter than the number of rows.
    columns: Vec<Vec<Option<Value>>>,
    /// Per row: the properties without a column, in the order they were set.
    extras: Vec<Option<Box<Record>>>,
    /// Per row: the record's key, `None` for a free row.
    keys: Vec<Option<IdKey>>,
    /// Rows of deleted records, for reuse.
    free: Vec<usize>,
    /// The next generated numeric id (LoopBack's `ids[model]`).
    next_id: i64,
    /// Records read from a file, as parsed, until a model definition types them.
    untyped: BTreeMap<IdKey, Record>,
}

/// One stored record, as the filter evaluator sees it.
#[derive(Clone, Copy)]
struct RowRef<'a> {
    c: &'a Collection,
    row: usize,
}

impl<'a> RowRef<'a> {
    fn value(self, name: &str, slot: Option<usize>) -> Option<&'a Value> {
        match slot {
            Some(s) => self.c.columns.get(s)?.get(self.row)?.as_ref(),
            None => self.c.extras.get(self.row)?.as_ref()?.get(name),
        }
    }
}

impl Row for RowRef<'_> {
    fn property(&self, name: &str, slot: Option<usize>) -> Option<&Value> {
        // Filters are compiled against this collection's slots under the same lock, so a
        // property without a slot has no column.
        self.value(name, slot)
    }
}

impl Default for Collection {
    fn default() -> Self {
        Collection {
            index: BTreeMap::new(),
            scan: OnceLock::new(),
            names: Vec::new(),
            slot_of: HashMap::new(),
            columns: Vec::new(),
            extras: Vec::new(),
            keys: Vec::new(),
            free: Vec::new(),
            next_id: 1,
            untyped: BTreeMap::new(),
        }
    }
}

impl Collection {
    fn len(&self) -> usize {
        self.index.len() + self.untyped.len()
    }

    /// Whether `def` declares properties that have no column yet, or records read from a file
    /// wait for typing.
    fn needs_schema(&self, def: &ModelDefinition) -> bool {
        !self.untyped.is_empty() || def.properties.keys().any(|k| !self.slot_of.contains_key(k))
    }

    /// Adds a column for every property `def` declares, moving values already stored for that
    /// name out of the per-record maps, then types and stores records read from a file.
    fn ensure_schema(&mut self, def: &ModelDefinition) {
        for name in def.properties.keys() {
            if self.slot_of.contains_key(name) {
                continue;
            }
            let mut column = Vec::new();
            for (row, extra) in self.extras.iter_mut().enumerate() {
                if let Some(v) = extra.as_mut().and_then(|e| e.remove(name)) {
                    column.resize_with(row + 1, || None);
                    column[row] = Some(v);
                }
            }
            self.slot_of.insert(name.clone(), self.names.len());
            self.names.push(name.clone());
            self.columns.push(column);
        }
        for (key, mut record) in std::mem::take(&mut self.untyped) {
            // Values that do not convert are kept as they are.
            for (name, value) in record.iter_mut() {
                if let Some(p) = def.properties.get(name.as_str()) {
                    if let Ok(v) = coerce_value(&p.ty, value.clone()) {
                        *value = v;
                    }
                }
            }
            self.insert(key, record);
        }
    }

    fn slots(&self) -> impl Fn(&str) -> Option<usize> + '_ {
        move |name| self.slot_of.get(name).copied()
    }

    fn rows(&self) -> impl Iterator<Item = RowRef<'_>> {
        let order = self
            .scan
            .get_or_init(|| self.index.values().copied().collect());
        order.iter().map(move |&row| RowRef { c: self, row })
    }

    fn get(&self, row: usize, name: &str) -> Option<&Value> {
        RowRef { c: self, row }.value(name, self.slot_of.get(name).copied())
    }

    fn set(&mut self, row: usize, name: Key, value: Value) {
        match self.slot_of.get(name.as_str()) {
            Some(&s) => {
                let column = &mut self.columns[s];
                if column.len() <= row {
                    column.resize_with(row + 1, || None);
                }
                column[row] = Some(value);
            }
            None => {
                self.extras[row]
                    .get_or_insert_with(Box::default)
                    .insert(name, value);
            }
        }
    }

    fn clear_row(&mut self, row: usize) {
        for column in &mut self.columns {
            if let Some(v) = column.get_mut(row) {
                *v = None;
            }
        }
        self.extras[row] = None;
    }

    fn write_row(&mut self, row: usize, record: Record) {
        for (name, value) in record {
            self.set(row, name, value);
        }
    }

    fn insert(&mut self, key: IdKey, record: Record) {
        let appends = self
            .index
            .last_key_value()
            .map_or(true, |(last, _)| key > *last);
        let row = match self.free.pop() {
            Some(row) => row,
            None => {
                self.extras.push(None);
                self.keys.push(None);
                self.extras.len() - 1
            }
        };
        self.write_row(row, record);
        self.keys[row] = Some(key.clone());
        self.index.insert(key, row);
        match self.scan.get_mut() {
            Some(order) if appends => order.push(row),
            _ => self.scan = OnceLock::new(),
        }
    }

    fn remove(&mut self, key: &IdKey) -> bool {
        match self.index.remove(key) {
            Some(row) => {
                self.clear_row(row);
                self.keys[row] = None;
                self.free.push(row);
                self.scan = OnceLock::new();
                true
            }
            None => false,
        }
    }

    fn clear(&mut self) {
        self.index.clear();
        self.scan = OnceLock::new();
        self.columns.iter_mut().for_each(Vec::clear);
        self.extras.clear();
        self.keys.clear();
        self.free.clear();
        self.untyped.clear();
    }

    /// A copy of the record in `row`: declared properties in declaration order, then the
    /// others; only the selected ones when `fields` is given.
    fn record(&self, row: usize, fields: Option<&Fields>) -> Record {
        let selected = |name: &str| fields.map_or(true, |f| f.selects(name));
        let extra = self.extras.get(row).and_then(Option::as_deref);
        let mut out = Record::with_capacity(self.names.len() + extra.map_or(0, Record::len));
        for (name, column) in self.names.iter().zip(&self.columns) {
            if let Some(Some(v)) = column.get(row) {
                if selected(name) {
                    out.insert(name.clone(), v.clone());
                }
            }
        }
        if let Some(extra) = extra {
            for (name, v) in extra {
                if selected(name) {
                    out.insert(name.clone(), v.clone());
                }
            }
        }
        out
    }

    /// Rows whose ids a `where` pins, in id order, or `None` when the `where` does not pin the
    /// id and a scan is needed. The caller still tests the whole `where` on them.
    fn pinned(&self, where_: &Where, id_name: &str) -> Option<Vec<(&IdKey, RowRef<'_>)>> {
        let keys = if let Some(v) = where_.single_eq(id_name) {
            vec![IdKey::lookup(v)?]
        } else {
            let list = id_inq(where_, id_name)?;
            let mut keys = list.iter().map(IdKey::lookup).collect::<Option<Vec<_>>>()?;
            keys.sort_unstable();
            keys.dedup();
            keys
        };
        Some(
            keys.iter()
                .filter_map(|k| self.index.get_key_value(k))
                .map(|(k, &row)| (k, RowRef { c: self, row }))
                .collect(),
        )
    }

    fn compile_where(&self, where_: &Where) -> Result<CompiledWhere> {
        where_.compile_with_slots(&self.slots())
    }

    /// Keys of the records matching `where_` (all when `None`).
    fn matching_keys(&self, where_: Option<&Where>, id_name: &str) -> Result<Vec<(IdKey, usize)>> {
        let keyed = |r: RowRef<'_>| self.keys[r.row].clone().map(|k| (k, r.row));
        let Some(w) = where_ else {
            return Ok(self.rows().filter_map(keyed).collect());
        };
        let compiled = self.compile_where(w)?;
        if let Some(pinned) = self.pinned(w, id_name) {
            return Ok(pinned
                .into_iter()
                .filter(|(_, r)| compiled.matches_row(r))
                .map(|(k, r)| (k.clone(), r.row))
                .collect());
        }
        Ok(self
            .rows()
            .filter(|r| compiled.matches_row(r))
            .filter_map(keyed)
            .collect())
    }

    /// The key and row of the record with id `id`, comparing loosely when `id` is not a plain
    /// key.
    fn find_id(&self, id: &Value, id_name: &str) -> Option<(IdKey, usize)> {
        if let Some(k) = IdKey::lookup(id) {
            return self.index.get(&k).map(|&row| (k, row));
        }
        self.index
            .iter()
            .find(|(_, &row)| self.get(row, id_name).is_some_and(|v| v.loose_eq(id)))
            .map(|(k, &row)| (k.clone(), row))
    }

    fn count(&self, where_: Option<&Where>, id_name: &str) -> Result<u64> {
        let Some(w) = where_ else {
            return Ok(self.index.len() as u64);
        };
        let compiled = self.compile_where(w)?;
        let n = match self.pinned(w, id_name) {
            Some(rows) => rows.iter().filter(|(_, r)| compiled.matches_row(r)).count(),
            None => compiled.filter_rows(self.rows()).len(),
        };
        Ok(n as u64)
    }

    fn find(&self, filter: &Filter, id_name: &str) -> Result<Vec<Record>> {
        let compiled: CompiledFilter = filter.compile_with_slots(&self.slots())?;
        let pinned = filter.where_.as_ref().and_then(|w| self.pinned(w, id_name));
        let page = match pinned {
            Some(rows) => {
                let matched = rows
                    .into_iter()
                    .map(|(_, r)| r)
                    .filter(|r| compiled.matches_row(r))
                    .collect();
                compiled.order_and_page_rows(matched)
            }
            None => compiled.select_rows(self.rows()),
        };
        Ok(page
            .into_iter()
            .map(|r| self.record(r.row, compiled.fields()))
            .collect())
    }

    /// The stored records, for the file.
    fn records(&self) -> impl Iterator<Item = (&IdKey, Record)> + '_ {
        self.untyped.iter().map(|(k, r)| (k, r.clone())).chain(
            self.index
                .iter()
                .map(|(k, &row)| (k, self.record(row, None))),
        )
    }
}

/// `{id: {inq: [...]}}`, alone or as a member of a top-level `and`.
fn id_inq<'w>(w: &'w Where, id_name: &str) -> Option<&'w [Value]> {
    match w {
        Where::Cond {
            property,
            op: Condition::Inq(list),
        } if property == id_name => Some(list),
        Where::And(v) => v.iter().find_map(|w| id_inq(w, id_name)),
        _ => None,
    }
}

/// A record's id as a map key. Integers (and strings spelling an integer exactly, as LoopBack's
/// memory connector keys records by the id's string form) are `Int`, so integer ids sort
/// numerically; everything else is its string form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum IdKey {
    Int(i64),
    Str(String),
}

impl IdKey {
    /// The key a stored id goes under.
    fn storage(v: &Value) -> IdKey {
        IdKey::lookup(v).unwrap_or_else(|| match v.to_json() {
            serde_json::Value::String(s) => IdKey::Str(s),
            other => IdKey::Str(other.to_string()),
        })
    }

    /// The key to look an id up by, or `None` when a key lookup could miss a record that loose
    /// equality would find (a non-canonical number such as `"05"`, a date, null).
    fn lookup(v: &Value) -> Option<IdKey> {
        match v {
            Value::Int(i) => Some(IdKey::Int(*i)),
            Value::Float(_) => v.as_i64().map(IdKey::Int),
            Value::String(s) => Some(IdKey::from_text(s)).filter(|k| match k {
                IdKey::Int(_) => true,
                IdKey::Str(s) => s.trim().parse::<f64>().is_err(),
            }),
            _ => None,
        }
    }

    fn from_text(s: &str) -> IdKey {
        match s.parse::<i64>() {
            Ok(i) if i.to_string() == s => IdKey::Int(i),
            _ => IdKey::Str(s.to_owned()),
        }
    }

    fn to_text(&self) -> String {
        match self {
            IdKey::Int(i) => i.to_string(),
            IdKey::Str(s) => s.clone(),
        }
    }
}

fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

/// The collection a model's records live in: `memory.collection` from the model's settings, else
/// the model name.
fn collection_name(def: &ModelDefinition) -> &str {
    def.connector_settings
        .get("memory")
        .and_then(|m| m.get("collection"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or(&def.name)
}

impl State {
    /// The model's collection, created when missing, with a column for each declared property.
    fn collection_mut(&mut self, def: &ModelDefinition) -> &mut Collection {
        let c = self
            .collections
            .entry(collection_name(def).to_owned())
            .or_default();
        if c.needs_schema(def) {
            c.ensure_schema(def);
        }
        c
    }

    fn collection(&self, def: &ModelDefinition) -> Option<&Collection> {
        self.collections.get(collection_name(def))
    }

    /// The file contents for this state, in LoopBack 3's format.
    fn snapshot(&self) -> Result<Vec<u8>> {
        let failed = |e: serde_json::Error| {
            Error::Connector(format!("cannot serialise the memory store: {e}"))
        };
        let mut names: Vec<&String> = self.collections.keys().collect();
        names.sort();
        let mut ids = serde_json::Map::new();
        let mut models = serde_json::Map::new();
        for name in names {
            let c = &self.collections[name];
            ids.insert(name.clone(), c.next_id.into());
            let mut rows = serde_json::Map::new();
            for (key, record) in c.records() {
                let text = serde_json::to_string(&record.to_json()).map_err(failed)?;
                rows.insert(key.to_text(), serde_json::Value::String(text));
            }
            models.insert(name.clone(), serde_json::Value::Object(rows));
        }
        let doc = serde_json::json!({"ids": ids, "models": models});
        serde_json::to_vec_pretty(&doc).map_err(failed)
    }

    /// Parses a file in LoopBack 3's format. Records may be JSON strings (as LoopBack writes
    /// them) or objects.
    fn parse(text: &str, path: &Path) -> Result<State> {
        let bad = |msg: String| {
            Error::Connector(format!(
                "cannot load memory data source file {}: {msg}",
                path.display()
            ))
        };
        if text.trim().is_empty() {
            return Ok(State::default());
        }
        let doc: serde_json::Value =
            serde_json::from_str(text).map_err(|e| bad(format!("invalid JSON: {e}")))?;
        let doc = doc
            .as_object()
            .ok_or_else(|| bad("the top level is not an object".into()))?;
        let section = |key: &str| match doc.get(key) {
            None | Some(serde_json::Value::Null) => Ok(serde_json::Map::new()),
            Some(serde_json::Value::Object(m)) => Ok(m.clone()),
            Some(_) => Err(bad(format!("`{key}` is not an object"))),
        };
        let ids = section("ids")?;
        let models = section("models")?;
        let mut state = State::default();
        for (name, rows) in models {
            let rows = rows
                .as_object()
                .ok_or_else(|| bad(format!("`models.{name}` is not an object")))?;
            let mut c = Collection::default();
            for (key, row) in rows {
                let parsed;
                let json = match row {
                    serde_json::Value::String(s) => {
                        parsed = serde_json::from_str::<serde_json::Value>(s).map_err(|e| {
                            bad(format!("`models.{name}.{key}` is not valid JSON: {e}"))
                        })?;
                        &parsed
                    }
                    other => other,
                };
                let record = Record::from_json(json)
                    .ok_or_else(|| bad(format!("`models.{name}.{key}` is not an object")))?;
                let key = IdKey::from_text(key);
                if let IdKey::Int(i) = key {
                    c.next_id = c.next_id.max(i.saturating_add(1));
                }
                c.untyped.insert(key, record);
            }
            state.collections.insert(name, c);
        }
        for (name, n) in ids {
            let n = n
                .as_i64()
                .or_else(|| n.as_f64().map(|f| f.ceil() as i64))
                .ok_or_else(|| bad(format!("`ids.{name}` is not a number")))?;
            let c = state.collections.entry(name).or_default();
            c.next_id = c.next_id.max(n);
        }
        Ok(state)
    }
}

/// Where the store is persisted, and which snapshot generation is on disk.
struct FileStore {
    path: PathBuf,
    written: Mutex<u64>,
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl FileStore {
    /// Writes `bytes` (the snapshot of `generation`) unless a newer snapshot is already on
    /// disk: to a temporary file in the same directory, synced, then renamed over the target,
    /// so a crash leaves either the old or the new file, never a torn one.
    fn write(&self, generation: u64, bytes: &[u8]) -> Result<()> {
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        if *written >= generation {
            return Ok(());
        }
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(
            ".{name}.{}.{}.tmp",
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let result = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            drop(f);
            std::fs::rename(&tmp, &self.path)
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(Error::Connector(format!(
                "cannot write memory data source file {}: {e}",
                self.path.display()
            )));
        }
        // Make the rename itself durable where directories can be synced.
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        *written = generation;
        Ok(())
    }

    fn written(&self) -> u64 {
        *self.written.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl MemoryConnector {
    /// An empty in-memory store.
    pub fn new() -> Self {
        MemoryConnector {
            state: RwLock::new(State::default()),
            capabilities: memory_capabilities(),
            file: None,
        }
    }

    /// A store persisted to `path` (LoopBack's `file` setting): the file is read now (a missing
    /// or empty file is an empty store) and rewritten after every change.
    ///
    /// Fails with [`Error::Connector`] when the file cannot be read or is not a store in
    /// LoopBack 3's format.
    pub fn with_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let state = match std::fs::read_to_string(&path) {
            Ok(text) => State::parse(&text, &path)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
            Err(e) => {
                return Err(Error::Connector(format!(
                    "cannot read memory data source file {}: {e}",
                    path.display()
                )))
            }
        };
        Ok(MemoryConnector {
            state: RwLock::new(state),
            capabilities: memory_capabilities(),
            file: Some(Arc::new(FileStore {
                path,
                written: Mutex::new(0),
            })),
        })
    }

    /// The file the store is persisted to, if any.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_ref().map(|f| f.path.as_path())
    }

    /// Writes the current state to the file when it is newer than what is on disk. Runs the
    /// blocking I/O off the async workers when a Tokio runtime is available.
    async fn persist(&self) -> Result<()> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let (generation, bytes) = {
            let state = read(&self.state);
            if state.generation <= file.written() {
                return Ok(());
            }
            (state.generation, state.snapshot()?)
        };
        let file = Arc::clone(file);
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => handle
                .spawn_blocking(move || file.write(generation, &bytes))
                .await
                .map_err(|e| {
                    Error::Internal(format!("memory data source file writer failed: {e}"))
                })?,
            Err(_) => file.write(generation, &bytes),
        }
    }

    /// Runs `f` on the model's collection under the shared lock, first giving the collection
    /// the model's columns (under the exclusive lock) if it lacks any.
    fn with_collection<R>(
        &self,
        def: &ModelDefinition,
        f: impl FnOnce(Option<&Collection>) -> R,
    ) -> R {
        let needs_schema = read(&self.state)
            .collection(def)
            .is_some_and(|c| c.needs_schema(def));
        if needs_schema {
            write(&self.state).collection_mut(def);
        }
        f(read(&self.state).collection(def))
    }

    /// Runs a change under the exclusive lock; `f` reports whether anything changed, in which
    /// case the generation moves on and the file (if any) is rewritten.
    async fn mutate<R>(
        &self,
        def: &ModelDefinition,
        f: impl FnOnce(&mut Collection) -> Result<(R, bool)>,
    ) -> Result<R> {
        let result = {
            let mut state = write(&self.state);
            let (result, changed) = f(state.collection_mut(def))?;
            if changed {
                state.generation += 1;
            }
            result
        };
        self.persist().await?;
        Ok(result)
    }
}

fn memory_capabilities() -> Capabilities {
    Capabilities {
        ilike: true,
        regexp: true,
        regexp_flags: true,
        geo_point: true,
        nested_property: true,
        transactions: false,
        native_sql: false,
        migration: false,
        arrays: true,
        adhoc_sort: true,
        free_form_properties: true,
        inq_limit: usize::MAX,
        related_where: false,
    }
}

/// How a new record's id is generated when it has none.
fn generated_id(def: &ModelDefinition, id_name: &str, c: &mut Collection) -> Value {
    match def.property(id_name).map(|p| &p.ty) {
        Some(PropertyType::String) => loop {
            let id = uuid::Uuid::new_v4().to_string();
            if !c.index.contains_key(&IdKey::Str(id.clone())) {
                return Value::String(id);
            }
        },
        _ => {
            // Ids given explicitly may already hold the next number.
            while c.index.contains_key(&IdKey::Int(c.next_id)) {
                c.next_id += 1;
            }
            let id = c.next_id;
            c.next_id += 1;
            Value::Int(id)
        }
    }
}

fn duplicate_id(def: &ModelDefinition, id_name: &str, data: Record) -> Error {
    let mut e = ValidationError::new(&def.name);
    e.add(id_name, "uniqueness", "is not unique");
    e.values = data;
    e.into()
}

/// `data` with its id property set to `id` (first when it had none).
fn with_id(data: Record, id_name: &str, id: Value) -> Record {
    if data.contains_key(id_name) {
        let mut data = data;
        data.insert(id_name, id);
        return data;
    }
    let mut out = Record::with_capacity(data.len() + 1);
    out.insert(id_name, id);
    out.merge(data);
    out
}

#[async_trait]
impl Connector for MemoryConnector {
    fn name(&self) -> &str {
        "memory"
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn define(&self, model: &Arc<ModelDefinition>) -> Result<()> {
        write(&self.state).collection_mut(model);
        Ok(())
    }

    async fn create(
        &self,
        model: &ModelDefinition,
        data: Record,
        _options: &Options,
    ) -> Result<Value> {
        let id_name = model.id_name().to_owned();
        self.mutate(model, move |c| {
            let id = match data.get(&id_name).filter(|v| !v.is_null()) {
                Some(given) => {
                    let given = given.clone();
                    if c.index.contains_key(&IdKey::storage(&given)) {
                        return Err(duplicate_id(model, &id_name, data));
                    }
                    // As LoopBack: an explicit id takes a number from the sequence, and a
                    // larger numeric one moves the sequence past it.
                    c.next_id = match given.as_i64() {
                        Some(n) if n >= c.next_id => n.saturating_add(1),
                        _ => c.next_id.saturating_add(1),
                    };
                    given
                }
                None => generated_id(model, &id_name, c),
            };
            c.insert(IdKey::storage(&id), with_id(data, &id_name, id.clone()));
            Ok((id, true))
        })
        .await
    }

    async fn find(
        &self,
        model: &ModelDefinition,
        filter: &Filter,
        _options: &Options,
    ) -> Result<Vec<Record>> {
        let id_name = model.id_name();
        self.with_collection(model, |c| match c {
            Some(c) => c.find(filter, id_name),
            // Still reject what would not compile.
            None => filter.compile().map(|_| Vec::new()),
        })
    }

    async fn count(
        &self,
        model: &ModelDefinition,
        where_: Option<&Where>,
        _options: &Options,
    ) -> Result<u64> {
        let id_name = model.id_name();
        self.with_collection(model, |c| match c {
            Some(c) => c.count(where_, id_name),
            None => where_.map(Where::compile).transpose().map(|_| 0),
        })
    }

    async fn update_all(
        &self,
        model: &ModelDefinition,
        where_: Option<&Where>,
        data: Record,
        _options: &Options,
    ) -> Result<u64> {
        let id_name = model.id_name().to_owned();
        let mut data = data;
        // As LoopBack's memory connector: an update never moves a record to another id.
        data.remove(&id_name);
        self.mutate(model, |c| {
            let rows = c.matching_keys(where_, &id_name)?;
            for (_, row) in &rows {
                for (name, value) in &data {
                    c.set(*row, name.clone(), value.clone());
                }
            }
            let n = rows.len() as u64;
            Ok((n, n > 0 && !data.is_empty()))
        })
        .await
    }

    async fn destroy_all(
        &self,
        model: &ModelDefinition,
        where_: Option<&Where>,
        _options: &Options,
    ) -> Result<u64> {
        let id_name = model.id_name().to_owned();
        self.mutate(model, |c| {
            let n = match where_ {
                None => {
                    let n = c.index.len();
                    c.clear();
                    n
                }
                Some(w) => {
                    let keys = c.matching_keys(Some(w), &id_name)?;
                    keys.iter().filter(|(k, _)| c.remove(k)).count()
                }
            };
            Ok((n as u64, n > 0))
        })
        .await
    }

    async fn replace_by_id(
        &self,
        model: &ModelDefinition,
        id: &Value,
        data: Record,
        _options: &Options,
    ) -> Result<bool> {
        let id_name = model.id_name().to_owned();
        self.mutate(model, |c| {
            let Some((_, row)) = c.find_id(id, &id_name) else {
                return Ok((false, false));
            };
            let stored_id = c.get(row, &id_name).cloned().unwrap_or_else(|| id.clone());
            c.clear_row(row);
            c.write_row(row, with_id(data, &id_name, stored_id));
            Ok((true, true))
        })
        .await
    }

    /// Empties the models' collections and restarts their id sequences, as LoopBack's memory
    /// connector does (there is no schema to migrate).
    async fn automigrate(&self, models: &[Arc<ModelDefinition>]) -> Result<()> {
        {
            let mut state = write(&self.state);
            for m in models {
                state
                    .collections
                    .insert(collection_name(m).to_owned(), Collection::default());
                state.collection_mut(m);
            }
            state.generation += 1;
        }
        self.persist().await
    }

    /// Nothing to migrate: only makes sure the models have their collections.
    async fn autoupdate(&self, models: &[Arc<ModelDefinition>]) -> Result<()> {
        let mut state = write(&self.state);
        for m in models {
            state.collection_mut(m);
        }
        Ok(())
    }

    async fn flush(&self) -> Result<()> {
        self.persist().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loopback_core::filter::{Direction, Near};
    use loopback_core::value::parse_date;
    use loopback_core::{record, App, GeoPoint};
    use serde_json::json;

    fn model(json: serde_json::Value) -> Arc<ModelDefinition> {
        let mut d = ModelDefinition::from_lb3_json(&json).unwrap();
        d.inject_id();
        Arc::new(d)
    }

    fn book() -> Arc<ModelDefinition> {
        model(json!({
            "name": "Book",
            "properties": {
                "title": "string",
                "price": "number",
                "published": "date",
                "tags": ["string"],
                "loc": "GeoPoint",
                "cover": "buffer"
            }
        }))
    }

    fn opts() -> Options {
        Options::new()
    }

    fn ids(rs: &[Record]) -> Vec<Value> {
        rs.iter()
            .map(|r| r.get("id").cloned().unwrap_or_default())
            .collect()
    }

    fn ints(v: &[i64]) -> Vec<Value> {
        v.iter().map(|i| Value::Int(*i)).collect()
    }

    async fn seeded() -> (MemoryConnector, Arc<ModelDefinition>) {
        let m = MemoryConnector::new();
        let def = book();
        m.define(&def).await.unwrap();
        for (t, p) in [("Dune", 9), ("Emma", 5), ("Ulysses", 20), ("Beloved", 12)] {
            m.create(&def, record! {"title" => t, "price" => p}, &opts())
                .await
                .unwrap();
        }
        (m, def)
    }

    #[tokio::test]
    async fn create_find_count() {
        let (m, def) = seeded().await;
        let all = m.find(&def, &Filter::new(), &opts()).await.unwrap();
        assert_eq!(ids(&all), ints(&[1, 2, 3, 4]));
        assert_eq!(all[0], record! {"id" => 1, "title" => "Dune", "price" => 9});
        let cheap = Filter::with_where(Where::cond("price", Condition::Lt(Value::Int(10))))
            .order_by("price", Direction::Asc);
        assert_eq!(
            ids(&m.find(&def, &cheap, &opts()).await.unwrap()),
            ints(&[2, 1])
        );
        assert_eq!(m.count(&def, None, &opts()).await.unwrap(), 4);
        let w = Where::cond("title", Condition::Like("%e%".into()));
        assert_eq!(m.count(&def, Some(&w), &opts()).await.unwrap(), 3);
        let f = Filter::new()
            .order_by("title", Direction::Desc)
            .skip(1)
            .limit(2)
            .fields(["title"]);
        assert_eq!(
            m.find(&def, &f, &opts()).await.unwrap(),
            vec![record! {"title" => "Emma"}, record! {"title" => "Dune"}]
        );
        // Unknown models are empty, not errors.
        let other = model(json!({"name": "Other"}));
        assert!(m
            .find(&other, &Filter::new(), &opts())
            .await
            .unwrap()
            .is_empty());
        assert_eq!(m.count(&other, None, &opts()).await.unwrap(), 0);
        assert_eq!(m.name(), "memory");
        assert!(
            m.capabilities().geo_point && m.capabilities().arrays && !m.capabilities().transactions
        );
    }

    #[tokio::test]
    async fn records_are_copies() {
        let (m, def) = seeded().await;
        let mut got = m
            .find(&def, &Filter::with_where(Where::eq("id", 1)), &opts())
            .await
            .unwrap();
        got[0].insert("title", "changed");
        let again = m
            .find(&def, &Filter::with_where(Where::eq("id", 1)), &opts())
            .await
            .unwrap();
        assert_eq!(again[0].get("title"), Some(&Value::from("Dune")));
    }

    #[tokio::test]
    async fn ids_are_generated_per_model() {
        let (m, def) = seeded().await;
        let other = model(json!({"name": "Author"}));
        assert_eq!(
            m.create(&other, record! {}, &opts()).await.unwrap(),
            Value::Int(1)
        );
        // An explicit larger id moves the sequence past it.
        assert_eq!(
            m.create(&def, record! {"id" => 10}, &opts()).await.unwrap(),
            Value::Int(10)
        );
        assert_eq!(
            m.create(&def, record! {}, &opts()).await.unwrap(),
            Value::Int(11)
        );
        // A smaller explicit id still takes a number, as LoopBack does; taken numbers are skipped.
        assert_eq!(
            m.create(&def, record! {"id" => 7}, &opts()).await.unwrap(),
            Value::Int(7)
        );
        assert_eq!(
            m.create(&def, record! {"id" => 13}, &opts()).await.unwrap(),
            Value::Int(13)
        );
        assert_eq!(
            m.create(&def, record! {}, &opts()).await.unwrap(),
            Value::Int(14)
        );
        let all = m.find(&def, &Filter::new(), &opts()).await.unwrap();
        assert_eq!(
            ids(&all),
            ints(&[1, 2, 3, 4, 7, 10, 11, 13, 14]),
            "id order, not insertion order"
        );
        // The id goes first when the record had none.
        assert_eq!(all[0].keys().next().map(|k| k.as_str()), Some("id"));
        assert_eq!(
            m.create(&def, record! {"title" => "x", "id" => Value::Null}, &opts())
                .await
                .unwrap(),
            Value::Int(15)
        );
    }

    #[tokio::test]
    async fn string_ids_are_uuids() {
        let m = MemoryConnector::new();
        let def = model(
            json!({"name": "Token", "properties": {"id": {"type": "string", "id": true}, "v": "number"}}),
        );
        let a = m.create(&def, record! {"v" => 1}, &opts()).await.unwrap();
        let b = m.create(&def, record! {"v" => 2}, &opts()).await.unwrap();
        let a = a.as_str().unwrap().to_owned();
        assert_eq!(a.len(), 36);
        assert_eq!(uuid::Uuid::parse_str(&a).unwrap().get_version_num(), 4);
        assert_ne!(Value::String(a.clone()), b);
        let found = m
            .find(
                &def,
                &Filter::with_where(Where::eq("id", a.as_str())),
                &opts(),
            )
            .await
            .unwrap();
        assert_eq!(found[0].get("v"), Some(&Value::Int(1)));
        assert_eq!(
            m.create(&def, record! {"id" => "mine"}, &opts())
                .await
                .unwrap(),
            Value::from("mine")
        );
    }

    #[tokio::test]
    async fn duplicate_id_is_a_uniqueness_error() {
        let (m, def) = seeded().await;
        let e = m
            .create(&def, record! {"id" => 2, "title" => "again"}, &opts())
            .await
            .unwrap_err();
        assert_eq!(e.status(), 422);
        let v = e.as_validation().unwrap();
        assert_eq!(
            v.codes(),
            json!({"id": ["uniqueness"]}).as_object().unwrap().clone()
        );
        // The same id spelt as a string is the same key, as in LoopBack.
        assert!(m
            .create(&def, record! {"id" => "2"}, &opts())
            .await
            .is_err());
        assert_eq!(m.count(&def, None, &opts()).await.unwrap(), 4);
        assert_eq!(
            m.create(&def, record! {}, &opts()).await.unwrap(),
            Value::Int(5)
        );
    }

    #[tokio::test]
    async fn id_lookups_use_keys_and_still_apply_the_whole_where() {
        let (m, def) = seeded().await;
        let by = |w: Where| Filter::with_where(w);
        assert_eq!(
            ids(&m
                .find(&def, &by(Where::eq("id", 3)), &opts())
                .await
                .unwrap()),
            ints(&[3])
        );
        assert_eq!(
            ids(&m
                .find(&def, &by(Where::eq("id", "3")), &opts())
                .await
                .unwrap()),
            ints(&[3])
        );
        assert_eq!(
            ids(&m
                .find(&def, &by(Where::eq("id", 3.0)), &opts())
                .await
                .unwrap()),
            ints(&[3])
        );
        // Not a key spelling: found by loose comparison.
        assert_eq!(
            ids(&m
                .find(&def, &by(Where::eq("id", "03")), &opts())
                .await
                .unwrap()),
            ints(&[3])
        );
        assert!(m
            .find(&def, &by(Where::eq("id", 99)), &opts())
            .await
            .unwrap()
            .is_empty());
        let w = Where::eq("id", 3).and(Where::eq("title", "Dune"));
        assert!(m
            .find(&def, &by(w.clone()), &opts())
            .await
            .unwrap()
            .is_empty());
        assert_eq!(m.count(&def, Some(&w), &opts()).await.unwrap(), 0);
        let inq = Where::cond(
            "id",
            Condition::Inq(vec![
                Value::Int(4),
                Value::from("2"),
                Value::Int(4),
                Value::Int(42),
            ]),
        );
        assert_eq!(
            ids(&m.find(&def, &by(inq.clone()), &opts()).await.unwrap()),
            ints(&[2, 4])
        );
        let f = by(inq.clone()).order_by("title", Direction::Desc).limit(1);
        assert_eq!(ids(&m.find(&def, &f, &opts()).await.unwrap()), ints(&[2]));
        assert_eq!(m.count(&def, Some(&inq), &opts()).await.unwrap(), 2);
        let w = Where::eq("id", 1).or(Where::eq("id", 2));
        assert_eq!(m.count(&def, Some(&w), &opts()).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn update_all_merges() {
        let (m, def) = seeded().await;
        let w = Where::cond("price", Condition::Gt(Value::Int(9)));
        let n = m
            .update_all(&def, Some(&w), record! {"price" => Value::Null, "published" => parse_date("2001-01-01").unwrap(), "id" => 99}, &opts())
            .await
            .unwrap();
        assert_eq!(n, 2);
        let r = m
            .find(&def, &Filter::with_where(Where::eq("id", 3)), &opts())
            .await
            .unwrap()
            .remove(0);
        assert_eq!(r.get("price"), Some(&Value::Null), "null is stored");
        assert_eq!(
            r.get("title"),
            Some(&Value::from("Ulysses")),
            "other properties kept"
        );
        assert_eq!(
            r.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
            ["id", "title", "price", "published"]
        );
        assert_eq!(
            m.count(&def, Some(&Where::eq("price", Value::Null)), &opts())
                .await
                .unwrap(),
            2
        );
        assert_eq!(
            m.update_all(
                &def,
                Some(&Where::eq("id", 2)),
                record! {"title" => "E"},
                &opts()
            )
            .await
            .unwrap(),
            1
        );
        assert_eq!(
            m.update_all(
                &def,
                Some(&Where::eq("id", 77)),
                record! {"title" => "E"},
                &opts()
            )
            .await
            .unwrap(),
            0
        );
        assert_eq!(
            m.update_all(&def, None, record! {"tags" => vec!["a"]}, &opts())
                .await
                .unwrap(),
            4
        );
        assert_eq!(
            m.count(&def, Some(&Where::eq("tags", "a")), &opts())
                .await
                .unwrap(),
            4
        );
        assert_eq!(
            m.count(&def, Some(&Where::eq("id", 99)), &opts())
                .await
                .unwrap(),
            0,
            "ids never change"
        );
    }

    #[tokio::test]
    async fn replace_by_id_replaces_wholly() {
        let (m, def) = seeded().await;
        assert!(m
            .replace_by_id(
                &def,
                &Value::Int(2),
                record! {"title" => "Persuasion"},
                &opts()
            )
            .await
            .unwrap());
        let r = m
            .find(&def, &Filter::with_where(Where::eq("id", 2)), &opts())
            .await
            .unwrap()
            .remove(0);
        assert_eq!(r, record! {"id" => 2, "title" => "Persuasion"});
        assert!(m
            .replace_by_id(
                &def,
                &Value::from("2"),
                record! {"id" => "2", "price" => 1},
                &opts()
            )
            .await
            .unwrap());
        let r = m
            .find(&def, &Filter::with_where(Where::eq("id", 2)), &opts())
            .await
            .unwrap()
            .remove(0);
        assert_eq!(
            r,
            record! {"id" => 2, "price" => 1},
            "the stored id keeps its type"
        );
        assert!(!m
            .replace_by_id(&def, &Value::Int(9), record! {"title" => "x"}, &opts())
            .await
            .unwrap());
        assert_eq!(m.count(&def, None, &opts()).await.unwrap(), 4);
    }

    #[tokio::test]
    async fn destroy_all_counts() {
        let (m, def) = seeded().await;
        assert_eq!(
            m.destroy_all(&def, Some(&Where::eq("id", 2)), &opts())
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            m.destroy_all(&def, Some(&Where::eq("id", 2)), &opts())
                .await
                .unwrap(),
            0
        );
        let w = Where::eq("id", 3).and(Where::eq("title", "nope"));
        assert_eq!(m.destroy_all(&def, Some(&w), &opts()).await.unwrap(), 0);
        let w = Where::cond("price", Condition::Gte(Value::Int(12)));
        assert_eq!(m.destroy_all(&def, Some(&w), &opts()).await.unwrap(), 2);
        assert_eq!(
            ids(&m.find(&def, &Filter::new(), &opts()).await.unwrap()),
            ints(&[1])
        );
        assert_eq!(m.destroy_all(&def, None, &opts()).await.unwrap(), 1);
        assert_eq!(m.count(&def, None, &opts()).await.unwrap(), 0);
        // The sequence carries on after deletes.
        assert_eq!(
            m.create(&def, record! {}, &opts()).await.unwrap(),
            Value::Int(5)
        );
    }

    #[tokio::test]
    async fn automigrate_resets() {
        let (m, def) = seeded().await;
        m.automigrate(std::slice::from_ref(&def)).await.unwrap();
        assert_eq!(m.count(&def, None, &opts()).await.unwrap(), 0);
        assert_eq!(
            m.create(&def, record! {}, &opts()).await.unwrap(),
            Value::Int(1)
        );
        m.autoupdate(std::slice::from_ref(&def)).await.unwrap();
        assert_eq!(m.count(&def, None, &opts()).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn undeclared_properties_and_later_columns() {
        let m = MemoryConnector::new();
        let def = model(json!({"name": "Doc", "strict": false, "properties": {"title": "string"}}));
        m.create(
            &def,
            record! {"title" => "a", "mood" => "happy", "n" => 1},
            &opts(),
        )
        .await
        .unwrap();
        m.create(&def, record! {"title" => "b"}, &opts())
            .await
            .unwrap();
        let all = m.find(&def, &Filter::new(), &opts()).await.unwrap();
        assert_eq!(
            all[0],
            record! {"id" => 1, "title" => "a", "mood" => "happy", "n" => 1}
        );
        assert_eq!(all[1], record! {"id" => 2, "title" => "b"});
        assert_eq!(
            m.count(&def, Some(&Where::eq("mood", "happy")), &opts())
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            m.count(&def, Some(&Where::eq("mood", Value::Null)), &opts())
                .await
                .unwrap(),
            1
        );
        m.update_all(
            &def,
            Some(&Where::eq("id", 2)),
            record! {"mood" => "calm"},
            &opts(),
        )
        .await
        .unwrap();
        let f = Filter::new()
            .order_by("mood", Direction::Asc)
            .fields(["mood"]);
        assert_eq!(
            m.find(&def, &f, &opts()).await.unwrap(),
            vec![record! {"mood" => "calm"}, record! {"mood" => "happy"}]
        );
        // A model declaring `mood` on the same collection gets a column; values move into it.
        let typed = model(json!({
            "name": "Doc2", "memory": {"collection": "Doc"},
            "properties": {"title": "string", "mood": "string", "n": "number"}
        }));
        assert_eq!(
            m.count(&typed, Some(&Where::eq("mood", "happy")), &opts())
                .await
                .unwrap(),
            1
        );
        let all = m
            .find(
                &typed,
                &Filter::new().order_by("mood", Direction::Desc),
                &opts(),
            )
            .await
            .unwrap();
        assert_eq!(
            all[0],
            record! {"id" => 1, "title" => "a", "mood" => "happy", "n" => 1}
        );
        assert_eq!(
            m.count(&def, Some(&Where::eq("mood", "calm")), &opts())
                .await
                .unwrap(),
            1
        );
    }

    #[tokio::test]
    async fn id_order_survives_out_of_order_ids_deletes_and_reuse() {
        let (m, def) = seeded().await;
        for id in [9, 7, 8] {
            m.create(&def, record! {"id" => id, "title" => "x"}, &opts())
                .await
                .unwrap();
        }
        let all = m.find(&def, &Filter::new(), &opts()).await.unwrap();
        assert_eq!(ids(&all), ints(&[1, 2, 3, 4, 7, 8, 9]));
        m.destroy_all(&def, Some(&Where::eq("id", 3)), &opts())
            .await
            .unwrap();
        assert_eq!(
            ids(&m.find(&def, &Filter::new(), &opts()).await.unwrap()),
            ints(&[1, 2, 4, 7, 8, 9])
        );
        // The freed row is reused by a record whose id sorts elsewhere.
        m.create(&def, record! {"id" => 5, "title" => "x"}, &opts())
            .await
            .unwrap();
        m.create(&def, record! {"title" => "x"}, &opts())
            .await
            .unwrap();
        assert_eq!(
            ids(&m.find(&def, &Filter::new(), &opts()).await.unwrap()),
            // Each explicit id took a number from the sequence, as in LoopBack.
            ints(&[1, 2, 4, 5, 7, 8, 9, 13])
        );
        // Ties in an explicit order keep id order; paging works on the ordered list.
        let f = Filter::with_where(Where::eq("title", "x"))
            .order_by("title", Direction::Asc)
            .skip(1)
            .limit(3);
        assert_eq!(
            ids(&m.find(&def, &f, &opts()).await.unwrap()),
            ints(&[7, 8, 9])
        );
        let f = Filter::with_where(Where::eq("title", "x")).skip(1).limit(2);
        assert_eq!(
            ids(&m.find(&def, &f, &opts()).await.unwrap()),
            ints(&[7, 8])
        );
        // String ids sort as strings.
        let tags =
            model(json!({"name": "Tag", "properties": {"id": {"type": "string", "id": true}}}));
        for id in ["pear", "apple", "fig"] {
            m.create(&tags, record! {"id" => id}, &opts())
                .await
                .unwrap();
        }
        let all = m.find(&tags, &Filter::new(), &opts()).await.unwrap();
        assert_eq!(
            ids(&all),
            vec![
                Value::from("apple"),
                Value::from("fig"),
                Value::from("pear")
            ]
        );
    }

    #[tokio::test]
    async fn invalid_filters_are_errors() {
        let (m, def) = seeded().await;
        let bad = Where::cond(
            "title",
            Condition::Regexp(loopback_core::filter::RegexpPattern {
                source: "(".into(),
                case_insensitive: false,
                global: false,
                multiline: false,
            }),
        );
        assert_eq!(
            m.find(&def, &Filter::with_where(bad.clone()), &opts())
                .await
                .unwrap_err()
                .status(),
            400
        );
        assert_eq!(
            m.count(&def, Some(&bad), &opts())
                .await
                .unwrap_err()
                .status(),
            400
        );
        assert_eq!(
            m.destroy_all(&def, Some(&bad), &opts())
                .await
                .unwrap_err()
                .status(),
            400
        );
        let other = model(json!({"name": "Nothing"}));
        assert!(m
            .find(&other, &Filter::with_where(bad), &opts())
            .await
            .is_err());
        assert_eq!(m.count(&def, None, &opts()).await.unwrap(), 4);
    }

    #[tokio::test]
    async fn geo_and_collections() {
        let m = MemoryConnector::new();
        let def = book();
        let p = |lat, lng| Value::GeoPoint(GeoPoint::new(lat, lng).unwrap());
        m.create(
            &def,
            record! {"title" => "far", "loc" => p(10.0, 10.0)},
            &opts(),
        )
        .await
        .unwrap();
        m.create(
            &def,
            record! {"title" => "near", "loc" => p(1.0, 1.0)},
            &opts(),
        )
        .await
        .unwrap();
        let near = Where::cond(
            "loc",
            Condition::Near(Near {
                point: GeoPoint::new(0.0, 0.0).unwrap(),
                max_distance: None,
                min_distance: None,
                unit: None,
            }),
        );
        let found = m
            .find(&def, &Filter::with_where(near), &opts())
            .await
            .unwrap();
        assert_eq!(found[0].get("title"), Some(&Value::from("near")));
        // Two models sharing a collection through `memory.collection` see the same records.
        let alias = model(
            json!({"name": "Novel", "memory": {"collection": "Book"}, "properties": {"title": "string"}}),
        );
        assert_eq!(collection_name(&alias), "Book");
        assert_eq!(m.count(&alias, None, &opts()).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn persistence_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.json");
        let def = book();
        let when = parse_date("2014-04-01T18:30:00.000Z").unwrap();
        {
            let m = MemoryConnector::with_file(&path).unwrap();
            assert_eq!(m.file(), Some(path.as_path()));
            m.define(&def).await.unwrap();
            m.create(
                &def,
                record! {
                    "title" => "Dune",
                    "price" => 9.5,
                    "published" => when,
                    "tags" => vec!["sf"],
                    "loc" => GeoPoint::new(1.5, 2.5).unwrap(),
                    "cover" => Value::Buffer(vec![1, 2, 255]),
                },
                &opts(),
            )
            .await
            .unwrap();
            m.create(&def, record! {"title" => "Emma"}, &opts())
                .await
                .unwrap();
            m.create(&def, record! {"title" => "gone"}, &opts())
                .await
                .unwrap();
            m.destroy_all(&def, Some(&Where::eq("title", "gone")), &opts())
                .await
                .unwrap();
            m.flush().await.unwrap();
        }
        // LoopBack 3's format: ids, and records as JSON strings keyed by id.
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["ids"], json!({"Book": 4}));
        let stored: serde_json::Value =
            serde_json::from_str(doc["models"]["Book"]["1"].as_str().unwrap()).unwrap();
        assert_eq!(stored["published"], json!("2014-04-01T18:30:00.000Z"));
        assert_eq!(stored["loc"], json!({"lat": 1.5, "lng": 2.5}));
        assert!(doc["models"]["Book"].get("3").is_none());
        assert!(
            text.contains("\n  \"ids\""),
            "pretty-printed as LoopBack writes it"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "no temporary files left: {leftovers:?}");

        let m = MemoryConnector::with_file(&path).unwrap();
        let got = m
            .find(&def, &Filter::with_where(Where::eq("id", 1)), &opts())
            .await
            .unwrap()
            .remove(0);
        assert_eq!(
            got.get("published"),
            Some(&Value::Date(when)),
            "dates come back typed"
        );
        assert_eq!(got.get("price"), Some(&Value::Float(9.5)));
        assert_eq!(
            got.get("loc"),
            Some(&Value::GeoPoint(GeoPoint::new(1.5, 2.5).unwrap()))
        );
        assert_eq!(got.get("cover"), Some(&Value::Buffer(vec![1, 2, 255])));
        assert_eq!(got.get("tags"), Some(&Value::from(vec!["sf"])));
        let by_date = Where::cond(
            "published",
            Condition::Gt(Value::Date(parse_date("2014-01-01").unwrap())),
        );
        assert_eq!(m.count(&def, Some(&by_date), &opts()).await.unwrap(), 1);
        // The sequence survives too: 3 was used and deleted.
        assert_eq!(
            m.create(&def, record! {"title" => "next"}, &opts())
                .await
                .unwrap(),
            Value::Int(4)
        );
        drop(m);
        let m = MemoryConnector::with_file(&path).unwrap();
        assert_eq!(m.count(&def, None, &opts()).await.unwrap(), 3);
    }

    #[tokio::test]
    async fn reads_loopback_written_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lb3.json");
        std::fs::write(
            &path,
            r#"{
  "ids": {"Book": 3, "Note": 1},
  "models": {
    "Book": {
      "1": "{\"title\":\"Dune\",\"published\":\"2020-01-02T00:00:00.000Z\",\"id\":1}",
      "2": {"title": "Emma", "id": 2}
    },
    "Note": {}
  }
}"#,
        )
        .unwrap();
        let m = MemoryConnector::with_file(&path).unwrap();
        let def = book();
        let all = m
            .find(
                &def,
                &Filter::new().order_by("title", Direction::Desc),
                &opts(),
            )
            .await
            .unwrap();
        assert_eq!(ids(&all), ints(&[2, 1]));
        assert!(matches!(all[1].get("published"), Some(Value::Date(_))));
        assert_eq!(
            m.create(&def, record! {}, &opts()).await.unwrap(),
            Value::Int(3)
        );
        // Collections of models not defined here survive rewrites untouched.
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(doc["ids"]["Note"], json!(1));
        assert_eq!(doc["models"]["Note"], json!({}));
    }

    #[tokio::test]
    async fn bad_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.json");
        let m = MemoryConnector::with_file(&missing).unwrap();
        m.flush().await.unwrap();
        assert!(!missing.exists(), "nothing to write yet");
        let empty = dir.path().join("empty.json");
        std::fs::write(&empty, "").unwrap();
        assert!(MemoryConnector::with_file(&empty).is_ok());
        for (i, text) in [
            "{not json",
            "[1, 2]",
            r#"{"models": []}"#,
            r#"{"models": {"A": {"1": "{oops"}}}"#,
            r#"{"models": {"A": {"1": "3"}}}"#,
            r#"{"ids": {"A": "x"}}"#,
        ]
        .iter()
        .enumerate()
        {
            let p = dir.path().join(format!("bad{i}.json"));
            std::fs::write(&p, text).unwrap();
            let e = MemoryConnector::with_file(&p).unwrap_err();
            assert!(matches!(e, Error::Connector(_)), "{text}: {e:?}");
            assert!(
                e.to_string().contains("bad"),
                "the message names the file: {e}"
            );
        }
        let e = MemoryConnector::with_file(dir.path()).unwrap_err();
        assert!(
            matches!(e, Error::Connector(_)),
            "a directory is unreadable: {e:?}"
        );
    }

    #[tokio::test]
    async fn write_failures_are_reported_and_flush_retries() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("later");
        let path = sub.join("db.json");
        let m = MemoryConnector::with_file(&path).unwrap();
        let def = book();
        let e = m
            .create(&def, record! {"title" => "x"}, &opts())
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Connector(_)), "{e:?}");
        assert_eq!(
            m.count(&def, None, &opts()).await.unwrap(),
            1,
            "the change stays in memory"
        );
        std::fs::create_dir(&sub).unwrap();
        m.flush().await.unwrap();
        let m2 = MemoryConnector::with_file(&path).unwrap();
        assert_eq!(m2.count(&def, None, &opts()).await.unwrap(), 1);
    }

    #[test]
    fn file_writes_work_without_a_runtime() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.json");
        let m = MemoryConnector::with_file(&path).unwrap();
        let def = book();
        block_on(m.create(&def, record! {"title" => "x"}, &opts())).unwrap();
        assert!(path.exists());
    }

    /// Polls a future that never waits (the memory connector's) to completion without a runtime.
    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        struct Noop;
        impl std::task::Wake for Noop {
            fn wake(self: Arc<Self>) {}
        }
        let waker = std::task::Waker::from(Arc::new(Noop));
        let mut cx = std::task::Context::from_waker(&waker);
        let mut f = std::pin::pin!(f);
        loop {
            if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_creates_get_unique_ids() {
        let m = Arc::new(MemoryConnector::new());
        let def = book();
        let tasks: Vec<_> = (0..16)
            .map(|t| {
                let (m, def) = (Arc::clone(&m), Arc::clone(&def));
                tokio::spawn(async move {
                    let mut ids = Vec::new();
                    for i in 0..100 {
                        ids.push(
                            m.create(
                                &def,
                                record! {"title" => format!("{t}-{i}")},
                                &Options::new(),
                            )
                            .await
                            .unwrap(),
                        );
                    }
                    ids
                })
            })
            .collect();
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap().into_iter().map(|v| v.as_i64().unwrap()));
        }
        all.sort_unstable();
        assert_eq!(all, (1..=1600).collect::<Vec<_>>());
        assert_eq!(m.count(&def, None, &opts()).await.unwrap(), 1600);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_persisted_writes_leave_the_latest_state() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.json");
        let m = Arc::new(MemoryConnector::with_file(&path).unwrap());
        let def = book();
        let tasks: Vec<_> = (0..8)
            .map(|t| {
                let (m, def) = (Arc::clone(&m), Arc::clone(&def));
                tokio::spawn(async move {
                    for i in 0..10 {
                        m.create(
                            &def,
                            record! {"title" => format!("{t}-{i}")},
                            &Options::new(),
                        )
                        .await
                        .unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let reopened = MemoryConnector::with_file(&path).unwrap();
        assert_eq!(reopened.count(&def, None, &opts()).await.unwrap(), 80);
    }

    #[tokio::test]
    async fn through_the_operation_layer() {
        let app = App::new();
        app.data_source("db", Arc::new(MemoryConnector::new()));
        let def = ModelDefinition::from_lb3_json(&json!({
            "name": "Item", "properties": {"name": {"type": "string", "required": true}, "when": "date"}
        }))
        .unwrap();
        let items = app.define(def, "db").await.unwrap();
        let a = items
            .create(record! {"name" => "a", "when" => "2020-01-01"}, &opts())
            .await
            .unwrap();
        assert_eq!(a.get("id"), Some(&Value::Int(1)));
        assert!(matches!(a.get("when"), Some(Value::Date(_))));
        items
            .create(record! {"name" => "b"}, &opts())
            .await
            .unwrap();
        let got = items
            .find_by_id(Value::from("2"), None, &opts())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.get("name"), Some(&Value::from("b")));
        let e = items
            .create(record! {"id" => 1, "name" => "dup"}, &opts())
            .await
            .unwrap_err();
        assert_eq!(e.status(), 422);
        let patched = items
            .patch_by_id(Value::Int(1), record! {"name" => "A"}, &opts())
            .await
            .unwrap();
        assert_eq!(patched.get("name"), Some(&Value::from("A")));
        assert_eq!(items.count(None, &opts()).await.unwrap(), 2);
        assert_eq!(
            items.destroy_by_id(Value::Int(1), &opts()).await.unwrap(),
            1
        );
        assert!(!items.exists(Value::Int(1), &opts()).await.unwrap());
    }
}
