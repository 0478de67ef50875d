//! The entry points of `css-sync plan`, `check` and `audit`: validated settings (exit 2 on a
//! bad one, naming the variable), the run, its human text on stderr, its JSON report where
//! asked, and the exit code. Each command's flow lives in its own module; this one only
//! wires them to the process and never decides anything about objects.

use crate::cli::SyncArgs;
use crate::config::Settings;
use crate::failure::error_chain;
use crate::report::exit;
use tokio_util::sync::CancellationToken;

fn print_error(what: &str, e: &dyn std::error::Error) {
    eprintln!("error: {what}: {}", error_chain(e));
}

fn settings(args: &SyncArgs) -> Result<Settings, u8> {
    Settings::from_args(args, chrono::Utc::now()).map_err(|e| {
        print_error("invalid configuration", &e);
        exit::BAD_CONFIG
    })
}

/// `plan` and `audit` work on the catalog search: an id list is refused (exit 2).
fn refuse_ids(command: &str, settings: &Settings) -> Option<u8> {
    settings.run.ids.as_ref()?;
    eprintln!(
        "error: invalid configuration: CSS_IDS_FILE: {command} works on the catalog search \
         (CSS_REGIONS, CSS_TYPES, CSS_SINCE, CSS_UNTIL, CSS_FILTER), not on an id list"
    );
    Some(exit::BAD_CONFIG)
}

/// Writes a JSON report to a file, or stdout for `-`.
fn write_json<T: serde::Serialize>(report: &T, path: &std::path::Path) -> std::io::Result<()> {
    let json = serde_json::to_string_pretty(report)?;
    if path.as_os_str() == "-" {
        println!("{json}");
        Ok(())
    } else {
        std::fs::write(path, json + "\n")
    }
}

/// `css-sync plan`: exit 0 (the plan is complete), 3 (it could not be made), 130.
pub async fn plan(args: &SyncArgs, shutdown: CancellationToken) -> u8 {
    let settings = match settings(args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Some(code) = refuse_ids("plan", &settings) {
        return code;
    }
    let report_path = settings.report_path.clone();
    match crate::plan::run(settings, shutdown).await {
        Ok(plan) => {
            eprint!("{}", plan.to_text());
            if let Some(path) = &report_path {
                if let Err(e) = write_json(&plan, path) {
                    print_error("writing the JSON plan", &e);
                    return exit::FATAL;
                }
            }
            plan.exit_code()
        }
        Err(e) => {
            print_error("plan could not run", &e);
            exit::FATAL
        }
    }
}

/// `css-sync check`: exit 0 when every step passed, 3 otherwise, 130 when interrupted.
pub async fn check(args: &SyncArgs, shutdown: CancellationToken) -> u8 {
    let settings = match settings(args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let report = tokio::select! {
        r = crate::preflight::run(&settings) => r,
        _ = shutdown.cancelled() => {
            eprintln!("interrupted: check incomplete");
            return exit::INTERRUPTED;
        }
    };
    eprint!("{}", report.to_text());
    if let Some(path) = &settings.report_path {
        if let Err(e) = write_json(&report, path) {
            print_error("writing the JSON check report", &e);
            return exit::FATAL;
        }
    }
    report.exit_code()
}

/// `css-sync audit`: exit 0 (all there), 1 (missing or mismatched), 3 (incomplete), 130.
pub async fn audit(args: &crate::cli::AuditArgs, shutdown: CancellationToken) -> u8 {
    let settings = match settings(&args.sync) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let max = args.audit.audit_max_objects;
    if max == 0 {
        eprintln!("error: invalid configuration: CSS_AUDIT_MAX_OBJECTS: must be at least 1");
        return exit::BAD_CONFIG;
    }
    if let Some(code) = refuse_ids("audit", &settings) {
        return code;
    }
    let path = args
        .audit
        .audit_report
        .clone()
        .or_else(|| settings.report_path.clone());
    match crate::audit::run(settings, max, shutdown).await {
        Ok(report) => {
            eprint!("{}", report.to_text());
            if let Some(path) = &path {
                if let Err(e) = write_json(&report, path) {
                    print_error("writing the JSON audit report", &e);
                    return exit::FATAL;
                }
            }
            report.exit_code()
        }
        Err(e) => {
            print_error("audit could not run", &e);
            exit::FATAL
        }
    }
}
