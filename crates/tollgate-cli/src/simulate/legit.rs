//! The legitimate population and its day.
//!
//! People live in six countries (US 38 %, GB 14 %, DE 14 %, IN 14 %, FR 12 %,
//! LV 8 %) and follow their local day. Each has a home line (8 % share it
//! with another member: a household or small-office NAT; 25 % of homes also
//! have IPv6, and most sessions from those use a fresh privacy address in
//! the home's /64), a computer with one of the common browsers and, for
//! 60 %, a phone (a tenth of those use nothing else). 35 % also log in from an office whose NAT address about 20 colleagues
//! share, and phones use their carrier's CGNAT pool 65 % of the time. 2 %
//! are travelling today and do everything from a hotel line abroad.
//!
//! Half log in about once a day, a third about three times, and 15 % about
//! eight times (Poisson around those means). In a session, 8 % of logins
//! start with one typo and 2.5 % with two; 1 % forget the password (two to
//! four failures, a password reset, then a login) and 0.5 % give up after a
//! failure or two: about 14 % of login attempts fail. 35 % use SMS two-factor, asked for on half of their
//! logins (the other half on a remembered device): 5 % mistype the code
//! once, 3 % never receive it and ask again. 0.4 % of sessions end with a
//! password change, 4 % arrive without the device cookie (cleared, private
//! window), and 1.5 % of people are signing up today (sign-up, SMS code to
//! verify the phone) rather than returning.

use std::net::IpAddr;

use rand::Rng;

use super::catalog::{self, Catalog, REGIONS, sw};
use super::sampling::{between, chance, daytime, local_hour, pick, poisson, secs, weighted};
use super::traffic::{Account, Client, Scenario, SimEvent, Step, Truth};

const NEWCOMER_SHARE: f64 = 0.015;
const SHARED_HOME_SHARE: f64 = 0.08;
const IPV6_HOME_SHARE: f64 = 0.25;
const PHONE_SHARE: f64 = 0.60;
const OFFICE_SHARE: f64 = 0.35;
const PEOPLE_PER_OFFICE: f64 = 20.0;
const TRAVELLER_SHARE: f64 = 0.02;
const SMS_2FA_SHARE: f64 = 0.35;
/// (share of people, mean sessions a day)
const ACTIVITY: [(u32, f64); 3] = [(50, 1.0), (35, 3.0), (15, 8.0)];
/// Desktop browsers: Chrome, Edge, Firefox, Safari.
const DESKTOP: [(u8, u32); 4] = [
    (sw::CHROME_DESKTOP, 58),
    (sw::EDGE, 10),
    (sw::FIREFOX, 10),
    (sw::SAFARI_MAC, 22),
];

/// Remembers homes and offices, so later people can share them.
#[derive(Debug)]
struct Neighbourhood {
    homes: Vec<Vec<Home>>,
    offices: Vec<Vec<Line>>,
}

/// A fixed line: its ISP and IPv4 address.
#[derive(Clone, Copy, Debug)]
struct Line {
    isp: u8,
    ip: IpAddr,
}

#[derive(Clone, Copy, Debug)]
struct Home {
    line: Line,
    v6: Option<[u16; 4]>,
}

#[derive(Clone, Copy, Debug)]
struct Device {
    id: u64,
    software: u8,
    phone: bool,
}

#[derive(Debug)]
struct Person {
    account: Account,
    region: u8,
    offset_min: i64,
    home: Home,
    office: Option<Line>,
    trip: Option<Line>,
    devices: [Option<Device>; 2],
    phone: Option<u64>,
    sms_2fa: bool,
    sessions_mean: f64,
}

/// Who the legitimate traffic came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Population {
    /// Existing accounts (`Account::Member(1..=members)`), for attackers to target.
    pub(crate) members: u32,
    /// People signing up today.
    pub(crate) newcomers: u32,
}

/// Appends about `budget` legitimate events to `out`: people are added
/// until the budget is spent, so the last one's day may run over.
pub(crate) fn generate(rng: &mut impl Rng, catalog: &Catalog, budget: usize, out: &mut Vec<SimEvent>) -> Population {
    let begin = out.len();
    let mut hood = Neighbourhood {
        homes: vec![Vec::new(); REGIONS.len()],
        offices: vec![Vec::new(); REGIONS.len()],
    };
    let (mut members, mut newcomers, mut devices) = (0u32, 0u32, 0u64);
    while out.len() - begin < budget {
        let account = if chance(rng, NEWCOMER_SHARE) {
            newcomers += 1;
            Account::Newcomer(newcomers)
        } else {
            members += 1;
            Account::Member(members)
        };
        let person = Person::new(rng, catalog, &mut hood, account, &mut devices);
        person.live_one_day(rng, catalog, out);
    }
    Population { members, newcomers }
}

impl Neighbourhood {
    /// A home line in `region`: now and then one an earlier person already lives on.
    fn home(&mut self, rng: &mut impl Rng, catalog: &Catalog, region: u8) -> Home {
        let homes = self.homes.get(usize::from(region));
        let shared = match homes {
            Some(homes) if !homes.is_empty() && chance(rng, SHARED_HOME_SHARE) => pick(rng, homes),
            _ => None,
        };
        if let Some(home) = shared {
            return home;
        }
        let isp = pick(rng, catalog.fixed(region)).unwrap_or(0);
        let home = Home {
            line: Line {
                isp,
                ip: catalog::fixed_v4(rng, isp),
            },
            v6: chance(rng, IPV6_HOME_SHARE).then(|| catalog::household_v6(rng, isp)),
        };
        if let Some(homes) = self.homes.get_mut(usize::from(region)) {
            homes.push(home);
        }
        home
    }

    /// An office NAT in `region`, new for about one person in [`PEOPLE_PER_OFFICE`].
    fn office(&mut self, rng: &mut impl Rng, catalog: &Catalog, region: u8) -> Option<Line> {
        let offices = self.offices.get_mut(usize::from(region))?;
        if offices.is_empty() || chance(rng, 1.0 / PEOPLE_PER_OFFICE) {
            let isp = pick(rng, catalog.fixed(region))?;
            offices.push(Line {
                isp,
                ip: catalog::fixed_v4(rng, isp),
            });
        }
        pick(rng, offices)
    }
}

/// A hotel line in another country.
fn trip(rng: &mut impl Rng, catalog: &Catalog, home_region: u8) -> Option<Line> {
    let abroad: Vec<u8> = (0..REGIONS.len() as u8).filter(|&r| r != home_region).collect();
    let region = pick(rng, &abroad)?;
    let isp = pick(rng, catalog.fixed(region))?;
    Some(Line {
        isp,
        ip: catalog::fixed_v4(rng, isp),
    })
}

/// A computer and, for most, a phone; a tenth of phone owners use nothing else.
fn devices(rng: &mut impl Rng, next_id: &mut u64) -> [Option<Device>; 2] {
    let mut device = |software, phone| {
        *next_id += 1;
        Device {
            id: *next_id,
            software,
            phone,
        }
    };
    let phone_software = if chance(rng, 0.55) {
        sw::SAFARI_IOS
    } else {
        sw::CHROME_ANDROID
    };
    let desktop_software = DESKTOP
        .get(weighted(rng, &DESKTOP.map(|(_, w)| w)))
        .map_or(sw::CHROME_DESKTOP, |d| d.0);
    match (chance(rng, PHONE_SHARE), chance(rng, 0.1)) {
        (true, true) => [Some(device(phone_software, true)), None],
        (true, false) => [
            Some(device(desktop_software, false)),
            Some(device(phone_software, true)),
        ],
        (false, _) => [Some(device(desktop_software, false)), None],
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
        let home = hood.home(rng, catalog, region);
        let office = chance(rng, OFFICE_SHARE)
            .then(|| hood.office(rng, catalog, region))
            .flatten();
        let trip = chance(rng, TRAVELLER_SHARE)
            .then(|| trip(rng, catalog, region))
            .flatten();
        let devices = devices(rng, next_device);
        let activity = weighted(rng, &ACTIVITY.map(|(share, _)| share));
        Person {
            account,
            region,
            offset_min: REGIONS.get(usize::from(region)).map_or(0, |r| r.utc_offset_min),
            home,
            office,
            trip,
            devices,
            phone: catalog::phone_number(rng, region),
            sms_2fa: chance(rng, SMS_2FA_SHARE),
            sessions_mean: ACTIVITY.get(activity).map_or(1.0, |a| a.1),
        }
    }

    fn live_one_day(&self, rng: &mut impl Rng, catalog: &Catalog, out: &mut Vec<SimEvent>) {
        let mut sessions = poisson(rng, self.sessions_mean);
        if matches!(self.account, Account::Newcomer(_)) {
            let at = daytime(rng, self.offset_min);
            let client = self.client(rng, catalog, at);
            self.sign_up(rng, at, client, out);
            // New accounts come back less often on day one.
            sessions /= 2;
        }
        for _ in 0..sessions {
            let at = daytime(rng, self.offset_min);
            let client = self.client(rng, catalog, at);
            self.session(rng, at, client, out);
        }
    }

    /// Where and on what this person connects at `at`.
    fn client(&self, rng: &mut impl Rng, catalog: &Catalog, at: u64) -> Client {
        let device = match self.devices {
            [Some(a), Some(b)] => Some(if chance(rng, 0.45) { b } else { a }),
            [one, None] | [None, one] => one,
        };
        let (software, on_phone) = device.map_or((sw::CHROME_DESKTOP, false), |d| (d.software, d.phone));
        let working_hours = (9..18).contains(&local_hour(at, self.offset_min));
        let carrier = pick(rng, catalog.mobile(self.region));
        let (isp, ip) = match (self.trip, carrier, self.office) {
            (Some(trip), _, _) => (trip.isp, trip.ip),
            (None, Some(carrier), _) if on_phone && chance(rng, 0.65) => (carrier, catalog::mobile_v4(rng, carrier)),
            (None, _, Some(office)) if working_hours && chance(rng, 0.7) => (office.isp, office.ip),
            _ => match self.home.v6 {
                Some(net) if chance(rng, 0.6) => (self.home.line.isp, catalog::v6_host(rng, net)),
                _ => (self.home.line.isp, self.home.line.ip),
            },
        };
        Client {
            ip,
            isp,
            software,
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
            out.push(self.event(at, Step::Login, client, Truth::Fails));
            at += secs(rng, 4, 20);
        }
        if gives_up {
            return;
        }
        if forgot {
            at += secs(rng, 120, 900);
            out.push(self.event(at, Step::PasswordChange, client, Truth::Succeeds));
            at += secs(rng, 30, 180);
        }
        out.push(self.event(at, Step::Login, client, Truth::Succeeds));
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
        assert!((30..150).contains(&population.newcomers), "{population:?}");
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
    }
}
