//! Destination risk tiers: a longest-prefix table over E.164 digits.
//!
//! The table is data: `[[otp.tiers]]` entries in a policy, or a CSV file
//! (`prefix,tier,comment`) read with [`parse_tier_csv`]. A built-in table
//! ([`BUILTIN_RISK_TIERS`]) marks the destinations telephony providers
//! report as top toll-fraud targets; policy entries win over it for the same
//! prefix.
//!
//! ```
//! use tollgate::policy::{RiskTier, parse_tier_csv};
//!
//! let entries = parse_tier_csv("# prefix,tier,comment\n53,high,Cuba\n4479,medium,\n")?;
//! assert_eq!(entries.len(), 2);
//! assert_eq!(entries[0].tier, RiskTier::High);
//! assert_eq!(entries[0].comment, "Cuba");
//!
//! let err = parse_tier_csv("53,severe,Cuba\n").unwrap_err();
//! assert_eq!(err.to_string(), "tier table line 1: tier must be low, medium or high");
//! # Ok::<(), tollgate::policy::TierCsvError>(())
//! ```

use std::fmt;
use std::str::FromStr;

/// How risky a destination number is for OTP delivery.
///
/// Ordered: `Low < Medium < High`. A number no table entry covers is
/// `Medium`; `Low` lets an operator mark a destination as trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum RiskTier {
    /// Trusted by the operator.
    Low,
    /// The default for destinations no entry covers.
    Medium,
    /// A known toll-fraud target, a premium-rate or a shared-cost number.
    High,
}

impl RiskTier {
    /// The tier's name: `low`, `medium` or `high`.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskTier::Low => "low",
            RiskTier::Medium => "medium",
            RiskTier::High => "high",
        }
    }
}

impl fmt::Display for RiskTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RiskTier {
    type Err = crate::FieldError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "low" => Ok(RiskTier::Low),
            "medium" => Ok(RiskTier::Medium),
            "high" => Ok(RiskTier::High),
            _ => Err(crate::FieldError::new("tier", "must be low, medium or high")),
        }
    }
}

/// One row of a tier table: numbers starting with `prefix` have `tier`.
///
/// ```toml
/// [[otp.tiers]]
/// prefix = "371"
/// tier = "medium"
/// comment = "Latvia: our customers live there"
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct TierEntry {
    /// Leading E.164 digits, without `+` (1 to 15 digits).
    pub prefix: String,
    /// The tier of numbers under the prefix.
    pub tier: RiskTier,
    /// Why, for operators.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "String::is_empty"))]
    pub comment: String,
}

impl TierEntry {
    /// An entry without a comment.
    pub fn new(prefix: impl Into<String>, tier: RiskTier) -> Self {
        TierEntry {
            prefix: prefix.into(),
            tier,
            comment: String::new(),
        }
    }
}

/// The built-in tier table, in the CSV format of [`parse_tier_csv`]: Cuba,
/// Latvia, Somalia, Lithuania, Guinea, The Gambia, Maldives, Estonia,
/// Zimbabwe and Tunisia are high risk.
pub const BUILTIN_RISK_TIERS: &str = include_str!("../../data/otp/risk-tiers.csv");

/// A tier table line that cannot be read. The message names the line and
/// the field, never the line's content.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("tier table line {line}: {message}")]
pub struct TierCsvError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: &'static str,
}

/// Reads a tier table: one `prefix,tier,comment` row per line (the comment
/// may be empty or hold further commas), `#` starts a comment line, blank
/// lines are skipped. A leading `+` on the prefix is accepted.
pub fn parse_tier_csv(text: &str) -> Result<Vec<TierEntry>, TierCsvError> {
    let mut entries = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |message| TierCsvError {
            line: index + 1,
            message,
        };
        let mut fields = line.splitn(3, ',');
        let prefix = fields.next().unwrap_or_default().trim();
        let prefix = prefix.strip_prefix('+').unwrap_or(prefix);
        check_prefix(prefix).map_err(err)?;
        let tier = fields
            .next()
            .ok_or("expected prefix,tier,comment")
            .map_err(err)?
            .trim()
            .parse::<RiskTier>()
            .map_err(|_| err("tier must be low, medium or high"))?;
        let comment = fields.next().unwrap_or_default().trim().to_owned();
        entries.push(TierEntry {
            prefix: prefix.to_owned(),
            tier,
            comment,
        });
    }
    Ok(entries)
}

/// A prefix is 1 to 15 ASCII digits not starting with 0 (no calling code does).
pub(crate) fn check_prefix(prefix: &str) -> Result<(), &'static str> {
    let digits = !prefix.is_empty() && prefix.len() <= 15 && prefix.bytes().all(|b| b.is_ascii_digit());
    if !digits || prefix.starts_with('0') {
        return Err("prefix must be 1 to 15 digits, not starting with 0");
    }
    Ok(())
}

/// A compiled tier table: prefixes sorted for binary search.
#[derive(Clone, Debug, Default)]
pub(crate) struct TierTable {
    entries: Vec<(Box<str>, RiskTier)>,
    longest: usize,
}

impl TierTable {
    /// Later entries win over earlier ones for the same prefix.
    pub(crate) fn new<'a>(entries: impl IntoIterator<Item = &'a TierEntry>) -> Self {
        let mut table: Vec<(Box<str>, RiskTier)> = Vec::new();
        for e in entries {
            match table.iter_mut().find(|(p, _)| **p == *e.prefix) {
                Some(slot) => slot.1 = e.tier,
                None => table.push((e.prefix.as_str().into(), e.tier)),
            }
        }
        table.sort_unstable();
        let longest = table.iter().map(|(p, _)| p.len()).max().unwrap_or(0);
        TierTable {
            entries: table,
            longest,
        }
    }

    /// The tier of the longest prefix of `digits` in the table.
    pub(crate) fn lookup(&self, digits: &str) -> Option<RiskTier> {
        (1..=digits.len().min(self.longest)).rev().find_map(|len| {
            let prefix = digits.get(..len)?;
            let at = self.entries.binary_search_by(|(p, _)| (**p).cmp(prefix)).ok()?;
            self.entries.get(at).map(|(_, t)| *t)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_reads_and_names_ten_high_risk_prefixes() {
        let entries = parse_tier_csv(BUILTIN_RISK_TIERS).unwrap();
        let prefixes: Vec<&str> = entries.iter().map(|e| e.prefix.as_str()).collect();
        assert_eq!(
            prefixes,
            ["53", "371", "252", "370", "224", "220", "960", "372", "263", "216"]
        );
        assert!(entries.iter().all(|e| e.tier == RiskTier::High));
    }

    #[test]
    fn longest_prefix_wins_and_later_entries_override() {
        let table = TierTable::new(&[
            TierEntry::new("44", RiskTier::Low),
            TierEntry::new("4479", RiskTier::High),
            TierEntry::new("53", RiskTier::High),
            TierEntry::new("53", RiskTier::Medium),
        ]);
        assert_eq!(table.lookup("447912345678"), Some(RiskTier::High));
        assert_eq!(table.lookup("447712345678"), Some(RiskTier::Low));
        assert_eq!(table.lookup("5351234567"), Some(RiskTier::Medium));
        assert_eq!(table.lookup("15551234567"), None);
        assert_eq!(TierTable::default().lookup("5351234567"), None);
    }

    #[test]
    fn bad_lines_name_their_line() {
        let err = |t| parse_tier_csv(t).unwrap_err();
        assert_eq!(err("\n53\n").line, 2);
        assert_eq!(err("0053,high,Cuba").message, check_prefix("0").unwrap_err());
        assert_eq!(err("5a3,high,").line, 1);
        assert_eq!(err("1234567890123456,high,").line, 1);
        assert_eq!(
            parse_tier_csv("+53 , high , Cuba, the island").unwrap()[0].comment,
            "Cuba, the island"
        );
    }
}
