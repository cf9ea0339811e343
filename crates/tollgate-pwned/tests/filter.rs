//! Builds filters from generated corpora and checks lookups, the
//! false-positive rate and the loader's errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, missing_docs)]

use std::io::Cursor;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tollgate::password::PasswordSha1;
use tollgate_pwned::{BuildError, Builder, FilterError, FingerprintBits, LoadError, PwnedFilter};

const KNOWN: [&str; 4] = ["password", "123456", "P@ssw0rd", "lauragpe"];

/// A sorted `SHA1HEX:COUNT` corpus: `n` random hashes plus the known
/// passwords' (counts 1..=9 so min-count filtering has something to drop).
fn corpus(n: usize, seed: u64) -> (String, Vec<PasswordSha1>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut hashes: Vec<PasswordSha1> = (0..n).map(|_| PasswordSha1::from_bytes(rng.random())).collect();
    hashes.extend(KNOWN.iter().map(|p| PasswordSha1::of(p)));
    hashes.sort();
    let text = hashes
        .iter()
        .enumerate()
        .map(|(i, h)| format!("{}:{}\r\n", h.hex(), i % 9 + 1))
        .collect();
    (text, hashes)
}

fn build(text: &str, builder: Builder) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    builder.build(text.as_bytes(), &mut out).unwrap();
    out.into_inner()
}

fn false_positive_rate(filter: &PwnedFilter, seed: u64) -> f64 {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let probes = 1_000_000;
    let hits = (0..probes).filter(|_| filter.contains_key(rng.random())).count();
    hits as f64 / probes as f64
}

#[test]
fn every_inserted_hash_is_found_and_false_positives_are_bounded() {
    let (text, hashes) = corpus(200_000, 1);
    for (width, bound) in [(FingerprintBits::Eight, 0.0045), (FingerprintBits::Sixteen, 0.0001)] {
        let filter = PwnedFilter::from_bytes(build(&text, Builder::new(width))).unwrap();
        assert_eq!(filter.key_count(), hashes.len() as u64);
        assert!(hashes.iter().all(|h| filter.contains(h)));
        for p in KNOWN {
            assert!(filter.contains(&PasswordSha1::of(p)));
        }
        // Random 64-bit keys: the corpus has 2^-44 odds of holding one.
        let rate = false_positive_rate(&filter, 2);
        assert!(rate < bound, "{width:?}: false-positive rate {rate}");
        assert!(rate > 0.0 || width == FingerprintBits::Sixteen);
    }
}

#[test]
fn min_count_and_shard_bits() {
    let (text, hashes) = corpus(5_000, 3);
    for bits in [0, 4, 16] {
        let bytes = build(
            &text,
            Builder::new(FingerprintBits::Eight).shard_bits(bits).min_count(5),
        );
        let filter = PwnedFilter::from_bytes(bytes).unwrap();
        assert_eq!(filter.shard_count(), 1 << bits);
        assert_eq!(filter.min_count(), 5);
        // Line i has count i % 9 + 1: counts 5..=9 are kept.
        let kept: Vec<_> = hashes.iter().enumerate().filter(|(i, _)| i % 9 + 1 >= 5).collect();
        assert_eq!(filter.key_count(), kept.len() as u64);
        assert!(kept.iter().all(|(_, h)| filter.contains(h)));
    }
    assert!(matches!(
        Builder::new(FingerprintBits::Eight)
            .shard_bits(17)
            .build(&b""[..], Cursor::new(Vec::new())),
        Err(BuildError::ShardBits)
    ));
}

#[test]
fn empty_and_tiny_corpora() {
    for n in 0..5 {
        let (text, hashes) = corpus(n, 4);
        for width in [FingerprintBits::Eight, FingerprintBits::Sixteen] {
            let filter = PwnedFilter::from_bytes(build(&text, Builder::new(width))).unwrap();
            assert!(hashes.iter().all(|h| filter.contains(h)));
        }
    }
    let empty = PwnedFilter::from_bytes(build("", Builder::new(FingerprintBits::Eight))).unwrap();
    assert_eq!(empty.key_count(), 0);
    assert!(!empty.contains(&PasswordSha1::of("password")));
}

#[test]
fn duplicate_lines_count_once() {
    let line = format!("{}:7\n", PasswordSha1::of("password").hex());
    let text = line.repeat(3);
    let filter = PwnedFilter::from_bytes(build(&text, Builder::new(FingerprintBits::Eight))).unwrap();
    assert_eq!(filter.key_count(), 1);
}

#[test]
fn unsorted_and_malformed_input_are_errors() {
    let b = Builder::new(FingerprintBits::Eight);
    let text = format!(
        "{}:1\n{}:1\n",
        PasswordSha1::of("password").hex(),
        PasswordSha1::of("P@ssw0rd").hex()
    );
    let err = b.build(text.as_bytes(), Cursor::new(Vec::new())).unwrap_err();
    assert!(matches!(err, BuildError::Unsorted { line: 2 }), "{err}");
    let err = b.build(&b"hello:1\n"[..], Cursor::new(Vec::new())).unwrap_err();
    assert!(matches!(err, BuildError::Line { line: 1, .. }), "{err}");
}

#[test]
fn truncated_or_corrupt_files_are_typed_errors() {
    let (text, _) = corpus(2_000, 5);
    let good = build(&text, Builder::new(FingerprintBits::Sixteen).shard_bits(2));
    for len in [0, 10, 63, 64, 100, good.len() - 1] {
        let err = PwnedFilter::from_bytes(good[..len].to_vec()).unwrap_err();
        assert!(matches!(err, FilterError::Truncated { .. }), "{len}: {err}");
    }
    let mut bad = good.clone();
    bad[0] ^= 1;
    assert_eq!(PwnedFilter::from_bytes(bad).unwrap_err(), FilterError::BadMagic);
    let mut bad = good.clone();
    bad[8] = 9;
    assert_eq!(PwnedFilter::from_bytes(bad).unwrap_err(), FilterError::Version(9));
    let mut bad = good.clone();
    bad[10] = 12;
    assert!(matches!(
        PwnedFilter::from_bytes(bad).unwrap_err(),
        FilterError::Corrupt(_)
    ));
    // A flipped fingerprint bit and a flipped bit in a shard checksum are both caught.
    let mut bad = good.clone();
    bad[1000] ^= 4;
    assert_eq!(
        PwnedFilter::from_bytes(bad).unwrap_err(),
        FilterError::Checksum("shard fingerprints")
    );
    let mut bad = good.clone();
    let last = bad.len() - 3;
    bad[last] ^= 4;
    assert_eq!(
        PwnedFilter::from_bytes(bad).unwrap_err(),
        FilterError::Checksum("header and index")
    );
    let mut long = good.clone();
    long.push(0);
    assert!(matches!(
        PwnedFilter::from_bytes(long).unwrap_err(),
        FilterError::Corrupt(_)
    ));
}

#[test]
fn mapped_and_read_files_agree() {
    let (text, hashes) = corpus(10_000, 6);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pwned.bin");
    let stats = Builder::new(FingerprintBits::Eight)
        .build_to_path(text.as_bytes(), &path)
        .unwrap();
    assert_eq!(stats.file_len, std::fs::metadata(&path).unwrap().len());
    // Only the finished file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    let mapped = PwnedFilter::open(&path).unwrap();
    let read = PwnedFilter::read(&path).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for key in (0..20_000).map(|_| rng.random::<u64>()) {
        assert_eq!(mapped.contains_key(key), read.contains_key(key));
    }
    assert!(hashes.iter().all(|h| mapped.contains(h)));
    std::fs::write(&path, b"short").unwrap();
    assert!(matches!(
        PwnedFilter::open(&path),
        Err(LoadError::Format(FilterError::Truncated { .. }))
    ));
    assert!(matches!(
        PwnedFilter::open(&dir.path().join("missing")),
        Err(LoadError::Io(_))
    ));
}
