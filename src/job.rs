//! One bulk download job's life on the server: start it, check the status of every zip the
//! start answered — first after an estimate of its preparation sized by the job's stored bytes,
//! then at the configured interval (jittered, so many workers do not poll in lockstep), each
//! status coming from the region's all-jobs [`Poller`] round or, when that does not list the
//! zip, from the zip's own status request — until each is terminal or the deadline passes, and
//! cancel those we give up on. What happens to the zip afterwards — and what
//! FAILED or PARTIAL_DONE mean for the objects — is the pipeline's business, not this
//! module's.

use crate::css::model::{JobState, JobStatus};
use crate::css::CssClient;
use crate::css::CssError;
use crate::metrics as m;
use crate::poller::{rules, Answer, Poller};
use rand::Rng;
use std::time::Duration;
use tokio::time::Instant;
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

/// Starts a job for `ids` (holding `stored_bytes`) and waits for every zip of the answer to
/// end: one [`JobEnd`] per zip, in the order the start answered them (a start may split the
/// ids over several zips; each is checked on the job's schedule, so a job still occupies one
/// of the region's job slots however many zips it has).
pub async fn run(
    css: &CssClient,
    region: &str,
    ids: &[String],
    stored_bytes: u64,
    poll: PollPolicy,
    poller: &Poller,
) -> Result<Vec<JobEnd>, CssError> {
    let started = Instant::now();
    let statuses = css.start_bulk(region, ids).await?;
    metrics::counter!(m::JOBS_STARTED, "region" => region.to_string())
        .increment(statuses.len() as u64);
    // Every zip not terminal yet; given back as each ends, or all on an error or cancel.
    let mut preparing = m::InFlight::new(
        metrics::gauge!(m::JOBS_PREPARING, "region" => region.to_string()),
        statuses.len() as u64,
    );
    let zips: Vec<String> = statuses.iter().map(|s| s.zip_name.clone()).collect();
    info!(region, zips = ?zips, objects = ids.len(), "bulk job started");
    let mut ends: Vec<Option<JobEnd>> = vec![None; statuses.len()];
    let mut statuses: Vec<Option<JobStatus>> = statuses.into_iter().map(Some).collect();
    // issue 8 (polling): the first check sized by the job's bytes, then the interval.
    let deadline_at = started + poll.deadline;
    let mut due = started + rules::first_check_after(stored_bytes, poll.interval);
    let mut checked = false;
    loop {
        for (end, status) in ends.iter_mut().zip(statuses.iter_mut()) {
            if let Some(settled) = status.take().as_ref().and_then(settle) {
                finished(region, &settled, started);
                preparing.done_one();
                *end = Some(settled);
            }
        }
        if ends.iter().all(Option::is_some) {
            return Ok(ends.into_iter().flatten().collect());
        }
        if started.elapsed() >= poll.deadline {
            for (end, zip_name) in ends.iter_mut().zip(&zips) {
                if end.is_none() {
                    warn!(region, zip = %zip_name, "bulk job not done before the deadline; cancelling");
                    if let Err(e) = css.cancel_bulk(region, zip_name).await {
                        debug!(region, zip = %zip_name, error = %e, "cancel failed (ignored)");
                    }
                    let timed_out = JobEnd::TimedOut {
                        zip_name: zip_name.clone(),
                    };
                    finished(region, &timed_out, started);
                    preparing.done_one();
                    *end = Some(timed_out);
                }
            }
            return Ok(ends.into_iter().flatten().collect());
        }
        let wait_until = due.min(deadline_at);
        // Every zip still running waits for the poller (served by a round, or told to ask).
        let waiting = ends
            .iter()
            .zip(&zips)
            .filter(|(end, _)| end.is_none())
            .map(|(_, zip)| async move { (zip, poller.status(zip, wait_until).await) });
        let answers = futures::future::join_all(waiting).await;
        for (zip_name, answer) in answers {
            let polled = match answer {
                Answer::Status(s) => s,
                // The client refuses a status answered for another zip.
                Answer::AskYourself => css.bulk_status(region, zip_name).await?,
            };
            debug!(region, zip = %zip_name, state = ?polled.status, "bulk job polled");
            if let Some(i) = zips.iter().position(|z| z == zip_name) {
                statuses[i] = Some(polled);
            }
        }
        (due, checked) =
            rules::next_due(wait_until, Instant::now(), checked, jittered(poll.interval));
    }
}

/// Counts and logs one zip's end.
fn finished(region: &str, end: &JobEnd, started: Instant) {
    let (zip_name, outcome) = match end {
        JobEnd::Ready {
            zip_name,
            partial: false,
        } => (zip_name, "done"),
        JobEnd::Ready { zip_name, .. } => (zip_name, "partial_done"),
        JobEnd::Failed {
            zip_name,
            state: JobState::Cancelled,
        } => (zip_name, "cancelled"),
        JobEnd::Failed { zip_name, .. } => (zip_name, "failed"),
        JobEnd::TimedOut { zip_name } => (zip_name, "deadline"),
    };
    metrics::counter!(m::JOBS_FINISHED, "region" => region.to_string(), "outcome" => outcome)
        .increment(1);
    if outcome != "deadline" {
        metrics::histogram!(m::JOB_WAIT_SECONDS, "region" => region.to_string())
            .record(started.elapsed().as_secs_f64());
    }
    info!(region, zip = %zip_name, outcome, waited_s = started.elapsed().as_secs(), "bulk job ended");
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
