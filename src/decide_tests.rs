//! Table tests of the batch rules, and whole-batch runs of [`BatchPlan`] against fake servers
//! (all jobs fail, one poison object, throttling) counting the jobs each costs.

use super::*;
use crate::css::model::JobState;
use crate::failure::{Cause, Stage};

fn recs(n: usize) -> Vec<ObjectRecord> {
    (0..n)
        .map(|i| {
            serde_json::from_value(serde_json::json!({
                "id": format!("id-{i}"), "type": "callrecording", "objectName": format!("{i}.mp3"),
                "storedBytes": 10, "createdTime": "2026-11-01T00:00:00"
            }))
            .unwrap()
        })
        .collect()
}

fn why() -> Rejection {
    Rejection::new(
        Stage::Job,
        Cause::JobEnded {
            zip_name: "z.zip".into(),
            state: JobState::Failed,
        },
    )
}

fn http(endpoint: &'static str, status: u16) -> CssError {
    CssError::Http {
        endpoint,
        status,
        body_snippet: String::new(),
    }
}

#[test]
fn errors_classify() {
    use Failure::*;
    let table: Vec<(CssError, Failure)> = vec![
        (http("start", 429), Throttled),
        (http("status", 429), Throttled),
        (http("start", 500), Unavailable),
        (http("start", 503), Unavailable),
        (http("start", 400), StartRefused),
        (http("start", 409), StartRefused),
        (http("start", 422), StartRefused),
        (http("start", 401), Denied),
        (http("start", 403), Denied),
        (http("status", 400), Unavailable),
        (CssError::NotFound { endpoint: "start" }, Denied),
        (CssError::Unauthorized { endpoint: "start" }, Denied),
        (CssError::AuthRejected { status: 401 }, Denied),
        (
            CssError::Timeout {
                endpoint: "start",
                timeout: std::time::Duration::from_secs(1),
            },
            Unavailable,
        ),
    ];
    for (e, want) in table {
        assert_eq!(classify(&e), want, "{e}");
    }
}

#[test]
fn which_failures_split() {
    use Failure::*;
    // (failure, objects in the piece, splits left) → split?
    let table = [
        (JobFailed, 8, 6, true),
        (StartRefused, 8, 6, true),
        (JobFailed, 2, 1, true),
        (JobFailed, 1, 6, false),
        (JobFailed, 8, 0, false),
        (StartRefused, 8, 0, false),
        (Throttled, 8, 6, false),
        (Unavailable, 8, 6, false),
        (Denied, 8, 6, false),
        (TimedOut, 8, 6, false),
    ];
    for (failure, n, splits, want_split) in table {
        let mut plan = BatchPlan::new(recs(n), 4);
        plan.splits_left = splits;
        let piece = plan.next_piece().unwrap();
        let settled = plan.failed(piece, failure, why());
        let pieces: Vec<Vec<Pending>> = std::iter::from_fn(|| plan.next_piece()).collect();
        let case = format!("{failure:?} n={n} splits={splits}");
        if want_split {
            assert_eq!(pieces.len(), 2, "{case}");
            assert_eq!(pieces[0].len() + pieces[1].len(), n, "{case}");
            assert!(pieces.iter().flatten().all(|p| p.attempts == 0), "{case}");
            assert!(!settled.back_off, "{case}: a split is not a retry");
        } else {
            assert_eq!(pieces.len(), 1, "{case}: retried whole");
            assert_eq!(pieces[0].len(), n, "{case}");
            assert!(pieces[0].iter().all(|p| p.attempts == 1), "{case}");
            assert!(pieces[0].iter().all(|p| p.last.is_some()), "{case}");
            assert!(settled.back_off, "{case}");
        }
    }
}

#[test]
fn a_429_on_start_is_retried_never_split() {
    let mut plan = BatchPlan::new(recs(100), 4);
    let throttled = classify(&http("start", 429));
    let mut jobs = 0;
    let mut gave_up = 0;
    while let Some(piece) = plan.next_piece() {
        jobs += 1;
        assert_eq!(piece.len(), 100, "never split");
        gave_up += plan.failed(piece, throttled, why()).gave_up.len();
    }
    assert_eq!(jobs, 4, "one start per attempt");
    assert_eq!(gave_up, 100);
}

/// Runs a whole batch: `fails(piece)` says how the job of a piece fails (`None` = delivered).
/// Returns (jobs started, objects delivered, objects given up).
fn drive(
    n: usize,
    attempts: u32,
    fails: impl Fn(&[Pending]) -> Option<Failure>,
) -> (usize, usize, Vec<GaveUp>) {
    let mut plan = BatchPlan::new(recs(n), attempts);
    let (mut jobs, mut delivered, mut gave_up) = (0, 0, Vec::new());
    while let Some(piece) = plan.next_piece() {
        jobs += 1;
        assert!(jobs < 100_000, "runaway plan");
        match fails(&piece) {
            None => delivered += piece.len(),
            Some(f) => gave_up.extend(plan.failed(piece, f, why()).gave_up),
        }
    }
    (jobs, delivered, gave_up)
}

#[test]
fn a_server_failing_every_job_costs_a_bounded_number_of_jobs() {
    for n in [1usize, 2, 3, 10, 100, 500, 1000] {
        for attempts in [1u32, 4, 6] {
            for failure in [Failure::JobFailed, Failure::StartRefused] {
                let (jobs, delivered, gave_up) = drive(n, attempts, |_| Some(failure));
                let budget = 2 * ceil_log2(n) as usize;
                let bound = budget + (budget + 1) * attempts as usize;
                assert!(
                    jobs <= bound,
                    "n={n} attempts={attempts}: {jobs} jobs > {bound}"
                );
                assert_eq!(delivered, 0);
                assert_eq!(gave_up.len(), n, "every object accounted for");
                assert!(gave_up.iter().all(|p| p.attempts == attempts));
            }
        }
    }
    // For scale: 2n − 1 jobs for 1000 objects without the budget; with it, at most 20 + 21 × 4.
    let (jobs, _, _) = drive(1000, 4, |_| Some(Failure::JobFailed));
    assert!(jobs <= 104, "{jobs}");
}

#[test]
fn one_poison_object_is_isolated_without_charging_the_others() {
    for n in [2usize, 7, 64, 500] {
        let poison = format!("id-{}", n / 3);
        let (jobs, delivered, gave_up) = drive(n, 4, |piece| {
            piece
                .iter()
                .any(|p| p.rec.id == poison)
                .then_some(Failure::JobFailed)
        });
        assert_eq!(delivered, n - 1, "n={n}");
        assert_eq!(gave_up.len(), 1);
        assert_eq!(gave_up[0].rec.id, poison);
        assert_eq!(gave_up[0].attempts, 4);
        let rounds = ceil_log2(n) as usize;
        assert!(jobs <= 2 * rounds + 4, "n={n}: {jobs} jobs");
    }
}

#[test]
fn two_poison_objects_are_both_isolated() {
    let n = 500;
    let (_, delivered, gave_up) = drive(n, 4, |piece| {
        piece
            .iter()
            .any(|p| p.rec.id == "id-3" || p.rec.id == "id-400")
            .then_some(Failure::StartRefused)
    });
    assert_eq!(delivered, n - 2);
    let mut ids: Vec<&str> = gave_up.iter().map(|p| p.rec.id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["id-3", "id-400"]);
}

#[test]
fn undelivered_objects_are_charged_until_their_attempts_run_out() {
    let mut plan = BatchPlan::new(recs(3), 2);
    let piece = plan.next_piece().unwrap();
    let mut piece = piece;
    let missing = piece.split_off(1).into_iter().map(|p| (p, why())).collect();
    let first = plan.undelivered(missing);
    assert!(first.gave_up.is_empty() && first.back_off);
    let again = plan.next_piece().unwrap();
    assert_eq!(again.len(), 2);
    assert!(again.iter().all(|p| p.attempts == 1));
    let second = plan.undelivered(again.into_iter().map(|p| (p, why())).collect());
    assert_eq!(second.gave_up.len(), 2);
    assert!(!second.back_off, "nothing left to retry");
    assert!(plan.next_piece().is_none());
}

#[test]
fn ceil_log2_values() {
    let table = [
        (0, 0),
        (1, 0),
        (2, 1),
        (3, 2),
        (4, 2),
        (5, 3),
        (500, 9),
        (1024, 10),
    ];
    for (n, want) in table {
        assert_eq!(ceil_log2(n), want, "{n}");
    }
}
