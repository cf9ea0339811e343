//! `redis`: engine evaluations through `RedisStore` against a real server,
//! beside a bare GCRA `EVALSHA` per event in the same run.
//!
//! Needs `TOLLGATE_REDIS_URL` (skipped with a notice when unset). Prints:
//!
//! * Redis bytes per key (`MEMORY USAGE`) for each kind of state;
//! * for 1, 16 and 64 concurrent tokio tasks: evaluations per second and
//!   p50/p99 latency of `prepare` + `RedisStore::execute` + `conclude` on
//!   login events under the four-limit policy (plus the default signals:
//!   seven operations per login), and the same for one bare GCRA script
//!   call per event (one key, one `EVALSHA`), with the ratio;
//! * round trips per evaluation and Redis CPU time per script call (engine
//!   and bare), from the server's `INFO commandstats`.
//!
//! Not a criterion bench: latency percentiles under concurrency are the
//! point. Event time advances 1 ms per event, so every decision allows.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use redis::Script;
use redis::aio::ConnectionManager;
use tollgate::limiter::{GcraMode, GcraParams};
use tollgate::store::{CapMode, FamiliarityKeys, Op, OpResult, StoreKey};
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

/// `EVALSHA` calls and the microseconds Redis spent in them so far.
async fn evalsha_stats(conn: &mut ConnectionManager) -> Result<(u64, u64), Error> {
    let info: String = redis::cmd("INFO").arg("commandstats").query_async(conn).await?;
    let field = |line: &str, name: &str| -> u64 {
        line.split(',')
            .find_map(|kv| kv.strip_prefix(name))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let line = info
        .lines()
        .find_map(|l| l.strip_prefix("cmdstat_evalsha:"))
        .unwrap_or_default();
    Ok((field(line, "calls="), field(line, "usec=")))
}

async fn bytes_per_key(url: &str, conn: &mut ConnectionManager) -> Result<(), Error> {
    let prefix = format!("tgbench:mem:{}", std::process::id());
    let store = RedisStore::connect(RedisConfig::new(url).prefix(&prefix).clock(Clock::Event)).await?;
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

async fn bench(url: String) -> Result<(), Error> {
    let mut conn = ConnectionManager::new(redis::Client::open(url.as_str())?).await?;
    bytes_per_key(&url, &mut conn).await?;

    let run_id = std::process::id();
    let engine = Arc::new(Engine::builder(four_limits_policy()).key_seed(1).build()?);
    let bare = Arc::new(Script::new(BARE_GCRA));
    let pool = login_events(EVENTS);
    let ops_per_event = pool.first().map_or(0, |e| engine.prepare(e).ops().len());
    println!("\n{EVENTS} login events per run, {ops_per_event} operations per evaluation\n");
    println!(
        "{:>5}  {:>22}  {:>22}  {:>10}  {:>10}",
        "tasks", "engine evals/s p50 p99", "bare EVALSHA/s p50 p99", "throughput", "p99 ratio"
    );
    for tasks in CONCURRENCY {
        let prefix = format!("tgbench:{run_id}:{tasks}");
        let config = RedisConfig::new(url.as_str())
            .prefix(&prefix)
            .clock(Clock::Event)
            .timeout(Duration::from_secs(1));
        let store = Arc::new(RedisStore::connect(config).await?);
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
        let before = evalsha_stats(&mut conn).await?;
        let (eng, st, ev) = (Arc::clone(&engine), Arc::clone(&store), Arc::clone(&events));
        let evals = measure(tasks, move |i| {
            let (engine, store, events) = (Arc::clone(&eng), Arc::clone(&st), Arc::clone(&ev));
            async move {
                let Some(event) = events.get(i) else { return };
                let plan = engine.prepare(event);
                let mut results = [OpResult::Done; 16];
                let slots = results.get_mut(..plan.ops().len()).unwrap_or_default();
                let decision = match store.execute(plan.at(), plan.ops(), slots).await {
                    Ok(()) => engine.conclude(plan, slots),
                    Err(_) => engine.conclude(plan, &[]),
                };
                std::hint::black_box(decision);
            }
        })
        .await;
        let after = evalsha_stats(&mut conn).await?;
        let trips = after.0.saturating_sub(before.0) as f64 / EVENTS as f64;
        let engine_cpu = after.1.saturating_sub(before.1) as f64 / after.0.saturating_sub(before.0).max(1) as f64;

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
        let bare_cpu = done.1.saturating_sub(after.1) as f64 / done.0.saturating_sub(after.0).max(1) as f64;
        println!(
            "{tasks:>5}  {:>8.0} {:>6.0}µs {:>5.0}µs  {:>8.0} {:>6.0}µs {:>5.0}µs  {:>9.2}x  {:>9.2}x   ({trips:.2} round trips per evaluation; Redis CPU per call {engine_cpu:.1} µs vs {bare_cpu:.1} µs)",
            evals.per_second,
            evals.p50.as_secs_f64() * 1e6,
            evals.p99.as_secs_f64() * 1e6,
            bare_run.per_second,
            bare_run.p50.as_secs_f64() * 1e6,
            bare_run.p99.as_secs_f64() * 1e6,
            evals.per_second / bare_run.per_second,
            evals.p99.as_secs_f64() / bare_run.p99.as_secs_f64(),
        );
    }
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
