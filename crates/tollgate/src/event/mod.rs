//! Events: what happened, when, and everything known about who did it.
//!
//! An [`Event`] is built by the service (or an adapter) for each login,
//! sign-up, OTP send, OTP verification or credential change, and handed to
//! [`Engine::evaluate`](crate::Engine::evaluate). Only the kind and the time
//! are required; every other field is optional and each one a limit or a
//! signal can use.
//!
//! ```
//! use tollgate::{Channel, Event, EventKind, Timestamp};
//!
//! let at = Timestamp::from_unix_millis(1_700_000_000_000);
//! let event = Event::new(EventKind::OtpSend { channel: Channel::Sms }, at)
//!     .with_ip("203.0.113.7".parse()?)
//!     .with_user("alice")
//!     .with_phone("+447700900123".parse()?);
//! assert_eq!(event.kind.event_type(), tollgate::EventType::OtpSend);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod fingerprint;
mod geo;
mod ids;
mod kind;
mod tls_shape;
#[cfg(feature = "serde")]
mod wire;

use std::net::IpAddr;

pub use error::FieldError;
pub use fingerprint::{HeaderFingerprint, HeaderName, Http2Fingerprint, Ja3, Ja4};
pub use geo::{Asn, Country, Location};
pub use ids::{DeviceId, E164, UserId};
pub use kind::{Channel, CredentialKind, EventKind, EventType};
pub use tls_shape::{TLS_SHAPE_MAX_LIST, TlsShape};
#[cfg(feature = "serde")]
pub use wire::{Record, WireError};

use crate::Timestamp;

/// One login, sign-up, OTP send, OTP verification or credential change.
///
/// Construct with [`Event::new`] and the `with_*` methods; the fields are
/// public for reading and adjusting. In JSON an event is a flat object, see
/// `docs/events.md`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// When it happened. The engine takes this as "now".
    pub at: Timestamp,
    /// The client's IP address, already resolved through trusted proxies.
    pub ip: Option<IpAddr>,
    /// The account concerned.
    pub user: Option<UserId>,
    /// The phone number an OTP goes to, or the account's phone.
    pub phone: Option<E164>,
    /// JA4 TLS fingerprint of the client connection.
    pub ja4: Option<Ja4>,
    /// JA3 TLS fingerprint of the client connection.
    pub ja3: Option<Ja3>,
    /// The structure of the client's ClientHello (JA4_r and GREASE use),
    /// which lets the browser-family check accept a release whose exact
    /// JA4 it has not seen.
    pub tls_shape: Option<TlsShape>,
    /// HTTP/2 fingerprint of the client connection.
    pub http2: Option<Http2Fingerprint>,
    /// Fingerprint of the request's header set.
    pub header_fp: Option<HeaderFingerprint>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// Further request headers a policy may key on (`header:<name>`).
    pub headers: Vec<(HeaderName, String)>,
    /// A device identifier the service tracks.
    pub device: Option<DeviceId>,
    /// The client's country, when resolved upstream (e.g. by a CDN).
    pub country: Option<Country>,
    /// The client's ASN, when resolved upstream.
    pub asn: Option<Asn>,
    /// The client's position, when resolved upstream.
    pub location: Option<Location>,
    /// Garbage the adapter found in a forwarding header while resolving
    /// [`ip`](Event::ip) (see [`TrustedProxies::resolve`](crate::net::TrustedProxies::resolve)).
    /// Set by adapters; not part of the JSON form.
    pub forwarding_anomaly: Option<crate::net::HeaderAnomaly>,
    /// The service found the submitted password in a compromised-password
    /// corpus. Only the verdict travels: never the password.
    pub compromised_password: bool,
    /// The service's own records show [`device`](Event::device) signing in
    /// to this account before: a remembered-devices table (the one behind
    /// "new sign-in" emails), or a signed device cookie that names the
    /// account. Familiarity then counts the device as the account's own
    /// before its own history has seen it, as on a new deployment. Ignored
    /// without a device id or a user. Set it only from records a client
    /// cannot forge.
    pub host_known_device: bool,
    /// The client's solution of a proof-of-work challenge (the
    /// `x-tollgate-pow` header in the adapters). Set by adapters; not part
    /// of the JSON form.
    pub pow: Option<Box<crate::pow::PowSolution>>,
    /// The SHA-1 of the submitted password (the digest the
    /// compromised-password lookup uses), for spotting one password tried
    /// against many accounts. The engine keys its counters on a keyed hash
    /// of it and never stores the digest. Not part of the JSON form: a
    /// common password's SHA-1 is one dictionary lookup from the password.
    pub password: Option<crate::password::PasswordSha1>,
}

macro_rules! with_fields {
    ($($(#[$doc:meta])* $method:ident($field:ident: $ty:ty);)*) => {
        $(
            $(#[$doc])*
            #[must_use]
            pub fn $method(mut self, value: $ty) -> Self {
                self.$field = Some(value);
                self
            }
        )*
    };
}

impl Event {
    /// An event of `kind` at `at`, with no other field set.
    pub fn new(kind: EventKind, at: Timestamp) -> Self {
        Event {
            kind,
            at,
            ip: None,
            user: None,
            phone: None,
            ja4: None,
            ja3: None,
            tls_shape: None,
            http2: None,
            header_fp: None,
            user_agent: None,
            headers: Vec::new(),
            device: None,
            country: None,
            asn: None,
            location: None,
            forwarding_anomaly: None,
            compromised_password: false,
            host_known_device: false,
            pow: None,
            password: None,
        }
    }

    with_fields! {
        /// Sets the client IP address.
        with_ip(ip: IpAddr);
        /// Sets the phone number.
        with_phone(phone: E164);
        /// Sets the JA4 fingerprint.
        with_ja4(ja4: Ja4);
        /// Sets the JA3 fingerprint.
        with_ja3(ja3: Ja3);
        /// Sets the ClientHello's structure.
        with_tls_shape(tls_shape: TlsShape);
        /// Sets the HTTP/2 fingerprint.
        with_http2(http2: Http2Fingerprint);
        /// Sets the header fingerprint.
        with_header_fp(header_fp: HeaderFingerprint);
        /// Sets the upstream-resolved country.
        with_country(country: Country);
        /// Sets the upstream-resolved ASN.
        with_asn(asn: Asn);
        /// Sets the upstream-resolved position.
        with_location(location: Location);
        /// Sets the SHA-1 of the submitted password (see [`Event::password`]).
        with_password(password: crate::password::PasswordSha1);
    }

    /// Sets the account.
    #[must_use]
    pub fn with_user(mut self, user: impl Into<UserId>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Sets the device id.
    #[must_use]
    pub fn with_device(mut self, device: impl Into<DeviceId>) -> Self {
        self.device = Some(device.into());
        self
    }

    /// Sets the user agent.
    #[must_use]
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Sets the client's proof-of-work solution.
    #[must_use]
    pub fn with_pow(mut self, solution: crate::pow::PowSolution) -> Self {
        self.pow = Some(Box::new(solution));
        self
    }

    /// Sets the client IP and any forwarding-header anomaly from a
    /// resolution through trusted proxies.
    #[must_use]
    pub fn with_client_ip(mut self, client: crate::net::ClientIp) -> Self {
        self.ip = Some(client.addr);
        self.forwarding_anomaly = client.anomaly;
        self
    }

    /// Adds a named header value (replacing an earlier value of that name).
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.into()));
        self
    }

    /// Marks the submitted password as known to be compromised.
    #[must_use]
    pub fn with_compromised_password(mut self, compromised: bool) -> Self {
        self.compromised_password = compromised;
        self
    }

    /// Marks the event's device as one the service's own records show
    /// signing in to this account before ([`Event::host_known_device`]).
    ///
    /// ```
    /// use tollgate::{Event, EventKind, Timestamp};
    ///
    /// let login = Event::new(EventKind::Login, Timestamp::EPOCH)
    ///     .with_user("alice")
    ///     .with_device("cookie-7f3a")
    ///     .with_host_known_device(true);
    /// assert!(login.host_known_device);
    /// ```
    #[must_use]
    pub fn with_host_known_device(mut self, known: bool) -> Self {
        self.host_known_device = known;
        self
    }

    /// The value of a named header, if the event carries it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Whether the action an event asked for went through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum OutcomeResult {
    /// Login accepted, OTP verified, credential changed, OTP delivered.
    Succeeded,
    /// Wrong password, wrong or expired code, change refused.
    Failed,
    /// A login naming an account that does not exist. A failure for every
    /// control that counts failures; the share of them is what tells a
    /// stuffing list from people mistyping (`docs/campaign.md`).
    UnknownUser,
}

/// Feedback on an event the service went on to process: the login failed,
/// the OTP was verified, the password was changed.
///
/// Given to [`Engine::record`](crate::Engine::record); limits that count
/// failures are charged from these, never from attempts alone.
///
/// ```
/// use tollgate::{Event, EventKind, Outcome, Timestamp};
///
/// let login = Event::new(EventKind::Login, Timestamp::from_unix_millis(1)).with_user("alice");
/// let outcome = Outcome::failed(login);
/// assert!(outcome.is_failure());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The event the outcome is about. Its `at` is the time of the outcome.
    pub event: Event,
    /// Whether it succeeded.
    pub result: OutcomeResult,
    /// The summary of the event's decision, when the service passed it.
    decision: Option<crate::DecisionSummary>,
}

impl Outcome {
    /// The event succeeded (login accepted, code verified, change applied).
    pub fn succeeded(event: Event) -> Self {
        Outcome {
            event,
            result: OutcomeResult::Succeeded,
            decision: None,
        }
    }

    /// The event failed (wrong password, wrong code).
    pub fn failed(event: Event) -> Self {
        Outcome {
            event,
            result: OutcomeResult::Failed,
            decision: None,
        }
    }

    /// A login named an account that does not exist. Report it instead
    /// of [`failed`](Outcome::failed) where the service knows (without
    /// telling the client: the response must not differ).
    ///
    /// ```
    /// use tollgate::{Event, EventKind, Outcome, Timestamp};
    ///
    /// let login = Event::new(EventKind::Login, Timestamp::EPOCH).with_user("nobody");
    /// let outcome = Outcome::unknown_user(login);
    /// assert!(outcome.is_failure() && outcome.is_unknown_user());
    /// ```
    pub fn unknown_user(event: Event) -> Self {
        Outcome {
            event,
            result: OutcomeResult::UnknownUser,
            decision: None,
        }
    }

    /// Whether this reports a failure (an unknown user is one).
    pub fn is_failure(&self) -> bool {
        matches!(self.result, OutcomeResult::Failed | OutcomeResult::UnknownUser)
    }

    /// Whether this reports a login naming an account that does not exist.
    pub fn is_unknown_user(&self) -> bool {
        self.result == OutcomeResult::UnknownUser
    }

    /// Attaches a summary of the decision the engine made on the event: a
    /// successful login recorded with it remembers its score and risk
    /// signals, so a credential change soon after a risky login can be
    /// stepped up (`docs/post-login.md`). Without it only the event's
    /// compromised-password flag is known.
    #[must_use]
    pub fn with_decision(mut self, decision: &crate::Decision) -> Self {
        self.decision = Some(crate::DecisionSummary::of(decision));
        self
    }

    /// Attaches an already made decision summary (e.g. kept in a session
    /// between the login request and its outcome).
    #[must_use]
    pub fn with_summary(mut self, summary: crate::DecisionSummary) -> Self {
        self.decision = Some(summary);
        self
    }

    /// The decision summary attached with [`with_decision`](Outcome::with_decision).
    pub fn decision(&self) -> Option<crate::DecisionSummary> {
        self.decision
    }
}
