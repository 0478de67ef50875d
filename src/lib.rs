//! # css-sync
//!
//! Copies recordings out of 8x8 Cloud Storage Service (CSS) into S3-compatible storage,
//! streaming every bulk-download zip straight into S3 and verifying each object against the
//! catalog's size and MD5 before it counts as exported.
//!
//! ## Flow
//!
//! ```text
//! config ─► auth ─► regions ─► catalog (FIQL, paged) ─► already in S3? ─► batching
//!    ─► bulk job (start, poll) ─► zip stream (entry by entry) ─► S3 upload (verified) ─► report
//! ```
//!
//! ## Layout
//!
//! | module | role |
//! |---|---|
//! | [`cli`] | command line and environment variables (clap) |
//! | [`config`] | raw arguments → validated [`config::Settings`] (the one validator) |
//! | [`defaults`] | every default, one named constant each, shared by clap and the library |
//! | [`secret`] | a wrapper that keeps secrets out of logs |
//! | [`shutdown`] | waiting for SIGINT/SIGTERM |
//! | [`css`] | the vendor API: auth, one retry mechanism with a per-call deadline, regions, catalog paging, bulk jobs, serde model |
//! | [`batch`] | pure: catalog records → bulk-job batches |
//! | [`job`] | one bulk job on the server: start, poll until a terminal state or the deadline, cancel |
//! | [`poller`] | a region's bulk-job status poller: one all-jobs status request per round serves every job in flight; the first check sized by the job's bytes |
//! | [`decide`] | pure: after a job ends badly, split or charge and retry; when to give up |
//! | [`unzip`] | download body → entries with size, CRC-32 and MD5 computed while streaming |
//! | [`md5_pair`] | an object's MD5 and its parts' MD5s in one pass (two chains interleaved) |
//! | [`verify`] | pure: streamed size + MD5 against the catalog record → the [`verify::Verified`] proof |
//! | [`entry_names`] | pure: which record a zip entry is (exact name, else a unique `/`·`:` suffix) |
//! | [`export`] | one entry → one verified S3 object (or none): the export gate |
//! | [`s3`] | S3 client, keys, uploads (PutObject / multipart with abort) committed only against a proof and proven from S3's answer; presence, conditional writes, stale-upload hygiene |
//! | [`state`] | state documents in the bucket (`_css-sync/state/v1/`): keys, read-modify-write with `If-Match` or a read-after-write fallback |
//! | [`failure`] | why an object failed: the typed [`failure::Stage`] and cause |
//! | [`ids`] | pure: the `--ids` list (parser) and one outcome per requested id (the ledger) |
//! | [`incremental`] | pure: the checkpoint format, run window, oldest-first slices, settlement tracker and merge of issue 10's incremental sync |
//! | [`lookup`] | `--ids`: each id's record by id, region by region, fed into the pipeline |
//! | [`pipeline`] | the flow above as one readable async function; the rules live in [`decide`] |
//! | [`audit`] | `css-sync audit`: catalog vs lake (ListObjectsV2, HEADs where needed), read-only |
//! | [`audit_rules`] | pure: own files, size/checksum verdicts, which unmatched objects are extras |
//! | [`audit_report`] | audit report → text, JSON and exit code |
//! | [`commands`] | `plan`, `check`, `audit`: settings → run → text and JSON → exit code |
//! | [`plan`] | `css-sync plan`: the sync as a dry run (read-only connect, no job started) |
//! | [`plan_rules`] | pure: a record's verdict (sync's presence rules), the plan's books and text |
//! | [`preflight`] | `css-sync check`: token, regions, bucket, probe writes (cleaned up), conditional writes, Object Lock |
//! | [`preflight_rules`] | pure: step order and skips, the fix for each failure, text and exit code |
//! | [`shard`] | pure: which objects a shard owns (a pinned hash of the id) and the shard's name |
//! | [`purge`] | `css-sync purge`: verified, gated delete at the source (flow) |
//! | [`purge_rules`] | pure: catalog record + fresh lake evidence + age → delete or refuse (the only maker of [`purge_rules::LakeProof`]) |
//! | [`purge_report`] | purge report → text, JSON and exit code |
//! | [`report`] | run report → text, JSON and exit code |
//! | [`books`] | pure: the bookkeeping rule found = present + exported + failed |
//! | [`chain`] | an error and its sources on one line (logs, reports) |
//! | [`commits`] | objects committed to S3 and not yet counted, so an interrupted run counts them |
//! | [`run_id`] | the run id (`20261201T201500Z-1a2b3c4d`) in logs, report, index and webhook |
//! | [`index`] | the lake's metadata index: JSON Lines rows per partition, bounded, written to S3 ([`index::writer`]) |
//! | [`lake_report`] | the run report in the bucket: `_css-sync/reports/<run-id>.json` and one JSON line per object, streamed in bounded files ([`lake_report::writer`]) |
//! | [`delivery`] | one HTTP request to an operator's endpoint (webhook, Pushgateway): bounded attempts, host-only logs |
//! | [`webhook`] | POST of the run summary at the end of a run (bounded attempts and timeout) |
//! | [`metrics`] | Prometheus metric names, HELP texts, in-flight and retention-risk gauges, the end-of-run file and Pushgateway push |
//! | [`progress`] | live bars per region on a terminal, periodic `progress` events otherwise, read from the tally's snapshot |
//! | [`logging`] | stderr: text or one JSON object per line (run id on each, arrays as arrays, the summary as an event) |
//! | [`demo`] | `css-sync demo`: css-sim and an embedded S3 server in-process (feature `sim`) |
//!
//! css-sim, the CSS stand-in used by the tests, the demo and the benchmark, is its own package
//! (`tests/css-sim`, library `css_sim` and binary `css-sim`) that never depends on this crate;
//! the worker uses it only through feature `sim` (default on), for [`demo`].

pub mod batch;
pub mod books;
pub mod chain;
pub mod cli;
pub mod commits;
pub mod config;
pub mod css;
pub mod decide;
pub mod defaults;
pub mod delivery;
#[cfg(feature = "sim")]
pub mod demo;
pub mod entry_names;
pub mod export;
pub mod failure;
pub mod ids;
pub mod incremental; // issue 10 (incr)
pub mod index;
pub mod job;
pub mod lake_report;
pub mod logging;
pub mod lookup;
pub mod md5_pair; // issue 8 (speed)
pub mod metrics;
pub mod pipeline;
pub mod poller;
pub mod progress;
// issue 7 (commands)
pub mod audit;
pub mod audit_report;
pub mod audit_rules;
pub mod commands;
pub mod plan;
pub mod plan_rules;
pub mod preflight;
pub mod preflight_rules;
// end issue 7 (commands)
pub mod purge;
pub mod purge_report;
pub mod purge_rules;
pub mod report;
pub mod run_id;
pub mod s3;
pub mod secret;
pub mod shard; // issue 10 (shard)
pub mod shutdown;
pub mod state; // issue 10 (store)
pub mod unzip;
pub mod verify;
pub mod webhook;
