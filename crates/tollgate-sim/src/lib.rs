//! The engine behind `tollgate simulate`: seeded synthetic traffic through
//! a policy, with the attack/legitimate split known, so the report can say
//! what a policy lets through and whom it bothers.
//!
//! One simulated day (2024-03-04, UTC). Of the requested events, 60 % are
//! legitimate (the population grows with the budget, at roughly four
//! events per person per day: 200,000 events means about 28,000 people),
//! 15 % credential stuffing by a bot under a browser's user agent, 14 % the
//! same stuffing with a real browser's TLS handshake, 8 % SMS pumping, 1 %
//! voice IRSF to a high-risk destination, 1 % account takeover and 1 % a
//! bot spreading SMS requests over enough numbers to close the service-wide
//! SMS cap. On top of those, 3 % more are a third stuffing campaign against
//! a service that flags compromised passwords, 0.5 % a brute-force run on
//! one account, and 6 % an attacker bombing victims' accounts and numbers
//! (one victim per 300 attempts) with failed logins, code requests and
//! wrong codes to lock them out. Attacks that adapt to the defences
//! (issue 15) come on top as well: 3 % stuffing that imitates members
//! (real browsers, exits in the victim's country, one attempt per address,
//! all day, 60 % unknown usernames) and 4.5 % password spraying (three
//! common passwords, each once against every account of a list) and
//! 0.5 % infostealer logins (real passwords, from the victim's own city,
//! then an email change), 4 % spread SMS pumping (sign-ups each asking
//! once for a code to a distinct low-risk number, see `spread`) and 1.5 %
//! an OTP bot asking for codes to many numbers of one country, a new
//! residential exit there each time. See `legit` and `trips` for who does
//! what, where and when, and `attacks`, `takeover`, `captrip`,
//! `bruteforce`, `account_dos`, `adaptive` and `spread` for the attackers. With the default
//! 200,000 events: legitimate traffic averages about 80 events
//! a minute (50 in the small hours UTC, 120 in the European evening and
//! American afternoon), each stuffing campaign adds about 60 login attempts
//! a minute for eight hours (02:00 to 10:00 and 14:00 to 22:00 UTC),
//! pumping about 90 sign-ups and code requests a minute for three, the
//! takeover crew about 900 victims over the day, mostly in the afternoon
//! and evening UTC, and the cap-tripping bot about 48 SMS requests a minute
//! from 18:00 for 40 minutes, and the account-DoS attacker 40 victims, one
//! to three hours each around the victim's own code request, in volleys
//! every few minutes. The report also follows legitimate travellers'
//! SMS code requests from abroad (client country not the number's).
//!
//! Before the simulated day, the members' ordinary week before it
//! (same people, homes, devices and habits, at home; 1.5 % of them signing
//! up on the first, with their SMS code sent and verified) run through the
//! same engine, with outcomes fed back, and are not counted: the engine
//! meets the simulated day with history, as a deployment does, rather than
//! an empty store where every account is first-seen and no baseline has
//! formed. One day left a fifth of the members without a login on record,
//! which a deployment keeping 180 days does not see; three leave under
//! 1 %, but a member with two devices who signs in once a day has then
//! left the second unused one time in six, and met attack mode as a
//! stranger on it; a week brings that to one in 60. The report's header
//! says so.
//!
//! Every event carries the country, ASN and position (city centre and
//! accuracy radius, see `places`) a CDN or geo database would give its
//! address, consistent with each other: the engine's familiarity and
//! impossible-travel signals see them as resolved upstream.
//!
//! Everything is generated first, from one ChaCha8 stream per scenario
//! (so changing one scenario leaves the others' traffic as it was; the
//! takeover crew picks its victims from the legitimate traffic), and
//! sorted by time (the mix, with each scenario's share and stream, is
//! one table in `mix.rs`); the engine then sees events in time order and is told
//! outcomes as a service would report them: when it lets a login, code
//! check or credential change go ahead — allowed, or challenged and passed,
//! which only real users do — the result (right or wrong password or code)
//! is fed back with `Engine::record` (a login naming no account as an
//! unknown user, `Outcome::unknown_user`). The schedule is fixed in advance: a
//! refused person does not come back later, and a refused bot moves on to
//! its next target. The one exception: a takeover's credential changes are
//! sent only if its login went ahead.
//!
//! # Example
//!
//! A small run under the default policy, as `tollgate simulate --seed 1
//! --events 2000` does it (the engine's key seed is the run's seed: which
//! keys the store evicts at its cap depends on key hashes):
//!
//! ```
//! use tollgate::Engine;
//! use tollgate::policy::Policy;
//! use tollgate_sim::{Header, NoProgress, StoreFigures, Traffic};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let policy = Policy::default();
//! let rules = policy.limits.len();
//! let engine = Engine::builder(policy).key_seed(1).build()?;
//! let traffic = Traffic::generate(1, 2_000)?;
//! let tallies = traffic.replay(&engine, &mut NoProgress);
//! let header = Header {
//!     seed: 1,
//!     requested: 2_000,
//!     generated: traffic.len(),
//!     people: traffic.people(),
//!     policy: "built-in default",
//!     rules,
//!     store: StoreFigures::of(engine.store()),
//!     warm_up: traffic.day_before_len(),
//!     warm_up_days: traffic.history_len_days(),
//!     browser_release: None,
//!     alone: None,
//!     host_known_devices: traffic.vouches_for_devices(),
//!     imported: None,
//! };
//! let mut report = Vec::new();
//! tollgate_sim::write_report(&mut report, &header, &tallies)?;
//! let report = String::from_utf8(report)?;
//! assert!(report.starts_with("seed 1, 2,000 events requested"));
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

mod account_dos;
mod adaptive;
mod attacks;
mod bruteforce;
mod captrip;
mod catalog;
mod error;
mod header;
mod homes;
mod host;
mod legit;
mod login_log;
mod mix;
mod places;
mod progress;
mod replay;
mod report;
mod sampling;
mod scenario;
mod software;
mod spread;
mod step;
mod takeover;
mod tally;
mod traffic;
mod trips;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tollgate::Engine;

use catalog::Catalog;
use replay::{replay, warm_up};
use traffic::{Scenario, SimEvent};

pub use error::Error;
pub use header::{BrowserRelease, Header, Imported, StoreFigures};
pub use progress::{NoProgress, Progress};
pub use report::write as write_report;
pub use tally::Tallies;

/// The most events one run may ask for (about 2 GB of memory at peak).
pub const MAX_EVENTS: u64 = 20_000_000;

/// What the engine gets of a client's TLS handshake, for
/// [`Traffic::browser_release`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Handshake {
    /// Its structure and its JA4 (`Event::tls_shape` and `Event::ja4`).
    Shape,
    /// Its JA4 only.
    Ja4Only,
}

/// One simulated day's traffic, in time order, and the people behind its
/// legitimate part.
#[derive(Debug)]
pub struct Traffic {
    catalog: Catalog,
    /// The members' days before, replayed first and not counted.
    day_before: Vec<SimEvent>,
    events: Vec<SimEvent>,
    population: legit::Population,
    /// Days of `day_before` kept ([`Traffic::history_days`]).
    history_days: u64,
    /// The service's remembered devices, of the whole generated week.
    host: host::Devices,
    /// Whether events carry the service's word on their device
    /// ([`Traffic::host_known_devices`]).
    vouch: bool,
    /// The members' logins [`Traffic::history_days`] cut, of which
    /// [`Traffic::import_days`] imports some.
    log: login_log::Log,
}

impl Traffic {
    /// The day's traffic for `seed`: about `events` events (at most
    /// [`MAX_EVENTS`]) in the documented split, plus the scenarios added on
    /// top of it. The same seed and count give the same traffic.
    pub fn generate(seed: u64, events: u64) -> Result<Traffic, Error> {
        let catalog = Catalog::new()?;
        let day = generate(&catalog, seed, events);
        Ok(Traffic {
            host: host::Devices::new(&day.before, &day.events),
            catalog,
            day_before: day.before,
            events: day.events,
            population: day.population,
            history_days: traffic::WARM_UP_DAYS,
            vouch: false,
            log: login_log::Log::default(),
        })
    }

    /// How many events were generated for the simulated day (the warm-up
    /// day before it is not counted: see [`Traffic::day_before_len`]).
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// How many legitimate events the warm-up day before the simulated one
    /// has: replayed first, so the engine meets the simulated day with a
    /// day of history, and left out of the report's figures.
    pub fn day_before_len(&self) -> usize {
        self.day_before.len()
    }

    /// Whether no event was generated (a run asking for none).
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The people in the legitimate population: members and newcomers.
    pub fn people(&self) -> u32 {
        self.population.members.saturating_add(self.population.newcomers)
    }

    /// The browser-release drift: from `from_hour` (UTC, 0 to 23) on, half
    /// of the legitimate browsers (chosen by device, so a person's phone
    /// may update while their laptop does not) run their next release,
    /// whose handshake adds one extension to the family's and whose JA4 no
    /// table lists (see `software`). Returns how many events moved.
    ///
    /// With [`Handshake::Shape`] events carry the handshake's structure,
    /// as a server terminating TLS itself has it; with
    /// [`Handshake::Ja4Only`] they carry the JA4 alone, as behind a proxy
    /// that forwards nothing else, and only learning from successful
    /// logins can absorb the release.
    pub fn browser_release(&mut self, from_hour: u8, handshake: Handshake) -> u64 {
        self.catalog.forward_shapes = handshake == Handshake::Shape;
        let from_ms = u64::from(from_hour.min(24)) * 3_600_000;
        let mut moved = 0;
        for e in &mut self.events {
            let updates = e.client.device.is_some_and(|d| traffic::mix64(d) & 1 == 0);
            if e.scenario != Scenario::Legitimate || e.at_ms < from_ms || !updates {
                continue;
            }
            if let Some(next) = software::next_release(e.client.software) {
                e.client.software = next;
                moved += 1;
            }
        }
        moved
    }

    /// Keeps the legitimate traffic and one attack scenario's (named as in
    /// the report, e.g. `infostealer`), dropping the other attacks; returns
    /// how many events went. Each scenario draws from its own random
    /// stream, so what is kept is exactly what the full run has. In the
    /// full run the attacks share one day and one site, and a campaign one
    /// of them sets off steps up the others' logins too; alone, a scenario
    /// meets only what its own traffic sets off.
    pub fn alone(&mut self, name: &str) -> Result<usize, Error> {
        let Some(kept) = Scenario::ALL.into_iter().find(|s| s.is_attack() && s.name() == name) else {
            let known: Vec<&str> = Scenario::ALL
                .iter()
                .filter(|s| s.is_attack())
                .map(|s| s.name())
                .collect();
            return Err(Error::UnknownScenario {
                name: name.to_string(),
                known: known.join(", "),
            });
        };
        let before = self.events.len();
        self.events
            .retain(|e| e.scenario == Scenario::Legitimate || e.scenario == kept);
        Ok(before - self.events.len())
    }

    /// Keeps only the members' last `days` before the simulated day (0 to
    /// 7, the week generated): the engine of a deployment that young, 0
    /// being an empty store. Returns how many warm-up events went.
    pub fn history_days(&mut self, days: u64) -> Result<usize, Error> {
        if days > traffic::WARM_UP_DAYS {
            return Err(Error::HistoryDays {
                days,
                most: traffic::WARM_UP_DAYS,
            });
        }
        let from = (traffic::WARM_UP_DAYS - days) * traffic::DAY_MS;
        let (kept, older): (Vec<SimEvent>, Vec<SimEvent>) = std::mem::take(&mut self.day_before)
            .into_iter()
            .partition(|e| e.at_ms >= from);
        let cut = older.len();
        self.day_before = kept;
        self.history_days = days;
        self.log.cut(older);
        Ok(cut)
    }

    /// Of the days [`Traffic::history_days`] cut, imports the members'
    /// logins of the last `days` from the service's own log before the
    /// warm-up: the successful ones into familiarity
    /// ([`tollgate::Engine::import_login`]), the shares of all as attack
    /// mode's baselines ([`tollgate::Engine::import_baselines`]). A new
    /// deployment that imported its login log. The log keeps what a
    /// service logs (time, account, IP address, country and network,
    /// device cookie, user agent, outcome), no handshake. Returns how many
    /// login outcomes and successful logins.
    pub fn import_days(&mut self, days: u64) -> Result<(usize, usize), Error> {
        let most = traffic::WARM_UP_DAYS - self.history_days;
        if days > most {
            return Err(Error::ImportDays { days, most });
        }
        let before_ms = most * traffic::DAY_MS;
        Ok(self.log.keep_days(days, before_ms))
    }

    /// Events carry the service's own word on their device
    /// ([`tollgate::Event::host_known_device`]): a member's device that
    /// signed in to their account before, in the whole generated week, as
    /// a service's remembered-devices table knows it even where
    /// [`Traffic::history_days`] kept the engine from seeing that login.
    pub fn host_known_devices(&mut self) {
        self.vouch = true;
    }

    /// Whether [`Traffic::host_known_devices`] is on.
    pub fn vouches_for_devices(&self) -> bool {
        self.vouch
    }

    /// Days of the members' history replayed before the day
    /// ([`Traffic::history_days`]; a week unless cut).
    pub fn history_len_days(&self) -> u64 {
        self.history_days
    }

    /// Runs the traffic through `engine` in time order, feeding outcomes
    /// back as a service would, and counts what it decided. Build the
    /// engine with the run's seed as its key seed to get the figures
    /// `tollgate simulate` prints.
    pub fn replay(&self, engine: &Engine, progress: &mut impl Progress) -> Tallies {
        let total = self.day_before.len() + self.events.len();
        progress.start(total);
        let host = self.vouch.then_some(&self.host);
        self.log.import(engine, &self.catalog);
        warm_up(engine, &self.catalog, host, &self.day_before, progress);
        let tallies = replay(
            engine,
            &self.catalog,
            host,
            &self.events,
            self.day_before.len(),
            progress,
        );
        progress.finish();
        tallies
    }
}

/// What [`generate`] makes: the simulated day, the warm-up day before it
/// (both in time order, each timed from its own midnight) and the
/// legitimate population behind them.
#[derive(Clone, Debug, PartialEq)]
struct Generated {
    before: Vec<SimEvent>,
    events: Vec<SimEvent>,
    population: legit::Population,
}

/// The day's traffic for `seed`, about `events` events, the members' day
/// before it, and the legitimate population behind them.
fn generate(catalog: &Catalog, seed: u64, events: u64) -> Generated {
    let events = usize::try_from(events.min(MAX_EVENTS)).unwrap_or(0);
    let stream = |n| {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(n);
        rng
    };
    let mut out = Vec::with_capacity(events + events / 64);
    let (legit_share, legit_stream) = mix::LEGITIMATE;
    let legit_budget = mix::budget(legit_share, events);
    let mut before = Vec::with_capacity(legit_budget + legit_budget / 16);
    let population = legit::generate_with_day_before(
        &mut stream(legit_stream),
        catalog,
        legit_budget,
        &mut out,
        Some(legit::DayBefore {
            rng: &mut stream(mix::DAY_BEFORE),
            out: &mut before,
        }),
    );
    for entry in &mix::MIX {
        let budget = mix::budget(entry.share, events);
        entry
            .generator
            .generate(&mut stream(entry.stream), catalog, budget, &population, &mut out);
    }
    // Stable: events at the same millisecond keep their generation order.
    out.sort_by_key(|e| e.at_ms);
    before.sort_by_key(|e| e.at_ms);
    Generated {
        before,
        events: out,
        population,
    }
}

#[cfg(test)]
mod tests;
