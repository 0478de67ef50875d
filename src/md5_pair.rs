//! issue 8 (speed): two MD5 digests of the same bytes in one pass: a whole object's and the
//! current multipart part's. MD5 is one long chain of dependent operations per digest, so a
//! CPU runs two independent chains side by side for about the cost of one: every 64-byte block
//! is loaded once and compressed into both states, interleaved ([`compress2`]). A part shares
//! the whole object's blocks while it starts on a block boundary (any part size that is a
//! multiple of 64 bytes, e.g. whole MiB); a part that would start mid-block gets a hasher of its
//! own from then on (correct, just no longer paired). An upload without parts hashes the whole
//! object alone with the `md-5` crate's assembly. Pure computation: no I/O, no policy about
//! what the digests prove.

use md5::{Digest, Md5};

const IV: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
const S: [u32; 64] = [
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9,
    14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15,
    21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
];
const K: [u32; 64] = [
    0xd76a_a478,
    0xe8c7_b756,
    0x2420_70db,
    0xc1bd_ceee,
    0xf57c_0faf,
    0x4787_c62a,
    0xa830_4613,
    0xfd46_9501,
    0x6980_98d8,
    0x8b44_f7af,
    0xffff_5bb1,
    0x895c_d7be,
    0x6b90_1122,
    0xfd98_7193,
    0xa679_438e,
    0x49b4_0821,
    0xf61e_2562,
    0xc040_b340,
    0x265e_5a51,
    0xe9b6_c7aa,
    0xd62f_105d,
    0x0244_1453,
    0xd8a1_e681,
    0xe7d3_fbc8,
    0x21e1_cde6,
    0xc337_07d6,
    0xf4d5_0d87,
    0x455a_14ed,
    0xa9e3_e905,
    0xfcef_a3f8,
    0x676f_02d9,
    0x8d2a_4c8a,
    0xfffa_3942,
    0x8771_f681,
    0x6d9d_6122,
    0xfde5_380c,
    0xa4be_ea44,
    0x4bde_cfa9,
    0xf6bb_4b60,
    0xbebf_bc70,
    0x289b_7ec6,
    0xeaa1_27fa,
    0xd4ef_3085,
    0x0488_1d05,
    0xd9d4_d039,
    0xe6db_99e5,
    0x1fa2_7cf8,
    0xc4ac_5665,
    0xf429_2244,
    0x432a_ff97,
    0xab94_23a7,
    0xfc93_a039,
    0x655b_59c3,
    0x8f0c_cc92,
    0xffef_f47d,
    0x8584_5dd1,
    0x6fa8_7e4f,
    0xfe2c_e6e0,
    0xa301_4314,
    0x4e08_11a1,
    0xf753_7e82,
    0xbd3a_f235,
    0x2ad7_d2bb,
    0xeb86_d391,
];

/// Pure: compresses one 64-byte block into both states, the two chains interleaved.
#[inline(always)]
fn compress2(a: &mut [u32; 4], b: &mut [u32; 4], block: &[u8; 64]) {
    let mut m = [0u32; 16];
    for (w, c) in m.iter_mut().zip(block.chunks_exact(4)) {
        *w = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    let [mut a0, mut a1, mut a2, mut a3] = *a;
    let [mut b0, mut b1, mut b2, mut b3] = *b;
    macro_rules! step {
        ($i:expr, $f:expr, $g:expr) => {{
            let ta = a0
                .wrapping_add($f(a1, a2, a3))
                .wrapping_add(K[$i])
                .wrapping_add(m[$g]);
            let tb = b0
                .wrapping_add($f(b1, b2, b3))
                .wrapping_add(K[$i])
                .wrapping_add(m[$g]);
            (a0, a3, a2) = (a3, a2, a1);
            a1 = a1.wrapping_add(ta.rotate_left(S[$i]));
            (b0, b3, b2) = (b3, b2, b1);
            b1 = b1.wrapping_add(tb.rotate_left(S[$i]));
        }};
    }
    macro_rules! round {
        ($base:expr, $f:expr, $g:expr) => {
            step!($base, $f, $g(0));
            step!($base + 1, $f, $g(1));
            step!($base + 2, $f, $g(2));
            step!($base + 3, $f, $g(3));
            step!($base + 4, $f, $g(4));
            step!($base + 5, $f, $g(5));
            step!($base + 6, $f, $g(6));
            step!($base + 7, $f, $g(7));
            step!($base + 8, $f, $g(8));
            step!($base + 9, $f, $g(9));
            step!($base + 10, $f, $g(10));
            step!($base + 11, $f, $g(11));
            step!($base + 12, $f, $g(12));
            step!($base + 13, $f, $g(13));
            step!($base + 14, $f, $g(14));
            step!($base + 15, $f, $g(15));
        };
    }
    let f = |x: u32, y: u32, z: u32| z ^ (x & (y ^ z));
    let g = |x: u32, y: u32, z: u32| y ^ (z & (x ^ y));
    let h = |x: u32, y: u32, z: u32| x ^ y ^ z;
    let i = |x: u32, y: u32, z: u32| y ^ (x | !z);
    round!(0, f, |k: usize| k);
    round!(16, g, |k: usize| (5 * k + 1) % 16);
    round!(32, h, |k: usize| (3 * k + 5) % 16);
    round!(48, i, |k: usize| (7 * k) % 16);
    for (s, v) in a.iter_mut().zip([a0, a1, a2, a3]) {
        *s = s.wrapping_add(v);
    }
    for (s, v) in b.iter_mut().zip([b0, b1, b2, b3]) {
        *s = s.wrapping_add(v);
    }
}

/// Pure: the digest of a chain in state `st` that hashed `len` bytes, `tail` of them not yet
/// compressed (fewer than 64).
fn finalize(mut st: [u32; 4], tail: &[u8], len: u64) -> [u8; 16] {
    let mut pad = [0u8; 128];
    let n = tail.len().min(63);
    pad[..n].copy_from_slice(&tail[..n]);
    pad[n] = 0x80;
    let blocks = if n < 56 { 1 } else { 2 };
    pad[blocks * 64 - 8..blocks * 64].copy_from_slice(&len.wrapping_mul(8).to_le_bytes());
    let mut idle = IV;
    for block in pad[..blocks * 64].chunks_exact(64) {
        let mut b = [0u8; 64];
        b.copy_from_slice(block);
        compress2(&mut st, &mut idle, &b);
    }
    let mut out = [0u8; 16];
    for (o, w) in out.chunks_exact_mut(4).zip(st) {
        o.copy_from_slice(&w.to_le_bytes());
    }
    out
}

/// The whole object's chain: state, the bytes of the block not yet full, the length so far.
#[derive(Clone)]
struct Lane {
    st: [u32; 4],
    buf: [u8; 64],
    buf_len: usize,
    total: u64,
}

impl Lane {
    /// Hashes `data` into this lane and, block for block, into `part` (if any).
    fn update(&mut self, mut data: &[u8], mut part: Option<&mut [u32; 4]>) {
        let mut idle = IV;
        let mut run = |st: &mut [u32; 4], block: &[u8; 64]| match part.as_deref_mut() {
            Some(p) => compress2(st, p, block),
            None => compress2(st, &mut idle, block),
        };
        self.total += data.len() as u64;
        if self.buf_len > 0 {
            let take = (64 - self.buf_len).min(data.len());
            self.buf[self.buf_len..self.buf_len + take].copy_from_slice(&data[..take]);
            self.buf_len += take;
            data = &data[take..];
            if self.buf_len < 64 {
                return;
            }
            let block = self.buf;
            run(&mut self.st, &block);
            self.buf_len = 0;
        }
        let mut blocks = data.chunks_exact(64);
        for block in &mut blocks {
            let mut b = [0u8; 64];
            b.copy_from_slice(block);
            run(&mut self.st, &b);
        }
        let rest = blocks.remainder();
        self.buf[..rest.len()].copy_from_slice(rest);
        self.buf_len = rest.len();
    }

    fn digest(&self) -> [u8; 16] {
        finalize(self.st, &self.buf[..self.buf_len], self.total)
    }
}

enum Inner {
    /// No parts: the whole object alone.
    Whole(Md5),
    /// The current part started on a block boundary: it shares the whole object's blocks.
    Paired {
        whole: Lane,
        part: [u32; 4],
        part_len: u64,
    },
    /// A part started mid-block: it has a hasher of its own.
    Apart { whole: Lane, part: Md5 },
}

/// The MD5 of everything fed in, and (for an upload with parts) of the current part.
pub struct Md5Pair(Inner);

impl Md5Pair {
    /// The whole object's digest only (a single `PutObject`).
    pub fn whole_only() -> Md5Pair {
        Md5Pair(Inner::Whole(Md5::new()))
    }

    /// The whole object's digest and its parts', one part after another ([`Self::end_part`]).
    pub fn with_parts() -> Md5Pair {
        Md5Pair(Inner::Paired {
            whole: Lane {
                st: IV,
                buf: [0; 64],
                buf_len: 0,
                total: 0,
            },
            part: IV,
            part_len: 0,
        })
    }

    /// Hashes the next bytes (of the whole object and of the current part).
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.0 {
            Inner::Whole(h) => h.update(data),
            Inner::Paired {
                whole,
                part,
                part_len,
            } => {
                *part_len += data.len() as u64;
                whole.update(data, Some(part));
            }
            Inner::Apart { whole, part } => {
                part.update(data);
                whole.update(data, None);
            }
        }
    }

    /// The digest of the current part (the bytes since the last `end_part`); the next bytes
    /// begin a new part. `None` for [`Self::whole_only`].
    pub fn end_part(&mut self) -> Option<[u8; 16]> {
        match &mut self.0 {
            Inner::Whole(_) => None,
            Inner::Apart { part, .. } => Some(part.finalize_reset().into()),
            Inner::Paired {
                whole,
                part,
                part_len,
            } => {
                let tail = &whole.buf[..whole.buf_len];
                let digest = finalize(*part, tail, *part_len);
                if whole.buf_len == 0 {
                    (*part, *part_len) = (IV, 0);
                } else {
                    self.0 = Inner::Apart {
                        whole: whole.clone(),
                        part: Md5::new(),
                    };
                }
                Some(digest)
            }
        }
    }

    /// The digest of every byte fed in so far (feeding may go on).
    pub fn whole(&self) -> [u8; 16] {
        match &self.0 {
            Inner::Whole(h) => h.clone().finalize().into(),
            Inner::Paired { whole, .. } | Inner::Apart { whole, .. } => whole.digest(),
        }
    }
}

#[cfg(test)]
#[path = "md5_pair_tests.rs"]
mod tests;
