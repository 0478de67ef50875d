//! Tests of css-sim's option parsing (sizes, type mixes, times).
use super::*;

#[test]
fn sizes_parse() {
    assert_eq!(parse_size("1024"), Ok(1024));
    assert_eq!(parse_size("64KB"), Ok(64_000));
    assert_eq!(parse_size("300MB"), Ok(300_000_000));
    assert_eq!(parse_size("2GiB"), Ok(2_147_483_648));
    assert_eq!(parse_size("1.5mb"), Ok(1_500_000));
    assert!(parse_size("lots").is_err());
    assert!(parse_size("5XB").is_err());
}

/// The units are bytesize's, and a whole number means what bytesize says it means.
#[test]
fn sizes_are_bytesizes() {
    for (text, bytes) in [
        ("0", 0),
        ("7B", 7),
        ("1k", 1000),
        ("1K", 1000),
        ("1KB", 1000),
        ("1kb", 1000),
        ("1KiB", 1024),
        ("1kib", 1024),
        ("3 MiB", 3 << 20),
        ("2GB", 2_000_000_000),
        ("2GiB", 2 << 30),
        (" 150KB ", 150_000),
    ] {
        assert_eq!(parse_size(text), Ok(bytes), "{text}");
        let via_crate = text.trim().parse::<bytesize::ByteSize>().unwrap().as_u64();
        assert_eq!(via_crate, bytes, "bytesize agrees on {text}");
    }
}

#[test]
fn fractions_round_and_overflow_is_an_error() {
    assert_eq!(parse_size("4.35MB"), Ok(4_350_000));
    assert_eq!(parse_size("0.5KiB"), Ok(512));
    assert_eq!(parse_size("2.5"), Ok(3));
    assert_eq!(parse_size("1.5GiB"), Ok(1_610_612_736));
    for absurd in [
        "20000000EB",
        "18446744073709551616",
        "16EiB",
        "1e3KB",
        "KB",
        "",
        "1..5MB",
    ] {
        assert!(parse_size(absurd).is_err(), "{absurd}");
    }
    assert!(parse_size("9PiB").unwrap_err().contains("too large"));
}

#[test]
fn types_parse() {
    let t = parse_types("callrecording:3, voicemail").unwrap();
    assert_eq!(
        t,
        vec![("callrecording".into(), 3), ("voicemail".into(), 1)]
    );
    assert!(parse_types("meeting").unwrap_err().contains("known"));
    assert!(parse_types("voicemail:x").is_err());
    assert!(parse_types("").is_err());
}

#[test]
fn times_parse() {
    assert_eq!(parse_time_ms("1725148800000"), Ok(1_725_148_800_000));
    assert_eq!(parse_time_ms("2024-09-01T00:00:00"), Ok(1_725_148_800_000));
    assert!(parse_time_ms("yesterday").is_err());
}

#[test]
fn defaults_validate() {
    let c = SimConfig::for_tests();
    assert_eq!(c.client_id, "demo-client");
    assert_eq!(c.max_zip_bytes, 2_000_000_000, "the spec's 2 GB");
    assert_eq!(c.regions, vec!["us-east", "uk"]);
    c.validate().unwrap();
}

// issue 10 (css)
#[test]
fn delays_parse_and_archive_defaults_are_off() {
    assert_eq!(parse_delay_ms("500ms"), Ok(500));
    assert_eq!(parse_delay_ms("5s"), Ok(5000));
    assert_eq!(parse_delay_ms("1.5s"), Ok(1500));
    assert_eq!(parse_delay_ms("2m"), Ok(120_000));
    assert_eq!(parse_delay_ms("3"), Ok(3000));
    for bad in ["", "s", "-1s", "fast", "1h"] {
        assert!(parse_delay_ms(bad).is_err(), "{bad:?}");
    }
    let c = SimConfig::for_tests();
    assert_eq!(c.time_filter, TimeFilter::Ok);
    assert_eq!((c.archived, c.restore_delay), (0, 5000));
}
