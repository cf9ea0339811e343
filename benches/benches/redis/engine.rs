//! Engine evaluations through a fresh `RedisStore` on concurrent tasks, and
//! what a plan holds.

use std::sync::Arc;

use redis::aio::ConnectionManager;
use tollgate::store::{Op, OpResult};
use tollgate::{Engine, Event};
use tollgate_redis::RedisStore;

use crate::commandstats::evalsha_stats;
use crate::measure::{Run, measure};
use crate::{EVENTS, Error, event_store};

/// Evaluations of `events` (event time 1 ms apart) on `tasks` tasks through
/// a fresh store under `prefix`; returns the run, round trips per
/// evaluation and Redis CPU per script call.
pub(crate) async fn engine_run(
    url: &str,
    conn: &mut ConnectionManager,
    engine: &Arc<Engine>,
    events: &Arc<Vec<Event>>,
    prefix: &str,
    tasks: usize,
) -> Result<(Run, f64, f64), Error> {
    let store = Arc::new(event_store(url, prefix).await?);
    let before = evalsha_stats(conn).await?;
    let (eng, st, ev) = (Arc::clone(engine), Arc::clone(&store), Arc::clone(events));
    let run = measure(tasks, move |i| {
        let (engine, store, events) = (Arc::clone(&eng), Arc::clone(&st), Arc::clone(&ev));
        async move {
            let Some(event) = events.get(i) else { return false };
            evaluate(&engine, &store, event).await
        }
    })
    .await;
    let after = evalsha_stats(conn).await?;
    let calls = after.0.saturating_sub(before.0);
    let trips = calls as f64 / EVENTS as f64;
    let cpu = after.1.saturating_sub(before.1) as f64 / calls.max(1) as f64;
    Ok((run, trips, cpu))
}

/// One evaluation of `event` on the split path: `prepare`,
/// `RedisStore::execute`, `conclude` (on no results when the call failed);
/// whether the store answered.
pub(crate) async fn evaluate(engine: &Engine, store: &RedisStore, event: &Event) -> bool {
    let plan = engine.prepare(event);
    let mut results = [OpResult::Done; 64];
    let slots = results.get_mut(..plan.ops().len()).unwrap_or_default();
    let answered = store.execute(plan.at(), plan.ops(), slots).await.is_ok();
    let decision = if answered {
        engine.conclude(plan, slots)
    } else {
        engine.conclude(plan, &[])
    };
    std::hint::black_box(decision);
    answered
}

/// Operation kinds of a plan, e.g. `4 Gcra, 3 Familiarity`.
pub(crate) fn plan_kinds(ops: &[Op]) -> String {
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
