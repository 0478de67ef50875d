//! css-sim's integration test binary: the real `css-sim` binary against the vendor's documents
//! (the guide's steps, the OpenAPI schema, error shapes, faults), spawned on port 0, driven over
//! HTTP with reqwest, zips read back with Python's zipfile and `unzip -t`.

mod delay_proxy;
mod delete;
mod errors;
mod faults;
mod guide;
mod harness;
mod schema;
mod variants;
