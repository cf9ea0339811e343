//! Importing the service's own login history before going live.
//!
//! A new deployment knows nobody: every member's first login since it went
//! live comes from a client the account "never used", and attack mode and
//! the stranger check step it up (`docs/operations.md`, the first weeks).
//! The service usually knows better: its own log of successful logins.
//! Importing that log teaches familiarity what those logins would have
//! taught it, and nothing else: no limit is charged, no attack-mode share
//! or settled-site count moves, no decision is made.
//!
//! ```
//! use tollgate::{Engine, Event, EventKind, ReasonCode, Timestamp};
//! use tollgate::policy::Policy;
//!
//! let engine = Engine::new(Policy::default())?;
//! let day = |d: u64| Timestamp::from_unix_millis(1_700_000_000_000 + d * 86_400_000);
//! let login = |at| {
//!     Event::new(EventKind::Login, at)
//!         .with_user("alice")
//!         .with_ip("198.51.100.7".parse::<std::net::IpAddr>().unwrap())
//!         .with_device("laptop-cookie")
//! };
//! // Last week's log, from the service's own records.
//! for d in 0..7 {
//!     engine.import_login(&login(day(d)))?;
//! }
//! // Day one of the deployment: alice's laptop is no new device.
//! let decision = engine.evaluate(&login(day(8)));
//! assert!(decision.reasons.iter().all(|r| r.code != ReasonCode::NewDevice));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use smallvec::SmallVec;

use super::{Engine, Ops, plan};
use crate::detect::Scene;
use crate::store::{OpResult, Store};
use crate::{Event, EventType};

/// Why an event cannot be imported as a past successful login.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// Only logins teach familiarity.
    #[error("only logins can be imported, not {0}")]
    NotALogin(EventType),
    /// A login without a user has no history to add to.
    #[error("the login names no user")]
    NoUser,
}

impl<S> Engine<S> {
    /// Adds a past successful login, from the service's own log, to the
    /// account's history: its country, network, network prefix, device and
    /// client fingerprint, as a recorded success would at the event's time,
    /// and its handshake to the learned browser releases where it carries a
    /// JA4. Import a log in time order, oldest first, with the fields the
    /// live events will carry (the same device id, the IP address; country
    /// and network come from the engine's geo databases or the event).
    ///
    /// Only successful logins belong in the import: familiarity learns
    /// nothing from failures, so an attacker's own networks never become
    /// familiar. Each login counts as of its own time, so the global
    /// shares (`familiarity.global_window_days`) let old ones slide out as
    /// they would have live.
    pub fn import_login(&self, event: &Event) -> Result<(), ImportError>
    where
        S: Store,
    {
        let ops = self.import_login_ops(event)?;
        let mut results: SmallVec<[OpResult; plan::INLINE_OPS]> = SmallVec::from_elem(OpResult::Done, ops.len());
        // The in-process store cannot fail with a matching buffer, and the
        // results of learning carry nothing.
        let _ = self.store.execute(event.at, &ops, &mut results);
        Ok(())
    }

    /// The operations [`import_login`](Engine::import_login) runs, for a
    /// caller-run store: execute them at `event.at`. A networked store
    /// must run them at that time too (Redis: `Clock::Event`), or a year of
    /// log would count as today's.
    pub fn import_login_ops(&self, event: &Event) -> Result<Ops, ImportError> {
        let event_type = event.kind.event_type();
        if event_type != EventType::Login {
            return Err(ImportError::NotALogin(event_type));
        }
        if event.user.is_none() {
            return Err(ImportError::NoUser);
        }
        let active = self.active.load();
        let facts = self.facts(event);
        let scene = Scene::new(&self.keys, event, &facts, &active.policy);
        let mut ops = Ops::default();
        active.detectors.familiarity.learn(&scene, &mut |op| ops.push(op));
        active.detectors.learned_browsers.learn(&scene, &mut |op| ops.push(op));
        Ok(ops)
    }
}
