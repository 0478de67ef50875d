//! css-sim's configuration: every command-line flag (clap `Args`, so `css-sync demo` can
//! `#[command(flatten)]` it), its environment variable and its default, plus the small parsers
//! for sizes (`300MB`), type mixes (`callrecording:3,voicemail`) and times. It only describes
//! and validates settings; it never opens sockets, generates data or keeps state.

use clap::{Args, ValueEnum};
use std::net::SocketAddr;

/// The regions the OpenAPI spec's server enum lists; any of them serves region discovery.
pub const SPEC_REGIONS: [&str; 5] = ["us-west", "us-east", "uk", "ap", "ca"];

/// The object types css-sim can generate (`--types`).
pub const KNOWN_TYPES: [&str; 6] = [
    "callrecording",
    "callcenterrecording",
    "screenrecording",
    "voicemail",
    "transcription",
    "callcentervoicemail",
];

/// Shape of the start / single-status / cancel answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ResponseShape {
    /// `{"zipName":…,"status":…}` as in the bulk download guide.
    Object,
    /// `[{"zipName":…,"status":…}]` as in the OpenAPI spec (array of downloadContentStatus).
    Array,
}

// issue 8 (polling)
/// What `GET …/bulk/download/status` (all jobs) answers (`--status-all`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatusAll {
    On,
    Off,
    Empty,
}

/// Names of the entries in a bulk download zip (`--entry-names`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EntryNames {
    /// The objectName, as the guide's zips carry it.
    Exact,
    /// Only the part after the objectName's last `/` or `:` (a producer writing for file
    /// systems without colons; a public client matches with `objectName.endswith(entry)`).
    Suffix,
}

/// What `pageKey` means on `GET …/objects` (`--page-keys`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PageKeys {
    /// The guide: pageKey is an offset; the answer's pageKey is the request's + limit.
    Offset,
    /// The spec v3.1.6: pageKey is a page number (from 0), the answer's pageKey the next
    /// page's number, `total` the number of pages.
    NextPage,
    /// Page numbers (from 0), the answer's pageKey the page just served (a public client asks
    /// for pageKey + 1), `total` the number of pages.
    PageServed,
}

// issue 10 (css)
/// Whether `GET …/objects` accepts `createdTime` in its filter (`--time-filter`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TimeFilter {
    /// Time clauses work.
    Ok,
    /// Any search whose filter mentions createdTime answers 500, every time (as a public
    /// client reports for some accounts); filters without it work.
    #[value(name = "error-500")]
    Error500,
}

/// css-sim: a fault-injecting stand-in for 8x8 Cloud Storage Service (CSS) v3.
#[derive(Args, Clone, Debug)]
pub struct SimConfig {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "CSS_SIM_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// OAuth client id accepted by POST /oauth/v2/token (Basic auth user name).
    #[arg(long, env = "CSS_CLIENT_ID", default_value = "demo-client")]
    pub client_id: String,
    /// OAuth client secret accepted by POST /oauth/v2/token (Basic auth password).
    #[arg(long, env = "CSS_CLIENT_SECRET", default_value = "demo-secret")]
    pub client_secret: String,
    /// Lifetime of an access token in seconds (answered as expires_in = ttl - 1, like "1799").
    #[arg(long, env = "CSS_SIM_TOKEN_TTL", default_value_t = 1800)]
    pub token_ttl: u64,
    /// The account's regions, answered by GET …/regions; objects are spread over them.
    #[arg(
        long,
        env = "CSS_SIM_REGIONS",
        value_delimiter = ',',
        default_value = "us-east,uk"
    )]
    pub regions: Vec<String>,
    /// Seed for the catalog, the content bytes, zip names and every fault decision.
    #[arg(long, env = "CSS_SIM_SEED", default_value_t = 1)]
    pub seed: u64,
    /// Number of generated catalog records (all regions, all states; --large-objects come on top).
    #[arg(long, env = "CSS_SIM_OBJECTS", default_value_t = 200)]
    pub objects: u64,
    /// Object types to generate, each with an optional weight: `callrecording:3,voicemail`.
    /// Known: callrecording, callcenterrecording, screenrecording, voicemail, transcription,
    /// callcentervoicemail. Counts are split by weight (largest remainder), then evenly over
    /// the regions in order.
    #[arg(
        long,
        env = "CSS_SIM_TYPES",
        default_value = "callrecording,callcenterrecording,screenrecording,voicemail,transcription"
    )]
    pub types: String,
    /// Extra very large screenrecording objects (AVAILABLE, spread over regions).
    #[arg(long, env = "CSS_SIM_LARGE_OBJECTS", default_value_t = 0)]
    pub large_objects: u64,
    /// Size of each --large-objects object (e.g. 300MB, 1GiB). Sizes: KB/MB/GB = 1000^n bytes,
    /// KiB/MiB/GiB = 1024^n bytes.
    #[arg(long, env = "CSS_SIM_LARGE_SIZE", default_value = "300MB", value_parser = parse_size)]
    pub large_size: u64,
    /// Cap on every object's size (e.g. 64KB = 64000 bytes, for quick tests).
    #[arg(long, env = "CSS_SIM_MAX_OBJECT_SIZE", value_parser = parse_size)]
    pub max_object_size: Option<u64>,
    /// createdTime is spread over this many days before --now.
    #[arg(long, env = "CSS_SIM_WINDOW_DAYS", default_value_t = 30.0)]
    pub window_days: f64,
    /// End of the createdTime window: epoch milliseconds or `2024-10-01T00:00:00` (UTC).
    /// Default: the current time (catalog then differs between runs; pin it for tests).
    #[arg(long, env = "CSS_SIM_NOW", value_parser = parse_time_ms)]
    pub now: Option<i64>,
    /// Share (0..1) of generated records that are not AVAILABLE (PENDING/REVOKED/DELETED/FAILED).
    #[arg(long, env = "CSS_SIM_UNAVAILABLE_SHARE", default_value_t = 0.05)]
    pub unavailable_share: f64,
    /// Simulated retention: after every `GET …/objects` page, the N oldest AVAILABLE objects
    /// of that region become DELETED (so offset paging shifts under a client, as it does when
    /// the vendor's retention runs during a sync).
    #[arg(long, env = "CSS_SIM_RETENTION_PER_PAGE", default_value_t = 0)]
    pub retention_per_page: u64,
    /// Share of generated objects whose catalog checksum is S3-multipart style
    /// (`md5(md5(bytes))-1`, as object-types.md shows) instead of the plain MD5.
    #[arg(long, env = "CSS_SIM_PART_CHECKSUM_SHARE", default_value_t = 0.1)]
    pub part_checksum_share: f64,
    /// Load the catalog from a JSON array of records (each with a `region` field) instead of
    /// generating it. Content is still generated from (seed, id) with the record's storedBytes,
    /// and the file's checksum is replaced by the generated content's MD5.
    #[arg(long, env = "CSS_SIM_CATALOG")]
    pub catalog: Option<std::path::PathBuf>,
    /// Give N AVAILABLE objects hostile objectNames (`../x.mp3`, `/abs/x.mp3`, `a\b.mp3`, …);
    /// zips carry them under those names.
    #[arg(long, env = "CSS_SIM_HOSTILE_NAMES", default_value_t = 0)]
    pub hostile_names: u64,
    /// Largest accepted `limit` on GET …/objects (the spec: "between 1 and 100").
    #[arg(long, env = "CSS_SIM_MAX_PAGE_SIZE", default_value_t = 100)]
    pub max_page_size: u64,
    /// Most object ids accepted by one POST …/bulk/download/start (undocumented by 8x8).
    #[arg(long, env = "CSS_SIM_MAX_BATCH_OBJECTS", default_value_t = 1000)]
    pub max_batch_objects: usize,
    /// Largest accepted sum of storedBytes per bulk job: the OpenAPI spec's "the limit on bulk
    /// file downloads is 2 GB", i.e. 2GB = 2000000000 bytes (2GiB would be 2147483648).
    #[arg(long, env = "CSS_SIM_MAX_ZIP_BYTES", default_value = "2GB", value_parser = parse_size)]
    pub max_zip_bytes: u64,
    /// Shape of start, single status and cancel answers: `object` (guide) or `array` (spec).
    #[arg(
        long,
        env = "CSS_SIM_START_RESPONSE",
        value_enum,
        default_value = "object"
    )]
    pub start_response: ResponseShape,
    /// Split every bulk download start over up to N zips (N jobs, each polled and downloaded
    /// on its own; the start answers an array of their statuses), as a public client
    /// documents a start answered with a list of three zips. 1 = one zip per start.
    #[arg(long, env = "CSS_SIM_ZIPS_PER_JOB", default_value_t = 1,
          value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub zips_per_job: u64,
    /// With --zips-per-job: every zip after the first of a start also carries the previous
    /// zip's last object (a producer repeating an entry across the zips of one start).
    #[arg(long, env = "CSS_SIM_ZIPS_OVERLAP")]
    pub zips_overlap: bool,
    // issue 8 (polling)
    /// The all-jobs status `GET …/bulk/download/status`: `on` (the spec's array of every job of
    /// the region), `off` (answered 404, as a server that does not offer it) or `empty`
    /// (always `[]`: every job is missing from it).
    #[arg(long, env = "CSS_SIM_STATUS_ALL", value_enum, default_value = "on")]
    pub status_all: StatusAll,
    // end issue 8 (polling)
    /// Zip entry names: `exact` (the objectName) or `suffix` (the part after its last `/` or
    /// `:`).
    #[arg(long, env = "CSS_SIM_ENTRY_NAMES", value_enum, default_value = "exact")]
    pub entry_names: EntryNames,
    /// What pageKey means on GET …/objects: `offset` (the guide), `next-page` (page numbers,
    /// the answer names the next page) or `page-served` (page numbers, the answer names the
    /// page just served); the page-number forms also answer `total` (pages).
    #[arg(long, env = "CSS_SIM_PAGE_KEYS", value_enum, default_value = "offset")]
    pub page_keys: PageKeys,
    /// Zip layout of bulk downloads: java (as java.util.zip writes it, the default), stored,
    /// stored-descriptor, zip64.
    #[arg(long, env = "CSS_SIM_ZIP_LAYOUT", default_value = "java")]
    pub zip_layout: String,
    /// DEFLATE level (0–9) for the java and zip64 layouts. 6 is java.util.zip's default; 1 is
    /// about three times faster on recordings (which barely compress) for benchmarks.
    #[arg(long, env = "CSS_SIM_DEFLATE_LEVEL", default_value_t = 6, value_parser = clap::value_parser!(u32).range(0..=9))]
    pub deflate_level: u32,
    /// Fixed part of a bulk job's preparation, in ms; the job is NOT_STARTED during it.
    #[arg(long, env = "CSS_SIM_PREP_BASE_MS", default_value_t = 1000)]
    pub prep_base_ms: u64,
    /// Preparation speed in bytes/s (e.g. 50MB = 50000000 bytes/s); the job is IN_PROGRESS for
    /// bytes / rate.
    /// 0 = instant.
    #[arg(long, env = "CSS_SIM_PREP_RATE", default_value = "100MB", value_parser = parse_size)]
    pub prep_rate: u64,
    /// Cap on each download body's speed in bytes/s (e.g. 5MB, 8MiB); 0 = unlimited.
    #[arg(long, env = "CSS_SIM_BANDWIDTH", default_value = "0", value_parser = parse_size)]
    pub bandwidth: u64,
    // issue 10 (css)
    /// `ok`, or `error-500`: every `GET …/objects` whose filter mentions createdTime answers
    /// 500 (persistently), filters without it work.
    #[arg(long, env = "CSS_SIM_TIME_FILTER", value_enum, default_value = "ok")]
    pub time_filter: TimeFilter,
    /// Make N AVAILABLE objects ARCHIVED (spread by seed): listed only when the filter asks
    /// for objectState==ARCHIVED, their content and bulk downloads refused until restored.
    #[arg(long, env = "CSS_SIM_ARCHIVED", default_value_t = 0)]
    pub archived: u64,
    /// How long `POST …/objects/{id}/restore` takes: the object is AVAILABLE this long after
    /// the first restore request (`500ms`, `5s`, `2m`; a bare number is seconds).
    #[arg(long, env = "CSS_SIM_RESTORE_DELAY", default_value = "5s", value_parser = parse_delay_ms)]
    pub restore_delay: u64,
    // end issue 10 (css)
    #[command(flatten)]
    pub faults: FaultArgs,
}

/// Fault injection. Each fault has a rate (0..1, decided deterministically from --seed and the
/// occurrence number) and an optional count: only the first COUNT hits fire. A count given
/// without a rate means rate 1, i.e. "the first COUNT eligible occurrences".
#[derive(Args, Clone, Debug, Default)]
pub struct FaultArgs {
    /// Share of API requests (token + storage) answered 429 with Retry-After.
    #[arg(long, env = "CSS_SIM_FAULT_429_RATE", default_value_t = 0.0)]
    pub fault_429_rate: f64,
    /// Fire at most this many times; given alone, the first N occurrences.
    #[arg(long, env = "CSS_SIM_FAULT_429_COUNT")]
    pub fault_429_count: Option<u64>,
    /// Retry-After seconds sent with 429 and 503.
    #[arg(long, env = "CSS_SIM_RETRY_AFTER", default_value_t = 1)]
    pub retry_after: u64,
    /// Share of API requests answered 500.
    #[arg(long, env = "CSS_SIM_FAULT_500_RATE", default_value_t = 0.0)]
    pub fault_500_rate: f64,
    /// Fire at most this many times; given alone, the first N occurrences.
    #[arg(long, env = "CSS_SIM_FAULT_500_COUNT")]
    pub fault_500_count: Option<u64>,
    /// Share of API requests answered 503 (with Retry-After).
    #[arg(long, env = "CSS_SIM_FAULT_503_RATE", default_value_t = 0.0)]
    pub fault_503_rate: f64,
    /// Fire at most this many times; given alone, the first N occurrences.
    #[arg(long, env = "CSS_SIM_FAULT_503_COUNT")]
    pub fault_503_count: Option<u64>,
    /// Endpoints the 429/500/503 faults apply to: token, regions, objects, object, content,
    /// start, status, cancel, download, delete (default: all).
    #[arg(long, env = "CSS_SIM_FAULT_SCOPE", value_delimiter = ',')]
    pub fault_scope: Vec<String>,
    /// Share of download bodies (zip or content) cut by a connection reset part-way.
    #[arg(long, env = "CSS_SIM_FAULT_RESET_RATE", default_value_t = 0.0)]
    pub fault_reset_rate: f64,
    /// Fire at most this many times; given alone, the first N occurrences.
    #[arg(long, env = "CSS_SIM_FAULT_RESET_COUNT")]
    pub fault_reset_count: Option<u64>,
    /// Share of jobs whose zip is truncated: it ends cleanly (Content-Length matches) but early.
    #[arg(long, env = "CSS_SIM_FAULT_TRUNCATE_RATE", default_value_t = 0.0)]
    pub fault_truncate_rate: f64,
    /// Fire at most this many times; given alone, the first N occurrences.
    #[arg(long, env = "CSS_SIM_FAULT_TRUNCATE_COUNT")]
    pub fault_truncate_count: Option<u64>,
    /// Share of jobs with one entry whose bytes don't match the catalog MD5 (CRC consistent).
    #[arg(long, env = "CSS_SIM_FAULT_CORRUPT_RATE", default_value_t = 0.0)]
    pub fault_corrupt_rate: f64,
    /// Fire at most this many times; given alone, the first N occurrences.
    #[arg(long, env = "CSS_SIM_FAULT_CORRUPT_COUNT")]
    pub fault_corrupt_count: Option<u64>,
    /// Share of jobs (2+ objects) ending PARTIAL_DONE, their zip lacking some entries.
    #[arg(long, env = "CSS_SIM_FAULT_PARTIAL_RATE", default_value_t = 0.0)]
    pub fault_partial_rate: f64,
    /// Fire at most this many times; given alone, the first N occurrences.
    #[arg(long, env = "CSS_SIM_FAULT_PARTIAL_COUNT")]
    pub fault_partial_count: Option<u64>,
    /// Share of jobs ending FAILED.
    #[arg(long, env = "CSS_SIM_FAULT_FAILED_RATE", default_value_t = 0.0)]
    pub fault_failed_rate: f64,
    /// Fire at most this many times; given alone, the first N occurrences.
    #[arg(long, env = "CSS_SIM_FAULT_FAILED_COUNT")]
    pub fault_failed_count: Option<u64>,
    /// Share of jobs stuck IN_PROGRESS forever.
    #[arg(long, env = "CSS_SIM_FAULT_STUCK_RATE", default_value_t = 0.0)]
    pub fault_stuck_rate: f64,
    /// Fire at most this many times; given alone, the first N occurrences.
    #[arg(long, env = "CSS_SIM_FAULT_STUCK_COUNT")]
    pub fault_stuck_count: Option<u64>,
    /// Share of jobs ending CANCELLED without anyone asking.
    #[arg(long, env = "CSS_SIM_FAULT_CANCEL_RATE", default_value_t = 0.0)]
    pub fault_cancel_rate: f64,
    /// Fire at most this many times; given alone, the first N occurrences.
    #[arg(long, env = "CSS_SIM_FAULT_CANCEL_COUNT")]
    pub fault_cancel_count: Option<u64>,
    /// Share of jobs whose zip repeats one objectName at the end with different (wrong) bytes.
    #[arg(long, env = "CSS_SIM_FAULT_DUPLICATE_RATE", default_value_t = 0.0)]
    pub fault_duplicate_rate: f64,
    /// Fire at most this many times; given alone, the first N occurrences.
    #[arg(long, env = "CSS_SIM_FAULT_DUPLICATE_COUNT")]
    pub fault_duplicate_count: Option<u64>,
    /// Object ids that make any job containing them FAILED.
    #[arg(long, env = "CSS_SIM_FAULT_POISON_IDS", value_delimiter = ',')]
    pub fault_poison_ids: Vec<String>,
    /// Pick N AVAILABLE objects as poison too (marked `"poison": true` in /_sim/catalog).
    #[arg(long, env = "CSS_SIM_FAULT_POISON_COUNT", default_value_t = 0)]
    pub fault_poison_count: u64,
}

impl SimConfig {
    /// Defaults for in-process use (the demo, unit tests): all defaults, port 0.
    pub fn for_tests() -> Self {
        use clap::Parser;
        #[derive(Parser)]
        struct P {
            #[command(flatten)]
            c: SimConfig,
        }
        let mut c = P::parse_from(["css-sim"]).c;
        c.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        c
    }

    /// Cross-field checks clap cannot express. Returns a readable message.
    pub fn validate(&self) -> Result<(), String> {
        if self.regions.is_empty() || self.regions.iter().any(|r| r.trim().is_empty()) {
            return Err("--regions must list at least one non-empty region".into());
        }
        if !(0.0..=1.0).contains(&self.unavailable_share) {
            return Err("--unavailable-share must be between 0 and 1".into());
        }
        if !(0.0..=1.0).contains(&self.part_checksum_share) {
            return Err("--part-checksum-share must be between 0 and 1".into());
        }
        if self.max_page_size == 0 {
            return Err("--max-page-size must be at least 1".into());
        }
        if self.window_days.is_nan() || self.window_days < 0.0 {
            return Err("--window-days must be >= 0".into());
        }
        self.zip_layout
            .parse::<super::zip::ZipLayout>()
            .map_err(|e| format!("--zip-layout: {e:?}"))?;
        parse_types(&self.types)?;
        let f = &self.faults;
        for (name, rate) in [
            ("429", f.fault_429_rate),
            ("500", f.fault_500_rate),
            ("503", f.fault_503_rate),
            ("reset", f.fault_reset_rate),
            ("truncate", f.fault_truncate_rate),
            ("corrupt", f.fault_corrupt_rate),
            ("partial", f.fault_partial_rate),
            ("failed", f.fault_failed_rate),
            ("stuck", f.fault_stuck_rate),
            ("cancel", f.fault_cancel_rate),
            ("duplicate", f.fault_duplicate_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("--fault-{name}-rate must be between 0 and 1"));
            }
        }
        Ok(())
    }
}

/// `callrecording:3,voicemail` → [("callrecording",3),("voicemail",1)].
pub fn parse_types(s: &str) -> Result<Vec<(String, u64)>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, weight) = match part.split_once(':') {
            Some((n, w)) => (
                n.trim(),
                w.trim()
                    .parse::<u64>()
                    .map_err(|_| format!("--types: weight {w:?} of {n:?} is not a whole number"))?,
            ),
            None => (part, 1),
        };
        if !KNOWN_TYPES.contains(&name) {
            return Err(format!(
                "--types: unknown type {name:?}; known: {}",
                KNOWN_TYPES.join(", ")
            ));
        }
        out.push((name.to_string(), weight));
    }
    if out.is_empty() || out.iter().all(|(_, w)| *w == 0) {
        return Err("--types must name at least one type with a weight above 0".into());
    }
    Ok(out)
}

/// The size units every size flag accepts, as its --help says.
pub const SIZE_UNITS: &str = "bytes; KB/MB/GB = 1000^n, KiB/MiB/GiB = 1024^n (any case; k = KB)";

/// Sizes above this are refused rather than saturated: far beyond any object, zip or rate
/// css-sim can serve, and still exact in an `f64` for fractional inputs (2^53).
pub const MAX_SIZE: u64 = 1 << 53;

/// `1024`, `64KB`, `300MB`, `2GiB`, `1.5MB` → bytes. The units are the `bytesize` crate's (the
/// one byte-size parser of the workspace): `KB`/`MB`/`GB` (and `k`/`m`/`g`) decimal,
/// `KiB`/`MiB`/`GiB` binary, case-insensitive. A whole number times its unit is exact, as
/// bytesize computes it; a fraction (`1.5MB`, `0.5KiB`) is rounded to the nearest byte, as
/// css-sim always did (bytesize would truncate a float product, so `4.35MB` could lose a
/// byte). Sizes above [`MAX_SIZE`] are errors, never saturated to `u64::MAX`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let unit = unit.trim();
    let bad = || format!("{s:?} is not a size like 1024, 64KB, 300MB or 2GiB ({SIZE_UNITS})");
    if num.is_empty() || num.parse::<f64>().is_err() {
        return Err(bad());
    }
    // The unit's value in bytes, from bytesize's unit table ("1KB" = 1000, "1KiB" = 1024).
    let factor = format!("1{}", if unit.is_empty() { "B" } else { unit })
        .parse::<bytesize::ByteSize>()
        .map_err(|_| format!("{s:?}: unknown size unit {unit:?} ({SIZE_UNITS})"))?
        .as_u64();
    let bytes = if num.contains('.') {
        let exact = num.parse::<f64>().map_err(|_| bad())? * factor as f64;
        (exact <= MAX_SIZE as f64).then(|| exact.round() as u64)
    } else {
        // Same as `t.parse::<ByteSize>()`, but an overflow is an error, not a saturation.
        num.parse::<u64>().ok().and_then(|n| n.checked_mul(factor))
    };
    bytes
        .filter(|b| *b <= MAX_SIZE)
        .ok_or_else(|| format!("{s:?} is too large (at most {MAX_SIZE} bytes)"))
}

/// issue 10 (css): `500ms`, `5s`, `2m` or a bare number of seconds → milliseconds.
pub fn parse_delay_ms(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let bad = || format!("{s:?} is not a delay like 500ms, 5s or 2m");
    let (num, factor) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1000.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60_000.0)
    } else {
        (t, 1000.0)
    };
    let v: f64 = num.trim().parse().map_err(|_| bad())?;
    if !v.is_finite() || v < 0.0 || v * factor > 1e12 {
        return Err(bad());
    }
    Ok((v * factor).round() as u64)
}

/// Epoch milliseconds or an ISO date-time without offset (UTC) → epoch milliseconds.
pub fn parse_time_ms(s: &str) -> Result<i64, String> {
    let t = s.trim();
    if let Ok(ms) = t.parse::<i64>() {
        return Ok(ms);
    }
    chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S")
        .map(|d| d.and_utc().timestamp_millis())
        .map_err(|_| format!("{s:?} is neither epoch milliseconds nor 2024-10-01T00:00:00"))
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
