//! `css-sync demo`: a real sync with zero accounts. It starts css-sim in-process (a small
//! seeded catalog over two regions) and an embedded S3-compatible server over a local folder
//! (s3s-fs), then runs the same pipeline `sync` runs — through aws-sdk-s3, bulk jobs, zip
//! streaming and verification — prints the report and where the files landed, and runs it a
//! second time to show that a re-run exports nothing. It never touches the network beyond
//! 127.0.0.1.

use crate::cli::{Cli, Command, DemoArgs};
use crate::config::Settings;
use crate::report::exit;
use crate::s3::{embedded, S3Target};
use anyhow::Context;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use clap::Parser;
use css_sim::{self as sim, SimConfig};
use std::path::Path;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

const BUCKET: &str = "recordings";
const ACCESS_KEY: &str = "demo-access-key";
const SECRET_KEY: &str = "demo-secret-key";

/// Runs the demo; returns the first run's exit code.
pub async fn run(args: &DemoArgs) -> u8 {
    match demo(args).await {
        Ok(code) => code,
        Err(e) => {
            crate::logging::error_text(&format!("error: demo: {e:#}"));
            exit::FATAL
        }
    }
}

async fn demo(args: &DemoArgs) -> anyhow::Result<u8> {
    std::fs::create_dir_all(args.dir.join(BUCKET))
        .with_context(|| format!("creating {}", args.dir.display()))?;
    let dir = args.dir.canonicalize()?;
    let s3_server = embedded::serve_fs(&dir, bind().await?, ACCESS_KEY, SECRET_KEY).await?;

    let mut cfg = SimConfig::for_tests();
    cfg.seed = args.seed;
    cfg.objects = args.objects.into();
    // Small recordings plus a few above the 5 MiB part size, so multipart shows too.
    cfg.max_object_size = Some(3 << 20);
    cfg.large_objects = 2;
    cfg.large_size = 12 << 20;
    cfg.prep_base_ms = 200;
    let sim = sim::serve(cfg, bind().await?).await?;
    println!(
        "css-sim:  {} ({} objects, regions us-east and uk)",
        sim.base_url(),
        sim.catalog_len()
    );
    println!(
        "S3:       {} (s3s-fs over {})",
        s3_server.endpoint,
        dir.display()
    );

    let cli = Cli::try_parse_from([
        "css-sync",
        "sync",
        "--api-base",
        &sim.base_url(),
        "--client-id",
        "demo-client",
        "--client-secret",
        "demo-secret",
        "--bucket",
        BUCKET,
        "--force-path-style",
        "--poll-interval",
        "0.2",
        "--part-size",
        "5MiB",
        "--batch-max-objects",
        "20",
        // The demo tells its own story on stdout; live bars would interleave with it.
        "--progress",
        "off",
    ])?;
    let Command::Sync(sync_args) = cli.command else {
        anyhow::bail!("demo arguments did not parse as a sync");
    };
    let settings = Settings::from_args(&sync_args, chrono::Utc::now())?;
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(&s3_server.endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "demo"))
            .build(),
    );
    let target = S3Target::from_client(client, settings.s3.clone());

    println!("\n== first run: everything is exported");
    let first = crate::pipeline::run_with(
        settings.clone(),
        target.clone(),
        CancellationToken::new(),
        new_run(),
    )
    .await?;
    print!("{}", first.to_text());

    println!(
        "\n== where the files landed ({}):",
        dir.join(BUCKET).display()
    );
    let mut files = Vec::new();
    list_files(&dir.join(BUCKET), &mut files)?;
    files.sort();
    for f in files.iter().take(6) {
        println!("  {}", f.strip_prefix(&dir).unwrap_or(f).display());
    }
    println!(
        "  … {} files in all (objects, their .metadata.json sidecars, the _index/ JSON Lines)",
        files.len()
    );

    println!("\n== second run: nothing to do, every object is already there");
    let second =
        crate::pipeline::run_with(settings, target, CancellationToken::new(), new_run()).await?;
    let t = &second.totals;
    println!(
        "found {}, already present {}, exported {}, failed {} (exit code {})",
        t.found,
        t.already_present,
        t.exported,
        t.failed,
        second.exit_code()
    );

    sim.shutdown().await?;
    s3_server.shutdown().await;
    Ok(first.exit_code())
}

/// Each demo run is a run of its own: a new id, stamped on the log lines from now on.
fn new_run() -> crate::run_id::RunId {
    let id = crate::run_id::RunId::new(chrono::Utc::now());
    crate::logging::set_run_id(&id);
    id
}

async fn bind() -> std::io::Result<TcpListener> {
    TcpListener::bind("127.0.0.1:0").await
}

fn list_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            list_files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}
