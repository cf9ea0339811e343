//! Prints a filter file's size, bits per key and the false-positive rate
//! measured on random absent keys (JSON).
//!
//! `cargo run --release -p tollgate-pwned --example filter_stats -- FILTER [PROBES] [SEED]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tollgate_pwned::PwnedFilter;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(args.next().expect("usage: filter_stats FILTER [PROBES] [SEED]"));
    let probes: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(99);
    let started = Instant::now();
    let filter = PwnedFilter::open(&path).unwrap();
    let open_seconds = started.elapsed().as_secs_f64();
    // Random 64-bit keys: absent from a corpus of n keys with odds n / 2^64.
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let started = Instant::now();
    let hits = (0..probes).filter(|_| filter.contains_key(rng.random())).count();
    let lookup_ns = started.elapsed().as_nanos() as f64 / probes as f64;
    println!(
        "{{\"keys\":{},\"bytes\":{},\"bits_per_key\":{:.3},\"fingerprint_bits\":{},\"shards\":{},\
         \"probes\":{probes},\"false_positives\":{hits},\"fp_rate_percent\":{:.5},\
         \"open_and_verify_seconds\":{open_seconds:.3},\"ns_per_random_lookup\":{lookup_ns:.1}}}",
        filter.key_count(),
        filter.file_len(),
        filter.bits_per_key(),
        filter.fingerprint_bits().bits(),
        filter.shard_count(),
        hits as f64 * 100.0 / probes as f64,
    );
}
