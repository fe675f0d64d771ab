use serde_json::json;

use super::*;

fn message() -> Message {
    Message::builder()
        .from("Ann Lee <ann@example.com>")
        .to("bob@example.com, \"Lee, Cy\" <cy@example.com>")
        .cc("dee@example.com")
        .bcc("eve@example.com")
        .reply_to("help@example.com")
        .subject("Bestätigen Sie Ihre E-Mail-Adresse ✓")
        .text("Hello Bob,\n.please verify: https://example.com/verify?token=abc\n")
        .html("<p>Hello <b>Bob</b>, café</p>")
        .header("X-Campaign", "verify")
        .build()
        .unwrap()
}

fn bad_request(result: Result<impl std::fmt::Debug>) -> String {
    match result {
        Err(e @ Error::BadRequest { .. }) => {
            assert_eq!(e.status(), 400);
            e.to_string()
        }
        other => panic!("expected a bad request, got {other:?}"),
    }
}

fn connector_error(result: Result<Mailer>) -> String {
    match result {
        Err(Error::Connector(m)) => m,
        other => panic!("expected a connector error, got {other:?}"),
    }
}

#[test]
fn validation_requires_sender_and_recipient() {
    let e = bad_request(Message::builder().to("a@example.com").build());
    assert!(e.contains("`from`") && e.contains("required"), "{e}");
    let e = bad_request(Message::builder().from("a@example.com").build());
    assert!(e.contains("recipient"), "{e}");
    // A Bcc alone is a recipient.
    assert!(Message::builder()
        .from("a@example.com")
        .bcc("b@example.com")
        .build()
        .is_ok());
    let e = bad_request(
        Message::builder()
            .from("a@example.com")
            .to("b@example.com, not-an-address")
            .build(),
    );
    assert!(e.contains("`to`") && e.contains("not-an-address"), "{e}");
    let e = bad_request(
        Message::builder()
            .from("a@example")
            .to("b@example.com")
            .reply_to("x@")
            .build(),
    );
    assert!(e.contains("`replyTo`"), "{e}");
}

#[test]
fn validation_blocks_header_injection() {
    let base = || Message::builder().from("a@example.com").to("b@example.com");
    let cases = [
        (
            "subject",
            base().subject("Hi\r\nBcc: victim@example.com").build(),
        ),
        ("subject", base().subject("Hi\nX: y").build()),
        (
            "to",
            base()
                .to("c@example.com\r\nBcc: victim@example.com")
                .build(),
        ),
        (
            "from",
            Message::builder()
                .from("a@example.com\nBcc: v@example.com")
                .to("b@example.com")
                .build(),
        ),
        ("cc", base().cc("Name\r <c@example.com>").build()),
        (
            "headers.X-Tag",
            base()
                .header("X-Tag", "ok\r\nBcc: victim@example.com")
                .build(),
        ),
    ];
    for (field, result) in cases {
        let e = bad_request(result);
        assert!(
            e.contains(&format!("`{field}`")) && e.contains("CR/LF"),
            "{field}: {e}"
        );
    }
    let e = bad_request(base().header("Bad Name", "v").build());
    assert!(e.contains("valid header name"), "{e}");
    let e = bad_request(base().header("X-A:b", "v").build());
    assert!(e.contains("valid header name"), "{e}");
    let e = bad_request(base().header("bcc", "v@example.com").build());
    assert!(e.contains("cannot be given as a header"), "{e}");
}

#[test]
fn from_lb3_json_accepts_lb3_option_names() {
    let m = Message::from_lb3_json(&json!({
        "type": "email",
        "redirect": "/",
        "from": "noreply@example.com",
        "to": "a@example.com, B <b@example.com>",
        "cc": ["c@example.com", {"name": "Dee, D", "address": "d@example.com"}],
        "bcc": "e@example.com",
        "replyTo": "r@example.com",
        "subject": "Thanks for registering",
        "text": "plain",
        "html": "<b>html</b>",
        "headers": {"X-Priority": 1, "X-Tag": "t"},
        "transport": "smtp",
        "attachments": [],
    }))
    .unwrap();
    assert_eq!(m.from.as_deref(), Some("noreply@example.com"));
    assert_eq!(m.to, ["a@example.com, B <b@example.com>"]);
    assert_eq!(m.cc, ["c@example.com", "\"Dee, D\" <d@example.com>"]);
    assert_eq!(m.reply_to.as_deref(), Some("r@example.com"));
    assert_eq!(
        m.headers,
        [
            ("X-Priority".into(), "1".into()),
            ("X-Tag".into(), "t".into())
        ]
    );
    assert_eq!(m.transport.as_deref(), Some("smtp"));
    assert_eq!(
        m.envelope().unwrap().to,
        [
            "a@example.com",
            "b@example.com",
            "c@example.com",
            "d@example.com",
            "e@example.com"
        ]
    );

    let m = Message::from_lb3_json(&json!({
        "from": "x@example.com", "to": "y@example.com",
        "headers": [{"key": "X-A", "value": "1"}]
    }))
    .unwrap();
    assert_eq!(m.headers, [("X-A".into(), "1".into())]);
    assert_eq!(m.subject, "");

    for (options, needle) in [
        (json!("x"), "must be an object"),
        (json!({"from": "x@example.com", "to": 5}), "`to`"),
        (
            json!({"from": "x@example.com", "to": "y@example.com", "subject": 1}),
            "`subject`",
        ),
        (
            json!({"from": "x@example.com", "to": "y@example.com", "attachments": [{"path": "/etc/passwd"}]}),
            "attachments",
        ),
        (
            json!({"from": "x@example.com", "to": "y@example.com", "headers": "X: y"}),
            "`headers`",
        ),
        (
            json!({"from": "x@example.com", "to": [{"name": "n"}]}),
            "`address`",
        ),
        (json!({"to": "y@example.com"}), "`from`"),
    ] {
        let e = bad_request(Message::from_lb3_json(&options));
        assert!(e.contains(needle), "{options}: {e}");
    }
}

#[test]
fn envelope_includes_bcc_and_deduplicates() {
    let m = Message::builder()
        .from("a@example.com")
        .to("b@example.com")
        .cc("B@example.com")
        .bcc("c@example.com")
        .build()
        .unwrap();
    let env = m.envelope().unwrap();
    assert_eq!(env.from, "a@example.com");
    assert_eq!(env.to, ["b@example.com", "c@example.com"]);
}

#[test]
fn renders_a_parseable_multipart_message() {
    let rendered = message().render().unwrap();
    let raw = &rendered.raw;
    assert!(raw.split("\r\n").all(|l| l.len() <= 998));
    assert!(!raw.replace("\r\n", "").contains('\n'), "bare LF in output");
    assert!(
        !raw.to_ascii_lowercase().contains("bcc"),
        "Bcc leaked into the headers:\n{raw}"
    );
    assert!(!raw.contains("eve@example.com"));
    assert!(raw.is_ascii(), "8-bit data in a 7-bit message");

    let parsed = mailparse::parse_mail(raw.as_bytes()).unwrap();
    let header = |name: &str| {
        use mailparse::MailHeaderMap;
        parsed
            .headers
            .get_first_value(name)
            .unwrap_or_else(|| panic!("no {name} header"))
    };
    assert_eq!(header("From"), "Ann Lee <ann@example.com>");
    assert_eq!(
        header("To"),
        "bob@example.com, \"Lee, Cy\" <cy@example.com>"
    );
    assert_eq!(header("Cc"), "dee@example.com");
    assert_eq!(header("Reply-To"), "help@example.com");
    assert_eq!(header("Subject"), "Bestätigen Sie Ihre E-Mail-Adresse ✓");
    assert_eq!(header("X-Campaign"), "verify");
    assert_eq!(header("MIME-Version"), "1.0");
    assert_eq!(header("Message-ID"), rendered.message_id);
    assert!(rendered.message_id.starts_with('<') && rendered.message_id.ends_with("@example.com>"));
    let date = mailparse::dateparse(&header("Date")).unwrap();
    assert!((chrono::Utc::now().timestamp() - date).abs() < 60);

    assert_eq!(parsed.ctype.mimetype, "multipart/alternative");
    assert_eq!(parsed.subparts.len(), 2);
    assert_eq!(parsed.subparts[0].ctype.mimetype, "text/plain");
    assert_eq!(
        parsed.subparts[0].get_body().unwrap(),
        "Hello Bob,\r\n.please verify: https://example.com/verify?token=abc\r\n"
    );
    assert_eq!(parsed.subparts[1].ctype.mimetype, "text/html");
    assert_eq!(parsed.subparts[1].ctype.charset, "utf-8");
    assert_eq!(
        parsed.subparts[1].get_body().unwrap(),
        "<p>Hello <b>Bob</b>, café</p>"
    );

    // Each render gets its own Message-ID.
    assert_ne!(message().render().unwrap().message_id, rendered.message_id);
}

#[test]
fn renders_single_part_messages_with_exact_headers() {
    let date = chrono::DateTime::parse_from_rfc3339("2024-03-01T10:20:30Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let from = Mailbox::parse("Zoë <z@example.com>").unwrap();
    let to = [Mailbox::parse("a@example.com").unwrap()];
    let raw = render::render(
        &render::Parts {
            from: &from,
            reply_to: None,
            to: &to,
            cc: &[],
            subject: "Hi",
            text: None,
            html: Some("<p>x</p>"),
            headers: &[],
        },
        "<id@example.com>",
        date,
        "unused",
    );
    assert_eq!(
        raw,
        "Date: Fri, 1 Mar 2024 10:20:30 +0000\r\n\
         From: =?UTF-8?B?Wm/Dqw==?= <z@example.com>\r\n\
         To: a@example.com\r\n\
         Subject: Hi\r\n\
         Message-ID: <id@example.com>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/html; charset=utf-8\r\n\
         Content-Transfer-Encoding: 7bit\r\n\
         \r\n\
         <p>x</p>\r\n"
    );
    let only_text = Message::builder()
        .from("a@example.com")
        .to("b@example.com")
        .build()
        .unwrap();
    let raw = only_text.render().unwrap().raw;
    assert!(raw.contains(
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
    ));
    assert!(!raw.contains("multipart"));
}

#[tokio::test]
async fn memory_transport_keeps_messages_and_mailer_picks_transports() {
    let first = MemoryTransport::new();
    let second = MemoryTransport::new();
    let mailer = Mailer::builder()
        .transport("stub", first.clone())
        .transport("backup", second.clone())
        .build();
    assert_eq!(mailer.transport_names(), ["stub", "backup"]);
    let sent = mailer.send(&message()).await.unwrap();
    assert_eq!(
        sent.accepted,
        [
            "bob@example.com",
            "cy@example.com",
            "dee@example.com",
            "eve@example.com"
        ]
    );
    assert_eq!(first.sent(), std::slice::from_ref(&sent));
    assert_eq!(first.messages(), [message()]);
    assert!(second.sent().is_empty());

    let mut routed = message();
    routed.transport = Some("BACKUP".into());
    mailer.clone().send(&routed).await.unwrap();
    assert_eq!(second.sent().len(), 1);
    routed.transport = Some("nope".into());
    assert!(matches!(mailer.send(&routed).await, Err(Error::Connector(m)) if m.contains("`nope`")));

    let json = serde_json::to_value(&sent).unwrap();
    assert_eq!(json["messageId"], sent.message_id);
    assert_eq!(json["envelope"]["from"], "ann@example.com");
    assert!(json["message"].as_str().unwrap().contains("Subject: "));

    first.clear();
    assert!(first.sent().is_empty());
    assert!(matches!(
        Mailer::default().send(&message()).await,
        Err(Error::Connector(_))
    ));
    // Invalid messages never reach a transport.
    let mut invalid = message();
    invalid.subject = "a\r\nb".into();
    assert!(mailer.send(&invalid).await.is_err());
    assert!(first.sent().is_empty());
}

#[tokio::test]
async fn file_transport_writes_parseable_eml_files() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("outbox/nested");
    let transport = FileTransport::new(&target);
    let sent = transport.send(&message()).await.unwrap();
    transport.send(&message()).await.unwrap();
    let mut files: Vec<_> = std::fs::read_dir(&target)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files
        .iter()
        .all(|f| f.extension().is_some_and(|e| e == "eml")));
    let path = std::path::PathBuf::from(&sent.response);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes, sent.raw.as_bytes());
    let parsed = mailparse::parse_mail(&bytes).unwrap();
    use mailparse::MailHeaderMap;
    assert_eq!(
        parsed.headers.get_first_value("Message-ID").unwrap(),
        sent.message_id
    );
    assert_eq!(parsed.subparts.len(), 2);

    // A file where the directory should be: a clear error, not a panic.
    let blocked = dir.path().join("file");
    std::fs::write(&blocked, "x").unwrap();
    let e = FileTransport::new(&blocked)
        .send(&message())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Connector(m) if m.contains("file transport")),
        "{e:?}"
    );
}

#[tokio::test]
async fn log_transport_reports_success() {
    let sent = LogTransport::new().send(&message()).await.unwrap();
    assert_eq!(sent.response, "250 logged");
}

#[tokio::test]
async fn from_lb3_settings_builds_transports() {
    let dir = tempfile::tempdir().unwrap();
    let mailer = Mailer::from_lb3_settings(&json!({
        "name": "email",
        "connector": "mail",
        "debug": true,
        "transports": [
            {"type": "STUB"},
            {"type": "file", "alias": "outbox", "directory": dir.path()},
            {"type": "Log"},
            {}
        ]
    }))
    .unwrap();
    assert_eq!(mailer.transport_names(), ["stub", "outbox", "log", "stub"]);
    mailer.send(&message()).await.unwrap();
    assert_eq!(mailer.memory().unwrap().sent().len(), 1);
    let mut to_file = message();
    to_file.transport = Some("outbox".into());
    mailer.send(&to_file).await.unwrap();
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    let single =
        Mailer::from_lb3_settings(&json!({"connector": "mail", "transport": {"type": "stub"}}))
            .unwrap();
    assert_eq!(single.transport_names(), ["stub"]);
    let none = Mailer::from_lb3_settings(&json!({"name": "email", "connector": "mail"})).unwrap();
    assert!(none.transport_names().is_empty());
}

#[test]
fn from_lb3_settings_errors_name_the_key() {
    let cases = [
        (
            json!({"name": "email", "connector": "mail", "transports": [{"type": "sendmail"}]}),
            "email.transports[0].type",
        ),
        (
            json!({"name": "email", "transports": [{"type": "stub"}, {"type": 3}]}),
            "email.transports[1].type",
        ),
        (
            json!({"name": "email", "transports": [{"type": "stub", "host": "x"}]}),
            "email.transports[0].host",
        ),
        (
            json!({"name": "email", "transports": [{"type": "file"}]}),
            "email.transports[0].directory",
        ),
        (
            json!({"name": "email", "transports": [{"type": "smtp", "host": "h", "prot": 25}]}),
            "email.transports[0].prot",
        ),
        (
            json!({"name": "email", "transports": [{"type": "smtp"}]}),
            "email.transports[0].host",
        ),
        (
            json!({"name": "email", "transports": [{"type": "smtp", "host": "h", "port": 70000}]}),
            "email.transports[0].port",
        ),
        (
            json!({"name": "email", "transports": [{"type": "smtp", "host": "h", "secure": "yes"}]}),
            "email.transports[0].secure",
        ),
        (
            json!({"name": "email", "transports": [{"type": "smtp", "host": "h", "auth": {"user": "u", "type": "OAuth2"}}]}),
            "email.transports[0].auth.type",
        ),
        (
            json!({"name": "email", "transports": [{"type": "smtp", "host": "h", "requireTLS": true, "ignoreTLS": true}]}),
            "email.transports[0].ignoreTLS",
        ),
        (
            json!({"name": "email", "transports": [{"type": "smtp", "host": "h", "tls": {"ciphers": "x"}}]}),
            "email.transports[0].tls.ciphers",
        ),
        (
            json!({"name": "email", "transports": ["smtp"]}),
            "email.transports[0]",
        ),
        (
            json!({"name": "email", "transports": {"type": "stub"}}),
            "email.transports",
        ),
        (
            json!({"name": "email", "transport": {"type": "nope"}}),
            "email.transport.type",
        ),
        (
            json!({"name": "email", "connector": "memory"}),
            "email.connector",
        ),
        (json!({"name": "email", "debug": "yes"}), "email.debug"),
        (
            json!({"name": "email", "host": "smtp.example.com"}),
            "email.host",
        ),
        (
            json!({"transports": [{"type": "nope"}]}),
            "mail.transports[0].type",
        ),
    ];
    for (settings, key) in cases {
        let e = connector_error(Mailer::from_lb3_settings(&settings));
        assert!(e.contains(&format!("`{key}`")), "{settings}: {e}");
    }
    let e = connector_error(Mailer::from_lb3_settings(&json!([])));
    assert!(e.contains("must be an object"), "{e}");
}

#[test]
fn smtp_settings_follow_nodemailer() {
    let config = SmtpConfig::from_lb3_settings(
        &json!({
            "type": "SMTP", "host": "smtp.example.com", "secure": true, "port": "465",
            "auth": {"user": "u", "pass": "p"}, "name": "app.example.com",
            "connectionTimeout": 5000, "socketTimeout": 20000, "tls": {"rejectUnauthorized": false}
        }),
        "email.transports[0]",
    )
    .unwrap();
    assert_eq!(config.host, "smtp.example.com");
    assert_eq!(config.effective_port(), 465);
    assert!(config.secure && config.accept_invalid_certs);
    assert_eq!(config.auth.as_ref().map(|a| a.user.as_str()), Some("u"));
    assert_eq!(config.hello_name.as_deref(), Some("app.example.com"));
    assert_eq!(config.timeout, Some(std::time::Duration::from_secs(20)));
    assert!(
        !format!("{config:?}").contains("\"p\""),
        "password in Debug output"
    );

    let plain = SmtpConfig::from_lb3_settings(&json!({"type": "smtp", "host": "h"}), "x").unwrap();
    assert_eq!(plain, SmtpConfig::new("h"));
    assert_eq!(plain.effective_port(), 587);
    assert_eq!(SmtpConfig::new("h").secure(true).effective_port(), 465);
}

#[cfg(not(feature = "smtp"))]
#[test]
fn smtp_without_the_feature_is_a_clear_error() {
    let e = connector_error(Mailer::from_lb3_settings(&json!({
        "name": "email", "transports": [{"type": "SMTP", "host": "smtp.example.com"}]
    })));
    assert!(
        e.contains("`email.transports[0].type`") && e.contains("`smtp` feature"),
        "{e}"
    );
}

#[cfg(feature = "smtp")]
mod smtp {
    use std::time::Duration;

    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    use super::*;

    /// What the fake server saw in one session.
    #[derive(Debug, Default)]
    struct Session {
        ehlo: String,
        mail_from: String,
        rcpt_to: Vec<String>,
        data: String,
        quit: bool,
    }

    /// A minimal RFC 5321 server for one connection: no TLS, no AUTH, dot-unstuffing of DATA.
    async fn fake_smtp_server() -> (u16, tokio::task::JoinHandle<Session>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let (read, mut write) = socket.into_split();
            let mut lines = BufReader::new(read);
            let mut session = Session::default();
            write
                .write_all(b"220 fake.test ESMTP ready\r\n")
                .await
                .unwrap();
            let mut line = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await.unwrap() == 0 {
                    break;
                }
                let command = line.trim_end().to_owned();
                let upper = command.to_ascii_uppercase();
                let reply: &[u8] = if upper.starts_with("EHLO ") {
                    session.ehlo = command[5..].to_owned();
                    b"250-fake.test greets you\r\n250-8BITMIME\r\n250 SIZE 1000000\r\n"
                } else if upper.starts_with("MAIL FROM:") {
                    session.mail_from = command[10..].to_owned();
                    b"250 2.1.0 OK\r\n"
                } else if upper.starts_with("RCPT TO:") {
                    session.rcpt_to.push(command[8..].to_owned());
                    b"250 2.1.5 OK\r\n"
                } else if upper == "DATA" {
                    write
                        .write_all(b"354 end with <CRLF>.<CRLF>\r\n")
                        .await
                        .unwrap();
                    loop {
                        line.clear();
                        lines.read_line(&mut line).await.unwrap();
                        if line == ".\r\n" {
                            break;
                        }
                        let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                        session.data.push_str(unstuffed);
                    }
                    b"250 2.0.0 queued as 42\r\n"
                } else if upper == "QUIT" {
                    session.quit = true;
                    write.write_all(b"221 2.0.0 bye\r\n").await.unwrap();
                    break;
                } else if upper == "RSET" || upper == "NOOP" {
                    b"250 OK\r\n"
                } else {
                    b"502 5.5.2 command not implemented\r\n"
                };
                write.write_all(reply).await.unwrap();
            }
            session
        });
        (port, handle)
    }

    #[tokio::test]
    async fn sends_through_a_plaintext_smtp_server() {
        for ignore_tls in [true, false] {
            let (port, server) = fake_smtp_server().await;
            // Without ignoreTLS, STARTTLS is opportunistic: this server does not offer it.
            let config = SmtpConfig::new("127.0.0.1")
                .port(port)
                .ignore_tls(ignore_tls)
                .hello_name("app.example.com")
                .timeout(Duration::from_secs(5));
            let mailer = Mailer::new(SmtpTransport::new(config).unwrap());
            let sent = tokio::time::timeout(Duration::from_secs(10), mailer.send(&message()))
                .await
                .expect("send hung")
                .unwrap();
            let session = tokio::time::timeout(Duration::from_secs(10), server)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(session.ehlo, "app.example.com");
            assert_eq!(session.mail_from.trim(), "<ann@example.com>");
            let rcpt: Vec<_> = session.rcpt_to.iter().map(|r| r.trim()).collect();
            assert_eq!(
                rcpt,
                [
                    "<bob@example.com>",
                    "<cy@example.com>",
                    "<dee@example.com>",
                    "<eve@example.com>"
                ]
            );
            // The dot-stuffed `.please verify` line arrives intact, and Bcc stays out of the text.
            assert_eq!(session.data, sent.raw);
            assert!(session.data.contains("\r\n.please verify"));
            assert!(!session.data.contains("eve@example.com"));
            assert!(sent.response.starts_with("250"), "{}", sent.response);
            assert!(sent.response.contains("queued as 42"), "{}", sent.response);
        }
    }

    #[tokio::test]
    async fn permanent_rejection_is_a_connector_error() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let (read, mut write) = socket.into_split();
            let mut lines = BufReader::new(read);
            write.write_all(b"220 fake.test\r\n").await.unwrap();
            let mut line = String::new();
            while lines.read_line(&mut line).await.unwrap_or(0) > 0 {
                let reply: &[u8] = if line.starts_with("EHLO") {
                    b"250 fake.test\r\n"
                } else if line.starts_with("RCPT") {
                    b"550 5.1.1 no such user\r\n"
                } else {
                    b"250 OK\r\n"
                };
                write.write_all(reply).await.unwrap();
                line.clear();
            }
        });
        let transport =
            SmtpTransport::new(SmtpConfig::new("127.0.0.1").port(port).ignore_tls(true)).unwrap();
        let e = tokio::time::timeout(Duration::from_secs(10), transport.send(&message()))
            .await
            .expect("send hung")
            .unwrap_err();
        assert!(
            matches!(&e, Error::Connector(m) if m.contains("refused") && m.contains("no such user")),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn unreachable_server_is_a_clear_error() {
        // A port that was free a moment ago: nothing listens there now.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let config = SmtpConfig::new("127.0.0.1")
            .port(port)
            .ignore_tls(true)
            .timeout(Duration::from_secs(2));
        let transport = SmtpTransport::new(config).unwrap();
        let e = tokio::time::timeout(Duration::from_secs(10), transport.send(&message()))
            .await
            .expect("send hung")
            .unwrap_err();
        assert_eq!(e.status(), 503, "{e:?}");
        assert!(
            matches!(&e, Error::Unavailable(m) if m.contains(&format!("127.0.0.1:{port}"))),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn smtp_transport_from_settings() {
        let mailer = Mailer::from_lb3_settings(&json!({
            "name": "email", "connector": "mail",
            "transports": [{"type": "SMTP", "host": "smtp.example.com", "secure": true, "port": 465,
                            "auth": {"user": "u", "pass": "p"}}]
        }))
        .unwrap();
        assert_eq!(mailer.transport_names(), ["smtp"]);
        let debug = format!("{mailer:?}");
        assert!(
            debug.contains("smtp.example.com") && !debug.contains("\"p\""),
            "{debug}"
        );
    }
}
