//! Issue 7 (progress): the pure part of progress — the exported-bytes rate over a sliding
//! window, the ETA from the bytes left, and the text of one progress line (as rclone's `-P`:
//! objects done/total, bytes, rate, ETA). Table-tested; no clock, no I/O, no terminal.

use crate::report::RegionSnapshot;
use std::collections::VecDeque;
use std::fmt::Write as _;

/// The window the rate is measured over: long enough to smooth a zip's bursts, short enough
/// to follow a change of pace.
pub const RATE_WINDOW_SECS: f64 = 10.0;

/// Bytes per second of a growing counter, over the last [`RATE_WINDOW_SECS`] (or, with
/// samples further apart, between the last two).
#[derive(Debug, Clone)]
pub struct Rate {
    window: f64,
    /// (seconds since start, counter value), oldest first.
    samples: VecDeque<(f64, u64)>,
}

impl Default for Rate {
    fn default() -> Self {
        Rate::new(RATE_WINDOW_SECS)
    }
}

impl Rate {
    /// A rate over `window_secs`, starting from 0 at time 0.
    pub fn new(window_secs: f64) -> Rate {
        Rate {
            window: window_secs,
            samples: VecDeque::from([(0.0, 0)]),
        }
    }

    /// Records the counter's value at `t` seconds since the start (t never decreases).
    pub fn push(&mut self, t: f64, value: u64) {
        self.samples.push_back((t, value));
        // Keep one sample at or before the window's start as its base; at most a few dozen.
        while self.samples.len() > 2 && self.samples[1].0 <= t - self.window {
            self.samples.pop_front();
        }
    }

    /// Bytes per second over the window; 0 before any time has passed.
    pub fn per_sec(&self) -> f64 {
        let (Some(&(t0, v0)), Some(&(t1, v1))) = (self.samples.front(), self.samples.back()) else {
            return 0.0;
        };
        if t1 <= t0 {
            return 0.0;
        }
        v1.saturating_sub(v0) as f64 / (t1 - t0)
    }
}

/// Seconds left at `rate` bytes/s for `bytes_left`: `Some(0)` when nothing is left, `None`
/// when nothing moves (no estimate).
pub fn eta_secs(bytes_left: u64, rate: f64) -> Option<u64> {
    if bytes_left == 0 {
        return Some(0);
    }
    if !(rate.is_finite() && rate > 0.0) {
        return None;
    }
    let secs = (bytes_left as f64 / rate).ceil();
    // Beyond a year is no estimate either.
    (secs <= 366.0 * 86400.0).then_some(secs as u64)
}

/// The ETA of a region (or the total): [`eta_secs`] of its bytes left, but no estimate while
/// the listing may still find more and nothing is left of what it found so far.
pub fn eta_of(s: &RegionSnapshot, rate: f64) -> Option<u64> {
    if !s.listing_done && s.bytes_left() == 0 {
        return None;
    }
    eta_secs(s.bytes_left(), rate)
}

/// `1h2m3s`, `4m5s`, `6s`; `-` for no estimate.
pub fn eta_text(eta: Option<u64>) -> String {
    let Some(s) = eta else {
        return "-".to_string();
    };
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s:02}s"),
        _ => format!("{h}h{m:02}m{s:02}s"),
    }
}

/// Bytes in SI units (`1.50 MB`), as the rate is in MB/s.
pub fn bytes_text(n: u64) -> String {
    indicatif::DecimalBytes(n).to_string()
}

/// `2.0 MB/s`.
pub fn rate_text(bytes_per_sec: f64) -> String {
    format!("{:.1} MB/s", bytes_per_sec.max(0.0) / 1e6)
}

/// `41/313` objects settled of found, with `+` while the listing still grows the total.
pub fn objects_text(s: &RegionSnapshot) -> String {
    let plus = if s.listing_done { "" } else { "+" };
    format!("{}/{}{plus}", s.settled, s.found)
}

/// Width of the drawn bar, in characters.
pub const BAR_WIDTH: usize = 24;

/// `[=========>              ]`: settled of found, `=` done, `>` the head; empty while
/// nothing is found.
pub fn bar_text(settled: u64, found: u64) -> String {
    let w = BAR_WIDTH as u64;
    let filled = match found {
        0 => 0,
        f => (settled.min(f) * w / f) as usize,
    };
    let head = usize::from(filled < BAR_WIDTH && settled > 0);
    format!(
        "[{}{}{}]",
        "=".repeat(filled),
        ">".repeat(head),
        " ".repeat(BAR_WIDTH - filled - head)
    )
}

/// One progress line (without the region name, which the bar's prefix shows):
/// `41/313+ objects  101.30 MB exported, 198.70 MB left  2.0 MB/s  ETA 1m40s`, plus
/// `, 3 failed` when some failed.
pub fn line(s: &RegionSnapshot, rate: f64) -> String {
    let mut out = format!(
        "{} objects  {} exported, {} left  {}  ETA {}",
        objects_text(s),
        bytes_text(s.bytes_exported),
        bytes_text(s.bytes_left()),
        rate_text(rate),
        eta_text(eta_of(s, rate)),
    );
    if s.failed > 0 {
        let _ = write!(out, "  {} failed", s.failed);
    }
    out
}

#[cfg(test)]
#[path = "format_tests.rs"]
mod tests;
