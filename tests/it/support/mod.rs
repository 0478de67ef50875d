//! Test support: real processes on 127.0.0.1 — css-sim, S3-compatible servers (s3s-fs and
//! moto), and the css-sync binary itself — plus the helpers that inspect what landed in S3.
//! Every process is killed when its handle drops.

pub mod procs;
pub mod s3;
