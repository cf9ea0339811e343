//! Rates such as `30/min`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A sustained rate: `count` events per `period`.
///
/// Written `COUNT/PERIOD`, where the period is a unit (`s`, `min`, `h`,
/// `day`, or their long names) optionally preceded by a multiplier:
/// `30/min`, `5/s`, `10/15min`, `100/day`.
///
/// ```
/// use std::time::Duration;
/// use tollgate::policy::Rate;
///
/// let r: Rate = "10/15min".parse()?;
/// assert_eq!(r.count(), 10);
/// assert_eq!(r.period(), Duration::from_secs(900));
/// assert_eq!(r.to_string(), "10/15min");
/// # Ok::<(), tollgate::policy::RateError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    count: u32,
    period_secs: u32,
}

/// A rate that does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid rate {input:?}: {reason} (expected e.g. \"30/min\", \"10/15min\", \"100/day\")")]
pub struct RateError {
    input: String,
    reason: &'static str,
}

const UNITS: [(&str, u32); 13] = [
    ("s", 1),
    ("sec", 1),
    ("second", 1),
    ("m", 60),
    ("min", 60),
    ("minute", 60),
    ("h", 3600),
    ("hour", 3600),
    ("d", 86_400),
    ("day", 86_400),
    ("w", 604_800),
    ("week", 604_800),
    ("hr", 3600),
];

impl Rate {
    /// `count` per `period_secs` seconds; `None` if either is zero.
    pub fn new(count: u32, period_secs: u32) -> Option<Rate> {
        (count > 0 && period_secs > 0).then_some(Rate { count, period_secs })
    }

    /// `count` per `period_secs`, each raised to at least 1.
    pub(crate) const fn saturating(count: u32, period_secs: u32) -> Rate {
        let count = if count == 0 { 1 } else { count };
        let period_secs = if period_secs == 0 { 1 } else { period_secs };
        Rate { count, period_secs }
    }

    /// Events per period.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The period.
    pub fn period(&self) -> Duration {
        Duration::from_secs(u64::from(self.period_secs))
    }

    /// Time between two events at this rate, in nanoseconds, rounded up so
    /// that a limit never admits more than its rate.
    pub(crate) fn emission_nanos(&self) -> u64 {
        (u64::from(self.period_secs) * 1_000_000_000).div_ceil(u64::from(self.count.max(1)))
    }
}

impl FromStr for Rate {
    type Err = RateError;

    fn from_str(s: &str) -> Result<Rate, RateError> {
        let err = |reason| RateError {
            input: s.to_owned(),
            reason,
        };
        let (count, period) = s.split_once('/').ok_or(err("missing '/'"))?;
        let count: u32 = count.trim().parse().map_err(|_| err("count is not a whole number"))?;
        let period = period.trim();
        let split = period.find(|c: char| !c.is_ascii_digit()).ok_or(err("missing unit"))?;
        let (mult, unit) = period.split_at(split);
        let mult: u32 = if mult.is_empty() {
            1
        } else {
            mult.parse()
                .map_err(|_| err("period multiplier is not a whole number"))?
        };
        let unit = unit.strip_suffix('s').filter(|u| u.len() > 1).unwrap_or(unit);
        let unit_secs = UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, secs)| *secs)
            .ok_or(err("unknown unit"))?;
        let period_secs = mult.checked_mul(unit_secs).ok_or(err("period too long"))?;
        Rate::new(count, period_secs).ok_or(err("count and period must be above zero"))
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (mult, unit) = [(86_400, "day"), (3600, "h"), (60, "min")]
            .into_iter()
            .find(|(unit, _)| self.period_secs % unit == 0)
            .map_or((self.period_secs, "s"), |(secs, name)| (self.period_secs / secs, name));
        if mult == 1 {
            write!(f, "{}/{unit}", self.count)
        } else {
            write!(f, "{}/{mult}{unit}", self.count)
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Rate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Rate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_multipliers() {
        let secs = |s: &str| s.parse::<Rate>().unwrap().period().as_secs();
        assert_eq!(secs("1/s"), 1);
        assert_eq!(secs("1/seconds"), 1);
        assert_eq!(secs("1/min"), 60);
        assert_eq!(secs("1/15m"), 900);
        assert_eq!(secs("1/hour"), 3600);
        assert_eq!(secs("1/2days"), 172_800);
        assert_eq!(secs("1/week"), 604_800);
    }

    #[test]
    fn rejects_bad_rates() {
        for bad in [
            "",
            "30",
            "30/",
            "/min",
            "0/min",
            "30/0min",
            "30/mn",
            "-1/s",
            "30/99999999999min",
        ] {
            assert!(bad.parse::<Rate>().is_err(), "{bad}");
        }
    }

    #[test]
    fn display_round_trips() {
        for s in ["30/min", "10/15min", "100/day", "7/s", "5/90s", "3/2h"] {
            let r: Rate = s.parse().unwrap();
            assert_eq!(r.to_string().parse::<Rate>().unwrap(), r);
        }
    }
}
