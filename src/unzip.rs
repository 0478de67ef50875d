//! TODO(unzip)
