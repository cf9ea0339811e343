//! Limit rules: keyed GCRA limits over any combination of event fields.

use std::fmt;
use std::str::FromStr;

use super::Rate;
use crate::{Channel, EventType, HeaderName};

/// An event field a limit can key on.
///
/// Written in policies as `ip`, `ip_prefix`, `asn`, `country`, `ja4`, `ja3`,
/// `http2`, `header_fp`, `header:<name>`, `user`, `user_agent`, `phone`,
/// `phone_prefix` or `device`. A rule whose key names a field the event does
/// not carry does not apply to that event.
///
/// ```
/// use tollgate::policy::Dimension;
///
/// let d: Dimension = "header:X-Client-Id".parse()?;
/// assert_eq!(d.to_string(), "header:x-client-id");
/// # Ok::<(), tollgate::FieldError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dimension {
    /// The client IP address.
    Ip,
    /// The client's network: the IP masked to the policy's prefix lengths
    /// (`/24` for IPv4 and `/48` for IPv6 by default).
    IpPrefix,
    /// The autonomous system.
    Asn,
    /// The country.
    Country,
    /// The JA4 TLS fingerprint.
    Ja4,
    /// The JA3 TLS fingerprint.
    Ja3,
    /// The HTTP/2 fingerprint.
    Http2,
    /// The header fingerprint.
    HeaderFp,
    /// The value of a named request header.
    Header(HeaderName),
    /// The account.
    User,
    /// The user agent string.
    UserAgent,
    /// The phone number.
    Phone,
    /// The phone number without its last digits (the policy's
    /// `keys.phone_prefix_drop`, 3 by default).
    PhonePrefix,
    /// The device id.
    Device,
}

const NAMES: [(&str, Dimension); 13] = [
    ("ip", Dimension::Ip),
    ("ip_prefix", Dimension::IpPrefix),
    ("asn", Dimension::Asn),
    ("country", Dimension::Country),
    ("ja4", Dimension::Ja4),
    ("ja3", Dimension::Ja3),
    ("http2", Dimension::Http2),
    ("header_fp", Dimension::HeaderFp),
    ("user", Dimension::User),
    ("user_agent", Dimension::UserAgent),
    ("phone", Dimension::Phone),
    ("phone_prefix", Dimension::PhonePrefix),
    ("device", Dimension::Device),
];

impl FromStr for Dimension {
    type Err = crate::FieldError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(name) = s.strip_prefix("header:") {
            return name.parse().map(Dimension::Header);
        }
        NAMES
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, d)| d.clone())
            .ok_or(crate::FieldError::new(
                "key",
                "unknown dimension (ip, ip_prefix, asn, country, ja4, ja3, http2, header_fp, header:<name>, user, user_agent, phone, phone_prefix, device)",
            ))
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Dimension::Header(name) = self {
            return write!(f, "header:{name}");
        }
        let name = NAMES.iter().find(|(_, d)| d == self).map_or("?", |(n, _)| n);
        f.write_str(name)
    }
}

/// What a limit rule counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Counts {
    /// Every evaluated event of the rule's types takes `cost` from the quota.
    #[default]
    Attempts,
    /// Only failed outcomes ([`Engine::record`](crate::Engine::record)) take
    /// from the quota; events are checked against it without spending, and
    /// trip the rule while it is exhausted.
    Failures,
}

/// What happens when a limit is exceeded.
///
/// In TOML: `on_exceed = "throttle"`, or `on_exceed = { score = 30 }`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum OnExceed {
    /// HTTP 429 until the quota admits the event again.
    #[default]
    Throttle,
    /// Step-up authentication.
    Challenge,
    /// Refuse outright.
    Deny,
    /// Add this many points to the score and let the thresholds decide.
    Score(u8),
}

/// One keyed limit.
///
/// ```toml
/// [[limits]]
/// name = "login-ja4-asn"
/// events = ["login"]
/// key = ["ja4", "asn"]
/// rate = "30/min"
/// burst = 60
/// ```
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct LimitRule {
    /// Unique name: shown in reasons and RateLimit headers, and it
    /// identifies the rule's counters across policy swaps. Lower-case
    /// letters, digits, `-`, `_` and `.`.
    pub name: String,
    /// Event types the rule applies to.
    pub events: Vec<EventType>,
    /// For OTP events: only these channels (empty: every channel).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub channels: Vec<Channel>,
    /// The fields whose combined value is the limiter key.
    #[cfg_attr(feature = "serde", serde(with = "dimension_list"))]
    pub key: Vec<Dimension>,
    /// Sustained rate.
    pub rate: Rate,
    /// Events admitted at once from a full quota.
    pub burst: u32,
    /// Quota units one event (or one failure) takes.
    #[cfg_attr(feature = "serde", serde(default = "one"))]
    pub cost: u32,
    /// What is counted.
    #[cfg_attr(feature = "serde", serde(default))]
    pub counts: Counts,
    /// For `counts = "failures"`: a successful outcome for the same key
    /// refills the quota (consecutive-failure semantics).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "std::ops::Not::not"))]
    pub reset_on_success: bool,
    /// What an exceeded limit does.
    #[cfg_attr(feature = "serde", serde(default))]
    pub on_exceed: OnExceed,
    /// Report what the rule would do without enforcing it.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "std::ops::Not::not"))]
    pub monitor: bool,
    /// Clients the rule does not hold, so that an account-wide limit a
    /// stranger can exhaust still lets the owner's own client through. See
    /// [`Exempt`] and `docs/security.md`.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub except: Vec<Exempt>,
}

/// A client a limit rule spares (`except = ["known_device"]`).
///
/// A limit keyed on what an attacker can name (an account, a number) is a
/// switch anyone can throw against its owner. Sparing the owner's own
/// client keeps the limit for everyone else.
///
/// ```
/// use tollgate::policy::{Exempt, Policy};
///
/// let policy = Policy::from_toml(r#"
///     [[limits]]
///     name = "verify-ceiling"
///     events = ["otp_verify"]
///     key = ["user"]
///     rate = "10/h"
///     burst = 10
///     counts = "failures"
///     on_exceed = "challenge"
///     except = ["code_requester", "known_device"]
/// "#)?;
/// assert_eq!(policy.limits[0].except, [Exempt::CodeRequester, Exempt::KnownDevice]);
/// # Ok::<(), tollgate::policy::PolicyError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Exempt {
    /// For rules on `otp_verify` alone: a verification from the network
    /// that asked for the code (the recorded `otp_send`, within
    /// `otp.relay.window_minutes`). Bound that network with a rule keyed on
    /// `user` and `ip_prefix`.
    CodeRequester,
    /// A client whose device id (`Event::with_device`: a long-lived,
    /// unguessable cookie or app installation id, never a fingerprint) was
    /// seen in one of the user's successful logins. Events without a device
    /// id are held.
    KnownDevice,
    /// For destination rules (`[[otp.destinations]]`): a send to a number
    /// that verified a code before, for the event's account
    /// (`[otp.known_numbers]`). A pump's numbers never verify; a person in
    /// a high-risk destination gets their codes without a step-up each
    /// time.
    KnownNumber,
}

#[cfg(feature = "serde")]
fn one() -> u32 {
    1
}

impl LimitRule {
    /// A rule counting attempts, throttling when exceeded, cost 1.
    pub fn new(name: impl Into<String>, events: &[EventType], key: &[Dimension], rate: Rate, burst: u32) -> Self {
        LimitRule {
            name: name.into(),
            events: events.to_vec(),
            channels: Vec::new(),
            key: key.to_vec(),
            rate,
            burst,
            cost: 1,
            counts: Counts::Attempts,
            reset_on_success: false,
            on_exceed: OnExceed::Throttle,
            monitor: false,
            except: Vec::new(),
        }
    }

    /// Restricts the rule to OTP events on these channels.
    #[must_use]
    pub fn channels(mut self, channels: &[Channel]) -> Self {
        self.channels = channels.to_vec();
        self
    }

    /// Counts failures instead of attempts.
    #[must_use]
    pub fn counting_failures(mut self, reset_on_success: bool) -> Self {
        self.counts = Counts::Failures;
        self.reset_on_success = reset_on_success;
        self
    }

    /// Sets what an exceeded limit does.
    #[must_use]
    pub fn on_exceed(mut self, on_exceed: OnExceed) -> Self {
        self.on_exceed = on_exceed;
        self
    }

    /// Puts the rule in monitor mode.
    #[must_use]
    pub fn monitor(mut self, monitor: bool) -> Self {
        self.monitor = monitor;
        self
    }

    /// Spares these clients (see [`Exempt`]).
    #[must_use]
    pub fn except(mut self, except: &[Exempt]) -> Self {
        self.except = except.to_vec();
        self
    }
}

#[cfg(feature = "serde")]
pub(crate) mod dimension_list {
    use super::Dimension;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(crate) fn serialize<S: Serializer>(dims: &[Dimension], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(dims.iter().map(ToString::to_string))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Dimension>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|s| s.parse().map_err(|e| D::Error::custom(format!("{e}: {s:?}"))))
            .collect()
    }
}
