//! One error and its sources on one line, for logs and reports. Owns only the formatting;
//! it never decides what an error means (stages and causes live in `failure`).

/// An error and its sources on one line: "a: b: c". Each error's message describes its own
/// layer only, so every cause appears once.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(src) = cur {
        s.push_str(": ");
        s.push_str(&src.to_string());
        cur = src.source();
    }
    s
}
