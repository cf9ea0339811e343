//! Step-ups attack mode issued, and those answered: the evidence attack
//! mode hides from itself.
//!
//! Attack mode reads recorded outcomes, and a bot that meets its challenge
//! and cannot pass it is never recorded: while the mode is on, the failures
//! and unknown usernames that called it vanish from the shares, and the
//! mode switches off while the attack goes on. So attack mode also counts,
//! per scope, the step-ups it issued and the logins recorded afterwards
//! that passed one of them (their decision carries the `attack_mode`
//! signal); a campaign stays on while most of its step-ups go unanswered.
//!
//! The counts are shared through the store, so that a step-up issued by
//! one instance and answered on another (behind a load balancer, the
//! retry goes anywhere) cancel out: each instance keeps what it counted
//! since its last read of the scope, and adds it with that read, one
//! window pair per scope (issued, answered) beside the scope's shares.

/// Unanswered step-ups a scope needs in a window to keep a campaign on:
/// below this, a handful of people abandoning a challenge would hold it.
const MIN_UNANSWERED: f64 = 10.0;

/// Whether a campaign that is on stays on for want of answers: at least
/// [`MIN_UNANSWERED`] step-ups unanswered in the window, and more than a
/// quarter of those issued. Not a half: where most members have no history
/// yet (a young deployment) attack mode steps up many of them, and their
/// answers would outnumber a slow list's unanswered step-ups and switch the
/// mode off while the list runs.
pub(super) fn unanswered(stepped: u64, answered: u64) -> bool {
    let open = stepped.saturating_sub(answered) as f64;
    let stepped = stepped as f64;
    open >= MIN_UNANSWERED && open * 4.0 > stepped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_campaign_is_held_while_most_step_ups_go_unanswered() {
        assert!(unanswered(30, 5));
        assert!(unanswered(50, 30), "people passed many, a list's 20 went unanswered");
        assert!(!unanswered(50, 40), "people passed almost all of them");
        assert!(!unanswered(8, 0), "too few to hold");
        assert!(!unanswered(5, 9), "answers from before the window");
    }
}
