//! Event time.
//!
//! The core never reads a clock: every [`Event`](crate::Event) and
//! [`Outcome`](crate::Outcome) carries the instant it happened, so the same
//! input always gives the same decision and tests can be exact.
//!
//! ```
//! use std::time::Duration;
//! use tollgate::Timestamp;
//!
//! let t = Timestamp::from_unix_millis(1_700_000_000_000);
//! let later = t.saturating_add(Duration::from_millis(1500));
//! assert_eq!(later.saturating_duration_since(t), Duration::from_millis(1500));
//! assert_eq!(later.as_unix_millis(), 1_700_000_001_500);
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An instant, as nanoseconds since the Unix epoch.
///
/// In JSON and TOML a timestamp is an integer number of **milliseconds**
/// since the Unix epoch (`"at": 1700000000000`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The Unix epoch.
    pub const EPOCH: Timestamp = Timestamp(0);

    /// An instant `nanos` nanoseconds after the Unix epoch.
    pub const fn from_unix_nanos(nanos: u64) -> Self {
        Timestamp(nanos)
    }

    /// An instant `millis` milliseconds after the Unix epoch (saturating).
    pub const fn from_unix_millis(millis: u64) -> Self {
        Timestamp(millis.saturating_mul(1_000_000))
    }

    /// Nanoseconds since the Unix epoch.
    pub const fn as_unix_nanos(self) -> u64 {
        self.0
    }

    /// Whole milliseconds since the Unix epoch.
    pub const fn as_unix_millis(self) -> u64 {
        self.0 / 1_000_000
    }

    /// `self + d`, saturating at the largest representable instant.
    pub fn saturating_add(self, d: Duration) -> Self {
        Timestamp(self.0.saturating_add(duration_nanos(d)))
    }

    /// The time from `earlier` to `self`, or zero if `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Timestamp) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

impl From<SystemTime> for Timestamp {
    /// Converts a wall-clock reading, e.g. `SystemTime::now()` in an adapter.
    /// Times before the epoch map to the epoch.
    fn from(t: SystemTime) -> Self {
        t.duration_since(UNIX_EPOCH)
            .map_or(Timestamp::EPOCH, |d| Timestamp(duration_nanos(d)))
    }
}

/// A duration in nanoseconds, saturating at `u64::MAX` (about 584 years).
pub(crate) fn duration_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(feature = "serde")]
impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.as_unix_millis())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Nanoseconds since 1970 fit in a u64 until 2554: a later time would
        // saturate and write back as another instant, so it is refused.
        const LAST: u64 = u64::MAX / 1_000_000;
        let millis = <u64 as serde::Deserialize>::deserialize(d)?;
        if millis > LAST {
            return Err(serde::de::Error::custom(format_args!(
                "a time after {LAST} ms since 1970 (the year 2554) cannot be represented"
            )));
        }
        Ok(Timestamp::from_unix_millis(millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_saturate_instead_of_overflowing() {
        assert_eq!(Timestamp::from_unix_millis(u64::MAX).as_unix_nanos(), u64::MAX);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn times_past_the_last_representable_instant_are_refused() {
        let last = u64::MAX / 1_000_000;
        let t: Timestamp = serde_json::from_str(&last.to_string()).unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), last.to_string());
        let err = serde_json::from_str::<Timestamp>(&(last + 1).to_string()).unwrap_err();
        assert!(err.to_string().contains("cannot be represented"), "{err}");
    }

    #[test]
    fn system_time_before_epoch_is_epoch() {
        let before = UNIX_EPOCH - Duration::from_secs(5);
        assert_eq!(Timestamp::from(before), Timestamp::EPOCH);
    }
}
