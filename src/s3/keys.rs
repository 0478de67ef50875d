//! Object keys from a template, pure. A template such as the default
//! `region={region}/type={type}/date={date}/{id}{ext}` is parsed once ([`KeyTemplate::parse`]);
//! unknown placeholders and templates without `{id}` are rejected, so every key is unique per
//! object id and stable across runs. Each substituted value is sanitised to the ASCII set
//! `A-Z a-z 0-9 - _ .` (anything else becomes `_`; a value made only of dots becomes
//! underscores; a missing value becomes `unknown`). We keep ASCII only, and leave out `= + : @`
//! from values, because data-lake readers treat those specially: `=` splits Hive partitions,
//! `:` is invalid in Hadoop paths, `+` is decoded as a space by some S3 front ends. The object id
//! is the one value that is never rewritten: an id outside `A-Z a-z 0-9 - _` is an error, since
//! rewriting it could make two ids share a key. The assembled key (prefix included) never starts
//! with `/`, never has an empty, `.` or `..` segment, and leaves room for the sidecar suffix
//! within S3's 1,024-byte limit: a longer key is an error, never a truncation.

use crate::css::model::ObjectRecord;

/// The template used when none is configured: Hive-style partitions, one key per object id.
pub const DEFAULT_KEY_TEMPLATE: &str = "region={region}/type={type}/date={date}/{id}{ext}";
/// S3's limit on a key, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;
/// Appended to an object's key to name its catalog-record sidecar.
pub const SIDECAR_SUFFIX: &str = ".metadata.json";
/// An extension longer than this (without the dot) is not kept.
const MAX_EXT_CHARS: usize = 10;
/// Stands in for a value the record does not carry (no customer id, no such tag).
const MISSING: &str = "unknown";

/// Why a template or a key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("key template has an unknown placeholder {{{0}}}")]
    UnknownPlaceholder(String),
    #[error("key template has an unclosed or stray brace")]
    Unbalanced,
    #[error("key template must contain {{id}}, or keys would not be unique per object")]
    MissingId,
    #[error("key template or prefix has a character outside the safe set: {0:?}")]
    UnsafeLiteral(char),
    #[error("object id {0:?} has characters outside A-Z a-z 0-9 - _")]
    UnsafeId(String),
    #[error("createdTime {0:?} is not an ISO 8601 date-time")]
    BadCreatedTime(String),
    #[error("key has an empty, '.' or '..' segment, or starts with '/'")]
    BadSegment,
    #[error("key is {0} bytes, over the {max} allowed", max = MAX_KEY_BYTES - SIDECAR_SUFFIX.len())]
    TooLong(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Region,
    Type,
    Id,
    ObjectName,
    Ext,
    Date,
    Year,
    Month,
    Day,
    Hour,
    CustomerId,
    UserId,
    MimeType,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Field(Field),
    Tag(String),
}

/// A parsed key template, with the key prefix folded in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyTemplate {
    prefix: String,
    pieces: Vec<Piece>,
}

impl Default for KeyTemplate {
    fn default() -> Self {
        KeyTemplate::parse(DEFAULT_KEY_TEMPLATE).expect("the default template parses")
    }
}

impl KeyTemplate {
    /// Parses a template. Literal text may use the value charset plus `/ = + : @`.
    pub fn parse(template: &str) -> Result<KeyTemplate, KeyError> {
        let mut pieces = Vec::new();
        let mut rest = template;
        while !rest.is_empty() {
            match rest.find(['{', '}']) {
                Some(i) if rest.as_bytes()[i] == b'}' => return Err(KeyError::Unbalanced),
                Some(i) => {
                    push_literal(&mut pieces, &rest[..i])?;
                    let close = rest[i..].find('}').ok_or(KeyError::Unbalanced)? + i;
                    let name = &rest[i + 1..close];
                    if name.contains('{') {
                        return Err(KeyError::Unbalanced);
                    }
                    pieces.push(placeholder(name)?);
                    rest = &rest[close + 1..];
                }
                None => {
                    push_literal(&mut pieces, rest)?;
                    rest = "";
                }
            }
        }
        if !pieces.contains(&Piece::Field(Field::Id)) {
            return Err(KeyError::MissingId);
        }
        Ok(KeyTemplate {
            prefix: String::new(),
            pieces,
        })
    }

    /// Sets the key prefix, normalised to end with `/` unless empty. Leading and trailing
    /// slashes are dropped; the prefix follows the literal charset and segment rules.
    pub fn with_prefix(mut self, prefix: &str) -> Result<KeyTemplate, KeyError> {
        let trimmed = prefix.trim_matches('/');
        if trimmed.is_empty() {
            self.prefix.clear();
            return Ok(self);
        }
        if let Some(c) = trimmed.chars().find(|&c| !is_literal_char(c)) {
            return Err(KeyError::UnsafeLiteral(c));
        }
        if trimmed.split('/').any(bad_segment) {
            return Err(KeyError::BadSegment);
        }
        self.prefix = format!("{trimmed}/");
        Ok(self)
    }

    /// The key prefix (empty, or ending with `/`): every key starts with it.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The key for one catalog record in `region`.
    pub fn render(&self, rec: &ObjectRecord, region: &str) -> Result<String, KeyError> {
        let mut key = self.prefix.clone();
        for piece in &self.pieces {
            match piece {
                Piece::Literal(s) => key.push_str(s),
                Piece::Field(Field::Id) => key.push_str(checked_id(&rec.id)?),
                Piece::Field(Field::Ext) => key.push_str(&extension(&rec.object_name)),
                Piece::Field(f) => {
                    key.push_str(&sanitise(field_value(*f, rec, region)?.as_deref()))
                }
                Piece::Tag(name) => key.push_str(&sanitise(rec.tag(name))),
            }
        }
        if key.starts_with('/') || key.split('/').any(bad_segment) {
            return Err(KeyError::BadSegment);
        }
        if key.len() > MAX_KEY_BYTES - SIDECAR_SUFFIX.len() {
            return Err(KeyError::TooLong(key.len()));
        }
        Ok(key)
    }
}

/// The sidecar (catalog record JSON) key for an object key: `<key>.metadata.json`. With the
/// default template it cannot equal another object's key: ids have no dots and `{ext}` is a
/// single extension, so an object key's last segment has at most one dot.
pub fn sidecar_key(object_key: &str) -> String {
    format!("{object_key}{SIDECAR_SUFFIX}")
}

fn placeholder(name: &str) -> Result<Piece, KeyError> {
    let field = match name {
        "region" => Field::Region,
        "type" => Field::Type,
        "id" => Field::Id,
        "objectName" => Field::ObjectName,
        "ext" => Field::Ext,
        "date" => Field::Date,
        "year" => Field::Year,
        "month" => Field::Month,
        "day" => Field::Day,
        "hour" => Field::Hour,
        "customerId" => Field::CustomerId,
        "userId" => Field::UserId,
        "mimeType" => Field::MimeType,
        _ => {
            return match name.strip_prefix("tag:") {
                Some(tag) if !tag.is_empty() => Ok(Piece::Tag(tag.to_string())),
                _ => Err(KeyError::UnknownPlaceholder(name.to_string())),
            }
        }
    };
    Ok(Piece::Field(field))
}

fn push_literal(pieces: &mut Vec<Piece>, s: &str) -> Result<(), KeyError> {
    if let Some(c) = s.chars().find(|&c| !is_literal_char(c)) {
        return Err(KeyError::UnsafeLiteral(c));
    }
    if !s.is_empty() {
        pieces.push(Piece::Literal(s.to_string()));
    }
    Ok(())
}

fn is_value_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

fn is_literal_char(c: char) -> bool {
    is_value_char(c) || matches!(c, '/' | '=' | '+' | ':' | '@')
}

fn bad_segment(seg: &str) -> bool {
    seg.is_empty() || seg == "." || seg == ".."
}

/// Maps a value into the safe charset; see the module docs.
pub(crate) fn sanitise(value: Option<&str>) -> String {
    let v = value.unwrap_or("").trim();
    if v.is_empty() {
        return MISSING.to_string();
    }
    let out: String = v
        .chars()
        .map(|c| if is_value_char(c) { c } else { '_' })
        .collect();
    if out.chars().all(|c| c == '.') {
        return "_".repeat(out.len());
    }
    out
}

fn checked_id(id: &str) -> Result<&str, KeyError> {
    let ok = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then_some(id)
        .ok_or_else(|| KeyError::UnsafeId(id.to_string()))
}

/// `.ext` (lower-cased) from the last segment of an object name; empty when there is none
/// or it is not 1–10 ASCII letters and digits.
fn extension(object_name: &str) -> String {
    let base = object_name.trim().rsplit(['/', '\\']).next().unwrap_or("");
    match base.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && !ext.is_empty()
                && ext.len() <= MAX_EXT_CHARS
                && ext.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            format!(".{}", ext.to_ascii_lowercase())
        }
        _ => String::new(),
    }
}

fn field_value(f: Field, rec: &ObjectRecord, region: &str) -> Result<Option<String>, KeyError> {
    use chrono::{Datelike, Timelike};
    let created = || parse_created(&rec.created_time);
    Ok(match f {
        Field::Region => Some(region.to_string()),
        Field::Type => Some(rec.object_type.clone()),
        Field::ObjectName => Some(rec.object_name.clone()),
        Field::CustomerId => rec.customer_id.clone(),
        Field::UserId => rec.user_id.clone(),
        Field::MimeType => rec.mime_type.clone(),
        Field::Date => Some(created()?.format("%Y-%m-%d").to_string()),
        Field::Year => Some(format!("{:04}", created()?.year())),
        Field::Month => Some(format!("{:02}", created()?.month())),
        Field::Day => Some(format!("{:02}", created()?.day())),
        Field::Hour => Some(format!("{:02}", created()?.hour())),
        Field::Id | Field::Ext => None, // handled by the caller
    })
}

/// `createdTime` as UTC: without offset (the CSS form, UTC by contract) or RFC 3339.
pub(crate) fn parse_created(s: &str) -> Result<chrono::NaiveDateTime, KeyError> {
    let s = s.trim();
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| chrono::DateTime::parse_from_rfc3339(s).map(|d| d.naive_utc()))
        .map_err(|_| KeyError::BadCreatedTime(s.to_string()))
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
