//! The service's own log of successful logins from before the deployment,
//! imported with [`Engine::import_login`]: with
//! [`Traffic::history_days`](crate::Traffic::history_days) cutting what the
//! engine saw, [`Traffic::import_days`](crate::Traffic::import_days) hands
//! it the members' logins of the days before that, as a service exports
//! them from its records: the time, the account, the IP address and what
//! the service derives from it, the device cookie and the user agent. No
//! handshake: services rarely log one.

use tollgate::{Engine, Event, EventKind};

use crate::catalog::Catalog;
use crate::traffic::{DAY_BEFORE_MS, DAY_MS, Scenario, SimEvent, Step, Truth};

/// The members' successful logins the engine did not see, in time order.
#[derive(Debug, Default)]
pub(crate) struct Log {
    logins: Vec<SimEvent>,
    /// Whether any is handed to the engine, and from when (ms into the
    /// generated week).
    from_ms: Option<u64>,
}

impl Log {
    /// Adds the successful legitimate logins of `older`, events
    /// [`Traffic::history_days`](crate::Traffic::history_days) cut, all
    /// before those the log holds.
    pub(crate) fn cut(&mut self, older: Vec<SimEvent>) {
        let mut logins: Vec<SimEvent> = older.into_iter().filter(successful_login).collect();
        logins.append(&mut self.logins);
        self.logins = logins;
    }

    /// Imports the `days` before `before_ms` (ms into the week); returns
    /// how many logins that is.
    pub(crate) fn keep_days(&mut self, days: u64, before_ms: u64) -> usize {
        let from_ms = before_ms.saturating_sub(days * DAY_MS);
        self.from_ms = (days > 0).then_some(from_ms);
        self.imported().count()
    }

    /// Imports the kept logins into `engine`.
    pub(crate) fn import(&self, engine: &Engine, catalog: &Catalog) {
        for sim in self.imported() {
            // A log line is a successful login by construction.
            let _ = engine.import_login(&logged(sim, catalog));
        }
    }

    fn imported(&self) -> impl Iterator<Item = &SimEvent> {
        let from_ms = self.from_ms;
        self.logins
            .iter()
            .filter(move |e| from_ms.is_some_and(|from| e.at_ms >= from))
    }
}

fn successful_login(sim: &SimEvent) -> bool {
    sim.scenario == Scenario::Legitimate && sim.step == Step::Login && sim.truth == Truth::Succeeds
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
        let sim = traffic.before.iter().find(|e| successful_login(e)).unwrap();
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
        assert_eq!(log.keep_days(0, 7 * DAY_MS), 0);
        let all = log.keep_days(7, 7 * DAY_MS);
        let two = log.keep_days(2, 7 * DAY_MS);
        assert!(0 < two && two < all, "{two} of {all}");
        assert!(log.imported().all(|e| e.at_ms >= 5 * DAY_MS));
    }
}
