//! The fault proxy's rules, pure: which S3 operation a request is ([`classify`], from method
//! and path-style target), the faults the proxy can inject ([`Fault`]) and the rule that picks
//! them ([`Rule`]: a fault, a rate, the operations it applies to). No I/O here; the proxy
//! (`fault_proxy.rs`) applies them.

use std::time::Duration;

/// The S3 operation of a request (path-style addressing: `/bucket/key?query`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    ListBuckets,
    HeadBucket,
    CreateBucket,
    ListObjects,
    ListMultipartUploads,
    GetBucketConfig,
    HeadObject,
    GetObject,
    PutObject,
    CreateMultipartUpload,
    UploadPart,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListParts,
    DeleteObject,
    Other,
}

/// Pure: which S3 operation `method target` is.
pub fn classify(method: &str, target: &str) -> Op {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let has = |name: &str| query.split('&').any(|p| p.split('=').next() == Some(name));
    let segments: Vec<&str> = path.trim_start_matches('/').splitn(2, '/').collect();
    let bucket_only = segments.len() == 1 || segments[1].is_empty();
    match (method, segments[0].is_empty(), bucket_only) {
        ("GET", true, _) => Op::ListBuckets,
        ("HEAD", false, true) => Op::HeadBucket,
        ("PUT", false, true) => Op::CreateBucket,
        ("GET", false, true) if has("uploads") => Op::ListMultipartUploads,
        ("GET", false, true) if has("list-type") || query.is_empty() => Op::ListObjects,
        ("GET", false, true) => Op::GetBucketConfig,
        ("HEAD", false, false) => Op::HeadObject,
        ("GET", false, false) if has("uploadId") => Op::ListParts,
        ("GET", false, false) => Op::GetObject,
        ("PUT", false, false) if has("partNumber") && has("uploadId") => Op::UploadPart,
        ("PUT", false, false) => Op::PutObject,
        ("POST", false, false) if has("uploads") => Op::CreateMultipartUpload,
        ("POST", false, false) if has("uploadId") => Op::CompleteMultipartUpload,
        ("DELETE", false, false) if has("uploadId") => Op::AbortMultipartUpload,
        ("DELETE", false, false) => Op::DeleteObject,
        _ => Op::Other,
    }
}

/// What the proxy does to a request a rule picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    SlowDown503,
    Internal500,
    /// Reads part of the request body, then resets the connection (never forwarded).
    ResetRequest,
    /// Forwards the request, then sends half of the response body and resets.
    ResetResponse,
    /// Flips one byte of the request body on its way to the server.
    FlipByte,
    /// `200 OK` with an S3 `<Error>` body (as S3 may answer CompleteMultipartUpload).
    ErrorIn200,
    /// Accepts the request and never answers.
    Silence,
    /// `200 OK`, `text/html`, an HTML page.
    Html200,
    /// Forwards after this delay.
    Latency(Duration),
}

impl Fault {
    pub fn name(&self) -> &'static str {
        match self {
            Fault::SlowDown503 => "503",
            Fault::Internal500 => "500",
            Fault::ResetRequest => "reset-request",
            Fault::ResetResponse => "reset-response",
            Fault::FlipByte => "flip",
            Fault::ErrorIn200 => "error-in-200",
            Fault::Silence => "silence",
            Fault::Html200 => "html",
            Fault::Latency(_) => "latency",
        }
    }
}

/// One rule: `fault` for requests of `ops` (empty: every request) at `rate` (0..=1).
#[derive(Debug, Clone)]
pub struct Rule {
    pub fault: Fault,
    pub rate: f64,
    pub ops: Vec<Op>,
}

impl Rule {
    pub fn new(fault: Fault, rate: f64, ops: &[Op]) -> Rule {
        Rule {
            fault,
            rate,
            ops: ops.to_vec(),
        }
    }
}
