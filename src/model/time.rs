//! Time units and every conversion between them, checked (STYLE §6).

use std::fmt;
use std::num::NonZeroU32;
use std::time::{Duration, UNIX_EPOCH};

/// Nanoseconds per millisecond.
const NS_PER_MS: i64 = 1_000_000;

/// A wall-clock instant as whole milliseconds since the Unix epoch (KVS fragment timestamps, spec §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixMillis(pub u64);

impl UnixMillis {
    /// Parses a KVS tag value: decimal seconds with up to 3 decimals (`1511852109.126`, `0.000`).
    ///
    /// Further decimals round up to the next millisecond, as the parser library does (spec §7.2).
    /// Returns `None` for anything that is not plain decimal digits with an optional fraction.
    pub fn parse_kvs_seconds(text: &str) -> Option<UnixMillis> {
        let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
        if secs.is_empty() || !secs.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) || (text.contains('.') && frac.is_empty()) {
            return None;
        }
        let secs: u64 = secs.parse().ok()?;
        let mut millis = 0u64;
        for (i, digit) in frac.bytes().enumerate() {
            let digit = u64::from(digit - b'0');
            match i {
                0..=2 => millis = millis * 10 + digit,
                _ if digit != 0 => {
                    millis += 1;
                    break;
                }
                _ => {}
            }
        }
        for _ in frac.len()..3 {
            millis *= 10;
        }
        secs.checked_mul(1000)?.checked_add(millis).map(UnixMillis)
    }

    /// Parses a request timestamp: epoch seconds (`1511852108.513`) or RFC 3339
    /// (`2017-11-28T06:55:08.513Z`), as the AWS CLI accepts both (spec §1.1: JSON carries epoch seconds).
    pub fn parse_request(text: &str) -> Option<UnixMillis> {
        if let Some(millis) = UnixMillis::parse_kvs_seconds(text) {
            return Some(millis);
        }
        let time = humantime::parse_rfc3339_weak(text).ok()?;
        let since = time.duration_since(UNIX_EPOCH).ok()?;
        u64::try_from(since.as_millis()).ok().map(UnixMillis)
    }

    /// The instant in nanoseconds since the epoch, or `None` past the year 2262.
    pub fn as_nanos(self) -> Option<i64> {
        i64::try_from(self.0).ok()?.checked_mul(NS_PER_MS)
    }

    /// The instant that `nanos` (ns since the epoch, rounded down to ms) names, or `None` before 1970.
    pub fn from_nanos(nanos: i64) -> Option<UnixMillis> {
        u64::try_from(nanos.div_euclid(NS_PER_MS))
            .ok()
            .map(UnixMillis)
    }

    /// ISO-8601 UTC with milliseconds, e.g. `2017-11-28T06:55:09.126Z` (the form HLS PDT uses, spec §8.2).
    pub fn to_iso8601(self) -> String {
        humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(self.0)).to_string()
    }
}

impl fmt::Display for UnixMillis {
    /// Decimal seconds with 3 decimals, as in KVS tags.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}", self.0 / 1000, self.0 % 1000)
    }
}

/// A media timescale: ticks per second (mdhd timescale, 90 kHz for MPEG-TS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timescale(NonZeroU32);

impl Timescale {
    /// 90 kHz, the video and MPEG-TS clock.
    pub const VIDEO: Timescale = Timescale(NonZeroU32::new(90_000).expect("non-zero"));

    /// A timescale of `ticks` per second; `None` for 0.
    pub fn new(ticks: u32) -> Option<Timescale> {
        NonZeroU32::new(ticks).map(Timescale)
    }

    /// Ticks per second.
    pub fn get(self) -> u32 {
        self.0.get()
    }

    /// Nanoseconds to ticks, rounded to the nearest tick (exact for whole ms at 90 kHz and 8/16/48 kHz).
    pub fn ticks(self, nanos: i128) -> i128 {
        let scaled = nanos * i128::from(self.get());
        // Round half away from zero.
        let half = 500_000_000 * scaled.signum();
        (scaled + half) / 1_000_000_000
    }
}

/// Converts Matroska ticks (`TimestampScale` ns each) to nanoseconds, or `None` on overflow.
pub fn ticks_to_nanos(ticks: i64, timestamp_scale: u64) -> Option<i64> {
    let scale = i64::try_from(timestamp_scale).ok()?;
    ticks.checked_mul(scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kvs_seconds() {
        assert_eq!(
            UnixMillis::parse_kvs_seconds("1511852109.126"),
            Some(UnixMillis(1_511_852_109_126))
        );
        assert_eq!(UnixMillis::parse_kvs_seconds("0.000"), Some(UnixMillis(0)));
        assert_eq!(
            UnixMillis::parse_kvs_seconds("12.5"),
            Some(UnixMillis(12_500))
        );
        assert_eq!(UnixMillis::parse_kvs_seconds("7"), Some(UnixMillis(7_000)));
        assert_eq!(
            UnixMillis::parse_kvs_seconds("1.0001"),
            Some(UnixMillis(1_001))
        );
        assert_eq!(
            UnixMillis::parse_kvs_seconds("1.0000"),
            Some(UnixMillis(1_000))
        );
        for bad in [
            "",
            ".5",
            "1.",
            "-1.000",
            "1e3",
            "1.2.3",
            "99999999999999999999.000",
        ] {
            assert_eq!(UnixMillis::parse_kvs_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn timescale_rounding() {
        let video = Timescale::VIDEO;
        assert_eq!(video.ticks(1_000_000), 90);
        assert_eq!(video.ticks(-33_000_000), -2970);
        let audio = Timescale::new(44_100).unwrap();
        assert_eq!(audio.ticks(21_000_000), 926); // 926.1
        assert_eq!(audio.ticks(1_000_000_000), 44_100);
    }

    #[test]
    fn request_timestamps() {
        assert_eq!(
            UnixMillis::parse_request("1511852108.513"),
            Some(UnixMillis(1_511_852_108_513))
        );
        assert_eq!(
            UnixMillis::parse_request("2017-11-28T06:55:08.513Z"),
            Some(UnixMillis(1_511_852_108_513))
        );
        assert_eq!(UnixMillis::parse_request("yesterday"), None);
    }

    #[test]
    fn iso8601_and_display() {
        let t = UnixMillis(1_511_852_109_126);
        assert_eq!(t.to_iso8601(), "2017-11-28T06:55:09.126Z");
        assert_eq!(t.to_string(), "1511852109.126");
        assert_eq!(UnixMillis(5).to_string(), "0.005");
    }
}
