use super::*;

#[test]
fn keys_follow_the_layout_whatever_the_prefix_slashes() {
    let table = [
        ("", "us-west", "all", "_css-sync/state/v1/us-west/all.json"),
        (
            "p",
            "us-west",
            "all",
            "p/_css-sync/state/v1/us-west/all.json",
        ),
        (
            "p/",
            "eu",
            "shard-0-of-4",
            "p/_css-sync/state/v1/eu/shard-0-of-4.json",
        ),
        ("/a/b/", "eu", "all", "a/b/_css-sync/state/v1/eu/all.json"),
    ];
    for (prefix, region, scope, want) in table {
        assert_eq!(checkpoint_key(prefix, region, scope).unwrap(), want);
        assert_eq!(parse_key(prefix, want), Some((region, scope)), "{want}");
    }
    assert_eq!(shard_scope(2, 8), "shard-2-of-8");
}

#[test]
fn unsafe_regions_and_scopes_are_refused() {
    let bad = [
        "", "a/b", "..", ".", "a..b", "a b", "tab\t", "é", "a\\b", "\n",
    ];
    for v in bad {
        let r = checkpoint_key("p", v, "all");
        assert!(
            matches!(r, Err(StateError::BadKeyPart { what: "region", .. })),
            "{v:?}"
        );
        let s = checkpoint_key("p", "us", v);
        assert!(
            matches!(s, Err(StateError::BadKeyPart { what: "scope", .. })),
            "{v:?}"
        );
    }
    let long = "x".repeat(MAX_PART_LEN + 1);
    assert!(checkpoint_key("p", &long, "all").is_err());
    assert!(checkpoint_key("p", &"x".repeat(MAX_PART_LEN), "all").is_ok());
    let e = checkpoint_key("p", "a/b", "all").unwrap_err();
    assert_eq!(e.kind(), "bad_key");
    assert!(e.to_string().contains("region"), "{e}");
}

#[test]
fn only_document_keys_parse() {
    let table = [
        "p/_css-sync/state/v1/us/all.txt",
        "p/_css-sync/state/v1/us/a/all.json",
        "p/_css-sync/state/v1/all.json",
        "q/_css-sync/state/v1/us/all.json",
        "p/_css-sync/reports/x.json",
    ];
    for key in table {
        assert_eq!(parse_key("p", key), None, "{key}");
    }
}
