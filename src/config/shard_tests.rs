//! issue 10 (shard): `CSS_SHARD_INDEX` / `CSS_SHARD_COUNT` / `JOB_COMPLETION_INDEX`.
use super::tests::settings;
use super::ConfigError;
use crate::shard::Shard;

fn shard(extra: &[&str]) -> Result<Shard, ConfigError> {
    settings(extra).map(|s| s.run.shard)
}

fn refused(extra: &[&str]) -> (String, String) {
    match shard(extra) {
        Err(ConfigError::Invalid { name, reason }) => (name.to_string(), reason),
        other => panic!("{extra:?}: expected Invalid, got {other:?}"),
    }
}

#[test]
fn shard_defaults_and_sources() {
    assert_eq!(shard(&[]).unwrap(), Shard::ALL);
    let s = shard(&["--shard-count", "3", "--shard-index", "2"]).unwrap();
    assert_eq!(s, Shard { index: 2, count: 3 });
    let s = shard(&["--shard-count", "3", "--job-completion-index", "1"]).unwrap();
    assert_eq!(s, Shard { index: 1, count: 3 });
    let s = shard(&[
        "--shard-count=3",
        "--shard-index=0",
        "--job-completion-index=2",
    ])
    .unwrap();
    assert_eq!(s, Shard { index: 0, count: 3 }, "CSS_SHARD_INDEX wins");
}

#[test]
fn shard_errors_name_their_variable() {
    let table: [(&[&str], &str, &str); 6] = [
        (
            &["--shard-count", "3"],
            "CSS_SHARD_INDEX",
            "CSS_SHARD_COUNT=3",
        ),
        (
            &["--shard-count", "0"],
            "CSS_SHARD_COUNT",
            "between 1 and 1024",
        ),
        (
            &["--shard-count", "1025", "--shard-index", "0"],
            "CSS_SHARD_COUNT",
            "1024",
        ),
        (
            &["--shard-count", "3", "--shard-index", "3"],
            "CSS_SHARD_INDEX",
            "not below",
        ),
        (
            &["--shard-count", "3", "--shard-index", "x"],
            "CSS_SHARD_INDEX",
            "not a shard index",
        ),
        (
            &["--shard-count", "3", "--job-completion-index", "two"],
            "JOB_COMPLETION_INDEX",
            "not a shard index",
        ),
    ];
    for (args, name, text) in table {
        let (n, reason) = refused(args);
        assert_eq!(n, name, "{args:?}: {reason}");
        assert!(reason.contains(text), "{args:?}: {reason}");
    }
}
