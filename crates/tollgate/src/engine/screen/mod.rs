//! Static signals: what an event says before any counter is read — IP
//! zones, country and ASN lists, anonymizer flags, forwarding-header
//! garbage, a compromised password, listed fingerprints and a user agent
//! its handshake contradicts.

mod destinations;
mod fingerprints;

pub(crate) use destinations::Tiers;
pub(crate) use fingerprints::CompiledFingerprints;

use super::compiled::Active;
use crate::detect::{Events, Scene, matched};
use crate::policy::MatchAction;
use crate::{Action, Reason, ReasonCode};

/// The static reasons of an event, and whether an allow zone ends the
/// evaluation before it starts.
#[derive(Debug, Default)]
pub(crate) struct Screen {
    pub(crate) reasons: Vec<Reason>,
    pub(crate) allowed: bool,
}

pub(crate) fn screen(active: &Active, scene: &Scene<'_>, mask: u32) -> Screen {
    let (event, facts) = (scene.event, scene.facts);
    let policy = &active.policy;
    let event_type = event.kind.event_type();
    let mut out = Screen::default();
    if let Some(ip) = event.ip {
        for zone in active.zones.iter().filter(|z| z.matches(event_type, ip)) {
            let (code, detail) = match zone.action {
                MatchAction::Allow => (ReasonCode::ZoneAllow, "address in an allow zone"),
                _ => (ReasonCode::ZoneMatch, "address in a zone"),
            };
            let r = matched(code, detail.into(), &zone.name, zone.action, zone.monitor);
            if zone.action == MatchAction::Allow && !zone.monitor {
                // An allow zone outranks everything else, deny zones included.
                return Screen {
                    reasons: vec![r],
                    allowed: true,
                };
            }
            out.reasons.push(r);
        }
    }
    if let Some(country) = facts.country {
        for rule in &policy.countries {
            let listed = rule.countries.contains(&country);
            let fires = listed == (rule.when == crate::policy::When::In);
            if fires && Events::or_all(&rule.events).contains(event_type) {
                let detail = format!("country {country}");
                out.reasons.push(matched(
                    ReasonCode::Country,
                    detail,
                    &rule.name,
                    rule.action,
                    rule.monitor,
                ));
            }
        }
    }
    if let Some(asn) = facts.asn {
        for rule in &policy.asns {
            if rule.asns.contains(&asn) && Events::or_all(&rule.events).contains(event_type) {
                let detail = format!("network {asn}");
                out.reasons.push(matched(
                    ReasonCode::AsnListed,
                    detail,
                    &rule.name,
                    rule.action,
                    rule.monitor,
                ));
            }
        }
    }
    #[cfg(feature = "geo")]
    if !facts.anonymous.is_empty() {
        let by_name = policy.points.anonymous.by_name();
        let points = facts
            .anonymous
            .names()
            .filter_map(|n| by_name.iter().find(|(name, _)| *name == n).map(|(_, p)| *p))
            .max()
            .unwrap_or(0);
        if points > 0 {
            let names: Vec<&str> = facts.anonymous.names().collect();
            let mut r = Reason::new(ReasonCode::Anonymous, format!("anonymizer: {}", names.join(", ")));
            r.points = points;
            out.reasons.push(r);
        }
    }
    if facts.lookup_failed {
        out.reasons.push(Reason::new(
            ReasonCode::GeoLookupFailed,
            "a geo database failed on this address",
        ));
    }
    if let Some(anomaly) = event.forwarding_anomaly {
        let mut r = Reason::new(ReasonCode::ForwardingAnomaly, anomaly.to_string());
        r.points = policy.points.forwarding_anomaly;
        out.reasons.push(r);
    }
    let points = policy.points.compromised_password;
    let challenge = policy.credentials.challenge_compromised.contains(&event_type);
    if event.compromised_password && (points > 0 || challenge) {
        let mut r = Reason::new(
            ReasonCode::CompromisedPassword,
            "password found in a compromised-password corpus",
        );
        r.points = points;
        r.action = challenge.then_some(Action::Challenge);
        out.reasons.push(r);
    }
    active
        .fingerprints
        .screen(event, policy.points.fingerprint_ua_mismatch, &mut out.reasons);
    active.detectors.screen(mask, scene, &mut out.reasons);
    destinations::screen(active, event, facts, &mut out.reasons);
    out
}
