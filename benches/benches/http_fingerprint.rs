//! `http_fingerprint`: the HTTP/2 preface reader and the `hf1` header fingerprint.
//!
//! * `http_fingerprint/http2_chromium_preface`: a fresh `Http2Preface` fed
//!   the 531 bytes Chromium 156 sent on a TLS connection (captured in
//!   `crates/tollgate/tests/data/h2/`: preface, SETTINGS, WINDOW_UPDATE and a
//!   HEADERS frame of 17 Huffman-coded fields) in one call.
//! * `http_fingerprint/http2_chromium_preface_split`: the same bytes fed in
//!   64-byte pieces, as a reader wrapping a socket might.
//! * `http_fingerprint/header_fp_15`: `header_fingerprint` on the 15 regular
//!   header fields of a Chrome navigation request (plus 4 pseudo-headers).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tollgate::fingerprint::{Http2Preface, header_fingerprint};

const CHROMIUM: &[u8] = include_bytes!("../../crates/tollgate/tests/data/h2/chromium-156-tls.bin");

const CHROME_HEADERS: [(&str, &[u8]); 19] = [
    (":method", b"GET"),
    (":authority", b"login.example.com"),
    (":scheme", b"https"),
    (":path", b"/login"),
    ("cache-control", b"max-age=0"),
    ("sec-ch-ua", b"\"Not:A-Brand\";v=\"8\", \"Chromium\";v=\"156\""),
    ("sec-ch-ua-mobile", b"?0"),
    ("sec-ch-ua-platform", b"\"Linux\""),
    ("upgrade-insecure-requests", b"1"),
    (
        "user-agent",
        b"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
    ),
    (
        "accept",
        b"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
    ),
    ("sec-fetch-site", b"same-origin"),
    ("sec-fetch-mode", b"navigate"),
    ("sec-fetch-user", b"?1"),
    ("sec-fetch-dest", b"document"),
    ("referer", b"https://login.example.com/"),
    ("accept-encoding", b"gzip, deflate, br, zstd"),
    ("accept-language", b"en-US,en;q=0.9"),
    ("cookie", b"session=0123456789abcdef"),
];

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("http_fingerprint");
    group.bench_function("http2_chromium_preface", |b| {
        b.iter(|| Http2Preface::new().feed(black_box(CHROMIUM)))
    });
    group.bench_function("http2_chromium_preface_split", |b| {
        b.iter(|| {
            let mut reader = Http2Preface::new();
            black_box(CHROMIUM)
                .chunks(64)
                .map(|chunk| reader.feed(chunk))
                .find(|r| !matches!(r, Ok(None)))
        })
    });
    group.bench_function("header_fp_15", |b| {
        b.iter(|| header_fingerprint(black_box(CHROME_HEADERS)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
