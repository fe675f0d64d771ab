//! LoopBack 3's `transient` connector: a data source that stores nothing.
//!
//! Models that exist only to shape data, such as the targets of embedsOne and embedsMany
//! relations, are attached to it (`"Address": {"dataSource": "transient"}`). As in LoopBack 3,
//! `create` gives the record an id when it has none (a random number for a numeric id, 24
//! hexadecimal characters otherwise) and succeeds without storing it; reads find nothing,
//! counts are 0, and updates and deletes change nothing.

use std::sync::Arc;

use async_trait::async_trait;
use loopback_core::connector::{Capabilities, Connector, Options};
use loopback_core::filter::{Filter, Where};
use loopback_core::model::{ModelDefinition, PropertyType};
use loopback_core::{Record, Result, Value};

/// The connector that stores nothing (LB3 `transient`).
#[derive(Debug)]
pub struct TransientConnector {
    capabilities: Capabilities,
}

impl Default for TransientConnector {
    fn default() -> Self {
        TransientConnector::new()
    }
}

impl TransientConnector {
    /// A transient connector.
    pub fn new() -> Self {
        TransientConnector {
            capabilities: Capabilities {
                inq_limit: usize::MAX,
                free_form_properties: true,
                ..Capabilities::default()
            },
        }
    }

    /// A new connector as an `Arc<dyn Connector>`, ready for a data source.
    pub fn shared() -> Arc<dyn Connector> {
        Arc::new(TransientConnector::new())
    }
}

/// A fresh id for `model`: LB3 gives numeric ids a random number and others 24 hexadecimal
/// characters. The number here spans 2^52 values (LB3's 4 digits collide within a hundred
/// records) and stays exact in JavaScript.
fn generate_id(model: &ModelDefinition) -> Value {
    let random = uuid::Uuid::new_v4();
    let numeric = model
        .id_properties()
        .next()
        .is_some_and(|p| p.ty == PropertyType::Number);
    if numeric {
        let n = random.as_u128() as u64 & ((1 << 52) - 1);
        Value::Int(i64::try_from(n).unwrap_or(i64::MAX).max(1))
    } else {
        let mut hex = random.simple().to_string();
        hex.truncate(24);
        Value::String(hex)
    }
}

#[async_trait]
impl Connector for TransientConnector {
    fn name(&self) -> &str {
        "transient"
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn create(&self, model: &ModelDefinition, data: Record, _: &Options) -> Result<Value> {
        if model.id_properties().next().is_none() {
            return Ok(Value::Null);
        }
        match data.get(model.id_name()) {
            Some(id) if !id.is_null() => Ok(id.clone()),
            _ => Ok(generate_id(model)),
        }
    }

    async fn find(&self, _: &ModelDefinition, _: &Filter, _: &Options) -> Result<Vec<Record>> {
        Ok(Vec::new())
    }

    async fn count(&self, _: &ModelDefinition, _: Option<&Where>, _: &Options) -> Result<u64> {
        Ok(0)
    }

    async fn update_all(
        &self,
        _: &ModelDefinition,
        _: Option<&Where>,
        _: Record,
        _: &Options,
    ) -> Result<u64> {
        Ok(0)
    }

    async fn destroy_all(
        &self,
        _: &ModelDefinition,
        _: Option<&Where>,
        _: &Options,
    ) -> Result<u64> {
        Ok(0)
    }

    /// Nothing is stored, so there is nothing to replace.
    async fn replace_by_id(
        &self,
        _: &ModelDefinition,
        _: &Value,
        _: Record,
        _: &Options,
    ) -> Result<bool> {
        Ok(false)
    }
}
