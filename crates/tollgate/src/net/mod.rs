//! Network signals: client IP resolution through trusted proxies, and CIDR
//! sets for zones and threat-intel lists.
//!
//! ```
//! use std::net::IpAddr;
//! use tollgate::net::{IpSet, TrustedProxies};
//!
//! // Which proxies set forwarding headers: from configuration.
//! let trusted = TrustedProxies::parse(["10.0.0.0/8", "2001:db8:ff::/48"])?;
//! // A deny list: from a file the host read (Spamhaus DROP format).
//! let drop = IpSet::parse_list("203.0.113.0/24 ; SBL1\n")?;
//!
//! // Per request: the socket peer and the headers.
//! let peer: IpAddr = "::ffff:10.0.0.3".parse()?;
//! let headers = [("x-forwarded-for", &b"203.0.113.50:41000, 10.0.0.1"[..])];
//! let client = trusted.resolve(peer, headers);
//! assert_eq!(client.addr, "203.0.113.50".parse::<IpAddr>()?);
//! assert!(drop.contains(client.addr));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! * [`client_ip`]: [`TrustedProxies::resolve`] turns the socket peer and
//!   the `Forwarded` / `X-Forwarded-For` / `X-Real-IP` headers into a
//!   [`ClientIp`], reporting garbage as a [`HeaderAnomaly`].
//! * [`ip_set`]: [`IpSet`], an immutable set of networks with a
//!   logarithmic longest-prefix lookup.
//! * [`list`]: blocklist text (one address or CIDR per line, `#` and `;`
//!   comments) into an [`IpSet`].
//! * [`normalize_ip`], [`parse_net`]: one canonical form per address and
//!   network (IPv4-mapped IPv6 is IPv4).
//!
//! `docs/network.md` describes the resolution algorithm, its fallbacks and
//! the list format in full.

mod addr;
pub mod client_ip;
mod hop;
pub mod ip_set;
pub mod list;
#[cfg(feature = "serde")]
mod serde_impls;

pub use addr::{InvalidNet, normalize_ip, normalize_net, parse_net};
pub use client_ip::{
    ClientIp, ClientIpSource, ForwardingHeader, HeaderAnomaly, MAX_HEADER_BYTES, MAX_HOPS, TrustedProxies,
};
pub use ip_set::IpSet;
pub use ipnet::{IpNet, Ipv4Net, Ipv6Net};
pub use list::{LenientList, ListEntries, ListError, list_entries};
