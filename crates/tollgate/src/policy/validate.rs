//! Policy validation: one pass, first error wins, errors name the field.

use std::collections::HashSet;

use super::{Counts, Exempt, FingerprintAction, Fingerprints, LimitRule, MatchAction, OnExceed, Policy, PolicyError};
use crate::EventType;

pub(crate) fn policy(p: &Policy) -> Result<(), PolicyError> {
    let k = &p.keys;
    if !(1..=32).contains(&k.ipv4_prefix) {
        return Err(PolicyError::invalid("keys.ipv4_prefix", "must be 1 to 32"));
    }
    if !(1..=128).contains(&k.ipv6_host_prefix) {
        return Err(PolicyError::invalid("keys.ipv6_host_prefix", "must be 1 to 128"));
    }
    if !(1..=128).contains(&k.ipv6_prefix) {
        return Err(PolicyError::invalid("keys.ipv6_prefix", "must be 1 to 128"));
    }
    if k.phone_prefix_drop > 10 {
        return Err(PolicyError::invalid("keys.phone_prefix_drop", "must be 0 to 10"));
    }
    super::store::validate(&p.store)?;
    for (name, t) in p.thresholds.all() {
        let field = format!("thresholds.{name}");
        if !(1..=100).contains(&t.challenge) || !(1..=100).contains(&t.deny) {
            return Err(PolicyError::invalid(field, "challenge and deny must be 1 to 100"));
        }
        if t.challenge > t.deny {
            return Err(PolicyError::invalid(field, "challenge must not be above deny"));
        }
    }
    let pts = &p.points;
    let scalar = [
        ("compromised_password", pts.compromised_password),
        ("new_country", pts.new_country),
        ("new_asn", pts.new_asn),
        ("new_device", pts.new_device),
        ("new_fingerprint", pts.new_fingerprint),
        ("new_prefix", pts.new_prefix),
        ("fingerprint_ua_mismatch", pts.fingerprint_ua_mismatch),
        ("first_seen", pts.first_seen),
        ("impossible_travel", pts.impossible_travel),
        ("forwarding_anomaly", pts.forwarding_anomaly),
    ];
    let scalar = scalar.into_iter().map(|(n, v)| (format!("points.{n}"), v));
    let anonymous = pts
        .anonymous
        .by_name()
        .into_iter()
        .map(|(n, v)| (format!("points.anonymous.{n}"), v));
    if let Some((field, _)) = scalar.chain(anonymous).find(|(_, v)| *v > 100) {
        return Err(PolicyError::invalid(field, "must be 0 to 100"));
    }
    unique_names("zones", p.zones.iter().map(|z| z.name.as_str()))?;
    for (i, z) in p.zones.iter().enumerate() {
        let field = |f: &str| format!("zones[{i}].{f}");
        name(&z.name).map_err(|m| PolicyError::invalid(field("name"), m))?;
        if z.cidrs.is_empty() && z.lists.is_empty() {
            return Err(PolicyError::invalid(field("cidrs"), "a zone needs cidrs or lists"));
        }
        if z.lists.iter().any(|l| name(l).is_err()) {
            return Err(PolicyError::invalid(
                field("lists"),
                "list names are 1 to 64 of a-z, 0-9, '-', '_', '.'",
            ));
        }
        action(z.action, true).map_err(|m| PolicyError::invalid(field("action"), m))?;
    }
    unique_names("countries", p.countries.iter().map(|c| c.name.as_str()))?;
    for (i, c) in p.countries.iter().enumerate() {
        let field = |f: &str| format!("countries[{i}].{f}");
        name(&c.name).map_err(|m| PolicyError::invalid(field("name"), m))?;
        if c.countries.is_empty() {
            return Err(PolicyError::invalid(field("countries"), "name at least one country"));
        }
        action(c.action, false).map_err(|m| PolicyError::invalid(field("action"), m))?;
    }
    unique_names("asns", p.asns.iter().map(|a| a.name.as_str()))?;
    for (i, a) in p.asns.iter().enumerate() {
        let field = |f: &str| format!("asns[{i}].{f}");
        name(&a.name).map_err(|m| PolicyError::invalid(field("name"), m))?;
        if a.asns.is_empty() {
            return Err(PolicyError::invalid(field("asns"), "name at least one ASN"));
        }
        action(a.action, false).map_err(|m| PolicyError::invalid(field("action"), m))?;
    }
    fingerprints(&p.fingerprints)?;
    super::otp::validate(&p.otp)?;
    crate::detect::Detectors::validate(p)?;
    let mut names = HashSet::new();
    for (i, rule) in p.limits.iter().enumerate() {
        limit(rule).map_err(|(field, msg)| PolicyError::invalid(format!("limits[{i}].{field}"), msg))?;
        if !names.insert(rule.name.as_str()) {
            return Err(PolicyError::invalid(
                format!("limits[{i}].name"),
                format!("duplicate rule name {:?}", rule.name),
            ));
        }
    }
    Ok(())
}

fn fingerprints(f: &Fingerprints) -> Result<(), PolicyError> {
    const LIST_NAMES: &str = "list names are 1 to 64 of a-z, 0-9, '-', '_', '.'";
    unique_names("fingerprints.rules", f.rules.iter().map(|r| r.name.as_str()))?;
    for (i, r) in f.rules.iter().enumerate() {
        let field = |f: &str| format!("fingerprints.rules[{i}].{f}");
        name(&r.name).map_err(|m| PolicyError::invalid(field("name"), m))?;
        if has_duplicates(&r.events) {
            return Err(PolicyError::invalid(field("events"), "lists an event type twice"));
        }
        if r.is_empty() {
            return Err(PolicyError::invalid(
                field("ja4"),
                "a rule needs ja4, ja3, http2, header_fp or lists",
            ));
        }
        if r.lists.iter().any(|l| name(l).is_err()) {
            return Err(PolicyError::invalid(field("lists"), LIST_NAMES));
        }
        if let FingerprintAction::Score(p) = r.action {
            if !(1..=100).contains(&p) {
                return Err(PolicyError::invalid(field("action"), "score must be 1 to 100 points"));
            }
        }
    }
    for (i, b) in f.browsers.iter().enumerate() {
        if b.ja4.is_empty() && b.http2.is_empty() && b.shapes.is_empty() {
            return Err(PolicyError::invalid(
                format!("fingerprints.browsers[{i}].ja4"),
                "name at least one ja4, http2 fingerprint or shape",
            ));
        }
    }
    let structure = &f.structure;
    if structure.added_extensions > super::fingerprint_shapes::MAX_ADDED_EXTENSIONS {
        return Err(PolicyError::invalid(
            "fingerprints.structure.added_extensions",
            "must be 0 to 16",
        ));
    }
    if structure.dropped_ciphers > super::fingerprint_shapes::MAX_DROPPED_CIPHERS {
        return Err(PolicyError::invalid(
            "fingerprints.structure.dropped_ciphers",
            "must be 0 to 16",
        ));
    }
    if f.browser_lists.iter().any(|l| name(l).is_err()) {
        return Err(PolicyError::invalid("fingerprints.browser_lists", LIST_NAMES));
    }
    Ok(())
}

pub(crate) fn name(n: &str) -> Result<(), &'static str> {
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.');
    if n.is_empty() || n.len() > 64 || !n.chars().all(ok) {
        return Err("1 to 64 of a-z, 0-9, '-', '_', '.'");
    }
    Ok(())
}

pub(crate) fn unique_names<'a>(section: &str, names: impl Iterator<Item = &'a str>) -> Result<(), PolicyError> {
    let mut seen = HashSet::new();
    for (i, n) in names.enumerate() {
        if !seen.insert(n) {
            return Err(PolicyError::invalid(
                format!("{section}[{i}].name"),
                format!("duplicate name {n:?}"),
            ));
        }
    }
    Ok(())
}

pub(crate) fn action(a: MatchAction, allow_ok: bool) -> Result<(), &'static str> {
    match a {
        MatchAction::Allow if !allow_ok => Err("`allow` is only for zones"),
        MatchAction::Score(p) if !(1..=100).contains(&p) => Err("score must be 1 to 100 points"),
        _ => Ok(()),
    }
}

fn limit(r: &LimitRule) -> Result<(), (&'static str, String)> {
    name(&r.name).map_err(|m| ("name", m.to_string()))?;
    if r.events.is_empty() {
        return Err(("events", "name at least one event type".into()));
    }
    if has_duplicates(&r.events) {
        return Err(("events", "lists an event type twice".into()));
    }
    let otp = r
        .events
        .iter()
        .any(|e| matches!(e, EventType::OtpSend | EventType::OtpVerify));
    if !r.channels.is_empty() && !otp {
        return Err(("channels", "only applies to otp_send and otp_verify rules".into()));
    }
    if r.key.is_empty() {
        return Err(("key", "name at least one dimension".into()));
    }
    if has_duplicates(&r.key) {
        return Err(("key", "lists a dimension twice".into()));
    }
    if r.burst == 0 {
        return Err(("burst", "must be at least 1".into()));
    }
    if r.cost == 0 || r.cost > r.burst {
        return Err(("cost", format!("must be 1 to burst ({})", r.burst)));
    }
    if r.reset_on_success && r.counts != Counts::Failures {
        return Err(("reset_on_success", "only applies when counts = \"failures\"".into()));
    }
    if r.except.contains(&Exempt::CodeRequester) && r.events != [EventType::OtpVerify] {
        return Err((
            "except",
            "code_requester only applies to rules on otp_verify alone".into(),
        ));
    }
    if r.except.contains(&Exempt::KnownNumber) {
        return Err(("except", "known_number applies to destination rules only".into()));
    }
    if has_duplicates(&r.except) {
        return Err(("except", "lists a client twice".into()));
    }
    if let OnExceed::Score(points) = r.on_exceed {
        if !(1..=100).contains(&points) {
            return Err(("on_exceed", "score must be 1 to 100 points".into()));
        }
    }
    Ok(())
}

pub(crate) fn has_duplicates<T: PartialEq>(items: &[T]) -> bool {
    items
        .iter()
        .enumerate()
        .any(|(i, a)| items.iter().skip(i + 1).any(|b| a == b))
}
