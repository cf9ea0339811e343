//! Where a user's familiarity lives: per-engine seeds of the history and
//! global keys, and the hashes of the device and client fingerprint.

use super::Feature;
use crate::Event;
use crate::keys::{EventKeys, KeyHasher};
use crate::policy::Dimension;
use crate::store::{FamiliarityKeys, StoreKey};

/// Per-engine seeds of the familiarity keys: the user's hash, and for each
/// feature (user history, global value) seeds and the global total's key.
#[derive(Clone, Copy, Debug)]
pub(super) struct Seeds {
    user: u64,
    features: [[u64; 3]; 5],
}

impl Seeds {
    pub(super) fn new(keys: &KeyHasher) -> Seeds {
        let seed = |f: Feature, part: &str| keys.rule_seed(&format!("familiarity.{}.{part}", f.name()));
        let total = |f: Feature| keys.hash_of(seed(f, "total"), ());
        Seeds {
            user: keys.rule_seed("familiarity.user"),
            features: Feature::ALL.map(|f| [seed(f, "user"), seed(f, "value"), total(f)]),
        }
    }

    /// The user's hash the history keys of every feature derive from.
    pub(super) fn user(&self, keys: &EventKeys<'_>) -> Option<u64> {
        keys.of(self.user, Dimension::User)
    }

    /// The store keys and member hash of `feature` for this event's user
    /// (its hash from [`Seeds::user`]).
    pub(super) fn locate(
        &self,
        keys: &EventKeys<'_>,
        feature: Feature,
        user: u64,
        event: &Event,
    ) -> Option<(FamiliarityKeys, u64)> {
        let [user_seed, value_seed, total] = *self.features.get(feature.index())?;
        let member = match feature {
            Feature::Country => keys.of(value_seed, Dimension::Country)?,
            Feature::Asn => keys.of(value_seed, Dimension::Asn)?,
            Feature::Device => device(keys, value_seed, event)?,
            Feature::Fingerprint => fingerprint(keys, value_seed, event)?,
            Feature::Prefix => keys.of(value_seed, Dimension::IpPrefix)?,
        };
        let keys = FamiliarityKeys {
            user: StoreKey(KeyHasher::derive(user_seed, user)),
            global: StoreKey(member),
            total: StoreKey(total),
        };
        Some((keys, member))
    }
}

/// The device: its id when the service tracks one, otherwise what the client
/// software looks like (JA4 and user agent) — a weaker stand-in.
pub(in crate::detect) fn device(keys: &EventKeys<'_>, seed: u64, event: &Event) -> Option<u64> {
    if event.device.is_some() {
        return keys.of(seed, Dimension::Device);
    }
    if event.ja4.is_none() && event.user_agent.is_none() {
        return None;
    }
    Some(keys.hash_of(seed, (1u8, event.ja4, event.user_agent.as_deref())))
}

/// The client fingerprint: the JA4, lacking one the JA3, lacking both the
/// HTTP/2 fingerprint. One kind per event, so an adapter that starts
/// measuring JA3 too does not make every known client look new.
fn fingerprint(keys: &EventKeys<'_>, seed: u64, event: &Event) -> Option<u64> {
    let kind = if event.ja4.is_some() {
        Dimension::Ja4
    } else if event.ja3.is_some() {
        Dimension::Ja3
    } else {
        Dimension::Http2
    };
    keys.of(seed, kind)
}
