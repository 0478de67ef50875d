//! `css-sync check`, top to bottom: the preflight of a sync with the same settings. CSS: the
//! OAuth token, then the regions (discovery, or each configured region answering and being
//! one of the account's). S3: the credential chain, `HeadBucket`, a probe object put and
//! deleted under `<prefix>_css-sync/check/<run-id>`, a multipart upload created, given one
//! part and aborted, the conditional-write probe (`S3_CONDITIONAL_WRITES`), and Object Lock
//! when it is asked for. Each step becomes one [`Line`]; which steps are skipped, the fixes
//! and the exit code are [`crate::preflight_rules`]. Every probe cleans up after itself;
//! nothing else is written.

use crate::config::Settings;
use crate::css::safe_url;
use crate::css::{CssClient, CssError};
use crate::failure::error_chain;
use crate::preflight_rules::{self as rules, Line, Outcome, Step};
use crate::run_id::RunId;
use crate::s3::probe::WriteProbe;
use crate::s3::{S3Error, S3Target};
use serde::Serialize;

/// The JSON report of `css-sync check`.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub command: &'static str,
    pub run_id: String,
    pub steps: Vec<Line>,
    pub passed: bool,
}

impl CheckReport {
    pub fn exit_code(&self) -> u8 {
        rules::exit_code(&self.steps)
    }

    pub fn to_text(&self) -> String {
        rules::to_text(&self.steps)
    }
}

fn css_failed(step: Step, checked: String, e: &CssError) -> Outcome {
    Outcome::Failed {
        checked,
        error: error_chain(e),
        fix: rules::css_fix(step, e.kind()),
    }
}

fn s3_failed(step: Step, checked: String, e: &S3Error) -> Outcome {
    Outcome::Failed {
        checked,
        error: error_chain(e),
        fix: rules::s3_fix(step, e.kind()),
    }
}

/// The steps that run once their prerequisite passed.
struct Steps {
    lines: Vec<Line>,
}

impl Steps {
    /// `true` when `step` may run; otherwise its skipped line is recorded.
    fn may_run(&mut self, step: Step) -> bool {
        match rules::skip_reason(step, &self.lines) {
            Some(reason) => {
                self.push(step, Outcome::Skipped { reason });
                false
            }
            None => true,
        }
    }

    fn push(&mut self, step: Step, outcome: Outcome) {
        self.lines.push(Line { step, outcome });
    }
}

/// Runs every step in order; the probes are named after `run_id` (the process's, on every
/// log line).
pub async fn run(settings: &Settings, run_id: &RunId) -> CheckReport {
    let mut steps = Steps { lines: vec![] };
    check_css(settings, &mut steps).await;
    check_s3(settings, run_id, &mut steps).await;
    CheckReport {
        command: "check",
        run_id: run_id.to_string(),
        passed: rules::exit_code(&steps.lines) == crate::report::exit::OK,
        steps: steps.lines,
    }
}

async fn check_css(settings: &Settings, steps: &mut Steps) {
    let base = &settings.css.api_base;
    // As the client builds it: {base}/oauth/v2/token (the base's path kept).
    let mut url = base.clone();
    url.set_path(&format!(
        "{}/oauth/v2/token",
        base.path().trim_end_matches('/')
    ));
    let token_url = safe_url(&url);
    let checked = format!("OAuth client-credentials token from {token_url}");
    let css = match CssClient::new(settings.css.clone()) {
        Ok(c) => c,
        Err(e) => return steps.push(Step::CssToken, css_failed(Step::CssToken, checked, &e)),
    };
    let outcome = match css.check_token().await {
        Ok(()) => Outcome::Passed { checked },
        Err(e) => css_failed(Step::CssToken, checked, &e),
    };
    steps.push(Step::CssToken, outcome);
    if !steps.may_run(Step::CssRegions) {
        return;
    }
    let run = &settings.run;
    let outcome = if run.regions.is_empty() {
        let checked = format!("region discovery via {}", run.discovery_region);
        match css.regions_via(&run.discovery_region).await {
            Ok(found) => Outcome::Passed {
                checked: format!("{checked}: {}", found.join(", ")),
            },
            Err(e) => css_failed(Step::CssRegions, checked, &e),
        }
    } else {
        configured_regions(&css, &run.regions).await
    };
    steps.push(Step::CssRegions, outcome);
}

/// Each configured region answers the regions call and is one of the account's regions.
async fn configured_regions(css: &CssClient, regions: &[String]) -> Outcome {
    for region in regions {
        let checked = format!("region {region} answers (GET …/storage/{region}/v3/regions)");
        match css.regions_via(region).await {
            Ok(known) if known.contains(region) => {}
            Ok(known) => {
                return Outcome::Failed {
                    checked,
                    error: format!(
                        "{region} is not one of the account's regions ({})",
                        known.join(", ")
                    ),
                    fix: rules::css_fix(Step::CssRegions, "unknown_region"),
                }
            }
            Err(e) => return css_failed(Step::CssRegions, checked, &e),
        }
    }
    Outcome::Passed {
        checked: format!("configured regions answer: {}", regions.join(", ")),
    }
}

async fn check_s3(settings: &Settings, run_id: &RunId, steps: &mut Steps) {
    let s3 = &settings.s3;
    let checked = "the AWS credential chain yields credentials".to_string();
    let target = match S3Target::with_credentials(s3.clone()).await {
        Ok(t) => {
            steps.push(Step::S3Credentials, Outcome::Passed { checked });
            Some(t)
        }
        Err(e) => {
            let o = s3_failed(Step::S3Credentials, checked, &e);
            steps.push(Step::S3Credentials, o);
            None
        }
    };
    if !steps.may_run(Step::S3Bucket) {
        return skip_rest(steps);
    }
    let Some(target) = target else { return };
    let checked = format!("HeadBucket {} at {}", s3.bucket, target.ctx.host);
    let outcome = match target.check_bucket().await {
        Ok(()) => Outcome::Passed { checked },
        Err(e) => s3_failed(Step::S3Bucket, checked, &e),
    };
    steps.push(Step::S3Bucket, outcome);
    if !steps.may_run(Step::ProbeWrite) {
        return skip_rest(steps);
    }
    let key = format!("{}{}", target.check_prefix(), run_id);
    let checked = format!("PutObject + DeleteObject of {key}");
    let outcome = match target.probe_write_delete(&key).await {
        Ok(WriteProbe::Clean) => Outcome::Passed {
            checked: format!("{checked}: written, deleted, gone"),
        },
        Ok(WriteProbe::VersionKept(why)) => Outcome::Passed {
            checked: format!(
                "{checked}: written, deleted (versioned bucket: its version could not be \
                 deleted, a delete marker hides it: {why})"
            ),
        },
        Ok(WriteProbe::StillThere) => Outcome::Failed {
            checked,
            error: "the probe object is still there after DeleteObject".into(),
            fix: rules::s3_fix(Step::ProbeWrite, "access_denied"),
        },
        Err(e) => s3_failed(Step::ProbeWrite, checked, &e),
    };
    steps.push(Step::ProbeWrite, outcome);
    let key = format!("{key}.multipart");
    let checked = format!("CreateMultipartUpload + UploadPart + AbortMultipartUpload of {key}");
    let outcome = match target.probe_multipart(&key).await {
        Ok(()) => Outcome::Passed { checked },
        Err(e) => s3_failed(Step::Multipart, checked, &e),
    };
    steps.push(Step::Multipart, outcome);
    let outcome = match s3.conditional_writes {
        crate::s3::ConditionalWrites::Off => rules::conditional_off(),
        mode => match target.probe_conditional_writes().await {
            Ok(honoured) => rules::conditional_outcome(mode, honoured),
            Err(e) => s3_failed(Step::ConditionalWrites, "If-None-Match: * probe".into(), &e),
        },
    };
    steps.push(Step::ConditionalWrites, outcome);
    let outcome = if s3.object_lock.is_configured() {
        let checked = format!("Object Lock enabled on bucket {}", s3.bucket);
        match target.check_object_lock().await {
            Ok(()) => Outcome::Passed { checked },
            Err(e) => s3_failed(Step::ObjectLock, checked, &e),
        }
    } else {
        Outcome::Skipped {
            reason: "not asked for (S3_OBJECT_LOCK_MODE, S3_OBJECT_LOCK_LEGAL_HOLD unset)".into(),
        }
    };
    steps.push(Step::ObjectLock, outcome);
}

/// After a failed S3 prerequisite: every later S3 step is shown skipped.
fn skip_rest(steps: &mut Steps) {
    for step in [
        Step::S3Bucket,
        Step::ProbeWrite,
        Step::Multipart,
        Step::ConditionalWrites,
        Step::ObjectLock,
    ] {
        if !steps.lines.iter().any(|l| l.step == step) {
            steps.may_run(step);
        }
    }
}
