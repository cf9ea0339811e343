//! Store keys are a fixed function of the key secret and the event: the
//! same on every instance, build and platform (a shared store relies on it).
#![allow(clippy::unwrap_used, clippy::panic)]

use tollgate::keys::KeySecret;
use tollgate::policy::{Dimension, LimitRule, Policy};
use tollgate::store::{Op, StoreKey};
use tollgate::{Engine, Event, EventKind, EventType, Timestamp};

fn engine(secret: &str) -> Engine {
    let mut policy = Policy::default();
    policy.limits = vec![LimitRule::new(
        "login-ip",
        &[EventType::Login],
        &[Dimension::Ip],
        "5/min".parse().unwrap(),
        5,
    )];
    Engine::builder(policy)
        .key_secret(secret.parse::<KeySecret>().unwrap())
        .build()
        .unwrap()
}

fn first_key(engine: &Engine) -> StoreKey {
    let login = Event::new(EventKind::Login, Timestamp::EPOCH).with_ip("203.0.113.7".parse().unwrap());
    let plan = engine.prepare(&login);
    match plan.ops().first() {
        Some(Op::Gcra { key, .. }) => *key,
        other => panic!("expected the rule's GCRA op first, got {other:?}"),
    }
}

#[test]
fn keys_match_an_independent_siphash_1_3() {
    // The rule's seed is SipHash-1-3 under key 00..0f of the rule name as
    // u32-LE length + bytes (0xfe9e0dae5c8caf4b); the IP's hash is
    // SipHash-1-3 of dimension tag 0, IPv4 tag 4 and the four octets; the
    // key is SplitMix64's finaliser of their XOR. Computed with a separate
    // reference implementation (Python), not with this crate.
    assert_eq!(
        first_key(&engine("000102030405060708090a0b0c0d0e0f")),
        StoreKey(0x3af6_0776_e136_a13f)
    );
}

#[test]
fn instances_agree_only_under_the_same_secret() {
    let a = engine("000102030405060708090a0b0c0d0e0f");
    let b = engine("000102030405060708090a0b0c0d0e0f");
    let c = engine("100102030405060708090a0b0c0d0e0f");
    assert_eq!(first_key(&a), first_key(&b));
    assert_ne!(first_key(&a), first_key(&c));
}
