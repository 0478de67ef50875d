//! Opening a connection to the bucket, in the steps every command shares: load aws-config's
//! standard chain, prove it yields credentials (a request without them would fail as
//! "endpoint unreachable"), build the client, then `HeadBucket` within one attempt's time.
//! [`S3Target::connect_read_only`] stops there: no probe write, no abort of stale uploads,
//! nothing written or deleted — the connect of `css-sync plan` and `css-sync audit`. The
//! writing connect of `sync` ([`S3Target::connect`]) adds its checks on top of
//! [`S3Target::open`]. This module never writes to the bucket.

use aws_config::BehaviorVersion;

use super::error::{self, S3Error};
use super::{S3Settings, S3Target};

/// The endpoint host as printed in errors: the configured endpoint's host, or AWS S3 and
/// the region.
fn endpoint_host(sdk: &aws_config::SdkConfig) -> String {
    match sdk.endpoint_url() {
        Some(u) => url::Url::parse(u)
            .ok()
            .and_then(|u| u.host_str().map(|h| h.to_string()))
            .unwrap_or_else(|| "the configured endpoint".to_string()),
        None => format!(
            "AWS S3 ({})",
            sdk.region().map(|r| r.as_ref()).unwrap_or("no region")
        ),
    }
}

/// The credential chain yields credentials (within `bound`), or the run stops saying so.
async fn credentials(
    sdk: &aws_config::SdkConfig,
    bound: std::time::Duration,
) -> Result<(), S3Error> {
    use aws_sdk_s3::config::ProvideCredentials;
    let missing = |detail: String| S3Error::NoCredentials { detail };
    let Some(provider) = sdk.credentials_provider() else {
        return Err(missing("no credentials provider configured".into()));
    };
    match tokio::time::timeout(bound, provider.provide_credentials()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(missing(crate::chain::error_chain(&e))),
        Err(_) => Err(missing(format!(
            "the chain gave no answer within {}",
            humantime::format_duration(bound)
        ))),
    }
}

impl S3Target {
    /// The start-up checks get one attempt's worth of time, not the call deadline: a silent
    /// endpoint fails within S3_CONNECT_TIMEOUT + S3_READ_TIMEOUT.
    fn start_up_bound(&self) -> std::time::Duration {
        let t = &self.settings.timeouts;
        t.connect + t.read
    }

    /// A client whose credential chain answered; no request sent to the bucket yet.
    pub async fn with_credentials(settings: S3Settings) -> Result<S3Target, S3Error> {
        let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
        let host = endpoint_host(&sdk);
        let bound = settings.timeouts.connect + settings.timeouts.read;
        credentials(&sdk, bound).await?;
        Ok(Self::build(aws_sdk_s3::Client::new(&sdk), settings, host))
    }

    /// `HeadBucket` within the start-up bound (a silent endpoint is `Unreachable`).
    pub async fn check_bucket(&self) -> Result<(), S3Error> {
        let bound = self.start_up_bound();
        match tokio::time::timeout(bound, self.healthcheck()).await {
            Ok(checked) => checked,
            Err(_) => {
                let e = S3Error::Unreachable {
                    operation: "HeadBucket",
                    host: self.ctx.host.clone(),
                    detail: format!(
                        "no answer within {} (S3_CONNECT_TIMEOUT + S3_READ_TIMEOUT)",
                        humantime::format_duration(bound)
                    ),
                };
                error::record("HeadBucket", &e);
                Err(e)
            }
        }
    }

    /// Credentials, then `HeadBucket`: the shared first steps of every connect.
    pub(crate) async fn open(settings: S3Settings) -> Result<S3Target, S3Error> {
        let target = Self::with_credentials(settings).await?;
        target.check_bucket().await?;
        Ok(target)
    }

    /// Read-only connect (`plan`, `audit`): credentials and `HeadBucket`, nothing else — no
    /// conditional-write probe, no stale-upload hygiene. The target is never used to write.
    pub async fn connect_read_only(settings: S3Settings) -> Result<S3Target, S3Error> {
        Self::open(settings).await
    }
}
