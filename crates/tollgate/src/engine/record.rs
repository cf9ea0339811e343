//! Learning from outcomes: the operations a recorded outcome runs.

use smallvec::SmallVec;

use super::familiarity::Feature;
use super::{Engine, Ops, days, plan, travel};
use crate::limiter::GcraMode;
use crate::policy::Counts;
use crate::store::{CapMode, Op, OpResult, Store, StoreKey};
use crate::{EventType, Outcome};

impl<S> Engine<S> {
    /// Learns from an outcome: charges failure-counting limits on a failure,
    /// refills those with `reset_on_success` on a success, and on a
    /// successful login adds the country, network, device, client
    /// fingerprint and position to the user's history.
    ///
    /// For the OTP controls (`docs/otp.md`): record each code that went
    /// out as a succeeded `otp_send` (service caps, spend ceilings,
    /// conversion and country spikes count it, and the code's wrong
    /// attempts start afresh), each code check as a failed or succeeded
    /// `otp_verify` with the number (a success ends the resend backoff and
    /// counts as a conversion), phone changes and sign-ups.
    ///
    /// A successful login also remembers its time and risk for a credential
    /// change soon after it (`[post_login]`; attach the decision with
    /// [`Outcome::with_decision`]), and a code that went out the client
    /// that asked for it (`[otp.relay]`). See `docs/post-login.md`.
    pub fn record(&self, outcome: &Outcome)
    where
        S: Store,
    {
        let ops = self.record_ops(outcome);
        let mut results: SmallVec<[OpResult; plan::INLINE_OPS]> = SmallVec::from_elem(OpResult::Done, ops.len());
        // The in-process store cannot fail with a matching buffer, and an
        // outcome that cannot be recorded has nothing to report back.
        let _ = self.store.execute(outcome.event.at, &ops, &mut results);
    }

    /// The operations [`record`](Engine::record) runs, for a caller-run
    /// store; execute them at `outcome.event.at`. Their results carry no
    /// information.
    pub fn record_ops(&self, outcome: &Outcome) -> Ops {
        let active = self.active.load();
        let policy = &active.policy;
        let mut ops = Ops::default();
        let event = &outcome.event;
        let facts = self.facts(event);
        for rule in active.rules.iter() {
            if rule.spec.counts != Counts::Failures || !rule.applies(&event.kind) {
                continue;
            }
            let Some(key) = self.keys.key(rule.seed, &rule.spec.key, event, &facts, &policy.keys) else {
                continue;
            };
            if outcome.is_failure() {
                ops.push(Op::Gcra {
                    key,
                    params: rule.params,
                    mode: GcraMode::Charge,
                });
            } else if rule.spec.reset_on_success {
                ops.push(Op::Reset { key });
            }
        }
        // A send counts against the service caps once it went out.
        if !outcome.is_failure() {
            for (_, op) in active.otp.cap_ops(&self.keys, &event.kind, CapMode::Charge) {
                ops.push(op);
            }
            for (_, op) in active.otp.spend.ops(&self.keys, event, &facts, CapMode::Charge) {
                ops.push(op);
            }
        }
        active
            .otp
            .resend
            .record_ops(&self.keys, event, outcome.is_failure(), &facts, &policy.keys, |op| {
                ops.push(op)
            });
        let (otp, failed) = (&active.otp, outcome.is_failure());
        for op in otp.conversion.record_ops(&self.keys, event, &facts, failed) {
            ops.push(op);
        }
        for op in otp.live.record_ops(&self.keys, event, &facts, failed) {
            ops.push(op);
        }
        if !failed {
            otp.cross
                .record_ops(&self.keys, event, &facts, &policy.keys, |op| ops.push(op));
        }
        active
            .stuffing
            .record_ops(&self.keys, event, &facts, &policy.keys, failed, |op| ops.push(op));
        let session = [
            active.post_login.record_op(&self.keys, outcome),
            active.relay.record_op(&self.keys, outcome, &facts, &policy.keys),
        ];
        session.into_iter().flatten().for_each(|op| ops.push(op));
        // Only successful logins teach what is normal for a user: failures
        // would let an attacker train the history with their own network.
        let learns = event.kind.event_type() == EventType::Login && !outcome.is_failure();
        if let (true, Some(user)) = (learns, &event.user) {
            let window = days(policy.familiarity.global_window_days);
            let capacity = policy.familiarity.history_size;
            for feature in Feature::ALL {
                if let Some((keys, member)) = self.seeds.locate(&self.keys, feature, user, event, &facts) {
                    ops.push(Op::Learn {
                        keys,
                        member,
                        window,
                        capacity,
                    });
                }
            }
            if let Some(location) = &facts.location {
                ops.push(Op::RegisterSet {
                    key: StoreKey(self.keys.hash_of(self.travel_seed, user)),
                    value: travel::pack(event.at, location),
                    ttl: days(policy.travel.remember_days),
                });
            }
        }
        ops
    }
}
