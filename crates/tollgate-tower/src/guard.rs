//! What every adapter's `Guard` extractor does once it has the request's
//! context: build events, evaluate them, report outcomes. The adapters add
//! only their extractor and response glue and dereference to this.
//!
//! ```
//! use std::sync::Arc;
//! use tollgate::policy::Policy;
//! use tollgate::{Engine, EventKind};
//! use tollgate_tower::context::{ContextConfig, RequestContext};
//! use tollgate_tower::{GuardCore, Tollgate};
//!
//! let engine = Arc::new(Engine::new(Policy::default())?);
//! let context = RequestContext::new("192.0.2.1".parse()?, [], &ContextConfig::default());
//! let guard = GuardCore::new(context, Tollgate::new(engine), None);
//! let event = guard.event(EventKind::Login).with_user("alice");
//! let (decision, rejection) = guard.decide(&event);
//! assert!(decision.is_allow() && rejection.is_none());
//! guard.login_failed("alice");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Over an [`AsyncStore`] (Redis) the same calls are awaited:
//! [`decide_async`](GuardCore::decide_async),
//! [`login_failed_async`](GuardCore::login_failed_async) and the other
//! `*_async` outcome helpers.

use tollgate::store::{AsyncStore, MemoryStore, Store};
use tollgate::{Decision, Event, EventKind, Outcome};

use crate::context::RequestContext;
use crate::response::Rejection;
use crate::{PreAuth, Tollgate};

/// A request's context, the shared handle and the layer's pre-authentication
/// result: everything a handler needs to evaluate business events.
#[derive(Clone, Debug)]
pub struct GuardCore<S = MemoryStore> {
    context: RequestContext,
    tollgate: Tollgate<S>,
    pre: Option<PreAuth>,
}

impl<S> GuardCore<S> {
    /// From what the layer or middleware left in the request's extensions.
    pub fn new(context: RequestContext, tollgate: Tollgate<S>, pre: Option<PreAuth>) -> Self {
        GuardCore { context, tollgate, pre }
    }

    /// The request's context.
    pub fn context(&self) -> &RequestContext {
        &self.context
    }

    /// The shared handle (engine, responses, clock).
    pub fn tollgate(&self) -> &Tollgate<S> {
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
impl<S: Store> GuardCore<S> {
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

    /// Reports a failed login for `user` (wrong password).
    pub fn login_failed(&self, user: &str) {
        self.failed(self.event(EventKind::Login).with_user(user));
    }

    /// Reports a successful login for `user`: the user's history learns.
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
impl<S: AsyncStore> GuardCore<S> {
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
