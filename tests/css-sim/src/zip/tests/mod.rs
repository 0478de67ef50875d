//! Round-trip tests of generated archives through independent readers (Python's `zipfile`,
//! Info-ZIP `unzip -t`), plus ranges, truncation, corruption and header bytes per layout.

mod readers;

use super::*;
use crate::content::ContentKind;
use futures::StreamExt;
use md5::Digest as _;
use readers::{python_read, unzip_test, PyEntry};

const WHEN: i64 = 1_656_048_155; // 2022-06-24T05:22:35Z

fn entry(name: &str, len: u64, kind: ContentKind) -> ZipEntrySpec {
    ZipEntrySpec::new(name, Content::new(7, format!("id-{name}"), len, kind), WHEN)
}

fn sample_entries() -> Vec<ZipEntrySpec> {
    vec![
        entry("empty.bin", 0, ContentKind::Binary),
        entry("one.bin", 1, ContentKind::Binary),
        entry(
            "ipbx:acmecorp:callrecording:users:117209:1667337742543-+16695555518_E.mp3",
            100_000,
            ContentKind::Binary,
        ),
        entry("with space + plus.wav", 3_000, ContentKind::Binary),
        entry("Müller-über.json", 150_000, ContentKind::Json),
    ]
}

fn plan(layout: ZipLayout, entries: Vec<ZipEntrySpec>) -> Arc<ZipPlan> {
    Arc::new(ZipPlan {
        deflate_level: None,
        layout,
        entries,
        truncate_at: None,
    })
}

async fn collect(plan: Arc<ZipPlan>, range: Option<(u64, u64)>, chunk: usize) -> Vec<u8> {
    let mut s = std::pin::pin!(zip_stream(plan, range, chunk));
    let mut out = Vec::new();
    while let Some(item) = s.next().await {
        let bytes = item.expect("stream item");
        assert!(
            !bytes.is_empty() && bytes.len() <= chunk,
            "chunk of {}",
            bytes.len()
        );
        out.extend_from_slice(&bytes);
    }
    out
}

fn expected(entries: &[ZipEntrySpec]) -> Vec<PyEntry> {
    entries
        .iter()
        .map(|e| PyEntry {
            name: e.name.clone(),
            md5: e.digest.md5_hex(),
            crc: e.digest.crc32,
            size: e.digest.len,
            date_time: "2022-6-24-5-22-34".into(),
        })
        .collect()
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}
fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

#[tokio::test]
async fn every_layout_round_trips_through_python_and_unzip() {
    for layout in ZipLayout::ALL {
        let entries = sample_entries();
        let p = plan(layout, entries.clone());
        let bytes = collect(p.clone(), None, 8192).await;
        assert_eq!(
            zip_len(p).await.expect("zip_len"),
            bytes.len() as u64,
            "{layout}"
        );
        assert_eq!(python_read(&bytes), expected(&entries), "{layout}");
        unzip_test(&bytes);

        // The first local header (empty.bin) shows the layout's shape.
        let (version, flags, method) = (u16_at(&bytes, 4), u16_at(&bytes, 6), u16_at(&bytes, 8));
        let extra_len = u16_at(&bytes, 28);
        match layout {
            ZipLayout::Java => assert_eq!((version, flags, method, extra_len), (20, 0x0808, 8, 0)),
            ZipLayout::StoredSizes => {
                assert_eq!((version, flags, method, extra_len), (10, 0x0800, 0, 0));
                // Second entry (one.bin): CRC and sizes up front.
                let second = 30 + "empty.bin".len();
                assert_eq!(u32_at(&bytes, second + 14), entries[1].digest.crc32);
                assert_eq!(
                    (u32_at(&bytes, second + 18), u32_at(&bytes, second + 22)),
                    (1, 1)
                );
            }
            ZipLayout::StoredDescriptor => {
                assert_eq!((version, flags, method, extra_len), (10, 0x0808, 0, 0));
                // Zero-length data, then a signed 12-byte-size descriptor.
                let d = 30 + "empty.bin".len();
                assert_eq!(&bytes[d..d + 4], b"PK\x07\x08");
                assert_eq!(&bytes[d + 4..d + 16], &[0u8; 12]);
            }
            ZipLayout::Zip64 => {
                assert_eq!((version, flags, method, extra_len), (45, 0x0808, 8, 20));
                assert!(bytes[bytes.len() - 98..].starts_with(b"PK\x06\x06"));
            }
        }
        assert!(bytes.ends_with(&[0, 0]), "no comment");
    }
}

#[tokio::test]
async fn java_layout_has_signed_descriptors_and_deflate_compresses_json_only() {
    let entries = sample_entries();
    let bytes = collect(plan(ZipLayout::Java, entries.clone()), None, 1 << 16).await;
    // Walk local headers: each is followed by compressed data then a signed descriptor.
    let mut pos = 0;
    let mut sizes = Vec::new();
    for e in &entries {
        assert_eq!(&bytes[pos..pos + 4], b"PK\x03\x04");
        let data = pos + 30 + e.name.len();
        let central_csize = find_central_csize(&bytes, &e.name);
        let desc = data + central_csize as usize;
        assert_eq!(&bytes[desc..desc + 4], b"PK\x07\x08");
        assert_eq!(u32_at(&bytes, desc + 4), e.digest.crc32);
        assert_eq!(u32_at(&bytes, desc + 8), central_csize);
        assert_eq!(u32_at(&bytes, desc + 12) as u64, e.content.len);
        sizes.push(central_csize as u64);
        pos = desc + 16;
    }
    assert!(sizes[2] >= 100_000, "random data does not shrink");
    assert!(sizes[4] * 2 < 150_000, "json shrinks: {}", sizes[4]);
}

fn find_central_csize(bytes: &[u8], name: &[u8]) -> u32 {
    let mut i = 0;
    while i + 46 <= bytes.len() {
        if &bytes[i..i + 4] == b"PK\x01\x02" {
            let n = u16_at(bytes, i + 28) as usize;
            if bytes.get(i + 46..i + 46 + n) == Some(name) {
                return u32_at(bytes, i + 20);
            }
        }
        i += 1;
    }
    panic!("no central header for {}", String::from_utf8_lossy(name));
}

#[tokio::test]
async fn non_utf8_names_are_written_raw_without_the_utf8_flag() {
    let mut e = entry("x", 10, ContentKind::Binary);
    e.name = vec![b'f', 0x81, b'.', b'b', b'i', b'n'];
    let bytes = collect(plan(ZipLayout::StoredSizes, vec![e.clone()]), None, 100).await;
    assert_eq!(u16_at(&bytes, 6) & 0x0800, 0);
    let read = python_read(&bytes);
    assert_eq!(read[0].name, e.name);
    assert_eq!(read[0].md5, e.digest.md5_hex());
}

#[tokio::test]
async fn more_than_65535_entries_switch_to_zip64_automatically() {
    for layout in [ZipLayout::StoredSizes, ZipLayout::Java] {
        let proto = entry("e", 0, ContentKind::Binary);
        let entries: Vec<ZipEntrySpec> = (0..65_536)
            .map(|i| ZipEntrySpec {
                name: format!("{i}").into_bytes(),
                ..proto.clone()
            })
            .collect();
        let p = plan(layout, entries);
        let bytes = collect(p.clone(), None, 1 << 16).await;
        assert_eq!(zip_len(p).await.expect("len"), bytes.len() as u64);
        let eocd = &bytes[bytes.len() - 22..];
        assert_eq!(u16_at(eocd, 10), 0xFFFF, "{layout}");
        assert!(
            bytes[bytes.len() - 98..].starts_with(b"PK\x06\x06"),
            "{layout}"
        );
        let read = python_read(&bytes);
        assert_eq!(read.len(), 65_536, "{layout}");
        assert_eq!(read[65_535].name, b"65535");
        assert!(read
            .iter()
            .all(|e| e.md5 == "d41d8cd98f00b204e9800998ecf8427e"));
        unzip_test(&bytes);
    }
}

#[tokio::test]
async fn ranges_concatenate_to_the_full_stream() {
    for layout in [
        ZipLayout::Java,
        ZipLayout::StoredSizes,
        ZipLayout::StoredDescriptor,
    ] {
        let p = plan(layout, sample_entries());
        let full = collect(p.clone(), None, 4096).await;
        let last = full.len() as u64 - 1;
        for a in [0, 1, 29, 30, 100_123, last / 2, last - 22, last - 1] {
            let mut joined = collect(p.clone(), Some((0, a)), 3000).await;
            joined.extend(collect(p.clone(), Some((a + 1, last)), 777).await);
            assert_eq!(joined, full, "{layout} split at {a}");
        }
        let mid = collect(p.clone(), Some((50_000, 60_000)), 4096).await;
        assert_eq!(mid, full[50_000..=60_000]);
        // Past the end: clipped or empty, never padded.
        assert_eq!(
            collect(p.clone(), Some((last - 5, last + 100)), 4096).await,
            full[full.len() - 6..]
        );
        assert!(collect(p.clone(), Some((last + 1, last + 100)), 4096)
            .await
            .is_empty());
        assert!(collect(p.clone(), Some((10, 9)), 4096).await.is_empty());
    }
}

#[tokio::test]
async fn truncate_at_yields_exactly_that_prefix() {
    for layout in [ZipLayout::Java, ZipLayout::StoredSizes] {
        let full = collect(plan(layout, sample_entries()), None, 4096).await;
        for t in [0, 1, 1000, 123_457, full.len() as u64 - 1] {
            let p = Arc::new(ZipPlan {
                deflate_level: None,
                layout,
                entries: sample_entries(),
                truncate_at: Some(t),
            });
            let got = collect(p.clone(), None, 4096).await;
            assert_eq!(got, full[..t as usize], "{layout} truncate {t}");
            let tail = collect(p.clone(), Some((t.saturating_sub(10), t + 10)), 4096).await;
            assert_eq!(tail, full[t.saturating_sub(10) as usize..t as usize]);
            // zip_len reports the whole archive; truncation is a property of the transfer.
            assert_eq!(zip_len(p).await.expect("len"), full.len() as u64);
        }
    }
}

#[tokio::test]
async fn corrupt_entries_pass_crc_but_fail_md5() {
    for layout in ZipLayout::ALL {
        let mut entries = sample_entries();
        for i in [1, 2, 4] {
            entries[i].corrupt = true;
        }
        let bytes = collect(plan(layout, entries.clone()), None, 8192).await;
        let read = python_read(&bytes); // testzip passed: CRCs match the written bytes
        for (i, (got, spec)) in read.iter().zip(&entries).enumerate() {
            assert_eq!(got.size, spec.digest.len);
            if !spec.corrupt {
                assert_eq!(got.md5, spec.digest.md5_hex(), "{layout} entry {i}");
                continue;
            }
            assert_ne!(got.md5, spec.digest.md5_hex(), "{layout} entry {i}");
            assert_ne!(got.crc, spec.digest.crc32, "{layout} entry {i}");
            // Exactly the middle byte is flipped.
            let mut data = vec![0u8; spec.content.len as usize];
            spec.content.fill(0, &mut data);
            let mid = data.len() / 2;
            data[mid] ^= 0xFF;
            assert_eq!(
                got.md5,
                hex::encode(md5::Md5::digest(&data)),
                "{layout} entry {i}"
            );
            assert_eq!(got.crc, crc32fast::hash(&data));
        }
        unzip_test(&bytes);
    }
}

#[tokio::test]
async fn invalid_plan_fails_as_an_error_item_and_in_zip_len() {
    let mut e = entry("bad", 10, ContentKind::Binary);
    e.digest.len = 11;
    let p = plan(ZipLayout::Java, vec![e]);
    let items: Vec<io::Result<Bytes>> = zip_stream(p.clone(), None, 100).collect().await;
    assert_eq!(items.len(), 1);
    assert!(items[0]
        .as_ref()
        .is_err_and(|e| e.to_string().contains("digest says 11")));
    assert!(matches!(
        zip_len(p).await,
        Err(ZipError::DigestLength {
            index: 0,
            digest: 11,
            content: 10
        })
    ));
}

#[test]
fn producer_stops_when_the_receiver_is_gone() {
    // 40 GB of STORED data: if the producer ignored the dropped receiver this would not end.
    let big = Content::new(1, "big", 40 << 30, ContentKind::Binary);
    let spec = ZipEntrySpec {
        name: b"big.bin".to_vec(),
        digest: Digest {
            md5: [0; 16],
            crc32: 0,
            len: big.len,
        },
        content: big,
        modified_unix: WHEN,
        corrupt: false,
    };
    let p = plan(ZipLayout::StoredSizes, vec![spec]);
    let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
    drop(rx);
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        produce(&p, 0, u64::MAX, 1 << 20, tx);
        let _ = done_tx.send(());
    });
    assert!(done_rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .is_ok());
}

#[test]
fn layout_names_round_trip() {
    for l in ZipLayout::ALL {
        assert_eq!(l.to_string().parse::<ZipLayout>(), Ok(l));
    }
    assert_eq!("Stored".parse::<ZipLayout>(), Ok(ZipLayout::StoredSizes));
    assert!("tar".parse::<ZipLayout>().is_err());
    assert_eq!(ZipLayout::default(), ZipLayout::Java);
}

/// `cargo test --release --lib sim::zip::tests::throughput -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "throughput measurement; run in release"]
async fn throughput() {
    let len = 256u64 << 20;
    for layout in [ZipLayout::StoredSizes, ZipLayout::Java] {
        let t = std::time::Instant::now();
        let e = entry("big.mp3", len, ContentKind::Binary);
        let digest_s = t.elapsed().as_secs_f64();
        let p = plan(layout, vec![e]);
        let t = std::time::Instant::now();
        let mut s = std::pin::pin!(zip_stream(p.clone(), None, 64 * 1024));
        let mut n = 0u64;
        while let Some(b) = s.next().await {
            n += b.expect("chunk").len() as u64;
        }
        let stream_s = t.elapsed().as_secs_f64();
        let t = std::time::Instant::now();
        let total = zip_len(p).await.expect("len");
        let len_s = t.elapsed().as_secs_f64();
        assert_eq!(total, n);
        eprintln!(
            "{layout}: stream {:.0} MB/s, zip_len {:.3}s, digest {:.0} MB/s",
            n as f64 / stream_s / 1e6,
            len_s,
            len as f64 / digest_s / 1e6
        );
    }
}
