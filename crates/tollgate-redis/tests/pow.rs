//! A proof-of-work solution is single use across instances sharing Redis:
//! accepted by one, its replay refused by the other.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::net::IpAddr;

use tollgate::keys::KeySecret;
use tollgate::policy::Policy;
use tollgate::pow::{PowConfig, PowSecret, PowSolution, hash_hex};
use tollgate::store::{MemoryStore, OpResult};
use tollgate::{Action, Decision, Engine, Event, EventKind, ReasonCode, Timestamp};
use tollgate_redis::{Clock, RedisStore};

const T0: u64 = 1_700_000_000_000;

/// One instance: a challenge for AS 64500, the shared key and PoW secrets.
fn instance() -> Engine {
    let policy = Policy::from_toml(
        "[[asns]]\nname = \"hosting\"\nasns = [64500]\nevents = [\"login\"]\naction = \"challenge\"\n",
    )
    .unwrap();
    Engine::builder(policy)
        .store(MemoryStore::new(1_000))
        .key_secret(KeySecret::from_seed(7))
        .proof_of_work(
            PowConfig::new(PowSecret::new(*b"shared proof-of-work secret, 32b").unwrap())
                .with_difficulty(100, 1_000)
                .unwrap(),
        )
        .build()
        .unwrap()
}

fn login(ms: u64, ip: u8) -> Event {
    Event::new(EventKind::Login, Timestamp::from_unix_millis(T0 + ms))
        .with_ip(IpAddr::from([198, 51, 100, ip]))
        .with_asn(tollgate::Asn(64500))
}

async fn decide(engine: &Engine, store: &RedisStore, event: &Event) -> Decision {
    let plan = engine.prepare(event);
    let mut results = vec![OpResult::Done; plan.ops().len()];
    store.execute(plan.at(), plan.ops(), &mut results).await.unwrap();
    engine.conclude(plan, &results)
}

#[test]
fn a_solution_is_single_use_across_instances() {
    let Some(url) = common::redis_url() else { return };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let prefix = common::fresh_prefix("pow");
        let (a, b) = (instance(), instance());
        let store_a = common::store(&url, &prefix, Clock::Event).await;
        let store_b = common::store(&url, &prefix, Clock::Event).await;

        let challenged = decide(&a, &store_a, &login(0, 1)).await;
        assert_eq!(challenged.action, Action::Challenge);
        let c = *challenged.pow.expect("a proof-of-work challenge");
        let number = (0..=c.maxnumber)
            .find(|n| hash_hex(&format!("{}{n}", c.salt)) == c.challenge)
            .unwrap();
        let solution = PowSolution::from_challenge(&c, number);

        let solved = decide(&b, &store_b, &login(1_000, 2).with_pow(solution.clone())).await;
        assert_eq!(solved.action, Action::Allow, "{solved:?}");
        let replay = decide(&a, &store_a, &login(1_001, 3).with_pow(solution.clone())).await;
        assert_eq!(replay.action, Action::Challenge);
        assert!(
            replay
                .reasons
                .iter()
                .any(|r| r.code == ReasonCode::PowRefused && r.detail.contains("used already")),
            "{replay:?}"
        );
        // The claim is a register under the prefix with a TTL, like every key.
        let keys = common::keys(&url, &prefix).await;
        assert!(keys.iter().any(|k| k.ends_with(":r")), "{keys:?}");
    });
}
