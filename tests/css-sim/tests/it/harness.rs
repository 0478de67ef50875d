//! Test harness: spawn `css-sim` on port 0, read the `listening on` line, authenticate, drive
//! the API with reqwest, and read zips back with Python's zipfile and `unzip -t`.

use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const REGION: &str = "us-east";

/// A child process killed on drop.
struct Proc {
    child: Child,
    url: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts this package's `css-sim` binary on a free port (it binds port 0 itself and prints
/// the address) with `args`, extra environment variables set and others removed; returns
/// once it is listening.
fn spawn_sim_with(args: &[&str], set: &[(&str, &str)], remove: &[&str]) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_css-sim"));
    cmd.args(["--listen", "127.0.0.1:0"])
        .args(args)
        .envs(set.iter().copied());
    for name in remove {
        cmd.env_remove(name);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn css-sim");
    let stdout = child.stdout.take().expect("sim stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read sim stdout");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line from css-sim: {line:?}"))
        .to_string();
    Proc { child, url }
}

/// A running css-sim process (killed on drop) with an HTTP client and a token.
pub struct Sim {
    _proc: Proc,
    pub base: String,
    pub http: reqwest::Client,
    pub token: String,
}

/// Defaults that keep tests fast and deterministic; later flags override them.
const DEFAULTS: [&str; 12] = [
    "--now",
    "2024-10-01T00:00:00",
    "--prep-base-ms",
    "0",
    "--prep-rate",
    "0",
    "--max-object-size",
    "150KB",
    "--objects",
    "30",
    "--seed",
    "11",
];

/// DEFAULTS with every flag the test passes itself removed, then the test's flags.
fn merged(args: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for pair in DEFAULTS.chunks(2) {
        if !args.contains(&pair[0]) {
            out.extend(pair.iter().map(|s| s.to_string()));
        }
    }
    out.extend(args.iter().map(|s| s.to_string()));
    out
}

impl Sim {
    pub async fn start(args: &[&str]) -> Sim {
        let merged = merged(args);
        let merged: Vec<&str> = merged.iter().map(String::as_str).collect();
        let proc = spawn_sim_with(
            &merged,
            &[("RUST_LOG", "warn")],
            &["CSS_CLIENT_ID", "CSS_CLIENT_SECRET"],
        );
        let base = proc.url.clone();
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
        let mut sim = Sim {
            _proc: proc,
            base,
            http: reqwest::Client::new(),
            token: String::new(),
        };
        if !args
            .iter()
            .any(|a| a.starts_with("--fault-429") || a.starts_with("--fault-5"))
        {
            sim.token = sim.new_token().await;
        }
        sim
    }

    pub fn url(&self, region: &str, rest: &str) -> String {
        format!("{}/storage/{region}/v3/{rest}", self.base)
    }

    pub async fn token_response(&self, id: &str, secret: &str, grant: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/oauth/v2/token", self.base))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", grant)])
            .send()
            .await
            .expect("token request")
    }

    pub async fn new_token(&self) -> String {
        let r = self
            .token_response("demo-client", "demo-secret", "client_credentials")
            .await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.expect("token json");
        v["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    pub async fn get(&self, url: &str) -> reqwest::Response {
        self.http
            .get(url)
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("GET")
    }

    pub async fn get_json(&self, url: &str) -> (u16, Value) {
        let r = self.get(url).await;
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_json(&self, url: &str, body: &Value) -> (u16, Value) {
        let r = self
            .http
            .post(url)
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("POST");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Every AVAILABLE record of `region` matching `filter`, paging with `limit`.
    pub async fn list(&self, region: &str, filter: Option<&str>, limit: u64) -> Vec<Value> {
        let mut out = Vec::new();
        let mut key = 0;
        loop {
            let mut url = reqwest::Url::parse(&self.url(region, "objects")).expect("url");
            url.query_pairs_mut()
                .append_pair("pageKey", &key.to_string())
                .append_pair("limit", &limit.to_string());
            if let Some(f) = filter {
                url.query_pairs_mut().append_pair("filter", f);
            }
            let (s, v) = self.get_json(url.as_str()).await;
            assert_eq!(s, 200, "{v}");
            out.extend(v["content"].as_array().expect("content").iter().cloned());
            if v["lastPage"].as_bool().expect("lastPage") {
                return out;
            }
            key = v["pageKey"].as_u64().expect("pageKey");
        }
    }

    /// `/_sim/catalog` by id.
    pub async fn catalog(&self) -> BTreeMap<String, Value> {
        let v: Value = self
            .http
            .get(format!("{}/_sim/catalog", self.base))
            .send()
            .await
            .expect("catalog")
            .json()
            .await
            .expect("json");
        v.as_array()
            .expect("array")
            .iter()
            .map(|r| (r["id"].as_str().expect("id").to_string(), r.clone()))
            .collect()
    }

    pub async fn sim_json(&self, what: &str) -> Value {
        self.http
            .get(format!("{}/_sim/{what}", self.base))
            .send()
            .await
            .expect("_sim")
            .json()
            .await
            .expect("json")
    }

    /// Starts a job; returns the zipName.
    pub async fn start_job(&self, region: &str, ids: &[String]) -> String {
        let (s, v) = self
            .post_json(
                &self.url(region, "bulk/download/start"),
                &serde_json::json!(ids),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["status"], "NOT_STARTED");
        v["zipName"].as_str().expect("zipName").to_string()
    }

    /// Polls until the job leaves NOT_STARTED / IN_PROGRESS (or `max` elapses).
    pub async fn wait_job(&self, region: &str, zip: &str, max: Duration) -> Value {
        let t0 = std::time::Instant::now();
        loop {
            let (s, v) = self
                .get_json(&self.url(region, &format!("bulk/download/status/{zip}")))
                .await;
            assert_eq!(s, 200, "{v}");
            let st = v["status"].as_str().expect("status");
            if !["NOT_STARTED", "IN_PROGRESS"].contains(&st) || t0.elapsed() > max {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn download(&self, region: &str, zip: &str) -> Vec<u8> {
        let r = self
            .get(&self.url(region, &format!("bulk/download/{zip}")))
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/zip");
        let len: usize = r.headers()["content-length"]
            .to_str()
            .expect("cl")
            .parse()
            .expect("num");
        let body = r.bytes().await.expect("zip body").to_vec();
        assert_eq!(body.len(), len);
        body
    }

    /// Ids of the first `n` AVAILABLE objects in `region`.
    pub async fn some_ids(&self, region: &str, n: usize) -> Vec<String> {
        let page = self.list(region, None, 100).await;
        page.iter()
            .take(n)
            .map(|r| r["id"].as_str().expect("id").to_string())
            .collect()
    }
}

/// Python zipfile's view of a zip: (name, md5, size) per entry in order, and testzip()'s verdict.
/// (name, md5 hex, size) of one zip entry.
pub type PyEntry = (String, String, u64);

pub fn py_entries(zip: &[u8]) -> Result<(Vec<PyEntry>, Option<String>), String> {
    let mut f = tempfile::NamedTempFile::new().expect("tmp");
    f.write_all(zip).expect("write");
    let script = r#"
import sys, json, zipfile, hashlib
z = zipfile.ZipFile(sys.argv[1])
bad = z.testzip()
out = [[i.filename, hashlib.md5(z.read(i)).hexdigest(), i.file_size] for i in z.infolist()]
print(json.dumps({"entries": out, "bad": bad}))
"#;
    let o = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(f.path())
        .output()
        .expect("python3");
    if !o.status.success() {
        return Err(String::from_utf8_lossy(&o.stderr).to_string());
    }
    let v: Value = serde_json::from_slice(&o.stdout).expect("python json");
    let entries = v["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e[0].as_str().unwrap_or("").to_string(),
                e[1].as_str().unwrap_or("").to_string(),
                e[2].as_u64().unwrap_or(0),
            )
        })
        .collect();
    Ok((entries, v["bad"].as_str().map(str::to_string)))
}

/// `unzip -t` on the zip: Ok(()) when it reports no errors.
pub fn unzip_test(zip: &[u8]) -> Result<(), String> {
    let mut f = tempfile::NamedTempFile::new().expect("tmp");
    f.write_all(zip).expect("write");
    let o = Command::new("unzip")
        .arg("-t")
        .arg(f.path())
        .output()
        .expect("unzip (apt install unzip)");
    if o.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ))
    }
}
