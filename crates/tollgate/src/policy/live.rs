//! Live pumping signals (`[otp.live]`): many numbers from one client, and
//! a destination country spiking above its own baseline.
//!
//! ```
//! use tollgate::policy::Policy;
//!
//! let policy = Policy::from_toml("[otp.live]\nmax_numbers = 10\nspike_factor = 8")?;
//! assert_eq!(policy.otp.live.numbers_window_minutes, 60);
//! let err = Policy::from_toml("[otp.live]\nspike_factor = 1").unwrap_err();
//! assert_eq!(err.field(), Some("otp.live.spike_factor"));
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use super::PolicyError;

/// Settings of the live signals on OTP sends.
///
/// **Many numbers**: the distinct numbers one client (user, IP and user
/// agent together; the IP and user agent alone for sends without a user)
/// asked codes for within `numbers_window_minutes`. Above `max_numbers`
/// the send scores `numbers_points` (`otp.many_numbers`).
///
/// **Country spike**: codes recorded as sent to the destination country in
/// the last hour against the country's hourly average over the last
/// `spike_baseline_hours`. At least `spike_min_sends` in the hour and more
/// than `spike_factor` times the average score `spike_points`
/// (`otp.country_spike`). Until a full baseline period has been recorded
/// the average is underestimated, so busy hours look like spikes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Live {
    /// Distinct numbers one client may ask codes for in the window (default 5).
    pub max_numbers: u32,
    /// The window, in minutes (default 60).
    pub numbers_window_minutes: u32,
    /// Points above `max_numbers` (default 40; 0 turns it off).
    pub numbers_points: u8,
    /// How many times the baseline's hourly average makes a spike (default 5).
    pub spike_factor: u32,
    /// Length of the baseline, in hours (default 24; 2 to 720).
    pub spike_baseline_hours: u32,
    /// Sends in the hour below which no spike is reported (default 20).
    pub spike_min_sends: u32,
    /// Points for a spike (default 20; 0 turns it off).
    pub spike_points: u8,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            max_numbers: 5,
            numbers_window_minutes: 60,
            numbers_points: 40,
            spike_factor: 5,
            spike_baseline_hours: 24,
            spike_min_sends: 20,
            spike_points: 20,
        }
    }
}

pub(super) fn validate(l: &Live) -> Result<(), PolicyError> {
    let field = |f: &str| format!("otp.live.{f}");
    if !(1..=1000).contains(&l.max_numbers) {
        return Err(PolicyError::invalid(field("max_numbers"), "must be 1 to 1000"));
    }
    if !(1..=1440).contains(&l.numbers_window_minutes) {
        return Err(PolicyError::invalid(
            field("numbers_window_minutes"),
            "must be 1 to 1440",
        ));
    }
    if l.numbers_points > 100 || l.spike_points > 100 {
        let f = if l.numbers_points > 100 {
            "numbers_points"
        } else {
            "spike_points"
        };
        return Err(PolicyError::invalid(field(f), "must be 0 to 100"));
    }
    if !(2..=720).contains(&l.spike_baseline_hours) {
        return Err(PolicyError::invalid(field("spike_baseline_hours"), "must be 2 to 720"));
    }
    if !(2..=l.spike_baseline_hours).contains(&l.spike_factor) {
        return Err(PolicyError::invalid(
            field("spike_factor"),
            "must be 2 to spike_baseline_hours",
        ));
    }
    if l.spike_min_sends == 0 {
        return Err(PolicyError::invalid(field("spike_min_sends"), "must be at least 1"));
    }
    Ok(())
}
