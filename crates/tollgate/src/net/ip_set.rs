//! [`IpSet`]: an immutable set of IPv4 and IPv6 networks with a
//! logarithmic-time lookup of the most specific network holding an address.
//!
//! ```
//! use std::net::IpAddr;
//! use tollgate::net::{IpSet, parse_net};
//!
//! let zones: IpSet = ["10.0.0.0/8", "10.1.0.0/16", "2001:db8::/32", "192.0.2.7"]
//!     .into_iter()
//!     .map(parse_net)
//!     .collect::<Result<_, _>>()?;
//!
//! let ip: IpAddr = "10.1.2.3".parse()?;
//! assert!(zones.contains(ip));
//! assert_eq!(zones.lookup(ip).map(|n| n.to_string()).as_deref(), Some("10.1.0.0/16"));
//! // IPv4-mapped IPv6 addresses match IPv4 entries.
//! assert!(zones.contains("::ffff:192.0.2.7".parse()?));
//! assert!(!zones.contains("192.0.2.8".parse()?));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # How lookups work
//!
//! Two CIDR networks are either disjoint or one contains the other. At
//! build time the networks of each family are swept in address order into
//! a sorted list of boundaries, each saying which network (the most
//! specific one) covers the addresses from it up to the next boundary, or
//! none. A lookup is one binary search over the boundaries of its family
//! (`u32` for IPv4, `u128` for IPv6): with 100,000 networks, about 18
//! comparisons. The set is behind an `Arc`, so cloning it (into a policy, an
//! engine, a reload) copies a pointer.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;

use super::addr::{normalize_ip, normalize_net};

/// Slot value of a range no network covers.
const NONE: u32 = u32::MAX;

/// An immutable set of IPv4 and IPv6 networks.
///
/// Build it from networks or addresses ([`FromIterator`]), or from the text
/// of a blocklist ([`IpSet::parse_list`]). Entries are canonical: host bits
/// after the prefix are cleared, IPv4-mapped IPv6 networks become IPv4 (see
/// [`normalize_net`]), duplicates are dropped. Overlapping and nested
/// networks are kept: [`lookup`](IpSet::lookup) answers with the most
/// specific one.
///
/// IPv4 and IPv4-mapped IPv6 addresses are one address, looked up among the
/// IPv4 networks; an IPv6 network wider than /96 that covers the mapped
/// range (`::/0`) does not match them.
///
/// Cloning is cheap (one reference count). Equality compares the networks.
#[derive(Clone, Default)]
pub struct IpSet {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Canonical, sorted (IPv4 first, then by address, then by prefix
    /// length), deduplicated.
    nets: Box<[IpNet]>,
    v4: Ranges<u32>,
    v6: Ranges<u128>,
}

/// Sorted boundaries: `slots[i]` (an index into `nets`, or [`NONE`]) covers
/// the addresses from `starts[i]` up to `starts[i + 1]` (or to the end of the
/// family). Addresses below `starts[0]` are not covered. Neighbouring slots
/// differ.
#[derive(Default)]
struct Ranges<T> {
    starts: Box<[T]>,
    slots: Box<[u32]>,
}

impl<T: Copy + Ord> Ranges<T> {
    #[inline]
    fn slot(&self, addr: T) -> Option<usize> {
        let after = self.starts.partition_point(|&start| start <= addr);
        let slot = *self.slots.get(after.checked_sub(1)?)?;
        (slot != NONE).then_some(slot as usize)
    }

    fn from_bounds(bounds: Vec<(u128, u32)>, narrow: impl Fn(u128) -> Option<T>) -> Self {
        let (starts, slots) = bounds
            .into_iter()
            .filter_map(|(at, slot)| Some((narrow(at)?, slot)))
            .unzip();
        Ranges {
            starts: Vec::into_boxed_slice(starts),
            slots: Vec::into_boxed_slice(slots),
        }
    }
}

impl IpSet {
    /// The empty set.
    pub fn new() -> Self {
        IpSet::default()
    }

    /// Is `ip` in one of the networks? IPv4-mapped IPv6 addresses are looked
    /// up as the IPv4 address they carry.
    #[inline]
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.slot(ip).is_some()
    }

    /// The most specific (longest-prefix) network holding `ip`, if any.
    /// IPv4-mapped IPv6 addresses are looked up as the IPv4 address they
    /// carry.
    #[inline]
    pub fn lookup(&self, ip: IpAddr) -> Option<&IpNet> {
        self.inner.nets.get(self.slot(ip)?)
    }

    #[inline]
    fn slot(&self, ip: IpAddr) -> Option<usize> {
        match normalize_ip(ip) {
            IpAddr::V4(v4) => self.inner.v4.slot(u32::from(v4)),
            IpAddr::V6(v6) => self.inner.v6.slot(u128::from(v6)),
        }
    }

    /// Number of distinct networks (after canonicalisation).
    pub fn len(&self) -> usize {
        self.inner.nets.len()
    }

    /// Does the set hold no network?
    pub fn is_empty(&self) -> bool {
        self.inner.nets.is_empty()
    }

    /// The networks, canonical and sorted: IPv4 before IPv6, then by
    /// address, then by prefix length.
    pub fn nets(&self) -> &[IpNet] {
        &self.inner.nets
    }

    /// Iterates over [`nets`](IpSet::nets).
    pub fn iter(&self) -> std::slice::Iter<'_, IpNet> {
        self.inner.nets.iter()
    }

    fn build(nets: Vec<IpNet>) -> Self {
        let mut nets: Vec<IpNet> = nets.into_iter().map(normalize_net).collect();
        nets.sort_unstable();
        nets.dedup();
        // Slots are u32 with one value reserved; four billion networks do
        // not fit in memory anyway.
        nets.truncate(NONE as usize);

        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for (slot, net) in (0u32..).zip(&nets) {
            match net {
                IpNet::V4(n) => v4.push((
                    u128::from(u32::from(n.network())),
                    u128::from(u32::from(n.broadcast())),
                    slot,
                )),
                IpNet::V6(n) => v6.push((u128::from(n.network()), u128::from(n.broadcast()), slot)),
            }
        }
        IpSet {
            inner: Arc::new(Inner {
                nets: nets.into_boxed_slice(),
                v4: Ranges::from_bounds(sweep(v4), |b| u32::try_from(b).ok()),
                v6: Ranges::from_bounds(sweep(v6), Some),
            }),
        }
    }
}

/// Turns networks of one family, given as `(first, last, slot)` and sorted
/// by first address then by size (largest first), into boundaries
/// `(address, slot)` where the innermost covering network changes.
///
/// CIDR networks nest or are disjoint, so a stack of the networks open at
/// the current address holds a chain of nested networks, innermost on top.
fn sweep(nets: Vec<(u128, u128, u32)>) -> Vec<(u128, u32)> {
    let mut bounds = Vec::with_capacity(nets.len().saturating_mul(2));
    let mut open: Vec<(u128, u32)> = Vec::new();
    for (first, last, slot) in nets {
        // Close the networks that end before this one starts.
        while let Some(&(end, _)) = open.last()
            && end < first
        {
            open.pop();
            let outer = open.last().map_or(NONE, |&(_, s)| s);
            // `end < first`, so `end + 1` does not overflow.
            emit(&mut bounds, end.saturating_add(1), outer);
        }
        emit(&mut bounds, first, slot);
        open.push((last, slot));
    }
    while let Some((end, _)) = open.pop() {
        // A network ending at the family's last address: so do all that
        // enclose it.
        let Some(next) = end.checked_add(1) else { break };
        let outer = open.last().map_or(NONE, |&(_, s)| s);
        emit(&mut bounds, next, outer);
    }
    bounds
}

/// Records that from `at` on, `slot` covers the addresses, keeping
/// boundaries strictly increasing and neighbouring slots distinct.
fn emit(bounds: &mut Vec<(u128, u32)>, at: u128, slot: u32) {
    if let Some(last) = bounds.last_mut()
        && last.0 == at
    {
        // Later at the same address: a more specific network, or the
        // enclosing one resuming after several close together.
        last.1 = slot;
        let before = bounds
            .len()
            .checked_sub(2)
            .and_then(|i| bounds.get(i))
            .map_or(NONE, |b| b.1);
        if before == slot {
            bounds.pop();
        }
        return;
    }
    if bounds.last().map_or(NONE, |b| b.1) != slot {
        bounds.push((at, slot));
    }
}

impl FromIterator<IpNet> for IpSet {
    fn from_iter<I: IntoIterator<Item = IpNet>>(iter: I) -> Self {
        IpSet::build(iter.into_iter().collect())
    }
}

/// Single addresses, as /32 (IPv4) or /128 (IPv6) networks.
impl FromIterator<IpAddr> for IpSet {
    fn from_iter<I: IntoIterator<Item = IpAddr>>(iter: I) -> Self {
        IpSet::build(iter.into_iter().map(IpNet::from).collect())
    }
}

impl From<Vec<IpNet>> for IpSet {
    fn from(nets: Vec<IpNet>) -> Self {
        IpSet::build(nets)
    }
}

impl<'a> IntoIterator for &'a IpSet {
    type Item = &'a IpNet;
    type IntoIter = std::slice::Iter<'a, IpNet>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl PartialEq for IpSet {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner) || self.inner.nets == other.inner.nets
    }
}

impl Eq for IpSet {}

impl std::hash::Hash for IpSet {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.inner.nets.hash(state);
    }
}

/// Shows the first 16 networks and how many more there are: a blocklist
/// can hold hundreds of thousands.
impl fmt::Debug for IpSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 16;
        let mut list = f.debug_list();
        list.entries(self.iter().take(SHOWN));
        if let Some(more) = self.len().checked_sub(SHOWN).filter(|&m| m > 0) {
            list.entry(&format_args!("… {more} more"));
        }
        list.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(nets: &[&str]) -> IpSet {
        nets.iter().map(|s| s.parse::<IpNet>().unwrap()).collect()
    }

    fn found(set: &IpSet, ip: &str) -> Option<String> {
        set.lookup(ip.parse().unwrap()).map(ToString::to_string)
    }

    #[test]
    fn nested_networks_resume_the_enclosing_one() {
        let s = set(&["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.2.0.0/16"]);
        assert_eq!(found(&s, "10.0.0.0").as_deref(), Some("10.0.0.0/8"));
        assert_eq!(found(&s, "10.1.1.255").as_deref(), Some("10.1.0.0/16"));
        assert_eq!(found(&s, "10.1.2.0").as_deref(), Some("10.1.2.0/24"));
        assert_eq!(found(&s, "10.1.3.0").as_deref(), Some("10.1.0.0/16"));
        assert_eq!(found(&s, "10.2.255.255").as_deref(), Some("10.2.0.0/16"));
        assert_eq!(found(&s, "10.3.0.0").as_deref(), Some("10.0.0.0/8"));
        assert_eq!(found(&s, "10.255.255.255").as_deref(), Some("10.0.0.0/8"));
        assert_eq!(found(&s, "11.0.0.0"), None);
        assert_eq!(found(&s, "9.255.255.255"), None);
    }

    #[test]
    fn networks_reaching_the_last_address() {
        let s = set(&["0.0.0.0/0", "255.255.255.255/32", "::/0", "ffff::/16"]);
        assert_eq!(found(&s, "255.255.255.255").as_deref(), Some("255.255.255.255/32"));
        assert_eq!(found(&s, "255.255.255.254").as_deref(), Some("0.0.0.0/0"));
        assert_eq!(
            found(&s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").as_deref(),
            Some("ffff::/16")
        );
        assert_eq!(found(&s, "::").as_deref(), Some("::/0"));
        assert_eq!(s.inner.v4.starts.len(), 2);
    }

    #[test]
    fn boundaries_merge_adjacent_and_shared_starts() {
        // Three networks sharing a first address, closing together.
        let s = set(&["10.0.0.0/8", "10.0.0.0/16", "10.0.0.0/24", "10.255.0.0/16"]);
        assert_eq!(
            &*s.inner.v4.starts,
            &[0x0a00_0000, 0x0a00_0100, 0x0a01_0000, 0x0aff_0000, 0x0b00_0000]
        );
        assert_eq!(found(&s, "10.0.0.1").as_deref(), Some("10.0.0.0/24"));
        assert_eq!(found(&s, "10.0.1.1").as_deref(), Some("10.0.0.0/16"));
    }

    #[test]
    fn empty_set_holds_nothing() {
        let s = IpSet::new();
        assert!(s.is_empty());
        assert!(!s.contains("0.0.0.0".parse().unwrap()));
        assert!(!s.contains("::".parse().unwrap()));
        assert_eq!(format!("{s:?}"), "[]");
    }

    #[test]
    fn debug_is_bounded() {
        let s: IpSet = (0u32..100).map(|i| IpAddr::from(std::net::Ipv4Addr::from(i))).collect();
        let shown = format!("{s:?}");
        assert!(shown.ends_with("… 84 more]"), "{shown}");
    }
}
