//! The crate's single integration test binary. Each top-level module is one area:
//! `sim` checks css-sim (the CSS stand-in) against the vendor's documents; `sync` runs the
//! real css-sync binary against css-sim and real S3-compatible servers; `support` starts
//! those processes.

mod sim;
mod support;
mod sync;
