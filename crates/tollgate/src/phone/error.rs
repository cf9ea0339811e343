//! Why typed input is not a phone number.
//!
//! ```
//! use tollgate::phone::{normalize, PhoneError};
//! assert_eq!(normalize("+44 7400 12345x", None), Err(PhoneError::InvalidCharacter));
//! ```

use thiserror::Error;

/// Why a typed phone number was refused by [`normalize`](super::normalize).
///
/// The messages name the rule that failed, never the number, so they are
/// safe to log and to show back to the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PhoneError {
    /// Nothing but separators, or nothing at all.
    #[error("phone number is empty")]
    Empty,
    /// A character that is neither a digit nor a separator (space, `-`,
    /// `.`, `/`, parentheses), or a `+` that is not at the start.
    #[error("phone number contains a character that is not a digit or a separator")]
    InvalidCharacter,
    /// Fewer digits than any E.164 number has (6, calling code included).
    #[error("phone number is too short")]
    TooShort,
    /// More digits than E.164 allows (15, calling code included), or an
    /// input far longer than any number could be typed.
    #[error("phone number is too long")]
    TooLong,
    /// A national number (no `+`, `00` or `011`) and no default region to
    /// read it in.
    #[error("phone number has no country calling code and no default region was given")]
    MissingCallingCode,
    /// The digits after `+` start with no assigned country calling code.
    #[error("phone number starts with an unassigned country calling code")]
    UnknownCallingCode,
    /// The default region has no numbering plan in the metadata.
    #[error("the default region has no numbering plan in the phone metadata")]
    UnknownRegion,
}
