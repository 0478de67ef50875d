use super::*;
use std::time::Duration;

#[test]
fn only_two_refusals_mean_honoured() {
    use ProbeAnswer::*;
    let table = [
        (Refused, Refused, true),
        (Accepted, Refused, false),
        (Refused, Accepted, false),
        (NotImplemented, Refused, false),
        (Accepted, Accepted, false),
        (NotImplemented, NotImplemented, false),
    ];
    for (m, n, want) in table {
        assert_eq!(honoured(m, n), want, "{m:?} {n:?}");
    }
}

#[test]
fn the_setting_and_the_probe_pick_the_mode() {
    use ConditionalWrites::*;
    use WriteMode::*;
    let table = [
        (Auto, Some(true), Some(Conditional)),
        (Auto, Some(false), Some(ReadAfterWrite)),
        (On, Some(true), Some(Conditional)),
        (On, Some(false), None),
        (Off, None, Some(ReadAfterWrite)),
        (Off, Some(true), Some(ReadAfterWrite)),
    ];
    for (setting, probe, want) in table {
        assert_eq!(write_mode(setting, probe), want, "{setting:?} {probe:?}");
    }
    assert!(probes(Auto) && probes(On) && !probes(Off));
}

#[test]
fn after_a_write_done_retry_or_give_up() {
    use Step::*;
    let stored = |ours: &str, seen: Option<&str>| Written::Stored {
        ours: ours.into(),
        seen: seen.map(str::to_string),
    };
    let last = UPDATE_ATTEMPTS;
    let table = [
        (Written::Refused, 1, Retry),
        (Written::Refused, last - 1, Retry),
        (Written::Refused, last, GiveUp),
        (stored("\"a\"", Some("a")), 1, Done),
        (stored("\"AB\"", Some("\"ab\"")), last, Done),
        (stored("\"a\"", Some("\"b\"")), 1, Retry),
        (stored("\"a\"", None), 2, Retry),
        (stored("\"a\"", Some("\"b\"")), last, GiveUp),
        (stored("\"a\"", None), last, GiveUp),
    ];
    for (written, attempt, want) in table {
        assert_eq!(
            after_write(&written, attempt),
            want,
            "{written:?} {attempt}"
        );
    }
}

#[test]
fn documents_are_bounded_and_pauses_grow_with_jitter() {
    assert!(size_ok(MAX_DOC_BYTES));
    assert!(!size_ok(MAX_DOC_BYTES + 1));
    assert_eq!(retry_pause(1, 0.0), Duration::from_millis(50));
    assert_eq!(retry_pause(2, 0.0), Duration::from_millis(100));
    assert_eq!(retry_pause(3, 0.5), Duration::from_millis(300));
    assert_eq!(retry_pause(99, 0.999), retry_pause(5, 0.999));
    assert!(retry_pause(99, 5.0) <= Duration::from_millis(1600));
}
