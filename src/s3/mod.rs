//! The S3 side: settings, the connected [`S3Target`], object keys ([`keys`]), verified
//! streaming uploads ([`upload`]), Object Lock retention and legal hold ([`lock`]) and an
//! embedded S3-compatible server over a folder ([`embedded`], for `css-sync demo` and tests).
//! Endpoint, region and credentials come from aws-config's standard chain
//! (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, web identity, pod identity, profiles …); this
//! module only adds path-style addressing, the checksum policy, the retry bound, a
//! `HeadBucket` health check and, at connect, the abort of stale multipart uploads
//! ([`hygiene`]). Every write is proven from S3's answer or a read-back (`proof`, `confirm`);
//! presence at re-run time is judged by [`presence`]. Nothing becomes visible in the bucket before the caller proves
//! the bytes matched the catalog (see [`crate::verify::Verified`]).

pub mod conditional;
mod confirm;
#[cfg(any(feature = "sim", test))]
pub mod embedded;
mod error;
pub mod hygiene;
pub mod keys;
mod lake;
pub mod listing; // issue 10 (presence)
pub mod listing_rules; // issue 10 (presence)
pub mod lock;
mod multipart;
mod open;
pub mod presence;
pub mod probe;
pub mod proof;
mod request;
mod small;
pub mod upload;

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::config::{RequestChecksumCalculation, ResponseChecksumValidation};

pub use conditional::ConditionalWrites;
pub use confirm::ProvenBy;
use error::ErrorContext;
pub use error::S3Error;
pub use keys::{sidecar_key, KeyError, KeyTemplate, DEFAULT_KEY_TEMPLATE};
pub use lock::{LockHeaders, LockMode, ObjectLock, RetainFor, Retention};
pub use presence::{ExistingObject, Presence};
pub use proof::VerifyMode;
pub use request::ObjectMeta;
pub use small::Precondition; // issue 10 (store)
pub use upload::{Committed, Upload};

use crate::css::model::ObjectRecord;

/// S3's smallest part (all but the last part of a multipart upload).
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// S3's largest part.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;
/// S3's largest number of parts in one upload.
pub const MAX_PARTS: u64 = 10_000;
/// S3's largest object.
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * 1024 * 1024;
/// Default part size.
pub const DEFAULT_PART_SIZE: u64 = 16 * 1024 * 1024;
/// Default number of parts in flight per upload.
pub const DEFAULT_PART_CONCURRENCY: usize = 4;
/// issue 8 (overlap): the byte budget of one zip stream: one upload at the default part size
/// keeps its 4 parts in flight beside the buffering one (80 MiB) with room for small entries.
pub const DEFAULT_ZIP_BYTES_IN_FLIGHT: u64 = 96 * 1024 * 1024;
/// Default SDK attempts per request (first try included).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// Server-side encryption requested on every object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sse {
    /// `AES256` (SSE-S3).
    Aes256,
    /// `aws:kms`, with the bucket's default key when `key_id` is `None`.
    Kms { key_id: Option<String> },
}

/// Whether the SDK adds its flexible checksums (CRC32 …) to requests and validates them on
/// responses. `WhenRequired` sends only what an operation demands, which MinIO, s3s, moto and
/// Garage accept; integrity still comes from `Content-MD5` on every `PutObject`/`UploadPart`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ChecksumMode {
    #[default]
    WhenRequired,
    WhenSupported,
}

/// Everything the S3 layer needs besides what aws-config finds in the environment.
#[derive(Debug, Clone)]
pub struct S3Settings {
    pub bucket: String,
    pub force_path_style: bool,
    /// The parsed key template with the key prefix folded in (see [`KeyTemplate::with_prefix`]).
    pub keys: KeyTemplate,
    /// Write `<key>.metadata.json` (the catalog record) beside each object.
    pub sidecar: bool,
    pub sse: Option<Sse>,
    pub storage_class: Option<String>,
    pub checksum: ChecksumMode,
    /// Bytes per part (default 16 MiB, at least 5 MiB); grown per upload past 10,000 parts.
    pub part_size: u64,
    /// Parts in flight per upload (default 4). Memory per upload ≤ part_size × (this + 1).
    pub part_concurrency: usize,
    /// issue 8 (overlap): bytes one zip stream's overlapping uploads may hold at once
    /// (`S3_ZIP_BYTES_IN_FLIGHT`, default [`DEFAULT_ZIP_BYTES_IN_FLIGHT`]).
    pub zip_bytes_in_flight: u64,
    /// SDK attempts per request, first try included (standard retry, default 5).
    pub max_attempts: u32,
    /// SigV4-sign object bodies (a SHA-256 pass over every byte). Off by default: bodies
    /// carry `Content-MD5`, a signed header S3 checks, so signing adds CPU but no integrity.
    pub sign_payload: bool,
    /// Object Lock retention and legal hold on every object and sidecar (default: none).
    pub object_lock: ObjectLock,
    /// Connect, first-byte, attempt and call limits of every request.
    pub timeouts: S3Timeouts,
    /// How every write's stored bytes are proven (`S3_VERIFY`, default `auto`).
    pub verify: VerifyMode,
    /// Abort incomplete multipart uploads under the prefix older than this at connect
    /// (`S3_ABORT_UPLOADS_OLDER_THAN`, default 24 h; `None`: never).
    pub abort_uploads_older_than: Option<std::time::Duration>,
    /// `If-None-Match: *` on the writes that create objects (`S3_CONDITIONAL_WRITES`).
    pub conditional_writes: ConditionalWrites,
    /// issue 10 (presence): how presence is learnt at re-run time (`S3_PRESENCE*`).
    pub presence: listing::PresenceSettings,
}

/// Time limits of every S3 request (`S3_CONNECT_TIMEOUT`, `S3_READ_TIMEOUT`,
/// `S3_ATTEMPT_TIMEOUT`, `S3_CALL_DEADLINE`), applied to the SDK's `TimeoutConfig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct S3Timeouts {
    pub connect: std::time::Duration,
    /// Request sent → first byte of the answer.
    pub read: std::time::Duration,
    /// One attempt, body upload included.
    pub attempt: std::time::Duration,
    /// One request, its retries included.
    pub call: std::time::Duration,
}

/// Default S3 TCP/TLS connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default S3 request start → first byte of the answer, the request body included: one
/// 16 MiB part at ≥ 280 KB/s.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Default bound of one S3 attempt, both bodies included.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(300);
/// Default bound of one S3 request with its retries (3 attempts of 5 minutes).
pub const DEFAULT_CALL_DEADLINE: Duration = Duration::from_secs(900);

impl Default for S3Timeouts {
    fn default() -> Self {
        S3Timeouts {
            connect: DEFAULT_CONNECT_TIMEOUT,
            read: DEFAULT_READ_TIMEOUT,
            attempt: DEFAULT_ATTEMPT_TIMEOUT,
            call: DEFAULT_CALL_DEADLINE,
        }
    }
}

impl Default for S3Settings {
    fn default() -> Self {
        S3Settings {
            bucket: String::new(),
            force_path_style: false,
            keys: KeyTemplate::default(),
            sidecar: true,
            sse: None,
            storage_class: None,
            checksum: ChecksumMode::default(),
            part_size: DEFAULT_PART_SIZE,
            part_concurrency: DEFAULT_PART_CONCURRENCY,
            zip_bytes_in_flight: DEFAULT_ZIP_BYTES_IN_FLIGHT, // issue 8 (overlap)
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            sign_payload: false,
            object_lock: ObjectLock::default(),
            timeouts: S3Timeouts::default(),
            verify: VerifyMode::default(),
            abort_uploads_older_than: Some(hygiene::DEFAULT_ABORT_OLDER_THAN),
            conditional_writes: ConditionalWrites::default(),
            presence: listing::PresenceSettings::default(), // issue 10 (presence)
        }
    }
}

/// A bucket to export into: a configured client plus settings. Cheap to clone.
#[derive(Clone)]
pub struct S3Target {
    pub(crate) client: aws_sdk_s3::Client,
    pub(crate) settings: Arc<S3Settings>,
    pub(crate) ctx: Arc<ErrorContext>,
    /// Aborts of uploads dropped mid-way (an interrupted run): awaited before exit.
    pub(crate) aborts: tokio_util::task::TaskTracker,
    /// Send `If-None-Match: *` (set by [`S3Target::set_up_conditional_writes`]).
    pub(crate) if_none_match: bool,
}

impl std::fmt::Debug for S3Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Target")
            .field("bucket", &self.settings.bucket)
            .field("endpoint", &self.ctx.host)
            .finish_non_exhaustive()
    }
}

/// The SDK's timeouts for [`S3Timeouts`].
fn timeout_config(t: &S3Timeouts) -> aws_sdk_s3::config::timeout::TimeoutConfig {
    aws_sdk_s3::config::timeout::TimeoutConfig::builder()
        .connect_timeout(t.connect)
        .read_timeout(t.read)
        .operation_attempt_timeout(t.attempt)
        .operation_timeout(t.call)
        .build()
}

/// How long an exiting run waits for the aborts of dropped uploads.
const ABORT_GRACE: std::time::Duration = std::time::Duration::from_secs(15);

impl S3Target {
    /// Builds a client from aws-config's standard chain, applies the settings and checks the
    /// bucket with `HeadBucket` (and, when Object Lock values are configured, that the bucket
    /// has Object Lock enabled: [`S3Target::check_object_lock`]).
    pub async fn connect(settings: S3Settings) -> Result<S3Target, S3Error> {
        let mut target = Self::open(settings).await?;
        target.check_object_lock().await?;
        target.set_up_conditional_writes().await?;
        target.clean_up_stale_uploads().await;
        Ok(target)
    }

    /// Wraps an existing client (tests, demo), applying the settings' path style, checksum
    /// policy and retry bound on top of its configuration. No health check.
    pub fn from_client(client: aws_sdk_s3::Client, settings: S3Settings) -> S3Target {
        Self::build(client, settings, "the configured endpoint".to_string())
    }

    fn build(client: aws_sdk_s3::Client, settings: S3Settings, host: String) -> S3Target {
        let (req, resp) = match settings.checksum {
            ChecksumMode::WhenRequired => (
                RequestChecksumCalculation::WhenRequired,
                ResponseChecksumValidation::WhenRequired,
            ),
            ChecksumMode::WhenSupported => (
                RequestChecksumCalculation::WhenSupported,
                ResponseChecksumValidation::WhenSupported,
            ),
        };
        let conf = client
            .config()
            .to_builder()
            .force_path_style(settings.force_path_style)
            .request_checksum_calculation(req)
            .response_checksum_validation(resp)
            .retry_config(
                aws_sdk_s3::config::retry::RetryConfig::standard()
                    .with_max_attempts(settings.max_attempts),
            )
            .timeout_config(timeout_config(&settings.timeouts))
            .build();
        let ctx = ErrorContext {
            bucket: settings.bucket.clone(),
            host,
        };
        S3Target {
            client: aws_sdk_s3::Client::from_conf(conf),
            settings: Arc::new(settings),
            ctx: Arc::new(ctx),
            aborts: tokio_util::task::TaskTracker::new(),
            if_none_match: false,
        }
    }

    /// `HeadBucket`: the bucket exists and these credentials may use it.
    pub async fn healthcheck(&self) -> Result<(), S3Error> {
        const OP: &str = "HeadBucket";
        match self
            .client
            .head_bucket()
            .bucket(&self.settings.bucket)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => {
                let e = S3Error::NoSuchBucket {
                    bucket: self.settings.bucket.clone(),
                };
                error::record(OP, &e);
                Err(e)
            }
            Err(e) => Err(match self.ctx.map(OP, e) {
                // HEAD answers carry no body, so a missing bucket may come back code-less.
                S3Error::Request { status: 404, .. } => S3Error::NoSuchBucket {
                    bucket: self.settings.bucket.clone(),
                },
                other => other,
            }),
        }
    }

    /// Crash hygiene ([`hygiene`]): aborts stale incomplete uploads if configured. A failure
    /// is logged, never fatal: exports stay correct without it.
    pub async fn clean_up_stale_uploads(&self) {
        let Some(older_than) = self.settings.abort_uploads_older_than else {
            return;
        };
        match self.abort_stale_uploads(older_than).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(aborted = n, "stale multipart uploads aborted"),
            Err(e) => tracing::warn!(error = %crate::chain::error_chain(&e),
                "could not list incomplete multipart uploads; none aborted"),
        }
    }

    /// Waits (up to `ABORT_GRACE`) for the aborts of uploads that were dropped uncommitted,
    /// so an interrupted run leaves no multipart upload behind.
    pub async fn wait_for_aborts(&self) {
        self.wait_for_aborts_within(ABORT_GRACE).await;
    }

    /// [`S3Target::wait_for_aborts`] within `grace`; returns how many aborts could not be
    /// confirmed in time (0: no multipart upload of this run is left open).
    pub async fn wait_for_aborts_within(&self, grace: std::time::Duration) -> usize {
        self.aborts.close();
        if tokio::time::timeout(grace, self.aborts.wait())
            .await
            .is_err()
        {
            let pending = self.aborts.len();
            tracing::warn!(
                pending,
                "multipart aborts still pending at exit; a bucket lifecycle rule must clean them"
            );
            return pending;
        }
        0
    }

    /// The settings this target was built with.
    pub fn settings(&self) -> &S3Settings {
        &self.settings
    }

    /// The configured client (e.g. for reading objects back in tests).
    pub fn client(&self) -> &aws_sdk_s3::Client {
        &self.client
    }

    /// The object key for a catalog record in `region`, prefix included.
    pub fn key_for(&self, rec: &ObjectRecord, region: &str) -> Result<String, S3Error> {
        Ok(self.settings.keys.render(rec, region)?)
    }
}

#[cfg(test)]
mod tests;
