//! A connector wrapper that reports fewer capabilities than the connector it wraps and refuses
//! the operators it claims not to support, as a SQL database without `ILIKE`, `REGEXP` or
//! geo functions does. Running the suite through it checks the suite's "not supported" branches
//! and the operation layer's fallbacks (case-insensitive uniqueness without `regexp`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use loopback::{
    Capabilities, Condition, Connector, Error, Filter, ModelDefinition, Options, Record, Result,
    Value, Where,
};

/// Wraps `inner`, advertising `capabilities` instead of its own.
pub struct LimitedConnector {
    inner: Arc<dyn Connector>,
    capabilities: Capabilities,
}

impl LimitedConnector {
    /// `inner` without `ilike`, `regexp` and geo support.
    pub fn without_patterns_and_geo(inner: Arc<dyn Connector>) -> Self {
        let capabilities = Capabilities {
            ilike: false,
            regexp: false,
            regexp_flags: false,
            geo_point: false,
            ..inner.capabilities().clone()
        };
        LimitedConnector {
            inner,
            capabilities,
        }
    }

    fn check(&self, w: Option<&Where>) -> Result<()> {
        let Some(w) = w else { return Ok(()) };
        let mut refused = None;
        w.for_each_cond(&mut |_, c| {
            let supported = match c {
                Condition::ILike(_) | Condition::NILike(_) => self.capabilities.ilike,
                Condition::Regexp(r) => {
                    self.capabilities.regexp
                        && (self.capabilities.regexp_flags || !r.case_insensitive)
                }
                Condition::Near(_) => self.capabilities.geo_point,
                _ => true,
            };
            if !supported && refused.is_none() {
                refused = Some(c.operator());
            }
        });
        match refused {
            None => Ok(()),
            Some(op) => Err(Error::NotSupported {
                connector: self.inner.name().to_owned(),
                feature: format!("the `{op}` operator"),
            }),
        }
    }
}

// `async_trait` is not a dependency of the test crate, so the methods are written in the form
// that the attribute expands to.
type Fut<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

impl Connector for LimitedConnector {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn define<'l0, 'l1, 'async_trait>(
        &'l0 self,
        model: &'l1 Arc<ModelDefinition>,
    ) -> Fut<'async_trait, ()>
    where
        'l0: 'async_trait,
        'l1: 'async_trait,
        Self: 'async_trait,
    {
        self.inner.define(model)
    }

    fn create<'l0, 'l1, 'l2, 'async_trait>(
        &'l0 self,
        model: &'l1 ModelDefinition,
        data: Record,
        options: &'l2 Options,
    ) -> Fut<'async_trait, Value>
    where
        'l0: 'async_trait,
        'l1: 'async_trait,
        'l2: 'async_trait,
        Self: 'async_trait,
    {
        self.inner.create(model, data, options)
    }

    fn find<'l0, 'l1, 'l2, 'l3, 'async_trait>(
        &'l0 self,
        model: &'l1 ModelDefinition,
        filter: &'l2 Filter,
        options: &'l3 Options,
    ) -> Fut<'async_trait, Vec<Record>>
    where
        'l0: 'async_trait,
        'l1: 'async_trait,
        'l2: 'async_trait,
        'l3: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            self.check(filter.where_.as_ref())?;
            self.inner.find(model, filter, options).await
        })
    }

    fn count<'l0, 'l1, 'l2, 'l3, 'async_trait>(
        &'l0 self,
        model: &'l1 ModelDefinition,
        where_: Option<&'l2 Where>,
        options: &'l3 Options,
    ) -> Fut<'async_trait, u64>
    where
        'l0: 'async_trait,
        'l1: 'async_trait,
        'l2: 'async_trait,
        'l3: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            self.check(where_)?;
            self.inner.count(model, where_, options).await
        })
    }

    fn update_all<'l0, 'l1, 'l2, 'l3, 'async_trait>(
        &'l0 self,
        model: &'l1 ModelDefinition,
        where_: Option<&'l2 Where>,
        data: Record,
        options: &'l3 Options,
    ) -> Fut<'async_trait, u64>
    where
        'l0: 'async_trait,
        'l1: 'async_trait,
        'l2: 'async_trait,
        'l3: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            self.check(where_)?;
            self.inner.update_all(model, where_, data, options).await
        })
    }

    fn destroy_all<'l0, 'l1, 'l2, 'l3, 'async_trait>(
        &'l0 self,
        model: &'l1 ModelDefinition,
        where_: Option<&'l2 Where>,
        options: &'l3 Options,
    ) -> Fut<'async_trait, u64>
    where
        'l0: 'async_trait,
        'l1: 'async_trait,
        'l2: 'async_trait,
        'l3: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            self.check(where_)?;
            self.inner.destroy_all(model, where_, options).await
        })
    }

    fn replace_by_id<'l0, 'l1, 'l2, 'l3, 'async_trait>(
        &'l0 self,
        model: &'l1 ModelDefinition,
        id: &'l2 Value,
        data: Record,
        options: &'l3 Options,
    ) -> Fut<'async_trait, bool>
    where
        'l0: 'async_trait,
        'l1: 'async_trait,
        'l2: 'async_trait,
        'l3: 'async_trait,
        Self: 'async_trait,
    {
        self.inner.replace_by_id(model, id, data, options)
    }

    fn automigrate<'l0, 'l1, 'async_trait>(
        &'l0 self,
        models: &'l1 [Arc<ModelDefinition>],
    ) -> Fut<'async_trait, ()>
    where
        'l0: 'async_trait,
        'l1: 'async_trait,
        Self: 'async_trait,
    {
        self.inner.automigrate(models)
    }
}
