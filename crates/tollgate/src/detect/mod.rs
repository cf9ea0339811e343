//! Detectors: the counter-backed checks, one file each, named once in the
//! list at the bottom of this file.
//!
//! A detector turns an event into counter operations (`plan`), their
//! results into reasons (`read`, then `finish` once every result is in),
//! and a recorded outcome into the operations that teach it (`record`).
//! When a policy is installed, each detector says which event types it
//! acts on ([`Detector::events`]), and the engine keeps one mask of
//! detectors per event type: a login runs only the detectors that can
//! plan or record something for a login.
//!
//! Checks that need no counter (zones, country and network lists,
//! fingerprint rules, destination rules) are the engine's screen stage;
//! a detector may add a static reason of its own in [`Detector::screen`].
//!
//! Adding a detector: write `detect/<name>.rs` with its policy section,
//! compiled form and an `impl Detector`; add a line to the list below
//! naming it and its section's public types (they appear in
//! [`crate::policy`]); add the section to [`Policy`] (the field, and its
//! line in `Policy::default`). One new file, three one-line edits.
//!
//! ```
//! use tollgate::policy::{Policy, StuffingDetector};
//!
//! // Every detector's section is part of the policy, as TOML or in code.
//! let policy = Policy::from_toml("[[stuffing]]\nname = \"ip\"\nkey = [\"ip\"]\nwindow_secs = 600\ndistinct_users = 100\naction = \"challenge\"\n")?;
//! let detector: &StuffingDetector = &policy.stuffing[0];
//! assert_eq!(detector.distinct_users, 100);
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::facts::Facts;
use crate::keys::{EventKeys, KeyHasher};
use crate::policy::{KeyOptions, MatchAction, Policy, PolicyError};
use crate::store::{Op, OpResult};
use crate::{Action, Channel, Event, EventKind, EventType, Outcome, RateLimitInfo, Reason, ReasonCode};

mod binomial;
mod reading;

pub(crate) use reading::Reading;

/// What planning, screening and recording see of an event.
#[derive(Debug)]
pub(crate) struct Scene<'a> {
    pub(crate) keys: EventKeys<'a>,
    pub(crate) event: &'a Event,
    pub(crate) facts: &'a Facts,
    pub(crate) policy: &'a Policy,
}

impl<'a> Scene<'a> {
    /// The scene of `event`, its keys hashed under `hasher` as `policy`
    /// derives them.
    pub(crate) fn new(hasher: &'a KeyHasher, event: &'a Event, facts: &'a Facts, policy: &'a Policy) -> Self {
        Scene {
            keys: EventKeys::new(hasher, event, facts, &policy.keys),
            event,
            facts,
            policy,
        }
    }

    /// How the policy derives limiter keys.
    pub(crate) fn opts(&self) -> &KeyOptions {
        &self.policy.keys
    }
}

/// What reading results produces.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub(crate) reasons: Vec<Reason>,
    /// The quota to advertise in RateLimit headers.
    pub(crate) rate_limit: Option<RateLimitInfo>,
    /// Risk signals no reason carries (see [`crate::Decision::signals`]).
    pub(crate) signals: crate::RiskSignals,
}

/// A set of event types, one bit each; compiled from the policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Events(u8);

impl Events {
    pub(crate) const NONE: Events = Events(0);

    pub(crate) fn of(types: &[EventType]) -> Events {
        Events(types.iter().fold(0, |m, e| m | e.bit()))
    }

    /// `types`, or every type when the list is empty (zones, lists).
    pub(crate) fn or_all(types: &[EventType]) -> Events {
        if types.is_empty() {
            Events(u8::MAX)
        } else {
            Events::of(types)
        }
    }

    pub(crate) fn with(self, other: Events) -> Events {
        Events(self.0 | other.0)
    }

    pub(crate) fn when(self, on: bool) -> Events {
        if on { self } else { Events::NONE }
    }

    pub(crate) fn contains(self, event_type: EventType) -> bool {
        self.0 & event_type.bit() != 0
    }
}

/// Which events a rule covers: event types, and channels for those with one.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct EventFilter {
    pub(crate) events: Events,
    channels: u8,
}

impl EventFilter {
    pub(crate) fn new(events: &[EventType], channels: &[Channel]) -> EventFilter {
        EventFilter {
            events: Events::of(events),
            channels: channels.iter().fold(0, |m, c| m | (1 << (*c as u8))),
        }
    }

    pub(crate) fn applies(&self, kind: &EventKind) -> bool {
        if !self.events.contains(kind.event_type()) {
            return false;
        }
        match (self.channels, kind.channel()) {
            (0, _) => true,
            (mask, Some(c)) => mask & (1 << (c as u8)) != 0,
            // A channel-specific rule cannot tell whether an event without
            // a channel is one of its own; it stays out.
            (_, None) => false,
        }
    }
}

/// One detector. Static dispatch: the list below generates the calls.
pub(crate) trait Detector: Sized {
    /// What one of its operations' results feeds; kept next to the op.
    type Step: Copy + fmt::Debug;
    /// What it gathers from results before its reasons are final.
    type Tally: Default;

    /// Checks the detector's section of the policy; the error names the
    /// first offending field.
    fn validate(_policy: &Policy) -> Result<(), PolicyError> {
        Ok(())
    }

    /// The compiled form of the policy's section (the policy is valid).
    fn compile(policy: &Policy, keys: &KeyHasher) -> Self;

    /// The event types it plans, screens or records anything for.
    fn events(&self) -> Events;

    /// Static reasons, known before any counter is read.
    fn screen(&self, _scene: &Scene<'_>, _reasons: &mut Vec<Reason>) {}

    /// The operations deciding on the event needs.
    fn plan(&self, _scene: &Scene<'_>, _push: &mut impl FnMut(Self::Step, Op)) {}

    /// What a result establishes for every detector's reading (runs over
    /// all results before any `read`).
    fn context(&self, _step: Self::Step, _result: &OpResult, _reading: &mut Reading<'_>) {}

    /// Reads one result; `false` when the result does not fit the step.
    fn read(
        &self,
        step: Self::Step,
        result: &OpResult,
        tally: &mut Self::Tally,
        reading: &Reading<'_>,
        out: &mut Findings,
    ) -> bool;

    /// The reasons that need every result (runs after all `read`s).
    fn finish(&self, _tally: Self::Tally, _reading: &Reading<'_>, _out: &mut Findings) {}

    /// The operations a recorded outcome runs.
    fn record(&self, _scene: &Scene<'_>, _outcome: &Outcome, _push: &mut impl FnMut(Op)) {}
}

/// A reason of a rule with a [`MatchAction`].
pub(crate) fn matched(code: ReasonCode, detail: String, name: &str, action: MatchAction, monitor: bool) -> Reason {
    let mut r = Reason::new(code, detail);
    r.rule = Some(Arc::from(name));
    r.monitor = monitor;
    match action {
        MatchAction::Score(points) => r.points = points,
        MatchAction::Challenge => r.action = Some(Action::Challenge),
        MatchAction::Deny => r.action = Some(Action::Deny),
        _ => r.action = Some(Action::Allow),
    }
    r
}

pub(crate) fn days(n: u16) -> Duration {
    Duration::from_secs(u64::from(n) * 86_400)
}

/// Names every detector once, in the order their operations run and their
/// `finish` steps add reasons, with the public types of its policy section
/// in brackets, and generates the rest: the modules, the re-export of the
/// sections (through [`crate::policy`]), the compiled set, the plan's step
/// type, the per-event-type masks and the loops.
macro_rules! detectors {
    ($($variant:ident => $module:ident :: $ty:ident $([$($section:ident),*])?,)*) => {
        $(pub(crate) mod $module;)*

        /// The detectors' policy sections, re-exported by `policy`.
        pub(crate) mod sections {
            $($(pub use super::$module::{$($section),*};)?)*
        }

        /// Every detector, compiled.
        #[derive(Debug)]
        pub(crate) struct Detectors {
            $(pub(crate) $module: $module::$ty,)*
            /// Per event type (by [`EventType`] discriminant), the detectors
            /// acting on it, one bit each in list order.
            masks: [u32; EventType::ALL.len()],
        }

        /// What an op's result feeds: its detector and that detector's step.
        #[derive(Clone, Copy, Debug)]
        #[allow(clippy::enum_variant_names)]
        pub(crate) enum Step {
            $($variant(<$module::$ty as Detector>::Step),)*
        }

        #[derive(Clone, Copy)]
        #[repr(u32)]
        enum Index {
            $($variant,)*
        }

        #[derive(Default)]
        struct Tallies {
            $($module: <$module::$ty as Detector>::Tally,)*
        }

        impl Detectors {
            /// Checks every detector's section of the policy.
            pub(crate) fn validate(policy: &Policy) -> Result<(), PolicyError> {
                $(<$module::$ty as Detector>::validate(policy)?;)*
                Ok(())
            }

            pub(crate) fn compile(policy: &Policy, keys: &KeyHasher) -> Detectors {
                let mut d = Detectors {
                    $($module: <$module::$ty as Detector>::compile(policy, keys),)*
                    masks: [0; EventType::ALL.len()],
                };
                for event_type in EventType::ALL {
                    let mut mask = 0u32;
                    $(if d.$module.events().contains(event_type) {
                        mask |= 1 << Index::$variant as u32;
                    })*
                    if let Some(slot) = d.masks.get_mut(event_type as usize) {
                        *slot = mask;
                    }
                }
                d
            }

            /// The detectors acting on `event_type`.
            pub(crate) fn mask(&self, event_type: EventType) -> u32 {
                self.masks.get(event_type as usize).copied().unwrap_or(0)
            }

            /// The names of the detectors acting on `event_type`, in order.
            #[cfg(test)]
            fn names(&self, event_type: EventType) -> Vec<&'static str> {
                let mask = self.mask(event_type);
                let mut names = Vec::new();
                $(if mask & (1 << Index::$variant as u32) != 0 {
                    names.push(stringify!($module));
                })*
                names
            }

            pub(crate) fn screen(&self, mask: u32, scene: &Scene<'_>, reasons: &mut Vec<Reason>) {
                $(if mask & (1 << Index::$variant as u32) != 0 {
                    self.$module.screen(scene, reasons);
                })*
            }

            pub(crate) fn plan(&self, mask: u32, scene: &Scene<'_>, push: &mut impl FnMut(Step, Op)) {
                $(if mask & (1 << Index::$variant as u32) != 0 {
                    self.$module.plan(scene, &mut |step, op| push(Step::$variant(step), op));
                })*
            }

            /// Reads every result into `out`; `false` if a result did not
            /// fit its step.
            pub(crate) fn read(
                &self,
                mask: u32,
                steps: &[Step],
                results: &[OpResult],
                reading: &mut Reading<'_>,
                out: &mut Findings,
            ) -> bool {
                for (step, result) in steps.iter().zip(results) {
                    match *step {
                        $(Step::$variant(s) => self.$module.context(s, result, reading),)*
                    }
                }
                let mut tallies = Tallies::default();
                let mut complete = true;
                for (step, result) in steps.iter().zip(results) {
                    complete &= match *step {
                        $(Step::$variant(s) => self.$module.read(s, result, &mut tallies.$module, reading, out),)*
                    };
                }
                $(if mask & (1 << Index::$variant as u32) != 0 {
                    self.$module.finish(tallies.$module, reading, out);
                })*
                complete
            }

            pub(crate) fn record(&self, mask: u32, scene: &Scene<'_>, outcome: &Outcome, push: &mut impl FnMut(Op)) {
                $(if mask & (1 << Index::$variant as u32) != 0 {
                    self.$module.record(scene, outcome, push);
                })*
            }
        }
    };
}

detectors! {
    Limits => limits::Limits,
    Caps => caps::Caps [ServiceCap],
    Backoff => backoff::Backoff [ResendBackoff],
    Spend => spend::CompiledSpend,
    Conversion => conversion::CompiledConversion [Conversion],
    KnownNumbers => known_number::CompiledKnownNumbers [KnownNumbers],
    Budget => budget::CompiledBudget [CountryBudget],
    Newcomers => newcomers::CompiledNewcomers [NewcomerShare],
    Live => live::CompiledLive [Live],
    Cross => cross::CompiledCross [Cross],
    Stuffing => stuffing::CompiledStuffing [StuffingDetector],
    Spraying => spraying::CompiledSpraying [Spraying],
    Campaign => campaign::CompiledCampaign [Campaign],
    Spike => spike::CompiledSpike [Spike, SpikeLevel],
    CodeAttempts => code_attempts::CodeAttempts,
    PostLogin => post_login::CompiledPostLogin [PostLogin],
    Relay => relay::CompiledRelay [Relay],
    Familiarity => familiarity::CompiledFamiliarity [Familiarity, Settled],
    Travel => travel::CompiledTravel [Travel],
    LearnedBrowsers => learned_browsers::LearnedBrowsers,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeySecret;

    fn compiled(policy: &Policy) -> Detectors {
        Detectors::compile(policy, &KeyHasher::with_secret(&KeySecret::from_seed(1)))
    }

    #[test]
    fn event_types_select_their_detectors() {
        let mut policy = Policy::default();
        let d = compiled(&policy);
        let login = [
            "limits",
            "stuffing",
            "spraying",
            "campaign",
            "spike",
            "post_login",
            "familiarity",
            "travel",
            "learned_browsers",
        ];
        assert_eq!(d.names(EventType::Login), login);
        let send = d.names(EventType::OtpSend);
        assert!(send.contains(&"code_attempts") && send.contains(&"relay") && !send.contains(&"stuffing"));
        assert_eq!(
            d.names(EventType::Signup),
            ["limits", "cross", "spike", "learned_browsers"]
        );

        policy.stuffing.clear();
        policy.spike.events.clear();
        policy.post_login.enabled = false;
        policy.spraying.enabled = false;
        policy.campaign.enabled = false;
        policy.limits.retain(|r| !r.events.contains(&EventType::Login));
        policy.fingerprints.learn.enabled = false;
        assert_eq!(compiled(&policy).names(EventType::Login), ["familiarity", "travel"]);
    }
}
