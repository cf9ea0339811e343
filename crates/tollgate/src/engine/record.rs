//! Learning from outcomes: the operations a recorded outcome runs.

use smallvec::SmallVec;

use super::{Engine, Ops, plan};
use crate::Outcome;
use crate::detect::Scene;
use crate::store::{OpResult, Store};

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
        let event = &outcome.event;
        let facts = self.facts(event);
        let scene = Scene::new(&self.keys, event, &facts, &active.policy);
        let mut ops = Ops::default();
        let mask = active.detectors.mask(event.kind.event_type());
        active.detectors.record(mask, &scene, outcome, &mut |op| ops.push(op));
        ops
    }
}
