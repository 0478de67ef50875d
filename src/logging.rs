//! Issue 7 (logs): everything the process writes on stderr, in one of two formats. `text`:
//! tracing's human lines, with ANSI colours only when stderr is a terminal and `NO_COLOR` is
//! unset. `json`: every stderr line is one JSON object ([`json::JsonLines`]) — log events, the
//! end-of-run summary ([`summary`]), the errors `main` prints, the shutdown watchdog's message
//! — each with the run id ([`set_run_id`]) whatever task logged it. Lines are written through
//! [`StderrWriter`], which pauses live progress bars ([`set_bars`]) so a log line never tears
//! them. This module owns the subscriber and the stderr writer; it never decides what is
//! logged, nor when progress is drawn (see [`crate::progress`]).

use crate::cli::LogFormat;
use crate::run_id::RunId;
use std::io::{IsTerminal, Write};
use std::sync::{Mutex, OnceLock, RwLock};

#[path = "logging/json.rs"]
pub mod json;
#[path = "logging/summary.rs"]
pub mod summary;
pub use json::AsJson;

/// The format chosen at [`init`] (text until then).
static FORMAT: OnceLock<LogFormat> = OnceLock::new();
/// The run id stamped on every JSON line.
static RUN_ID: RwLock<Option<String>> = RwLock::new(None);
/// Live progress bars on stderr, if any: log lines are written while they are suspended.
static BARS: Mutex<Option<indicatif::MultiProgress>> = Mutex::new(None);

/// The log format in force.
pub fn format() -> LogFormat {
    FORMAT.get().copied().unwrap_or(LogFormat::Text)
}

/// Stamps `id` on every JSON line from now on (the demo sets one per run).
pub fn set_run_id(id: &RunId) {
    *RUN_ID.write().unwrap_or_else(|e| e.into_inner()) = Some(id.to_string());
}

/// The run id being stamped, if any.
pub fn run_id() -> Option<String> {
    RUN_ID.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Registers (or with `None` removes) the live bars log lines must not tear.
pub fn set_bars(bars: Option<indicatif::MultiProgress>) {
    *BARS.lock().unwrap_or_else(|e| e.into_inner()) = bars;
}

/// Whether text logs get ANSI colours: only on a terminal, and never with `NO_COLOR` set to
/// anything non-empty (<https://no-color.org>).
pub fn ansi_enabled(stderr_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// The format `main` guesses before clap has parsed anything (to print clap's own errors in
/// the right format): `--log-format json` / `--log-format=json` on the command line, else
/// `LOG_FORMAT=json`; anything else is text.
pub fn guess_format(argv: &[String], env: Option<&str>) -> LogFormat {
    let mut args = argv.iter().skip(1);
    while let Some(a) = args.next() {
        let value = match a.strip_prefix("--log-format") {
            Some("") => args.next().map(String::as_str),
            Some(rest) => rest.strip_prefix('='),
            None => None,
        };
        if let Some(v) = value {
            return parse_format(v);
        }
    }
    env.map_or(LogFormat::Text, parse_format)
}

fn parse_format(v: &str) -> LogFormat {
    match v.trim() {
        "json" => LogFormat::Json,
        _ => LogFormat::Text,
    }
}

/// Installs the subscriber: `RUST_LOG` if set, else `default_level` with the AWS crates at
/// warnings. A second call (there is none in the binary) changes nothing.
pub fn init(format: LogFormat, default_level: &str) {
    let _ = FORMAT.set(format);
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!(
            "{default_level},aws_config=warn,aws_smithy_runtime=warn"
        ))
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(StderrWriter);
    let _ = match format {
        LogFormat::Text => {
            let no_color = std::env::var_os("NO_COLOR");
            let ansi = ansi_enabled(std::io::stderr().is_terminal(), no_color.as_deref());
            builder.with_ansi(ansi).try_init()
        }
        LogFormat::Json => builder.event_format(json::JsonLines).try_init(),
    };
}

/// A message `main` prints outside any event (a configuration error, the watchdog): as is in
/// text mode, as one `ERROR` line (the text in `fields.message`) in JSON mode. Written
/// whatever `RUST_LOG` says.
pub fn error_text(text: &str) {
    let line = match format() {
        LogFormat::Text if text.ends_with('\n') => text.to_string(),
        LogFormat::Text => format!("{text}\n"),
        LogFormat::Json => json::line("ERROR", "css_sync", text.trim_end()),
    };
    let _ = StderrWriter::write_line(line.as_bytes());
}

/// The stderr writer of every log line: one `write_all` per line, with any live bars
/// suspended around it.
#[derive(Debug, Clone, Copy, Default)]
pub struct StderrWriter;

impl StderrWriter {
    /// Writes `buf` to stderr, pausing live bars around it.
    pub fn write_line(buf: &[u8]) -> std::io::Result<()> {
        let bars = BARS.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let write = || {
            let mut err = std::io::stderr().lock();
            err.write_all(buf).and_then(|()| err.flush())
        };
        match bars {
            Some(bars) => bars.suspend(write),
            None => write(),
        }
    }
}

impl Write for StderrWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        StderrWriter::write_line(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for StderrWriter {
    type Writer = StderrWriter;

    fn make_writer(&'a self) -> Self::Writer {
        StderrWriter
    }
}

#[cfg(test)]
#[path = "logging/tests.rs"]
mod tests;
