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

mod bytes_per_key;
mod cleanup;
mod cluster;
mod commandstats;
mod cpu;
mod engine;
mod measure;

use std::sync::Arc;
use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionManager;
use tollgate::policy::Policy;
use tollgate::{Engine, Event, Timestamp};
use tollgate_benches::{BASE, four_limits_policy, login_events};
use tollgate_redis::{Clock, RedisConfig, RedisStore};

use bytes_per_key::bytes_per_key;
use cleanup::remove_keys;
use cluster::cluster_bench;
use commandstats::evalsha_stats;
use cpu::cpu_per_op_kind;
use engine::{engine_run, plan_kinds};
use measure::{failures, measure, row};

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

/// A store under `prefix` on the events' own time (the bench sets it, 1 ms
/// apart), with a timeout of a second: a loaded machine can take longer
/// than the default 5 ms for a large call.
async fn event_store(url: &str, prefix: &str) -> Result<RedisStore, Error> {
    let config = RedisConfig::new(url)
        .prefix(prefix)
        .clock(Clock::Event)
        .timeout(Duration::from_secs(1));
    Ok(RedisStore::connect(config).await?)
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
                std::hint::black_box(allowed).is_ok()
            }
        })
        .await;
        let done = evalsha_stats(&mut conn).await?;
        let bare_cpu = done.1.saturating_sub(before.1) as f64 / done.0.saturating_sub(before.0).max(1) as f64;
        println!("{tasks} tasks ({:<16} evals/s  p50  p99):", "");
        println!("  {}", row("four limits", &four_run, &bare_run));
        println!("  {}", row("default policy", &default_run, &bare_run));
        println!(
            "  {:<16} {:>8.0}/s {:>6.0}µs {:>6.0}µs{}",
            "bare GCRA",
            bare_run.per_second,
            bare_run.p50.as_secs_f64() * 1e6,
            bare_run.p99.as_secs_f64() * 1e6,
            failures(&bare_run),
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
