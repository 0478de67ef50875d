use super::*;

const MD5: &str = "0cc175b9c0f1b6a831c399e269772661";
const OTHER: &str = "92eb5ffee6ae2fec3ad71c777531578f";

fn want(sidecar: bool) -> Want<'static> {
    Want {
        size: 10,
        checksum: MD5,
        sidecar,
    }
}

fn entry(size: u64, e_tag: Option<&str>) -> Entry {
    Entry {
        size,
        e_tag: e_tag.map(str::to_string),
    }
}

#[test]
fn directories_are_keys_up_to_their_last_slash() {
    for (key, dir) in [
        (
            "region=us/type=voicemail/date=2026-11-01/a1.mp3",
            "region=us/type=voicemail/date=2026-11-01/",
        ),
        ("a1.mp3", ""),
        ("p/a1", "p/"),
        ("p//a1", "p//"),
        ("p/", "p/"),
    ] {
        assert_eq!(directory_of(key), dir, "{key}");
    }
}

#[test]
fn templates_with_the_id_in_the_directory_give_one_directory_per_object() {
    for (template, per_object) in [
        (crate::s3::DEFAULT_KEY_TEMPLATE, false),
        ("{id}/{objectName}", true),
        ("region={region}/{id}/x{ext}", true),
        ("{region}/{date}/{id}{ext}", false),
        ("{id}{ext}", false),
        ("{type}/{id}-{name}", false),
    ] {
        assert_eq!(directory_per_object(template), per_object, "{template}");
    }
}

#[test]
fn routes_follow_the_mode_the_template_and_the_count() {
    use PresenceMode::*;
    use Route::{Head as H, List as L};
    for (mode, per_object, seen, too_big, expected) in [
        (Head, false, 5, false, H),
        (List, false, 1, false, L),
        (List, true, 1, false, L),
        (List, false, 9, true, H),
        (Auto, false, 1, false, H),
        (Auto, false, LIST_AFTER, false, L),
        (Auto, false, 1000, false, L),
        (Auto, true, 1000, false, H),
        (Auto, false, 1000, true, H),
    ] {
        assert_eq!(
            route(mode, per_object, seen, too_big),
            expected,
            "{mode:?} per_object={per_object} seen={seen} too_big={too_big}"
        );
    }
}

#[test]
fn modes_parse() {
    assert_eq!(PresenceMode::parse("auto"), Some(PresenceMode::Auto));
    assert_eq!(PresenceMode::parse(" LIST "), Some(PresenceMode::List));
    assert_eq!(PresenceMode::parse("head"), Some(PresenceMode::Head));
    assert_eq!(PresenceMode::parse("heads"), None);
    assert_eq!(PresenceMode::parse(""), None);
}

/// name, object entry, sidecar entry, sidecars on, expected.
type Case = (&'static str, Option<Entry>, Option<Entry>, bool, Listed);

#[test]
fn a_listing_decides_what_it_can_prove_and_defers_the_rest() {
    let proven = entry(10, Some(MD5));
    let sidecar = entry(300, Some(OTHER));
    let cases: Vec<Case> = vec![
        (
            "absent",
            None,
            None,
            true,
            Listed::Decided(Presence::Absent),
        ),
        (
            "absent with a stray sidecar",
            None,
            Some(sidecar.clone()),
            true,
            Listed::Decided(Presence::Absent),
        ),
        (
            "proven, sidecar listed",
            Some(proven.clone()),
            Some(sidecar.clone()),
            true,
            Listed::Decided(Presence::Present),
        ),
        (
            "proven, sidecar missing",
            Some(proven.clone()),
            None,
            true,
            Listed::Decided(Presence::RepairSidecar),
        ),
        (
            "proven, sidecars off",
            Some(proven.clone()),
            None,
            false,
            Listed::Decided(Presence::Present),
        ),
        (
            "tampered size",
            Some(entry(11, Some(MD5))),
            Some(sidecar.clone()),
            true,
            Listed::Decided(Presence::NotOurs("size")),
        ),
        (
            "tampered size, multipart",
            Some(entry(9, Some("abc-3"))),
            None,
            true,
            Listed::Decided(Presence::NotOurs("size")),
        ),
        (
            "same size, other bytes",
            Some(entry(10, Some(OTHER))),
            Some(sidecar.clone()),
            true,
            Listed::Head,
        ),
        (
            "multipart",
            Some(entry(10, Some(&format!("{OTHER}-2")))),
            Some(sidecar.clone()),
            true,
            Listed::Head,
        ),
        (
            "multipart, sidecar missing",
            Some(entry(10, Some(&format!("{OTHER}-2")))),
            None,
            true,
            Listed::Head,
        ),
        (
            "no etag",
            Some(entry(10, None)),
            Some(sidecar.clone()),
            true,
            Listed::Head,
        ),
        (
            "empty etag",
            Some(entry(10, Some(""))),
            Some(sidecar.clone()),
            true,
            Listed::Head,
        ),
        (
            "not an md5 (kms)",
            Some(entry(10, Some("zz"))),
            Some(sidecar),
            true,
            Listed::Head,
        ),
    ];
    for (name, object, side, sidecars, expected) in cases {
        let w = want(sidecars);
        assert_eq!(
            from_listing(object.as_ref(), side.as_ref(), w),
            expected,
            "{name}"
        );
    }
}

#[test]
fn a_catalog_checksum_in_one_part_form_is_proven_by_the_plain_md5() {
    // etag_proves_catalog: a checksum "<md5 of the md5>-1" is the same bytes as a plain MD5.
    let outer = {
        use md5::{Digest, Md5};
        hex::encode(Md5::digest(hex::decode(MD5).unwrap()))
    };
    let sum = format!("{outer}-1");
    let w = Want {
        size: 10,
        checksum: &sum,
        sidecar: true,
    };
    let listed = entry(10, Some(MD5));
    assert_eq!(
        from_listing(Some(&listed), Some(&listed), w),
        Listed::Decided(Presence::Present)
    );
}

#[test]
fn eviction_keeps_the_cache_under_its_cap_but_never_drops_the_last_directory() {
    for (held, cap, others, evict) in [
        (0, 5, 0, false),
        (11, 10, 1, true),
        (10, 10, 1, false),
        (5100, 1000, 3, true),
        (5000, 1000, 0, false),
    ] {
        assert_eq!(
            must_evict(held, cap, others),
            evict,
            "{held} cap {cap} others {others}"
        );
    }
}
