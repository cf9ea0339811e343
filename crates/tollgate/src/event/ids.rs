//! Who an event is about: the account, the device and the phone number.

use std::fmt;
use std::str::FromStr;

use super::{Country, FieldError};
use crate::phone::PhoneError;

use icu_casemap::CaseMapperBorrowed;
use icu_normalizer::ComposingNormalizerBorrowed;

/// The account an event concerns: a username, email or internal user id.
///
/// Keys use a canonical form, so that `Alice`, `ALICE` and `ａｌｉｃｅ`
/// (fullwidth) share one set of counters instead of multiplying every
/// per-account limit: [`UserId::new`] applies Unicode NFKC, then Unicode
/// case folding, then NFKC again (the recipe of `NFKC_Casefold` without
/// its removal of default-ignorable characters). A service whose usernames
/// are case-sensitive builds ids with [`UserId::exact`] instead. Display and
/// [`as_str`](UserId::as_str) keep what the host passed; equality and
/// hashing use the key form. `Debug` masks the id (first character only),
/// so events can be logged. The JSON form of events carries the id as
/// given and reads it back with [`UserId::new`]: a host keying exactly
/// rebuilds its ids with [`UserId::exact`].
///
/// ```
/// use tollgate::UserId;
///
/// let user = UserId::from("Alice");
/// assert_eq!(user.as_str(), "Alice");
/// assert_eq!(user.canonical(), "alice");
/// assert_eq!(user, UserId::from("ＡＬＩＣＥ"));
/// assert_ne!(UserId::exact("Alice"), UserId::exact("alice"));
/// assert_eq!(format!("{user:?}"), "UserId(A***)");
/// ```
#[derive(Clone)]
pub struct UserId {
    given: Box<str>,
    /// The key form, when it differs from `given`.
    key: Option<Box<str>>,
}

impl UserId {
    /// An id whose keys use its canonical form (NFKC and case folding).
    pub fn new(id: impl Into<String>) -> Self {
        let given = id.into().into_boxed_str();
        let key = canonical(&given).filter(|k| **k != *given);
        UserId { given, key }
    }

    /// An id keyed exactly as given: for services whose usernames are
    /// case-sensitive (`Alice` and `alice` are two accounts).
    pub fn exact(id: impl Into<String>) -> Self {
        UserId {
            given: id.into().into_boxed_str(),
            key: None,
        }
    }

    /// The identifier as given.
    pub fn as_str(&self) -> &str {
        &self.given
    }

    /// The form keys are made of: canonical for [`UserId::new`], as given
    /// for [`UserId::exact`].
    pub fn canonical(&self) -> &str {
        self.key.as_deref().unwrap_or(&self.given)
    }
}

/// NFKC, case folding and NFKC again; `None` when `id` is its own form.
fn canonical(id: &str) -> Option<Box<str>> {
    if id.is_ascii() {
        // ASCII is NFKC already, and folds to its lower case.
        return id
            .bytes()
            .any(|b| b.is_ascii_uppercase())
            .then(|| id.to_ascii_lowercase().into());
    }
    let nfkc = ComposingNormalizerBorrowed::new_nfkc();
    let composed = nfkc.normalize(id);
    let folded = CaseMapperBorrowed::new().fold_string(&composed);
    Some(nfkc.normalize(&folded).into_owned().into_boxed_str())
}

impl PartialEq for UserId {
    fn eq(&self, other: &Self) -> bool {
        self.canonical() == other.canonical()
    }
}

impl Eq for UserId {}

impl std::hash::Hash for UserId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.canonical().hash(state);
    }
}

impl PartialOrd for UserId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for UserId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.canonical().cmp(other.canonical())
    }
}

impl From<&str> for UserId {
    fn from(s: &str) -> Self {
        UserId::new(s)
    }
}

impl From<String> for UserId {
    fn from(s: String) -> Self {
        UserId::new(s)
    }
}

impl fmt::Debug for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first = self.given.chars().next().map(String::from).unwrap_or_default();
        write!(f, "UserId({first}***)")
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.given)
    }
}

/// A device identifier the service already tracks (a long-lived cookie,
/// an app installation id). Such ids are often bearer secrets: `Debug`
/// prints none of it.
///
/// ```
/// let device = tollgate::DeviceId::from("d-8f14e45fceea167a");
/// assert_eq!(device.as_str(), "d-8f14e45fceea167a");
/// assert_eq!(format!("{device:?}"), "DeviceId(***)");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceId(Box<str>);

impl DeviceId {
    /// Wraps an identifier. Any string is accepted: it is only ever hashed
    /// and compared, never interpreted.
    pub fn new(id: impl Into<String>) -> Self {
        DeviceId(id.into().into_boxed_str())
    }

    /// The identifier as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for DeviceId {
    fn from(s: &str) -> Self {
        DeviceId::new(s)
    }
}

impl From<String> for DeviceId {
    fn from(s: String) -> Self {
        DeviceId::new(s)
    }
}

impl fmt::Debug for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceId(***)")
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number in E.164 form: `+`, a country calling code and the
/// subscriber number, 6 to 15 digits in all, not starting with `0` (the
/// shortest numbers in service, such as Iran's 4-digit UANs, have 6).
///
/// `FromStr` accepts only the canonical form; [`E164::parse_lenient`] reads
/// what users type. The number is kept as digits. `Debug` and `Display` mask
/// it (the country calling code and the last two digits shown, or only the
/// first digit when the code is unassigned), so an `E164` can be logged;
/// [`E164::digits`] gives the number in clear.
///
/// ```
/// use tollgate::E164;
///
/// let phone: E164 = "+447700900123".parse()?;
/// assert_eq!(phone.digits(), "447700900123");
/// assert_eq!(phone.to_string(), "+44********23");
/// assert!("0044 7700".parse::<E164>().is_err());
/// assert_eq!(E164::parse_lenient("0044 7700 900123", None)?, phone);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct E164 {
    digits: [u8; 15],
    len: u8,
}

impl E164 {
    const MIN_DIGITS: usize = 6;
    const MAX_DIGITS: usize = 15;

    /// Reads a number as users type it: separators, `00`/`011` or the
    /// default region's international prefix, national trunk prefixes.
    /// The same as [`phone::normalize`](crate::phone::normalize).
    pub fn parse_lenient(input: &str, default_region: Option<Country>) -> Result<E164, PhoneError> {
        crate::phone::normalize(input, default_region)
    }

    /// From the digits after the `+`, checked as `FromStr` checks them.
    pub(crate) fn from_ascii_digits(digits: &[u8]) -> Result<E164, FieldError> {
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(FieldError::new("phone", "only digits may follow '+'"));
        }
        if !(Self::MIN_DIGITS..=Self::MAX_DIGITS).contains(&digits.len()) {
            return Err(FieldError::new("phone", "expected 6 to 15 digits"));
        }
        if digits.first() == Some(&b'0') {
            return Err(FieldError::new("phone", "country code cannot start with 0"));
        }
        let mut stored = [0u8; 15];
        for (slot, &b) in stored.iter_mut().zip(digits) {
            *slot = b;
        }
        Ok(E164 {
            digits: stored,
            len: u8::try_from(digits.len()).unwrap_or(0),
        })
    }

    /// The digits after the `+`, in clear.
    pub fn digits(&self) -> &str {
        let digits = self.digits.get(..usize::from(self.len)).unwrap_or_default();
        // Only ASCII digits are ever stored.
        std::str::from_utf8(digits).unwrap_or_default()
    }

    /// The number with its last `n` digits removed: the number block it
    /// belongs to, used to spot pumping across sequential numbers.
    pub fn prefix_without_last(&self, n: usize) -> &str {
        let d = self.digits();
        d.get(..d.len().saturating_sub(n)).unwrap_or_default()
    }
}

impl FromStr for E164 {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, FieldError> {
        let rest = s
            .strip_prefix('+')
            .ok_or(FieldError::new("phone", "must start with '+'"))?;
        E164::from_ascii_digits(rest.as_bytes())
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.digits().as_bytes();
        let code = crate::phone::calling_code_len(d).max(1);
        f.write_str("+")?;
        for (i, b) in d.iter().enumerate() {
            let shown = i < code || i + 2 >= d.len();
            let c = if shown { char::from(*b) } else { '*' };
            fmt::Write::write_char(f, c)?;
        }
        Ok(())
    }
}

impl fmt::Debug for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "E164({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_share_a_key_across_case_and_width() {
        let alice = UserId::from("alice");
        for same in ["Alice", "ALICE", "ａｌｉｃｅ", "ＡＬＩＣＥ", "alice"] {
            assert_eq!(UserId::from(same), alice, "{same}");
            assert_eq!(UserId::from(same).canonical(), "alice", "{same}");
        }
        assert_eq!(UserId::from("Straße").canonical(), "strasse");
        assert_eq!(UserId::from("ΣΊΣΥΦΟΣ"), UserId::from("σίσυφος"));
        assert_eq!(UserId::from("ﬁle").canonical(), "file");
        assert_ne!(UserId::from("alice"), UserId::from("alice2"));
        assert_eq!(UserId::from("Alice").as_str(), "Alice");
        assert_eq!(UserId::from("Alice").to_string(), "Alice");
    }

    #[test]
    fn exact_user_ids_keep_case() {
        assert_ne!(UserId::exact("Alice"), UserId::exact("alice"));
        assert_eq!(UserId::exact("Alice").canonical(), "Alice");
        assert_eq!(UserId::exact("alice"), UserId::from("ALICE"));
    }

    #[test]
    fn ids_are_masked_in_debug() {
        let user = UserId::from("alice@example.com");
        assert_eq!(format!("{user:?}"), "UserId(a***)");
        assert_eq!(format!("{:?}", UserId::from("")), "UserId(***)");
        let device = DeviceId::from("secret-cookie-value");
        assert!(!format!("{device:?}").contains("secret"));
    }

    #[test]
    fn phone_is_masked_in_debug_and_display() {
        let p: E164 = "+15551234567".parse().unwrap();
        assert_eq!(format!("{p:?}"), "E164(+1********67)");
        assert!(!format!("{p:?}{p}").contains("555123"));
        let p: E164 = "+262262123456".parse().unwrap();
        assert_eq!(p.to_string(), "+262*******56");
        let p: E164 = "+9991234567".parse().unwrap();
        assert_eq!(p.to_string(), "+9*******67");
    }

    #[test]
    fn phone_rejects_bad_forms() {
        for bad in [
            "",
            "+",
            "15551234567",
            "+1555abc4567",
            "+0123456789",
            "+12345",
            "+1234567890123456",
        ] {
            assert!(bad.parse::<E164>().is_err(), "{bad}");
        }
    }

    #[test]
    fn phone_prefix_drops_last_digits() {
        let p: E164 = "+15551234567".parse().unwrap();
        assert_eq!(p.prefix_without_last(3), "15551234");
        assert_eq!(p.prefix_without_last(99), "");
    }
}
