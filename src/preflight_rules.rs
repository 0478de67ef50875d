//! Pure rules of `css-sync check`: the steps in order and which step each needs first (a
//! step after a failed prerequisite is skipped, never run), the fix printed under a ✗ for a
//! step and the failure's bounded kind (the env var, permission or URL to look at), what
//! `S3_CONDITIONAL_WRITES` does with the probe's answer, the text lines and the exit code.
//! No I/O here.

use crate::report::exit;
use crate::s3::ConditionalWrites;
use serde::Serialize;
use std::fmt::Write as _;

/// The steps, in the order they run and print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    CssToken,
    CssRegions,
    S3Credentials,
    S3Bucket,
    ProbeWrite,
    Multipart,
    ConditionalWrites,
    ObjectLock,
}

impl Step {
    pub const ALL: [Step; 8] = [
        Step::CssToken,
        Step::CssRegions,
        Step::S3Credentials,
        Step::S3Bucket,
        Step::ProbeWrite,
        Step::Multipart,
        Step::ConditionalWrites,
        Step::ObjectLock,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Step::CssToken => "CSS token",
            Step::CssRegions => "CSS regions",
            Step::S3Credentials => "AWS credentials",
            Step::S3Bucket => "S3 bucket",
            Step::ProbeWrite => "S3 write + delete",
            Step::Multipart => "S3 multipart",
            Step::ConditionalWrites => "conditional writes",
            Step::ObjectLock => "Object Lock",
        }
    }

    /// The step that must have passed before this one runs.
    pub fn needs(self) -> Option<Step> {
        match self {
            Step::CssToken | Step::S3Credentials => None,
            Step::CssRegions => Some(Step::CssToken),
            Step::S3Bucket => Some(Step::S3Credentials),
            Step::ProbeWrite | Step::Multipart | Step::ConditionalWrites | Step::ObjectLock => {
                Some(Step::S3Bucket)
            }
        }
    }
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Passed {
        checked: String,
    },
    Failed {
        checked: String,
        error: String,
        fix: String,
    },
    Skipped {
        reason: String,
    },
}

/// One printed line (and JSON entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub step: Step,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// `Some(reason)` when `step` must be skipped, given the lines so far.
pub fn skip_reason(step: Step, done: &[Line]) -> Option<String> {
    let need = step.needs()?;
    let passed = done
        .iter()
        .any(|l| l.step == need && matches!(l.outcome, Outcome::Passed { .. }));
    (!passed).then(|| format!("needs {} first", need.label()))
}

/// The fix for a CSS failure of `kind` ([`crate::css::CssError::kind`]) at `step`.
pub fn css_fix(step: Step, kind: &str) -> String {
    match kind {
        "auth_rejected" | "unauthorized" => "check CSS_CLIENT_ID and CSS_CLIENT_SECRET (or \
            CSS_CLIENT_SECRET_FILE), and that the API key has the Cloud Storage API assignment"
            .into(),
        "network" | "timeout" | "deadline" => "check CSS_API_BASE (the URL above) and that \
            this host reaches it (DNS, proxy, firewall); CSS_HTTP_TIMEOUT bounds each wait"
            .into(),
        "config" => "check CSS_API_BASE: it must be an http(s) URL".into(),
        "http_429" | "http_5xx" => "CSS answered with a server error: retry later".into(),
        _ if step == Step::CssRegions => "check CSS_REGIONS and CSS_DISCOVERY_REGION: each \
            must be one of the account's regions"
            .into(),
        _ => "check CSS_API_BASE and the API key".into(),
    }
}

/// The permission a step's S3 requests need.
fn permission(step: Step) -> &'static str {
    match step {
        Step::S3Bucket => "s3:ListBucket on the bucket",
        Step::ProbeWrite => "s3:PutObject and s3:DeleteObject under the prefix",
        Step::Multipart => "s3:PutObject and s3:AbortMultipartUpload under the prefix",
        Step::ConditionalWrites => "s3:PutObject and s3:DeleteObject under the prefix",
        Step::ObjectLock => "s3:GetBucketObjectLockConfiguration on the bucket",
        _ => "",
    }
}

/// The fix for an S3 failure of `kind` ([`crate::s3::S3Error::kind`]) at `step`.
pub fn s3_fix(step: Step, kind: &str) -> String {
    match kind {
        "no_credentials" => "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, \
            or web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN), or run where ECS/EC2 \
            instance credentials are available"
            .into(),
        "no_such_bucket" => "create the bucket, or fix S3_BUCKET (and AWS_REGION / \
            AWS_ENDPOINT_URL if it lives elsewhere)"
            .into(),
        "unreachable" => "check AWS_ENDPOINT_URL (or AWS_REGION for AWS S3) and that this \
            host reaches it; S3_CONNECT_TIMEOUT and S3_READ_TIMEOUT bound the wait"
            .into(),
        "object_lock_not_enabled" => "write to a bucket with Object Lock enabled, or unset \
            S3_OBJECT_LOCK_MODE and S3_OBJECT_LOCK_LEGAL_HOLD"
            .into(),
        "config" => "set S3_CONDITIONAL_WRITES=auto (use them where honoured) or off".into(),
        "bad_digest" => "the endpoint refused Content-MD5: something on the way changes \
            request bodies (a proxy?)"
            .into(),
        _ => format!("grant {} to these credentials", permission(step)),
    }
}

/// The conditional-write step from the probe's answer and `S3_CONDITIONAL_WRITES`.
pub fn conditional_outcome(mode: ConditionalWrites, honoured: bool) -> Outcome {
    let checked = |what: &str| Outcome::Passed {
        checked: what.to_string(),
    };
    match (mode, honoured) {
        (ConditionalWrites::Off, _) => conditional_off(),
        (_, true) => checked(
            "If-None-Match: * honoured: sync writes each key once (S3_CONDITIONAL_WRITES=\
             auto/on sends it)",
        ),
        (ConditionalWrites::Auto, false) => checked(
            "If-None-Match: * ignored by the endpoint: S3_CONDITIONAL_WRITES=auto writes \
             without it",
        ),
        (ConditionalWrites::On, false) => Outcome::Failed {
            checked: "If-None-Match: * on PutObject".into(),
            error: "ignored by the endpoint: S3_CONDITIONAL_WRITES=on makes sync exit 3".into(),
            fix: s3_fix(Step::ConditionalWrites, "config"),
        },
    }
}

/// `S3_CONDITIONAL_WRITES=off`: not probed at all.
pub fn conditional_off() -> Outcome {
    Outcome::Skipped {
        reason: "S3_CONDITIONAL_WRITES=off: not probed, never sent".into(),
    }
}

/// 0 when no step failed (skips by configuration allowed), else 3.
pub fn exit_code(lines: &[Line]) -> u8 {
    match lines
        .iter()
        .any(|l| matches!(l.outcome, Outcome::Failed { .. }))
    {
        true => exit::FATAL,
        false => exit::OK,
    }
}

/// One line per step (`✓`, `✗` with the error and the fix, `-` skipped).
pub fn to_text(lines: &[Line]) -> String {
    let mut s = String::new();
    for l in lines {
        let label = l.step.label();
        let _ = match &l.outcome {
            Outcome::Passed { checked } => writeln!(s, "✓ {label:<19} {checked}"),
            Outcome::Failed {
                checked,
                error,
                fix,
            } => writeln!(
                s,
                "✗ {label:<19} {checked}\n    error: {error}\n    fix: {fix}"
            ),
            Outcome::Skipped { reason } => writeln!(s, "- {label:<19} skipped: {reason}"),
        };
    }
    let failed = lines
        .iter()
        .filter(|l| matches!(l.outcome, Outcome::Failed { .. }))
        .count();
    let _ = match failed {
        0 => writeln!(s, "check passed"),
        n => writeln!(s, "check FAILED: {n} step(s)"),
    };
    s
}

#[cfg(test)]
#[path = "preflight_rules_tests.rs"]
mod tests;
