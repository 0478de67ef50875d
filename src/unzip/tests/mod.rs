//! Tests for the streaming zip reader: shared helpers (a body that yields odd-sized chunks and
//! spurious `Pending`s, and a driver that reads every entry like the export stage does).
//! Fixture files come from Python `zipfile` and Java `ZipOutputStream`
//! (tests/fixtures/zips/, regenerate with gen_fixtures.py); the rest are hand-built bytes.

mod builder;
mod fixtures;
mod hostile;
mod layouts;

use std::pin::Pin;
use std::task::{Context, Poll};

use md5::{Digest, Md5};
use tokio::io::{AsyncRead, ReadBuf};

use super::{EntryDigest, Limits, UnzipError, ZipEntries};

/// An in-memory body that returns at most `chunks[i % len]` bytes per read and, when
/// `pending` is set, answers every other poll with `Pending` (waking itself).
pub(super) struct Chunky {
    data: Vec<u8>,
    pos: usize,
    chunks: Vec<usize>,
    i: usize,
    pending: bool,
    flip: bool,
}

impl Chunky {
    pub(super) fn new(data: Vec<u8>, chunks: &[usize], pending: bool) -> Self {
        Chunky {
            data,
            pos: 0,
            chunks: chunks.to_vec(),
            i: 0,
            pending,
            flip: false,
        }
    }
}

impl AsyncRead for Chunky {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        this.flip = !this.flip;
        if this.pending && this.flip {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let want = this.chunks[this.i % this.chunks.len()];
        this.i += 1;
        let n = want.min(buf.remaining()).min(this.data.len() - this.pos);
        buf.put_slice(&this.data[this.pos..this.pos + n]);
        this.pos += n;
        Poll::Ready(Ok(()))
    }
}

/// One entry as the driver saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Seen {
    pub(super) name: Vec<u8>,
    pub(super) digest: EntryDigest,
    /// MD5 of the bytes handed out by `read` (must equal `digest.md5`).
    pub(super) read_md5: [u8; 16],
}

/// How the driver reads: body chunk sizes, read sizes, spurious pendings.
pub(super) struct Plan<'a> {
    pub(super) chunks: &'a [usize],
    pub(super) reads: &'a [usize],
    pub(super) pending: bool,
    pub(super) limits: Limits,
}

impl Default for Plan<'_> {
    fn default() -> Self {
        Plan {
            chunks: &[65536],
            reads: &[65536],
            pending: false,
            limits: Limits::default(),
        }
    }
}

/// Reads every entry (sizes from `expected`, by position) and finishes the archive.
pub(super) async fn drive(
    zip: Vec<u8>,
    plan: &Plan<'_>,
    mut expected: impl FnMut(usize, &[u8]) -> Option<u64>,
) -> Result<Vec<Seen>, UnzipError> {
    let mut entries = ZipEntries::new(Chunky::new(zip, plan.chunks, plan.pending), plan.limits);
    let mut seen = Vec::new();
    let mut buf = vec![0u8; plan.reads.iter().copied().max().unwrap_or(1)];
    while let Some(mut entry) = entries.next_entry(|n| expected(seen.len(), n)).await? {
        let name = entry.raw_name().to_vec();
        let mut md5 = Md5::new();
        let mut i = 0;
        loop {
            let want = plan.reads[i % plan.reads.len()];
            i += 1;
            let n = entry.read(&mut buf[..want]).await?;
            assert!(n <= want);
            if n == 0 {
                break;
            }
            md5.update(&buf[..n]);
        }
        let digest = entry.finish().await?;
        seen.push(Seen {
            name,
            digest,
            read_md5: md5.finalize().into(),
        });
    }
    entries.finish().await?;
    Ok(seen)
}

pub(super) fn md5_of(data: &[u8]) -> [u8; 16] {
    Md5::digest(data).into()
}

/// Deterministic, moderately compressible bytes.
pub(super) fn content(seed: u32, n: usize) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|i| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            ((x >> 16) % 23) as u8 + (i % 7) as u8 * 3 + 32
        })
        .collect()
}

/// Asserts `drive` failed with the given kind.
pub(super) fn assert_kind(res: Result<Vec<Seen>, UnzipError>, kind: &str) {
    match res {
        Ok(seen) => panic!("expected {kind}, got Ok with {} entries", seen.len()),
        Err(e) => assert_eq!(e.kind(), kind, "wrong error: {e}"),
    }
}
