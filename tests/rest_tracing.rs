//! Request tracing: the `request` span of every REST request (target `loopback::rest`), its
//! fields, the `response` event, and the ERROR event of a 5xx.

#![cfg(all(feature = "rest", feature = "memory"))]

mod rest_support;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use loopback::remote::{HttpVerb, RemoteHandler, RemoteMethod};
use loopback::rest::RestApi;
use loopback::Error;
use rest_support::{get, post};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

type Fields = BTreeMap<String, String>;

#[derive(Debug, Clone)]
struct SpanRec {
    name: &'static str,
    target: String,
    level: Level,
    fields: Fields,
}

#[derive(Debug, Clone)]
struct EventRec {
    target: String,
    level: Level,
    /// The index of the span the event happened in.
    span: Option<usize>,
    fields: Fields,
}

#[derive(Default)]
struct State {
    spans: Vec<SpanRec>,
    events: Vec<EventRec>,
    /// The spans entered, innermost last (the tests run on one thread).
    stack: Vec<usize>,
}

/// A subscriber that keeps every span and event, with their fields as text.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<State>>);

struct Collect<'a>(&'a mut Fields);

impl Visit for Collect<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

fn index(id: &Id) -> usize {
    usize::try_from(id.into_u64()).expect("span id") - 1
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let mut fields = Fields::new();
        attrs.record(&mut Collect(&mut fields));
        let meta = attrs.metadata();
        let mut state = self.0.lock().unwrap();
        state.spans.push(SpanRec {
            name: meta.name(),
            target: meta.target().to_owned(),
            level: *meta.level(),
            fields,
        });
        Id::from_u64(state.spans.len() as u64)
    }

    fn record(&self, id: &Id, values: &Record<'_>) {
        let mut state = self.0.lock().unwrap();
        values.record(&mut Collect(&mut state.spans[index(id)].fields));
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::new();
        event.record(&mut Collect(&mut fields));
        let mut state = self.0.lock().unwrap();
        let span = if event.is_root() {
            None
        } else if let Some(parent) = event.parent() {
            Some(index(parent))
        } else {
            state.stack.last().copied()
        };
        state.events.push(EventRec {
            target: event.metadata().target().to_owned(),
            level: *event.metadata().level(),
            span,
            fields,
        });
    }

    fn enter(&self, id: &Id) {
        self.0.lock().unwrap().stack.push(index(id));
    }

    fn exit(&self, _: &Id) {
        self.0.lock().unwrap().stack.pop();
    }
}

impl Capture {
    /// The `request` spans, in order.
    fn requests(&self) -> Vec<(usize, SpanRec)> {
        let state = self.0.lock().unwrap();
        state
            .spans
            .iter()
            .enumerate()
            .filter(|(_, s)| s.name == "request" && s.target == "loopback::rest")
            .map(|(i, s)| (i, s.clone()))
            .collect()
    }

    /// The events of target `loopback::rest` in span `span`.
    fn events_in(&self, span: usize) -> Vec<EventRec> {
        let state = self.0.lock().unwrap();
        state
            .events
            .iter()
            .filter(|e| e.target == "loopback::rest" && e.span == Some(span))
            .cloned()
            .collect()
    }
}

fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields.get(name).map(String::as_str)
}

#[tokio::test]
async fn every_request_has_a_span_with_route_status_and_latency() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let api = rest_support::api().await;
    rest_support::seed_books(&api).await;
    post(&api, "/api/Authors", r#"{"name":"Frank"}"#).await;

    let reply = get(
        &api,
        "/api/Books/2?access_token=secret&filter[fields][title]=true",
    )
    .await;
    assert_eq!(reply.status, 200);
    let reply = get(&api, "/api/Authors/1/books").await;
    assert_eq!(reply.status, 200);
    let reply = get(&api, "/api/Nothing").await;
    assert_eq!(reply.status, 404);

    let requests = capture.requests();
    assert_eq!(requests.len(), 5, "{requests:?}");
    let (i, find_by_id) = &requests[2];
    assert_eq!(find_by_id.level, Level::INFO);
    let f = &find_by_id.fields;
    assert_eq!(field(f, "method"), Some("GET"));
    // Never the query string: it may hold an access token.
    assert_eq!(field(f, "path"), Some("/api/Books/2"));
    assert_eq!(field(f, "model"), Some("Book"));
    assert_eq!(field(f, "method_string"), Some("Book.findById"));
    assert_eq!(field(f, "status"), Some("200"));
    let latency: u64 = field(f, "latency_us")
        .expect("latency recorded")
        .parse()
        .expect("a number of microseconds");
    assert!(latency < 60_000_000);

    let events = capture.events_in(*i);
    assert_eq!(events.len(), 1, "{events:?}");
    let response = &events[0];
    assert_eq!(response.level, Level::INFO);
    assert_eq!(field(&response.fields, "message"), Some("response"));
    assert_eq!(field(&response.fields, "status"), Some("200"));
    assert!(field(&response.fields, "latency_us").is_some());

    let (_, seeding) = &requests[0];
    assert_eq!(field(&seeding.fields, "method"), Some("POST"));
    assert_eq!(field(&seeding.fields, "method_string"), Some("Book.create"));
    let (_, related) = &requests[3];
    assert_eq!(field(&related.fields, "model"), Some("Author"));
    assert_eq!(
        field(&related.fields, "method_string"),
        Some("Author.prototype.__get__books")
    );
    // No route: method and path, no model.
    let (i, unknown) = &requests[4];
    assert_eq!(field(&unknown.fields, "model"), None);
    assert_eq!(field(&unknown.fields, "status"), Some("404"));
    // A 4xx is no error of the server.
    assert!(capture.events_in(*i).iter().all(|e| e.level == Level::INFO));
}

#[tokio::test]
async fn a_server_error_is_one_error_event_with_its_message() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let app = rest_support::app().await;
    app.model("Book")
        .unwrap()
        .remote_method(
            RemoteMethod::new("explode").http(HttpVerb::Get, "/explode"),
            RemoteHandler::new(|_| async { Err(Error::Internal("the disk is on fire".into())) }),
        )
        .unwrap();
    let api = RestApi::new(&app);
    let reply = get(&api, "/api/Books/explode").await;
    assert_eq!(reply.status, 500);
    // The body still hides the message.
    assert!(!reply.text.contains("fire"), "{}", reply.text);

    let requests = capture.requests();
    assert_eq!(requests.len(), 1);
    let (i, span) = &requests[0];
    assert_eq!(field(&span.fields, "method_string"), Some("Book.explode"));
    assert_eq!(field(&span.fields, "status"), Some("500"));
    let events = capture.events_in(*i);
    let errors: Vec<_> = events.iter().filter(|e| e.level == Level::ERROR).collect();
    assert_eq!(errors.len(), 1, "{events:?}");
    let error = &errors[0].fields;
    assert_eq!(field(error, "status"), Some("500"));
    assert_eq!(
        field(error, "error.message"),
        Some("internal error: the disk is on fire")
    );
    assert_eq!(field(error, "error.name"), Some("Error"));
    assert!(!error.contains_key("stack"));
    // Then the response event, at INFO.
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[1].level, Level::INFO);
    assert_eq!(field(&events[1].fields, "status"), Some("500"));
}

/// LB3's `loopback:security:*` debug categories: every access check is an event of target
/// `loopback::security::access_context` (never with the token id), every role resolved one of
/// `loopback::security::role`, every decision one of `loopback::security::acl`.
#[tokio::test]
async fn access_checks_trace_context_roles_and_decisions() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let app = loopback::App::new();
    app.data_source("db", loopback::connectors::memory());
    app.define(
        loopback::ModelDefinition::from_lb3_json(
            &serde_json::json!({"name": "Member", "base": "User"}),
        )
        .unwrap(),
        "db",
    )
    .await
    .unwrap();
    app.enable_auth_with(loopback::auth::AuthOptions::new().data_source("db"))
        .await
        .unwrap();
    let api = RestApi::new(&app);
    let reply = post(
        &api,
        "/api/Members",
        r#"{"email": "m@example.com", "password": "member-pass"}"#,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = post(
        &api,
        "/api/Members/login",
        r#"{"email": "m@example.com", "password": "member-pass"}"#,
    )
    .await;
    let token = reply.json()["id"].as_str().unwrap().to_owned();
    let reply = get(&api, &format!("/api/Members/1?access_token={token}")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    let state = capture.0.lock().unwrap();
    let of = |target: &str| -> Vec<&EventRec> {
        state
            .events
            .iter()
            .filter(|e| e.target == target && e.level == Level::DEBUG)
            .collect()
    };
    let contexts = of("loopback::security::access_context");
    assert!(contexts.iter().any(|e| {
        field(&e.fields, "property") == Some("findById")
            && field(&e.fields, "user_model") == Some("Some(\"Member\")")
    }));
    let roles = of("loopback::security::role");
    assert!(
        roles
            .iter()
            .any(|e| field(&e.fields, "role") == Some("$owner")
                && field(&e.fields, "in_role") == Some("true")),
        "{roles:?}"
    );
    assert!(roles
        .iter()
        .any(|e| field(&e.fields, "role") == Some("$everyone")));
    assert!(!of("loopback::security::acl").is_empty());
    for e in &state.events {
        assert!(
            !e.fields.values().any(|v| v.contains(&token)),
            "the token id is never traced: {e:?}"
        );
    }
}
