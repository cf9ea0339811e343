//! The `[campaign]` section: attack mode's settings and their validation.

use crate::policy::{MatchAction, PolicyError};

/// Settings of the site-wide attack mode. See `docs/campaign.md`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Campaign {
    /// Turns attack mode on (default) or off.
    pub enabled: bool,
    /// The short window over which shares are measured, in seconds (60 to
    /// 3,600; default 600).
    pub window_secs: u32,
    /// How long the baseline remembers, in hours (1 to 720; default 24).
    pub baseline_hours: u32,
    /// Hours of observations a scope's baseline needs before it can call a
    /// campaign (0 to `baseline_hours`; default 2).
    pub warmup_hours: u32,
    /// Most seconds an instance reuses what it read of a scope (1 to
    /// `window_secs`; default 10).
    pub refresh_secs: u32,
    /// Recorded logins a scope needs in the short window before its shares
    /// count (at least 1; default 50).
    pub min_attempts: u32,
    /// How many times its baseline a share must be (2 to 100; default 2).
    pub factor: u32,
    /// How far above its baseline a count must be, in standard deviations
    /// of the count the baseline share predicts for this many attempts (a
    /// binomial test; 2 to 20, default 4). Keeps a noisy few minutes from
    /// calling a campaign where volume is low, and lets a small but steady
    /// excess call one where volume is high.
    pub significance: u8,
    /// A failure share below this percentage is never a campaign (1 to
    /// 100; default 30: typos fail 10 to 20 % of real logins).
    pub failure_percent: u8,
    /// An unknown-username share below this percentage is never a campaign
    /// (1 to 100; default 2). Real sites see people mistype their username
    /// or email, and `factor` times that baseline governs there; the floor
    /// matters where the baseline is near zero, where a list whose names
    /// are 60 % unknown shows as a few percent of all logins.
    pub unknown_percent: u8,
    /// Step up logins to accounts with no login on record too (default
    /// true). Most of those are usernames nobody has (people's typos, the
    /// misses of the list being tried) and the rest accounts new or dormant
    /// past familiarity's memory. Either way one from a device id that
    /// signed in here before (a person mistyping their username) is spared,
    /// up to `familiarity.typo_usernames` usernames per device id.
    /// Sparing them all (false) keeps the list's unknown-user outcomes
    /// coming, but a step-up then tells whoever turns attack mode on which
    /// usernames have accounts here: see `docs/campaign.md`.
    pub accounts_without_history: bool,
    /// What `campaign.new_client` does: challenge (default), deny or a
    /// score.
    pub action: MatchAction,
    /// Report without enforcing.
    pub monitor: bool,
}

impl Default for Campaign {
    fn default() -> Self {
        Campaign {
            enabled: true,
            window_secs: 600,
            baseline_hours: 24,
            warmup_hours: 2,
            refresh_secs: 10,
            min_attempts: 50,
            factor: 2,
            significance: 4,
            failure_percent: 30,
            unknown_percent: 2,
            accounts_without_history: true,
            action: MatchAction::Challenge,
            monitor: false,
        }
    }
}

pub(super) fn validate(c: &Campaign) -> Result<(), PolicyError> {
    let bad = |f: &str, m: &'static str| Err(PolicyError::invalid(format!("campaign.{f}"), m));
    if !(60..=3600).contains(&c.window_secs) {
        return bad("window_secs", "must be 60 to 3600");
    }
    if !(1..=720).contains(&c.baseline_hours) {
        return bad("baseline_hours", "must be 1 to 720");
    }
    if c.warmup_hours > c.baseline_hours {
        return bad("warmup_hours", "must be 0 to baseline_hours");
    }
    if c.refresh_secs == 0 || c.refresh_secs > c.window_secs {
        return bad("refresh_secs", "must be 1 to window_secs");
    }
    if c.min_attempts == 0 {
        return bad("min_attempts", "must be at least 1");
    }
    if !(2..=100).contains(&c.factor) {
        return bad("factor", "must be 2 to 100");
    }
    if !(2..=20).contains(&c.significance) {
        return bad("significance", "must be 2 to 20");
    }
    if !(1..=100).contains(&c.failure_percent) {
        return bad("failure_percent", "must be 1 to 100");
    }
    if !(1..=100).contains(&c.unknown_percent) {
        return bad("unknown_percent", "must be 1 to 100");
    }
    crate::policy::validate::action(c.action, false).map_err(|m| PolicyError::invalid("campaign.action", m))
}
