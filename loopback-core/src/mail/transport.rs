//! The transports without network access: memory (LB3's `stub`), `.eml` files and logging.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use serde_json::Value as Json;

use super::{setting_error, settings_object, MailTransport, MailerBuilder, Message, SentMail};
use crate::error::{Error, Result};

/// Keeps every message it is given; LB3's `stub` transport. Clones share the same store.
#[derive(Debug, Clone, Default)]
pub struct MemoryTransport {
    sent: Arc<Mutex<Vec<(Message, SentMail)>>>,
}

impl MemoryTransport {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The reports of the messages sent so far, oldest first.
    pub fn sent(&self) -> Vec<SentMail> {
        self.lock().iter().map(|(_, s)| s.clone()).collect()
    }

    /// The messages sent so far, as given, oldest first.
    pub fn messages(&self) -> Vec<Message> {
        self.lock().iter().map(|(m, _)| m.clone()).collect()
    }

    /// Forgets the messages sent so far.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> MutexGuard<'_, Vec<(Message, SentMail)>> {
        // A panic elsewhere while holding the lock leaves a Vec that is still consistent.
        self.sent.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl MailTransport for MemoryTransport {
    async fn send(&self, message: &Message) -> Result<SentMail> {
        let sent = SentMail::delivered(message.render()?, "250 stored in memory");
        self.lock().push((message.clone(), sent.clone()));
        Ok(sent)
    }
}

/// Writes each message as an RFC 5322 `.eml` file into a directory (created when missing), for
/// development and for tests that inspect mail with ordinary tools.
#[derive(Debug, Clone)]
pub struct FileTransport {
    dir: PathBuf,
}

impl FileTransport {
    /// Writes into `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        FileTransport { dir: dir.into() }
    }

    /// The directory written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[async_trait]
impl MailTransport for FileTransport {
    async fn send(&self, message: &Message) -> Result<SentMail> {
        let rendered = message.render()?;
        let io = |what: &str, path: &Path, e: std::io::Error| {
            Error::Connector(format!(
                "mail file transport: cannot {what} {}: {e}",
                path.display()
            ))
        };
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| io("create", &self.dir, e))?;
        let stem = rendered
            .message_id
            .trim_matches(['<', '>'])
            .replace(['/', '\\'], "_");
        let path = self.dir.join(format!("{stem}.eml"));
        // Written under a temporary name and renamed, so a watcher never reads half a message.
        let partial = self.dir.join(format!(".{stem}.eml.partial"));
        tokio::fs::write(&partial, rendered.raw.as_bytes())
            .await
            .map_err(|e| io("write", &partial, e))?;
        tokio::fs::rename(&partial, &path)
            .await
            .map_err(|e| io("rename to", &path, e))?;
        Ok(SentMail::delivered(rendered, path.display().to_string()))
    }
}

/// Logs each message through `tracing` (target `loopback::mail`): a summary at INFO, the full
/// text at DEBUG. Delivers nothing.
#[derive(Debug, Clone, Default)]
pub struct LogTransport;

impl LogTransport {
    /// A log transport.
    pub fn new() -> Self {
        LogTransport
    }
}

#[async_trait]
impl MailTransport for LogTransport {
    async fn send(&self, message: &Message) -> Result<SentMail> {
        let rendered = message.render()?;
        tracing::info!(
            target: "loopback::mail",
            message_id = %rendered.message_id,
            from = %rendered.envelope.from,
            to = ?rendered.envelope.to,
            subject = %message.subject,
            "mail (log transport, not delivered)"
        );
        tracing::debug!(target: "loopback::mail", message = %rendered.raw, "mail text");
        Ok(SentMail::delivered(rendered, "250 logged"))
    }
}

/// Adds the transport described by one entry of a mail data source's `transports`.
pub(super) fn add_from_settings(
    builder: MailerBuilder,
    path: &str,
    entry: &Json,
) -> Result<MailerBuilder> {
    let map = settings_object(entry, path)?;
    let string = |key: &str| -> Result<Option<&str>> {
        match map.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) => Ok(Some(s)),
            Some(other) => Err(setting_error(
                &format!("{path}.{key}"),
                format!("expected a string, found {other}"),
            )),
        }
    };
    let kind = string("type")?.unwrap_or("stub").to_ascii_lowercase();
    let name = string("alias")?.map_or_else(|| kind.clone(), str::to_owned);
    let only = |allowed: &[&str]| -> Result<()> {
        match map
            .keys()
            .find(|k| !allowed.contains(&k.as_str()) && !["type", "alias"].contains(&k.as_str()))
        {
            Some(key) => Err(setting_error(
                &format!("{path}.{key}"),
                format!("unknown setting for a `{kind}` transport"),
            )),
            None => Ok(()),
        }
    };
    Ok(match kind.as_str() {
        "stub" => {
            only(&[])?;
            builder.transport(name, MemoryTransport::new())
        }
        "log" => {
            only(&[])?;
            builder.transport(name, LogTransport::new())
        }
        "file" => {
            only(&["directory"])?;
            let dir = string("directory")?.ok_or_else(|| {
                setting_error(
                    &format!("{path}.directory"),
                    "required for a `file` transport".into(),
                )
            })?;
            builder.transport(name, FileTransport::new(dir))
        }
        "smtp" => {
            let config = super::SmtpConfig::from_lb3_settings(entry, path)?;
            add_smtp(builder, name, config, path)?
        }
        other => {
            return Err(setting_error(
                &format!("{path}.type"),
                format!("unknown transport type `{other}`; expected one of: stub, smtp, file, log"),
            ))
        }
    })
}

#[cfg(feature = "smtp")]
fn add_smtp(
    builder: MailerBuilder,
    name: String,
    config: super::SmtpConfig,
    _path: &str,
) -> Result<MailerBuilder> {
    Ok(builder.transport(name, super::SmtpTransport::new(config)?))
}

#[cfg(not(feature = "smtp"))]
fn add_smtp(
    _: MailerBuilder,
    _: String,
    _: super::SmtpConfig,
    path: &str,
) -> Result<MailerBuilder> {
    Err(setting_error(
        &format!("{path}.type"),
        "the SMTP transport needs the `smtp` feature of loopback (or loopback-core)".into(),
    ))
}
