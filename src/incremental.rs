//! Issue 10: incremental, checkpointed, retention-first sync — the rules. Per region (and
//! shard) a checkpoint in the bucket holds a `createdTime` watermark below which every object
//! is settled, and the open entries (objects that failed, or wait for a restore) retried first
//! by the next run. This module owns the checkpoint's format ([`format`]), the run window
//! ([`window`]), the oldest-first time slices ([`slices`]), the per-slice settlement tracker
//! ([`tracker`]) and the merge of one run's delta into whatever checkpoint is current
//! ([`merge`]). Every rule here is pure: it never talks to CSS or S3 (the bucket document
//! store is `crate::state`, the runner lives beside the pipeline).

pub mod feed;
pub mod format;
pub mod merge;
pub mod region;
pub mod slices;
pub mod tracker;
pub mod window;

#[cfg(test)]
mod tests;
