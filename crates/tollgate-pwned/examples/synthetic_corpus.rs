//! Writes a synthetic Pwned Passwords corpus to stdout: `N` random SHA-1s
//! as `SHA1HEX:COUNT` CRLF lines, sorted, prefix by prefix like the HIBP
//! downloader, so `tollgate pwned build --input -` can be measured on any
//! size without storing it.
//!
//! `cargo run --release -p tollgate-pwned --example synthetic_corpus -- 100000000 [SEED]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::Write;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const PREFIXES: u64 = 1 << 20;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let mut chunk: Vec<[u8; 20]> = Vec::new();
    let mut line = Vec::with_capacity(64);
    for prefix in 0..PREFIXES {
        let count = (prefix + 1) * n / PREFIXES - prefix * n / PREFIXES;
        chunk.clear();
        for _ in 0..count {
            let mut hash: [u8; 20] = rng.random();
            // The top 20 bits are the prefix.
            hash[0] = (prefix >> 12) as u8;
            hash[1] = (prefix >> 4) as u8;
            hash[2] = (hash[2] & 0x0f) | ((prefix as u8 & 0x0f) << 4);
            chunk.push(hash);
        }
        chunk.sort_unstable();
        for hash in &chunk {
            line.clear();
            for b in hash {
                line.extend_from_slice(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]);
            }
            write!(line, ":{}\r\n", rng.random_range(1..100u32))?;
            out.write_all(&line)?;
        }
    }
    out.flush()
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";
