//! Just enough HTTP/1.1 framing for the fault proxy: read one message head (request or
//! response) off a connection, learn how its body is delimited (Content-Length, chunked, none,
//! or until the connection closes), and copy that body to the other side byte for byte — with
//! an optional hook that may change the body's bytes (the proxy's "flip one byte") or stop
//! half-way (its "reset mid-body"). It never re-encodes a head: the bytes the client sent
//! (Host, the SigV4 signature, every header) reach the server unchanged.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Longest head accepted (S3 heads are a few KiB).
const MAX_HEAD: usize = 64 * 1024;
/// Read size for bodies.
const CHUNK: usize = 64 * 1024;

/// A connection's read side with the bytes read ahead of the current message.
pub struct Reader<R> {
    inner: R,
    buf: Vec<u8>,
}

/// One parsed message head: the raw bytes and what the proxy needs from them.
#[derive(Debug, Clone)]
pub struct Head {
    pub raw: Vec<u8>,
    /// Request: method; response: "HTTP/1.1".
    pub first: String,
    /// Request: target (path?query); response: status code.
    pub second: String,
    pub headers: Vec<(String, String)>,
    /// When the head was read in full.
    pub received: std::time::Instant,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn status(&self) -> u16 {
        self.second.parse().unwrap_or(0)
    }

    fn chunked(&self) -> bool {
        self.header("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    }

    fn content_length(&self) -> Option<u64> {
        self.header("content-length")?.trim().parse().ok()
    }

    /// How a request's body is delimited (no length and not chunked: no body).
    pub fn request_body(&self) -> Body {
        if self.chunked() {
            Body::Chunked
        } else {
            Body::Length(self.content_length().unwrap_or(0))
        }
    }

    /// How the body of this response to `method` is delimited.
    pub fn response_body(&self, method: &str) -> Body {
        let status = self.status();
        if method.eq_ignore_ascii_case("HEAD") || status == 204 || status == 304 || status < 200 {
            Body::Length(0)
        } else if self.chunked() {
            Body::Chunked
        } else if let Some(n) = self.content_length() {
            Body::Length(n)
        } else {
            Body::UntilClose
        }
    }

    /// Whether the connection ends after this message.
    pub fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    Length(u64),
    Chunked,
    UntilClose,
}

/// What the body hook decides for each run of body bytes (`offset` = bytes of body data
/// before this run).
pub trait BodyHook {
    /// May change `data`; returning false stops the copy here (nothing more is written).
    fn on_data(&mut self, offset: u64, data: &mut [u8]) -> bool;
}

/// The hook that copies bytes unchanged.
pub struct Unchanged;

impl BodyHook for Unchanged {
    fn on_data(&mut self, _: u64, _: &mut [u8]) -> bool {
        true
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Copied {
    /// The whole body was copied.
    Done,
    /// The hook stopped the copy.
    Stopped,
}

impl<R: AsyncRead + Unpin> Reader<R> {
    pub fn new(inner: R) -> Self {
        Reader {
            inner,
            buf: Vec::new(),
        }
    }

    pub fn into_inner(self) -> R {
        self.inner
    }

    async fn fill(&mut self) -> std::io::Result<usize> {
        let mut tmp = vec![0u8; CHUNK];
        let n = self.inner.read(&mut tmp).await?;
        self.buf.extend_from_slice(&tmp[..n]);
        Ok(n)
    }

    /// The next head, or `None` when the peer closed cleanly before sending one.
    pub async fn head(&mut self) -> std::io::Result<Option<Head>> {
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let raw: Vec<u8> = self.buf.drain(..end + 4).collect();
                return parse_head(raw).map(Some);
            }
            if self.buf.len() > MAX_HEAD {
                return Err(invalid("head too long"));
            }
            if self.fill().await? == 0 {
                return if self.buf.is_empty() {
                    Ok(None)
                } else {
                    Err(invalid("connection closed inside a head"))
                };
            }
        }
    }

    /// Up to `max` bytes of what follows (from the read-ahead first); empty at EOF.
    async fn some(&mut self, max: usize) -> std::io::Result<Vec<u8>> {
        if self.buf.is_empty() && self.fill().await? == 0 {
            return Ok(Vec::new());
        }
        let n = self.buf.len().min(max);
        Ok(self.buf.drain(..n).collect())
    }

    async fn line(&mut self) -> std::io::Result<Vec<u8>> {
        loop {
            if let Some(end) = find(&self.buf, b"\r\n") {
                return Ok(self.buf.drain(..end + 2).collect());
            }
            if self.buf.len() > MAX_HEAD || self.fill().await? == 0 {
                return Err(invalid("bad chunk framing"));
            }
        }
    }

    /// Copies one body framed as `body` to `out`, passing the data bytes through `hook`.
    pub async fn copy_body<W: AsyncWrite + Unpin>(
        &mut self,
        body: Body,
        out: &mut W,
        hook: &mut (dyn BodyHook + Send),
    ) -> std::io::Result<Copied> {
        let mut offset = 0u64;
        match body {
            Body::Length(n) => {
                if self.copy_data(Some(n), &mut offset, out, hook).await? == Copied::Stopped {
                    return Ok(Copied::Stopped);
                }
            }
            Body::UntilClose => {
                if self.copy_data(None, &mut offset, out, hook).await? == Copied::Stopped {
                    return Ok(Copied::Stopped);
                }
            }
            Body::Chunked => loop {
                let line = self.line().await?;
                let text = String::from_utf8_lossy(&line);
                let size_hex = text.trim().split(';').next().unwrap_or("").trim();
                let size =
                    u64::from_str_radix(size_hex, 16).map_err(|_| invalid("bad chunk size"))?;
                out.write_all(&line).await?;
                if size == 0 {
                    // Trailers, up to the empty line.
                    loop {
                        let t = self.line().await?;
                        out.write_all(&t).await?;
                        if t == b"\r\n" {
                            break;
                        }
                    }
                    break;
                }
                if self.copy_data(Some(size), &mut offset, out, hook).await? == Copied::Stopped {
                    return Ok(Copied::Stopped);
                }
                let crlf = self.line().await?;
                out.write_all(&crlf).await?;
            },
        }
        out.flush().await?;
        Ok(Copied::Done)
    }

    async fn copy_data<W: AsyncWrite + Unpin>(
        &mut self,
        len: Option<u64>,
        offset: &mut u64,
        out: &mut W,
        hook: &mut (dyn BodyHook + Send),
    ) -> std::io::Result<Copied> {
        let mut left = len;
        while left != Some(0) {
            let max = left.map_or(CHUNK, |l| l.min(CHUNK as u64) as usize);
            let mut data = self.some(max).await?;
            if data.is_empty() {
                return match len {
                    None => Ok(Copied::Done),
                    Some(_) => Err(invalid("connection closed inside a body")),
                };
            }
            if !hook.on_data(*offset, &mut data) {
                return Ok(Copied::Stopped);
            }
            *offset += data.len() as u64;
            left = left.map(|l| l - data.len() as u64);
            out.write_all(&data).await?;
        }
        Ok(Copied::Done)
    }

    /// Reads and drops one body.
    pub async fn drain(&mut self, body: Body) -> std::io::Result<()> {
        self.copy_body(body, &mut tokio::io::sink(), &mut Unchanged)
            .await
            .map(|_| ())
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn invalid(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string())
}

/// Parses a head's first line and header lines (the raw bytes are kept as they are).
pub fn parse_head(raw: Vec<u8>) -> std::io::Result<Head> {
    let text = String::from_utf8_lossy(&raw).into_owned();
    let mut lines = text.split("\r\n");
    let first_line = lines.next().unwrap_or("");
    let mut parts = first_line.splitn(3, ' ');
    let first = parts.next().unwrap_or("").to_string();
    let second = parts.next().unwrap_or("").to_string();
    if first.is_empty() || second.is_empty() {
        return Err(invalid("bad first line"));
    }
    let headers = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| {
            let (n, v) = l.split_once(':')?;
            Some((n.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    Ok(Head {
        raw,
        first,
        second,
        headers,
        received: std::time::Instant::now(),
    })
}
