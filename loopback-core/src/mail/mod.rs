//! Sending email: LoopBack 3's `Email` model and `mail` connector.
//!
//! A [`Message`] (LB3's `Email.send` options, see [`Message::from_lb3_json`]) is validated, rendered
//! as RFC 5322 text and handed to a [`MailTransport`]. A [`Mailer`] holds the transports of one
//! data source, the first being the default, and is built in Rust or from a `datasources.json`
//! entry with [`Mailer::from_lb3_settings`]:
//!
//! ```json
//! { "name": "email", "connector": "mail",
//!   "transports": [{ "type": "SMTP", "host": "smtp.example.com", "secure": true, "port": 465,
//!                    "auth": { "user": "u", "pass": "p" } }] }
//! ```
//!
//! Transports: [`MemoryTransport`] (LB3's `stub`), [`FileTransport`] (`.eml` files),
//! [`LogTransport`] (`tracing`), and `SmtpTransport` with the `smtp` feature. See `docs/mail.md`.
//!
//! [`EjsTemplate`] renders the EJS templates of LB3's emails (the part of EJS that needs no
//! JavaScript).

mod address;
mod render;
mod smtp;
mod template;
mod transport;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::error::{Error, Result};

pub use address::Mailbox;
#[cfg(feature = "smtp")]
pub use smtp::SmtpTransport;
pub use smtp::{SmtpAuth, SmtpConfig};
pub use template::{EjsTemplate, TemplateError, TemplateErrorKind};
pub use transport::{FileTransport, LogTransport, MemoryTransport};

/// One email, with LB3's (nodemailer's) option names in their Rust spelling.
///
/// Each of `from`, `to`, `cc`, `bcc` and `reply_to` holds mailbox text: `ann@example.com`,
/// `Ann <ann@example.com>`, or (for the recipient fields) a comma-separated list of those. Nothing
/// is checked until [`Message::validate`] or a send; [`MessageBuilder::build`] checks at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// The sender, required.
    pub from: Option<String>,
    /// Primary recipients.
    pub to: Vec<String>,
    /// Carbon-copy recipients.
    pub cc: Vec<String>,
    /// Blind-copy recipients: in the SMTP envelope, never in the rendered headers.
    pub bcc: Vec<String>,
    /// Where replies go, when not to `from`.
    pub reply_to: Option<String>,
    /// The subject; may be empty, may be non-ASCII.
    pub subject: String,
    /// The plain-text body.
    pub text: Option<String>,
    /// The HTML body; with `text` too, the message is multipart/alternative.
    pub html: Option<String>,
    /// Extra headers, in order. The headers the renderer writes itself (From, To, Subject,
    /// Content-Type, ...) cannot be set here.
    pub headers: Vec<(String, String)>,
    /// The transport to use, by alias or type (LB3's `transport` option); `None` for the default.
    pub transport: Option<String>,
}

/// Headers the renderer writes itself; letting a caller set them would produce duplicates or a
/// message whose MIME structure lies.
const RESERVED_HEADERS: &[&str] = &[
    "date",
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "bcc",
    "subject",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
];

impl Message {
    /// A builder; [`MessageBuilder::build`] validates.
    pub fn builder() -> MessageBuilder {
        MessageBuilder::default()
    }

    /// A message from LB3's `Email.send` options: `from`, `to`, `cc`, `bcc` (each a string,
    /// possibly comma-separated, an array of strings, or `{name, address}` objects), `replyTo`,
    /// `subject`, `text`, `html`, `headers` (an object, or an array of `{key, value}`) and
    /// `transport`.
    ///
    /// Other keys are ignored, as nodemailer does: LB3's `User.verify` passes its whole options
    /// object (`type`, `redirect`, `template`, ...). Non-empty `attachments` are refused rather
    /// than silently dropped. The result is validated.
    pub fn from_lb3_json(options: &Json) -> Result<Self> {
        let map = match options {
            Json::Object(map) => map,
            other => {
                return Err(Error::bad_request(format!(
                    "email options must be an object, not {other}"
                )))
            }
        };
        let text = |key: &str| -> Result<Option<String>> {
            match map.get(key) {
                None | Some(Json::Null) => Ok(None),
                Some(Json::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(Error::bad_request(format!(
                    "email `{key}` must be a string, not {other}"
                ))),
            }
        };
        let addresses = |key: &str| -> Result<Vec<String>> {
            match map.get(key) {
                None | Some(Json::Null) => Ok(Vec::new()),
                Some(Json::Array(items)) => items.iter().map(|v| address_json(key, v)).collect(),
                Some(v) => Ok(vec![address_json(key, v)?]),
            }
        };
        let single = |key: &str| -> Result<Option<String>> {
            match map.get(key) {
                None | Some(Json::Null) => Ok(None),
                Some(v) => address_json(key, v).map(Some),
            }
        };
        match map.get("attachments") {
            None | Some(Json::Null) => {}
            Some(Json::Array(a)) if a.is_empty() => {}
            Some(_) => return Err(Error::bad_request("email `attachments` are not supported")),
        }
        let headers = match map.get("headers") {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Object(h)) => h
                .iter()
                .map(|(k, v)| Ok((k.clone(), header_value_json(k, v)?)))
                .collect::<Result<_>>()?,
            Some(Json::Array(items)) => items
                .iter()
                .map(|item| match (item.get("key"), item.get("value")) {
                    (Some(Json::String(k)), Some(v)) => Ok((k.clone(), header_value_json(k, v)?)),
                    _ => Err(Error::bad_request(format!(
                        "email `headers` entries must be {{\"key\": ..., \"value\": ...}}, not {item}"
                    ))),
                })
                .collect::<Result<_>>()?,
            Some(other) => {
                return Err(Error::bad_request(format!("email `headers` must be an object, not {other}")))
            }
        };
        let message = Message {
            from: single("from")?,
            to: addresses("to")?,
            cc: addresses("cc")?,
            bcc: addresses("bcc")?,
            reply_to: single("replyTo")?,
            subject: text("subject")?.unwrap_or_default(),
            text: text("text")?,
            html: text("html")?,
            headers,
            transport: text("transport")?,
        };
        message.validate()?;
        Ok(message)
    }

    /// Checks what a transport relies on: a valid `from`, at least one valid recipient, valid
    /// `reply_to`, header names, and no CR/LF in any header (header injection). Errors are
    /// [`Error::BadRequest`] (HTTP 400) naming the field.
    pub fn validate(&self) -> Result<()> {
        self.parsed().map(|_| ())
    }

    /// The SMTP envelope: the sender's address, and every `to`, `cc` and `bcc` address
    /// (deduplicated, in that order).
    pub fn envelope(&self) -> Result<Envelope> {
        Ok(self.parsed()?.envelope())
    }

    /// Validates and renders the message as RFC 5322 text with a fresh Message-ID and the current
    /// date. Transports call this; it is public for custom [`MailTransport`]s.
    pub fn render(&self) -> Result<RenderedMessage> {
        let parsed = self.parsed()?;
        let id = uuid::Uuid::new_v4().simple().to_string();
        let message_id = format!("<{id}@{}>", parsed.from.domain());
        let raw = render::render(
            &render::Parts {
                from: &parsed.from,
                reply_to: parsed.reply_to.as_ref(),
                to: &parsed.to,
                cc: &parsed.cc,
                subject: &self.subject,
                text: self.text.as_deref(),
                html: self.html.as_deref(),
                headers: &self.headers,
            },
            &message_id,
            chrono::Utc::now(),
            &format!("=_{id}"),
        );
        Ok(RenderedMessage {
            message_id,
            envelope: parsed.envelope(),
            raw,
        })
    }

    fn parsed(&self) -> Result<Parsed> {
        let bad = |field: &str, why: String| Error::bad_request(format!("email `{field}`: {why}"));
        let one = |field: &str, value: &Option<String>| -> Result<Option<Mailbox>> {
            match value {
                None => Ok(None),
                Some(v) => Mailbox::parse(v).map(Some).map_err(|e| bad(field, e)),
            }
        };
        let list = |field: &str, values: &[String]| -> Result<Vec<Mailbox>> {
            let mut out = Vec::new();
            for v in values {
                out.extend(Mailbox::parse_list(v).map_err(|e| bad(field, e))?);
            }
            Ok(out)
        };
        let from =
            one("from", &self.from)?.ok_or_else(|| bad("from", "a sender is required".into()))?;
        let reply_to = one("replyTo", &self.reply_to)?;
        let (to, cc, bcc) = (
            list("to", &self.to)?,
            list("cc", &self.cc)?,
            list("bcc", &self.bcc)?,
        );
        if to.is_empty() && cc.is_empty() && bcc.is_empty() {
            return Err(bad(
                "to",
                "at least one recipient (to, cc or bcc) is required".into(),
            ));
        }
        address::reject_line_breaks(&self.subject).map_err(|e| bad("subject", e))?;
        for (name, value) in &self.headers {
            let name_ok =
                !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':');
            if !name_ok {
                return Err(bad(
                    "headers",
                    format!("`{name}` is not a valid header name"),
                ));
            }
            if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                return Err(bad(
                    "headers",
                    format!(
                        "`{name}` is set from the message fields and cannot be given as a header"
                    ),
                ));
            }
            address::reject_line_breaks(value).map_err(|e| bad(&format!("headers.{name}"), e))?;
        }
        Ok(Parsed {
            from,
            reply_to,
            to,
            cc,
            bcc,
        })
    }
}

/// A recipient or sender in LB3 options: a string or a nodemailer `{name, address}` object.
fn address_json(key: &str, value: &Json) -> Result<String> {
    match value {
        Json::String(s) => Ok(s.clone()),
        Json::Object(o) => {
            let address = match o.get("address") {
                Some(Json::String(a)) => a.clone(),
                _ => {
                    return Err(Error::bad_request(format!(
                        "email `{key}`: an address object needs an `address` string"
                    )))
                }
            };
            let name = match o.get("name") {
                Some(Json::String(n)) => Some(n.clone()),
                None | Some(Json::Null) => None,
                Some(other) => {
                    return Err(Error::bad_request(format!(
                        "email `{key}`: `name` must be a string, not {other}"
                    )))
                }
            };
            Mailbox::new(name, address)
                .map(|m| m.to_string())
                .map_err(|e| Error::bad_request(format!("email `{key}`: {e}")))
        }
        other => Err(Error::bad_request(format!(
            "email `{key}` must be an address string or array, not {other}"
        ))),
    }
}

fn header_value_json(name: &str, value: &Json) -> Result<String> {
    match value {
        Json::String(s) => Ok(s.clone()),
        Json::Number(n) => Ok(n.to_string()),
        Json::Bool(b) => Ok(b.to_string()),
        other => Err(Error::bad_request(format!(
            "email header `{name}` must be a string, not {other}"
        ))),
    }
}

struct Parsed {
    from: Mailbox,
    reply_to: Option<Mailbox>,
    to: Vec<Mailbox>,
    cc: Vec<Mailbox>,
    bcc: Vec<Mailbox>,
}

impl Parsed {
    fn envelope(&self) -> Envelope {
        let mut to: Vec<String> = Vec::new();
        for m in self.to.iter().chain(&self.cc).chain(&self.bcc) {
            if !to.iter().any(|a| a.eq_ignore_ascii_case(&m.address)) {
                to.push(m.address.clone());
            }
        }
        Envelope {
            from: self.from.address.clone(),
            to,
        }
    }
}

/// Builds a [`Message`]; [`MessageBuilder::build`] validates it.
#[derive(Debug, Clone, Default)]
pub struct MessageBuilder {
    message: Message,
}

impl MessageBuilder {
    /// Sets the sender.
    pub fn from(mut self, from: impl Into<String>) -> Self {
        self.message.from = Some(from.into());
        self
    }

    /// Adds a recipient (or a comma-separated list).
    pub fn to(mut self, to: impl Into<String>) -> Self {
        self.message.to.push(to.into());
        self
    }

    /// Adds a carbon-copy recipient (or a comma-separated list).
    pub fn cc(mut self, cc: impl Into<String>) -> Self {
        self.message.cc.push(cc.into());
        self
    }

    /// Adds a blind-copy recipient (or a comma-separated list).
    pub fn bcc(mut self, bcc: impl Into<String>) -> Self {
        self.message.bcc.push(bcc.into());
        self
    }

    /// Sets the Reply-To mailbox.
    pub fn reply_to(mut self, reply_to: impl Into<String>) -> Self {
        self.message.reply_to = Some(reply_to.into());
        self
    }

    /// Sets the subject.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.message.subject = subject.into();
        self
    }

    /// Sets the plain-text body.
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.message.text = Some(text.into());
        self
    }

    /// Sets the HTML body.
    pub fn html(mut self, html: impl Into<String>) -> Self {
        self.message.html = Some(html.into());
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.message.headers.push((name.into(), value.into()));
        self
    }

    /// Picks a transport of the [`Mailer`] by alias or type.
    pub fn transport(mut self, name: impl Into<String>) -> Self {
        self.message.transport = Some(name.into());
        self
    }

    /// The message, once [`Message::validate`] accepts it.
    pub fn build(self) -> Result<Message> {
        self.message.validate()?;
        Ok(self.message)
    }
}

/// SMTP envelope: who the message is from and who receives it (Bcc included), as bare addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The sender address (`MAIL FROM`).
    pub from: String,
    /// Every recipient address (`RCPT TO`).
    pub to: Vec<String>,
}

/// A message rendered for delivery, from [`Message::render`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMessage {
    /// The Message-ID header, with its angle brackets.
    pub message_id: String,
    /// The SMTP envelope.
    pub envelope: Envelope,
    /// The RFC 5322 text, CRLF line ends.
    pub raw: String,
}

/// What a transport reports for a delivered message; LB3 passes it back as `Email.send`'s
/// result. Serialises with nodemailer's names (`messageId`, `envelope`, `accepted`, `response`,
/// `message`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentMail {
    /// The Message-ID header, with its angle brackets.
    pub message_id: String,
    /// The envelope used.
    pub envelope: Envelope,
    /// The recipient addresses the transport accepted.
    pub accepted: Vec<String>,
    /// The transport's answer: the SMTP server's final reply, the file written, ...
    pub response: String,
    /// The RFC 5322 text that was delivered.
    #[serde(rename = "message")]
    pub raw: String,
}

impl SentMail {
    /// A report for a rendered message every envelope recipient of which was accepted.
    pub fn delivered(rendered: RenderedMessage, response: impl Into<String>) -> Self {
        SentMail {
            message_id: rendered.message_id,
            accepted: rendered.envelope.to.clone(),
            envelope: rendered.envelope,
            response: response.into(),
            raw: rendered.raw,
        }
    }
}

/// Delivers messages. Implementations render with [`Message::render`], which validates.
#[async_trait]
pub trait MailTransport: Send + Sync + fmt::Debug {
    /// Delivers one message.
    async fn send(&self, message: &Message) -> Result<SentMail>;
}

#[derive(Debug)]
struct Named {
    name: String,
    transport: Arc<dyn MailTransport>,
}

#[derive(Debug, Default)]
struct MailerInner {
    transports: Vec<Named>,
    memory: Option<MemoryTransport>,
    debug: bool,
}

/// The transports of one mail data source, in order; the first is the default. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Mailer {
    inner: Arc<MailerInner>,
}

/// Builds a [`Mailer`].
#[derive(Debug, Default)]
pub struct MailerBuilder {
    inner: MailerInner,
}

impl MailerBuilder {
    /// Adds a transport under `name` (LB3: the transport's `alias`, else its type in lower case),
    /// the name a [`Message::transport`] selects it by.
    pub fn transport(
        mut self,
        name: impl Into<String>,
        transport: impl MailTransport + 'static,
    ) -> Self {
        // Kept aside so tests of LB3 `stub` data sources can read what was sent.
        if self.inner.memory.is_none() {
            let any: &dyn std::any::Any = &transport;
            self.inner.memory = any.downcast_ref::<MemoryTransport>().cloned();
        }
        self.inner.transports.push(Named {
            name: name.into(),
            transport: Arc::new(transport),
        });
        self
    }

    /// Logs every message sent (LB3's `debug` data source setting).
    pub fn debug(mut self, debug: bool) -> Self {
        self.inner.debug = debug;
        self
    }

    /// The mailer.
    pub fn build(self) -> Mailer {
        Mailer {
            inner: Arc::new(self.inner),
        }
    }
}

impl Mailer {
    /// A mailer with one transport, named `default`.
    pub fn new(transport: impl MailTransport + 'static) -> Self {
        Mailer::builder().transport("default", transport).build()
    }

    /// A builder.
    pub fn builder() -> MailerBuilder {
        MailerBuilder::default()
    }

    /// A mailer from a `datasources.json` entry of the `mail` connector: `name`, `connector`,
    /// `debug`, and `transports` (or a single `transport`), each with a case-insensitive `type`
    /// (`stub`, `smtp`, `file`, `log`; default `stub`, as in LB3) and an optional `alias`.
    ///
    /// Unknown keys, unknown types and wrong value types are [`Error::Connector`] errors naming
    /// the key, e.g. `email.transports[0].type`.
    pub fn from_lb3_settings(settings: &Json) -> Result<Self> {
        let map = match settings {
            Json::Object(map) => map,
            other => {
                return Err(Error::Connector(format!(
                    "mail data source settings must be an object, not {other}"
                )))
            }
        };
        let root = match map.get("name") {
            Some(Json::String(name)) if !name.is_empty() => name.clone(),
            _ => "mail".to_owned(),
        };
        let bad = |key: &str, why: String| setting_error(&format!("{root}.{key}"), why);
        const KEYS: &[&str] = &["name", "connector", "debug", "transports", "transport"];
        if let Some(key) = map.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(bad(
                key,
                format!("unknown setting; expected one of: {}", KEYS.join(", ")),
            ));
        }
        match map.get("connector") {
            None | Some(Json::Null) => {}
            Some(Json::String(c)) if c == "mail" || c == "loopback/lib/connectors/mail" => {}
            Some(other) => {
                return Err(bad(
                    "connector",
                    format!("expected \"mail\", found {other}"),
                ))
            }
        }
        let debug = match map.get("debug") {
            None | Some(Json::Null) => false,
            Some(Json::Bool(b)) => *b,
            Some(other) => return Err(bad("debug", format!("expected a boolean, found {other}"))),
        };
        let entries: Vec<(String, &Json)> = match (map.get("transports"), map.get("transport")) {
            (Some(_), Some(_)) => {
                return Err(bad(
                    "transport",
                    "give either `transports` or `transport`, not both".into(),
                ))
            }
            (Some(Json::Array(items)), None) => items
                .iter()
                .enumerate()
                .map(|(i, t)| (format!("{root}.transports[{i}]"), t))
                .collect(),
            (Some(other), None) => {
                return Err(bad(
                    "transports",
                    format!("expected an array, found {other}"),
                ))
            }
            (None, Some(t)) => vec![(format!("{root}.transport"), t)],
            (None, None) => Vec::new(),
        };
        let mut builder = Mailer::builder().debug(debug);
        for (path, entry) in entries {
            builder = transport::add_from_settings(builder, &path, entry)?;
        }
        Ok(builder.build())
    }

    /// Sends with the transport the message names (by alias or type), else the default (first).
    ///
    /// Unlike LB3, which warns and reports success, a mailer without transports (or a message
    /// naming a transport it does not have) fails with [`Error::Connector`]: a verification
    /// email that silently goes nowhere is worse than an error.
    pub async fn send(&self, message: &Message) -> Result<SentMail> {
        message.validate()?;
        let transport = match &message.transport {
            Some(name) => self.transport(name).ok_or_else(|| {
                Error::Connector(format!("mail transport `{name}` is not configured"))
            })?,
            None => self
                .default_transport()
                .ok_or_else(|| Error::Connector("no mail transport is configured".into()))?,
        };
        let sent = transport.send(message).await?;
        if self.inner.debug {
            tracing::info!(
                target: "loopback::mail",
                message_id = %sent.message_id,
                from = %sent.envelope.from,
                to = ?sent.envelope.to,
                subject = %message.subject,
                "sent mail"
            );
        }
        Ok(sent)
    }

    /// The transport with this name, or, failing that, with this type (case-insensitive).
    pub fn transport(&self, name: &str) -> Option<Arc<dyn MailTransport>> {
        let t = &self.inner.transports;
        t.iter()
            .find(|n| n.name == name)
            .or_else(|| t.iter().find(|n| n.name.eq_ignore_ascii_case(name)))
            .map(|n| Arc::clone(&n.transport))
    }

    /// The first transport.
    pub fn default_transport(&self) -> Option<Arc<dyn MailTransport>> {
        self.inner
            .transports
            .first()
            .map(|n| Arc::clone(&n.transport))
    }

    /// The names of the transports, in order.
    pub fn transport_names(&self) -> Vec<&str> {
        self.inner
            .transports
            .iter()
            .map(|n| n.name.as_str())
            .collect()
    }

    /// The first [`MemoryTransport`] (LB3 `stub`), sharing its store: how tests read what was
    /// sent through a mailer configured from settings.
    pub fn memory(&self) -> Option<MemoryTransport> {
        self.inner.memory.clone()
    }
}

pub(crate) fn setting_error(path: &str, why: String) -> Error {
    Error::Connector(format!("mail data source setting `{path}`: {why}"))
}

/// A settings entry that must be an object.
pub(crate) fn settings_object<'a>(
    entry: &'a serde_json::Value,
    path: &str,
) -> Result<&'a serde_json::Map<String, serde_json::Value>> {
    match entry {
        serde_json::Value::Object(map) => Ok(map),
        other => Err(setting_error(
            path,
            format!("expected an object, found {other}"),
        )),
    }
}

#[cfg(test)]
mod tests;
