//! Canonical addresses and networks: one spelling per address, so that a
//! list entry, a proxy hop and a socket peer compare equal when they name
//! the same host.
//!
//! ```
//! use std::net::IpAddr;
//! use tollgate::net::{normalize_ip, parse_net};
//!
//! // An IPv4-mapped IPv6 address is the IPv4 address it carries.
//! let mapped: IpAddr = "::ffff:192.0.2.7".parse()?;
//! assert_eq!(normalize_ip(mapped), "192.0.2.7".parse::<IpAddr>()?);
//!
//! // A single address is a /32 (or /128); host bits after the prefix are dropped.
//! assert_eq!(parse_net("192.0.2.7")?.to_string(), "192.0.2.7/32");
//! assert_eq!(parse_net(" 192.0.2.7/24 ")?.to_string(), "192.0.2.0/24");
//! assert!(parse_net("192.0.2.0/33").is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net};

/// Longest excerpt of rejected input an error message carries, in characters.
const EXCERPT_CHARS: usize = 64;

/// An entry that is neither an IP address nor a CIDR network.
///
/// The message quotes the entry (at most 64 characters of it) so that an
/// operator can find it in the configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not an IP address or CIDR network")]
pub struct InvalidNet {
    text: String,
}

impl InvalidNet {
    pub(crate) fn new(text: &str) -> Self {
        InvalidNet { text: excerpt(text) }
    }

    /// The rejected entry, cut to 64 characters (an ellipsis marks the cut).
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// The canonical form of an address: an IPv4-mapped IPv6 address
/// (`::ffff:a.b.c.d`) becomes the IPv4 address it carries; any other
/// address is returned unchanged.
///
/// Dual-stack sockets report IPv4 clients in mapped form; without this a
/// client would have two identities and escape per-IP limits and lists.
/// The deprecated IPv4-compatible form (`::a.b.c.d`) is not converted.
#[inline]
pub fn normalize_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// The canonical form of a network: host bits after the prefix cleared, and
/// a network inside `::ffff:0:0/96` with a prefix of at least 96 turned into
/// the IPv4 network it maps (`::ffff:192.0.2.0/120` is `192.0.2.0/24`).
///
/// A wider IPv6 network that happens to contain the mapped range (`::/0`,
/// `::/80`) stays IPv6 and does not match IPv4 addresses.
pub fn normalize_net(net: IpNet) -> IpNet {
    if let IpNet::V6(v6) = net
        && let Some(prefix) = v6.prefix_len().checked_sub(96)
        && let Some(v4) = v6.network().to_ipv4_mapped()
        && let Ok(v4net) = Ipv4Net::new(v4, prefix)
    {
        return IpNet::V4(v4net.trunc());
    }
    net.trunc()
}

/// Reads one network: an address (`192.0.2.7`, `2001:db8::1`), taken as a
/// /32 or /128, or an address and a prefix length (`192.0.2.0/24`,
/// `2001:db8::/32`). Surrounding whitespace is ignored.
///
/// The result is canonical ([`normalize_net`]): host bits set after the
/// prefix (`192.0.2.7/24`) are accepted and cleared (`192.0.2.0/24`), as
/// blocklists written by hand often carry them; IPv4-mapped entries become
/// IPv4. Ranges (`a-b`), netmasks (`/255.255.255.0`), zone ids (`%eth0`)
/// and prefix lengths with signs or more than three digits are rejected.
pub fn parse_net(text: &str) -> Result<IpNet, InvalidNet> {
    let entry = text.trim();
    let net = match entry.split_once('/') {
        None => entry.parse::<IpAddr>().ok().map(IpNet::from),
        Some((addr, prefix)) => {
            let prefix_ok = !prefix.is_empty() && prefix.len() <= 3 && prefix.bytes().all(|b| b.is_ascii_digit());
            match (addr.parse::<IpAddr>(), prefix_ok.then(|| prefix.parse::<u8>())) {
                (Ok(addr), Some(Ok(prefix))) => IpNet::new(addr, prefix).ok(),
                _ => None,
            }
        }
    };
    net.map(normalize_net).ok_or_else(|| InvalidNet::new(entry))
}

/// At most [`EXCERPT_CHARS`] characters of `text`, with an ellipsis when cut.
pub(crate) fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        None => text.to_owned(),
        Some((cut, _)) => {
            let mut short = text.get(..cut).unwrap_or_default().to_owned();
            short.push('…');
            short
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_cuts_on_a_character_boundary() {
        let long = "é".repeat(100);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(excerpt("short"), "short");
    }

    #[test]
    fn mapped_networks_become_ipv4() {
        let net = parse_net("::ffff:192.0.2.0/120").unwrap();
        assert_eq!(net.to_string(), "192.0.2.0/24");
        let net = parse_net("::ffff:0:0/96").unwrap();
        assert_eq!(net.to_string(), "0.0.0.0/0");
        let net = parse_net("::ffff:0:0/95").unwrap();
        assert_eq!(net.to_string(), "::fffe:0:0/95");
    }

    #[test]
    fn rejects_what_is_not_a_network() {
        for bad in [
            "",
            "/",
            "1.2.3.4/",
            "1.2.3.4/+8",
            "1.2.3.4/0008",
            "1.2.3.4/33",
            "::/129",
            "1.2.3.4/8/8",
            "x",
        ] {
            assert!(parse_net(bad).is_err(), "{bad}");
        }
    }
}
