//! Unit tests for catalog generation: exact counts, determinism, sizes, names, states.

use super::*;

fn cfg(extra: &[&str]) -> SimConfig {
    use clap::Parser;
    #[derive(Parser)]
    struct P {
        #[command(flatten)]
        c: SimConfig,
    }
    let mut args = vec!["css-sim", "--now", "2024-10-01T00:00:00"];
    args.extend_from_slice(extra);
    P::parse_from(args).c
}

#[test]
fn split_is_exact() {
    assert_eq!(split(245, &[1]), vec![245]);
    assert_eq!(split(10, &[1, 1, 1]), vec![4, 3, 3]);
    assert_eq!(split(7, &[3, 1]), vec![5, 2]);
    assert_eq!(split(5, &[0, 2]), vec![0, 5]);
}

#[test]
fn counts_per_type_and_region_are_exact_and_deterministic() {
    let c = cfg(&["--objects", "100", "--unavailable-share", "0.1"]);
    let now = 1_727_740_800_000;
    let a = generate(&c, now).unwrap();
    let b = generate(&c, now).unwrap();
    assert_eq!(a.len(), 100);
    let ids: Vec<_> = a.iter().map(|o| o.id.clone()).collect();
    assert_eq!(ids, b.iter().map(|o| o.id.clone()).collect::<Vec<_>>());
    for t in [
        "callrecording",
        "callcenterrecording",
        "screenrecording",
        "voicemail",
        "transcription",
    ] {
        assert_eq!(a.iter().filter(|o| o.object_type == t).count(), 20, "{t}");
    }
    assert_eq!(a.iter().filter(|o| o.region == "us-east").count(), 50);
    assert_eq!(a.iter().filter(|o| o.state != "AVAILABLE").count(), 10);
    let other = generate(&cfg(&["--objects", "100", "--seed", "2"]), now).unwrap();
    assert_ne!(ids[0], other[0].id);
}

#[test]
fn sizes_times_and_names_look_real() {
    let c = cfg(&["--objects", "500", "--window-days", "10"]);
    let now = 1_727_740_800_000;
    for o in generate(&c, now).unwrap() {
        let (_, _, lo, hi) = size_model(&o.object_type);
        assert!(
            (lo..=hi).contains(&o.stored_bytes),
            "{} {}",
            o.object_type,
            o.stored_bytes
        );
        assert!(o.created_ms <= now && o.created_ms >= now - 10 * 86_400_000);
        assert_eq!(o.created_ms % 1000, 0);
        assert!(o.updated_ms > o.created_ms);
        match o.object_type.as_str() {
            "callrecording" => {
                assert!(o
                    .object_name
                    .starts_with("ipbx:acmecorp:callrecording:users:"));
                assert!(o.object_name.contains("-+1") && o.object_name.ends_with("_E.mp3"));
            }
            "callcenterrecording" => {
                assert!(o.object_name.starts_with("int-"));
                assert!(o.object_name.ends_with("-phone-00-acmecorp01.mp3"));
                assert_eq!(o.tag("tenantId"), Some("acmecorp01"));
            }
            "transcription" => {
                assert_eq!(o.mime_type, "application/json");
                assert_eq!(o.kind, ContentKind::Json);
                assert!(o.tag("sourceObjectType").is_some());
            }
            "screenrecording" => assert_eq!(o.mime_type, "video/mp4"),
            _ => {}
        }
        assert!(o.tag("duration").is_some());
    }
}

#[test]
fn large_objects_and_size_cap() {
    let c = cfg(&[
        "--objects",
        "10",
        "--large-objects",
        "2",
        "--large-size",
        "300MB",
    ]);
    let objs = generate(&c, 0).unwrap();
    assert_eq!(objs.len(), 12);
    assert_eq!(
        objs.iter()
            .filter(|o| o.stored_bytes == 300_000_000)
            .count(),
        2
    );
    let c = cfg(&["--objects", "50", "--max-object-size", "1KB"]);
    assert!(generate(&c, 0)
        .unwrap()
        .iter()
        .all(|o| o.stored_bytes <= 1000));
}

#[test]
fn hostile_names_and_poison() {
    let c = cfg(&[
        "--objects",
        "20",
        "--hostile-names",
        "3",
        "--fault-poison-count",
        "2",
    ]);
    let mut objs = generate(&c, 0).unwrap();
    decorate(&c, &mut objs).unwrap();
    let hostile: Vec<_> = objs
        .iter()
        .filter(|o| HOSTILE.iter().any(|h| o.object_name.starts_with(h)))
        .collect();
    assert_eq!(hostile.len(), 3);
    assert!(hostile.iter().all(|o| o.state == "AVAILABLE"));
    assert_eq!(objs.iter().filter(|o| o.poison).count(), 2);
    let id = objs[5].id.clone();
    let c2 = cfg(&["--objects", "20", "--fault-poison-ids", &id]);
    let mut objs2 = generate(&c2, 0).unwrap();
    decorate(&c2, &mut objs2).unwrap();
    assert!(objs2.iter().find(|o| o.id == id).unwrap().poison);
    let c3 = cfg(&["--objects", "20", "--fault-poison-ids", "nope"]);
    assert!(decorate(&c3, &mut generate(&c3, 0).unwrap()).is_err());
}

// issue 10 (css)
#[test]
fn archived_objects_are_picked_from_available_ones_and_never_poison() {
    let c = cfg(&[
        "--objects",
        "40",
        "--archived",
        "5",
        "--fault-poison-count",
        "3",
    ]);
    let mut objs = generate(&c, 0).unwrap();
    let available = objs.iter().filter(|o| o.state == "AVAILABLE").count();
    decorate(&c, &mut objs).unwrap();
    let archived: Vec<_> = objs.iter().filter(|o| o.state == "ARCHIVED").collect();
    assert_eq!(archived.len(), 5);
    assert!(archived.iter().all(|o| !o.poison));
    assert_eq!(
        objs.iter().filter(|o| o.state == "AVAILABLE").count(),
        available - 5
    );
    // Same seed, same picks.
    let mut again = generate(&c, 0).unwrap();
    decorate(&c, &mut again).unwrap();
    let ids = |v: &[SimObject]| -> Vec<String> {
        v.iter()
            .filter(|o| o.state == "ARCHIVED")
            .map(|o| o.id.clone())
            .collect()
    };
    assert_eq!(ids(&objs), ids(&again));
    let too_many = cfg(&["--objects", "4", "--archived", "9"]);
    assert!(decorate(&too_many, &mut generate(&too_many, 0).unwrap()).is_err());
}
