//! OTP delivery controls in the engine: a destination's risk tier, the
//! per-channel destination rules and the org-wide service caps.

use std::sync::Arc;
use std::time::Duration;

use super::compiled::Active;
use super::conversion::CompiledConversion;
use super::cross::CompiledCross;
use super::live::CompiledLive;
use super::resend::Resend;
use super::spend::CompiledSpend;
use crate::facts::Facts;
use crate::keys::KeyHasher;
use crate::phone::{NumberType, PhoneInfo};
use crate::policy::{BUILTIN_RISK_TIERS, Policy, RiskTier, TierTable, When, parse_tier_csv};
use crate::store::{CapMode, CapOutcome, Op, StoreKey};
use crate::{Action, Channel, E164, Event, EventKind, Reason, ReasonCode};

/// The OTP part of an installed policy, compiled.
#[derive(Debug)]
pub(crate) struct CompiledOtp {
    tiers: TierTable,
    caps: Vec<Cap>,
    pub(super) resend: Resend,
    pub(crate) spend: CompiledSpend,
    pub(super) conversion: CompiledConversion,
    pub(super) live: CompiledLive,
    pub(super) cross: CompiledCross,
}

/// A service cap, ready to run.
#[derive(Debug)]
struct Cap {
    name: Arc<str>,
    seed: u64,
    channels: Vec<Channel>,
    window: Duration,
    cap: u64,
    lockout: Duration,
    monitor: bool,
}

impl CompiledOtp {
    pub(crate) fn compile(policy: &Policy, keys: &KeyHasher) -> CompiledOtp {
        // The built-in table is tested to parse; a failure would only drop it.
        let builtin = if policy.otp.builtin_tiers {
            parse_tier_csv(BUILTIN_RISK_TIERS).unwrap_or_default()
        } else {
            Vec::new()
        };
        CompiledOtp {
            tiers: TierTable::new(builtin.iter().chain(&policy.otp.tiers)),
            caps: policy
                .otp
                .caps
                .iter()
                .map(|c| Cap {
                    name: c.name.as_str().into(),
                    seed: keys.rule_seed(&c.name),
                    channels: c.channels.clone(),
                    window: c.rate.period(),
                    cap: u64::from(c.rate.count()),
                    lockout: Duration::from_secs(u64::from(c.lockout_minutes) * 60),
                    monitor: c.monitor,
                })
                .collect(),
            resend: Resend::compile(policy, keys),
            spend: CompiledSpend::compile(policy, keys),
            conversion: CompiledConversion::compile(policy, keys),
            live: CompiledLive::compile(policy, keys),
            cross: CompiledCross::compile(policy, keys),
        }
    }

    /// The number's tier: its longest listed prefix's, `medium` if none;
    /// premium-rate and shared-cost lines are `high` whatever the prefix.
    pub(crate) fn tier(&self, info: &PhoneInfo) -> RiskTier {
        let by_prefix = self.tiers.lookup(info.e164.digits()).unwrap_or(RiskTier::Medium);
        match info.number_type {
            NumberType::PremiumRate | NumberType::SharedCost => RiskTier::High,
            _ => by_prefix,
        }
    }
}

impl CompiledOtp {
    /// The cap operations for an OTP send on a capped channel, with the
    /// index of each cap: checks when deciding, charges when a send is
    /// recorded.
    pub(super) fn cap_ops<'a>(
        &'a self,
        keys: &'a KeyHasher,
        kind: &EventKind,
        mode: CapMode,
    ) -> impl Iterator<Item = (u32, Op)> + 'a {
        let channel = match kind {
            EventKind::OtpSend { channel } => Some(*channel),
            _ => None,
        };
        let capped = self.caps.iter().zip(0u32..).filter_map(move |(cap, index)| {
            let channel = channel.filter(|c| cap.channels.contains(c))?;
            Some((cap, index, channel))
        });
        capped.map(move |(cap, index, channel)| {
            let op = Op::Cap {
                key: StoreKey(keys.hash_of(cap.seed, channel.as_str())),
                window: cap.window,
                cap: cap.cap,
                amount: 1,
                lockout: cap.lockout,
                mode,
            };
            (index, op)
        })
    }

    /// The reason a locked-out channel gives.
    pub(super) fn cap_reason(&self, index: u32, outcome: &CapOutcome) -> Option<Reason> {
        let cap = self.caps.get(index as usize).filter(|_| !outcome.allowed)?;
        let detail = format!(
            "service cap of {} per {}s reached; channel locked",
            cap.cap,
            cap.window.as_secs()
        );
        let mut r = Reason::new(ReasonCode::OtpServiceCap, detail);
        r.rule = Some(Arc::clone(&cap.name));
        r.monitor = cap.monitor;
        r.action = Some(Action::Throttle {
            retry_after: outcome.retry_after,
        });
        Some(r)
    }
}

/// The phone channel and number of an OTP send, if it is one.
fn phone_send(event: &Event) -> Option<(Channel, &E164)> {
    match (event.kind, &event.phone) {
        (EventKind::OtpSend { channel }, Some(phone)) if channel != Channel::Email => Some((channel, phone)),
        _ => None,
    }
}

/// Destination rules: static, so they join the screen's reasons.
pub(super) fn screen(active: &Active, event: &Event, facts: &Facts, reasons: &mut Vec<Reason>) {
    let (Some((channel, _)), Some(info)) = (phone_send(event), facts.phone) else {
        return;
    };
    active.otp.cross.screen(facts, reasons);
    let rules = &active.policy.otp.destinations;
    let tier = active.otp.tier(&info);
    for rule in rules {
        if !rule.channels.is_empty() && !rule.channels.contains(&channel) {
            continue;
        }
        let listed = rule.tiers.contains(&tier)
            || info.country.is_some_and(|c| rule.countries.contains(&c))
            || rule.number_types.contains(&info.number_type);
        if listed == (rule.when == When::In) {
            let country = info.country.as_ref().map_or("no country", |c| c.as_str());
            let detail = format!(
                "{} to a {tier}-risk {} number ({country})",
                channel.as_str(),
                info.number_type
            );
            reasons.push(super::screen::matched(
                ReasonCode::OtpDestination,
                detail,
                &rule.name,
                rule.action,
                rule.monitor,
            ));
        }
    }
}
