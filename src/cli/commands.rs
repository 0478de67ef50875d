//! The command lines of `css-sync plan`, `check` and `audit` (issue 7): their exit-code help
//! texts and the options only `audit` adds to the sync's. Declares and parses text only;
//! [`crate::config::commands`] validates.

use super::SyncArgs;
use crate::defaults;
use clap::Args;
use std::path::PathBuf;

/// Exit codes of `css-sync plan`.
pub const PLAN_EXIT_CODES: &str = "\
Exit codes:
  0  the plan is complete (nothing was started or written)
  2  bad configuration or usage (CSS_IDS_FILE is refused: plan works on the catalog search)
  3  the plan could not be made (CSS auth rejected, no AWS credentials, bucket unreachable,
     catalog unreadable in some region)
  130 interrupted";

/// Exit codes of `css-sync check`.
pub const CHECK_EXIT_CODES: &str = "\
Exit codes:
  0  every step passed
  2  bad configuration or usage
  3  some step failed (its ✗ line says what to fix)
  130 interrupted";

/// Exit codes of `css-sync audit`.
pub const AUDIT_EXIT_CODES: &str = "\
Extras: objects under S3_PREFIX that no catalog object of the selection maps to, css-sync's
own files excepted (sidecars, the metadata index, _css-sync/). With CSS_TYPES, CSS_SINCE or
CSS_UNTIL only objects whose css-region, css-type and css-created-time metadata fall inside
the selection count; with CSS_FILTER extras are not judged.

Exit codes:
  0  every catalog object of the selection is in the lake with its size and checksum
     (extras alone are listed, not failed)
  1  some object is missing or mismatched
  2  bad configuration or usage
  3  the audit could not be completed (CSS, credentials, bucket, listing, a HEAD failed)
  130 interrupted";

/// `css-sync audit`: the sync's options plus where the report goes and the memory bound.
#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub sync: SyncArgs,
    #[command(flatten)]
    pub audit: AuditOptions,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Audit")]
pub struct AuditOptions {
    /// Write the JSON audit report here ("-" for stdout); default: --report / CSS_SYNC_REPORT.
    #[arg(long, env = "CSS_AUDIT_REPORT")]
    pub audit_report: Option<PathBuf>,
    /// Most catalog objects one audit holds (~300 bytes each) and most findings listed per
    /// list in the report (counts stay complete); a larger selection stops with exit 3.
    #[arg(long, env = "CSS_AUDIT_MAX_OBJECTS", default_value_t = defaults::AUDIT_MAX_OBJECTS)]
    pub audit_max_objects: usize,
}
