//! The mail module through the facade: a `datasources.json` entry with a `stub` transport, as
//! LB3 applications and their tests configure it, and `Email.send` options as JSON.

use loopback::mail::{Mailer, Message};
use serde_json::json;

#[tokio::test]
async fn stub_data_source_records_lb3_email_send() {
    let datasources = json!({
        "email": { "name": "email", "connector": "mail", "transports": [{ "type": "stub" }] }
    });
    let mailer = Mailer::from_lb3_settings(&datasources["email"]).unwrap();
    let options = json!({
        "type": "email",
        "to": "new.user@example.com",
        "from": "noreply@example.com",
        "subject": "Thanks for registering.",
        "text": "Please verify your email: http://localhost:3000/api/users/confirm?uid=1&token=abc",
        "html": "<a href=\"http://localhost:3000/api/users/confirm?uid=1&amp;token=abc\">Verify</a>",
    });
    let message = Message::from_lb3_json(&options).unwrap();
    let sent = mailer.send(&message).await.unwrap();

    let outbox = mailer.memory().expect("a stub transport");
    assert_eq!(outbox.sent(), std::slice::from_ref(&sent));
    assert_eq!(outbox.messages()[0].to, ["new.user@example.com"]);
    assert_eq!(sent.envelope.from, "noreply@example.com");
    assert_eq!(sent.accepted, ["new.user@example.com"]);
    assert!(sent.raw.contains("Subject: Thanks for registering.\r\n"));
    assert!(sent.raw.contains("multipart/alternative"));

    // What LB3 hands back as the `email` argument of the callback.
    let result = serde_json::to_value(&sent).unwrap();
    assert_eq!(result["envelope"]["to"], json!(["new.user@example.com"]));
    assert!(result["messageId"]
        .as_str()
        .unwrap()
        .ends_with("@example.com>"));
}

#[tokio::test]
async fn invalid_options_are_bad_requests() {
    let err = Message::from_lb3_json(&json!({
        "from": "noreply@example.com",
        "to": "victim@example.com",
        "subject": "Hi\r\nBcc: everyone@example.com",
    }))
    .unwrap_err();
    assert_eq!(err.status(), 400);
    assert!(err.to_string().contains("subject"), "{err}");
}
