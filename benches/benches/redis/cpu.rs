//! Redis CPU per script call: by operation kind (a call's fixed cost and
//! each further operation's), then whole login plans beside the bare GCRA
//! call.

use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionManager;
use tollgate::limiter::{GcraMode, GcraParams};
use tollgate::store::{CapMode, FamiliarityKeys, Lane, Op, OpResult, StoreKey};
use tollgate::{Engine, Timestamp};
use tollgate_benches::{BASE, login_events};
use tollgate_redis::RedisStore;

use crate::commandstats::evalsha_stats;
use crate::{BARE_GCRA, Error, event_store};

/// One operation of `kind` on counter `key` (`n` varies members and keys).
fn op_of_kind(kind: &str, key: u64, n: u64) -> Op {
    let minute = Duration::from_secs(60);
    let fam = FamiliarityKeys {
        user: StoreKey(key),
        global: StoreKey(1_000_000 + n % 8),
        total: StoreKey(2_000_000),
    };
    match kind {
        "Gcra" => Op::Gcra {
            key: StoreKey(key),
            params: GcraParams {
                emission_nanos: 100_000_000,
                burst: 100,
                cost: 1,
            },
            mode: GcraMode::Consume,
        },
        "WindowAdd" => Op::WindowAdd {
            key: StoreKey(key),
            window: minute,
            amount: 1,
        },
        "WindowPair" => Op::WindowPair {
            key: StoreKey(key),
            lanes: [minute, Duration::from_secs(86_400)].map(|window| Lane { window, amount: 1 }),
        },
        "DistinctAdd" => Op::DistinctAdd {
            key: StoreKey(key),
            window: minute,
            member: n % 16,
        },
        "Familiarity" => Op::Familiarity {
            keys: fam,
            member: n % 8,
            window: minute,
        },
        "Learn" => Op::Learn {
            keys: fam,
            member: n % 8,
            window: minute,
            capacity: 8,
        },
        "RegisterGet" => Op::RegisterGet { key: StoreKey(key) },
        "RegisterSet" => Op::RegisterSet {
            key: StoreKey(key),
            value: u128::from(n),
            ttl: minute,
        },
        "Cap" => Op::Cap {
            key: StoreKey(key),
            window: minute,
            cap: 1_000_000,
            amount: 1,
            lockout: minute,
            mode: CapMode::Charge,
        },
        "Backoff" => Op::Backoff {
            key: StoreKey(key),
            first: Duration::from_millis(1),
            max: Duration::from_millis(1),
            reset_after: minute,
        },
        "Series" => Op::Series {
            key: StoreKey(key),
            bucket: Duration::from_secs(86_400),
            lookback: 7,
            amount: 1,
        },
        "Reset" => Op::Reset { key: StoreKey(key) },
        // A name in OP_KINDS without an arm above: measuring another kind
        // under its name would print a wrong table.
        other => unreachable!("no operation of kind {other}"),
    }
}

const OP_KINDS: [&str; 12] = [
    "Gcra",
    "WindowAdd",
    "WindowPair",
    "DistinctAdd",
    "Familiarity",
    "Learn",
    "RegisterGet",
    "RegisterSet",
    "Cap",
    "Backoff",
    "Series",
    "Reset",
];

/// Rounds of calls per CPU figure, and calls per round. Each figure is the
/// least of its rounds: Redis's own time per call (`INFO commandstats`)
/// also counts the time its thread was preempted, which on a loaded
/// machine only ever adds.
const CPU_ROUNDS: usize = 5;
const CPU_CALLS: u64 = 400;

/// Redis CPU per call (µs, least over [`CPU_ROUNDS`]) of running the plan
/// `plan(i)` at event time `BASE + i` ms for successive `i`.
async fn cpu_of(
    store: &RedisStore,
    conn: &mut ConnectionManager,
    plan: impl Fn(u64) -> (Timestamp, Vec<Op>),
) -> Result<f64, Error> {
    let mut best = f64::INFINITY;
    let mut i = 0;
    for _ in 0..CPU_ROUNDS {
        let before = evalsha_stats(conn).await?;
        for _ in 0..CPU_CALLS {
            let (at, ops) = plan(i);
            i += 1;
            let mut results = vec![OpResult::Done; ops.len()];
            store.execute(at, &ops, &mut results).await?;
        }
        let after = evalsha_stats(conn).await?;
        let calls = after.0.saturating_sub(before.0).max(1);
        best = best.min(after.1.saturating_sub(before.1) as f64 / calls as f64);
    }
    Ok(best)
}

/// Redis CPU per call of the bare GCRA script, as [`cpu_of`].
async fn bare_cpu(conn: &mut ConnectionManager, script: &Script, prefix: &str) -> Result<f64, Error> {
    let mut best = f64::INFINITY;
    let mut i = 0u64;
    for _ in 0..CPU_ROUNDS {
        let before = evalsha_stats(conn).await?;
        for _ in 0..CPU_CALLS {
            let allowed: i64 = script
                .key(format!("{prefix}:bare:{}", i % 500))
                .arg(1_700_000_000_000u64 + i)
                .arg(100)
                .arg(10_000)
                .invoke_async(conn)
                .await?;
            std::hint::black_box(allowed);
            i += 1;
        }
        let after = evalsha_stats(conn).await?;
        let calls = after.0.saturating_sub(before.0).max(1);
        best = best.min(after.1.saturating_sub(before.1) as f64 / calls as f64);
    }
    Ok(best)
}

/// Redis CPU per script call of one operation and of nine of one kind:
/// the difference over eight is one more operation's cost, the rest the
/// call's fixed cost (setup, keys and arguments, reply). Then whole login
/// plans beside the bare GCRA call.
pub(crate) async fn cpu_per_op_kind(
    url: &str,
    conn: &mut ConnectionManager,
    engines: &[(&str, &Engine)],
) -> Result<(), Error> {
    let prefix = format!("tgbench:cpu:{}", std::process::id());
    let store = event_store(url, &prefix).await?;
    println!(
        "\nRedis CPU per call (INFO commandstats; least of {CPU_ROUNDS} rounds of {CPU_CALLS} calls), by operation kind:"
    );
    println!(
        "  {:<12} {:>12} {:>12} {:>14}",
        "kind", "1 op µs", "9 ops µs", "per extra op µs"
    );
    let mut fixed = Vec::new();
    for kind in OP_KINDS {
        let mut per_call = Vec::with_capacity(2);
        for count in [1u64, 9] {
            // 500 counters per op position, revisited: realistic states.
            let plan = |i: u64| {
                let ops = (0..count).map(|j| op_of_kind(kind, (i % 500) * 16 + j, i)).collect();
                (Timestamp::from_unix_millis(BASE.as_unix_millis() + i), ops)
            };
            per_call.push(cpu_of(&store, conn, plan).await?);
        }
        let [one, nine] = per_call[..] else { continue };
        let extra = (nine - one) / 8.0;
        fixed.push(one - extra);
        println!("  {kind:<12} {one:>12.1} {nine:>12.1} {extra:>14.2}");
    }
    fixed.sort_by(f64::total_cmp);
    println!(
        "  fixed cost of a call (1 op minus one extra op, median over kinds): {:.1} µs",
        fixed.get(fixed.len() / 2).copied().unwrap_or(0.0)
    );
    let bare = bare_cpu(conn, &Script::new(BARE_GCRA), &prefix).await?;
    let events = login_events(2_000);
    for (name, engine) in engines {
        let plan = |i: u64| {
            let mut event = events
                .get(i as usize % events.len())
                .cloned()
                .unwrap_or_else(|| unreachable!());
            event.at = Timestamp::from_unix_millis(BASE.as_unix_millis() + i);
            let plan = engine.prepare(&event);
            (plan.at(), plan.ops().to_vec())
        };
        let cpu = cpu_of(&store, conn, plan).await?;
        println!(
            "  login plan, {name:<16} {cpu:>8.1} µs per evaluation ({:.1}x the bare GCRA call's {bare:.1} µs)",
            cpu / bare
        );
    }
    Ok(())
}
