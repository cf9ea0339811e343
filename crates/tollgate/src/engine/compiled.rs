//! A validated policy turned into the form the hot path reads.

use std::sync::Arc;
use std::time::Duration;

use crate::keys::KeyHasher;
use crate::limiter::GcraParams;
use std::collections::HashMap;

use super::fingerprints::CompiledFingerprints;
use super::otp::CompiledOtp;
use super::post_login::CompiledPostLogin;
use super::relay::CompiledRelay;
use super::spike::CompiledSpike;
use super::stuffing::CompiledStuffing;
use crate::net::IpSet;
use crate::policy::{Exempt, FingerprintList, LimitRule, MatchAction, Policy, PolicyError};
use crate::{Channel, EventKind, EventType};

/// The installed policy, its compiled rules and the lists its zones and
/// fingerprint rules name; swapped as one unit.
#[derive(Debug)]
pub(crate) struct Active {
    pub(crate) policy: Arc<Policy>,
    pub(crate) rules: Vec<Rule>,
    pub(crate) zones: Vec<Zone>,
    pub(crate) fingerprints: CompiledFingerprints,
    pub(crate) otp: CompiledOtp,
    pub(crate) stuffing: CompiledStuffing,
    pub(crate) post_login: CompiledPostLogin,
    pub(crate) relay: CompiledRelay,
    pub(crate) spike: CompiledSpike,
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
    events: u8,
    sets: Vec<IpSet>,
    pub(crate) action: MatchAction,
    pub(crate) monitor: bool,
}

impl Zone {
    pub(crate) fn matches(&self, event_type: EventType, ip: std::net::IpAddr) -> bool {
        applies_to(self.events, event_type) && self.sets.iter().any(|s| s.contains(ip))
    }
}

/// A bit set of event types; 0 means every type.
pub(crate) fn event_mask(events: &[EventType]) -> u8 {
    events.iter().fold(0, |m, e| m | e.bit())
}

pub(crate) fn applies_to(mask: u8, event_type: EventType) -> bool {
    mask == 0 || mask & event_type.bit() != 0
}

/// One limit rule, ready to run.
#[derive(Debug)]
pub(crate) struct Rule {
    pub(crate) name: Arc<str>,
    /// Mixed into every key of the rule.
    pub(crate) seed: u64,
    pub(crate) spec: LimitRule,
    pub(crate) params: GcraParams,
    /// Time for an empty quota to refill.
    pub(crate) window: Duration,
    events: u8,
    channels: u8,
}

impl Active {
    pub(crate) fn compile(policy: Arc<Policy>, keys: &KeyHasher, lists: &Lists) -> Result<Active, PolicyError> {
        policy.validate()?;
        let rules: Vec<Rule> = policy.limits.iter().map(|spec| Rule::compile(spec, keys)).collect();
        let zones = policy
            .zones
            .iter()
            .map(|z| Zone {
                name: z.name.as_str().into(),
                events: event_mask(&z.events),
                sets: std::iter::once(z.cidrs.clone())
                    .chain(z.lists.iter().filter_map(|l| lists.ip.get(l).cloned()))
                    .filter(|s| !s.is_empty())
                    .collect(),
                action: z.action,
                monitor: z.monitor,
            })
            .collect();
        let fingerprints = CompiledFingerprints::compile(&policy.fingerprints, &lists.fingerprints);
        let otp = CompiledOtp::compile(&policy, keys);
        let stuffing = CompiledStuffing::compile(&policy.stuffing, keys);
        let post_login = CompiledPostLogin::compile(&policy.post_login, keys);
        // Wrong-code budgets and rules that spare a code's requester need to
        // know who asked for the code even when relay scoring is off.
        let requester_needed = otp.resend.counts_codes() || rules.iter().any(|r| r.spares(Exempt::CodeRequester));
        let relay = CompiledRelay::compile(&policy.otp.relay, keys, requester_needed);
        let spike = CompiledSpike::compile(&policy.spike, keys);
        Ok(Active {
            spike,
            policy,
            rules,
            zones,
            fingerprints,
            otp,
            stuffing,
            post_login,
            relay,
        })
    }
}

impl Rule {
    /// Whether the rule spares `client`.
    pub(crate) fn spares(&self, client: Exempt) -> bool {
        self.spec.except.contains(&client)
    }

    fn compile(spec: &LimitRule, keys: &KeyHasher) -> Rule {
        let emission_nanos = spec.rate.emission_nanos();
        Rule {
            name: spec.name.as_str().into(),
            seed: keys.rule_seed(&spec.name),
            params: GcraParams {
                emission_nanos,
                burst: spec.burst,
                cost: spec.cost,
            },
            window: Duration::from_nanos(emission_nanos.saturating_mul(u64::from(spec.burst))),
            events: spec.events.iter().fold(0, |m, e| m | e.bit()),
            channels: spec.channels.iter().fold(0, |m, c| m | channel_bit(*c)),
            spec: spec.clone(),
        }
    }

    /// Whether the rule covers events of this kind.
    pub(crate) fn applies(&self, kind: &EventKind) -> bool {
        if self.events & kind.event_type().bit() == 0 {
            return false;
        }
        match (self.channels, kind.channel()) {
            (0, _) => true,
            (mask, Some(c)) => mask & channel_bit(c) != 0,
            // A channel-specific rule cannot tell whether an event without
            // a channel is one of its own; it stays out.
            (_, None) => false,
        }
    }
}

fn channel_bit(c: Channel) -> u8 {
    1 << (c as u8)
}
