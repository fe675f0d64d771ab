//! Reading a SQL connector's LoopBack 3 data source entry: the checks and conversions every
//! connector applies, with errors that name the connector and the offending key.

use loopback_core::{Error, Result};
use serde_json::{Map, Value as Json};

/// A data source entry (`datasources.json`) being read by the connector named `connector`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings<'a> {
    connector: &'static str,
    map: Option<&'a Map<String, Json>>,
}

impl<'a> Settings<'a> {
    /// The entry `settings`, an object (or null: no settings) whose keys are all among
    /// `known`; else [`Error::Connector`] naming the first unknown key.
    pub(crate) fn new(connector: &'static str, settings: &'a Json, known: &[&str]) -> Result<Self> {
        let map = match settings {
            Json::Object(m) => Some(m),
            Json::Null => None,
            other => {
                return Err(Error::Connector(format!(
                    "{connector} data source settings must be an object, not {other}"
                )))
            }
        };
        let s = Settings { connector, map };
        if let Some(key) = s.keys().find(|k| !known.contains(k)) {
            return Err(Error::Connector(format!(
                "unknown {connector} data source setting `{key}`; expected one of: {}",
                known.join(", ")
            )));
        }
        Ok(s)
    }

    fn keys(&self) -> impl Iterator<Item = &'a str> {
        self.map
            .into_iter()
            .flat_map(|m| m.keys().map(String::as_str))
    }

    /// The error for a bad value of `key`.
    pub(crate) fn bad(&self, key: &str, why: impl std::fmt::Display) -> Error {
        Error::Connector(format!(
            "{} data source setting `{key}`: {why}",
            self.connector
        ))
    }

    /// Whether the entry gives `key` (even as null).
    #[cfg(feature = "postgres")]
    pub(crate) fn has(&self, key: &str) -> bool {
        self.map.is_some_and(|m| m.contains_key(key))
    }

    /// The value of the first of `keys` that the entry gives a non-null value, with its key.
    pub(crate) fn first(&self, keys: &[&'static str]) -> Option<(&'static str, &'a Json)> {
        let map = self.map?;
        keys.iter()
            .find_map(|k| map.get(*k).filter(|v| !v.is_null()).map(|v| (*k, v)))
    }

    /// The first of `keys` given, as a string.
    pub(crate) fn text(&self, keys: &[&'static str]) -> Result<Option<String>> {
        match self.first(keys) {
            None => Ok(None),
            Some((_, Json::String(s))) => Ok(Some(s.clone())),
            Some((key, other)) => Err(self.bad(key, format!("expected a string, found {other}"))),
        }
    }

    /// The first of `keys` given, as a non-negative whole number (or a string holding one).
    pub(crate) fn number(&self, keys: &[&'static str]) -> Result<Option<u64>> {
        let Some((key, v)) = self.first(keys) else {
            return Ok(None);
        };
        let n = match v {
            Json::Number(n) => n.as_u64(),
            Json::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        n.map(Some).ok_or_else(|| {
            self.bad(
                key,
                format!("expected a non-negative whole number, found {v}"),
            )
        })
    }
}
