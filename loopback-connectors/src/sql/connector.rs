//! [`SqlConnector`]: the operations of every SQL connector, written once over a [`Backend`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::TryStreamExt;
use loopback_core::connector::{Capabilities, Connector, IsolationLevel, Options, Transaction};
use loopback_core::filter::{Filter, Where};
use loopback_core::model::ModelDefinition;
use loopback_core::{Error, Record, Result, Value};
use sqlx::{Column, Database, Executor, Pool, Row};

use super::backend::Backend;
use super::builder::{self, Write};
use super::ddl::{self, ForeignKeySpec};
use super::dialect::{not_supported, Dialect};
use super::discovery::{Discovery, MigrationPhase, MigrationPlan, MigrationStep};
use super::error::ErrorContext;
use super::mapping::{TableCache, TableMapping};
use super::transaction::{connection, Conn, SqlTransaction};
use super::writer::Statement;

/// A SQL connector: a pool of `B`'s database, the model tables it maps, and every operation
/// of [`Connector`] and [`Discovery`], built by the [`super`] builders and run through `B`.
///
/// The three SQL connectors are this type: `SqliteConnector`, `PostgresConnector` and
/// `MySqlConnector` name it with their backend, and add their constructors. Cheap to share:
/// one instance per data source (`Arc<…>`). Creating it opens nothing; the first operation
/// connects.
///
/// What every operation does:
///
/// - the model's [`TableMapping`] comes from a [`TableCache`], rebuilt when the definition
///   changes ([`Backend::table_mapping`]);
/// - the statement is built once, with bind parameters only, and run on the transaction's
///   connection when the options carry one, else on a pooled one ([`connection`]);
/// - `find` decodes rows ([`Backend::raw_value`], then [`Dialect::decode`]) as they arrive
///   or once fetched ([`Backend::STREAM_ROWS`]);
/// - driver errors go through [`Backend::classify`] with the table and the written record.
pub struct SqlConnector<B: Backend> {
    backend: B,
    pool: Pool<B::Db>,
    capabilities: Capabilities,
    tables: TableCache,
}

impl<B: Backend> fmt::Debug for SqlConnector<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = self.tables.model_names();
        let mut d = f.debug_struct(B::TYPE_NAME);
        self.backend.describe(&mut d);
        d.field("models", &names).finish()
    }
}

impl<B: Backend> SqlConnector<B> {
    /// A connector running `backend`'s statements on `pool`.
    pub fn new(backend: B, pool: Pool<B::Db>) -> Self {
        SqlConnector {
            capabilities: backend.capabilities(),
            backend,
            pool,
            tables: TableCache::new(),
        }
    }

    /// The backend: the driver's configuration.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// The connection pool, for work this connector does not cover.
    pub fn pool(&self) -> &Pool<B::Db> {
        &self.pool
    }

    /// Closes every connection of the pool; later operations fail with 503.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The table mapping of a model: the cached one when it still fits the definition.
    pub fn mapping(&self, def: &ModelDefinition) -> Result<Arc<TableMapping>> {
        self.tables.get(def, |d| self.backend.table_mapping(d))
    }

    /// A fresh mapping of `def`, cached.
    fn remap(&self, def: &ModelDefinition) -> Result<Arc<TableMapping>> {
        Ok(self
            .tables
            .insert(&def.name, self.backend.table_mapping(def)?))
    }

    fn dialect(&self) -> &B::Dialect {
        self.backend.dialect()
    }

    fn classify(&self, e: sqlx::Error, cx: ErrorContext<'_>) -> Error {
        self.backend.classify(e, cx)
    }

    /// This instance, for telling its transactions from those of other connectors.
    fn owner(&self) -> usize {
        self as *const Self as usize
    }

    fn check_where(&self, t: &TableMapping, where_: Option<&Where>) -> Result<()> {
        match where_ {
            Some(w) => B::check_where(self, t, w),
            None => Ok(()),
        }
    }

    fn decode_row(
        &self,
        t: &TableMapping,
        row: &<B::Db as Database>::Row,
        columns: &[usize],
        spare: usize,
    ) -> Result<Record> {
        // The selected columns are distinct, so the row's keys are too. Room is left for the
        // relations the model layer includes afterwards.
        let mut entries = Vec::with_capacity(columns.len() + spare);
        for (i, &pos) in columns.iter().enumerate() {
            let c = &t.columns[pos];
            entries.push((
                c.key.clone(),
                self.dialect().decode(c, B::raw_value(row, i)?),
            ));
        }
        Ok(Record::from_distinct(entries))
    }

    /// The foreign keys `def` declares, each with the mapping of the table it references
    /// (among `models`, or known to the connector), when the backend writes them inside
    /// `CREATE TABLE`; keys to unknown models are skipped, as LoopBack 3's SQL connectors skip
    /// them. Empty for the other backends.
    fn inline_foreign_keys(
        &self,
        def: &ModelDefinition,
        models: &[Arc<ModelDefinition>],
    ) -> Result<Vec<(ForeignKeySpec, Arc<TableMapping>)>> {
        let mut out = Vec::new();
        if !B::FOREIGN_KEYS_IN_CREATE_TABLE {
            return Ok(out);
        }
        for fk in ddl::foreign_keys(def)? {
            let entity = match models.iter().find(|m| m.name == fk.entity) {
                Some(m) => self.remap(m)?,
                None => match self.tables.known(&fk.entity) {
                    Some(e) => e,
                    None => continue,
                },
            };
            out.push((fk, entity));
        }
        Ok(out)
    }

    /// `CREATE SCHEMA` for `t`'s schema, the first time a migration meets it.
    fn create_schema(&self, t: &TableMapping, done: &mut Vec<String>, out: &mut Vec<Statement>) {
        let Some(s) = &t.schema else { return };
        if done.contains(s) {
            return;
        }
        if let Some(stmt) = self.backend.create_schema(s) {
            done.push(s.clone());
            out.push(stmt);
        }
    }

    fn same_name(catalog: &str, ours: &str) -> bool {
        if B::CASE_SENSITIVE_NAMES {
            catalog == ours
        } else {
            catalog.eq_ignore_ascii_case(ours)
        }
    }
}

/// The error context of a statement on `t`, writing `values` if any.
fn on<'a>(t: &'a TableMapping, values: Option<&'a Record>) -> ErrorContext<'a> {
    ErrorContext {
        table: Some(t),
        values,
    }
}

/// A catalog answer as text: names come back as strings (MySQL may send them as bytes).
fn text(v: Value) -> String {
    match v {
        Value::String(s) => s,
        Value::Buffer(b) => String::from_utf8_lossy(&b).into_owned(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

type QueryResult<B> = <<B as Backend>::Db as Database>::QueryResult;
type DbRow<B> = <<B as Backend>::Db as Database>::Row;

async fn execute<'c, B, E>(e: E, stmt: &Statement) -> sqlx::Result<QueryResult<B>>
where
    B: Backend,
    E: Executor<'c, Database = B::Db>,
{
    let sql = B::prepared_sql(&stmt.sql, &stmt.params);
    B::bind(&sql, &stmt.params).execute(e).await
}

async fn fetch_all<'c, B, E>(e: E, stmt: &Statement) -> sqlx::Result<Vec<DbRow<B>>>
where
    B: Backend,
    E: Executor<'c, Database = B::Db>,
{
    let sql = B::prepared_sql(&stmt.sql, &stmt.params);
    B::bind(&sql, &stmt.params).fetch_all(e).await
}

async fn fetch_one<'c, B, E>(e: E, stmt: &Statement) -> sqlx::Result<DbRow<B>>
where
    B: Backend,
    E: Executor<'c, Database = B::Db>,
{
    let sql = B::prepared_sql(&stmt.sql, &stmt.params);
    B::bind(&sql, &stmt.params).fetch_one(e).await
}

impl<B: Backend> SqlConnector<B>
where
    for<'c> &'c mut <B::Db as Database>::Connection: Executor<'c, Database = B::Db>,
{
    /// The connection for an operation with `options`: its transaction's, else a pooled one.
    async fn conn<'a>(&self, options: &'a Options) -> Result<Conn<'a, B::Db>> {
        connection(
            &self.pool,
            options,
            self.dialect().name(),
            self.owner(),
            |e| self.classify(e, ErrorContext::default()),
        )
        .await
    }

    async fn count_rows(
        &self,
        conn: &mut <B::Db as Database>::Connection,
        stmt: &Statement,
        t: &TableMapping,
    ) -> Result<u64> {
        let row = fetch_one::<B, _>(conn, stmt)
            .await
            .map_err(|e| self.classify(e, on(t, None)))?;
        Ok(B::raw_value(&row, 0)?
            .as_i64()
            .map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    }

    async fn write(
        &self,
        conn: &mut <B::Db as Database>::Connection,
        w: Write,
        t: &TableMapping,
        values: Option<&Record>,
    ) -> Result<u64> {
        match w {
            Write::Execute(stmt) => execute::<B, _>(conn, &stmt)
                .await
                .map(|done| B::rows_affected(&done))
                .map_err(|e| self.classify(e, on(t, values))),
            Write::Count(stmt) => self.count_rows(conn, &stmt, t).await,
        }
    }

    /// The rows of a catalog query about `t`, run on the pool.
    async fn catalog(&self, stmt: &Statement, t: &TableMapping) -> Result<Vec<DbRow<B>>> {
        fetch_all::<B, _>(&self.pool, stmt)
            .await
            .map_err(|e| self.classify(e, on(t, None)))
    }

    /// The first column of every row of a catalog query about `t`, as text.
    async fn catalog_names(&self, stmt: &Statement, t: &TableMapping) -> Result<Vec<String>> {
        self.catalog(stmt, t)
            .await?
            .iter()
            .map(|r| B::raw_value(r, 0).map(text))
            .collect()
    }

    /// For `autoupdate`, on an existing table: the columns to add (always nullable) or to
    /// alter ([`Backend::alter_column`]), and the missing indexes.
    async fn update_table(&self, t: &TableMapping) -> Result<Vec<Statement>> {
        let d = self.dialect();
        let columns = self
            .catalog(&self.backend.existing_columns_query(t), t)
            .await?
            .into_iter()
            .map(|row| Ok((text(B::raw_value(&row, 0)?), row)))
            .collect::<Result<Vec<_>>>()?;
        let indexes = self.catalog_names(&d.table_indexes_query(t), t).await?;
        let mut statements = Vec::new();
        for c in &t.columns {
            match columns.iter().find(|(n, _)| Self::same_name(n, &c.name)) {
                None => statements.push(ddl::add_column(d, t, c)),
                Some((_, row)) => statements.extend(self.backend.alter_column(t, c, row)?),
            }
        }
        for i in &t.indexes {
            if !indexes.iter().any(|n| Self::same_name(n, &i.name)) {
                statements.push(d.create_index(t, i));
            }
        }
        Ok(statements)
    }

    /// With foreign keys inside `CREATE TABLE`: refuses declared keys that an existing table
    /// lacks, as they cannot be added to it.
    async fn check_foreign_key_columns(
        &self,
        t: &TableMapping,
        fks: &[(ForeignKeySpec, Arc<TableMapping>)],
    ) -> Result<()> {
        if fks.is_empty() {
            return Ok(());
        }
        let Some(query) = self.backend.foreign_key_columns_query(t) else {
            return Ok(());
        };
        let present = self.catalog_names(&query, t).await?;
        for (fk, _) in fks {
            let column = t
                .column(&fk.foreign_key)
                .map_or(fk.foreign_key.as_str(), |c| c.name.as_str());
            if !present.iter().any(|p| p.eq_ignore_ascii_case(column)) {
                return Err(not_supported(
                    self.dialect().name(),
                    format!(
                        "adding foreign key `{}` to the existing table `{}` ({} cannot alter \
                         constraints; automigrate re-creates the table with it)",
                        fk.name,
                        t.table,
                        B::DATABASE
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn table_step(def: &ModelDefinition, table: Arc<TableMapping>, s: Vec<Statement>) -> MigrationStep {
    MigrationStep {
        model: def.name.clone(),
        table,
        phase: MigrationPhase::Table,
        statements: s,
    }
}

#[async_trait]
impl<B: Backend> Connector for SqlConnector<B>
where
    for<'c> &'c mut <B::Db as Database>::Connection: Executor<'c, Database = B::Db>,
{
    fn name(&self) -> &str {
        self.dialect().name()
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// This connector, for downcasting to its own API (pool, discovery).
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    async fn define(&self, model: &Arc<ModelDefinition>) -> Result<()> {
        self.remap(model).map(drop)
    }

    /// Inserts the record and returns its id: the one it carries, else the one the database
    /// generated (`RETURNING`, or the driver's last insert id).
    async fn create(
        &self,
        model: &ModelDefinition,
        data: Record,
        options: &Options,
    ) -> Result<Value> {
        let t = self.mapping(model)?;
        let mut conn = self.conn(options).await?;
        let mut data = data;
        builder::assign_generated_id(&t, &mut data);
        let insert = builder::insert(self.dialect(), &t, &data)?;
        let after = self.backend.after_insert(&t, &insert);
        let cx = on(&t, Some(&data));
        let id = match insert.returning {
            Some(pos) => {
                let row = fetch_one::<B, _>(&mut *conn, &insert.statement)
                    .await
                    .map_err(|e| self.classify(e, cx))?;
                self.dialect()
                    .decode(&t.columns[pos], B::raw_value(&row, 0)?)
            }
            None => {
                let done = execute::<B, _>(&mut *conn, &insert.statement)
                    .await
                    .map_err(|e| self.classify(e, cx))?;
                match insert.id {
                    Some(id) => id,
                    None => match (t.id_column(), B::last_insert_id(&done)) {
                        (Some(c), Some(n)) if n > 0 => self
                            .dialect()
                            .decode(c, Value::Int(i64::try_from(n).unwrap_or(i64::MAX))),
                        _ => Value::Null,
                    },
                }
            }
        };
        if let Some(stmt) = after {
            execute::<B, _>(&mut *conn, &stmt)
                .await
                .map_err(|e| self.classify(e, cx))?;
        }
        Ok(id)
    }

    async fn find(
        &self,
        model: &ModelDefinition,
        filter: &Filter,
        options: &Options,
    ) -> Result<Vec<Record>> {
        let t = self.mapping(model)?;
        self.check_where(&t, filter.where_.as_ref())?;
        let select = builder::select(self.dialect(), &t, filter)?;
        let spare = filter.include.len();
        let mut conn = self.conn(options).await?;
        let stmt = &select.statement;
        let sql = B::prepared_sql(&stmt.sql, &stmt.params);
        let query = B::bind(&sql, &stmt.params);
        if !B::STREAM_ROWS {
            let rows = query
                .fetch_all(&mut *conn)
                .await
                .map_err(|e| self.classify(e, on(&t, None)))?;
            return rows
                .iter()
                .map(|row| self.decode_row(&t, row, &select.columns, spare))
                .collect();
        }
        // Rows are decoded as they arrive, never all held as driver rows at once.
        let mut rows = query.fetch(&mut *conn);
        let mut out = Vec::with_capacity(expected_rows(filter));
        while let Some(row) = rows
            .try_next()
            .await
            .map_err(|e| self.classify(e, on(&t, None)))?
        {
            out.push(self.decode_row(&t, &row, &select.columns, spare)?);
        }
        Ok(out)
    }

    async fn count(
        &self,
        model: &ModelDefinition,
        where_: Option<&Where>,
        options: &Options,
    ) -> Result<u64> {
        let t = self.mapping(model)?;
        self.check_where(&t, where_)?;
        let stmt = builder::count(self.dialect(), &t, where_)?;
        let mut conn = self.conn(options).await?;
        self.count_rows(&mut conn, &stmt, &t).await
    }

    async fn update_all(
        &self,
        model: &ModelDefinition,
        where_: Option<&Where>,
        data: Record,
        options: &Options,
    ) -> Result<u64> {
        let t = self.mapping(model)?;
        self.check_where(&t, where_)?;
        let w = builder::update(self.dialect(), &t, where_, &data)?;
        let mut conn = self.conn(options).await?;
        self.write(&mut conn, w, &t, Some(&data)).await
    }

    async fn destroy_all(
        &self,
        model: &ModelDefinition,
        where_: Option<&Where>,
        options: &Options,
    ) -> Result<u64> {
        let t = self.mapping(model)?;
        self.check_where(&t, where_)?;
        let stmt = builder::delete(self.dialect(), &t, where_)?;
        let mut conn = self.conn(options).await?;
        self.write(&mut conn, Write::Execute(stmt), &t, None).await
    }

    async fn replace_by_id(
        &self,
        model: &ModelDefinition,
        id: &Value,
        data: Record,
        options: &Options,
    ) -> Result<bool> {
        let t = self.mapping(model)?;
        let w = builder::replace_by_id(self.dialect(), &t, id, &data)?;
        let mut conn = self.conn(options).await?;
        Ok(self.write(&mut conn, w, &t, Some(&data)).await? > 0)
    }

    /// Begins a transaction on one pooled connection, with the backend's
    /// [`Backend::begin_statement`] for the isolation level.
    async fn begin_transaction(
        &self,
        isolation: IsolationLevel,
        timeout: Option<Duration>,
    ) -> Result<Arc<dyn Transaction>> {
        let _ = timeout;
        let tx = match self.backend.begin_statement(isolation) {
            Some(begin) => self.pool.begin_with(begin).await,
            None => self.pool.begin().await,
        }
        .map_err(|e| self.classify(e, ErrorContext::default()))?;
        Ok(Arc::new(SqlTransaction::new(
            self.dialect().name(),
            self.owner(),
            tx,
        )))
    }

    /// Runs [`Discovery::automigrate_plan`] with [`Discovery::apply_migration`].
    async fn automigrate(&self, models: &[Arc<ModelDefinition>]) -> Result<()> {
        let plan = Discovery::automigrate_plan(self, models).await?;
        Discovery::apply_migration(self, &plan, &mut |_, _| {}).await
    }

    /// Runs [`Discovery::autoupdate_plan`] with [`Discovery::apply_migration`].
    async fn autoupdate(&self, models: &[Arc<ModelDefinition>]) -> Result<()> {
        let plan = Discovery::autoupdate_plan(self, models).await?;
        Discovery::apply_migration(self, &plan, &mut |_, _| {}).await
    }

    /// Runs one native statement with the dialect's placeholders, every parameter bound by
    /// [`Backend::bind`]. Rows come back as records keyed by result column name, with the
    /// values as the driver typed them ([`Backend::native_value`]).
    async fn execute(
        &self,
        statement: &str,
        params: &[Value],
        options: &Options,
    ) -> Result<Vec<Record>> {
        let mut conn = self.conn(options).await?;
        let sql = B::prepared_sql(statement, params);
        let rows = B::bind(&sql, params)
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| self.classify(e, ErrorContext::default()))?;
        rows.iter()
            .map(|row| {
                let mut r = Record::with_capacity(row.len());
                for (i, c) in row.columns().iter().enumerate() {
                    r.insert(c.name().to_owned(), B::native_value(row, i)?);
                }
                Ok(r)
            })
            .collect()
    }
}

/// Discovery (tables, columns, keys, LoopBack 3 model definitions), `isActual` and
/// migration plans, through this connector's catalog queries.
#[async_trait]
impl<B: Backend> Discovery for SqlConnector<B>
where
    for<'c> &'c mut <B::Db as Database>::Connection: Executor<'c, Database = B::Db>,
{
    fn discovery_connector(&self) -> &dyn Connector {
        self
    }

    fn discovery_dialect(&self) -> &dyn Dialect {
        self.dialect()
    }

    fn discovery_mapping(&self, def: &ModelDefinition) -> Result<Arc<TableMapping>> {
        self.remap(def)
    }

    fn known_mapping(&self, model: &str) -> Option<Arc<TableMapping>> {
        self.tables.known(model)
    }

    fn default_owner(&self) -> Option<String> {
        self.backend.default_owner()
    }

    /// Per model: its schema when the backend creates schemas (once each), `DROP TABLE IF
    /// EXISTS`, `CREATE TABLE` (with the declared foreign keys when the backend writes them
    /// there) and its indexes; then every declared foreign key, for the other backends.
    ///
    /// On the other backends, constraints that reference a re-created table are dropped
    /// first (and the declared ones added again at the end); where keys live in `CREATE
    /// TABLE`, their checks are deferred to the commit. Either way `automigrate` can run
    /// again over tables it linked. A constraint of a table outside `models` that references
    /// one of them is a 409 naming both tables: re-creating the table would break the other
    /// table's rows, so that table must be migrated too (or the constraint dropped by hand).
    async fn automigrate_plan(&self, models: &[Arc<ModelDefinition>]) -> Result<MigrationPlan> {
        let d = self.dialect();
        let mut plan = MigrationPlan {
            steps: self.referencing_key_drops(models).await?,
        };
        let mut schemas = Vec::new();
        let mut defer = self.backend.defer_foreign_keys();
        for def in models {
            let t = self.remap(def)?;
            let mut statements = Vec::new();
            statements.extend(defer.take());
            self.create_schema(&t, &mut schemas, &mut statements);
            statements.push(ddl::drop_table(d, &t));
            let fks = self.inline_foreign_keys(def, models)?;
            statements.extend(ddl::create_table_with_foreign_keys(d, &t, &fks));
            plan.steps.push(table_step(def, t, statements));
        }
        if !B::FOREIGN_KEYS_IN_CREATE_TABLE {
            plan.steps
                .extend(Discovery::foreign_key_steps(self, models, true).await?);
        }
        Ok(plan)
    }

    /// Per model: for a missing table, what `automigrate` creates (without dropping); for an
    /// existing one, the columns it lacks (and, where the backend alters columns, the ones
    /// to widen or make nullable) and the missing indexes. Then the missing declared foreign
    /// keys. Where foreign keys live inside `CREATE TABLE`, an existing table without a
    /// declared key's column is [`Error::NotSupported`].
    async fn autoupdate_plan(&self, models: &[Arc<ModelDefinition>]) -> Result<MigrationPlan> {
        let d = self.dialect();
        let mut plan = MigrationPlan::default();
        let mut schemas = Vec::new();
        for def in models {
            let t = self.remap(def)?;
            let exists = !self
                .catalog(&d.table_exists_query(&t), &t)
                .await?
                .is_empty();
            let fks = self.inline_foreign_keys(def, models)?;
            let mut statements = Vec::new();
            if !exists {
                self.create_schema(&t, &mut schemas, &mut statements);
                statements.extend(ddl::create_table_with_foreign_keys(d, &t, &fks));
            } else {
                self.check_foreign_key_columns(&t, &fks).await?;
                statements = self.update_table(&t).await?;
            }
            plan.steps.push(table_step(def, t, statements));
        }
        if !B::FOREIGN_KEYS_IN_CREATE_TABLE {
            plan.steps
                .extend(Discovery::foreign_key_steps(self, models, false).await?);
        }
        Ok(plan)
    }

    /// Runs the plan in one transaction; without [`Backend::TRANSACTIONAL_DDL`] (MySQL), one
    /// statement after the other, each step on a pooled connection.
    async fn apply_migration(
        &self,
        plan: &MigrationPlan,
        progress: &mut (dyn for<'s> FnMut(usize, &'s MigrationStep) + Send),
    ) -> Result<()> {
        if !B::TRANSACTIONAL_DDL {
            for (i, step) in plan.steps.iter().enumerate() {
                let cx = on(&step.table, None);
                let mut conn = self
                    .pool
                    .acquire()
                    .await
                    .map_err(|e| self.classify(e, cx))?;
                for stmt in &step.statements {
                    let sql = B::prepared_sql(&stmt.sql, &stmt.params);
                    B::bind(&sql, &stmt.params)
                        .persistent(false)
                        .execute(&mut *conn)
                        .await
                        .map_err(|e| self.classify(e, cx))?;
                }
                progress(i, step);
            }
            return Ok(());
        }
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| self.classify(e, ErrorContext::default()))?;
        for (i, step) in plan.steps.iter().enumerate() {
            let cx = on(&step.table, None);
            for stmt in &step.statements {
                execute::<B, _>(&mut *tx, stmt)
                    .await
                    .map_err(|e| self.classify(e, cx))?;
            }
            progress(i, step);
        }
        tx.commit()
            .await
            .map_err(|e| self.classify(e, ErrorContext::default()))
    }
}

impl<B: Backend> SqlConnector<B>
where
    for<'c> &'c mut <B::Db as Database>::Connection: Executor<'c, Database = B::Db>,
{
    /// [`MigrationPhase::DropForeignKeys`] steps: the existing constraints that reference the
    /// tables of `models`, each dropped from its own table, which must be one of `models`'.
    async fn referencing_key_drops(
        &self,
        models: &[Arc<ModelDefinition>],
    ) -> Result<Vec<MigrationStep>> {
        let tables = models
            .iter()
            .map(|m| self.remap(m).map(|t| (m, t)))
            .collect::<Result<Vec<_>>>()?;
        let owner = Discovery::default_owner(self);
        let same_owner = |schema: &Option<String>, fk_owner: &str| {
            match schema.as_deref().or(owner.as_deref()) {
                Some(s) => s == fk_owner,
                // The connection's own schema or database: the catalog query was made in it.
                None => true,
            }
        };
        let mut steps: Vec<MigrationStep> = Vec::new();
        let mut seen: Vec<(String, String, String)> = Vec::new();
        for (_, t) in &tables {
            let exported =
                Discovery::discover_exported_foreign_keys(self, &t.table, t.schema.as_deref())
                    .await?;
            for fk in exported {
                let name = fk.fk_name.clone().unwrap_or_default();
                let key = (fk.fk_owner.clone(), fk.fk_table_name.clone(), name.clone());
                if seen.contains(&key) {
                    continue;
                }
                seen.push(key);
                let referencing = tables.iter().find(|(_, o)| {
                    o.table == fk.fk_table_name && same_owner(&o.schema, &fk.fk_owner)
                });
                let Some((def, other)) = referencing else {
                    let name = match &fk.fk_name {
                        Some(n) => format!("constraint \"{n}\""),
                        None => format!("a foreign key (column \"{}\")", fk.fk_column_name),
                    };
                    return Err(Error::http(
                        409,
                        format!(
                            "cannot re-create table \"{}\": {name} of table \
                             \"{}\" references it, and that table is not being migrated; \
                             migrate its model too, or drop the constraint",
                            t.table, fk.fk_table_name
                        ),
                    ));
                };
                // Keys inside `CREATE TABLE` go and come back with their table.
                if B::FOREIGN_KEYS_IN_CREATE_TABLE || name.is_empty() {
                    continue;
                }
                let stmt = ddl::drop_foreign_key(self.dialect(), other, &name);
                match steps.iter_mut().find(|s| s.model == def.name) {
                    Some(step) => step.statements.push(stmt),
                    None => steps.push(MigrationStep {
                        model: def.name.clone(),
                        table: other.clone(),
                        phase: MigrationPhase::DropForeignKeys,
                        statements: vec![stmt],
                    }),
                }
            }
        }
        Ok(steps)
    }
}

/// The room to make for a query's rows before they arrive: its `limit` when it has a small
/// one, else a few dozen, so that the usual result grows its list a few times at most.
fn expected_rows(filter: &Filter) -> usize {
    const ROOM: usize = 32;
    const MOST: usize = 1024;
    filter
        .limit
        .map_or(ROOM, |l| usize::try_from(l).unwrap_or(MOST).min(MOST))
}
