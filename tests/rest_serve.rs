//! `serve` over real TCP on 127.0.0.1: HTTP/1.1 with keep-alive, HTTP/2, and graceful shutdown
//! letting a request in flight finish.

#![cfg(all(feature = "rest", feature = "memory"))]

mod rest_support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use loopback::rest::{http, serve, RestApi};
use loopback::HookKind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, Notify};
use tokio::task::JoinHandle;

/// Starts `serve` on a free port; send on the returned channel to shut it down.
async fn start(
    api: RestApi,
) -> (
    SocketAddr,
    oneshot::Sender<()>,
    JoinHandle<std::io::Result<()>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, api, async {
        let _ = stopped.await;
    }));
    (addr, stop, server)
}

/// Reads one HTTP/1.1 response with a Content-Length: status line, headers, body (none for
/// the answer to a HEAD request, whatever the Content-Length).
async fn read_response(stream: &mut TcpStream, head: bool) -> (String, Vec<String>, String) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .expect("response in time")
            .expect("read");
        assert!(n > 0, "connection closed before the headers");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head_text = String::from_utf8(buf[..header_end].to_vec()).expect("ASCII headers");
    let mut lines = head_text.split("\r\n").map(str::to_owned);
    let status = lines.next().unwrap_or_default();
    let headers: Vec<String> = lines.collect();
    let len: usize = headers
        .iter()
        .find_map(|h| {
            let (k, v) = h.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .expect("content-length");
    let len = if head { 0 } else { len };
    let mut body = buf[header_end + 4..].to_vec();
    while body.len() < len {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .expect("body in time")
            .expect("read body");
        assert!(n > 0, "connection closed in the body");
        body.extend_from_slice(&chunk[..n]);
    }
    (
        status,
        headers,
        String::from_utf8(body).expect("UTF-8 body"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http1_keep_alive_serves_several_requests_on_one_connection() {
    let (addr, stop, server) = start(rest_support::api().await).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let body = r#"{"title":"Dune","secret":"s"}"#;
    let request = format!(
        "POST /api/Books HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let (status, headers, text) = read_response(&mut stream, false).await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("content-type: application/json; charset=utf-8")));
    assert_eq!(text, r#"{"id":1,"title":"Dune"}"#);

    stream
        .write_all(b"GET /api/Books/1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let (status, _, text) = read_response(&mut stream, false).await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(text, r#"{"id":1,"title":"Dune"}"#);

    stream
        .write_all(b"GET /api/Books/7 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let (status, _, text) = read_response(&mut stream, false).await;
    assert_eq!(status, "HTTP/1.1 404 Not Found");
    assert_eq!(
        text,
        r#"{"error":{"statusCode":404,"name":"Error","message":"Unknown \"Book\" id \"7\".","code":"MODEL_NOT_FOUND"}}"#
    );

    // HEAD /:id is `exists`: the headers of `{"exists":true}`, no body.
    stream
        .write_all(b"HEAD /api/Books/1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let (status, headers, text) = read_response(&mut stream, true).await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(
        headers
            .iter()
            .any(|h| h.eq_ignore_ascii_case("content-length: 15")),
        "{headers:?}"
    );
    assert_eq!(text, "");

    drop(stream);
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_with_prior_knowledge() {
    let (addr, stop, server) = start(rest_support::api().await).await;
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("HTTP/2 handshake");
    let driver = tokio::spawn(conn);
    let req = http::Request::post(format!("http://{addr}/api/Books"))
        .header("content-type", "application/json")
        .body(Full::new(bytes::Bytes::from_static(
            br#"{"title":"Over h2"}"#,
        )))
        .unwrap();
    let res = sender.send_request(req).await.expect("response");
    assert_eq!(res.version(), http::Version::HTTP_2);
    assert_eq!(res.status(), 200);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], br#"{"id":1,"title":"Over h2"}"#);

    let req = http::Request::get(format!("http://{addr}/api/Books/count"))
        .body(Full::new(bytes::Bytes::new()))
        .unwrap();
    let res = sender.send_request(req).await.expect("response");
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], br#"{"count":1}"#);

    drop(sender);
    let _ = driver.await;
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_requests_in_flight() {
    let app = rest_support::app().await;
    let started = Arc::new(Notify::new());
    let in_hook = started.clone();
    app.try_model("Book")
        .unwrap()
        .observe(HookKind::Access, move |ctx| {
            let in_hook = in_hook.clone();
            async move {
                in_hook.notify_one();
                tokio::time::sleep(Duration::from_millis(300)).await;
                Ok(ctx)
            }
        });
    let (addr, stop, server) = start(RestApi::new(&app)).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /api/Books/count HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    // Shut down while the request is being handled (the hook sleeps).
    tokio::time::timeout(Duration::from_secs(10), started.notified())
        .await
        .expect("the request reached the model");
    stop.send(()).unwrap();
    let (status, _, text) = read_response(&mut stream, false).await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(text, r#"{"count":0}"#);
    // The connection is closed after the answer, and the server stops.
    let mut rest = Vec::new();
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest))
        .await
        .expect("connection closed in time")
        .expect("read");
    assert_eq!(n, 0);
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("serve returned in time")
        .unwrap()
        .unwrap();
    // Nothing listens any more.
    assert!(TcpStream::connect(addr).await.is_err());
}

/// A file stream that fails after its first chunk: the client must see a broken transfer,
/// never a complete-looking short file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_stream_that_fails_breaks_the_transfer() {
    use loopback::remote::{ArgType, FileStream, HttpVerb, RemoteHandler, RemoteMethod, Returns};

    let app = rest_support::app().await;
    let books = app.try_model("Book").unwrap();
    let method = |name: &str, path: &str| {
        RemoteMethod::new(name)
            .returns(Returns::root(ArgType::File))
            .http(HttpVerb::Get, path)
    };
    books
        .remote_method(
            method("broken", "/broken"),
            RemoteHandler::file(|_| async move {
                let chunks: Vec<std::io::Result<&'static str>> = vec![
                    Ok("id,title\n"),
                    Err(std::io::Error::other("the disk went away")),
                    Ok("1,never sent\n"),
                ];
                // A pause before each chunk lets the first one go out before the failure.
                let paced = futures::StreamExt::then(futures::stream::iter(chunks), |c| async {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    c
                });
                Ok(FileStream::new(paced).content_type("text/csv"))
            }),
        )
        .unwrap();
    books
        .remote_method(
            method("whole", "/whole"),
            RemoteHandler::file(|_| async move {
                let chunks: Vec<std::io::Result<&'static str>> =
                    vec![Ok("id,title\n"), Ok("1,Dune\n")];
                Ok(FileStream::new(futures::stream::iter(chunks)).content_type("text/csv"))
            }),
        )
        .unwrap();
    let (addr, stop, server) = start(RestApi::new(&app)).await;

    // Reads everything until the server closes the connection (`Connection: close`).
    let exchange = |path: &'static str| async move {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
            .await
            .expect("connection closed in time")
            .expect("read");
        String::from_utf8(raw).expect("UTF-8")
    };

    let whole = exchange("/api/Books/whole").await;
    assert!(whole.starts_with("HTTP/1.1 200 OK\r\n"), "{whole}");
    assert!(
        whole
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{whole}"
    );
    assert!(whole.contains("1,Dune\n"), "{whole}");
    assert!(
        whole.ends_with("0\r\n\r\n"),
        "a whole file ends with the last chunk"
    );

    let broken = exchange("/api/Books/broken").await;
    assert!(broken.starts_with("HTTP/1.1 200 OK\r\n"), "{broken}");
    assert!(
        broken.contains("id,title\n"),
        "the first chunk went out: {broken}"
    );
    assert!(!broken.contains("never sent"), "{broken}");
    assert!(
        !broken.ends_with("0\r\n\r\n"),
        "a failed file must not end like a whole one: {broken:?}"
    );

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("serve returned in time")
        .unwrap()
        .unwrap();
}
