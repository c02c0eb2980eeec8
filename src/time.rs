//! Time units and every conversion between them, checked (STYLE §6). The bottom layer: everything
//! else (the Matroska reader, the timeline, the writers) counts time in these types.
//!
//! - [`UnixMillis`]: a wall-clock instant, whole milliseconds since the Unix epoch (KVS tags, requests).
//! - [`Nanos`]: a time or span on a media timeline in nanoseconds (frame, decode and presentation
//!   times, durations).
//! - [`TimestampScale`]: nanoseconds per Matroska tick; converts block and Cluster timestamps.
//! - [`Timescale`]: ticks per second of an output track (mdhd, 90 kHz for MPEG-TS).
//!
//! Conversions that can overflow return `Option` (the caller turns `None` into its typed error);
//! the ones that cannot say why next to the arithmetic.

use std::fmt;
use std::num::{NonZeroU32, NonZeroU64};
use std::time::{SystemTime, UNIX_EPOCH};

/// Nanoseconds per millisecond.
const NS_PER_MS: i64 = 1_000_000;
/// Nanoseconds per second.
const NS_PER_S: i128 = 1_000_000_000;

/// A wall-clock instant as whole milliseconds since the Unix epoch (KVS fragment timestamps, spec §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixMillis(pub u64);

impl UnixMillis {
    /// Parses a KVS tag value: decimal seconds with up to 3 decimals (`1511852109.126`, `0.000`).
    ///
    /// Further decimals round up to the next millisecond, as the parser library does (spec §7.2).
    /// Returns `None` for anything that is not plain decimal digits with an optional fraction, or
    /// that does not fit in 64-bit milliseconds.
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
            // An ASCII digit minus b'0' is 0..=9; `millis` stays below 1000 while i < 3.
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

    /// `time` in whole milliseconds: 0 before 1970, `u64::MAX` past what fits. The library takes
    /// the wall clock as a value; its callers pass `SystemTime::now()` here.
    pub fn from_system_time(time: SystemTime) -> UnixMillis {
        let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
        UnixMillis(u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX))
    }

    /// The instant on the media timeline, or `None` past the year 2262 (the end of `i64` nanoseconds).
    pub fn as_nanos(self) -> Option<Nanos> {
        i64::try_from(self.0)
            .ok()?
            .checked_mul(NS_PER_MS)
            .map(Nanos)
    }

    /// The instant `nanos` names, rounded down to the millisecond, or `None` before 1970.
    pub fn from_nanos(nanos: Nanos) -> Option<UnixMillis> {
        u64::try_from(nanos.0.div_euclid(NS_PER_MS))
            .ok()
            .map(UnixMillis)
    }

    /// Milliseconds from `self` to the later `other`, or `None` when `other` is earlier.
    pub fn millis_until(self, other: UnixMillis) -> Option<u64> {
        other.0.checked_sub(self.0)
    }

    /// ISO-8601 UTC with milliseconds, e.g. `2017-11-28T06:55:09.126Z` (the form HLS PDT uses, spec §8.2).
    ///
    /// Choice: years past 9999 (only damaged input has them) use ISO 8601's expanded form with a
    /// `+` and five or more digits (`+10000-01-01T00:00:00.000Z`) rather than failing.
    pub fn to_iso8601(self) -> String {
        const MS_PER_DAY: u64 = 86_400_000;
        let (days, ms_of_day) = (self.0 / MS_PER_DAY, self.0 % MS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let (secs, ms) = (ms_of_day / 1000, ms_of_day % 1000);
        let (hour, minute, second) = (secs / 3600, secs / 60 % 60, secs % 60);
        let year = if year > 9999 {
            format!("+{year}")
        } else {
            format!("{year:04}")
        };
        format!("{year}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{ms:03}Z")
    }
}

/// Year, month (1–12) and day (1–31) of the `days`-th day after 1970-01-01 in the proleptic
/// Gregorian calendar (H. Hinnant's `civil_from_days`, for non-negative day counts).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Shift the epoch to 0000-03-01 so leap days fall at the end of a year: 719 468 days.
    // `days` ≤ u64::MAX / 86 400 000, so the sum cannot overflow.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

impl fmt::Display for UnixMillis {
    /// Decimal seconds with 3 decimals, as in KVS tags.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}", self.0 / 1000, self.0 % 1000)
    }
}

/// A time or a span on a media timeline, in nanoseconds: KVS times count from the Unix epoch, plain
/// Matroska times from the file's own zero. Arithmetic is checked: `None` means it left `i64`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Nanos(pub i64);

impl Nanos {
    /// Zero.
    pub const ZERO: Nanos = Nanos(0);
    /// One millisecond.
    pub const MILLISECOND: Nanos = Nanos(NS_PER_MS);
    /// One second.
    pub const SECOND: Nanos = Nanos(1_000_000_000);

    /// `ms` milliseconds, or `None` when that leaves `i64` nanoseconds.
    pub fn from_millis(ms: i64) -> Option<Nanos> {
        ms.checked_mul(NS_PER_MS).map(Nanos)
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Nanos) -> Option<Nanos> {
        self.0.checked_add(other.0).map(Nanos)
    }

    /// `self − other`, or `None` on overflow.
    pub fn checked_sub(self, other: Nanos) -> Option<Nanos> {
        self.0.checked_sub(other.0).map(Nanos)
    }

    /// `self · n`, or `None` on overflow.
    pub fn checked_mul(self, n: i64) -> Option<Nanos> {
        self.0.checked_mul(n).map(Nanos)
    }

    /// `self / n` rounded towards zero, or `None` for `n` = 0.
    pub fn checked_div(self, n: i64) -> Option<Nanos> {
        self.0.checked_div(n).map(Nanos)
    }

    /// `|self − other|` in nanoseconds; cannot overflow.
    pub fn abs_diff(self, other: Nanos) -> u64 {
        self.0.abs_diff(other.0)
    }

    /// Whole milliseconds, rounded towards minus infinity.
    pub fn whole_millis(self) -> i64 {
        self.0.div_euclid(NS_PER_MS)
    }

    /// `self − other` as an `i128`, which cannot overflow.
    pub fn wide_sub(self, other: Nanos) -> i128 {
        i128::from(self.0) - i128::from(other.0)
    }

    /// The span as an unsigned count of nanoseconds, or `None` when negative.
    pub fn unsigned(self) -> Option<u64> {
        u64::try_from(self.0).ok()
    }

    /// A span of `ns` unsigned nanoseconds, or `None` past `i64::MAX`.
    pub fn from_unsigned(ns: u64) -> Option<Nanos> {
        i64::try_from(ns).ok().map(Nanos)
    }
}

impl fmt::Display for Nanos {
    /// Seconds with 9 decimals and a sign, e.g. `-0.033000000 s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(
            f,
            "{sign}{}.{:09} s",
            abs / 1_000_000_000,
            abs % 1_000_000_000
        )
    }
}

/// Nanoseconds per Matroska tick (TimestampScale, RFC 9559 §5.1.2.1): never 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimestampScale(NonZeroU64);

impl TimestampScale {
    /// Matroska's default: 1 000 000 ns, one tick per millisecond.
    pub const DEFAULT: TimestampScale =
        TimestampScale(NonZeroU64::new(1_000_000).expect("non-zero"));

    /// A scale of `ns` nanoseconds per tick; `None` for 0.
    pub fn new(ns: u64) -> Option<TimestampScale> {
        NonZeroU64::new(ns).map(TimestampScale)
    }

    /// Nanoseconds per tick.
    pub fn get(self) -> u64 {
        self.0.get()
    }

    /// `ticks` Matroska ticks on the timeline, or `None` when that leaves `i64` nanoseconds.
    pub fn nanos(self, ticks: i64) -> Option<Nanos> {
        let scale = i64::try_from(self.get()).ok()?;
        ticks.checked_mul(scale).map(Nanos)
    }

    /// An unsigned count of ticks (a BlockDuration) as nanoseconds, or `None` when that leaves `i64`.
    pub fn span(self, ticks: u64) -> Option<Nanos> {
        self.nanos(i64::try_from(ticks).ok()?)
    }
}

/// A media timescale: ticks per second of an output track (mdhd timescale, 90 kHz for MPEG-TS).
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

    /// `to − from` in ticks, rounded to the nearest tick, half away from zero (exact for whole
    /// milliseconds at 90 kHz and at 8/16/48 kHz).
    pub fn ticks_between(self, from: Nanos, to: Nanos) -> i128 {
        self.ticks(to.wide_sub(from))
    }

    /// `nanos` in ticks, rounded to the nearest tick, half away from zero.
    ///
    /// Cannot overflow for any span of two `i64` times: |nanos| < 2^65 and the rate < 2^32, so the
    /// product stays below 2^97.
    pub fn ticks(self, nanos: i128) -> i128 {
        let bounded = nanos.clamp(-(1 << 96), 1 << 96);
        let scaled = bounded * i128::from(self.get());
        let half = NS_PER_S / 2 * scaled.signum();
        (scaled + half) / NS_PER_S
    }

    /// `ticks` ticks as whole milliseconds, rounded down (for edit lists and movie durations).
    pub fn millis(self, ticks: u64) -> u64 {
        // u64 · 1000 fits in u128; the quotient is at most the original ticks · 1000 / 1.
        u64::try_from(u128::from(ticks) * 1000 / u128::from(self.get())).unwrap_or(u64::MAX)
    }
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
        assert_eq!(video.ticks_between(Nanos(1_000_000), Nanos(0)), -90);
        let audio = Timescale::new(44_100).unwrap();
        assert_eq!(audio.ticks(21_000_000), 926); // 926.1
        assert_eq!(audio.ticks(1_000_000_000), 44_100);
        // The widest span two i64 times can have does not overflow.
        let widest = video.ticks_between(Nanos(i64::MIN), Nanos(i64::MAX));
        assert_eq!(
            widest,
            (i128::from(u64::MAX) * 90_000 + 500_000_000) / 1_000_000_000
        );
        assert_eq!(video.millis(90_000), 1000);
        assert_eq!(video.millis(u64::MAX), u64::MAX / 90);
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
        assert_eq!(UnixMillis(0).to_iso8601(), "1970-01-01T00:00:00.000Z");
        // Leap day and the last millisecond of a year.
        assert_eq!(
            UnixMillis(951_782_400_000).to_iso8601(),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(
            UnixMillis(253_402_300_799_999).to_iso8601(),
            "9999-12-31T23:59:59.999Z"
        );
        // Past 9999 (a damaged PRODUCER_TIMESTAMP): expanded years, never a panic.
        assert_eq!(
            UnixMillis(253_402_300_800_000).to_iso8601(),
            "+10000-01-01T00:00:00.000Z"
        );
        assert!(UnixMillis(u64::MAX).to_iso8601().starts_with('+'));
    }

    #[test]
    fn iso8601_agrees_with_humantime_where_it_can_format() {
        for ms in [
            0u64,
            1,
            86_399_999,
            86_400_000,
            1_700_000_000_123,
            4_102_444_800_000,
        ] {
            let theirs =
                humantime::format_rfc3339_millis(UNIX_EPOCH + std::time::Duration::from_millis(ms))
                    .to_string();
            assert_eq!(UnixMillis(ms).to_iso8601(), theirs);
        }
    }

    #[test]
    fn nanos_are_checked() {
        assert_eq!(Nanos(i64::MAX).checked_add(Nanos(1)), None);
        assert_eq!(Nanos(i64::MIN).checked_sub(Nanos(1)), None);
        assert_eq!(Nanos::from_millis(i64::MAX), None);
        assert_eq!(Nanos(-1).whole_millis(), -1);
        assert_eq!(UnixMillis(u64::MAX).as_nanos(), None);
        assert_eq!(UnixMillis::from_nanos(Nanos(-1)), None);
        // TimestampScale 2^48 (issue 9's reproducer): −32768 ticks is exactly i64::MIN, +32768 is past it.
        let huge = TimestampScale::new(1 << 48).unwrap();
        assert_eq!(huge.nanos(-32768), Some(Nanos(i64::MIN)));
        assert_eq!(huge.nanos(32768), None);
        assert_eq!(
            TimestampScale::DEFAULT.nanos(-32768),
            Some(Nanos(-32_768_000_000))
        );
    }
}
