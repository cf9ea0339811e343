//! `redis`: engine evaluations through `RedisStore` against a real server,
//! beside a bare GCRA `EVALSHA` per event in the same run.
//!
//! Needs `TOLLGATE_REDIS_URL` (skipped with a notice when unset). Prints:
//!
//! * Redis bytes per key (`MEMORY USAGE`) for each kind of state;
//! * Redis CPU per script call by operation kind: the fixed cost of a call
//!   and the cost of each further operation of one kind;
//! * for 1, 16 and 64 concurrent tokio tasks: evaluations per second and
//!   p50/p99 latency of `prepare` + `RedisStore::execute` + `conclude` on
//!   login events under the four-limit policy (plus the default signals)
//!   and under the default policy, and the same for one bare GCRA script
//!   call per event (one key, one `EVALSHA`), with the ratios, and for each
//!   concurrency the machine-readable line `ratio default_policy N tasks: X`
//!   (default-policy evaluations/s over bare GCRA calls/s in the same run);
//! * round trips per evaluation and Redis CPU time per script call (engine
//!   and bare), from the server's `INFO commandstats`;
//! * with `TOLLGATE_REDIS_CLUSTER_URL` (seed nodes, comma-separated), the
//!   default policy's plan on that cluster at 16 tasks: evaluations per
//!   second, script calls and Redis CPU per evaluation over all masters.
//!
//! Not a criterion bench: latency percentiles under concurrency are the
//! point. Event time advances 1 ms per event, so every decision allows.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use redis::Script;
use redis::aio::ConnectionManager;
use tollgate::limiter::{GcraMode, GcraParams};
use tollgate::policy::Policy;
use tollgate::store::{CapMode, FamiliarityKeys, Lane, Op, OpResult, StoreKey};
use tollgate::{Engine, Event, Timestamp};
use tollgate_benches::{BASE, four_limits_policy, login_events};
use tollgate_redis::{Clock, RedisConfig, RedisStore};

const EVENTS: usize = 20_000;
const CONCURRENCY: [usize; 3] = [1, 16, 64];

/// A textbook GCRA in milliseconds: the baseline's one script call.
const BARE_GCRA: &str = r"
local tat = tonumber(redis.call('GET', KEYS[1])) or 0
local now, t, tau = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local new = math.max(tat, now) + t
if new - now <= tau then
  redis.call('SET', KEYS[1], new, 'PX', new - now + 1000)
  return 1
end
return 0
";

type Error = Box<dyn std::error::Error>;

struct Run {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

/// Runs `work(i)` for i in 0..EVENTS on `tasks` concurrent tasks.
async fn measure<F, Fut>(tasks: usize, work: F) -> Run
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let work = Arc::new(work);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let (work, next) = (Arc::clone(&work), Arc::clone(&next));
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= EVENTS {
                        return latencies;
                    }
                    let t = Instant::now();
                    work(i).await;
                    latencies.push(t.elapsed());
                }
            })
        })
        .collect();
    let mut all = Vec::with_capacity(EVENTS);
    for handle in handles {
        all.extend(handle.await.unwrap_or_default());
    }
    let elapsed = start.elapsed();
    all.sort_unstable();
    let at = |q: f64| {
        all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1)))
            .copied()
    };
    Run {
        per_second: all.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.5).unwrap_or_default(),
        p99: at(0.99).unwrap_or_default(),
    }
}

/// Script calls (`EVALSHA` and `FCALL`) and the microseconds Redis spent
/// in them so far.
async fn evalsha_stats(conn: &mut ConnectionManager) -> Result<(u64, u64), Error> {
    let info: String = redis::cmd("INFO").arg("commandstats").query_async(conn).await?;
    let field = |line: &str, name: &str| -> u64 {
        line.split(',')
            .find_map(|kv| kv.strip_prefix(name))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let (mut calls, mut usec) = (0, 0);
    for line in info.lines() {
        if let Some(line) = line
            .strip_prefix("cmdstat_evalsha:")
            .or_else(|| line.strip_prefix("cmdstat_fcall:"))
        {
            calls += field(line, "calls=");
            usec += field(line, "usec=");
        }
    }
    Ok((calls, usec))
}

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
        _ => Op::Reset { key: StoreKey(key) },
    }
}

const OP_KINDS: [&str; 11] = [
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
async fn cpu_per_op_kind(url: &str, conn: &mut ConnectionManager, engines: &[(&str, &Engine)]) -> Result<(), Error> {
    let prefix = format!("tgbench:cpu:{}", std::process::id());
    let store = RedisStore::connect(
        RedisConfig::new(url)
            .prefix(&prefix)
            .clock(Clock::Event)
            .timeout(Duration::from_secs(1)),
    )
    .await?;
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

async fn bytes_per_key(url: &str, conn: &mut ConnectionManager) -> Result<(), Error> {
    let prefix = format!("tgbench:mem:{}", std::process::id());
    // A loaded machine can take longer than the default 5 ms timeout for
    // this one large call.
    let store = RedisStore::connect(
        RedisConfig::new(url)
            .prefix(&prefix)
            .clock(Clock::Event)
            .timeout(Duration::from_secs(1)),
    )
    .await?;
    let minute = Duration::from_secs(60);
    let at = Timestamp::from_unix_millis(1_700_000_000_000);
    let fam = |k: u64| FamiliarityKeys {
        user: StoreKey(k),
        global: StoreKey(k + 1),
        total: StoreKey(k + 2),
    };
    let mut ops = vec![
        Op::Gcra {
            key: StoreKey(1),
            params: GcraParams {
                emission_nanos: 1_000_000_000,
                burst: 10,
                cost: 1,
            },
            mode: GcraMode::Consume,
        },
        Op::WindowAdd {
            key: StoreKey(2),
            window: minute,
            amount: 1,
        },
        Op::DistinctAdd {
            key: StoreKey(3),
            window: minute,
            member: 1,
        },
        Op::Learn {
            keys: fam(10),
            member: 1,
            window: minute,
            capacity: 16,
        },
        Op::RegisterSet {
            key: StoreKey(4),
            value: u128::MAX,
            ttl: minute,
        },
        Op::Cap {
            key: StoreKey(5),
            window: minute,
            cap: 100,
            amount: 1,
            lockout: minute,
            mode: CapMode::Charge,
        },
        Op::Backoff {
            key: StoreKey(6),
            first: minute,
            max: minute,
            reset_after: minute,
        },
        Op::WindowPair {
            key: StoreKey(8),
            lanes: [Lane {
                window: minute,
                amount: 1,
            }; 2],
        },
    ];
    // Full-size states: 64 distinct members, 32 history entries.
    for m in 0..64u64 {
        ops.push(Op::DistinctAdd {
            key: StoreKey(7),
            window: minute,
            member: m << 8,
        });
    }
    for m in 0..32u64 {
        ops.push(Op::Learn {
            keys: fam(20),
            member: m,
            window: minute,
            capacity: 32,
        });
    }
    let mut results = vec![OpResult::Done; ops.len()];
    store.execute(at, &ops, &mut results).await?;
    println!("bytes per key (MEMORY USAGE):");
    let rows = [
        ("GCRA bucket", 1, 'g'),
        ("sliding window (WindowAdd, familiarity global)", 2, 'w'),
        ("distinct set, 1 member", 3, 'd'),
        ("distinct set, 64 members", 7, 'd'),
        ("history, 1 entry", 10, 'h'),
        ("history, 32 entries", 20, 'h'),
        ("register", 4, 'r'),
        ("cap", 5, 'c'),
        ("backoff", 6, 'b'),
        ("window pair (WindowPair)", 8, 'p'),
    ];
    for (what, key, kind) in rows {
        let name = tollgate_redis::key_name(&prefix, StoreKey(key), kind);
        let bytes: Option<u64> = redis::cmd("MEMORY")
            .arg("USAGE")
            .arg(&name)
            .arg("SAMPLES")
            .arg(0)
            .query_async(conn)
            .await?;
        println!("  {what:<48} {:>5}", bytes.unwrap_or(0));
    }
    Ok(())
}

/// Evaluations of `events` (event time 1 ms apart) on `tasks` tasks through
/// a fresh store under `prefix`; returns the run, round trips per
/// evaluation and Redis CPU per script call.
async fn engine_run(
    url: &str,
    conn: &mut ConnectionManager,
    engine: &Arc<Engine>,
    events: &Arc<Vec<Event>>,
    prefix: &str,
    tasks: usize,
) -> Result<(Run, f64, f64), Error> {
    let config = RedisConfig::new(url)
        .prefix(prefix)
        .clock(Clock::Event)
        .timeout(Duration::from_secs(1));
    let store = Arc::new(RedisStore::connect(config).await?);
    let before = evalsha_stats(conn).await?;
    let (eng, st, ev) = (Arc::clone(engine), Arc::clone(&store), Arc::clone(events));
    let run = measure(tasks, move |i| {
        let (engine, store, events) = (Arc::clone(&eng), Arc::clone(&st), Arc::clone(&ev));
        async move {
            let Some(event) = events.get(i) else { return };
            let plan = engine.prepare(event);
            let mut results = [OpResult::Done; 64];
            let slots = results.get_mut(..plan.ops().len()).unwrap_or_default();
            let decision = match store.execute(plan.at(), plan.ops(), slots).await {
                Ok(()) => engine.conclude(plan, slots),
                Err(_) => engine.conclude(plan, &[]),
            };
            std::hint::black_box(decision);
        }
    })
    .await;
    let after = evalsha_stats(conn).await?;
    let calls = after.0.saturating_sub(before.0);
    let trips = calls as f64 / EVENTS as f64;
    let cpu = after.1.saturating_sub(before.1) as f64 / calls.max(1) as f64;
    Ok((run, trips, cpu))
}

/// Operation kinds of a plan, e.g. `4 Gcra, 3 Familiarity`.
fn plan_kinds(ops: &[Op]) -> String {
    let mut kinds: Vec<(String, usize)> = Vec::new();
    for op in ops {
        let name: String = format!("{op:?}").chars().take_while(|c| c.is_alphanumeric()).collect();
        match kinds.iter_mut().find(|(k, _)| *k == name) {
            Some((_, n)) => *n += 1,
            None => kinds.push((name, 1)),
        }
    }
    kinds
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn row(name: &str, run: &Run, bare: &Run) -> String {
    format!(
        "{name:<16} {:>8.0}/s {:>6.0}µs {:>6.0}µs  ratio {:>5.2}x  p99 ratio {:>5.2}x",
        run.per_second,
        run.p50.as_secs_f64() * 1e6,
        run.p99.as_secs_f64() * 1e6,
        run.per_second / bare.per_second,
        run.p99.as_secs_f64() / bare.p99.as_secs_f64(),
    )
}

async fn bench(url: String) -> Result<(), Error> {
    let mut conn = ConnectionManager::new(redis::Client::open(url.as_str())?).await?;
    bytes_per_key(&url, &mut conn).await?;
    let run_id = std::process::id();
    let four = Arc::new(Engine::builder(four_limits_policy()).key_seed(1).build()?);
    let default = Arc::new(Engine::builder(Policy::default()).key_seed(1).build()?);
    cpu_per_op_kind(&url, &mut conn, &[("four limits", &four), ("default policy", &default)]).await?;

    let bare = Arc::new(Script::new(BARE_GCRA));
    let pool = login_events(EVENTS);
    println!("\n{EVENTS} login events per run");
    for (name, engine) in [("four limits", &four), ("default policy", &default)] {
        let ops = pool
            .first()
            .map(|e| engine.prepare(e).ops().to_vec())
            .unwrap_or_default();
        println!(
            "  {name}: {} operations per evaluation ({})",
            ops.len(),
            plan_kinds(&ops)
        );
    }
    // Event time: 1 ms per event, so every key refills between visits.
    let events: Arc<Vec<Event>> = Arc::new(
        pool.iter()
            .enumerate()
            .map(|(i, e)| {
                let mut e = e.clone();
                e.at = Timestamp::from_unix_millis(BASE.as_unix_millis() + i as u64);
                e
            })
            .collect(),
    );
    println!();
    for tasks in CONCURRENCY {
        let (four_run, four_trips, four_cpu) = engine_run(
            &url,
            &mut conn,
            &four,
            &events,
            &format!("tgbench:{run_id}:{tasks}:four"),
            tasks,
        )
        .await?;
        let (default_run, default_trips, default_cpu) = engine_run(
            &url,
            &mut conn,
            &default,
            &events,
            &format!("tgbench:{run_id}:{tasks}:default"),
            tasks,
        )
        .await?;

        let before = evalsha_stats(&mut conn).await?;
        let (script, base) = (Arc::clone(&bare), conn.clone());
        let bare_run = measure(tasks, move |i| {
            let (script, mut conn) = (Arc::clone(&script), base.clone());
            let key = format!("tgbench:{run_id}:{tasks}:bare:{}", i % 10_000);
            async move {
                let allowed: Result<i64, _> = script
                    .key(key)
                    .arg(1_700_000_000_000u64 + i as u64)
                    .arg(100)
                    .arg(10_000)
                    .invoke_async(&mut conn)
                    .await;
                std::hint::black_box(allowed.ok());
            }
        })
        .await;
        let done = evalsha_stats(&mut conn).await?;
        let bare_cpu = done.1.saturating_sub(before.1) as f64 / done.0.saturating_sub(before.0).max(1) as f64;
        println!("{tasks} tasks ({:<16} evals/s  p50  p99):", "");
        println!("  {}", row("four limits", &four_run, &bare_run));
        println!("  {}", row("default policy", &default_run, &bare_run));
        println!(
            "  {:<16} {:>8.0}/s {:>6.0}µs {:>6.0}µs",
            "bare GCRA",
            bare_run.per_second,
            bare_run.p50.as_secs_f64() * 1e6,
            bare_run.p99.as_secs_f64() * 1e6
        );
        println!(
            "  round trips per evaluation: {four_trips:.2} / {default_trips:.2}; Redis CPU per call: four limits {four_cpu:.1} µs, default policy {default_cpu:.1} µs, bare GCRA {bare_cpu:.1} µs"
        );
        println!(
            "ratio default_policy {tasks} tasks: {:.3}",
            default_run.per_second / bare_run.per_second
        );
    }
    println!("\nremoved this run's {} keys", remove_keys(&mut conn).await?);
    match std::env::var("TOLLGATE_REDIS_CLUSTER_URL") {
        Ok(seeds) if !seeds.trim().is_empty() => cluster_bench(&seeds, &default, &events).await?,
        _ => println!("\nskipping the cluster run: TOLLGATE_REDIS_CLUSTER_URL unset"),
    }
    Ok(())
}

/// Deletes this run's keys (some live for months: histories) from the
/// server behind `conn`, by `SCAN` and `UNLINK`.
async fn remove_keys(conn: &mut ConnectionManager) -> Result<u64, Error> {
    let pid = std::process::id();
    let mut removed = 0;
    for pattern in [
        format!("tgbench:{pid}:*"),
        format!("tgbench:cpu:{pid}:*"),
        format!("tgbench:mem:{pid}:*"),
    ] {
        let mut cursor = 0u64;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1_000)
                .query_async(conn)
                .await?;
            if !keys.is_empty() {
                removed += redis::cmd("UNLINK").arg(&keys).query_async::<u64>(conn).await?;
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
    }
    Ok(removed)
}

/// Script calls and Redis CPU summed over a cluster's masters.
async fn cluster_stats(masters: &mut [ConnectionManager]) -> Result<(u64, u64), Error> {
    let (mut calls, mut usec) = (0, 0);
    for conn in masters {
        let (c, u) = evalsha_stats(conn).await?;
        calls += c;
        usec += u;
    }
    Ok((calls, usec))
}

/// With `TOLLGATE_REDIS_CLUSTER_URL`: the default policy's login plan on
/// the cluster at 16 tasks: evaluations per second, script calls (one per
/// slot a plan touches) and Redis CPU per evaluation summed over masters.
async fn cluster_bench(seeds: &str, engine: &Arc<Engine>, events: &Arc<Vec<Event>>) -> Result<(), Error> {
    let seeds: Vec<String> = seeds.split(',').map(|s| s.trim().to_owned()).collect();
    let first = seeds.first().ok_or("empty TOLLGATE_REDIS_CLUSTER_URL")?;
    let mut seed = ConnectionManager::new(redis::Client::open(first.as_str())?).await?;
    let nodes: String = redis::cmd("CLUSTER").arg("NODES").query_async(&mut seed).await?;
    let mut masters = Vec::new();
    for line in nodes.lines() {
        let mut fields = line.split(' ');
        let addr = fields.nth(1).unwrap_or_default();
        if fields.next().is_some_and(|flags| flags.contains("master")) {
            let addr = addr.split('@').next().unwrap_or_default();
            masters.push(ConnectionManager::new(redis::Client::open(format!("redis://{addr}/"))?).await?);
        }
    }
    let config = RedisConfig::cluster(seeds.clone())
        .prefix(format!("tgbench:{}:cluster", std::process::id()))
        .clock(Clock::Event)
        .timeout(Duration::from_secs(1));
    let store = Arc::new(RedisStore::connect(config).await?);
    let before = cluster_stats(&mut masters).await?;
    let (eng, st, ev) = (Arc::clone(engine), Arc::clone(&store), Arc::clone(events));
    let run = measure(16, move |i| {
        let (engine, store, events) = (Arc::clone(&eng), Arc::clone(&st), Arc::clone(&ev));
        async move {
            let Some(event) = events.get(i) else { return };
            let plan = engine.prepare(event);
            let mut results = [OpResult::Done; 64];
            let slots = results.get_mut(..plan.ops().len()).unwrap_or_default();
            let decision = match store.execute(plan.at(), plan.ops(), slots).await {
                Ok(()) => engine.conclude(plan, slots),
                Err(_) => engine.conclude(plan, &[]),
            };
            std::hint::black_box(decision);
        }
    })
    .await;
    let after = cluster_stats(&mut masters).await?;
    // Keys of several slots cannot go in one UNLINK on a cluster: one each,
    // pipelined on each master's own connection.
    let mut removed = 0;
    for master in &mut masters {
        let mut cursor = 0u64;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(format!("tgbench:{}:cluster:*", std::process::id()))
                .arg("COUNT")
                .arg(1_000)
                .query_async(master)
                .await?;
            if !keys.is_empty() {
                let mut pipe = redis::pipe();
                for key in &keys {
                    pipe.cmd("UNLINK").arg(key);
                }
                let counts: Vec<u64> = pipe.query_async(master).await?;
                removed += counts.iter().sum::<u64>();
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
    }
    println!("removed the cluster run's {removed} keys");
    let calls = after.0.saturating_sub(before.0) as f64 / EVENTS as f64;
    let cpu = after.1.saturating_sub(before.1) as f64 / EVENTS as f64;
    println!(
        "\ncluster ({} masters), default policy, 16 tasks: {:.0} evals/s, p50 {:.0}µs, p99 {:.0}µs; {calls:.1} script calls and {cpu:.1} µs Redis CPU per evaluation (all masters together)",
        masters.len(),
        run.per_second,
        run.p50.as_secs_f64() * 1e6,
        run.p99.as_secs_f64() * 1e6,
    );
    Ok(())
}

fn main() -> Result<(), Error> {
    let Ok(url) = std::env::var("TOLLGATE_REDIS_URL") else {
        println!("skipping: TOLLGATE_REDIS_URL unset");
        return Ok(());
    };
    // `cargo bench` passes criterion-style flags; this harness ignores them.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(bench(url))
}
