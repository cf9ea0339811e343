//! Learning from outcomes: the operations a recorded outcome runs.

use smallvec::SmallVec;

use super::{Engine, Ops, plan};
use crate::detect::Scene;
use crate::store::{Op, OpResult, Store};
use crate::{Outcome, Timestamp};

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
        // An outcome that cannot be recorded has nothing to report back.
        self.run_ops(outcome.event.at, &self.record_ops(outcome));
    }

    /// Runs `ops` in the engine's own store at `at` and returns their
    /// results: recording and importing, whose callers have no error to
    /// report. The in-process store cannot fail with a matching buffer.
    pub(super) fn run_ops(&self, at: Timestamp, ops: &[Op]) -> SmallVec<[OpResult; plan::INLINE_OPS]>
    where
        S: Store,
    {
        let mut results: SmallVec<[OpResult; plan::INLINE_OPS]> = SmallVec::from_elem(OpResult::Done, ops.len());
        let _ = self.store.execute(at, ops, &mut results);
        results
    }

    /// The operations [`record`](Engine::record) runs, for a caller-run
    /// store; execute them at `outcome.event.at`. Their results carry no
    /// information.
    pub fn record_ops(&self, outcome: &Outcome) -> Ops {
        let active = self.active.load();
        let event = &outcome.event;
        let facts = self.facts(event);
        let scene = Scene::new(&self.keys, event, &facts, &active.policy);
        let mut ops = Ops::default();
        let mask = active.detectors.mask(event.kind.event_type());
        active.detectors.record(mask, &scene, outcome, &mut |op| ops.push(op));
        ops
    }
}
