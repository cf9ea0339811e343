//! One hop of a forwarding chain: an `X-Forwarded-For` entry, an
//! `X-Real-IP` value or an RFC 7239 `Forwarded` element, read into what the
//! resolver needs (an address, an identifier hiding one, or garbage).
//!
//! Nothing here allocates or panics: values are byte slices, a quoted
//! `for=` value is unescaped into a small stack buffer.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::addr::normalize_ip;

/// Longest node (`"[" IPv6 "]:" port`, an obfuscated identifier) read, in
/// bytes. The longest IPv6 text with brackets and a port is 53 bytes.
const MAX_NODE: usize = 64;

/// What one hop of a chain says about the client behind it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hop {
    /// An address, canonical (IPv4-mapped IPv6 as IPv4).
    Addr(IpAddr),
    /// `unknown`, an obfuscated identifier (`_hidden`), or a `Forwarded`
    /// element without `for=`: the proxy that wrote it withheld the address.
    Obfuscated,
    /// Not an address nor a well-formed identifier.
    Malformed,
}

/// Strips optional whitespace (spaces and tabs) from both ends.
pub(crate) fn trim_ows(mut b: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = b {
        b = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = b {
        b = rest;
    }
    b
}

/// Reads a node: `192.0.2.1`, `192.0.2.1:8080`, `2001:db8::1`,
/// `[2001:db8::1]`, `[2001:db8::1]:443`, `unknown`, `_hidden`,
/// `192.0.2.1:_port`. `b` is already trimmed.
pub(crate) fn node(b: &[u8]) -> Hop {
    if b.len() > MAX_NODE || b.is_empty() {
        return Hop::Malformed;
    }
    if b.eq_ignore_ascii_case(b"unknown") {
        return Hop::Obfuscated;
    }
    if let [b'_', ident @ ..] = b {
        return if is_obfuscated(ident) {
            Hop::Obfuscated
        } else {
            Hop::Malformed
        };
    }
    let addr = if let [b'[', rest @ ..] = b {
        bracketed(rest)
    } else {
        let text = std::str::from_utf8(b).ok();
        match text.and_then(|t| t.parse::<IpAddr>().ok()) {
            Some(ip) => Some(ip),
            // One colon: an IPv4 address and a port.
            None => text
                .and_then(|t| t.split_once(':'))
                .filter(|(_, port)| is_port(port.as_bytes()))
                .and_then(|(host, _)| host.parse::<Ipv4Addr>().ok())
                .map(IpAddr::V4),
        }
    };
    addr.map_or(Hop::Malformed, |ip| Hop::Addr(normalize_ip(ip)))
}

/// `2001:db8::1]` or `2001:db8::1]:port` (the opening bracket is gone).
fn bracketed(b: &[u8]) -> Option<IpAddr> {
    let close = b.iter().position(|&c| c == b']')?;
    let (inner, rest) = b.split_at(close);
    match rest {
        [b']'] => {}
        [b']', b':', port @ ..] if is_port(port) => {}
        _ => return None,
    }
    let ip = std::str::from_utf8(inner).ok()?.parse::<Ipv6Addr>().ok()?;
    Some(IpAddr::V6(ip))
}

/// A port: 1 to 5 digits up to 65535, or an obfuscated port (`_abc`).
fn is_port(b: &[u8]) -> bool {
    match b {
        [b'_', ident @ ..] => is_obfuscated(ident),
        digits if !digits.is_empty() && digits.len() <= 5 && digits.iter().all(u8::is_ascii_digit) => {
            digits.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')) <= 65_535
        }
        _ => false,
    }
}

/// The part after `_` of an RFC 7239 obfuscated identifier:
/// `1*( ALPHA / DIGIT / "." / "_" / "-")`.
fn is_obfuscated(ident: &[u8]) -> bool {
    !ident.is_empty()
        && ident
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

/// An RFC 9110 token character.
fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// An unquoted parameter value: a token, leniently also with `:`, `[` and
/// `]`, which some proxies write unquoted around IPv6 addresses and ports.
fn is_lenient_token(b: &[u8]) -> bool {
    !b.is_empty() && b.iter().all(|&c| is_tchar(c) || matches!(c, b':' | b'[' | b']'))
}

/// Reads one `Forwarded` element (`for=...;proto=...;by=...`, already cut
/// out of the list) into the hop its `for=` parameter names.
///
/// The element must be well-formed as a whole: every parameter a
/// `name=value` pair with a token name and a token or quoted-string value,
/// `for` at most once. A quoted string holding a comma was cut in two by
/// the list split and so reads as malformed, never as a wrong address.
/// Empty parameters (`for=a;;proto=b`, a trailing `;`) and whitespace
/// around `;` and `=` are tolerated. An element without `for` counts as
/// `for=unknown`.
pub(crate) fn forwarded_element(elem: &[u8]) -> Hop {
    let mut found = None;
    for pair in elem.split(|&c| c == b';') {
        let pair = trim_ows(pair);
        if pair.is_empty() {
            continue;
        }
        let Some(eq) = pair.iter().position(|&c| c == b'=') else {
            return Hop::Malformed;
        };
        let (name, value) = pair.split_at(eq);
        let name = trim_ows(name);
        let value = trim_ows(value.get(1..).unwrap_or_default());
        if name.is_empty() || !name.iter().all(|&c| is_tchar(c)) {
            return Hop::Malformed;
        }
        let is_for = name.eq_ignore_ascii_case(b"for");
        if is_for && found.is_some() {
            return Hop::Malformed;
        }
        let mut buf = [0u8; MAX_NODE];
        let hop = match value {
            [b'"', quoted @ ..] => match unquote(quoted, &mut buf, is_for) {
                Some(len) if is_for => node(trim_ows(buf.get(..len).unwrap_or_default())),
                Some(_) => continue,
                None => return Hop::Malformed,
            },
            token if is_lenient_token(token) => {
                if !is_for {
                    continue;
                }
                node(token)
            }
            _ => return Hop::Malformed,
        };
        found = Some(hop);
    }
    found.unwrap_or(Hop::Obfuscated)
}

/// Reads the rest of a quoted string after its opening quote: it must end
/// with the closing quote and hold no other unescaped quote nor control
/// character but tab. With `keep`, the unescaped content goes into `buf`
/// and its length is returned (`None` if it does not fit); without, the
/// string is only checked.
fn unquote(quoted: &[u8], buf: &mut [u8; MAX_NODE], keep: bool) -> Option<usize> {
    let [inner @ .., b'"'] = quoted else { return None };
    let mut len = 0usize;
    let mut bytes = inner.iter();
    while let Some(&c) = bytes.next() {
        let c = match c {
            b'\\' => *bytes.next()?,
            b'"' => return None,
            _ => c,
        };
        if (c.is_ascii_control() && c != b'\t') || c == 0x7f {
            return None;
        }
        if keep {
            *buf.get_mut(len)? = c;
            len += 1;
        }
    }
    Some(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> Hop {
        Hop::Addr(s.parse().unwrap())
    }

    #[test]
    fn nodes() {
        assert_eq!(node(b"192.0.2.1"), addr("192.0.2.1"));
        assert_eq!(node(b"192.0.2.1:8080"), addr("192.0.2.1"));
        assert_eq!(node(b"192.0.2.1:_p0rt"), addr("192.0.2.1"));
        assert_eq!(node(b"2001:db8::1"), addr("2001:db8::1"));
        assert_eq!(node(b"[2001:db8::1]"), addr("2001:db8::1"));
        assert_eq!(node(b"[2001:db8::1]:4711"), addr("2001:db8::1"));
        assert_eq!(node(b"::ffff:192.0.2.1"), addr("192.0.2.1"));
        assert_eq!(node(b"[::ffff:192.0.2.1]:80"), addr("192.0.2.1"));
        assert_eq!(node(b"unknown"), Hop::Obfuscated);
        assert_eq!(node(b"UNKNOWN"), Hop::Obfuscated);
        assert_eq!(node(b"_hidden"), Hop::Obfuscated);
        for bad in [
            &b""[..],
            b"_",
            b"_a,b",
            b"192.0.2.1:",
            b"192.0.2.1:65536",
            b"192.0.2.1:123456",
            b"192.0.2.1:80:80",
            b"[192.0.2.1]",
            b"[2001:db8::1",
            b"[2001:db8::1]80",
            b"[2001:db8::1]:",
            b"2001:db8::1:80:",
            b"fe80::1%eth0",
            b"01.2.3.4",
            b"\xff\xfe",
            b"localhost",
        ] {
            assert_eq!(node(bad), Hop::Malformed, "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(node(&[b'1'; 65]), Hop::Malformed);
    }

    #[test]
    fn forwarded_elements() {
        assert_eq!(
            forwarded_element(b"for=192.0.2.60;proto=http;by=203.0.113.43"),
            addr("192.0.2.60")
        );
        assert_eq!(
            forwarded_element(b"For=\"[2001:db8:cafe::17]:4711\""),
            addr("2001:db8:cafe::17")
        );
        assert_eq!(forwarded_element(b"for=\"192.0.2.1:8080\""), addr("192.0.2.1"));
        assert_eq!(
            forwarded_element(b" proto=https ; for = 192.0.2.1 ;"),
            addr("192.0.2.1")
        );
        assert_eq!(forwarded_element(b"for=\"\\[2001:db8::1\\]\""), addr("2001:db8::1"));
        assert_eq!(forwarded_element(b"for=[2001:db8::1]:80"), addr("2001:db8::1"));
        assert_eq!(forwarded_element(b"for=unknown"), Hop::Obfuscated);
        assert_eq!(forwarded_element(b"for=_hidden;by=_proxy"), Hop::Obfuscated);
        assert_eq!(forwarded_element(b"proto=https;by=203.0.113.43"), Hop::Obfuscated);
        for bad in [
            &b"for=192.0.2.1;for=192.0.2.2"[..],
            b"for=\"192.0.2.1",
            b"for=192.0.2.1\"",
            b"for=\"192.0.2.1\"x",
            b"for=\"a\"b\"",
            b"for=\"\\\"",
            b"host=\"a",
            b"for=192.0.2.1;host",
            b"=192.0.2.1",
            b"f o r=192.0.2.1",
            b"for=",
            b"for=a b",
            b"for=\"\t\x01\"",
        ] {
            assert_eq!(
                forwarded_element(bad),
                Hop::Malformed,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn long_quoted_values_of_other_parameters_are_fine() {
        let long = format!("for=192.0.2.1;host=\"{}\"", "h".repeat(200));
        assert_eq!(forwarded_element(long.as_bytes()), addr("192.0.2.1"));
        let long = format!("for=\"{}\"", "1".repeat(200));
        assert_eq!(forwarded_element(long.as_bytes()), Hop::Malformed);
    }
}
