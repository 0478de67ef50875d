//! PKWARE APPNOTE record encoders: local file header, data descriptor, central directory
//! header, zip64 end records and EOCD, plus MS-DOS timestamps. Pure functions from field values
//! to bytes; the zip64 decisions that depend only on field values (Java's per-field rule for
//! the central directory, the end-record rule) live here too. Nothing here knows about layouts,
//! content or streaming.

pub(super) const LOCAL_SIG: u32 = 0x0403_4b50;
pub(super) const DESCRIPTOR_SIG: u32 = 0x0807_4b50;
pub(super) const CENTRAL_SIG: u32 = 0x0201_4b50;
pub(super) const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
pub(super) const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
pub(super) const EOCD_SIG: u32 = 0x0605_4b50;

/// A 32-bit field at or above this moves to the zip64 extra (Java uses `>=`, so do we).
pub(super) const MAGIC32: u64 = 0xFFFF_FFFF;
/// An entry count at or above this needs the zip64 end record.
pub(super) const MAGIC16: u64 = 0xFFFF;

pub(super) const ZIP64_EXTRA_ID: u16 = 0x0001;
pub(super) const FLAG_DESCRIPTOR: u16 = 1 << 3;
pub(super) const FLAG_UTF8: u16 = 1 << 11;

pub(super) const METHOD_STORED: u16 = 0;
pub(super) const METHOD_DEFLATE: u16 = 8;

/// Version needed to extract, as Java's `ZipOutputStream` writes them.
pub(super) const VERSION_STORED: u16 = 10;
pub(super) const VERSION_DEFLATE: u16 = 20;
pub(super) const VERSION_ZIP64: u16 = 45;

struct Out(Vec<u8>);

impl Out {
    fn with_capacity(n: usize) -> Self {
        Out(Vec::with_capacity(n))
    }
    fn u16(&mut self, v: u16) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.0.extend_from_slice(v);
        self
    }
}

/// Clamps to 32 bits; only reached for values the caller already moved to a zip64 extra.
fn low32(v: u64) -> u32 {
    v.min(MAGIC32) as u32
}

/// Fields shared by the local and central headers of one entry.
#[derive(Clone, Copy, Debug)]
pub(super) struct EntryFields<'a> {
    pub name: &'a [u8],
    pub version: u16,
    pub flags: u16,
    pub method: u16,
    pub dos_time: u16,
    pub dos_date: u16,
}

/// What the local header says about CRC and sizes.
#[derive(Clone, Copy, Debug)]
pub(super) enum LocalSizes {
    /// Plain 32-bit CRC and sizes (zeros when a descriptor follows, as Java writes).
    Plain { crc: u32, csize: u32, usize: u32 },
    /// Sizes 0xFFFFFFFF with a zip64 extra holding `(usize, csize)` — zeros when a
    /// descriptor follows, the convention of Python's and Info-ZIP's streaming writers.
    Zip64 { crc: u32, usize: u64, csize: u64 },
}

pub(super) fn local_header(f: &EntryFields, sizes: LocalSizes) -> Vec<u8> {
    let mut o = Out::with_capacity(30 + f.name.len() + 20);
    o.u32(LOCAL_SIG)
        .u16(f.version)
        .u16(f.flags)
        .u16(f.method)
        .u16(f.dos_time)
        .u16(f.dos_date);
    match sizes {
        LocalSizes::Plain { crc, csize, usize } => {
            o.u32(crc).u32(csize).u32(usize);
            o.u16(name_len(f.name)).u16(0).bytes(f.name);
        }
        LocalSizes::Zip64 { crc, usize, csize } => {
            o.u32(crc).u32(MAGIC32 as u32).u32(MAGIC32 as u32);
            o.u16(name_len(f.name)).u16(20).bytes(f.name);
            o.u16(ZIP64_EXTRA_ID).u16(16).u64(usize).u64(csize);
        }
    }
    o.0
}

/// Names longer than 65,535 bytes cannot be represented; the plan validator rejects them, so
/// this clamp only keeps the encoder total.
fn name_len(name: &[u8]) -> u16 {
    name.len().min(u16::MAX as usize) as u16
}

/// Data descriptor with signature; 8-byte sizes when `zip64`.
pub(super) fn descriptor(crc: u32, csize: u64, usize: u64, zip64: bool) -> Vec<u8> {
    let mut o = Out::with_capacity(24);
    o.u32(DESCRIPTOR_SIG).u32(crc);
    if zip64 {
        o.u64(csize).u64(usize);
    } else {
        o.u32(low32(csize)).u32(low32(usize));
    }
    o.0
}

/// Central directory header. Each of usize, csize and offset moves to the zip64 extra when it
/// is ≥ 0xFFFFFFFF (Java's `writeCEN` rule), or always when `force_zip64`.
pub(super) fn central_header(
    f: &EntryFields,
    crc: u32,
    csize: u64,
    usize: u64,
    offset: u64,
    force_zip64: bool,
) -> Vec<u8> {
    let big = |v: u64| force_zip64 || v >= MAGIC32;
    let mut extra = Out::with_capacity(28);
    for v in [usize, csize, offset] {
        if big(v) {
            extra.u64(v);
        }
    }
    let zip64 = !extra.0.is_empty();
    let version = if zip64 { VERSION_ZIP64 } else { f.version };
    let field = |v: u64| if big(v) { MAGIC32 as u32 } else { v as u32 };
    let extra_len = if zip64 { 4 + extra.0.len() } else { 0 };
    let mut o = Out::with_capacity(46 + f.name.len() + extra_len);
    o.u32(CENTRAL_SIG)
        .u16(version) // version made by: MS-DOS host, like Java
        .u16(version)
        .u16(f.flags)
        .u16(f.method)
        .u16(f.dos_time)
        .u16(f.dos_date)
        .u32(crc)
        .u32(field(csize))
        .u32(field(usize))
        .u16(name_len(f.name))
        .u16(extra_len as u16)
        .u16(0) // comment length
        .u16(0) // disk number start
        .u16(0) // internal attributes
        .u32(0) // external attributes
        .u32(field(offset))
        .bytes(f.name);
    if zip64 {
        o.u16(ZIP64_EXTRA_ID)
            .u16(extra.0.len() as u16)
            .bytes(&extra.0);
    }
    o.0
}

/// Zip64 end record + locator (when needed or forced) and the EOCD, written at `at`.
/// Java's `writeEND` rule: zip64 when the count is ≥ 0xFFFF or the directory's size or
/// offset is ≥ 0xFFFFFFFF; only the overflowing EOCD fields hold the magic value unless
/// `force_zip64`, which puts magic values in all of them so readers must use the zip64 record.
pub(super) fn end_records(
    count: u64,
    cd_offset: u64,
    cd_size: u64,
    at: u64,
    force: bool,
) -> Vec<u8> {
    let zip64 = force || count >= MAGIC16 || cd_offset >= MAGIC32 || cd_size >= MAGIC32;
    let mut o = Out::with_capacity(56 + 20 + 22);
    if zip64 {
        o.u32(ZIP64_EOCD_SIG)
            .u64(44) // size of the rest of this record
            .u16(VERSION_ZIP64)
            .u16(VERSION_ZIP64)
            .u32(0) // this disk
            .u32(0) // disk with the central directory
            .u64(count)
            .u64(count)
            .u64(cd_size)
            .u64(cd_offset);
        o.u32(ZIP64_LOCATOR_SIG).u32(0).u64(at).u32(1);
    }
    let count16 = if force || count >= MAGIC16 {
        MAGIC16 as u16
    } else {
        count as u16
    };
    let field = |v: u64| {
        if force || v >= MAGIC32 {
            MAGIC32 as u32
        } else {
            v as u32
        }
    };
    o.u32(EOCD_SIG)
        .u16(0)
        .u16(0)
        .u16(count16)
        .u16(count16)
        .u32(field(cd_size))
        .u32(field(cd_offset))
        .u16(0);
    o.0
}

/// MS-DOS (time, date) of a Unix timestamp, in UTC. Before 1980 clamps to 1980-01-01 00:00:00
/// (Java's `DOSTIME_BEFORE_1980`); after 2107 clamps to the last representable instant.
pub(super) fn dos_datetime(unix: i64) -> (u16, u16) {
    use chrono::{Datelike, Timelike};
    const MIN: (u16, u16) = (0, (1 << 5) | 1);
    const MAX: (u16, u16) = ((23 << 11) | (59 << 5) | 29, (127 << 9) | (12 << 5) | 31);
    let Some(t) = chrono::DateTime::from_timestamp(unix, 0) else {
        return if unix < 0 { MIN } else { MAX };
    };
    let year = t.year();
    if year < 1980 {
        return MIN;
    }
    if year > 2107 {
        return MAX;
    }
    let time = (t.hour() << 11) | (t.minute() << 5) | (t.second() / 2);
    let date = (((year - 1980) as u32) << 9) | (t.month() << 5) | t.day();
    (time as u16, date as u16)
}

#[cfg(test)]
mod tests;
