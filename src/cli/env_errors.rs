//! Clap's value errors say which flag was wrong (`--sidecar <SIDECAR>`) even when the user set
//! the environment variable (`S3_SIDECAR`) and never typed the flag. This module rewrites such
//! a message to name the variable first; it never changes the error's kind or exit code (2),
//! and it never prints a value clap did not already print.

use clap::error::{ContextKind, ContextValue};

/// The environment variable behind the flag clap names in `invalid_arg` (`--sidecar
/// <SIDECAR>`), if the flag has one, is set in the environment (`is_set`) and was not given
/// on the command line (`argv`).
pub fn env_source(
    cmd: &clap::Command,
    invalid_arg: &str,
    argv: &[String],
    is_set: impl Fn(&str) -> bool,
) -> Option<String> {
    let long = invalid_arg.split_whitespace().next()?.strip_prefix("--")?;
    let env = find_env(cmd, long)?;
    let typed = argv
        .iter()
        .any(|a| a == &format!("--{long}") || a.starts_with(&format!("--{long}=")));
    (!typed && is_set(&env)).then_some(env)
}

/// The `env` of the flag `--long` anywhere in the command tree.
fn find_env(cmd: &clap::Command, long: &str) -> Option<String> {
    cmd.get_arguments()
        .find(|a| a.get_long() == Some(long))
        .and_then(|a| a.get_env())
        .map(|e| e.to_string_lossy().into_owned())
        .or_else(|| cmd.get_subcommands().find_map(|s| find_env(s, long)))
}

/// The message of `err`, naming the environment variable when the bad value came from one.
pub fn render(
    err: &clap::Error,
    cmd: &clap::Command,
    argv: &[String],
    is_set: impl Fn(&str) -> bool,
) -> String {
    let mut text = err.to_string();
    let mut args: Vec<&str> = Vec::new();
    for kind in [ContextKind::InvalidArg, ContextKind::PriorArg] {
        match err.get(kind) {
            Some(ContextValue::String(a)) => args.push(a),
            Some(ContextValue::Strings(v)) => args.extend(v.iter().map(String::as_str)),
            _ => {}
        }
    }
    for arg in args {
        if let Some(env) = env_source(cmd, arg, argv, &is_set) {
            text = text.replacen(&format!("'{arg}'"), &format!("{env} ('{arg}')"), 1);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::{CommandFactory, Parser};

    fn argv(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names_the_variable_only_when_it_was_the_source() {
        let cmd = Cli::command();
        let set = |name: &str| name == "S3_SIDECAR";
        let plain = argv(&["css-sync", "sync"]);
        let typed = argv(&["css-sync", "sync", "--sidecar", "maybe"]);
        let typed_eq = argv(&["css-sync", "sync", "--sidecar=maybe"]);
        for (arg, argv, want) in [
            ("--sidecar <SIDECAR>", &plain, Some("S3_SIDECAR")),
            ("--sidecar <SIDECAR>", &typed, None),
            ("--sidecar <SIDECAR>", &typed_eq, None),
            ("--page-size <PAGE_SIZE>", &plain, None), // CSS_PAGE_SIZE not set
            ("--confirm", &plain, None),               // no env at all
            ("<IDS>", &plain, None),
        ] {
            assert_eq!(env_source(&cmd, arg, argv, set).as_deref(), want, "{arg}");
        }
    }

    #[test]
    fn rewrites_the_clap_message() {
        let cmd = Cli::command();
        let err = Cli::try_parse_from(["css-sync", "sync", "--sidecar", "maybe"]).unwrap_err();
        let text = render(&err, &cmd, &argv(&["css-sync", "sync"]), |n| {
            n == "S3_SIDECAR"
        });
        assert!(
            text.contains("invalid value 'maybe' for S3_SIDECAR ('--sidecar <SIDECAR>')"),
            "{text}"
        );
        let text = render(
            &err,
            &cmd,
            &argv(&["css-sync", "sync", "--sidecar", "x"]),
            |_| true,
        );
        assert!(!text.contains("S3_SIDECAR"), "{text}");
        assert_eq!(err.exit_code(), 2);
    }
}
