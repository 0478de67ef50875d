//! css-sim's bulk-download zips: a hand-written streaming zip writer (PKWARE APPNOTE) with
//! selectable layouts — Java `ZipOutputStream` style, STORED with sizes, STORED with data
//! descriptors, forced zip64 — automatic zip64 past 4 GiB or 65,534 entries, and zip-level
//! faults (one corrupted byte per entry, truncation). Archives are generated on a blocking
//! thread into a small bounded channel, so they are never assembled in memory or on disk and
//! a slow client throttles generation. This module never decides which faults happen (the sim
//! server's plan does) and never touches the network.

mod emit;
mod engine;
mod format;

use std::fmt;
use std::io;
use std::str::FromStr;
use std::sync::Arc;
use std::task::Poll;

use bytes::Bytes;
use futures::Stream;
use tokio::sync::mpsc;

use crate::content::{Content, Digest};
use emit::{Emitter, Halt};

/// Chunks queued between the generator thread and the HTTP body: bounds memory per download.
const CHANNEL_CHUNKS: usize = 4;

/// How entries are laid out in the archive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ZipLayout {
    /// `java.util.zip.ZipOutputStream`: DEFLATE, flag bit 3, zeros in the local header, signed
    /// data descriptor (8-byte sizes only for entries ≥ 4 GiB), zip64 only where Java uses it.
    #[default]
    Java,
    /// STORED with CRC and sizes in the local header, no descriptor.
    StoredSizes,
    /// STORED with flag bit 3, zeros in the local header and a data descriptor.
    StoredDescriptor,
    /// DEFLATE with descriptors and zip64 everywhere: zip64 extras in every local and central
    /// header, 8-byte descriptors, zip64 end records with magic values in the EOCD.
    Zip64,
}

impl ZipLayout {
    pub const ALL: [ZipLayout; 4] = [
        ZipLayout::Java,
        ZipLayout::StoredSizes,
        ZipLayout::StoredDescriptor,
        ZipLayout::Zip64,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ZipLayout::Java => "java",
            ZipLayout::StoredSizes => "stored",
            ZipLayout::StoredDescriptor => "stored-descriptor",
            ZipLayout::Zip64 => "zip64",
        }
    }
}

impl fmt::Display for ZipLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown zip layout {0:?} (expected java, stored, stored-descriptor or zip64)")]
pub struct ParseLayoutError(pub String);

impl FromStr for ZipLayout {
    type Err = ParseLayoutError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ZipLayout::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ParseLayoutError(s.to_string()))
    }
}

/// Why an archive could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum ZipError {
    #[error("entry {index}: name is {len} bytes; a zip name is at most 65535")]
    NameTooLong { index: usize, len: usize },
    #[error("entry {index}: digest says {digest} bytes but the content has {content}")]
    DigestLength {
        index: usize,
        digest: u64,
        content: u64,
    },
    #[error("deflate failed: {0}")]
    Deflate(#[from] flate2::CompressError),
    #[error("deflate made no progress")]
    DeflateStalled,
    #[error("zip generation task failed: {0}")]
    Worker(String),
}

/// One archive entry.
#[derive(Clone, Debug)]
pub struct ZipEntrySpec {
    /// Raw name bytes; flag bit 11 (UTF-8) is set only when they are valid UTF-8.
    pub name: Vec<u8>,
    pub content: Content,
    /// Of the true (uncorrupted) content; STORED layouts write its CRC without a pass.
    pub digest: Digest,
    pub modified_unix: i64,
    /// Flip the middle byte (XOR 0xFF). The CRC written matches the flipped bytes, so only the
    /// catalog MD5 can catch it. No effect on an empty entry.
    pub corrupt: bool,
}

impl ZipEntrySpec {
    /// An intact entry, computing the digest with one pass over the content.
    pub fn new(name: impl Into<Vec<u8>>, content: Content, modified_unix: i64) -> Self {
        let digest = content.digest();
        ZipEntrySpec {
            name: name.into(),
            content,
            digest,
            modified_unix,
            corrupt: false,
        }
    }
}

/// Everything that determines an archive's bytes.
#[derive(Clone, Debug, Default)]
pub struct ZipPlan {
    pub layout: ZipLayout,
    pub entries: Vec<ZipEntrySpec>,
    /// End the stream after this many bytes (a truncated download). [`zip_len`] ignores it.
    pub truncate_at: Option<u64>,
    /// DEFLATE level 0–9 for the DEFLATE layouts; `None` is Java's default, 6.
    pub deflate_level: Option<u32>,
}

/// Streams the archive, or the inclusive byte `range` of it, in chunks of at most `chunk`
/// bytes. Generation starts on first poll, on a tokio blocking thread (so poll it inside a
/// tokio runtime), and stops when the stream is dropped. Bytes before `range.0` are generated
/// and discarded for DEFLATE layouts; skipped STORED content is never generated. A range
/// beyond the archive yields an empty stream; generation errors arrive as one `Err` item.
pub fn zip_stream(
    plan: Arc<ZipPlan>,
    range: Option<(u64, u64)>,
    chunk: usize,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    let (start, mut end) = match range {
        Some((a, b)) => (a, b.saturating_add(1)),
        None => (0, u64::MAX),
    };
    if let Some(t) = plan.truncate_at {
        end = end.min(t);
    }
    let chunk = chunk.max(1);
    let mut pending = (start < end).then_some(plan);
    let mut rx: Option<mpsc::Receiver<io::Result<Bytes>>> = None;
    futures::stream::poll_fn(move |cx| {
        if let Some(plan) = pending.take() {
            let (tx, r) = mpsc::channel(CHANNEL_CHUNKS);
            tokio::task::spawn_blocking(move || produce(&plan, start, end, chunk, tx));
            rx = Some(r);
        }
        match rx.as_mut() {
            Some(r) => r.poll_recv(cx),
            None => Poll::Ready(None),
        }
    })
}

fn produce(
    plan: &ZipPlan,
    start: u64,
    end: u64,
    chunk: usize,
    tx: mpsc::Sender<io::Result<Bytes>>,
) {
    let mut em = Emitter::new(start, end, chunk, |b| tx.blocking_send(Ok(b)).is_ok());
    let failure = match engine::generate(plan, &mut em) {
        Ok(()) | Err(Halt::Done) => None,
        Err(Halt::Gone) => return,
        Err(Halt::Failed(e)) => Some(e),
    };
    if em.flush().is_err() {
        return;
    }
    drop(em);
    if let Some(e) = failure {
        // The receiver may be gone already; nothing else to tell.
        let _ = tx.blocking_send(Err(io::Error::other(e)));
    }
}

/// Total archive length, ignoring `truncate_at` (the server decides what to announce). STORED
/// layouts are computed without generating content; DEFLATE layouts compress everything once,
/// on a blocking thread.
pub async fn zip_len(plan: Arc<ZipPlan>) -> Result<u64, ZipError> {
    tokio::task::spawn_blocking(move || zip_len_blocking(&plan))
        .await
        .map_err(|e| ZipError::Worker(e.to_string()))?
}

/// [`zip_len`] for callers already on a blocking thread.
pub fn zip_len_blocking(plan: &ZipPlan) -> Result<u64, ZipError> {
    // An empty window at the end of the address space: nothing is emitted, everything counted.
    let mut em = Emitter::new(u64::MAX, u64::MAX, 1, |_| true);
    match engine::generate(plan, &mut em) {
        Ok(()) | Err(Halt::Done) | Err(Halt::Gone) => Ok(em.pos()),
        Err(Halt::Failed(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests;
