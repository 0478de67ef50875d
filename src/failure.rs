//! Why an object did not make it: the [`Stage`] it failed at (a bounded label shared by the
//! report, the metric labels and the logs) and the typed [`Cause`], kept as the real error
//! rather than a string so the chain is printed once, where it is shown. This module only
//! names and carries failures; it never decides what to do about them (see [`crate::decide`]).

use std::fmt;
use std::sync::Arc;

use crate::css::model::JobState;
use crate::css::CssError;
use crate::s3::{KeyError, S3Error};
use crate::unzip::UnzipError;
use crate::verify::Mismatch;

/// Where in the flow an object failed. `as_str()` is the label in reports, metrics and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// The catalog listed it, but it cannot be exported (e.g. not AVAILABLE).
    Catalog,
    /// No valid S3 key can be built from its metadata.
    Key,
    /// Its bulk job could not be started, failed, or did not finish in time.
    Job,
    /// Its download (zip or single object) could not be opened or broke.
    Download,
    /// Its zip entry was unreadable (truncated, corrupt, over a limit).
    Zip,
    /// Its bytes did not match the catalog's size and checksum.
    Verify,
    /// Its metadata sidecar could not be built.
    Sidecar,
    /// S3 refused or failed the upload.
    S3,
    /// Its job finished but the zip did not contain it.
    Missing,
    /// The run was interrupted (SIGTERM/SIGINT) before the object settled; nothing of it was
    /// left half-written and the next run picks it up.
    Interrupted,
}

impl Stage {
    /// Every stage, for initialising label sets and for tests.
    pub const ALL: [Stage; 10] = [
        Stage::Catalog,
        Stage::Key,
        Stage::Job,
        Stage::Download,
        Stage::Zip,
        Stage::Verify,
        Stage::Sidecar,
        Stage::S3,
        Stage::Missing,
        Stage::Interrupted,
    ];

    /// The bounded label.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Catalog => "catalog",
            Stage::Key => "key",
            Stage::Job => "job",
            Stage::Download => "download",
            Stage::Zip => "zip",
            Stage::Verify => "verify",
            Stage::Sidecar => "sidecar",
            Stage::S3 => "s3",
            Stage::Missing => "missing",
            Stage::Interrupted => "interrupted",
        }
    }
}

impl serde::Serialize for Stage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The typed reason behind a [`Rejection`]. Wrapping variants are transparent: the wrapped
/// error's own message and sources form the chain, each printed once.
#[derive(Debug, thiserror::Error)]
pub enum Cause {
    #[error("objectState {0}: only AVAILABLE objects can be downloaded")]
    NotAvailable(String),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Css(#[from] CssError),
    #[error(transparent)]
    Unzip(#[from] UnzipError),
    /// The entry's zip error, shared with the zip-level outcome.
    #[error(transparent)]
    Entry(Arc<UnzipError>),
    #[error(transparent)]
    S3(#[from] S3Error),
    #[error(transparent)]
    Mismatch(#[from] Mismatch),
    #[error("reading the download")]
    Read(#[source] std::io::Error),
    #[error("encoding the sidecar JSON")]
    Sidecar(#[source] serde_json::Error),
    #[error("bulk job {zip_name} ended {state:?}")]
    JobEnded { zip_name: String, state: JobState },
    #[error("bulk job {zip_name} not done within {deadline:?}")]
    JobTimedOut {
        zip_name: String,
        deadline: std::time::Duration,
    },
    #[error("not in zip {zip_name}")]
    NotInZip { zip_name: String },
    #[error("not delivered: zip {zip_name} broke")]
    ZipBroke {
        zip_name: String,
        #[source]
        why: Arc<UnzipError>,
    },
}

/// Why one object was not exported this time: a stage and its typed cause. Cheap to clone
/// (a batch-wide failure is recorded on every object of the batch).
#[derive(Debug, Clone)]
pub struct Rejection {
    pub stage: Stage,
    pub cause: Arc<Cause>,
}

impl Rejection {
    pub fn new(stage: Stage, cause: impl Into<Cause>) -> Self {
        Rejection {
            stage,
            cause: Arc::new(cause.into()),
        }
    }

    /// The cause and its sources on one line.
    pub fn reason(&self) -> String {
        error_chain(&*self.cause)
    }
}

pub use crate::chain::error_chain;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_labels_are_distinct_and_stable() {
        let labels: Vec<&str> = Stage::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            labels,
            [
                "catalog",
                "key",
                "job",
                "download",
                "zip",
                "verify",
                "sidecar",
                "s3",
                "missing",
                "interrupted"
            ]
        );
        assert_eq!(Stage::Zip.to_string(), "zip");
    }

    #[test]
    fn chains_print_each_cause_once() {
        let unzip = UnzipError::Truncated {
            context: "entry data",
            offset: 7,
        };
        let rej = Rejection::new(
            Stage::Missing,
            Cause::ZipBroke {
                zip_name: "a.zip".into(),
                why: Arc::new(unzip),
            },
        );
        let text = rej.reason();
        assert_eq!(
            text,
            "not delivered: zip a.zip broke: zip stream truncated (entry data) at offset 7"
        );
        let io = std::io::Error::other("connection reset");
        let rej = Rejection::new(Stage::Download, Cause::Read(io));
        assert_eq!(rej.reason(), "reading the download: connection reset");
        let transparent = Rejection::new(
            Stage::Zip,
            UnzipError::Crc {
                expected: 1,
                actual: 2,
            },
        );
        assert_eq!(transparent.reason().matches("CRC-32").count(), 1);
    }
}
