//! Hand-built layouts: STORED + data descriptor delimited by the catalog size (with and without
//! descriptor signature, wrong catalog sizes), zip64 descriptors and the 4 GiB rule, empty and
//! directory entries, > 65,535 entries, and dropping an entry half-read.

use super::builder::{build, Desc, E};
use super::{content, drive, md5_of, Plan};
use crate::unzip::header::zip64_descriptor;
use crate::unzip::{Limits, ZipEntries};

fn sizes(entries: &[E]) -> Vec<u64> {
    entries.iter().map(|e| e.data.len() as u64).collect()
}

fn check(seen: &[super::Seen], entries: &[E]) {
    assert_eq!(seen.len(), entries.len());
    for (s, e) in seen.iter().zip(entries) {
        assert_eq!(s.name, e.name);
        assert_eq!(s.digest.size, e.data.len() as u64);
        assert_eq!(s.digest.crc32, crc32fast::hash(&e.data));
        assert_eq!(s.digest.md5.expect("md5"), md5_of(&e.data));
        assert_eq!(s.read_md5, md5_of(&e.data));
    }
}

fn mixed() -> Vec<E> {
    vec![
        E::new(b"stored-sig.bin", &content(1, 5000), false, Desc::Sig),
        E::new(b"stored-nosig.bin", &content(2, 3000), false, Desc::NoSig),
        E::new(b"empty-stored-desc", b"", false, Desc::Sig),
        E::new(b"deflate-nosig.bin", &content(3, 20000), true, Desc::NoSig),
        E::new(b"deflate-sig.bin", &content(4, 20000), true, Desc::Sig),
        E::new(b"plain.bin", &content(5, 100), false, Desc::None),
        E::new(b"dir/", b"", false, Desc::None),
        E::new(b"empty-deflate", b"", true, Desc::Sig),
    ]
}

#[tokio::test]
async fn stored_descriptor_delimited_by_catalog_size() {
    let entries = mixed();
    let want = sizes(&entries);
    for plan in [
        Plan::default(),
        Plan {
            chunks: &[1, 5],
            reads: &[3, 1],
            pending: true,
            ..Plan::default()
        },
    ] {
        let seen = drive(build(&entries, false).bytes, &plan, |i, _| {
            want.get(i).copied()
        })
        .await
        .expect("zip");
        check(&seen, &entries);
    }
}

#[tokio::test]
async fn stored_descriptor_wrong_catalog_size_fails() {
    let entries = mixed();
    for delta in [-1i64, 1, -16, 16, 4000] {
        let want: Vec<u64> = sizes(&entries)
            .iter()
            .map(|s| s.saturating_add_signed(delta))
            .collect();
        let res = drive(build(&entries, false).bytes, &Plan::default(), |i, _| {
            want.get(i).copied()
        })
        .await;
        let err = res.expect_err("a wrong catalog size must never verify");
        assert!(
            ["crc", "size", "too_large", "truncated"].contains(&err.kind()),
            "delta {delta}: {err}"
        );
    }
}

#[tokio::test]
async fn stored_descriptor_without_catalog_size_is_unsupported_then_unusable() {
    let zip = build(&mixed(), false).bytes;
    let mut entries = ZipEntries::new(std::io::Cursor::new(zip), Limits::default());
    let err = entries
        .next_entry(|_| None)
        .await
        .err()
        .expect("unsupported");
    assert_eq!(err.kind(), "unsupported");
    let again = entries
        .next_entry(|_| Some(5000))
        .await
        .err()
        .expect("unusable");
    assert_eq!(again.kind(), "unusable");
}

#[tokio::test]
async fn zip64_descriptors_with_local_zip64_field() {
    let mut entries = vec![
        E::new(b"z64-deflate", &content(6, 30000), true, Desc::Sig64),
        E::new(b"z64-stored", &content(7, 3000), false, Desc::Sig64),
        E::new(b"z64-header", &content(8, 3000), true, Desc::None),
    ];
    for e in &mut entries {
        e.zip64_extra = true;
    }
    let want = sizes(&entries);
    let seen = drive(build(&entries, true).bytes, &Plan::default(), |i, _| {
        want.get(i).copied()
    })
    .await;
    check(&seen.expect("zip64"), &entries);
}

#[test]
fn descriptor_width_rule() {
    assert!(!zip64_descriptor(false, 0, 0));
    assert!(!zip64_descriptor(false, 0xFFFF_FFFE, 0xFFFF_FFFE));
    assert!(
        zip64_descriptor(true, 0, 0),
        "Python/APPNOTE: local zip64 field"
    );
    assert!(
        zip64_descriptor(false, 0xFFFF_FFFF, 0),
        "Java: csize >= ZIP64_MAGICVAL"
    );
    assert!(
        zip64_descriptor(false, 10, 5 << 30),
        "Java: size >= ZIP64_MAGICVAL"
    );
}

/// An 8-byte descriptor where the rule expects 4 bytes (a non-standard writer) must be an
/// error (the sizes do not match, or the next signature is wrong), never an accepted entry.
#[tokio::test]
async fn unexpected_zip64_descriptor_is_an_error() {
    let entries = vec![
        E::new(b"a", &content(1, 100), true, Desc::Sig64),
        E::new(b"b", b"x", false, Desc::None),
    ];
    let err = drive(build(&entries, false).bytes, &Plan::default(), |_, _| None)
        .await
        .expect_err("misaligned");
    assert!(["size", "bad_header"].contains(&err.kind()), "{err}");
}

#[tokio::test]
async fn more_than_65535_entries() {
    let entries: Vec<E> = (0..70_000u32)
        .map(|i| E::new(format!("f{i}").as_bytes(), &[i as u8], false, Desc::None))
        .collect();
    let built = build(&entries, false);
    let mut zip = ZipEntries::new(std::io::Cursor::new(built.bytes), Limits::default());
    let mut n = 0u32;
    while let Some(entry) = zip.next_entry(|_| Some(1)).await.expect("entry") {
        assert_eq!(entry.raw_name(), format!("f{n}").as_bytes());
        let d = entry.skip().await.expect("skip");
        assert_eq!(d.md5.expect("md5"), md5_of(&[n as u8]));
        n += 1;
    }
    assert_eq!(n, 70_000);
    let summary = zip.finish().await.expect("central directory");
    assert_eq!((summary.entries, summary.zip64), (70_000, true));
}

/// An entry dropped half-read is drained and verified by the next `next_entry`.
#[tokio::test]
async fn dropped_entry_is_drained_and_verified() {
    let entries = mixed();
    let want = sizes(&entries);
    let mut zip = ZipEntries::new(
        std::io::Cursor::new(build(&entries, false).bytes),
        Limits::default(),
    );
    let mut names = Vec::new();
    let mut i = 0;
    while let Some(mut entry) = zip
        .next_entry(|_| want.get(i).copied())
        .await
        .expect("entry")
    {
        i += 1;
        names.push(entry.raw_name().to_vec());
        let mut buf = [0u8; 10];
        let _ = entry.read(&mut buf).await.expect("read");
    }
    assert_eq!(names.len(), entries.len());
    zip.finish().await.expect("finish");
}

/// `Entry` is a tokio `AsyncRead`: `tokio::io::copy` gets the exact bytes.
#[tokio::test]
async fn entry_as_async_read() {
    let data = content(9, 70_000);
    let built = build(&[E::new(b"x", &data, true, Desc::Sig)], false);
    let mut zip = ZipEntries::new(std::io::Cursor::new(built.bytes), Limits::default());
    let mut entry = zip
        .next_entry(|_| Some(70_000))
        .await
        .expect("ok")
        .expect("entry");
    let mut out = Vec::new();
    tokio::io::copy(&mut entry, &mut out).await.expect("copy");
    assert_eq!(
        entry.finish().await.expect("verify").md5.expect("md5"),
        md5_of(&data)
    );
    assert_eq!(out, data);
    assert!(zip.next_entry(|_| None).await.expect("end").is_none());
    zip.finish().await.expect("finish");
}

/// The export stage may run this on a multi-threaded runtime: reader and futures are `Send`.
#[test]
fn reader_and_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    let mut zip = ZipEntries::new(std::io::Cursor::new(Vec::new()), Limits::default());
    send(&zip);
    send(&zip.next_entry(|_| None));
    send(&ZipEntries::new(std::io::Cursor::new(Vec::new()), Limits::default()).finish());
}

/// issue 8 (speed): `without_md5` leaves the MD5 to the reader; size and CRC-32 are still
/// computed and checked, and the bytes read are the entry's.
#[tokio::test]
async fn without_md5_still_checks_size_and_crc() {
    let data = content(11, 90_000);
    for deflate in [true, false] {
        let built = build(&[E::new(b"x", &data, deflate, Desc::Sig)], false);
        let mut zip =
            ZipEntries::new(std::io::Cursor::new(built.bytes), Limits::default()).without_md5();
        let mut entry = zip
            .next_entry(|_| Some(90_000))
            .await
            .expect("ok")
            .expect("entry");
        let mut out = Vec::new();
        tokio::io::copy(&mut entry, &mut out).await.expect("copy");
        let d = entry.finish().await.expect("verify");
        assert_eq!(d.md5, None);
        assert_eq!(d.size, 90_000);
        assert_eq!(d.crc32, crc32fast::hash(&data));
        assert_eq!(out, data);
        zip.next_entry(|_| None).await.expect("end");
        zip.finish().await.expect("finish");
    }
}
