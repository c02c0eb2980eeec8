//! KVS fragment numbers: decimal strings of 1–128 digits that order as the integers they spell
//! (spec §1.1 FragmentNumberString, §7.1).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use crate::time::UnixMillis;

/// Most digits a fragment number may have (spec §1.1: `FragmentNumberString` is 1–128 digits).
pub const MAX_DIGITS: usize = 128;
/// Digits kept inline, two per byte: every number the service has issued (47 digits) fits.
const INLINE_DIGITS: usize = 48;
/// Width of a synthetic number: `u64::MAX` has 20 digits, so zero-padded indices sort as text too.
const SYNTHETIC_DIGITS: usize = 20;

/// A KVS fragment number, held as a value: inline packed decimal for up to 48 digits (32 bytes,
/// no allocation for the service's 47-digit numbers), boxed text beyond.
///
/// Equality, order and hash are those of the integer the digits spell, so `0010` equals `10` and
/// `999` < `91343852333181432392682062607743920146159169392`; `Display` gives the digits as read.
#[derive(Clone)]
pub struct FragmentNumber(Repr);

#[derive(Clone)]
enum Repr {
    /// `len` digits (1..=48), two per byte, most significant first; a high nibble first.
    Inline {
        len: u8,
        packed: [u8; INLINE_DIGITS / 2],
    },
    /// 49..=128 ASCII digits.
    Boxed(Box<str>),
}

impl FragmentNumber {
    /// Validates `text` as a fragment number: 1–128 ASCII digits.
    pub fn parse(text: &str) -> Option<FragmentNumber> {
        let ok = (1..=MAX_DIGITS).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
        if !ok {
            return None;
        }
        if text.len() > INLINE_DIGITS {
            return Some(FragmentNumber(Repr::Boxed(text.into())));
        }
        let mut packed = [0u8; INLINE_DIGITS / 2];
        for (i, digit) in text.bytes().enumerate() {
            // i < 48 and the byte is an ASCII digit (checked above).
            let value = digit - b'0';
            let slot = packed.get_mut(i / 2).expect("at most 48 digits");
            *slot |= if i % 2 == 0 { value << 4 } else { value };
        }
        let len = u8::try_from(text.len()).expect("at most 48 digits");
        Some(FragmentNumber(Repr::Inline { len, packed }))
    }

    /// A number for a fragment without KVS tags (plain Matroska): its index in the input,
    /// zero-padded to 20 digits so that file names made from it sort in fragment order.
    pub fn synthetic(index: u64) -> FragmentNumber {
        let text = format!("{index:0width$}", width = SYNTHETIC_DIGITS);
        FragmentNumber::parse(&text).expect("20 ASCII digits")
    }

    /// A number laid out as the service lays out its own (spec §7.1): 2^156, plus `sequence` ×
    /// 2^92, plus the server timestamp in milliseconds × 2^28. In every real capture the numbers
    /// have this shape (47 digits; `0x1`, a 64-bit counter, then the server time in ms and 28 more
    /// bits), so consecutive fragments differ by ≈ 2^92 plus the time between them, and the numbers
    /// increase with ingestion as the service promises (spec §1.2).
    pub fn service_style(sequence: u64, server: UnixMillis) -> FragmentNumber {
        // 192 bits as three little-endian limbs; the three parts occupy disjoint bit ranges
        // (156, 92..156, 28..92), so they combine with OR.
        let mut limbs: [u64; 3] = [
            server.0 << 28,
            (server.0 >> 36) | (sequence << 28),
            (sequence >> 36) | (1 << 28),
        ];
        let mut digits = Vec::with_capacity(INLINE_DIGITS);
        while limbs.iter().any(|&l| l != 0) {
            let mut remainder: u128 = 0;
            for limb in limbs.iter_mut().rev() {
                let value = (remainder << 64) | u128::from(*limb);
                // value < 10 · 2^64, so the quotient fits in a limb.
                *limb = u64::try_from(value / 10).expect("quotient below 2^64");
                remainder = value % 10;
            }
            // remainder < 10.
            digits.push(b'0' + remainder as u8);
        }
        digits.reverse();
        let text = String::from_utf8(digits).expect("ASCII digits");
        FragmentNumber::parse(&text).expect("at most 48 digits")
    }

    /// The digits as read, most significant first (leading zeros included).
    pub fn digits(&self) -> impl Iterator<Item = u8> + Clone + '_ {
        let (inline, boxed) = match &self.0 {
            Repr::Inline { len, packed } => (
                Some((0..usize::from(*len)).map(move |i| {
                    let byte = packed.get(i / 2).copied().unwrap_or(0);
                    if i % 2 == 0 { byte >> 4 } else { byte & 0x0F }
                })),
                None,
            ),
            Repr::Boxed(text) => (None, Some(text.bytes().map(|b| b - b'0'))),
        };
        inline
            .into_iter()
            .flatten()
            .chain(boxed.into_iter().flatten())
    }

    /// How many digits were read (leading zeros included).
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Inline { len, .. } => usize::from(*len),
            Repr::Boxed(text) => text.len(),
        }
    }

    /// Always false: a fragment number has at least one digit.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The number of significant digits and the digits themselves (no leading zeros; `0` for zero).
    fn significant(&self) -> (usize, impl Iterator<Item = u8> + Clone + '_) {
        // len() ≥ 1, so at least one digit is kept.
        let leading = self
            .digits()
            .take_while(|&d| d == 0)
            .count()
            .min(self.len() - 1);
        (self.len() - leading, self.digits().skip(leading))
    }
}

impl PartialEq for FragmentNumber {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for FragmentNumber {}

impl Ord for FragmentNumber {
    fn cmp(&self, other: &Self) -> Ordering {
        let ((a_len, a), (b_len, b)) = (self.significant(), other.significant());
        a_len.cmp(&b_len).then_with(|| a.cmp(b))
    }
}

impl PartialOrd for FragmentNumber {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Hash for FragmentNumber {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for digit in self.significant().1 {
            state.write_u8(digit);
        }
    }
}

impl fmt::Display for FragmentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Boxed(text) => f.write_str(text),
            Repr::Inline { .. } => {
                for digit in self.digits() {
                    fmt::Write::write_char(f, char::from(b'0' + digit))?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Debug for FragmentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FragmentNumber({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> FragmentNumber {
        FragmentNumber::parse(text).unwrap()
    }

    #[test]
    fn orders_as_integers() {
        let a = n("91343852333181432392682062607743920146159169392");
        let b = n("91343852333181432397633822764885383605535047152");
        assert!(a < b && n("999") < a);
        assert_eq!(n("0010"), n("10"));
        assert_eq!(n("0010").cmp(&n("10")), Ordering::Equal);
        assert_eq!(n("0"), n("000"));
        assert!(n("0") < n("1"));
        let long = "9".repeat(128);
        assert!(a < n(&long) && n(&long) > n(&"9".repeat(127)));
        assert_eq!(n(&format!("000{}", "1".repeat(60))), n(&"1".repeat(60)));
        assert!(FragmentNumber::parse("").is_none());
        assert!(FragmentNumber::parse("12a").is_none());
        assert!(FragmentNumber::parse(&"1".repeat(129)).is_none());
    }

    #[test]
    fn displays_the_digits_as_read() {
        for text in [
            "0",
            "0010",
            "91343852333181432392682062607743920146159169392",
            &"1234567890".repeat(12),
        ] {
            assert_eq!(n(text).to_string(), text);
        }
        assert_eq!(
            FragmentNumber::synthetic(7).to_string(),
            "00000000000000000007"
        );
        assert!(
            FragmentNumber::synthetic(9).to_string() < FragmentNumber::synthetic(10).to_string()
        );
    }

    #[test]
    fn service_style_numbers_have_the_real_layout() {
        // The sample capture's first fragment: number 91343852333181432392682062609776234230823574155,
        // server time 1519423069.070. Ours for the same counter and time differs only in the low
        // 28 bits the service fills and we leave at 0 (difference by Python's integers: 6347403).
        let ours = FragmentNumber::service_style(1, UnixMillis(1_519_423_069_070));
        assert_eq!(
            ours.to_string(),
            "91343852333181432392682062609776234230817226752"
        );
        let next = FragmentNumber::service_style(2, UnixMillis(1_519_423_069_091));
        assert!(next > ours && next.len() == 47);
        assert_eq!(
            // 2^156, by Python.
            FragmentNumber::service_style(0, UnixMillis(0)).to_string(),
            "91343852333181432387730302044767688728495783936"
        );
    }

    #[test]
    fn equal_numbers_hash_alike() {
        use std::collections::HashSet;
        let set: HashSet<FragmentNumber> = [n("10"), n("0010"), n("11")].into_iter().collect();
        assert_eq!(set.len(), 2);
        assert!(std::mem::size_of::<FragmentNumber>() <= 32);
    }
}
