//! The batch rules, pure: after a bulk job (or its start) ends badly, split the batch to
//! isolate an object the server refuses, or charge every object one attempt and retry it
//! whole; after a zip streamed, charge the objects it did not deliver; give up on an object
//! whose attempts are spent. A [`BatchPlan`] holds one batch's pieces and applies the rules;
//! the pipeline only runs the jobs it hands out and reports how each ended. No I/O here.
//!
//! - Throttling (429), server or network trouble, denials (401/403) and deadlines never split:
//!   splitting would double the start calls while the server struggles, and no single object
//!   is to blame. They charge an attempt and retry the piece whole.
//! - A FAILED/CANCELLED job or a refused start (another 4xx) of several objects splits in
//!   halves without charging, so a poison object is isolated in about log2(n) rounds.
//! - Splits come from a budget per batch, `2·⌈log2 n⌉` (enough to isolate two poison objects).
//!   Once it is spent, such failures charge too, so a server that fails every job costs at
//!   most `budget + (budget + 1) · attempts` jobs for the batch instead of `2n − 1` per round.

use std::collections::VecDeque;

use crate::css::model::ObjectRecord;
use crate::css::CssError;
use crate::failure::Rejection;

/// How a job failed as a whole, as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The server ended the job FAILED or CANCELLED: one object may be poison.
    JobFailed,
    /// The start was refused with a 4xx other than 401/403/404/429: e.g. an object deleted by
    /// retention since it was listed.
    StartRefused,
    /// 429 after the client's own retries.
    Throttled,
    /// 401/403/404 after the client's own handling: nothing object-specific.
    Denied,
    /// 5xx, network trouble, timeouts, answers that do not parse.
    Unavailable,
    /// Not finished within the job deadline (cancelled).
    TimedOut,
}

impl Failure {
    /// Whether the failure may be caused by one object of the batch.
    fn isolatable(self) -> bool {
        matches!(self, Failure::JobFailed | Failure::StartRefused)
    }
}

/// Classifies an error from starting or polling a job.
pub fn classify(e: &CssError) -> Failure {
    match e {
        CssError::Http { status: 429, .. } => Failure::Throttled,
        CssError::Http {
            status: 401 | 403, ..
        }
        | CssError::Unauthorized { .. }
        | CssError::AuthRejected { .. }
        | CssError::NotFound { .. } => Failure::Denied,
        CssError::Http {
            endpoint: "start",
            status: 400..=499,
            ..
        } => Failure::StartRefused,
        _ => Failure::Unavailable,
    }
}

/// An object with the attempts it has used and why the last one failed.
#[derive(Debug, Clone)]
pub struct Pending {
    pub rec: ObjectRecord,
    pub attempts: u32,
    pub last: Option<Rejection>,
}

/// An object out of attempts, with the reason its last attempt failed.
#[derive(Debug, Clone)]
pub struct GaveUp {
    pub rec: ObjectRecord,
    pub attempts: u32,
    pub last: Rejection,
}

/// What the caller does after reporting an outcome.
#[derive(Debug, Default)]
pub struct Settled {
    /// Objects out of attempts: report them failed.
    pub gave_up: Vec<GaveUp>,
    /// Wait (backoff) before the next job: something was charged and will be retried.
    pub back_off: bool,
}

/// One batch's pieces and the rules above. Pieces are handed out in order (splits last), so a
/// batch's jobs run one after another.
#[derive(Debug)]
pub struct BatchPlan {
    queue: VecDeque<Vec<Pending>>,
    splits_left: u32,
    max_attempts: u32,
}

impl BatchPlan {
    pub fn new(records: Vec<ObjectRecord>, max_attempts: u32) -> Self {
        let splits_left = 2 * ceil_log2(records.len());
        let piece: Vec<Pending> = records
            .into_iter()
            .map(|rec| Pending {
                rec,
                attempts: 0,
                last: None,
            })
            .collect();
        BatchPlan {
            queue: VecDeque::from([piece]),
            splits_left,
            max_attempts: max_attempts.max(1),
        }
    }

    /// The next piece to run as one job (or one single-object download).
    pub fn next_piece(&mut self) -> Option<Vec<Pending>> {
        while let Some(piece) = self.queue.pop_front() {
            if !piece.is_empty() {
                return Some(piece);
            }
        }
        None
    }

    /// The whole piece failed with `failure`: split it, or charge `why` to every object.
    pub fn failed(&mut self, piece: Vec<Pending>, failure: Failure, why: Rejection) -> Settled {
        if failure.isolatable() && piece.len() > 1 && self.splits_left > 0 {
            self.splits_left -= 1;
            let mut front = piece;
            let back = front.split_off(front.len() / 2);
            self.queue.push_back(front);
            self.queue.push_back(back);
            return Settled::default();
        }
        let charged = piece.into_iter().map(|p| (p, why.clone())).collect();
        self.charge(charged)
    }

    /// Objects a finished job (or a single download) did not deliver intact, each with its
    /// reason: one attempt each, retried together.
    pub fn undelivered(&mut self, rest: Vec<(Pending, Rejection)>) -> Settled {
        self.charge(rest)
    }

    fn charge(&mut self, piece: Vec<(Pending, Rejection)>) -> Settled {
        let mut settled = Settled::default();
        let mut retry = Vec::new();
        for (mut p, why) in piece {
            p.attempts += 1;
            if p.attempts < self.max_attempts {
                p.last = Some(why);
                retry.push(p);
            } else {
                settled.gave_up.push(GaveUp {
                    rec: p.rec,
                    attempts: p.attempts,
                    last: why,
                });
            }
        }
        settled.back_off = !retry.is_empty();
        self.queue.push_back(retry);
        settled
    }
}

/// ⌈log2 n⌉ (0 for n ≤ 1).
fn ceil_log2(n: usize) -> u32 {
    match n {
        0 | 1 => 0,
        n => usize::BITS - (n - 1).leading_zeros(),
    }
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
