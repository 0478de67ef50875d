//! `css-sync`: arguments → tracing and metrics → the sync (or the demo) → exit code. The error
//! chain is printed once, here; exit codes are listed in `--help` and the README.

use clap::Parser;
use css_sync::cli::{Cli, Command, LogFormat};
use css_sync::config::Settings;
use css_sync::report::{exit, Report};
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        Err(e) => {
            let argv: Vec<String> = std::env::args().collect();
            let cmd = <Cli as clap::CommandFactory>::command();
            let is_set = |name: &str| std::env::var_os(name).is_some();
            eprint!(
                "{}",
                css_sync::cli::env_errors::render(&e, &cmd, &argv, is_set)
            );
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(exit::BAD_CONFIG));
        }
    };
    // The demo prints its own story; its logs stay at warnings unless RUST_LOG asks.
    let default_level = match cli.command {
        Command::Sync(_) | Command::Purge(_) => "info",
        #[cfg(feature = "sim")]
        Command::Demo(_) => "warn",
    };
    init_tracing(cli.log_format, default_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::FATAL);
        }
    };
    let code = runtime.block_on(async {
        // Installed before anything connects: a signal during start-up is honoured too.
        let shutdown = shutdown_on_signal();
        match cli.command {
            Command::Sync(args) => sync(&args, shutdown).await,
            Command::Purge(args) => purge(&args, shutdown).await,
            #[cfg(feature = "sim")]
            Command::Demo(args) => css_sync::demo::run(&args).await,
        }
    });
    ExitCode::from(code)
}

async fn sync(args: &css_sync::cli::SyncArgs, shutdown: CancellationToken) -> u8 {
    let settings = match Settings::from_args(args, chrono::Utc::now()) {
        Ok(s) => s,
        Err(e) => {
            print_error("invalid configuration", &e);
            return exit::BAD_CONFIG;
        }
    };
    let metrics = match css_sync::metrics::install(settings.metrics_listen) {
        Ok(h) => Some(h),
        Err(e) => {
            print_error(
                "invalid configuration: METRICS_LISTEN: cannot serve metrics",
                &e,
            );
            return exit::BAD_CONFIG;
        }
    };
    let report_path = settings.report_path.clone();
    let metrics_file = settings.metrics_file.clone();
    let webhook_url = settings.webhook_url.clone();
    let grace = settings.shutdown_grace;
    exit_after_grace(shutdown.clone(), grace);
    match css_sync::pipeline::run(settings, shutdown).await {
        Ok(report) => {
            eprint!("{}", report.to_text());
            let code = finish(&report, report_path.as_deref(), metrics_file, metrics);
            if let Some(url) = &webhook_url {
                // Logged by `notify`; the exit code stays the run's (README, "Webhook"). After
                // a signal it gets an eighth of the grace, no more (margin for the watchdog).
                let summary = css_sync::webhook::Summary::of(&report, code);
                let notify = css_sync::webhook::notify(url, &summary);
                if report.interrupted {
                    if tokio::time::timeout(grace / 8, notify).await.is_err() {
                        tracing::warn!("webhook not sent: shutdown grace ran out");
                    }
                } else {
                    let _ = notify.await;
                }
            }
            code
        }
        Err(failed) => {
            print_error("sync could not run", &failed.error);
            // issue 7 (lakereport): the report of an exit 3 (the bucket one is written already).
            finish(
                &failed.report,
                report_path.as_deref(),
                metrics_file,
                metrics,
            );
            exit::FATAL
        }
    }
}

/// Writes the report and the metrics file; returns the process exit code.
fn finish(
    report: &Report,
    report_path: Option<&std::path::Path>,
    metrics_file: Option<std::path::PathBuf>,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
) -> u8 {
    if let Err(e) = write_report(report, report_path) {
        print_error("writing the JSON report", &e);
        return exit::FATAL;
    }
    if let (Some(path), Some(handle)) = (metrics_file, metrics) {
        if let Err(e) = std::fs::write(&path, handle.render()) {
            print_error("writing the metrics file", &e);
            return exit::FATAL;
        }
    }
    report.exit_code()
}

async fn purge(args: &css_sync::cli::PurgeArgs, shutdown: CancellationToken) -> u8 {
    use css_sync::config::purge::PurgeSettings;
    let settings = match PurgeSettings::from_args(args, chrono::Utc::now()) {
        Ok(s) => s,
        Err(e) => {
            print_error("invalid configuration", &e);
            return exit::BAD_CONFIG;
        }
    };
    let report_path = settings.report_path.clone();
    exit_after_grace(shutdown.clone(), css_sync::defaults::SHUTDOWN_GRACE);
    match css_sync::purge::run(settings, shutdown).await {
        Ok(report) => {
            eprint!("{}", report.to_text());
            if let Err(e) = write_json(&report, report_path.as_deref()) {
                print_error("writing the JSON report", &e);
                return exit::FATAL;
            }
            report.exit_code
        }
        Err(e) => {
            print_error("purge could not run", &e);
            exit::FATAL
        }
    }
}

/// Writes the JSON report to a file, or stdout for `-`.
fn write_report(report: &Report, path: Option<&std::path::Path>) -> std::io::Result<()> {
    write_json(report, path)
}

/// Writes any JSON report to a file, or stdout for `-`.
fn write_json<T: serde::Serialize>(
    report: &T,
    path: Option<&std::path::Path>,
) -> std::io::Result<()> {
    let Some(path) = path else { return Ok(()) };
    let json = serde_json::to_string_pretty(report)?;
    if path.as_os_str() == "-" {
        println!("{json}");
        Ok(())
    } else {
        std::fs::write(path, json + "\n")
    }
}

/// Cancelled on SIGINT or SIGTERM (Kubernetes stops pods with SIGTERM).
fn shutdown_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        css_sync::shutdown::signal().await;
        tracing::warn!("signal received: stopping, aborting uploads in flight");
        t.cancel();
    });
    token
}

/// The bound on shutdown: `grace` after the signal the process ends with exit 130 whatever
/// is still running, saying that what was in flight is unconfirmed. The run itself finishes
/// well inside it (aborts get half the grace, the index a quarter).
fn exit_after_grace(shutdown: CancellationToken, grace: std::time::Duration) {
    tokio::spawn(async move {
        shutdown.cancelled().await;
        tokio::time::sleep(grace).await;
        eprintln!(
            "error: SHUTDOWN_GRACE ({}) ran out: exiting now; whatever was still in flight \
             (aborts of uploads, the index, the report, the webhook) is NOT confirmed",
            humantime::format_duration(grace)
        );
        std::process::exit(i32::from(exit::INTERRUPTED));
    });
}

fn print_error(what: &str, e: &dyn std::error::Error) {
    eprintln!("error: {what}: {}", css_sync::failure::error_chain(e));
}

fn init_tracing(format: LogFormat, default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!(
            "{default_level},aws_config=warn,aws_smithy_runtime=warn"
        ))
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
