//! The Pwned Passwords filter loader: arbitrary bytes, and valid filters
//! (built from keys taken from the input) truncated or with one byte
//! changed, must load or fail with a typed error, never panic; lookups on
//! whatever loads must answer.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use tollgate_pwned::{Builder, FingerprintBits, PwnedFilter};

fn probe(filter: &PwnedFilter, data: &[u8]) {
    for chunk in data.chunks(8).take(64) {
        let mut key = [0u8; 8];
        key[..chunk.len()].copy_from_slice(chunk);
        let _ = filter.contains_key(u64::from_le_bytes(key));
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(filter) = PwnedFilter::from_bytes(data.to_vec()) {
        probe(&filter, data);
    }
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let (edit, rest) = rest.split_at(rest.len().min(4));
    let mut keys: Vec<u64> = rest
        .chunks(8)
        .take(512)
        .map(|c| c.iter().fold(0u64, |k, &b| k << 8 | u64::from(b)))
        .collect();
    keys.sort_unstable();
    let corpus: String = keys.iter().map(|k| format!("{k:016X}{}:1\n", "0".repeat(24))).collect();
    let width = if control & 1 == 0 {
        FingerprintBits::Eight
    } else {
        FingerprintBits::Sixteen
    };
    let mut file = Cursor::new(Vec::new());
    Builder::new(width)
        .shard_bits((control >> 1) & 7)
        .build(corpus.as_bytes(), &mut file)
        .expect("sorted distinct-or-duplicate keys always build");
    let mut bytes = file.into_inner();
    let filter = PwnedFilter::from_bytes(bytes.clone()).expect("a fresh filter loads");
    assert!(keys.iter().all(|&k| filter.contains_key(k)));
    let at = edit.iter().fold(0usize, |a, &b| a << 8 | usize::from(b)) % bytes.len().max(1);
    if control & 0x10 == 0 {
        bytes.truncate(at);
    } else if let Some(b) = bytes.get_mut(at) {
        *b ^= control | 1;
    }
    if let Ok(filter) = PwnedFilter::from_bytes(bytes) {
        probe(&filter, data);
    }
});
