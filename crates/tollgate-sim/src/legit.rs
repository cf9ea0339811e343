//! The legitimate population and its day.
//!
//! People live in six countries (US 38 %, GB 14 %, DE 14 %, IN 14 %, FR 12 %,
//! LV 8 %), in one of two to six of its cities (see [`places`]), and follow
//! their city's local day. Each has a home line in that city (8 % share it
//! with another member: a household or small-office NAT; 25 % of homes also
//! have IPv6, and most sessions from those use a fresh privacy address in
//! the home's /64), a computer with one of the common browsers and, for
//! 60 %, a phone (a tenth of those use nothing else) on one mobile carrier.
//! 35 % also log in from an office in their city whose NAT address about 20
//! colleagues share, and phones use their carrier's CGNAT pool 65 % of the
//! time. Every event carries the position a geo database gives its network:
//! the city, with a radius of 5 to 50 km for fixed lines and 100 km for
//! mobile. 2 % are away abroad all day and 1 % of members fly somewhere
//! today: see [`trips`].
//!
//! Half log in about once a day, a third about three times, and 15 % about
//! eight times (Poisson around those means; flyers at least twice). In a
//! session, 8 % of logins start with one typo and 2.5 % with two (a fifth
//! of typos are in the username, which names no account); 1 % forget
//! the password (two to four failures, a password reset, then a login) and
//! 0.5 % give up after a failure or two: about 14 % of login attempts fail.
//! 35 % use SMS two-factor, asked for on half of their logins (the other
//! half on a remembered device): 5 % mistype the code once, 3 % never
//! receive it and ask again. 0.4 % of sessions end with a password change,
//! 4 % arrive without the device cookie (cleared, private window), and
//! 1.5 % of people are signing up today (sign-up, SMS code to verify the
//! phone) rather than returning.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::catalog::{self, Catalog, REGIONS};
use super::homes::{self, Device, Home, Line, Neighbourhood};
use super::places::{self, MOBILE_ACCURACY_KM, Place};
use super::sampling::{between, chance, daytime, local_hour, pick, poisson, secs, weighted};
use super::software::sw;
use super::traffic::{Account, Client, DAY_MS, Scenario, SimEvent, Step, Tag, Truth, WARM_UP_DAYS};
use super::trips::{self, Trip};

/// Of failed attempts from typing, the share with a mistyped username or
/// email: real sites see people name no account (2 to 3 % of login
/// attempts here), so attack mode must judge unknown usernames against a
/// baseline that is not zero.
const USERNAME_TYPO_SHARE: f64 = 0.2;
/// Mistyped usernames: `3 << 30` and up, apart from the attackers' lists.
const USERNAME_TYPOS_FIRST: u32 = 3 << 30;

const NEWCOMER_SHARE: f64 = 0.015;
const OFFICE_SHARE: f64 = 0.35;
const AWAY_SHARE: f64 = 0.02;
const FLYER_SHARE: f64 = 0.01;
const SMS_2FA_SHARE: f64 = 0.35;
/// (share of people, mean sessions a day)
const ACTIVITY: [(u32, f64); 3] = [(50, 1.0), (35, 3.0), (15, 8.0)];

#[derive(Clone, Copy, Debug)]
struct Person {
    account: Account,
    city: u8,
    offset_min: i64,
    home: Home,
    office: Option<Line>,
    carrier: Option<u8>,
    trip: Option<Trip>,
    devices: [Option<Device>; 2],
    phone: Option<u64>,
    sms_2fa: bool,
    sessions_mean: f64,
}

/// Who the legitimate traffic came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Population {
    /// Existing accounts (`Account::Member(1..=members)`), for attackers to target.
    pub(crate) members: u32,
    /// People signing up today.
    pub(crate) newcomers: u32,
    /// Each member's home city (index into [`CITIES`](super::places::CITIES)), member 1 first.
    pub(crate) homes: Vec<u8>,
    /// Each member's main browser (index into
    /// [`SOFTWARE`](super::software::SOFTWARE)), member 1 first: what a
    /// stealer log from their computer, or their phone if that is all they
    /// have, records.
    pub(crate) browsers: Vec<u8>,
}

impl Population {
    /// The home city of a member.
    pub(crate) fn home_of(&self, member: u32) -> Option<u8> {
        self.homes.get(usize::try_from(member).ok()?.checked_sub(1)?).copied()
    }

    /// The main browser of a member.
    pub(crate) fn browser_of(&self, member: u32) -> Option<u8> {
        self.browsers
            .get(usize::try_from(member).ok()?.checked_sub(1)?)
            .copied()
    }
}

/// Appends about `budget` legitimate events to `out`: people are added
/// until the budget is spent, so the last one's day may run over. Tests
/// use it for a day without its warm-up.
#[cfg(test)]
pub(crate) fn generate(rng: &mut impl Rng, catalog: &Catalog, budget: usize, out: &mut Vec<SimEvent>) -> Population {
    generate_with_day_before(rng, catalog, budget, out, None)
}

/// The day before the simulated one, for [`generate_with_day_before`]: its
/// own random stream (so the simulated day's draws stay what they were)
/// and where its events go, timed from that day's midnight.
pub(crate) struct DayBefore<'a> {
    pub(crate) rng: &'a mut ChaCha8Rng,
    pub(crate) out: &'a mut Vec<SimEvent>,
}

/// [`generate`], and with `day_before`, every member's previous day too:
/// the same person, home, devices and habits, at home (today's travellers
/// had not left yet), and for [`NEWCOMER_SHARE`] of them the day they
/// signed up. Today's newcomers have no day before. Events after that
/// day's midnight are dropped, so it ends before today starts.
pub(crate) fn generate_with_day_before(
    rng: &mut impl Rng,
    catalog: &Catalog,
    budget: usize,
    out: &mut Vec<SimEvent>,
    mut day_before: Option<DayBefore<'_>>,
) -> Population {
    let begin = out.len();
    let mut hood = Neighbourhood::new();
    let (mut newcomers, mut devices, mut homes, mut browsers) = (0u32, 0u64, Vec::new(), Vec::new());
    while out.len() - begin < budget {
        let account = if chance(rng, NEWCOMER_SHARE) {
            newcomers += 1;
            Account::Newcomer(newcomers)
        } else {
            Account::Member(u32::try_from(homes.len() + 1).unwrap_or(u32::MAX))
        };
        let person = Person::new(rng, catalog, &mut hood, account, &mut devices);
        if matches!(account, Account::Member(_)) {
            homes.push(person.city);
            browsers.push(
                person
                    .devices
                    .iter()
                    .flatten()
                    .next()
                    .map_or(sw::CHROME_DESKTOP, |d| d.software),
            );
        }
        person.live_one_day(rng, out, matches!(account, Account::Newcomer(_)));
        if let (Some(before), Account::Member(_)) = (day_before.as_mut(), account) {
            let at_home = Person { trip: None, ..person };
            // A member signs up on the first warm-up day at the latest.
            let signed_up = chance(before.rng, NEWCOMER_SHARE);
            for day_index in 0..WARM_UP_DAYS {
                let mut day = Vec::new();
                at_home.live_one_day(before.rng, &mut day, signed_up && day_index == 0);
                let shift = day_index * DAY_MS;
                before
                    .out
                    .extend(day.into_iter().filter(|e| e.at_ms < DAY_MS).map(|mut e| {
                        e.at_ms += shift;
                        e
                    }));
            }
        }
    }
    Population {
        members: u32::try_from(homes.len()).unwrap_or(u32::MAX),
        newcomers,
        homes,
        browsers,
    }
}

impl Person {
    fn new(
        rng: &mut impl Rng,
        catalog: &Catalog,
        hood: &mut Neighbourhood,
        account: Account,
        next_device: &mut u64,
    ) -> Self {
        let weights = REGIONS.map(|r| r.population);
        let region = u8::try_from(weighted(rng, &weights)).unwrap_or(0);
        let city = catalog.city_in(rng, region);
        let home = hood.home(rng, catalog, city);
        let office = chance(rng, OFFICE_SHARE)
            .then(|| hood.office(rng, catalog, city))
            .flatten();
        let trip = if chance(rng, AWAY_SHARE) {
            trips::away(rng, catalog, region)
        } else if matches!(account, Account::Member(_)) && chance(rng, FLYER_SHARE) {
            trips::flight(rng, catalog, city)
        } else {
            None
        };
        let devices = homes::devices(rng, next_device);
        let activity = weighted(rng, &ACTIVITY.map(|(share, _)| share));
        Person {
            account,
            city,
            offset_min: places::city_of(city).utc_offset_min,
            home,
            office,
            carrier: pick(rng, catalog.mobile(region)),
            trip,
            devices,
            phone: catalog::phone_number(rng, region),
            sms_2fa: chance(rng, SMS_2FA_SHARE),
            sessions_mean: ACTIVITY.get(activity).map_or(1.0, |a| a.1),
        }
    }

    fn live_one_day(&self, rng: &mut impl Rng, out: &mut Vec<SimEvent>, signs_up: bool) {
        let mut sessions = poisson(rng, self.sessions_mean);
        if signs_up {
            let offset = self.trip.map_or(self.offset_min, |t| t.day_offset(self.offset_min));
            let at = daytime(rng, offset);
            let client = self.client(rng, at);
            self.sign_up(rng, at, client, out);
            // New accounts come back less often on day one.
            sessions /= 2;
        }
        let times = match &self.trip {
            Some(trip) => trip.session_times(rng, sessions, self.offset_min),
            None => (0..sessions).map(|_| daytime(rng, self.offset_min)).collect(),
        };
        for at in times {
            let client = self.client(rng, at);
            self.session(rng, at, client, out);
        }
    }

    /// Where and on what this person connects at `at`.
    fn client(&self, rng: &mut impl Rng, at: u64) -> Client {
        let device = match self.devices {
            [Some(a), Some(b)] => Some(if chance(rng, 0.45) { b } else { a }),
            [one, None] | [None, one] => one,
        };
        let (software, on_phone) = device.map_or((sw::CHROME_DESKTOP, false), |d| (d.software, d.phone));
        let working_hours = (9..18).contains(&local_hour(at, self.offset_min));
        let line = match (
            self.trip.as_ref().and_then(|t| t.stay_at(at)),
            self.carrier,
            self.office,
        ) {
            (Some(stay), _, _) => stay.connect(rng, on_phone),
            (None, Some(isp), _) if on_phone && chance(rng, 0.65) => Line {
                isp,
                ip: catalog::mobile_v4(rng, isp),
                place: Place {
                    city: self.city,
                    accuracy_km: MOBILE_ACCURACY_KM,
                },
            },
            (None, _, Some(office)) if working_hours && chance(rng, 0.7) => office,
            _ => match self.home.v6 {
                Some(net) if chance(rng, 0.6) => Line {
                    ip: catalog::v6_host(rng, net),
                    ..self.home.line
                },
                _ => self.home.line,
            },
        };
        Client {
            ip: line.ip,
            isp: line.isp,
            software,
            place: line.place,
            device: device.filter(|_| !chance(rng, 0.04)).map(|d| d.id),
        }
    }

    fn event(&self, at: u64, step: Step, client: Client, truth: Truth) -> SimEvent {
        let phone = matches!(step, Step::OtpSend | Step::OtpVerify | Step::Signup)
            .then_some(self.phone)
            .flatten();
        SimEvent {
            at_ms: at,
            scenario: Scenario::Legitimate,
            step,
            account: Some(self.account),
            client,
            phone,
            truth,
            tag: if self.trip.is_some_and(|t| t.landed(at)) {
                Tag::Landed
            } else {
                Tag::Plain
            },
            pwned: false,
            sprayed: None,
        }
    }

    fn session(&self, rng: &mut impl Rng, mut at: u64, client: Client, out: &mut Vec<SimEvent>) {
        let roll = rng.random::<f64>();
        let (typos, forgot, gives_up) = match roll {
            r if r < 0.005 => (between(rng, 1, 2), false, true),
            r if r < 0.015 => (between(rng, 2, 4), true, false),
            r if r < 0.040 => (2, false, false),
            r if r < 0.120 => (1, false, false),
            _ => (0, false, false),
        };
        for _ in 0..typos {
            let mut typo = self.event(at, Step::Login, client, Truth::Fails).tagged(Tag::Typo);
            if chance(rng, USERNAME_TYPO_SHARE) {
                // A mistyped username or email: the service knows no such
                // account and reports an unknown user.
                let n = USERNAME_TYPOS_FIRST | (rng.random::<u32>() >> 2);
                typo.account = Some(Account::Unknown(n));
            }
            out.push(typo);
            at += secs(rng, 4, 20);
        }
        if gives_up {
            return;
        }
        if forgot {
            at += secs(rng, 120, 900);
            out.push(
                self.event(at, Step::PasswordChange, client, Truth::Succeeds)
                    .tagged(Tag::Reset),
            );
            at += secs(rng, 30, 180);
        }
        let login = self.event(at, Step::Login, client, Truth::Succeeds);
        out.push(if typos > 0 { login.tagged(Tag::Typo) } else { login });
        if self.sms_2fa && chance(rng, 0.5) {
            at += secs(rng, 1, 3);
            self.sms_code(rng, at, client, out);
            at += secs(rng, 60, 120);
        }
        if chance(rng, 0.004) {
            at += secs(rng, 60, 600);
            out.push(self.event(at, Step::PasswordChange, client, Truth::Succeeds));
        }
    }

    fn sign_up(&self, rng: &mut impl Rng, at: u64, client: Client, out: &mut Vec<SimEvent>) {
        out.push(self.event(at, Step::Signup, client, Truth::Unreported));
        let at = at + secs(rng, 1, 5);
        self.sms_code(rng, at, client, out);
    }

    /// An SMS code sent to this person's phone, and typed in.
    fn sms_code(&self, rng: &mut impl Rng, mut at: u64, client: Client, out: &mut Vec<SimEvent>) {
        out.push(self.event(at, Step::OtpSend, client, Truth::Unreported));
        if chance(rng, 0.03) {
            at += secs(rng, 60, 150);
            out.push(self.event(at, Step::OtpSend, client, Truth::Unreported));
        }
        at += secs(rng, 15, 75);
        if chance(rng, 0.05) {
            out.push(self.event(at, Step::OtpVerify, client, Truth::Fails));
            at += secs(rng, 8, 30);
        }
        out.push(self.event(at, Step::OtpVerify, client, Truth::Succeeds));
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn day(seed: u64, budget: usize) -> (Population, Vec<SimEvent>) {
        let catalog = Catalog::new().unwrap();
        let mut out = Vec::new();
        let population = generate(&mut ChaCha8Rng::seed_from_u64(seed), &catalog, budget, &mut out);
        (population, out)
    }

    #[test]
    fn same_seed_same_day() {
        assert_eq!(day(9, 5_000), day(9, 5_000));
        assert_ne!(day(9, 5_000).1, day(10, 5_000).1);
    }

    #[test]
    fn the_day_looks_like_people() {
        let (population, events) = day(1, 20_000);
        let members = population.members;
        assert!((30..150).contains(&population.newcomers), "{}", population.newcomers);
        assert_eq!(population.homes.len(), members as usize);
        assert_eq!(population.browsers.len(), members as usize);
        assert!(events.len() >= 20_000 && events.len() < 20_100);
        // A few events per person: the population scales with the budget.
        assert!((3_000..8_000).contains(&members), "{members}");
        let logins = events.iter().filter(|e| e.step == Step::Login).count();
        let failed = events
            .iter()
            .filter(|e| e.step == Step::Login && e.truth == Truth::Fails)
            .count();
        let share = failed as f64 / logins as f64;
        assert!((0.07..0.2).contains(&share), "{share}");
        assert!(events.iter().any(|e| e.step == Step::Signup));
        assert!(events.iter().any(|e| e.client.ip.is_ipv6()));
        assert!(events.iter().all(|e| e.scenario == Scenario::Legitimate));
        // Country, network and position agree: the city is in the ISP's country.
        for e in &events {
            let isp = &super::super::catalog::ISPS[usize::from(e.client.isp)];
            assert_eq!(places::city_of(e.client.place.city).region, isp.region, "{e:?}");
        }
        assert!(events.iter().any(|e| e.tag == Tag::Landed));
    }
}
