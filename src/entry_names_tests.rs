use super::*;

fn rec(id: &str, name: &str) -> ObjectRecord {
    serde_json::from_value(serde_json::json!({
        "id": id, "type": "callrecording", "objectName": name,
        "storedBytes": 1, "createdTime": "2024-01-01T00:00:00"
    }))
    .unwrap()
}

fn id(r: Resolved<'_>) -> String {
    match r {
        Resolved::Exact(r) => format!("exact:{}", r.id),
        Resolved::Suffix(r) => format!("suffix:{}", r.id),
        Resolved::Ambiguous(n) => format!("ambiguous:{n}"),
        Resolved::Unknown => "unknown".into(),
    }
}

#[test]
fn resolves_exact_then_unique_boundary_suffix() {
    let records = vec![
        rec("a", "int-1/phone-00.mp3"),
        rec("b", "calls:2024:rec-7.wav"),
        rec("c", "x/dup.mp3"),
        rec("d", "y:dup.mp3"),
        rec("e", "plain.mp3"),
        rec("f", "deep/er/path/v.mp3"),
        rec("g", "dup.mp3"),
        rec("h", "notaboundaryv.mp3"),
    ];
    let names = EntryNames::new(&records);
    let table = [
        ("int-1/phone-00.mp3", "exact:a"),
        ("phone-00.mp3", "suffix:a"),
        ("rec-7.wav", "suffix:b"),
        ("2024:rec-7.wav", "suffix:b"),
        ("plain.mp3", "exact:e"),
        // Exact beats the suffixes of x/dup.mp3 and y:dup.mp3.
        ("dup.mp3", "exact:g"),
        ("v.mp3", "suffix:f"),
        ("path/v.mp3", "suffix:f"),
        ("er/path/v.mp3", "suffix:f"),
        // Not at a boundary: "ath/v.mp3" is not a segment suffix.
        ("ath/v.mp3", "unknown"),
        ("boundaryv.mp3", "unknown"),
        ("other.mp3", "unknown"),
        ("", "unknown"),
        ("dir/", "unknown"),
        ("/phone-00.mp3", "unknown"),
        ("zz/phone-00.mp3", "unknown"),
    ];
    for (entry, want) in table {
        assert_eq!(id(names.resolve(entry.as_bytes())), want, "{entry:?}");
    }
}

#[test]
fn a_suffix_shared_by_several_records_is_ambiguous() {
    let records = vec![
        rec("a", "x/dup.mp3"),
        rec("b", "y:dup.mp3"),
        rec("c", "z/w/dup.mp3"),
    ];
    let names = EntryNames::new(&records);
    assert_eq!(id(names.resolve(b"dup.mp3")), "ambiguous:3");
    assert_eq!(id(names.resolve(b"w/dup.mp3")), "suffix:c");
    assert_eq!(names.resolve(b"dup.mp3").record(), None);
    assert_eq!(
        names.resolve(b"x/dup.mp3").record().map(|r| &*r.id),
        Some("a")
    );
}

#[test]
fn last_segment_splits_at_slash_or_colon() {
    let table: [(&[u8], &[u8]); 6] = [
        (b"a/b/c.mp3", b"c.mp3"),
        (b"a:b:c.mp3", b"c.mp3"),
        (b"a/b:c.mp3", b"c.mp3"),
        (b"c.mp3", b"c.mp3"),
        (b"a/", b""),
        (b"", b""),
    ];
    for (name, want) in table {
        assert_eq!(last_segment(name), want);
    }
}
