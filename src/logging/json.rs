//! Issue 7 (logs): the JSON line format. Each event is one object on one line, in the layout
//! of tracing-subscriber's own JSON formatter (`timestamp`, `level`, `target`, `fields` with
//! `message`) plus `run_id` at the top. A field logged with `?` whose Debug text is a JSON
//! array or object — what [`AsJson`] produces for any `Serialize` value, e.g.
//! `regions = ?AsJson(&regions)` — is written as that JSON value, not as a string; numbers and
//! booleans stay numbers and booleans. Spans are not recorded (css-sync opens none; the run id
//! is stamped from [`super::run_id`] instead, so spawned tasks carry it too). This module only
//! formats; it never writes.

use serde_json::{Map, Value};
use std::fmt;
use tracing::field::{Field, Visit};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// A `Serialize` value whose Debug text is its compact JSON, so [`JsonLines`] logs it as a
/// JSON value (and text logs show it as JSON too).
pub struct AsJson<T>(pub T);

impl<T: serde::Serialize> fmt::Debug for AsJson<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match serde_json::to_string(&self.0) {
            Ok(s) => f.write_str(&s),
            Err(_) => f.write_str("null"),
        }
    }
}

/// The [`FormatEvent`] of `LOG_FORMAT=json`.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> fmt::Result {
        let mut fields = Map::new();
        event.record(&mut Fields(&mut fields));
        let meta = event.metadata();
        let line = object(meta.level().as_str(), meta.target(), fields);
        writeln!(writer, "{line}")
    }
}

/// One line: `{"timestamp", "level", "target", "run_id"?, "fields"}` as compact JSON.
fn object(level: &str, target: &str, fields: Map<String, Value>) -> String {
    let mut o = Map::new();
    o.insert("timestamp".into(), Value::String(now()));
    o.insert("level".into(), Value::String(level.into()));
    o.insert("target".into(), Value::String(target.into()));
    if let Some(id) = super::run_id() {
        o.insert("run_id".into(), Value::String(id));
    }
    o.insert("fields".into(), Value::Object(fields));
    Value::Object(o).to_string()
}

/// A line with only a message, for text written outside a subscriber (ends with `\n`).
pub fn line(level: &str, target: &str, message: &str) -> String {
    let mut fields = Map::new();
    fields.insert("message".into(), Value::String(message.into()));
    line_with(level, target, fields)
}

/// A line with these fields, for records written outside a subscriber (ends with `\n`).
pub fn line_with(level: &str, target: &str, fields: Map<String, Value>) -> String {
    object(level, target, fields) + "\n"
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// An event's fields as JSON values.
struct Fields<'a>(&'a mut Map<String, Value>);

impl Fields<'_> {
    fn put(&mut self, field: &Field, v: Value) {
        self.0.insert(field.name().to_string(), v);
    }
}

/// The JSON value of a field's Debug text: the array or object it spells, else the text.
pub fn debug_value(name: &str, text: String) -> Value {
    if name != "message" && text.starts_with(['[', '{']) {
        if let Ok(v) = serde_json::from_str::<Value>(&text) {
            return v;
        }
    }
    Value::String(text)
}

impl Visit for Fields<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        let v = serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number);
        self.put(field, v);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::Bool(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::String(value.to_string()));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, Value::String(crate::failure::error_chain(value)));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let v = debug_value(field.name(), format!("{value:?}"));
        self.put(field, v);
    }
}
