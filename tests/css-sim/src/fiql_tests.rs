//! Unit tests for the FIQL parser and evaluator (precedence, groups, operators, errors).

use super::*;
use std::collections::HashMap;

struct Rec(HashMap<&'static str, Value>);

impl Fields for Rec {
    fn field(&self, name: &str) -> Option<Value> {
        self.0.get(name).cloned()
    }
}

fn rec() -> Rec {
    Rec(HashMap::from([
        ("type", Value::Text("callcenterrecording".into())),
        ("duration", Value::Text("1271000".into())),
        ("createdTime", Value::Num(1_656_048_155_000.0)),
        ("storedBytes", Value::Num(3_644_352.0)),
        (
            "sourceObjectType",
            Value::Text("callcenterrecording".into()),
        ),
        (
            "objectName",
            Value::Text("ipbx:acme:callrecording:users:1:1-2-3-+16695555518_E.mp3".into()),
        ),
    ]))
}

fn cmp(f: &str, op: Op, v: &str) -> Expr {
    Expr::Cmp {
        field: f.into(),
        op,
        value: v.into(),
    }
}

#[test]
fn parses_all_operators() {
    for (s, op) in [
        ("a==1", Op::Eq),
        ("a!=1", Op::Ne),
        ("a=gt=1", Op::Gt),
        ("a=ge=1", Op::Ge),
        ("a=lt=1", Op::Lt),
        ("a=le=1", Op::Le),
    ] {
        assert_eq!(parse(s).unwrap(), cmp("a", op, "1"), "{s}");
    }
}

#[test]
fn and_binds_tighter_than_or() {
    let e = parse("a==1,b==2;c==3").unwrap();
    assert_eq!(
        e,
        Expr::Or(vec![
            cmp("a", Op::Eq, "1"),
            Expr::And(vec![cmp("b", Op::Eq, "2"), cmp("c", Op::Eq, "3")])
        ])
    );
    let g = parse("(a==1,b==2);c==3").unwrap();
    assert_eq!(
        g,
        Expr::And(vec![
            Expr::Or(vec![cmp("a", Op::Eq, "1"), cmp("b", Op::Eq, "2")]),
            cmp("c", Op::Eq, "3")
        ])
    );
}

#[test]
fn guide_examples_parse_and_match() {
    let r = rec();
    assert!(parse("type==callcenterrecording;duration=gt=100")
        .unwrap()
        .matches(&r));
    assert!(!parse("type==callrecording;duration=gt=100")
        .unwrap()
        .matches(&r));
    assert!(
        parse("type==callrecording,(type==callcenterrecording;duration=gt=100)")
            .unwrap()
            .matches(&r)
    );
    assert!(
        parse("type==transcription,sourceObjectType==callcenterrecording")
            .unwrap()
            .matches(&r)
    );
    let (from, to) = ("1656000000000", "1656100000000");
    let f = format!("createdTime=ge={from};createdTime=le={to}");
    assert!(parse(&f).unwrap().matches(&r));
    assert!(!parse("createdTime=gt=1656048155000").unwrap().matches(&r));
    assert!(parse("createdTime=ge=1656048155000").unwrap().matches(&r));
}

#[test]
fn numeric_versus_text_comparison() {
    let r = rec();
    // numeric: 1271000 > 999 although "1271000" < "999" as text
    assert!(parse("duration=gt=999").unwrap().matches(&r));
    // text when one side is not a number
    assert!(parse("type=gt=callA").unwrap().matches(&r));
    assert!(parse("type=lt=d").unwrap().matches(&r));
    assert!(parse("storedBytes=le=3644352;storedBytes=ge=3644352")
        .unwrap()
        .matches(&r));
}

#[test]
fn missing_field_only_matches_not_equal() {
    let r = rec();
    assert!(!parse("nosuch==x").unwrap().matches(&r));
    assert!(parse("nosuch!=x").unwrap().matches(&r));
    assert!(!parse("nosuch=gt=0").unwrap().matches(&r));
}

#[test]
fn values_keep_colons_plus_and_equals() {
    let e = parse("objectName==ipbx:acme:callrecording:users:1:1-2-3-+16695555518_E.mp3").unwrap();
    assert!(e.matches(&rec()));
    assert_eq!(parse("a==b=c").unwrap(), cmp("a", Op::Eq, "b=c"));
}

#[test]
fn wildcards() {
    let r = rec();
    assert!(parse("objectName==ipbx:*_E.mp3").unwrap().matches(&r));
    assert!(parse("objectName==*+1669*").unwrap().matches(&r));
    assert!(!parse("objectName==*.wav").unwrap().matches(&r));
    assert!(parse("objectName!=*.wav").unwrap().matches(&r));
}

#[test]
fn errors_name_positions() {
    let e = parse("type==a;").unwrap_err();
    assert_eq!(e.pos, 8);
    assert!(e.to_string().contains("position 8"), "{e}");
    let e = parse("type=like=a").unwrap_err();
    assert_eq!(e.pos, 4);
    assert!(e.msg.contains("=like="), "{e}");
    let e = parse("(type==a").unwrap_err();
    assert_eq!(e.pos, 8);
    assert!(e.msg.contains("')'"));
    let e = parse("type==").unwrap_err();
    assert_eq!(e.pos, 6);
    let e = parse("==a").unwrap_err();
    assert_eq!(e.pos, 0);
    let e = parse("type").unwrap_err();
    assert_eq!(e.pos, 4);
    let e = parse("a==1)").unwrap_err();
    assert_eq!(e.pos, 4);
    assert!(parse("").is_err());
    assert!(parse("a==1,,b==2").is_err());
}

#[test]
fn mentions_and_comparisons() {
    let e = parse("type==a;(objectState==REVOKED,objectState==AVAILABLE)").unwrap();
    assert!(e.mentions("objectState"));
    assert!(!e.mentions("state"));
    assert_eq!(e.comparisons().len(), 3);
}

#[test]
fn sort_order_helper() {
    use std::cmp::Ordering::*;
    let n = |x: f64| Some(Value::Num(x));
    let t = |s: &str| Some(Value::Text(s.into()));
    assert_eq!(order(&n(2.0), &n(10.0)), Less);
    assert_eq!(order(&t("2"), &t("10")), Less);
    assert_eq!(order(&t("b"), &t("a")), Greater);
    assert_eq!(order(&None, &t("a")), Less);
}
