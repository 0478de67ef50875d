//! The worker's single integration test binary. Each top-level module is one area: `sync`
//! runs the real css-sync binary against css-sim and real S3-compatible servers; `support`
//! starts those processes. (css-sim's own tests live in its package, tests/css-sim/tests/.)

mod support;
mod sync;
