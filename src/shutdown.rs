//! Waiting for the process to be asked to stop: SIGINT (Ctrl-C) or SIGTERM (what Kubernetes
//! sends a pod), for `css-sync sync` and `css-sync demo`; what "stopping" means is up to each.
//! (css-sim, a separate package, has its own copy.)

/// Resolves at the first SIGINT or SIGTERM.
pub async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
