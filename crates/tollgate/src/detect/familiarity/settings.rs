//! The `[familiarity]` section of the policy: what familiarity scores,
//! how much history it keeps, and when a stranger is stepped up.

use super::Settled;
use crate::EventType;
use crate::policy::{MatchAction, PolicyError};

/// Per-user familiarity, after Freeman et al., "Who Are You? A Statistical
/// Approach to Measuring User Authenticity" (NDSS 2016). See
/// `docs/familiarity.md`.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Familiarity {
    /// Event types scored for familiarity (empty: off). Histories learn from
    /// successful logins only, whatever this says.
    pub events: Vec<EventType>,
    /// Values kept per user and feature (1 to 32); the least recently seen
    /// value goes first.
    pub history_size: u8,
    /// Days over which global popularity is counted (1 to 365).
    pub global_window_days: u16,
    /// A value used by at least this percentage of all successful logins
    /// is common: being new to it adds no points (1 to 100).
    pub common_percent: u8,
    /// How much of a feature's points a user with no history at all gets,
    /// in percent (0 to 100; default 0: off): with no history every value
    /// is new, so a first-seen account can be scored on how rare its
    /// country, network, device and client fingerprint are. Off by default
    /// because rarity means nothing until the global counts have filled:
    /// on a fresh store every value is rare.
    pub first_seen_percent: u8,
    /// What a user with no history gets when the client shows automation
    /// (`fingerprint.ua_mismatch`, `fingerprint.listed`, `geo.anonymous`, or
    /// a network on an ASN rule such as the hosting list): challenge
    /// (default), deny, or a score. Familiarity cannot vouch for such an
    /// account, so the client's evidence decides on its own. The same
    /// applies to a login to an account with history from a client it
    /// never used, on any network (`familiarity.new_client_automation`).
    pub first_seen_automation: MatchAction,
    /// Successful logins on record from which an account is established
    /// (0: off, the default; 3 is the measured choice when on): a login to
    /// it from a client it never used, on a network prefix it never signed
    /// in from, gets `familiarity.stranger` whether or not attack mode is
    /// on. A stolen password typed into a fresh browser on a residential
    /// line sets off nothing else; a person on a new device at home, or on
    /// their own device id anywhere, is spared. Young accounts, whose
    /// owners are still adding devices, are left to attack mode. Off by
    /// default because the step-up comes before the password check and
    /// names nobody for a username with no account: a fresh client learns
    /// which usernames are established accounts (see `docs/familiarity.md`).
    pub stranger_after: u16,
    /// What `familiarity.stranger` does: challenge (default; an
    /// account-risk reason, so a second factor), deny, or a score.
    pub stranger: MatchAction,
    /// Usernames one device id may name in a day (its own included) and
    /// still pass, on a username without history, as a person mistyping
    /// theirs: attack mode and `familiarity.stranger` leave such a login
    /// alone when its device id signed in here before (0 to 64; default 8,
    /// counted over the day and the day before; 0: never). Past it, one signed-in cookie no longer tells which
    /// usernames have accounts, nor lets a stolen password of a dormant
    /// account in without a step-up.
    pub typo_usernames: u8,
    /// When a stranger to any account gets `familiarity.stranger`, not
    /// only one to an established account: while strangers were a small
    /// share of the site's successful logins the day before.
    pub settled: Settled,
}

impl Default for Familiarity {
    fn default() -> Self {
        Familiarity {
            events: vec![EventType::Login, EventType::CredentialChange],
            history_size: 8,
            global_window_days: 30,
            common_percent: 5,
            first_seen_percent: 0,
            first_seen_automation: MatchAction::Challenge,
            stranger_after: 0,
            stranger: MatchAction::Challenge,
            typo_usernames: 8,
            settled: Settled::default(),
        }
    }
}

impl Familiarity {
    /// Checks the section's values.
    pub(super) fn validate(&self) -> Result<(), PolicyError> {
        let bad = |field: &str, message: &'static str| Err(PolicyError::invalid(format!("familiarity.{field}"), message));
        if crate::policy::validate::has_duplicates(&self.events) {
            return bad("events", "lists an event type twice");
        }
        if !(1..=crate::policy::HISTORY_MAX).contains(&usize::from(self.history_size)) {
            return bad("history_size", "must be 1 to 32");
        }
        if !(1..=365).contains(&self.global_window_days) {
            return bad("global_window_days", "must be 1 to 365");
        }
        if !(1..=100).contains(&self.common_percent) {
            return bad("common_percent", "must be 1 to 100");
        }
        if self.first_seen_percent > 100 {
            return bad("first_seen_percent", "must be 0 to 100");
        }
        if usize::from(self.typo_usernames) > crate::store::DISTINCT_EXACT_UP_TO {
            return bad("typo_usernames", "must be 0 to 64");
        }
        let action = |field: &str, action| {
            crate::policy::validate::action(action, false)
                .map_err(|m| PolicyError::invalid(format!("familiarity.{field}"), m))
        };
        action("first_seen_automation", self.first_seen_automation)?;
        action("stranger", self.stranger)?;
        self.settled.validate()
    }
}
