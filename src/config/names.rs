//! Issue 11 (bounds): the settings that are names or paths, checked at start so a bad one
//! exits 2 naming its variable instead of failing every request later: region names (they go
//! into URL paths), the bucket name (S3's naming rules), the storage class (an S3 enum word)
//! and the report/metrics output files (their folder must exist). Pure checks; the only I/O
//! is looking up whether an output file's folder exists.

use super::{invalid, ConfigError};
use std::path::Path;

/// A CSS region name: 1–64 of `A-Z a-z 0-9 - _` (it becomes a URL path segment).
pub fn region(name: &'static str, value: &str) -> Result<(), ConfigError> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            name,
            format!("{value:?} is not a region name (letters, digits, '-', '_')"),
        ))
    }
}

/// An S3 bucket name: 3–63 of `a-z 0-9 . -` today; the legacy rules some buckets and
/// servers still use (up to 255, capitals and `_`) are accepted too. It must start and end
/// with a letter or digit.
pub fn bucket(value: &str) -> Result<(), ConfigError> {
    let b = value.as_bytes();
    let edge = |c: &u8| c.is_ascii_alphanumeric();
    let ok = (3..=255).contains(&b.len())
        && b.first().is_some_and(edge)
        && b.last().is_some_and(edge)
        && b.iter().all(|c| edge(c) || matches!(c, b'.' | b'-' | b'_'))
        && !value.contains("..");
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "S3_BUCKET",
            format!("{value:?} is not a bucket name (3-63 of a-z, 0-9, '.', '-')"),
        ))
    }
}

/// An S3 storage class word: `A-Z` and `_` (STANDARD_IA, GLACIER_IR, …).
pub fn storage_class(value: &str) -> Result<(), ConfigError> {
    if value.len() <= 64 && value.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
        Ok(())
    } else {
        Err(invalid(
            "S3_STORAGE_CLASS",
            format!("{value:?} is not a storage class (e.g. STANDARD_IA)"),
        ))
    }
}

/// An output file (`-` is stdout): its folder must exist, so the run's report is not lost
/// at the end of a run.
pub fn output_file(name: &'static str, path: Option<&Path>) -> Result<(), ConfigError> {
    let Some(path) = path else { return Ok(()) };
    if path.as_os_str() == "-" {
        return Ok(());
    }
    if path.as_os_str().is_empty() {
        return Err(invalid(name, "is empty"));
    }
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if folder.is_dir() && !path.is_dir() {
        Ok(())
    } else {
        Err(invalid(
            name,
            format!(
                "{}: its folder does not exist or it is a folder",
                path.display()
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_accepted_and_refused() {
        for (v, ok) in [
            ("us-east", true),
            ("uk_1", true),
            ("", false),
            ("a/b", false),
            ("x y", false),
        ] {
            assert_eq!(region("CSS_REGIONS", v).is_ok(), ok, "{v:?}");
        }
        for (v, ok) in [
            ("lake", true),
            ("my.lake-01", true),
            ("ab", false),
            ("-lake", false),
            ("Legacy_Lake", true),
            ("a..b", false),
            ("junk/../x y", false),
            (&"a".repeat(256), false),
            ("0", false),
            ("-1", false),
        ] {
            assert_eq!(bucket(v).is_ok(), ok, "{v:?}");
        }
        for (v, ok) in [
            ("STANDARD_IA", true),
            ("GLACIER_IR", true),
            ("1e30", false),
            ("std", false),
        ] {
            assert_eq!(storage_class(v).is_ok(), ok, "{v:?}");
        }
        let dir = tempfile::tempdir().unwrap();
        let inside = dir.path().join("r.json");
        let missing = dir.path().join("nope/r.json");
        for (p, ok) in [
            (None, true),
            (Some(Path::new("-")), true),
            (Some(inside.as_path()), true),
            (Some(Path::new("report.json")), true),
            (Some(missing.as_path()), false),
            (Some(dir.path()), false),
            (Some(Path::new("")), false),
        ] {
            let got = output_file("CSS_SYNC_REPORT", p);
            assert_eq!(got.is_ok(), ok, "{p:?}");
            if let Err(e) = got {
                assert!(e.to_string().starts_with("CSS_SYNC_REPORT:"), "{e}");
            }
        }
    }
}
