use super::*;

/// Pinned: computed independently (Python `hashlib.md5(id.encode()).digest()[:8]`, big-endian,
/// mod count). A change here moves objects between shards: re-exports and misses.
#[test]
fn hash_is_pinned() {
    let table: [(&str, &str, u32, u32); 12] = [
        ("a", "0cc175b9c0f1b6a8", 3, 0),
        ("obj-0001", "1f7d84c205de983b", 3, 2),
        (
            "5f3c2b1a-0000-4000-8000-000000000001",
            "5171b6d9af50aea6",
            3,
            0,
        ),
        ("recording-42", "17030f5ea9027a02", 3, 1),
        ("", "d41d8cd98f00b204", 3, 2),
        ("été", "deaf6a1e9612a4d8", 3, 1),
        ("a", "0cc175b9c0f1b6a8", 8, 0),
        ("obj-0001", "1f7d84c205de983b", 8, 3),
        (
            "5f3c2b1a-0000-4000-8000-000000000001",
            "5171b6d9af50aea6",
            8,
            6,
        ),
        ("recording-42", "17030f5ea9027a02", 8, 2),
        ("", "d41d8cd98f00b204", 8, 4),
        ("été", "deaf6a1e9612a4d8", 8, 0),
    ];
    for (id, prefix, count, want) in table {
        let n = u64::from_str_radix(prefix, 16).unwrap();
        assert_eq!((n % u64::from(count)) as u32, want, "table row {id:?}");
        assert_eq!(bucket_of(id, count), want, "{id:?} over {count}");
        for index in 0..count {
            assert_eq!(
                Shard { index, count }.owns(id),
                index == want,
                "{id:?} {index}/{count}"
            );
        }
    }
}

#[test]
fn all_owns_everything_and_names() {
    for id in ["", "x", "obj-0001"] {
        assert!(Shard::ALL.owns(id));
    }
    assert_eq!(Shard::ALL.scope(), "all");
    assert!(!Shard::ALL.is_split());
    assert_eq!(Shard { index: 2, count: 3 }.scope(), "shard-2-of-3");
    assert_eq!(
        Shard {
            index: 0,
            count: 1024
        }
        .scope(),
        "shard-0-of-1024"
    );
    assert_eq!(Shard::default(), Shard::ALL);
}

#[test]
fn partition_is_exact_and_balanced() {
    let ids: Vec<String> = (0..10_000).map(|i| format!("obj-{i:05}")).collect();
    for count in [3u32, 8] {
        let mut sizes = vec![0u32; count as usize];
        for id in &ids {
            let owners: Vec<u32> = (0..count)
                .filter(|&index| Shard { index, count }.owns(id))
                .collect();
            assert_eq!(owners.len(), 1, "{id} over {count}: owners {owners:?}");
            sizes[owners[0] as usize] += 1;
        }
        assert_eq!(sizes.iter().sum::<u32>(), 10_000);
        let mean = 10_000.0 / f64::from(count);
        for (i, n) in sizes.iter().enumerate() {
            let off = (f64::from(*n) - mean).abs() / mean;
            assert!(off <= 0.10, "shard {i}/{count} holds {n}, mean {mean}");
        }
    }
}

#[test]
fn resolve_table() {
    let ok: [(Option<&str>, Option<&str>, u32, Shard); 7] = [
        (None, None, 1, Shard::ALL),
        (Some("0"), None, 1, Shard::ALL),
        (Some("2"), None, 3, Shard { index: 2, count: 3 }),
        (None, Some("1"), 3, Shard { index: 1, count: 3 }),
        // the explicit index wins over Kubernetes'
        (Some("0"), Some("2"), 3, Shard { index: 0, count: 3 }),
        (Some(""), Some(" 2 "), 3, Shard { index: 2, count: 3 }),
        (
            Some("1023"),
            None,
            1024,
            Shard {
                index: 1023,
                count: 1024,
            },
        ),
    ];
    for (index, job, count, want) in ok {
        assert_eq!(
            resolve(index, job, count),
            Ok(want),
            "{index:?} {job:?} {count}"
        );
    }
    // (CSS_SHARD_INDEX, JOB_COMPLETION_INDEX, CSS_SHARD_COUNT, variable named, text)
    type Bad<'a> = (Option<&'a str>, Option<&'a str>, u32, &'a str, &'a str);
    let bad: [Bad; 9] = [
        (None, None, 0, "CSS_SHARD_COUNT", "between 1 and 1024"),
        (
            Some("0"),
            None,
            1025,
            "CSS_SHARD_COUNT",
            "between 1 and 1024",
        ),
        (None, None, 3, "CSS_SHARD_INDEX", "JOB_COMPLETION_INDEX"),
        (
            Some("3"),
            None,
            3,
            "CSS_SHARD_INDEX",
            "not below CSS_SHARD_COUNT=3",
        ),
        (
            Some("1"),
            None,
            1,
            "CSS_SHARD_INDEX",
            "not below CSS_SHARD_COUNT=1",
        ),
        (Some("-1"), None, 3, "CSS_SHARD_INDEX", "not a shard index"),
        (Some("one"), None, 3, "CSS_SHARD_INDEX", "not a shard index"),
        (
            None,
            Some("x"),
            3,
            "JOB_COMPLETION_INDEX",
            "not a shard index",
        ),
        (None, Some("5"), 3, "JOB_COMPLETION_INDEX", "not below"),
    ];
    for (index, job, count, name, text) in bad {
        let e = resolve(index, job, count).unwrap_err();
        assert_eq!(e.name(), name, "{index:?} {job:?} {count}: {e}");
        let msg = e.to_string();
        assert!(msg.starts_with(name) && msg.contains(text), "{msg}");
        assert_eq!(e.kind(), "invalid_shard");
    }
    // The error for a count without an index names both variables.
    let e = resolve(None, None, 3).unwrap_err().to_string();
    assert!(
        e.contains("CSS_SHARD_INDEX") && e.contains("CSS_SHARD_COUNT"),
        "{e}"
    );
}
