//! tollgate decides, for each login, sign-up, one-time-password send or
//! credential change, whether to **allow** it, **challenge** it (step-up),
//! **throttle** it (HTTP 429) or **deny** it — and says why.
//!
//! ```
//! use tollgate::{Action, Engine, Event, EventKind, Outcome, Timestamp};
//! use tollgate::policy::Policy;
//!
//! // The default policy is complete and safe to run as is.
//! let engine = Engine::new(Policy::default())?;
//!
//! // Build the event from the request; the time is an input, not a clock read.
//! let at = Timestamp::from_unix_millis(1_700_000_000_000);
//! let login = Event::new(EventKind::Login, at)
//!     .with_ip("203.0.113.7".parse::<std::net::IpAddr>()?)
//!     .with_user("alice");
//!
//! let decision = engine.evaluate(&login);
//! match decision.action {
//!     Action::Allow => { /* check the password */ }
//!     Action::Challenge => { /* ask for a passkey or an authenticator code */ }
//!     Action::Throttle { retry_after } => { /* 429 with Retry-After */ let _ = retry_after; }
//!     Action::Deny | _ => { /* 403 */ }
//! }
//!
//! // Report what happened, so failure-counting limits learn.
//! engine.record(&Outcome::failed(login));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # How it fits together
//!
//! * [`Event`] — what happened and everything known about the client.
//! * [`policy::Policy`] — thresholds, points and keyed limits, as data
//!   (TOML/JSON), swappable at run time without losing counters.
//! * [`Engine`] — runs the decision path; [`Decision`] carries the action,
//!   the score, every [`Reason`] and rate-limit information for headers.
//! * [`fingerprint`] — JA4 and JA3 from the raw TLS ClientHello bytes.
//! * [`store`] — where counters live: the bounded in-process
//!   [`MemoryStore`](store::MemoryStore), or any [`Store`](store::Store).
//! * [`pow`] — proof-of-work challenges in ALTCHA's format, which a
//!   [`Decision`] whose [`StepUp`] is a proof of work carries.
//! * [`observe`] — an [`Observer`](observe::Observer) the application
//!   registers receives decisions above a threshold, identifiers masked.
//!
//! The crate is sans-IO: it reads no clock, opens no socket and spawns no
//! thread, so every decision is reproducible from its inputs. The design
//! rationale is the [`manual`] (the architecture, the threat model control
//! by control, the limiter, the policy and the detectors); every reason
//! code is listed on [`ReasonCode`].
//!
//! # Features
//!
//! * `serde` (default): JSON/TOML for events, outcomes, decisions and policies.
//! * `geo` (default): country, city, ASN and anonymizer lookups in
//!   MaxMind-format `.mmdb` databases (the host supplies the bytes).
//! * `tracing`: `observe::TracingObserver`, observed decisions as
//!   structured `tracing` events (`docs/observe.md`).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod decision;
mod detect;
mod engine;
mod event;
mod facts;
pub mod fingerprint;
#[cfg(feature = "geo")]
pub mod geo;
pub mod keys;
pub mod limiter;
pub mod manual;
pub mod net;
pub mod observe;
pub mod password;
pub mod phone;
pub mod policy;
pub mod pow;
mod reason;
pub mod status;
pub mod store;
mod summary;
mod time;
pub mod useragent;

pub use decision::{Action, Decision, Factor, RateLimitInfo, StepUp, Verdict};
pub use engine::{Engine, EngineBuilder, ImportError, LoginShares, Ops, Plan, StoreTransition};
pub use event::{
    Asn, Channel, Country, CredentialKind, DeviceId, E164, Event, EventKind, EventType, FieldError, HeaderFingerprint,
    HeaderName, Http2Fingerprint, Ja3, Ja4, Location, Outcome, OutcomeResult, TLS_SHAPE_MAX_LIST, TlsShape, UserId,
};
#[cfg(feature = "serde")]
pub use event::{Record, WireError};
pub use reason::{Reason, ReasonCode, StepUpClass};
pub use summary::{DecisionSummary, RiskSignal, RiskSignals};
pub use time::Timestamp;
