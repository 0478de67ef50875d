//! Resumable download bodies (`GET …/bulk/download/{zip}`, `GET …/objects/{id}/content`).
//! A [`Download`] is one continuous byte stream: when the connection breaks mid-body (reset,
//! early end before Content-Length, idle timeout) it re-requests `Range: bytes={offset}-`
//! (with `If-Range`) and accepts only a 206 starting exactly at `offset`; anything else is an
//! error, never a silent restart from 0. Resumes go through the shared `retry::RetryState`:
//! at most `max_attempts` per body, and each outage (backoff, re-request and its retries)
//! within the call deadline, which never limits a body that keeps flowing. It never parses
//! the bytes (the zip reader does) and never logs URLs (a presigned URL is a credential).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::stream::{self, BoxStream};
use futures::StreamExt;
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_RANGE, CONTENT_TYPE, IF_RANGE, RANGE};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use tokio::io::{AsyncRead, ReadBuf};
use tokio_util::io::StreamReader;
use url::Url;

use super::range::{parse_content_range, validator};
use super::retry::{self, Idempotency, RetryState};
use super::{CssClient, CssError, Req};

/// A JSON answer where a zip was expected is read up to this size, no further.
const JSON_LIMIT: usize = 1 << 20;

/// A download body: `AsyncRead` (or [`Download::into_stream`]) over the whole object, resumed
/// transparently after connection breaks. Errors surface as `io::Error` wrapping a
/// [`CssError`] (see [`CssError::from_io`]).
pub struct Download {
    reader: StreamReader<BoxStream<'static, io::Result<Bytes>>, Bytes>,
    content_length: Option<u64>,
    received: Arc<AtomicU64>,
    resumes: Arc<AtomicU32>,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("content_length", &self.content_length)
            .field("bytes_read", &self.bytes_read())
            .field("resumes", &self.resumes())
            .finish()
    }
}

impl Download {
    /// The object's full length from the first response, when the server sent one.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// Bytes received and handed on so far (across resumes).
    pub fn bytes_read(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// How many times the body was resumed with a Range request.
    pub fn resumes(&self) -> u32 {
        self.resumes.load(Ordering::Relaxed)
    }

    /// The body as a chunk stream (any bytes already buffered for `AsyncRead` come first).
    pub fn into_stream(self) -> BoxStream<'static, io::Result<Bytes>> {
        let (inner, chunk) = self.reader.into_inner_with_chunk();
        match chunk {
            Some(c) => stream::once(async move { Ok(c) }).chain(inner).boxed(),
            None => inner,
        }
    }
}

impl AsyncRead for Download {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.reader).poll_read(cx, buf)
    }
}

impl CssError {
    /// The [`CssError`] behind an `io::Error` read from a [`Download`], if it is one.
    pub fn from_io(e: &io::Error) -> Option<&CssError> {
        e.get_ref()?.downcast_ref::<CssError>()
    }
}

impl CssClient {
    /// The zip of a finished bulk job. Also accepts the spec's JSON answer carrying a
    /// presigned `url`, which is then fetched (without our bearer token).
    pub async fn download_bulk(&self, region: &str, zip_name: &str) -> Result<Download, CssError> {
        let req = self.download_req("download", region, &["bulk", "download", zip_name])?;
        let mut body = Body::open(self.clone(), req).await?;
        let Some(first) = body.next_chunk().await.transpose()? else {
            return Ok(body.into_download());
        };
        let starts_json = first
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| matches!(b, b'{' | b'['));
        if !starts_json {
            body.pending = Some(first);
            return Ok(body.into_download());
        }
        let mut json = first.to_vec();
        while let Some(chunk) = body.next_chunk().await.transpose()? {
            json.extend_from_slice(&chunk);
            if json.len() > JSON_LIMIT {
                return Err(CssError::UnexpectedBody {
                    endpoint: "download",
                    detail: "oversized JSON answer instead of a zip".into(),
                });
            }
        }
        let url = presigned_url(&json)?;
        let presigned = Req {
            endpoint: "download",
            region: region.to_string(),
            method: Method::GET,
            url,
            headers: HeaderMap::new(),
            json_body: None,
            auth: false,
            mode: Idempotency::Idempotent,
        };
        Ok(Body::open(self.clone(), presigned).await?.into_download())
    }

    /// One object's content (`GET …/objects/{id}/content`), resumable like a zip.
    pub async fn download_object(&self, region: &str, id: &str) -> Result<Download, CssError> {
        let req = self.download_req("content", region, &["objects", id, "content"])?;
        Ok(Body::open(self.clone(), req).await?.into_download())
    }

    fn download_req(
        &self,
        endpoint: &'static str,
        region: &str,
        segments: &[&str],
    ) -> Result<Req, CssError> {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Ok(Req {
            endpoint,
            region: region.to_string(),
            method: Method::GET,
            url: self.storage_url(region, segments)?,
            headers,
            json_body: None,
            auth: true,
            mode: Idempotency::Idempotent,
        })
    }
}

/// The spec's `downloadContentStatus` (object or one-element array) with a presigned `url`.
fn presigned_url(json: &[u8]) -> Result<Url, CssError> {
    #[derive(Deserialize)]
    struct Status {
        #[serde(default)]
        url: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<Status>),
        One(Status),
    }
    let unexpected = |detail: &str| CssError::UnexpectedBody {
        endpoint: "download",
        detail: detail.into(),
    };
    let parsed: OneOrMany = serde_json::from_slice(json).map_err(|source| CssError::Decode {
        endpoint: "download",
        source,
    })?;
    let status = match parsed {
        OneOrMany::One(s) => s,
        OneOrMany::Many(mut v) if v.len() == 1 => v.remove(0),
        OneOrMany::Many(_) => return Err(unexpected("JSON array instead of a zip")),
    };
    let raw = status
        .url
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| unexpected("JSON job status without a url instead of a zip"))?;
    let url = Url::parse(raw.trim()).map_err(|_| unexpected("presigned url does not parse"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(unexpected("presigned url is not http(s)"));
    }
    Ok(url)
}

/// The resumable state behind a [`Download`].
struct Body {
    client: CssClient,
    req: Req,
    body: Option<BoxStream<'static, reqwest::Result<Bytes>>>,
    /// A chunk already received (and counted in `offset`) but not yet handed on.
    pending: Option<Bytes>,
    offset: u64,
    total: Option<u64>,
    validator: Option<HeaderValue>,
    done: bool,
    /// Resumes of this body (at most `max_attempts`); its deadline is that of the current
    /// outage (see `retry`).
    retry: RetryState,
    /// Between a break and the next chunk received: the outage's deadline is running.
    in_outage: bool,
    received: Arc<AtomicU64>,
    resumes: Arc<AtomicU32>,
}

impl Body {
    async fn open(client: CssClient, req: Req) -> Result<Body, CssError> {
        let resp = client.execute(&req).await?;
        if resp.status() != StatusCode::OK {
            return Err(CssError::UnexpectedBody {
                endpoint: req.endpoint,
                detail: format!("HTTP {} where 200 with a body was expected", resp.status()),
            });
        }
        let total = resp.content_length();
        let validator = validator(resp.headers());
        let retry = RetryState::body(client.retry_policy(), req.endpoint);
        Ok(Body {
            client,
            req,
            body: Some(resp.bytes_stream().boxed()),
            pending: None,
            offset: 0,
            total,
            validator,
            done: false,
            retry,
            in_outage: false,
            received: Arc::new(AtomicU64::new(0)),
            resumes: Arc::new(AtomicU32::new(0)),
        })
    }

    fn into_download(self) -> Download {
        let content_length = self.total;
        let received = self.received.clone();
        let resumes = self.resumes.clone();
        let stream = stream::unfold(self, |mut body| async move {
            let item = body.next_chunk().await?;
            let item = item
                .inspect(|c| {
                    body.received.fetch_add(c.len() as u64, Ordering::Relaxed);
                })
                .map_err(io::Error::other);
            Some((item, body))
        })
        .boxed();
        Download {
            reader: StreamReader::new(stream),
            content_length,
            received,
            resumes,
        }
    }

    /// The next chunk, resuming as needed; `None` at the end; after an error, `None` forever.
    async fn next_chunk(&mut self) -> Option<Result<Bytes, CssError>> {
        if let Some(chunk) = self.pending.take() {
            return Some(Ok(chunk));
        }
        let ep = self.req.endpoint;
        let idle = self.client.http_timeout();
        loop {
            if self.done {
                return None;
            }
            let Some(body) = self.body.as_mut() else {
                if let Err(e) = self.resume().await {
                    self.done = true;
                    return Some(Err(e));
                }
                continue;
            };
            let broke = match tokio::time::timeout(idle, body.next()).await {
                Ok(Some(Ok(chunk))) if chunk.is_empty() => continue,
                Ok(Some(Ok(chunk))) => {
                    let end = self.offset + chunk.len() as u64;
                    if self.total.is_some_and(|t| end > t) {
                        self.done = true;
                        return Some(Err(CssError::UnexpectedBody {
                            endpoint: ep,
                            detail: "body longer than its Content-Length".into(),
                        }));
                    }
                    self.offset = end;
                    self.in_outage = false;
                    metrics::counter!(crate::metrics::BYTES_DOWNLOADED, "region" => self.req.region.clone(), "endpoint" => ep)
                        .increment(chunk.len() as u64);
                    return Some(Ok(chunk));
                }
                Ok(None) if self.total.is_some_and(|t| self.offset < t) => "early end of body",
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Ok(Some(Err(e))) if retry::error_is_retryable(&e) => "connection broke",
                Ok(Some(Err(e))) => {
                    self.done = true;
                    return Some(Err(CssError::network(ep, e)));
                }
                Err(_) => "idle timeout",
            };
            self.body = None;
            if !self.in_outage {
                self.in_outage = true;
                self.retry.start_outage();
            }
            let broken = CssError::ResumeFailed {
                endpoint: ep,
                offset: self.offset,
                reason: broke.to_string(),
            };
            let what = "download broke; resuming";
            let region = Some(self.req.region.as_str());
            if let Err(e) = self
                .retry
                .pause(region, what, "network", None, broken)
                .await
            {
                self.done = true;
                let resumes = self.retry.retries();
                return Some(Err(match e {
                    // Out of resumes: say how many were made.
                    CssError::ResumeFailed { reason, .. } => CssError::ResumeFailed {
                        endpoint: ep,
                        offset: self.offset,
                        reason: format!("{reason}; gave up after {resumes} resumes"),
                    },
                    deadline => deadline,
                }));
            }
            self.resumes.store(self.retry.retries(), Ordering::Relaxed);
        }
    }

    /// Re-requests the rest of the body and checks the server really continues at `offset`.
    async fn resume(&mut self) -> Result<(), CssError> {
        let ep = self.req.endpoint;
        let fail = |offset, reason: String| CssError::ResumeFailed {
            endpoint: ep,
            offset,
            reason,
        };
        let mut req = self.req.clone();
        let range = HeaderValue::from_str(&format!("bytes={}-", self.offset))
            .map_err(|_| fail(self.offset, "range header".into()))?;
        req.headers.insert(RANGE, range);
        if let Some(v) = &self.validator {
            req.headers.insert(IF_RANGE, v.clone());
        }
        // The re-request's own retries share the outage's deadline.
        let mut retry =
            RetryState::call(self.client.retry_policy(), ep).until(self.retry.deadline());
        let resp = self.client.send(&req, &mut retry).await?;
        if resp.status() != StatusCode::PARTIAL_CONTENT {
            return Err(fail(
                self.offset,
                format!(
                    "server answered HTTP {} instead of 206",
                    resp.status().as_u16()
                ),
            ));
        }
        let range = resp
            .headers()
            .get(CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_content_range)
            .ok_or_else(|| fail(self.offset, "206 without a usable Content-Range".into()))?;
        if range.start != self.offset {
            return Err(fail(
                self.offset,
                format!("206 starts at byte {} instead", range.start),
            ));
        }
        match (self.total, range.total) {
            (Some(t), Some(rt)) if t != rt => {
                return Err(fail(
                    self.offset,
                    format!("object length changed {t} -> {rt}"),
                ));
            }
            (None, Some(rt)) => self.total = Some(rt),
            _ => {}
        }
        self.body = Some(resp.bytes_stream().boxed());
        Ok(())
    }
}

#[cfg(test)]
#[path = "download_tests.rs"]
mod tests;
