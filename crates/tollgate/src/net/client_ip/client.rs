//! What resolution returns: the client address and where it came from.

use std::net::IpAddr;

use super::{ForwardingHeader, HeaderAnomaly};

/// The resolved client address of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ClientIp {
    /// The client address, canonical (IPv4-mapped IPv6 as IPv4).
    pub addr: IpAddr,
    /// Where the address came from.
    pub source: ClientIpSource,
    /// Set when a header could not be used in full: `addr` is then the
    /// fallback described on [`HeaderAnomaly`].
    pub anomaly: Option<HeaderAnomaly>,
}

/// Where a [`ClientIp`] came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientIpSource {
    /// The socket peer: it is not a trusted proxy, no enabled header was
    /// present, or a header failed before naming any hop.
    Peer,
    /// A hop of the RFC 7239 `Forwarded` header.
    Forwarded,
    /// A hop of `X-Forwarded-For`.
    XForwardedFor,
    /// The `X-Real-IP` header.
    XRealIp,
}

impl From<ForwardingHeader> for ClientIpSource {
    fn from(header: ForwardingHeader) -> Self {
        match header {
            ForwardingHeader::Forwarded => ClientIpSource::Forwarded,
            ForwardingHeader::XForwardedFor => ClientIpSource::XForwardedFor,
            ForwardingHeader::XRealIp => ClientIpSource::XRealIp,
        }
    }
}
