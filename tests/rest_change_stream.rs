//! `GET`/`POST /{Model}/change-stream` (LB3's `createChangeStream`) over `RestApi`, on the
//! memory connector. The expected frames, headers and errors were recorded from LoopBack 3.28
//! (strong-remoting 3.17, sse 0.0.8) with the same models and requests; where we differ
//! (the generated id comes first; hidden properties never appear; a subscriber that lags gets
//! an `error` event) the test says so.

#![cfg(all(feature = "rest", feature = "memory"))]

#[cfg(feature = "postgres")]
mod pg_db;
mod rest_support;

use std::time::Duration;

use http_body_util::BodyExt;
use loopback::rest::http::{Method, Request, Response};
use loopback::rest::{serve, RestApi, RestBody};
use loopback::{record, App, Filter, Options, Value, Where};
use rest_support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Opens a change stream: `method uri` with extra headers and an optional JSON body.
async fn open(
    api: &RestApi,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Response<RestBody> {
    let mut req = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).expect("method"))
        .uri(encode_uri(uri));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let req = req
        .body(body.unwrap_or_default().to_owned())
        .expect("request");
    api.handle(req).await
}

/// The next frame of a streamed body, as text.
async fn frame(res: &mut Response<RestBody>) -> String {
    let f = tokio::time::timeout(Duration::from_secs(5), res.body_mut().frame())
        .await
        .expect("a frame within 5 s")
        .expect("the stream is open")
        .expect("infallible");
    String::from_utf8(f.into_data().expect("a data frame").to_vec()).expect("UTF-8")
}

/// No frame comes for a little while (changes are queued before the write returns, so a
/// change that should have come would already be there).
async fn no_frame(res: &mut Response<RestBody>) {
    let f = tokio::time::timeout(Duration::from_millis(50), res.body_mut().frame()).await;
    assert!(f.is_err(), "unexpected frame: {f:?}");
}

fn header<'a>(res: &'a Response<RestBody>, name: &str) -> Option<&'a str> {
    res.headers().get(name).and_then(|v| v.to_str().ok())
}

/// One SSE `data` event.
fn event(json: &str) -> String {
    format!("event: data\ndata: {json}\n\n")
}

fn subscribers(app: &App, model: &str) -> usize {
    app.model(model).expect("model").change_stream_subscribers()
}

async fn patch(api: &RestApi, uri: &str, body: &str) -> Reply {
    send(api, "PATCH", uri, Some(body)).await
}

#[tokio::test]
async fn event_stream_headers_and_wire_format() {
    let app = app().await;
    let api = RestApi::new(&app);
    // `_format=event-stream` wins over an Accept header that does not allow SSE.
    let mut res = open(
        &api,
        "GET",
        "/api/Books/change-stream?_format=event-stream",
        &[("accept", "application/json")],
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), Some("text/event-stream"));
    assert_eq!(
        header(&res, "cache-control"),
        Some("no-cache, no-transform")
    );
    assert_eq!(header(&res, "connection"), Some("keep-alive"));
    assert_eq!(header(&res, "content-encoding"), Some("x-no-compression"));
    assert_eq!(header(&res, "content-length"), None);
    assert!(res.body().is_stream());
    // The `sse` package's first write.
    assert_eq!(frame(&mut res).await, ":ok\n\n");
    no_frame(&mut res).await;

    // LB3: {"target":1,"data":{"title":"Dune","price":9.5,"id":1},"type":"create"}
    let r = post(
        &api,
        "/api/Books",
        r#"{"title":"Dune","price":9.5,"secret":"s"}"#,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        frame(&mut res).await,
        event(r#"{"target":1,"data":{"id":1,"title":"Dune","price":9.5},"type":"create"}"#)
    );

    // patchAttributes: the whole instance, `update`.
    assert_eq!(
        patch(&api, "/api/Books/1", r#"{"title":"Emma"}"#)
            .await
            .status,
        200
    );
    assert_eq!(
        frame(&mut res).await,
        event(r#"{"target":1,"data":{"id":1,"title":"Emma","price":9.5},"type":"update"}"#)
    );

    // replaceById: the replaced instance.
    assert_eq!(
        send(&api, "PUT", "/api/Books/1", Some(r#"{"title":"Ulysses"}"#))
            .await
            .status,
        200
    );
    assert_eq!(
        frame(&mut res).await,
        event(r#"{"target":1,"data":{"id":1,"title":"Ulysses"},"type":"update"}"#)
    );

    // updateAll by another property: no instance, no target; LB3 calls it a `create`.
    // LB3 also shows the hidden `secret` of the partial data here; we do not.
    let r = post(
        &api,
        r#"/api/Books/update?where={"title":"Ulysses"}"#,
        r#"{"price":5,"secret":"zz"}"#,
    )
    .await;
    assert_reply(&r, 200, r#"{"count":1}"#);
    assert_eq!(
        frame(&mut res).await,
        event(r#"{"where":{"title":"Ulysses"},"data":{"price":5},"type":"create"}"#)
    );

    // patchOrCreate with an id: `update`; without: `create`.
    assert_eq!(
        patch(&api, "/api/Books", r#"{"id":1,"title":"Dune"}"#)
            .await
            .status,
        200
    );
    assert_eq!(
        frame(&mut res).await,
        event(r#"{"target":1,"data":{"id":1,"title":"Dune","price":5},"type":"update"}"#)
    );
    assert_eq!(
        patch(&api, "/api/Books", r#"{"title":"New"}"#).await.status,
        200
    );
    assert_eq!(
        frame(&mut res).await,
        event(r#"{"target":2,"data":{"id":2,"title":"New"},"type":"create"}"#)
    );

    // deleteById: the where and the target, no data (LB3 exactly).
    assert_reply(
        &send(&api, "DELETE", "/api/Books/1", None).await,
        200,
        r#"{"count":1}"#,
    );
    assert_eq!(
        frame(&mut res).await,
        event(r#"{"target":1,"where":{"id":1},"type":"remove"}"#)
    );
    no_frame(&mut res).await;
}

#[tokio::test]
async fn post_streams_too_and_string_ids_are_targets() {
    let app = app().await;
    let api = RestApi::new(&app);
    // `Note` has `http.path` `my-notes` and the string id `code`.
    let mut res = open(
        &api,
        "POST",
        "/api/my-notes/change-stream?_format=event-stream",
        &[],
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(frame(&mut res).await, ":ok\n\n");
    let r = post(&api, "/api/my-notes", r#"{"code":"a1","body":"x"}"#).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        frame(&mut res).await,
        event(r#"{"target":"a1","data":{"code":"a1","body":"x"},"type":"create"}"#)
    );
}

#[tokio::test]
async fn without_format_the_accept_header_decides() {
    let app = app().await;
    let api = RestApi::new(&app);
    // No Accept header at all: Express's `req.accepts` accepts anything, so SSE.
    let mut sse = open(&api, "GET", "/api/Books/change-stream", &[], None).await;
    assert_eq!(header(&sse, "content-type"), Some("text/event-stream"));
    assert_eq!(frame(&mut sse).await, ":ok\n\n");
    // `*/*` (curl, fetch) and `text/event-stream` (EventSource) too.
    for accept in ["*/*", "text/event-stream", "application/json, */*;q=0.1"] {
        let res = open(
            &api,
            "GET",
            "/api/Books/change-stream",
            &[("accept", accept)],
            None,
        )
        .await;
        assert_eq!(
            header(&res, "content-type"),
            Some("text/event-stream"),
            "{accept}"
        );
    }

    // An Accept header that refuses SSE: mux-demux's framing, one JSON array a line.
    // LB3: ["cd5ad84192b3abeb54c5cac5a2","new",{"opts":{"writable":false,"readable":true}}]
    //      ["cd5ad84192b3abeb54c5cac5a2","data",{"target":5,"data":{…},"type":"create"}]
    let mut json = open(
        &api,
        "GET",
        "/api/Books/change-stream",
        &[("accept", "application/json")],
        None,
    )
    .await;
    assert_eq!(json.status(), 200);
    assert_eq!(
        header(&json, "content-type"),
        Some("application/json; boundary=NL")
    );
    assert_eq!(header(&json, "content-encoding"), None);
    assert_eq!(header(&json, "cache-control"), None);
    let first = frame(&mut json).await;
    assert!(first.ends_with('\n'));
    let first: serde_json::Value = serde_json::from_str(&first).expect("JSON line");
    let id = first[0].as_str().expect("stream id").to_owned();
    assert_eq!(id.len(), 26);
    assert_eq!(
        first,
        serde_json::json!([id, "new", {"opts": {"writable": false, "readable": true}}])
    );

    post(&api, "/api/Books", r#"{"title":"Dune"}"#).await;
    assert_eq!(
        frame(&mut json).await,
        format!(
            r#"["{id}","data",{{"target":1,"data":{{"id":1,"title":"Dune"}},"type":"create"}}]"#
        ) + "\n"
    );
    assert_eq!(
        frame(&mut sse).await,
        event(r#"{"target":1,"data":{"id":1,"title":"Dune"},"type":"create"}"#)
    );
}

#[tokio::test]
async fn the_options_filter_selects_changes_by_their_data() {
    let app = app().await;
    let api = RestApi::new(&app);
    let q = "/api/Books/change-stream?_format=event-stream";
    // GET: `options` in the query, as JSON or in the bracket syntax.
    let mut by_json = open(
        &api,
        "GET",
        &format!(r#"{q}&options={{"where":{{"title":"Emma"}}}}"#),
        &[],
        None,
    )
    .await;
    let mut by_brackets = open(
        &api,
        "GET",
        &format!("{q}&options[where][price][gt]=3"),
        &[],
        None,
    )
    .await;
    // POST: the body's `options`, which wins over the query's.
    let mut by_body = open(
        &api,
        "POST",
        &format!("{q}&options=5"),
        &[],
        Some(r#"{"options":{"where":{"title":{"like":"Du%"}}}}"#),
    )
    .await;
    // An `options` header, the last place strong-remoting looks.
    let mut by_header = open(
        &api,
        "GET",
        q,
        &[("options", r#"{"where":{"published":true}}"#)],
        None,
    )
    .await;
    for res in [&mut by_json, &mut by_brackets, &mut by_body, &mut by_header] {
        assert_eq!(res.status(), 200);
        assert_eq!(frame(res).await, ":ok\n\n");
    }

    post(&api, "/api/Books", r#"{"title":"Dune","price":1}"#).await;
    post(
        &api,
        "/api/Books",
        r#"{"title":"Emma","price":"7","published":true}"#,
    )
    .await;
    assert_eq!(
        frame(&mut by_body).await,
        event(r#"{"target":1,"data":{"id":1,"title":"Dune","price":1},"type":"create"}"#)
    );
    let emma = event(
        r#"{"target":2,"data":{"id":2,"title":"Emma","price":7,"published":true},"type":"create"}"#,
    );
    assert_eq!(frame(&mut by_json).await, emma);
    assert_eq!(frame(&mut by_brackets).await, emma);
    assert_eq!(frame(&mut by_header).await, emma);

    // updateAll's partial data is what is tested: `price` 9 passes `price > 3`, and there is
    // no `title` for the others (LB3 recorded: {"where":{"title":"x"},"data":{"count":5,…}}).
    post(
        &api,
        r#"/api/Books/update?where={"title":"Dune"}"#,
        r#"{"price":9}"#,
    )
    .await;
    assert_eq!(
        frame(&mut by_brackets).await,
        event(r#"{"where":{"title":"Dune"},"data":{"price":9},"type":"create"}"#)
    );

    // Deletes by id carry no data: a filter on a property never lets them through (LB3).
    send(&api, "DELETE", "/api/Books/2", None).await;
    for res in [&mut by_json, &mut by_brackets, &mut by_body, &mut by_header] {
        no_frame(res).await;
    }
}

#[tokio::test]
async fn bad_options_answer_400_with_the_error_envelope() {
    let app = app().await;
    let api = RestApi::new(&app);
    let q = "/api/Books/change-stream?_format=event-stream";
    let not_an_object = error(400, "Value is not an object.");
    // Recorded from LB3: each of these is `400 {"error":{"statusCode":400,"name":"Error",
    // "message":"Value is not an object."}}`.
    for bad in [
        "options=notjson",
        "options=5",
        "options=[1]",
        r#"options="str""#,
        // qs makes an array of these.
        "options={}&options={}",
        "options[]=1",
    ] {
        let r = get(&api, &format!("{q}&{bad}")).await;
        assert_reply(&r, 400, &not_an_object);
        assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=utf-8")
        );
    }
    for body in [
        r#"{"options":5}"#,
        r#"{"options":"{\"where\":{}}"}"#,
        r#"{"options":[1]}"#,
    ] {
        let r = post(&api, q, body).await;
        assert_reply(&r, 400, &not_an_object);
    }
    assert_reply(
        &get(&api, &format!("{q}&options={{bad}}")).await,
        400,
        &error(400, "Cannot parse JSON-encoded object value."),
    );
    // Not LB3, which accepts any where and fails later (or never): the filter is checked as
    // a `filter` is, hidden properties included.
    for bad in [
        r#"options={"where":5}"#,
        r#"options={"where":{"secret":"s1"}}"#,
        r#"options={"where":{"title":{"regexp":"["}}}"#,
        "options[where]=5",
        "options[where][secret]=s1",
        "options[where][title][regexp]=[",
    ] {
        let r = get(&api, &format!("{q}&{bad}")).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
        assert_eq!(r.json()["error"]["statusCode"], 400, "{bad}");
    }
    // `null` or empty options are no filter (LB3: 200).
    for ok in ["options=null", "options="] {
        let res = open(&api, "GET", &format!("{q}&{ok}"), &[], None).await;
        assert_eq!(res.status(), 200, "{ok}");
    }
    let res = open(&api, "POST", q, &[], Some(r#"{"options":null}"#)).await;
    assert_eq!(res.status(), 200);
    drop(res);
    assert_eq!(subscribers(&app, "Book"), 0);
}

#[tokio::test]
async fn hidden_properties_never_leak() {
    let app = app().await;
    let api = RestApi::new(&app);
    let mut res = open(
        &api,
        "GET",
        "/api/Authors/change-stream?_format=event-stream",
        &[],
        None,
    )
    .await;
    assert_eq!(frame(&mut res).await, ":ok\n\n");
    // Written from Rust, where the hidden `email` is part of the data and of the where.
    let authors = app.model("Author").expect("Author");
    let o = Options::new();
    authors
        .create(record! {"name" => "Ann", "email" => "ann@x"}, &o)
        .await
        .expect("create");
    assert_eq!(
        frame(&mut res).await,
        event(r#"{"target":1,"data":{"id":1,"name":"Ann"},"type":"create"}"#)
    );
    authors
        .update_all(
            Some(Where::eq("email", "ann@x").and(Where::eq("name", "Ann"))),
            record! {"email" => "new@x", "name" => "Anna"},
            &o,
        )
        .await
        .expect("updateAll");
    assert_eq!(
        frame(&mut res).await,
        event(r#"{"where":{"name":"Ann"},"data":{"name":"Anna"},"type":"create"}"#)
    );
    // The programmatic stream sees everything.
    let mut all = authors.change_stream(None).expect("subscribe");
    authors
        .destroy_all(Some(Where::eq("email", "new@x")), &o)
        .await
        .expect("destroyAll");
    let c = tokio::time::timeout(Duration::from_secs(5), all.recv())
        .await
        .expect("in time")
        .expect("a change");
    assert_eq!(
        c.to_json().to_string(),
        r#"{"where":{"email":"new@x"},"type":"remove"}"#
    );
    assert_eq!(
        frame(&mut res).await,
        event(r#"{"where":{},"type":"remove"}"#)
    );
}

#[tokio::test]
async fn dropping_the_response_unsubscribes_and_closing_ends_the_stream() {
    let app = app().await;
    let api = RestApi::new(&app);
    let uri = "/api/Books/change-stream?_format=event-stream";
    assert_eq!(subscribers(&app, "Book"), 0);
    let a = open(&api, "GET", uri, &[], None).await;
    let mut b = open(&api, "GET", uri, &[], None).await;
    // Subscribed when answered, before the body is read.
    assert_eq!(subscribers(&app, "Book"), 2);
    drop(a);
    assert_eq!(subscribers(&app, "Book"), 1);
    assert_eq!(frame(&mut b).await, ":ok\n\n");

    post(&api, "/api/Books", r#"{"title":"Dune"}"#).await;
    app.close_change_streams();
    assert_eq!(subscribers(&app, "Book"), 0);
    // Queued changes are still sent, then LB3's `end` event, then the body ends.
    assert!(frame(&mut b).await.contains(r#""type":"create""#));
    assert_eq!(frame(&mut b).await, "event: end\ndata: null\n\n");
    let end = tokio::time::timeout(Duration::from_secs(5), b.body_mut().frame())
        .await
        .expect("in time");
    assert!(end.is_none());
    assert!(hyper::body::Body::is_end_stream(b.body()));

    // Streams opened later work again.
    let mut c = open(&api, "GET", uri, &[], None).await;
    assert_eq!(frame(&mut c).await, ":ok\n\n");
    post(&api, "/api/Books", r#"{"title":"Emma"}"#).await;
    assert!(frame(&mut c).await.contains(r#""target":2"#));
    drop(c);
    assert_eq!(subscribers(&app, "Book"), 0);
}

#[tokio::test]
async fn programmatic_subscribers_share_the_feed_with_rest_clients() {
    let app = app().await;
    let api = RestApi::new(&app);
    let books = app.model("Book").expect("Book");
    let mut emma_only = books
        .change_stream(Some(Filter::with_where(Where::eq("title", "Emma"))))
        .expect("subscribe");
    let mut res = open(
        &api,
        "GET",
        "/api/Books/change-stream?_format=event-stream",
        &[],
        None,
    )
    .await;
    assert_eq!(subscribers(&app, "Book"), 2);
    assert_eq!(frame(&mut res).await, ":ok\n\n");
    seed_books(&api).await;
    let c = tokio::time::timeout(Duration::from_secs(5), emma_only.recv())
        .await
        .expect("in time")
        .expect("a change");
    assert_eq!(c.kind, loopback_core::ChangeKind::Create);
    assert_eq!(c.target, Some(Value::Int(2)));
    // The REST stream leaves the hidden `secret` out (the Rust one keeps it: see
    // `hidden_properties_never_leak`).
    for expected in [
        r#"{"target":1,"data":{"id":1,"title":"Dune","price":9.5},"type":"create"}"#,
        r#"{"target":2,"data":{"id":2,"title":"Emma","price":1,"published":true},"type":"create"}"#,
        r#"{"target":3,"data":{"id":3,"title":"Ulysses","price":2},"type":"create"}"#,
    ] {
        assert_eq!(frame(&mut res).await, event(expected));
    }
    assert_eq!(emma_only.missed(), 0);
}

#[tokio::test]
async fn a_client_that_lags_is_told_how_many_changes_it_lost() {
    let app = app().await;
    let api = RestApi::new(&app);
    let mut res = open(
        &api,
        "GET",
        "/api/my-notes/change-stream?_format=event-stream",
        &[],
        None,
    )
    .await;
    // Nobody reads while the writes go on: they never wait for the subscriber.
    let notes = app.model("Note").expect("Note");
    let extra = 3;
    let total = loopback_core::changes::CHANGE_STREAM_CAPACITY + extra;
    for i in 0..total {
        notes
            .create(record! {"code" => format!("n{i}")}, &Options::new())
            .await
            .expect("create");
    }
    assert_eq!(frame(&mut res).await, ":ok\n\n");
    let f = frame(&mut res).await;
    assert_eq!(
        f,
        format!(
            "event: error\ndata: {}\n\n{}",
            r#"{"message":"The change stream fell behind and dropped 3 changes","code":"CHANGE_STREAM_LAGGED","dropped":3}"#,
            event(r#"{"target":"n3","data":{"code":"n3"},"type":"create"}"#)
        )
    );
    assert!(frame(&mut res).await.contains(r#""target":"n4""#));
}

#[tokio::test]
async fn cors_headers_are_added() {
    let app = app().await;
    let api = RestApi::new(&app);
    let res = open(
        &api,
        "GET",
        "/api/Books/change-stream?_format=event-stream",
        &[("origin", "http://example.com")],
        None,
    )
    .await;
    assert_eq!(
        header(&res, "access-control-allow-origin"),
        Some("http://example.com")
    );
}

/// Reads from `stream` until `buf` holds `needle`.
async fn read_until(stream: &mut TcpStream, buf: &mut Vec<u8>, needle: &str) {
    let mut chunk = [0u8; 4096];
    while !String::from_utf8_lossy(buf).contains(needle) {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{needle:?} within 5 s; got {:?}",
                    String::from_utf8_lossy(buf)
                )
            })
            .expect("read");
        assert!(n > 0, "connection closed before {needle:?}");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Waits until `model` has `n` change-stream subscribers.
async fn wait_for_subscribers(app: &App, model: &str, n: usize) {
    tokio::time::timeout(Duration::from_secs(5), async {
        while subscribers(app, model) != n {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{n} subscribers of {model} within 5 s"));
}

#[tokio::test]
async fn over_tcp_events_are_sent_as_they_happen_and_a_disconnect_unsubscribes() {
    let app = app().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, RestApi::new(&app), async {
        let _ = stopped.await;
    }));
    let request = "GET /api/Books/change-stream?_format=event-stream HTTP/1.1\r\nHost: x\r\n\r\n";

    let mut first = TcpStream::connect(addr).await.expect("connect");
    first.write_all(request.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    read_until(&mut first, &mut buf, ":ok\n\n").await;
    let head = String::from_utf8_lossy(&buf).to_lowercase();
    assert!(head.starts_with("http/1.1 200 ok\r\n"), "{head}");
    assert!(head.contains("transfer-encoding: chunked\r\n"), "{head}");
    assert!(
        head.contains("content-type: text/event-stream\r\n"),
        "{head}"
    );
    assert_eq!(subscribers(&app, "Book"), 1);

    let books = app.model("Book").expect("Book");
    books
        .create(record! {"title" => "Dune"}, &Options::new())
        .await
        .expect("create");
    read_until(
        &mut first,
        &mut buf,
        &event(r#"{"target":1,"data":{"id":1,"title":"Dune"},"type":"create"}"#),
    )
    .await;

    // The client goes away: the server drops the response and its subscription.
    drop(first);
    wait_for_subscribers(&app, "Book", 0).await;

    // A graceful shutdown ends open streams (LB3's `end` event) so that it can finish.
    let mut second = TcpStream::connect(addr).await.expect("connect");
    second.write_all(request.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    read_until(&mut second, &mut buf, ":ok\n\n").await;
    stop.send(()).expect("server running");
    read_until(&mut second, &mut buf, "event: end\ndata: null\n\n").await;
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("shutdown within 5 s")
        .expect("server task")
        .expect("serve");
}

/// The same feed over PostgreSQL: ids from a serial column, dates and numbers as PostgreSQL
/// returns them, and a change made in a transaction sent before it rolls back (as in LB3).
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_changes_stream_over_rest() {
    use loopback::{Connector, IsolationLevel, ModelDefinition};

    let Some((db, _schema)) = pg_db::TestSchema::create().await else {
        return;
    };
    let app = App::new();
    app.data_source("db", db.clone());
    let def = ModelDefinition::from_lb3_json(&serde_json::json!({
        "name": "Book",
        "properties": {"title": {"type": "string", "required": true}, "price": "number",
            "secret": "string"},
        "hidden": ["secret"]
    }))
    .expect("model JSON");
    let books = app.define(def, "db").await.expect("define");
    db.automigrate(&[books.definition()])
        .await
        .expect("automigrate");
    let api = RestApi::new(&app);
    let mut res = open(
        &api,
        "GET",
        r#"/api/Books/change-stream?_format=event-stream&options={"where":{"price":{"gte":5}}}"#,
        &[],
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(frame(&mut res).await, ":ok\n\n");

    let r = post(
        &api,
        "/api/Books",
        r#"[{"title":"Cheap","price":1},{"title":"Dune","price":9.5,"secret":"s"}]"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        frame(&mut res).await,
        event(r#"{"target":2,"data":{"id":2,"title":"Dune","price":9.5},"type":"create"}"#)
    );
    let r = send(&api, "PATCH", "/api/Books/1", Some(r#"{"price":6}"#)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        frame(&mut res).await,
        event(r#"{"target":1,"data":{"id":1,"title":"Cheap","price":6},"type":"update"}"#)
    );

    let rolled_back = app
        .transaction("db", IsolationLevel::ReadCommitted, |options| {
            let books = books.clone();
            async move {
                books
                    .create(record! {"title" => "Gone", "price" => 50}, &options)
                    .await?;
                Err::<(), _>(loopback::Error::bad_request("roll back"))
            }
        })
        .await;
    assert!(rolled_back.is_err());
    assert_eq!(
        frame(&mut res).await,
        event(r#"{"target":3,"data":{"id":3,"title":"Gone","price":50},"type":"create"}"#)
    );
    assert_reply(&get(&api, "/api/Books/count").await, 200, r#"{"count":2}"#);
    no_frame(&mut res).await;
    drop(res);
    assert_eq!(books.change_stream_subscribers(), 0);
}

#[tokio::test]
async fn head_is_exists_of_the_id_change_stream_as_in_express() {
    // `HEAD /:id` is matched before the `GET` routes `HEAD` falls back to, so no stream opens.
    let app = app().await;
    let api = RestApi::new(&app);
    let res = open(
        &api,
        "HEAD",
        "/api/Books/change-stream?_format=event-stream",
        &[],
        None,
    )
    .await;
    assert_eq!(res.status(), 404);
    assert!(hyper::body::Body::is_end_stream(res.body()));
    assert_eq!(subscribers(&app, "Book"), 0);
}
