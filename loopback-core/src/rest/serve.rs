//! Serving a [`RestApi`] over TCP: the only module that touches hyper's server.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use super::api::RestApi;

/// Serves `api` on `listener` until `shutdown` completes, then stops accepting and waits for
/// the open connections to finish their requests (graceful shutdown). Open change streams of
/// the application are ended (with LB3's `end` event) when shutdown begins.
///
/// Connections speak HTTP/1.1 (with keep-alive) or HTTP/2 (prior knowledge), detected per
/// connection. Errors of single connections are not reported; accept errors (such as running
/// out of file descriptors) pause accepting briefly and do not stop the server.
///
/// ```no_run
/// # async fn demo(app: loopback_core::App) -> std::io::Result<()> {
/// use loopback_core::rest::{serve, RestApi};
///
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// let api = RestApi::new(&app);
/// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// # drop(stop);
/// serve(listener, api, async {
///     let _ = stopped.await;
/// })
/// .await
/// # }
/// ```
pub async fn serve(
    listener: TcpListener,
    api: RestApi,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let builder = auto::Builder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _peer)) => stream,
                    Err(_) => {
                        // Typically EMFILE: give connections time to close.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                // Responses are written whole; do not hold them back for coalescing.
                let _ = stream.set_nodelay(true);
                let api = api.clone();
                let service = service_fn(move |req: Request<Incoming>| {
                    let api = api.clone();
                    async move { Ok::<_, Infallible>(api.handle(req).await) }
                });
                let conn = builder
                    .serve_connection(TokioIo::new(stream), service)
                    .into_owned();
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    // A client that goes away is not the server's error.
                    let _ = conn.await;
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    // Change streams never end by themselves: end them so their connections can finish.
    api.app().close_change_streams();
    graceful.shutdown().await;
    Ok(())
}
