use super::*;

#[test]
fn rate_is_measured_over_the_window() {
    let mut r = Rate::new(10.0);
    assert_eq!(r.per_sec(), 0.0, "no time passed");
    r.push(1.0, 2_000_000);
    assert_eq!(r.per_sec(), 2_000_000.0);
    for t in 2..=30 {
        r.push(t as f64, 2_000_000 * t);
    }
    assert_eq!(r.per_sec(), 2_000_000.0);
    // The pace drops to 1 MB/s: after a window the rate is the new pace, not the average.
    for t in 31..=45 {
        r.push(t as f64, 60_000_000 + 1_000_000 * (t - 30));
    }
    assert_eq!(r.per_sec(), 1_000_000.0);
    assert!(r.samples.len() <= 12, "bounded: {}", r.samples.len());
    // Samples further apart than the window: the rate between the last two.
    let mut sparse = Rate::new(10.0);
    sparse.push(30.0, 30_000_000);
    sparse.push(60.0, 90_000_000);
    assert_eq!(sparse.per_sec(), 2_000_000.0);
}

#[test]
fn eta_from_bytes_left_and_rate() {
    let table: &[(u64, f64, Option<u64>)] = &[
        (0, 0.0, Some(0)),
        (0, 5.0, Some(0)),
        (100, 0.0, None),
        (100, f64::NAN, None),
        (100, -1.0, None),
        (200_000_000, 2_000_000.0, Some(100)),
        (1, 3.0, Some(1)),
        (u64::MAX, 1.0, None),
    ];
    for &(left, rate, want) in table {
        assert_eq!(eta_secs(left, rate), want, "{left} at {rate}");
    }
}

#[test]
fn texts() {
    let table: &[(Option<u64>, &str)] = &[
        (None, "-"),
        (Some(0), "0s"),
        (Some(59), "59s"),
        (Some(100), "1m40s"),
        (Some(3600), "1h00m00s"),
        (Some(3723), "1h02m03s"),
    ];
    for &(eta, want) in table {
        assert_eq!(eta_text(eta), want);
    }
    assert_eq!(bytes_text(15), "15 B");
    assert_eq!(bytes_text(101_300_000), "101.30 MB");
    assert_eq!(rate_text(2_049_000.0), "2.0 MB/s");
    assert_eq!(rate_text(-3.0), "0.0 MB/s");
}

#[test]
fn a_line_shows_objects_bytes_rate_and_eta() {
    let mut s = RegionSnapshot {
        found: 313,
        settled: 41,
        exported: 41,
        failed: 0,
        bytes_found: 300_000_000,
        bytes_settled: 101_300_000,
        bytes_exported: 101_300_000,
        listing_done: false,
    };
    assert_eq!(
        line(&s, 2_000_000.0),
        "41/313+ objects  101.30 MB exported, 198.70 MB left  2.0 MB/s  ETA 1m40s"
    );
    s.listing_done = true;
    s.failed = 3;
    assert_eq!(
        line(&s, 0.0),
        "41/313 objects  101.30 MB exported, 198.70 MB left  0.0 MB/s  ETA -  3 failed"
    );
    let done = RegionSnapshot {
        found: 2,
        settled: 2,
        bytes_found: 10,
        bytes_settled: 10,
        listing_done: true,
        ..RegionSnapshot::default()
    };
    assert_eq!(
        line(&done, 0.0),
        "2/2 objects  0 B exported, 0 B left  0.0 MB/s  ETA 0s"
    );
    let listing = RegionSnapshot::default();
    assert_eq!(
        line(&listing, 0.0),
        "0/0+ objects  0 B exported, 0 B left  0.0 MB/s  ETA -"
    );
}

#[test]
fn bars_fill_with_settled_of_found() {
    let table: &[(u64, u64, &str)] = &[
        (0, 0, "[                        ]"),
        (0, 14, "[                        ]"),
        (9, 23, "[=========>              ]"),
        (1, 1000, "[>                       ]"),
        (999, 1000, "[=======================>]"),
        (23, 23, "[========================]"),
        (30, 23, "[========================]"),
    ];
    for &(settled, found, want) in table {
        assert_eq!(bar_text(settled, found), want, "{settled}/{found}");
        assert_eq!(want.chars().count(), BAR_WIDTH + 2);
    }
}
