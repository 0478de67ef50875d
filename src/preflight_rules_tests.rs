use super::*;

fn passed(step: Step) -> Line {
    Line {
        step,
        outcome: Outcome::Passed {
            checked: "ok".into(),
        },
    }
}

fn failed(step: Step) -> Line {
    Line {
        step,
        outcome: Outcome::Failed {
            checked: "x".into(),
            error: "e".into(),
            fix: "f".into(),
        },
    }
}

#[test]
fn a_failed_prerequisite_skips_what_needs_it() {
    let done = [failed(Step::CssToken), passed(Step::S3Credentials)];
    assert_eq!(
        skip_reason(Step::CssRegions, &done).as_deref(),
        Some("needs CSS token first")
    );
    assert_eq!(skip_reason(Step::S3Bucket, &done), None);
    assert_eq!(skip_reason(Step::S3Credentials, &done), None);
    let bucket_failed = [passed(Step::S3Credentials), failed(Step::S3Bucket)];
    for step in [
        Step::ProbeWrite,
        Step::Multipart,
        Step::ConditionalWrites,
        Step::ObjectLock,
    ] {
        assert_eq!(
            skip_reason(step, &bucket_failed).as_deref(),
            Some("needs S3 bucket first"),
            "{step:?}"
        );
    }
    // Every step's prerequisite runs before it.
    for (i, step) in Step::ALL.iter().enumerate() {
        if let Some(need) = step.needs() {
            assert!(Step::ALL[..i].contains(&need), "{step:?}");
        }
    }
}

#[test]
fn fixes_name_the_variable_or_permission() {
    let table = [
        (
            css_fix(Step::CssToken, "auth_rejected"),
            "CSS_CLIENT_SECRET",
        ),
        (css_fix(Step::CssToken, "network"), "CSS_API_BASE"),
        (css_fix(Step::CssRegions, "not_found"), "CSS_REGIONS"),
        (css_fix(Step::CssRegions, "http_5xx"), "retry later"),
        (
            s3_fix(Step::S3Credentials, "no_credentials"),
            "AWS_ACCESS_KEY_ID",
        ),
        (s3_fix(Step::S3Bucket, "no_such_bucket"), "S3_BUCKET"),
        (s3_fix(Step::S3Bucket, "access_denied"), "s3:ListBucket"),
        (s3_fix(Step::S3Bucket, "unreachable"), "AWS_ENDPOINT_URL"),
        (s3_fix(Step::ProbeWrite, "access_denied"), "s3:DeleteObject"),
        (
            s3_fix(Step::Multipart, "request"),
            "s3:AbortMultipartUpload",
        ),
        (
            s3_fix(Step::ObjectLock, "object_lock_not_enabled"),
            "S3_OBJECT_LOCK_MODE",
        ),
    ];
    for (fix, want) in table {
        assert!(fix.contains(want), "{fix:?} should name {want}");
    }
}

#[test]
fn conditional_writes_outcome_follows_the_mode() {
    use ConditionalWrites::*;
    let is = |o: &Outcome| match o {
        Outcome::Passed { .. } => "passed",
        Outcome::Failed { .. } => "failed",
        Outcome::Skipped { .. } => "skipped",
    };
    let table = [
        (Auto, true, "passed", "honoured"),
        (On, true, "passed", "honoured"),
        (Auto, false, "passed", "ignored"),
        (On, false, "failed", "exit 3"),
        (Off, true, "skipped", "off"),
        (Off, false, "skipped", "off"),
    ];
    for (mode, honoured, want, says) in table {
        let o = conditional_outcome(mode, honoured);
        assert_eq!(is(&o), want, "{mode:?} {honoured}");
        let text = format!("{o:?}");
        assert!(text.contains(says), "{text} should say {says}");
    }
}

#[test]
fn exit_code_and_text() {
    let lines = vec![
        passed(Step::CssToken),
        failed(Step::S3Bucket),
        Line {
            step: Step::ProbeWrite,
            outcome: Outcome::Skipped {
                reason: "needs S3 bucket first".into(),
            },
        },
    ];
    assert_eq!(exit_code(&lines), exit::FATAL);
    assert_eq!(exit_code(&lines[..1]), exit::OK);
    let text = to_text(&lines);
    assert_eq!(
        text,
        "✓ CSS token           ok\n\
         ✗ S3 bucket           x\n    error: e\n    fix: f\n\
         - S3 write + delete   skipped: needs S3 bucket first\n\
         check FAILED: 1 step(s)\n"
    );
    let json = serde_json::to_value(&lines[1]).unwrap();
    assert_eq!(json["step"], "s3_bucket");
    assert_eq!(json["status"], "failed");
    assert_eq!(json["fix"], "f");
}
