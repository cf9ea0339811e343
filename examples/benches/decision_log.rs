//! What `--decision-log` costs a decision, against the same engine with
//! `--metrics` only, in one run:
//!
//! * `allow/metrics` and `allow/metrics_log`: an allowed login (user and
//!   IP). The log never writes it, but while any observer wants
//!   identifiers the engine masks them on every evaluation (the user's
//!   keyed hash above all), and the shared observer filters per member.
//! * `deny/metrics` and `deny/metrics_log`: a login refused by a zone,
//!   which the log copies and queues (the writer thread serializes and
//!   writes it; the queue is drained by a file in the temp directory).
//!
//! ```text
//! cargo bench -p tollgate-examples --bench decision_log -- --warm-up-time 2 --measurement-time 8
//! ```

#![allow(missing_docs)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use tollgate::policy::Policy;
use tollgate::{Action, CredentialKind, Engine, Event, EventKind, Timestamp};
use tollgate_examples::decision_log::{DecisionLog, attach};
use tollgate_metrics::TollgateMetrics;

const POLICY: &str = "[[zones]]\nname = \"blocked\"\ncidrs = [\"198.51.100.0/24\"]\naction = \"deny\"\n";

fn engine() -> Option<(Engine, Arc<TollgateMetrics>)> {
    let engine = Engine::new(Policy::from_toml(POLICY).ok()?).ok()?;
    let metrics = TollgateMetrics::new();
    metrics.attach(&engine);
    Some((engine, metrics))
}

fn decision_log(c: &mut Criterion) {
    let path = std::env::temp_dir().join(format!("tollgate-bench-decision-log-{}.jsonl", std::process::id()));
    let (Some((metrics_only, _)), Some((logged, metrics)), Ok(log)) = (
        engine(),
        engine(),
        DecisionLog::open(&path, Some(CredentialKind::Email)),
    ) else {
        return;
    };
    attach(&logged, Arc::clone(&log), Some(&metrics));
    for group in ["allow", "deny"] {
        let mut g = c.benchmark_group(group);
        for (name, engine) in [("metrics", &metrics_only), ("metrics_log", &logged)] {
            // A new user and a new IPv6 /48 every time (the policy's
            // network prefix), so no limit or detector fills and the
            // allows stay allows.
            let mut i = 0u32;
            let mut not_allowed = 0u64;
            g.bench_function(name, |b| {
                b.iter(|| {
                    i = i.wrapping_add(1);
                    let ip = match group {
                        "deny" => IpAddr::V4(Ipv4Addr::new(198, 51, 100, i.to_be_bytes()[3])),
                        _ => IpAddr::V6(Ipv6Addr::new(0x2001, (i >> 16) as u16, i as u16, 0, 0, 0, 0, 1)),
                    };
                    let event = Event::new(EventKind::Login, Timestamp::from(std::time::SystemTime::now()))
                        .with_ip(ip)
                        .with_user(format!("user{i}"));
                    let action = engine.evaluate(&event).action;
                    not_allowed += u64::from(action != Action::Allow);
                    black_box(action)
                });
            });
            println!("{group}/{name}: {not_allowed} decisions other than allow");
        }
        g.finish();
    }
    log.flush();
    // The log did its work: the denials were written or counted as dropped.
    let counts = log.counts();
    assert!(counts.written.get() + counts.dropped.get() > 0, "the log saw nothing");
    println!(
        "decision log: {} lines written, {} dropped (queue full)",
        counts.written.get(),
        counts.dropped.get()
    );
    let _ = std::fs::remove_file(&path);
}

criterion_group!(benches, decision_log);
criterion_main!(benches);
