//! The service's own records of which device signed in to which account:
//! the remembered-devices table behind "new sign-in" emails, older than
//! the deployment. With [`Traffic::host_known_devices`](crate::Traffic::host_known_devices)
//! on, every event whose member's device had a successful login before it
//! (in the whole generated week, whatever `--history-days` kept for the
//! engine) carries [`Event::host_known_device`]. Attackers' devices are
//! their own and never have one.

use std::collections::HashMap;

use tollgate::Event;

use crate::traffic::{Account, DAY_BEFORE_MS, START_MS, Scenario, SimEvent, Step, Truth};

/// The first successful login of each member's device, in Unix ms.
#[derive(Clone, Debug, Default)]
pub(crate) struct Devices {
    first: HashMap<(Account, u64), u64>,
}

impl Devices {
    /// The records of the week before (`before`) and the day (`day`), each
    /// in time order and timed from its own start.
    pub(crate) fn new(before: &[SimEvent], day: &[SimEvent]) -> Devices {
        let mut first = HashMap::new();
        for (start, events) in [(DAY_BEFORE_MS, before), (START_MS, day)] {
            for sim in events {
                if let Some(key) = signed_in(sim) {
                    first.entry(key).or_insert(start + sim.at_ms);
                }
            }
        }
        Devices { first }
    }

    /// `event` (of `sim`, at `at_ms` Unix time), marked when the service's
    /// records vouch for its device.
    pub(crate) fn vouch(&self, sim: &SimEvent, at_ms: u64, event: Event) -> Event {
        let known = key(sim)
            .and_then(|k| self.first.get(&k))
            .is_some_and(|first| *first < at_ms);
        event.with_host_known_device(known)
    }
}

/// The member and device of a successful legitimate login.
fn signed_in(sim: &SimEvent) -> Option<(Account, u64)> {
    let ok = sim.scenario == Scenario::Legitimate && sim.step == Step::Login && sim.truth == Truth::Succeeds;
    key(sim).filter(|_| ok)
}

fn key(sim: &SimEvent) -> Option<(Account, u64)> {
    Some((sim.account?, sim.client.device?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::traffic::DAY_MS;

    fn week() -> (Catalog, crate::Generated) {
        let catalog = Catalog::new().unwrap();
        let day = crate::generate(&catalog, 3, 20_000);
        (catalog, day)
    }

    #[test]
    fn a_members_device_is_vouched_for_after_its_first_login_only() {
        let (catalog, day) = week();
        let host = Devices::new(&day.before, &day.events);
        let first = day.before.iter().find(|e| signed_in(e).is_some()).unwrap();
        let at = DAY_BEFORE_MS + first.at_ms;
        let build = |sim: &SimEvent, at| host.vouch(sim, at, sim.build(&catalog, DAY_BEFORE_MS));
        assert!(!build(first, at).host_known_device);
        assert!(build(first, at + 1).host_known_device);
        // The same member on another device is not vouched for.
        let mut other = *first;
        other.client.device = other.client.device.map(|d| d ^ 1);
        assert!(!build(&other, at + DAY_MS).host_known_device);
    }

    #[test]
    fn attackers_devices_never_are() {
        let (catalog, day) = week();
        let host = Devices::new(&day.before, &day.events);
        let attacks = day.events.iter().filter(|e| e.scenario.is_attack());
        let mut seen = 0;
        for sim in attacks {
            seen += 1;
            let event = host.vouch(sim, START_MS + sim.at_ms, sim.build(&catalog, START_MS));
            assert!(!event.host_known_device, "{sim:?}");
        }
        assert!(seen > 1_000, "{seen}");
    }
}
