//! `pwned`: lookups in a memory-mapped Pwned Passwords filter.
//!
//! A filter of 4 million synthetic SHA-1s (plus SHA-1("password")) is
//! built into a temporary file and opened with `PwnedFilter::open`
//! (memory-mapped, 256 shards), once with 8-bit and once with 16-bit
//! fingerprints. The file (≈4.6 / 9.2 MB) fits in cache, so this is the
//! lookup arithmetic; on the full 1 GB corpus a cold lookup adds up to
//! three cache misses (page faults on first touch).
//!
//! * `pwned/contains_{8,16}_hit` / `_miss`: `PwnedFilter::contains` on a
//!   cycle of 1,024 present / absent hashes.
//! * `pwned/sha1_and_contains_8`: `PasswordSha1::of` + `contains`, what a
//!   login pays per password.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tollgate::password::PasswordSha1;
use tollgate_benches::Cycle;
use tollgate_pwned::{Builder, FingerprintBits, PwnedFilter};

const KEYS: u64 = 4_000_000;

/// Deterministic pseudo-random hashes (splitmix64 into 20 bytes).
fn hash(i: u64) -> PasswordSha1 {
    let mut x = i;
    let mut bytes = [0u8; 20];
    for chunk in bytes.chunks_mut(8) {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        for (b, v) in chunk.iter_mut().zip(z.to_be_bytes()) {
            *b = v;
        }
    }
    PasswordSha1::from_bytes(bytes)
}

/// Builds and maps the filter; `None` (with the reason on stderr) if the
/// temporary file cannot be written or read back.
fn filter(width: FingerprintBits) -> Option<PwnedFilter> {
    let mut hashes: Vec<PasswordSha1> = (0..KEYS).map(|i| hash(i * 2)).collect();
    hashes.push(PasswordSha1::of("password"));
    hashes.sort();
    let mut corpus = Vec::with_capacity(hashes.len() * 44);
    for h in &hashes {
        corpus.extend_from_slice(format!("{}:1\n", h.hex()).as_bytes());
    }
    let path = std::env::temp_dir().join(format!(
        "tollgate-bench-pwned-{}-{}.bin",
        std::process::id(),
        width.bits()
    ));
    let built = Builder::new(width).build_to_path(corpus.as_slice(), &path);
    let filter = built
        .map_err(|e| e.to_string())
        .and_then(|_| PwnedFilter::open(&path).map_err(|e| e.to_string()));
    // The mapping stays valid after the name is gone.
    let _ = std::fs::remove_file(&path);
    filter.map_err(|e| eprintln!("pwned bench: {e}")).ok()
}

fn pwned(c: &mut Criterion) {
    let hits: Vec<PasswordSha1> = (0..1024).map(|i| hash(i * 2)).collect();
    let misses: Vec<PasswordSha1> = (0..1024).map(|i| hash(i * 2 + 1)).collect();
    let mut group = c.benchmark_group("pwned");
    for width in [FingerprintBits::Eight, FingerprintBits::Sixteen] {
        let Some(f) = filter(width) else { continue };
        assert!(
            f.contains(&PasswordSha1::of("password")),
            "the filter must hold what it was built from"
        );
        for (name, set) in [("hit", &hits), ("miss", &misses)] {
            let mut cycle = Cycle::new(set.len());
            group.bench_function(format!("contains_{}_{name}", width.bits()), |b| {
                b.iter(|| set.get(cycle.next_index()).map(|h| f.contains(black_box(h))))
            });
        }
        if width == FingerprintBits::Eight {
            group.bench_function("sha1_and_contains_8", |b| {
                b.iter(|| f.contains(&PasswordSha1::of(black_box("correct horse battery staple"))))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, pwned);
criterion_main!(benches);
