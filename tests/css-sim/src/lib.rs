//! # css-sim
//!
//! A faithful, fault-injecting stand-in for 8x8's Cloud Storage Service (CSS) v3: OAuth token,
//! region discovery, FIQL object search with the guide's paging, bulk download jobs and their
//! zips, single object downloads, plus `/_sim/*` hooks for tests. It follows the vendor's
//! documents where they are exact and makes the rest configurable ([`SimConfig`]).
//!
//! Used three ways: the `css-sim` binary (`src/main.rs`), in-process via [`serve`]
//! (`css-sync demo`), and as a container. This crate owns configuration → running server. It
//! is its own package (`tests/css-sim` in the workspace) and never depends on the worker
//! (css-sync), so the simulator cannot share the worker's mistakes; the compiler enforces it.
//!
//! | module | role |
//! |---|---|
//! | [`config`] | flags, env vars, defaults, parsers |
//! | [`gen`], [`catalog`] | deterministic catalog, records, lazy digests |
//! | [`fiql`], [`query`] | filter language, search / sort / paging |
//! | [`auth`] | client credentials → bearer tokens with expiry |
//! | [`jobs`] | bulk job state machine and preparation |
//! | [`faults`] | deterministic fault decisions |
//! | [`http`], [`bulk`], [`body`] | router and gate, bulk handlers, Range and body shaping |
//! | [`delete`] | `DELETE …/bulk`: objects become DELETED (assumptions documented there) |
//! | [`restore`] | `POST …/objects/{id}/restore`: ARCHIVED → AVAILABLE after a delay |
//! | [`state`] | what the handlers share ([`state::AppState`]) and the JSON error body |
//! | [`log`] | request log for `/_sim/requests` |
//! | [`content`], [`zip`] | content bytes and the streaming zip writer |

pub mod auth;
pub mod body;
pub mod bulk;
pub mod catalog;
pub mod config;
pub mod content;
pub mod delete;
pub mod faults;
pub mod fiql;
pub mod gen;
pub mod http;
pub mod jobs;
pub mod log;
pub mod query;
pub mod restore; // issue 10 (css)
pub mod state;
pub mod zip;

pub use config::{ResponseShape, SimConfig};

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Why the simulator could not start or stopped badly.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("invalid css-sim configuration: {0}")]
    Config(String),
    #[error("css-sim catalog: {0}")]
    Catalog(String),
    #[error("css-sim I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// A running simulator: its address and a way to stop it.
pub struct SimHandle {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    state: Arc<state::AppState>,
}

impl SimHandle {
    /// The bound address (with the real port when listening on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// `http://HOST:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// `http://HOST:PORT/oauth/v2/token`.
    pub fn token_url(&self) -> String {
        format!("{}/oauth/v2/token", self.base_url())
    }
    /// `http://HOST:PORT/storage/{region}/v3`.
    pub fn storage_url(&self, region: &str) -> String {
        format!("{}/storage/{region}/v3", self.base_url())
    }
    /// The configuration it runs with.
    pub fn config(&self) -> &SimConfig {
        &self.state.cfg
    }
    /// Number of catalog records (all regions, all states).
    pub fn catalog_len(&self) -> usize {
        self.state.catalog.objects.len()
    }
    /// Stops accepting, lets running requests finish for up to 5 s, then aborts them.
    pub async fn shutdown(mut self) -> Result<(), SimError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match tokio::time::timeout(Duration::from_secs(5), &mut self.task).await {
            Ok(Ok(r)) => r.map_err(SimError::Io),
            Ok(Err(_)) => Ok(()),
            Err(_) => {
                self.task.abort();
                Ok(())
            }
        }
    }
}

/// Builds the catalog and state for `cfg` (no sockets). Startup work is cheap: digests are
/// computed lazily.
pub fn build_state(cfg: SimConfig) -> Result<Arc<state::AppState>, SimError> {
    cfg.validate().map_err(SimError::Config)?;
    let now_ms = cfg
        .now
        .unwrap_or_else(|| chrono::Utc::now().timestamp_millis() / 1000 * 1000);
    let mut objects = match &cfg.catalog {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| SimError::Catalog(format!("{}: {e}", path.display())))?;
            catalog::Catalog::parse_file(&text, &cfg.regions[0]).map_err(SimError::Catalog)?
        }
        None => gen::generate(&cfg, now_ms).map_err(SimError::Config)?,
    };
    gen::decorate(&cfg, &mut objects).map_err(SimError::Config)?;
    let catalog = catalog::Catalog::new(cfg.seed, objects).map_err(SimError::Catalog)?;
    let mut known: Vec<String> = config::SPEC_REGIONS.iter().map(|s| s.to_string()).collect();
    for r in &cfg.regions {
        if !known.contains(r) {
            known.push(r.clone());
        }
    }
    Ok(Arc::new(state::AppState {
        tokens: auth::Tokens::new(&cfg.client_id, &cfg.client_secret, cfg.token_ttl),
        faults: faults::Faults::new(&cfg.faults),
        jobs: jobs::Jobs::default(),
        log: log::RequestLog::default(),
        known_regions: known,
        downloads: Default::default(),
        catalog,
        cfg,
    }))
}

/// Serves css-sim on `listener` until [`SimHandle::shutdown`]. `cfg.listen` is ignored here
/// (the caller bound the listener).
pub async fn serve(cfg: SimConfig, listener: TcpListener) -> Result<SimHandle, SimError> {
    let state = build_state(cfg)?;
    let addr = listener.local_addr()?;
    let app = http::router(state.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
    });
    tracing::info!(%addr, objects = state.catalog.objects.len(), "css-sim listening");
    Ok(SimHandle {
        addr,
        shutdown: Some(tx),
        task,
        state,
    })
}
