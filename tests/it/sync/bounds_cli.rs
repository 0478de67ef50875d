//! Issue 11 (bounds): every environment variable of `css-sync sync --help`, set to values it
//! must refuse (junk, empty where empty is not "unset", overflowing numbers and durations,
//! escaping paths), exits 2 before any network call with the variable's name in the message;
//! never a panic. The table must list every variable `--help` documents.

use std::collections::BTreeSet;
use std::process::Command;

/// Each variable with values that must be refused. Values chosen per kind: durations
/// (overflow, zero, junk), counts (zero, negative, overflow), names and paths (escaping,
/// junk), booleans and enums (junk).
const TABLE: &[(&str, &[&str])] = &[
    ("CSS_API_BASE", &["not a url", "ftp://x", ""]),
    ("CSS_BATCH_MAX_BYTES", &["10GB", "0", "junk", "1e30"]),
    (
        "CSS_BATCH_MAX_OBJECTS",
        &["0", "-1", "99999999999999999999999"],
    ),
    ("CSS_CALL_DEADLINE", &["1e30", "0", "soon", "400d"]),
    ("CSS_CLIENT_ID", &["", "  "]),
    ("CSS_CLIENT_SECRET", &[""]),
    ("CSS_CLIENT_SECRET_FILE", &["/nonexistent/secret"]),
    ("CSS_DISCOVERY_REGION", &["", "a/b", "x y"]),
    ("CSS_DOWNLOADS_PER_REGION", &["0", "-1", "x"]),
    ("CSS_FILTER", &["a==b;(", ")"]),
    ("CSS_HTTP_TIMEOUT", &["1e30", "0", "2h", "soon"]),
    ("CSS_IDS_FILE", &["/nonexistent/ids.txt"]),
    ("CSS_JOBS_PER_REGION", &["0", "x"]),
    ("CSS_JOB_DEADLINE", &["1e30", "0", "30d"]),
    ("CSS_LOOKUP_CONCURRENCY", &["0", "x"]),
    ("CSS_MAX_ATTEMPTS", &["0", "-1", "", "99999999999"]),
    ("CSS_OBJECT_ATTEMPTS", &["0", "x", "99999999999"]),
    ("CSS_PAGE_SIZE", &["0", "101", "-1", "99999999999"]),
    (
        "CSS_POLL_INTERVAL",
        &["1e30", "0", "-5", "2h", "NaN", "inf"],
    ),
    ("CSS_REGIONS", &["a/b", "../x", "x y"]),
    ("CSS_REGION_CONCURRENCY", &["0", "x"]),
    ("CSS_SINCE", &["last tuesday", "99999999d"]),
    ("CSS_SYNC_BUCKET_REPORT", &["failed", "", "yes"]),
    ("CSS_SYNC_BUCKET_REPORT_FILE_MAX_LINES", &["0", "x", "-1"]),
    ("CSS_SYNC_INDEX", &["maybe", ""]),
    ("CSS_SYNC_INDEX_FILE_MAX_ROWS", &["0", "x"]),
    ("CSS_SYNC_INDEX_PREFIX", &["../x", "a//b"]),
    (
        "CSS_SYNC_METRICS_FILE",
        &["/nonexistent/dir/m.prom", "/tmp", ""],
    ),
    ("CSS_SYNC_REPORT", &["/nonexistent/dir/r.json", "/tmp", ""]),
    ("CSS_SYNC_WEBHOOK_URL", &["not a url", "ftp://x"]),
    // issue 7 (progress)
    ("CSS_SYNC_PROGRESS", &["loud", "", "BARS"]),
    (
        "CSS_SYNC_PROGRESS_INTERVAL",
        &["0", "500ms", "2h", "soon", "1e30"],
    ),
    ("CSS_SYNC_QUIET", &["maybe", ""]),
    // issue 10 (incr, css, shard)
    ("CSS_INCREMENTAL", &["maybe", ""]),
    ("CSS_LOOKBACK", &["soon", "1e30", "400d"]),
    ("CSS_SETTLE", &["soon", "1e30", "8d"]),
    ("CSS_SLICE", &["soon", "0s", "1e30"]),
    ("CSS_CHECKPOINT_INTERVAL", &["soon", "0", "2h"]),
    ("CSS_RESTORE_ARCHIVED", &["maybe", ""]),
    ("CSS_SHARD_COUNT", &["0", "x", "1025", "-1"]),
    ("CSS_SHARD_INDEX", &["x", "1", "-1"]),
    ("CSS_TYPES", &["a b", "a;b"]),
    ("CSS_UNTIL", &["yesterday-ish"]),
    ("LOG_FORMAT", &["xml", ""]),
    // issue 7 (metrics)
    (
        "PUSHGATEWAY_URL",
        &["not a url", "ftp://x", "http://h/?t=1"],
    ),
    ("PUSHGATEWAY_JOB", &["", "a/b"]),
    ("CSS_RETENTION_DAYS", &["0", "-1", "x", "99999"]),
    ("CSS_RISK_WINDOW", &["soon", "1e30", "400d"]),
    ("METRICS_LISTEN", &["junk", "127.0.0.1", ""]),
    (
        "S3_ABORT_UPLOADS_OLDER_THAN",
        &["soon", "1e30", "500ms", "99999d"],
    ),
    ("S3_ATTEMPT_TIMEOUT", &["1e30", "0", "1s"]),
    ("S3_BUCKET", &["", "a", "-1", "junk/../x y"]),
    ("S3_CALL_DEADLINE", &["1e30", "0", "1s", "2d"]),
    ("S3_CHECKSUM", &["always", ""]),
    ("S3_CHECK_CONCURRENCY", &["0", "x"]),
    ("S3_CONDITIONAL_WRITES", &["maybe", ""]),
    // issue 10 (presence)
    ("S3_PRESENCE", &["sometimes", ""]),
    ("S3_PRESENCE_CACHE_KEYS", &["0", "10", "x"]),
    ("S3_PRESENCE_MAX_PAGES", &["0", "10001", "x"]),
    ("S3_CONNECT_TIMEOUT", &["1e30", "0", "1h"]),
    ("S3_FORCE_PATH_STYLE", &["maybe"]),
    (
        "S3_KEY_TEMPLATE",
        &["../{id}", "/{id}", "{region}/./{id}", "{nope}/{id}", "x"],
    ),
    ("S3_OBJECT_LOCK_LEGAL_HOLD", &["maybe"]),
    ("S3_OBJECT_LOCK_MODE", &["FOREVER", "COMPLIANCE"]),
    ("S3_OBJECT_LOCK_RETAIN", &["7y", "forever"]),
    ("S3_PART_CONCURRENCY", &["0", "x"]),
    (
        "S3_PART_SIZE",
        &["10GiB", "1MiB", "junk", "99999999999999TiB"],
    ),
    ("S3_PREFIX", &["../up", "a/../b", "a b"]),
    ("S3_READ_TIMEOUT", &["1e30", "0", "2h"]),
    ("S3_SIDECAR", &["maybe", ""]),
    ("S3_SSE", &["rot13"]),
    ("S3_SSE_KMS_KEY_ID", &["key-1"]),
    ("S3_STORAGE_CLASS", &["1e30", "standard", "a b"]),
    ("S3_VERIFY", &["md5", ""]),
    // issue 8 (overlap): below 2 × S3_PART_SIZE (16MiB), unparsable, above 64GiB
    (
        "S3_ZIP_BYTES_IN_FLIGHT",
        &["31MiB", "0", "junk", "65GiB", "1e30"],
    ),
    ("SHUTDOWN_GRACE", &["1e30", "0", "1s", "1h"]),
];

/// Runs `css-sync sync` with a clean environment: a valid base plus `var=value`.
fn run(var: &str, value: &str) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_css-sync"));
    cmd.arg("sync")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("CSS_CLIENT_ID", "id")
        .env("CSS_CLIENT_SECRET", "secret")
        .env("S3_BUCKET", "lake")
        .env("CSS_API_BASE", "http://127.0.0.1:9")
        .env("CSS_REGIONS", "us-east")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ACCESS_KEY_ID", "a")
        .env("AWS_SECRET_ACCESS_KEY", "b")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    if var == "CSS_CLIENT_SECRET_FILE" {
        cmd.env_remove("CSS_CLIENT_SECRET");
    }
    let out = cmd.env(var, value).output().expect("run css-sync");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_variable_refuses_bad_values_with_exit_2_naming_it() {
    let mut wrong = Vec::new();
    for (var, values) in TABLE {
        for value in *values {
            let (code, text) = run(var, value);
            if code != Some(2) || !text.contains(var) || text.contains("panicked") {
                wrong.push(format!("{var}={value:?} → {code:?}: {}", text.trim()));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_table_covers_every_variable_of_help() {
    let out = Command::new(env!("CARGO_BIN_EXE_css-sync"))
        .args(["sync", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    let documented: BTreeSet<&str> = help
        .split("[env: ")
        .skip(1)
        .filter_map(|s| s.split([']', '=']).next())
        .collect();
    let tested: BTreeSet<&str> = TABLE.iter().map(|(v, _)| *v).collect();
    assert!(documented.len() > 40, "{documented:?}");
    assert_eq!(documented, tested, "--help vs the table");
}

#[test]
fn missing_aws_credentials_exit_3_saying_so() {
    let out = Command::new(env!("CARGO_BIN_EXE_css-sync"))
        .args(["sync", "--regions", "us-east"])
        .env_clear()
        .env("HOME", "/nonexistent")
        .env("CSS_CLIENT_ID", "id")
        .env("CSS_CLIENT_SECRET", "secret")
        .env("S3_BUCKET", "lake")
        .env("CSS_API_BASE", "http://127.0.0.1:9")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(text.contains("no AWS credentials"), "{text}");
    assert!(
        text.contains("AWS_ACCESS_KEY_ID"),
        "the chain is named: {text}"
    );
    assert!(!text.contains("unreachable"), "{text}");
}
