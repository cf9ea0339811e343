//! Where a user's familiarity lives: per-engine seeds of the history and
//! global keys, and the hashes of the device and client fingerprint.

use super::Feature;
use crate::Event;
use crate::facts::Facts;
use crate::keys::KeyHasher;
use crate::store::{FamiliarityKeys, StoreKey};
use crate::UserId;
use crate::policy::KeyOptions;

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
    pub(super) fn user(&self, keys: &KeyHasher, user: &UserId) -> u64 {
        keys.hash_of(self.user, user)
    }

    /// The store keys and member hash of `feature` for this event's user
    /// (its hash from [`Seeds::user`]).
    pub(super) fn locate(
        &self,
        keys: &KeyHasher,
        feature: Feature,
        user: u64,
        event: &Event,
        facts: &Facts,
        opts: &KeyOptions,
    ) -> Option<(FamiliarityKeys, u64)> {
        let [user_seed, value_seed, total] = *self.features.get(feature.index())?;
        let member = match feature {
            Feature::Country => keys.hash_of(value_seed, facts.country?),
            Feature::Asn => keys.hash_of(value_seed, facts.asn?),
            Feature::Device => device(keys, value_seed, event)?,
            Feature::Fingerprint => fingerprint(keys, value_seed, event)?,
            Feature::Prefix => keys.hash_of(value_seed, crate::keys::network(event.ip?, opts)),
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
pub(in crate::detect) fn device(keys: &KeyHasher, seed: u64, event: &Event) -> Option<u64> {
    if let Some(id) = &event.device {
        return Some(keys.hash_of(seed, (0u8, id)));
    }
    if event.ja4.is_none() && event.user_agent.is_none() {
        return None;
    }
    Some(keys.hash_of(seed, (1u8, event.ja4, event.user_agent.as_deref())))
}

/// The client fingerprint: the JA4, lacking one the JA3, lacking both the
/// HTTP/2 fingerprint. One kind per event, so an adapter that starts
/// measuring JA3 too does not make every known client look new.
fn fingerprint(keys: &KeyHasher, seed: u64, event: &Event) -> Option<u64> {
    if let Some(ja4) = event.ja4 {
        return Some(keys.hash_of(seed, (0u8, ja4)));
    }
    if let Some(ja3) = event.ja3 {
        return Some(keys.hash_of(seed, (1u8, ja3)));
    }
    let http2 = event.http2.as_ref()?;
    Some(keys.hash_of(seed, (2u8, http2.as_str())))
}
