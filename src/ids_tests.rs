//! Tests of the id-list parser and the outcome ledger.
use super::*;

#[test]
fn parser_table() {
    type Want = Result<(Vec<&'static str>, u64), ParseError>;
    let cases: Vec<(&str, &str, Want)> = vec![
        ("one id", "a1", Ok((vec!["a1"], 0))),
        (
            "blank lines, comments, whitespace, CRLF",
            "\n# header\n  a1  \r\n\t\r\nb-2 # trailing comment\n   # indented comment\n",
            Ok((vec!["a1", "b-2"], 0)),
        ),
        (
            "duplicates collapse, first order kept",
            "b\na\nb\n b \na",
            Ok((vec!["b", "a"], 3)),
        ),
        ("BOM stripped", "\u{feff}x\ny", Ok((vec!["x", "y"], 0))),
        (
            "uuid and CSS token ids",
            "58bc5748-339b-43c2-ad15-572a35dc3aad\nFKC4RF6OXNMGGUW4LIFSWVLEIVJ54JBTVAD3SQYKNFK2ATUQCMAA----\na.b_c~d",
            Ok((
                vec![
                    "58bc5748-339b-43c2-ad15-572a35dc3aad",
                    "FKC4RF6OXNMGGUW4LIFSWVLEIVJ54JBTVAD3SQYKNFK2ATUQCMAA----",
                    "a.b_c~d",
                ],
                0,
            )),
        ),
        ("empty text", "", Err(ParseError::Empty)),
        ("only comments", "# a\n\n  # b", Err(ParseError::Empty)),
        (
            "slash",
            "ok\na/b",
            Err(ParseError::BadId {
                line: 2,
                id: "a/b".into(),
            }),
        ),
        (
            "inner space",
            "a b",
            Err(ParseError::BadId {
                line: 1,
                id: "a b".into(),
            }),
        ),
        (
            "query",
            "a?x=1",
            Err(ParseError::BadId {
                line: 1,
                id: "a?x=1".into(),
            }),
        ),
        (
            "percent",
            "a%2F",
            Err(ParseError::BadId {
                line: 1,
                id: "a%2F".into(),
            }),
        ),
        (
            "dot-dot",
            "..",
            Err(ParseError::BadId {
                line: 1,
                id: "..".into(),
            }),
        ),
        (
            "dot",
            "x\n.",
            Err(ParseError::BadId {
                line: 2,
                id: ".".into(),
            }),
        ),
        (
            "non-ascii",
            "müller",
            Err(ParseError::BadId {
                line: 1,
                id: "müller".into(),
            }),
        ),
    ];
    for (name, text, want) in cases {
        let got = parse(text);
        let want = want.map(|(v, d)| (v.into_iter().map(String::from).collect(), d));
        assert_eq!(got, want, "case {name:?}");
    }
}

#[test]
fn parser_limits() {
    let long = "a".repeat(MAX_ID_LEN + 1);
    assert_eq!(
        parse(&format!("ok\n{long}")),
        Err(ParseError::TooLong { line: 2 })
    );
    assert!(parse(&"a".repeat(MAX_ID_LEN)).is_ok());
    let mut many = String::new();
    for i in 0..=MAX_IDS {
        let _ = writeln!(many, "{i}");
    }
    assert_eq!(parse(&many), Err(ParseError::TooMany));
    // Exactly the maximum, plus duplicates, is fine.
    let at_max: String = many
        .lines()
        .take(MAX_IDS)
        .map(|l| format!("{l}\n{l}\n"))
        .collect();
    let (ids, dups) = parse(&at_max).unwrap();
    assert_eq!((ids.len(), dups), (MAX_IDS, MAX_IDS as u64));
}

fn ledger(ids: &str) -> Ledger {
    Ledger::new(Arc::new(IdList::parse(IdSource::Stdin, ids).unwrap()))
}

#[test]
fn every_id_ends_in_exactly_one_outcome() {
    let l = ledger("a\nb\nc\nd\ne\nf\na");
    l.settle(
        "a",
        Outcome::Exported {
            region: "uk".into(),
        },
    );
    l.settle(
        "b",
        Outcome::Present {
            region: "us-east".into(),
        },
    );
    l.settle("c", Outcome::NotFound);
    l.settle(
        "d",
        Outcome::NotAvailable {
            region: "uk".into(),
            object_state: "REVOKED".into(),
        },
    );
    l.settle(
        "e",
        Outcome::Failed {
            region: Some("uk".into()),
            stage: Stage::Verify,
            reason: "md5 differs".into(),
        },
    );
    let r = l.finish();
    assert_eq!((r.count, r.duplicate_lines), (6, 1));
    assert_eq!(
        r.counts,
        IdCounts {
            exported: 1,
            present: 1,
            failed: 1,
            not_found: 1,
            not_available: 1,
            unsettled: 1,
            other_shard: 0,
        }
    );
    assert_eq!(r.objects[5].outcome, Outcome::Unsettled, "f never settled");
    assert!(r.failing());
    let text = r.to_text();
    assert!(
        text.contains("ID FAILED e in uk at verify: md5 differs"),
        "{text}"
    );
    assert!(text.contains("ID NOT FOUND c"), "{text}");
    assert!(text.contains("ID NOT AVAILABLE d in uk: objectState REVOKED"));
    assert!(text.contains("ID UNSETTLED f"));
    assert!(
        !text.contains(" a "),
        "exported ids are only counted: {text}"
    );

    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["source"], "stdin");
    assert_eq!(json["outcomes"]["not_found"], 1);
    assert_eq!(json["objects"][0]["id"], "a");
    assert_eq!(json["objects"][0]["outcome"], "exported");
    assert_eq!(json["objects"][0]["region"], "uk");
    assert_eq!(json["objects"][3]["object_state"], "REVOKED");
    assert_eq!(json["objects"][4]["stage"], "verify");
    assert_eq!(json["objects"][2]["outcome"], "not_found");

    // A second outcome for one id, or one for an unlisted id, is a conflict, not a change.
    l.settle("f", Outcome::NotFound);
    l.settle("a", Outcome::NotFound);
    l.settle("zzz", Outcome::NotFound);
    let r = l.finish();
    assert_eq!(r.conflicts, 2);
    assert_eq!(r.counts.not_found, 2);
    assert_eq!(r.counts.exported, 1);
    assert!(r.failing(), "conflicts fail the run");
}

#[test]
fn clean_outcomes_do_not_fail() {
    let l = ledger("a\nb\nc");
    l.settle(
        "a",
        Outcome::Exported {
            region: "uk".into(),
        },
    );
    l.settle(
        "b",
        Outcome::Present {
            region: "uk".into(),
        },
    );
    l.settle(
        "c",
        Outcome::NotAvailable {
            region: "uk".into(),
            object_state: "DELETED".into(),
        },
    );
    let r = l.finish();
    assert_eq!(r.counts.total(), 3);
    assert!(!r.failing(), "not_available alone does not fail the run");
    let l = ledger("a");
    l.settle("a", Outcome::NotFound);
    assert!(l.finish().failing(), "not_found fails the run");
}
