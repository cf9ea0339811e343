//! Account denial of service: a stranger who knows victims' usernames and
//! phone numbers tries to keep them out of their accounts.
//!
//! The attacker does not want in; it wants every control keyed on a
//! victim's account or number spent when the owner needs it. It picks
//! members who use SMS two-factor (so it knows a number that gets codes
//! for the account) and, for each, fires volleys at the account from
//! about 20 to 60 minutes before one of the owner's own two-factor logins
//! (the first of the day) until 30 to 90 minutes after it, so the volleys
//! land before, between and after the owner's login, code request and code
//! entry. Each volley spends one kind of budget several times over:
//!
//! * 21 to 30 failed logins with the victim's username (past 20 a minute
//!   and 20 failures an hour per account);
//! * 8 to 14 SMS code requests to the victim's number, half for the
//!   victim's account (a two-factor resend) and half for a throwaway
//!   account of the attacker's that names the victim's number (a phone
//!   verification form), so both the per-account and the per-number
//!   budgets fill (past 5 codes an hour per number and 10 per account);
//! * 8 to 14 wrong codes for the victim's account, with the victim's
//!   number as the service's form sends it (past 5 wrong codes per code
//!   for strangers and 10 an hour per account).
//!
//! Attempts within a volley are 0.3 to 2.5 seconds apart; the volleys are
//! spread evenly over the run. With the default 200,000 events, 6 % more
//! (12,000) are this attack: 40 victims, 300 attempts each (one victim per
//! 300 attempts, fewer if fewer members qualify).
//!
//! It comes through a residential proxy network's exits in the victim's
//! own country (fixed lines and mobile carriers' CGNAT pools, so some exits
//! share the owner's carrier), a new exit every one to three attempts, each
//! with a real browser's handshake and user agent (Chrome, Edge, Firefox or
//! Safari, desktop or mobile) and a fresh device cookie: nothing about its
//! software gives it away, and no network comes back often enough for a
//! per-network limit.
//!
//! Victims are drawn uniformly among members who ask for an SMS code today,
//! stay in their home country all day and make no typo, reset or other
//! marked event today (so every login, code request and code entry of
//! theirs from the start of the run to an hour after its end is tagged
//! [`Tag::Bombed`]). Their day is scheduled as if nothing happened: the
//! defaults must let them in, send them their codes and accept them (at
//! worst after a step-up), whatever the attacker spends. As everywhere in
//! the simulation, a refusal does not change what comes next: an owner
//! whose code request is refused still types a code, which then is not
//! the one they asked for, so a refused code entry can follow from a
//! refused request.

use std::collections::{HashMap, HashSet};

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::catalog::{self, Catalog, ISPS};
use super::legit::Population;
use super::mix::Generator;
use super::places;
use super::sampling::{between, pick, secs};
use super::software::sw;
use super::traffic::{Account, Client, DAY_MS, HOUR_MS, Scenario, SimEvent, Step, Tag, Truth};

/// Attempts per victim: the budget sets how many victims there are.
const ATTEMPTS_PER_VICTIM: usize = 300;
/// Fake account ids after the pumping, IRSF and cap-tripping runs' own.
const FIRST_ACCOUNT: u32 = 3 << 24;
/// Real browsers the attacker's farm rotates through.
const BROWSERS: [u8; 6] = [
    sw::CHROME_DESKTOP,
    sw::CHROME_ANDROID,
    sw::FIREFOX,
    sw::SAFARI_MAC,
    sw::SAFARI_IOS,
    sw::EDGE,
];

/// A victim: the member, their number, where they live, and when they log
/// in for the code the run is built around.
#[derive(Clone, Copy, Debug)]
struct Victim {
    member: u32,
    phone: u64,
    region: u8,
    /// The owner's login before their first code request of the day.
    login_at: u64,
    /// That code request.
    send_at: u64,
}

/// The account-DoS scenario.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AccountDos;

impl Generator for AccountDos {
    fn generate(
        &self,
        rng: &mut ChaCha8Rng,
        catalog: &Catalog,
        budget: usize,
        population: &Population,
        out: &mut Vec<SimEvent>,
    ) {
        account_dos(rng, catalog, budget, population, out);
    }
}

/// Appends exactly `budget` attempts (fewer if no member qualifies) on
/// victims drawn from the legitimate traffic in `out`, and tags the
/// victims' logins, code requests and code entries during each run.
pub(crate) fn account_dos(
    rng: &mut impl Rng,
    catalog: &Catalog,
    budget: usize,
    population: &Population,
    out: &mut Vec<SimEvent>,
) {
    let mut candidates = candidates(out, population);
    if budget == 0 || candidates.is_empty() {
        return;
    }
    let victims = (budget / ATTEMPTS_PER_VICTIM).clamp(1, candidates.len());
    let mut fakes = FIRST_ACCOUNT;
    for next in 0..victims {
        // A partial Fisher-Yates shuffle: each victim once, uniformly.
        let chosen = between(rng, next as u64, candidates.len() as u64 - 1);
        candidates.swap(next, usize::try_from(chosen).unwrap_or(next));
        let Some(&victim) = candidates.get(next) else { break };
        // The remainder goes to the first victims, so the total is exact.
        let attempts = budget / victims + usize::from(next < budget % victims);
        let (from, until) = attack(rng, catalog, victim, attempts, &mut fakes, out);
        for e in out.iter_mut() {
            let owners = e.scenario == Scenario::Legitimate && e.account == Some(Account::Member(victim.member));
            let counted = matches!(e.step, Step::Login | Step::OtpSend | Step::OtpVerify);
            if owners && counted && (from..until + HOUR_MS).contains(&e.at_ms) {
                *e = e.tagged(Tag::Bombed);
            }
        }
    }
}

/// Members who ask for an SMS code today, stay in their home country and
/// have nothing but plain events, in member order.
fn candidates(out: &[SimEvent], population: &Population) -> Vec<Victim> {
    let mut excluded = HashSet::new();
    let mut logins: HashMap<u32, Vec<u64>> = HashMap::new();
    let mut first_send: HashMap<u32, (u64, u64)> = HashMap::new();
    for e in out {
        let (Scenario::Legitimate, Some(Account::Member(m))) = (e.scenario, e.account) else {
            continue;
        };
        let home = population.home_of(m).map(|city| places::city_of(city).region);
        let network = ISPS.get(usize::from(e.client.isp)).map(|isp| isp.region);
        if e.tag != Tag::Plain || home.is_none() || home != network {
            excluded.insert(m);
            continue;
        }
        match (e.step, e.truth, e.phone) {
            (Step::Login, Truth::Succeeds, _) => logins.entry(m).or_default().push(e.at_ms),
            (Step::OtpSend, _, Some(phone)) => {
                let first = first_send.entry(m).or_insert((e.at_ms, phone));
                if e.at_ms < first.0 {
                    *first = (e.at_ms, phone);
                }
            }
            _ => {}
        }
    }
    let mut victims: Vec<Victim> = first_send
        .into_iter()
        .filter(|(m, _)| !excluded.contains(m))
        .filter_map(|(member, (send_at, phone))| {
            let login_at = logins.get(&member)?.iter().copied().filter(|&at| at <= send_at).max()?;
            let city = population.home_of(member)?;
            Some(Victim {
                member,
                phone,
                region: places::city_of(city).region,
                login_at,
                send_at,
            })
        })
        .collect();
    victims.sort_unstable_by_key(|v| v.member);
    victims
}

/// What one volley spends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Volley {
    Logins,
    Sends,
    Codes,
}

/// Appends `attempts` attempts on `victim` and returns the run's span.
fn attack(
    rng: &mut impl Rng,
    catalog: &Catalog,
    victim: Victim,
    attempts: usize,
    fakes: &mut u32,
    out: &mut Vec<SimEvent>,
) -> (u64, u64) {
    let from = victim.login_at.saturating_sub(secs(rng, 20 * 60, 60 * 60));
    let until = (victim.send_at + secs(rng, 30 * 60, 90 * 60)).min(DAY_MS);
    let order = [Volley::Logins, Volley::Sends, Volley::Codes];
    let first = usize::try_from(between(rng, 0, 2)).unwrap_or(0);
    let mut volleys = Vec::new();
    let mut left = attempts;
    while left > 0 {
        let kind = order
            .get((first + volleys.len()) % order.len())
            .copied()
            .unwrap_or(Volley::Logins);
        let size = match kind {
            Volley::Logins => between(rng, 21, 30),
            Volley::Sends | Volley::Codes => between(rng, 8, 14),
        };
        let size = usize::try_from(size).unwrap_or(left).min(left);
        volleys.push((kind, size));
        left -= size;
    }
    let isps: Vec<u8> = catalog
        .fixed(victim.region)
        .iter()
        .chain(catalog.mobile(victim.region))
        .copied()
        .collect();
    let mut proxy = Proxy::default();
    let n = volleys.len() as u64;
    let slot = until.saturating_sub(from) / n.max(1);
    for (i, (kind, size)) in (0u64..).zip(volleys) {
        let mut at = from + i * slot + between(rng, 0, slot.saturating_sub(1));
        for _ in 0..size {
            let client = proxy.client(rng, catalog, &isps);
            let victims_account = Some(Account::Member(victim.member));
            let (step, account, phone, truth) = match kind {
                Volley::Logins => (Step::Login, victims_account, None, Truth::Fails),
                Volley::Sends if rng.random::<bool>() => {
                    *fakes += 1;
                    let fake = Some(Account::Fake(*fakes));
                    (Step::OtpSend, fake, Some(victim.phone), Truth::Unreported)
                }
                Volley::Sends => (Step::OtpSend, victims_account, Some(victim.phone), Truth::Unreported),
                Volley::Codes => (Step::OtpVerify, victims_account, Some(victim.phone), Truth::Fails),
            };
            out.push(SimEvent {
                at_ms: at,
                scenario: Scenario::AccountDos,
                step,
                account,
                client,
                phone,
                truth,
                tag: Tag::Plain,
                pwned: false,
                sprayed: None,
            });
            at += between(rng, 300, 2_500);
        }
    }
    (from, until)
}

/// The proxy network's current exit in the victim's country, and how many
/// more attempts it serves.
#[derive(Debug, Default)]
struct Proxy {
    current: Option<Client>,
    uses_left: u64,
}

impl Proxy {
    fn client(&mut self, rng: &mut impl Rng, catalog: &Catalog, isps: &[u8]) -> Client {
        match self.current {
            Some(client) if self.uses_left > 0 => {
                self.uses_left -= 1;
                client
            }
            _ => {
                let isp = pick(rng, isps).unwrap_or(0);
                let (ip, place) = catalog::proxy_exit(rng, catalog, isp);
                let client = Client {
                    ip,
                    isp,
                    software: pick(rng, &BROWSERS).unwrap_or(sw::CHROME_DESKTOP),
                    place,
                    device: Some(rng.random()),
                };
                self.current = Some(client);
                self.uses_left = between(rng, 1, 3) - 1;
                client
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::super::legit;
    use super::*;

    fn day(seed: u64, budget: usize) -> Vec<SimEvent> {
        let catalog = Catalog::new().unwrap();
        let mut out = Vec::new();
        let people = legit::generate(&mut ChaCha8Rng::seed_from_u64(seed), &catalog, 20_000, &mut out);
        account_dos(
            &mut ChaCha8Rng::seed_from_u64(seed),
            &catalog,
            budget,
            &people,
            &mut out,
        );
        out
    }

    #[test]
    fn volleys_from_many_local_networks_around_the_owners_code() {
        let events = day(1, 3_000);
        assert_eq!(events, day(1, 3_000));
        let bot: Vec<&SimEvent> = events.iter().filter(|e| e.scenario == Scenario::AccountDos).collect();
        assert_eq!(bot.len(), 3_000);
        let owners: HashSet<_> = bot
            .iter()
            .filter(|e| e.step != Step::OtpSend || matches!(e.account, Some(Account::Member(_))))
            .map(|e| e.account)
            .collect();
        assert_eq!(owners.len(), 10);
        let count = |step| bot.iter().filter(|e| e.step == step).count();
        let (logins, sends, codes) = (count(Step::Login), count(Step::OtpSend), count(Step::OtpVerify));
        assert_eq!(logins + sends + codes, 3_000);
        assert!(logins > 1_000 && sends > 500 && codes > 500, "{logins} {sends} {codes}");
        // Half the sends name the victim's number for a throwaway account.
        let fakes = bot
            .iter()
            .filter(|e| matches!(e.account, Some(Account::Fake(_))))
            .count();
        assert!(fakes > sends / 3 && fakes < sends * 2 / 3, "{fakes} of {sends}");
        assert!(
            bot.iter()
                .all(|e| e.truth != Truth::Succeeds && e.client.device.is_some())
        );
        assert!(bot.iter().all(|e| BROWSERS.contains(&e.client.software)));
        let prefixes: HashSet<_> = bot
            .iter()
            .map(|e| match e.client.ip {
                std::net::IpAddr::V4(ip) => ip.octets()[..3].to_vec(),
                std::net::IpAddr::V6(ip) => ip.octets()[..6].to_vec(),
            })
            .collect();
        assert!(prefixes.len() > 1_000, "{} networks", prefixes.len());
        for account in owners {
            let run: Vec<&SimEvent> = bot.iter().copied().filter(|e| e.account == account).collect();
            let phone = run.iter().find_map(|e| e.phone).unwrap();
            let from = run.iter().map(|e| e.at_ms).min().unwrap();
            let to = run.iter().map(|e| e.at_ms).max().unwrap();
            let tagged: Vec<&SimEvent> = events
                .iter()
                .filter(|e| e.tag == Tag::Bombed && e.account == account)
                .collect();
            for step in [Step::Login, Step::OtpSend, Step::OtpVerify] {
                assert!(tagged.iter().any(|e| e.step == step), "{account:?} {step:?}");
            }
            // The run starts before the owner's code request and goes on after it.
            let send = tagged
                .iter()
                .filter(|e| e.step == Step::OtpSend)
                .min_by_key(|e| e.at_ms)
                .unwrap();
            assert!(from < send.at_ms && send.at_ms < to, "{account:?}");
            assert_eq!(send.phone, Some(phone));
            // From the owner's own country, and every code goes to the owner's number.
            let home = ISPS[usize::from(send.client.isp)].region;
            for e in bot.iter().filter(|e| e.account == account || e.phone == Some(phone)) {
                assert_eq!(ISPS[usize::from(e.client.isp)].region, home, "{e:?}");
                assert!(e.phone.is_none() || e.phone == Some(phone), "{e:?}");
            }
        }
    }
}
