//! OTP destinations in the screen stage: a number's risk tier and the
//! per-channel destination rules (`[[otp.destinations]]`), static checks
//! that need no counter.

use crate::engine::compiled::Active;
use crate::facts::Facts;
use crate::phone::{NumberType, PhoneInfo};
use crate::policy::{BUILTIN_RISK_TIERS, Policy, RiskTier, TierTable, When, parse_tier_csv};
use crate::{Channel, E164, Event, EventKind, Reason, ReasonCode};

/// The destination risk tiers, compiled.
#[derive(Debug)]
pub(crate) struct Tiers {
    tiers: TierTable,
}

impl Tiers {
    pub(crate) fn compile(policy: &Policy) -> Tiers {
        // The built-in table is tested to parse; a failure would only drop it.
        let builtin = if policy.otp.builtin_tiers {
            parse_tier_csv(BUILTIN_RISK_TIERS).unwrap_or_default()
        } else {
            Vec::new()
        };
        Tiers {
            tiers: TierTable::new(builtin.iter().chain(&policy.otp.tiers)),
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
    let rules = &active.policy.otp.destinations;
    let tier = active.tiers.tier(&info);
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
            reasons.push(crate::detect::matched(
                ReasonCode::OtpDestination,
                detail,
                &rule.name,
                rule.action,
                rule.monitor,
            ));
        }
    }
}
