//! Issue 7 (logs): the end-of-run summary on stderr. Text mode prints the human table
//! ([`crate::report::Report::to_text`]); JSON mode logs one `summary` event instead, its
//! numbers as fields (lists as JSON arrays), so every stderr line stays one JSON object.
//! `--quiet` prints neither. This module only chooses the form; the numbers are the report's.

use crate::cli::LogFormat;
use crate::purge_report::PurgeReport;
use crate::report::Report;
use serde_json::{json, Map, Value};

/// The sync's summary, in the log format; nothing when `quiet`. Written whatever `RUST_LOG`
/// says, like the text table.
pub fn sync(report: &Report, exit_code: u8, quiet: bool) {
    if quiet {
        return;
    }
    match super::format() {
        LogFormat::Text => {
            let _ = super::StderrWriter::write_line(report.to_text().as_bytes());
        }
        LogFormat::Json => {
            let t = &report.totals;
            let fields = json!({
                "message": "summary",
                "exit_code": exit_code,
                "found": t.found,
                "already_present": t.already_present,
                "exported": t.exported,
                "failed": t.failed,
                "bytes_exported": t.bytes_exported,
                "not_available": t.not_available, // issue 10 (css)
                "restore_requested": t.restore_requested,
                "time_filter_fallback": report.time_filter_fallback,
                "unaccounted": report.unaccounted,
                "unsettled": report.unsettled,
                "aborts_unconfirmed": report.aborts_unconfirmed,
                "interrupted": report.interrupted,
                "duration_secs": report.duration_secs,
                "regions": report.regions,
                "region_duration_secs": report.region_duration_secs,
                "groups": report.groups,
                "failed_objects": report.failed,
                "errors": report.errors,
                "ids": report.ids,
            });
            write(fields);
        }
    }
}

/// The purge's summary, in the log format.
pub fn purge(report: &PurgeReport) {
    match super::format() {
        LogFormat::Text => {
            let _ = super::StderrWriter::write_line(report.to_text().as_bytes());
        }
        LogFormat::Json => {
            let mut fields = match serde_json::to_value(report) {
                Ok(Value::Object(m)) => m,
                _ => Map::new(),
            };
            fields.insert("message".into(), Value::from("purge summary"));
            write(Value::Object(fields));
        }
    }
}

/// A command's result (`plan`, `check`, `audit`): its human text in text mode, one event with
/// the report's fields (message `<name> summary`) in JSON mode.
pub fn command<T: serde::Serialize>(name: &str, text: &str, report: &T) {
    match super::format() {
        LogFormat::Text => {
            let _ = super::StderrWriter::write_line(text.as_bytes());
        }
        LogFormat::Json => {
            let mut fields = match serde_json::to_value(report) {
                Ok(Value::Object(m)) => m,
                _ => Map::new(),
            };
            fields.insert("message".into(), Value::from(format!("{name} summary")));
            write(Value::Object(fields));
        }
    }
}

fn write(fields: Value) {
    let Value::Object(fields) = fields else {
        return;
    };
    let line = super::json::line_with("INFO", "css_sync::summary", fields);
    let _ = super::StderrWriter::write_line(line.as_bytes());
}
