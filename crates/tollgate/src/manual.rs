//! The design manual: why tollgate works the way it does.
//!
//! The API reference says what each item does; these chapters say why, and
//! what each control costs the people it protects. They are the Markdown
//! files of the repository's `docs/` folder, so the same text reads on a
//! code host and here. Each chapter opens with links to the items it
//! describes; links between chapters point at the Markdown files.
//!
//! * [`architecture`]: the decision path ([`Engine::prepare`](crate::Engine::prepare),
//!   a store running the [`Plan`](crate::Plan)'s ops,
//!   [`Engine::conclude`](crate::Engine::conclude)), scoring and
//!   thresholds, no account lockout by default.
//! * [`security`]: the threat model, control by control: what an attacker
//!   who knows a username or a phone number can and cannot make tollgate do
//!   to its owner.
//! * [`limiter`]: GCRA, the key cap and eviction.
//! * [`policy`]: every policy field and the default rules.
//! * Detectors: [`familiarity`], [`stuffing`], [`spraying`], [`spike`], [`otp`],
//!   [`post_login`].

/// Links: [`Engine`](crate::Engine), [`Plan`](crate::Plan),
/// [`Store`](crate::store::Store), [`AsyncStore`](crate::store::AsyncStore),
/// [`Decision`](crate::Decision), [`Reason`](crate::Reason).
///
#[doc = include_str!("../../../docs/architecture.md")]
pub mod architecture {}

/// Links: [`LimitRule::except`](crate::policy::LimitRule::except),
/// [`Exempt`](crate::policy::Exempt), [`UserId`](crate::UserId),
/// [`EngineBuilder::key_secret`](crate::EngineBuilder::key_secret).
///
#[doc = include_str!("../../../docs/security.md")]
pub mod security {}

/// Links: [`limiter`](crate::limiter),
/// [`MemoryStore`](crate::store::MemoryStore), [`Op`](crate::store::Op).
///
#[doc = include_str!("../../../docs/limiter.md")]
pub mod limiter {}

/// Links: [`Policy`](crate::policy::Policy),
/// [`LimitRule`](crate::policy::LimitRule),
/// [`Dimension`](crate::policy::Dimension),
/// [`KeyOptions`](crate::policy::KeyOptions).
///
#[doc = include_str!("../../../docs/policy.md")]
pub mod policy {}

/// Links: [`Familiarity`](crate::policy::Familiarity),
/// [`Travel`](crate::policy::Travel).
///
#[doc = include_str!("../../../docs/familiarity.md")]
pub mod familiarity {}

/// Links: [`StuffingDetector`](crate::policy::StuffingDetector).
///
#[doc = include_str!("../../../docs/stuffing.md")]
pub mod stuffing {}

/// Links: [`Spraying`](crate::policy::Spraying),
/// [`Event::with_password`](crate::Event::with_password),
/// [`PasswordSha1`](crate::password::PasswordSha1).
///
#[doc = include_str!("../../../docs/spraying.md")]
pub mod spraying {}

/// Links: [`Spike`](crate::policy::Spike).
///
#[doc = include_str!("../../../docs/spike.md")]
pub mod spike {}

/// Links: [`Otp`](crate::policy::Otp),
/// [`ResendBackoff`](crate::policy::ResendBackoff),
/// [`ServiceCap`](crate::policy::ServiceCap),
/// [`Engine::risk_tier`](crate::Engine::risk_tier).
///
#[doc = include_str!("../../../docs/otp.md")]
pub mod otp {}

/// Links: [`PostLogin`](crate::policy::PostLogin),
/// [`Relay`](crate::policy::Relay),
/// [`Outcome::with_decision`](crate::Outcome::with_decision).
///
#[doc = include_str!("../../../docs/post-login.md")]
pub mod post_login {}
