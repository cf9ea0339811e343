//! A validated policy turned into the form the hot path reads.

use std::collections::HashMap;
use std::sync::Arc;

use super::screen::{CompiledFingerprints, Tiers};
use crate::EventType;
use crate::detect::{Detectors, Events};
use crate::keys::KeyHasher;
use crate::net::IpSet;
use crate::policy::{FingerprintList, MatchAction, Policy, PolicyError};

/// The installed policy, its compiled screen and detectors and the lists
/// its zones and fingerprint rules name; swapped as one unit.
#[derive(Debug)]
pub(crate) struct Active {
    pub(crate) policy: Arc<Policy>,
    pub(crate) zones: Vec<Zone>,
    pub(crate) fingerprints: CompiledFingerprints,
    pub(crate) tiers: Tiers,
    pub(crate) detectors: Detectors,
}

/// The lists the host attached, by name: IP lists for zones, fingerprint
/// lists for fingerprint rules and the browser table (separate namespaces).
#[derive(Debug, Default)]
pub(crate) struct Lists {
    pub(crate) ip: HashMap<String, IpSet>,
    pub(crate) fingerprints: HashMap<String, Arc<FingerprintList>>,
}

/// A zone with its lists resolved.
#[derive(Debug)]
pub(crate) struct Zone {
    pub(crate) name: Arc<str>,
    events: Events,
    sets: Vec<IpSet>,
    pub(crate) action: MatchAction,
    pub(crate) monitor: bool,
}

impl Zone {
    pub(crate) fn matches(&self, event_type: EventType, ip: std::net::IpAddr) -> bool {
        self.events.contains(event_type) && self.sets.iter().any(|s| s.contains(ip))
    }
}

impl Active {
    pub(crate) fn compile(policy: Arc<Policy>, keys: &KeyHasher, lists: &Lists) -> Result<Active, PolicyError> {
        policy.validate()?;
        let zones = policy
            .zones
            .iter()
            .map(|z| Zone {
                name: z.name.as_str().into(),
                events: Events::or_all(&z.events),
                sets: std::iter::once(z.cidrs.clone())
                    .chain(z.lists.iter().filter_map(|l| lists.ip.get(l).cloned()))
                    .filter(|s| !s.is_empty())
                    .collect(),
                action: z.action,
                monitor: z.monitor,
            })
            .collect();
        Ok(Active {
            fingerprints: CompiledFingerprints::compile(&policy.fingerprints, &lists.fingerprints),
            tiers: Tiers::compile(&policy),
            detectors: Detectors::compile(&policy, keys),
            zones,
            policy,
        })
    }
}
