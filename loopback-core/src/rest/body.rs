//! The response body: one buffer, sent in one frame.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

/// The body of every response [`RestApi`](super::RestApi) produces: a complete JSON document (or
/// nothing), so its exact length is always known.
#[derive(Debug, Default, Clone)]
pub struct RestBody {
    data: Option<Bytes>,
}

impl RestBody {
    /// A body holding `bytes` (an empty buffer is the empty body).
    pub fn new(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        RestBody {
            data: (!bytes.is_empty()).then_some(bytes),
        }
    }

    /// The empty body.
    pub fn empty() -> Self {
        RestBody::default()
    }

    /// The bytes not yet sent (all of them until the body is polled).
    pub fn as_bytes(&self) -> &[u8] {
        self.data.as_deref().unwrap_or_default()
    }
}

impl Body for RestBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.get_mut().data.take().map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.data.as_ref().map_or(0, |b| b.len() as u64))
    }
}
