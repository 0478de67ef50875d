//! [`UnzipError`]: every way reading a zip stream can fail, with a bounded `kind()` label for
//! metrics and logs. Any error leaves the stream at an unknown position, so the reader that
//! returned it refuses further use ([`UnzipError::Unusable`]); the caller re-requests whatever
//! it has not verified yet.

use std::io;

/// An error from [`super::ZipEntries`] or [`super::Entry`].
#[derive(Debug, thiserror::Error)]
pub enum UnzipError {
    /// The stream ended early: inside a header, entry data, a data descriptor, or before the
    /// central directory / end record was complete.
    #[error("zip stream truncated ({context}) at offset {offset}")]
    Truncated { context: &'static str, offset: u64 },
    /// The CRC-32 of the decompressed bytes differs from the entry's claim.
    #[error("CRC-32 mismatch: entry claims {expected:08x}, data has {actual:08x}")]
    Crc { expected: u32, actual: u32 },
    /// A size claimed by a header or data descriptor differs from what the data really is.
    #[error("{field} mismatch: claimed {expected}, actual {actual}")]
    Size {
        field: &'static str,
        expected: u64,
        actual: u64,
    },
    /// A structure is not what the format requires here (wrong signature, bad lengths, …).
    #[error("malformed zip at offset {offset}: {reason}")]
    BadHeader { reason: &'static str, offset: u64 },
    /// A valid zip feature this reader does not stream (encryption, other methods, STORED with
    /// a data descriptor and no catalog size to delimit it).
    #[error("unsupported zip feature: {reason}")]
    Unsupported { reason: &'static str },
    /// A limit was exceeded: decompressed bytes beyond the expected size or
    /// `max_entry_bytes`, too many entries, or a too-long name.
    #[error("{what} exceeds the limit of {limit} (got at least {actual})")]
    TooLarge {
        what: &'static str,
        limit: u64,
        actual: u64,
    },
    /// Decompressed/compressed ratio beyond `Limits::max_ratio` (zip-bomb defence).
    #[error("compression ratio above {limit}:1 ({decompressed} bytes from {compressed})")]
    Ratio {
        limit: u32,
        compressed: u64,
        decompressed: u64,
    },
    /// The DEFLATE data itself is invalid.
    #[error("corrupt DEFLATE data")]
    Corrupt(#[from] flate2::DecompressError),
    /// The central directory or end record disagrees with the entries streamed.
    #[error("central directory mismatch: {reason}")]
    CentralDirectory { reason: &'static str },
    /// The reader was used after an error or out of order.
    #[error("zip reader unusable: {reason}")]
    Unusable { reason: &'static str },
    /// The body reader failed.
    #[error("I/O error reading the zip stream")]
    Io(#[source] io::Error),
}

impl UnzipError {
    /// A short, bounded label for metrics and structured logs.
    pub fn kind(&self) -> &'static str {
        match self {
            UnzipError::Truncated { .. } => "truncated",
            UnzipError::Crc { .. } => "crc",
            UnzipError::Size { .. } => "size",
            UnzipError::BadHeader { .. } => "bad_header",
            UnzipError::Unsupported { .. } => "unsupported",
            UnzipError::TooLarge { .. } => "too_large",
            UnzipError::Ratio { .. } => "ratio",
            UnzipError::Corrupt(_) => "corrupt",
            UnzipError::CentralDirectory { .. } => "central_directory",
            UnzipError::Unusable { .. } => "unusable",
            UnzipError::Io(_) => "io",
        }
    }

    /// Maps a body error; an early EOF reported by the body itself counts as truncation.
    pub(crate) fn from_io(err: io::Error, context: &'static str, offset: u64) -> Self {
        if err.kind() == io::ErrorKind::UnexpectedEof {
            UnzipError::Truncated { context, offset }
        } else {
            UnzipError::Io(err)
        }
    }
}

impl From<UnzipError> for io::Error {
    /// Lets [`super::Entry`] implement `AsyncRead`; the original error stays reachable via
    /// `get_ref()`/`into_inner()` and downcasting.
    fn from(err: UnzipError) -> Self {
        match err {
            UnzipError::Io(e) => e,
            other => io::Error::other(other),
        }
    }
}
