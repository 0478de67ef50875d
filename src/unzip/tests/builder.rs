//! Hand-built zips for layouts no fixture tool produces on demand (STORED + descriptor with or
//! without signature, zip64 descriptors, > 65,535 entries) and for surgical corruption: the
//! builder records where each part lies so tests can cut or patch at exact offsets.

use std::io::Write;

use flate2::write::DeflateEncoder;
use flate2::Compression;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Desc {
    /// Sizes and CRC in the local header.
    None,
    /// Descriptor with signature, 4-byte sizes.
    Sig,
    /// Descriptor without signature, 4-byte sizes.
    NoSig,
    /// Descriptor with signature, 8-byte sizes.
    Sig64,
}

#[derive(Debug, Clone)]
pub(super) struct E {
    pub(super) name: Vec<u8>,
    pub(super) data: Vec<u8>,
    pub(super) deflate: bool,
    pub(super) desc: Desc,
    /// Put a zip64 extra field (0x0001) in the local header.
    pub(super) zip64_extra: bool,
    /// Lie in the descriptor / local header: (crc, compressed, uncompressed).
    pub(super) claims: Option<(u32, u64, u64)>,
}

impl E {
    pub(super) fn new(name: &[u8], data: &[u8], deflate: bool, desc: Desc) -> Self {
        E {
            name: name.to_vec(),
            data: data.to_vec(),
            deflate,
            desc,
            zip64_extra: false,
            claims: None,
        }
    }
}

/// Where one entry's parts lie in the built zip.
#[derive(Debug, Clone, Copy)]
pub(super) struct Spans {
    pub(super) header: usize,
    pub(super) data: usize,
    pub(super) descriptor: usize,
    pub(super) end: usize,
}

pub(super) struct Built {
    pub(super) bytes: Vec<u8>,
    pub(super) spans: Vec<Spans>,
    pub(super) cd_start: usize,
    pub(super) eocd: usize,
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
    enc.write_all(data).expect("in-memory write");
    enc.finish().expect("in-memory write")
}

fn put16(b: &mut Vec<u8>, v: u16) {
    b.extend_from_slice(&v.to_le_bytes());
}
fn put32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}
fn put64(b: &mut Vec<u8>, v: u64) {
    b.extend_from_slice(&v.to_le_bytes());
}

/// Builds a complete zip; `zip64_end` forces a zip64 end record + locator (automatic above
/// 65,535 entries).
pub(super) fn build(entries: &[E], zip64_end: bool) -> Built {
    let mut b = Vec::new();
    let mut spans = Vec::new();
    let mut cd = Vec::new();
    for e in entries {
        let header = b.len();
        let payload = if e.deflate {
            deflate(&e.data)
        } else {
            e.data.clone()
        };
        let real = (
            crc32fast::hash(&e.data),
            payload.len() as u64,
            e.data.len() as u64,
        );
        let (crc, csize, usize) = e.claims.unwrap_or(real);
        let flags: u16 = if e.desc == Desc::None { 0 } else { 8 };
        put32(&mut b, 0x0403_4b50);
        put16(&mut b, if e.zip64_extra { 45 } else { 20 });
        put16(&mut b, flags);
        put16(&mut b, if e.deflate { 8 } else { 0 });
        put16(&mut b, 0);
        put16(&mut b, 0x21);
        let in_header = e.desc == Desc::None;
        put32(&mut b, if in_header { crc } else { 0 });
        if e.zip64_extra {
            put32(&mut b, u32::MAX);
            put32(&mut b, u32::MAX);
        } else {
            put32(&mut b, if in_header { csize as u32 } else { 0 });
            put32(&mut b, if in_header { usize as u32 } else { 0 });
        }
        put16(&mut b, e.name.len() as u16);
        put16(&mut b, if e.zip64_extra { 20 } else { 0 });
        b.extend_from_slice(&e.name);
        if e.zip64_extra {
            put16(&mut b, 1);
            put16(&mut b, 16);
            put64(&mut b, if in_header { usize } else { 0 });
            put64(&mut b, if in_header { csize } else { 0 });
        }
        let data = b.len();
        b.extend_from_slice(&payload);
        let descriptor = b.len();
        match e.desc {
            Desc::None => {}
            Desc::Sig | Desc::NoSig => {
                if e.desc == Desc::Sig {
                    put32(&mut b, 0x0807_4b50);
                }
                put32(&mut b, crc);
                put32(&mut b, csize as u32);
                put32(&mut b, usize as u32);
            }
            Desc::Sig64 => {
                put32(&mut b, 0x0807_4b50);
                put32(&mut b, crc);
                put64(&mut b, csize);
                put64(&mut b, usize);
            }
        }
        spans.push(Spans {
            header,
            data,
            descriptor,
            end: b.len(),
        });
        put32(&mut cd, 0x0201_4b50);
        put16(&mut cd, 20);
        put16(&mut cd, 20);
        put16(&mut cd, flags);
        put16(&mut cd, if e.deflate { 8 } else { 0 });
        put16(&mut cd, 0);
        put16(&mut cd, 0x21);
        put32(&mut cd, real.0);
        put32(&mut cd, real.1 as u32);
        put32(&mut cd, real.2 as u32);
        put16(&mut cd, e.name.len() as u16);
        put16(&mut cd, 0);
        put16(&mut cd, 0);
        put16(&mut cd, 0);
        put16(&mut cd, 0);
        put32(&mut cd, 0);
        put32(&mut cd, header as u32);
        cd.extend_from_slice(&e.name);
    }
    let cd_start = b.len();
    b.extend_from_slice(&cd);
    let n = entries.len() as u64;
    let zip64 = zip64_end || n > 0xFFFF;
    if zip64 {
        let record = b.len() as u64;
        put32(&mut b, 0x0606_4b50);
        put64(&mut b, 44);
        put16(&mut b, 45);
        put16(&mut b, 45);
        put32(&mut b, 0);
        put32(&mut b, 0);
        put64(&mut b, n);
        put64(&mut b, n);
        put64(&mut b, cd.len() as u64);
        put64(&mut b, cd_start as u64);
        put32(&mut b, 0x0706_4b50);
        put32(&mut b, 0);
        put64(&mut b, record);
        put32(&mut b, 1);
    }
    let eocd = b.len();
    let n16 = if zip64 { 0xFFFF } else { n as u16 };
    put32(&mut b, 0x0605_4b50);
    put16(&mut b, 0);
    put16(&mut b, 0);
    put16(&mut b, n16);
    put16(&mut b, n16);
    put32(&mut b, cd.len() as u32);
    put32(&mut b, cd_start as u32);
    put16(&mut b, 0);
    Built {
        bytes: b,
        spans,
        cd_start,
        eocd,
    }
}
