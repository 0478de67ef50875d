//! One region's bulk job status poller (issue 8, polling): while any job of the region waits
//! for a status, it sends ONE all-jobs request (`GET …/bulk/download/status`) per round and
//! hands every waiting job listed in the answer its status, so N jobs in flight cost one
//! request per interval, not N. A due job missing from the answer — or every due job, once the
//! all-jobs request has failed (logged once; the region then polls per job for the rest of the
//! run) — is told to ask `status/{zip}` itself. It owns no job's schedule, deadline or
//! metrics (that is [`crate::job`]); its rules live in [`rules`]. It is a plain future joined
//! with the region's pipeline: it ends when every [`Poller`] handle is gone and is cancelled by
//! being dropped (SIGTERM); no task is spawned.

pub mod rules;

use crate::css::model::JobStatus;
use crate::css::CssClient;
use crate::failure::error_chain;
use rules::Serve;
use std::future::Future;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tracing::{debug, warn};

/// What a waiting job is told.
#[derive(Debug)]
pub enum Answer {
    /// Its status, from an all-jobs answer.
    Status(JobStatus),
    /// Ask `status/{zip}` yourself (now: the job is due).
    AskYourself,
}

/// A job waiting for its status: the zip, when it is due, where the answer goes.
struct Waiter {
    zip: String,
    due: Instant,
    reply: oneshot::Sender<Answer>,
}

/// A handle to a region's poller; cloned into every job of the region.
#[derive(Clone)]
pub struct Poller {
    asks: mpsc::Sender<Waiter>,
}

impl Poller {
    /// A poller for `region` and its driver (to be joined with the region's jobs). `gap` is
    /// the least time between two all-jobs rounds; `capacity` bounds the queue of new asks
    /// (the waiting jobs themselves are bounded by the region's jobs in flight).
    pub fn new(
        css: CssClient,
        region: String,
        gap: Duration,
        capacity: usize,
    ) -> (Poller, impl Future<Output = ()>) {
        let (asks, rx) = mpsc::channel(capacity.max(1));
        (Poller { asks }, drive(css, region, gap, rx))
    }

    /// Waits until a round serves `zip` (free, whenever it comes) or until `due`, whichever is
    /// first. With the driver gone, the job asks itself at `due`.
    pub async fn status(&self, zip: &str, due: Instant) -> Answer {
        let (reply, answer) = oneshot::channel();
        let waiter = Waiter {
            zip: zip.to_string(),
            due,
            reply,
        };
        if self.asks.send(waiter).await.is_ok() {
            if let Ok(a) = answer.await {
                return a;
            }
        }
        tokio::time::sleep_until(due).await;
        Answer::AskYourself
    }
}

async fn drive(css: CssClient, region: String, gap: Duration, mut rx: mpsc::Receiver<Waiter>) {
    let mut waiters: Vec<Waiter> = Vec::new();
    let mut last_round: Option<Instant> = None;
    let mut all_jobs = true;
    let mut open = true;
    loop {
        // A job that stopped waiting (cancelled, dropped) is forgotten.
        waiters.retain(|w| !w.reply.is_closed());
        let gap_now = if all_jobs { gap } else { Duration::ZERO };
        let Some(at) = rules::round_at(waiters.iter().map(|w| w.due), last_round, gap_now) else {
            if !open {
                return;
            }
            match rx.recv().await {
                Some(w) => waiters.push(w),
                None => open = false,
            }
            continue;
        };
        tokio::select! {
            biased;
            w = rx.recv(), if open => match w {
                Some(w) => waiters.push(w),
                None => open = false,
            },
            () = tokio::time::sleep_until(at) => {
                let now = Instant::now();
                last_round = Some(now);
                let answer = match all_jobs {
                    true => match css.bulk_statuses(&region).await {
                        Ok(a) => Some(a),
                        Err(e) => {
                            warn!(region, error = %error_chain(&e), "all-jobs status request failed; polling each job on its own from now on");
                            all_jobs = false;
                            None
                        }
                    },
                    false => None,
                };
                // The answer may have taken a while: judge what is due after it.
                let now = Instant::now();
                let keys: Vec<(&str, Instant)> =
                    waiters.iter().map(|w| (w.zip.as_str(), w.due)).collect();
                let serves = rules::assign(&keys, answer.as_deref(), now);
                if let Some(a) = &answer {
                    debug!(region, jobs_listed = a.len(), waiting = waiters.len(), "all-jobs status round");
                }
                let mut kept = Vec::with_capacity(waiters.len());
                for (w, serve) in waiters.drain(..).zip(serves) {
                    match serve {
                        Serve::Status(s) => drop(w.reply.send(Answer::Status(s))),
                        Serve::AskYourself => drop(w.reply.send(Answer::AskYourself)),
                        Serve::Wait => kept.push(w),
                    }
                }
                waiters = kept;
            }
        }
    }
}
