//! The default policy's plan on a Redis Cluster (`TOLLGATE_REDIS_CLUSTER_URL`).

use std::sync::Arc;
use std::time::Duration;

use redis::aio::ConnectionManager;
use tollgate::{Engine, Event};
use tollgate_redis::{Clock, RedisConfig, RedisStore};

use crate::commandstats::cluster_stats;
use crate::engine::evaluate;
use crate::measure::{failures, measure};
use crate::{EVENTS, Error};

/// With `TOLLGATE_REDIS_CLUSTER_URL`: the default policy's login plan on
/// the cluster at 16 tasks: evaluations per second, script calls (one per
/// slot a plan touches) and Redis CPU per evaluation summed over masters.
pub(crate) async fn cluster_bench(seeds: &str, engine: &Arc<Engine>, events: &Arc<Vec<Event>>) -> Result<(), Error> {
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
            let Some(event) = events.get(i) else { return false };
            evaluate(&engine, &store, event).await
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
        "\ncluster ({} masters), default policy, 16 tasks: {:.0} evals/s, p50 {:.0}µs, p99 {:.0}µs; {calls:.1} script calls and {cpu:.1} µs Redis CPU per evaluation (all masters together){}",
        masters.len(),
        run.per_second,
        run.p50.as_secs_f64() * 1e6,
        run.p99.as_secs_f64() * 1e6,
        failures(&run),
    );
    Ok(())
}
