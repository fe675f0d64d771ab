//! SMTP settings (always available, so settings are checked without the feature) and, with the
//! `smtp` feature, [`SmtpTransport`] over lettre with rustls.

use std::fmt;
use std::time::Duration;

use serde_json::Value as Json;

use super::{setting_error, settings_object};
use crate::error::Result;

/// SMTP login.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpAuth {
    /// User name.
    pub user: String,
    /// Password.
    pub pass: String,
}

/// Hides the password: configurations end up in logs through `Debug`.
impl fmt::Debug for SmtpAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpAuth")
            .field("user", &self.user)
            .field("pass", &"<redacted>")
            .finish()
    }
}

/// How to reach an SMTP server; nodemailer's SMTP options.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SmtpConfig {
    /// Server host name (also the name its TLS certificate must carry).
    pub host: String,
    /// Port; `None` for 465 when `secure`, else 587 (nodemailer's defaults).
    pub port: Option<u16>,
    /// Implicit TLS from the first byte (SMTPS, usually port 465).
    pub secure: bool,
    /// Without `secure`: fail unless the server offers STARTTLS (nodemailer `requireTLS`).
    pub require_tls: bool,
    /// Without `secure`: never use STARTTLS, even when offered (nodemailer `ignoreTLS`).
    /// Otherwise STARTTLS is used when the server offers it.
    pub ignore_tls: bool,
    /// Login, if the server wants one.
    pub auth: Option<SmtpAuth>,
    /// The name given in EHLO (nodemailer `name`); `None` for `localhost`.
    pub hello_name: Option<String>,
    /// Limit for connecting and for each command; `None` for lettre's default (60 s).
    pub timeout: Option<Duration>,
    /// Accept any certificate (nodemailer `tls.rejectUnauthorized: false`). For test servers only.
    pub accept_invalid_certs: bool,
}

impl SmtpConfig {
    /// Settings for `host` with nodemailer's defaults: port 587, STARTTLS when offered, no login.
    pub fn new(host: impl Into<String>) -> Self {
        SmtpConfig {
            host: host.into(),
            port: None,
            secure: false,
            require_tls: false,
            ignore_tls: false,
            auth: None,
            hello_name: None,
            timeout: None,
            accept_invalid_certs: false,
        }
    }

    /// Sets the port.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Sets implicit TLS.
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// Requires STARTTLS.
    pub fn require_tls(mut self, require: bool) -> Self {
        self.require_tls = require;
        self
    }

    /// Never uses STARTTLS: plaintext, for a trusted local relay.
    pub fn ignore_tls(mut self, ignore: bool) -> Self {
        self.ignore_tls = ignore;
        self
    }

    /// Sets the login.
    pub fn auth(mut self, user: impl Into<String>, pass: impl Into<String>) -> Self {
        self.auth = Some(SmtpAuth {
            user: user.into(),
            pass: pass.into(),
        });
        self
    }

    /// Sets the EHLO name.
    pub fn hello_name(mut self, name: impl Into<String>) -> Self {
        self.hello_name = Some(name.into());
        self
    }

    /// Sets the connect and per-command timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The port used: the configured one, else 465 with `secure`, else 587.
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(if self.secure { 465 } else { 587 })
    }

    /// Reads an SMTP transport entry (`type` and `alias` are the caller's): `host`, `port`,
    /// `secure`, `requireTLS`, `ignoreTLS`, `auth.user`, `auth.pass`, `name`,
    /// `connectionTimeout`, `greetingTimeout`, `socketTimeout` (milliseconds; lettre has one
    /// timeout, so the largest given is used) and `tls.rejectUnauthorized`. `path` prefixes the
    /// keys in errors (`email.transports[0]`).
    pub fn from_lb3_settings(entry: &Json, path: &str) -> Result<Self> {
        const KEYS: &[&str] = &[
            "type",
            "alias",
            "host",
            "port",
            "secure",
            "requireTLS",
            "ignoreTLS",
            "auth",
            "name",
            "connectionTimeout",
            "greetingTimeout",
            "socketTimeout",
            "tls",
        ];
        let key_path = |key: &str| format!("{path}.{key}");
        let map = settings_object(entry, path)?;
        if let Some(key) = map.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(setting_error(
                &key_path(key),
                format!("unknown SMTP setting; expected one of: {}", KEYS.join(", ")),
            ));
        }
        let string = |map: &serde_json::Map<String, Json>,
                      key: &str,
                      full: String|
         -> Result<Option<String>> {
            match map.get(key) {
                None | Some(Json::Null) => Ok(None),
                Some(Json::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(setting_error(
                    &full,
                    format!("expected a string, found {other}"),
                )),
            }
        };
        let boolean =
            |map: &serde_json::Map<String, Json>, key: &str, full: String| -> Result<bool> {
                match map.get(key) {
                    None | Some(Json::Null) => Ok(false),
                    Some(Json::Bool(b)) => Ok(*b),
                    Some(other) => Err(setting_error(
                        &full,
                        format!("expected a boolean, found {other}"),
                    )),
                }
            };
        // datasources.json files often carry numbers as strings (from environment variables).
        let number = |key: &str| -> Result<Option<u64>> {
            match map.get(key) {
                None | Some(Json::Null) => Ok(None),
                Some(Json::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64()),
                Some(Json::String(s)) if s.trim().parse::<u64>().is_ok() => {
                    Ok(s.trim().parse().ok())
                }
                Some(other) => Err(setting_error(
                    &key_path(key),
                    format!("expected a non-negative integer, found {other}"),
                )),
            }
        };
        let host = string(map, "host", key_path("host"))?
            .filter(|h| !h.trim().is_empty())
            .ok_or_else(|| {
                setting_error(&key_path("host"), "required for an `smtp` transport".into())
            })?;
        let mut config = SmtpConfig::new(host);
        config.port = match number("port")? {
            None => None,
            Some(p) => Some(u16::try_from(p).ok().filter(|p| *p > 0).ok_or_else(|| {
                setting_error(&key_path("port"), format!("{p} is not a TCP port"))
            })?),
        };
        config.secure = boolean(map, "secure", key_path("secure"))?;
        config.require_tls = boolean(map, "requireTLS", key_path("requireTLS"))?;
        config.ignore_tls = boolean(map, "ignoreTLS", key_path("ignoreTLS"))?;
        if config.require_tls && config.ignore_tls {
            return Err(setting_error(
                &key_path("ignoreTLS"),
                "cannot be combined with `requireTLS`".into(),
            ));
        }
        config.hello_name = string(map, "name", key_path("name"))?;
        let mut timeout = None;
        for key in ["connectionTimeout", "greetingTimeout", "socketTimeout"] {
            if let Some(ms) = number(key)? {
                timeout = Some(timeout.map_or(ms, |t: u64| t.max(ms)));
            }
        }
        config.timeout = timeout.map(Duration::from_millis);
        match map.get("auth") {
            None | Some(Json::Null) => {}
            Some(Json::Object(auth)) => {
                if let Some(key) = auth
                    .keys()
                    .find(|k| !["user", "pass"].contains(&k.as_str()))
                {
                    return Err(setting_error(
                        &key_path(&format!("auth.{key}")),
                        "unknown setting; expected user, pass".into(),
                    ));
                }
                let user = string(auth, "user", key_path("auth.user"))?.ok_or_else(|| {
                    setting_error(&key_path("auth.user"), "required with `auth`".into())
                })?;
                let pass = string(auth, "pass", key_path("auth.pass"))?.unwrap_or_default();
                config.auth = Some(SmtpAuth { user, pass });
            }
            Some(other) => {
                return Err(setting_error(
                    &key_path("auth"),
                    format!("expected an object, found {other}"),
                ))
            }
        }
        match map.get("tls") {
            None | Some(Json::Null) => {}
            Some(Json::Object(tls)) => {
                if let Some(key) = tls.keys().find(|k| k.as_str() != "rejectUnauthorized") {
                    return Err(setting_error(
                        &key_path(&format!("tls.{key}")),
                        "unknown setting; expected rejectUnauthorized".into(),
                    ));
                }
                config.accept_invalid_certs =
                    matches!(tls.get("rejectUnauthorized"), Some(Json::Bool(false)));
                if let Some(v) = tls.get("rejectUnauthorized").filter(|v| !v.is_boolean()) {
                    return Err(setting_error(
                        &key_path("tls.rejectUnauthorized"),
                        format!("expected a boolean, found {v}"),
                    ));
                }
            }
            Some(other) => {
                return Err(setting_error(
                    &key_path("tls"),
                    format!("expected an object, found {other}"),
                ))
            }
        }
        Ok(config)
    }
}

#[cfg(feature = "smtp")]
pub use transport::SmtpTransport;

#[cfg(feature = "smtp")]
mod transport {
    use async_trait::async_trait;
    use lettre::address::Envelope as LettreEnvelope;
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::transport::smtp::client::{Tls, TlsParameters};
    use lettre::transport::smtp::extension::ClientId;
    use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

    use super::SmtpConfig;
    use crate::error::{Error, Result};
    use crate::mail::{MailTransport, Message, SentMail};

    /// Delivers through an SMTP server (lettre, rustls with the webpki root certificates). A
    /// connection per message: the volume LoopBack sends (verification, password reset) does
    /// not justify a pool that must notice servers dropping idle connections.
    pub struct SmtpTransport {
        config: SmtpConfig,
        inner: AsyncSmtpTransport<Tokio1Executor>,
    }

    impl std::fmt::Debug for SmtpTransport {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("SmtpTransport")
                .field("config", &self.config)
                .finish()
        }
    }

    impl SmtpTransport {
        /// A transport for these settings. Fails when the TLS settings cannot be built.
        pub fn new(config: SmtpConfig) -> Result<Self> {
            let tls_params = || {
                TlsParameters::builder(config.host.clone())
                    .dangerous_accept_invalid_certs(config.accept_invalid_certs)
                    .build_rustls()
                    .map_err(|e| {
                        Error::Connector(format!("SMTP TLS settings for {}: {e}", config.host))
                    })
            };
            let tls = if config.secure {
                Tls::Wrapper(tls_params()?)
            } else if config.ignore_tls {
                Tls::None
            } else if config.require_tls {
                Tls::Required(tls_params()?)
            } else {
                Tls::Opportunistic(tls_params()?)
            };
            let mut builder =
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.clone())
                    .port(config.effective_port())
                    .tls(tls);
            if let Some(t) = config.timeout {
                builder = builder.timeout(Some(t));
            }
            if let Some(name) = &config.hello_name {
                builder = builder.hello_name(ClientId::Domain(name.clone()));
            }
            if let Some(auth) = &config.auth {
                builder =
                    builder.credentials(Credentials::new(auth.user.clone(), auth.pass.clone()));
            }
            Ok(SmtpTransport {
                inner: builder.build(),
                config,
            })
        }

        /// The settings.
        pub fn config(&self) -> &SmtpConfig {
            &self.config
        }
    }

    fn address(a: &str) -> Result<Address> {
        a.parse().map_err(|e| {
            Error::bad_request(format!(
                "email address `{a}` refused by the SMTP client: {e}"
            ))
        })
    }

    #[async_trait]
    impl MailTransport for SmtpTransport {
        async fn send(&self, message: &Message) -> Result<SentMail> {
            let rendered = message.render()?;
            let to = rendered
                .envelope
                .to
                .iter()
                .map(|a| address(a))
                .collect::<Result<Vec<_>>>()?;
            let envelope = LettreEnvelope::new(Some(address(&rendered.envelope.from)?), to)
                .map_err(|e| Error::bad_request(format!("email envelope: {e}")))?;
            let server = format!("{}:{}", self.config.host, self.config.effective_port());
            // lettre ends DATA with `\r\n.\r\n` whatever the text ends with; without this the
            // server would store one extra empty line.
            let wire = rendered.raw.strip_suffix("\r\n").unwrap_or(&rendered.raw);
            let response = self
                .inner
                .send_raw(&envelope, wire.as_bytes())
                .await
                .map_err(|e| {
                    // A permanent (5xx) answer will fail again; anything else (connection,
                    // timeout, TLS, 4xx) may pass later, which is what 503 tells the caller.
                    if e.is_permanent() {
                        Error::Connector(format!("SMTP server {server} refused the message: {e}"))
                    } else {
                        Error::Unavailable(format!("SMTP server {server}: {e}"))
                    }
                })?;
            let reply = format!(
                "{} {}",
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            );
            Ok(SentMail::delivered(rendered, reply))
        }
    }
}
