//! SigV4 request signatures (signing name `kinesisvideo`, spec §1.1), checked against a list of
//! access keys when the server is given one (`serve --credentials FILE`).
//!
//! Choice: the check is written here over `hmac`/`sha2` (the crate's own HMAC dependencies): the
//! SigV4 crates of the AWS SDK sign but do not verify, and the verifying crates pull a web
//! framework of their own. The errors are the AWS common errors of spec §3.2.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, SystemTime};

use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::wire::Failure;

/// The signing name requests must be scoped to.
const SERVICE: &str = "kinesisvideo";
/// The only algorithm the service takes.
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// How far a request's X-Amz-Date may be from the server's clock (the AWS rule).
const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// Access keys that may sign requests: access key id → secret access key.
#[derive(Clone, Default)]
pub struct Credentials {
    secrets: HashMap<String, String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credentials({} keys)", self.secrets.len())
    }
}

/// A credentials file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// No section has both `aws_access_key_id` and `aws_secret_access_key`.
    #[error("no section has both aws_access_key_id and aws_secret_access_key")]
    NoKeys,
}

impl Credentials {
    /// The keys of an AWS shared-credentials file (`~/.aws/credentials` form): every `[section]`
    /// with both `aws_access_key_id` and `aws_secret_access_key`.
    ///
    /// # Errors
    /// [`CredentialsError::NoKeys`] when no section has both.
    pub fn from_ini(text: &str) -> Result<Credentials, CredentialsError> {
        let mut secrets = HashMap::new();
        let mut section: (Option<&str>, Option<&str>) = (None, None);
        let mut finish = |section: &mut (Option<&str>, Option<&str>)| {
            if let (Some(id), Some(secret)) = *section {
                secrets.insert(id.to_owned(), secret.to_owned());
            }
            *section = (None, None);
        };
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                finish(&mut section);
            } else if let Some((name, value)) = line.split_once('=') {
                match name.trim() {
                    "aws_access_key_id" => section.0 = Some(value.trim()),
                    "aws_secret_access_key" => section.1 = Some(value.trim()),
                    _ => {}
                }
            }
        }
        finish(&mut section);
        if secrets.is_empty() {
            return Err(CredentialsError::NoKeys);
        }
        Ok(Credentials { secrets })
    }

    /// Checks the SigV4 `Authorization` header of a request (`parts` and `body`) at `now`.
    ///
    /// # Errors
    /// MissingAuthenticationToken (403) without a signature, IncompleteSignature (400) for a
    /// malformed one, InvalidClientTokenId (403) for an unknown key, RequestExpired (400) for a
    /// date more than 15 minutes off, SignatureDoesNotMatch (403) otherwise.
    pub(super) fn verify(
        &self,
        parts: &Parts,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), Failure> {
        let Some(authorization) = parts.headers.get("authorization") else {
            return Err(common(
                StatusCode::FORBIDDEN,
                "MissingAuthenticationToken",
                "Missing Authentication Token",
            ));
        };
        let signature = Authorization::parse(authorization.to_str().unwrap_or(""))?;
        let Some(secret) = self.secrets.get(signature.key_id) else {
            return Err(common(
                StatusCode::FORBIDDEN,
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            ));
        };
        let amz_date = header(&parts.headers, "x-amz-date").unwrap_or_default();
        check_date(&amz_date, signature.date, now)?;
        if signature.service != SERVICE || signature.terminator != "aws4_request" {
            return Err(mismatch(&format!(
                "Credential should be scoped to correct service: '{SERVICE}'."
            )));
        }
        let canonical = canonical_request(parts, &signature.signed_headers, body);
        let given = unhex(signature.signature).ok_or_else(|| mismatch(SIGNATURE_MISMATCH))?;
        signing_mac(secret, &signature, &amz_date, &canonical)
            .verify_slice(&given)
            .map_err(|_| mismatch(SIGNATURE_MISMATCH))
    }
}

/// The MAC whose output is the SigV4 signature of `canonical` (a canonical request) under
/// `secret`, with the scope of `signature` and the request's X-Amz-Date `amz_date`; its
/// `verify_slice` compares a given signature in constant time.
fn signing_mac(
    secret: &str,
    signature: &Authorization<'_>,
    amz_date: &str,
    canonical: &str,
) -> Hmac<Sha256> {
    let scope = format!(
        "{}/{}/{}/aws4_request",
        signature.date, signature.region, signature.service
    );
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut key = hmac(
        format!("AWS4{secret}").as_bytes(),
        signature.date.as_bytes(),
    );
    for part in [signature.region, signature.service, "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(string_to_sign.as_bytes());
    mac
}

/// The service's message for a signature that does not match.
const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// The parts of `AWS4-HMAC-SHA256 Credential=ID/DATE/REGION/SERVICE/aws4_request,
/// SignedHeaders=a;b, Signature=HEX`.
struct Authorization<'a> {
    key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    terminator: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

impl<'a> Authorization<'a> {
    /// Reads the header's value.
    fn parse(value: &'a str) -> Result<Authorization<'a>, Failure> {
        let incomplete = || {
            common(
                StatusCode::BAD_REQUEST,
                "IncompleteSignature",
                &format!(
                    "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' \
                     with algorithm {ALGORITHM}: {value}"
                ),
            )
        };
        let rest = value
            .strip_prefix(ALGORITHM)
            .filter(|rest| rest.starts_with(' '))
            .ok_or_else(incomplete)?;
        let (mut credential, mut signed, mut signature) = (None, None, None);
        for field in rest.split(',').map(str::trim) {
            match field.split_once('=') {
                Some(("Credential", v)) => credential = Some(v),
                Some(("SignedHeaders", v)) => signed = Some(v),
                Some(("Signature", v)) => signature = Some(v),
                _ => return Err(incomplete()),
            }
        }
        let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature)
        else {
            return Err(incomplete());
        };
        let scope: Vec<&str> = credential.split('/').collect();
        let [key_id, date, region, service, terminator] = scope[..] else {
            return Err(incomplete());
        };
        Ok(Authorization {
            key_id,
            date,
            region,
            service,
            terminator,
            signed_headers: signed.split(';').collect(),
            signature,
        })
    }
}

/// Checks X-Amz-Date (`YYYYMMDDTHHMMSSZ`): the scope's day, within [`MAX_SKEW`] of `now`.
fn check_date(amz_date: &str, scope_date: &str, now: SystemTime) -> Result<(), Failure> {
    let rfc3339 = match (amz_date.get(0..4), amz_date.get(4..6), amz_date.get(6..8)) {
        (Some(y), Some(m), Some(d)) if amz_date.len() == 16 => amz_date
            .get(9..11)
            .zip(amz_date.get(11..13))
            .zip(amz_date.get(13..15))
            .map(|((h, min), s)| format!("{y}-{m}-{d}T{h}:{min}:{s}Z")),
        _ => None,
    };
    let signed_at = rfc3339
        .and_then(|text| humantime::parse_rfc3339(&text).ok())
        .filter(|_| amz_date.starts_with(scope_date))
        .ok_or_else(|| {
            mismatch(&format!(
                "Invalid X-Amz-Date '{amz_date}' for scope date '{scope_date}'."
            ))
        })?;
    let skew = now
        .duration_since(signed_at)
        .or_else(|error| Ok::<_, ()>(error.duration()))
        .unwrap_or_default();
    if skew > MAX_SKEW {
        return Err(common(
            StatusCode::BAD_REQUEST,
            "RequestExpired",
            &format!(
                "Signature expired: {amz_date} is more than 15 minutes from the server's time."
            ),
        ));
    }
    Ok(())
}

/// The canonical request of SigV4: method, canonical URI, sorted query, the signed headers and
/// the body's SHA-256.
fn canonical_request(parts: &Parts, signed_headers: &[&str], body: &[u8]) -> String {
    let mut query: Vec<(String, String)> = parts
        .uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (encode(&decode(name), true), encode(&decode(value), true))
        })
        .collect();
    query.sort();
    let query = query
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&");
    let headers: String = signed_headers
        .iter()
        .map(|name| {
            let values: Vec<String> = parts
                .headers
                .get_all(*name)
                .iter()
                .map(|v| {
                    String::from_utf8_lossy(v.as_bytes())
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            format!("{name}:{}\n", values.join(","))
        })
        .collect();
    format!(
        "{}\n{}\n{query}\n{headers}\n{}\n{}",
        parts.method,
        encode(parts.uri.path().as_bytes(), false),
        signed_headers.join(";"),
        hex(&Sha256::digest(body))
    )
}

/// A header's value as text.
fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Percent-encoding of SigV4: unreserved characters stay, `/` too unless `slash` is set.
fn encode(bytes: &[u8], slash: bool) -> String {
    let mut out = String::new();
    for &byte in bytes {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) || (byte == b'/' && !slash) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Percent-decoding (a `%` not followed by two hex digits stays as it is).
fn decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        let escaped = (byte == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match escaped {
            Some(value) => {
                out.push(value);
                i += 3;
            }
            None => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

/// HMAC-SHA256 of `data` under `key`.
fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Lower-case hex.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of lower- or upper-case hex.
fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// SignatureDoesNotMatch (403) with `message`.
fn mismatch(message: &str) -> Failure {
    common(StatusCode::FORBIDDEN, "SignatureDoesNotMatch", message)
}

/// A common AWS error.
fn common(status: StatusCode, code: &'static str, message: &str) -> Failure {
    Failure::Common {
        status,
        code,
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AWS SigV4 test suite's `get-vanilla` case (documented key, date and signature).
    #[test]
    fn the_documented_example_verifies() {
        let credentials = Credentials::from_ini(
            "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n",
        )
        .expect("one key");
        let request = axum::http::Request::get("/")
            .header("host", "example.amazonaws.com")
            .header("x-amz-date", "20150830T123600Z")
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                 SignedHeaders=host;x-amz-date, \
                 Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            )
            .body(())
            .expect("a request");
        let (parts, ()) = request.into_parts();
        let at = humantime::parse_rfc3339("2015-08-30T12:36:00Z").expect("a time");
        let header = parts.headers["authorization"].to_str().expect("text");
        let signature = Authorization::parse(header).expect("well formed");
        let canonical = canonical_request(&parts, &signature.signed_headers, b"");
        assert_eq!(
            hex(&Sha256::digest(canonical.as_bytes())),
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        );
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        assert_eq!(
            hex(
                &signing_mac(secret, &signature, "20150830T123600Z", &canonical)
                    .finalize()
                    .into_bytes()
            ),
            signature.signature
        );
        // The signature checks out; the scope names another service than ours.
        match credentials.verify(&parts, b"", at) {
            Err(Failure::Common { code, message, .. }) => {
                assert_eq!(code, "SignatureDoesNotMatch");
                assert!(message.contains("kinesisvideo"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    /// Hostile Authorization headers and dates give the AWS errors, never a panic.
    #[test]
    fn malformed_signatures_are_errors() {
        let credentials =
            Credentials::from_ini("aws_access_key_id=K\naws_secret_access_key=S\n").expect("a key");
        let now = humantime::parse_rfc3339("2026-01-01T00:00:00Z").expect("a time");
        for (authorization, date, code) in [
            ("", "", "IncompleteSignature"),
            ("AWS4-HMAC-SHA256", "", "IncompleteSignature"),
            ("AWS4-HMAC-SHA256 Credential=K", "", "IncompleteSignature"),
            (
                "AWS4-HMAC-SHA256 Credential=K/a/b/c/d, SignedHeaders=, Signature=",
                "",
                "SignatureDoesNotMatch",
            ),
            (
                "AWS4-HMAC-SHA256 Credential=X/20260101/r/kinesisvideo/aws4_request, SignedHeaders=host, Signature=00",
                "20260101T000000Z",
                "InvalidClientTokenId",
            ),
            (
                "AWS4-HMAC-SHA256 Credential=K/20260101/r/kinesisvideo/aws4_request, SignedHeaders=host, Signature=zz",
                "20260101T000000Z",
                "SignatureDoesNotMatch",
            ),
            (
                "AWS4-HMAC-SHA256 Credential=K/20260101/r/kinesisvideo/aws4_request, SignedHeaders=host;x-amz-date, Signature=0",
                "20260101T000000Z",
                "SignatureDoesNotMatch",
            ),
            (
                "AWS4-HMAC-SHA256 Credential=K/20250101/r/kinesisvideo/aws4_request, SignedHeaders=host, Signature=00",
                "20250101T000000Z",
                "RequestExpired",
            ),
            (
                "AWS4-HMAC-SHA256 Credential=K/2026\u{e9}/r/kinesisvideo/aws4_request, SignedHeaders=host, Signature=00",
                "2026\u{e9}0101T00000Z",
                "IncompleteSignature",
            ),
            (
                "AWS4-HMAC-SHA256 Credential=K/20260101/r/kinesisvideo/aws4_request, SignedHeaders=host, Signature=00",
                "2026\u{e9}0101T00000Z",
                "SignatureDoesNotMatch",
            ),
        ] {
            let request = axum::http::Request::post("/listFragments")
                .header("host", "h")
                .header("x-amz-date", date)
                .header("authorization", authorization)
                .body(())
                .expect("a request");
            let (parts, ()) = request.into_parts();
            match credentials.verify(&parts, b"{}", now) {
                Err(Failure::Common { code: got, .. }) => assert_eq!(got, code, "{authorization}"),
                other => panic!("{authorization}: {other:?}"),
            }
        }
    }
}
