//! The service's shared request shapes and rules (spec §1.1, §2, §4.1): stream names and ARNs,
//! timestamp ranges, timestamps as epoch seconds on the wire, and the model's constraint messages.
//! The operations' own request and response types live with the operations (`api/`).

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ApiError;
use crate::time::UnixMillis;

/// A fragment timestamp range, inclusive at both ends and compared with fragment starts
/// (TimestampRange, ClipTimestampRange, spec §1.2, §1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TimestampRange {
    /// StartTimestamp.
    #[serde(with = "epoch_seconds")]
    pub start_timestamp: UnixMillis,
    /// EndTimestamp.
    #[serde(with = "epoch_seconds")]
    pub end_timestamp: UnixMillis,
}

/// Timestamps as JSON numbers of epoch seconds with a fraction (spec §1.1, rest-json).
///
/// Choice: reading also takes a string, RFC 3339 or epoch seconds, as the AWS CLI does for its
/// input (the SDKs send numbers); a timestamp before 1970 or past `u64` milliseconds is refused.
/// Writing gives the shortest decimal that reads back to the same millisecond (`1519423067.997`).
pub mod epoch_seconds {
    use super::*;

    /// Writes `time` as a number of seconds.
    ///
    /// # Errors
    /// The serializer's.
    pub fn serialize<S: Serializer>(time: &UnixMillis, serializer: S) -> Result<S::Ok, S::Error> {
        // Milliseconds below 2^53 convert to f64 exactly; /1000 then prints as the 3-decimal value.
        serializer.serialize_f64(time.0 as f64 / 1000.0)
    }

    /// Reads a number of seconds, or a string (RFC 3339 or seconds).
    ///
    /// # Errors
    /// A value that is not a time, before 1970, or out of range.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<UnixMillis, D::Error> {
        deserializer.deserialize_any(SecondsVisitor)
    }

    /// The same for an optional field (absent or `null`: `None`).
    pub mod option {
        use super::*;

        /// Writes `Some` as seconds, `None` as `null` (fields skip it where the service omits them).
        ///
        /// # Errors
        /// The serializer's.
        pub fn serialize<S: Serializer>(
            time: &Option<UnixMillis>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match time {
                Some(time) => super::serialize(time, serializer),
                None => serializer.serialize_none(),
            }
        }

        /// Reads seconds, a string, or `null`.
        ///
        /// # Errors
        /// As [`super::deserialize`].
        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<UnixMillis>, D::Error> {
            Option::<Seconds>::deserialize(deserializer).map(|t| t.map(|s| s.0))
        }
    }
}

/// A timestamp read by [`epoch_seconds::deserialize`].
struct Seconds(UnixMillis);

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SecondsVisitor).map(Seconds)
    }
}

struct SecondsVisitor;

impl Visitor<'_> for SecondsVisitor {
    type Value = UnixMillis;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a timestamp: epoch seconds, or an RFC 3339 string")
    }

    fn visit_u64<E: de::Error>(self, seconds: u64) -> Result<UnixMillis, E> {
        seconds
            .checked_mul(1000)
            .map(UnixMillis)
            .ok_or_else(|| E::custom(format!("timestamp {seconds} is out of range")))
    }

    fn visit_i64<E: de::Error>(self, seconds: i64) -> Result<UnixMillis, E> {
        let seconds = u64::try_from(seconds)
            .map_err(|_| E::custom(format!("timestamp {seconds} is before 1970")))?;
        self.visit_u64(seconds)
    }

    fn visit_f64<E: de::Error>(self, seconds: f64) -> Result<UnixMillis, E> {
        let millis = (seconds * 1000.0).round();
        // 2^64 as f64 is exact; anything below it (and not negative or NaN) converts.
        if !(0.0..18_446_744_073_709_551_616.0).contains(&millis) {
            return Err(E::custom(format!("timestamp {seconds} is out of range")));
        }
        Ok(UnixMillis(millis as u64))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<UnixMillis, E> {
        UnixMillis::parse_request(text)
            .ok_or_else(|| E::custom(format!("{text:?} is neither RFC 3339 nor epoch seconds")))
    }
}

/// Collects the model's constraint violations of one request and reports them as the service
/// does: `N validation error(s) detected: Value 'v' at 'member' failed to satisfy constraint:
/// Member must ...; ...` under InvalidArgumentException.
///
/// Choice: the wording of AWS's model validation (the same for every rest-json service); the
/// archived-media model declares InvalidArgumentException for constraint violations (spec §3.1).
#[derive(Debug, Default)]
pub struct Validation {
    errors: Vec<String>,
}

impl Validation {
    /// A new, empty collection.
    pub fn new() -> Validation {
        Validation::default()
    }

    /// Records a violation unless `ok`: `value` at `member` (the model's camelCase path, e.g.
    /// `fragments.1.member`) must `constraint` (e.g. `have value less than or equal to 1000`).
    pub fn check(&mut self, ok: bool, value: impl fmt::Display, member: &str, constraint: &str) {
        if !ok {
            self.errors.push(format!(
                "Value '{value}' at '{member}' failed to satisfy constraint: Member must {constraint}"
            ));
        }
    }

    /// `Ok` without violations, else one InvalidArgumentException listing them all.
    ///
    /// # Errors
    /// InvalidArgumentException.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.errors.len() {
            0 => Ok(()),
            n => Err(ApiError::InvalidArgument {
                message: format!(
                    "{n} validation error{} detected: {}",
                    if n == 1 { "" } else { "s" },
                    self.errors.join("; ")
                ),
            }),
        }
    }
}

/// The pattern of StreamName (spec §1.1): `[a-zA-Z0-9_.-]+`.
pub const STREAM_NAME_PATTERN: &str = "[a-zA-Z0-9_.-]+";
/// The pattern of StreamARN (spec §1.1).
pub const STREAM_ARN_PATTERN: &str =
    "arn:[a-z\\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+/[a-zA-Z0-9_.-]+/[0-9]+";

/// The stream a request names by StreamName or StreamARN (spec §1.1: one of them is required).
///
/// Choice (spec §9.15): neither is InvalidArgumentException; both are accepted when the ARN names
/// the same stream. The ARN's region and account are not checked (an archive has none).
///
/// # Errors
/// InvalidArgumentException for a name or ARN outside the model's constraints, neither, both
/// naming different streams, or an ARN of something other than a stream.
pub fn stream_name(name: Option<&str>, arn: Option<&str>) -> Result<String, ApiError> {
    let mut validation = Validation::new();
    if let Some(name) = name {
        validation.check(
            (1..=256).contains(&name.len()),
            name,
            "streamName",
            "have length between 1 and 256",
        );
        validation.check(
            is_name(name),
            name,
            "streamName",
            &format!("satisfy regular expression pattern: {STREAM_NAME_PATTERN}"),
        );
    }
    let from_arn = arn.map(|arn| (arn, arn_parts(arn)));
    if let Some((arn, parts)) = from_arn {
        validation.check(
            (1..=1024).contains(&arn.len()),
            arn,
            "streamARN",
            "have length between 1 and 1024",
        );
        validation.check(
            parts.is_some(),
            arn,
            "streamARN",
            &format!("satisfy regular expression pattern: {STREAM_ARN_PATTERN}"),
        );
    }
    validation.finish()?;
    let arn_name = match from_arn {
        Some((arn, Some(("stream", stream)))) => Some((arn, stream)),
        Some((arn, _)) => {
            return Err(ApiError::InvalidArgument {
                message: format!("{arn} is not the ARN of a stream"),
            });
        }
        None => None,
    };
    match (name, arn_name) {
        (None, None) => Err(ApiError::InvalidArgument {
            message: "Either StreamName or StreamARN must be specified.".into(),
        }),
        (Some(name), None) => Ok(name.to_owned()),
        (None, Some((_, stream))) => Ok(stream.to_owned()),
        (Some(name), Some((_, stream))) if name == stream => Ok(name.to_owned()),
        (Some(name), Some((arn, _))) => Err(ApiError::InvalidArgument {
            message: format!("StreamName {name} and StreamARN {arn} name different streams."),
        }),
    }
}

/// Whether `name` matches [`STREAM_NAME_PATTERN`].
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

/// The resource type and name of an ARN matching [`STREAM_ARN_PATTERN`].
fn arn_parts(arn: &str) -> Option<(&str, &str)> {
    let mut fields = arn.splitn(6, ':');
    let (prefix, partition, service, region, account, resource) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    let plain = |s: &str, extra: &[u8], upper: bool| {
        !s.is_empty()
            && s.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || extra.contains(&b)
                    || (upper && b.is_ascii_uppercase())
            })
    };
    let ok = prefix == "arn"
        && plain(partition, b"-", false)
        && service == "kinesisvideo"
        && plain(region, b"-", false)
        && !account.is_empty()
        && account.bytes().all(|b| b.is_ascii_digit());
    let mut resource = resource.splitn(3, '/');
    let (kind, name, created) = (resource.next()?, resource.next()?, resource.next()?);
    let ok = ok
        && !kind.is_empty()
        && kind.bytes().all(|b| b.is_ascii_lowercase())
        && is_name(name)
        && !created.is_empty()
        && created.bytes().all(|b| b.is_ascii_digit());
    ok.then_some((kind, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:kinesisvideo:us-west-2:123456789012:stream/my-stream/1234567890123";

    #[test]
    fn names_and_arns() {
        assert_eq!(stream_name(Some("cam_1.a-b"), None).unwrap(), "cam_1.a-b");
        assert_eq!(stream_name(None, Some(ARN)).unwrap(), "my-stream");
        assert_eq!(
            stream_name(Some("my-stream"), Some(ARN)).unwrap(),
            "my-stream"
        );
        let other = stream_name(Some("other"), Some(ARN)).unwrap_err();
        assert_eq!(other.code(), "InvalidArgumentException");
        assert!(stream_name(None, None).is_err());
        let bad = stream_name(Some("a/b"), None).unwrap_err();
        assert!(
            bad.message()
                .starts_with("1 validation error detected: Value 'a/b' at 'streamName'")
        );
        for arn in [
            "arn:aws:kinesisvideo:us-west-2:123:stream/name",
            "arn:aws:kinesis:us-west-2:123:stream/name/1",
            "arn:aws:kinesisvideo:us-west-2:12a:stream/name/1",
            "arn:aws:kinesisvideo:US:1:stream/name/1",
        ] {
            assert!(stream_name(None, Some(arn)).is_err(), "{arn}");
        }
        let channel = "arn:aws:kinesisvideo:us-west-2:1:channel/name/1";
        assert!(
            stream_name(None, Some(channel))
                .unwrap_err()
                .message()
                .contains("not the ARN")
        );
    }

    #[test]
    fn several_violations_are_reported_together() {
        let mut v = Validation::new();
        v.check(
            false,
            0,
            "maxResults",
            "have value greater than or equal to 1",
        );
        v.check(true, 1, "x", "y");
        v.check(
            false,
            "",
            "nextToken",
            "have length greater than or equal to 1",
        );
        let message = v.finish().unwrap_err().message();
        assert!(message.starts_with("2 validation errors detected: Value '0' at 'maxResults'"));
        assert!(message.contains("; Value '' at 'nextToken'"));
    }
}
