//! Pull-based streaming zip reader: a CSS bulk-download body in, entries out one at a time,
//! each with its size, CRC-32 and MD5 computed while streaming and checked against the entry's
//! own claims. Nothing is buffered beyond one 64 KiB read buffer, the inflater state, and the
//! current name/extra field (each at most 64 KiB).
//!
//! ## Why our own local-header parser (and not `astral_async_zip`'s stream reader)
//! `astral_async_zip` =0.0.22 (`base::read::stream`) was read and rejected as the primary path:
//! - `base/read/mod.rs` `lfh()` still refuses STORED + data descriptor with
//!   `FeatureNotSupported`, and `next_with_entry(self)` consumes the reader, so on that error the
//!   stream is gone: there is no way to handle the entry ourselves and continue.
//! - `stream.rs` picks the zip64 (8-byte) descriptor only when the *local header* has a zip64
//!   extra field. Java's `ZipOutputStream` (the likely production producer) never writes one for
//!   descriptor entries; it writes 8-byte descriptor sizes when an entry reaches 4 GiB. astral
//!   would read the wrong descriptor length and lose alignment for every later entry.
//! - Its reader types are a consuming state machine with `pub(crate)` inner readers, so
//!   neither gap can be patched from outside without parsing headers ourselves anyway.
//!
//! What is left for a library is raw inflate, done by `flate2::Decompress` (already in the
//! dependency tree; `flate2 = "1"`, lockfile 1.1.11), which reports exactly how many input
//! bytes it consumed, so the byte after a DEFLATE stream is known precisely.
//!
//! ## Layouts
//! - Sizes in the local header (STORED or DEFLATE, zip64 extra 0x0001 resolved): data is
//!   exactly the compressed size; sizes and CRC-32 are checked at the end.
//! - DEFLATE + data descriptor (Java, Python on unseekable output): the DEFLATE stream ends
//!   itself; the descriptor (signature optional) is then read with 8-byte sizes when the local
//!   header had a zip64 field or either size is >= 0xFFFFFFFF, and must match exactly.
//! - STORED + data descriptor: nothing in the stream marks the end of the data, so the catalog
//!   size (`expected_size`) delimits it, and the descriptor found right there must carry our
//!   CRC-32 and that size twice; then the next record must begin, and [`ZipEntries::finish`]
//!   re-checks every name/CRC/size/offset against the central directory. A wrong catalog size
//!   therefore fails (never yields a wrong object). With no catalog size the entry is
//!   [`UnzipError::Unsupported`]. Spooling to a temp file instead was rejected: finding the
//!   end through the central directory needs the rest of the zip (up to 2 GB) on disk first.
//! - Empty and directory entries (`/`-terminated names) are surfaced like any other entry.
//!
//! ## Usage contract
//! Names are raw bytes, never interpreted. Every error is final for the archive
//! (the reader answers [`UnzipError::Unusable`] afterwards): the caller re-requests what it has
//! not verified. An entry dropped before `finish`/`skip` is drained and verified by the next
//! `next_entry`. An entry counts as good once `finish` returns; `ZipEntries::finish` adds the
//! central-directory cross-check and proves the zip was complete.

mod body;
mod central;
mod error;
mod header;
mod input;
#[cfg(test)]
mod tests;

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};

use body::Body;
pub use central::ArchiveSummary;
use central::Ledger;
pub use error::UnzipError;
use header::{CDH_SIG, DIGITAL_SIG, EOCD_SIG, LFH_SIG, ZIP64_EOCD_SIG};
use input::Input;

/// Bounds applied to every archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Decompressed-size cap for entries the catalog does not know (`expected_size` None).
    pub max_entry_bytes: u64,
    /// Entries per archive.
    pub max_entries: u32,
    /// Bytes in an entry name.
    pub max_name_len: usize,
    /// Decompressed/compressed ratio cap, applied past 16 MiB of output; 0 disables.
    pub max_ratio: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entry_bytes: 4 << 30,
            max_entries: 1_000_000,
            max_name_len: 1024,
            max_ratio: 200,
        }
    }
}

/// What one entry really contained, computed over its decompressed bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryDigest {
    pub size: u64,
    pub crc32: u32,
    /// issue 8 (speed): `None` when the zip was opened [`ZipEntries::without_md5`].
    pub md5: Option<[u8; 16]>,
    pub compressed_size: u64,
}

enum State {
    BetweenEntries,
    InEntry(Box<Body>),
    /// `next_entry` returned None: `sig` (at `cd_start`) opened the central directory or end record.
    End {
        sig: u32,
        cd_start: u64,
    },
    Failed,
}

/// The entries of one zip stream, in stream order.
pub struct ZipEntries<R> {
    input: Input<R>,
    limits: Limits,
    state: State,
    ledger: Ledger,
    /// issue 8 (speed): whether entries compute their MD5 ([`ZipEntries::without_md5`]).
    md5: bool,
}

/// The current entry: read its bytes, then `finish` (or `skip`) it.
pub struct Entry<'a, R> {
    zip: &'a mut ZipEntries<R>,
    name: Vec<u8>,
}

const FAILED: UnzipError = UnzipError::Unusable {
    reason: "an earlier error left the stream at an unknown position",
};

impl<R: AsyncRead + Send + Unpin + 'static> ZipEntries<R> {
    pub fn new(body: R, limits: Limits) -> Self {
        ZipEntries {
            input: Input::new(body),
            limits,
            state: State::BetweenEntries,
            ledger: Ledger::new(),
            md5: true,
        }
    }

    /// issue 8 (speed): entries leave the MD5 to the caller, who hashes the bytes it reads
    /// (one pass: an upload hashes them with its parts' MD5s). Size, CRC-32 and every other
    /// check stay here; [`EntryDigest::md5`] is then `None`.
    pub fn without_md5(mut self) -> Self {
        self.md5 = false;
        self
    }

    /// Opens the next entry, or returns `None` at the central directory. `expected_size` gets
    /// the raw name and returns the catalog's size for it (None if unknown); that size caps
    /// the decompressed bytes and delimits STORED + data-descriptor entries.
    pub async fn next_entry<F>(
        &mut self,
        expected_size: F,
    ) -> Result<Option<Entry<'_, R>>, UnzipError>
    where
        F: FnOnce(&[u8]) -> Option<u64>,
    {
        match std::mem::replace(&mut self.state, State::Failed) {
            State::Failed => return Err(FAILED),
            State::End { sig, cd_start } => {
                self.state = State::End { sig, cd_start };
                return Ok(None);
            }
            State::InEntry(body) => self.finish_body(body).await.map(drop)?,
            State::BetweenEntries => {}
        }
        let offset = self.input.pos();
        let sig = self
            .input
            .u32("next record (zip ends without central directory)")
            .await?;
        match sig {
            LFH_SIG => {}
            CDH_SIG | ZIP64_EOCD_SIG | EOCD_SIG | DIGITAL_SIG => {
                self.state = State::End {
                    sig,
                    cd_start: offset,
                };
                return Ok(None);
            }
            _ => {
                return Err(UnzipError::BadHeader {
                    reason: "expected a local file header or the central directory",
                    offset,
                })
            }
        }
        if self.ledger.count >= u64::from(self.limits.max_entries) {
            let limit = u64::from(self.limits.max_entries);
            return Err(UnzipError::TooLarge {
                what: "entry count",
                limit,
                actual: limit + 1,
            });
        }
        let mut h = header::parse_local_fixed(&self.input.array::<26>("local file header").await?)?;
        if h.name_len > self.limits.max_name_len {
            return Err(UnzipError::TooLarge {
                what: "entry name length",
                limit: self.limits.max_name_len as u64,
                actual: h.name_len as u64,
            });
        }
        let mut name = vec![0u8; h.name_len];
        self.input
            .read_exact(&mut name, "local file header")
            .await?;
        let mut extra = vec![0u8; h.extra_len];
        self.input
            .read_exact(&mut extra, "local file header")
            .await?;
        header::apply_local_extra(&mut h, &extra, offset)?;
        let expected = expected_size(&name);
        let entry_name = name.clone();
        let body = Body::new(name, offset, &h, expected, &self.limits, self.md5)?;
        tracing::trace!(offset, expected, descriptor = h.descriptor, "zip entry");
        self.state = State::InEntry(Box::new(body));
        Ok(Some(Entry {
            zip: self,
            name: entry_name,
        }))
    }

    /// After `next_entry` returned None: checks the central directory against the entries
    /// streamed and that the end record is present and last. A stream that stops earlier is
    /// [`UnzipError::Truncated`].
    pub async fn finish(mut self) -> Result<ArchiveSummary, UnzipError> {
        match std::mem::replace(&mut self.state, State::Failed) {
            State::End { sig, cd_start } => {
                let ledger = std::mem::replace(&mut self.ledger, Ledger::new());
                central::finish(&mut self.input, sig, cd_start, ledger).await
            }
            State::Failed => Err(FAILED),
            _ => Err(UnzipError::Unusable {
                reason: "finish() before next_entry() returned None",
            }),
        }
    }

    /// Verifies a finished body and records it for the central-directory check.
    async fn finish_body(&mut self, body: Box<Body>) -> Result<EntryDigest, UnzipError> {
        let (name, offset) = (body.name.clone(), body.header_offset);
        let d = body.finish(&mut self.input).await?;
        self.ledger
            .record(&name, d.crc32, d.compressed_size, d.size, offset);
        self.state = State::BetweenEntries;
        Ok(d)
    }

    fn poll_entry(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<Result<usize, UnzipError>> {
        let State::InEntry(body) = &mut self.state else {
            return Poll::Ready(Err(FAILED));
        };
        let res = std::task::ready!(body.poll_read(&mut self.input, cx, buf));
        if res.is_err() {
            self.state = State::Failed;
        }
        Poll::Ready(res)
    }
}

impl<R: AsyncRead + Send + Unpin + 'static> Entry<'_, R> {
    /// The entry name exactly as stored in the local header (may be non-UTF-8, `../x`, …).
    pub fn raw_name(&self) -> &[u8] {
        &self.name
    }

    /// True for directory entries (name ends with `/`).
    pub fn is_dir(&self) -> bool {
        self.raw_name().ends_with(b"/")
    }

    /// Reads decompressed bytes; `Ok(0)` at the end of the entry's data (not yet verified:
    /// call [`Entry::finish`]).
    pub async fn read(&mut self, buf: &mut [u8]) -> Result<usize, UnzipError> {
        std::future::poll_fn(|cx| self.zip.poll_entry(cx, buf)).await
    }

    /// Drains what is left, then verifies size and CRC-32 against the local header or data
    /// descriptor. Only an `Ok` here means the bytes read are the entry's true content.
    pub async fn finish(self) -> Result<EntryDigest, UnzipError> {
        match std::mem::replace(&mut self.zip.state, State::Failed) {
            State::InEntry(body) => self.zip.finish_body(body).await,
            _ => Err(FAILED),
        }
    }

    /// Same as [`Entry::finish`]: skipping still has to decompress and verify to stay aligned.
    pub async fn skip(self) -> Result<EntryDigest, UnzipError> {
        self.finish().await
    }
}

impl<R: AsyncRead + Send + Unpin + 'static> AsyncRead for Entry<'_, R> {
    /// Errors are `io::Error::other(UnzipError)` (downcast to get the typed error back).
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let n = std::task::ready!(this.zip.poll_entry(cx, buf.initialize_unfilled()))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}
