//! issue 10 (css): which objectStates the catalog search asks for. By default none (the server
//! then lists AVAILABLE objects only); with `CSS_RESTORE_ARCHIVED` AVAILABLE or ARCHIVED, as
//! one ORed clause. An operator `CSS_FILTER` that names objectState is refused together with
//! `CSS_RESTORE_ARCHIVED` rather than merged: ANDing two state selections could silently
//! select nothing (or not ARCHIVED), and rewriting the operator's FIQL would change what they
//! wrote. Pure; it reads nothing and sends nothing.

use crate::css::fiql::names_object_state;

/// The states to ask for, or the reason the combination is refused.
pub fn search_states(restore_archived: bool, extra: Option<&str>) -> Result<Vec<String>, String> {
    if !restore_archived {
        return Ok(vec![]);
    }
    if extra.is_some_and(names_object_state) {
        return Err(
            "CSS_RESTORE_ARCHIVED=true asks for objectState AVAILABLE or ARCHIVED itself: \
                    remove objectState from CSS_FILTER, or leave CSS_RESTORE_ARCHIVED off"
                .into(),
        );
    }
    Ok(vec!["AVAILABLE".into(), "ARCHIVED".into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_per_flag_and_filter() {
        let both = Ok(vec!["AVAILABLE".to_string(), "ARCHIVED".to_string()]);
        type Row<'a> = (bool, Option<&'a str>, Result<Vec<String>, ()>);
        let table: &[Row] = &[
            (false, None, Ok(vec![])),
            (false, Some("objectState==REVOKED"), Ok(vec![])),
            (true, None, both.clone()),
            (true, Some("duration=gt=10"), both),
            (
                true,
                Some("(objectState==AVAILABLE,objectState==REVOKED)"),
                Err(()),
            ),
        ];
        for (flag, extra, want) in table {
            let got = search_states(*flag, *extra).map_err(|_| ());
            assert_eq!(&got, want, "{flag} {extra:?}");
        }
    }
}
