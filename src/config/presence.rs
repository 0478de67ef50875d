//! `S3_PRESENCE`, `S3_PRESENCE_CACHE_KEYS`, `S3_PRESENCE_MAX_PAGES` → validated
//! [`PresenceSettings`] (issue 10, presence). Pure; the rules they feed are
//! [`crate::s3::listing_rules`].

use super::{invalid, ConfigError};
use crate::cli::S3Args;
use crate::s3::listing::PresenceSettings;
use crate::s3::listing_rules::{directory_per_object, PresenceMode};

/// The most pages one directory may be listed for (10 million keys).
pub const MAX_PRESENCE_PAGES: u32 = 10_000;

/// The presence settings, or the variable that is wrong.
pub fn presence(a: &S3Args) -> Result<PresenceSettings, ConfigError> {
    let mode = PresenceMode::parse(&a.presence).ok_or_else(|| {
        invalid(
            "S3_PRESENCE",
            format!("{:?}: expected auto, list or head", a.presence),
        )
    })?;
    if a.presence_cache_keys < 1000 {
        return Err(invalid(
            "S3_PRESENCE_CACHE_KEYS",
            "must be at least 1000 (one listing page)",
        ));
    }
    if !(1..=MAX_PRESENCE_PAGES).contains(&a.presence_max_pages) {
        return Err(invalid(
            "S3_PRESENCE_MAX_PAGES",
            format!("must be between 1 and {MAX_PRESENCE_PAGES}"),
        ));
    }
    Ok(PresenceSettings {
        mode,
        directory_per_object: directory_per_object(&a.key_template),
        cache_keys: a.presence_cache_keys,
        max_pages: a.presence_max_pages,
    })
}

#[cfg(test)]
mod tests {
    use crate::s3::listing::PresenceSettings;
    use crate::s3::listing_rules::PresenceMode;

    fn parse(extra: &[&str]) -> Result<PresenceSettings, String> {
        super::super::tests::settings(extra)
            .map(|s| s.s3.presence)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_and_bad_values_name_their_variable() {
        assert_eq!(parse(&[]).unwrap(), PresenceSettings::default());
        let l = parse(&["--presence", "list", "--key-template", "{id}/{objectName}"]).unwrap();
        assert_eq!(l.mode, PresenceMode::List);
        assert!(l.directory_per_object);
        let h = parse(&["--presence", "head", "--presence-cache-keys", "5000"]).unwrap();
        assert_eq!((h.mode, h.cache_keys), (PresenceMode::Head, 5000));
        for (args, var) in [
            (&["--presence", "ledger"][..], "S3_PRESENCE"),
            (
                &["--presence-cache-keys", "10"][..],
                "S3_PRESENCE_CACHE_KEYS",
            ),
            (&["--presence-max-pages", "0"][..], "S3_PRESENCE_MAX_PAGES"),
        ] {
            let e = format!("{:?}", super::super::tests::settings(args).unwrap_err());
            assert!(e.contains(var), "{args:?}: {e}");
        }
    }
}
