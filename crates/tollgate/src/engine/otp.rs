//! OTP delivery controls in the engine: a destination's risk tier and the
//! per-channel destination rules.

use super::compiled::Active;
use crate::policy::{BUILTIN_RISK_TIERS, Policy, RiskTier, TierTable, When, parse_tier_csv};
use crate::{Channel, E164, Event, EventKind, Reason, ReasonCode};

/// The OTP part of an installed policy, compiled.
#[derive(Debug)]
pub(crate) struct CompiledOtp {
    tiers: TierTable,
}

impl CompiledOtp {
    pub(crate) fn compile(policy: &Policy) -> CompiledOtp {
        // The built-in table is tested to parse; a failure would only drop it.
        let builtin = if policy.otp.builtin_tiers {
            parse_tier_csv(BUILTIN_RISK_TIERS).unwrap_or_default()
        } else {
            Vec::new()
        };
        CompiledOtp {
            tiers: TierTable::new(builtin.iter().chain(&policy.otp.tiers)),
        }
    }

    /// The number's tier: its longest listed prefix's, `medium` if none.
    pub(crate) fn tier(&self, phone: &E164) -> RiskTier {
        self.tiers.lookup(phone.digits()).unwrap_or(RiskTier::Medium)
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
pub(super) fn screen(active: &Active, event: &Event, reasons: &mut Vec<Reason>) {
    let Some((channel, phone)) = phone_send(event) else {
        return;
    };
    let rules = &active.policy.otp.destinations;
    if rules.is_empty() {
        return;
    }
    let tier = active.otp.tier(phone);
    for rule in rules {
        if !rule.channels.is_empty() && !rule.channels.contains(&channel) {
            continue;
        }
        let listed = rule.tiers.contains(&tier);
        if listed == (rule.when == When::In) {
            let detail = format!("{} to a {tier}-risk destination", channel.as_str());
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
