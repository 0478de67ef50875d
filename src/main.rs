//! `css-sync`: arguments → tracing and metrics → the sync (or the demo) → exit code. The error
//! chain is printed once, here; exit codes are listed in `--help` and the README.

use clap::Parser;
use css_sync::cli::{Cli, Command};
use css_sync::config::Settings;
use css_sync::logging;
use css_sync::report::{exit, Report};
use css_sync::run_id::RunId;
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

fn main() -> ExitCode {
    // Made first, so every line the process writes (clap's errors included) carries it.
    let run_id = RunId::new(chrono::Utc::now());
    logging::set_run_id(&run_id);
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        Err(e) => {
            let argv: Vec<String> = std::env::args().collect();
            let cmd = <Cli as clap::CommandFactory>::command();
            let is_set = |name: &str| std::env::var_os(name).is_some();
            let env = std::env::var("LOG_FORMAT").ok();
            logging::init(logging::guess_format(&argv, env.as_deref()), "info");
            logging::error_text(&css_sync::cli::env_errors::render(&e, &cmd, &argv, is_set));
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(exit::BAD_CONFIG));
        }
    };
    // The demo prints its own story; its logs stay at warnings unless RUST_LOG asks, as do
    // --quiet runs.
    let default_level = match &cli.command {
        Command::Sync(a) if a.output.progress.quiet => "warn",
        Command::Purge(a) if a.sync.output.progress.quiet => "warn",
        Command::Sync(_) | Command::Purge(_) => "info",
        // issue 7 (commands): their output is the table; logs only for warnings.
        Command::Plan(_) | Command::Check(_) | Command::Audit(_) => "warn",
        #[cfg(feature = "sim")]
        Command::Demo(_) => "warn",
    };
    logging::init(cli.log_format, default_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            logging::error_text(&format!("error: cannot start the async runtime: {e}"));
            return ExitCode::from(exit::FATAL);
        }
    };
    let code = runtime.block_on(async {
        // Installed before anything connects: a signal during start-up is honoured too.
        let shutdown = shutdown_on_signal();
        match cli.command {
            Command::Sync(args) => sync(&args, shutdown, run_id).await,
            Command::Purge(args) => purge(&args, shutdown).await,
            // issue 7 (commands)
            Command::Plan(args) => css_sync::commands::plan(&args, shutdown).await,
            Command::Check(args) => css_sync::commands::check(&args, shutdown, &run_id).await,
            Command::Audit(args) => css_sync::commands::audit(&args, shutdown).await,
            #[cfg(feature = "sim")]
            Command::Demo(args) => css_sync::demo::run(&args).await,
        }
    });
    ExitCode::from(code)
}

async fn sync(args: &css_sync::cli::SyncArgs, shutdown: CancellationToken, run_id: RunId) -> u8 {
    let settings = match Settings::from_args(args, chrono::Utc::now()) {
        Ok(s) => s,
        Err(e) => {
            print_error("invalid configuration", &e);
            return exit::BAD_CONFIG;
        }
    };
    // issue 10 (shard): the shard index in the run id, so shards never share file names.
    let run_id = run_id.for_shard(settings.run.shard);
    logging::set_run_id(&run_id);
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
    let webhook_url = settings.webhook_url.clone();
    let grace = settings.shutdown_grace;
    // issue 7 (metrics): the metrics file and the push happen at every end of the run.
    let metrics_end = MetricsEnd::new(&settings, metrics);
    let quiet = settings.progress.quiet;
    exit_after_grace(shutdown.clone(), grace);
    match css_sync::pipeline::run(settings, shutdown, run_id).await {
        Ok(report) => {
            logging::summary::sync(&report, report.exit_code(), quiet);
            let code = finish(&report, report_path.as_deref());
            // After a signal the push and the webhook each get an eighth of the grace, side
            // by side (margin for the watchdog).
            let within = report.interrupted.then_some(grace / 8);
            let duration = std::time::Duration::from_secs_f64(report.duration_secs);
            let metrics_done = metrics_end.finish(code, Some(duration), within);
            let webhook = async {
                let Some(url) = &webhook_url else { return };
                // Logged by `notify`; the exit code stays the run's (README, "Webhook").
                let summary = css_sync::webhook::Summary::of(&report, code);
                let notify = css_sync::webhook::notify(url, &summary);
                match within {
                    Some(limit) => {
                        if tokio::time::timeout(limit, notify).await.is_err() {
                            tracing::warn!("webhook not sent: shutdown grace ran out");
                        }
                    }
                    None => {
                        let _ = notify.await;
                    }
                }
            };
            let (code, ()) = tokio::join!(metrics_done, webhook);
            code
        }
        Err(failed) => {
            print_error("sync could not run", &failed.error);
            // issue 7 (lakereport): the report of an exit 3 (the bucket one is written already);
            // issue 7 (metrics): its metrics file and push.
            finish(&failed.report, report_path.as_deref());
            let duration = std::time::Duration::from_secs_f64(failed.report.duration_secs);
            metrics_end.finish(exit::FATAL, Some(duration), None).await
        }
    }
}

/// Writes the JSON report; returns the process exit code.
fn finish(report: &Report, report_path: Option<&std::path::Path>) -> u8 {
    if let Err(e) = write_report(report, report_path) {
        print_error("writing the JSON report", &e);
        return exit::FATAL;
    }
    report.exit_code()
}

// issue 7 (metrics)
/// What the end of a sync does with its metrics, whatever the end.
struct MetricsEnd {
    started: std::time::Instant,
    handle: Option<metrics_exporter_prometheus::PrometheusHandle>,
    file: Option<std::path::PathBuf>,
    push: Option<css_sync::metrics::push::PushSettings>,
}

impl MetricsEnd {
    fn new(
        settings: &Settings,
        handle: Option<metrics_exporter_prometheus::PrometheusHandle>,
    ) -> Self {
        MetricsEnd {
            started: std::time::Instant::now(),
            handle,
            file: settings.metrics_file.clone(),
            push: settings.push.clone(),
        }
    }

    /// Records the end, writes the metrics file and pushes; returns the exit code (3 when the
    /// metrics file could not be written).
    async fn finish(
        &self,
        code: u8,
        duration: Option<std::time::Duration>,
        push_within: Option<std::time::Duration>,
    ) -> u8 {
        use css_sync::metrics::end;
        let Some(handle) = &self.handle else {
            return code;
        };
        let run_end = end::RunEnd {
            exit_code: code,
            duration: duration.unwrap_or_else(|| self.started.elapsed()),
            ended_at: chrono::Utc::now().timestamp_millis() as f64 / 1000.0,
        };
        let (file, push) = (self.file.as_deref(), self.push.as_ref());
        match end::finish(&run_end, handle, file, push, push_within).await {
            Ok(()) => code,
            Err(e) => {
                print_error("writing the metrics file", &e);
                exit::FATAL
            }
        }
    }
}
// end issue 7 (metrics)

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
            logging::summary::purge(&report);
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

/// Writes any JSON report to a file (pretty-printed), or stdout for `-` (one compact line,
/// so a log collector takes it as one record).
fn write_json<T: serde::Serialize>(
    report: &T,
    path: Option<&std::path::Path>,
) -> std::io::Result<()> {
    let Some(path) = path else { return Ok(()) };
    if path.as_os_str() == "-" {
        println!("{}", serde_json::to_string(report)?);
        Ok(())
    } else {
        std::fs::write(path, serde_json::to_string_pretty(report)? + "\n")
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
        logging::error_text(&format!(
            "error: SHUTDOWN_GRACE ({}) ran out: exiting now; whatever was still in flight \
             (aborts of uploads, the index, the report, the webhook) is NOT confirmed",
            humantime::format_duration(grace)
        ));
        std::process::exit(i32::from(exit::INTERRUPTED));
    });
}

/// One error line in the log format (issue 7: JSON mode keeps every line JSON).
fn print_error(what: &str, e: &dyn std::error::Error) {
    let chain = css_sync::failure::error_chain(e);
    logging::error_text(&format!("error: {what}: {chain}"));
}
