//! What an adapter knows about a request before the handler runs,
//! framework-neutral: every adapter builds the same [`RequestContext`] from
//! the socket peer and the headers.
//!
//! ```
//! use tollgate::{EventKind, Timestamp};
//! use tollgate::net::TrustedProxies;
//! use tollgate_tower::context::{ContextConfig, RequestContext};
//!
//! let config = ContextConfig::new(TrustedProxies::parse(["10.0.0.0/8"])?);
//! let headers = [
//!     ("x-forwarded-for", &b"203.0.113.9"[..]),
//!     ("x-ja4", &b"t13d1516h2_8daaf6152771_02713d6af862"[..]),
//!     ("user-agent", &b"curl/8.5.0"[..]),
//! ];
//! let cx = RequestContext::new("10.0.0.2".parse()?, headers, &config);
//! assert_eq!(cx.client.addr.to_string(), "203.0.113.9");
//! assert!(cx.ja4.is_some(), "believed: the peer is a trusted proxy");
//!
//! let event = cx.event(EventKind::Login, Timestamp::EPOCH);
//! assert_eq!(event.ip, Some(cx.client.addr));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::net::IpAddr;

use tollgate::fingerprint::header_fingerprint;
use tollgate::net::{ClientIp, TrustedProxies};
use tollgate::policy::{Dimension, Policy};
use tollgate::pow::PowSolution;
use tollgate::{Event, EventKind, HeaderFingerprint, HeaderName, Http2Fingerprint, Ja3, Ja4, Timestamp, TlsShape};

/// Headers a TLS-terminating proxy sets with the client's fingerprints.
/// They are believed only from a trusted proxy: a client could set them too.
///
/// A client can also send them *through* the proxy. A proxy that replaces
/// them is safe; one that appends its own line leaves the client's before
/// it, so the context reads the **last** line (the nearest hop's), and of a
/// JA4 or JA3 line the last comma-separated element (a proxy may join its
/// value to the client's line, `x-ja4: <client's>, <proxy's>`). An HTTP/2
/// fingerprint holds commas itself, so a line that joins two (more than the
/// three `|` of one) is not believed. A malformed last value leaves the
/// fingerprint absent; an earlier line is never used instead. The proxy
/// must still set the header on every request: one it passes through
/// untouched is the client's, and believed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FingerprintHeaders {
    /// JA4 (default `x-ja4`).
    pub ja4: String,
    /// JA3 hash (default `x-ja3`).
    pub ja3: String,
    /// HTTP/2 fingerprint (default `x-http2-fingerprint`).
    pub http2: String,
}

impl Default for FingerprintHeaders {
    fn default() -> Self {
        FingerprintHeaders {
            ja4: "x-ja4".into(),
            ja3: "x-ja3".into(),
            http2: "x-http2-fingerprint".into(),
        }
    }
}

/// How contexts are built: whom to trust, which headers to keep.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ContextConfig {
    /// Proxies whose forwarding and fingerprint headers are believed.
    pub trusted: TrustedProxies,
    /// Fingerprint header names.
    pub fingerprints: FingerprintHeaders,
    /// Headers copied into events for `header:<name>` limit keys.
    pub named_headers: Vec<HeaderName>,
    /// Whether to compute the request's header fingerprint
    /// ([`tollgate::fingerprint::header_fingerprint`]). It costs a SHA-256
    /// of the header names per request, so [`ContextConfig::from_policy`]
    /// turns it on only when a limit keys on `header_fp`.
    pub header_fingerprint: bool,
}

impl ContextConfig {
    /// Trusting `trusted`, with the default fingerprint headers and no named headers.
    pub fn new(trusted: TrustedProxies) -> Self {
        ContextConfig {
            trusted,
            ..ContextConfig::default()
        }
    }

    /// The trusted proxies and the headers a policy's limits key on.
    pub fn from_policy(policy: &Policy) -> Self {
        let mut named_headers: Vec<HeaderName> = Vec::new();
        for dim in policy.limits.iter().flat_map(|l| l.key.iter()) {
            if let Dimension::Header(name) = dim {
                if !named_headers.contains(name) {
                    named_headers.push(name.clone());
                }
            }
        }
        let header_fingerprint = policy
            .limits
            .iter()
            .flat_map(|l| l.key.iter())
            .any(|dim| matches!(dim, Dimension::HeaderFp));
        ContextConfig {
            trusted: policy.network.trusted_proxies.clone(),
            fingerprints: FingerprintHeaders::default(),
            named_headers,
            header_fingerprint,
        }
    }
}

/// JA4 and JA3 values never hold a comma, so in a line a proxy joined to
/// the client's (`client, proxy`) the proxy's value is the last element.
fn last_element(value: &str) -> &str {
    value.rsplit(',').next().unwrap_or(value).trim()
}

/// The `|` in one Akamai HTTP/2 fingerprint (four fields). Its fields hold
/// commas, so a line joining two cannot be split: with more separators the
/// line is not believed at all.
const HTTP2_SEPARATORS: usize = 3;

/// The header carrying a proof-of-work solution: base64 of the JSON the
/// ALTCHA widget produces (`docs/challenges.md`).
pub const POW_HEADER: &str = "x-tollgate-pow";

/// Longest `x-tollgate-pow` value read. A solution is about 400 bytes of
/// base64; anything much longer is not one, and is not decoded.
const POW_HEADER_MAX: usize = 2_048;

/// The solution in an `x-tollgate-pow` value, or `None` for anything that
/// is not base64 (padded or not) of a solution's JSON: a malformed header
/// is no solution, never an error.
pub fn parse_pow_header(value: &[u8]) -> Option<PowSolution> {
    use base64::Engine as _;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let value = value.trim_ascii();
    if value.is_empty() || value.len() > POW_HEADER_MAX {
        return None;
    }
    let json = LENIENT.decode(value).ok()?;
    PowSolution::from_json(&json).ok()
}

/// The request's client as tollgate sees it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RequestContext {
    /// The client address, resolved through trusted proxies.
    pub client: ClientIp,
    /// JA4 from a trusted proxy's header (or native capture).
    pub ja4: Option<Ja4>,
    /// JA3 from a trusted proxy's header.
    pub ja3: Option<Ja3>,
    /// HTTP/2 fingerprint from a trusted proxy's header.
    pub http2: Option<Http2Fingerprint>,
    /// The ClientHello's structure, from a native capture
    /// ([`ConnectionFingerprints::tls_shape`](crate::ConnectionFingerprints::tls_shape)).
    pub tls_shape: Option<TlsShape>,
    /// The header fingerprint, when [`ContextConfig::header_fingerprint`]
    /// is on.
    pub header_fp: Option<HeaderFingerprint>,
    /// The `User-Agent` header (its last line).
    pub user_agent: Option<String>,
    /// The named headers present on the request (each one's last line).
    pub headers: Vec<(HeaderName, String)>,
    /// A proof-of-work solution from the [`POW_HEADER`] (its last line),
    /// when it parses.
    pub pow: Option<PowSolution>,
}

impl RequestContext {
    /// Builds the context from the socket peer and the request headers
    /// (names in any case, values as bytes; repeated headers in order).
    ///
    /// Of a header sent more than once, the last line is read (the
    /// fingerprint headers, `User-Agent`, the named headers): the nearest
    /// hop appends after what earlier ones and the client sent (see
    /// [`FingerprintHeaders`]). The forwarding headers are walked as
    /// [`TrustedProxies::resolve`] describes.
    pub fn new<'h, I>(peer: IpAddr, headers: I, config: &ContextConfig) -> RequestContext
    where
        I: IntoIterator<Item = (&'h str, &'h [u8])>,
        I::IntoIter: Clone,
    {
        let headers = headers.into_iter();
        let client = config.trusted.resolve(peer, headers.clone());
        let trusted_peer = config.trusted.is_trusted(peer);
        // The last line of a header is the nearest hop's: a proxy that
        // appends its value rather than replacing the client's puts it after
        // whatever the client sent. An unparsable last value is absent, never
        // replaced by an earlier (client's) one.
        let text = |name: &str| {
            headers
                .clone()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .last()
                .and_then(|(_, v)| std::str::from_utf8(v).ok())
                .map(str::trim)
        };
        let fp = &config.fingerprints;
        let believed = |name: &str| if trusted_peer { text(name) } else { None };
        RequestContext {
            client,
            ja4: believed(&fp.ja4).and_then(|v| last_element(v).parse().ok()),
            ja3: believed(&fp.ja3).and_then(|v| last_element(v).parse().ok()),
            http2: believed(&fp.http2)
                .filter(|v| v.matches('|').count() <= HTTP2_SEPARATORS)
                .and_then(|v| v.parse().ok()),
            tls_shape: None,
            header_fp: config.header_fingerprint.then(|| header_fingerprint(headers.clone())),
            user_agent: text("user-agent").map(str::to_owned),
            headers: config
                .named_headers
                .iter()
                .filter_map(|n| text(n.as_str()).map(|v| (n.clone(), v.to_owned())))
                .collect(),
            pow: headers
                .clone()
                .filter(|(n, _)| n.eq_ignore_ascii_case(POW_HEADER))
                .last()
                .and_then(|(_, v)| parse_pow_header(v)),
        }
    }

    /// An event of `kind` at `at` carrying everything the context knows.
    pub fn event(&self, kind: EventKind, at: Timestamp) -> Event {
        let mut event = Event::new(kind, at).with_client_ip(self.client);
        event.ja4 = self.ja4;
        event.ja3 = self.ja3;
        event.http2 = self.http2.clone();
        event.tls_shape = self.tls_shape.clone();
        event.header_fp = self.header_fp.clone();
        event.user_agent = self.user_agent.clone();
        event.headers = self.headers.clone();
        event.pow = self.pow.clone().map(Box::new);
        event
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JA4: &[u8] = b"t13d1516h2_8daaf6152771_02713d6af862";

    fn config() -> ContextConfig {
        let mut c = ContextConfig::new(TrustedProxies::parse(["10.0.0.0/8"]).unwrap());
        c.named_headers = vec!["x-client-id".parse().unwrap()];
        c
    }

    #[test]
    fn untrusted_peers_cannot_set_forwarding_or_fingerprints() {
        let headers = [
            ("X-Forwarded-For", &b"1.2.3.4"[..]),
            ("X-JA4", JA4),
            ("X-Client-Id", &b"web"[..]),
        ];
        let cx = RequestContext::new("198.51.100.7".parse().unwrap(), headers, &config());
        assert_eq!(cx.client.addr.to_string(), "198.51.100.7");
        assert_eq!(cx.ja4, None);
        assert_eq!(cx.headers.len(), 1, "named headers are data, not trust: kept");
    }

    #[test]
    fn trusted_peers_pass_client_and_fingerprints() {
        let headers = [
            ("x-forwarded-for", &b"1.2.3.4"[..]),
            ("x-ja4", JA4),
            ("x-ja3", &b"garbage"[..]),
        ];
        let cx = RequestContext::new("10.1.1.1".parse().unwrap(), headers, &config());
        assert_eq!(cx.client.addr.to_string(), "1.2.3.4");
        assert!(cx.ja4.is_some());
        assert_eq!(cx.ja3, None, "a malformed fingerprint is dropped, not an error");
        let e = cx.event(EventKind::Login, Timestamp::EPOCH);
        assert_eq!(e.ja4, cx.ja4);
    }

    #[test]
    fn the_nearest_proxys_value_wins_over_a_clients() {
        const CLIENT: &[u8] = b"t13d0000h2_000000000000_000000000000";
        const JA3: &[u8] = b"0123456789abcdef0123456789abcdef";
        const H2: &[u8] = b"1:65536;4:6291456;6:262144|15663105|0|m,a,s,p";
        let trusted = "10.1.1.1".parse().unwrap();
        // The client sent its own values; the proxy appended its lines.
        let appended = [
            ("x-ja4", CLIENT),
            ("x-ja3", &b"ffffffffffffffffffffffffffffffff"[..]),
            ("x-http2-fingerprint", &b"1:1|1|0|m,a,s,p"[..]),
            ("x-client-id", &b"forged"[..]),
            ("X-JA4", JA4),
            ("x-ja3", JA3),
            ("x-http2-fingerprint", H2),
            ("x-client-id", &b"web"[..]),
        ];
        let cx = RequestContext::new(trusted, appended, &config());
        assert_eq!(
            cx.ja4.map(|v| v.to_string()).as_deref(),
            Some("t13d1516h2_8daaf6152771_02713d6af862")
        );
        assert_eq!(cx.ja3.map(|v| v.to_string().into_bytes()).as_deref(), Some(JA3));
        assert_eq!(cx.http2.map(|v| v.to_string().into_bytes()).as_deref(), Some(H2));
        assert_eq!(cx.headers, vec![("x-client-id".parse().unwrap(), "web".to_owned())]);

        // The proxy joined its value to the client's line.
        let mut joined_ja4 = CLIENT.to_vec();
        joined_ja4.extend_from_slice(b", ");
        joined_ja4.extend_from_slice(JA4);
        let mut joined_h2 = b"1:1|1|0|m,a,s,p, ".to_vec();
        joined_h2.extend_from_slice(H2);
        let joined = [("x-ja4", &joined_ja4[..]), ("x-http2-fingerprint", &joined_h2[..])];
        let cx = RequestContext::new(trusted, joined, &config());
        assert_eq!(cx.ja4.map(|v| v.to_string().into_bytes()).as_deref(), Some(JA4));
        assert_eq!(
            cx.http2, None,
            "two HTTP/2 fingerprints in one line: neither is believed"
        );

        // A malformed last value is not replaced by an earlier one.
        let broken = [("x-ja4", JA4), ("x-ja4", &b"garbage"[..])];
        assert_eq!(RequestContext::new(trusted, broken, &config()).ja4, None);
    }

    #[test]
    fn header_fingerprint_only_when_asked() {
        let headers = [("Host", &b"example.com"[..]), ("Accept-Language", &b"de-CH"[..])];
        let peer = "198.51.100.7".parse().unwrap();
        assert_eq!(RequestContext::new(peer, headers, &config()).header_fp, None);
        let mut on = config();
        on.header_fingerprint = true;
        let cx = RequestContext::new(peer, headers, &on);
        assert_eq!(cx.header_fp, Some(header_fingerprint(headers)));
        let p = Policy::from_toml(
            "[[limits]]\nname = \"hfp\"\nevents = [\"login\"]\nkey = [\"header_fp\"]\nrate = \"1/min\"\nburst = 1\n",
        )
        .unwrap();
        assert!(ContextConfig::from_policy(&p).header_fingerprint);
        assert!(!ContextConfig::from_policy(&Policy::default()).header_fingerprint);
    }

    #[test]
    fn the_pow_header_is_a_solution_or_nothing() {
        use base64::Engine as _;
        let json = br#"{"algorithm":"SHA-256","challenge":"ab","number":12,"salt":"s?expires=1&event=login&","signature":"cd","took":40}"#;
        let padded = base64::engine::general_purpose::STANDARD.encode(json);
        let peer = "198.51.100.7".parse().unwrap();
        let cx = RequestContext::new(peer, [("X-Tollgate-Pow", padded.as_bytes())], &config());
        let pow = cx.pow.clone().unwrap();
        assert_eq!((pow.number, pow.salt.as_str()), (12, "s?expires=1&event=login&"));
        assert_eq!(cx.event(EventKind::Login, Timestamp::EPOCH).pow.as_deref(), Some(&pow));
        let unpadded = padded.trim_end_matches('=');
        assert_eq!(parse_pow_header(unpadded.as_bytes()), Some(pow));
        for garbage in [
            &b""[..],
            b"!!!",
            b"e30=",
            base64::engine::general_purpose::STANDARD.encode(b"[1,2]").as_bytes(),
            &[b'A'; 4096][..],
            &[0xff, 0xfe][..],
        ] {
            assert_eq!(parse_pow_header(garbage), None);
        }
        let cx = RequestContext::new(peer, [("x-tollgate-pow", &b"not base64"[..])], &config());
        assert_eq!(cx.pow, None);
        assert_eq!(cx.event(EventKind::Login, Timestamp::EPOCH).pow, None);
    }

    #[test]
    fn policy_names_the_headers_to_keep() {
        let p = Policy::from_toml(
            "[[limits]]\nname = \"app\"\nevents = [\"login\"]\nkey = [\"header:X-App\", \"ip\"]\nrate = \"1/min\"\nburst = 1\n",
        )
        .unwrap();
        let c = ContextConfig::from_policy(&p);
        assert_eq!(c.named_headers, vec!["x-app".parse::<HeaderName>().unwrap()]);
    }
}
