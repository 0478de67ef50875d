//! Test support: real processes on 127.0.0.1 — css-sim, S3-compatible servers (s3s-fs, moto
//! and SeaweedFS), and the css-sync binary itself — plus the helpers that inspect what landed
//! in S3, and an in-process fault-injecting HTTP proxy to put in front of an S3 server.
//! Every process is killed (and the proxy stopped) when its handle drops.

pub mod fault_proxy;
pub mod fault_rules;
pub mod http1;
pub mod procs;
pub mod prom; // issue 7 (metrics)
pub mod s3;
pub mod seaweed;
