//! css-sync end to end: the real binary against css-sim and real S3-compatible servers, with
//! assertions on the bytes that landed (MD5 of every stored object), their metadata and
//! sidecars, the run report, the final metrics and the requests css-sim saw.

mod check;
mod cli;
mod e2e;
mod faults;
mod hygiene;
mod ids;
mod index;
mod layouts;
mod object_lock;
mod proof;
mod purge;
mod webhook;
