//! Issue 7 (metrics): Debian's Prometheus server, scraping a css-sync run's `METRICS_LISTEN`
//! every second, and its Pushgateway, each on a free 127.0.0.1 port with its data in a temp
//! dir; plus `promtool check metrics` and parsers for the text format. Killed on drop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free port on 127.0.0.1 (bound then released: the server binds it right after).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A server process killed on drop, with its base URL and temp dir.
pub struct Server {
    child: Child,
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn wait_ready(url: &str, child: &mut Child, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest::get(format!("{url}/-/ready")).await {
            if r.status().is_success() {
                return;
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited at start: {status}");
        }
        assert!(Instant::now() < deadline, "{what} not ready in 30s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Prometheus scraping `target` (host:port) every second as job `css-sync`.
pub async fn prometheus(target: &str) -> Server {
    prometheus_with(target, false).await
}

/// [`prometheus`]; with `honor_labels` the target's `job` labels are kept (a Pushgateway).
pub async fn prometheus_with(target: &str, honor_labels: bool) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n  \
             - job_name: css-sync\n    honor_labels: {honor_labels}\n    static_configs:\n      \
             - targets: ['{target}']\n"
        ),
    )
    .expect("write prometheus.yml");
    let port = free_port();
    let mut child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn prometheus (Debian package `prometheus`; tests/run.sh installs it)");
    let url = format!("http://127.0.0.1:{port}");
    wait_ready(&url, &mut child, "prometheus").await;
    Server {
        child,
        url,
        _dir: dir,
    }
}

/// The Pushgateway (Debian's `prometheus-pushgateway`), nothing persisted.
pub async fn pushgateway() -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let mut child = Command::new("prometheus-pushgateway")
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn prometheus-pushgateway (tests/run.sh installs it)");
    let url = format!("http://127.0.0.1:{port}");
    wait_ready(&url, &mut child, "pushgateway").await;
    Server {
        child,
        url,
        _dir: dir,
    }
}

/// A Prometheus instant query: each result's labels and value.
pub async fn query(prom: &Server, q: &str) -> Vec<(serde_json::Value, f64)> {
    let body: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v1/query", prom.url))
        .query(&[("query", q)])
        .send()
        .await
        .expect("query prometheus")
        .json()
        .await
        .expect("query JSON");
    assert_eq!(body["status"], "success", "{q}: {body}");
    body["data"]["result"]
        .as_array()
        .expect("vector result")
        .iter()
        .map(|r| {
            let v = r["value"][1].as_str().and_then(|v| v.parse().ok());
            (r["metric"].clone(), v.unwrap_or(f64::NAN))
        })
        .collect()
}

/// The single value of a query that sums to one series (`None` when empty).
pub async fn scalar(prom: &Server, q: &str) -> Option<f64> {
    query(prom, q).await.first().map(|(_, v)| *v)
}

/// `promtool check metrics` on `text`: (success, promtool's output).
pub fn promtool_check(text: &str) -> (bool, String) {
    use std::io::Write;
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn promtool (Debian package `prometheus`)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write to promtool");
    let out = child.wait_with_output().expect("promtool");
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), said)
}

/// One sample of a text-format rendering: name, labels (sorted `k="v"` pairs) and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Sample {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Every sample of a text-format rendering (label values without escapes, as css-sync's are).
pub fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (name, labels) = match series.split_once('{') {
                Some((n, rest)) => (n, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let mut labels: Vec<(String, String)> = labels
                .split("\",")
                .filter(|p| !p.is_empty())
                .filter_map(|p| {
                    let (k, v) = p.split_once("=\"")?;
                    Some((k.to_string(), v.trim_end_matches('"').to_string()))
                })
                .collect();
            labels.sort();
            Some(Sample {
                name: name.to_string(),
                labels,
                value: value.parse().ok()?,
            })
        })
        .collect()
}

/// The sum of `name` over the samples whose labels include every pair of `with`.
pub fn sum(samples: &[Sample], name: &str, with: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| with.iter().all(|(k, v)| s.label(k) == Some(*v)))
        .map(|s| s.value)
        .sum()
}
