//! `delay-proxy`: a TCP forwarder for HTTP/1.1 that adds a fixed delay once per request, so a
//! benchmark on loopback can see the round trips a distant server costs (`benches/bench.py`
//! puts one in front of css-sim and one in front of the S3 server).
//!
//! Owns: accepting connections, one upstream connection per client connection, finding the
//! request heads in the client's byte stream (keep-alive aware: Content-Length and chunked
//! bodies are framed, never parsed further) and sleeping `--delay-ms` before forwarding each
//! head. Never changes a byte (heads, bodies and responses are forwarded as read), never
//! delays the response direction, never holds more than `BUF` bytes of a body or `MAX_HEAD`
//! (+ 1) bytes of a head per connection.
//! A connection whose framing it cannot follow (no Content-Length / chunked on a request
//! with a body it cannot see, bad chunk sizes) is forwarded raw from then on, undelayed.
//!
//! With `--count-file PATH` it also counts the request heads it forwards, by method, and keeps
//! PATH holding `{"total": N, "by_method": {"GET": n, …}}` (rewritten atomically, tmp + rename,
//! at most every 100 ms while it changes, and a last time on SIGTERM / SIGINT, where it then
//! exits 0); a connection forwarded raw counts no further heads.
//!
//! Prints `listening on http://HOST:PORT` as the first stdout line, like css-sim.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Parser;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::{TcpListener, TcpStream};

/// Read buffer per connection and direction.
const BUF: usize = 64 * 1024;
/// Longest request head (request line + headers) it follows; longer ones go raw.
const MAX_HEAD: usize = 64 * 1024;

/// Forward TCP to an HTTP/1.1 server, adding a delay before each request.
#[derive(Parser)]
#[command(name = "delay-proxy", version)]
struct Cli {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// The server to forward to (HOST:PORT).
    #[arg(long)]
    upstream: SocketAddr,
    /// Delay added once per HTTP request, before its head is forwarded (ms).
    #[arg(long, default_value_t = 10)]
    delay_ms: u64,
    /// Print each delayed request line on stderr (`delayed: GET /x HTTP/1.1`).
    #[arg(long)]
    verbose: bool,
    /// Keep this file holding the number of requests forwarded, by method (JSON).
    #[arg(long, env = "DELAY_PROXY_COUNT_FILE")]
    count_file: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let listener = match TcpListener::bind(cli.listen).await {
        Ok(l) => l,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "delay-proxy: cannot listen on {}: {e}",
                cli.listen
            );
            return std::process::ExitCode::from(2);
        }
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "delay-proxy: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on http://{addr}");
        let _ = out.flush();
    }
    let counter = cli.count_file.as_ref().map(|_| Counter::default());
    let delay = Delay {
        every: Duration::from_millis(cli.delay_ms),
        verbose: cli.verbose,
        counter: counter.clone(),
    };
    let accept = async {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                continue;
            };
            let upstream = cli.upstream;
            let delay = delay.clone();
            tokio::spawn(async move {
                let _ = serve(client, upstream, delay).await;
            });
        }
    };
    let (Some(path), Some(counter)) = (cli.count_file, counter) else {
        return accept.await;
    };
    if let Err(e) = write_counts(&path, &counter) {
        let _ = writeln!(
            std::io::stderr(),
            "delay-proxy: cannot write {}: {e}",
            path.display()
        );
        return std::process::ExitCode::from(2);
    }
    let (Ok(mut term), Ok(mut int)) = (
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()),
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()),
    ) else {
        let _ = writeln!(std::io::stderr(), "delay-proxy: cannot catch signals");
        return std::process::ExitCode::from(2);
    };
    let flush = async {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if counter.take_dirty() {
                let _ = write_counts(&path, &counter);
            }
        }
    };
    tokio::select! {
        code = accept => code,
        () = flush => std::process::ExitCode::SUCCESS,
        _ = term.recv() => final_counts(&path, &counter),
        _ = int.recv() => final_counts(&path, &counter),
    }
}

/// The delay added before each request head, whether to print the request line, and the
/// request counter (`--count-file`).
#[derive(Clone)]
struct Delay {
    every: Duration,
    verbose: bool,
    counter: Option<Counter>,
}

/// Requests forwarded, by method, and whether that changed since the file was last written.
#[derive(Clone, Default)]
struct Counter(Arc<Mutex<(BTreeMap<String, u64>, bool)>>);

impl Counter {
    fn add(&self, head: &[u8]) {
        let mut c = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *c.0.entry(method_of(head)).or_default() += 1;
        c.1 = true;
    }

    fn take_dirty(&self) -> bool {
        std::mem::take(&mut self.0.lock().unwrap_or_else(|p| p.into_inner()).1)
    }

    fn json(&self) -> String {
        let c = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let total: u64 = c.0.values().sum();
        serde_json::json!({"total": total, "by_method": c.0}).to_string()
    }
}

/// The method of a request head: its first word when that is 1–16 ASCII capitals, else `OTHER`.
fn method_of(head: &[u8]) -> String {
    let word = head.split(|b| *b == b' ').next().unwrap_or_default();
    if (1..=16).contains(&word.len()) && word.iter().all(u8::is_ascii_uppercase) {
        String::from_utf8_lossy(word).into_owned()
    } else {
        "OTHER".into()
    }
}

/// Writes the counts to `path` atomically (a sibling `.tmp` file, then rename).
fn write_counts(path: &Path, counter: &Counter) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, counter.json())?;
    std::fs::rename(&tmp, path)
}

/// The last write on SIGTERM / SIGINT: exit 0 when it succeeded.
fn final_counts(path: &Path, counter: &Counter) -> std::process::ExitCode {
    match write_counts(path, counter) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "delay-proxy: cannot write {}: {e}",
                path.display()
            );
            std::process::ExitCode::FAILURE
        }
    }
}

/// One client connection: responses flow back as they come; requests go up one head at a time.
async fn serve(client: TcpStream, upstream: SocketAddr, delay: Delay) -> std::io::Result<()> {
    let _ = client.set_nodelay(true);
    let server = TcpStream::connect(upstream).await?;
    let _ = server.set_nodelay(true);
    let (cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let down = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut sr, &mut cw).await;
        let _ = cw.shutdown().await;
    });
    let mut cr = BufReader::with_capacity(BUF, cr);
    let up = requests(&mut cr, &mut sw, delay).await;
    let _ = sw.shutdown().await;
    let _ = down.await;
    up
}

/// Forwards requests from `cr` to `sw`, sleeping `delay` before each head.
async fn requests(
    cr: &mut BufReader<OwnedReadHalf>,
    sw: &mut tokio::net::tcp::OwnedWriteHalf,
    delay: Delay,
) -> std::io::Result<()> {
    loop {
        let mut head = Vec::new();
        loop {
            let n = read_line(cr, &mut head, MAX_HEAD + 1).await?;
            if n == 0 {
                // EOF: forward any partial head and stop.
                sw.write_all(&head).await?;
                return Ok(());
            }
            if head.ends_with(b"\r\n\r\n") || head == b"\r\n" || head.len() > MAX_HEAD {
                break;
            }
        }
        if head == b"\r\n" {
            sw.write_all(&head).await?;
            continue;
        }
        if !delay.every.is_zero() {
            tokio::time::sleep(delay.every).await;
        }
        if delay.verbose {
            let line = head.split(|b| *b == b'\r').next().unwrap_or_default();
            let _ = writeln!(
                std::io::stderr(),
                "delayed: {}",
                String::from_utf8_lossy(line)
            );
        }
        sw.write_all(&head).await?;
        if let Some(counter) = &delay.counter {
            counter.add(&head);
        }
        match body_framing(&head) {
            Some(Framing::Length(n)) => copy_exact(cr, sw, n).await?,
            Some(Framing::Chunked) => {
                if !copy_chunked(cr, sw).await? {
                    return raw(cr, sw).await;
                }
            }
            None => return raw(cr, sw).await,
        }
    }
}

/// How a request's body ends.
#[derive(Debug, PartialEq)]
enum Framing {
    Length(u64),
    Chunked,
}

/// The body framing of a request head; `None` when it cannot be told (forward raw).
fn body_framing(head: &[u8]) -> Option<Framing> {
    if head.len() > MAX_HEAD || !head.ends_with(b"\r\n\r\n") {
        return None;
    }
    let text = std::str::from_utf8(head).ok()?;
    let mut length = None;
    for line in text.split("\r\n").skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("transfer-encoding") {
            return value
                .to_ascii_lowercase()
                .ends_with("chunked")
                .then_some(Framing::Chunked);
        }
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse::<u64>().ok()?);
        }
    }
    Some(Framing::Length(length.unwrap_or(0)))
}

/// Appends to `buf` up to and including the next `\n`, never letting `buf` grow past `max`
/// bytes; returns the bytes read (0 at EOF).
async fn read_line(
    cr: &mut BufReader<OwnedReadHalf>,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<usize> {
    let room = max.saturating_sub(buf.len()).max(1) as u64;
    (&mut *cr).take(room).read_until(b'\n', buf).await
}

async fn copy_exact<W: AsyncWriteExt + Unpin>(
    cr: &mut BufReader<OwnedReadHalf>,
    sw: &mut W,
    n: u64,
) -> std::io::Result<()> {
    let mut limited = (&mut *cr).take(n);
    let copied = tokio::io::copy_buf(&mut limited, sw).await?;
    if copied < n {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

/// Copies one chunked body (chunks, last chunk, trailers); `false` when its framing is bad.
async fn copy_chunked<W: AsyncWriteExt + Unpin>(
    cr: &mut BufReader<OwnedReadHalf>,
    sw: &mut W,
) -> std::io::Result<bool> {
    loop {
        let mut line = Vec::new();
        if read_line(cr, &mut line, MAX_HEAD).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        sw.write_all(&line).await?;
        let size = std::str::from_utf8(&line)
            .ok()
            .and_then(|l| l.trim().split(';').next())
            .and_then(|s| u64::from_str_radix(s.trim(), 16).ok());
        let Some(size) = size else {
            return Ok(false);
        };
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                let mut t = Vec::new();
                if read_line(cr, &mut t, MAX_HEAD).await? == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                sw.write_all(&t).await?;
                if t == b"\r\n" || t == b"\n" {
                    return Ok(true);
                }
            }
        }
        // The chunk and its CRLF.
        copy_exact(cr, sw, size + 2).await?;
    }
}

async fn raw<W: AsyncWriteExt + Unpin>(
    cr: &mut BufReader<OwnedReadHalf>,
    sw: &mut W,
) -> std::io::Result<()> {
    tokio::io::copy_buf(cr, sw).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_of_heads() {
        let cases: &[(&[u8], &str)] = &[
            (b"GET / HTTP/1.1\r\n\r\n", "GET"),
            (b"PUT /k HTTP/1.1\r\n\r\n", "PUT"),
            (b"get / HTTP/1.1\r\n\r\n", "OTHER"),
            (b" / HTTP/1.1\r\n\r\n", "OTHER"),
            (b"\xff\xfe\r\n\r\n", "OTHER"),
            (b"ABCDEFGHIJKLMNOPQ / HTTP/1.1\r\n\r\n", "OTHER"),
        ];
        for (head, want) in cases {
            assert_eq!(
                method_of(head),
                *want,
                "{:?}",
                String::from_utf8_lossy(head)
            );
        }
    }

    #[test]
    fn framing_of_heads() {
        let cases: &[(&[u8], Option<Framing>)] = &[
            (
                b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
                Some(Framing::Length(0)),
            ),
            (
                b"PUT /k HTTP/1.1\r\ncontent-length: 42\r\n\r\n",
                Some(Framing::Length(42)),
            ),
            (
                b"PUT /k HTTP/1.1\r\nContent-Length:  7 \r\n\r\n",
                Some(Framing::Length(7)),
            ),
            (
                b"PUT /k HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
                Some(Framing::Chunked),
            ),
            (
                b"PUT /k HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                Some(Framing::Chunked),
            ),
            (b"PUT /k HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", None),
            (b"PUT /k HTTP/1.1\r\nContent-Length: x\r\n\r\n", None),
            (b"PUT /k HTTP/1.1\r\nContent-Length: 1\r\n", None),
            (b"\xff\xfe\r\n\r\n", None),
        ];
        for (head, want) in cases {
            assert_eq!(
                &body_framing(head),
                want,
                "{:?}",
                String::from_utf8_lossy(head)
            );
        }
    }
}
