//! From reasons to a decision: points, thresholds, hard rules, monitor mode.

use crate::policy::Threshold;
use crate::{Action, Decision, RateLimitInfo, Reason, ReasonCode, StepUpClass, Verdict};

/// Builds the decision: the enforced verdict from reasons not in monitor
/// mode, and, when any monitored reason fired, the verdict with them too.
pub(crate) fn decide(threshold: Threshold, reasons: Vec<Reason>, rate_limit: Option<RateLimitInfo>) -> Decision {
    let enforced = verdict(threshold, reasons.iter().filter(|r| !r.monitor));
    let monitored = reasons
        .iter()
        .any(|r| r.monitor)
        .then(|| verdict(threshold, reasons.iter()));
    Decision {
        action: enforced.action,
        score: enforced.score,
        reasons,
        rate_limit,
        monitored,
        advice: Vec::new(),
        pow: None,
        signals: crate::RiskSignals::EMPTY,
    }
}

/// Remakes a decision without its automation-class reasons, after a solved
/// proof of work: they stay listed (the operator sees what fired) but no
/// longer count, and a `challenge.pow_solved` reason says why.
pub(crate) fn clear_automation(threshold: Threshold, decision: &mut Decision) {
    let kept = |r: &&Reason| r.code.step_up_class() != StepUpClass::Automation;
    let enforced = verdict(threshold, decision.reasons.iter().filter(|r| !r.monitor).filter(kept));
    decision.action = enforced.action;
    decision.score = enforced.score;
    if decision.monitored.is_some() {
        decision.monitored = Some(verdict(threshold, decision.reasons.iter().filter(kept)));
    }
    decision.pow = None;
    decision.reasons.push(Reason::new(
        ReasonCode::PowSolved,
        "proof of work solved: automation-class reasons cleared for this request",
    ));
}

/// Points are summed and clamped to 100; the score's action per the
/// thresholds and every hard action compete, and the most severe wins
/// (for two throttles, the longer wait).
fn verdict<'a>(threshold: Threshold, reasons: impl Iterator<Item = &'a Reason>) -> Verdict {
    let mut points = 0u32;
    let mut action = Action::Allow;
    for r in reasons {
        points += u32::from(r.points);
        if let Some(a) = r.action {
            action = action.max(a);
        }
    }
    let score = points.min(100) as u8;
    let by_score = if score >= threshold.deny {
        Action::Deny
    } else if score >= threshold.challenge {
        Action::Challenge
    } else {
        Action::Allow
    };
    Verdict {
        action: action.max(by_score),
        score,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::ReasonCode;

    const T: Threshold = Threshold {
        challenge: 50,
        deny: 90,
    };

    fn scored(points: u8, monitor: bool) -> Reason {
        let mut r = Reason::new(ReasonCode::CompromisedPassword, "test");
        r.points = points;
        r.monitor = monitor;
        r
    }

    fn hard(action: Action) -> Reason {
        let mut r = Reason::new(ReasonCode::LimitExceeded, "test");
        r.action = Some(action);
        r
    }

    #[test]
    fn points_sum_clamp_and_cross_thresholds() {
        assert_eq!(decide(T, vec![scored(30, false)], None).action, Action::Allow);
        assert_eq!(
            decide(T, vec![scored(30, false), scored(20, false)], None).action,
            Action::Challenge
        );
        let d = decide(T, vec![scored(80, false), scored(80, false)], None);
        assert_eq!((d.action, d.score), (Action::Deny, 100));
    }

    #[test]
    fn most_severe_hard_action_wins() {
        let short = Action::Throttle {
            retry_after: Duration::from_secs(1),
        };
        let long = Action::Throttle {
            retry_after: Duration::from_secs(9),
        };
        let d = decide(T, vec![hard(short), hard(long), scored(60, false)], None);
        assert_eq!(d.action, long);
        assert_eq!(
            decide(T, vec![hard(long), hard(Action::Deny)], None).action,
            Action::Deny
        );
    }

    #[test]
    fn monitored_reasons_report_but_do_not_enforce() {
        let d = decide(T, vec![scored(40, false), scored(60, true)], None);
        assert_eq!((d.action, d.score), (Action::Allow, 40));
        assert_eq!(
            d.monitored,
            Some(Verdict {
                action: Action::Deny,
                score: 100
            })
        );
        assert_eq!(decide(T, vec![scored(10, false)], None).monitored, None);
    }
}
