//! End-of-archive validation: the central directory must list exactly the entries streamed, in
//! order, with the same raw names, CRC-32s, sizes and local-header offsets; then the optional
//! zip64 end record + locator and the end-of-central-directory record must be present,
//! consistent, and last. Entries are compared through a running MD5 over a canonical encoding
//! ([`Ledger`]), so memory stays constant however many entries the zip has.

use md5::{Digest, Md5};
use tokio::io::AsyncRead;

use super::header::{
    self, CDH_SIG, DIGITAL_SIG, EOCD_SIG, MAX32, ZIP64_EOCD_SIG, ZIP64_LOCATOR_SIG,
};
use super::input::Input;
use super::UnzipError;

/// Order-sensitive digest of (name, crc, sizes, offset) tuples.
#[derive(Clone)]
pub(crate) struct Ledger {
    md5: Md5,
    pub(crate) count: u64,
}

impl Ledger {
    pub(crate) fn new() -> Self {
        Ledger {
            md5: Md5::new(),
            count: 0,
        }
    }

    pub(crate) fn record(
        &mut self,
        name: &[u8],
        crc32: u32,
        compressed: u64,
        size: u64,
        offset: u64,
    ) {
        self.md5.update((name.len() as u64).to_le_bytes());
        self.md5.update(name);
        self.md5.update(crc32.to_le_bytes());
        self.md5.update(compressed.to_le_bytes());
        self.md5.update(size.to_le_bytes());
        self.md5.update(offset.to_le_bytes());
        self.count += 1;
    }

    fn digest(self) -> [u8; 16] {
        self.md5.finalize().into()
    }
}

/// What the end of the archive said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveSummary {
    /// Entries listed by the central directory (equal to the entries streamed).
    pub entries: u64,
    /// A zip64 end-of-central-directory record was present.
    pub zip64: bool,
}

fn bad(reason: &'static str, offset: u64) -> UnzipError {
    UnzipError::BadHeader { reason, offset }
}

fn mismatch(reason: &'static str) -> UnzipError {
    UnzipError::CentralDirectory { reason }
}

/// Reads from just after the signature `sig` (found at `cd_start`) to the end of the stream.
pub(crate) async fn finish<R: AsyncRead + Unpin>(
    input: &mut Input<R>,
    mut sig: u32,
    cd_start: u64,
    streamed: Ledger,
) -> Result<ArchiveSummary, UnzipError> {
    const CD: &str = "central directory";
    let mut listed = Ledger::new();
    let mut name = Vec::new();
    let mut extra = Vec::new();
    let mut sig_at = cd_start;
    while sig == CDH_SIG {
        if listed.count >= streamed.count {
            return Err(mismatch("more central directory records than entries"));
        }
        let mut r = header::parse_central_fixed(&input.array::<42>(CD).await?);
        name.resize(r.name_len, 0);
        input.read_exact(&mut name, CD).await?;
        extra.resize(r.extra_len, 0);
        input.read_exact(&mut extra, CD).await?;
        input.skip_with(r.comment_len as u64, CD, |_| {}).await?;
        header::apply_central_extra(&mut r, &extra, sig_at)?;
        if r.disk != 0 {
            return Err(UnzipError::Unsupported {
                reason: "multi-disk archive",
            });
        }
        listed.record(
            &name,
            r.crc32,
            r.compressed_size,
            r.uncompressed_size,
            r.header_offset,
        );
        sig_at = input.pos();
        sig = input.u32(CD).await?;
    }
    let cd_end = sig_at;
    let streamed_count = streamed.count;
    if listed.count != streamed_count {
        return Err(mismatch("fewer central directory records than entries"));
    }
    if listed.digest() != streamed.digest() {
        return Err(mismatch(
            "a record's name, CRC-32, sizes or offset differs from its entry",
        ));
    }
    if sig == DIGITAL_SIG {
        let len = u16::from_le_bytes(input.array(CD).await?);
        input.skip_with(u64::from(len), CD, |_| {}).await?;
        sig_at = input.pos();
        sig = input.u32("end record").await?;
    }
    // (entries, cd size, cd offset) from the zip64 end record, if any.
    let mut zip64 = None;
    if sig == ZIP64_EOCD_SIG {
        const Z: &str = "zip64 end record";
        let record_at = sig_at;
        let size = u64::from_le_bytes(input.array(Z).await?);
        if !(44..=64 * 1024).contains(&size) {
            return Err(bad("zip64 end record size out of range", record_at));
        }
        let b = input.array::<44>(Z).await?;
        input.skip_with(size - 44, Z, |_| {}).await?;
        if header::le32(&b, 4) != 0 || header::le32(&b, 8) != 0 {
            return Err(UnzipError::Unsupported {
                reason: "multi-disk archive",
            });
        }
        zip64 = Some((
            header::le64(&b, 20),
            header::le64(&b, 28),
            header::le64(&b, 36),
        ));
        let locator_at = input.pos();
        if input.u32(Z).await? != ZIP64_LOCATOR_SIG {
            return Err(bad(
                "zip64 end record not followed by its locator",
                locator_at,
            ));
        }
        let l = input.array::<16>(Z).await?;
        if header::le64(&l, 4) != record_at {
            return Err(mismatch(
                "zip64 locator does not point at the zip64 end record",
            ));
        }
        sig_at = input.pos();
        sig = input.u32("end record").await?;
    }
    if sig != EOCD_SIG {
        return Err(bad("expected the end of central directory record", sig_at));
    }
    let e = input.array::<18>("end record").await?;
    input
        .skip_with(
            u64::from(header::le16(&e, 16)),
            "end record comment",
            |_| {},
        )
        .await?;
    if header::le16(&e, 0) != 0 || header::le16(&e, 2) != 0 {
        return Err(UnzipError::Unsupported {
            reason: "multi-disk archive",
        });
    }
    let (entries, cd_size, cd_offset) = match zip64 {
        Some(z) => z,
        None => {
            let (n, size, off) = (
                header::le16(&e, 6),
                header::le32(&e, 8),
                header::le32(&e, 12),
            );
            if n == 0xFFFF || u64::from(size) == MAX32 || u64::from(off) == MAX32 {
                return Err(bad(
                    "zip64 markers in the end record without a zip64 end record",
                    sig_at,
                ));
            }
            (u64::from(n), u64::from(size), u64::from(off))
        }
    };
    if entries != streamed_count {
        return Err(mismatch(
            "end record entry count differs from the entries streamed",
        ));
    }
    if cd_offset != cd_start || cd_size != cd_end - cd_start {
        return Err(mismatch(
            "end record central directory offset or size is wrong",
        ));
    }
    if !input.at_eof("after end record").await? {
        return Err(bad("trailing bytes after the end record", input.pos()));
    }
    Ok(ArchiveSummary {
        entries,
        zip64: zip64.is_some(),
    })
}
