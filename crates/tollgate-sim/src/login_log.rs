//! The service's own log of logins from before the deployment: with
//! [`Traffic::history_days`](crate::Traffic::history_days) cutting what the
//! engine saw, [`Traffic::import_days`](crate::Traffic::import_days) hands
//! it the members' logins of the days before that, as a service exports
//! them from its records: the time, the account, the IP address and what
//! the service derives from it, the device cookie, the user agent and the
//! outcome. No handshake: services rarely log one. Successful logins teach
//! familiarity ([`Engine::import_login`]); every login outcome, failures
//! and unknown usernames too, seeds attack mode's baselines
//! ([`Engine::import_baselines`]).

use tollgate::{Engine, Event, EventKind, LoginShares};

use crate::catalog::Catalog;
use crate::traffic::{DAY_BEFORE_MS, DAY_MS, Scenario, SimEvent, Step, Truth};

/// The members' logins the engine did not see, in time order.
#[derive(Debug, Default)]
pub(crate) struct Log {
    logins: Vec<SimEvent>,
    /// Whether any is handed to the engine, and from when (ms into the
    /// generated week).
    from_ms: Option<u64>,
}

impl Log {
    /// Adds the legitimate logins of `older`, events
    /// [`Traffic::history_days`](crate::Traffic::history_days) cut, all
    /// before those the log holds.
    pub(crate) fn cut(&mut self, older: Vec<SimEvent>) {
        let mut logins: Vec<SimEvent> = older.into_iter().filter(login).collect();
        logins.append(&mut self.logins);
        self.logins = logins;
    }

    /// Imports the `days` before `before_ms` (ms into the week); returns
    /// how many login outcomes and successful logins that is.
    pub(crate) fn keep_days(&mut self, days: u64, before_ms: u64) -> (usize, usize) {
        let from_ms = before_ms.saturating_sub(days * DAY_MS);
        self.from_ms = (days > 0).then_some(from_ms);
        let successes = self.imported().filter(|e| e.truth == Truth::Succeeds).count();
        (self.imported().count(), successes)
    }

    /// Imports the kept logins into `engine`: the successful ones into
    /// the accounts' histories, the shares of all as baselines.
    pub(crate) fn import(&self, engine: &Engine, catalog: &Catalog) {
        let mut shares = LoginShares::default();
        for sim in self.imported() {
            let Some(outcome) = sim.outcome(logged(sim, catalog)) else {
                continue;
            };
            engine.tally_login(&mut shares, &outcome);
            if !outcome.is_failure() {
                // A member's login names its account: never refused.
                let _ = engine.import_login(&outcome.event);
            }
        }
        engine.import_baselines(&shares);
    }

    fn imported(&self) -> impl Iterator<Item = &SimEvent> {
        let from_ms = self.from_ms;
        self.logins
            .iter()
            .filter(move |e| from_ms.is_some_and(|from| e.at_ms >= from))
    }
}

fn login(sim: &SimEvent) -> bool {
    sim.scenario == Scenario::Legitimate && sim.step == Step::Login
}

/// What a login log keeps of the event the engine would have seen.
fn logged(sim: &SimEvent, catalog: &Catalog) -> Event {
    let full = sim.build(catalog, DAY_BEFORE_MS);
    let mut event = Event::new(EventKind::Login, full.at);
    event.user = full.user;
    event.ip = full.ip;
    event.country = full.country;
    event.asn = full.asn;
    event.device = full.device;
    event.user_agent = full.user_agent;
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_line_keeps_what_a_service_logs() {
        let catalog = Catalog::new().unwrap();
        let traffic = crate::generate(&catalog, 3, 2_000);
        let sim = traffic.before.iter().find(|e| login(e)).unwrap();
        let event = logged(sim, &catalog);
        let full = sim.build(&catalog, DAY_BEFORE_MS);
        assert_eq!(event.user, full.user);
        assert_eq!(event.device, full.device);
        assert_eq!(event.ip, full.ip);
        assert!(event.ja4.is_none() && event.tls_shape.is_none() && event.headers.is_empty());
    }

    #[test]
    fn only_the_kept_days_are_imported() {
        let catalog = Catalog::new().unwrap();
        let traffic = crate::generate(&catalog, 3, 2_000);
        let mut log = Log::default();
        log.cut(traffic.before);
        assert_eq!(log.keep_days(0, 7 * DAY_MS), (0, 0));
        let (all, successes) = log.keep_days(7, 7 * DAY_MS);
        assert!(0 < successes && successes < all, "{successes} of {all}");
        let (two, _) = log.keep_days(2, 7 * DAY_MS);
        assert!(0 < two && two < all, "{two} of {all}");
        assert!(log.imported().all(|e| e.at_ms >= 5 * DAY_MS));
    }
}
