//! TODO(sim)
