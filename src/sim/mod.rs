//! TODO(sim)

pub mod content;
pub mod zip;
