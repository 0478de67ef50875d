//! A fault-injecting HTTP/1.1 proxy for the tests, in process (tokio), placed between css-sync
//! and a real S3 server: css-sync's `AWS_ENDPOINT_URL` is the proxy's URL. It forwards each
//! request's bytes unchanged (SigV4 signs the Host header: the head is never re-encoded, see
//! `http1`) unless a [`Rule`] fires for it: answer 503 SlowDown or 500 InternalError (S3's XML
//! error bodies), reset the connection mid-body (request or response), flip one byte of the
//! request body (after the client computed its checksums), answer 200 with an `<Error>` body,
//! stay silent (accept and never answer), answer 200 text/html, or add latency. Rules match
//! S3 operations ([`Op`], from method + path + query) and fire at a rate from one seeded RNG
//! (reproducible for a given request order). Every request is logged ([`Entry`]) for
//! assertions. It owns no assertion and never talks to S3 on its own.

pub use super::fault_rules::{classify, Fault, Op, Rule};
use super::http1::{Body, BodyHook, Copied, Head, Reader, Unchanged};
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// One request the proxy saw.
#[derive(Debug, Clone)]
pub struct Entry {
    pub method: String,
    pub path: String,
    pub query: String,
    pub op: Op,
    /// The status the client got (the server's or the injected one); `None` if none.
    pub status: Option<u16>,
    pub fault: Option<&'static str>,
    /// The request head arrived … the answer (or the fault) was given.
    pub during: std::ops::Range<std::time::Instant>,
}

impl Entry {
    /// `METHOD path?query → status [fault]`, for failure messages.
    pub fn line(&self) -> String {
        format!(
            "{} {}{}{} → {} {}",
            self.method,
            self.path,
            if self.query.is_empty() { "" } else { "?" },
            self.query,
            self.status.map_or("-".to_string(), |s| s.to_string()),
            self.fault.unwrap_or("")
        )
    }
}

struct Shared {
    rules: Mutex<Vec<Rule>>,
    rng: Mutex<StdRng>,
    log: Mutex<Vec<Entry>>,
    upstream: String,
}

/// The running proxy; stops (every connection dropped) when dropped.
pub struct FaultProxy {
    pub url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Listens on 127.0.0.1:0 and forwards to `upstream` (`http://host:port`).
    pub async fn start(upstream: &str, seed: u64, rules: Vec<Rule>) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy bind");
        let url = format!("http://{}", listener.local_addr().expect("proxy addr"));
        let shared = Arc::new(Shared {
            rules: Mutex::new(rules),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            log: Mutex::new(Vec::new()),
            upstream: upstream.trim_start_matches("http://").to_string(),
        });
        let s = shared.clone();
        let task = tokio::spawn(async move {
            let mut conns = JoinSet::new();
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                conns.spawn(serve(client, s.clone()));
                while conns.try_join_next().is_some() {}
            }
        });
        FaultProxy { url, shared, task }
    }

    /// Replaces the rules (e.g. none, for a clean run through the same proxy).
    pub fn set_rules(&self, rules: Vec<Rule>) {
        *self.shared.rules.lock().unwrap() = rules;
    }

    pub fn log(&self) -> Vec<Entry> {
        self.shared.log.lock().unwrap().clone()
    }
}

impl Shared {
    fn pick(&self, op: Op) -> Option<Fault> {
        let rules = self.rules.lock().unwrap();
        let mut rng = self.rng.lock().unwrap();
        rules
            .iter()
            .filter(|r| r.ops.is_empty() || r.ops.contains(&op))
            .find(|r| rng.gen::<f64>() < r.rate)
            .map(|r| r.fault)
    }

    fn record(&self, head: &Head, op: Op, status: Option<u16>, fault: Option<Fault>) {
        let (path, query) = head.second.split_once('?').unwrap_or((&head.second, ""));
        self.log.lock().unwrap().push(Entry {
            method: head.first.clone(),
            path: path.to_string(),
            query: query.to_string(),
            op,
            status,
            fault: fault.map(|f| f.name()),
            during: head.received..std::time::Instant::now(),
        });
    }
}

type Upstream = (Reader<OwnedReadHalf>, OwnedWriteHalf);

/// What becomes of the client connection after one request.
enum Next {
    Keep,
    /// Closed normally (the answer said so, or its body ran to the end of the connection).
    Close,
    /// Reset (a fault, or a broken exchange).
    Reset,
}

/// One client connection, request by request, over (at most) one upstream connection.
async fn serve(client: TcpStream, shared: Arc<Shared>) {
    let _ = client.set_nodelay(true);
    let (read, mut write) = client.into_split();
    let mut reader = Reader::new(read);
    let mut upstream: Option<Upstream> = None;
    loop {
        let Ok(Some(head)) = reader.head().await else {
            return;
        };
        let op = classify(&head.first, &head.second);
        let fault = shared.pick(op);
        match one(
            &mut reader,
            &mut write,
            &mut upstream,
            &head,
            op,
            fault,
            &shared,
        )
        .await
        {
            Ok(Next::Keep) => {}
            Ok(Next::Close) => return,
            Ok(Next::Reset) | Err(_) => {
                reset(reader, write);
                return;
            }
        }
    }
}

/// Closes the client connection with a TCP reset (SO_LINGER 0), as a crashed peer would.
fn reset(reader: Reader<OwnedReadHalf>, write: OwnedWriteHalf) {
    if let Ok(stream) = reader.into_inner().reunite(write) {
        #[allow(deprecated)] // linger 0 never blocks: the kernel drops the socket at once
        let _ = stream.set_linger(Some(Duration::ZERO));
    }
}

/// Flips the byte at `at` of the body.
struct Flip {
    at: u64,
}

impl BodyHook for Flip {
    fn on_data(&mut self, offset: u64, data: &mut [u8]) -> bool {
        if self.at >= offset && self.at < offset + data.len() as u64 {
            data[(self.at - offset) as usize] ^= 0x20;
        }
        true
    }
}

/// Stops the copy once `after` body bytes went through.
struct StopAfter {
    after: u64,
}

impl BodyHook for StopAfter {
    fn on_data(&mut self, offset: u64, data: &mut [u8]) -> bool {
        offset + (data.len() as u64) <= self.after.max(1)
    }
}

fn canned(status: u16, reason: &str, content_type: &str, body: &str, head_only: bool) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if !head_only {
        out.extend_from_slice(body.as_bytes());
    }
    out
}

const INTERNAL: &str = "We encountered an internal error. Please try again.";
const HTML: &str = "<!DOCTYPE html><html><head><title>Welcome</title></head><body><h1>It works!</h1></body></html>";

fn s3_error(code: &str, message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault-proxy</RequestId></Error>"
    )
}

/// Handles one request.
async fn one(
    reader: &mut Reader<OwnedReadHalf>,
    write: &mut OwnedWriteHalf,
    upstream: &mut Option<Upstream>,
    head: &Head,
    op: Op,
    fault: Option<Fault>,
    shared: &Shared,
) -> std::io::Result<Next> {
    let body = head.request_body();
    let is_head = head.first.eq_ignore_ascii_case("HEAD");
    if head
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        write.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
    }
    let canned_answer = match fault {
        Some(Fault::SlowDown503) => Some((
            503,
            "Slow Down",
            "application/xml",
            s3_error("SlowDown", "Please reduce your request rate."),
        )),
        Some(Fault::Internal500) => Some((
            500,
            "Internal Server Error",
            "application/xml",
            s3_error("InternalError", INTERNAL),
        )),
        Some(Fault::ErrorIn200) => Some((
            200,
            "OK",
            "application/xml",
            s3_error("InternalError", INTERNAL),
        )),
        Some(Fault::Html200) => Some((200, "OK", "text/html; charset=utf-8", HTML.to_string())),
        _ => None,
    };
    if let Some((status, reason, content_type, text)) = canned_answer {
        reader.drain(body).await?;
        let bytes = canned(status, reason, content_type, &text, is_head);
        write.write_all(&bytes).await?;
        shared.record(head, op, Some(status), fault);
        return Ok(Next::Keep);
    }
    match fault {
        Some(Fault::Silence) => {
            shared.record(head, op, None, fault);
            std::future::pending::<()>().await;
        }
        Some(Fault::ResetRequest) => {
            let half = match body {
                Body::Length(n) => n / 2,
                _ => 1,
            };
            let _ = reader
                .copy_body(body, &mut tokio::io::sink(), &mut StopAfter { after: half })
                .await;
            shared.record(head, op, None, fault);
            return Ok(Next::Reset);
        }
        Some(Fault::Latency(d)) => tokio::time::sleep(d).await,
        _ => {}
    }
    if upstream.is_none() {
        let conn = TcpStream::connect(&shared.upstream).await?;
        let _ = conn.set_nodelay(true);
        let (r, w) = conn.into_split();
        *upstream = Some((Reader::new(r), w));
    }
    let (up_read, up_write) = upstream.as_mut().expect("connected");
    up_write.write_all(&head.raw).await?;
    let mut flip = Flip { at: 0 };
    let flipped = match (fault, body) {
        (Some(Fault::FlipByte), Body::Length(n)) if n > 0 => {
            flip.at = shared.rng.lock().unwrap().gen_range(0..n);
            true
        }
        (Some(Fault::FlipByte), Body::Chunked) => true,
        _ => false,
    };
    let hook: &mut (dyn BodyHook + Send) = if flipped { &mut flip } else { &mut Unchanged };
    reader.copy_body(body, up_write, hook).await?;
    // The answer, past any interim 1xx (the client already got our own 100 Continue).
    let resp = loop {
        let Some(resp) = up_read.head().await? else {
            *upstream = None;
            shared.record(head, op, None, fault);
            return Ok(Next::Reset);
        };
        if resp.status() >= 200 {
            break resp;
        }
    };
    let resp_body = resp.response_body(&head.first);
    let fault_done = match fault {
        Some(Fault::FlipByte) if !flipped => None,
        other => other,
    };
    shared.record(head, op, Some(resp.status()), fault_done);
    write.write_all(&resp.raw).await?;
    if fault == Some(Fault::ResetResponse) {
        let half = match resp_body {
            Body::Length(n) => n / 2,
            _ => 1,
        };
        let _ = up_read
            .copy_body(resp_body, write, &mut StopAfter { after: half })
            .await;
        *upstream = None;
        return Ok(Next::Reset);
    }
    let copied = up_read.copy_body(resp_body, write, &mut Unchanged).await?;
    if copied != Copied::Done || resp.closes() || resp_body == Body::UntilClose {
        *upstream = None;
        write.shutdown().await?;
        return Ok(Next::Close);
    }
    if head.closes() {
        write.shutdown().await?;
        return Ok(Next::Close);
    }
    Ok(Next::Keep)
}

#[cfg(test)]
#[path = "fault_proxy_tests.rs"]
mod tests;
