//! The accept loop: connections capped in total and per client ([`super::connections`]), a
//! deadline for a request's first byte and a header-read timeout (a connection that does not
//! speak, or does not finish its request headers, in time is closed, so idle or slow clients
//! cannot hold connections open), a back-off when accepting fails (a full descriptor table) with
//! a log line at most once a second, the client's address for rate limits, and a graceful
//! shutdown on Ctrl-C or SIGTERM.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tower::ServiceExt as _;

use super::{AppState, ServeError, router};

/// Binds `addr` and serves until Ctrl-C or SIGTERM, then finishes open requests.
pub async fn serve(state: AppState, addr: SocketAddr) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| ServeError::Bind { addr, source })?;
    serve_listener(state, listener).await
}

/// Serves on a bound listener (the benchmarks bind port 0 and read the address first).
pub async fn serve_listener(state: AppState, listener: tokio::net::TcpListener) -> Result<(), ServeError> {
    let local = listener.local_addr()?;
    tracing::info!(%local, db = %state.data.path().display(), "serving");
    let limits = state.config.project.limits;
    let header_timeout = limits.header_read_timeout;
    let connections = super::connections::Connections::new(limits.max_connections, limits.max_connections_per_client);
    let mut failures = super::connections::Throttled::new();
    let mut backoff = std::time::Duration::from_millis(10);
    let marker = serving_marker(state.data.path());
    let app = router(state);
    let mut builder = Builder::new(TokioExecutor::new());
    // hyper answers past its header limit with a bare 431; a higher limit lets the request
    // through to `limits::http_limits`, which refuses more than 100 headers in JSON.
    builder.http1().timer(TokioTimer::new()).header_read_timeout(header_timeout).max_headers(super::limits::MAX_HEADERS * 2);
    let graceful = GracefulShutdown::new();
    let mut signal = std::pin::pin!(shutdown_signal());
    // `bomiljo import` reads this to send a file to the server that holds the database.
    if let Err(e) = std::fs::write(&marker, format!("http://{local}/")) {
        tracing::warn!(error = %e, path = %marker.display(), "could not note where the server listens");
    }
    // Tests and scripts read this line to find the port when --port 0 was given.
    eprintln!("bomiljo: listening on http://{local}/");
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of descriptors, say: wait before trying again instead of spinning.
                        if let Some(suppressed) = failures.due() {
                            tracing::warn!(error = %e, suppressed, "accept failed; backing off");
                        }
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(std::time::Duration::from_secs(1));
                        continue;
                    }
                };
                backoff = std::time::Duration::from_millis(10);
                let Some(admitted) = connections.admit(remote.ip()) else {
                    // Over the cap: closed at once (dropping the stream).
                    if let Some(suppressed) = failures.due() {
                        tracing::warn!(%remote, suppressed, "connection refused: too many open connections from this client or in total");
                    }
                    continue;
                };
                let service = app.clone().map_request(move |mut request: hyper::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(remote));
                    if let Some(uri) = super::links::collapse_slashes(request.uri()) {
                        *request.uri_mut() = uri;
                    }
                    request
                });
                let (builder, watcher) = (builder.clone(), graceful.watcher());
                tokio::spawn(async move {
                    let _admitted = admitted;
                    // A client that opens a connection and sends nothing is dropped (hyper's
                    // header timeout starts with the first byte).
                    // (`peek`, not `readable`: a fresh socket reports itself readable at once.)
                    let mut first = [0u8; 1];
                    if !matches!(tokio::time::timeout(header_timeout, stream.peek(&mut first)).await, Ok(Ok(1..))) {
                        tracing::debug!(%remote, "closed a connection that sent nothing");
                        return;
                    }
                    let connection = watcher.watch(builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)).into_owned());
                    if let Err(e) = connection.await {
                        tracing::debug!(error = %e, %remote, "connection ended with an error");
                    }
                });
            }
            () = &mut signal => break,
        }
    }
    drop(listener);
    let _ = std::fs::remove_file(&marker);
    graceful.shutdown().await;
    tracing::info!("shut down");
    Ok(())
}

/// The file a running server writes its address to, beside the database (`oslo.duckdb.serving`).
pub fn serving_marker(db: &std::path::Path) -> std::path::PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".serving");
    std::path::PathBuf::from(name)
}

/// The address of the server that holds the database, if one said so and is still there.
pub fn running_server(db: &std::path::Path) -> Option<String> {
    let url = std::fs::read_to_string(serving_marker(db)).ok()?;
    let url = url.trim().to_string();
    url.starts_with("http://").then_some(url)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
