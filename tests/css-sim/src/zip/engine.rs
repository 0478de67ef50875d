//! One synchronous generation pass over a [`ZipPlan`]: decides, per layout, each entry's
//! method, flags, header shapes and zip64 use, feeds entry content (DEFLATEd or STORED, with the
//! planned one-byte corruption) through an [`Emitter`], then writes the central directory and
//! end records. CPU-bound and blocking by design; the async wrapper runs it off the runtime.
//! It never buffers an entry or the archive: memory is one input block, one output block and a
//! small record per entry for the central directory.

use flate2::{Compress, Compression, FlushCompress, Status};

use super::emit::{Emitter, Halt};
use super::format::{self, EntryFields, LocalSizes, MAGIC32};
use super::{ZipEntrySpec, ZipError, ZipLayout, ZipPlan};
use crate::content::ContentReader;

/// Uncompressed bytes handed to the deflater per call.
const IN_BLOCK: usize = 64 * 1024;
/// Raw deflate of empty input.
const EMPTY_DEFLATE: [u8; 2] = [0x03, 0x00];
/// Room for one call's compressed output (raw deflate never expands 64 KiB past this).
const OUT_BLOCK: usize = IN_BLOCK + 1024;

struct Rules {
    method: u16,
    descriptor: bool,
    force_zip64: bool,
}

fn rules(layout: ZipLayout) -> Rules {
    match layout {
        ZipLayout::Java => Rules {
            method: format::METHOD_DEFLATE,
            descriptor: true,
            force_zip64: false,
        },
        ZipLayout::StoredSizes => Rules {
            method: format::METHOD_STORED,
            descriptor: false,
            force_zip64: false,
        },
        ZipLayout::StoredDescriptor => Rules {
            method: format::METHOD_STORED,
            descriptor: true,
            force_zip64: false,
        },
        ZipLayout::Zip64 => Rules {
            method: format::METHOD_DEFLATE,
            descriptor: true,
            force_zip64: true,
        },
    }
}

/// What the central directory needs to know about an entry once its data is written.
struct CentralRecord {
    index: usize,
    fields: Fields,
    crc: Option<u32>,
    csize: u64,
    usize: u64,
    offset: u64,
}

#[derive(Clone, Copy)]
struct Fields {
    version: u16,
    flags: u16,
    method: u16,
    dos_time: u16,
    dos_date: u16,
}

impl Fields {
    fn with_name<'a>(&self, name: &'a [u8]) -> EntryFields<'a> {
        EntryFields {
            name,
            version: self.version,
            flags: self.flags,
            method: self.method,
            dos_time: self.dos_time,
            dos_date: self.dos_date,
        }
    }
}

/// An entry's bytes as the archive carries them: the content with the planned flip applied.
struct EntrySource<'a> {
    reader: ContentReader<'a>,
    flip_at: Option<u64>,
}

impl<'a> EntrySource<'a> {
    fn new(spec: &'a ZipEntrySpec) -> Self {
        EntrySource {
            reader: spec.content.reader(),
            flip_at: flip_offset(spec),
        }
    }

    fn fill(&mut self, offset: u64, buf: &mut [u8]) {
        self.reader.fill(offset, buf);
        if let Some(at) = self.flip_at {
            if at >= offset && at - offset < buf.len() as u64 {
                buf[(at - offset) as usize] ^= 0xFF;
            }
        }
    }
}

/// The byte a corrupt entry flips: the middle one. An empty entry has nothing to flip.
fn flip_offset(spec: &ZipEntrySpec) -> Option<u64> {
    (spec.corrupt && spec.content.len > 0).then_some(spec.content.len / 2)
}

/// CRC-32 of the bytes actually written. For an intact entry that is the catalog's precomputed
/// CRC; a corrupt one needs a pass over its content, done only when a header needs it.
fn entry_crc(spec: &ZipEntrySpec) -> u32 {
    if flip_offset(spec).is_none() {
        return spec.digest.crc32;
    }
    let mut src = EntrySource::new(spec);
    let mut crc = crc32fast::Hasher::new();
    let mut buf = vec![0u8; IN_BLOCK];
    let mut off = 0u64;
    while off < spec.content.len {
        let n = (spec.content.len - off).min(IN_BLOCK as u64) as usize;
        src.fill(off, &mut buf[..n]);
        crc.update(&buf[..n]);
        off += n as u64;
    }
    crc.finalize()
}

/// Emits a header whose size does not depend on the CRC, computing the CRC (possibly a full
/// pass over a corrupt entry) only when the header's bytes are inside the window.
fn emit_header<S: FnMut(bytes::Bytes) -> bool>(
    em: &mut Emitter<S>,
    crc: &mut Option<u32>,
    spec: &ZipEntrySpec,
    build: impl Fn(u32) -> Vec<u8>,
) -> Result<(), Halt> {
    let probe = build(0);
    if !em.wants(probe.len() as u64) {
        return em.write(&probe);
    }
    let value = *crc.get_or_insert_with(|| entry_crc(spec));
    em.write(&build(value))
}

fn validate(plan: &ZipPlan) -> Result<(), ZipError> {
    for (index, e) in plan.entries.iter().enumerate() {
        if e.name.len() > u16::MAX as usize {
            return Err(ZipError::NameTooLong {
                index,
                len: e.name.len(),
            });
        }
        if e.digest.len != e.content.len {
            return Err(ZipError::DigestLength {
                index,
                digest: e.digest.len,
                content: e.content.len,
            });
        }
    }
    Ok(())
}

/// Runs the whole archive through `em`. Returns `Err(Halt::Done)` as soon as the window is
/// complete, so callers must treat it as success.
pub(super) fn generate<S: FnMut(bytes::Bytes) -> bool>(
    plan: &ZipPlan,
    em: &mut Emitter<S>,
) -> Result<(), Halt> {
    validate(plan).map_err(Halt::Failed)?;
    let r = rules(plan.layout);
    let mut central = Vec::with_capacity(plan.entries.len());
    // Level 6 (unless the plan says otherwise) without a zlib header, as java.util.zip.Deflater
    // writes zip entries. One deflater per pass, reset per entry: its state is ~300 KiB, too
    // much to rebuild for 65,536 entries.
    let level = plan.deflate_level.unwrap_or(6).min(9);
    let mut z = Compress::new(Compression::new(level), false);
    for (index, spec) in plan.entries.iter().enumerate() {
        let offset = em.pos();
        let (dos_time, dos_date) = format::dos_datetime(spec.modified_unix);
        let utf8 = std::str::from_utf8(&spec.name).is_ok();
        let mut flags = if utf8 { format::FLAG_UTF8 } else { 0 };
        if r.descriptor {
            flags |= format::FLAG_DESCRIPTOR;
        }
        let mut fields = Fields {
            version: 0,
            flags,
            method: r.method,
            dos_time,
            dos_date,
        };
        let record = if r.method == format::METHOD_STORED {
            stored_entry(em, spec, &r, &mut fields)?
        } else {
            deflated_entry(em, spec, &r, &mut fields, &mut z)?
        };
        let (crc, csize, usize) = record;
        central.push(CentralRecord {
            index,
            fields,
            crc,
            csize,
            usize,
            offset,
        });
    }
    let cd_offset = em.pos();
    for rec in &central {
        let Some(spec) = plan.entries.get(rec.index) else {
            continue;
        };
        let mut crc = rec.crc;
        let f = rec.fields.with_name(&spec.name);
        emit_header(em, &mut crc, spec, |c| {
            format::central_header(&f, c, rec.csize, rec.usize, rec.offset, r.force_zip64)
        })?;
    }
    let cd_size = em.pos() - cd_offset;
    let count = central.len() as u64;
    em.write(&format::end_records(
        count,
        cd_offset,
        cd_size,
        em.pos(),
        r.force_zip64,
    ))
}

type Sizes = (Option<u32>, u64, u64);

fn stored_entry<S: FnMut(bytes::Bytes) -> bool>(
    em: &mut Emitter<S>,
    spec: &ZipEntrySpec,
    r: &Rules,
    fields: &mut Fields,
) -> Result<Sizes, Halt> {
    let len = spec.content.len;
    let big = r.force_zip64 || len >= MAGIC32;
    fields.version = if big {
        format::VERSION_ZIP64
    } else {
        format::VERSION_STORED
    };
    let f = fields.with_name(&spec.name);
    let mut crc = None;
    emit_header(em, &mut crc, spec, |c| {
        let sizes = match (r.descriptor, big) {
            (false, false) => LocalSizes::Plain {
                crc: c,
                csize: len as u32,
                usize: len as u32,
            },
            (false, true) => LocalSizes::Zip64 {
                crc: c,
                usize: len,
                csize: len,
            },
            (true, false) => LocalSizes::Plain {
                crc: 0,
                csize: 0,
                usize: 0,
            },
            (true, true) => LocalSizes::Zip64 {
                crc: 0,
                usize: 0,
                csize: 0,
            },
        };
        format::local_header(&f, sizes)
    })?;
    let mut src = EntrySource::new(spec);
    em.content(len, |off, buf| src.fill(off, buf))?;
    if r.descriptor {
        emit_header(em, &mut crc, spec, |c| format::descriptor(c, len, len, big))?;
    }
    Ok((crc, len, len))
}

fn deflated_entry<S: FnMut(bytes::Bytes) -> bool>(
    em: &mut Emitter<S>,
    spec: &ZipEntrySpec,
    r: &Rules,
    fields: &mut Fields,
    z: &mut Compress,
) -> Result<Sizes, Halt> {
    fields.version = if r.force_zip64 {
        format::VERSION_ZIP64
    } else {
        format::VERSION_DEFLATE
    };
    // Sizes are unknown until the data is compressed, so the local header has zeros, like
    // Java's; a forced-zip64 archive adds a zeroed zip64 extra to announce 8-byte descriptors.
    let sizes = if r.force_zip64 {
        LocalSizes::Zip64 {
            crc: 0,
            usize: 0,
            csize: 0,
        }
    } else {
        LocalSizes::Plain {
            crc: 0,
            csize: 0,
            usize: 0,
        }
    };
    em.write(&format::local_header(&fields.with_name(&spec.name), sizes))?;

    let len = spec.content.len;
    if len == 0 {
        // A final fixed-Huffman block holding only end-of-block, as zlib and Java emit for
        // empty input; skipping the deflater reset keeps 65,536-entry archives cheap.
        em.write(&EMPTY_DEFLATE)?;
        let zip64 = r.force_zip64;
        em.write(&format::descriptor(0, EMPTY_DEFLATE.len() as u64, 0, zip64))?;
        return Ok((Some(0), EMPTY_DEFLATE.len() as u64, 0));
    }
    let mut src = EntrySource::new(spec);
    let mut crc = crc32fast::Hasher::new();
    z.reset();
    let mut csize = 0u64;
    let mut input = vec![0u8; IN_BLOCK];
    let mut out = Vec::with_capacity(OUT_BLOCK);
    let mut off = 0u64;
    while off < len {
        let n = (len - off).min(IN_BLOCK as u64) as usize;
        src.fill(off, &mut input[..n]);
        crc.update(&input[..n]);
        off += n as u64;
        let mut rest = &input[..n];
        while !rest.is_empty() {
            let used = deflate_step(z, rest, &mut out, FlushCompress::None)?.0;
            rest = &rest[used..];
            csize += out.len() as u64;
            em.write(&out)?;
        }
    }
    loop {
        let (_, status) = deflate_step(z, &[], &mut out, FlushCompress::Finish)?;
        csize += out.len() as u64;
        em.write(&out)?;
        if status == Status::StreamEnd {
            break;
        }
    }
    let crc = crc.finalize();
    // Java: an 8-byte descriptor exactly when a size reaches 0xFFFFFFFF.
    let zip64 = r.force_zip64 || csize >= MAGIC32 || len >= MAGIC32;
    em.write(&format::descriptor(crc, csize, len, zip64))?;
    Ok((Some(crc), csize, len))
}

/// One deflate call into a cleared `out`; returns input bytes consumed. A call that neither
/// consumes nor produces would loop forever, so it is an error.
fn deflate_step(
    z: &mut Compress,
    input: &[u8],
    out: &mut Vec<u8>,
    flush: FlushCompress,
) -> Result<(usize, Status), Halt> {
    out.clear();
    let (in_before, out_before) = (z.total_in(), z.total_out());
    let status = z
        .compress_vec(input, out, flush)
        .map_err(|e| Halt::Failed(ZipError::Deflate(e)))?;
    let used = (z.total_in() - in_before) as usize;
    if used == 0 && z.total_out() == out_before && status != Status::StreamEnd {
        return Err(Halt::Failed(ZipError::DeflateStalled));
    }
    Ok((used, status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_deflate_constant_matches_the_deflater() {
        let mut z = Compress::new(Compression::new(6), false);
        let mut out = Vec::with_capacity(64);
        let status = z.compress_vec(&[], &mut out, FlushCompress::Finish);
        assert!(matches!(status, Ok(Status::StreamEnd)));
        assert_eq!(out, EMPTY_DEFLATE);
    }
}
