//! The `delay-proxy` binary (benches/bench.py's latency): it forwards both directions byte for
//! byte and finds every request head of a keep-alive connection — bodies with Content-Length
//! and chunked bodies are framed, so request-looking bytes inside a body are not heads — and
//! `--count-file` counts exactly those heads, by method, while running and at SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Command, Stdio};

/// Three requests on one connection: a GET, a PUT whose body looks like a request, a chunked
/// PUT whose chunk does too.
const REQUESTS: &[u8] = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n\
PUT /b HTTP/1.1\r\nHost: x\r\nContent-Length: 31\r\n\r\nGET /fake HTTP/1.1\r\nHost: x\r\n\r\n\
PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
1f\r\nGET /fake2 HTTP/1.1\r\nHost: \r\n\r\n0\r\n\r\n";

const ANSWER: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc\x00\xff";

#[test]
fn forwards_bytes_unchanged_and_delays_each_request_head_once() {
    let upstream = TcpListener::bind("127.0.0.1:0").expect("bind upstream");
    let up_addr = upstream.local_addr().expect("upstream addr");
    let server = std::thread::spawn(move || {
        let (mut conn, _) = upstream.accept().expect("accept");
        let mut got = Vec::new();
        conn.read_to_end(&mut got).expect("read requests");
        conn.write_all(ANSWER).expect("answer");
        got
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let count_file = dir.path().join("count.json");
    let mut proxy = Command::new(env!("CARGO_BIN_EXE_delay-proxy"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &up_addr.to_string(),
        ])
        .args(["--delay-ms", "1", "--verbose"])
        .arg("--count-file")
        .arg(&count_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn delay-proxy");
    let mut line = String::new();
    BufReader::new(proxy.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("address line");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();

    let mut client = TcpStream::connect(&addr).expect("connect to proxy");
    client.write_all(REQUESTS).expect("send");
    client.shutdown(Shutdown::Write).expect("half-close");
    let mut answer = Vec::new();
    client.read_to_end(&mut answer).expect("read answer");
    let got = server.join().expect("upstream thread");
    assert_eq!(
        got, REQUESTS,
        "upstream saw other bytes than the client sent"
    );
    assert_eq!(answer, ANSWER, "client saw other bytes than upstream sent");

    let want = serde_json::json!({"total": 3, "by_method": {"GET": 1, "PUT": 2}});
    // While running: the periodic rewrite (every 100 ms) reaches the three heads.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if read_counts(&count_file) == Some(want.clone()) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "count file never said {want}: {:?}",
            read_counts(&count_file)
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // At SIGTERM: the last write, then exit 0.
    let killed = Command::new("kill")
        .args(["-TERM", &proxy.id().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success(), "kill -TERM failed");
    let status = proxy.wait().expect("wait for delay-proxy");
    assert!(status.success(), "delay-proxy exited {status} on SIGTERM");
    assert_eq!(read_counts(&count_file), Some(want));
    let mut err = String::new();
    proxy
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("read stderr");
    let delayed: Vec<&str> = err.lines().filter(|l| l.starts_with("delayed: ")).collect();
    assert_eq!(
        delayed,
        [
            "delayed: GET /a HTTP/1.1",
            "delayed: PUT /b HTTP/1.1",
            "delayed: PUT /c HTTP/1.1"
        ]
    );
}

/// The count file's JSON, `None` while it does not exist or does not parse.
fn read_counts(path: &std::path::Path) -> Option<serde_json::Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}
