//! What an evaluation comes back as: [`Admitted`] to go on with (and
//! report the outcome of), or [`Refused`], the response to send.
//!
//! ```
//! use std::sync::Arc;
//! use tollgate::policy::Policy;
//! use tollgate::{Engine, EventKind};
//! use tollgate_tower::context::{ContextConfig, RequestContext};
//! use tollgate_tower::{GuardCore, TollgateHandle};
//!
//! let policy = Policy::from_toml("[[limits]]\nname = \"ip\"\nevents = [\"login\"]\nkey = [\"ip\"]\nrate = \"1/min\"\nburst = 1\n")?;
//! let context = RequestContext::new("192.0.2.1".parse()?, [], &ContextConfig::default());
//! let guard = GuardCore::new(context, TollgateHandle::new(Arc::new(Engine::new(policy)?)), None);
//! let admitted = guard.evaluate(EventKind::Login, |e| e.with_user("alice"))?;
//! assert!(admitted.decision().is_allow());
//! let refused = guard.evaluate(EventKind::Login, |e| e.with_user("alice")).unwrap_err();
//! assert_eq!(refused.rejection().status, 429);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use tollgate::{Decision, Event};

use super::Adapter;
use crate::response::{Rejection, rate_limit_headers};

pub(super) fn admit<A: Adapter>(
    event: Event,
    decided: (Decision, Option<Rejection>),
) -> Result<A::Admitted, A::Refusal> {
    match decided {
        (decision, Some(rejection)) => Err(Refused(Box::new(RefusedParts {
            rejection,
            decision,
            event,
        }))
        .into()),
        (decision, None) => Ok(Admitted { event, decision }.into()),
    }
}

/// An evaluation that allowed: the event (for its outcome) and the
/// decision, whose quota the `RateLimit` headers carry.
#[derive(Clone, Debug)]
pub struct Admitted {
    event: Event,
    decision: Decision,
}

impl Admitted {
    /// The evaluated event, to report its outcome.
    pub fn event(&self) -> Event {
        self.event.clone()
    }

    /// The decision (an allow, perhaps with reasons and quota).
    pub fn decision(&self) -> &Decision {
        &self.decision
    }

    /// The decision's `RateLimit-Policy` and `RateLimit` headers, none when
    /// no limit applied.
    pub fn rate_limit_headers(&self) -> impl Iterator<Item = (&'static str, String)> {
        self.decision
            .rate_limit
            .as_ref()
            .map(rate_limit_headers)
            .into_iter()
            .flatten()
    }
}

/// An evaluation that refused: the response to send (429, 403 or 401 with
/// problem+json, see [`response`](crate::response)), and the decision and
/// event for the server's log.
#[derive(Clone, Debug)]
pub struct Refused(Box<RefusedParts>);

#[derive(Clone, Debug)]
struct RefusedParts {
    rejection: Rejection,
    decision: Decision,
    event: Event,
}

impl Refused {
    /// The decision, reasons included (for logs, never for the client).
    pub fn decision(&self) -> &Decision {
        &self.0.decision
    }

    /// The refused event.
    pub fn event(&self) -> &Event {
        &self.0.event
    }

    /// The response that will be sent, framework-neutral.
    pub fn rejection(&self) -> &Rejection {
        &self.0.rejection
    }

    /// The response, taken out.
    pub fn into_rejection(self) -> Rejection {
        self.0.rejection
    }
}

impl fmt::Display for Refused {
    /// The action only: the reasons are for the server log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tollgate: {}", self.0.decision.action.as_str())
    }
}

impl std::error::Error for Refused {}
