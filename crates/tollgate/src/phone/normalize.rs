//! From what a user types to E.164.
//!
//! The rules follow libphonenumber's parser where it matters for a login or
//! OTP form: separators are dropped, an international prefix (`+`, or the
//! default region's own such as `00` or `011`) marks the calling code, and a
//! national trunk prefix (`0` in most of Europe, `1` in NANP, `8` in Russia)
//! is dropped, also in the common `+44 (0)20 ...` spelling. Letters (vanity
//! numbers), extensions and `tel:` URIs are refused rather than guessed at.

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
            let main = table.regions(code).first();
            (
                code,
                main.map_or(national, |r| strip_national_prefix(r, national, true)),
            )
        }
        (None, Some((code, region))) => (code, strip_national_prefix(region, digits, false)),
        (None, None) => return Err(PhoneError::MissingCallingCode),
    };
    assemble(calling_code, national)
}

/// Drops the trunk prefix unless that turns a number the region accepts
/// into one it does not (libphonenumber's rule). After a calling code
/// (`+44 (0)20 ...`), it is also kept unless the rest has a possible length.
fn strip_national_prefix<'a>(region: &Region, national: &'a [u8], after_calling_code: bool) -> &'a [u8] {
    let Some(n) = region.national_prefix.as_ref().and_then(|p| p.match_len(national)) else {
        return national;
    };
    let Some(rest) = national.get(n..).filter(|r| n > 0 && !r.is_empty()) else {
        return national;
    };
    let rest_ok = region.matches_general(rest);
    if region.matches_general(national) && !rest_ok {
        return national;
    }
    if after_calling_code && !rest_ok && !region.possible_length(rest.len()) {
        return national;
    }
    rest
}

fn assemble(calling_code: u16, national: &[u8]) -> Result<E164, PhoneError> {
    let mut buf = [0u8; 15];
    let code = calling_code.to_string();
    let total = code.len() + national.len();
    if total > buf.len() {
        return Err(PhoneError::TooLong);
    }
    if total < 6 || national.is_empty() {
        return Err(PhoneError::TooShort);
    }
    for (slot, &b) in buf.iter_mut().zip(code.as_bytes().iter().chain(national)) {
        *slot = b;
    }
    E164::from_ascii_digits(buf.get(..total).unwrap_or_default()).map_err(|_| PhoneError::TooShort)
}
