//! One event's keys: each value the event is keyed on is hashed under the
//! secret once, and every key over it is derived from that hash.
//!
//! A login's plan holds some 35 keys over a handful of values (the client's
//! IP and network, the account, the JA4, the country and ASN); SipHash per
//! key over the rule and the values was a third of the decision's cost.
//! Deriving (SplitMix64's finaliser, see [`KeyHasher::derive`]) keeps keys
//! unpredictable without the secret, since every value's hash is.

use std::cell::OnceCell;
use std::ops::Deref;

use super::{KeyHasher, StoreKey};
use crate::Event;
use crate::facts::Facts;
use crate::policy::{Dimension, KeyOptions};

/// Dimensions with a memo slot: all but [`Dimension::Header`], which names
/// its header and is hashed on each use.
const SLOTS: usize = 13;

/// The hashing of one event's keys; derefs to the engine's [`KeyHasher`].
#[derive(Debug)]
pub(crate) struct EventKeys<'a> {
    hasher: &'a KeyHasher,
    event: &'a Event,
    facts: &'a Facts,
    opts: &'a KeyOptions,
    memo: [OnceCell<Option<u64>>; SLOTS],
}

impl<'a> EventKeys<'a> {
    pub(crate) fn new(hasher: &'a KeyHasher, event: &'a Event, facts: &'a Facts, opts: &'a KeyOptions) -> Self {
        EventKeys {
            hasher,
            event,
            facts,
            opts,
            memo: Default::default(),
        }
    }

    /// The keyed hash of the event's value of `dim`, or `None` when the
    /// event lacks it.
    pub(crate) fn value(&self, dim: &Dimension) -> Option<u64> {
        match slot(dim).and_then(|i| self.memo.get(i)) {
            Some(cell) => *cell.get_or_init(|| self.hasher.dimension(dim, self.event, self.facts, self.opts)),
            None => self.hasher.dimension(dim, self.event, self.facts, self.opts),
        }
    }

    /// The key for `dims` of the event under `seed` (a rule's, see
    /// [`KeyHasher::rule_seed`]), or `None` when the event lacks one of the
    /// dimensions. No dimensions: the seed itself.
    pub(crate) fn key(&self, seed: u64, dims: &[Dimension]) -> Option<StoreKey> {
        dims.iter()
            .try_fold(seed, |key, dim| Some(KeyHasher::derive(key, self.value(dim)?)))
            .map(StoreKey)
    }

    /// `seed`'s hash of the event's value of `dim`: [`key`](Self::key) over
    /// one dimension, as a number (a set member, a base to derive from).
    pub(crate) fn of(&self, seed: u64, dim: Dimension) -> Option<u64> {
        Some(KeyHasher::derive(seed, self.value(&dim)?))
    }
}

impl Deref for EventKeys<'_> {
    type Target = KeyHasher;

    fn deref(&self) -> &KeyHasher {
        self.hasher
    }
}

fn slot(dim: &Dimension) -> Option<usize> {
    Some(match dim {
        Dimension::Ip => 0,
        Dimension::IpPrefix => 1,
        Dimension::Asn => 2,
        Dimension::Country => 3,
        Dimension::Ja4 => 4,
        Dimension::Ja3 => 5,
        Dimension::Http2 => 6,
        Dimension::HeaderFp => 7,
        Dimension::Header(_) => return None,
        Dimension::User => 8,
        Dimension::UserAgent => 9,
        Dimension::Phone => 10,
        Dimension::PhonePrefix => 11,
        Dimension::Device => 12,
    })
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;
    use crate::keys::KeySecret;
    use crate::{EventKind, Timestamp, UserId};

    #[test]
    fn keys_are_the_values_hashes_derived_under_the_seed() {
        let hasher = KeyHasher::with_secret(&KeySecret::from_seed(5));
        let opts = KeyOptions::default();
        let facts = Facts::default();
        let event = Event::new(EventKind::Login, Timestamp::EPOCH)
            .with_ip("198.51.100.7".parse::<IpAddr>().unwrap())
            .with_user(UserId::new("alice"));
        let keys = EventKeys::new(&hasher, &event, &facts, &opts);
        let seed = hasher.rule_seed("r");
        let ip = hasher.dimension(&Dimension::Ip, &event, &facts, &opts).unwrap();
        let user = hasher.dimension(&Dimension::User, &event, &facts, &opts).unwrap();
        assert_eq!(keys.key(seed, &[]), Some(StoreKey(seed)));
        assert_eq!(
            keys.key(seed, &[Dimension::Ip]),
            Some(StoreKey(KeyHasher::derive(seed, ip)))
        );
        let both = KeyHasher::derive(KeyHasher::derive(seed, ip), user);
        assert_eq!(keys.key(seed, &[Dimension::Ip, Dimension::User]), Some(StoreKey(both)));
        // Order matters: [user, ip] is another key.
        assert_ne!(keys.key(seed, &[Dimension::User, Dimension::Ip]), Some(StoreKey(both)));
        assert_eq!(keys.of(seed, Dimension::User), Some(KeyHasher::derive(seed, user)));
        assert_eq!(keys.key(seed, &[Dimension::Ip, Dimension::Phone]), None);
        // A second read comes from the memo and agrees.
        assert_eq!(keys.value(&Dimension::Ip), Some(ip));
    }
}
