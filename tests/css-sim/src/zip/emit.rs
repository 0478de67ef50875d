//! The output window of one zip generation pass: tracks the absolute stream position, keeps
//! only bytes inside `[start, end)` (an HTTP Range intersected with a truncation point), packs
//! them into fixed-size chunks and hands each chunk to a sink. It never buffers more than one
//! chunk and never generates content outside the window: callers describe content with a fill
//! callback, so skipped STORED data costs nothing.

use bytes::{Bytes, BytesMut};

/// Why generation stopped before the end of the archive.
#[derive(Debug)]
pub(super) enum Halt {
    /// The window is complete; nothing after this position is wanted.
    Done,
    /// The sink refused a chunk: the client went away.
    Gone,
    /// Generation itself failed.
    Failed(super::ZipError),
}

pub(super) struct Emitter<S: FnMut(Bytes) -> bool> {
    pos: u64,
    start: u64,
    end: u64,
    chunk: usize,
    buf: BytesMut,
    sink: S,
}

impl<S: FnMut(Bytes) -> bool> Emitter<S> {
    /// `chunk` must be non-zero (callers clamp it).
    pub(super) fn new(start: u64, end: u64, chunk: usize, sink: S) -> Self {
        Emitter {
            pos: 0,
            start,
            end,
            chunk,
            buf: BytesMut::new(),
            sink,
        }
    }

    pub(super) fn pos(&self) -> u64 {
        self.pos
    }

    /// Does a piece of `len` bytes at the current position intersect the window?
    pub(super) fn wants(&self, len: u64) -> bool {
        len > 0 && self.pos < self.end && self.pos.saturating_add(len) > self.start
    }

    /// The part of a `len`-byte piece at the current position that lies in the window,
    /// relative to the piece (empty when there is none).
    fn clip(&self, len: u64) -> (u64, u64) {
        if !self.wants(len) {
            return (0, 0);
        }
        let a = self.start.saturating_sub(self.pos);
        let b = len.min(self.end - self.pos);
        (a, b)
    }

    fn advance(&mut self, len: u64) -> Result<(), Halt> {
        self.pos = self.pos.saturating_add(len);
        if self.pos >= self.end {
            Err(Halt::Done)
        } else {
            Ok(())
        }
    }

    fn reserve(&mut self) -> usize {
        if self.buf.capacity() == 0 {
            self.buf.reserve(self.chunk);
        }
        self.chunk - self.buf.len()
    }

    fn flush_if_full(&mut self) -> Result<(), Halt> {
        if self.buf.len() >= self.chunk {
            self.send()?;
        }
        Ok(())
    }

    fn send(&mut self) -> Result<(), Halt> {
        let bytes = self.buf.split().freeze();
        if (self.sink)(bytes) {
            Ok(())
        } else {
            Err(Halt::Gone)
        }
    }

    /// Emits `data` (the in-window part of it) and advances past all of it.
    pub(super) fn write(&mut self, data: &[u8]) -> Result<(), Halt> {
        let (a, b) = self.clip(data.len() as u64);
        let mut rest = &data[a as usize..b as usize];
        while !rest.is_empty() {
            let n = self.reserve().min(rest.len());
            self.buf.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            self.flush_if_full()?;
        }
        self.advance(data.len() as u64)
    }

    /// Emits a `len`-byte piece produced by `fill(offset_in_piece, buf)`, calling it only for
    /// the in-window part, then advances past the whole piece.
    pub(super) fn content(
        &mut self,
        len: u64,
        mut fill: impl FnMut(u64, &mut [u8]),
    ) -> Result<(), Halt> {
        let (a, b) = self.clip(len);
        let mut off = a;
        while off < b {
            let room = self.reserve() as u64;
            let n = room.min(b - off) as usize;
            let old = self.buf.len();
            self.buf.resize(old + n, 0);
            fill(off, &mut self.buf[old..]);
            off += n as u64;
            self.flush_if_full()?;
        }
        self.advance(len)
    }

    /// Sends the last partial chunk.
    pub(super) fn flush(&mut self) -> Result<(), Halt> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.send()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(start: u64, end: u64, chunk: usize) -> (Vec<Bytes>, Option<u64>) {
        let mut out = Vec::new();
        let mut em = Emitter::new(start, end, chunk, |b| {
            out.push(b);
            true
        });
        let stopped = (|| {
            em.write(b"0123")?;
            em.content(10, |off, buf| {
                for (i, x) in buf.iter_mut().enumerate() {
                    *x = b'a' + (off as u8) + i as u8;
                }
            })?;
            em.write(b"XYZ")
        })();
        let stop = matches!(stopped, Err(Halt::Done)).then_some(em.pos());
        let _ = em.flush();
        (out, stop)
    }

    #[test]
    fn window_keeps_exact_bytes_in_chunks() {
        let (all, stop) = run(0, u64::MAX, 4);
        assert_eq!(all.concat(), b"0123abcdefghijXYZ");
        assert!(all.iter().all(|c| c.len() <= 4));
        assert_eq!(stop, None);
        let (mid, stop) = run(2, 9, 3);
        assert_eq!(mid.concat(), b"23abcde");
        assert_eq!(stop, Some(14), "stops after the piece that reaches the end");
        let (tail, _) = run(15, 100, 3);
        assert_eq!(tail.concat(), b"YZ");
        let (none, _) = run(20, 30, 3);
        assert!(none.is_empty());
    }

    #[test]
    fn refused_chunk_halts_generation() {
        let mut em = Emitter::new(0, u64::MAX, 2, |_| false);
        assert!(matches!(em.write(b"abc"), Err(Halt::Gone)));
    }
}
