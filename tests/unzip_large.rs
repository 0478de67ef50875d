//! Large-entry behaviour of `css_sync::unzip`: a ~50 MB DEFLATE entry (Java layout: data
//! descriptor, no sizes up front) streamed through a body that yields small odd-sized chunks
//! and read with small odd-sized reads. Checks MD5/CRC-32/size against values computed while
//! generating, and — with a counting global allocator (its own test binary, so nothing else
//! allocates concurrently) — that peak heap growth while streaming stays far below the entry
//! size, i.e. nothing buffers the entry.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::task::{Context, Poll};

use css_sync::unzip::{Limits, ZipEntries};
use flate2::write::DeflateEncoder;
use md5::{Digest, Md5};
use tokio::io::{AsyncRead, ReadBuf};

struct Counting;
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(l.size(), Relaxed) + l.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        CURRENT.fetch_sub(l.size(), Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Yields the zip in chunks cycling through `SIZES`.
struct Chunks {
    data: Vec<u8>,
    pos: usize,
    i: usize,
}

const SIZES: [usize; 5] = [1, 7, 4093, 65536, 13];

impl AsyncRead for Chunks {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let n = SIZES[this.i % SIZES.len()]
            .min(buf.remaining())
            .min(this.data.len() - this.pos);
        this.i += 1;
        buf.put_slice(&this.data[this.pos..this.pos + n]);
        this.pos += n;
        Poll::Ready(Ok(()))
    }
}

const SIZE: usize = 50 << 20;

/// Java-layout zip with one ~50 MB DEFLATE entry; returns (zip, md5, crc32).
fn java_style_zip() -> (Vec<u8>, [u8; 16], u32) {
    let name = b"recordings/big.wav";
    let mut zip = Vec::new();
    zip.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    zip.extend_from_slice(&[20, 0, 8, 0, 8, 0, 0, 0, 0x21, 0]);
    zip.extend_from_slice(&[0; 12]);
    zip.extend_from_slice(&(name.len() as u16).to_le_bytes());
    zip.extend_from_slice(&[0, 0]);
    zip.extend_from_slice(name);
    let start = zip.len();
    let (mut md5, mut crc) = (Md5::new(), crc32fast::Hasher::new());
    let mut enc = DeflateEncoder::new(zip, flate2::Compression::fast());
    let mut x = 1u32;
    let mut block = vec![0u8; 1 << 16];
    for _ in 0..SIZE / block.len() {
        for (i, b) in block.iter_mut().enumerate() {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            *b = ((x >> 16) % 23) as u8 + (i % 7) as u8 * 3 + 32;
        }
        md5.update(&block);
        crc.update(&block);
        enc.write_all(&block).expect("deflate");
    }
    let mut zip = enc.finish().expect("deflate");
    let csize = (zip.len() - start) as u32;
    let crc = crc.finalize();
    zip.extend_from_slice(&0x0807_4b50u32.to_le_bytes());
    zip.extend_from_slice(&crc.to_le_bytes());
    zip.extend_from_slice(&csize.to_le_bytes());
    zip.extend_from_slice(&(SIZE as u32).to_le_bytes());
    let cd_start = zip.len() as u32;
    zip.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    zip.extend_from_slice(&[20, 0, 20, 0, 8, 0, 8, 0, 0, 0, 0x21, 0]);
    zip.extend_from_slice(&crc.to_le_bytes());
    zip.extend_from_slice(&csize.to_le_bytes());
    zip.extend_from_slice(&(SIZE as u32).to_le_bytes());
    zip.extend_from_slice(&(name.len() as u16).to_le_bytes());
    zip.extend_from_slice(&[0; 16]);
    zip.extend_from_slice(name);
    let cd_size = zip.len() as u32 - cd_start;
    zip.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    zip.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
    zip.extend_from_slice(&cd_size.to_le_bytes());
    zip.extend_from_slice(&cd_start.to_le_bytes());
    zip.extend_from_slice(&[0, 0]);
    (zip, md5.finalize().into(), crc)
}

#[test]
fn fifty_megabyte_entry_streams_in_bounded_memory() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let (zip, want_md5, want_crc) = java_style_zip();
    let zip_len = zip.len();
    let body = Chunks {
        data: zip,
        pos: 0,
        i: 0,
    };
    let baseline = CURRENT.load(Relaxed);
    PEAK.store(baseline, Relaxed);
    let (digest, read_md5, reads) = rt.block_on(async move {
        let mut entries = ZipEntries::new(body, Limits::default());
        let mut entry = entries
            .next_entry(|_| Some(SIZE as u64))
            .await
            .expect("header")
            .expect("entry");
        let mut buf = [0u8; 8192];
        let (mut md5, mut reads, mut i) = (Md5::new(), 0u64, 0usize);
        loop {
            let want = [7, 1, 8192, 1000][i % 4];
            i += 1;
            let n = entry.read(&mut buf[..want]).await.expect("read");
            if n == 0 {
                break;
            }
            reads += 1;
            md5.update(&buf[..n]);
        }
        let digest = entry.finish().await.expect("verify");
        assert!(entries.next_entry(|_| None).await.expect("end").is_none());
        entries.finish().await.expect("central directory");
        (digest, <[u8; 16]>::from(md5.finalize()), reads)
    });
    let peak = PEAK.load(Relaxed) - baseline;
    assert_eq!(digest.size, SIZE as u64);
    assert_eq!(digest.crc32, want_crc);
    assert_eq!(digest.md5, Some(want_md5));
    assert_eq!(read_md5, want_md5);
    assert!(reads > 10_000, "small reads: {reads}");
    eprintln!("zip {zip_len} bytes, entry {SIZE} bytes, peak heap growth {peak} bytes");
    assert!(
        peak < 1 << 20,
        "peak heap growth {peak} bytes while streaming a {SIZE}-byte entry"
    );
}

/// Real Java output with an entry over 4 GiB: the 8-byte data descriptor comes without a zip64
/// extra field in the local header (the case astral_async_zip misreads). Slow and needs a JDK:
/// `cargo test --test unzip_large -- --ignored`.
#[test]
#[ignore]
fn java_zip64_descriptor_over_4gib() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/zips/BigJava.java"
    );
    let ok = std::process::Command::new("javac")
        .arg("-d")
        .arg(dir.path())
        .arg(src)
        .status();
    assert!(ok.expect("javac").success());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async {
        let mut child = tokio::process::Command::new("java")
            .arg("-cp")
            .arg(dir.path())
            .arg("BigJava")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("java");
        let stdout = child.stdout.take().expect("stdout");
        let mut zip = ZipEntries::new(
            stdout,
            Limits {
                max_entry_bytes: 5 << 30,
                ..Limits::default()
            },
        );
        let mut digests = Vec::new();
        while let Some(entry) = zip.next_entry(|_| None).await.expect("entry") {
            let name = String::from_utf8_lossy(entry.raw_name()).into_owned();
            digests.push((name, entry.skip().await.expect("verify")));
        }
        let summary = zip.finish().await.expect("central directory");
        let out = child.wait_with_output().await.expect("java exit");
        let java = String::from_utf8_lossy(&out.stderr).trim().to_string();
        let (name, big) = &digests[0];
        assert_eq!(name, "big.wav");
        let ours = format!(
            "{} {:x} {}",
            hex::encode(big.md5.expect("md5")),
            big.crc32,
            big.size
        );
        assert_eq!(ours, java);
        assert!(big.size > 0xFFFF_FFFF);
        assert_eq!(
            digests[1].1.md5,
            Some(<[u8; 16]>::from(Md5::digest(b"after\n")))
        );
        assert_eq!(summary.entries, 2);
    });
}
