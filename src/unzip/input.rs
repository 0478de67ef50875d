//! [`Input`]: the download body behind a fixed-size buffer, with the absolute stream offset of
//! the next unread byte. Everything the zip reader consumes goes through here, so offsets in
//! errors and the central-directory cross-check are exact, and memory is the buffer size no
//! matter what the stream claims.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncBufRead, AsyncRead, AsyncReadExt, BufReader};

use super::UnzipError;

/// Read buffer size: one buffer for the whole archive.
pub(crate) const BUF_SIZE: usize = 64 * 1024;

pub(crate) struct Input<R> {
    inner: BufReader<R>,
    pos: u64,
}

impl<R: AsyncRead + Unpin> Input<R> {
    pub(crate) fn new(body: R) -> Self {
        Input {
            inner: BufReader::with_capacity(BUF_SIZE, body),
            pos: 0,
        }
    }

    /// Offset of the next unread byte from the start of the stream.
    pub(crate) fn pos(&self) -> u64 {
        self.pos
    }

    /// Fills `buf` completely; a short stream is [`UnzipError::Truncated`] with `context`.
    pub(crate) async fn read_exact(
        &mut self,
        buf: &mut [u8],
        context: &'static str,
    ) -> Result<(), UnzipError> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.inner.read(&mut buf[filled..]).await {
                Ok(0) => {
                    return Err(UnzipError::Truncated {
                        context,
                        offset: self.pos,
                    })
                }
                Ok(n) => {
                    filled += n;
                    self.pos += n as u64;
                }
                Err(e) => return Err(UnzipError::from_io(e, context, self.pos)),
            }
        }
        Ok(())
    }

    /// Reads `N` bytes into an array.
    pub(crate) async fn array<const N: usize>(
        &mut self,
        context: &'static str,
    ) -> Result<[u8; N], UnzipError> {
        let mut buf = [0u8; N];
        self.read_exact(&mut buf, context).await?;
        Ok(buf)
    }

    pub(crate) async fn u32(&mut self, context: &'static str) -> Result<u32, UnzipError> {
        Ok(u32::from_le_bytes(self.array(context).await?))
    }

    /// Discards exactly `n` bytes, feeding them to `sink` (e.g. a hasher) chunk by chunk.
    pub(crate) async fn skip_with(
        &mut self,
        mut n: u64,
        context: &'static str,
        mut sink: impl FnMut(&[u8]),
    ) -> Result<(), UnzipError> {
        while n > 0 {
            let avail = std::future::poll_fn(|cx| self.poll_fill(cx, context)).await?;
            if avail == 0 {
                return Err(UnzipError::Truncated {
                    context,
                    offset: self.pos,
                });
            }
            let take = avail.min(usize::try_from(n).unwrap_or(usize::MAX));
            sink(&self.buffer()[..take]);
            self.consume(take);
            n -= take as u64;
        }
        Ok(())
    }

    /// Polls until bytes are buffered; returns how many (0 means end of stream). They are
    /// then available from [`Input::buffer`].
    pub(crate) fn poll_fill(
        &mut self,
        cx: &mut Context<'_>,
        context: &'static str,
    ) -> Poll<Result<usize, UnzipError>> {
        let pos = self.pos;
        match Pin::new(&mut self.inner).poll_fill_buf(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(buf)) => Poll::Ready(Ok(buf.len())),
            Poll::Ready(Err(e)) => Poll::Ready(Err(UnzipError::from_io(e, context, pos))),
        }
    }

    /// The bytes buffered by the last successful [`Input::poll_fill`].
    pub(crate) fn buffer(&self) -> &[u8] {
        self.inner.buffer()
    }

    /// Marks `n` buffered bytes (from the last `poll_fill`) as consumed.
    pub(crate) fn consume(&mut self, n: usize) {
        Pin::new(&mut self.inner).consume(n);
        self.pos += n as u64;
    }

    /// True when the stream has no more bytes.
    pub(crate) async fn at_eof(&mut self, context: &'static str) -> Result<bool, UnzipError> {
        let avail = std::future::poll_fn(|cx| self.poll_fill(cx, context)).await?;
        Ok(avail == 0)
    }
}
