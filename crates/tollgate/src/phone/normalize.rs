//! From what a user types to E.164.
//!
//! The rules follow libphonenumber's parser where it matters for a login or
//! OTP form: separators are dropped, an international prefix (`+`, or the
//! default region's own such as `00` or `011`) marks the calling code, and a
//! national trunk prefix (`0` in most of Europe, `1` in NANP, `8` in Russia)
//! is dropped, also in the common `+44 (0)20 ...` spelling. Letters (vanity
//! numbers), extensions and `tel:` URIs are refused rather than guessed at.
//!
//! ```
//! let ar = "AR".parse()?;
//! // Argentina's mobile `15` after the area code becomes `9` before it.
//! let e164 = tollgate::phone::normalize("011 15-2345-6789", Some(ar))?;
//! assert_eq!(e164.digits(), "5491123456789");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::PhoneError;
use super::metadata::{Region, table};
use crate::{Country, E164};

/// Longer inputs are refused before they are read: a number with generous
/// spacing fits well within this.
const MAX_INPUT_BYTES: usize = 64;
/// Digits kept while reading; one more than E.164 allows, plus a three-digit
/// international prefix, so that "too long" is still told apart.
const MAX_DIGITS: usize = 19;

/// The digits of the input and whether it started with `+`.
struct Typed {
    plus: bool,
    digits: [u8; MAX_DIGITS],
    len: usize,
}

impl Typed {
    fn read(input: &str) -> Result<Typed, PhoneError> {
        if input.len() > MAX_INPUT_BYTES {
            return Err(PhoneError::TooLong);
        }
        let mut typed = Typed {
            plus: false,
            digits: [0; MAX_DIGITS],
            len: 0,
        };
        for c in input.trim().chars() {
            match c {
                '0'..='9' => {
                    let slot = typed.digits.get_mut(typed.len).ok_or(PhoneError::TooLong)?;
                    *slot = c as u8;
                    typed.len += 1;
                }
                '+' | '\u{FF0B}' if typed.len == 0 && !typed.plus => typed.plus = true,
                ' ' | '\t' | '-' | '.' | '/' | '(' | ')' | '\u{A0}' | '\u{2010}'..='\u{2015}' | '\u{2212}' => {}
                _ => return Err(PhoneError::InvalidCharacter),
            }
        }
        if typed.len == 0 {
            return Err(PhoneError::Empty);
        }
        Ok(typed)
    }

    fn digits(&self) -> &[u8] {
        self.digits.get(..self.len).unwrap_or_default()
    }
}

/// Reads what a user typed as a phone number and returns its E.164 form.
///
/// `default_region` is the country a number without an international
/// prefix is read in (the user's country, or the one the form offers);
/// without it such input is refused with
/// [`PhoneError::MissingCallingCode`] unless it starts with `00` or `011`.
///
/// The number is not required to be valid in its numbering plan: that is
/// [`classify`](super::classify)'s answer (`NumberType::Unknown`), and a
/// signal in itself.
///
/// ```
/// use tollgate::phone::{normalize, PhoneError};
///
/// let gb = "GB".parse()?;
/// let e164 = normalize("07700 900-123", Some(gb))?;
/// assert_eq!(e164.digits(), "447700900123");
/// assert_eq!(normalize("+44 (0)7700 900123", None)?, e164);
/// assert_eq!(normalize("0044.7700.900123", None)?, e164);
/// assert_eq!(normalize("7700 900123", None), Err(PhoneError::MissingCallingCode));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn normalize(input: &str, default_region: Option<Country>) -> Result<E164, PhoneError> {
    let typed = Typed::read(input)?;
    let table = table();
    let home = match default_region {
        Some(country) => Some(table.region_of(country).ok_or(PhoneError::UnknownRegion)?),
        None => None,
    };
    let digits = typed.digits();
    let international = if typed.plus {
        Some(digits)
    } else if let Some((_, region)) = home {
        region
            .international_prefix
            .as_ref()
            .and_then(|p| p.match_len(digits))
            .filter(|&n| n > 0)
            .and_then(|n| digits.get(n..))
    } else {
        digits.strip_prefix(b"00").or_else(|| digits.strip_prefix(b"011"))
    };
    let (calling_code, national) = match (international, home) {
        (Some(rest), _) => {
            let (code, len) = table.split_calling_code(rest).ok_or(if rest.len() < 6 {
                PhoneError::TooShort
            } else {
                PhoneError::UnknownCallingCode
            })?;
            let national = rest.get(len..).unwrap_or_default();
            let national = match table.regions(code).first() {
                Some(main) => strip_national_prefix(main, national, true),
                None => National::copy(national),
            };
            (code, national)
        }
        (None, Some((code, region))) => (code, read_national(code, region, digits)),
        (None, None) => return Err(PhoneError::MissingCallingCode),
    };
    assemble(calling_code, national.digits())
}

/// A number typed without an international prefix in `region`. Users
/// often type their own calling code without the `+` (`49 30 123456` in
/// Germany); as in libphonenumber it is dropped when the number is not
/// valid with it but is without it, or is too long with it.
fn read_national(code: u16, region: &Region, digits: &[u8]) -> National {
    let (code_digits, code_len) = calling_code_digits(code);
    let own_code = code_digits.get(..code_len).and_then(|c| digits.strip_prefix(c));
    if let Some(rest) = own_code.filter(|r| !r.is_empty()) {
        let without = strip_national_prefix(region, rest, false);
        let better = !region.matches_general(digits) && region.matches_general(without.digits());
        if better || region.too_long(digits.len()) {
            return without;
        }
    }
    strip_national_prefix(region, digits, false)
}

/// The ASCII digits of a calling code (1 to 3 of them) and how many.
fn calling_code_digits(code: u16) -> ([u8; 3], usize) {
    let all = [code / 100 % 10, code / 10 % 10, code % 10].map(|d| b'0' + d as u8);
    let len = match code {
        0..=9 => 1,
        10..=99 => 2,
        _ => 3,
    };
    let mut out = [0u8; 3];
    for (slot, &d) in out.iter_mut().zip(all.iter().skip(3 - len)) {
        *slot = d;
    }
    (out, len)
}

/// A national number as typed, or as a transform rule rewrote it.
struct National {
    bytes: [u8; 32],
    len: usize,
}

impl National {
    fn copy(digits: &[u8]) -> National {
        let mut national = National { bytes: [0; 32], len: 0 };
        for (slot, &b) in national.bytes.iter_mut().zip(digits) {
            *slot = b;
            national.len += 1;
        }
        national
    }

    fn digits(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

/// Drops the trunk prefix, or rewrites it by the region's transform rule
/// (Argentina's mobile `15`, a Bahamas number dialled without its area
/// code), unless that turns a number the region accepts into one it does
/// not (libphonenumber's rule). After a calling code (`+44 (0)20 ...`) the
/// result must also have a possible length.
fn strip_national_prefix(region: &Region, national: &[u8], after_calling_code: bool) -> National {
    let mut rewritten = [0u8; 32];
    let rewrite = region
        .rewriter
        .as_ref()
        .and_then(|r| r.rewrite(national, &mut rewritten));
    let candidate = match rewrite {
        Some(len) => rewritten.get(..len),
        None => region
            .national_prefix
            .as_ref()
            .and_then(|p| p.match_len(national))
            .filter(|&n| n > 0)
            .and_then(|n| national.get(n..)),
    };
    let Some(candidate) = candidate.filter(|c| !c.is_empty()) else {
        return National::copy(national);
    };
    let candidate_ok = region.matches_general(candidate);
    if region.matches_general(national) && !candidate_ok {
        return National::copy(national);
    }
    if after_calling_code && !candidate_ok && !region.possible_length(candidate.len()) {
        return National::copy(national);
    }
    National::copy(candidate)
}

fn assemble(calling_code: u16, national: &[u8]) -> Result<E164, PhoneError> {
    let (code, code_len) = calling_code_digits(calling_code);
    let mut buf = [0u8; 15];
    let mut total = 0;
    for &b in code.iter().take(code_len).chain(national) {
        *buf.get_mut(total).ok_or(PhoneError::TooLong)? = b;
        total += 1;
    }
    if total < 6 || national.is_empty() {
        return Err(PhoneError::TooShort);
    }
    E164::from_ascii_digits(buf.get(..total).unwrap_or_default()).map_err(|_| PhoneError::TooShort)
}
