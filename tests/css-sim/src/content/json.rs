//! JSON content for [`ContentKind::Json`](super::ContentKind::Json): a transcription-like
//! document of exactly the requested length that parses as JSON. It is built from fixed-size
//! blocks generated independently (each block holds whole segment records, padded with
//! spaces), so a Range read regenerates one 64 KiB block at most rather than the whole prefix.
//! This module only produces bytes; it never allocates per object beyond one block.

use super::mix64;

/// Block size: the unit of regeneration for random access.
pub(super) const BLOCK: u64 = 64 * 1024;

/// The last bytes of every document that is big enough to have a header.
const CLOSING: &[u8] = b"\n]}\n";

const WORDS: &[&str] = &[
    "thank",
    "you",
    "for",
    "calling",
    "how",
    "can",
    "I",
    "help",
    "today",
    "my",
    "account",
    "number",
    "is",
    "the",
    "order",
    "was",
    "not",
    "delivered",
    "yet",
    "let",
    "me",
    "check",
    "that",
    "please",
    "hold",
    "one",
    "moment",
    "sure",
    "no",
    "problem",
    "billing",
    "invoice",
    "last",
    "month",
    "payment",
    "card",
    "refund",
    "issue",
    "update",
    "address",
    "email",
    "phone",
    "service",
    "internet",
    "connection",
    "slow",
    "again",
    "appointment",
    "tomorrow",
    "morning",
    "afternoon",
    "transfer",
    "department",
    "supervisor",
    "ticket",
    "reference",
    "okay",
    "great",
    "perfect",
    "yes",
    "right",
    "understand",
    "apologize",
    "inconvenience",
    "anything",
    "else",
    "have",
    "a",
    "nice",
    "day",
    "goodbye",
    "hello",
    "this",
    "and",
    "to",
    "it",
    "we",
    "will",
    "send",
    "confirmation",
    "shortly",
];

/// wyrand: a sequential PRNG for text within one block.
struct WyRand(u64);

impl WyRand {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0xa076_1d64_78bd_642f);
        let t = u128::from(self.0) * u128::from(self.0 ^ 0xe703_7ed1_a0b4_28db);
        ((t >> 64) as u64) ^ (t as u64)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn header(id: &str) -> Vec<u8> {
    // Only characters that never need JSON escaping, and a bounded length so the header always
    // fits in block 0 whatever the id.
    let safe: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(64)
        .collect();
    format!(
        "{{\"objectId\":\"{safe}\",\"type\":\"transcription\",\"language\":\"en-US\",\"segments\":["
    )
    .into_bytes()
}

fn record(rng: &mut WyRand, clock_ms: &mut u64, first: bool, out: &mut Vec<u8>) {
    out.extend_from_slice(if first { b"\n  {" } else { b",\n  {" });
    let speaker = if rng.below(2) == 0 {
        "Agent"
    } else {
        "Customer"
    };
    let start = *clock_ms + rng.below(1500);
    let end = start + 400 + rng.below(9000);
    *clock_ms = end;
    let confidence = 700 + rng.below(300);
    out.extend_from_slice(
        format!(
            "\"speaker\":\"{speaker}\",\"startMs\":{start},\"endMs\":{end},\"confidence\":0.{confidence:03},\"text\":\""
        )
        .as_bytes(),
    );
    let words = 3 + rng.below(30);
    for i in 0..words {
        if i > 0 {
            out.push(b' ');
        }
        let word = WORDS[rng.below(WORDS.len() as u64) as usize];
        out.extend_from_slice(word.as_bytes());
    }
    out.extend_from_slice(b".\"}");
}

/// The bytes of block `b` of a `len`-byte document (shorter than [`BLOCK`] only at the end).
fn block_bytes(key: u64, id: &str, len: u64, b: u64) -> Vec<u8> {
    let start = b.saturating_mul(BLOCK);
    let end = start.saturating_add(BLOCK).min(len);
    if start >= end {
        return Vec::new();
    }
    let head = header(id);
    let min_doc = (head.len() + CLOSING.len()) as u64;
    if len < min_doc {
        // Too small for the header: still valid JSON ("0", or an empty object and spaces).
        let mut out = if len == 1 {
            b"0".to_vec()
        } else {
            b"{}".to_vec()
        };
        out.resize(len as usize, b' ');
        return out;
    }
    let close_at = len - CLOSING.len() as u64;
    if start >= close_at {
        return CLOSING[(start - close_at) as usize..(end - close_at) as usize].to_vec();
    }
    let body = (end.min(close_at) - start) as usize;
    let mut out = Vec::with_capacity((end - start) as usize);
    let mut first = b == 0;
    if first {
        out.extend_from_slice(&head);
    }
    let mut rng = WyRand(mix64(
        key ^ b.wrapping_add(1).wrapping_mul(0xd1b5_4a32_d192_ed03),
    ));
    // Each block starts an hour later so timestamps grow through the document.
    let mut clock_ms = b.saturating_mul(3_600_000);
    let mut rec = Vec::with_capacity(1024);
    loop {
        rec.clear();
        record(&mut rng, &mut clock_ms, first, &mut rec);
        if out.len() + rec.len() > body {
            break;
        }
        out.extend_from_slice(&rec);
        first = false;
    }
    out.resize(body, b' ');
    if end > close_at {
        out.extend_from_slice(&CLOSING[..(end - close_at) as usize]);
    }
    out
}

/// Fills `buf` with document bytes from `offset`; past `len` the document is padded with
/// spaces. `cache` keeps the last generated block for sequential readers.
pub(super) fn fill(
    key: u64,
    id: &str,
    len: u64,
    cache: &mut Option<(u64, Vec<u8>)>,
    offset: u64,
    buf: &mut [u8],
) {
    let mut pos = offset;
    let mut done = 0usize;
    while done < buf.len() {
        let out = &mut buf[done..];
        if pos >= len {
            out.fill(b' ');
            return;
        }
        let b = pos / BLOCK;
        if cache.as_ref().map(|(cached, _)| *cached) != Some(b) {
            *cache = Some((b, block_bytes(key, id, len, b)));
        }
        let Some((_, block)) = cache.as_ref() else {
            return;
        };
        let within = (pos - b * BLOCK) as usize;
        let avail = block.len().saturating_sub(within);
        let n = avail.min(out.len());
        if n == 0 {
            // Cannot happen for pos < len; spaces keep the contract without a panic.
            out.fill(b' ');
            return;
        }
        out[..n].copy_from_slice(&block[within..within + n]);
        done += n;
        pos += n as u64;
    }
}
