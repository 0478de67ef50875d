//! Spawning the project's binaries: css-sim (waiting for its `listening on` line) and
//! css-sync runs whose exit code, JSON report and final metrics the tests assert on.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The css-sim binary: `$CSS_SIM_BIN`, or else `css-sim` beside the css-sync binary under test
/// (same target dir and profile). css-sim is another package of the workspace, so cargo does
/// not build it for this package's tests: `tests/run.sh` builds it first.
pub fn sim_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("CSS_SIM_BIN") {
        return PathBuf::from(bin);
    }
    let sync = PathBuf::from(env!("CARGO_BIN_EXE_css-sync"));
    let bin = sync
        .with_file_name("css-sim")
        .with_extension(std::env::consts::EXE_EXTENSION);
    assert!(
        bin.is_file(),
        "css-sim binary not found at {} (beside css-sync): build it with \
         `cargo build -p css-sim --bins` using the same profile as the tests (`--release` \
         for `cargo test --release`), run `bash tests/run.sh`, or set CSS_SIM_BIN",
        bin.display()
    );
    bin
}

/// A child process killed on drop.
pub struct Proc {
    pub child: Child,
    pub url: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Splits a flag line into arguments (no quoting: test flags never contain spaces).
pub fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// Starts css-sim on a free port with `args`; returns once it is listening.
pub fn spawn_sim(args: &[&str]) -> Proc {
    spawn_sim_with(args, &[], &[])
}

/// css-sim serving exactly `catalog` (written as JSON into `dir`), with no preparation delay,
/// plus `extra` flags.
pub fn spawn_catalog_sim(
    dir: &std::path::Path,
    catalog: &serde_json::Value,
    extra: &[&str],
) -> Proc {
    let path = dir.join("catalog.json");
    std::fs::write(&path, serde_json::to_vec(catalog).unwrap()).unwrap();
    let path = path.to_str().unwrap().to_string();
    let mut args = vec![
        "--catalog",
        &path,
        "--prep-base-ms",
        "0",
        "--prep-rate",
        "0",
    ];
    args.extend_from_slice(extra);
    spawn_sim(&args)
}

/// [`spawn_sim`] with extra environment variables set and others removed.
pub fn spawn_sim_with(args: &[&str], set: &[(&str, &str)], remove: &[&str]) -> Proc {
    let mut cmd = Command::new(sim_bin());
    cmd.args(["--listen", "127.0.0.1:0"])
        .args(args)
        .envs(set.iter().copied());
    for name in remove {
        cmd.env_remove(name);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn css-sim");
    let stdout = child.stdout.take().expect("sim stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read sim stdout");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line from css-sim: {line:?}"))
        .to_string();
    Proc { child, url }
}

/// What a css-sync run left behind.
#[derive(Debug)]
pub struct SyncRun {
    pub code: i32,
    pub report: serde_json::Value,
    pub metrics: String,
    pub stderr: String,
}

impl SyncRun {
    pub fn total(&self, field: &str) -> u64 {
        self.report["totals"][field]
            .as_u64()
            .unwrap_or_else(|| panic!("totals.{field} in {}", self.report))
    }

    /// The value of a Prometheus counter summed over all label sets.
    pub fn metric_sum(&self, name: &str) -> f64 {
        self.metrics
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter(|l| l.split(['{', ' ']).next() == Some(name))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }
}

/// `css-sync sync` aimed at `sim` and `s3` (credentials, endpoint, bucket), ready to run.
pub fn sync_command(sim: &Proc, s3: &super::s3::S3Server, bucket: &str) -> tokio::process::Command {
    command("sync", sim, s3, bucket)
}

/// The css-sync binary under test: `$CSS_SYNC_BIN` (e.g. an older build, to measure it), or
/// else the one cargo built for these tests.
pub fn sync_bin() -> PathBuf {
    std::env::var_os("CSS_SYNC_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_css-sync")))
}

/// `css-sync <subcommand>` aimed at `sim` and `s3` (credentials, endpoint, bucket).
pub fn command(
    subcommand: &str,
    sim: &Proc,
    s3: &super::s3::S3Server,
    bucket: &str,
) -> tokio::process::Command {
    command_at(subcommand, sim, s3, &s3.endpoint, bucket)
}

/// [`command`] with another S3 endpoint (a proxy in front of `s3`), `s3`'s credentials.
pub fn command_at(
    subcommand: &str,
    sim: &Proc,
    s3: &super::s3::S3Server,
    endpoint: &str,
    bucket: &str,
) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(sync_bin());
    cmd.arg(subcommand)
        .args([
            "--api-base",
            &sim.url,
            "--bucket",
            bucket,
            "--force-path-style",
        ])
        .env("CSS_CLIENT_ID", "demo-client")
        .env("CSS_CLIENT_SECRET", "demo-secret")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", &s3.access_key)
        .env("AWS_SECRET_ACCESS_KEY", &s3.secret_key)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        // issue 10 (wire): the tests of other features run stateless (css-sim's default
        // catalog ends at the wall clock, which CSS_SETTLE would cut); `--incremental true`
        // (a flag beats the variable) turns the checkpoint on, as `sync/incremental.rs` does.
        .env("CSS_INCREMENTAL", "false")
        .kill_on_drop(true);
    cmd
}

/// Runs `css-sync sync` against `sim` and `s3`, with the test's extra flags.
pub async fn run_sync(
    sim: &Proc,
    s3: &super::s3::S3Server,
    bucket: &str,
    extra: &[&str],
) -> SyncRun {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.json");
    let metrics = dir.path().join("metrics.prom");
    let out = sync_command(sim, s3, bucket)
        .args(["--poll-interval", "0.05", "--http-timeout", "20s"])
        .arg("--report")
        .arg(&report)
        .arg("--metrics-file")
        .arg(&metrics)
        .args(extra)
        .env("RUST_LOG", "info,css_sync=debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output();
    let out = tokio::time::timeout(Duration::from_secs(600), out)
        .await
        .expect("css-sync finished within 10 minutes")
        .expect("run css-sync");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = std::fs::read_to_string(&report)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(serde_json::Value::Null);
    SyncRun {
        code: out.status.code().unwrap_or(-1),
        report,
        metrics: std::fs::read_to_string(&metrics).unwrap_or_default(),
        stderr,
    }
}

/// `css-sync sync` against `sim` and `endpoint` (with `s3`'s credentials), stopped with
/// SIGKILL after `limit`: a run that did not end in time has code -1 and says so in `stderr`.
pub async fn run_sync_at(
    sim: &Proc,
    s3: &super::s3::S3Server,
    endpoint: &str,
    bucket: &str,
    extra: &[&str],
    envs: &[(&str, &str)],
    limit: Duration,
) -> SyncRun {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.json");
    let metrics = dir.path().join("metrics.prom");
    let out = command_at("sync", sim, s3, endpoint, bucket)
        .args(["--poll-interval", "0.05"])
        .arg("--report")
        .arg(&report)
        .arg("--metrics-file")
        .arg(&metrics)
        .args(extra)
        .envs(envs.iter().copied())
        .env("RUST_LOG", "info,css_sync=debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output();
    let (code, stderr) = match tokio::time::timeout(limit, out).await {
        Ok(out) => {
            let out = out.expect("run css-sync");
            (
                out.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }
        Err(_) => (
            -1,
            format!("css-sync still running after {limit:?}: killed"),
        ),
    };
    let report = std::fs::read_to_string(&report)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(serde_json::Value::Null);
    SyncRun {
        code,
        report,
        metrics: std::fs::read_to_string(&metrics).unwrap_or_default(),
        stderr,
    }
}

/// Requests css-sim logged, as JSON values (`method`, `path`, `status`, …).
pub async fn sim_requests(sim: &Proc) -> Vec<serde_json::Value> {
    reqwest::get(format!("{}/_sim/requests", sim.url))
        .await
        .expect("GET /_sim/requests")
        .json()
        .await
        .expect("requests JSON")
}

/// How many of css-sim's logged requests have a path containing `needle`.
pub async fn sim_requests_to(sim: &Proc, needle: &str) -> usize {
    sim_requests(sim)
        .await
        .iter()
        .filter(|r| r["path"].as_str().unwrap_or("").contains(needle))
        .count()
}

/// Every object css-sim has, with its region and MD5.
pub async fn sim_catalog(sim: &Proc) -> Vec<serde_json::Value> {
    reqwest::get(format!("{}/_sim/catalog", sim.url))
        .await
        .expect("GET /_sim/catalog")
        .json()
        .await
        .expect("catalog JSON")
}

/// Sends `sig` (`-TERM`, `-KILL` …) to a running child with kill(1); returns when it was sent.
pub fn signal(child: &tokio::process::Child, sig: &str) -> std::time::Instant {
    let pid = child.id().expect("the child is running").to_string();
    let sent = std::time::Instant::now();
    let status = Command::new("kill")
        .args([sig, &pid])
        .status()
        .expect("kill");
    assert!(status.success(), "kill {sig} {pid}: {status}");
    sent
}

/// A CSS base URL (`path` under it) on a loopback port nothing listens on: bind, note,
/// release — for the "CSS unreachable" tests.
pub fn dead_css(path: &str) -> Proc {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    Proc {
        child: std::process::Command::new("true").spawn().unwrap(),
        url: format!("http://127.0.0.1:{port}{path}"),
    }
}
