//! One bulk download job's life on the server: start it, poll its status at the configured
//! interval (jittered, so many workers do not poll in lockstep) until a terminal state or the
//! deadline, and cancel it when we give up. What happens to the zip afterwards — and what
//! FAILED or PARTIAL_DONE mean for the objects — is the pipeline's business, not this
//! module's.

use crate::css::model::{JobState, JobStatus};
use crate::css::CssClient;
use crate::css::CssError;
use crate::metrics as m;
use rand::Rng;
use std::time::{Duration, Instant};
use tracing::{debug, info, warn};

/// How polling is paced.
#[derive(Debug, Clone, Copy)]
pub struct PollPolicy {
    pub interval: Duration,
    pub deadline: Duration,
}

/// How a job ended, from our side.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEnd {
    /// DONE or PARTIAL_DONE: the zip can be downloaded. `partial` lists what the server says
    /// it included, when it says (PARTIAL_DONE); entries are matched by name regardless.
    Ready { zip_name: String, partial: bool },
    /// FAILED or CANCELLED by the server.
    Failed { zip_name: String, state: JobState },
    /// Not terminal before the deadline; cancelled (best effort).
    TimedOut { zip_name: String },
}

/// Starts a job for `ids` and waits for it to end.
pub async fn run(
    css: &CssClient,
    region: &str,
    ids: &[String],
    poll: PollPolicy,
) -> Result<JobEnd, CssError> {
    let started = Instant::now();
    let mut status = css.start_bulk(region, ids).await?;
    metrics::counter!(m::JOBS_STARTED, "region" => region.to_string()).increment(1);
    let zip_name = status.zip_name.clone();
    info!(region, zip = %zip_name, objects = ids.len(), "bulk job started");
    loop {
        if let Some(end) = settle(&status) {
            let outcome = match &end {
                JobEnd::Ready { partial: false, .. } => "done",
                JobEnd::Ready { partial: true, .. } => "partial_done",
                JobEnd::Failed {
                    state: JobState::Cancelled,
                    ..
                } => "cancelled",
                JobEnd::Failed { .. } => "failed",
                JobEnd::TimedOut { .. } => "deadline",
            };
            metrics::counter!(m::JOBS_FINISHED, "region" => region.to_string(), "outcome" => outcome).increment(1);
            metrics::histogram!(m::JOB_WAIT_SECONDS, "region" => region.to_string())
                .record(started.elapsed().as_secs_f64());
            info!(region, zip = %zip_name, outcome, waited_s = started.elapsed().as_secs(), "bulk job ended");
            return Ok(end);
        }
        if started.elapsed() >= poll.deadline {
            warn!(region, zip = %zip_name, "bulk job not done before the deadline; cancelling");
            if let Err(e) = css.cancel_bulk(region, &zip_name).await {
                debug!(region, zip = %zip_name, error = %e, "cancel failed (ignored)");
            }
            metrics::counter!(m::JOBS_FINISHED, "region" => region.to_string(), "outcome" => "deadline").increment(1);
            return Ok(JobEnd::TimedOut { zip_name });
        }
        let left = poll.deadline.saturating_sub(started.elapsed());
        tokio::time::sleep(jittered(poll.interval).min(left)).await;
        // The client refuses a status answered for another zip.
        status = css.bulk_status(region, &zip_name).await?;
        debug!(region, zip = %zip_name, state = ?status.status, "bulk job polled");
    }
}

/// Maps a status to an end, or `None` while the job is still running.
fn settle(status: &JobStatus) -> Option<JobEnd> {
    let zip_name = status.zip_name.clone();
    match &status.status {
        JobState::Done => Some(JobEnd::Ready {
            zip_name,
            partial: false,
        }),
        JobState::PartialDone => Some(JobEnd::Ready {
            zip_name,
            partial: true,
        }),
        s @ (JobState::Failed | JobState::Cancelled) => Some(JobEnd::Failed {
            zip_name,
            state: s.clone(),
        }),
        JobState::NotStarted | JobState::InProgress | JobState::Other(_) => None,
    }
}

/// The interval ±20%, so a fleet of workers does not poll in lockstep.
pub fn jittered(interval: Duration) -> Duration {
    let f = rand::thread_rng().gen_range(0.8..=1.2);
    interval.mul_f64(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(s: JobState) -> JobStatus {
        JobStatus {
            zip_name: "z.zip".into(),
            status: s,
            content: vec![],
        }
    }

    #[test]
    fn terminal_states_settle() {
        assert_eq!(
            settle(&st(JobState::Done)),
            Some(JobEnd::Ready {
                zip_name: "z.zip".into(),
                partial: false
            })
        );
        assert_eq!(
            settle(&st(JobState::PartialDone)),
            Some(JobEnd::Ready {
                zip_name: "z.zip".into(),
                partial: true
            })
        );
        assert!(matches!(
            settle(&st(JobState::Failed)),
            Some(JobEnd::Failed { .. })
        ));
        assert!(matches!(
            settle(&st(JobState::Cancelled)),
            Some(JobEnd::Failed { .. })
        ));
        assert_eq!(settle(&st(JobState::InProgress)), None);
        assert_eq!(settle(&st(JobState::Other("QUEUED".into()))), None);
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        for _ in 0..1000 {
            let d = jittered(Duration::from_secs(10));
            assert!(
                d >= Duration::from_secs(8) && d <= Duration::from_secs(12),
                "{d:?}"
            );
        }
    }
}
