//! The local archived-media endpoint (`kvs-remux serve`): the six operations at their service
//! paths (spec §1.1–§1.7) and the player actions behind session URLs (spec §1.8), over an archive
//! root whose sub-folders are streams. Routing, wire format (spec §3.2), SigV4 checks and rate
//! limits (spec §4.2) only: every answer comes from [`crate::api`] and [`crate::player`].
//!
//! Every process serving a root with the same session key answers every other's session URLs:
//! a session lives in its signed token, so servers share no state (scale out behind any
//! balancer; the archive root may be a copy per machine).

mod auth;
mod operations;
mod player_routes;
mod quotas;
mod streams;
mod wire;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, Method};
use axum::routing::{get, post};
use tower_http::cors::{AllowHeaders, Any, CorsLayer};

pub use auth::{Credentials, CredentialsError};

use crate::archive::ArchiveRoot;
use crate::session::SessionKey;
use operations::Operation;
use quotas::Quotas;
use streams::Streams;

/// What a server serves and how it checks requests.
#[derive(Debug)]
pub struct ServerConfig {
    /// The archive root: one sub-folder (or file) per StreamName.
    pub root: ArchiveRoot,
    /// The key that signs and checks SessionTokens.
    pub session_key: SessionKey,
    /// With keys, SDK operations must be SigV4-signed by one of them (service `kinesisvideo`);
    /// without, signed and unsigned requests are accepted alike.
    pub credentials: Option<Credentials>,
    /// Refuse requests over the service's TPS limits with ClientLimitExceededException.
    pub enforce_quotas: bool,
}

/// What every request handler reads.
#[derive(Debug)]
struct State {
    streams: Streams,
    session_key: SessionKey,
    credentials: Option<Credentials>,
    quotas: Option<Quotas>,
}

/// The response headers a player page on another origin may read (CORS).
const EXPOSED_HEADERS: [&str; 6] = [
    "x-amz-errortype",
    "x-amzn-errortype",
    "x-amz-requestid",
    "x-amzn-requestid",
    "content-type",
    "content-length",
];

/// The endpoint's routes: the six operations (`POST`), the HLS and DASH player actions (`GET`),
/// CORS for every origin, a request id on every response, and the service's answer to anything
/// else.
pub fn router(config: ServerConfig) -> Router {
    let state = Arc::new(State {
        streams: Streams::new(config.root),
        session_key: config.session_key,
        credentials: config.credentials,
        quotas: config.enforce_quotas.then(Quotas::default),
    });
    let operation = |operation: Operation| {
        let state = Arc::clone(&state);
        post(move |request| operations::handle(state, operation, request))
            .fallback(wire::unknown_operation)
    };
    let hls = Arc::clone(&state);
    let dash = Arc::clone(&state);
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::HEAD, Method::OPTIONS])
        // Echoed, not `*`: a wildcard never covers Authorization, which browser SDKs send.
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers(EXPOSED_HEADERS.map(HeaderName::from_static));
    Router::new()
        .route("/listFragments", operation(Operation::ListFragments))
        .route(
            "/getMediaForFragmentList",
            operation(Operation::GetMediaForFragmentList),
        )
        .route("/getClip", operation(Operation::GetClip))
        .route(
            "/getHLSStreamingSessionURL",
            operation(Operation::GetHlsStreamingSessionUrl),
        )
        .route(
            "/getDASHStreamingSessionURL",
            operation(Operation::GetDashStreamingSessionUrl),
        )
        .route("/getImages", operation(Operation::GetImages))
        .route(
            "/hls/v1/{action}",
            get(move |action, uri| player_routes::hls(hls, action, uri))
                .fallback(wire::unknown_operation),
        )
        .route(
            "/dash/v1/{action}",
            get(move |action, uri| player_routes::dash(dash, action, uri))
                .fallback(wire::unknown_operation),
        )
        .fallback(wire::unknown_operation)
        .layer(cors)
        .layer(axum::middleware::from_fn(wire::with_request_id))
}

/// Serves `config` on `listen` until `shutdown` completes (then finishes the requests in flight):
/// builds the runtime, binds, and calls `ready` with the bound address (port 0 picks a free one).
///
/// # Errors
/// The runtime cannot start, the address cannot be bound, or accepting fails.
pub fn run(
    config: ServerConfig,
    listen: SocketAddr,
    ready: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Operations run on blocking threads (they map files and remux); a bounded pool keeps a
        // burst of requests from starting thousands of threads: the rest wait their turn.
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        ready(listener.local_addr()?);
        axum::serve(listener, router(config))
            .with_graceful_shutdown(shutdown)
            .await
    })
}

/// Completes at Ctrl-C (SIGINT) or SIGTERM: the server's usual shutdown signal for [`run`].
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut terminate) => {
            tokio::select! {
                _ = interrupt => {}
                _ = terminate.recv() => {}
            }
        }
        // Without a SIGTERM handler, Ctrl-C alone stops the server (and SIGTERM kills it).
        Err(_) => {
            if interrupt.await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// Threads that run operations at once.
const MAX_BLOCKING_THREADS: usize = 64;
