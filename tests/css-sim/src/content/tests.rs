//! Unit tests for deterministic content: bytes, checksums and compressibility.

use super::*;
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::io::Write;

fn full(c: &Content) -> Vec<u8> {
    let mut v = vec![0u8; c.len as usize];
    c.fill(0, &mut v);
    v
}

fn bin(id: &str, len: u64) -> Content {
    Content::new(42, id, len, ContentKind::Binary)
}

fn json(id: &str, len: u64) -> Content {
    Content::new(42, id, len, ContentKind::Json)
}

#[test]
fn same_inputs_same_bytes_different_inputs_different_bytes() {
    let a = full(&bin("58bc5748-339b-43c2-ad15-572a35dc3aad", 4096));
    assert_eq!(a, full(&bin("58bc5748-339b-43c2-ad15-572a35dc3aad", 4096)));
    let other_id = full(&bin("58bc5748-339b-43c2-ad15-572a35dc3aae", 4096));
    let other_seed = full(&Content::new(
        43,
        "58bc5748-339b-43c2-ad15-572a35dc3aad",
        4096,
        ContentKind::Binary,
    ));
    // Whole-buffer inequality is too weak: count differing bytes (random pairs share ~1/256).
    let diff = |x: &[u8], y: &[u8]| x.iter().zip(y).filter(|(p, q)| p != q).count();
    assert!(diff(&a, &other_id) > 4000);
    assert!(diff(&a, &other_seed) > 4000);
    // Length does not change the prefix: a Range on a longer object sees the same bytes.
    assert_eq!(
        &full(&bin("58bc5748-339b-43c2-ad15-572a35dc3aad", 9000))[..4096],
        &a[..]
    );
    let j = full(&json("t-1", 100_000));
    assert_eq!(j, full(&json("t-1", 100_000)));
    assert_ne!(j, full(&json("t-2", 100_000)));
}

#[test]
fn generator_output_is_pinned() {
    // A silent change to the generator would change every simulated catalog's MD5s.
    let d = bin("pinned", 1000).digest();
    let again = bin("pinned", 1000).digest();
    assert_eq!(d, again);
    assert_eq!(d.md5_hex(), PINNED_BINARY_MD5);
    assert_eq!(json("pinned", 5000).digest().md5_hex(), PINNED_JSON_MD5);
}

const PINNED_BINARY_MD5: &str = "b4c7393ad7ee7d2fb0f823c93bc5d585";
const PINNED_JSON_MD5: &str = "ebf3489233ead08ca2ae99bd8a29632f";

#[test]
fn fill_at_random_offsets_equals_slice_of_full_generation() {
    let mut rng = StdRng::seed_from_u64(7);
    for c in [bin("ranges", 300_001), json("ranges", 300_001)] {
        let whole = full(&c);
        let mut reader = c.reader();
        for _ in 0..300 {
            let a = rng.gen_range(0..c.len);
            let n = rng.gen_range(0..=(c.len - a).min(70_000)) as usize;
            let mut buf = vec![0u8; n];
            c.fill(a, &mut buf);
            assert_eq!(
                buf,
                whole[a as usize..a as usize + n],
                "{:?} at {a}+{n}",
                c.kind
            );
            // The caching reader must agree too, including after jumping backwards.
            let mut buf2 = vec![0u8; n];
            reader.fill(a, &mut buf2);
            assert_eq!(buf2, buf);
        }
    }
}

#[test]
fn chunks_concatenate_to_the_requested_range() {
    for c in [bin("chunks", 100_003), json("chunks", 200_003)] {
        let whole = full(&c);
        let all: Vec<u8> = c.chunks(0..c.len, 4093).flat_map(|b| b.to_vec()).collect();
        assert_eq!(all, whole);
        let part: Vec<Bytes> = c.chunks(5..70_000, 1000).collect();
        assert!(part.iter().all(|b| b.len() <= 1000));
        assert_eq!(part.concat(), whole[5..70_000]);
        // Ranges past the end are clamped, never padded.
        let tail: Vec<u8> = c
            .chunks(c.len - 3..c.len + 100, 2)
            .flat_map(|b| b.to_vec())
            .collect();
        assert_eq!(tail, whole[whole.len() - 3..]);
        assert_eq!(c.chunks(c.len + 5..c.len + 9, 2).count(), 0);
    }
}

#[test]
fn digest_matches_independent_md5_and_crc() {
    for c in [
        bin("digest", 0),
        bin("digest", 1),
        bin("digest", 200_001),
        json("d", 150_000),
    ] {
        let bytes = full(&c);
        let d = c.digest();
        let md5: [u8; 16] = md5::Md5::digest(&bytes).into();
        assert_eq!(d.md5, md5);
        assert_eq!(d.crc32, crc32fast::hash(&bytes));
        assert_eq!(d.len, bytes.len() as u64);
        assert_eq!(d.md5_hex(), hex::encode(md5));
    }
    assert_eq!(
        bin("digest", 0).digest().md5_hex(),
        "d41d8cd98f00b204e9800998ecf8427e"
    );
}

fn deflated_len(data: &[u8]) -> usize {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
    enc.write_all(data).expect("write to Vec");
    enc.finish().expect("finish to Vec").len()
}

#[test]
fn binary_does_not_compress_and_json_does() {
    let b = full(&bin("noise", 1 << 20));
    assert!(deflated_len(&b) * 100 >= b.len() * 99, "binary compressed");
    let j = full(&json("text", 1 << 20));
    assert!(deflated_len(&j) * 2 < j.len(), "json did not compress");
}

#[test]
fn json_is_valid_json_of_exact_length_at_awkward_sizes() {
    let block = json::BLOCK;
    for len in [
        1,
        2,
        7,
        60,
        200,
        block - 1,
        block,
        block + 1,
        block + 2,
        block + 3,
        block + 4,
        block + 5,
        3 * block + 17,
    ] {
        let bytes = full(&json("5f1c-id", len));
        assert_eq!(bytes.len() as u64, len);
        let v: serde_json::Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("len {len}: {e}: {:?}", String::from_utf8_lossy(&bytes)));
        if len >= 200 {
            assert_eq!(v["objectId"], "5f1c-id", "len {len}");
            assert!(v["segments"].is_array());
        }
    }
    let big = full(&json("5f1c-id", 3 * block + 17));
    let v: serde_json::Value = serde_json::from_slice(&big).expect("valid");
    assert!(v["segments"].as_array().map_or(0, |a| a.len()) > 300);
}

/// `cargo test --release --lib sim::content -- --ignored --nocapture`
#[test]
#[ignore = "throughput measurement; run in release"]
fn binary_fill_throughput() {
    let c = bin("speed", u64::MAX);
    let mut buf = vec![0u8; 1 << 20];
    let total: u64 = 2 << 30;
    let t = std::time::Instant::now();
    let mut off = 0;
    let mut acc = 0u8;
    while off < total {
        c.fill(off, &mut buf);
        acc ^= buf[off as usize % buf.len()];
        off += buf.len() as u64;
    }
    let s = t.elapsed().as_secs_f64();
    eprintln!(
        "binary fill: {:.0} MB/s (xor {acc})",
        total as f64 / s / 1e6
    );
    let t = std::time::Instant::now();
    let d = bin("speed", 512 << 20).digest();
    eprintln!(
        "binary digest (fill+md5+crc): {:.0} MB/s ({})",
        d.len as f64 / t.elapsed().as_secs_f64() / 1e6,
        d.md5_hex()
    );
    let t = std::time::Instant::now();
    let d = json("speed", 64 << 20).digest();
    eprintln!(
        "json digest: {:.0} MB/s ({})",
        d.len as f64 / t.elapsed().as_secs_f64() / 1e6,
        d.md5_hex()
    );
}
