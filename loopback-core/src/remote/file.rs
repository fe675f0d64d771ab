//! Files that remote methods send chunk by chunk (LB3's `type: "file"` return given a stream).

use std::fmt;

use bytes::Bytes;
use futures::stream::{BoxStream, Stream, StreamExt, TryStreamExt};

/// An error a file's source reports while it is being sent.
pub type FileError = Box<dyn std::error::Error + Send + Sync>;

/// A file a remote method sends as the response body, chunk by chunk as its source yields
/// them, without holding it whole in memory: LB3's root `file` return given a readable
/// stream.
///
/// The method must declare a `root` return of type `file` (`Returns::root(ArgType::File)`);
/// its handler is made with [`RemoteHandler::file`](super::RemoteHandler::file). Returns aimed
/// at headers get no values from a stream: set them on the stream
/// ([`FileStream::content_type`], [`FileStream::header`]). `afterRemote` hooks run before the
/// first chunk is read and see no `result`; they may still set the status and headers. The response's length is unknown
/// (HTTP/1.1 sends it chunked). When the source fails after the status has gone out, the
/// connection is closed without the final chunk, so the client sees a truncated transfer
/// rather than a short file that looks complete.
pub struct FileStream {
    pub(crate) chunks: BoxStream<'static, Result<Bytes, FileError>>,
    pub(crate) content_type: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
}

impl FileStream {
    /// A file made of the chunks of `source`, in order.
    pub fn new<S, B, E>(source: S) -> Self
    where
        S: Stream<Item = Result<B, E>> + Send + 'static,
        B: Into<Bytes> + 'static,
        E: Into<FileError> + 'static,
    {
        FileStream {
            chunks: source.map_ok(Into::into).map_err(Into::into).boxed(),
            content_type: None,
            headers: Vec::new(),
        }
    }

    /// The `Content-Type` to send. Without one, a `header` return aimed at `Content-Type`
    /// decides, else LB3's default, `application/json; charset=utf-8`.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// Adds a response header (`Content-Disposition: attachment; filename="books.csv"`, say),
    /// after those of the method's hooks. A name or value that is not a valid header answers
    /// 500 instead of sending the file.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

impl fmt::Debug for FileStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStream")
            .field("content_type", &self.content_type)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}
