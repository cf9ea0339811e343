//! Importing the service's own login history before going live.
//!
//! A new deployment knows nobody: every member's first login since it went
//! live comes from a client the account "never used", and attack mode and
//! the stranger check step it up (`docs/operations.md`, the first weeks).
//! The service usually knows better: its own log of successful logins.
//! Importing that log teaches familiarity what those logins would have
//! taught it, and counts in the settled-site test's daily series, and
//! nothing else: no limit is charged, no attack-mode share moves, no
//! decision is made.
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

use std::collections::HashMap;

use super::{Engine, Ops};
use crate::detect::Scene;
use crate::detect::campaign::{CompiledCampaign, LogCounts, Scope};
use crate::store::{OpResult, Store};
use crate::{Event, EventType, Outcome, Timestamp};

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
    /// JA4. It also counts in the settled-site test's daily series, a
    /// stranger (a client and prefix the account had not used before in
    /// the log) or not, so that the day after the log ends can already be
    /// settled (`docs/familiarity.md`, a settled site). Import a log in
    /// time order, oldest first, with the fields the live events will
    /// carry (the same device id, the IP address; country and network come
    /// from the engine's geo databases or the event).
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
        let found = self.run_ops(event.at, &self.import_login_reads(event)?);
        self.run_ops(event.at, &self.import_login_ops(event, &found)?);
        Ok(())
    }

    /// The reads [`import_login`](Engine::import_login) runs first, for a
    /// caller-run store: execute them at `event.at`, then hand their
    /// results to [`import_login_ops`](Engine::import_login_ops).
    pub fn import_login_reads(&self, event: &Event) -> Result<Ops, ImportError> {
        check(event)?;
        let active = self.active.load();
        let facts = self.facts(event);
        let scene = Scene::new(&self.keys, event, &facts, &active.policy);
        let mut ops = Ops::default();
        active
            .detectors
            .familiarity
            .import_reads(&scene, &mut |op| ops.push(op));
        Ok(ops)
    }

    /// The writes [`import_login`](Engine::import_login) runs, given the
    /// results of [`import_login_reads`](Engine::import_login_reads), for a
    /// caller-run store: execute them at `event.at`. A networked store must
    /// run both at that time too (Redis: `Clock::Event`), or a year of log
    /// would count as today's.
    pub fn import_login_ops(&self, event: &Event, reads: &[OpResult]) -> Result<Ops, ImportError> {
        check(event)?;
        let active = self.active.load();
        let facts = self.facts(event);
        let scene = Scene::new(&self.keys, event, &facts, &active.policy);
        let mut ops = Ops::default();
        active
            .detectors
            .familiarity
            .import(&scene, reads, &mut |op| ops.push(op));
        active.detectors.learned_browsers.learn(&scene, &mut |op| ops.push(op));
        Ok(ops)
    }
}

/// Only logins with a user teach familiarity.
fn check(event: &Event) -> Result<(), ImportError> {
    let event_type = event.kind.event_type();
    if event_type != EventType::Login {
        return Err(ImportError::NotALogin(event_type));
    }
    if event.user.is_none() {
        return Err(ImportError::NoUser);
    }
    Ok(())
}

/// A service's login outcomes tallied per attack-mode scope (the whole
/// site, each client country, each network), to seed attack mode's
/// baselines from its own log ([`Engine::import_baselines`]).
#[derive(Clone, Debug, Default)]
pub struct LoginShares {
    counts: HashMap<Scope, LogCounts>,
    newest: Option<Timestamp>,
}

impl LoginShares {
    /// Login outcomes counted.
    pub fn logins(&self) -> u64 {
        self.counts.get(&Scope::Site).map_or(0, |[attempts, ..]| *attempts)
    }

    /// The newest outcome counted: run [`Engine::import_baselines_ops`] at
    /// this time.
    pub fn newest(&self) -> Option<Timestamp> {
        self.newest
    }
}

impl<S> Engine<S> {
    /// Counts a login outcome of the service's log into `shares`, under its
    /// client's country and network as the engine sees them. Give it every
    /// login outcome of the period, failures and unknown usernames
    /// (`Outcome::unknown_user`) too: the baselines are the shares of
    /// those. Other event kinds are ignored.
    pub fn tally_login(&self, shares: &mut LoginShares, outcome: &Outcome) {
        let event = &outcome.event;
        if event.kind.event_type() != EventType::Login {
            return;
        }
        let counted = [1, u64::from(outcome.is_failure()), u64::from(outcome.is_unknown_user())];
        for scope in CompiledCampaign::scopes(&self.facts(event)) {
            let counts = shares.counts.entry(scope).or_default();
            for (count, add) in counts.iter_mut().zip(counted) {
                *count += add;
            }
        }
        shares.newest = shares.newest.max(Some(event.at));
    }

    /// Stores the failure and unknown-username shares of `shares` as attack
    /// mode's warm baselines, where instances without one of their own
    /// take them (`docs/campaign.md`, shared baselines): a brand-new
    /// deployment then calls a campaign from its first logins instead of
    /// warming up for `campaign.warmup_hours`, during which a list under
    /// way would be learnt as normal. A scope is seeded only with at least
    /// ten times `campaign.min_attempts` outcomes and at least one failure
    /// and one unknown username: a share of zero would make the site's own
    /// typos a campaign. The baselines live `campaign.baseline_hours`, so
    /// import just before going live. Returns how many scopes were seeded.
    pub fn import_baselines(&self, shares: &LoginShares) -> usize
    where
        S: Store,
    {
        let ops = self.import_baselines_ops(shares);
        self.run_ops(shares.newest.unwrap_or_default(), &ops);
        ops.len()
    }

    /// The operations [`import_baselines`](Engine::import_baselines) runs,
    /// for a caller-run store: execute them at [`LoginShares::newest`].
    pub fn import_baselines_ops(&self, shares: &LoginShares) -> Ops {
        let active = self.active.load();
        let mut ops = Ops::default();
        for (scope, counts) in &shares.counts {
            if let Some(op) = active.detectors.campaign.seed(&self.keys, *scope, *counts) {
                ops.push(op);
            }
        }
        ops
    }
}
