//! Named scopes (LB3's `Model.scope(name, filter)` and the `scopes` key of model JSON): a
//! stored filter callable like a relation, `Station.active(filter)`, `Station.active.create()`.

use crate::app::ModelHandle;
use crate::connector::Options;
use crate::error::{Error, Result};
use crate::filter::{Filter, Where};
use crate::value::Record;

/// A named scope of a model. Built by [`ModelHandle::scope`].
#[derive(Debug, Clone)]
pub struct Scoped {
    model: ModelHandle,
    name: String,
    filter: Filter,
}

impl ModelHandle {
    /// The named scope `name` (from the definition's `scopes`).
    pub fn scope(&self, name: &str) -> Result<Scoped> {
        let def = self.definition();
        let json = def.scopes.get(name).ok_or_else(|| {
            Error::bad_request(format!(
                "Scope \"{name}\" is not defined for {} model",
                def.name
            ))
        })?;
        let filter = self.parse_trusted_filter(&def, json)?;
        Ok(Scoped {
            model: self.clone(),
            name: name.to_owned(),
            filter,
        })
    }

    /// Names of the model's named scopes, in declaration order.
    pub fn scope_names(&self) -> Vec<String> {
        self.definition().scopes.keys().cloned().collect()
    }
}

impl Scoped {
    /// The scope name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The stored filter.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// The caller's filter merged into the scope: the `where`s are ANDed, the caller's other
    /// keys win, the scope fills the rest.
    pub fn merged(&self, filter: Filter) -> Filter {
        filter.merged_with(self.filter.clone())
    }

    fn merged_where(&self, where_: Option<Where>) -> Option<Where> {
        match (self.filter.where_.clone(), where_) {
            (None, w) => w,
            (Some(s), None) => Some(s),
            (Some(s), Some(w)) => Some(s.and(w)),
        }
    }

    /// Instances in the scope matching `filter` (`GET /<plural>/<scope>`).
    pub async fn find(&self, filter: Filter, options: &Options) -> Result<Vec<Record>> {
        self.model.find(self.merged(filter), options).await
    }

    /// How many instances in the scope match `where_` (`GET /<plural>/<scope>/count`).
    pub async fn count(&self, where_: Option<Where>, options: &Options) -> Result<u64> {
        self.model.count(self.merged_where(where_), options).await
    }

    /// Creates an instance in the scope: the scope's top-level equalities are set on the
    /// data, as LB3 does (`POST /<plural>/<scope>`).
    pub async fn create(&self, data: Record, options: &Options) -> Result<Record> {
        let mut data = data;
        if let Some(w) = &self.filter.where_ {
            for (k, v) in w.equalities() {
                data.insert(k, v.clone());
            }
        }
        self.model.create(data, options).await
    }

    /// Updates every instance in the scope matching `where_` (LB3's scoped `updateAll`).
    pub async fn update_all(
        &self,
        where_: Option<Where>,
        data: Record,
        options: &Options,
    ) -> Result<u64> {
        self.model
            .update_all(self.merged_where(where_), data, options)
            .await
    }

    /// Deletes every instance in the scope matching `where_` (`DELETE /<plural>/<scope>`).
    pub async fn destroy_all(&self, where_: Option<Where>, options: &Options) -> Result<u64> {
        self.model
            .destroy_all(self.merged_where(where_), options)
            .await
    }
}
