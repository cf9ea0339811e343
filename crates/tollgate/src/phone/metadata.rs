//! The numbering-plan table: `data/phone/metadata.tsv`, read on first use;
//! each calling code's patterns compiled the first time a number needs them.
//!
//! Reading the table is cheap (no regex); compiling is not, so it is done
//! per calling code: the first `+44` number pays for the United Kingdom and
//! its crown dependencies only. [`warm_up`](super::warm_up) compiles all.
//!
//! ```
//! // The first +44 number compiles +44; the second one only searches.
//! let a = tollgate::phone::classify(&"+441212345678".parse()?);
//! let b = tollgate::phone::classify(&"+447400123456".parse()?);
//! assert_ne!(a.number_type, b.number_type);
//! # Ok::<(), tollgate::FieldError>(())
//! ```

use std::collections::HashMap;
use std::sync::OnceLock;

use super::NumberType;
use super::matcher::{FullMatcher, PrefixMatcher, Rewriter};
use crate::Country;

pub(super) const TABLE: &str = include_str!("../../data/phone/metadata.tsv");

/// Which pattern of a region a type bit stands for: the general description
/// (every valid number of the region), or one number type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Desc {
    General,
    Type(NumberType),
}

/// One territory as the table lists it, patterns still as text.
#[derive(Debug)]
pub(super) struct RegionSpec {
    /// `None` for the non-geographic entities (libphonenumber's `001`).
    pub(super) country: Option<Country>,
    pub(super) calling_code: u16,
    main: bool,
    international_prefix: Option<&'static str>,
    national_prefix: Option<&'static str>,
    transform_rule: Option<&'static str>,
    leading_digits: Option<&'static str>,
    descs: Vec<(Desc, u32, &'static str)>,
}

/// One territory, compiled.
#[derive(Debug)]
pub(super) struct Region {
    pub(super) country: Option<Country>,
    /// For shared calling codes: the national numbers that belong here.
    pub(super) leading_digits: Option<PrefixMatcher>,
    pub(super) international_prefix: Option<PrefixMatcher>,
    pub(super) national_prefix: Option<PrefixMatcher>,
    /// The national prefix pattern with its transform rule, where it has one.
    pub(super) rewriter: Option<Rewriter>,
    /// All the region's patterns in one DFA; bit `i` is `descs[i]`.
    pub(super) patterns: Option<FullMatcher>,
    /// What each bit means and the national number lengths it allows
    /// (bit `n` set: `n` digits).
    pub(super) descs: Vec<(Desc, u32)>,
    /// libphonenumber's `sameMobileAndFixedLinePattern`.
    pub(super) same_mobile_and_fixed: bool,
}

/// The territories sharing one calling code, the main one first.
#[derive(Debug)]
pub(super) struct Group {
    members: Vec<usize>,
    compiled: OnceLock<Vec<Region>>,
}

/// The whole table.
#[derive(Debug)]
pub(super) struct Table {
    specs: Vec<RegionSpec>,
    groups: Vec<Group>,
    /// Calling code (0-999) -> index into `groups` + 1; 0 for none.
    by_code: Vec<u16>,
    by_country: HashMap<Country, usize>,
}

/// The table, read on first use.
pub(super) fn table() -> &'static Table {
    static TABLE_CELL: OnceLock<Table> = OnceLock::new();
    TABLE_CELL.get_or_init(|| Table::parse(TABLE))
}

fn optional(field: Option<&'static str>) -> Option<&'static str> {
    field.filter(|f| !f.is_empty() && *f != "-")
}

fn desc_named(name: &str) -> Option<Desc> {
    Some(match name {
        "general" => Desc::General,
        "fixed_line" => Desc::Type(NumberType::FixedLine),
        "mobile" => Desc::Type(NumberType::Mobile),
        "pager" => Desc::Type(NumberType::Pager),
        "toll_free" => Desc::Type(NumberType::TollFree),
        "premium_rate" => Desc::Type(NumberType::PremiumRate),
        "shared_cost" => Desc::Type(NumberType::SharedCost),
        "personal_number" => Desc::Type(NumberType::PersonalNumber),
        "voip" => Desc::Type(NumberType::Voip),
        "uan" => Desc::Type(NumberType::Uan),
        "voicemail" => Desc::Type(NumberType::Voicemail),
        _ => return None,
    })
}

/// `"6,7,9"` -> bits 6, 7 and 9.
pub(super) fn length_mask(list: &str) -> u32 {
    list.split(',')
        .filter_map(|n| n.parse::<u32>().ok())
        .filter(|&n| n < 32)
        .fold(0, |mask, n| mask | (1 << n))
}

impl Table {
    /// Reads the table. Lines it does not understand are skipped: the file
    /// is ours and checked by the tests, and a bad line must not take the
    /// process down.
    fn parse(text: &'static str) -> Table {
        let mut specs: Vec<RegionSpec> = Vec::new();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let mut fields = line.split('\t');
            match fields.next() {
                Some("region") => {
                    let id = fields.next().unwrap_or_default();
                    let Some(calling_code) = fields.next().and_then(|c| c.parse::<u16>().ok()) else {
                        continue;
                    };
                    let spec = RegionSpec {
                        country: id.parse().ok(),
                        calling_code,
                        main: fields.next() == Some("1"),
                        international_prefix: optional(fields.next()),
                        national_prefix: optional(fields.next()),
                        transform_rule: optional(fields.next()),
                        leading_digits: optional(fields.next()),
                        descs: Vec::new(),
                    };
                    specs.push(spec);
                }
                Some("type") => {
                    let desc = fields.next().and_then(desc_named);
                    let lengths = length_mask(fields.next().unwrap_or_default());
                    let pattern = fields.next().unwrap_or_default();
                    if let (Some(desc), Some(spec)) = (desc, specs.last_mut()) {
                        spec.descs.push((desc, lengths, pattern));
                    }
                }
                _ => {}
            }
        }
        Table::index(specs)
    }

    fn index(specs: Vec<RegionSpec>) -> Table {
        let mut groups: Vec<Group> = Vec::new();
        let mut by_code = vec![0u16; 1000];
        let mut by_country = HashMap::new();
        for (i, spec) in specs.iter().enumerate() {
            if let Some(country) = spec.country {
                by_country.entry(country).or_insert(i);
            }
            let Some(slot) = by_code.get_mut(usize::from(spec.calling_code)) else {
                continue;
            };
            if *slot == 0 {
                groups.push(Group {
                    members: Vec::new(),
                    compiled: OnceLock::new(),
                });
                *slot = u16::try_from(groups.len()).unwrap_or(0);
            }
            if let Some(group) = groups.get_mut(usize::from(*slot).wrapping_sub(1)) {
                group.members.push(i);
            }
        }
        // libphonenumber tries the main country of a shared code first, the
        // others in file (alphabetical) order.
        for group in &mut groups {
            group.members.sort_by_key(|&i| specs.get(i).is_none_or(|s| !s.main));
        }
        Table {
            specs,
            groups,
            by_code,
            by_country,
        }
    }

    fn group(&self, calling_code: u16) -> Option<&Group> {
        let slot = *self.by_code.get(usize::from(calling_code))?;
        self.groups.get(usize::from(slot).checked_sub(1)?)
    }

    /// Whether `calling_code` is assigned (has a territory in the table).
    pub(super) fn has_code(&self, calling_code: u16) -> bool {
        self.group(calling_code).is_some()
    }

    /// The calling code `digits` starts with, and its length (1 to 3).
    pub(super) fn split_calling_code(&self, digits: &[u8]) -> Option<(u16, usize)> {
        let mut code = 0u16;
        for (len, &b) in digits.iter().take(3).enumerate() {
            code = code * 10 + u16::from(b.wrapping_sub(b'0')).min(9);
            if self.has_code(code) {
                return Some((code, len + 1));
            }
        }
        None
    }

    /// The compiled territories of a calling code, main one first.
    pub(super) fn regions(&self, calling_code: u16) -> &[Region] {
        let Some(group) = self.group(calling_code) else {
            return &[];
        };
        group.compiled.get_or_init(|| {
            group
                .members
                .iter()
                .filter_map(|&i| self.specs.get(i))
                .map(RegionSpec::compile)
                .collect()
        })
    }

    /// The compiled territory of a country, and its calling code.
    pub(super) fn region_of(&self, country: Country) -> Option<(u16, &Region)> {
        let spec = self.specs.get(*self.by_country.get(&country)?)?;
        let region = self
            .regions(spec.calling_code)
            .iter()
            .find(|r| r.country == Some(country))?;
        Some((spec.calling_code, region))
    }

    /// Compiles every calling code. Returns the bytes the DFAs hold and
    /// how many territories have a pattern that failed to compile (none,
    /// unless the data file was edited badly).
    pub(super) fn compile_all(&self) -> (usize, usize) {
        let mut bytes = 0;
        let mut broken = 0;
        for spec in &self.specs {
            if let Some(region) = self
                .regions(spec.calling_code)
                .iter()
                .find(|r| r.country == spec.country)
            {
                bytes += region.memory_usage();
                broken += usize::from(!spec.compiled_fully(region));
            }
        }
        (bytes, broken)
    }
}

impl RegionSpec {
    fn compile(&self) -> Region {
        let patterns: Vec<&str> = self.descs.iter().map(|&(_, _, p)| p).collect();
        let pattern_of = |wanted: Desc| self.descs.iter().find(|&&(d, _, _)| d == wanted).map(|&(_, _, p)| p);
        let fixed = pattern_of(Desc::Type(NumberType::FixedLine));
        Region {
            country: self.country,
            leading_digits: self.leading_digits.and_then(PrefixMatcher::new),
            international_prefix: self.international_prefix.and_then(PrefixMatcher::new),
            national_prefix: self.national_prefix.and_then(PrefixMatcher::new),
            rewriter: self
                .national_prefix
                .zip(self.transform_rule)
                .and_then(|(pattern, rule)| Rewriter::new(pattern, rule)),
            patterns: if patterns.is_empty() {
                None
            } else {
                FullMatcher::new(&patterns)
            },
            descs: self.descs.iter().map(|&(d, l, _)| (d, l)).collect(),
            same_mobile_and_fixed: fixed.is_some() && fixed == pattern_of(Desc::Type(NumberType::Mobile)),
        }
    }
}

impl RegionSpec {
    fn compiled_fully(&self, region: &Region) -> bool {
        self.leading_digits.is_some() == region.leading_digits.is_some()
            && self.international_prefix.is_some() == region.international_prefix.is_some()
            && self.national_prefix.is_some() == region.national_prefix.is_some()
            && (self.national_prefix.is_some() && self.transform_rule.is_some()) == region.rewriter.is_some()
            && self.descs.is_empty() != region.patterns.is_some()
    }
}

impl Region {
    fn memory_usage(&self) -> usize {
        [&self.leading_digits, &self.international_prefix, &self.national_prefix]
            .into_iter()
            .flatten()
            .map(PrefixMatcher::memory_usage)
            .sum::<usize>()
            + self.patterns.as_ref().map_or(0, FullMatcher::memory_usage)
    }

    /// Bits of `descs` that match all of `national` with an allowed length.
    pub(super) fn matching(&self, national: &[u8]) -> u32 {
        let len = national.len();
        let by_length = self
            .descs
            .iter()
            .enumerate()
            .filter(|(_, (_, lengths))| len < 32 && lengths & (1 << len) != 0)
            .fold(0u32, |mask, (i, _)| mask | (1 << i));
        if by_length == 0 {
            return 0;
        }
        by_length & self.patterns.as_ref().map_or(0, |p| p.matches(national))
    }

    /// Whether a national number of `len` digits is possible here.
    pub(super) fn possible_length(&self, len: usize) -> bool {
        self.descs
            .iter()
            .any(|&(d, lengths)| d == Desc::General && len < 32 && lengths & (1 << len) != 0)
    }

    /// Whether a national number of `len` digits is longer than any here.
    pub(super) fn too_long(&self, len: usize) -> bool {
        let longest = self
            .descs
            .iter()
            .filter(|&&(d, lengths)| d == Desc::General && lengths != 0)
            .map(|&(_, lengths)| 31usize.saturating_sub(lengths.leading_zeros() as usize))
            .max();
        longest.is_some_and(|max| len > max)
    }

    /// Whether `national` is a valid-looking number of this region at all.
    pub(super) fn matches_general(&self, national: &[u8]) -> bool {
        let mask = self.matching(national);
        self.descs
            .iter()
            .enumerate()
            .any(|(i, (d, _))| *d == Desc::General && mask & (1 << i) != 0)
    }
}
