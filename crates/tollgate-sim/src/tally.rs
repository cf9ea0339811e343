//! Counting what the engine decided, per scenario, per step and per reason.

use std::collections::HashMap;
use std::ops::AddAssign;
use std::sync::Arc;
use std::time::Duration;

use tollgate::{Action, Decision, Verdict};

use super::traffic::{Account, Scenario, SimEvent, Step, Tag, Truth};

/// A reason as reported: its code and, for rule-based codes, the rule.
pub(crate) type ReasonKey = (&'static str, Option<Arc<str>>);

/// Events and allowed events of one step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct StepCount {
    pub(crate) events: u64,
    pub(crate) allowed: u64,
    /// Events that would succeed if let through.
    pub(crate) would_succeed: u64,
    /// Of those, the ones the service went ahead with.
    pub(crate) succeeded: u64,
}

impl AddAssign<&StepCount> for StepCount {
    fn add_assign(&mut self, other: &StepCount) {
        self.events += other.events;
        self.allowed += other.allowed;
        self.would_succeed += other.would_succeed;
        self.succeeded += other.succeeded;
    }
}

/// Events per action.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Actions {
    pub(crate) allowed: u64,
    pub(crate) challenged: u64,
    pub(crate) throttled: u64,
    pub(crate) denied: u64,
}

impl Actions {
    fn add(&mut self, action: Action) {
        match action {
            Action::Allow => self.allowed += 1,
            Action::Challenge => self.challenged += 1,
            Action::Throttle { .. } => self.throttled += 1,
            // Any action added to the engine later refuses at least as hard as a deny.
            _ => self.denied += 1,
        }
    }

    pub(crate) fn total(&self) -> u64 {
        self.allowed + self.challenged + self.throttled + self.denied
    }
}

impl AddAssign<&Actions> for Actions {
    fn add_assign(&mut self, other: &Actions) {
        self.allowed += other.allowed;
        self.challenged += other.challenged;
        self.throttled += other.throttled;
        self.denied += other.denied;
    }
}

/// Everything counted for one scenario (or all of them).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Tally {
    pub(crate) events: u64,
    /// What was enforced.
    pub(crate) actions: Actions,
    /// For events where a monitor-mode rule fired: what enforcing it would have done.
    pub(crate) monitored: Actions,
    pub(crate) steps: [StepCount; Step::ALL.len()],
    /// What was enforced, per step (as in [`Step::ALL`]) and [`Tag`].
    pub(crate) tagged: [[Actions; Tag::COUNT]; Step::ALL.len()],
    /// Events each reason fired on.
    pub(crate) reasons: HashMap<ReasonKey, u64>,
    /// What was enforced on SMS code requests from outside the number's country.
    pub(crate) abroad_sms: Actions,
    /// The reasons that fired on those requests.
    pub(crate) abroad_reasons: HashMap<ReasonKey, u64>,
    /// Events that would succeed if let through: valid credentials, right codes.
    pub(crate) would_succeed: u64,
    /// Of those, the ones the service went ahead with (for stuffing: takeovers).
    pub(crate) succeeded: u64,
    /// Logins naming an account that does not exist.
    pub(crate) unknown_users: u64,
    /// Follow-ups (credential changes after an attacker's login) never
    /// sent: their login did not go ahead. Not among `events`.
    pub(crate) unsent: u64,
    /// Time spent in `Engine::evaluate` and `Engine::record`.
    pub(crate) engine_time: Duration,
}

impl Tally {
    pub(crate) fn add(&mut self, sim: &SimEvent, decision: &Decision, went_ahead: bool, spent: Duration) {
        self.events += 1;
        let allowed = decision.action == Action::Allow;
        self.actions.add(decision.action);
        if let Some(Verdict { action, .. }) = decision.monitored {
            self.monitored.add(action);
        }
        let succeeds = sim.truth == Truth::Succeeds;
        let step = Step::ALL.iter().position(|s| *s == sim.step);
        if let Some(count) = step.and_then(|i| self.steps.get_mut(i)) {
            count.events += 1;
            count.allowed += u64::from(allowed);
            count.would_succeed += u64::from(succeeds);
            count.succeeded += u64::from(succeeds && went_ahead);
        }
        if let Some(actions) = step
            .and_then(|i| self.tagged.get_mut(i))
            .and_then(|tags| tags.get_mut(sim.tag.index()))
        {
            actions.add(decision.action);
        }
        for reason in &decision.reasons {
            *self
                .reasons
                .entry((reason.code.as_str(), reason.rule.clone()))
                .or_default() += 1;
        }
        if sim.sms_from_abroad() {
            self.abroad_sms.add(decision.action);
            for reason in &decision.reasons {
                *self
                    .abroad_reasons
                    .entry((reason.code.as_str(), reason.rule.clone()))
                    .or_default() += 1;
            }
        }
        self.unknown_users += u64::from(sim.step == Step::Login && matches!(sim.account, Some(Account::Unknown(_))));
        if succeeds {
            self.would_succeed += 1;
            self.succeeded += u64::from(went_ahead);
        }
        self.engine_time += spent;
    }

    /// The `n` reasons that fired most, most frequent first, ties by name.
    pub(crate) fn top_reasons(&self, n: usize) -> Vec<(String, u64)> {
        ranked(&self.reasons, n)
    }

    /// The `n` reasons that fired most on SMS requests from abroad.
    pub(crate) fn top_abroad_reasons(&self, n: usize) -> Vec<(String, u64)> {
        ranked(&self.abroad_reasons, n)
    }

    /// Events `code` fired on, whatever the rule.
    pub(crate) fn fired(&self, code: &str) -> u64 {
        self.reasons
            .iter()
            .filter(|((c, _), _)| *c == code)
            .map(|(_, n)| n)
            .sum()
    }

    pub(crate) fn not_allowed(&self) -> u64 {
        self.events - self.actions.allowed
    }

    /// The counts of one step.
    pub(crate) fn step(&self, step: Step) -> StepCount {
        Step::ALL
            .iter()
            .zip(&self.steps)
            .find(|(s, _)| **s == step)
            .map(|(_, c)| *c)
            .unwrap_or_default()
    }

    /// What was enforced on events of `step` tagged `tag`.
    pub(crate) fn tagged(&self, step: Step, tag: Tag) -> Actions {
        Step::ALL
            .iter()
            .zip(&self.tagged)
            .find(|(s, _)| **s == step)
            .and_then(|(_, tags)| tags.get(tag.index()))
            .copied()
            .unwrap_or_default()
    }

    /// What was enforced on logins tagged `tag`.
    pub(crate) fn logins(&self, tag: Tag) -> Actions {
        self.tagged(Step::Login, tag)
    }

    /// What was enforced on password and email changes tagged `tag`.
    pub(crate) fn changes(&self, tag: Tag) -> Actions {
        let mut actions = self.tagged(Step::PasswordChange, tag);
        actions += &self.tagged(Step::EmailChange, tag);
        actions
    }
}

impl AddAssign<&Tally> for Tally {
    fn add_assign(&mut self, other: &Tally) {
        self.events += other.events;
        self.actions += &other.actions;
        self.monitored += &other.monitored;
        for (mine, theirs) in self.steps.iter_mut().zip(&other.steps) {
            *mine += theirs;
        }
        for (mine, theirs) in self.tagged.iter_mut().flatten().zip(other.tagged.iter().flatten()) {
            *mine += theirs;
        }
        for (key, count) in &other.reasons {
            *self.reasons.entry(key.clone()).or_default() += count;
        }
        self.abroad_sms += &other.abroad_sms;
        for (key, count) in &other.abroad_reasons {
            *self.abroad_reasons.entry(key.clone()).or_default() += count;
        }
        self.would_succeed += other.would_succeed;
        self.succeeded += other.succeeded;
        self.unknown_users += other.unknown_users;
        self.unsent += other.unsent;
        self.engine_time += other.engine_time;
    }
}

/// The `n` largest counts, largest first, ties by name.
fn ranked(reasons: &HashMap<ReasonKey, u64>, n: usize) -> Vec<(String, u64)> {
    let mut all: Vec<(String, u64)> = reasons
        .iter()
        .map(|((code, rule), &count)| match rule {
            Some(rule) => (format!("{code}[{rule}]"), count),
            None => ((*code).to_string(), count),
        })
        .collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    all.truncate(n);
    all
}

/// What the engine decided on a replay's traffic, one tally per scenario:
/// the input of [`write_report`](crate::write_report).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tallies {
    /// One per scenario, in [`Scenario::ALL`] order.
    scenarios: [Tally; Scenario::ALL.len()],
    /// Where a scenario outside [`Scenario::ALL`] would be counted: none
    /// is (`Scenario::index` is a position in it), but a lookup cannot fail.
    spare: Tally,
}

impl Tallies {
    pub(crate) fn get(&self, scenario: Scenario) -> &Tally {
        self.scenarios.get(scenario.index()).unwrap_or(&self.spare)
    }

    pub(crate) fn get_mut(&mut self, scenario: Scenario) -> &mut Tally {
        match self.scenarios.get_mut(scenario.index()) {
            Some(tally) => tally,
            None => &mut self.spare,
        }
    }

    pub(crate) fn total(&self) -> Tally {
        let mut total = Tally::default();
        for scenario in Scenario::ALL {
            total += self.get(scenario);
        }
        total
    }

    /// All attack scenarios together.
    pub(crate) fn attacks(&self) -> Tally {
        let mut total = Tally::default();
        for scenario in Scenario::ALL.into_iter().filter(|s| s.is_attack()) {
            total += self.get(scenario);
        }
        total
    }
}
