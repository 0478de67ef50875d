//! TODO(demo)
