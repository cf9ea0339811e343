//! What every adapter's `Guard` extractor does once it has the request's
//! context: build events, evaluate them, report outcomes. The adapters add
//! only their extractor and response glue and dereference to this.
//!
//! ```
//! use std::sync::Arc;
//! use tollgate::policy::Policy;
//! use tollgate::{Engine, EventKind};
//! use tollgate_tower::context::{ContextConfig, RequestContext};
//! use tollgate_tower::{GuardCore, TollgateHandle};
//!
//! let engine = Arc::new(Engine::new(Policy::default())?);
//! let context = RequestContext::new("192.0.2.1".parse()?, [], &ContextConfig::default());
//! let guard = GuardCore::new(context, TollgateHandle::new(engine), None);
//! let admitted = guard.evaluate(EventKind::Login, |e| e.with_user("alice"))?;
//! assert!(admitted.decision().is_allow());
//! guard.failed(admitted.event());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Over an [`AsyncStore`] (Redis) the same calls are awaited:
//! [`evaluate_async`](GuardCore::evaluate_async),
//! [`login_failed_async`](GuardCore::login_failed_async) and the other
//! `*_async` outcome helpers.

use std::fmt;
use std::marker::PhantomData;

use tollgate::store::{AsyncStore, MemoryStore, Store};
use tollgate::{Decision, Event, EventKind, Outcome};

use crate::context::RequestContext;
use crate::response::Rejection;
use crate::{PreAuth, TollgateHandle};

mod verdict;

use verdict::admit;
pub use verdict::{Admitted, Refused};

/// What a framework turns evaluations into: its own wrappers of
/// [`Admitted`] and [`Refused`], so that its `Guard` (which dereferences to
/// `GuardCore<S, TheAdapter>`) returns values the framework can send as
/// responses.
pub trait Adapter {
    /// An allowed evaluation, as the framework hands it to handlers.
    type Admitted: From<Admitted>;
    /// A refused evaluation, as the framework sends it.
    type Refusal: From<Refused>;
}

/// The [`Adapter`] that keeps the framework-neutral values.
#[derive(Clone, Copy, Debug, Default)]
pub struct Neutral;

impl Adapter for Neutral {
    type Admitted = Admitted;
    type Refusal = Refused;
}

/// A request's context, the shared handle and the layer's pre-authentication
/// result: everything a handler needs to evaluate business events. `A` is
/// the framework's [`Adapter`].
pub struct GuardCore<S = MemoryStore, A = Neutral> {
    context: RequestContext,
    tollgate: TollgateHandle<S>,
    pre: Option<PreAuth>,
    adapter: PhantomData<fn() -> A>,
}

impl<S, A> Clone for GuardCore<S, A> {
    fn clone(&self) -> Self {
        GuardCore::with_parts(self.context.clone(), self.tollgate.clone(), self.pre.clone())
    }
}

impl<S, A> fmt::Debug for GuardCore<S, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardCore")
            .field("context", &self.context)
            .field("tollgate", &self.tollgate)
            .field("pre", &self.pre)
            .finish()
    }
}

impl<S> GuardCore<S> {
    /// From what the layer or middleware left in the request's extensions,
    /// returning the framework-neutral values (adapters use
    /// [`from_parts`](GuardCore::from_parts)).
    pub fn new(context: RequestContext, tollgate: TollgateHandle<S>, pre: Option<PreAuth>) -> Self {
        GuardCore::with_parts(context, tollgate, pre)
    }
}

impl<S, A> GuardCore<S, A> {
    fn with_parts(context: RequestContext, tollgate: TollgateHandle<S>, pre: Option<PreAuth>) -> Self {
        GuardCore {
            context,
            tollgate,
            pre,
            adapter: PhantomData,
        }
    }

    /// From what the middleware left in the request's extensions, found
    /// by the framework: `None` without the context or the handle (no
    /// middleware on the route, or one over another store type).
    pub fn from_parts(
        context: Option<&RequestContext>,
        tollgate: Option<&TollgateHandle<S>>,
        pre: Option<&PreAuth>,
    ) -> Option<Self> {
        Some(GuardCore::with_parts(context?.clone(), tollgate?.clone(), pre.cloned()))
    }

    /// From the extensions the [`TollgateLayer`](crate::TollgateLayer) wrote.
    pub fn from_extensions(extensions: &http::Extensions) -> Option<Self>
    where
        S: Send + Sync + 'static,
    {
        GuardCore::from_parts(extensions.get(), extensions.get(), extensions.get())
    }

    /// The request's context.
    pub fn context(&self) -> &RequestContext {
        &self.context
    }

    /// The shared handle (engine, responses, clock).
    pub fn tollgate(&self) -> &TollgateHandle<S> {
        &self.tollgate
    }

    /// The layer's decision, when the route is protected (an allow:
    /// otherwise the handler would not run).
    pub fn pre_auth(&self) -> Option<&Decision> {
        self.pre.as_ref().map(|p| &p.decision)
    }

    /// An event of `kind`, now, carrying everything the context knows.
    pub fn event(&self, kind: EventKind) -> Event {
        self.context.event(kind, self.tollgate.now())
    }
}

/// Evaluation and outcomes over an in-process [`Store`].
impl<S: Store, A: Adapter> GuardCore<S, A> {
    /// Evaluates an event of `kind` built from the context and completed
    /// by `fill` (`|e| e.with_user(name).with_phone(phone)`). On a route the
    /// layer protects for the same event type, the limiter buckets it already
    /// spent on this request are not spent again.
    ///
    /// `Ok` carries the event (to report its outcome) and the decision;
    /// `Err` is the refusal, a response (429, 403 or 401): return it with
    /// `?`. The reasons go to the server log.
    pub fn evaluate(&self, kind: EventKind, fill: impl FnOnce(Event) -> Event) -> Result<A::Admitted, A::Refusal> {
        self.evaluate_event(fill(self.event(kind)))
    }

    /// Evaluates an event built by the caller (see [`GuardCore::event`]).
    pub fn evaluate_event(&self, event: Event) -> Result<A::Admitted, A::Refusal> {
        let decided = self.decide(&event);
        admit::<A>(event, decided)
    }

    /// Evaluates `event`; on a route the layer protects for the same event
    /// type, the limiter buckets it already spent on this request are not
    /// spent again. The rejection is `Some` unless the decision allows.
    pub fn decide(&self, event: &Event) -> (Decision, Option<Rejection>) {
        let decision = self.tollgate.evaluate(event, self.pre.as_ref());
        let rejection = self.tollgate.rejection(&decision);
        (decision, rejection)
    }

    /// Reports an outcome to the engine.
    pub fn record(&self, outcome: &Outcome) {
        self.tollgate.record(outcome);
    }

    /// Reports that `event` succeeded (now).
    pub fn succeeded(&self, mut event: Event) {
        event.at = self.tollgate.now();
        self.record(&Outcome::succeeded(event));
    }

    /// Reports that `event`, admitted with `decision`, succeeded (now).
    /// For logins, prefer this to [`succeeded`](GuardCore::succeeded): the
    /// login's risk (score, new country, compromised password...) is what
    /// a credential change soon after it is judged by (`[post_login]`).
    pub fn succeeded_with(&self, mut event: Event, decision: &Decision) {
        event.at = self.tollgate.now();
        self.record(&Outcome::succeeded(event).with_decision(decision));
    }

    /// Reports that `event` failed (now): failure-counting limits learn.
    pub fn failed(&self, mut event: Event) {
        event.at = self.tollgate.now();
        self.record(&Outcome::failed(event));
    }

    /// Reports a login naming an account that does not exist (now): a
    /// failure for every control that counts failures, and what the site-wide
    /// attack mode counts on its own (`docs/campaign.md`). Answer the client
    /// exactly as for a wrong password.
    pub fn unknown_user(&self, mut event: Event) {
        event.at = self.tollgate.now();
        self.record(&Outcome::unknown_user(event));
    }

    /// Reports a failed login for `user` (wrong password).
    pub fn login_failed(&self, user: &str) {
        self.failed(self.event(EventKind::Login).with_user(user));
    }

    /// Reports a successful login for `user`: the user's history learns.
    /// It carries no decision, so what learns from decisions (attack mode's
    /// hold, post-login memory, the settled-site count) does not count it:
    /// record `Outcome::succeeded(event).with_decision(&decision)` with the
    /// event and decision of the login where those should.
    pub fn login_succeeded(&self, user: &str) {
        self.succeeded(self.event(EventKind::Login).with_user(user));
    }

    /// Reports a wrong or expired one-time password for `user`.
    pub fn otp_verify_failed(&self, user: &str) {
        self.failed(self.event(EventKind::OtpVerify { channel: None }).with_user(user));
    }

    /// Reports a verified one-time password for `user`.
    pub fn otp_verify_succeeded(&self, user: &str) {
        self.succeeded(self.event(EventKind::OtpVerify { channel: None }).with_user(user));
    }
}

/// Evaluation and outcomes over any [`AsyncStore`] (Redis): the same
/// methods, awaited, deciding per the policy's `[store] on_failure` while
/// the store is unavailable.
impl<S: AsyncStore, A: Adapter> GuardCore<S, A> {
    /// [`evaluate`](GuardCore::evaluate), awaited.
    pub async fn evaluate_async(
        &self,
        kind: EventKind,
        fill: impl FnOnce(Event) -> Event,
    ) -> Result<A::Admitted, A::Refusal> {
        self.evaluate_event_async(fill(self.event(kind))).await
    }

    /// [`evaluate_event`](GuardCore::evaluate_event), awaited.
    pub async fn evaluate_event_async(&self, event: Event) -> Result<A::Admitted, A::Refusal> {
        let decided = self.decide_async(&event).await;
        admit::<A>(event, decided)
    }

    /// [`decide`](GuardCore::decide), awaited.
    pub async fn decide_async(&self, event: &Event) -> (Decision, Option<Rejection>) {
        let decision = self.tollgate.evaluate_async(event, self.pre.as_ref()).await;
        let rejection = self.tollgate.rejection(&decision);
        (decision, rejection)
    }

    /// [`record`](GuardCore::record), awaited.
    pub async fn record_async(&self, outcome: &Outcome) {
        self.tollgate.record_async(outcome).await;
    }

    /// [`succeeded`](GuardCore::succeeded), awaited.
    pub async fn succeeded_async(&self, mut event: Event) {
        event.at = self.tollgate.now();
        self.record_async(&Outcome::succeeded(event)).await;
    }

    /// [`succeeded_with`](GuardCore::succeeded_with), awaited.
    pub async fn succeeded_with_async(&self, mut event: Event, decision: &Decision) {
        event.at = self.tollgate.now();
        self.record_async(&Outcome::succeeded(event).with_decision(decision))
            .await;
    }

    /// [`failed`](GuardCore::failed), awaited.
    pub async fn failed_async(&self, mut event: Event) {
        event.at = self.tollgate.now();
        self.record_async(&Outcome::failed(event)).await;
    }

    /// [`unknown_user`](GuardCore::unknown_user), awaited.
    pub async fn unknown_user_async(&self, mut event: Event) {
        event.at = self.tollgate.now();
        self.record_async(&Outcome::unknown_user(event)).await;
    }

    /// [`login_failed`](GuardCore::login_failed), awaited.
    pub async fn login_failed_async(&self, user: &str) {
        self.failed_async(self.event(EventKind::Login).with_user(user)).await;
    }

    /// [`login_succeeded`](GuardCore::login_succeeded), awaited.
    pub async fn login_succeeded_async(&self, user: &str) {
        self.succeeded_async(self.event(EventKind::Login).with_user(user)).await;
    }

    /// [`otp_verify_failed`](GuardCore::otp_verify_failed), awaited.
    pub async fn otp_verify_failed_async(&self, user: &str) {
        self.failed_async(self.event(EventKind::OtpVerify { channel: None }).with_user(user))
            .await;
    }

    /// [`otp_verify_succeeded`](GuardCore::otp_verify_succeeded), awaited.
    pub async fn otp_verify_succeeded_async(&self, user: &str) {
        self.succeeded_async(self.event(EventKind::OtpVerify { channel: None }).with_user(user))
            .await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::Arc;

    use tollgate::Engine;
    use tollgate::policy::Policy;

    use super::*;
    use crate::context::ContextConfig;

    #[test]
    fn from_extensions_needs_the_context_and_the_handle() {
        let mut extensions = http::Extensions::new();
        assert!(GuardCore::<MemoryStore>::from_extensions(&extensions).is_none());
        extensions.insert(TollgateHandle::new(Arc::new(Engine::new(Policy::default()).unwrap())));
        assert!(GuardCore::<MemoryStore>::from_extensions(&extensions).is_none());
        let context = RequestContext::new("192.0.2.1".parse().unwrap(), [], &ContextConfig::default());
        extensions.insert(context);
        assert!(GuardCore::<MemoryStore>::from_extensions(&extensions).is_some());
    }

    #[test]
    fn a_refusal_carries_the_response_and_the_decision() {
        let policy =
            "[[limits]]\nname = \"login-ip\"\nevents = [\"login\"]\nkey = [\"ip\"]\nrate = \"1/min\"\nburst = 1\n";
        let engine = Arc::new(Engine::new(Policy::from_toml(policy).unwrap()).unwrap());
        let context = RequestContext::new("192.0.2.1".parse().unwrap(), [], &ContextConfig::default());
        let guard = GuardCore::new(context, TollgateHandle::new(engine), None);
        let admitted = guard.evaluate(EventKind::Login, |e| e.with_user("alice")).unwrap();
        assert_eq!(admitted.rate_limit_headers().count(), 2);
        let refused = guard.evaluate(EventKind::Login, |e| e.with_user("alice")).unwrap_err();
        assert_eq!(refused.rejection().status, 429);
        assert_eq!(refused.event().user, admitted.event().user);
        assert_eq!(
            refused.to_string(),
            format!("tollgate: {}", refused.decision().action.as_str())
        );
    }
}
