//! The seed-1 report, pinned: a change to a default, a detector or a
//! scenario that moves any figure of `tollgate simulate --seed 1` fails
//! here, and its cost shows in review as a diff of `tests/golden/`.
//!
//! Everything but the table's events/s column depends only on the seed,
//! the event count and the policy; that column is cut before comparing.
//! After an intended change, rerun with `TOLLGATE_SIM_BLESS=1` to rewrite
//! the file, and update the figures the docs quote.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;

use tollgate::Engine;
use tollgate::policy::Policy;
use tollgate_sim::{Header, NoProgress, StoreFigures, Traffic};

/// The report `tollgate simulate --seed <seed> --events <events>` prints
/// under the built-in policy, without the events/s column.
fn report(seed: u64, events: u64) -> String {
    let policy = Policy::default();
    let rules = policy.limits.len();
    let engine = Engine::builder(policy).key_seed(seed).build().unwrap();
    let traffic = Traffic::generate(seed, events).unwrap();
    let tallies = traffic.replay(&engine, &mut NoProgress);
    let header = Header {
        alone: None,
        host_known_devices: false,
        imported: None,
        seed,
        requested: events,
        generated: traffic.len(),
        people: traffic.people(),
        policy: "built-in default",
        rules,
        store: StoreFigures::of(engine.store()),
        warm_up: traffic.day_before_len(),
        warm_up_days: traffic.history_len_days(),
        browser_release: None,
    };
    let mut out = Vec::new();
    tollgate_sim::write_report(&mut out, &header, &tallies).unwrap();
    without_timing(&String::from_utf8(out).unwrap())
}

/// The report with the table's last column (events/s, a timing) cut: the
/// table runs from the line after the first blank line to the next blank.
fn without_timing(report: &str) -> String {
    let mut blanks = 0;
    let mut lines = Vec::new();
    for line in report.lines() {
        if line.is_empty() {
            blanks += 1;
        }
        let line = match (blanks, line.trim_end().rsplit_once("  ")) {
            (1, Some((rest, _))) => rest.trim_end(),
            _ => line,
        };
        lines.push(line);
    }
    lines.join("\n") + "\n"
}

fn check(name: &str, seed: u64, events: u64) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    let got = report(seed, events);
    if std::env::var_os("TOLLGATE_SIM_BLESS").is_some() {
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap();
    let first_difference = got
        .lines()
        .zip(want.lines())
        .find(|(g, w)| g != w)
        .map(|(g, w)| format!("\n  pinned: {w}\n  now:    {g}"))
        .unwrap_or_default();
    assert!(
        got == want,
        "{} moved (rerun with TOLLGATE_SIM_BLESS=1 if intended):{first_difference}\n\nfull report now:\n{got}",
        path.display()
    );
}

#[test]
fn seed_1_default_run() {
    check("seed1-200000.txt", 1, 200_000);
}
