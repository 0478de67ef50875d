use super::*;
use crate::css::model::JobState;

const S: fn(u64) -> Duration = Duration::from_secs;

fn st(zip: &str, state: JobState) -> JobStatus {
    JobStatus {
        zip_name: zip.into(),
        status: state,
        content: vec![],
    }
}

#[test]
fn the_first_check_is_sized_by_bytes_and_clamped_to_the_interval() {
    let ms = Duration::from_millis;
    let table = [
        // (stored bytes, interval, first check)
        (0, S(15), S(4)),
        (100 * 1024, S(15), ms(4_004)),
        (25_000_000, S(15), S(5)),
        (250_000_000, S(15), S(14)),
        (1 << 30, S(15), S(15)),
        (u64::MAX, S(15), S(15)),
        (0, S(30), S(4)),
        (1 << 30, S(30), S(30)),
        // A poll interval below the estimate's floor wins: never later than the interval.
        (0, S(3), S(3)),
        (0, ms(50), ms(50)),
        (1 << 30, ms(50), ms(50)),
    ];
    for (bytes, interval, want) in table {
        let got = first_check_after(bytes, interval);
        let close = got.abs_diff(want) <= ms(1);
        assert!(close, "{bytes} B at {interval:?}: {got:?}, want {want:?}");
    }
}

#[test]
fn a_free_status_before_the_first_check_keeps_it_any_other_counts_as_a_check() {
    let t0 = Instant::now();
    let step = S(15);
    let table = [
        // (due, now, checked before) -> (next due, checked after)
        // Served by another job's round before the sized first check: the check still comes.
        (t0 + S(4), t0 + S(1), false, (t0 + S(4), false)),
        // The first check itself (due now or overdue).
        (t0 + S(4), t0 + S(4), false, (t0 + S(19), true)),
        (t0 + S(4), t0 + S(5), false, (t0 + S(20), true)),
        // After the first check, any status counts: next one a full step later.
        (t0 + S(19), t0 + S(10), true, (t0 + S(25), true)),
        (t0 + S(19), t0 + S(19), true, (t0 + S(34), true)),
    ];
    for (due, now, checked, want) in table {
        assert_eq!(next_due(due, now, checked, step), want, "{due:?} {now:?}");
    }
}

#[test]
fn rounds_come_at_the_earliest_due_but_never_closer_than_the_gap() {
    let t0 = Instant::now();
    let gap = S(2);
    assert_eq!(round_at([], None, gap), None);
    assert_eq!(round_at([], Some(t0), gap), None);
    assert_eq!(round_at([t0 + S(9), t0 + S(4)], None, gap), Some(t0 + S(4)));
    // Last round long ago: the earliest due.
    assert_eq!(round_at([t0 + S(9)], Some(t0), gap), Some(t0 + S(9)));
    // Last round just now: wait out the gap.
    assert_eq!(round_at([t0], Some(t0), gap), Some(t0 + S(2)));
    assert_eq!(
        round_at([t0 + S(1), t0 + S(20)], Some(t0), gap),
        Some(t0 + S(2))
    );
}

#[test]
fn each_waiter_gets_its_own_status_or_asks_itself_when_due() {
    let t0 = Instant::now();
    let answer = [
        st("b.zip", JobState::Done),
        st("a.zip", JobState::InProgress),
        st("other.zip", JobState::Failed),
    ];
    let waiters = [
        ("a.zip", t0 + S(10)), // listed, not due: served for free
        ("b.zip", t0),         // listed, due
        ("c.zip", t0),         // missing, due: its own request
        ("d.zip", t0 + S(1)),  // missing, not due: waits
    ];
    assert_eq!(
        assign(&waiters, Some(&answer), t0),
        vec![
            Serve::Status(st("a.zip", JobState::InProgress)),
            Serve::Status(st("b.zip", JobState::Done)),
            Serve::AskYourself,
            Serve::Wait,
        ]
    );
    // An empty answer: every due job asks itself.
    assert_eq!(
        assign(&waiters, Some(&[]), t0),
        vec![
            Serve::Wait,
            Serve::AskYourself,
            Serve::AskYourself,
            Serve::Wait
        ]
    );
    // No answer (the all-jobs request failed or is off): per-job polling, due jobs only.
    assert_eq!(
        assign(&waiters, None, t0 + S(5)),
        vec![
            Serve::Wait,
            Serve::AskYourself,
            Serve::AskYourself,
            Serve::AskYourself
        ]
    );
    assert!(assign(&[], Some(&answer), t0).is_empty());
}
