//! Spend ceilings: what OTP sends cost, from the operator's price list, and
//! how much may be spent per user, per destination country and org-wide.
//!
//! Costs are integers in the price list's minor unit (micro-dollars, say):
//! no floats reach a counter.
//!
//! ```
//! use tollgate::policy::{Policy, parse_cost_csv};
//!
//! let costs = parse_cost_csv("# prefix,channel,cost\n53,voice,900000\n53,sms,120000\n1,sms,8000\n")?;
//! assert_eq!(costs.len(), 3);
//! let mut policy = Policy::from_toml(r#"
//!     [[otp.spend.ceilings]]
//!     name = "spend-user"
//!     per = "user"
//!     amount = 2000000
//! "#)?;
//! policy.otp.spend.costs = costs;
//! policy.validate()?;
//! assert_eq!(policy.otp.spend.ceilings[0].period_hours, 24);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::PolicyError;
use super::tiers::check_prefix;
use crate::Channel;

/// The `[otp.spend]` section.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Spend {
    /// The price list: cost of one send per prefix and channel; the longest
    /// matching prefix wins.
    pub costs: Vec<CostEntry>,
    /// Cost of a send no entry prices (default 0: unpriced sends spend
    /// nothing).
    pub default_cost: u32,
    /// Spend ceilings.
    pub ceilings: Vec<SpendCeiling>,
}

/// One price: a send on `channel` to a number starting with `prefix` costs
/// `cost` minor units.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct CostEntry {
    /// Leading E.164 digits, without `+`.
    pub prefix: String,
    /// The channel priced.
    pub channel: Channel,
    /// Cost of one send, in minor units.
    pub cost: u32,
}

/// What a spend ceiling is counted per.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum SpendScope {
    /// The whole service.
    Org,
    /// The account.
    User,
    /// The destination's country (by numbering plan; its calling code when
    /// the plan names none).
    Country,
}

/// A ceiling on what OTP sends may cost within a period. Sends are charged
/// their price when recorded as sent; the send that brings the spend to
/// `amount` blocks further sends of the ceiling's scope (that user, that
/// country, everyone) for `lockout_minutes`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct SpendCeiling {
    /// Unique name, shown in reasons; counters belong to it.
    pub name: String,
    /// What the spend is counted per.
    pub per: SpendScope,
    /// Channels counted (empty: sms, voice and whatsapp).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub channels: Vec<Channel>,
    /// The ceiling, in minor units.
    pub amount: u64,
    /// Length of the sliding period, in hours (default 24).
    #[cfg_attr(feature = "serde", serde(default = "day_hours"))]
    pub period_hours: u32,
    /// How long a reached ceiling blocks (default 1440: 24 hours).
    #[cfg_attr(feature = "serde", serde(default = "day_minutes"))]
    pub lockout_minutes: u32,
    /// Report without enforcing.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "std::ops::Not::not"))]
    pub monitor: bool,
}

#[cfg(feature = "serde")]
fn day_hours() -> u32 {
    24
}

#[cfg(feature = "serde")]
fn day_minutes() -> u32 {
    1440
}

impl SpendCeiling {
    /// A daily ceiling with a 24-hour lockout.
    pub fn new(name: impl Into<String>, per: SpendScope, amount: u64) -> Self {
        SpendCeiling {
            name: name.into(),
            per,
            channels: Vec::new(),
            amount,
            period_hours: 24,
            lockout_minutes: 1440,
            monitor: false,
        }
    }
}

/// A price-list line that cannot be read; names the line, not its content.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cost table line {line}: {message}")]
pub struct CostCsvError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: &'static str,
}

/// Reads a price list: `prefix,channel,cost` per line (`cost` a whole
/// number of minor units), `#` comment lines and blank lines skipped.
pub fn parse_cost_csv(text: &str) -> Result<Vec<CostEntry>, CostCsvError> {
    let mut entries = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |message| CostCsvError {
            line: index + 1,
            message,
        };
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [prefix, channel, cost] = fields.as_slice() else {
            return Err(err("expected prefix,channel,cost"));
        };
        let prefix = prefix.strip_prefix('+').unwrap_or(prefix);
        check_prefix(prefix).map_err(err)?;
        let channel = Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == *channel && *c != Channel::Email)
            .ok_or(err("channel must be sms, voice or whatsapp"))?;
        let cost = cost
            .parse()
            .map_err(|_| err("cost must be a whole number of minor units"))?;
        entries.push(CostEntry {
            prefix: prefix.to_owned(),
            channel,
            cost,
        });
    }
    Ok(entries)
}

/// Checks the section; errors name the field under `otp.spend.`.
pub(super) fn validate(s: &Spend) -> Result<(), PolicyError> {
    for (i, c) in s.costs.iter().enumerate() {
        let field = |f: &str| format!("otp.spend.costs[{i}].{f}");
        check_prefix(&c.prefix).map_err(|m| PolicyError::invalid(field("prefix"), m))?;
        if c.channel == Channel::Email {
            return Err(PolicyError::invalid(field("channel"), "must be sms, voice or whatsapp"));
        }
    }
    super::validate::unique_names("otp.spend.ceilings", s.ceilings.iter().map(|c| c.name.as_str()))?;
    for (i, c) in s.ceilings.iter().enumerate() {
        let field = |f: &str| format!("otp.spend.ceilings[{i}].{f}");
        super::validate::name(&c.name).map_err(|m| PolicyError::invalid(field("name"), m))?;
        if c.channels.contains(&Channel::Email) {
            return Err(PolicyError::invalid(
                field("channels"),
                "must be sms, voice or whatsapp",
            ));
        }
        if c.amount == 0 {
            return Err(PolicyError::invalid(field("amount"), "must be above 0"));
        }
        if !(1..=8760).contains(&c.period_hours) {
            return Err(PolicyError::invalid(
                field("period_hours"),
                "must be 1 to 8760 (a year)",
            ));
        }
        if !(1..=525_600).contains(&c.lockout_minutes) {
            return Err(PolicyError::invalid(field("lockout_minutes"), "must be 1 to 525600"));
        }
    }
    Ok(())
}

/// A compiled price list: (channel, prefix) sorted for binary search.
#[derive(Clone, Debug, Default)]
pub(crate) struct CostTable {
    entries: Vec<((Channel, Box<str>), u32)>,
    longest: usize,
    default_cost: u32,
}

impl CostTable {
    /// Later entries win over earlier ones for the same prefix and channel.
    pub(crate) fn new(spend: &Spend) -> Self {
        let mut entries: Vec<((Channel, Box<str>), u32)> = Vec::new();
        for e in &spend.costs {
            let key = (e.channel, Box::<str>::from(e.prefix.as_str()));
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = e.cost,
                None => entries.push((key, e.cost)),
            }
        }
        entries.sort_unstable();
        let longest = entries.iter().map(|((_, p), _)| p.len()).max().unwrap_or(0);
        CostTable {
            entries,
            longest,
            default_cost: spend.default_cost,
        }
    }

    /// The cost of a send on `channel` to `digits`.
    pub(crate) fn cost(&self, channel: Channel, digits: &str) -> u32 {
        (1..=digits.len().min(self.longest))
            .rev()
            .find_map(|len| {
                let prefix = digits.get(..len)?;
                let at = self
                    .entries
                    .binary_search_by(|((c, p), _)| (*c, &**p).cmp(&(channel, prefix)))
                    .ok()?;
                self.entries.get(at).map(|(_, cost)| *cost)
            })
            .unwrap_or(self.default_cost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_per_channel_wins_else_the_default() {
        let mut spend = Spend {
            costs: parse_cost_csv("53,voice,900000\n535,voice,1200000\n53,sms,120000\n").unwrap(),
            default_cost: 7,
            ..Spend::default()
        };
        spend.costs.push(CostEntry {
            prefix: "53".into(),
            channel: Channel::Sms,
            cost: 130_000,
        });
        let table = CostTable::new(&spend);
        assert_eq!(table.cost(Channel::Voice, "5351234567"), 1_200_000);
        assert_eq!(table.cost(Channel::Voice, "5341234567"), 900_000);
        assert_eq!(table.cost(Channel::Sms, "5351234567"), 130_000);
        assert_eq!(table.cost(Channel::Whatsapp, "5351234567"), 7);
        assert_eq!(table.cost(Channel::Sms, "447400123456"), 7);
    }

    #[test]
    fn bad_price_lines_name_their_line() {
        let err = |t| parse_cost_csv(t).unwrap_err();
        assert_eq!(err("53,voice\n").message, "expected prefix,channel,cost");
        assert_eq!(err("\n53,email,1\n").line, 2);
        assert_eq!(
            err("53,sms,0.12\n").message,
            "cost must be a whole number of minor units"
        );
        assert_eq!(err("53,sms,-1\n").line, 1);
    }
}
