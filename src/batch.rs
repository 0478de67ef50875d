//! TODO(batch)
