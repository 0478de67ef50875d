//! Pure parsing of zip records (APPNOTE 6.3.x): signatures, the local file header's fixed part,
//! its extra fields (zip64 0x0001), and the rule that picks 4- or 8-byte data-descriptor sizes.
//! No I/O here, so every rule is unit-testable on byte arrays; all lengths are checked against
//! the slice before use (hostile input gives [`UnzipError::BadHeader`], never a panic).

use super::UnzipError;

pub(crate) const LFH_SIG: u32 = 0x0403_4b50;
pub(crate) const CDH_SIG: u32 = 0x0201_4b50;
pub(crate) const DD_SIG: u32 = 0x0807_4b50;
pub(crate) const EOCD_SIG: u32 = 0x0605_4b50;
pub(crate) const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
pub(crate) const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
pub(crate) const DIGITAL_SIG: u32 = 0x0505_4b50;

/// 32-bit size fields holding this value defer to the zip64 extra field.
pub(crate) const MAX32: u64 = 0xFFFF_FFFF;

const FLAG_ENCRYPTED: u16 = 1;
const FLAG_DESCRIPTOR: u16 = 1 << 3;
const FLAG_STRONG_ENCRYPTION: u16 = 1 << 6;
const FLAG_MASKED_HEADER: u16 = 1 << 13;

/// Compression methods this reader streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Stored,
    Deflate,
}

/// A local file header, sizes resolved through the zip64 extra field when present.
#[derive(Debug, Clone)]
pub(crate) struct LocalHeader {
    pub(crate) method: Method,
    /// Flag bit 3: CRC and sizes follow the data in a data descriptor.
    pub(crate) descriptor: bool,
    pub(crate) crc32: u32,
    pub(crate) compressed_size: u64,
    pub(crate) uncompressed_size: u64,
    pub(crate) name_len: usize,
    pub(crate) extra_len: usize,
    /// A zip64 extended-information extra field (0x0001) is present.
    pub(crate) zip64_extra: bool,
}

pub(crate) fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

pub(crate) fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

pub(crate) fn le64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// Parses the 26 bytes that follow a local header signature (fixed-size array: no bounds to
/// get wrong). Refuses encryption and methods other than STORED (0) and DEFLATE (8).
pub(crate) fn parse_local_fixed(b: &[u8; 26]) -> Result<LocalHeader, UnzipError> {
    let flags = le16(b, 2);
    if flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION) != 0 {
        return Err(UnzipError::Unsupported {
            reason: "encrypted entry",
        });
    }
    if flags & FLAG_MASKED_HEADER != 0 {
        return Err(UnzipError::Unsupported {
            reason: "masked local header",
        });
    }
    let method = match le16(b, 4) {
        0 => Method::Stored,
        8 => Method::Deflate,
        _ => {
            return Err(UnzipError::Unsupported {
                reason: "compression method other than STORED or DEFLATE",
            })
        }
    };
    Ok(LocalHeader {
        method,
        descriptor: flags & FLAG_DESCRIPTOR != 0,
        crc32: le32(b, 10),
        compressed_size: u64::from(le32(b, 14)),
        uncompressed_size: u64::from(le32(b, 18)),
        name_len: usize::from(le16(b, 22)),
        extra_len: usize::from(le16(b, 24)),
        zip64_extra: false,
    })
}

/// Walks extra fields, yielding `(id, data)`. Up to 3 trailing bytes (alignment padding, as
/// zipalign writes) are tolerated; a field whose length overruns the area is an error.
pub(crate) fn extra_fields(
    extra: &[u8],
    offset: u64,
) -> impl Iterator<Item = Result<(u16, &[u8]), UnzipError>> + '_ {
    let mut rest = extra;
    std::iter::from_fn(move || {
        if rest.len() < 4 {
            return None;
        }
        let id = le16(rest, 0);
        let len = usize::from(le16(rest, 2));
        if len > rest.len() - 4 {
            rest = &[];
            return Some(Err(UnzipError::BadHeader {
                reason: "extra field overruns its area",
                offset,
            }));
        }
        let data = &rest[4..4 + len];
        rest = &rest[4 + len..];
        Some(Ok((id, data)))
    })
}

/// Applies the local header's extra fields. In a local header the zip64 field holds the
/// uncompressed then the compressed size, each only when the 32-bit field is 0xFFFFFFFF.
pub(crate) fn apply_local_extra(
    h: &mut LocalHeader,
    extra: &[u8],
    offset: u64,
) -> Result<(), UnzipError> {
    for field in extra_fields(extra, offset) {
        let (id, data) = field?;
        if id != 0x0001 || h.zip64_extra {
            continue;
        }
        h.zip64_extra = true;
        let mut at = 0;
        for size in [&mut h.uncompressed_size, &mut h.compressed_size] {
            if *size == MAX32 {
                if data.len() < at + 8 {
                    return Err(UnzipError::BadHeader {
                        reason: "zip64 extra field too short",
                        offset,
                    });
                }
                *size = le64(data, at);
                at += 8;
            }
        }
    }
    if !h.descriptor
        && !h.zip64_extra
        && (h.uncompressed_size == MAX32 || h.compressed_size == MAX32)
    {
        return Err(UnzipError::BadHeader {
            reason: "zip64 size marker without zip64 extra field",
            offset,
        });
    }
    Ok(())
}

/// Whether the data descriptor after an entry carries 8-byte sizes. APPNOTE 4.3.9.2: when the
/// local header has a zip64 extra field. Java's `ZipOutputStream` and Go's `archive/zip` never
/// put one in a descriptor entry's local header; they switch to 8-byte sizes exactly when
/// either size is >= 0xFFFFFFFF, which we know by the time the descriptor is read.
pub(crate) fn zip64_descriptor(zip64_extra: bool, compressed: u64, uncompressed: u64) -> bool {
    zip64_extra || compressed >= MAX32 || uncompressed >= MAX32
}

/// One central directory record, sizes and offset resolved through its zip64 extra field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CentralRecord {
    pub(crate) crc32: u32,
    pub(crate) compressed_size: u64,
    pub(crate) uncompressed_size: u64,
    pub(crate) header_offset: u64,
    pub(crate) disk: u32,
    pub(crate) name_len: usize,
    pub(crate) extra_len: usize,
    pub(crate) comment_len: usize,
}

/// Parses the 42 bytes that follow a central directory header signature.
pub(crate) fn parse_central_fixed(b: &[u8; 42]) -> CentralRecord {
    CentralRecord {
        crc32: le32(b, 12),
        compressed_size: u64::from(le32(b, 16)),
        uncompressed_size: u64::from(le32(b, 20)),
        name_len: usize::from(le16(b, 24)),
        extra_len: usize::from(le16(b, 26)),
        comment_len: usize::from(le16(b, 28)),
        disk: u32::from(le16(b, 30)),
        header_offset: u64::from(le32(b, 38)),
    }
}

/// Central-directory zip64 field: uncompressed, compressed, offset, disk — each present only
/// when its fixed field is saturated.
pub(crate) fn apply_central_extra(
    r: &mut CentralRecord,
    extra: &[u8],
    offset: u64,
) -> Result<(), UnzipError> {
    for field in extra_fields(extra, offset) {
        let (id, data) = field?;
        if id != 0x0001 {
            continue;
        }
        let mut at = 0;
        for v in [
            &mut r.uncompressed_size,
            &mut r.compressed_size,
            &mut r.header_offset,
        ] {
            if *v == MAX32 {
                if data.len() < at + 8 {
                    return Err(UnzipError::BadHeader {
                        reason: "zip64 extra field too short",
                        offset,
                    });
                }
                *v = le64(data, at);
                at += 8;
            }
        }
        if r.disk == 0xFFFF {
            if data.len() < at + 4 {
                return Err(UnzipError::BadHeader {
                    reason: "zip64 extra field too short",
                    offset,
                });
            }
            r.disk = le32(data, at);
        }
        return Ok(());
    }
    Ok(())
}
