//! TODO(css)
pub mod model;
