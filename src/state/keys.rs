//! Where checkpoint documents live in the bucket, pure: `<prefix>/_css-sync/state/v1/<region>/
//! <scope>.json`, scope `all` or `shard-<i>-of-<n>`, and the validation of the region and scope
//! that go into a key. Never touches S3.

use super::StateError;

/// The folder of css-sync's own files under the key prefix (also `audit`'s "own files").
pub const OWN_ROOT: &str = "_css-sync/";
/// The state documents' folder under [`OWN_ROOT`], with the layout version.
pub const STATE_ROOT: &str = "_css-sync/state/v1/";
/// The scope of a run that covers the whole region (no sharding).
pub const ALL_SCOPE: &str = "all";
/// The longest region or scope accepted in a key.
pub const MAX_PART_LEN: usize = 128;
/// Every document's suffix.
pub const DOC_SUFFIX: &str = ".json";

/// The scope of shard `index` of `count` (`shard-<i>-of-<n>`).
pub fn shard_scope(index: u32, count: u32) -> String {
    format!("shard-{index}-of-{count}")
}

/// The key prefix as folded in keys: `p/` (no leading `/`), or empty.
fn folded(prefix: &str) -> String {
    match prefix.trim_matches('/') {
        "" => String::new(),
        p => format!("{p}/"),
    }
}

/// `<prefix>/_css-sync/state/v1/`: every checkpoint document is under it.
pub fn state_root(prefix: &str) -> String {
    format!("{}{STATE_ROOT}", folded(prefix))
}

/// `<prefix>/_css-sync/state/v1/<region>/`: the documents of one region.
pub fn region_root(prefix: &str, region: &str) -> Result<String, StateError> {
    validate("region", region)?;
    Ok(format!("{}{region}/", state_root(prefix)))
}

/// `<S3_PREFIX>/_css-sync/state/v1/<region>/<scope>.json`; scope is "all" or "shard-<i>-of-<n>".
/// Region and scope are validated (no '/', no "..", non-empty, printable ASCII) → StateError.
pub fn checkpoint_key(prefix: &str, region: &str, scope: &str) -> Result<String, StateError> {
    validate("scope", scope)?;
    Ok(format!(
        "{}{scope}{DOC_SUFFIX}",
        region_root(prefix, region)?
    ))
}

/// Why `value` cannot be one segment of a key, if it cannot.
pub fn invalid_reason(value: &str) -> Option<&'static str> {
    if value.is_empty() {
        Some("empty")
    } else if value.len() > MAX_PART_LEN {
        Some("longer than 128 characters")
    } else if !value.bytes().all(|b| b.is_ascii_graphic()) {
        Some("only printable ASCII without spaces is allowed")
    } else if value.contains('/') || value.contains('\\') {
        Some("contains a slash")
    } else if value == "." || value.contains("..") {
        Some("contains '..' or is '.'")
    } else {
        None
    }
}

fn validate(what: &'static str, value: &str) -> Result<(), StateError> {
    match invalid_reason(value) {
        None => Ok(()),
        Some(reason) => Err(StateError::BadKeyPart {
            what,
            value: value.escape_debug().take(MAX_PART_LEN + 8).collect(),
            reason,
        }),
    }
}

/// The region and scope of a document key under `state_root(prefix)`, if it is one.
pub fn parse_key<'a>(prefix: &str, key: &'a str) -> Option<(&'a str, &'a str)> {
    let root = state_root(prefix);
    let rest = key.strip_prefix(root.as_str())?;
    let (region, file) = rest.split_once('/')?;
    let scope = file.strip_suffix(DOC_SUFFIX)?;
    (invalid_reason(region).is_none() && invalid_reason(scope).is_none()).then_some((region, scope))
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
