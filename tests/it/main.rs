//! The crate's single integration test binary. Each top-level module is one area:
//! `sim` checks css-sim (the CSS stand-in) against the vendor's documents.

mod sim;
