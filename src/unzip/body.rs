//! [`Body`]: one entry's data, pulled from the shared [`Input`] on demand. It decides where the
//! data ends (local-header size, end of the DEFLATE stream, or the catalog size for STORED +
//! data descriptor), inflates with `flate2::Decompress` straight into the caller's buffer,
//! hashes (CRC-32, and MD5 unless the caller hashes what it reads) and enforces the size /
//! ratio limits as bytes are produced, and after the data reads and checks the data
//! descriptor. Memory: the inflater state only.

use std::task::{Context, Poll};

use flate2::{Decompress, FlushDecompress, Status};
use md5::{Digest, Md5};
use tokio::io::AsyncRead;

use super::header::{self, LocalHeader, Method, DD_SIG};
use super::input::Input;
use super::{EntryDigest, Limits, UnzipError};

/// Below this many decompressed bytes the ratio limit is not applied (small, very
/// compressible files such as empty-ish text are legitimate).
pub(crate) const RATIO_GRACE_BYTES: u64 = 16 << 20;

/// Where the entry's CRC-32 and sizes come from.
#[derive(Debug, Clone, Copy)]
enum Claims {
    Header {
        crc32: u32,
        compressed: u64,
        uncompressed: u64,
    },
    /// Flag bit 3; `zip64_extra` feeds [`header::zip64_descriptor`].
    Descriptor { zip64_extra: bool },
}

enum Data {
    /// Exactly `remaining` more bytes, copied through.
    Stored { remaining: u64 },
    /// Raw DEFLATE; `remaining` is the local header's compressed size when known, else the
    /// data ends where the DEFLATE stream says it does.
    Deflate {
        inflater: Box<Decompress>,
        remaining: Option<u64>,
    },
}

pub(crate) struct Body {
    pub(crate) name: Vec<u8>,
    pub(crate) header_offset: u64,
    claims: Claims,
    data: Data,
    /// Decompressed bytes allowed (catalog size, else `max_entry_bytes`).
    limit: u64,
    limit_what: &'static str,
    max_ratio: u32,
    compressed: u64,
    size: u64,
    crc: crc32fast::Hasher,
    /// issue 8 (speed): `None` when the caller hashes what it reads ([`super::ZipEntries::without_md5`]).
    md5: Option<Md5>,
    done: bool,
}

impl Body {
    /// Chooses how to delimit and verify the entry; refuses what cannot be streamed safely.
    pub(crate) fn new(
        name: Vec<u8>,
        header_offset: u64,
        h: &LocalHeader,
        expected_size: Option<u64>,
        limits: &Limits,
        md5: bool,
    ) -> Result<Body, UnzipError> {
        let (limit, limit_what) = match expected_size {
            Some(e) => (e, "decompressed size vs catalog size"),
            None => (
                limits.max_entry_bytes,
                "decompressed size vs max_entry_bytes",
            ),
        };
        let inflater = || Box::new(Decompress::new(false));
        let (claims, data) = if h.descriptor {
            let claims = Claims::Descriptor {
                zip64_extra: h.zip64_extra,
            };
            match (h.method, expected_size) {
                (Method::Deflate, _) => (
                    claims,
                    Data::Deflate {
                        inflater: inflater(),
                        remaining: None,
                    },
                ),
                // Nothing in the stream says where STORED data ends: the catalog size does,
                // and the descriptor that must follow it is checked against what we read.
                (Method::Stored, Some(e)) => (claims, Data::Stored { remaining: e }),
                (Method::Stored, None) => {
                    return Err(UnzipError::Unsupported {
                        reason: "STORED entry with data descriptor and no catalog size",
                    })
                }
            }
        } else {
            if h.uncompressed_size > limit {
                return Err(UnzipError::TooLarge {
                    what: limit_what,
                    limit,
                    actual: h.uncompressed_size,
                });
            }
            let claims = Claims::Header {
                crc32: h.crc32,
                compressed: h.compressed_size,
                uncompressed: h.uncompressed_size,
            };
            let data = match h.method {
                Method::Stored if h.compressed_size != h.uncompressed_size => {
                    return Err(UnzipError::BadHeader {
                        reason: "STORED entry with different compressed and uncompressed sizes",
                        offset: header_offset,
                    })
                }
                Method::Stored => Data::Stored {
                    remaining: h.compressed_size,
                },
                Method::Deflate => Data::Deflate {
                    inflater: inflater(),
                    remaining: Some(h.compressed_size),
                },
            };
            (claims, data)
        };
        Ok(Body {
            name,
            header_offset,
            claims,
            data,
            limit,
            limit_what,
            max_ratio: limits.max_ratio,
            compressed: 0,
            size: 0,
            crc: crc32fast::Hasher::new(),
            md5: md5.then(Md5::new),
            done: false,
        })
    }

    /// Largest output this call may produce: one byte past whichever cap applies, so an
    /// overrun is detected as soon as it happens and never buffered.
    fn room(&self) -> u64 {
        let mut cap = self.limit;
        if let Claims::Header { uncompressed, .. } = self.claims {
            cap = cap.min(uncompressed);
        }
        cap.saturating_sub(self.size).saturating_add(1)
    }

    /// Counts, checks and hashes freshly produced bytes.
    fn account(&mut self, out: &[u8]) -> Result<(), UnzipError> {
        self.size += out.len() as u64;
        if let Claims::Header { uncompressed, .. } = self.claims {
            if self.size > uncompressed {
                return Err(UnzipError::Size {
                    field: "uncompressed size (local header)",
                    expected: uncompressed,
                    actual: self.size,
                });
            }
        }
        if self.size > self.limit {
            return Err(UnzipError::TooLarge {
                what: self.limit_what,
                limit: self.limit,
                actual: self.size,
            });
        }
        if self.max_ratio > 0
            && self.size > RATIO_GRACE_BYTES
            && self.size > self.compressed.saturating_mul(u64::from(self.max_ratio))
        {
            return Err(UnzipError::Ratio {
                limit: self.max_ratio,
                compressed: self.compressed,
                decompressed: self.size,
            });
        }
        self.crc.update(out);
        if let Some(h) = &mut self.md5 {
            h.update(out);
        }
        Ok(())
    }

    /// Reads decompressed bytes into `buf`; `Ok(0)` once the entry's data is complete.
    pub(crate) fn poll_read<R: AsyncRead + Unpin>(
        &mut self,
        input: &mut Input<R>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<Result<usize, UnzipError>> {
        if self.done || buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let out_len = buf
            .len()
            .min(usize::try_from(self.room()).unwrap_or(usize::MAX));
        let out = &mut buf[..out_len];
        loop {
            let avail = match input.poll_fill(cx, "entry data") {
                Poll::Ready(Ok(n)) => n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            let (consumed, produced, ended) = match &mut self.data {
                Data::Stored { remaining } => {
                    if *remaining == 0 {
                        self.done = true;
                        return Poll::Ready(Ok(0));
                    }
                    if avail == 0 {
                        return Poll::Ready(Err(truncated(input)));
                    }
                    let n = avail
                        .min(out.len())
                        .min(usize::try_from(*remaining).unwrap_or(usize::MAX));
                    out[..n].copy_from_slice(&input.buffer()[..n]);
                    *remaining -= n as u64;
                    (n, n, *remaining == 0)
                }
                Data::Deflate {
                    inflater,
                    remaining,
                } => {
                    let in_len = remaining.map_or(avail, |r| {
                        avail.min(usize::try_from(r).unwrap_or(usize::MAX))
                    });
                    let (in0, out0) = (inflater.total_in(), inflater.total_out());
                    let status = inflater.decompress(
                        &input.buffer()[..in_len],
                        out,
                        FlushDecompress::None,
                    )?;
                    let consumed = usize::try_from(inflater.total_in() - in0)
                        .unwrap_or(usize::MAX)
                        .min(in_len);
                    let produced = usize::try_from(inflater.total_out() - out0)
                        .unwrap_or(usize::MAX)
                        .min(out.len());
                    if let Some(r) = remaining {
                        *r -= consumed as u64;
                    }
                    let ended = status == Status::StreamEnd;
                    if !ended && consumed == 0 && produced == 0 {
                        return Poll::Ready(Err(if avail == 0 {
                            truncated(input)
                        } else if in_len == 0 {
                            UnzipError::BadHeader {
                                reason:
                                    "DEFLATE stream runs past the local header's compressed size",
                                offset: input.pos(),
                            }
                        } else {
                            UnzipError::BadHeader {
                                reason: "DEFLATE decoder made no progress",
                                offset: input.pos(),
                            }
                        }));
                    }
                    (consumed, produced, ended)
                }
            };
            input.consume(consumed);
            self.compressed += consumed as u64;
            if produced > 0 {
                self.account(&out[..produced])?;
            }
            if ended {
                self.done = true;
            }
            if produced > 0 || ended {
                return Poll::Ready(Ok(produced));
            }
        }
    }

    /// Drains the rest of the data, reads the data descriptor if there is one, and checks the
    /// entry's own claims (CRC-32, both sizes) against what was streamed.
    pub(crate) async fn finish<R: AsyncRead + Unpin>(
        mut self,
        input: &mut Input<R>,
    ) -> Result<EntryDigest, UnzipError> {
        let mut scratch = vec![0u8; 16 * 1024];
        while std::future::poll_fn(|cx| self.poll_read(input, cx, &mut scratch)).await? != 0 {}
        let crc = self.crc.clone().finalize();
        let (c_crc, c_compressed, c_size) = match self.claims {
            Claims::Header {
                crc32,
                compressed,
                uncompressed,
            } => (crc32, compressed, uncompressed),
            Claims::Descriptor { zip64_extra } => {
                let zip64 = header::zip64_descriptor(zip64_extra, self.compressed, self.size);
                read_descriptor(input, zip64).await?
            }
        };
        if c_compressed != self.compressed {
            return Err(UnzipError::Size {
                field: "compressed size",
                expected: c_compressed,
                actual: self.compressed,
            });
        }
        if c_size != self.size {
            return Err(UnzipError::Size {
                field: "uncompressed size",
                expected: c_size,
                actual: self.size,
            });
        }
        if c_crc != crc {
            return Err(UnzipError::Crc {
                expected: c_crc,
                actual: crc,
            });
        }
        Ok(EntryDigest {
            size: self.size,
            crc32: crc,
            md5: self.md5.map(|h| h.finalize().into()),
            compressed_size: self.compressed,
        })
    }
}

fn truncated<R: AsyncRead + Unpin>(input: &Input<R>) -> UnzipError {
    UnzipError::Truncated {
        context: "entry data",
        offset: input.pos(),
    }
}

/// Reads a data descriptor: optional signature, CRC-32, then 4- or 8-byte sizes. A leading
/// 0x08074b50 is taken as the signature (a descriptor without one whose CRC happens to equal
/// it then fails verification: an error, never a wrong result).
async fn read_descriptor<R: AsyncRead + Unpin>(
    input: &mut Input<R>,
    zip64: bool,
) -> Result<(u32, u64, u64), UnzipError> {
    const CTX: &str = "data descriptor";
    let first = input.u32(CTX).await?;
    let crc = if first == DD_SIG {
        input.u32(CTX).await?
    } else {
        first
    };
    if zip64 {
        let b: [u8; 16] = input.array(CTX).await?;
        Ok((crc, header::le64(&b, 0), header::le64(&b, 8)))
    } else {
        let b: [u8; 8] = input.array(CTX).await?;
        Ok((
            crc,
            u64::from(header::le32(&b, 0)),
            u64::from(header::le32(&b, 4)),
        ))
    }
}
