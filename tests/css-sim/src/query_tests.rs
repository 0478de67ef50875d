//! Unit tests for the objects search: the guide's 245-record paging, filters, sorting, errors.

use super::*;
use crate::content::ContentKind;
use std::sync::OnceLock;

fn obj(i: u64, object_type: &str, state: &str, duration: u64) -> Arc<SimObject> {
    Arc::new(SimObject {
        id: format!("id-{i:04}"),
        region: "us-east".into(),
        object_type: object_type.into(),
        mime_type: "audio/mpeg".into(),
        object_name: format!("n{i}.mp3"),
        customer_id: "c".into(),
        user_id: "u".into(),
        stored_bytes: 1000 + i,
        created_ms: 1_725_148_800_000 + (i as i64 % 7) * 1000,
        updated_ms: 1_725_148_800_000,
        state: state.into(),
        bucket_id: "b".into(),
        tags: vec![("duration".into(), duration.to_string())],
        shared: false,
        kind: ContentKind::Binary,
        poison: false,
        part_style_checksum: false,
        expired: Default::default(),
        restored_at: Default::default(),
        digest: OnceLock::new(),
    })
}

fn params(kv: &[(&str, &str)]) -> HashMap<String, String> {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn search(objs: &[Arc<SimObject>], kv: &[(&str, &str)]) -> PageOut {
    Search::from_params(&params(kv), 100)
        .unwrap()
        .run(objs.iter())
}

#[test]
fn guide_pagination_example_245_records() {
    let objs: Vec<_> = (0..245)
        .map(|i| obj(i, "callrecording", "AVAILABLE", 5))
        .collect();
    let mut seen = Vec::new();
    let mut key = "0".to_string();
    let mut pages = Vec::new();
    loop {
        let p = search(&objs, &[("pageKey", &key), ("limit", "100")]);
        pages.push((p.last_page, p.page_key, p.page_size));
        seen.extend(p.items.iter().map(|o| o.id.clone()));
        if p.last_page {
            break;
        }
        key = p.page_key.to_string();
    }
    assert_eq!(
        pages,
        vec![(false, 100, 100), (false, 200, 100), (true, 300, 45)]
    );
    assert_eq!(seen.len(), 245);
    seen.dedup();
    assert_eq!(seen.len(), 245);
}

#[test]
fn first_page_defaults_and_past_the_end() {
    let objs: Vec<_> = (0..2)
        .map(|i| obj(i, "callcenterrecording", "AVAILABLE", 5))
        .collect();
    let p = search(&objs, &[]);
    // The guide's own example: 2 records, lastPage true, pageKey 100, pageSize 2.
    assert_eq!((p.last_page, p.page_key, p.page_size), (true, 100, 2));
    let p = search(&objs, &[("pageKey", "500"), ("limit", "10")]);
    assert_eq!((p.last_page, p.page_key, p.page_size), (true, 510, 0));
    let exact: Vec<_> = (0..200).map(|i| obj(i, "x", "AVAILABLE", 5)).collect();
    let p = search(&exact, &[("pageKey", "100")]);
    assert_eq!((p.last_page, p.page_size), (true, 100));
}

#[test]
fn only_available_unless_filter_names_object_state() {
    let objs = vec![
        obj(0, "callrecording", "AVAILABLE", 5),
        obj(1, "callrecording", "REVOKED", 5),
        obj(2, "callrecording", "DELETED", 5),
    ];
    assert_eq!(search(&objs, &[]).page_size, 1);
    let f = "(objectState==AVAILABLE,objectState==REVOKED)";
    assert_eq!(search(&objs, &[("filter", f)]).page_size, 2);
    assert_eq!(
        search(&objs, &[("filter", "objectState!=AVAILABLE")]).page_size,
        2
    );
}

#[test]
fn guide_filter_with_tag_and_sort() {
    let objs = vec![
        obj(0, "callcenterrecording", "AVAILABLE", 50),
        obj(1, "callcenterrecording", "AVAILABLE", 150),
        obj(2, "callrecording", "AVAILABLE", 500),
        obj(3, "callcenterrecording", "AVAILABLE", 1000),
    ];
    let p = search(
        &objs,
        &[
            ("filter", "type==callcenterrecording;duration=gt=100"),
            ("sortField", "duration"),
            ("sortDirection", "DESC"),
        ],
    );
    let ids: Vec<_> = p.items.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, vec!["id-0003", "id-0001"]);
}

#[test]
fn sort_is_stable_with_id_tie_break_and_times_are_ms() {
    let objs: Vec<_> = (0..20).map(|i| obj(i, "x", "AVAILABLE", 5)).collect();
    let p = search(&objs, &[("sortField", "createdTime")]);
    let keys: Vec<_> = p
        .items
        .iter()
        .map(|o| (o.created_ms, o.id.clone()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let p = search(&objs, &[("filter", "createdTime=ge=1725148805000")]);
    assert!(p.items.iter().all(|o| o.created_ms >= 1_725_148_805_000));
    assert_eq!(p.page_size, 5); // i % 7 in {5, 6}: 5, 6, 12, 13, 19
}

#[test]
fn bad_parameters_are_readable_400s() {
    let e = |kv: &[(&str, &str)]| Search::from_params(&params(kv), 100).unwrap_err();
    assert!(e(&[("limit", "0")]).contains("between 1 and 100"));
    assert!(e(&[("limit", "101")]).contains("between 1 and 100"));
    assert!(e(&[("limit", "ten")]).contains("limit"));
    assert!(e(&[("pageKey", "-1")]).contains("pageKey"));
    assert!(e(&[("sortDirection", "UP")]).contains("ASC or DESC"));
    assert!(e(&[("filter", "type==a;;")]).contains("position 8"));
    assert!(e(&[("filter", "createdTime=ge=2024-09-01")]).contains("milliseconds"));
    assert!(Search::from_params(&params(&[("limit", "200")]), 500).is_ok());
}

#[test]
fn page_number_forms_cut_pages_by_number_and_count_pages() {
    use crate::config::PageKeys;
    let objs: Vec<_> = (0..245)
        .map(|i| obj(i, "callrecording", "AVAILABLE", 5))
        .collect();
    // (form, requested page) → (first id, records, answered pageKey, lastPage)
    let table = [
        (PageKeys::NextPage, 0, ("id-0000", 100, 1, false)),
        (PageKeys::NextPage, 2, ("id-0200", 45, 3, true)),
        (PageKeys::PageServed, 0, ("id-0000", 100, 0, false)),
        (PageKeys::PageServed, 1, ("id-0100", 100, 1, false)),
        (PageKeys::PageServed, 2, ("id-0200", 45, 2, true)),
        (PageKeys::Offset, 100, ("id-0100", 100, 200, false)),
    ];
    for (form, key, (first, n, answered, last)) in table {
        let p = Search::from_params(&params(&[("pageKey", &key.to_string())]), 100)
            .unwrap()
            .with_page_keys(form)
            .run(objs.iter());
        assert_eq!(p.items[0].id, first, "{form:?} {key}");
        assert_eq!(
            (p.page_size, p.page_key, p.last_page),
            (n, answered, last),
            "{form:?} {key}"
        );
        let pages = (form != PageKeys::Offset).then_some(3);
        assert_eq!(p.total_pages, pages, "{form:?}");
    }
}

// issue 10 (css)
#[test]
fn error_500_mode_refuses_only_filters_naming_created_time() {
    use crate::config::TimeFilter;
    let search = |f: &str| Search::from_params(&params(&[("filter", f)]), 100).unwrap();
    let timed = search("type==callrecording;createdTime=ge=1725148800000");
    let nested = search("(createdTime=lt=1725148800000,type==voicemail)");
    let untimed = search("type==callrecording");
    let none = Search::from_params(&params(&[]), 100).unwrap();
    assert!(timed.refused_by(TimeFilter::Error500));
    assert!(nested.refused_by(TimeFilter::Error500));
    assert!(!untimed.refused_by(TimeFilter::Error500));
    assert!(!none.refused_by(TimeFilter::Error500));
    assert!(!timed.refused_by(TimeFilter::Ok));
}

#[test]
fn archived_objects_are_listed_only_when_the_filter_asks_for_them() {
    let objs = [
        obj(0, "callrecording", "AVAILABLE", 5),
        obj(1, "callrecording", "ARCHIVED", 5),
        obj(2, "callrecording", "REVOKED", 5),
    ];
    let ids = |f: Option<&str>| -> Vec<String> {
        let p: Vec<(&str, &str)> = f.map(|f| vec![("filter", f)]).unwrap_or_default();
        Search::from_params(&params(&p), 100)
            .unwrap()
            .run(objs.iter())
            .items
            .iter()
            .map(|o| o.id.clone())
            .collect()
    };
    assert_eq!(ids(None), ["id-0000"]);
    assert_eq!(
        ids(Some("(objectState==AVAILABLE,objectState==ARCHIVED)")),
        ["id-0000", "id-0001"]
    );
}
