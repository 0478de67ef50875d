//! Issue 7 (progress): what a run shows while it runs, seen as a user sees it. Through a
//! pseudo-terminal (util-linux `script`), the live bars show each region's objects
//! settled/found moving and ending at the report's numbers, with the bytes exported, a rate
//! and an ETA; `NO_COLOR` drops the colour codes there. Without a terminal, a `progress` event
//! is logged every `CSS_SYNC_PROGRESS_INTERVAL` (no bars, no ANSI codes), and `--quiet` prints
//! neither progress nor the summary.

use crate::support::procs::{run_sync, spawn_sim, words, Proc};
use crate::support::s3::{S3Kind, S3Server};
use css_sync::progress::format::bytes_text;
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

/// A catalog that takes a few seconds to sync (the sim paces every download body).
const SLOW_SIM: &str = "--seed 21 --objects 24 --max-object-size 200KB --bandwidth 250KB \
                        --prep-base-ms 0 --prep-rate 0";

/// The text with ANSI escape sequences (CSI … final byte) removed.
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            chars.next();
            for f in chars.by_ref() {
                if ('\x40'..='\x7e').contains(&f) {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// One drawn bar: `name [====] settled/found(+) objects  <rest>`.
#[derive(Debug, Clone, PartialEq)]
struct Bar {
    name: String,
    settled: u64,
    found: u64,
    growing: bool,
    rest: String,
}

/// Every bar drawn in `text` (ANSI stripped), in drawing order.
fn bars(text: &str) -> Vec<Bar> {
    let mut out = Vec::new();
    for (p, _) in text.match_indices("] ") {
        let after = &text[p + 2..];
        let Some((counts, rest)) = after.split_once(" objects  ") else {
            continue;
        };
        let Some((settled, found)) = counts.split_once('/') else {
            continue;
        };
        let growing = found.ends_with('+');
        let (Ok(settled), Ok(found)) = (settled.parse(), found.trim_end_matches('+').parse())
        else {
            continue;
        };
        let Some(lb) = text[..p].rfind('[') else {
            continue;
        };
        let Some(name) = text[..lb].split_whitespace().last() else {
            continue;
        };
        let end = rest.find("ETA ").map_or(rest.len(), |i| {
            i + 4 + rest[i + 4..].find(' ').unwrap_or(rest.len() - i - 4)
        });
        out.push(Bar {
            name: name.to_string(),
            settled,
            found,
            growing,
            rest: rest[..end].to_string(),
        });
    }
    out
}

/// Objects found per region in a report.
fn found_by_region(report: &Value) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for g in report["groups"].as_array().expect("groups") {
        *m.entry(g["region"].as_str().unwrap().to_string())
            .or_default() += g["found"].as_u64().unwrap();
    }
    m
}

/// `css-sync sync` run inside a pseudo-terminal of 160×40 (`script`), stderr and stdout on
/// it; returns (exit code, everything the terminal received, the report file's JSON).
async fn run_in_pty(
    sim: &Proc,
    s3: &S3Server,
    bucket: &str,
    envs: &[(&str, &str)],
) -> (i32, String, Value) {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let inner = format!(
        "stty cols 160 rows 40; exec {} sync --api-base {} --bucket {bucket} --force-path-style \
         --poll-interval 0.05 --report {}",
        crate::support::procs::sync_bin().display(),
        sim.url,
        report.display()
    );
    let out = tokio::process::Command::new("script")
        .args(["-qfec", &inner, "/dev/null"])
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .env_remove("LOG_FORMAT")
        .env("CSS_CLIENT_ID", "demo-client")
        .env("CSS_CLIENT_SECRET", "demo-secret")
        .env("AWS_ENDPOINT_URL", &s3.endpoint)
        .env("AWS_ACCESS_KEY_ID", &s3.access_key)
        .env("AWS_SECRET_ACCESS_KEY", &s3.secret_key)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(300), out)
        .await
        .expect("finished in time")
        .expect("run script (util-linux)");
    let code = std::fs::read_to_string(&report)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        code,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_terminal_bars_per_region_move_and_end_at_the_report() {
    let sim = spawn_sim(&words(SLOW_SIM));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let (code, screen, report) = run_in_pty(&sim, &s3, "lake", &[]).await;
    assert_eq!(code, 0, "{screen}");
    let text = strip_ansi(&screen);
    let drawn = bars(&text);
    let want = found_by_region(&report);
    assert_eq!(want.len(), 2, "two regions: {report}");
    let last = |name: &str| {
        drawn
            .iter()
            .rfind(|b| b.name == name)
            .unwrap_or_else(|| panic!("no bar for {name} in {text}"))
            .clone()
    };
    for (region, found) in &want {
        let b = last(region);
        assert_eq!(
            (b.settled, b.found, b.growing),
            (*found, *found, false),
            "{b:?}"
        );
    }
    let total = last("total");
    let found = report["totals"]["found"].as_u64().unwrap();
    assert_eq!((total.settled, total.found), (found, found), "{total:?}");
    let bytes = report["totals"]["bytes_exported"].as_u64().unwrap();
    let exported = format!("{} exported", bytes_text(bytes));
    assert!(total.rest.starts_with(&exported), "{total:?} vs {exported}");
    assert!(
        total.rest.contains("MB/s") && total.rest.contains("ETA 0s"),
        "{total:?}"
    );
    // It moved: the total was drawn part-way, with a rate and an ETA.
    let partway: Vec<&Bar> = drawn
        .iter()
        .filter(|b| b.name == "total" && b.settled > 0 && b.settled < b.found)
        .collect();
    assert!(!partway.is_empty(), "no bar drawn part-way: {drawn:#?}");
    assert!(
        partway
            .iter()
            .any(|b| b.rest.contains("ETA ") && !b.rest.ends_with("ETA -")),
        "an ETA part-way: {partway:#?}"
    );
    // The bars end before the summary, which follows them whole.
    let summary = text.rfind("run took").expect("summary");
    let last_bar = text.rfind("] ").unwrap();
    assert!(last_bar < summary, "a bar drawn after the summary");
    // Colours on a terminal (the NO_COLOR test below is not vacuous).
    assert!(screen.contains("\x1b[32m"), "coloured levels on a terminal");
    if let Some(path) = std::env::var_os("CSS_SYNC_PROGRESS_CAPTURE") {
        std::fs::write(path, format!("{:#?}\n{text}", drawn)).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_color_on_a_terminal_drops_the_colour_codes() {
    let sim = spawn_sim(&words(
        "--seed 5 --objects 6 --max-object-size 20KB --prep-base-ms 0 --prep-rate 0",
    ));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let (code, screen, report) = run_in_pty(&sim, &s3, "lake", &[("NO_COLOR", "1")]).await;
    assert!(code == 0 || code == 1, "{screen}");
    assert!(report["totals"]["found"].as_u64().unwrap() > 0);
    assert!(screen.contains(" INFO "), "logs were written: {screen}");
    // Colour is SGR (`ESC [ … m`); the bars' cursor moves (`ESC [ 2K`, `ESC [ 1A`) stay.
    let sgr = screen
        .split("\x1b[")
        .skip(1)
        .filter(|rest| {
            let end = rest.find(|c: char| !c.is_ascii_digit() && c != ';');
            end.is_some_and(|i| rest[i..].starts_with('m'))
        })
        .count();
    assert_eq!(sgr, 0, "colour codes with NO_COLOR: {screen:?}");
}

/// The `progress` events of a text log, as (objects_settled, objects_found).
fn progress_events(stderr: &str) -> Vec<(u64, u64)> {
    let field = |line: &str, name: &str| -> u64 {
        let at = line.find(&format!(" {name}=")).expect(name) + name.len() + 2;
        let digits: String = line[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().unwrap()
    };
    stderr
        .lines()
        .filter(|l| l.contains("css_sync::progress: progress "))
        .map(|l| (field(l, "objects_settled"), field(l, "objects_found")))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn off_a_terminal_progress_events_every_interval_and_no_ansi() {
    let sim = spawn_sim(&words(SLOW_SIM));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let run = run_sync(&sim, &s3, "lake", &["--progress-interval", "1s"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let events = progress_events(&run.stderr);
    let secs = run.report["duration_secs"].as_f64().unwrap();
    assert!(secs >= 3.0, "the run is slow enough to test: {secs}s");
    // One per second of the run (give or take the start-up), plus the final one.
    assert!(events.len() >= 3, "{events:?}\n{}", run.stderr);
    let found = run.total("found");
    assert_eq!(events.last(), Some(&(found, found)), "ends at the report");
    assert!(
        events.iter().any(|(s, f)| s < f),
        "an event part-way: {events:?}"
    );
    assert!(events.windows(2).all(|w| w[0].0 <= w[1].0), "{events:?}");
    let line = run
        .stderr
        .lines()
        .find(|l| l.contains("css_sync::progress: progress "))
        .unwrap();
    assert!(
        line.contains(" regions=[{"),
        "per region as an array: {line}"
    );
    assert!(!run.stderr.contains("\x1b["), "ANSI off a terminal");
    assert!(!run.stderr.contains("] 0/"), "no bars off a terminal");
    assert!(run.stderr.contains("run took"), "the text summary");
}

#[tokio::test(flavor = "multi_thread")]
async fn quiet_prints_no_progress_and_no_summary() {
    let sim = spawn_sim(&words(SLOW_SIM));
    let s3 = S3Server::start(S3Kind::S3sFs);
    s3.create_bucket("lake").await;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let out = crate::support::procs::sync_command(&sim, &s3, "lake")
        .args(["--poll-interval", "0.05", "--quiet", "--progress", "log"])
        .args(["--progress-interval", "1s", "--report"])
        .arg(&report)
        .env_remove("RUST_LOG")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(report["totals"]["exported"].as_u64().unwrap() > 0);
    assert!(report["duration_secs"].as_f64().unwrap() >= 2.0);
    assert!(!stderr.contains("progress"), "{stderr}");
    assert!(
        !stderr.contains("run took") && !stderr.contains("total "),
        "{stderr}"
    );
    assert!(
        !stderr.contains(" INFO "),
        "warnings and errors only: {stderr}"
    );
}
