use super::json::{debug_value, line_with, AsJson};
use super::*;
use serde_json::{json, Value};
use std::ffi::OsStr;

#[test]
fn colours_only_on_a_terminal_without_no_color() {
    let table: &[(bool, Option<&str>, bool)] = &[
        (true, None, true),
        (true, Some(""), true),
        (true, Some("1"), false),
        (true, Some("0"), false),
        (false, None, false),
        (false, Some("1"), false),
    ];
    for &(tty, no_color, want) in table {
        assert_eq!(
            ansi_enabled(tty, no_color.map(OsStr::new)),
            want,
            "{tty} {no_color:?}"
        );
    }
}

#[test]
fn format_guessed_before_clap_parses() {
    let argv = |s: &str| -> Vec<String> { s.split(' ').map(String::from).collect() };
    let table: &[(&str, Option<&str>, LogFormat)] = &[
        ("css-sync sync", None, LogFormat::Text),
        ("css-sync sync", Some("json"), LogFormat::Json),
        ("css-sync sync", Some("xml"), LogFormat::Text),
        ("css-sync sync --log-format json", None, LogFormat::Json),
        (
            "css-sync sync --log-format=json",
            Some("text"),
            LogFormat::Json,
        ),
        (
            "css-sync sync --log-format text",
            Some("json"),
            LogFormat::Text,
        ),
        ("css-sync sync --log-format", Some("json"), LogFormat::Json),
        ("css-sync --log-format-x json", None, LogFormat::Text),
    ];
    for &(args, env, want) in table {
        assert_eq!(guess_format(&argv(args), env), want, "{args} {env:?}");
    }
}

#[test]
fn debug_text_that_is_json_becomes_json() {
    let regions = vec!["us-east".to_string(), "uk".to_string()];
    let text = format!("{:?}", AsJson(&regions));
    assert_eq!(text, r#"["us-east","uk"]"#);
    assert_eq!(debug_value("regions", text), json!(["us-east", "uk"]));
    // Even odd strings are exact through AsJson (plain Debug escapes them the Rust way).
    let odd = vec!["a\u{1b}b\"c".to_string()];
    assert_eq!(
        debug_value("x", format!("{:?}", AsJson(&odd))),
        json!(["a\u{1b}b\"c"])
    );
    assert_eq!(
        debug_value("x", format!("{:?}", odd)),
        Value::String(r#"["a\u{1b}b\"c"]"#.into())
    );
    let table: &[(&str, &str, Value)] = &[
        ("x", "[1, 2]", json!([1, 2])),
        ("x", r#"{"a":1}"#, json!({"a": 1})),
        ("x", "Some([1])", json!("Some([1])")),
        ("x", "[not json", json!("[not json")),
        ("x", "12", json!("12")),
        ("message", "[1]", json!("[1]")),
    ];
    for (name, text, want) in table {
        assert_eq!(&debug_value(name, text.to_string()), want, "{name} {text}");
    }
}

#[test]
fn a_line_is_one_json_object_with_the_run_id() {
    let id = RunId::from_parts(chrono::Utc::now(), 0xabc);
    set_run_id(&id);
    let mut fields = serde_json::Map::new();
    fields.insert("message".into(), "multi\nline".into());
    fields.insert("regions".into(), json!(["a"]));
    let line = line_with("INFO", "css_sync::summary", fields);
    assert!(line.ends_with('\n'));
    assert_eq!(line.matches('\n').count(), 1, "one line: {line}");
    let v: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["run_id"], id.as_str());
    assert_eq!(v["level"], "INFO");
    assert_eq!(v["target"], "css_sync::summary");
    assert_eq!(v["fields"]["message"], "multi\nline");
    assert_eq!(v["fields"]["regions"], json!(["a"]));
    assert!(v["timestamp"].as_str().unwrap().ends_with('Z'));
}
