//! Short codes (`118118`, `87654`): what calling or texting one costs in a
//! region, from libphonenumber's `ShortNumberMetadata.xml`.
//!
//! A short code has no calling code and means something only in the
//! region it is dialled in, so the region is part of the question.
//!
//! ```
//! use tollgate::phone::{short_number_cost, ShortNumberCost};
//! assert_eq!(short_number_cost("999", "GB".parse()?), ShortNumberCost::TollFree);
//! # Ok::<(), tollgate::FieldError>(())
//! ```

use std::collections::HashMap;
use std::sync::OnceLock;

use super::matcher::FullMatcher;
use super::metadata::length_mask;
use crate::Country;

const TABLE: &str = include_str!("../../data/phone/short_numbers.tsv");

/// The cost categories, in the order libphonenumber tests them: the most
/// expensive that matches wins. `General` must match for any answer.
const GENERAL: usize = 0;
const PREMIUM_RATE: usize = 1;
const STANDARD_RATE: usize = 2;
const TOLL_FREE: usize = 3;
const EMERGENCY: usize = 4;

/// What a short code costs the caller, as libphonenumber's
/// `expected_cost_for_region` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ShortNumberCost {
    /// Free (emergency numbers included).
    TollFree,
    /// A normal call or message.
    StandardRate,
    /// Charged above normal rates: premium SMS and call services.
    PremiumRate,
    /// Not a short code of the region, or its cost is not known.
    Unknown,
}

#[derive(Debug)]
struct Region {
    /// Pattern text and allowed lengths (bit `n`: `n` digits) per category.
    specs: [Option<(u32, &'static str)>; 5],
    compiled: OnceLock<Option<FullMatcher>>,
}

fn table() -> &'static HashMap<Country, Region> {
    static CELL: OnceLock<HashMap<Country, Region>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut regions = HashMap::new();
        let mut current: Option<Country> = None;
        for line in TABLE.lines().filter(|l| !l.starts_with('#')) {
            let mut fields = line.split('\t');
            match fields.next() {
                Some("region") => {
                    current = fields.next().and_then(|id| id.parse().ok());
                    if let Some(country) = current {
                        regions.insert(
                            country,
                            Region {
                                specs: [None; 5],
                                compiled: OnceLock::new(),
                            },
                        );
                    }
                }
                Some("type") => {
                    let slot = match fields.next() {
                        Some("general") => GENERAL,
                        Some("premium_rate") => PREMIUM_RATE,
                        Some("standard_rate") => STANDARD_RATE,
                        Some("toll_free") => TOLL_FREE,
                        Some("emergency") => EMERGENCY,
                        _ => continue,
                    };
                    let lengths = match fields.next() {
                        Some("") | None => u32::MAX,
                        Some(list) => length_mask(list),
                    };
                    let pattern = fields.next().unwrap_or_default();
                    let spec = current
                        .and_then(|c| regions.get_mut(&c))
                        .and_then(|r: &mut Region| r.specs.get_mut(slot));
                    if let Some(spec) = spec {
                        *spec = Some((lengths, pattern));
                    }
                }
                _ => {}
            }
        }
        regions
    })
}

impl Region {
    fn matcher(&self) -> Option<&FullMatcher> {
        self.compiled
            .get_or_init(|| {
                // A category the region lacks gets a pattern nothing matches
                // (digits only ever reach it), keeping bit numbers fixed.
                let patterns: Vec<&str> = self.specs.iter().map(|s| s.map_or("[^0-9]", |(_, p)| p)).collect();
                FullMatcher::new(&patterns)
            })
            .as_ref()
    }

    fn cost(&self, digits: &[u8]) -> ShortNumberCost {
        let len = digits.len();
        let allowed = self
            .specs
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_some_and(|(lengths, _)| len < 32 && lengths & (1 << len) != 0))
            .fold(0u32, |mask, (i, _)| mask | (1 << i));
        if allowed & (1 << GENERAL) == 0 {
            return ShortNumberCost::Unknown;
        }
        let matched = self.matcher().map_or(0, |m| m.matches(digits)) & allowed;
        let has = |slot: usize| matched & (1 << slot) != 0;
        if has(PREMIUM_RATE) {
            ShortNumberCost::PremiumRate
        } else if has(STANDARD_RATE) {
            ShortNumberCost::StandardRate
        } else if has(TOLL_FREE) || has(EMERGENCY) {
            ShortNumberCost::TollFree
        } else {
            ShortNumberCost::Unknown
        }
    }
}

/// The cost of dialling or texting the short code `number` in `region`.
///
/// Separators are ignored; anything else but ASCII digits, or a number
/// longer than any short code, gives [`ShortNumberCost::Unknown`]. Long
/// numbers are for [`classify`](super::classify).
///
/// ```
/// use tollgate::phone::{short_number_cost, ShortNumberCost};
///
/// let fr = "FR".parse()?;
/// assert_eq!(short_number_cost("3654", fr), ShortNumberCost::PremiumRate);
/// assert_eq!(short_number_cost("112", fr), ShortNumberCost::TollFree);
/// assert_eq!(short_number_cost("06 12 34 56 78", fr), ShortNumberCost::Unknown);
/// # Ok::<(), tollgate::FieldError>(())
/// ```
pub fn short_number_cost(number: &str, region: Country) -> ShortNumberCost {
    let mut digits = [0u8; 16];
    let mut len = 0;
    for b in number.bytes() {
        match b {
            b'0'..=b'9' => {
                let Some(slot) = digits.get_mut(len) else {
                    return ShortNumberCost::Unknown;
                };
                *slot = b;
                len += 1;
            }
            b' ' | b'-' | b'.' | b'(' | b')' => {}
            _ => return ShortNumberCost::Unknown,
        }
    }
    match (table().get(&region), digits.get(..len)) {
        (Some(r), Some(d)) if !d.is_empty() => r.cost(d),
        _ => ShortNumberCost::Unknown,
    }
}

/// Compiles every region's short-code patterns. Returns the bytes their
/// DFAs hold and how many regions failed to compile.
pub(super) fn compile_all() -> (usize, usize) {
    table().values().fold((0, 0), |(bytes, broken), r| match r.matcher() {
        Some(m) => (bytes + m.memory_usage(), broken),
        None => (bytes, broken + 1),
    })
}
