//! The response body: one buffer sent in one frame, or a stream of frames (change streams,
//! files of remote methods).

use std::fmt;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::stream::{BoxStream, Stream, StreamExt};
use http_body::{Body, Frame, SizeHint};

/// The body of every response [`RestApi`](super::RestApi) produces: a complete JSON document
/// (or nothing), whose exact length is known, or, for change streams and the files remote
/// methods send, a stream of frames of unknown length that ends when its source does.
///
/// Its error is the failure of a streamed source ([`RestBody::try_stream`]): the server then
/// closes the connection without ending the body properly, so the client sees an incomplete
/// transfer.
#[derive(Default)]
pub struct RestBody {
    kind: Kind,
}

enum Kind {
    /// The bytes not yet sent.
    Full(Option<Bytes>),
    /// Frames as they come; the mutex is never locked (the body is polled through `&mut`),
    /// it only makes the body `Sync` as a buffer is.
    Stream {
        frames: Mutex<BoxStream<'static, Result<Bytes, BodyError>>>,
        ended: bool,
    },
}

/// The error of a [`RestBody`]: what its streamed source reported.
pub type BodyError = Box<dyn std::error::Error + Send + Sync>;

impl Default for Kind {
    fn default() -> Self {
        Kind::Full(None)
    }
}

impl RestBody {
    /// A body holding `bytes` (an empty buffer is the empty body).
    pub fn new(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        RestBody {
            kind: Kind::Full((!bytes.is_empty()).then_some(bytes)),
        }
    }

    /// The empty body.
    pub fn empty() -> Self {
        RestBody::default()
    }

    /// A body sending each item of `frames` as one data frame, as it comes, until `frames`
    /// ends. Its length is unknown (HTTP/1.1 sends it chunked).
    pub fn stream<S>(frames: S) -> Self
    where
        S: Stream<Item = Bytes> + Send + 'static,
    {
        RestBody::try_stream(frames.map(Ok::<_, BodyError>))
    }

    /// A body sending each chunk of `frames` as one data frame, as it comes, until `frames`
    /// ends or fails. On failure the body reports the error, and the server closes the
    /// connection without the end of the body (no final chunk in HTTP/1.1, a reset stream
    /// in HTTP/2), so the client cannot take a truncated body for a whole one.
    pub fn try_stream<S, E>(frames: S) -> Self
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: Into<BodyError>,
    {
        RestBody {
            kind: Kind::Stream {
                frames: Mutex::new(frames.map(|r| r.map_err(Into::into)).boxed()),
                ended: false,
            },
        }
    }

    /// Whether this is a streamed body ([`RestBody::stream`]).
    pub fn is_stream(&self) -> bool {
        matches!(self.kind, Kind::Stream { .. })
    }

    /// The bytes not yet sent (all of them until the body is polled); always empty for a
    /// streamed body, whose bytes are only known as they are polled.
    pub fn as_bytes(&self) -> &[u8] {
        match &self.kind {
            Kind::Full(data) => data.as_deref().unwrap_or_default(),
            Kind::Stream { .. } => &[],
        }
    }
}

impl fmt::Debug for RestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Full(data) => f.debug_struct("RestBody").field("data", data).finish(),
            Kind::Stream { ended, .. } => f
                .debug_struct("RestBody")
                .field("stream", &true)
                .field("ended", ended)
                .finish(),
        }
    }
}

impl Body for RestBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        match &mut self.get_mut().kind {
            Kind::Full(data) => Poll::Ready(data.take().map(|b| Ok(Frame::data(b)))),
            Kind::Stream { ended: true, .. } => Poll::Ready(None),
            Kind::Stream { frames, ended } => {
                let frames = frames.get_mut().unwrap_or_else(|e| e.into_inner());
                match frames.poll_next_unpin(cx) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(Some(Ok(b))) => Poll::Ready(Some(Ok(Frame::data(b)))),
                    Poll::Ready(Some(Err(e))) => {
                        *ended = true;
                        Poll::Ready(Some(Err(e)))
                    }
                    Poll::Ready(None) => {
                        *ended = true;
                        Poll::Ready(None)
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Full(data) => data.is_none(),
            Kind::Stream { ended, .. } => *ended,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Full(data) => SizeHint::with_exact(data.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Stream { ended: true, .. } => SizeHint::with_exact(0),
            Kind::Stream { .. } => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn bodies_are_send_and_sync() {
        assert_send_sync::<RestBody>();
    }

    #[tokio::test]
    async fn full_bodies_have_an_exact_size() {
        let mut b = RestBody::new("abc");
        assert_eq!(b.as_bytes(), b"abc");
        assert_eq!(b.size_hint().exact(), Some(3));
        assert!(!b.is_end_stream());
        assert!(!b.is_stream());
        let f = b.frame().await.unwrap().unwrap();
        assert_eq!(f.into_data().unwrap(), "abc");
        assert!(b.is_end_stream());
        assert!(b.frame().await.is_none());
        assert!(RestBody::empty().is_end_stream());
        assert_eq!(RestBody::new("").size_hint().exact(), Some(0));
    }

    #[tokio::test]
    async fn streamed_bodies_send_frame_by_frame() {
        let items = vec![Bytes::from_static(b"a"), Bytes::from_static(b"bc")];
        let mut b = RestBody::stream(futures::stream::iter(items));
        assert!(b.is_stream());
        assert_eq!(b.as_bytes(), b"");
        assert_eq!(b.size_hint().exact(), None);
        assert!(!b.is_end_stream());
        let frames: Vec<Bytes> = [b.frame().await, b.frame().await]
            .into_iter()
            .map(|f| f.unwrap().unwrap().into_data().unwrap())
            .collect();
        assert_eq!(frames, ["a", "bc"]);
        assert!(!b.is_end_stream());
        assert!(b.frame().await.is_none());
        assert!(b.is_end_stream());
        assert_eq!(b.size_hint().exact(), Some(0));
        assert!(format!("{b:?}").contains("stream"));
    }

    #[tokio::test]
    async fn a_failing_source_fails_the_body_and_ends_it() {
        let items: Vec<Result<Bytes, std::io::Error>> = vec![
            Ok(Bytes::from_static(b"a")),
            Err(std::io::Error::other("disk gone")),
            Ok(Bytes::from_static(b"never sent")),
        ];
        let mut b = RestBody::try_stream(futures::stream::iter(items));
        let first = b.frame().await.unwrap().unwrap();
        assert_eq!(first.into_data().unwrap(), "a");
        let err = b.frame().await.unwrap().unwrap_err();
        assert_eq!(err.to_string(), "disk gone");
        assert!(b.is_end_stream());
        assert!(b.frame().await.is_none());
    }
}
