//! Integration tests of the real `css-sim` binary: spawned on port 0, driven over HTTP with
//! reqwest, zips read back with Python's zipfile and `unzip -t`.

mod errors;
mod faults;
mod guide;
mod harness;
mod schema;
