//! `fingerprint`: JA4 and JA3 from raw ClientHello bytes through
//! `tollgate::fingerprint`.
//!
//! * `fingerprint/ja4_from_bytes`: `ClientHello::parse` + `ja4` on the
//!   records Chromium 156 sent (1917 bytes, post-quantum key share, GREASE,
//!   16 extensions): the work a TLS acceptor does per connection.
//! * `fingerprint/parse`: `ClientHello::parse` alone.
//! * `fingerprint/ja4`, `fingerprint/ja3`: the fingerprint from a parsed hello.
//! * `fingerprint/client_hello_len`: the header scan an acceptor runs after
//!   each read.
//! * `fingerprint/adversarial_hello`: `ClientHello::parse` + `ja4`, as in
//!   `ja4_from_bytes`, on the worst hello a client can send within the
//!   64 KiB cap: 16,000 distinct empty extensions in four full records
//!   (what a stranger can make the acceptor do per connection).
//!
//! The ClientHello is the one captured in
//! `crates/tollgate/tests/data/clienthellos_local.jsonl`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tollgate::fingerprint::{ClientHello, Transport, client_hello_len};

const CAPTURES: &str = include_str!("../../crates/tollgate/tests/data/clienthellos_local.jsonl");

/// The captured records of the client whose line names `client`.
fn records(client: &str) -> Vec<u8> {
    let line = CAPTURES
        .lines()
        .find(|l| l.contains(&format!("\"client\": \"{client}\"")))
        .unwrap_or_default();
    let hex = line
        .split("\"records_hex\": \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default();
    (0..hex.len() / 2)
        .filter_map(|i| hex.get(2 * i..2 * i + 2).and_then(|p| u8::from_str_radix(p, 16).ok()))
        .collect()
}

/// A ClientHello of `count` distinct empty extensions (types from 0x0100
/// up), in records of at most 2^14 bytes.
fn adversarial(count: u16) -> Vec<u8> {
    let mut body = vec![0x03, 0x03];
    body.extend([0u8; 32]);
    body.extend([0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00]);
    let extensions: Vec<u8> = (0..count)
        .flat_map(|i| {
            let [hi, lo] = (0x0100 + i).to_be_bytes();
            [hi, lo, 0, 0]
        })
        .collect();
    body.extend(u16::try_from(extensions.len()).unwrap_or(u16::MAX).to_be_bytes());
    body.extend(extensions);
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX).to_be_bytes();
    let message: Vec<u8> = [&[0x01], len.get(1..).unwrap_or_default(), &body].concat();
    message
        .chunks(1 << 14)
        .flat_map(|chunk| {
            let [hi, lo] = u16::try_from(chunk.len()).unwrap_or(u16::MAX).to_be_bytes();
            [&[0x16, 0x03, 0x01, hi, lo][..], chunk].concat()
        })
        .collect()
}

fn fingerprint(c: &mut Criterion) {
    let bytes = records("chromium headless");
    let Ok(hello) = ClientHello::parse(&bytes) else {
        eprintln!("fingerprint: the captured Chromium ClientHello does not parse");
        std::process::exit(1);
    };
    let mut g = c.benchmark_group("fingerprint");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("ja4_from_bytes", |b| {
        b.iter(|| ClientHello::parse(black_box(&bytes)).map(|h| h.ja4(Transport::Tcp)))
    });
    g.bench_function("parse", |b| b.iter(|| ClientHello::parse(black_box(&bytes))));
    g.bench_function("ja4", |b| b.iter(|| black_box(&hello).ja4(Transport::Tcp)));
    g.bench_function("ja3", |b| b.iter(|| black_box(&hello).ja3()));
    g.bench_function("client_hello_len", |b| b.iter(|| client_hello_len(black_box(&bytes))));
    let hostile = adversarial(16_000);
    g.throughput(Throughput::Bytes(hostile.len() as u64));
    g.bench_function("adversarial_hello", |b| {
        b.iter(|| ClientHello::parse(black_box(&hostile)).map(|h| h.ja4(Transport::Tcp)))
    });
    g.finish();
}

criterion_group!(benches, fingerprint);
criterion_main!(benches);
