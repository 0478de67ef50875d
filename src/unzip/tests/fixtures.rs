//! Committed fixture zips (Python `zipfile`: STORED, DEFLATE, forced zip64, unseekable output
//! with data descriptors incl. STORED + descriptor and zip64 descriptors; Java
//! `ZipOutputStream`) against expected.txt, whose names, sizes, CRC-32s and MD5s were computed
//! by Python (`zlib.crc32`, `hashlib.md5`) from zipfile's own CRC-checked reads.

use super::{drive, md5_of, Plan};
use crate::unzip::Limits;

struct Row {
    zip: String,
    name: Vec<u8>,
    size: u64,
    crc32: u32,
    md5: [u8; 16],
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn rows() -> Vec<Row> {
    include_str!("../../../tests/fixtures/zips/expected.txt")
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Row {
                zip: f[0].to_string(),
                name: hex(f[1]),
                size: f[2].parse().expect("size"),
                crc32: u32::from_str_radix(f[3], 16).expect("crc"),
                md5: hex(f[4]).try_into().expect("md5"),
            }
        })
        .collect()
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/zips/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn zips() -> Vec<String> {
    let mut z: Vec<String> = rows().into_iter().map(|r| r.zip).collect();
    z.dedup();
    z
}

/// Every fixture, under several chunkings, matches Python's table entry for entry.
#[tokio::test]
async fn every_fixture_matches_python() {
    let all = rows();
    let plans = [
        Plan::default(),
        Plan {
            chunks: &[1, 7, 3],
            reads: &[7, 1, 4096],
            pending: true,
            limits: Limits::default(),
        },
        Plan {
            chunks: &[65536, 13],
            reads: &[1],
            pending: false,
            limits: Limits::default(),
        },
    ];
    assert_eq!(zips().len(), 8, "fixture set changed");
    for zip in zips() {
        let want: Vec<&Row> = all.iter().filter(|r| r.zip == zip).collect();
        for (p, plan) in plans.iter().enumerate() {
            let seen = drive(fixture(&zip), plan, |i, _| want.get(i).map(|r| r.size))
                .await
                .unwrap_or_else(|e| panic!("{zip} plan {p}: {e}"));
            assert_eq!(seen.len(), want.len(), "{zip}");
            for (s, w) in seen.iter().zip(&want) {
                assert_eq!(s.name, w.name, "{zip}");
                assert_eq!(s.digest.size, w.size, "{zip} {:?}", w.name);
                assert_eq!(s.digest.crc32, w.crc32, "{zip} {:?}", w.name);
                assert_eq!(s.digest.md5.expect("md5"), w.md5, "{zip} {:?}", w.name);
                assert_eq!(s.read_md5, w.md5, "{zip} {:?}: bytes read differ", w.name);
            }
        }
    }
}

/// The Python set includes hostile names; they must come out byte for byte, duplicates too.
#[tokio::test]
async fn python_names_are_raw() {
    let seen = drive(fixture("py_stored.zip"), &Plan::default(), |_, _| None)
        .await
        .expect("zip");
    let names: Vec<&[u8]> = seen.iter().map(|s| s.name.as_slice()).collect();
    let want: [&[u8]; 8] = [
        b"hello.txt",
        b"empty.bin",
        b"dir/",
        b"../x",
        b"/abs",
        b"a\\b",
        b"data.bin",
        b"hello.txt",
    ];
    assert_eq!(names, want);
    assert_eq!(seen[0].digest.md5.expect("md5"), md5_of(b"hello world\n"));
    assert_eq!(
        seen[7].digest.md5.expect("md5"),
        md5_of(b"second entry with a duplicate name\n")
    );
    assert_eq!(
        seen[6].digest.md5.expect("md5"),
        md5_of(&super::content(7, 40000))
    );
}

/// Java layout: DEFLATE entries carry zero CRC/sizes locally and a signed descriptor.
#[tokio::test]
async fn java_layout_is_descriptor_deflate() {
    let zip = fixture("java.zip");
    assert_eq!(&zip[6..8], &[8, 8], "flags: bit 3 + bit 11 (UTF-8)");
    assert_eq!(&zip[14..26], &[0u8; 12], "no CRC/sizes in the local header");
    let seen = drive(zip, &Plan::default(), |_, _| None)
        .await
        .expect("java.zip");
    assert_eq!(
        seen[0].digest.md5.expect("md5"),
        md5_of(&super::content(1, 100_000))
    );
    assert!(seen[2].name.ends_with(b"/"));
    assert_eq!(seen[4].name, "ünïcode-名前.txt".as_bytes());
}

/// STORED + descriptor fixtures need the catalog size; without it: Unsupported.
#[tokio::test]
async fn python_stored_descriptor_needs_catalog_size() {
    for zip in ["py_stream_stored.zip", "py_stream_zip64_stored.zip"] {
        let err = drive(fixture(zip), &Plan::default(), |_, _| None)
            .await
            .expect_err(zip);
        assert_eq!(err.kind(), "unsupported", "{zip}: {err}");
    }
}

/// Truncating a real Java zip anywhere gives Truncated, never Ok or another error.
#[tokio::test]
async fn java_zip_truncated_anywhere() {
    let zip = fixture("java.zip");
    let mut cuts: Vec<usize> = (0..zip.len()).step_by(997).collect();
    cuts.extend(zip.len().saturating_sub(700)..zip.len());
    for cut in cuts {
        let res = drive(zip[..cut].to_vec(), &Plan::default(), |_, _| None).await;
        match res {
            Ok(_) => panic!("cut at {cut} of {} parsed as complete", zip.len()),
            Err(e) => assert_eq!(e.kind(), "truncated", "cut at {cut}: {e}"),
        }
    }
}
