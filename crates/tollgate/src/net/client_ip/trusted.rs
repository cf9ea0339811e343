//! The resolver's configuration: which proxies to believe, and which of
//! their forwarding headers to read.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::net::IpSet;
use crate::net::addr::{InvalidNet, parse_net};

/// Which proxies to believe, and which of their headers to read.
///
/// By default no proxy is trusted (every request is attributed to its
/// socket peer); `X-Forwarded-For` and `Forwarded` are read from trusted
/// peers, `X-Real-IP` is not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedProxies {
    pub(super) proxies: IpSet,
    pub(super) x_forwarded_for: bool,
    pub(super) forwarded: bool,
    pub(super) x_real_ip: bool,
}

impl Default for TrustedProxies {
    fn default() -> Self {
        TrustedProxies::from(IpSet::new())
    }
}

impl From<IpSet> for TrustedProxies {
    fn from(proxies: IpSet) -> Self {
        TrustedProxies {
            proxies,
            x_forwarded_for: true,
            // Off: nginx and most load balancers maintain X-Forwarded-For and
            // pass a client's Forwarded through untouched, which would let
            // the client choose its address.
            forwarded: false,
            x_real_ip: false,
        }
    }
}

impl TrustedProxies {
    /// Trusts these networks, with the default headers.
    pub fn new(proxies: impl IntoIterator<Item = IpNet>) -> Self {
        TrustedProxies::from(proxies.into_iter().collect::<IpSet>())
    }

    /// Trusts the networks or addresses written in `entries` (`10.0.0.0/8`,
    /// `192.0.2.7`, `2001:db8::/48`; see [`parse_net`]), with the default
    /// headers. The error quotes the first entry that does not parse.
    pub fn parse<I, S>(entries: I) -> Result<Self, InvalidNet>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let nets = entries
            .into_iter()
            .map(|e| parse_net(e.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustedProxies::new(nets))
    }

    /// Reads (`true`, the default) or ignores `X-Forwarded-For`.
    #[must_use]
    pub fn with_x_forwarded_for(mut self, read: bool) -> Self {
        self.x_forwarded_for = read;
        self
    }

    /// Reads (`true`) or ignores (the default) RFC 7239 `Forwarded`. Enable
    /// it only when every trusted proxy sets or overwrites it.
    #[must_use]
    pub fn with_forwarded(mut self, read: bool) -> Self {
        self.forwarded = read;
        self
    }

    /// Reads (`true`) or ignores (the default) `X-Real-IP`.
    #[must_use]
    pub fn with_x_real_ip(mut self, read: bool) -> Self {
        self.x_real_ip = read;
        self
    }

    /// The trusted proxy networks.
    pub fn proxies(&self) -> &IpSet {
        &self.proxies
    }

    /// Is `ip` a trusted proxy? IPv4-mapped addresses count as IPv4.
    pub fn is_trusted(&self, ip: IpAddr) -> bool {
        self.proxies.contains(ip)
    }

    /// Is `X-Forwarded-For` read?
    pub fn x_forwarded_for(&self) -> bool {
        self.x_forwarded_for
    }

    /// Is `Forwarded` read?
    pub fn forwarded(&self) -> bool {
        self.forwarded
    }

    /// Is `X-Real-IP` read?
    pub fn x_real_ip(&self) -> bool {
        self.x_real_ip
    }
}
