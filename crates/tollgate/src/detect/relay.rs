//! The OTP relay check: a recorded code send remembers, per user (or per
//! number for sends without one), small keyed hashes of the client that
//! asked for the code; its verification is compared with them. See
//! `docs/post-login.md`.
//!
//! A client in 64 bits ([`Probe`]): the IP prefix's hash in bits 0..24,
//! the best fingerprint's in bits 24..48 (its kind in 60..62: 0 none, 1
//! JA4, 2 JA3, 3 HTTP/2), the country's in bits 48..60, bit 62 set when
//! there is an IP, bit 63 when there is a country. The register holds the
//! probe and, in bits 96..128, the send's time in seconds.
//!
//! ```
//! use tollgate::{Channel, Engine, Event, EventKind, Outcome, Timestamp};
//! use tollgate::policy::Policy;
//!
//! let engine = Engine::new(Policy::default())?;
//! let at = Timestamp::from_unix_millis(1_700_000_000_000);
//! let send = Event::new(EventKind::OtpSend { channel: Channel::Sms }, at)
//!     .with_user("alice")
//!     .with_ip("198.51.100.7".parse()?);
//! engine.record(&Outcome::succeeded(send));
//! let verify = Event::new(EventKind::OtpVerify { channel: Some(Channel::Sms) }, at)
//!     .with_user("alice")
//!     .with_ip("203.0.113.9".parse()?);
//! let decision = engine.evaluate(&verify);
//! assert_eq!(decision.reasons[0].code.as_str(), "otp.relay");
//! assert_eq!(decision.reasons[0].points, 10);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The OTP relay check (`[otp.relay]`): a code verified from another
//! network, client or country than the one that asked for it. See
//! `docs/post-login.md`.
//!
//! ```
//! use tollgate::policy::Policy;
//!
//! let policy = Policy::from_toml("[otp.relay]\nfingerprint_points = 30")?;
//! assert_eq!(policy.otp.relay.fingerprint_points, 30);
//! assert_eq!(policy.otp.relay.ip_prefix_points, 10);
//! let err = Policy::from_toml("[otp.relay]\nwindow_minutes = 0").unwrap_err();
//! assert_eq!(err.field(), Some("otp.relay.window_minutes"));
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use std::time::Duration;
use super::{Detector, Events, Findings, Reading, Scene};
use crate::facts::Facts;
use crate::keys::{KeyHasher, network};
use crate::policy::{Exempt, KeyOptions, Policy};
use crate::store::{Op, OpResult, StoreKey};
use crate::{Event, EventKind, EventType, Outcome, Reason, ReasonCode, Timestamp};
use crate::policy::PolicyError;

/// Points per part of the client that changed between the recorded code
/// send and its verification (`otp.relay`); 0 points ignore a part, all
/// zero turn the check off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Relay {
    /// Another network prefix (`keys.ipv4_prefix` / `keys.ipv6_prefix`,
    /// default /24 and /64). Few points: a phone on mobile data can change
    /// prefix between two requests (default 10).
    pub ip_prefix_points: u8,
    /// Another client fingerprint: JA4, else JA3, else HTTP/2, compared
    /// when both requests carry the same kind (default 20).
    pub fingerprint_points: u8,
    /// Another country (default 20).
    pub country_points: u8,
    /// How long the sender's client is remembered after a recorded send
    /// (1 to 1,440 minutes; default 15: longer than codes live).
    pub window_minutes: u32,
}

impl Default for Relay {
    fn default() -> Self {
        Relay {
            ip_prefix_points: 10,
            fingerprint_points: 20,
            country_points: 20,
            window_minutes: 15,
        }
    }
}

impl Relay {
    /// Whether any part scores.
    pub fn is_on(&self) -> bool {
        self.ip_prefix_points > 0 || self.fingerprint_points > 0 || self.country_points > 0
    }
}

fn validate(r: &Relay) -> Result<(), PolicyError> {
    let points = [
        ("ip_prefix_points", r.ip_prefix_points),
        ("fingerprint_points", r.fingerprint_points),
        ("country_points", r.country_points),
    ];
    if let Some((name, _)) = points.iter().find(|(_, p)| *p > 100) {
        return Err(PolicyError::invalid(format!("otp.relay.{name}"), "must be 0 to 100"));
    }
    if !(1..=1440).contains(&r.window_minutes) {
        return Err(PolicyError::invalid("otp.relay.window_minutes", "must be 1 to 1440"));
    }
    Ok(())
}

const IP_PRESENT: u64 = 1 << 62;
const COUNTRY_PRESENT: u64 = 1 << 63;
const HASH_24: u64 = (1 << 24) - 1;
const HASH_12: u64 = (1 << 12) - 1;

/// A client's parts, hashed and packed (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Probe(u64);

impl Probe {
    fn ip(self) -> Option<u64> {
        (self.0 & IP_PRESENT != 0).then_some(self.0 & HASH_24)
    }

    fn fingerprint(self) -> Option<(u64, u64)> {
        let kind = (self.0 >> 60) & 3;
        (kind != 0).then_some((kind, (self.0 >> 24) & HASH_24))
    }

    fn country(self) -> Option<u64> {
        (self.0 & COUNTRY_PRESENT != 0).then_some((self.0 >> 48) & HASH_12)
    }
}

#[derive(Debug)]
pub(crate) struct CompiledRelay {
    settings: crate::policy::Relay,
    /// Registers are kept: relay scoring or a requester check needs them.
    track: bool,
    register_seed: u64,
    part_seed: u64,
}

impl Detector for CompiledRelay {
    type Step = Probe;
    type Tally = ();

    fn validate(policy: &Policy) -> Result<(), PolicyError> {
        validate(&policy.otp.relay)
    }

    /// Wrong-code budgets and rules that spare a code's requester need to
    /// know who asked for the code even when relay scoring is off.
    fn compile(policy: &Policy, keys: &KeyHasher) -> Self {
        let settings = &policy.otp.relay;
        let spares = policy.limits.iter().any(|r| r.except.contains(&Exempt::CodeRequester));
        let requester_needed = super::code_attempts::counts_codes(policy) || spares;
        CompiledRelay {
            settings: *settings,
            track: settings.is_on() || requester_needed,
            register_seed: keys.rule_seed("otp.relay.sender"),
            part_seed: keys.rule_seed("otp.relay.part"),
        }
    }

    fn events(&self) -> Events {
        Events::of(&[EventType::OtpSend, EventType::OtpVerify]).when(self.track)
    }

    /// The read of a code verification: the client the code went out for.
    fn plan(&self, scene: &Scene<'_>, push: &mut impl FnMut(Probe, Op)) {
        let verify = matches!(scene.event.kind, EventKind::OtpVerify { .. });
        if let Some(key) = self.key(&scene.keys, scene.event).filter(|_| verify && self.track) {
            push(self.probe(&scene.keys, scene.event, scene.facts, scene.opts()), Op::RegisterGet { key });
        }
    }

    fn context(&self, here: Probe, result: &OpResult, reading: &mut Reading<'_>) {
        if let OpResult::Register(sent) = result {
            reading.code_requester |= self.is_requester(here, *sent, reading.at);
        }
    }

    fn read(&self, here: Probe, result: &OpResult, _: &mut (), reading: &Reading<'_>, out: &mut Findings) -> bool {
        let OpResult::Register(sent) = result else {
            return false;
        };
        out.reasons.extend(self.reason(here, *sent, reading.at));
        true
    }

    fn record(&self, scene: &Scene<'_>, outcome: &Outcome, push: &mut impl FnMut(Op)) {
        if let Some(op) = self.record_op(&scene.keys, outcome, scene.facts, scene.opts()) {
            push(op);
        }
    }
}

impl CompiledRelay {
    /// The register of the account, or of the number without one.
    fn key(&self, keys: &KeyHasher, event: &Event) -> Option<StoreKey> {
        let hash = match (&event.user, &event.phone) {
            (Some(user), _) => keys.hash_of(self.register_seed, (0u64, user)),
            (None, Some(phone)) => keys.hash_of(self.register_seed, (1u64, phone.digits())),
            (None, None) => return None,
        };
        Some(StoreKey(hash))
    }

    fn probe(&self, keys: &KeyHasher, event: &Event, facts: &Facts, opts: &KeyOptions) -> Probe {
        let seed = self.part_seed;
        let mut bits = 0;
        if let Some(ip) = event.ip {
            bits |= IP_PRESENT | (keys.hash_of(seed, (0u64, network(ip, opts))) & HASH_24);
        }
        let fingerprint = if let Some(ja4) = &event.ja4 {
            Some((1, keys.hash_of(seed, (1u64, ja4))))
        } else if let Some(ja3) = &event.ja3 {
            let [high, low] = halves(ja3.as_bytes());
            Some((2, keys.hash_of(seed, (2u64, high, low))))
        } else {
            event
                .http2
                .as_ref()
                .map(|h2| (3, keys.hash_of(seed, (3u64, h2.as_str()))))
        };
        if let Some((kind, hash)) = fingerprint {
            bits |= (kind << 60) | ((hash & HASH_24) << 24);
        }
        if let Some(country) = facts.country {
            bits |= COUNTRY_PRESENT | ((keys.hash_of(seed, (4u64, country)) & HASH_12) << 48);
        }
        Probe(bits)
    }

    /// What a code that went out writes: who asked for it, and when.
    fn record_op(
        &self,
        keys: &KeyHasher,
        outcome: &Outcome,
        facts: &Facts,
        opts: &KeyOptions,
    ) -> Option<Op> {
        let event = &outcome.event;
        let sent = matches!(event.kind, EventKind::OtpSend { .. }) && !outcome.is_failure();
        let key = self.key(keys, event).filter(|_| sent && self.track)?;
        let secs = u32::try_from(event.at.as_unix_millis() / 1000).unwrap_or(u32::MAX);
        let probe = self.probe(keys, event, facts, opts);
        Some(Op::RegisterSet {
            key,
            value: (u128::from(secs) << 96) | u128::from(probe.0),
            ttl: Duration::from_secs(u64::from(self.settings.window_minutes) * 60),
        })
    }

    /// The client a code went out for, if it went out within the window.
    fn sender(&self, sent: Option<u128>, at: Timestamp) -> Option<Probe> {
        let sent = sent?;
        let sent_secs = u64::from((sent >> 96) as u32);
        let ago = (at.as_unix_millis() / 1000).saturating_sub(sent_secs);
        (ago < u64::from(self.settings.window_minutes) * 60).then_some(Probe(sent as u64))
    }

    /// Whether a verification from `here` comes from the network that
    /// asked for the code (both with an IP).
    fn is_requester(&self, here: Probe, sent: Option<u128>, at: Timestamp) -> bool {
        let there = self.sender(sent, at);
        there.is_some_and(|there| here.ip().is_some() && here.ip() == there.ip())
    }

    /// The reason of a verification from `here`, given the register read.
    fn reason(&self, here: Probe, sent: Option<u128>, at: Timestamp) -> Option<Reason> {
        let there = self.sender(sent, at)?;
        let s = &self.settings;
        let differs = |a: Option<_>, b: Option<_>| a.zip(b).is_some_and(|(a, b)| a != b);
        let fingerprint = match (here.fingerprint(), there.fingerprint()) {
            (Some((k, a)), Some((l, b))) => k == l && a != b,
            _ => false,
        };
        let parts = [
            ("network prefix", differs(here.ip(), there.ip()), s.ip_prefix_points),
            ("client fingerprint", fingerprint, s.fingerprint_points),
            ("country", differs(here.country(), there.country()), s.country_points),
        ];
        let changed: Vec<(&str, u8)> = parts
            .into_iter()
            .filter(|(_, differ, points)| *differ && *points > 0)
            .map(|(name, _, points)| (name, points))
            .collect();
        if changed.is_empty() {
            return None;
        }
        let names: Vec<&str> = changed.iter().map(|(n, _)| *n).collect();
        let detail = format!(
            "code verified from another {} than the client that asked for it",
            names.join(", ")
        );
        let mut r = Reason::new(ReasonCode::OtpRelay, detail);
        r.points = changed.iter().map(|(_, p)| u32::from(*p)).sum::<u32>().min(100) as u8;
        Some(r)
    }
}

fn halves(bytes: &[u8; 16]) -> [u64; 2] {
    let value = u128::from_be_bytes(*bytes);
    [(value >> 64) as u64, value as u64]
}
