//! Phone numbers: E.164 from what users type, and what a number is — its
//! country and its type (mobile, fixed line, premium rate ...) — from
//! libphonenumber's numbering-plan metadata, without a lock on the hot path;
//! and what a short code costs in a region ([`short_number_cost`]).
//!
//! ```
//! use tollgate::phone::{self, NumberType};
//!
//! let us = "US".parse()?;
//! let number = phone::normalize("(900) 234-5678", Some(us))?;
//! let info = phone::classify(&number);
//! assert_eq!(info.calling_code, 1);
//! assert_eq!(info.country, Some(us));
//! assert_eq!(info.number_type, NumberType::PremiumRate);
//!
//! // +44 is shared: the crown dependencies have their own ranges.
//! let jersey = phone::classify(&phone::normalize("+44 7797 712345", None)?);
//! assert_eq!(jersey.country, Some("JE".parse()?));
//! assert_eq!(jersey.number_type, NumberType::Mobile);
//!
//! // Masked when logged: calling code and last two digits at most.
//! assert_eq!(format!("{}", jersey.e164), "+44********45");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The metadata is Google libphonenumber's `PhoneNumberMetadata.xml` and
//! `ShortNumberMetadata.xml` (Apache-2.0), reduced by
//! `data/phone/generate.py` to the tables in `data/phone/`; [`METADATA_VERSION`] says which release.
//! `docs/phone.md` tells how to update it. Each calling code's patterns are
//! compiled into one dense DFA the first time a number with that code is
//! classified (up to about 20 ms in a release build for the largest: `+1`,
//! `+44`, `+86`); [`warm_up`] does them all at start-up instead.

mod classify;
mod error;
mod matcher;
mod metadata;
mod normalize;
mod short;

pub use classify::classify;
pub use error::PhoneError;
pub use normalize::normalize;
pub use short::{ShortNumberCost, short_number_cost};

use crate::{Country, E164, FieldError};

/// The libphonenumber metadata release the table was generated from.
pub const METADATA_VERSION: &str = "9.0.33";

/// What kind of line a number is, by its country's numbering plan, as
/// libphonenumber's `PhoneNumberType` names it.
///
/// The plan says what a range was allocated for; it says nothing of who
/// holds a number now (portability) and it is not a fraud hot list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum NumberType {
    /// A geographic landline.
    FixedLine,
    /// A mobile line.
    Mobile,
    /// The plan does not tell fixed lines and mobiles apart (NANP, ...).
    FixedLineOrMobile,
    /// Free to the caller.
    TollFree,
    /// Charged above normal rates; the caller pays the called party.
    PremiumRate,
    /// The cost is split between caller and called party.
    SharedCost,
    /// Voice over IP.
    Voip,
    /// A personal number routed on to other lines (UK `070`, ...).
    PersonalNumber,
    /// A pager.
    Pager,
    /// Universal access number: one company-wide number.
    Uan,
    /// Voicemail access.
    Voicemail,
    /// Not a valid number of any plan: unassigned range or wrong length.
    Unknown,
}

impl NumberType {
    /// The snake-case name, e.g. `"premium_rate"`.
    pub fn as_str(self) -> &'static str {
        match self {
            NumberType::FixedLine => "fixed_line",
            NumberType::Mobile => "mobile",
            NumberType::FixedLineOrMobile => "fixed_line_or_mobile",
            NumberType::TollFree => "toll_free",
            NumberType::PremiumRate => "premium_rate",
            NumberType::SharedCost => "shared_cost",
            NumberType::Voip => "voip",
            NumberType::PersonalNumber => "personal_number",
            NumberType::Pager => "pager",
            NumberType::Uan => "uan",
            NumberType::Voicemail => "voicemail",
            NumberType::Unknown => "unknown",
        }
    }
}

impl NumberType {
    /// Every type, in declaration order.
    pub const ALL: [NumberType; 12] = [
        NumberType::FixedLine,
        NumberType::Mobile,
        NumberType::FixedLineOrMobile,
        NumberType::TollFree,
        NumberType::PremiumRate,
        NumberType::SharedCost,
        NumberType::Voip,
        NumberType::PersonalNumber,
        NumberType::Pager,
        NumberType::Uan,
        NumberType::Voicemail,
        NumberType::Unknown,
    ];
}

/// Parses the snake-case name [`NumberType::as_str`] gives, so policies
/// can name types: `"premium_rate".parse()`.
impl std::str::FromStr for NumberType {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, FieldError> {
        NumberType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or(FieldError::new(
                "number_type",
                "expected a number type such as \"premium_rate\"",
            ))
    }
}

impl std::fmt::Display for NumberType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the numbering plan says about one number; see [`classify`].
///
/// `Debug` shows the number masked, as [`E164`] does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PhoneInfo {
    /// The number.
    pub e164: E164,
    /// Its country calling code (`44`), or 0 when it starts with none that
    /// is assigned.
    pub calling_code: u16,
    /// The country or territory whose plan the number belongs to. `None`
    /// for non-geographic codes (`+800`, `+882` ...), unassigned codes and
    /// numbers of a shared code (`+1`, `+7`, `+44` ...) that fit none of its
    /// territories.
    pub country: Option<Country>,
    /// The line type; [`NumberType::Unknown`] when the number is not valid.
    pub number_type: NumberType,
}

impl PhoneInfo {
    /// Whether the number is valid in its plan (libphonenumber's
    /// `is_valid_number`): a known calling code and a type.
    pub fn is_valid(&self) -> bool {
        self.number_type != NumberType::Unknown
    }
}

/// Compiles the patterns of every calling code and short-code region now
/// rather than on first use, and returns the bytes they take (about two
/// megabytes).
///
/// ```
/// assert!(tollgate::phone::warm_up() > 0);
/// ```
pub fn warm_up() -> usize {
    metadata::table().compile_all().0 + short::compile_all().0
}

/// How many digits of `digits` (an E.164 number without `+`) are its
/// calling code; 0 when it starts with none that is assigned.
pub(crate) fn calling_code_len(digits: &[u8]) -> usize {
    metadata::table().split_calling_code(digits).map_or(0, |(_, len)| len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_complete_and_compiles() {
        let table = metadata::table();
        let version = format!("version\t{METADATA_VERSION}");
        assert!(metadata::TABLE.lines().any(|l| l == version));
        let (bytes, broken) = table.compile_all();
        assert_eq!(broken, 0);
        assert_eq!(short::compile_all().1, 0);
        assert!(bytes > 0);
        for code in [1, 7, 44, 262, 599, 800, 979] {
            assert!(table.has_code(code), "{code}");
        }
        assert!(!table.has_code(0) && !table.has_code(999));
    }

    #[test]
    fn number_types_round_trip_through_their_names() {
        for t in NumberType::ALL {
            assert_eq!(t.as_str().parse::<NumberType>(), Ok(t));
        }
        assert!("Premium_Rate".parse::<NumberType>().is_err());
    }

    #[test]
    fn calling_codes_are_split_by_the_table() {
        assert_eq!(calling_code_len(b"447700900123"), 2);
        assert_eq!(calling_code_len(b"15551234567"), 1);
        assert_eq!(calling_code_len(b"262262123456"), 3);
        assert_eq!(calling_code_len(b"999123456"), 0);
        assert_eq!(calling_code_len(b""), 0);
    }
}
