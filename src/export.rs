//! TODO(export)
