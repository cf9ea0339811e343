//! The simulator's compact event form and its ground truth.
//!
//! Events are generated up front in this small `Copy` form (about 64
//! bytes) and turned into [`tollgate::Event`]s one at a time while the
//! engine runs, so a large run does not hold every event's strings at once.

use std::net::IpAddr;

use tollgate::password::PasswordSha1;
use tollgate::{Asn, E164, Event, Outcome, Timestamp};

use super::catalog::{self, Catalog, ISPS};
use super::places::Place;
use super::software::SOFTWARE;

pub(crate) use super::scenario::Scenario;
pub(crate) use super::step::{Step, Tag, Truth};

/// Where the simulated day starts: 2024-03-04 00:00 UTC, a Monday.
pub(crate) const START_MS: u64 = 1_709_510_400_000;
pub(crate) const HOUR_MS: u64 = 3_600_000;
pub(crate) const DAY_MS: u64 = 24 * HOUR_MS;
/// Days of the members' ordinary life replayed before the simulated one:
/// enough that an account with no history is a newcomer or a rare visitor,
/// as in a deployment that keeps months of it, not a fifth of all members.
pub(crate) const WARM_UP_DAYS: u64 = 7;
/// Where the warm-up days before it start.
pub(crate) const DAY_BEFORE_MS: u64 = START_MS - WARM_UP_DAYS * DAY_MS;

/// Midnight `days` (0 to [`WARM_UP_DAYS`]) before the simulated day, as
/// the report prints it: the day is 2024-03-04, and 2024 a leap year.
pub(crate) fn days_before(days: u64) -> String {
    let (month, day) = if days <= 3 {
        (3, 4 - days)
    } else {
        (2, 33 - days.min(WARM_UP_DAYS))
    };
    format!("2024-{month:02}-{day:02}T00:00Z")
}

/// An account name, generated on demand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Account {
    /// An existing member of the legitimate population.
    Member(u32),
    /// Someone signing up today.
    Newcomer(u32),
    /// A username from a stuffing list that has no account here.
    Unknown(u32),
    /// An account a pumping bot creates.
    Fake(u32),
}

impl Account {
    fn id(self) -> String {
        match self {
            Account::Member(n) => format!("member-{n:06}"),
            Account::Newcomer(n) => format!("newcomer-{n:05}"),
            Account::Unknown(n) => format!("combo-{n:07}"),
            Account::Fake(n) => format!("pump-{n:06}"),
        }
    }
}

/// SplitMix64's finaliser: a well-mixed hash of an id, for picking a
/// fixed share of people or devices without another random stream.
pub(crate) fn mix64(x: u64) -> u64 {
    let mut x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The connection an event arrives on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Client {
    pub(crate) ip: IpAddr,
    /// Index into [`ISPS`]: gives the ASN and the country.
    pub(crate) isp: u8,
    /// Index into [`SOFTWARE`]: gives the JA4 and the user agent.
    pub(crate) software: u8,
    /// Where a geo database puts the address: in the ISP's country.
    pub(crate) place: Place,
    pub(crate) device: Option<u64>,
}

/// One generated event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SimEvent {
    /// Milliseconds since [`START_MS`].
    pub(crate) at_ms: u64,
    pub(crate) scenario: Scenario,
    pub(crate) step: Step,
    pub(crate) account: Option<Account>,
    pub(crate) client: Client,
    /// E.164 digits of the phone the code goes to.
    pub(crate) phone: Option<u64>,
    pub(crate) truth: Truth,
    pub(crate) tag: Tag,
    /// The service's compromised-password check flags the password.
    pub(crate) pwned: bool,
    /// For a login: the common password (index into
    /// [`SPRAYED_PASSWORDS`]) a sprayer submits. Other logins submit the
    /// account's own password when they succeed and a wrong one when they
    /// fail (see [`SimEvent::password`]).
    pub(crate) sprayed: Option<u8>,
}

/// The common passwords a sprayer tries, one round each. A share of
/// members use one of them (see [`own_common_password`]).
pub(crate) const SPRAYED_PASSWORDS: [&str; 3] = ["Password1", "Welcome1", "Spring2024!"];

/// Per mille of members whose password is one of [`SPRAYED_PASSWORDS`]:
/// short, dictionary-shaped passwords that a site's rules accepted.
const COMMON_PASSWORD_PER_MILLE: u64 = 15;

/// The sprayed password `member` uses as their own, if any: decided by a
/// hash of the member's number, so every scenario agrees on it.
pub(crate) fn own_common_password(member: u32) -> Option<u8> {
    let h = mix64(u64::from(member) ^ 0x5eed_0fc0_ffee);
    (h % 1_000 < COMMON_PASSWORD_PER_MILLE).then(|| u8::try_from((h >> 32) % 3).unwrap_or(0))
}

impl Account {
    /// A number no other account shares, for deriving its own password.
    fn key(self) -> u64 {
        match self {
            Account::Member(n) => u64::from(n),
            Account::Newcomer(n) => 1 << 32 | u64::from(n),
            Account::Unknown(n) => 2 << 32 | u64::from(n),
            Account::Fake(n) => 3 << 32 | u64::from(n),
        }
    }
}

/// A password digest made up from `seed`: every seed gives another one.
fn made_up_password(seed: u64) -> PasswordSha1 {
    let [a, b, c] = [mix64(seed), mix64(seed ^ 0x0a0a), mix64(seed ^ 0x0b0b)];
    let mut bytes = [0u8; 20];
    for (slot, byte) in bytes.iter_mut().zip(
        a.to_be_bytes()
            .into_iter()
            .chain(b.to_be_bytes())
            .chain(c.to_be_bytes()),
    ) {
        *slot = byte;
    }
    PasswordSha1::from_bytes(bytes)
}

impl SimEvent {
    /// The event with `tag`, unless it is already tagged: a flight's
    /// landing outranks what the session does.
    pub(crate) fn tagged(self, tag: Tag) -> SimEvent {
        match self.tag {
            Tag::Plain => SimEvent { tag, ..self },
            _ => self,
        }
    }

    /// The event as the service would build it: the CDN resolved country,
    /// ASN and position, the TLS terminator measured JA4, the app knows its
    /// device cookie. `day_start_ms` is the Unix time of its day's midnight:
    /// [`START_MS`], or [`DAY_BEFORE_MS`] for the warm-up day.
    pub(crate) fn build(&self, catalog: &Catalog, day_start_ms: u64) -> Event {
        let c = &self.client;
        let at = Timestamp::from_unix_millis(day_start_ms.saturating_add(self.at_ms));
        let mut e = Event::new(self.step.kind(), at).with_ip(c.ip);
        if let Some(isp) = ISPS.get(usize::from(c.isp)) {
            e = e.with_asn(Asn(isp.asn));
            if let Some(country) = catalog.countries.get(usize::from(isp.region)) {
                e = e.with_country(*country);
            }
        }
        if let Some(location) = catalog.location(c.place) {
            e = e.with_location(location);
        }
        if let Some(ja4) = catalog.ja4.get(usize::from(c.software)) {
            e = e.with_ja4(*ja4);
        }
        if let (true, Some(Some(shape))) = (catalog.forward_shapes, catalog.shapes.get(usize::from(c.software))) {
            e = e.with_tls_shape(shape.clone());
        }
        if let Some(software) = SOFTWARE.get(usize::from(c.software)) {
            e = e.with_user_agent(software.user_agent);
        }
        if let Some(device) = c.device {
            e = e.with_device(format!("d{device:016x}"));
        }
        if let Some(account) = self.account {
            e = e.with_user(account.id());
        }
        if let Some(phone) = self.phone.and_then(|p| format!("+{p}").parse::<E164>().ok()) {
            e = e.with_phone(phone);
        }
        if let Some(password) = self.password(catalog) {
            e = e.with_password(password);
        }
        e.with_compromised_password(self.pwned)
    }

    /// The SHA-1 of the password a login submits: the sprayed one, else
    /// the account's own when the login is right (for members who chose a
    /// common password, that one), else a wrong one, different for every
    /// attempt (typos, combo lists, guesses). Not a login: none.
    pub(crate) fn password(&self, catalog: &Catalog) -> Option<PasswordSha1> {
        if self.step != Step::Login {
            return None;
        }
        let account = self.account?;
        let common = |i: u8| catalog.sprayed.get(usize::from(i)).copied();
        if let Some(i) = self.sprayed {
            return common(i);
        }
        if self.truth == Truth::Succeeds {
            return match account {
                Account::Member(m) => own_common_password(m).and_then(common),
                _ => None,
            }
            .or_else(|| Some(made_up_password(account.key())));
        }
        let attempt = mix64(self.at_ms) ^ u64::from(self.client.software) << 56;
        Some(made_up_password(account.key() ^ attempt.rotate_left(17)))
    }

    /// Whether this is an SMS code request from a client outside the
    /// country of the number it goes to.
    pub(crate) fn sms_from_abroad(&self) -> bool {
        let client = ISPS.get(usize::from(self.client.isp)).map(|isp| isp.region);
        self.step == Step::OtpSend && client.is_some() && self.phone.and_then(catalog::phone_region) != client
    }

    /// The outcome the service reports after going ahead, if any. A code
    /// that went out is reported as sent, and an account created as
    /// created: service caps, spend ceilings and conversion feedback count
    /// sends and sign-ups from those reports. A login naming no account
    /// is reported as an unknown user, as a service that knows does.
    pub(crate) fn outcome(&self, event: Event) -> Option<Outcome> {
        match self.truth {
            Truth::Succeeds => Some(Outcome::succeeded(event)),
            Truth::Fails if self.step == Step::Login && matches!(self.account, Some(Account::Unknown(_))) => {
                Some(Outcome::unknown_user(event))
            }
            Truth::Fails => Some(Outcome::failed(event)),
            Truth::Unreported if matches!(self.step, Step::OtpSend | Step::VoiceSend | Step::Signup) => {
                Some(Outcome::succeeded(event))
            }
            Truth::Unreported => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scenario_index_is_its_place_in_all() {
        for (i, scenario) in Scenario::ALL.into_iter().enumerate() {
            assert_eq!(scenario.index(), i, "{scenario:?}");
        }
    }

    #[test]
    fn sim_events_stay_small() {
        assert!(size_of::<SimEvent>() <= 96, "{}", size_of::<SimEvent>());
    }

    #[test]
    fn build_fills_every_field_it_knows() {
        let catalog = Catalog::new().unwrap();
        let sim = SimEvent {
            at_ms: 1_000,
            scenario: Scenario::Legitimate,
            step: Step::OtpSend,
            account: Some(Account::Member(42)),
            client: Client {
                ip: "73.40.1.2".parse().unwrap(),
                isp: 0,
                software: 0,
                place: Place {
                    city: 0,
                    accuracy_km: 20,
                },
                device: Some(7),
            },
            phone: Some(14_155_550_123),
            truth: Truth::Unreported,
            tag: Tag::Plain,
            pwned: false,
            sprayed: None,
        };
        let e = sim.build(&catalog, START_MS);
        assert_eq!(e.at.as_unix_millis(), START_MS + 1_000);
        let before = sim.build(&catalog, DAY_BEFORE_MS);
        assert_eq!(before.at.as_unix_millis(), START_MS - WARM_UP_DAYS * DAY_MS + 1_000);
        // What the report prints: 2024-02-26T00:00Z.
        assert_eq!(
            (DAY_BEFORE_MS, days_before(WARM_UP_DAYS).as_str()),
            (1_708_905_600_000, "2024-02-26T00:00Z")
        );
        let dates = [0, 1, 3, 4, 5].map(days_before);
        assert_eq!(
            dates.each_ref().map(|d| &d[5..10]),
            ["03-04", "03-03", "03-01", "02-29", "02-28"]
        );
        assert_eq!(e.user.as_ref().unwrap().as_str(), "member-000042");
        assert_eq!(e.phone.as_ref().unwrap().digits(), "14155550123");
        assert_eq!(e.asn, Some(Asn(7922)));
        assert_eq!(e.country.unwrap().as_str(), "US");
        assert_eq!(e.ja4.unwrap().as_str(), super::super::software::CHROME_JA4);
        assert!(e.device.is_some() && e.user_agent.is_some());
        let at = e.location.unwrap();
        assert_eq!(at.accuracy_km(), 20);
        assert!((at.latitude() - 40.7128).abs() < 1e-9);
        // A code that went out is reported as sent, an account as created;
        // a password change nobody checks is not reported.
        assert!(sim.outcome(e.clone()).is_some_and(|o| !o.is_failure()));
        let signup = SimEvent {
            step: Step::Signup,
            ..sim
        };
        assert!(signup.outcome(e.clone()).is_some_and(|o| !o.is_failure()));
        let change = SimEvent {
            step: Step::PasswordChange,
            ..sim
        };
        assert!(change.outcome(e.clone()).is_none());
        // A login naming no account is an unknown user; a member's wrong
        // password is a plain failure.
        let unknown = SimEvent {
            step: Step::Login,
            account: Some(Account::Unknown(3)),
            truth: Truth::Fails,
            ..sim
        };
        assert!(unknown.outcome(e.clone()).is_some_and(|o| o.is_unknown_user()));
        let wrong = SimEvent {
            account: Some(Account::Member(3)),
            ..unknown
        };
        assert!(wrong.outcome(e).is_some_and(|o| o.is_failure() && !o.is_unknown_user()));
        // A US number asked for from a US line is at home; from a UK line, abroad.
        assert!(!sim.sms_from_abroad());
        let from_london = SimEvent {
            client: Client { isp: 6, ..sim.client },
            ..sim
        };
        assert!(from_london.sms_from_abroad());
        assert!(
            !SimEvent {
                step: Step::Login,
                ..from_london
            }
            .sms_from_abroad()
        );
    }
}
