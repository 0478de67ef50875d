//! `css-sim`: runs the CSS simulator ([`css_sync::sim`]) as a process. Thin: parse flags, bind,
//! print `listening on http://HOST:PORT` as the first stdout line, serve until Ctrl-C/SIGTERM.
//! Logs go to stderr (`RUST_LOG`, default `info`).

use clap::Parser;
use css_sync::sim::{serve, SimConfig};
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
    css_sync::shutdown::signal().await;
    match handle.shutdown().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("css-sim: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
