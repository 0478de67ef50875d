//! Byte-level tests of the record encoders, including zip64 cases far too large to generate.

use super::*;

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}
fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}
fn u64_at(b: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(a)
}

const NAME: &[u8] = "a:b+ü.mp3".as_bytes();

fn fields(version: u16, flags: u16, method: u16) -> EntryFields<'static> {
    EntryFields {
        name: NAME,
        version,
        flags,
        method,
        dos_time: 0x1234,
        dos_date: 0x5678,
    }
}

#[test]
fn java_local_header_has_zero_crc_and_sizes() {
    let f = fields(VERSION_DEFLATE, FLAG_DESCRIPTOR | FLAG_UTF8, METHOD_DEFLATE);
    let h = local_header(
        &f,
        LocalSizes::Plain {
            crc: 0,
            csize: 0,
            usize: 0,
        },
    );
    assert_eq!(h.len(), 30 + NAME.len());
    assert_eq!(&h[..4], b"PK\x03\x04");
    assert_eq!(u16_at(&h, 4), 20);
    assert_eq!(u16_at(&h, 6), 0x0808);
    assert_eq!(u16_at(&h, 8), 8);
    assert_eq!((u16_at(&h, 10), u16_at(&h, 12)), (0x1234, 0x5678));
    assert_eq!(&h[14..26], &[0u8; 12]);
    assert_eq!(u16_at(&h, 26) as usize, NAME.len());
    assert_eq!(u16_at(&h, 28), 0);
    assert_eq!(&h[30..], NAME);
}

#[test]
fn zip64_local_header_carries_sizes_in_extra() {
    let f = fields(VERSION_ZIP64, 0, METHOD_STORED);
    let h = local_header(
        &f,
        LocalSizes::Zip64 {
            crc: 0xdead_beef,
            usize: 5 << 30,
            csize: 5 << 30,
        },
    );
    let n = NAME.len();
    assert_eq!(h.len(), 30 + n + 20);
    assert_eq!(u32_at(&h, 14), 0xdead_beef);
    assert_eq!((u32_at(&h, 18), u32_at(&h, 22)), (u32::MAX, u32::MAX));
    assert_eq!(u16_at(&h, 28), 20);
    assert_eq!((u16_at(&h, 30 + n), u16_at(&h, 32 + n)), (1, 16));
    assert_eq!((u64_at(&h, 34 + n), u64_at(&h, 42 + n)), (5 << 30, 5 << 30));
}

#[test]
fn descriptor_sizes_are_4_or_8_bytes() {
    let d = descriptor(0x0102_0304, 10, 20, false);
    assert_eq!(
        d,
        [
            b"PK\x07\x08".as_slice(),
            &[4, 3, 2, 1, 10, 0, 0, 0, 20, 0, 0, 0]
        ]
        .concat()
    );
    let d = descriptor(7, 1 << 32, (1 << 32) + 1, true);
    assert_eq!(d.len(), 24);
    assert_eq!((u64_at(&d, 8), u64_at(&d, 16)), (1 << 32, (1 << 32) + 1));
}

#[test]
fn central_header_moves_only_overflowing_fields_like_java() {
    let f = fields(VERSION_DEFLATE, FLAG_DESCRIPTOR, METHOD_DEFLATE);
    let n = NAME.len();
    let small = central_header(&f, 9, 100, 200, 300, false);
    assert_eq!(small.len(), 46 + n);
    assert_eq!(&small[..4], b"PK\x01\x02");
    assert_eq!((u16_at(&small, 4), u16_at(&small, 6)), (20, 20));
    assert_eq!(
        (u32_at(&small, 16), u32_at(&small, 20), u32_at(&small, 24)),
        (9, 100, 200)
    );
    assert_eq!(u32_at(&small, 42), 300);

    // Exactly 0xFFFFFFFF already overflows (Java compares with >=).
    let big_size = central_header(&f, 9, 100, MAGIC32, 300, false);
    assert_eq!(big_size.len(), 46 + n + 12);
    assert_eq!((u16_at(&big_size, 4), u16_at(&big_size, 6)), (45, 45));
    assert_eq!(
        (u32_at(&big_size, 20), u32_at(&big_size, 24)),
        (100, u32::MAX)
    );
    assert_eq!(u16_at(&big_size, 30), 12);
    assert_eq!(
        (u16_at(&big_size, 46 + n), u16_at(&big_size, 48 + n)),
        (1, 8)
    );
    assert_eq!(u64_at(&big_size, 50 + n), MAGIC32);

    let big_offset = central_header(&f, 9, 100, 200, 6 << 30, false);
    assert_eq!(u32_at(&big_offset, 42), u32::MAX);
    assert_eq!(u64_at(&big_offset, 50 + n), 6 << 30);

    let forced = central_header(&f, 9, 100, 200, 300, true);
    assert_eq!(forced.len(), 46 + n + 28);
    assert_eq!(
        (
            u32_at(&forced, 20),
            u32_at(&forced, 24),
            u32_at(&forced, 42)
        ),
        (u32::MAX, u32::MAX, u32::MAX)
    );
    // Order is APPNOTE's: uncompressed, compressed, offset.
    assert_eq!(
        (
            u64_at(&forced, 50 + n),
            u64_at(&forced, 58 + n),
            u64_at(&forced, 66 + n)
        ),
        (200, 100, 300)
    );
}

#[test]
fn end_records_switch_to_zip64_at_65535_entries() {
    let plain = end_records(65_534, 1000, 500, 1500, false);
    assert_eq!(plain.len(), 22);
    assert_eq!(&plain[..4], b"PK\x05\x06");
    assert_eq!((u16_at(&plain, 8), u16_at(&plain, 10)), (65_534, 65_534));
    assert_eq!((u32_at(&plain, 12), u32_at(&plain, 16)), (500, 1000));

    let many = end_records(70_000, 1000, 500, 1500, false);
    assert_eq!(many.len(), 56 + 20 + 22);
    assert_eq!(&many[..4], b"PK\x06\x06");
    assert_eq!(u64_at(&many, 4), 44);
    assert_eq!((u64_at(&many, 24), u64_at(&many, 32)), (70_000, 70_000));
    assert_eq!((u64_at(&many, 40), u64_at(&many, 48)), (500, 1000));
    assert_eq!(&many[56..60], b"PK\x06\x07");
    assert_eq!((u64_at(&many, 64), u32_at(&many, 72)), (1500, 1));
    let eocd = &many[76..];
    assert_eq!(u16_at(eocd, 8), 0xFFFF);
    // Size and offset fit, so Java leaves them as they are.
    assert_eq!((u32_at(eocd, 12), u32_at(eocd, 16)), (500, 1000));

    let forced = end_records(2, 1000, 500, 1500, true);
    assert_eq!(forced.len(), 98);
    let eocd = &forced[76..];
    assert_eq!(
        (u16_at(eocd, 8), u32_at(eocd, 12), u32_at(eocd, 16)),
        (0xFFFF, u32::MAX, u32::MAX)
    );
}

#[test]
fn dos_datetime_encodes_and_clamps() {
    // 2022-06-24T05:22:35Z: seconds are stored halved.
    assert_eq!(
        dos_datetime(1_656_048_155),
        ((5 << 11) | (22 << 5) | 17, (42 << 9) | (6 << 5) | 24)
    );
    assert_eq!(dos_datetime(315_532_800), (0, (1 << 5) | 1));
    assert_eq!(dos_datetime(315_532_799), (0, (1 << 5) | 1));
    assert_eq!(dos_datetime(i64::MIN), (0, (1 << 5) | 1));
    let max = ((23 << 11) | (59 << 5) | 29, (127 << 9) | (12 << 5) | 31);
    assert_eq!(dos_datetime(i64::MAX), max);
    assert_eq!(dos_datetime(5_000_000_000), max); // year 2128
}
