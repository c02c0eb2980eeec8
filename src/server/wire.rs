//! The wire format (spec §3.2): JSON and streamed bodies, error replies with the exception's HTTP
//! status, `x-amz-ErrorType` / `x-amzn-ErrorType` and `{"Message": ...}`, a request id on every
//! response, and the service's answer to a request it cannot route.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;

use crate::error::ApiError;

/// A request the endpoint refuses.
#[derive(Debug)]
pub(super) enum Failure {
    /// An operation's error: its exception, status and message.
    Api(ApiError),
    /// A request the service cannot route to an operation's input (see [`unknown_operation`]).
    Unroutable(String),
    /// An error of the AWS request layer (spec §3.2 common errors: signatures, body encoding).
    Common {
        /// HTTP status.
        status: StatusCode,
        /// The error type, e.g. `SignatureDoesNotMatch`.
        code: &'static str,
        /// The message.
        message: String,
    },
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        Failure::Api(error)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            Failure::Api(error) => {
                let status = StatusCode::from_u16(error.http_status())
                    .expect("the exceptions' statuses are valid HTTP statuses");
                if error.is_local() {
                    eprintln!("kvs-remux serve: {error}");
                }
                (status, error.code(), error.message())
            }
            Failure::Unroutable(reason) => {
                eprintln!("kvs-remux serve: UnknownOperationException: {reason}");
                return unknown_operation_response();
            }
            Failure::Common {
                status,
                code,
                message,
            } => (status, code, message),
        };
        let body = serde_json::json!({ "Message": message }).to_string();
        let code = HeaderValue::from_static(code);
        (
            status,
            [
                ("x-amz-errortype", code.clone()),
                ("x-amzn-errortype", code),
                (
                    header::CONTENT_TYPE.as_str(),
                    HeaderValue::from_static(JSON),
                ),
            ],
            body,
        )
            .into_response()
    }
}

/// The answer when an operation's thread panicked (a defect): InternalFailure (500).
pub(super) fn panicked(error: &tokio::task::JoinError) -> Response {
    eprintln!("kvs-remux serve: InternalFailure: {error}");
    Failure::Common {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        code: "InternalFailure",
        message: "The request failed on the server.".to_owned(),
    }
    .into_response()
}

/// Content type of the operations' JSON (rest-json).
const JSON: &str = "application/json";

/// A 200 response with `value` as JSON.
pub(super) fn json(value: &impl Serialize) -> Result<Response, Failure> {
    let body = serde_json::to_vec(value).map_err(|error| Failure::Common {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        code: "InternalFailure",
        message: error.to_string(),
    })?;
    Ok(([(header::CONTENT_TYPE, JSON)], body).into_response())
}

/// A 200 response of `length` bytes whose body is `chunks`, sent as they come (never joined into
/// one buffer: chunks are slices of the mapped archive).
pub(super) fn streamed<I>(content_type: &str, length: u64, chunks: I) -> Response
where
    I: Iterator<Item = Result<Bytes, ApiError>> + Send + 'static,
{
    let mut response = Response::new(Body::from_stream(futures_util::stream::iter(chunks)));
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    response
}

/// A 200 response holding `chunks` (already made: segments, playlists, a clip).
pub(super) fn chunks(content_type: &str, chunks: Vec<Bytes>) -> Response {
    let length = chunks.iter().map(|chunk| chunk.len() as u64).sum();
    streamed(content_type, length, chunks.into_iter().map(Ok))
}

/// The service's answer to a request it cannot route to an operation: an unknown path (paths are
/// case-sensitive), a method other than the operation's, or a body whose members do not read as
/// the operation's input (a wrong enum string, a wrong type).
///
/// Choice: as recorded (spec §1.1; producer-c#250 and #289, the latter "a 200 response"), HTTP 200
/// with the Coral body `{"Output":{"__type":"com.amazon.coral.service#UnknownOperationException"},
/// "Version":"1.0"}`; clients that trust the status see an empty result, as with the service. The
/// server prints the reason on stderr.
pub(super) async fn unknown_operation(request: Request) -> Response {
    Failure::Unroutable(format!("{} {}", request.method(), request.uri().path())).into_response()
}

/// The Coral UnknownOperationException body, status 200.
fn unknown_operation_response() -> Response {
    (
        [(header::CONTENT_TYPE, JSON)],
        r#"{"Output":{"__type":"com.amazon.coral.service#UnknownOperationException"},"Version":"1.0"}"#,
    )
        .into_response()
}

/// Middleware: a fresh request id on every response, as `x-amz-RequestId` (spec §3.2) and
/// `x-amzn-RequestId` (what the SDKs read into ResponseMetadata).
pub(super) async fn with_request_id(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let id = uuid::Uuid::new_v4().hyphenated().to_string();
    let value = HeaderValue::from_str(&id).expect("a UUID is a valid header value");
    let headers = response.headers_mut();
    headers.insert("x-amz-requestid", value.clone());
    headers.insert("x-amzn-requestid", value);
    response
}
