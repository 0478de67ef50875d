//! TODO(s3)
