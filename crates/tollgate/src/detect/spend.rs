//! Spend ceilings: sends priced from the operator's price list, checked
//! when decided and charged when recorded as sent.
//! The section itself (`[otp.spend]`, the price list and its CSV format)
//! is in `policy/spend.rs`; see `docs/otp.md`.
//!
//! ```
//! use tollgate::{Channel, E164, Engine, Event, EventKind, Outcome, ReasonCode, Timestamp};
//! use tollgate::policy::{Policy, SpendCeiling, SpendScope};
//!
//! let mut policy = Policy::default();
//! policy.limits.clear();
//! policy.otp.resend.clear();
//! policy.otp.spend.default_cost = 50_000;
//! policy.otp.spend.ceilings = vec![SpendCeiling::new("spend-user", SpendScope::User, 100_000)];
//! let engine = Engine::new(policy)?;
//! let send = |n: u64| -> Result<Event, Box<dyn std::error::Error>> {
//!     Ok(Event::new(EventKind::OtpSend { channel: Channel::Sms }, Timestamp::from_unix_millis(1_700_000_000_000 + n * 60_000))
//!         .with_user("mallory")
//!         .with_phone("+447700900123".parse::<E164>()?))
//! };
//! for n in 0..2 {
//!     engine.record(&Outcome::succeeded(send(n)?));
//! }
//! let third = engine.evaluate(&send(2)?);
//! assert!(third.reasons.iter().any(|r| r.code == ReasonCode::OtpSpendCap));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::Arc;
use std::time::Duration;

use super::{Detector, Events, Findings, Reading, Scene};
use crate::facts::Facts;
use crate::keys::KeyHasher;
use crate::policy::{CostTable, Policy, SpendScope};
use crate::store::{CapMode, CapOutcome, Op, OpResult, StoreKey};
use crate::{Action, Channel, Event, EventKind, EventType, Outcome, Reason, ReasonCode};

/// The spend part of an installed policy, compiled.
#[derive(Debug)]
pub(crate) struct CompiledSpend {
    costs: CostTable,
    ceilings: Vec<Ceiling>,
}

#[derive(Debug)]
struct Ceiling {
    name: Arc<str>,
    seed: u64,
    per: SpendScope,
    channels: Vec<Channel>,
    window: Duration,
    amount: u64,
    lockout: Duration,
    monitor: bool,
}

impl Detector for CompiledSpend {
    /// The ceiling, by index.
    type Step = u32;
    type Tally = ();

    fn compile(policy: &Policy, keys: &KeyHasher) -> CompiledSpend {
        let spend = &policy.otp.spend;
        CompiledSpend {
            costs: CostTable::new(spend),
            ceilings: spend
                .ceilings
                .iter()
                .map(|c| Ceiling {
                    name: c.name.as_str().into(),
                    seed: keys.rule_seed(&c.name),
                    per: c.per,
                    channels: c.channels.clone(),
                    window: Duration::from_secs(u64::from(c.period_hours) * 3600),
                    amount: c.amount,
                    lockout: Duration::from_secs(u64::from(c.lockout_minutes) * 60),
                    monitor: c.monitor,
                })
                .collect(),
        }
    }

    fn events(&self) -> Events {
        Events::of(&[EventType::OtpSend]).when(!self.ceilings.is_empty())
    }

    fn plan(&self, scene: &Scene<'_>, push: &mut impl FnMut(u32, Op)) {
        for (index, op) in self.ops(&scene.keys, scene.event, scene.facts, CapMode::Check) {
            push(index, op);
        }
    }

    fn read(&self, index: u32, result: &OpResult, _: &mut (), _: &Reading<'_>, out: &mut Findings) -> bool {
        let OpResult::Cap(outcome) = result else {
            return false;
        };
        out.reasons.extend(self.reason(index, outcome));
        true
    }

    /// A send is charged its price once it went out.
    fn record(&self, scene: &Scene<'_>, outcome: &Outcome, push: &mut impl FnMut(Op)) {
        if !outcome.is_failure() {
            self.ops(&scene.keys, scene.event, scene.facts, CapMode::Charge)
                .for_each(|(_, op)| push(op));
        }
    }
}

impl CompiledSpend {
    /// The price of an OTP send to a phone, if the event is one.
    fn cost(&self, event: &Event) -> Option<(Channel, u32)> {
        match (event.kind, &event.phone) {
            (EventKind::OtpSend { channel }, Some(phone)) if channel != Channel::Email => {
                Some((channel, self.costs.cost(channel, phone.digits())))
            }
            _ => None,
        }
    }

    /// The ceilings' operations for an OTP send, with each ceiling's index:
    /// checks when deciding, charges of the send's price when recorded.
    fn ops<'a>(
        &'a self,
        keys: &'a KeyHasher,
        event: &'a Event,
        facts: &'a Facts,
        mode: CapMode,
    ) -> impl Iterator<Item = (u32, Op)> + 'a {
        let priced = self.cost(event).filter(|(_, cost)| mode == CapMode::Check || *cost > 0);
        self.ceilings.iter().zip(0u32..).filter_map(move |(c, index)| {
            let (channel, cost) = priced?;
            if !c.channels.is_empty() && !c.channels.contains(&channel) {
                return None;
            }
            let key = match c.per {
                SpendScope::User => keys.hash_of(c.seed, event.user.as_ref()?),
                SpendScope::Country => {
                    let info = facts.phone?;
                    match info.country {
                        Some(country) => keys.hash_of(c.seed, country.as_str()),
                        None => keys.hash_of(c.seed, info.calling_code),
                    }
                }
                _ => keys.hash_of(c.seed, ()),
            };
            let op = Op::Cap {
                key: StoreKey(key),
                window: c.window,
                cap: c.amount,
                amount: cost,
                lockout: c.lockout,
                mode,
            };
            Some((index, op))
        })
    }

    fn reason(&self, index: u32, outcome: &CapOutcome) -> Option<Reason> {
        let c = self.ceilings.get(index as usize).filter(|_| !outcome.allowed)?;
        let per = match c.per {
            SpendScope::User => "user",
            SpendScope::Country => "destination country",
            _ => "service",
        };
        let detail = format!(
            "spend of {} per {per} in {}h reached (ceiling {})",
            outcome.count,
            c.window.as_secs() / 3600,
            c.amount
        );
        let mut r = Reason::new(ReasonCode::OtpSpendCap, detail);
        r.rule = Some(Arc::clone(&c.name));
        r.monitor = c.monitor;
        r.action = Some(Action::Throttle {
            retry_after: outcome.retry_after,
        });
        Some(r)
    }
}
