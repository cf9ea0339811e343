//! Concurrent runs timed per call: throughput and latency percentiles, and
//! a run's row beside the bare GCRA baseline.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::EVENTS;

pub(crate) struct Run {
    /// Calls that failed (an error from the store, or a task that
    /// panicked): a run with any is no measurement of the path a service
    /// takes, and says so.
    pub(crate) failed: usize,
    pub(crate) per_second: f64,
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
}

/// Runs `work(i)` for i in 0..EVENTS on `tasks` concurrent tasks; `work`
/// answers whether its call succeeded.
pub(crate) async fn measure<F, Fut>(tasks: usize, work: F) -> Run
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let work = Arc::new(work);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let (work, next) = (Arc::clone(&work), Arc::clone(&next));
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut failed = 0;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= EVENTS {
                        return (latencies, failed);
                    }
                    let t = Instant::now();
                    if !work(i).await {
                        failed += 1;
                    }
                    latencies.push(t.elapsed());
                }
            })
        })
        .collect();
    let mut all = Vec::with_capacity(EVENTS);
    let mut failed = 0;
    for handle in handles {
        if let Ok((latencies, errors)) = handle.await {
            all.extend(latencies);
            failed += errors;
        }
    }
    // A task that panicked took its calls' timings with it.
    failed += EVENTS.saturating_sub(all.len());
    let elapsed = start.elapsed();
    all.sort_unstable();
    let at = |q: f64| {
        all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1)))
            .copied()
    };
    Run {
        failed,
        per_second: all.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.5).unwrap_or_default(),
        p99: at(0.99).unwrap_or_default(),
    }
}

pub(crate) fn row(name: &str, run: &Run, bare: &Run) -> String {
    format!(
        "{name:<16} {:>8.0}/s {:>6.0}µs {:>6.0}µs  ratio {:>5.2}x  p99 ratio {:>5.2}x{}",
        run.per_second,
        run.p50.as_secs_f64() * 1e6,
        run.p99.as_secs_f64() * 1e6,
        run.per_second / bare.per_second,
        run.p99.as_secs_f64() / bare.p99.as_secs_f64(),
        failures(run),
    )
}

/// A warning for a run with failed calls, or nothing.
pub(crate) fn failures(run: &Run) -> String {
    match run.failed {
        0 => String::new(),
        n => format!("  WARNING: {n} of {EVENTS} calls failed, not a measurement"),
    }
}
