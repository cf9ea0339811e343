//! `memory`: heap bytes per tracked key in the in-process store, and proof
//! that its key cap holds under a flood of distinct keys.
//!
//! Not a criterion benchmark: it measures bytes, not time. The heap is
//! counted by dhat's global allocator, which records every allocation and
//! free of this process (the bytes requested from the allocator; the
//! allocator's own per-block overhead is not included, which matters only
//! for many small blocks).
//!
//! 1. GCRA buckets: a `MemoryStore::new(1_000_000)` filled with 1,000,000
//!    distinct keys; bytes per key = heap growth / keys.
//! 2. Flood: a store capped at 1,000,000 keys receives 10,000,000 distinct
//!    keys at one instant (no key ever turns idle, the worst case for
//!    eviction). `store.len()` and the heap are sampled along the way.
//! 3. Sliding-window counters, and distinct-count sets holding one member,
//!    1,000,000 keys each, as in 1.
//!
//! Run with `cargo bench -p tollgate-benches --bench memory`. Arguments
//! cargo and criterion use (`--bench`, `--warm-up-time 1`, ...) are
//! accepted and ignored; a filter that does not match `memory` skips it.
//! Without `--bench` (as `cargo test --benches` runs it) it does a quick
//! run at 1/100 of the sizes.

use std::time::{Duration, Instant};

use tollgate::Timestamp;
use tollgate::limiter::GcraMode;
use tollgate::store::{MemoryStore, Op, OpResult, Store, StoreKey};
use tollgate_benches::{BASE, limiter_params, splitmix64};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Criterion options that take a value, so the value is not read as a filter.
const OPTIONS_WITH_VALUE: [&str; 16] = [
    "--warm-up-time",
    "--measurement-time",
    "--sample-size",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--save-baseline",
    "--baseline",
    "--baseline-lenient",
    "--load-baseline",
    "--profile-time",
    "--plotting-backend",
    "--output-format",
    "--color",
    "--format",
];

/// What the command line asks for.
struct Args {
    /// `--bench` was given: full sizes. Otherwise a quick run.
    bench: bool,
    /// `--list`: name the benchmark and exit.
    list: bool,
    /// Positional arguments: run only if one is a substring of `memory`.
    filters: Vec<String>,
}

impl Args {
    fn parse() -> Args {
        let mut args = Args {
            bench: false,
            list: false,
            filters: Vec::new(),
        };
        let mut it = std::env::args().skip(1);
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--bench" => args.bench = true,
                "--list" => args.list = true,
                a if OPTIONS_WITH_VALUE.contains(&a) => {
                    let _ = it.next();
                }
                a if a.starts_with('-') => {}
                _ => args.filters.push(arg),
            }
        }
        args
    }

    fn selected(&self) -> bool {
        self.filters.is_empty() || self.filters.iter().any(|f| "memory".contains(f.as_str()))
    }
}

fn heap_bytes() -> usize {
    dhat::HeapStats::get().curr_bytes
}

/// Runs `op(key)` for every key in `keys` at time `at`.
fn fill(store: &MemoryStore, at: Timestamp, keys: impl Iterator<Item = u64>, op: impl Fn(u64) -> Op) {
    let mut results = [OpResult::Done];
    for k in keys {
        let _ = store.execute(at, &[op(k)], &mut results);
    }
}

fn gcra(k: u64) -> Op {
    Op::Gcra {
        key: StoreKey(k),
        params: limiter_params(),
        mode: GcraMode::Consume,
    }
}

fn window(k: u64) -> Op {
    Op::WindowAdd {
        key: StoreKey(k),
        window: Duration::from_secs(60),
        amount: 1,
    }
}

fn distinct(k: u64) -> Op {
    Op::DistinctAdd {
        key: StoreKey(k),
        window: Duration::from_secs(60),
        member: splitmix64(!k),
    }
}

/// Heap bytes per key of a store holding `keys` keys made by `op`.
fn bytes_per_key(keys: usize, op: impl Fn(u64) -> Op) -> (f64, usize) {
    let before = heap_bytes();
    let store = MemoryStore::new(keys);
    fill(&store, BASE, (0..keys as u64).map(splitmix64), op);
    let used = heap_bytes().saturating_sub(before);
    assert_eq!(store.len(), keys, "every key must be tracked");
    (used as f64 / keys as f64, used)
}

fn main() {
    let args = Args::parse();
    if args.list {
        println!("memory: benchmark");
        return;
    }
    if !args.selected() {
        return;
    }
    let scale = if args.bench { 1 } else { 100 };
    let keys = 1_000_000 / scale;
    let flood = 10_000_000 / scale;

    let _profiler = dhat::Profiler::builder().testing().trim_backtraces(Some(4)).build();
    let started = Instant::now();

    // First, so that dhat's all-time peak (`max_bytes`) is the flood's.
    // 1. A flood of distinct keys against the cap.
    let before = heap_bytes();
    let store = MemoryStore::new(keys);
    let mut results = [OpResult::Done];
    let (mut max_len, mut max_heap) = (0, 0);
    for (i, k) in (0..flood as u64).map(|i| splitmix64(i ^ 0x5eed)).enumerate() {
        let _ = store.execute(BASE, &[gcra(k)], &mut results);
        if i % 1_000 == 0 {
            max_len = max_len.max(store.len());
        }
        if i % 100_000 == 0 {
            max_heap = max_heap.max(heap_bytes().saturating_sub(before));
        }
    }
    max_len = max_len.max(store.len());
    let final_heap = heap_bytes().saturating_sub(before);
    max_heap = max_heap.max(final_heap);
    println!(
        "memory: flood of {flood} distinct keys into a store capped at {}: max len {max_len} (sampled every 1,000), final len {}, heap {final_heap} bytes final, {max_heap} bytes max (sampled every 100,000)",
        store.max_keys(),
        store.len(),
    );
    println!(
        "memory: heap per tracked key after the flood: {:.1}; peak during the flood (dhat max_bytes, every allocation): {:.1}",
        final_heap as f64 / store.len().max(1) as f64,
        dhat::HeapStats::get().max_bytes.saturating_sub(before) as f64 / store.max_keys() as f64
    );
    assert!(max_len <= store.max_keys(), "the key cap did not hold");
    drop(store);

    // 2. GCRA buckets.
    let (per_key, used) = bytes_per_key(keys, gcra);
    println!("memory: {keys} GCRA keys use {used} heap bytes");
    println!("bytes per tracked key: {per_key:.1}");

    // 3. Other counter kinds.
    let (per_key, _) = bytes_per_key(keys, window);
    println!("memory: bytes per tracked key, sliding-window counters: {per_key:.1}");
    let (per_key, _) = bytes_per_key(keys, distinct);
    println!("memory: bytes per tracked key, distinct sets with one member: {per_key:.1}");
    println!("memory: done in {:.1} s", started.elapsed().as_secs_f64());
}
