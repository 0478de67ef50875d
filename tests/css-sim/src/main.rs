//! `css-sim`: runs the CSS simulator (the [`css_sim`] library) as a process. Thin: parse flags,
//! bind, print `listening on http://HOST:PORT` as the first stdout line, serve until
//! Ctrl-C/SIGTERM. Logs go to stderr (`RUST_LOG`, default `info`).

use clap::Parser;
use css_sim::{serve, SimConfig};
use std::io::Write;

/// A faithful, fault-injecting stand-in for 8x8 Cloud Storage Service (CSS) v3.
#[derive(Parser)]
#[command(
    name = "css-sim",
    version,
    about = "A faithful, fault-injecting stand-in for 8x8 Cloud Storage Service (CSS) v3",
    long_about = None
)]
struct Cli {
    #[command(flatten)]
    sim: SimConfig,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    let listener = match tokio::net::TcpListener::bind(cli.sim.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("css-sim: cannot listen on {}: {e}", cli.sim.listen);
            return std::process::ExitCode::from(2);
        }
    };
    let handle = match serve(cli.sim, listener).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("css-sim: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on {}", handle.base_url());
        let _ = out.flush();
    }
    stop_signal().await;
    match handle.shutdown().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("css-sim: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Resolves at the first SIGINT or SIGTERM (what Kubernetes and docker send). css-sim's own
/// copy of the worker's `shutdown::signal`: this package never depends on the worker.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
