use md5::{Digest, Md5};

use super::Md5Pair;

fn md5(b: &[u8]) -> [u8; 16] {
    Md5::digest(b).into()
}

/// Deterministic, non-repeating bytes.
fn bytes(n: usize) -> Vec<u8> {
    (0..n as u64)
        .map(|i| (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as u8)
        .collect()
}

/// Feeds `data` in `chunk`-byte writes, cutting a part every `part` bytes (0: no parts), as
/// an upload does; returns (whole, part digests).
fn feed(data: &[u8], part: usize, chunk: usize) -> ([u8; 16], Vec<[u8; 16]>) {
    let mut h = if part == 0 {
        Md5Pair::whole_only()
    } else {
        Md5Pair::with_parts()
    };
    let mut parts = Vec::new();
    let mut in_part = 0;
    for c in data.chunks(chunk.max(1)) {
        let mut rest = c;
        while !rest.is_empty() {
            let take = if part == 0 {
                rest.len()
            } else {
                (part - in_part).min(rest.len())
            };
            h.update(&rest[..take]);
            in_part += take;
            rest = &rest[take..];
            if part > 0 && in_part == part {
                parts.extend(h.end_part());
                in_part = 0;
            }
        }
    }
    if part > 0 && in_part > 0 {
        parts.extend(h.end_part());
    }
    (h.whole(), parts)
}

#[test]
fn digests_equal_md5_of_the_whole_and_of_each_part() {
    // (length, part size, write size): aligned and unaligned part sizes, writes smaller and
    // larger than a block, padding that needs one or two final blocks.
    let table: &[(usize, usize, usize)] = &[
        (0, 0, 1),
        (1, 0, 1),
        (55, 0, 7),
        (56, 0, 64),
        (64, 0, 64),
        (1000, 0, 100),
        (0, 64, 3),
        (64, 64, 64),
        (65, 64, 1),
        (1000, 64, 13),
        (1000, 128, 1000),
        (4096 + 55, 1024, 300),
        (4096 + 56, 1024, 4096),
        (10_000, 100, 33),
        (10_000, 1000, 7),
        (10_000, 3000, 10_000),
        (100_000, 16_384, 65_536),
    ];
    for &(len, part, chunk) in table {
        let data = bytes(len);
        let (whole, parts) = feed(&data, part, chunk);
        assert_eq!(
            whole,
            md5(&data),
            "whole: len {len} part {part} chunk {chunk}"
        );
        let want: Vec<[u8; 16]> = if part == 0 {
            Vec::new()
        } else {
            data.chunks(part).map(md5).collect()
        };
        assert_eq!(parts, want, "parts: len {len} part {part} chunk {chunk}");
    }
}

#[test]
fn the_whole_digest_can_be_read_while_feeding_goes_on() {
    let data = bytes(5000);
    let mut h = Md5Pair::with_parts();
    h.update(&data[..1234]);
    assert_eq!(h.whole(), md5(&data[..1234]));
    h.update(&data[1234..]);
    assert_eq!(h.whole(), md5(&data));
    assert_eq!(h.end_part(), Some(md5(&data)));
    assert_eq!(Md5Pair::whole_only().end_part(), None);
}
