//! The headers that carry a client address through proxies.

use std::fmt;

/// A header that carries the client address through proxies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ForwardingHeader {
    /// RFC 7239 `Forwarded`.
    Forwarded,
    /// `X-Forwarded-For`.
    XForwardedFor,
    /// `X-Real-IP`.
    XRealIp,
}

impl ForwardingHeader {
    /// The header's name as usually written: `Forwarded`,
    /// `X-Forwarded-For`, `X-Real-IP`.
    pub fn name(self) -> &'static str {
        match self {
            ForwardingHeader::Forwarded => "Forwarded",
            ForwardingHeader::XForwardedFor => "X-Forwarded-For",
            ForwardingHeader::XRealIp => "X-Real-IP",
        }
    }
}

impl fmt::Display for ForwardingHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
