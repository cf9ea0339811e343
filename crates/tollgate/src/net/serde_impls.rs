//! Serde forms of the network configuration, for embedding in a policy.
//!
//! * [`IpSet`]: a list of strings, each an address or a CIDR network
//!   (`["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"]`), read with
//!   [`parse_net`]. Written canonical, single addresses without `/32` or
//!   `/128`.
//! * [`TrustedProxies`]: either such a list (the default headers), or a
//!   table `{ proxies = [...], x_forwarded_for = true, forwarded = false,
//!   x_real_ip = false }` (the defaults) where every key is optional. Written as a list
//!   when the headers are the defaults, as a table otherwise.
//!
//! ```
//! use tollgate::net::TrustedProxies;
//!
//! let short: TrustedProxies = serde_json::from_str(r#"["10.0.0.0/8", "2001:db8::1"]"#)?;
//! assert!(short.is_trusted("10.1.2.3".parse()?));
//!
//! let table: TrustedProxies = serde_json::from_str(r#"{"proxies": ["10.0.0.0/8"], "forwarded": true}"#)?;
//! assert!(table.forwarded());
//! assert_eq!(serde_json::to_string(&table)?,
//!            r#"{"proxies":["10.0.0.0/8"],"x_forwarded_for":true,"forwarded":true,"x_real_ip":false}"#);
//!
//! let err = serde_json::from_str::<TrustedProxies>(r#"["10.0.0.0/8", "10.0.0.0/33"]"#).unwrap_err();
//! assert!(err.to_string().contains("`10.0.0.0/33` is not an IP address or CIDR network"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use ipnet::IpNet;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use super::addr::parse_net;
use super::{IpSet, TrustedProxies};

/// One network as written in configuration.
struct Net(IpNet);

impl<'de> Deserialize<'de> for Net {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NetVisitor;
        impl Visitor<'_> for NetVisitor {
            type Value = Net;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an IP address or CIDR network")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Net, E> {
                parse_net(v).map(Net).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(NetVisitor)
    }
}

/// A network as written: single addresses without their prefix length.
struct Written<'a>(&'a IpNet);

impl Serialize for Written<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.prefix_len() == self.0.max_prefix_len() {
            serializer.collect_str(&self.0.addr())
        } else {
            serializer.collect_str(self.0)
        }
    }
}

impl Serialize for IpSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for net in self {
            seq.serialize_element(&Written(net))?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for IpSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SetVisitor;
        impl<'de> Visitor<'de> for SetVisitor {
            type Value = IpSet;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of IP addresses and CIDR networks")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<IpSet, A::Error> {
                // Sized by the hint, capped: the hint comes from the input.
                let mut nets = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(Net(net)) = seq.next_element()? {
                    nets.push(net);
                }
                Ok(IpSet::from(nets))
            }
        }
        deserializer.deserialize_seq(SetVisitor)
    }
}

/// The table form of [`TrustedProxies`].
#[derive(Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Table {
    proxies: IpSet,
    x_forwarded_for: bool,
    forwarded: bool,
    x_real_ip: bool,
}

impl Default for Table {
    fn default() -> Self {
        Table::from(TrustedProxies::default())
    }
}

impl From<TrustedProxies> for Table {
    fn from(t: TrustedProxies) -> Self {
        Table {
            proxies: t.proxies().clone(),
            x_forwarded_for: t.x_forwarded_for(),
            forwarded: t.forwarded(),
            x_real_ip: t.x_real_ip(),
        }
    }
}

impl From<Table> for TrustedProxies {
    fn from(t: Table) -> Self {
        TrustedProxies::from(t.proxies)
            .with_x_forwarded_for(t.x_forwarded_for)
            .with_forwarded(t.forwarded)
            .with_x_real_ip(t.x_real_ip)
    }
}

impl Serialize for TrustedProxies {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let defaults = TrustedProxies::default();
        let default_headers = self.x_forwarded_for() == defaults.x_forwarded_for()
            && self.forwarded() == defaults.forwarded()
            && self.x_real_ip() == defaults.x_real_ip();
        if default_headers {
            self.proxies().serialize(serializer)
        } else {
            Table::from(self.clone()).serialize(serializer)
        }
    }
}

impl<'de> Deserialize<'de> for TrustedProxies {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TrustedVisitor;
        impl<'de> Visitor<'de> for TrustedVisitor {
            type Value = TrustedProxies;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of proxy networks, or a table with `proxies` and header switches")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<TrustedProxies, A::Error> {
                IpSet::deserialize(SeqAccessDeserializer::new(seq)).map(TrustedProxies::from)
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<TrustedProxies, A::Error> {
                Table::deserialize(MapAccessDeserializer::new(map)).map(TrustedProxies::from)
            }
        }
        deserializer.deserialize_any(TrustedVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_round_trip_canonical() {
        let set: IpSet =
            serde_json::from_str(r#"["192.0.2.7/24", "192.0.2.9", "::ffff:10.0.0.1", "2001:db8::/32"]"#).unwrap();
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(json, r#"["10.0.0.1","192.0.2.0/24","192.0.2.9","2001:db8::/32"]"#);
        assert_eq!(serde_json::from_str::<IpSet>(&json).unwrap(), set);
    }

    #[test]
    fn default_headers_are_written_as_a_list() {
        let t = TrustedProxies::parse(["10.0.0.0/8"]).unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), r#"["10.0.0.0/8"]"#);
        let toml_text = "proxies = [\"10.0.0.0/8\"]\nx_real_ip = true\n";
        let t: TrustedProxies = toml::from_str(toml_text).unwrap();
        assert!(t.x_real_ip() && !t.forwarded() && t.x_forwarded_for());
        let back: TrustedProxies = toml::from_str(&toml::to_string(&t).unwrap()).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn unknown_keys_and_bad_entries_are_refused() {
        assert!(serde_json::from_str::<TrustedProxies>(r#"{"proxy": []}"#).is_err());
        let err = serde_json::from_str::<IpSet>(r#"["10.0.0.0/8", 7]"#).unwrap_err();
        assert!(err.to_string().contains("an IP address or CIDR network"), "{err}");
    }
}
