//! The decisions `tollgate score` made, so that an outcome line that comes
//! without one is recorded with the decision on its event, as an adapter
//! records it. Without that, every control that learns from decisions
//! (post-login memory of a risky login, attack mode's hold, the newcomer
//! share, the settled-site check) would see nothing in a replay.
//!
//! An outcome's event carries the time of the outcome, not of the request,
//! so it is matched on who and what: its kind, user, IP address, device
//! id, phone number and user agent. The latest decision with that identity
//! wins, among the last [`Decided::CAPACITY`] remembered.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};

use tollgate::{Decision, DecisionSummary, Event, Outcome};

/// The latest decisions per event identity, bounded.
#[derive(Debug, Default)]
pub(crate) struct Decided {
    latest: HashMap<u64, (u64, DecisionSummary)>,
    /// Identities in the order decided, with the sequence number each
    /// entry was decided at, so that a stale entry evicts nothing newer.
    order: VecDeque<(u64, u64)>,
    next: u64,
}

impl Decided {
    /// Decisions remembered: a day of a busy site's requests between a
    /// login and its outcome is far more than a replay's lag.
    pub(crate) const CAPACITY: usize = 1 << 18;

    /// Remembers `decision` as the latest on `event`'s identity.
    pub(crate) fn remember(&mut self, event: &Event, decision: &Decision) {
        let id = identity(event);
        let seq = self.next;
        self.next += 1;
        self.latest.insert(id, (seq, DecisionSummary::of(decision)));
        self.order.push_back((id, seq));
        while self.order.len() > Self::CAPACITY {
            let Some((old, old_seq)) = self.order.pop_front() else {
                break;
            };
            if self.latest.get(&old).is_some_and(|(s, _)| *s == old_seq) {
                self.latest.remove(&old);
            }
        }
    }

    /// `outcome`, with the latest decision on its identity attached when it
    /// has none of its own.
    pub(crate) fn attach(&self, outcome: Outcome) -> Outcome {
        if outcome.decision().is_some() {
            return outcome;
        }
        match self.latest.get(&identity(&outcome.event)) {
            Some((_, summary)) => outcome.with_summary(*summary),
            None => outcome,
        }
    }
}

fn identity(event: &Event) -> u64 {
    let mut h = DefaultHasher::new();
    event.kind.hash(&mut h);
    event.user.as_ref().map(|u| u.canonical()).hash(&mut h);
    event.ip.hash(&mut h);
    event.device.hash(&mut h);
    event.phone.hash(&mut h);
    event.user_agent.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tollgate::{Action, EventKind, Timestamp};

    fn login(user: &str, at: u64) -> Event {
        Event::new(EventKind::Login, Timestamp::from_unix_millis(at))
            .with_user(user)
            .with_ip("203.0.113.7".parse().unwrap())
    }

    fn decision(action: Action) -> Decision {
        let mut d = Decision::allow();
        d.action = action;
        d
    }

    #[test]
    fn an_outcome_gets_the_latest_decision_on_its_event() {
        let mut decided = Decided::default();
        decided.remember(&login("alice", 1), &decision(Action::Allow));
        decided.remember(&login("alice", 2), &decision(Action::Challenge));
        // Later than the request, and named differently in case: the same login.
        let outcome = decided.attach(Outcome::succeeded(login("ALICE", 900)));
        assert!(outcome.decision().is_some_and(|s| s.challenged));
        assert!(
            decided
                .attach(Outcome::succeeded(login("bob", 900)))
                .decision()
                .is_none()
        );
        let other_ip = login("alice", 900).with_ip("198.51.100.1".parse().unwrap());
        assert!(decided.attach(Outcome::succeeded(other_ip)).decision().is_none());
    }

    #[test]
    fn an_outcome_keeps_its_own_decision() {
        let mut decided = Decided::default();
        decided.remember(&login("alice", 1), &decision(Action::Challenge));
        let own = Outcome::succeeded(login("alice", 2)).with_decision(&decision(Action::Allow));
        assert!(decided.attach(own).decision().is_some_and(|s| !s.challenged));
    }

    #[test]
    fn memory_is_bounded_and_keeps_the_newest() {
        let mut decided = Decided::default();
        decided.remember(&login("first", 0), &decision(Action::Challenge));
        decided.remember(&login("kept", 0), &decision(Action::Challenge));
        for n in 0..Decided::CAPACITY - 1 {
            decided.remember(&login(&format!("u{n}"), 0), &decision(Action::Allow));
        }
        // "kept" again: its older entry leaves the queue but not the map.
        decided.remember(&login("kept", 0), &decision(Action::Challenge));
        assert_eq!(decided.latest.len(), Decided::CAPACITY);
        assert!(
            decided
                .attach(Outcome::succeeded(login("first", 1)))
                .decision()
                .is_none()
        );
        assert!(
            decided
                .attach(Outcome::succeeded(login("kept", 1)))
                .decision()
                .is_some()
        );
    }
}
