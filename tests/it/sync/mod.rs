//! css-sync end to end: the real binary against css-sim and real S3-compatible servers, with
//! assertions on the bytes that landed (MD5 of every stored object), their metadata and
//! sidecars, the run report, the final metrics and the requests css-sim saw.

mod archived; // issue 10 (css)
mod audit;
mod bounds;
mod bounds_cli;
mod bounds_silent;
mod check;
mod cli;
mod e2e;
// The fault suite (issue 11): a fault proxy in front of real S3 servers, kills, races, tampering.
mod fault_kit;
mod fault_runs;
mod fault_s3;
mod faults;
mod hygiene;
mod ids;
mod index;
// issue 7 (lakereport): the run report in the bucket.
mod lake_report;
mod lake_report_ends;
mod layouts;
// issue 7 (metrics): real Prometheus, promtool and Pushgateway.
mod logs;
mod metrics_push;
mod metrics_scrape;
mod object_lock;
mod overlap; // issue 8 (overlap)
mod plan;
// issue 8 (polling): the all-jobs status round and its fallbacks.
mod incremental; // issue 10 (wire)
mod polling;
mod preflight;
mod presence_list; // issue 10 (presence)
mod progress;
mod proof;
mod purge;
mod shards; // issue 10 (shard)
mod state_store; // issue 10 (store)
mod time_fallback; // issue 10 (css)
mod variants;
mod webhook;
