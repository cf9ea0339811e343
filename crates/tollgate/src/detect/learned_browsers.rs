//! Learning browser fingerprints from the site's own successful logins.
//!
//! The browser-family check (`engine/screen/fingerprints.rs`) judges a
//! handshake against built-in seeds; a release that strays further than
//! its tolerances, or a handshake that arrives without its shape (a proxy
//! forwarding the JA4 only), would be a `fingerprint.ua_mismatch` for every
//! user of it. Real users sign in, though, and bots behind a browser user
//! agent mostly do not. So a JA4 becomes known for the family its user
//! agents claim once at least `accounts` distinct accounts from at least
//! `networks` distinct networks signed in successfully with it:
//!
//! * **poisoning**: one attacker with many accounts on one network counts
//!   as one network; failed logins teach nothing;
//! * **ageing**: evidence is counted in windows of `window_hours` (the
//!   current and the previous window count), so a value nobody signs in
//!   with any more is forgotten after two windows;
//! * **bounds**: candidate values live in one bounded history per family
//!   (`max_entries`, least recently used out first); a value that has
//!   fallen out is not known, whatever its counts. Each value's evidence is
//!   two distinct-count sets, capped in size by the store.
//!
//! State is in the store (`Op::Learn`, `Op::DistinctAdd`, and the read-only
//! `Op::Familiarity` and `Op::DistinctCount`), so engines sharing a Redis
//! store learn together. Events whose handshake passes the check cost
//! nothing: the reads run only when the check would fire.

use super::{Detector, Events, Findings, Reading, Scene};
use crate::keys::{KeyHasher, network};
use crate::policy::{BrowserJudge, LearnBrowsers, Policy, PolicyError};
use crate::store::{FamiliarityKeys, Op, OpResult, StoreKey};
use crate::useragent::BrowserFamily;
use crate::{EventType, Ja4, Outcome, ReasonCode};

/// The learning detector, compiled.
#[derive(Debug)]
pub(crate) struct LearnedBrowsers {
    settings: LearnBrowsers,
    /// The check without attached lists: a JA4 only a list knows is read
    /// for nothing, and the screen has not flagged it anyway.
    judge: BrowserJudge,
    seeds: Seeds,
}

#[derive(Clone, Copy, Debug)]
struct Seeds {
    history: u64,
    uses: u64,
    accounts: u64,
    networks: u64,
    account: u64,
    network: u64,
}

/// The keys of one (family, JA4) value.
#[derive(Clone, Copy, Debug)]
struct Located {
    history: FamiliarityKeys,
    member: u64,
    accounts: StoreKey,
    networks: StoreKey,
}

/// What a read feeds.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Step {
    /// Whether the value is among the family's candidates. `http2` says the
    /// event's HTTP/2 fingerprint contradicts the family too, which
    /// learning the JA4 does not excuse.
    Candidate { http2: bool },
    Accounts,
    Networks,
}

#[derive(Debug, Default)]
pub(crate) struct Tally {
    candidate: bool,
    http2: bool,
    accounts: u64,
    networks: u64,
}

impl Seeds {
    fn new(keys: &KeyHasher) -> Seeds {
        let seed = |part: &str| keys.rule_seed(&format!("fingerprints.learn.{part}"));
        Seeds {
            history: seed("history"),
            uses: seed("uses"),
            accounts: seed("accounts"),
            networks: seed("networks"),
            account: seed("account"),
            network: seed("network"),
        }
    }

    fn locate(&self, keys: &KeyHasher, family: BrowserFamily, ja4: &Ja4) -> Located {
        let tag = family.index() as u8;
        let value = (tag, ja4);
        Located {
            history: FamiliarityKeys {
                user: StoreKey(keys.hash_of(self.history, tag)),
                global: StoreKey(keys.hash_of(self.uses, value)),
                total: StoreKey(keys.hash_of(self.uses, tag)),
            },
            member: keys.hash_of(self.history, value),
            accounts: StoreKey(keys.hash_of(self.accounts, value)),
            networks: StoreKey(keys.hash_of(self.networks, value)),
        }
    }
}

impl Detector for LearnedBrowsers {
    type Step = Step;
    type Tally = Tally;

    fn validate(policy: &Policy) -> Result<(), PolicyError> {
        let l = &policy.fingerprints.learn;
        let exact = crate::store::DISTINCT_EXACT_UP_TO;
        if !(1..=exact).contains(&usize::from(l.accounts)) {
            return Err(PolicyError::invalid("fingerprints.learn.accounts", "must be 1 to 64"));
        }
        if !(1..=l.accounts).contains(&l.networks) {
            return Err(PolicyError::invalid(
                "fingerprints.learn.networks",
                "must be 1 to fingerprints.learn.accounts",
            ));
        }
        if !(1..=2160).contains(&l.window_hours) {
            return Err(PolicyError::invalid("fingerprints.learn.window_hours", "must be 1 to 2160"));
        }
        if !(1..=crate::policy::HISTORY_MAX).contains(&usize::from(l.max_entries)) {
            return Err(PolicyError::invalid("fingerprints.learn.max_entries", "must be 1 to 32"));
        }
        Ok(())
    }

    fn compile(policy: &Policy, keys: &KeyHasher) -> Self {
        LearnedBrowsers {
            settings: policy.fingerprints.learn,
            judge: BrowserJudge::compile(&policy.fingerprints, std::iter::empty()),
            seeds: Seeds::new(keys),
        }
    }

    /// Every event type the check fires on (all of them), when learning
    /// is on and the check has points to give.
    fn events(&self) -> Events {
        Events::or_all(&[]).when(self.settings.enabled)
    }

    fn plan(&self, scene: &Scene<'_>, push: &mut impl FnMut(Step, Op)) {
        if scene.policy.points.fingerprint_ua_mismatch == 0 {
            return;
        }
        let Some(m) = self.judge.mismatch(scene.event) else {
            return;
        };
        let Some(ja4) = m.tls else {
            return;
        };
        let at = self.seeds.locate(&scene.keys, m.family, &ja4);
        let window = self.window();
        push(
            Step::Candidate { http2: m.http2 },
            Op::Familiarity {
                keys: at.history,
                member: at.member,
                window,
            },
        );
        push(Step::Accounts, Op::DistinctCount { key: at.accounts, window });
        push(Step::Networks, Op::DistinctCount { key: at.networks, window });
    }

    fn read(&self, step: Step, result: &OpResult, tally: &mut Tally, _: &Reading<'_>, _: &mut Findings) -> bool {
        match (step, result) {
            (Step::Candidate { http2 }, OpResult::Familiarity(counts)) => {
                tally.candidate = counts.user_count > 0;
                tally.http2 = http2;
            }
            (Step::Accounts, OpResult::Count(n)) => tally.accounts = *n,
            (Step::Networks, OpResult::Count(n)) => tally.networks = *n,
            _ => return false,
        }
        true
    }

    /// A learned JA4 withdraws the screen's TLS mismatch; an HTTP/2
    /// mismatch of the same event stands.
    fn finish(&self, tally: Tally, _: &Reading<'_>, out: &mut Findings) {
        let learned = tally.candidate
            && tally.accounts >= u64::from(self.settings.accounts)
            && tally.networks >= u64::from(self.settings.networks);
        if learned && !tally.http2 {
            out.reasons.retain(|r| r.code != ReasonCode::FingerprintUaMismatch);
        }
    }

    /// Only successful logins teach, and only with a network to count:
    /// failures would let an attacker vouch for their own stack.
    fn record(&self, scene: &Scene<'_>, outcome: &Outcome, push: &mut impl FnMut(Op)) {
        let event = scene.event;
        if event.kind.event_type() != EventType::Login || outcome.is_failure() {
            return;
        }
        self.learn(scene, push);
    }
}

impl LearnedBrowsers {
    /// Counts a successful login's handshake for its browser family: what
    /// a recorded success teaches, and an imported one
    /// ([`Engine::import_login`](crate::Engine::import_login)) that
    /// carries a JA4.
    pub(crate) fn learn(&self, scene: &Scene<'_>, push: &mut impl FnMut(Op)) {
        if !self.settings.enabled {
            return;
        }
        let event = scene.event;
        let (Some(user), Some(m)) = (&event.user, self.judge.mismatch(event)) else {
            return;
        };
        // No browser release sends a handshake without ALPN: a client
        // that does is a script whatever it claims, and one that got in
        // with a stolen password must not teach it as a browser.
        let Some(ja4) = m.tls.filter(|j| !j.without_alpn()) else {
            return;
        };
        let keys = &scene.keys;
        let network = match (scene.facts.asn, event.ip) {
            (Some(asn), _) => keys.hash_of(self.seeds.network, (0u8, asn)),
            (None, Some(ip)) => keys.hash_of(self.seeds.network, (1u8, network(ip, scene.opts()))),
            (None, None) => return,
        };
        let at = self.seeds.locate(keys, m.family, &ja4);
        let window = self.window();
        push(Op::Learn {
            keys: at.history,
            member: at.member,
            window,
            capacity: self.settings.max_entries,
        });
        push(Op::DistinctAdd {
            key: at.accounts,
            window,
            member: keys.hash_of(self.seeds.account, user),
        });
        push(Op::DistinctAdd {
            key: at.networks,
            window,
            member: network,
        });
    }

    fn window(&self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.settings.window_hours) * 3_600)
    }
}
