//! Issue 7 (progress): what a running sync shows while it runs. `CSS_SYNC_PROGRESS=auto`
//! (default) draws live bars — one line per region and a total, with indicatif — when stderr
//! is a terminal and logs are text, and otherwise logs one `progress` info event every
//! `CSS_SYNC_PROGRESS_INTERVAL` with the same numbers as fields; `bars`, `log` and `off` force
//! one; `--quiet` turns it off. The numbers come from polling [`Tally::snapshot`]: progress
//! only reads the tally, never feeds it, and never decides an outcome. The line's text and the
//! rate/ETA math are pure ([`format`]).

use crate::cli::LogFormat;
use crate::logging::AsJson;
use crate::report::{RegionSnapshot, Snapshot, Tally};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

#[path = "progress/bars.rs"]
mod bars;
#[path = "progress/format.rs"]
pub mod format;

/// Shortest accepted `CSS_SYNC_PROGRESS_INTERVAL`.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// Longest accepted `CSS_SYNC_PROGRESS_INTERVAL`.
pub const MAX_INTERVAL: Duration = Duration::from_secs(3600);
/// Between two redraws of the live bars.
pub const BAR_TICK: Duration = Duration::from_millis(250);

/// `CSS_SYNC_PROGRESS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Bars on a terminal with text logs, log events otherwise.
    #[default]
    Auto,
    /// Live bars (indicatif hides them where stderr is no terminal or `TERM` is dumb).
    Bars,
    /// A `progress` event every interval.
    Log,
    Off,
}

impl Mode {
    pub fn parse(text: &str) -> Option<Mode> {
        match text.trim() {
            "auto" => Some(Mode::Auto),
            "bars" => Some(Mode::Bars),
            "log" => Some(Mode::Log),
            "off" => Some(Mode::Off),
            _ => None,
        }
    }
}

/// What a run actually shows, once the terminal is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    Bars,
    Log,
    Off,
}

/// The validated progress options of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressSettings {
    pub mode: Mode,
    pub interval: Duration,
    /// `--quiet`: no progress and no summary.
    pub quiet: bool,
}

impl Default for ProgressSettings {
    fn default() -> Self {
        ProgressSettings {
            mode: Mode::Auto,
            interval: crate::defaults::PROGRESS_INTERVAL,
            quiet: false,
        }
    }
}

/// Where the terminal facts come from: stderr, `TERM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terminal {
    pub stderr_is_terminal: bool,
    /// `TERM` set, non-empty and not `dumb` (indicatif draws nothing otherwise).
    pub term_can_draw: bool,
}

impl Terminal {
    /// This process's stderr.
    pub fn detect() -> Terminal {
        use std::io::IsTerminal;
        let term = std::env::var("TERM").unwrap_or_default();
        Terminal {
            stderr_is_terminal: std::io::stderr().is_terminal(),
            term_can_draw: !term.is_empty() && term != "dumb",
        }
    }
}

/// The display for `settings` on `terminal` with logs in `format`.
pub fn resolve(settings: &ProgressSettings, terminal: Terminal, format: LogFormat) -> Display {
    if settings.quiet {
        return Display::Off;
    }
    match settings.mode {
        Mode::Off => Display::Off,
        Mode::Log => Display::Log,
        Mode::Bars => Display::Bars,
        Mode::Auto if terminal.stderr_is_terminal && terminal.term_can_draw => match format {
            LogFormat::Text => Display::Bars,
            // Bars between JSON lines would break "one JSON object per line".
            LogFormat::Json => Display::Log,
        },
        Mode::Auto => Display::Log,
    }
}

/// The running display of one sync; [`Progress::finish`] ends it before the summary.
pub struct Progress {
    stop: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl Progress {
    /// [`Progress::start`] with the display `settings` give on this process's stderr.
    pub fn show(tally: Arc<Tally>, regions: &[String], settings: &ProgressSettings) -> Progress {
        let display = resolve(settings, Terminal::detect(), crate::logging::format());
        Progress::start(tally, regions, display, settings.interval)
    }

    /// Starts showing `regions` of `tally` as `display` says (nothing for [`Display::Off`]).
    pub fn start(
        tally: Arc<Tally>,
        regions: &[String],
        display: Display,
        interval: Duration,
    ) -> Progress {
        let stop = CancellationToken::new();
        let regions = regions.to_vec();
        let task = match display {
            Display::Off => None,
            Display::Bars => Some(tokio::spawn(bars::run(tally, regions, stop.clone()))),
            Display::Log => Some(tokio::spawn(log_events(
                tally,
                regions,
                interval,
                stop.clone(),
            ))),
        };
        Progress { stop, task }
    }

    /// Draws (or logs) the final numbers and ends the display: bars are finished and
    /// released before this returns, so the summary prints below them.
    pub async fn finish(mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Every `interval` (and once at the end, when at least one was logged) one `progress`
/// event: the totals as fields, each region as an element of `regions`.
async fn log_events(
    tally: Arc<Tally>,
    regions: Vec<String>,
    interval: Duration,
    stop: CancellationToken,
) {
    let mut rates = Rates::new(&regions);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    let mut logged = false;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.cancelled() => break,
        }
        log_event(&rates.sample(&tally.snapshot()), &regions);
        logged = true;
    }
    if logged {
        log_event(&rates.sample(&tally.snapshot()), &regions);
    }
}

fn log_event(lines: &Lines, regions: &[String]) {
    let per_region: Vec<serde_json::Value> = regions
        .iter()
        .zip(&lines.regions)
        .map(|(r, (s, rate))| fields(Some(r), s, *rate))
        .collect();
    let (t, rate) = &lines.total;
    tracing::info!(
        target: "css_sync::progress",
        objects_settled = t.settled,
        objects_found = t.found,
        listing_done = t.listing_done,
        objects_exported = t.exported,
        objects_failed = t.failed,
        bytes_found = t.bytes_found,
        bytes_exported = t.bytes_exported,
        bytes_left = t.bytes_left(),
        rate_bytes_per_sec = rate.round() as u64,
        eta_secs = format::eta_of(t, *rate),
        regions = ?AsJson(&per_region),
        "progress"
    );
}

/// One region's (or the total's, without `region`) numbers as a JSON object.
fn fields(region: Option<&str>, s: &RegionSnapshot, rate: f64) -> serde_json::Value {
    let mut v = serde_json::json!({
        "objects_settled": s.settled,
        "objects_found": s.found,
        "listing_done": s.listing_done,
        "objects_exported": s.exported,
        "objects_failed": s.failed,
        "bytes_found": s.bytes_found,
        "bytes_exported": s.bytes_exported,
        "bytes_left": s.bytes_left(),
        "rate_bytes_per_sec": rate.round() as u64,
    });
    if let Some(o) = v.as_object_mut() {
        // Absent while unknown, as in the event's own fields.
        if let Some(eta) = format::eta_of(s, rate) {
            o.insert("eta_secs".into(), eta.into());
        }
        if let Some(r) = region {
            o.insert("region".into(), r.into());
        }
    }
    v
}

/// Per region and in total: the snapshot and the exported-bytes rate.
struct Lines {
    regions: Vec<(RegionSnapshot, f64)>,
    total: (RegionSnapshot, f64),
}

/// The rate of every region and of the total, fed one snapshot at a time.
struct Rates {
    regions: Vec<(String, format::Rate)>,
    total: format::Rate,
}

impl Rates {
    fn new(regions: &[String]) -> Rates {
        Rates {
            regions: regions
                .iter()
                .map(|r| (r.clone(), Default::default()))
                .collect(),
            total: Default::default(),
        }
    }

    fn sample(&mut self, snap: &Snapshot) -> Lines {
        let t = snap.elapsed.as_secs_f64();
        let names: Vec<String> = self.regions.iter().map(|(r, _)| r.clone()).collect();
        let regions = self
            .regions
            .iter_mut()
            .map(|(r, rate)| {
                let s = snap.region(r);
                rate.push(t, s.bytes_exported);
                (s, rate.per_sec())
            })
            .collect();
        let total = snap.total_of(&names);
        self.total.push(t, total.bytes_exported);
        Lines {
            regions,
            total: (total, self.total.per_sec()),
        }
    }
}

#[cfg(test)]
#[path = "progress/tests.rs"]
mod tests;
