//! The six SDK operations (`POST /listFragments`, ... spec §1.2–§1.7): the JSON body read as the
//! operation's input, the stream opened from the root, the library's answer written back.

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::State;
use super::quotas::Limit;
use super::wire::{self, Failure};
use crate::api::dash::{GetDashStreamingSessionUrlInput, get_dash_streaming_session_url};
use crate::api::get_clip::{ClipRequest, GetClipInput, get_clip};
use crate::api::get_media::{
    GetMediaForFragmentListInput, PayloadPart, get_media_for_fragment_list,
};
use crate::api::hls::{GetHlsStreamingSessionUrlInput, get_hls_streaming_session_url};
use crate::api::images::{GetImagesInput, get_images};
use crate::api::list_fragments::{ListFragmentsInput, list_fragments};
use crate::archive::Archive;
use crate::time::UnixMillis;

/// The largest request body read (1 MiB; the largest valid request, 1000 fragment numbers of
/// GetMediaForFragmentList, is about 135 KB).
const MAX_REQUEST_BODY: usize = 1 << 20;

/// An SDK operation.
#[derive(Debug, Clone, Copy)]
pub(super) enum Operation {
    /// ListFragments.
    ListFragments,
    /// GetMediaForFragmentList.
    GetMediaForFragmentList,
    /// GetClip.
    GetClip,
    /// GetHLSStreamingSessionURL.
    GetHlsStreamingSessionUrl,
    /// GetDASHStreamingSessionURL.
    GetDashStreamingSessionUrl,
    /// GetImages.
    GetImages,
}

/// Answers `request` for `operation`: reads the body (bounded), checks the signature when keys
/// are configured, and runs the operation on a blocking thread.
pub(super) async fn handle(state: Arc<State>, operation: Operation, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_REQUEST_BODY).await else {
        return Failure::Common {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "SerializationException",
            message: format!("The request body is over {MAX_REQUEST_BODY} bytes (or was cut off)."),
        }
        .into_response();
    };
    if let Some(credentials) = &state.credentials
        && let Err(failure) = credentials.verify(&parts, &body, SystemTime::now())
    {
        return failure.into_response();
    }
    let endpoint = endpoint(&parts);
    let answer = tokio::task::spawn_blocking(move || run(&state, operation, &body, &endpoint));
    match answer.await {
        Ok(Ok(response)) => response,
        Ok(Err(failure)) => failure.into_response(),
        Err(error) => wire::panicked(&error),
    }
}

/// Where session URLs point: this server as the client reached it (its Host header).
///
/// Choice: plain `http://` (the server speaks no TLS; put a TLS proxy in front and it forwards
/// Host unchanged).
fn endpoint(parts: &Parts) -> String {
    let host = parts
        .headers
        .get("host")
        .and_then(|host| host.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// Runs `operation` on the request body `body`.
fn run(
    state: &State,
    operation: Operation,
    body: &Bytes,
    endpoint: &str,
) -> Result<Response, Failure> {
    match operation {
        Operation::ListFragments => {
            let input: ListFragmentsInput = parse(body)?;
            let (_, archive) = state
                .streams
                .open(input.stream_name.as_deref(), input.stream_arn.as_deref())?;
            wire::json(&list_fragments(&archive, &input)?)
        }
        Operation::GetMediaForFragmentList => {
            let input: GetMediaForFragmentListInput = parse(body)?;
            let (_, archive) = state
                .streams
                .open(input.stream_name.as_deref(), input.stream_arn.as_deref())?;
            let payload = get_media_for_fragment_list(&archive, &input)?;
            let length = payload.len();
            // Each stored chunk is sliced from the mapped archive as the body is sent.
            let chunks = payload.parts.into_iter().map(move |part| match part {
                PayloadPart::Stored { position, .. } => archive.stored_bytes(position),
                PayloadPart::NotFound(chunk) => Ok(chunk),
            });
            Ok(wire::streamed(payload.content_type, length, chunks))
        }
        Operation::GetClip => {
            let input: GetClipInput = parse(body)?;
            let (_, archive) = state
                .streams
                .open(input.stream_name.as_deref(), input.stream_arn.as_deref())?;
            let clip = get_clip(&archive, &ClipRequest::from_input(&input))?;
            Ok(wire::chunks(
                crate::api::get_clip::CONTENT_TYPE,
                clip.chunks,
            ))
        }
        Operation::GetHlsStreamingSessionUrl => {
            let input: GetHlsStreamingSessionUrlInput = parse(body)?;
            let (stream, archive, now) = session_stream(
                state,
                input.stream_name.as_deref(),
                input.stream_arn.as_deref(),
            )?;
            wire::json(&get_hls_streaming_session_url(
                &archive,
                &stream,
                &input,
                &state.session_key,
                now,
                endpoint,
            )?)
        }
        Operation::GetDashStreamingSessionUrl => {
            let input: GetDashStreamingSessionUrlInput = parse(body)?;
            let (stream, archive, now) = session_stream(
                state,
                input.stream_name.as_deref(),
                input.stream_arn.as_deref(),
            )?;
            wire::json(&get_dash_streaming_session_url(
                &archive,
                &stream,
                &input,
                &state.session_key,
                now,
                endpoint,
            )?)
        }
        Operation::GetImages => {
            let input: GetImagesInput = parse(body)?;
            let (_, archive) = state
                .streams
                .open(input.stream_name.as_deref(), input.stream_arn.as_deref())?;
            wire::json(&get_images(&archive, &input)?)
        }
    }
}

/// The stream a session request names, and the time, the request counted against the
/// session-URL limit.
fn session_stream(
    state: &State,
    name: Option<&str>,
    arn: Option<&str>,
) -> Result<(String, Arc<Archive>, UnixMillis), Failure> {
    let (stream, archive) = state.streams.open(name, arn)?;
    let now = UnixMillis::from_system_time(SystemTime::now());
    admit(state, Limit::SessionUrl, &stream, now)?;
    Ok((stream, archive, now))
}

/// Counts a request against its limit when quotas are enforced.
pub(super) fn admit(
    state: &State,
    limit: Limit,
    scope: &str,
    now: UnixMillis,
) -> Result<(), Failure> {
    match &state.quotas {
        Some(quotas) => Ok(quotas.admit(limit, scope, now)?),
        None => Ok(()),
    }
}

/// The body as the operation's input (an empty body is `{}`).
///
/// Choice: an enum string the model does not have is the recorded UnknownOperationException
/// answer ([`wire::unknown_operation`], spec §1.1); a required member missing is
/// InvalidArgumentException, as the service's validation says; a body that is not JSON, or
/// whose members have the wrong JSON type, is SerializationException (400), the AWS JSON
/// protocols' error for a body that cannot be read as the input.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Failure> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|error| {
        let message = error.to_string();
        if message.starts_with("unknown variant") {
            Failure::Unroutable(message)
        } else if message.starts_with("missing field") {
            Failure::Api(crate::ApiError::InvalidArgument {
                message: format!("1 validation error detected: {message}"),
            })
        } else {
            Failure::Common {
                status: StatusCode::BAD_REQUEST,
                code: "SerializationException",
                message: format!("The request body cannot be read: {message}"),
            }
        }
    })
}
