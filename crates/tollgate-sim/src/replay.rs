//! Running traffic through an engine as a service would: the warm-up days
//! first, counting nothing, then the day, feeding outcomes back with their
//! decisions and counting what the engine decided.

use std::time::Instant;

use tollgate::{Action, Engine};

use crate::catalog::Catalog;
use crate::traffic::{self, Scenario, SimEvent};
use crate::{Progress, Tallies, host, takeover};

/// Reports the replay's progress every this many events: often enough to
/// move a progress bar smoothly, rarely enough to stay out of the engine's
/// throughput figure.
const PROGRESS_EVERY: usize = 2_048;

/// Runs the day before through the engine as [`replay`] does, counting
/// nothing: it leaves the history (devices, networks, learned browsers,
/// baselines of sends, sign-ups and failures) the simulated day meets.
pub(crate) fn warm_up(
    engine: &Engine,
    catalog: &Catalog,
    host: Option<&host::Devices>,
    day_before: &[SimEvent],
    progress: &mut impl Progress,
) {
    for (i, sim) in day_before.iter().enumerate() {
        let event = build(sim, catalog, host, traffic::DAY_BEFORE_MS);
        let decision = engine.evaluate(&event);
        if let Some(outcome) = goes_ahead(sim.scenario, decision.action)
            .then(|| sim.outcome(event))
            .flatten()
        {
            engine.record(&outcome.with_decision(&decision));
        }
        if i % PROGRESS_EVERY == 0 {
            progress.advance(i);
        }
    }
}

/// Runs the traffic through the engine, feeding outcomes back and holding
/// back the credential changes of takeovers that did not get in. Progress
/// is reported from `done_before` on (events replayed before this call).
pub(crate) fn replay(
    engine: &Engine,
    catalog: &Catalog,
    host: Option<&host::Devices>,
    traffic: &[SimEvent],
    done_before: usize,
    progress: &mut impl Progress,
) -> Tallies {
    let mut tallies = Tallies::default();
    let mut gate = takeover::Gate::default();
    for (i, sim) in traffic.iter().enumerate() {
        if !gate.admits(sim) {
            tallies.get_mut(sim.scenario).unsent += 1;
            continue;
        }
        let event = build(sim, catalog, host, traffic::START_MS);
        let started = Instant::now();
        let decision = engine.evaluate(&event);
        let went_ahead = goes_ahead(sim.scenario, decision.action);
        // As the adapters do: the decision goes with the outcome, so a
        // successful login remembers how risky it was.
        if let Some(outcome) = went_ahead.then(|| sim.outcome(event)).flatten() {
            engine.record(&outcome.with_decision(&decision));
        }
        let spent = started.elapsed();
        gate.observe(sim, went_ahead);
        tallies.get_mut(sim.scenario).add(sim, &decision, went_ahead, spent);
        if i % PROGRESS_EVERY == 0 {
            progress.advance(done_before + i);
        }
    }
    tallies
}

/// The event of `sim` as the service builds it, with its word on the
/// device when it keeps remembered devices.
fn build(sim: &SimEvent, catalog: &Catalog, host: Option<&host::Devices>, day_start_ms: u64) -> tollgate::Event {
    let event = sim.build(catalog, day_start_ms);
    match host {
        Some(host) => host.vouch(sim, day_start_ms + sim.at_ms, event),
        None => event,
    }
}

/// Whether the service goes on to check the password or code.
fn goes_ahead(scenario: Scenario, action: Action) -> bool {
    match action {
        Action::Allow => true,
        Action::Challenge => scenario.passes_challenge(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_people_pass_challenges() {
        assert!(goes_ahead(Scenario::Legitimate, Action::Challenge));
        assert!(!goes_ahead(Scenario::CredentialStuffing, Action::Challenge));
        assert!(!goes_ahead(Scenario::Legitimate, Action::Deny));
    }
}
