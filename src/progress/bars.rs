//! Issue 7 (progress): the live bars on a terminal — one indicatif bar per region plus a
//! total, redrawn every [`super::BAR_TICK`] from the tally's snapshot. While they are up,
//! log lines go through [`crate::logging::set_bars`] (suspended around each line, so they
//! never tear). At the end the bars are drawn once more with the final numbers, finished
//! (left on screen) and released. This file only draws; the text is [`super::format::line`].

use super::format;
use super::Rates;
use crate::report::Tally;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Redraws per second at most (indicatif's own rate limit).
const DRAW_HZ: u8 = 8;

pub(super) async fn run(tally: Arc<Tally>, regions: Vec<String>, stop: CancellationToken) {
    let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(DRAW_HZ));
    // The whole line is our text (bar included), set in one call per redraw, so a frame never
    // mixes a new bar with old numbers.
    let style = ProgressStyle::with_template("{prefix:<10} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    let bar = |name: &str| {
        let b = multi.add(ProgressBar::no_length());
        b.set_style(style.clone());
        b.set_prefix(name.to_string());
        b
    };
    let region_bars: Vec<ProgressBar> = regions.iter().map(|r| bar(r)).collect();
    let total_bar = bar("total");
    crate::logging::set_bars(Some(multi.clone()));
    let mut rates = Rates::new(&regions);
    let mut tick = tokio::time::interval(super::BAR_TICK);
    loop {
        let lines = rates.sample(&tally.snapshot());
        for (b, (s, rate)) in region_bars.iter().zip(&lines.regions) {
            draw(b, s, *rate);
        }
        draw(&total_bar, &lines.total.0, lines.total.1);
        if stop.is_cancelled() {
            break;
        }
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.cancelled() => {}
        }
    }
    for b in region_bars.iter().chain([&total_bar]) {
        b.finish();
    }
    crate::logging::set_bars(None);
}

fn draw(b: &ProgressBar, s: &crate::report::RegionSnapshot, rate: f64) {
    let bar = format::bar_text(s.settled, s.found);
    b.set_message(format!("{bar} {}", format::line(s, rate)));
}
