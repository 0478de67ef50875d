//! Hostile and damaged input: truncation at every offset, corrupted CRC-32s, lying sizes,
//! zip bombs, limits, raw hostile names, malformed headers, central-directory mismatches.
//! Each must give the right typed error (or the exact raw bytes), never a panic or a hang.

use super::builder::{build, Desc, E};
use super::{assert_kind, content, drive, md5_of, Plan};
use crate::unzip::{Limits, ZipEntries};

fn sample() -> Vec<E> {
    vec![
        E::new(b"stored.bin", &content(1, 300), false, Desc::None),
        E::new(b"deflate-desc", &content(2, 2000), true, Desc::Sig),
        E::new(b"stored-desc", &content(3, 200), false, Desc::Sig),
        E::new(b"empty", b"", false, Desc::None),
    ]
}

fn sample_sizes(_: usize, name: &[u8]) -> Option<u64> {
    match name {
        b"stored.bin" => Some(300),
        b"deflate-desc" => Some(2000),
        b"stored-desc" => Some(200),
        b"empty" => Some(0),
        _ => None,
    }
}

#[tokio::test]
async fn truncated_at_every_offset() {
    let built = build(&sample(), false);
    let full = built.bytes.clone();
    assert!(drive(full.clone(), &Plan::default(), sample_sizes)
        .await
        .is_ok());
    for cut in 0..full.len() {
        let plan = Plan {
            chunks: &[3],
            reads: &[5],
            ..Plan::default()
        };
        let res = drive(full[..cut].to_vec(), &plan, sample_sizes).await;
        assert_kind(res, "truncated");
    }
    // The named spots, for the record: inside a header, inside data, inside the descriptor,
    // right after it, right before the central directory, right before the end record.
    let s = built.spans[1];
    for cut in [
        s.header + 10,
        s.data + 7,
        s.descriptor + 5,
        s.end,
        built.cd_start,
        built.eocd,
    ] {
        assert_kind(
            drive(full[..cut].to_vec(), &Plan::default(), sample_sizes).await,
            "truncated",
        );
    }
}

#[tokio::test]
async fn corrupted_crc() {
    let built = build(&sample(), false);
    let mut a = built.bytes.clone();
    a[built.spans[1].descriptor + 4] ^= 1; // descriptor CRC
    assert_kind(drive(a, &Plan::default(), sample_sizes).await, "crc");
    let mut b = built.bytes.clone();
    b[built.spans[0].data + 100] ^= 0x40; // STORED data byte
    assert_kind(drive(b, &Plan::default(), sample_sizes).await, "crc");
    let mut c = built.bytes.clone();
    c[built.spans[2].data + 3] ^= 0x40; // STORED + descriptor data byte
    assert_kind(drive(c, &Plan::default(), sample_sizes).await, "crc");
}

#[tokio::test]
async fn corrupt_deflate_data_never_verifies() {
    let built = build(&sample(), false);
    let s = built.spans[1];
    for at in (s.data..s.descriptor).step_by(37) {
        let mut z = built.bytes.clone();
        z[at] ^= 0x5a;
        let err = drive(z, &Plan::default(), sample_sizes)
            .await
            .expect_err("corrupted");
        assert!(
            [
                "corrupt",
                "crc",
                "size",
                "bad_header",
                "too_large",
                "truncated"
            ]
            .contains(&err.kind()),
            "{at}: {err}"
        );
    }
}

#[tokio::test]
async fn decompresses_to_more_than_claimed() {
    let data = content(4, 5000);
    let probe = build(&[E::new(b"liar", &data, true, Desc::Sig)], false);
    let csize = (probe.spans[0].descriptor - probe.spans[0].data) as u64;
    let mut e = E::new(b"liar", &data, true, Desc::Sig);
    e.claims = Some((crc32fast::hash(&data), csize, 4999));
    assert_kind(
        drive(build(&[e], false).bytes, &Plan::default(), |_, _| None).await,
        "size",
    );
    // Local header claims 4999: the read fails as soon as byte 5000 appears.
    let mut h = E::new(b"liar", &data, true, Desc::None);
    h.claims = Some((crc32fast::hash(&data[..4999]), csize, 4999));
    let z = build(&[h], false).bytes;
    let mut zip = ZipEntries::new(std::io::Cursor::new(z), Limits::default());
    let mut entry = zip
        .next_entry(|_| None)
        .await
        .expect("header")
        .expect("entry");
    let mut total = 0;
    let err = loop {
        match entry.read(&mut [0u8; 999]).await {
            Ok(n) => total += n,
            Err(e) => break e,
        }
    };
    assert!(total <= 4999, "{total}");
    assert_eq!(err.kind(), "size", "{err}");
}

#[tokio::test]
async fn bomb_stops_at_catalog_size() {
    let zeros = vec![0u8; 10 << 20];
    for desc in [Desc::Sig, Desc::None] {
        let z = build(&[E::new(b"bomb", &zeros, true, desc)], false).bytes;
        assert!(z.len() < 20_000, "a real bomb: {} bytes", z.len());
        let mut zip = ZipEntries::new(std::io::Cursor::new(z), Limits::default());
        let res = zip.next_entry(|_| Some(1000)).await;
        let err = match res {
            Err(e) => e, // header already claims too much
            Ok(entry) => {
                let mut entry = entry.expect("entry");
                let mut total = 0;
                let err = loop {
                    match entry.read(&mut [0u8; 65536]).await {
                        Ok(n) => total += n,
                        Err(e) => break e,
                    }
                };
                assert!(total <= 1000, "{total} bytes handed out");
                err
            }
        };
        assert_eq!(err.kind(), "too_large", "{desc:?}: {err}");
    }
    // Unknown name: capped by max_entry_bytes.
    let z = build(&[E::new(b"bomb", &zeros, true, Desc::Sig)], false).bytes;
    let limits = Limits {
        max_entry_bytes: 1 << 20,
        ..Limits::default()
    };
    assert_kind(
        drive(
            z,
            &Plan {
                limits,
                ..Plan::default()
            },
            |_, _| None,
        )
        .await,
        "too_large",
    );
}

#[tokio::test]
async fn ratio_limit() {
    let zeros = vec![0u8; 20 << 20];
    let z = build(&[E::new(b"zeros", &zeros, true, Desc::Sig)], false).bytes;
    let limits = Limits {
        max_ratio: 100,
        ..Limits::default()
    };
    assert_kind(
        drive(
            z.clone(),
            &Plan {
                limits,
                ..Plan::default()
            },
            |_, _| Some(20 << 20),
        )
        .await,
        "ratio",
    );
    let off = Limits {
        max_ratio: 0,
        ..Limits::default()
    };
    let seen = drive(
        z,
        &Plan {
            limits: off,
            ..Plan::default()
        },
        |_, _| Some(20 << 20),
    )
    .await
    .expect("ratio off");
    assert_eq!(seen[0].digest.md5.expect("md5"), md5_of(&zeros));
}

#[tokio::test]
async fn hostile_names_come_out_raw() {
    let names: [&[u8]; 7] = [
        b"../x",
        b"/abs",
        b"a\\b",
        &[0xff, 0xfe, b'x'],
        b"dup",
        b"dup",
        b"C:\\evil",
    ];
    let entries: Vec<E> = names
        .iter()
        .map(|n| E::new(n, n, false, Desc::None))
        .collect();
    let seen = drive(build(&entries, false).bytes, &Plan::default(), |_, _| None)
        .await
        .expect("zip");
    let got: Vec<&[u8]> = seen.iter().map(|s| s.name.as_slice()).collect();
    assert_eq!(got, names);
    assert!(seen
        .iter()
        .zip(names)
        .all(|(s, n)| s.digest.md5.expect("md5") == md5_of(n)));
}

#[tokio::test]
async fn limits_on_entries_and_names() {
    let z = build(&sample(), false).bytes;
    let few = Limits {
        max_entries: 3,
        ..Limits::default()
    };
    assert_kind(
        drive(
            z.clone(),
            &Plan {
                limits: few,
                ..Plan::default()
            },
            sample_sizes,
        )
        .await,
        "too_large",
    );
    let short = Limits {
        max_name_len: 5,
        ..Limits::default()
    };
    assert_kind(
        drive(
            z,
            &Plan {
                limits: short,
                ..Plan::default()
            },
            sample_sizes,
        )
        .await,
        "too_large",
    );
    // A 65,535-byte name is fine to read when allowed.
    let long = vec![b'n'; 65535];
    let z = build(&[E::new(&long, b"x", false, Desc::None)], false).bytes;
    let limits = Limits {
        max_name_len: 65535,
        ..Limits::default()
    };
    let seen = drive(
        z,
        &Plan {
            limits,
            ..Plan::default()
        },
        |_, _| None,
    )
    .await
    .expect("long name");
    assert_eq!(seen[0].name, long);
}

#[tokio::test]
async fn malformed_headers() {
    let base = build(&sample(), false);
    // zip64 extra claiming u64::MAX bytes: refused by size, nothing allocated.
    let mut e = E::new(b"huge", b"abc", false, Desc::None);
    e.zip64_extra = true;
    e.claims = Some((0, u64::MAX, u64::MAX));
    assert_kind(
        drive(build(&[e], false).bytes, &Plan::default(), |_, _| Some(10)).await,
        "too_large",
    );
    let patch = |at: usize, bytes: &[u8]| {
        let mut z = base.bytes.clone();
        z[at..at + bytes.len()].copy_from_slice(bytes);
        z
    };
    let h = base.spans[0].header;
    let cases: [(Vec<u8>, &str); 6] = [
        (patch(h, b"PK\x05\x07"), "bad_header"), // unknown signature
        (patch(h + 6, &[1, 0]), "unsupported"),  // encrypted
        (patch(h + 8, &[12, 0]), "unsupported"), // bzip2
        (patch(h + 26, &[0xff, 0xff]), "too_large"), // 65,535-byte name > max_name_len
        (
            patch(base.cd_start + 16, &[0, 0, 0, 0]),
            "central_directory",
        ), // CD CRC
        (patch(base.eocd + 16, &[0, 0, 0, 0]), "central_directory"), // CD offset
    ];
    for (i, (z, kind)) in cases.into_iter().enumerate() {
        let res = drive(z, &Plan::default(), sample_sizes).await;
        assert!(
            res.as_ref().is_err_and(|e| e.kind() == kind),
            "case {i}: {:?}",
            res.map(|s| s.len())
        );
    }
    // An extra field whose own length overruns the extra area.
    let mut z = build(&[E::new(b"x", b"abc", false, Desc::None)], false).bytes;
    z[28] = 6; // extra_len 6; name "x" then: id, len=0xFFFF overruns
    z.splice(31..31, [0x99, 0x99, 0xFF, 0xFF, 0, 0]);
    assert_kind(drive(z, &Plan::default(), |_, _| None).await, "bad_header");
    // Trailing bytes after the end record.
    let mut z = base.bytes.clone();
    z.extend_from_slice(b"junk");
    assert_kind(drive(z, &Plan::default(), sample_sizes).await, "bad_header");
    // No central directory at all: entries then EOF.
    let z = base.bytes[..base.cd_start].to_vec();
    assert_kind(drive(z, &Plan::default(), sample_sizes).await, "truncated");
}
