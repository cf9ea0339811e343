//! Fingerprint signals: listed fingerprints, and a user agent that claims a
//! browser its TLS or HTTP/2 handshake does not belong to.
//!
//! A browser's handshake is fixed by its TLS library and HTTP/2 stack;
//! a script can copy a browser's `User-Agent` in one line but not its
//! handshake. So when the user agent claims a mainstream browser family
//! and the event's handshake is not that family's, the client is most
//! likely not what it says. The known values are data: a built-in table,
//! policy entries and attached lists.
//!
//! An exact JA4 table goes stale with every browser release, so when the
//! event carries its handshake's structure ([`Event::tls_shape`]) the TLS
//! side is judged on structure against the family's seed shapes
//! ([`fits_shape`]); a JA4 in the table is accepted either way.

use std::collections::HashMap;
use std::sync::Arc;

use crate::detect::Events;
use crate::policy::{BrowserJudge, FingerprintAction, FingerprintList, FingerprintRule, FingerprintSet, Fingerprints};
use crate::{Action, Event, Reason, ReasonCode};

/// Fingerprint rules and the browser table, resolved against the attached lists.
#[derive(Debug, Default)]
pub(crate) struct CompiledFingerprints {
    rules: Vec<Rule>,
    judge: BrowserJudge,
}

#[derive(Debug)]
struct Rule {
    name: Arc<str>,
    events: Events,
    inline: FingerprintSet,
    lists: Vec<Arc<FingerprintList>>,
    action: FingerprintAction,
    monitor: bool,
}

impl Rule {
    fn matches(&self, event: &Event) -> bool {
        self.inline.matches(event) || self.lists.iter().any(|l| l.matches(event))
    }
}

impl CompiledFingerprints {
    pub(crate) fn compile(spec: &Fingerprints, lists: &HashMap<String, Arc<FingerprintList>>) -> CompiledFingerprints {
        let rules = spec.rules.iter().map(|r| compile_rule(r, lists)).collect();
        let attached = spec.browser_lists.iter().filter_map(|n| lists.get(n).map(Arc::as_ref));
        CompiledFingerprints {
            rules,
            judge: BrowserJudge::compile(spec, attached),
        }
    }

    /// Appends the fingerprint reasons of `event`.
    pub(crate) fn screen(&self, event: &Event, ua_points: u8, reasons: &mut Vec<Reason>) {
        let event_type = event.kind.event_type();
        let mut trusted = false;
        for rule in self.rules.iter().filter(|r| r.events.contains(event_type)) {
            if !rule.matches(event) {
                continue;
            }
            trusted |= rule.action == FingerprintAction::Trust && !rule.monitor;
            reasons.push(rule_reason(rule));
        }
        if trusted || ua_points == 0 {
            return;
        }
        if let Some(reason) = self.ua_mismatch(event, ua_points) {
            reasons.push(reason);
        }
    }

    /// Fires when the user agent claims a family and a fingerprint the
    /// family's data can judge (the table has values of that kind, or seed
    /// shapes for a handshake that carries its shape) is not the family's.
    /// A kind with no known values says nothing either way.
    fn ua_mismatch(&self, event: &Event, points: u8) -> Option<Reason> {
        let m = self.judge.mismatch(event)?;
        let family = m.family;
        let what = match (m.tls.is_some(), m.http2) {
            (true, true) => "JA4 and HTTP/2 fingerprint",
            (true, false) => "JA4",
            (false, true) => "HTTP/2 fingerprint",
            (false, false) => return None,
        };
        let mut r = Reason::new(
            ReasonCode::FingerprintUaMismatch,
            format!("user agent claims {family}; its {what} is not a known {family} one"),
        );
        r.points = points;
        Some(r)
    }
}

fn compile_rule(r: &FingerprintRule, lists: &HashMap<String, Arc<FingerprintList>>) -> Rule {
    let mut inline = FingerprintSet::default();
    inline.ja4.extend(r.ja4.iter().copied());
    inline.ja3.extend(r.ja3.iter().copied());
    inline.http2.extend(r.http2.iter().cloned());
    inline.header.extend(r.header_fp.iter().cloned());
    Rule {
        name: r.name.as_str().into(),
        events: Events::or_all(&r.events),
        inline,
        lists: r.lists.iter().filter_map(|n| lists.get(n).cloned()).collect(),
        action: r.action,
        monitor: r.monitor,
    }
}

fn rule_reason(rule: &Rule) -> Reason {
    let detail = match rule.action {
        FingerprintAction::Trust => "trusted client fingerprint: user agent not checked",
        _ => "client fingerprint on a list",
    };
    let mut r = Reason::new(ReasonCode::FingerprintListed, detail);
    r.rule = Some(Arc::clone(&rule.name));
    r.monitor = rule.monitor;
    match rule.action {
        FingerprintAction::Score(points) => r.points = points,
        FingerprintAction::Challenge => r.action = Some(Action::Challenge),
        FingerprintAction::Deny => r.action = Some(Action::Deny),
        _ => {}
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;
    use crate::policy::{BrowserFingerprints, Policy};
    use crate::useragent::BrowserFamily;

    const CHROME_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36";
    const CHROME_JA4: &str = "t13d1516h2_8daaf6152771_02713d6af862";
    const GO_JA4: &str = "t13d190900_9dc949149365_97f8aa674fd9";

    fn login(ja4: &str, ua: &str) -> Event {
        Event::new(crate::EventKind::Login, Timestamp::EPOCH)
            .with_ja4(ja4.parse().unwrap())
            .with_user_agent(ua)
    }

    fn codes(c: &CompiledFingerprints, e: &Event) -> Vec<ReasonCode> {
        let mut out = Vec::new();
        c.screen(e, 30, &mut out);
        out.iter().map(|r| r.code).collect()
    }

    #[test]
    fn mismatch_needs_a_browser_claim_and_an_unknown_fingerprint() {
        let c = CompiledFingerprints::compile(&Policy::default().fingerprints, &HashMap::new());
        assert_eq!(
            codes(&c, &login(GO_JA4, CHROME_UA)),
            [ReasonCode::FingerprintUaMismatch]
        );
        assert!(codes(&c, &login(CHROME_JA4, CHROME_UA)).is_empty());
        assert!(codes(&c, &login(GO_JA4, "Go-http-client/2.0")).is_empty());
        let no_fp = Event::new(crate::EventKind::Login, Timestamp::EPOCH).with_user_agent(CHROME_UA);
        assert!(codes(&c, &no_fp).is_empty());
    }

    #[test]
    fn http2_is_judged_only_where_the_table_knows_http2() {
        let mut spec = Policy::default().fingerprints;
        let chrome_h2 = "1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p";
        let event = login(CHROME_JA4, CHROME_UA).with_http2("1:65535|0|0|m,p,a,s".parse().unwrap());
        let c = CompiledFingerprints::compile(&spec, &HashMap::new());
        assert!(codes(&c, &event).is_empty());
        let mut chromium = BrowserFingerprints {
            family: BrowserFamily::Chromium,
            ja4: Vec::new(),
            http2: vec![chrome_h2.parse().unwrap()],
            shapes: Vec::new(),
        };
        spec.browsers.push(chromium.clone());
        let c = CompiledFingerprints::compile(&spec, &HashMap::new());
        assert_eq!(codes(&c, &event), [ReasonCode::FingerprintUaMismatch]);
        chromium.http2 = vec!["1:65535|0|0|m,p,a,s".parse().unwrap()];
        spec.browsers.push(chromium);
        let c = CompiledFingerprints::compile(&spec, &HashMap::new());
        assert!(codes(&c, &event).is_empty());
    }

    #[test]
    fn trust_skips_the_check_unless_monitored() {
        let mut spec = Policy::default().fingerprints;
        let mut rule = FingerprintRule::new("partner", FingerprintAction::Trust);
        rule.ja4 = vec![GO_JA4.parse().unwrap()];
        spec.rules.push(rule);
        let c = CompiledFingerprints::compile(&spec, &HashMap::new());
        assert_eq!(codes(&c, &login(GO_JA4, CHROME_UA)), [ReasonCode::FingerprintListed]);
        spec.rules[0].monitor = true;
        let c = CompiledFingerprints::compile(&spec, &HashMap::new());
        assert_eq!(
            codes(&c, &login(GO_JA4, CHROME_UA)),
            [ReasonCode::FingerprintListed, ReasonCode::FingerprintUaMismatch]
        );
    }

    #[test]
    fn without_the_builtin_table_nothing_is_judged() {
        let mut spec = Policy::default().fingerprints;
        spec.builtin_browsers = false;
        let c = CompiledFingerprints::compile(&spec, &HashMap::new());
        assert!(codes(&c, &login(GO_JA4, CHROME_UA)).is_empty());
    }
}
