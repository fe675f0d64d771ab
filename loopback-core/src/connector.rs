//! The connector contract: one object-safe async trait per storage backend.

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::filter::{Filter, Where};
use crate::model::ModelDefinition;
use crate::value::{Record, Value};

/// What a connector can do, so the operation layer, the REST layer and the conformance suite
/// can ask instead of guessing. Named after LoopBack's `connectorCapabilities` flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// `ilike` / `nilike` are supported.
    pub ilike: bool,
    /// `regexp` is supported.
    pub regexp: bool,
    /// `regexp` honours the `i` flag.
    pub regexp_flags: bool,
    /// `near` on GeoPoint properties (filtering and distance ordering).
    pub geo_point: bool,
    /// Conditions on nested properties (`address.city`).
    pub nested_property: bool,
    /// Transactions.
    pub transactions: bool,
    /// Native SQL through [`Connector::execute`].
    pub native_sql: bool,
    /// Schema migration (`automigrate`, `autoupdate`).
    pub migration: bool,
    /// Array-typed properties are stored natively and can be queried.
    pub arrays: bool,
    /// Sorting by properties that are not columns (ad hoc sort).
    pub adhoc_sort: bool,
    /// Properties a model does not declare are stored and read back (non-strict models on a
    /// document store). SQL tables have no column for them: they are accepted and dropped.
    pub free_form_properties: bool,
    /// The most values sent in one `inq` list when `include` batches related lookups (LB3's
    /// `inqLimit`); longer lists are split into several queries.
    pub inq_limit: usize,
    /// Resolved conditions on related models ([`Where::Related`] with its
    /// [`join`](crate::filter::RelatedWhere::join) set) are compiled into the connector's own
    /// query (SQL subqueries), when the related model lives in the same data source. Without
    /// it, the operation layer reads the related keys first and passes `inq`/`nin` lists.
    pub related_where: bool,
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            ilike: true,
            regexp: true,
            regexp_flags: true,
            geo_point: false,
            nested_property: false,
            transactions: false,
            native_sql: false,
            migration: false,
            arrays: false,
            adhoc_sort: false,
            free_form_properties: false,
            inq_limit: 1000,
            related_where: false,
        }
    }
}

/// A transaction isolation level (LB3's `Transaction.READ_COMMITTED`, ...). The default is
/// [`IsolationLevel::ReadCommitted`], as in LoopBack 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum IsolationLevel {
    /// `READ UNCOMMITTED`.
    ReadUncommitted,
    /// `READ COMMITTED` (the default).
    #[default]
    ReadCommitted,
    /// `REPEATABLE READ`.
    RepeatableRead,
    /// `SERIALIZABLE`.
    Serializable,
}

impl IsolationLevel {
    /// The SQL spelling, which is also LB3's constant value: `READ COMMITTED`, ...
    pub fn as_sql(self) -> &'static str {
        match self {
            IsolationLevel::ReadUncommitted => "READ UNCOMMITTED",
            IsolationLevel::ReadCommitted => "READ COMMITTED",
            IsolationLevel::RepeatableRead => "REPEATABLE READ",
            IsolationLevel::Serializable => "SERIALIZABLE",
        }
    }
}

impl fmt::Display for IsolationLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_sql())
    }
}

impl std::str::FromStr for IsolationLevel {
    type Err = Error;

    /// Parses LB3's constant values (`READ COMMITTED`), case-insensitively, also with `_`.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_uppercase().replace('_', " ").as_str() {
            "READ UNCOMMITTED" => Ok(IsolationLevel::ReadUncommitted),
            "READ COMMITTED" => Ok(IsolationLevel::ReadCommitted),
            "REPEATABLE READ" => Ok(IsolationLevel::RepeatableRead),
            "SERIALIZABLE" => Ok(IsolationLevel::Serializable),
            _ => Err(Error::bad_request(format!("Invalid isolationLevel: {s}"))),
        }
    }
}

/// An open transaction, as a connector hands it out. Operations find it in
/// [`Options::transaction`] and must run inside it; a connector refuses a transaction that
/// another connector or data source created.
///
/// [`Transaction::commit`] and [`Transaction::rollback`] end the transaction; after the end,
/// [`Transaction::is_active`] is false, and a second commit or rollback, or an operation in the
/// transaction, fails with [`Error::TransactionNotActive`].
#[async_trait]
pub trait Transaction: Send + Sync + fmt::Debug {
    /// A unique id for the transaction.
    fn id(&self) -> &str;
    /// Downcasting support for the connector that created it.
    fn as_any(&self) -> &dyn Any;
    /// Whether the transaction can still be used (neither committed nor rolled back).
    fn is_active(&self) -> bool {
        true
    }
    /// Commits the transaction.
    async fn commit(&self) -> Result<()> {
        Err(Error::NotSupported {
            connector: "this".into(),
            feature: "transaction commit".into(),
        })
    }
    /// Rolls the transaction back.
    async fn rollback(&self) -> Result<()> {
        Err(Error::NotSupported {
            connector: "this".into(),
            feature: "transaction rollback".into(),
        })
    }
}

/// Per-call options, passed from the caller through hooks to the connector (LB3's `options`).
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// The transaction to run in, if any.
    pub transaction: Option<Arc<dyn Transaction>>,
    /// Free-form values set by callers and read by hooks (`skipPropertyFilter`, ...).
    pub values: serde_json::Map<String, serde_json::Value>,
    /// The caller's access token (LB3's `options.accessToken`), set by the REST layer for
    /// authenticated requests; hooks and remote methods read the current user from it.
    pub access_token: Option<Arc<crate::auth::AccessToken>>,
}

impl Options {
    /// Empty options.
    pub fn new() -> Self {
        Options::default()
    }

    /// Sets a free-form value.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<serde_json::Value>) -> Self {
        self.values.insert(key.into(), value.into());
        self
    }

    /// Runs inside `tx`.
    pub fn in_transaction(mut self, tx: Arc<dyn Transaction>) -> Self {
        self.transaction = Some(tx);
        self
    }

    /// A free-form value.
    pub fn get(&self, key: &str) -> Option<&serde_json::Value> {
        self.values.get(key)
    }

    /// Runs on behalf of the holder of `token`.
    pub fn with_access_token(mut self, token: Arc<crate::auth::AccessToken>) -> Self {
        self.access_token = Some(token);
        self
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field(
                "transaction",
                &self.transaction.as_ref().map(|t| t.id().to_owned()),
            )
            .field("values", &self.values)
            .field(
                "access_token",
                &self
                    .access_token
                    .as_ref()
                    .map(|t| (&t.principal_type, &t.user_id)),
            )
            .finish()
    }
}

/// A storage backend. One instance serves one data source; every model attached to that data
/// source is passed in with each call. Hooks, validation, defaults and id rules live in the
/// operation layer above; a connector only stores and queries.
///
/// Records passed in carry only declared properties (plus unknown ones when the model is not
/// strict) with values already coerced to the property types. Records returned must carry
/// every stored property.
#[async_trait]
pub trait Connector: Send + Sync + 'static {
    /// LB3 connector name: `memory`, `sqlite3`, `postgresql`, `mysql`.
    fn name(&self) -> &str;

    /// What this connector supports.
    fn capabilities(&self) -> &Capabilities;

    /// The connector itself as [`Any`], for reaching its own API by downcasting
    /// (`connector.as_any()?.downcast_ref::<SqliteConnector>()`); `None` (the default) when the
    /// connector does not offer it.
    fn as_any(&self) -> Option<&dyn Any> {
        None
    }

    /// Tells the connector about a model before first use (builds indexes, caches SQL).
    async fn define(&self, model: &Arc<ModelDefinition>) -> Result<()> {
        let _ = model;
        Ok(())
    }

    /// Inserts one record and returns its id (generated when the record has none). A duplicate
    /// id is an [`Error::Validation`]-class uniqueness error or an `Error::Http` 409/422.
    async fn create(
        &self,
        model: &ModelDefinition,
        data: Record,
        options: &Options,
    ) -> Result<Value>;

    /// Returns the records matching `filter` (`where`, `order`, `limit`, `skip`, `fields`).
    /// `include` is resolved above the connector, which must not resolve it itself; as in
    /// LB3, the filter still lists it, and a connector may use it to leave room in each
    /// record for the relations added afterwards.
    async fn find(
        &self,
        model: &ModelDefinition,
        filter: &Filter,
        options: &Options,
    ) -> Result<Vec<Record>>;

    /// Counts the records matching `where`.
    async fn count(
        &self,
        model: &ModelDefinition,
        where_: Option<&Where>,
        options: &Options,
    ) -> Result<u64>;

    /// Sets `data`'s properties on every matching record; returns how many matched.
    async fn update_all(
        &self,
        model: &ModelDefinition,
        where_: Option<&Where>,
        data: Record,
        options: &Options,
    ) -> Result<u64>;

    /// Deletes every matching record; returns how many were deleted.
    async fn destroy_all(
        &self,
        model: &ModelDefinition,
        where_: Option<&Where>,
        options: &Options,
    ) -> Result<u64>;

    /// Replaces the whole record with id `id` by `data` (properties absent from `data` are
    /// removed). Returns false when no such record exists.
    async fn replace_by_id(
        &self,
        model: &ModelDefinition,
        id: &Value,
        data: Record,
        options: &Options,
    ) -> Result<bool>;

    /// Drops and re-creates the storage of the given models.
    async fn automigrate(&self, models: &[Arc<ModelDefinition>]) -> Result<()> {
        let _ = models;
        Err(Error::NotSupported {
            connector: self.name().to_owned(),
            feature: "automigrate".into(),
        })
    }

    /// Alters the storage of the given models to match their definitions, keeping data.
    async fn autoupdate(&self, models: &[Arc<ModelDefinition>]) -> Result<()> {
        let _ = models;
        Err(Error::NotSupported {
            connector: self.name().to_owned(),
            feature: "autoupdate".into(),
        })
    }

    /// Runs a native statement with bind parameters.
    async fn execute(
        &self,
        statement: &str,
        params: &[Value],
        options: &Options,
    ) -> Result<Vec<Record>> {
        let _ = (statement, params, options);
        Err(Error::NotSupported {
            connector: self.name().to_owned(),
            feature: "native statements".into(),
        })
    }

    /// Begins a transaction with the given isolation level. `timeout` is handled by
    /// [`crate::DataSource::begin_transaction`] (an automatic rollback); connectors may ignore
    /// it. The default fails with [`Error::NotSupported`] ("Transaction is not supported").
    async fn begin_transaction(
        &self,
        isolation: IsolationLevel,
        timeout: Option<Duration>,
    ) -> Result<Arc<dyn Transaction>> {
        let _ = (isolation, timeout);
        Err(Error::NotSupported {
            connector: self.name().to_owned(),
            feature: "transactions (Transaction is not supported)".into(),
        })
    }

    /// Flushes pending writes (the memory connector's file persistence); a no-op elsewhere.
    async fn flush(&self) -> Result<()> {
        Ok(())
    }
}
