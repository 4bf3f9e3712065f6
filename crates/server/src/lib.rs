//! The ChipWarden HTTP API: every engine behind token-checked JSON endpoints under `/api/v1`,
//! with health, readiness, metrics and an OpenAPI description.
//!
//! Handlers are thin: extract the request, call the engine function the CLI calls (on a blocking
//! thread, with the store when it needs one), answer the JSON the CLI prints with `--json`. The
//! route table (`routes::ROUTES`) is the one place that says which roles may call what.
//!
//! What must always hold:
//! - every error leaves as `{"error":{"code","message","field"}}`, and its code alone decides the
//!   HTTP status; internal details are logged, never returned;
//! - every endpoint outside the public four (health, readiness, metrics, the description) checks
//!   a live token and its role on every request, so a revoked token stops working at once;
//! - SQLite and engine work never runs on the async workers (`spawn_blocking`);
//! - on SIGINT or SIGTERM the server stops accepting and answers the requests it has accepted.

pub mod alerts;
pub mod api;
pub mod assets;
pub mod auth;
pub mod demo;
pub mod error;
pub mod extract;
pub mod map;
pub mod metrics;
pub mod routes;
pub mod state;

use std::future::Future;
use std::net::SocketAddr;

pub use auth::{NewToken, Role, new_token, token_hash};
pub use error::{ApiError, Code};
pub use routes::{Access, Method, ROUTES, Route, app};
pub use state::{AppState, Config, StartError};

/// Serves `state` on `listener` until `shutdown` resolves, then finishes the requests already
/// accepted and returns.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The meter's alerts are raised by a task of their own, stopped with the server.
    let alerts = tokio::spawn(alerts::watch(state.clone()));
    let served = axum::serve(listener, app(state)).with_graceful_shutdown(shutdown).await;
    alerts.abort();
    served
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutdown signalled: finishing the requests in flight");
}

/// Structured logs to standard error, filtered by `RUST_LOG` (`info` by default). A second call
/// changes nothing.
pub fn init_logging() {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|text| text.parse::<tracing_subscriber::filter::Targets>().ok())
        .unwrap_or_else(|| tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO));
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let _ = tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(false))
        .with(filter)
        .try_init();
}

/// Runs the server on `addr` until SIGINT or SIGTERM: the entry point of `chipwarden serve`.
/// `listening` is called with the bound address once connections are accepted.
pub fn run(addr: &str, config: Config, listening: impl FnOnce(SocketAddr)) -> Result<(), StartError> {
    init_logging();
    // Opened before the runtime starts: a PostgreSQL store's client blocks on a runtime of its
    // own, which cannot start inside another.
    let state = AppState::open(config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(StartError::Serve)?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|cause| StartError::Bind { addr: addr.to_owned(), cause })?;
        let local = listener.local_addr().map_err(|cause| StartError::Bind { addr: addr.to_owned(), cause })?;
        tracing::info!(addr = %local, "listening");
        listening(local);
        serve(listener, state, shutdown_signal()).await.map_err(StartError::Serve)?;
        tracing::info!("stopped: every accepted request was answered");
        Ok(())
    })
}
