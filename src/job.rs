//! TODO(job)
