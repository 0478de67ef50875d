//! Builds the FIQL `filter` for `GET …/objects` from the worker's settings: object types ORed,
//! a `createdTime` window in epoch milliseconds (since inclusive, until exclusive), the object
//! states asked for (issue 10: `AVAILABLE` and `ARCHIVED` with `CSS_RESTORE_ARCHIVED`), ORed,
//! and an optional operator-supplied extra clause ANDed in parentheses. Pure and validating: it
//! rejects values that could change the meaning of the query; it never sends anything.

use chrono::{DateTime, Utc};

use super::CssError;

/// What to search for. Everything optional; an empty filter means "all AVAILABLE objects".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchFilter {
    /// Object types (`callcenterrecording`, …), ORed. Empty: every type.
    pub types: Vec<String>,
    /// `createdTime >= since` (inclusive).
    pub since: Option<DateTime<Utc>>,
    /// `createdTime < until` (exclusive).
    pub until: Option<DateTime<Utc>>,
    /// issue 10 (css): objectStates asked for, ORed (`(objectState==AVAILABLE,objectState==ARCHIVED)`).
    /// Empty: the server's default, AVAILABLE only. Never combined with an `extra` naming
    /// objectState (`crate::config` refuses it).
    pub states: Vec<String>,
    /// A raw FIQL clause ANDed to the rest, e.g. `objectState==AVAILABLE,objectState==REVOKED`.
    pub extra: Option<String>,
}

/// issue 10 (css): true if a raw FIQL clause names `objectState` (the server then lists the
/// states it selects instead of AVAILABLE only).
pub fn names_object_state(extra: &str) -> bool {
    extra.contains("objectState")
}

impl SearchFilter {
    /// The FIQL string, `None` when nothing restricts the search.
    ///
    /// `(type==a,type==b);createdTime=ge=<ms>;createdTime=lt=<ms>;(objectState==A,…);(<extra>)`
    pub fn to_fiql(&self) -> Result<Option<String>, CssError> {
        let mut clauses = Vec::new();

        let mut types: Vec<&str> = Vec::new();
        for t in &self.types {
            let t = t.trim();
            validate_type(t)?;
            if !types.contains(&t) {
                types.push(t);
            }
        }
        match types.as_slice() {
            [] => {}
            [one] => clauses.push(format!("type=={one}")),
            many => {
                let ored: Vec<String> = many.iter().map(|t| format!("type=={t}")).collect();
                clauses.push(format!("({})", ored.join(",")));
            }
        }

        if let (Some(since), Some(until)) = (self.since, self.until) {
            if since >= until {
                return Err(CssError::BadFilter(format!(
                    "empty time window: since {since} is not before until {until}"
                )));
            }
        }
        if let Some(since) = self.since {
            clauses.push(format!("createdTime=ge={}", since.timestamp_millis()));
        }
        if let Some(until) = self.until {
            clauses.push(format!("createdTime=lt={}", until.timestamp_millis()));
        }

        // issue 10 (css)
        let mut states: Vec<&str> = Vec::new();
        for s in &self.states {
            let s = s.trim();
            validate_type(s)?;
            if !states.contains(&s) {
                states.push(s);
            }
        }
        match states.as_slice() {
            [] => {}
            [one] => clauses.push(format!("objectState=={one}")),
            many => {
                let ored: Vec<String> = many.iter().map(|s| format!("objectState=={s}")).collect();
                clauses.push(format!("({})", ored.join(",")));
            }
        }

        if let Some(extra) = self
            .extra
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            validate_extra(extra)?;
            clauses.push(format!("({extra})"));
        }

        Ok((!clauses.is_empty()).then(|| clauses.join(";")))
    }
}

/// Type names are plain identifiers; anything else (FIQL operators `;,()=!<>~`, quotes,
/// spaces, `*` wildcards) would change the query.
fn validate_type(t: &str) -> Result<(), CssError> {
    if t.is_empty() {
        return Err(CssError::BadFilter("empty object type".into()));
    }
    if let Some(c) = t
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(CssError::BadFilter(format!(
            "object type {t:?} contains {c:?}; only letters, digits, '_', '-' and '.' are allowed"
        )));
    }
    Ok(())
}

/// The extra clause must have balanced parentheses (outside quotes) and closed quotes, so
/// wrapping it in `( … )` cannot let it escape the AND.
fn validate_extra(extra: &str) -> Result<(), CssError> {
    let mut depth: i64 = 0;
    let mut quote: Option<char> = None;
    for c in extra.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth < 0 {
                    return Err(CssError::BadFilter(format!(
                        "extra filter {extra:?} closes a parenthesis it never opened"
                    )));
                }
            }
            (None, c) if c.is_control() => {
                return Err(CssError::BadFilter(format!(
                    "extra filter {extra:?} contains a control character"
                )))
            }
            _ => {}
        }
    }
    if quote.is_some() {
        return Err(CssError::BadFilter(format!(
            "extra filter {extra:?} has an unterminated quote"
        )));
    }
    if depth != 0 {
        return Err(CssError::BadFilter(format!(
            "extra filter {extra:?} has unbalanced parentheses"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
    }

    #[test]
    fn empty_filter_is_none() {
        assert_eq!(SearchFilter::default().to_fiql().unwrap(), None);
        let blank = SearchFilter {
            extra: Some("  ".into()),
            ..Default::default()
        };
        assert_eq!(blank.to_fiql().unwrap(), None);
    }

    #[test]
    fn full_filter_matches_documented_shape() {
        let f = SearchFilter {
            types: vec!["callcenterrecording".into(), "screenrecording".into()],
            since: Some(at(2024, 9, 1)),
            until: Some(at(2024, 10, 1)),
            states: vec![],
            extra: Some("objectState==AVAILABLE,objectState==REVOKED".into()),
        };
        assert_eq!(
            f.to_fiql().unwrap().unwrap(),
            "(type==callcenterrecording,type==screenrecording);\
             createdTime=ge=1725148800000;createdTime=lt=1727740800000;\
             (objectState==AVAILABLE,objectState==REVOKED)"
        );
    }

    #[test]
    fn single_type_and_open_window() {
        let f = SearchFilter {
            types: vec!["callrecording".into(), " callrecording ".into()],
            since: Some(at(2024, 9, 1)),
            ..Default::default()
        };
        assert_eq!(
            f.to_fiql().unwrap().unwrap(),
            "type==callrecording;createdTime=ge=1725148800000"
        );
        let until_only = SearchFilter {
            until: Some(at(1970, 1, 2)),
            ..Default::default()
        };
        assert_eq!(
            until_only.to_fiql().unwrap().unwrap(),
            "createdTime=lt=86400000"
        );
    }

    #[test]
    fn reserved_characters_in_types_are_rejected() {
        for bad in [
            "a;b", "a,b", "a)", "(a", "a==b", "a!", "\"a\"", "'a'", "a b", "a*", "",
        ] {
            let f = SearchFilter {
                types: vec![bad.into()],
                ..Default::default()
            };
            let err = f.to_fiql().unwrap_err();
            assert_eq!(err.kind(), "bad_filter", "{bad:?}");
        }
    }

    #[test]
    fn unbalanced_extra_is_rejected() {
        for bad in ["a==1)", "(a==1", "a==1);(b==2", "name==\"x", "a==1\nb==2"] {
            let f = SearchFilter {
                extra: Some(bad.into()),
                ..Default::default()
            };
            assert!(
                matches!(f.to_fiql(), Err(CssError::BadFilter(_))),
                "{bad:?}"
            );
        }
        let ok = SearchFilter {
            extra: Some("name==\"a)b\";(x==1,y==2)".into()),
            ..Default::default()
        };
        assert_eq!(
            ok.to_fiql().unwrap().unwrap(),
            "(name==\"a)b\";(x==1,y==2))"
        );
    }

    // issue 10 (css)
    #[test]
    fn states_are_ored_in_one_clause() {
        let f = SearchFilter {
            types: vec!["voicemail".into()],
            since: Some(at(2024, 9, 1)),
            states: vec!["AVAILABLE".into(), "ARCHIVED".into(), "AVAILABLE".into()],
            ..Default::default()
        };
        assert_eq!(
            f.to_fiql().unwrap().unwrap(),
            "type==voicemail;createdTime=ge=1725148800000;\
             (objectState==AVAILABLE,objectState==ARCHIVED)"
        );
        let bad = SearchFilter {
            states: vec!["A;B".into()],
            ..Default::default()
        };
        assert!(matches!(bad.to_fiql(), Err(CssError::BadFilter(_))));
        assert!(names_object_state("(objectState==REVOKED)"));
        assert!(!names_object_state("type==x"));
    }

    #[test]
    fn empty_window_is_rejected() {
        let f = SearchFilter {
            since: Some(at(2024, 10, 1)),
            until: Some(at(2024, 10, 1)),
            ..Default::default()
        };
        assert!(matches!(f.to_fiql(), Err(CssError::BadFilter(_))));
    }
}
