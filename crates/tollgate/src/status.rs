//! What the engine's adaptive parts believe now: which scopes attack mode
//! follows and whether a campaign is on in them, and whether the site is
//! settled. For dashboards and alerts (`tollgate-metrics` turns it into
//! gauges) and for an operator asking why members are being stepped up;
//! decisions carry the same facts one login at a time.
//!
//! ```
//! use tollgate::policy::Policy;
//! use tollgate::status::CampaignScope;
//! use tollgate::{Engine, Event, EventKind, Outcome, Timestamp};
//!
//! let engine = Engine::new(Policy::default())?;
//! let at = |s: u64| Timestamp::from_unix_millis(1_700_000_000_000 + s * 1_000);
//! for s in 0..30 {
//!     let login = Event::new(EventKind::Login, at(s)).with_user(format!("u{s}"));
//!     engine.evaluate(&login);
//!     engine.record(&Outcome::succeeded(login));
//! }
//! let status = engine.status(at(30));
//! let site = status.attack_mode.iter().find(|s| s.scope == CampaignScope::Site).unwrap();
//! assert!(!site.on && !site.warm, "a new deployment learns its baseline first");
//! // The day's first login read the day before: no logins, not settled.
//! let settled = status.settled.unwrap();
//! assert!(settled.is_for(at(30)) && !settled.settled);
//! assert_eq!((settled.yesterday_logins, settled.yesterday_basis_points), (0, None));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::{Asn, Country, Timestamp};

/// Everything [`Engine::status`](crate::Engine::status) reports.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Status {
    /// The scopes attack mode reads (`[campaign]`), as this instance last
    /// read them: the site first, then countries, then networks. Empty
    /// while attack mode is off or no login was scored.
    pub attack_mode: Vec<AttackModeScope>,
    /// This instance's latest verdict on whether the site is settled
    /// (`[familiarity.settled]`), taken at the first login of its day
    /// (see [`SettledStatus::is_for`]); `None` before any, or with the test
    /// off.
    pub settled: Option<SettledStatus>,
}

impl Status {
    /// The scopes where a campaign is on now.
    pub fn campaigns(&self) -> impl Iterator<Item = &AttackModeScope> {
        self.attack_mode.iter().filter(|s| s.on)
    }
}

/// Where attack mode measures logins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CampaignScope {
    /// Every login of the site.
    Site,
    /// Logins from one country.
    Country(Country),
    /// Logins from one network.
    Network(Asn),
}

impl CampaignScope {
    /// Every [`level`](CampaignScope::level), broadest first.
    pub const LEVELS: [&'static str; 3] = ["site", "country", "network"];

    /// `site`, `country` or `network`: a closed set, fit for a metric label.
    pub fn level(self) -> &'static str {
        let [site, country, network] = Self::LEVELS;
        match self {
            CampaignScope::Site => site,
            CampaignScope::Country(_) => country,
            CampaignScope::Network(_) => network,
        }
    }
}

/// One scope of attack mode, as this instance last read its counts.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct AttackModeScope {
    /// Where.
    pub scope: CampaignScope,
    /// A campaign is on: logins from clients their account never used are
    /// stepped up (`campaign.new_client`). Only for a read within the last
    /// window; an older one says nothing about now.
    pub on: bool,
    /// The baseline is past its warm-up (`campaign.warmup_hours`), or came
    /// from the fleet or an imported log: a campaign can be called.
    pub warm: bool,
    /// When the counts were last read.
    pub read_at: Timestamp,
    /// Failed logins in the window of the last read with enough attempts
    /// to judge (`campaign.min_attempts`), in percent; `None` before one.
    pub failure_percent: Option<f64>,
    /// The baseline failure share, in percent.
    pub baseline_failure_percent: f64,
    /// Logins naming no account in the same window, in percent.
    pub unknown_percent: Option<f64>,
    /// The baseline unknown-username share, in percent.
    pub baseline_unknown_percent: f64,
}

/// The settled-site verdict of one UTC day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SettledStatus {
    /// The start of the UTC day the verdict is for.
    pub day: Timestamp,
    /// Strangers to any account get `familiarity.stranger` that day.
    pub settled: bool,
    /// Successful logins recorded the day before.
    pub yesterday_logins: u64,
    /// Strangers' share of them, in basis points (1/100 %); `None` without
    /// any.
    pub yesterday_basis_points: Option<u64>,
    /// Successful logins recorded over the seven days before.
    pub week_logins: u64,
    /// Strangers' share of them, in basis points; `None` without any.
    pub week_basis_points: Option<u64>,
}

impl SettledStatus {
    /// Whether the verdict is for the UTC day of `now`: a verdict is taken
    /// at the day's first login, so before it the latest is yesterday's.
    pub fn is_for(&self, now: Timestamp) -> bool {
        self.day.as_unix_millis() / 86_400_000 == now.as_unix_millis() / 86_400_000
    }
}
