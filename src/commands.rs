//! The entry points of `css-sync plan`, `check` and `audit`: validated settings (exit 2 on a
//! bad one, naming the variable), the run, its human text on stderr (one `<name> summary` event in JSON mode), its JSON report where
//! asked, and the exit code. Each command's flow lives in its own module; this one only
//! wires them to the process and never decides anything about objects.

use crate::cli::SyncArgs;
use crate::config::{self, Settings};
use crate::failure::error_chain;
use crate::report::exit;
use tokio_util::sync::CancellationToken;

/// In the log format: as is in text mode, one JSON line in JSON mode.
fn print_error(what: &str, e: &dyn std::error::Error) {
    crate::logging::error_text(&format!("error: {what}: {}", error_chain(e)));
}

/// Exit 2 on a bad setting, the message naming the variable.
fn valid<T>(settings: Result<T, crate::config::ConfigError>) -> Result<T, u8> {
    settings.map_err(|e| {
        print_error("invalid configuration", &e);
        exit::BAD_CONFIG
    })
}

/// Writes a JSON report to a file (pretty), or stdout for `-` (one compact line, as the
/// sync's report: one record for a log collector).
fn write_json<T: serde::Serialize>(report: &T, path: &std::path::Path) -> std::io::Result<()> {
    if path.as_os_str() == "-" {
        println!("{}", serde_json::to_string(report)?);
        Ok(())
    } else {
        std::fs::write(path, serde_json::to_string_pretty(report)? + "\n")
    }
}

/// The human text on stderr, the JSON report where asked; `code` unless the report cannot be
/// written (3).
fn emit<T: serde::Serialize>(
    name: &str,
    text: &str,
    report: &T,
    path: Option<&std::path::Path>,
    code: u8,
) -> u8 {
    crate::logging::summary::command(name, text, report);
    if let Some(path) = path {
        if let Err(e) = write_json(report, path) {
            print_error("writing the JSON report", &e);
            return exit::FATAL;
        }
    }
    code
}

/// `css-sync plan`: exit 0 (the plan is complete), 3 (it could not be made), 130.
pub async fn plan(args: &SyncArgs, shutdown: CancellationToken) -> u8 {
    let now = chrono::Utc::now();
    let settings = match valid(config::commands::catalog_settings("plan", args, now)) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let report_path = settings.report_path.clone();
    match crate::plan::run(settings, shutdown).await {
        Ok(plan) => emit(
            "plan",
            &plan.to_text(),
            &plan,
            report_path.as_deref(),
            plan.exit_code(),
        ),
        Err(e) => {
            print_error("plan could not run", &e);
            exit::FATAL
        }
    }
}

/// `css-sync check`: exit 0 when every step passed, 3 otherwise, 130 when interrupted.
pub async fn check(
    args: &SyncArgs,
    shutdown: CancellationToken,
    run_id: &crate::run_id::RunId,
) -> u8 {
    let settings = match valid(Settings::from_args(args, chrono::Utc::now())) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let report = tokio::select! {
        r = crate::preflight::run(&settings, run_id) => r,
        _ = shutdown.cancelled() => {
            crate::logging::error_text("interrupted: check incomplete");
            return exit::INTERRUPTED;
        }
    };
    let path = settings.report_path.as_deref();
    emit(
        "check",
        &report.to_text(),
        &report,
        path,
        report.exit_code(),
    )
}

/// `css-sync audit`: exit 0 (all there), 1 (missing or mismatched), 3 (incomplete), 130.
pub async fn audit(args: &crate::cli::AuditArgs, shutdown: CancellationToken) -> u8 {
    let now = chrono::Utc::now();
    let audit = match valid(config::commands::AuditSettings::from_args(args, now)) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let path = audit.report_path.clone();
    match crate::audit::run(audit.sync, audit.max_objects, shutdown).await {
        Ok(report) => emit(
            "audit",
            &report.to_text(),
            &report,
            path.as_deref(),
            report.exit_code(),
        ),
        Err(e) => {
            print_error("audit could not run", &e);
            exit::FATAL
        }
    }
}
