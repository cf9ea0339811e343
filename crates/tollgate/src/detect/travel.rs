//! Impossible travel: the speed needed to get from the last successful
//! login's position to this event's.
//!
//! The distance is the great-circle distance minus both accuracy radii
//! (only the part that is certain), the time the gap between the two
//! events. The last position lives in a 128-bit store register:
//! seconds since the epoch, latitude and longitude in micro-degrees and the
//! accuracy radius.
//!
//! ```
//! use tollgate::{Engine, Event, EventKind, Location, Outcome, ReasonCode, Timestamp};
//! use tollgate::policy::Policy;
//!
//! let engine = Engine::new(Policy::default())?;
//! let login = |hours: u64, lat: f64, lon: f64| -> Result<Event, Box<dyn std::error::Error>> {
//!     let at = Timestamp::from_unix_millis(1_700_000_000_000 + hours * 3_600_000);
//!     Ok(Event::new(EventKind::Login, at).with_user("frank").with_location(Location::new(lat, lon, 20)?))
//! };
//! engine.record(&Outcome::succeeded(login(0, 51.5074, -0.1278)?)); // London
//! let new_york_in_an_hour = engine.evaluate(&login(1, 40.7128, -74.0060)?);
//! assert!(new_york_in_an_hour.reasons.iter().any(|r| r.code == ReasonCode::ImpossibleTravel));
//! let new_york_in_eight = engine.evaluate(&login(8, 40.7128, -74.0060)?);
//! assert!(new_york_in_eight.reasons.iter().all(|r| r.code != ReasonCode::ImpossibleTravel));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::{Detector, Events, Findings, Reading, Scene, days};
use crate::keys::KeyHasher;
use crate::policy::{Dimension, Policy, PolicyError};
use crate::store::{Op, OpResult, StoreKey};
use crate::{EventType, Location, Outcome, Reason, ReasonCode, Timestamp};

/// Impossible travel between the last successful login and this event.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Travel {
    /// Event types checked (empty: off).
    pub events: Vec<EventType>,
    /// Fastest plausible speed in km/h (default 1,000: a jet, door to door
    /// much less).
    pub max_speed_kmh: u32,
    /// Days the last login's position is remembered (1 to 365).
    pub remember_days: u16,
    /// Accuracy radius assumed for positions that claim less (default 25
    /// km): IP geolocation is city-level at best, and databases without a
    /// radius (DB-IP Lite) report 0, which would make two suburbs of one
    /// city look like a flight.
    pub min_accuracy_km: u16,
}

impl Default for Travel {
    fn default() -> Self {
        Travel {
            events: vec![EventType::Login, EventType::CredentialChange],
            max_speed_kmh: 1000,
            remember_days: 30,
            min_accuracy_km: 25,
        }
    }
}

/// Impossible travel, compiled: where a user last signed in from.
#[derive(Debug)]
pub(crate) struct CompiledTravel {
    seed: u64,
    /// The event types checked against the last position.
    checked: Events,
}

impl Detector for CompiledTravel {
    type Step = ();
    type Tally = ();

    fn validate(policy: &Policy) -> Result<(), PolicyError> {
    let t = &policy.travel;
    if crate::policy::validate::has_duplicates(&t.events) {
        return Err(PolicyError::invalid("travel.events", "lists an event type twice"));
    }
    if t.max_speed_kmh == 0 {
        return Err(PolicyError::invalid("travel.max_speed_kmh", "must be above 0"));
    }
    if !(1..=365).contains(&t.remember_days) {
        return Err(PolicyError::invalid("travel.remember_days", "must be 1 to 365"));
    }
        Ok(())
    }

    fn compile(policy: &Policy, keys: &KeyHasher) -> Self {
        let on = policy.points.impossible_travel > 0;
        CompiledTravel {
            seed: keys.rule_seed("travel.last_login"),
            checked: Events::of(&policy.travel.events).when(on),
        }
    }

    /// Checked events, and successful logins, which remember the position.
    fn events(&self) -> Events {
        self.checked.with(Events::of(&[EventType::Login]))
    }

    fn plan(&self, scene: &Scene<'_>, push: &mut impl FnMut((), Op)) {
        let event = scene.event;
        let checked = self.checked.contains(event.kind.event_type()) && scene.facts.location.is_some();
        if let (true, Some(user)) = (checked, scene.keys.of(self.seed, Dimension::User)) {
            push((), Op::RegisterGet { key: StoreKey(user) });
        }
    }

    fn read(&self, (): (), result: &OpResult, _: &mut (), reading: &Reading<'_>, out: &mut Findings) -> bool {
        let OpResult::Register(last) = result else {
            return false;
        };
        let policy = reading.policy;
        let points = policy.points.impossible_travel;
        let found = last.zip(reading.facts.location);
        out.reasons.extend(found.and_then(|(last, here)| reason(last, reading.at, &here, &policy.travel, points)));
        true
    }

    /// A successful login remembers its time and position.
    fn record(&self, scene: &Scene<'_>, outcome: &Outcome, push: &mut impl FnMut(Op)) {
        let event = scene.event;
        let learns = event.kind.event_type() == EventType::Login && !outcome.is_failure();
        let user = scene.keys.of(self.seed, Dimension::User);
        if let (true, Some(user), Some(location)) = (learns, user, &scene.facts.location) {
            push(Op::RegisterSet {
                key: StoreKey(user),
                value: pack(event.at, location),
                ttl: days(scene.policy.travel.remember_days),
            });
        }
    }
}

/// Packs a successful login's time and position for the store.
fn pack(at: Timestamp, location: &Location) -> u128 {
    let secs = u32::try_from(at.as_unix_millis() / 1000).unwrap_or(u32::MAX);
    let micro = |deg: f64| (deg * 1e6).round() as i32 as u32;
    (u128::from(secs) << 96)
        | (u128::from(micro(location.latitude())) << 64)
        | (u128::from(micro(location.longitude())) << 32)
        | u128::from(location.accuracy_km())
}

/// Unpacks what [`pack`] stored; `None` if the register holds garbage.
fn unpack(value: u128) -> Option<(u64, Location)> {
    let secs = (value >> 96) as u32;
    let degrees = |bits: u128| f64::from(bits as u32 as i32) / 1e6;
    let location = Location::new(degrees(value >> 64), degrees(value >> 32), value as u16).ok()?;
    Some((u64::from(secs), location))
}

/// A reason if getting from `last` to `now` needs more than
/// `travel.max_speed_kmh`, each position at least `min_accuracy_km` vague.
fn reason(last: u128, at: Timestamp, now: &Location, travel: &Travel, points: u8) -> Option<Reason> {
    let (last_secs, then) = unpack(last)?;
    let floor = travel.min_accuracy_km;
    let vague = |l: &Location| Location::new(l.latitude(), l.longitude(), l.accuracy_km().max(floor)).ok();
    let km = vague(&then)?.min_distance_km(&vague(now)?);
    let max_kmh = travel.max_speed_kmh;
    if km <= 0.0 {
        return None;
    }
    let secs = (at.as_unix_millis() / 1000).saturating_sub(last_secs);
    // Within the same second any certain distance is instantaneous.
    let kmh = km * 3600.0 / (secs.max(1) as f64);
    if kmh <= f64::from(max_kmh) {
        return None;
    }
    let mut r = Reason::new(
        ReasonCode::ImpossibleTravel,
        format!(
            "{kmh:.0} km/h: at least {km:.0} km in {} since the last successful login",
            human(secs)
        ),
    );
    r.points = points;
    Some(r)
}

fn human(secs: u64) -> String {
    match secs {
        0..120 => format!("{secs} s"),
        120..7200 => format!("{} min", secs / 60),
        _ => format!("{:.1} h", secs as f64 / 3600.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(lat: f64, lon: f64, acc: u16) -> Location {
        Location::new(lat, lon, acc).unwrap()
    }

    fn at(secs: u64) -> Timestamp {
        Timestamp::from_unix_millis(secs * 1000)
    }

    #[test]
    fn pack_round_trips() {
        let l = loc(-33.8688, 151.2093, 50);
        let (secs, back) = unpack(pack(at(1_700_000_000), &l)).unwrap();
        assert_eq!(secs, 1_700_000_000);
        assert!((back.latitude() - l.latitude()).abs() < 1e-6);
        assert!((back.longitude() - l.longitude()).abs() < 1e-6);
        assert_eq!(back.accuracy_km(), 50);
    }

    #[test]
    fn plane_speed_is_fine_teleporting_is_not() {
        let travel = Travel::default();
        let london = loc(51.5074, -0.1278, 10);
        let new_york = loc(40.7128, -74.0060, 10);
        let last = pack(at(0), &london);
        // ~5,570 km in 8 h: 700 km/h, a plane.
        assert!(reason(last, at(8 * 3600), &new_york, &travel, 40).is_none());
        // The same in 1 h: 5,520 km/h.
        let r = reason(last, at(3600), &new_york, &travel, 40).unwrap();
        assert_eq!(r.code, ReasonCode::ImpossibleTravel);
        assert!(r.detail.starts_with("55"), "{}", r.detail);
        assert_eq!(r.points, 40);
    }

    #[test]
    fn accuracy_radii_absorb_nearby_moves() {
        let travel = Travel::default();
        let a = loc(52.52, 13.40, 100);
        let b = loc(52.0, 13.0, 100);
        // ~65 km apart, but within 200 km of slack: no certain distance.
        assert!(reason(pack(at(0), &a), at(1), &b, &travel, 40).is_none());
        // Positions without a radius get the floor: 45 km apart is within 50.
        let c = loc(52.52, 13.40, 0);
        let d = loc(52.2, 13.0, 0);
        assert!(reason(pack(at(0), &c), at(60), &d, &travel, 40).is_none());
    }
}
