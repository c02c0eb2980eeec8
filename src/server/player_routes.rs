//! The player actions behind session URLs (`GET /hls/v1/<action>`, `/dash/v1/<action>`, spec
//! §1.8): authorised by the SessionToken alone, answered by [`crate::player`].

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::Path;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};

use super::State;
use super::operations::admit;
use super::quotas::Limit;
use super::wire::{self, Failure};
use crate::UnixMillis;
use crate::player::{self, PlayerResponse};
use crate::session::Protocol;

/// `GET /hls/v1/<action>?<query>`.
pub(super) async fn hls(state: Arc<State>, Path(action): Path<String>, uri: Uri) -> Response {
    answer(state, Protocol::Hls, action, uri).await
}

/// `GET /dash/v1/<action>?<query>`.
pub(super) async fn dash(state: Arc<State>, Path(action): Path<String>, uri: Uri) -> Response {
    answer(state, Protocol::Dash, action, uri).await
}

/// Runs the action on a blocking thread (it may open the stream and remux a segment).
async fn answer(state: Arc<State>, protocol: Protocol, action: String, uri: Uri) -> Response {
    let query = uri.query().unwrap_or("").to_owned();
    let answer = tokio::task::spawn_blocking(move || {
        let now = UnixMillis::from_system_time(SystemTime::now());
        let limit = match action.as_str() {
            "getMP4MediaFragment.mp4" | "getTSFragment.ts" => Limit::Media,
            _ => Limit::Playlist,
        };
        admit(&state, limit, session_token(&query), now)?;
        let open = |name: &str| state.streams.open_name(name);
        let key = &state.session_key;
        let response: PlayerResponse = match protocol {
            Protocol::Hls => player::hls_action(&action, &query, key, now, open)?,
            Protocol::Dash => player::dash_action(&action, &query, key, now, open)?,
        };
        Ok::<_, Failure>(wire::chunks(response.content_type, response.body))
    });
    match answer.await {
        Ok(Ok(response)) => response,
        Ok(Err(failure)) => failure.into_response(),
        Err(error) => wire::panicked(&error),
    }
}

/// The SessionToken of a query (what the per-session limits count by).
fn session_token(query: &str) -> &str {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("SessionToken="))
        .unwrap_or("")
}
