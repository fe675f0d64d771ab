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

/// How a connection to a server uses SSL (TLS), in PostgreSQL's `sslmode` terms.
#[cfg(any(feature = "postgres", feature = "mysql"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SslMode {
    /// Never.
    Disable,
    /// Only if the server insists (MySQL: as `Prefer`).
    Allow,
    /// When the server offers it (the drivers' default).
    Prefer,
    /// Always, without checking the server's certificate.
    Require,
    /// Always, checking the certificate against the trusted roots.
    VerifyCa,
    /// Always, checking the certificate and that it names the host.
    VerifyFull,
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
impl SslMode {
    /// The `sslmode` names, in order.
    pub(crate) const NAMES: &'static [&'static str] = &[
        "disable",
        "allow",
        "prefer",
        "require",
        "verify-ca",
        "verify-full",
    ];

    /// MySQL's own names (`--ssl-mode`), which the MySQL connector takes too.
    pub(crate) const MYSQL_NAMES: &'static [&'static str] = &[
        "DISABLED",
        "PREFERRED",
        "REQUIRED",
        "VERIFY_CA",
        "VERIFY_IDENTITY",
    ];

    /// The mode `name` stands for, in any case: one of [`SslMode::NAMES`], or, with
    /// [`SslModes::Mysql`], one of [`SslMode::MYSQL_NAMES`].
    fn from_name(name: &str, modes: SslModes) -> Option<Self> {
        let name = name.to_ascii_lowercase();
        Some(match (name.as_str(), modes) {
            ("disable", _) | ("disabled", SslModes::Mysql) => SslMode::Disable,
            ("allow", _) => SslMode::Allow,
            ("prefer", _) | ("preferred", SslModes::Mysql) => SslMode::Prefer,
            ("require", _) | ("required", SslModes::Mysql) => SslMode::Require,
            ("verify-ca", _) | ("verify_ca", SslModes::Mysql) => SslMode::VerifyCa,
            ("verify-full", _) | ("verify_identity", SslModes::Mysql) => SslMode::VerifyFull,
            _ => return None,
        })
    }

    /// The error text for a name that is no mode.
    fn unknown(name: &str, modes: SslModes) -> String {
        let mut names = SslMode::NAMES.to_vec();
        if modes == SslModes::Mysql {
            names.extend(SslMode::MYSQL_NAMES);
        }
        format!(
            "`{name}` is not an SSL mode; expected one of: {}",
            names.join(", ")
        )
    }
}

/// Which SSL mode names a connector reads from its `sslmode` setting.
#[cfg(any(feature = "postgres", feature = "mysql"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SslModes {
    /// libpq's names ([`SslMode::NAMES`]); the URL's `sslmode` is left to the driver.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Postgres,
    /// libpq's names and MySQL's ([`SslMode::MYSQL_NAMES`]), in the `sslmode` setting and in
    /// the URL's `ssl-mode` / `sslmode` parameters, which the connector reads itself.
    Mysql,
}

/// What a data source's `ssl` and `sslmode` settings (and an `ssl` parameter of its URL) ask
/// for: LoopBack 3's forms, read once when the connector is created. Certificates are read
/// then too, so a missing file is a configuration error naming its key.
#[cfg(any(feature = "postgres", feature = "mysql"))]
#[derive(Debug, Default)]
pub(crate) struct Ssl {
    /// The mode the settings give; without one, [`SslMode::Disable`] (LoopBack 3's drivers
    /// connect in the clear by default), unless the URL sets the driver's own mode.
    pub(crate) mode: Option<SslMode>,
    /// PEM certificates of the authorities to trust (`ssl.ca`).
    pub(crate) ca: Option<Vec<u8>>,
    /// The client's PEM certificate (`ssl.cert`).
    pub(crate) cert: Option<Vec<u8>>,
    /// The client's PEM private key (`ssl.key`).
    pub(crate) key: Option<Vec<u8>>,
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
impl Settings<'_> {
    /// The SSL settings: `ssl` (`true`, `false`, or an object with `ca`, `cert`, `key` and
    /// `rejectUnauthorized`), then `sslmode` when `with_sslmode` (PostgreSQL), which decides
    /// the mode when both are given; `url` is the connection URL, whose `ssl=true|false`
    /// parameter counts as an `ssl` setting given before the others. `true` and an object
    /// verify the server's certificate and host name, as Node's TLS does, unless
    /// `rejectUnauthorized` is `false` (then the connection is encrypted without checks).
    /// `ca`, `cert` and `key` are PEM text or the path of a PEM file (`ca` may be a list).
    pub(crate) fn ssl(&self, url: Option<&str>, modes: SslModes) -> Result<Ssl> {
        let mut ssl = Ssl::default();
        if modes == SslModes::Mysql {
            for name in MYSQL_URL_MODES {
                if let Some(value) = url.and_then(|u| url_parameter(u, name)) {
                    let mode = SslMode::from_name(&value, modes).ok_or_else(|| {
                        self.bad(
                            "url",
                            format!("`{name}`: {}", SslMode::unknown(&value, modes)),
                        )
                    })?;
                    ssl.mode = Some(mode);
                }
            }
        }
        if let Some(value) = url.and_then(|u| url_parameter(u, "ssl")) {
            ssl.mode = Some(match value.as_str() {
                "true" | "1" => SslMode::VerifyFull,
                "false" | "0" => SslMode::Disable,
                other => {
                    return Err(self.bad(
                        "url",
                        format!("`ssl={other}`: expected `ssl=true` or `ssl=false`"),
                    ))
                }
            });
        }
        match self.first(&["ssl"]) {
            None => {}
            Some((_, Json::Bool(on))) => {
                ssl.mode = Some(if *on {
                    SslMode::VerifyFull
                } else {
                    SslMode::Disable
                });
            }
            Some((_, Json::Object(o))) => {
                let mut verify = true;
                for (k, v) in o {
                    let key = format!("ssl.{k}");
                    match (k.as_str(), v) {
                        (_, Json::Null) => {}
                        ("rejectUnauthorized", Json::Bool(b)) => verify = *b,
                        ("ca", v) => ssl.ca = Some(self.pem(&key, v, true)?),
                        ("cert", v) => ssl.cert = Some(self.pem(&key, v, false)?),
                        ("key", v) => ssl.key = Some(self.pem(&key, v, false)?),
                        ("rejectUnauthorized", other) => {
                            return Err(self.bad(&key, format!("expected a boolean, found {other}")))
                        }
                        _ => {
                            return Err(self.bad(
                                &key,
                                "unknown SSL setting; expected ca, cert, key or rejectUnauthorized",
                            ))
                        }
                    }
                }
                match (&ssl.cert, &ssl.key) {
                    (Some(_), None) => return Err(self.bad("ssl.key", "`ssl.cert` needs a key")),
                    (None, Some(_)) => {
                        return Err(self.bad("ssl.cert", "`ssl.key` needs a certificate"))
                    }
                    _ => {}
                }
                ssl.mode = Some(if verify {
                    SslMode::VerifyFull
                } else {
                    SslMode::Require
                });
            }
            Some((key, other)) => {
                return Err(self.bad(
                    key,
                    format!("expected true, false or an object of SSL settings, found {other}"),
                ))
            }
        }
        if let Some(name) = self.text(&["sslmode"])? {
            ssl.mode = Some(
                SslMode::from_name(&name, modes)
                    .ok_or_else(|| self.bad("sslmode", SslMode::unknown(&name, modes)))?,
            );
        }
        if ssl.mode.is_none() && !url.is_some_and(url_sets_ssl_mode) {
            ssl.mode = Some(SslMode::Disable);
        }
        Ok(ssl)
    }

    /// PEM text: `v` itself when it holds PEM, else the contents of the file it names (a list
    /// when `list`, each one either).
    fn pem(&self, key: &str, v: &Json, list: bool) -> Result<Vec<u8>> {
        match v {
            Json::String(s) if s.contains("-----BEGIN") => Ok(s.clone().into_bytes()),
            Json::String(path) => std::fs::read(path)
                .map_err(|e| self.bad(key, format!("cannot read the PEM file `{path}`: {e}"))),
            Json::Array(items) if list => {
                let mut out = Vec::new();
                for item in items {
                    out.extend(self.pem(key, item, false)?);
                    out.push(b'\n');
                }
                Ok(out)
            }
            other => Err(self.bad(
                key,
                format!("expected PEM text or the path of a PEM file, found {other}"),
            )),
        }
    }
}

/// The value of the query parameter `name` of `url`, if present (not percent-decoded: the
/// values read here are plain words).
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn url_parameter(url: &str, name: &str) -> Option<String> {
    let (_, query) = url.split_once('?')?;
    let query = query.split('#').next().unwrap_or_default();
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| v.to_ascii_lowercase())
    })
}

/// Whether a URL sets the SSL mode itself (PostgreSQL's `sslmode`, sqlx's MySQL `ssl-mode`),
/// which the driver then reads.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn url_sets_ssl_mode(url: &str) -> bool {
    ["sslmode", "ssl-mode"]
        .iter()
        .any(|name| url_parameter(url, name).is_some())
}

/// The URL parameters giving the MySQL connector's SSL mode ([`SslModes::Mysql`]), in the
/// order they are read (the last one given decides).
#[cfg(any(feature = "postgres", feature = "mysql"))]
const MYSQL_URL_MODES: [&str; 2] = ["sslmode", "ssl-mode"];

/// `url` without its `ssl` query parameter, which the drivers do not know.
#[cfg(feature = "postgres")]
pub(crate) fn without_ssl_parameter(url: &str) -> String {
    without_parameters(url, &["ssl"])
}

/// `url` without the parameters that give the MySQL connector's SSL mode (`ssl`, and
/// `sslmode` / `ssl-mode`, read by [`Settings::ssl`] with both spellings of the modes).
#[cfg(feature = "mysql")]
pub(crate) fn without_mysql_ssl_parameters(url: &str) -> String {
    without_parameters(url, &["ssl", MYSQL_URL_MODES[0], MYSQL_URL_MODES[1]])
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
fn without_parameters(url: &str, names: &[&str]) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.split('=').next().is_some_and(|k| names.contains(&k)))
        .collect();
    if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}
