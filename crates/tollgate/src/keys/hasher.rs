//! Limiter keys: a keyed hash of the rule name and the values of the rule's
//! dimensions, so raw IPs, user ids and phone numbers never become map keys
//! and an attacker cannot choose colliding keys.
//!
//! The hash is SipHash-1-3 under the engine's [`KeySecret`] over the
//! explicit encoding of [`encode`](super::encode): stable across machines,
//! builds and Rust releases, so instances sharing a store agree on keys.

use std::hash::Hasher;
use std::net::IpAddr;

use siphasher::sip::SipHasher13;

use super::KeySecret;

use super::encode::{KeyPart, KeySink};
use crate::Event;
use crate::facts::Facts;
use crate::policy::{Dimension, KeyOptions};

/// Hashes limiter keys under a per-engine secret.
#[derive(Clone, Debug)]
pub(crate) struct KeyHasher(SipHasher13);

/// Gathers a key's bytes and feeds SipHash in blocks: keys are written as
/// many tiny fields, and one hasher call per field costs more than the
/// copy. The hash depends only on the byte sequence, not on the blocks.
struct Sink {
    hasher: SipHasher13,
    buf: [u8; 64],
    len: usize,
}

impl KeySink for Sink {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        let end = self.len.saturating_add(bytes.len());
        if let Some(room) = self.buf.get_mut(self.len..end) {
            room.copy_from_slice(bytes);
            self.len = end;
            return;
        }
        self.flush();
        match self.buf.get_mut(..bytes.len()) {
            Some(room) => {
                room.copy_from_slice(bytes);
                self.len = bytes.len();
            }
            None => self.hasher.write(bytes),
        }
    }
}

impl Sink {
    fn flush(&mut self) {
        self.hasher.write(self.buf.get(..self.len).unwrap_or_default());
        self.len = 0;
    }

    fn finish(mut self) -> u64 {
        self.flush();
        self.hasher.finish()
    }
}

impl KeyHasher {
    /// A hasher under a fresh random secret.
    #[cfg(test)]
    pub(crate) fn new() -> Self {
        KeyHasher::with_secret(&KeySecret::random())
    }

    /// A hasher under `secret`.
    pub(crate) fn with_secret(secret: &KeySecret) -> Self {
        KeyHasher(SipHasher13::new_with_key(&secret.sip_keys()))
    }

    fn sink(&self) -> Sink {
        Sink {
            hasher: self.0,
            buf: [0; 64],
            len: 0,
        }
    }

    /// A hash of a rule's name, mixed into each of its keys so that rules
    /// keep separate counters, and keep them across policy swaps.
    pub(crate) fn rule_seed(&self, name: &str) -> u64 {
        let mut sink = self.sink();
        name.encode(&mut sink);
        sink.finish()
    }

    /// A keyed hash of `value` under `seed`.
    pub(crate) fn hash_of(&self, seed: u64, value: impl KeyPart) -> u64 {
        let mut sink = self.sink();
        seed.encode(&mut sink);
        value.encode(&mut sink);
        sink.finish()
    }

    /// A key derived from `base`, itself a keyed hash, for the counter
    /// `seed` names: a bijective 64-bit mix (SplitMix64's finaliser) of
    /// both, instead of another SipHash pass. `base` is already
    /// unpredictable without the secret, so the derived key is too, and two
    /// counters over one base (or one counter over two) differ unless their
    /// seeds and bases collide by chance (2^-64).
    pub(crate) fn derive(seed: u64, base: u64) -> u64 {
        let mut x = seed ^ base;
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    }

    /// The keyed hash of `event`'s value of `dim` (tagged with the
    /// dimension, so a user named like a device id keys apart), or `None`
    /// when the event lacks it. Keys derive from these; see
    /// [`EventKeys`](super::EventKeys).
    pub(crate) fn dimension(&self, dim: &Dimension, event: &Event, facts: &Facts, opts: &KeyOptions) -> Option<u64> {
        let mut sink = self.sink();
        hash_dimension(&mut sink, dim, event, facts, opts)?;
        Some(sink.finish())
    }
}

fn hash_dimension(h: &mut Sink, dim: &Dimension, e: &Event, facts: &Facts, opts: &KeyOptions) -> Option<()> {
    match dim {
        Dimension::Ip => (0u8, masked(e.ip?, 32, opts.ipv6_host_prefix)).encode(h),
        Dimension::IpPrefix => (1u8, network(e.ip?, opts)).encode(h),
        Dimension::Asn => (2u8, facts.asn?).encode(h),
        Dimension::Country => (3u8, facts.country?).encode(h),
        Dimension::Ja4 => (4u8, e.ja4.as_ref()?).encode(h),
        Dimension::Ja3 => (5u8, e.ja3.as_ref()?).encode(h),
        Dimension::Http2 => (6u8, e.http2.as_ref()?).encode(h),
        Dimension::HeaderFp => (7u8, e.header_fp.as_ref()?).encode(h),
        Dimension::Header(name) => (8u8, name, e.header(name.as_str())?).encode(h),
        Dimension::User => (9u8, e.user.as_ref()?).encode(h),
        Dimension::UserAgent => (10u8, e.user_agent.as_deref()?).encode(h),
        Dimension::Phone => (11u8, e.phone.as_ref()?).encode(h),
        Dimension::PhonePrefix => {
            let prefix = e
                .phone
                .as_ref()?
                .prefix_without_last(usize::from(opts.phone_prefix_drop));
            (12u8, prefix).encode(h)
        }
        Dimension::Device => (13u8, e.device.as_ref()?).encode(h),
    }
    Some(())
}

/// The IP masked to the `ip_prefix` lengths.
pub(crate) fn network(ip: IpAddr, opts: &KeyOptions) -> IpAddr {
    masked(ip, opts.ipv4_prefix, opts.ipv6_prefix)
}

/// The IP masked to `v4` or `v6` leading bits (IPv4-mapped IPv6 addresses
/// count as IPv4).
fn masked(ip: IpAddr, v4: u8, v6: u8) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4_addr) => {
            let bits = u32::from(v4.min(32));
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            IpAddr::V4((u32::from(v4_addr) & mask).into())
        }
        IpAddr::V6(v6_addr) => {
            let bits = u32::from(v6.min(128));
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            IpAddr::V6((u128::from(v6_addr) & mask).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventKind, Timestamp};

    fn login(ip: &str) -> Event {
        Event::new(EventKind::Login, Timestamp::EPOCH).with_ip(ip.parse::<IpAddr>().unwrap())
    }

    #[test]
    fn blocks_do_not_change_the_hash() {
        let secret = KeySecret::from_seed(3);
        let k = KeyHasher::with_secret(&secret);
        for len in [0, 1, 50, 56, 59, 60, 64, 100, 200] {
            let text = "x".repeat(len);
            let mut whole = SipHasher13::new_with_key(&secret.sip_keys());
            whole.write(&9u64.to_le_bytes());
            whole.write(&u32::try_from(len).unwrap().to_le_bytes());
            whole.write(text.as_bytes());
            whole.write(&[7]);
            assert_eq!(k.hash_of(9, (text.as_str(), 7u8)), whole.finish(), "{len}");
        }
    }

    #[test]
    fn prefixes_group_networks() {
        let opts = KeyOptions::default();
        let net = |ip: &str| network(ip.parse().unwrap(), &opts).to_string();
        assert_eq!(net("203.0.113.77"), "203.0.113.0");
        assert_eq!(net("::ffff:203.0.113.77"), "203.0.113.0");
        // Networks group by /48 (one customer), hosts by /64.
        assert_eq!(net("2001:db8:1:2:aaaa::1"), "2001:db8:1::");
        assert_eq!(
            masked("2001:db8:1:2:aaaa::1".parse().unwrap(), 32, opts.ipv6_host_prefix).to_string(),
            "2001:db8:1:2::"
        );
        let all = KeyOptions {
            ipv4_prefix: 32,
            ipv6_prefix: 128,
            ..opts
        };
        assert_eq!(
            network("203.0.113.77".parse().unwrap(), &all).to_string(),
            "203.0.113.77"
        );
    }

    fn key(
        k: &KeyHasher,
        seed: u64,
        dims: &[Dimension],
        event: &Event,
        opts: &KeyOptions,
    ) -> Option<crate::keys::StoreKey> {
        crate::keys::EventKeys::new(k, event, &Facts::default(), opts).key(seed, dims)
    }

    #[test]
    fn keys_separate_rules_and_values_and_skip_missing() {
        let k = KeyHasher::new();
        let opts = KeyOptions::default();
        let (a, b) = (k.rule_seed("a"), k.rule_seed("b"));
        let ip = [Dimension::Ip];
        let e1 = login("198.51.100.1");
        assert_eq!(
            key(&k, a, &ip, &e1, &opts),
            key(&k, a, &ip, &login("::ffff:198.51.100.1"), &opts)
        );
        assert_ne!(key(&k, a, &ip, &e1, &opts), key(&k, b, &ip, &e1, &opts));
        assert_ne!(
            key(&k, a, &ip, &e1, &opts),
            key(&k, a, &ip, &login("198.51.100.2"), &opts)
        );
        let prefix = [Dimension::IpPrefix];
        assert_eq!(
            key(&k, a, &prefix, &e1, &opts),
            key(&k, a, &prefix, &login("198.51.100.2"), &opts)
        );
        assert_eq!(key(&k, a, &[Dimension::Ip, Dimension::User], &e1, &opts), None);
    }

    #[test]
    fn ipv6_ip_keys_on_the_host_prefix() {
        let k = KeyHasher::new();
        let seed = k.rule_seed("r");
        let ip = [Dimension::Ip];
        let opts = KeyOptions::default();
        let at = |addr: &str, opts: &KeyOptions| key(&k, seed, &ip, &login(addr), opts);
        assert_eq!(at("2001:db8::1", &opts), at("2001:db8::ffff:2", &opts));
        assert_ne!(at("2001:db8::1", &opts), at("2001:db8:0:1::1", &opts));
        let exact = KeyOptions {
            ipv6_host_prefix: 128,
            ..opts
        };
        assert_ne!(at("2001:db8::1", &exact), at("2001:db8::2", &exact));
    }
}
