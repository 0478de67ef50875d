//! Independent zip readers for the round-trip tests: Python's `zipfile` (required) and
//! Info-ZIP `unzip -t` (skipped where absent). They read archives from a temp file; they never
//! use this crate's own zip code, so a bug cannot cancel itself out.

use std::io::Write;
use std::process::Command;

fn temp_zip(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new()
        .suffix(".zip")
        .tempfile()
        .expect("temp file");
    f.write_all(bytes).expect("write temp zip");
    f
}

/// One entry as Python's zipfile sees it.
#[derive(Debug, PartialEq)]
pub(super) struct PyEntry {
    pub name: Vec<u8>,
    pub md5: String,
    pub crc: u32,
    pub size: u64,
    pub date_time: String,
}

const PY_READ: &str = r#"
import zipfile, hashlib, sys
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None, "bad CRC"
for i in z.infolist():
    raw = i.filename.encode('utf-8' if i.flag_bits & 0x800 else 'cp437')
    print(raw.hex(), hashlib.md5(z.read(i)).hexdigest(), i.CRC, i.file_size,
          '-'.join(map(str, i.date_time)))
"#;

/// Reads an archive with Python's zipfile (CRC-checked by `testzip`); panics if Python fails.
pub(super) fn python_read(bytes: &[u8]) -> Vec<PyEntry> {
    let f = temp_zip(bytes);
    let out = Command::new("python3")
        .args(["-c", PY_READ])
        .arg(f.path())
        .output()
        .expect("python3 must be installed");
    assert!(
        out.status.success(),
        "python zipfile failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let p: Vec<&str> = l.split(' ').collect();
            PyEntry {
                name: hex::decode(p[0]).expect("hex name"),
                md5: p[1].to_string(),
                crc: p[2].parse().expect("crc"),
                size: p[3].parse().expect("size"),
                date_time: p[4].to_string(),
            }
        })
        .collect()
}

/// `unzip -t`, skipped (with a note) where Info-ZIP is not installed.
pub(super) fn unzip_test(bytes: &[u8]) {
    let f = temp_zip(bytes);
    match Command::new("unzip").arg("-tqq").arg(f.path()).output() {
        Ok(out) => assert!(
            out.status.success(),
            "unzip -t failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => eprintln!("skipping unzip -t: {e}"),
    }
}
