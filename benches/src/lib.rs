//! Shared fixtures for the tollgate benchmarks and the allocation test:
//! policies, pre-generated login events, limiter key sequences and a
//! simulated clock.
//!
//! Everything here is built before measuring starts, so a benchmark's loop
//! only picks the next prepared input. See `benches/README.md` for what each
//! benchmark measures and how to run it.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use tollgate::limiter::GcraParams;
use tollgate::policy::{Dimension, LimitRule, Policy, Rate};
use tollgate::{Asn, Channel, Country, E164, Event, EventKind, EventType, Ja4, Timestamp};

/// Distinct login events (users, IPs, /24 networks, JA4+ASN pairs) the
/// `evaluate` benchmarks cycle through.
pub const EVENT_POOL: usize = 10_000;

/// Distinct keys the `limiter` benchmarks cycle through.
pub const LIMITER_KEYS: usize = 100_000;

/// Start of simulated time: 2023-11-14T22:13:20Z.
pub const BASE: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

/// Simulated time between two evaluated events in the `evaluate` benchmarks.
///
/// With [`EVENT_POOL`] events cycling, each key is seen again after 10
/// simulated seconds, slower than any login rule of the default policy
/// allows (the tightest, `login-user`, is 10/min), so every evaluation
/// stays on the allow path however many iterations criterion runs.
pub const EVENT_STEP: Duration = Duration::from_millis(1);

/// Limiter quota shared by tollgate and governor in the `limiter` benchmarks:
/// sustained events per second per key.
///
/// High on purpose: with [`LIMITER_KEYS`] keys cycling, a key comes back
/// every few milliseconds of wall time, so both limiters admit (nearly)
/// every check and the benchmark compares like with like.
pub const LIMITER_PER_SECOND: u32 = 10_000;

/// Limiter burst shared by tollgate and governor in the `limiter` benchmarks.
pub const LIMITER_BURST: u32 = 100;

/// The tollgate GCRA parameters for [`LIMITER_PER_SECOND`] and
/// [`LIMITER_BURST`], cost 1.
pub fn limiter_params() -> GcraParams {
    GcraParams {
        emission_nanos: 1_000_000_000 / u64::from(LIMITER_PER_SECOND),
        burst: LIMITER_BURST,
        cost: 1,
    }
}

/// A policy with no limit rules: the fixed cost of a decision.
pub fn minimal_policy() -> Policy {
    let mut policy = Policy::default();
    policy.limits.clear();
    policy
}

/// A policy with exactly four limit rules on login, keyed on `ip`,
/// `ja4`+`asn`, `user` and `ip_prefix`, with generous rates (600/min,
/// burst 100) so that benchmarks measure the allow path.
pub fn four_limits_policy() -> Policy {
    let rate = Rate::new(600, 60).unwrap_or_else(|| unreachable!("600/min is a valid rate"));
    let rule = |name: &str, key: &[Dimension]| LimitRule::new(name, &[EventType::Login], key, rate, 100);
    let mut policy = Policy::default();
    policy.limits = vec![
        rule("login-ip", &[Dimension::Ip]),
        rule("login-ja4-asn", &[Dimension::Ja4, Dimension::Asn]),
        rule("login-user", &[Dimension::User]),
        rule("login-ip-prefix", &[Dimension::IpPrefix]),
    ];
    policy.stuffing.clear();
    policy.spike.events.clear();
    policy
}

const COUNTRIES: [&str; 8] = ["US", "DE", "FR", "GB", "NL", "BR", "IN", "JP"];

/// `n` distinct login events, all at [`BASE`].
///
/// Event `i` carries user `user-i@example.com`, IPv4 address
/// `10.a.b.7` whose `/24` is distinct per event (up to 2^16 events), one of
/// 16 JA4 fingerprints, ASN `64512 + i % 997` (so JA4+ASN pairs are distinct
/// up to 15,952 events) and a country.
///
/// The country and ASN are set as if resolved upstream (by a CDN): the
/// mmdb lookup in the engine arrives later, and its cost is not part of
/// these events yet.
pub fn login_events(n: usize) -> Vec<Event> {
    let ja4s: Vec<Ja4> = (0..16u64)
        .filter_map(|i| {
            format!("t13d1516h2_{:012x}_02713d6af862", 0x8daa_f615_2771 + i)
                .parse()
                .ok()
        })
        .collect();
    let countries: Vec<Country> = COUNTRIES.iter().filter_map(|c| c.parse().ok()).collect();
    (0..n)
        .map(|i| {
            let [_, _, a, b] = (i as u32).to_be_bytes();
            let ip = IpAddr::V4(Ipv4Addr::new(10, a, b, 7));
            let mut event = Event::new(EventKind::Login, BASE)
                .with_ip(ip)
                .with_user(format!("user-{i}@example.com"))
                .with_asn(Asn(64_512 + (i % 997) as u32));
            if let Some(ja4) = ja4s.get(i % ja4s.len().max(1)) {
                event = event.with_ja4(*ja4);
            }
            if let Some(country) = countries.get(i % countries.len().max(1)) {
                event = event.with_country(*country);
            }
            event
        })
        .collect()
}

/// `n` SMS code requests to distinct UK mobile numbers, all at [`BASE`].
///
/// Event `i` asks for a code to `+4473`, `i` on five digits, then `123`:
/// a UK mobile (a low-risk destination: not in the built-in high-risk
/// table; unlike `+44 7700`, which libphonenumber splits between the UK and
/// Jersey, all of `+44 73` is the UK's) in a number block (the number without its last three digits) of
/// its own, so no per-block limit is shared between events; for user
/// `user-i@example.com`, from the `/24`-distinct address of
/// [`login_events`] in the UK (country `GB`, so the number's country and
/// the client's agree) on ASN `64512 + i % 997`. Up to 100,000 events.
pub fn otp_send_events(n: usize) -> Vec<Event> {
    let gb: Option<Country> = "GB".parse().ok();
    (0..n)
        .map(|i| {
            let [_, _, a, b] = (i as u32).to_be_bytes();
            let mut event = Event::new(EventKind::OtpSend { channel: Channel::Sms }, BASE)
                .with_ip(IpAddr::V4(Ipv4Addr::new(10, a, b, 7)))
                .with_user(format!("user-{i}@example.com"))
                .with_asn(Asn(64_512 + (i % 997) as u32));
            if let Ok(phone) = format!("+4473{i:05}123").parse::<E164>() {
                event = event.with_phone(phone);
            }
            if let Some(country) = gb {
                event = event.with_country(country);
            }
            event
        })
        .collect()
}

/// `n` distinct `u64` keys in a scrambled order (splitmix64 of `0..n`), so
/// that neither map sees sequential keys.
pub fn key_sequence(n: usize) -> Vec<u64> {
    (0..n as u64).map(splitmix64).collect()
}

/// The splitmix64 finaliser: a bijection on `u64`, so distinct inputs give
/// distinct keys.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// An endless walk over a prepared sequence: each call to
/// [`next_index`](Cycle::next_index) gives the next position, wrapping
/// around at the end.
#[derive(Clone, Copy, Debug)]
pub struct Cycle {
    len: usize,
    at: usize,
}

impl Cycle {
    /// A walk over `len` items (at least 1), starting at the first.
    pub fn new(len: usize) -> Self {
        Cycle { len: len.max(1), at: 0 }
    }

    /// The next position.
    #[inline]
    pub fn next_index(&mut self) -> usize {
        let i = self.at;
        self.at += 1;
        if self.at == self.len {
            self.at = 0;
        }
        i
    }
}

/// Simulated time: starts at [`BASE`] and advances a fixed step per tick,
/// standing in for a clock without reading one.
#[derive(Clone, Copy, Debug)]
pub struct SimClock {
    now: u64,
    step: u64,
}

impl SimClock {
    /// A clock at [`BASE`] advancing `step` per tick.
    pub fn new(step: Duration) -> Self {
        SimClock {
            now: BASE.as_unix_nanos(),
            step: u64::try_from(step.as_nanos()).unwrap_or(u64::MAX),
        }
    }

    /// Advances one step and returns the new time.
    #[inline]
    pub fn tick(&mut self) -> Timestamp {
        self.now = self.now.saturating_add(self.step);
        Timestamp::from_unix_nanos(self.now)
    }
}

/// What [`allow_path_run`] saw while measuring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllowPathRun {
    /// Keys in the store after the warm-up pass.
    pub keys_after_warm_up: usize,
    /// Keys in the store after the measured pass.
    pub keys_after: usize,
    /// Measured evaluations that were reason-free allows.
    pub allowed: usize,
    /// Heap blocks allocated during the measured pass.
    pub blocks: u64,
}

/// Evaluates `events` once so their keys exist, then again while reading
/// `heap_blocks` (the allocator's running block count) before and after.
/// The allocation tests supply dhat's count; the fixture stays dhat-free.
pub fn allow_path_run(engine: &tollgate::Engine, events: &mut [Event], heap_blocks: impl Fn() -> u64) -> AllowPathRun {
    let mut clock = SimClock::new(EVENT_STEP);
    for event in events.iter_mut() {
        event.at = clock.tick();
        engine.evaluate(event);
    }
    let keys_after_warm_up = engine.store().len();
    let before = heap_blocks();
    let mut allowed = 0;
    for event in events.iter_mut() {
        event.at = clock.tick();
        let decision = engine.evaluate(event);
        allowed += usize::from(decision.action == tollgate::Action::Allow && decision.reasons.is_empty());
    }
    let blocks = heap_blocks().saturating_sub(before);
    AllowPathRun {
        keys_after_warm_up,
        keys_after: engine.store().len(),
        allowed,
        blocks,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn events_are_distinct_on_every_limited_dimension() {
        let events = login_events(EVENT_POOL);
        assert_eq!(events.len(), EVENT_POOL);
        let distinct = |f: &dyn Fn(&Event) -> String| events.iter().map(f).collect::<HashSet<_>>().len();
        assert_eq!(distinct(&|e| format!("{:?}", e.ip)), EVENT_POOL);
        assert_eq!(
            distinct(&|e| e.user.as_ref().map(|u| u.canonical().to_owned()).unwrap_or_default()),
            EVENT_POOL
        );
        assert_eq!(distinct(&|e| format!("{:?}/{:?}", e.ja4, e.asn)), EVENT_POOL);
        assert!(events.iter().all(|e| e.ja4.is_some() && e.country.is_some()));
    }

    #[test]
    fn keys_are_distinct_and_policies_valid() {
        let keys: HashSet<u64> = key_sequence(LIMITER_KEYS).into_iter().collect();
        assert_eq!(keys.len(), LIMITER_KEYS);
        assert!(four_limits_policy().validate().is_ok());
        assert!(minimal_policy().validate().is_ok());
        assert_eq!(four_limits_policy().limits.len(), 4);
    }

    #[test]
    fn cycle_wraps() {
        let mut c = Cycle::new(3);
        let seen: Vec<usize> = (0..7).map(|_| c.next_index()).collect();
        assert_eq!(seen, [0, 1, 2, 0, 1, 2, 0]);
    }
}
