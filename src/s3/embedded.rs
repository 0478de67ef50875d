//! An embedded S3-compatible endpoint over a local folder, for `css-sync demo` and tests:
//! s3s-fs (`s3s_fs::FileSystem`) behind the s3s service with one static key pair (SigV4), served
//! by hyper-util on a listener the caller binds. Buckets are the root's subfolders. s3s-fs
//! keeps user metadata and Content-Type, verifies `Content-MD5` on `PutObject` (not on
//! `UploadPart`), and has no `ListMultipartUploads`: pending parts are `.upload_id-*` files in
//! the root. Path-style addressing only.

use std::path::Path;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use super::S3Error;

/// Pause after a failed `accept` (e.g. out of file descriptors) before trying again.
const ACCEPT_BACKOFF: std::time::Duration = std::time::Duration::from_millis(50);

/// A running embedded server. Dropping it (or [`EmbeddedS3::shutdown`]) stops it.
#[derive(Debug)]
pub struct EmbeddedS3 {
    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL` or an SDK `endpoint_url`.
    pub endpoint: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl EmbeddedS3 {
    /// Stops accepting, closes open connections and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for EmbeddedS3 {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Serves `root` (which must exist) on `listener`, accepting only `access_key`/`secret_key`.
pub async fn serve_fs(
    root: &Path,
    listener: TcpListener,
    access_key: &str,
    secret_key: &str,
) -> Result<EmbeddedS3, S3Error> {
    let fs = s3s_fs::FileSystem::new(root)
        .map_err(|e| S3Error::Embedded(format!("cannot serve {}: {e:?}", root.display())))?;
    let service = {
        let mut b = S3ServiceBuilder::new(fs);
        b.set_auth(SimpleAuth::from_single(access_key, secret_key));
        b.build()
    };
    let addr = listener
        .local_addr()
        .map_err(|e| S3Error::Embedded(format!("listener has no address: {e}")))?;
    let (stop_tx, mut stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let http = ConnBuilder::new(TokioExecutor::new());
        let mut conns = JoinSet::new();
        loop {
            tokio::select! {
                res = listener.accept() => match res {
                    Ok((socket, _)) => {
                        let conn = http
                            .serve_connection(TokioIo::new(socket), service.clone())
                            .into_owned();
                        conns.spawn(async move {
                            let _ = conn.await;
                        });
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "embedded S3: accept failed");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                    }
                },
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
                _ = &mut stop_rx => break,
            }
        }
        conns.shutdown().await;
    });
    Ok(EmbeddedS3 {
        endpoint: format!("http://{addr}"),
        stop: Some(stop_tx),
        task: Some(task),
    })
}
