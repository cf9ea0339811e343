use std::fmt;

/// A field value that does not have the form its type requires.
///
/// Returned by the constructors and `FromStr` impls of the event newtypes
/// ([`Ja4`](crate::Ja4), [`E164`](crate::E164), [`Country`](crate::Country) ...).
/// It names the field and the rule that failed, never the rejected value, so
/// it is safe to log even when the value was a phone number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldError {
    field: &'static str,
    reason: &'static str,
}

impl FieldError {
    pub(crate) const fn new(field: &'static str, reason: &'static str) -> Self {
        FieldError { field, reason }
    }

    /// The field that was rejected, e.g. `"ja4"`.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// Why, e.g. `"expected 36 characters"`.
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.field, self.reason)
    }
}

impl std::error::Error for FieldError {}
