//! Policy validation: one pass, first error wins, errors name the field.

use std::collections::HashSet;

use super::{Counts, LimitRule, OnExceed, Policy, PolicyError};
use crate::EventType;

pub(super) fn policy(p: &Policy) -> Result<(), PolicyError> {
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
    for (name, value) in [
        ("compromised_password", pts.compromised_password),
        ("new_country", pts.new_country),
        ("new_asn", pts.new_asn),
        ("new_device", pts.new_device),
        ("first_seen", pts.first_seen),
        ("impossible_travel", pts.impossible_travel),
    ] {
        if value > 100 {
            return Err(PolicyError::invalid(format!("points.{name}"), "must be 0 to 100"));
        }
    }
    let f = &p.familiarity;
    if has_duplicates(&f.events) {
        return Err(PolicyError::invalid("familiarity.events", "lists an event type twice"));
    }
    if !(1..=crate::store::HISTORY_MAX).contains(&usize::from(f.history_size)) {
        return Err(PolicyError::invalid("familiarity.history_size", "must be 1 to 32"));
    }
    if !(1..=365).contains(&f.global_window_days) {
        return Err(PolicyError::invalid(
            "familiarity.global_window_days",
            "must be 1 to 365",
        ));
    }
    if !(1..=100).contains(&f.common_percent) {
        return Err(PolicyError::invalid("familiarity.common_percent", "must be 1 to 100"));
    }
    let t = &p.travel;
    if has_duplicates(&t.events) {
        return Err(PolicyError::invalid("travel.events", "lists an event type twice"));
    }
    if t.max_speed_kmh == 0 {
        return Err(PolicyError::invalid("travel.max_speed_kmh", "must be above 0"));
    }
    if !(1..=365).contains(&t.remember_days) {
        return Err(PolicyError::invalid("travel.remember_days", "must be 1 to 365"));
    }
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

fn limit(r: &LimitRule) -> Result<(), (&'static str, String)> {
    let name_ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.');
    if r.name.is_empty() || r.name.len() > 64 || !r.name.chars().all(name_ok) {
        return Err(("name", "1 to 64 of a-z, 0-9, '-', '_', '.'".into()));
    }
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
    if let OnExceed::Score(points) = r.on_exceed {
        if !(1..=100).contains(&points) {
            return Err(("on_exceed", "score must be 1 to 100 points".into()));
        }
    }
    Ok(())
}

fn has_duplicates<T: PartialEq>(items: &[T]) -> bool {
    items
        .iter()
        .enumerate()
        .any(|(i, a)| items.iter().skip(i + 1).any(|b| a == b))
}
